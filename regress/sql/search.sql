-- Search (SPEC §9): the query syntax as parsed (contact_query_plan), its errors, what
-- each element finds, structured filters per operator, and the plans: every operator
-- and a two-word query use the indexes, never a sequential scan of contacts (or of
-- contact_emails, contact_phones, contact_tags), in a database of 12,000 contacts.
\set SHOW_CONTEXT never
SET client_min_messages = warning;

-- the syntax, parsed: what each element becomes
SELECT q, privacybee.contact_query_plan(q) AS plan
  FROM (VALUES ('jo smi'), ('jo AND smi'), ('jo OR smi'), ('-jo'), ('NOT jo'), ('jo -(smi OR x)'),
               ('"john smi"'), ('name:jo'), ('email:gmail'), ('tag:vip'), ('company:acme title:cto'),
               ('note:"red stapler"'), ('address:(austin OR dallas)'), ('phone:555'), ('phone:55'),
               ('555-1629'), ('+1'), ('O''Brien'), ('jean-luc'), ('José NÚÑEZ'), ('Straße'),
               ('bethm@example.com'), ('a OR b c'), ('and or not'), ('10:30'), ('ＡＢＣ'),
               ('١٢٣٤')) AS v(q);

-- malformed: 400 saying where
SELECT q, (SELECT privacybee.contact_query_plan(q)) FROM (VALUES ('(jo')) AS v(q);
SELECT privacybee.contact_query_plan('jo)');
SELECT privacybee.contact_query_plan('()');
SELECT privacybee.contact_query_plan('"jo');
SELECT privacybee.contact_query_plan('OR jo');
SELECT privacybee.contact_query_plan('jo OR');
SELECT privacybee.contact_query_plan('jo AND');
SELECT privacybee.contact_query_plan('jo NOT');
SELECT privacybee.contact_query_plan('jo -');
SELECT privacybee.contact_query_plan('nick:jo');
SELECT privacybee.contact_query_plan('name: jo');
SELECT privacybee.contact_query_plan('');
SELECT privacybee.contact_query_plan('@@ !!');
SELECT privacybee.contact_query_plan(repeat('(', 17) || 'a' || repeat(')', 17));
SELECT privacybee.contact_query_plan(repeat('a ', 33));
SELECT privacybee.contact_query_plan(repeat('a', 501));

