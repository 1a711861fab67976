"""test_sharding.py — the sharded layout of docs/sharding.md, through its proxy: members
placed on both shards, a member's rows on their own shard only, ids unique across shards,
reference data the same on every shard, and the routes that involve two members on
different shards (trust-lookup, trust requests, activity) answered as on one database.

Run by run.sh against a SHARDS=2 stack: PGDATABASE is the proxy; the shards are
<PGDATABASE>_shard_<k>, read directly to see where rows are."""
import os
import sys
import unittest
import uuid
import xml.etree.ElementTree as ET

import psycopg2

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import harness  # noqa: E402
from harness import sql, sql1  # noqa: E402

PROXY = os.environ.get("PGDATABASE", "privacybee")
SHARDS = 2
_conns = {}


def on_shard(k, query, *args):
    """Rows of query on shard k's database itself (not through the proxy)."""
    if k not in _conns or _conns[k].closed:
        _conns[k] = psycopg2.connect(dbname=f"{PROXY}_shard_{k}")
        _conns[k].autocommit = True
    with _conns[k].cursor() as cur:
        cur.execute(query, args)
        return cur.fetchall() if cur.description else None


def shard_of(uid):
    """The shard a member lives on, as PL/Proxy places them (sql/logic/05_shard_layout.sql)."""
    return on_shard(0, "SELECT privacybee.member_shard(%s, %s)", uid, SHARDS)[0][0]


def members_on(k, n, **kw):
    """n new members (id, token) that live on shard k."""
    out = []
    while len(out) < n:
        uid, token = harness.member(**kw)
        if shard_of(uid) == k:
            out.append((uid, token))
    return out


def dav_props(xml, href):
    """{property: status code} of href's response in a WebDAV multistatus."""
    out = {}
    for resp in ET.fromstring(xml).findall("{DAV:}response"):
        if resp.find("{DAV:}href").text == href:
            for ps in resp.findall("{DAV:}propstat"):
                for prop in ps.find("{DAV:}prop"):
                    out[prop.tag] = ps.find("{DAV:}status").text.split()[1]
    return out


def service():
    return sql1("SELECT privacybee.issue_token(NULL, '{buzz:lookup}')")


def owned_tables():
    """Every table of the schema with a user_id column that is not reference data: the
    rows members own (new tables are covered as they come)."""
    return [t for (t,) in on_shard(0, """
        SELECT c.relname FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'user_id'
         WHERE c.relnamespace = 'privacybee'::regnamespace AND c.relkind = 'r'
           AND c.relname <> ALL (privacybee.reference_tables()) ORDER BY 1""")]


