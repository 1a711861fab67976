-- sync_contacts / update_contact from SQL: validation first, atomic writes,
-- external_id idempotency, tombstones, and the API functions' error codes.
\set SHOW_CONTEXT never
SELECT privacybee.create_member('Sync', 'Owner') AS me \gset
SELECT privacybee.create_member('Other', 'Owner') AS other \gset

-- create: ids come back in input order
SELECT cardinality(privacybee.sync_contacts(:me, '[
  {"display_name": "A", "phone_numbers": ["(212) 555-0134", "not a phone"], "labels": ["x"]},
  {"display_name": "B", "external_id": "ext-b", "emails": ["b@example.com"], "birthday": "1980-02-29"}
]')) AS synced;
SELECT f.display_name, f.external_id, f.birthday, f.emails, f.labels, c.version
  FROM privacybee.contacts_flat f JOIN privacybee.contacts c USING (user_id, id)
 WHERE user_id = :me ORDER BY id;
SELECT c.display_name, p.pos, p.raw, p.e164
  FROM privacybee.contact_phones p JOIN privacybee.contacts c ON c.user_id = p.user_id AND c.id = p.contact_id
 WHERE p.user_id = :me ORDER BY c.id, p.pos;

-- validation: every problem named, nothing written
SELECT privacybee.sync_contacts(:me, '[{"display_name": "ok"}, {"display_name": null, "emails": ["nope"]}, "x", {"birthday": "2023-02-29", "colour": "red"}]');
SELECT privacybee.sync_contacts(:me, '{"display_name": "not an array"}');
SELECT privacybee.sync_contacts(:me, '[{"emails": ["a@b.c"]}]');
SELECT privacybee.sync_contacts(:me, '[{"display_name": "a", "email": [], "emails": []}]');
SET privacybee.max_sync_items = 2;
SELECT privacybee.sync_contacts(:me, '[{"display_name": "1"}, {"display_name": "2"}, {"display_name": "3"}]');
RESET privacybee.max_sync_items;
SELECT count(*) AS still_two FROM privacybee.contacts WHERE user_id = :me;

-- external_id: a retry updates instead of duplicating
SELECT cardinality(privacybee.sync_contacts(:me, '[{"external_id": "ext-b", "display_name": "B2"}]'));
SELECT cardinality(privacybee.sync_contacts(:me, '[{"external_id": "ext-b", "display_name": "B2"}]'));
SELECT display_name, version FROM privacybee.contacts WHERE user_id = :me AND external_id = 'ext-b';
SELECT count(*) AS still_two FROM privacybee.contacts WHERE user_id = :me;

-- another user's contact, by id: not found, and the batch is not written
SELECT id AS theirs FROM privacybee.contacts WHERE user_id = :me AND external_id = 'ext-b' \gset
SELECT privacybee.sync_contacts(:other, format('[{"display_name": "new"}, {"id": %s, "display_name": "stolen"}]', :theirs)::jsonb);
SELECT count(*) AS other_has_none FROM privacybee.contacts WHERE user_id = :other;

-- update_contact: absent fields unchanged, null clears, if_version guards
SELECT privacybee.update_contact(:me, :theirs, '{"emails": null, "labels": ["vip"]}') = :theirs AS updated;
SELECT f.display_name, f.emails, f.labels, c.version
  FROM privacybee.contacts_flat f JOIN privacybee.contacts c USING (user_id, id) WHERE id = :theirs;
SELECT privacybee.update_contact(:me, :theirs, '{"display_name": "stale"}', 1);
-- a version that no contact is ever at is a failed precondition too, never ignored
SELECT privacybee.update_contact(:me, :theirs, '{"display_name": "stale"}', 0);
SELECT privacybee.update_contact(:me, :theirs, '{"display_name": "stale"}', -1);
-- a NULL contact_id names no contact: the body is checked first, then 404
SELECT privacybee.update_contact(:me, NULL, '{"display_name": ""}');
SELECT privacybee.update_contact(:me, NULL, '{"display_name": "nobody"}');
SELECT privacybee.update_contact(:me, :theirs, '{"display_name": "fresh"}', 4) = :theirs AS matched;
SELECT privacybee.update_contact(:other, :theirs, '{"display_name": "x"}');
SELECT privacybee.update_contact(:me, :theirs, '{"display_name": ""}');
SELECT display_name FROM privacybee.contacts WHERE id = :theirs;

-- API functions: authentication first, then parameters, then the object
SELECT privacybee.issue_token(:me, '{contacts:read,contacts:write}') AS tok \gset
SELECT status FROM privacybee.api_contacts_list(NULL, '', '{}', NULL, NULL);
SELECT status, headers FROM privacybee.api_contacts_list(:'tok', '', '{"per_page": "1"}', NULL, NULL);
SELECT status FROM privacybee.api_contacts_list(:'tok', '', '{"per_page": "1001"}', NULL, NULL);
SELECT status FROM privacybee.api_contacts_list(:'tok', '', '{"include": "emails,nope"}', NULL, NULL);
SELECT status FROM privacybee.api_contact_get(:'tok', '999999999', '{}', NULL, NULL);

-- delete leaves a tombstone; deleting again is not found
SELECT status, body FROM privacybee.api_contact_delete(:'tok', :'theirs', '{}', NULL, NULL)
\gset del_
SELECT :del_status AS delete_status, :'del_body'::jsonb ->> 'deleted' AS deleted;
SELECT count(*) AS tombstones FROM privacybee.contact_tombstones WHERE user_id = :me AND contact_id = :theirs;
SELECT status FROM privacybee.api_contact_delete(:'tok', :'theirs', '{}', NULL, NULL);

-- dev-only routes do not exist unless privacybee.dev_endpoints is on
SELECT status FROM privacybee.api_contacts_clear(:'tok', :'me', '{}', NULL, NULL);
SET privacybee.dev_endpoints = on;
SELECT status, body::jsonb ->> 'deleted' AS deleted FROM privacybee.api_contacts_clear(:'tok', :'me', '{}', NULL, NULL);
RESET privacybee.dev_endpoints;

-- API functions are SECURITY DEFINER, and every such function pins its search_path
SELECT count(*) > 0 AS api_functions_are_security_definer
  FROM pg_proc WHERE pronamespace = 'privacybee'::regnamespace AND proname LIKE 'api\_%' AND prosecdef;
SELECT proname FROM pg_proc
 WHERE pronamespace = 'privacybee'::regnamespace AND prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(proconfig) c WHERE c LIKE 'search_path=%');
