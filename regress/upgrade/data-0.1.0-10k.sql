-- A member with 10,000 contacts, written by 0.1.0's sync_contacts in batches of 1,000:
-- emails (one or two), phones (one or two, some not numbers), addresses, birthdays,
-- labels (shared ones, spelled in different cases, and a contact with a label twice).
-- regress/upgrade/run.sh loads it before updating, and times the update.
SET client_min_messages = warning;

SELECT privacybee.create_member('Many', 'Contacts', '+1 415 555 0100') AS many \gset
SELECT cardinality(privacybee.sync_contacts(:many, (
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'external_id', 'bulk-' || i,
        'display_name', 'Contact ' || i || CASE WHEN i % 7 = 0 THEN ' Ñúñez' ELSE '' END,
        'birthday', CASE WHEN i % 3 = 0 THEN pg_catalog.to_char(date '1950-01-01' + i, 'YYYY-MM-DD') END,
        'emails', pg_catalog.jsonb_build_array('c' || i || '@example.com')
                  || CASE WHEN i % 2 = 0 THEN pg_catalog.jsonb_build_array('Alt.' || i || '@Example.org')
                          ELSE '[]' END,
        'phone_numbers', pg_catalog.jsonb_build_array('(415) 2' || pg_catalog.lpad(i::text, 2 + 4, '0'))
                  || CASE WHEN i % 5 = 0 THEN pg_catalog.jsonb_build_array('ext. ' || i)
                          ELSE '[]' END,
        'addresses', CASE WHEN i % 4 = 0 THEN pg_catalog.jsonb_build_array(i || ' Market St, San Francisco, CA')
                          ELSE '[]' END,
        'labels', pg_catalog.jsonb_build_array('Group ' || i % 17)
                  || CASE i % 5 WHEN 0 THEN '["VIP"]' WHEN 1 THEN '["vip"]' ELSE '[]' END::jsonb
                  || CASE WHEN i % 1000 = 0 THEN '["twice", "Twice"]' ELSE '[]' END::jsonb)))
      FROM pg_catalog.generate_series(b * 1000 + 1, b * 1000 + 1000) AS i)))
  FROM pg_catalog.generate_series(0, 9) AS b;