class TestShardedLayout(harness.ApiTest):

    def lookup(self, receiver_number, caller_e164):
        return self.req("GET", f"/apps/buzz/trust-lookup?number_code=1&number={receiver_number[2:]}"
                               f"&inbound_code=1&inbound={caller_e164[2:]}", service())

    def buzz_number(self, token):
        r = self.req("GET", "/apps/buzz/heartbeat", token)
        self.assertStatus(r, 200)
        return r.json["buzz_number"]

    def test_members_are_placed_on_both_shards(self):
        placed = {shard_of(harness.member()[0]) for _ in range(16)}
        self.assertEqual(placed, {0, 1})

    def test_a_members_rows_live_on_their_shard_only(self):
        for k in range(SHARDS):
            (uid, token), = members_on(k, 1)
            r = self.req("POST", "/contacts/sync", token,
                         [{"display_name": "Ann", "phone": [harness.fresh_phone()], "labels": ["x"]}])
            self.assertStatus(r, 200)
            self.assertEqual(on_shard(k, "SELECT count(*) FROM privacybee.contacts WHERE user_id = %s", uid), [(1,)])
            self.assertEqual(on_shard(1 - k, "SELECT count(*) FROM privacybee.contacts WHERE user_id = %s", uid), [(0,)])
        # and in general: no shard holds a row of another shard's member, in any owned table
        tables = owned_tables()
        self.assertIn("contacts", tables)
        self.assertIn("trusted_numbers", tables)
        for k in range(SHARDS):
            for t in tables:
                self.assertEqual(on_shard(k, f"SELECT count(*) FROM privacybee.{t} "
                                             "WHERE NOT privacybee.is_local_member(user_id)"), [(0,)],
                                 f"shard {k} holds another shard's rows of {t}")

    def test_ids_are_unique_across_shards(self):
        ids = {}
        for k in range(SHARDS):
            for uid, token in members_on(k, 2):
                r = self.req("POST", "/contacts/sync", token, [{"display_name": "A"}, {"display_name": "B"}])
                self.assertStatus(r, 200)
                for c in r.json:
                    ids[c["id"]] = k
        self.assertEqual(len(ids), 8)
        for i, k in ids.items():  # a shard's series: k+1 modulo the stride
            self.assertEqual(i % 1024, k + 1)

    def test_reference_data_is_the_same_on_every_shard(self):
        (a, _), = members_on(0, 1)
        (b, _), = members_on(1, 1)
        co = sql1("SELECT privacybee.create_company('Sharded', %s, %s)", harness.unique("co"),
                  [harness.fresh_phone()])
        sql("SELECT privacybee.add_employee(%s, %s)", co, a)
        sql("SELECT privacybee.add_employee(%s, %s)", co, b)
        for k in range(SHARDS):
            self.assertEqual(on_shard(k, "SELECT count(*) FROM privacybee.employees WHERE company_id = %s", co), [(2,)])
            self.assertEqual(on_shard(k, "SELECT count(*) FROM privacybee.people WHERE id IN (%s, %s)", a, b), [(2,)])
        digests = sql("SELECT table_name, count(DISTINCT digest), count(*) FROM privacybee.reference_digests() "
                      "GROUP BY 1 ORDER BY 1")
        # every reference table has its digest (privacybee.reference_tables(), sql/logic/70_shards.sql)
        self.assertEqual(len(digests), len(on_shard(0, "SELECT pg_catalog.unnest(privacybee.reference_tables())")))
        for table, distinct, shards in digests:
            self.assertEqual((distinct, shards), (1, SHARDS), table)

    def test_buzz_numbers_are_handed_out_once_each_from_the_members_shard(self):
        pool = [harness.fresh_phone() for _ in range(12)]
        sql("SELECT privacybee.add_buzz_numbers(%s)", pool)
        given = {}
        for k in range(SHARDS):
            for uid, token in members_on(k, 2):
                num = self.buzz_number(token)
                self.assertIsNotNone(num)
                self.assertNotIn(num, given)
                given[num] = uid
                # the number is of the member's own shard's part of the pool
                self.assertEqual(on_shard(k, "SELECT privacybee.number_is_local(%s)", num), [(True,)])
                self.assertEqual(self.buzz_number(token), num)
        for k in range(SHARDS):  # every shard knows who holds each
            for num, uid in given.items():
                self.assertEqual(on_shard(k, "SELECT user_id FROM privacybee.buzz_numbers WHERE e164 = %s", num),
                                 [(uid,)])

    def test_trust_lookup_finds_the_receiver_on_either_shard(self):
        sql("SELECT privacybee.add_buzz_numbers(%s)", [harness.fresh_phone() for _ in range(12)])
        for k in range(SHARDS):
            (r, rt), = members_on(k, 1)
            caller_phone = harness.fresh_phone()
            (c, _), = members_on(1 - k, 1, phone=caller_phone)   # the caller, a member elsewhere
            num = self.buzz_number(rt)
            answer = self.lookup(num, caller_phone)
            self.assertStatus(answer, 200)
            self.assertEqual(answer.json, {"trusted": False, "user_id": r})
            # a contact of R with the caller's number trusts it; R's untrust of the caller,
            # a member of the other shard, wins
            self.assertStatus(self.req("POST", "/contacts/sync", rt,
                                       [{"display_name": "Caller", "phone": [caller_phone]}]), 200)
            self.assertEqual(self.lookup(num, caller_phone).json, {"trusted": True, "user_id": r})
            self.assertStatus(self.req("POST", f"/contacts/trust/{c}", rt, {"trusted": False}), 201)
            self.assertEqual(self.lookup(num, caller_phone).json, {"trusted": False, "user_id": r})
            # the blocked call is R's row, on R's shard
            self.assertEqual(on_shard(k, "SELECT count(*) FROM privacybee.blocked_calls WHERE user_id = %s", r),
                             [(2,)])
        self.assertEqual(self.lookup("+12025550999", harness.fresh_phone()).json,
                         {"trusted": False, "user_id": None})

    def test_a_coworker_on_the_other_shard_is_trusted(self):
        sql("SELECT privacybee.add_buzz_numbers(%s)", [harness.fresh_phone() for _ in range(12)])
        (r, rt), = members_on(0, 1)
        phone = harness.fresh_phone()
        (c, _), = members_on(1, 1, phone=phone)
        num = self.buzz_number(rt)
        self.assertFalse(self.lookup(num, phone).json["trusted"])
        co = sql1("SELECT privacybee.create_company('Cowork', %s)", harness.unique("co"))
        sql("SELECT privacybee.add_employee(%s, %s)", co, r)
        sql("SELECT privacybee.add_employee(%s, %s)", co, c)
        self.assertTrue(self.lookup(num, phone).json["trusted"])

    def test_a_trust_request_reaches_a_member_on_the_other_shard(self):
        for k in range(SHARDS):
            (asker, at), = members_on(k, 1)
            (target, tt), = members_on(1 - k, 1)
            r = self.req("POST", "/contacts/requests", at, {"user_id": target, "contact_reason": "hello"})
            self.assertStatus(r, 201)
            pending = self.req("GET", "/contacts/requests", tt)
            self.assertStatus(pending, 200)
            self.assertEqual([(p["id"], p["contact_reason"]) for p in pending.json], [(asker, "hello")])
            self.assertEqual(on_shard(1 - k, "SELECT count(*) FROM privacybee.trust_requests WHERE user_id = %s",
                                      target), [(1,)])
            self.assertEqual(on_shard(k, "SELECT count(*) FROM privacybee.trust_requests WHERE user_id = %s",
                                      target), [(0,)])
            # the answer on the target's shard resolves it there
            self.assertStatus(self.req("POST", f"/contacts/trust/{asker}", tt, {"trusted": True}), 201)
            self.assertEqual(self.req("GET", "/contacts/requests", tt).json, [])

    def test_activity_between_shards_is_in_both_feeds(self):
        (a, at), = members_on(0, 1)
        (b, bt), = members_on(1, 1)
        mid = str(uuid.uuid4())
        body = {"type": "chat_message", "sendable_type": "person", "sendable_id": a,
                "receivable_type": "person", "receivable_id": b, "message_id": mid, "message": "x"}
        sent = self.req("POST", "/apps/buzz/activity", at, body)
        self.assertStatus(sent, 200)
        self.assertEqual(sent.json["data"]["id"] % 1024, 1)   # the sender's shard's copy answers
        self.assertEqual(self.req("POST", "/apps/buzz/activity", at, body).json, sent.json)  # idempotent
        for token, k in ((at, 0), (bt, 1)):
            feed = self.req("GET", "/apps/buzz/activity/0", token)
            self.assertStatus(feed, 200)
            self.assertEqual([x["message_id"] for x in feed.json], [mid])
            self.assertEqual(feed.json[0]["id"] % 1024, k + 1)
            # since-id holds per member: nothing after their own copy's id
            self.assertEqual(self.req("GET", f"/apps/buzz/activity/{feed.json[0]['id']}", token).json, [])

    def test_employees_are_disclosed_by_a_rule_held_on_either_shard(self):
        for k in range(SHARDS):
            (caller, ct), = members_on(k, 1)
            (person, pt), = members_on(1 - k, 1)
            co = sql1("SELECT privacybee.create_company('Disclosed', %s)", harness.unique("co"))
            sql("SELECT privacybee.add_employee(%s, %s)", co, person)
            self.assertError(self.req("GET", f"/contacts/employees/{person}", ct), 404)
            # the person's explicit trust of the caller is a row of the person's shard
            self.assertStatus(self.req("POST", f"/contacts/trust/{caller}", pt, {"trusted": True}), 201)
            seen = self.req("GET", f"/contacts/employees/{person}", ct)
            self.assertStatus(seen, 200)
            self.assertEqual([c["company"]["id"] for c in seen.json], [co])
            # and the person's trust request to the caller is a row of the caller's shard
            (other, ot), = members_on(1 - k, 1)
            sql("SELECT privacybee.add_employee(%s, %s)", co, other)
            self.assertError(self.req("GET", f"/contacts/employees/{other}", ct), 404)
            self.assertStatus(self.req("POST", "/contacts/requests", ot, {"user_id": caller}), 201)
            self.assertStatus(self.req("GET", f"/contacts/employees/{other}", ct), 200)

    def test_a_person_on_the_other_shard_who_trusts_the_viewer_is_named_in_their_activity(self):
        # disclosed_to(p, m) is decided on m's shard; p's trust of m is p's edge, on p's
        # shard, so the proxy copies it to m's (then=announce_person_trust)
        for k in range(SHARDS):
            (viewer, vt), = members_on(k, 1, first="View", last="Er")
            (person, pt), = members_on(1 - k, 1, first="Far", last="Away")

            def named():
                sent = self.req("POST", "/apps/buzz/activity", vt,
                                {"type": "chat_message", "sendable_type": "person", "sendable_id": viewer,
                                 "receivable_type": "person", "receivable_id": person,
                                 "message_id": str(uuid.uuid4()), "message": "x"})
                self.assertStatus(sent, 200)
                feed = self.req("GET", "/apps/buzz/activity/0", vt).json
                self.assertEqual({a["receivable"]["first_name"] for a in feed},
                                 {sent.json["data"]["receivable"]["first_name"]})
                return sent.json["data"]["receivable"]["first_name"]

            def copies(shard):
                return on_shard(shard, "SELECT trusted, version FROM privacybee.trust_edge_copies"
                                       " WHERE user_id = %s AND person_id = %s", viewer, person)

            self.assertIsNone(named())
            # the viewer trusting the person discloses nothing of the person
            self.assertStatus(self.req("POST", f"/contacts/trust/{person}", vt, {"trusted": True}), 201)
            self.assertIsNone(named())
            self.assertStatus(self.req("POST", f"/contacts/trust/{viewer}", pt, {"trusted": True}), 201)
            self.assertEqual(named(), "Far")
            # the copy is the viewer's row on the viewer's shard, and nothing else of the person's
            self.assertEqual(copies(k), [(True, 0)])
            self.assertEqual(copies(1 - k), [])
            self.assertStatus(self.req("POST", f"/contacts/trust/{viewer}", pt, {"trusted": False}), 201)
            self.assertIsNone(named())
            self.assertEqual(copies(k), [(False, 1)])
            # an older copy arriving late never replaces a newer one
            self.assertEqual(on_shard(k, "SELECT privacybee.put_trust_edge_copy(%s, %s, %s)", viewer, person,
                                      '{"trusted": true, "version": 0}'), [(False,)])
            self.assertIsNone(named())
            # a repeated copy changes nothing; a newer one wins
            self.assertEqual(on_shard(k, "SELECT privacybee.put_trust_edge_copy(%s, %s, %s)", viewer, person,
                                      '{"trusted": false, "version": 1}'), [(False,)])
            self.assertStatus(self.req("POST", f"/contacts/trust/{viewer}", pt, {"trusted": True}), 201)
            self.assertEqual(copies(k), [(True, 2)])
            self.assertEqual(named(), "Far")
            # a shard never takes a copy of an edge it holds itself, nor one for a member it does not
            self.assertEqual(on_shard(1 - k, "SELECT privacybee.put_trust_edge_copy(%s, %s, %s)", viewer,
                                      person, '{"trusted": true, "version": 9}'), [(False,)])
            self.assertEqual(on_shard(k, "SELECT privacybee.put_trust_edge_copy(%s, %s, %s)", person,
                                      viewer, '{"trusted": true, "version": 9}'), [(False,)])

    def test_encryption_identity_is_the_same_on_every_shard(self):
        (a, at), = members_on(1, 1)
        r = self.req("PUT", "/apps/buzz/encryption", at, {"hash": "h1", "e2e_id": "e1"})
        self.assertStatus(r, 200)
        for k in range(SHARDS):
            self.assertEqual(on_shard(k, "SELECT e2e_hash, e2e_id FROM privacybee.people WHERE id = %s", a),
                             [("h1", "e1")])

    def test_a_team_address_book_is_the_teams_rows_from_every_employees_shard(self):
        # CardDAV's /dav/<member>/team-<teamId>/ runs on the team's shard (shard=book),
        # whichever shard the member is on: a card one employee saves is the card every
        # coworker reads, a team contact on the team's shard only (its phones copied to the
        # other, then=announce_team_contacts), and it screens calls to an employee on either
        # shard. The home on the member's shard does not know the team book's counter: it
        # answers getctag and sync-token 404, and the book itself gives them. (A comment,
        # not a docstring: run.sh counts the lines "test_… ... ok".)
        sql("SELECT privacybee.add_buzz_numbers(%s)", [harness.fresh_phone() for _ in range(12)])
        scopes = ["contacts:read", "contacts:write", "teams.contacts.read", "teams.contacts.write"]
        while True:
            co = sql1("SELECT privacybee.create_company('Dav team', %s)", harness.unique("davco"))
            if shard_of(co) == 0:
                break
        account = sql1("SELECT id FROM privacybee.people WHERE team_of = %s", co)
        (far, far_t), = members_on(1, 1, scopes=scopes)       # not the team's shard
        (near, near_t), = members_on(0, 1, scopes=scopes)     # the team's shard
        receivers = [members_on(k, 1, scopes=["buzz"])[0] for k in range(SHARDS)]
        for uid in (far, near, *(r for r, _ in receivers)):
            sql("SELECT privacybee.add_employee(%s, %s)", co, uid)
        numbers = [self.buzz_number(t) for _, t in receivers]
        caller = harness.fresh_phone()
        card = (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:client\r\nFN:Client\r\n"
                f"TEL;TYPE=CELL:{caller}\r\nEND:VCARD\r\n").encode()
        self.assertEqual([self.lookup(n, caller).json["trusted"] for n in numbers], [False, False])
        r = self.req("PUT", f"/dav/{far}/team-{co}/client.vcf", far_t, raw=card,
                     headers={"Content-Type": "text/vcard"})
        self.assertStatus(r, 201)
        got = self.req("GET", f"/dav/{near}/team-{co}/client.vcf", near_t)
        self.assertStatus(got, 200)
        self.assertIn(b"\r\nFN:Client\r\n", got.data)
        self.assertEqual(on_shard(0, "SELECT display_name FROM privacybee.contacts WHERE user_id = %s", account),
                         [("Client",)])
        # the other shard holds the copy of its phones only
        self.assertEqual(on_shard(1, "SELECT display_name FROM privacybee.contacts WHERE user_id = %s", account),
                         [("",)])
        self.assertEqual([self.lookup(n, caller).json["trusted"] for n in numbers], [True, True])
        # the far member's home lists the book without the counter it does not hold
        propfind = ('<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop>'
                    '<cs:getctag/><d:sync-token/></d:prop></d:propfind>').encode()
        home = self.req("PROPFIND", f"/dav/{far}/", far_t, raw=propfind,
                        headers={"Depth": "1", "Content-Type": "application/xml"})
        self.assertStatus(home, 207)
        book = self.req("PROPFIND", f"/dav/{far}/team-{co}/", far_t, raw=propfind,
                        headers={"Depth": "0", "Content-Type": "application/xml"})
        self.assertStatus(book, 207)
        self.assertEqual(dav_props(home.data, f"/dav/{far}/team-{co}/"),
                         {"{http://calendarserver.org/ns/}getctag": "404", "{DAV:}sync-token": "404"})
        listed = dav_props(book.data, f"/dav/{far}/team-{co}/")
        self.assertEqual(set(listed.values()), {"200"})
        self.assertIn(f"urn:privacybee:sync:team-{co}:", book.data.decode())
        self.assertStatus(self.req("DELETE", f"/dav/{near}/team-{co}/client.vcf", near_t), 204)
        self.assertEqual(on_shard(1, "SELECT count(*) FROM privacybee.contacts WHERE user_id = %s", account),
                         [(0,)])
        self.assertEqual([self.lookup(n, caller).json["trusted"] for n in numbers], [False, False])
        self.assertEqual(sql("SELECT * FROM privacybee.trust_verify()"), [])

    def test_errors_come_through_the_proxy_as_the_shard_wrote_them(self):
        (a, at), = members_on(1, 1)
        self.assertError(self.req("GET", "/contacts/9999999", at), 404)
        self.assertEqual(self.req("GET", "/contacts/9999999", at).json["error"]["message"], "contact not found")
        r = self.req("POST", "/contacts/sync", at, [{"display_name": ""}])
        self.assertError(r, 400, "[0].display_name")
        self.assertError(self.req("GET", "/contacts", "pb_" + str(a) + "_" + "0" * 64), 401)

    def test_recompute_and_verify_run_on_every_shard_from_the_proxy(self):
        for k in range(SHARDS):
            (uid, token), = members_on(k, 1)
            self.req("POST", "/contacts/sync", token, [{"display_name": "T", "phone": [harness.fresh_phone()]}])
        before = [on_shard(k, "SELECT user_id, match_key FROM privacybee.trusted_numbers ORDER BY 1, 2")
                  for k in range(SHARDS)]
        self.assertTrue(all(before))
        self.assertEqual(sql("SELECT * FROM privacybee.trust_verify()"), [])
        written = sql1("SELECT privacybee.recompute_trust()")
        self.assertEqual(written, sum(len(b) for b in before))
        after = [on_shard(k, "SELECT user_id, match_key FROM privacybee.trusted_numbers ORDER BY 1, 2")
                 for k in range(SHARDS)]
        self.assertEqual(after, before)
        self.assertEqual(sql("SELECT * FROM privacybee.trust_verify()"), [])


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    print(f"openapi: {harness.openapi().checked} responses checked against the document")
    sys.exit(0 if result.wasSuccessful() else 1)
