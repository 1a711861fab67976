-- Rich contacts (SPEC §9) from SQL: details stored (normalised where matched, compact
-- where shown), the flat fields as their projection, validation by path, round trips,
-- companies, and phones in details feeding the trust graph.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SELECT privacybee.create_member('Rich', 'Owner', '+1 212 555 0101') AS me \gset
SELECT privacybee.create_member('Other', 'Owner') AS other \gset
SELECT privacybee.create_member('Known', 'Caller', '+1 305 555 0177') AS known \gset
SELECT privacybee.create_company('Initech', 'initech', '{}', NULL, NULL, 'crm-42') AS initech \gset

-- details in, the canonical form stored: keys only where there is a value, formatted
-- computed, the first entry primary when none is
SELECT cardinality(privacybee.sync_contacts(:me, '[
  {"external_id": "r-1", "details": {
     "name": {"given": "Beth", "family": "Miller", "prefix": ""},
     "emails": [{"type": "work", "value": "beth@initech.example"}, "beth@home.example"],
     "phone_numbers": [{"type": "mobile", "value": "(305) 555-0177", "e164": "+1 ignored"},
                       {"value": "+44 20 7946 0958", "primary": true}],
     "addresses": [{"type": "work", "street": "4120 Freidrich Ln", "city": "Austin",
                    "region": "TX", "postal_code": "78744", "country": "US", "formatted": "ignored"}],
     "birthday": {"month": 11, "day": 24},
     "dates": [{"type": "anniversary", "year": 2010, "month": 6, "day": 1}],
     "organizations": [{"name": "Initech", "title": "TPS reports", "start_date": "2019-01-07"}],
     "urls": ["https://initech.example/beth"], "ims": [{"type": "xmpp", "value": "beth@jabber"}],
     "related_people": [{"type": "manager", "value": "Bill Lumbergh"}],
     "notes": "Swingline stapler", "items": [{"type": "t-shirt", "value": "M"}]},
   "labels": ["Client", "client", "Austin"], "company_external_id": "crm-42"},
  {"display_name": "Flat Fred", "email": ["fred@example.com"], "phone": ["212-555-0199"],
   "address": ["1 Main St, Springfield"], "birthday": "--02-29", "labels": ["Austin"]}
]')) AS synced;
SELECT id AS beth FROM privacybee.contacts WHERE user_id = :me AND external_id = 'r-1' \gset
SELECT id AS fred FROM privacybee.contacts WHERE user_id = :me AND display_name = 'Flat Fred' \gset
SELECT display_name, company_id = :initech AS initech, jsonb_pretty(details) FROM privacybee.contacts WHERE id = :beth;
SELECT pos, value, type, is_primary FROM privacybee.contact_emails WHERE contact_id = :beth ORDER BY pos;
SELECT pos, raw, e164, match_key, type, is_primary FROM privacybee.contact_phones WHERE contact_id = :beth ORDER BY pos;
SELECT t.name, ct.pos FROM privacybee.contact_tags ct JOIN privacybee.tags t ON t.id = ct.tag_id
 WHERE ct.contact_id = :beth ORDER BY ct.pos;
SELECT name FROM privacybee.tags WHERE user_id = :me ORDER BY id;
SELECT external_id, display_name, birthday, emails, phones, addresses, labels
  FROM privacybee.contacts_flat WHERE user_id = :me ORDER BY id;

-- the rendering: every key of details, the flat fields its projection (ids and times
-- left out: they differ from run to run)
CREATE FUNCTION pg_temp.shown(j text) RETURNS text LANGUAGE sql AS $$
    SELECT regexp_replace(regexp_replace(j, '"(id|user_id|company_id)":[0-9]+', '"\1":…', 'g'),
                          '"(created|updated)":"[^"]*"', '"\1":"…"', 'g')
$$;
SELECT pg_temp.shown(privacybee.contact_json(:me, :fred));
SELECT pg_temp.shown(privacybee.contact_json(:me, :beth));

-- the view and the rendering agree on every contact
SELECT count(*) AS disagreements
  FROM privacybee.contacts_flat f,
       LATERAL (SELECT privacybee.contact_json(f.user_id, f.id)::jsonb AS j) r
 WHERE r.j -> 'email' IS DISTINCT FROM to_jsonb(f.emails)
    OR r.j -> 'phone' IS DISTINCT FROM to_jsonb(f.phones)
    OR r.j -> 'address' IS DISTINCT FROM to_jsonb(f.addresses)
    OR r.j -> 'labels' IS DISTINCT FROM to_jsonb(f.labels)
    OR r.j ->> 'birthday' IS DISTINCT FROM f.birthday;

-- a round trip: what GET shows, written back unchanged, changes nothing but the version
CREATE TEMP TABLE before AS
SELECT privacybee.contact_json(:me, id)::jsonb AS j FROM privacybee.contacts WHERE user_id = :me;
SELECT privacybee.update_contact(:me, (j ->> 'id')::bigint, j) IS NOT NULL AS written FROM before;
SELECT count(*) AS changed
  FROM before b
 WHERE privacybee.contact_json(:me, (b.j ->> 'id')::bigint)::jsonb - 'updated' - 'version'
       IS DISTINCT FROM b.j - 'updated';
-- the flat fields alone, written back, show the same: a phone's value is then its E.164
-- form, what the flat list shows
SELECT privacybee.update_contact(:me, :fred, privacybee.contact_json(:me, :fred)::jsonb - 'details')
       = :fred AS written;
SELECT a.j - 'updated' - 'details' = b.j - 'updated' - 'details' AS same_flat_fields,
       a.j #> '{details,phone_numbers}' AS phones_now
  FROM (SELECT privacybee.contact_json(:me, :fred)::jsonb AS j) a, before b
 WHERE (b.j ->> 'id')::bigint = :fred;

-- with details, the flat fields are ignored (even invalid ones); details keys absent stay
SELECT privacybee.update_contact(:me, :beth, '{"email": ["not an email"], "birthday": "never",
                                             "details": {"notes": "moved desks"}}') = :beth AS written;
SELECT details ->> 'notes' AS notes, details -> 'birthday' AS birthday
  FROM privacybee.contacts WHERE id = :beth;
SELECT value FROM privacybee.contact_emails WHERE contact_id = :beth ORDER BY pos;
-- null clears a part; details: null clears them all (the display_name stays)
SELECT privacybee.update_contact(:me, :beth, '{"details": {"urls": null, "notes": ""}}') = :beth;
SELECT details ? 'urls' AS urls, details ? 'notes' AS notes FROM privacybee.contacts WHERE id = :beth;

-- display_name: the name's parts joined when not given
SELECT privacybee.sync_contacts(:me, '[{"details": {"name": {"prefix": "Dr.", "given": "Ada", "family": "Byron"}}}]') IS NOT NULL;
SELECT display_name FROM privacybee.contacts WHERE user_id = :me AND details #>> '{name,given}' = 'Ada';
SELECT privacybee.sync_contacts(:me, '[{"details": {"name": {"given": ""}}}]');

-- birthdays: with and without a year, as a string or an object
CREATE FUNCTION pg_temp.birthday_after(u bigint, c bigint, b jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM privacybee.update_contact(u, c, b);
    RETURN (SELECT f.birthday FROM privacybee.contacts_flat f WHERE f.id = c);
END $$;
SELECT b AS given, pg_temp.birthday_after(:me, :fred, b) AS flat
  FROM (VALUES ('{"birthday": "1975-11-24"}'::jsonb), ('{"birthday": {"month": 2, "day": 29}}'),
               ('{"birthday": {"year": 2000, "month": 2, "day": 29}}'), ('{"birthday": "--12-31"}'),
               ('{"birthday": {"year": null, "month": 1, "day": 2}}'), ('{"birthday": null}')) AS v(b);

-- every bad field named by its path, nothing written
SELECT count(*) AS contacts_before FROM privacybee.contacts WHERE user_id = :me \gset
SELECT privacybee.sync_contacts(:me, '[{"display_name": "ok"}, {"display_name": "x", "details": {
   "emails": [{"value": "a@b.c"}, {"value": "nope"}, {"value": "c@d.e", "primary": true}, {"value": "f@g.h", "primary": true}],
   "phone_numbers": [{"type": 3, "value": "+1 212 555 0100"}, {"valeu": "1"}],
   "birthday": {"year": 2001, "month": 2, "day": 29},
   "dates": [{"month": 13, "day": 1}], "organizations": [{}], "addresses": [{"type": "home"}],
   "urls": [{"value": ""}], "name": {"nick": "x"}, "colour": "red"}},
  {"display_name": "y", "birthday": "--02-30", "company_id": 1, "company_external_id": "x",
   "email": [{"value": "ok@example.com", "kind": "home"}], "labels": ["", null]}]');
