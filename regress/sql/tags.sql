-- Tags (SPEC §9) through their route functions: create (201, or 200 with the tag of that
-- name whatever its case), list with a keyset cursor, get with ETag / If-None-Match,
-- rename (409 on another tag's name), delete, and POST /contacts/tags, atomic and 404
-- naming what is not the caller's; a tag's change moves its contacts.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SELECT privacybee.create_member('Tagger', 'One') AS me \gset
SELECT privacybee.create_member('Tagger', 'Two') AS other \gset
SELECT privacybee.issue_token(:me, '{contacts:read,contacts:write}') AS tok \gset
SELECT privacybee.issue_token(:other, '{contacts:read,contacts:write}') AS other_tok \gset
SELECT privacybee.issue_token(:me, '{contacts:read}') AS read_tok \gset
CREATE FUNCTION pg_temp.call(r privacybee.http_response) RETURNS text LANGUAGE sql AS $$
    SELECT r.status || ' ' || COALESCE(regexp_replace(regexp_replace(regexp_replace(r.body,
               '"(created|updated)":"[^"]*"', '"\1":"…"', 'g'), '"id":[0-9]+', '"id":…', 'g'),
               '"(user_id|company_id)":[0-9]+', '"\1":…', 'g'), '')
           || COALESCE(E'\n' || regexp_replace(r.headers, 'cursor=[^>]*', 'cursor=…'), '')
$$;

SELECT pg_temp.call(privacybee.api_tag_create(:'tok', '', '{}', '{"name": "Clients"}', NULL));
SELECT pg_temp.call(privacybee.api_tag_create(:'tok', '', '{}', '{"name": "CLIENTS", "id": 99, "contact_count": 5}', NULL));
SELECT pg_temp.call(privacybee.api_tag_create(:'tok', '', '{}', '{"name": "Friends"}', NULL));
SELECT pg_temp.call(privacybee.api_tag_create(:'other_tok', '', '{}', '{"name": "Clients"}', NULL));
-- bad bodies: 400 naming the field; a read token: 403
SELECT pg_temp.call(privacybee.api_tag_create(:'tok', '', '{}', '{"name": ""}', NULL));
SELECT pg_temp.call(privacybee.api_tag_create(:'tok', '', '{}', '{"name": 7}', NULL));
SELECT pg_temp.call(privacybee.api_tag_create(:'tok', '', '{}', format('{"name": "%s"}', repeat('x', 65))::jsonb, NULL));
SELECT pg_temp.call(privacybee.api_tag_create(:'tok', '', '{}', '{"nam": "x"}', NULL));
SELECT pg_temp.call(privacybee.api_tag_create(:'tok', '', '{}', '{}', NULL));
SELECT pg_temp.call(privacybee.api_tag_create(:'read_tok', '', '{}', '{"name": "x"}', NULL));

SELECT id AS clients FROM privacybee.tags WHERE user_id = :me AND name = 'Clients' \gset
SELECT id AS friends FROM privacybee.tags WHERE user_id = :me AND name = 'Friends' \gset
SELECT id AS theirs FROM privacybee.tags WHERE user_id = :other \gset

-- list, a page at a time
SELECT pg_temp.call(privacybee.api_tags_list(:'tok', '', '{"limit": "1"}', NULL, NULL));
SELECT privacybee.cursor_encode(NULL, :clients) AS cur \gset
SELECT pg_temp.call(privacybee.api_tags_list(:'tok', '', jsonb_build_object('limit', '1', 'cursor', :'cur'), NULL, NULL));
SELECT pg_temp.call(privacybee.api_tags_list(:'tok', '', '{"limit": "0"}', NULL, NULL));
SELECT pg_temp.call(privacybee.api_tags_list(:'tok', '', '{"cursor": "junk"}', NULL, NULL));

-- get: ETag, 304; another member's tag, a missing one: 404
SELECT pg_temp.call(privacybee.api_tag_get(:'tok', :'clients', '{}', NULL, NULL));
SELECT pg_temp.call(privacybee.api_tag_get(:'tok', :'clients', '{}', NULL, NULL, '"v1.0"'));
SELECT pg_temp.call(privacybee.api_tag_get(:'tok', :'theirs', '{}', NULL, NULL));
SELECT pg_temp.call(privacybee.api_tag_get(:'tok', '99999999999999999999', '{}', NULL, NULL));

-- contacts carry tags through their labels
SELECT cardinality(privacybee.sync_contacts(:me, '[{"external_id": "a", "display_name": "Ann", "labels": ["clients"]},
                                                   {"external_id": "b", "display_name": "Bob"}]')) AS synced;
SELECT id AS ann FROM privacybee.contacts WHERE user_id = :me AND external_id = 'a' \gset
SELECT id AS bob FROM privacybee.contacts WHERE user_id = :me AND external_id = 'b' \gset
SELECT pg_temp.call(privacybee.api_tag_get(:'tok', :'clients', '{}', NULL, NULL));

-- POST /contacts/tags: add and remove, atomic; 404 naming every foreign id
SELECT pg_temp.call(privacybee.api_contacts_tags(:'tok', '', '{}',
    format('{"contact_ids": [%s, 999999999], "add": [%s, %s], "remove": []}', :ann, :friends, :theirs)::jsonb, NULL));
SELECT pg_temp.call(privacybee.api_contacts_tags(:'tok', '', '{}', '{"contact_ids": [], "add": [1]}', NULL));
SELECT pg_temp.call(privacybee.api_contacts_tags(:'tok', '', '{}', format('{"contact_ids": [%s]}', :ann)::jsonb, NULL));
SELECT pg_temp.call(privacybee.api_contacts_tags(:'tok', '', '{}',
    format('{"contact_ids": [%s, "x"], "add": [%s]}', :ann, :friends)::jsonb, NULL));
SELECT pg_temp.call(privacybee.api_contacts_tags(:'tok', '', '{}',
    format('{"contact_ids": [%s], "add": [%s], "remove": [%s]}', :ann, :friends, :friends)::jsonb, NULL));
SELECT version AS ann_version FROM privacybee.contacts WHERE id = :ann \gset
SELECT jsonb_path_query_array((privacybee.api_contacts_tags(:'tok', '', '{}',
    format('{"contact_ids": [%s, %s, %s], "add": [%s], "remove": [%s]}', :bob, :ann, :bob, :friends, :clients)::jsonb,
    NULL)).body::jsonb, '$[*].labels') AS labels_after;
SELECT (privacybee.api_contacts_tags(:'tok', '', '{}',
    format('{"contact_ids": [%s], "add": [%s]}', :ann, :friends)::jsonb, NULL)).body::jsonb -> 0 -> 'labels' AS nothing_new;
SELECT version - :ann_version AS ann_moved FROM privacybee.contacts WHERE id = :ann;

-- rename: contacts show the new name, and move; another tag's name is 409
SELECT pg_temp.call(privacybee.api_tag_update(:'tok', :'friends', '{}', '{"name": "clients"}', NULL));
SELECT pg_temp.call(privacybee.api_tag_update(:'tok', :'friends', '{}', '{"name": "Pals"}', '"v1.0"'));
SELECT etag AS friends_etag FROM privacybee.tags_render(:me, ARRAY[:friends]::bigint[]) \gset
SELECT pg_temp.call(privacybee.api_tag_update(:'tok', :'friends', '{}', '{"name": "Pals"}', :'friends_etag'));
SELECT labels FROM privacybee.contacts_flat WHERE user_id = :me ORDER BY id;
SELECT count(*) AS found_by_new_name FROM privacybee.contacts_fulltext(:me, 'tag:pals', NULL, NULL, 10) f, unnest(f.ids);
SELECT pg_temp.call(privacybee.api_tag_update(:'tok', :'theirs', '{}', '{"name": "mine"}', NULL));
SELECT pg_temp.call(privacybee.api_tag_update(:'tok', :'friends', '{}', '{"name": null}', NULL));

-- delete: gone from its contacts, which move
SELECT version AS bob_version FROM privacybee.contacts WHERE id = :bob \gset
SELECT pg_temp.call(privacybee.api_tag_delete(:'tok', :'friends', '{}', NULL, '"v9.9"'));
SELECT pg_temp.call(privacybee.api_tag_delete(:'tok', :'friends', '{}', NULL, NULL));
SELECT labels FROM privacybee.contacts_flat WHERE user_id = :me ORDER BY id;
SELECT version - :bob_version AS bob_moved FROM privacybee.contacts WHERE id = :bob;
SELECT pg_temp.call(privacybee.api_tag_delete(:'tok', :'friends', '{}', NULL, NULL));
SELECT pg_temp.call(privacybee.api_tag_delete(:'tok', :'theirs', '{}', NULL, NULL));
-- at most 50 tags on a contact
SELECT count(*) FROM (SELECT privacybee.api_tag_create(:'tok', '', '{}', jsonb_build_object('name', 'bulk ' || i), NULL)
                        FROM generate_series(1, 51) i) AS s;
SELECT (privacybee.api_contacts_tags(:'tok', '', '{}', jsonb_build_object('contact_ids', jsonb_build_array(:ann),
    'add', (SELECT jsonb_agg(id) FROM privacybee.tags WHERE user_id = :me AND name LIKE 'bulk %' AND name <> 'bulk 51')), NULL)).status;
SELECT pg_temp.call(privacybee.api_contacts_tags(:'tok', '', '{}', jsonb_build_object('contact_ids', jsonb_build_array(:ann),
    'add', (SELECT jsonb_agg(id) FROM privacybee.tags WHERE user_id = :me AND name = 'bulk 51')), NULL));
SELECT count(*) AS trust_verify FROM privacybee.trust_verify();