-- a member with contacts to find, among others'
SELECT privacybee.create_member('Finder', 'One', '+1 212 555 0111') AS me \gset
SELECT privacybee.create_member('Other', 'One') AS other \gset
SELECT privacybee.create_company('Initech', 'initech-search') AS initech \gset
SELECT cardinality(privacybee.sync_contacts(:me, format('[
  {"external_id": "s-1", "display_name": "John Smith", "labels": ["VIP"], "company_id": %s,
   "details": {"emails": ["john.smith@gmail.com"], "phone_numbers": ["+1 238 555 1629"],
               "organizations": [{"name": "Initech", "title": "CTO"}], "notes": "Likes the red stapler",
               "addresses": [{"city": "Austin", "region": "TX"}]}},
  {"external_id": "s-2", "display_name": "José Núñez", "email": ["jose@example.com"],
   "phone": ["(212) 555-0199"], "labels": ["Client"]},
  {"external_id": "S-3", "display_name": "Jo Smithers", "labels": ["vip", "Client"],
   "details": {"emails": ["jo@initech.example"], "notes": "stapler"}},
  {"display_name": "Mary O''Brien",
   "details": {"phone_numbers": ["+44 20 7946 0958"], "organizations": [{"name": "Acme", "title": "Engineer"}],
               "addresses": [{"street": "1 Dallas Rd", "city": "Springfield"}]}}]', :initech)::jsonb)) AS synced;
SELECT cardinality(privacybee.sync_contacts(:other, '[{"display_name": "John Smith", "phone": ["+1 238 555 1629"]}]')) AS theirs;

CREATE FUNCTION pg_temp.found(uid bigint, q text) RETURNS text LANGUAGE sql AS $$
    SELECT COALESCE(string_agg(c.display_name, ', ' ORDER BY u.ord), '') || ' (' || f.total || ')'
      FROM privacybee.contacts_fulltext(uid, q, NULL, NULL, 100) AS f
      LEFT JOIN LATERAL unnest(f.ids) WITH ORDINALITY AS u(id, ord) ON true
      LEFT JOIN privacybee.contacts c ON c.user_id = uid AND c.id = u.id
     GROUP BY f.total
$$;
SELECT q, pg_temp.found(:me, q) AS found
  FROM (VALUES ('jo smi'), ('john'), ('smith'), ('jo'), ('jo OR mary'), ('jo -smithers'), ('NOT jo'),
               ('"john smith"'), ('"smith john"'), ('name:initech'), ('company:initech'), ('initech'),
               ('title:cto'), ('note:stapler'), ('stapler -red'), ('"red stapler"'), ('address:austin'),
               ('dallas'), ('tag:vip'), ('vip'), ('tag:client tag:vip'), ('email:gmail'), ('gmail.com'),
               ('john.smith@gmail'), ('555'), ('5551629'), ('555-1629'), ('238 555'), ('phone:1629'),
               ('+44'), ('2079'), ('jose'), ('JOSÉ'), ('nunez'), ('NÚÑEZ'), ('o''brien'), ('obrien'),
               ('(john OR jose) tag:client'), ('client'), ('nobody')) AS v(q);

-- ranked by relevance, then id; a keyset page goes on where the last stopped
SELECT f.total, cardinality(f.ids) AS shown FROM privacybee.contacts_fulltext(:me, 'jo OR mary', NULL, NULL, 2) AS f;
SELECT (SELECT string_agg(c.display_name, ', ' ORDER BY u.o) FROM unnest(n.ids) WITH ORDINALITY u(id, o)
          JOIN privacybee.contacts c ON c.id = u.id) AS next_page, n.total
  FROM privacybee.contacts_fulltext(:me, 'jo OR mary', NULL, NULL, 2) AS f,
       privacybee.contacts_fulltext(:me, 'jo OR mary', f.ranks[2], f.ids[2], 2) AS n;

-- structured filters: each operator
CREATE FUNCTION pg_temp.filtered(uid bigint, filter jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT COALESCE(string_agg(c.display_name, ', ' ORDER BY c.id), '') || ' (' || f.total || ')'
      FROM privacybee.contacts_filter(uid, filter, 0, 100) AS f
      LEFT JOIN LATERAL unnest(f.ids) AS u(id) ON true
      LEFT JOIN privacybee.contacts c ON c.user_id = uid AND c.id = u.id
     GROUP BY f.total
$$;
SELECT id AS john FROM privacybee.contacts WHERE user_id = :me AND external_id = 's-1' \gset
SELECT id AS vip FROM privacybee.tags WHERE user_id = :me AND name = 'VIP' \gset
SELECT filter, pg_temp.filtered(:me, replace(replace(replace(filter, '$john', :'john'), '$vip', :'vip'),
                                                 '$initech', :'initech')::jsonb) AS found
  FROM (VALUES
    ('{"field": "id", "operator": "equals", "value": $john}'),
    ('{"field": "id", "operator": "in", "values": [$john, "$john", 1e1]}'),
    ('{"field": "id", "operator": "not_in", "values": [$john]}'),
    ('{"field": "company_id", "operator": "equals", "value": $initech}'),
    ('{"field": "company_id", "operator": "not_in", "values": [$initech]}'),
    ('{"field": "tag", "operator": "in", "values": [$vip]}'),
    ('{"field": "tag", "operator": "not_in", "values": [$vip]}'),
    ('{"field": "email", "operator": "equals", "value": "JOHN.SMITH@gmail.com"}'),
    ('{"field": "email", "operator": "in", "values": ["jo@initech.example", "x@y.z"]}'),
    ('{"field": "email", "operator": "not_in", "values": ["jo@initech.example"]}'),
    ('{"field": "email", "operator": "string_contains", "value": "INITECH"}'),
    ('{"field": "email", "operator": "string_contains", "value": "_"}'),
    ('{"field": "display_name", "operator": "equals", "value": "john smith"}'),
    ('{"field": "display_name", "operator": "string_contains", "value": "SMITH"}'),
    ('{"field": "display_name", "operator": "string_contains", "value": "%"}'),
    ('{"field": "external_id", "operator": "equals", "value": "s-3"}'),
    ('{"field": "external_id", "operator": "equals", "value": "S-3"}'),
    ('{"field": "external_id", "operator": "string_contains", "value": "s-"}'),
    ('{"field": "phone", "operator": "equals", "value": "238-555-1629"}'),
    ('{"field": "phone", "operator": "in", "values": ["+442079460958", "212 555 0199"]}'),
    ('{"field": "phone", "operator": "not_in", "values": ["+1 238 555 1629"]}'),
    ('{"field": "updated", "operator": "gte", "value": "2000-01-01T00:00:00Z"}'),
    ('{"field": "created", "operator": "lt", "value": "2000-01-01T00:00:00+02:00"}'),
    ('{"operator": "or", "subfilters": [{"field": "email", "operator": "string_contains", "value": "gmail"},
                                        {"field": "display_name", "operator": "string_contains", "value": "brien"}]}'),
    ('{"operator": "and", "subfilters": [{"field": "tag", "operator": "equals", "value": $vip},
            {"operator": "or", "subfilters": [{"field": "display_name", "operator": "string_contains", "value": "jo"},
                                              {"field": "id", "operator": "equals", "value": $john}]}]}')
  ) AS v(filter);

-- every problem of a filter named by its path
SELECT pg_temp.filtered(:me, '{"operator": "and", "subfilters": [
    {"field": "emal", "operator": "equals", "value": "x"},
    {"field": "id", "operator": "string_contains", "value": "1"},
    {"field": "tag", "operator": "in", "value": 1},
    {"field": "id", "operator": "equals", "value": "abc"},
    {"field": "id", "operator": "in", "values": [1, 1e20, -1]},
    {"field": "phone", "operator": "equals", "value": "not a phone"},
    {"field": "updated", "operator": "gt", "value": "yesterday"},
    {"field": "email", "operator": "in", "values": []},
    {"operator": "xor", "subfilters": []},
    {"field": "id", "operator": "equals", "value": 1, "colour": "red"}]}');