SELECT count(*) = :contacts_before AS nothing_written FROM privacybee.contacts WHERE user_id = :me;
-- a company that does not exist: 404 naming the field
SELECT privacybee.sync_contacts(:me, '[{"display_name": "a", "company_id": 999999999}, {"display_name": "b", "company_external_id": "nope"}]');
-- company_id: null clears it
SELECT privacybee.update_contact(:me, :fred, '{"company_id": null}') = :fred AS cleared;
SELECT company_id FROM privacybee.contacts WHERE id = :fred;

-- limits: a list of 101, a note of 10,001 characters
SELECT privacybee.update_contact(:me, :fred, jsonb_build_object('details', jsonb_build_object(
    'urls', (SELECT jsonb_agg('https://x.example/' || i) FROM generate_series(1, 101) i),
    'notes', repeat('n', 10001))));

-- another member's contact is not found, details or not
SELECT privacybee.update_contact(:other, :beth, '{"details": {"notes": "mine now"}}');

-- the trust graph: a phone in details is a phone (a contact's number rings through)
SELECT privacybee.trust_eval(:me, '+13055550177') AS beth_mobile_trusted;
SELECT count(*) AS materialised FROM privacybee.trusted_numbers
 WHERE user_id = :me AND match_key = '+13055550177';
SELECT privacybee.update_contact(:me, :beth, '{"details": {"phone_numbers": []}}') = :beth AS removed;
SELECT count(*) AS materialised FROM privacybee.trusted_numbers
 WHERE user_id = :me AND match_key = '+13055550177';
SELECT privacybee.sync_contacts(:me, '[{"display_name": "Typed", "phone": [{"type": "work", "value": "+1 305 555 0177"}]}]') IS NOT NULL;
SELECT count(*) AS materialised FROM privacybee.trusted_numbers
 WHERE user_id = :me AND match_key = '+13055550177';
SELECT count(*) AS trust_verify FROM privacybee.trust_verify();
