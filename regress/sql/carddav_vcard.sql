-- vCard reading and writing (SPEC §15, extension/vcard.c): what each vCard spelling maps
-- to on the contact of SPEC §9, what stays verbatim, and what is refused.

-- 3.0: folded lines (a space or a tab continues), escaping, typed items, a preferred
-- email, Apple's year-less birthday, unknown properties kept as their logical lines
SELECT jsonb_pretty(privacybee.vcard_parse(E'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u-1\r\nFN:Beth \r\n Miller\r\n'
    'N:Miller;Beth;Ann;Dr.;PhD\r\nEMAIL;TYPE=INTERNET,WORK:b@work.example\r\n'
    'EMAIL;TYPE=INTERNET;TYPE=HOME;TYPE=PREF:b@home.example\r\nTEL;TYPE=CELL:+1 212 555 0199\r\n'
    'TEL;TYPE=WORK,VOICE:(212) 555-0123\r\nADR;TYPE=HOME:PO Box 7;Apt 2;1 Main St;Atlanta;GA;30303;US\r\n'
    'BDAY;X-APPLE-OMIT-YEAR=1604:1604-11-24\r\nORG:Acme\\, Inc.;Sales;East\r\nTITLE:Manager\r\n'
    'URL;TYPE=WORK:https://acme.example/a,b\r\nIMPP;TYPE=HOME:xmpp:beth@jabber.example\r\n'
    'NOTE:line one\\nline two\\; and\\, more\\\\\r\nCATEGORIES:Client,VIP\\,Gold\r\n'
    'X-ABRELATEDNAMES;TYPE=spouse:Sam\r\nX-UNKNOWN;X-P="a;b":value\r\n\tcontinued\r\n'
    'item1.X-ABLabel:_$!<Other>!$_\r\nREV:2020-01-01T00:00:00Z\r\nPRODID:-//Apple Inc.//iOS 17//EN\r\nEND:VCARD\r\n'));

-- 4.0 with LF line ends: BDAY without a year as --MMDD, PREF=1, a tel: URI, RELATED as text
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:4.0\nFN:Kim\nBDAY:--0229\n'
    'TEL;VALUE=uri;TYPE=home;PREF=1:tel:+44-20-7946-0958\nTEL;TYPE=work:+44 20 7946 0000\n'
    'RELATED;VALUE=text;TYPE=friend:Jo\nRELATED:urn:uuid:1234\nEND:VCARD\n') -> 'contact' AS four_zero,
       privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:4.0\nFN:Kim\nRELATED:urn:uuid:1234\nEND:VCARD\n') ->> 'extra' AS related_uri_kept;

-- birthdays: every spelling with and without a year; one that is none stays verbatim
SELECT b AS bday, privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:3.0\nFN:X\nBDAY' || b || E'\nEND:VCARD\n')
           #> '{contact,details,birthday}' AS birthday,
       privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:3.0\nFN:X\nBDAY' || b || E'\nEND:VCARD\n') ->> 'extra' AS kept
  FROM unnest(ARRAY[':1975-11-24', ':19751124', ':--1124', ':--11-24', ':1975-11-24T10:00:00Z',
                    ';X-APPLE-OMIT-YEAR=1604:1604-02-29', ';VALUE=text:circa 1800', ':1975-13-01']) AS b;

-- 2.1 quoted-printable with soft line breaks, UTF-8, bare parameters (TEL;HOME;VOICE)
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=\r\n'
    '=C3=BCrgen;;;\r\nFN;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:J=C3=BCrgen M=C3=BCller\r\n'
    'TEL;HOME;VOICE:030 1234567\r\nNOTE;QUOTED-PRINTABLE:first=0D=0Asecond=\r\n line\r\nEND:VCARD\r\n') -> 'contact' AS two_one;

-- an inline PHOTO: 3.0's ENCODING=b (folded base64 joined) and 4.0's data: URI come as
-- photo (SQL stores it when it is an image it reads); one by URL stays verbatim
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:P\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\n SkZJRg==\r\nEND:VCARD\r\n') -> 'photo' AS three,
       privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:4.0\nFN:P\nPHOTO:data:image/png;base64,iVBORw0K\nEND:VCARD\n') #>> '{photo,base64}' AS four,
       privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:4.0\nFN:P\nPHOTO:https://x.example/p.jpg\nEND:VCARD\n') ->> 'extra' AS by_url;