SELECT pg_temp.filtered(:me, '{"operator": "or", "subfilters": [{"operator": "or", "subfilters": [{"operator": "or",
    "subfilters": [{"operator": "or", "subfilters": [{"operator": "or", "subfilters": [{"operator": "or",
    "subfilters": [{"field": "id", "operator": "equals", "value": 1}]}]}]}]}]}]}');
SELECT pg_temp.filtered(:me, '[]');
-- another member's contacts are never found
SELECT pg_temp.filtered(:other, format('{"field": "id", "operator": "equals", "value": %s}', :john)::jsonb);

-- the plans, in a database of 12,000 contacts (60 members of 200): an index for every
-- operator and for a two-word query, never a sequential scan
SELECT count(*) AS members FROM (
    SELECT privacybee.sync_contacts(privacybee.create_member('Bulk', m::text, NULL),
        (SELECT jsonb_agg(jsonb_build_object('display_name', 'Person ' || m || '-' || i,
                'external_id', 'b' || i, 'labels', jsonb_build_array('group ' || (i % 7)),
                'details', jsonb_build_object('notes', 'note ' || i,
                    'emails', jsonb_build_array('p' || i || '@host' || m || '.example'),
                    'phone_numbers', jsonb_build_array('+1 646 ' || lpad((m * 1000 + i)::text, 7, '2')))))
           FROM generate_series(1, 200) i))
      FROM generate_series(1, 60) m) AS s;
ANALYZE privacybee.contacts, privacybee.contact_emails, privacybee.contact_phones,
        privacybee.contact_tags, privacybee.tags;
CREATE FUNCTION pg_temp.indexed(plan text) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN plan ~ 'Seq Scan on (contacts|contact_emails|contact_phones|contact_tags|tags)\M'
                THEN E'SEQUENTIAL SCAN:\n' || plan
                WHEN plan !~ 'Index' THEN E'NO INDEX:\n' || plan
                ELSE 'by index' END
