"""The vCard reader under mutation (SPEC §15): seeded random mutations of real cards (bytes
deleted, repeated, swapped, and the characters vCard syntax turns on inserted: folding,
escapes, quotes, "=" of quoted-printable, ";", ":", ",", line ends) go through
privacybee.vcard_parse() as a PUT gives them to it, thousands at a time: each is a
contact or a refusal naming the problem (SQLSTATE PT400), never another error or a crash,
and what it reads is written back by vcard_render() and read again to the same contact
(4.0), or to a card that writes back the same (3.0).
privacybee-fcgi's own fuzzer (regress/fuzz) covers the request path and XML; the vCard
reader lives in the extension, so it is driven here, through PostgreSQL.

The seed is fixed (PRIVACYBEE_SEED overrides it) and printed, so a failure replays."""
import os
import random
import unittest

import psycopg2

from harness import extension_db

SEED = int(os.environ.get("PRIVACYBEE_SEED", "20261201"))
ROUNDS = int(os.environ.get("VCARD_MUTATIONS", "4000"))

SEEDS = [
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u-1\r\nFN:Beth \r\n Miller\r\nN:Miller;Beth;Ann;Dr.;PhD\r\n"
    "EMAIL;TYPE=INTERNET,WORK,PREF:b@w.example\r\nTEL;TYPE=CELL:+1 212 555 0199\r\n"
    "ADR;TYPE=HOME:PO Box 7;Apt 2;1 Main St;Atlanta;GA;30303;US\r\n"
    "BDAY;X-APPLE-OMIT-YEAR=1604:1604-11-24\r\nORG:Acme\\, Inc.;Sales\r\nTITLE:Boss\r\n"
    "NOTE:one\\ntwo\\; three\r\nCATEGORIES:A,B\\,C\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n"
    "X-P;Q=\"a;b:c\":v\r\nEND:VCARD\r\n",
    "BEGIN:VCARD\nVERSION:4.0\nFN:Kim\nBDAY:--0229\nTEL;VALUE=uri;TYPE=home;PREF=1:tel:+44-20-7946-0958\n"
    "RELATED;VALUE=text;TYPE=friend:Jo\nPHOTO:data:image/png;base64,iVBORw0KGgo=\nEND:VCARD\n",
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=\r\n=C3=BCrgen;;;\r\n"
    "FN;QUOTED-PRINTABLE:J=C3=BCrgen\r\nTEL;HOME;VOICE:030 1234567\r\nPHOTO;ENCODING=BASE64;TYPE=JPEG:\r\n"
    " /9j/4AAQ\r\n\r\nEND:VCARD\r\n",
]
ALPHABET = [" ", "\t", "\r\n", "\n", "\r", "\\", "\\n", ";", ":", ",", "=", "=\r\n", "\"", "=C3", "=ZZ",
            ".", "BEGIN:VCARD", "END:VCARD", "VERSION:4.0", "ü", "€", "𝄞", "TYPE=", "ENCODING=b",
            "QUOTED-PRINTABLE", "CHARSET=latin1", "--", "T", "0", "9" * 30, "x" * 300]


def mutate(rng, text):
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(len(text) + 1)
        j = min(len(text), i + rng.randint(0, 12))
        op = rng.randrange(5)
        if op == 0:
            text = text[:i] + text[j:]
        elif op == 1:
            text = text[:i] + rng.choice(ALPHABET) + text[i:]
        elif op == 2:
            text = text[:i] + text[i:j] * rng.randint(2, 4) + text[j:]
        elif op == 3 and text:
            k = rng.randrange(len(text))
            text = text[:i] + text[k:k + rng.randint(1, 20)] + text[j:]
        else:
            text = text[:i] + chr(rng.randint(1, 0x7e)) + text[i:]
    return text


# what api_dav_card_put keeps of a card: its unmodelled lines, an inline PHOTO first (as if
# it were no image privacybee reads: the photo path itself is test_carddav_routes.py's)
EXTRA = "COALESCE((p #>> '{photo,line}') || E'\\r\\n', '') || COALESCE(p ->> 'extra', '') AS extra"


class TestVcardMutations(unittest.TestCase):
    def test_every_mutated_card_is_a_contact_or_a_400_never_another_error(self):
        print(f"\n  vCard mutation seed: {SEED} (set PRIVACYBEE_SEED to replay)")
        rng = random.Random(SEED)
        read = refused = 0
        with extension_db().cursor() as cur:   # the extension's functions: not the proxy's
            for n in range(ROUNDS):
                card = mutate(rng, rng.choice(SEEDS)).replace("\x00", "")
                try:
                    # written back as 4.0 and read again: the same contact; as 3.0 (which has
                    # no tel: URIs) writing what was read of it, groups too, is a fixed point
                    cur.execute(
                        "SELECT p, privacybee.vcard_parse(privacybee.vcard_render(p -> 'contact', 'u', x.extra, '4.0', NULL))"
                        "            -> 'contact' = p -> 'contact' || '{\"external_id\": \"u\"}'"
                        "  FROM privacybee.vcard_parse(%s) AS p, LATERAL (SELECT " + EXTRA + ") AS x"
                        " UNION ALL "
                        "SELECT p, w = privacybee.vcard_render(q -> 'contact', 'u', y.extra, '3.0', NULL, NULL, NULL,"
                        "                                      q -> 'groups')"
                        "  FROM privacybee.vcard_parse(%s) AS p, LATERAL (SELECT " + EXTRA + ") AS x,"
                        "       LATERAL privacybee.vcard_render(p -> 'contact', 'u', x.extra, '3.0', NULL, NULL, NULL,"
                        "                                       p -> 'groups') AS w,"
                        "       LATERAL privacybee.vcard_parse(w) AS q,"
                        "       LATERAL (SELECT " + EXTRA.replace("p ", "q ").replace("p #", "q #") + ") AS y"
                        " WHERE true", (card, card))
                    rows = cur.fetchall()
                    read += 1
                    for p, same in rows:
                        self.assertTrue(same, (n, card, p))
                except psycopg2.Error as e:
                    self.assertEqual(e.pgcode, "PT400", (n, card, e.pgerror))
                    self.assertTrue(e.pgerror.startswith("ERROR:  the vCard"), (n, card, e.pgerror))
                    refused += 1
        print(f"  {read} read, {refused} refused")
        self.assertGreater(read, ROUNDS // 10)
        self.assertGreater(refused, ROUNDS // 10)


if __name__ == "__main__":
    unittest.main()