-- no FN: no display_name, so a new contact's is its name parts joined (SPEC §9); nothing
-- names it: another field does
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:3.0\nN:Doe;Jane;;;\nEND:VCARD\n') -> 'contact' ? 'display_name' AS has_display_name,
       privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:3.0\nN:;;;;\nEMAIL:x@y.example\nEND:VCARD\n') #> '{contact,display_name}' AS from_email,
       privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:3.0\nEND:VCARD\n') #> '{contact,display_name}' AS from_nothing;

-- what is not one vCard is refused (PT400), with what is wrong
\set VERBOSITY terse
SELECT privacybee.vcard_parse('');
SELECT privacybee.vcard_parse(E'VERSION:3.0\nFN:x\nEND:VCARD\n');
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:3.0\nFN:x\n');
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\nFN:x\nEND:VCARD\n');
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:5.0\nFN:x\nEND:VCARD\n');
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:3.0\nFN:x\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:y\nEND:VCARD\n');
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:3.0\nFN x\nEND:VCARD\n');
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:3.0\n;x=1:y\nEND:VCARD\n');
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:2.1\nFN;ENCODING=QUOTED-PRINTABLE:a=ZZb\nEND:VCARD\n');
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:2.1\nFN;ENCODING=QUOTED-PRINTABLE:a=E9b\nEND:VCARD\n');
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=ISO-8859-1:abc\nEND:VCARD\n');
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\nVERSION:3.0\nX-A;P="open:v\nEND:VCARD\n');
\set VERBOSITY default

-- writing: 3.0 and 4.0 of one contact, folded at 75 octets without splitting a
-- character, text escaped, the birthday without a year in each version's way
SELECT v, privacybee.vcard_render(
    '{"display_name": "Zoë, the Ünïcödé; name", "labels": ["A,B", "C"],
      "details": {"name": {"given": "Zoë", "family": "Ü"},
                  "emails": [{"type": "home", "value": "z@example.com", "primary": false},
                             {"type": null, "value": "z2@example.com", "primary": true}],
                  "phone_numbers": [{"type": "mobile", "value": "+1 212 555 0100", "primary": true},
                                    {"type": "home", "value": "tel:+12125550101", "primary": false}],
                  "addresses": [{"type": "work", "street": "1 Main; St", "city": "Paris", "country": "FR"}],
                  "birthday": {"year": null, "month": 2, "day": 29},
                  "organizations": [{"name": "Acme", "department": "R&D", "title": "Boss"}],
                  "urls": [{"type": null, "value": "https://example.com/a,b"}],
                  "related_people": [{"type": "spouse", "value": "Sam"}],
                  "notes": "ééééééééééééééééééééééééééééééééééééééééééééééééééé two\nlines"}}',
    'uid-9', E'X-KEPT:as it came\r\nitem1.X-ABLabel:home\r\n', v, '2026-01-02T03:04:05Z') AS card
  FROM unnest(ARRAY['3.0', '4.0']) AS v;

-- a year in each version
SELECT privacybee.vcard_render('{"display_name": "Y", "details": {"birthday": {"year": 1975, "month": 11, "day": 24}}}',
                               'u', NULL, v, NULL) AS card
  FROM unnest(ARRAY['3.0', '4.0']) AS v;

-- round trip: what vcard_parse reads of a card it wrote is what it wrote
SELECT privacybee.vcard_parse(privacybee.vcard_render(
           (privacybee.vcard_parse(c) -> 'contact'), 'u', privacybee.vcard_parse(c) ->> 'extra', '3.0', NULL)) -> 'contact'
       = privacybee.vcard_parse(c) -> 'contact' || '{"external_id": "u"}' AS same_contact,
       privacybee.vcard_parse(privacybee.vcard_render(
           (privacybee.vcard_parse(c) -> 'contact'), 'u', privacybee.vcard_parse(c) ->> 'extra', '4.0', NULL)) ->> 'extra'
       = privacybee.vcard_parse(c) ->> 'extra' AS same_extra
  FROM (SELECT E'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\\, B\r\nN:B;A;;;\r\nEMAIL;TYPE=WORK:a@b.example\r\n'
               'TEL;TYPE=CELL:+12125550100\r\nNOTE:x\\ny\r\nX-Z:keep\r\nEND:VCARD\r\n' AS c) AS t;

-- WebDAV codecs: a name in an href and back; XML text
SELECT privacybee.dav_name_encode('a b/ü%.vcf') AS encoded,
       privacybee.dav_name_decode(privacybee.dav_name_encode('a b/ü%.vcf')) AS decoded,
       privacybee.dav_name_decode('bad%zz') AS bad_escape,
       privacybee.dav_name_decode('ctl%0A') AS control,
       privacybee.dav_name_decode('%FF') AS not_utf8,
       privacybee.xml_text(E'<a href="x">&\r\n</a>') AS xml;