$$;
SELECT q, pg_temp.indexed(privacybee.contacts_fulltext_explain(:me, q)) AS plan
  FROM (VALUES ('jo smi'), ('name:jo email:gmail'), ('555'), ('john -smith'), ('"red stapler"'),
               ('(jo OR mary) tag:vip')) AS v(q);
SELECT f ->> 'field' AS field, f ->> 'operator' AS operator,
       pg_temp.indexed(privacybee.contacts_filter_explain(:me, f)) AS plan
  FROM (VALUES
    (format('{"field": "id", "operator": "equals", "value": %s}', :john)),
    (format('{"field": "id", "operator": "in", "values": [%s, 2]}', :john)),
    (format('{"field": "id", "operator": "not_in", "values": [%s]}', :john)),
    (format('{"field": "company_id", "operator": "equals", "value": %s}', :initech)),
    (format('{"field": "company_id", "operator": "in", "values": [%s]}', :initech)),
    (format('{"field": "company_id", "operator": "not_in", "values": [%s]}', :initech)),
    (format('{"field": "tag", "operator": "equals", "value": %s}', :vip)),
    (format('{"field": "tag", "operator": "in", "values": [%s]}', :vip)),
    (format('{"field": "tag", "operator": "not_in", "values": [%s]}', :vip)),
    ('{"field": "email", "operator": "equals", "value": "jo@initech.example"}'),
    ('{"field": "email", "operator": "in", "values": ["jo@initech.example"]}'),
    ('{"field": "email", "operator": "not_in", "values": ["jo@initech.example"]}'),
    ('{"field": "email", "operator": "string_contains", "value": "initech"}'),
    ('{"field": "display_name", "operator": "equals", "value": "jo smithers"}'),
    ('{"field": "display_name", "operator": "in", "values": ["jo smithers"]}'),
    ('{"field": "display_name", "operator": "not_in", "values": ["jo smithers"]}'),
    ('{"field": "display_name", "operator": "string_contains", "value": "smith"}'),
    ('{"field": "external_id", "operator": "equals", "value": "s-1"}'),
    ('{"field": "external_id", "operator": "in", "values": ["s-1"]}'),
    ('{"field": "external_id", "operator": "not_in", "values": ["s-1"]}'),
    ('{"field": "external_id", "operator": "string_contains", "value": "s-1"}'),
    ('{"field": "phone", "operator": "equals", "value": "+12385551629"}'),
    ('{"field": "phone", "operator": "in", "values": ["+12385551629"]}'),
    ('{"field": "phone", "operator": "not_in", "values": ["+12385551629"]}'),
    ('{"field": "updated", "operator": "gt", "value": "2000-01-01T00:00:00Z"}'),
    ('{"field": "updated", "operator": "lte", "value": "2000-01-01T00:00:00Z"}'),
    ('{"field": "created", "operator": "gte", "value": "2000-01-01T00:00:00Z"}'),
    ('{"field": "created", "operator": "lt", "value": "2000-01-01T00:00:00Z"}')
  ) AS v(f0), LATERAL (SELECT f0::jsonb AS f) AS x;

-- a search runs for the member the transaction acts for only (its statement bypasses
-- the policies that would keep its conditions off the indexes)
SELECT privacybee.issue_token(:me, '{contacts:read}') AS tok \gset
\set VERBOSITY terse
BEGIN;
SELECT privacybee.authenticate(:'tok', 'contacts:read') = :me AS acting_for_me;
SELECT f.total FROM privacybee.contacts_fulltext(:me, 'jo', NULL, NULL, 10) AS f;
SELECT f.total FROM privacybee.contacts_fulltext(:other, 'jo', NULL, NULL, 10) AS f;
ROLLBACK;
BEGIN;
SELECT privacybee.authenticate(:'tok', 'contacts:read') = :me AS acting_for_me;
SELECT f.total FROM privacybee.contacts_filter(:other, '{"field": "id", "operator": "in", "values": [1]}', 0, 10) AS f;
ROLLBACK;
\set VERBOSITY default
