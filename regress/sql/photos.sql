-- Contact photos (SPEC §9): the type read from the bytes and the header (image_header),
-- PUT with the Content-Type it must match, GET with ETag / If-None-Match, DELETE; the
-- contact's profile_icon, version and updated follow; another member's contact is 404.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set png '\'\\x89504e470d0a1a0a0000000d49484452000000030000000208020000001216f14d0000000b49444154789c6360c00400001400017dfe1eee0000000049454e44ae426082\'::bytea'
\set jpeg '\'\\xffd8ffe000104a46494600010100000100010000ffc000110801e0028003012200021101031101ffd9\'::bytea'
\set webp '\'\\x5249464616000000574542505650384c0a0000002f2bc131000000000000\'::bytea'

-- what the bytes are
SELECT kind, (privacybee.image_header(data)).*
  FROM (VALUES ('png', :png), ('jpeg', :jpeg), ('webp', :webp),
               ('png without its IEND', substring(:png from 1 for 50)),
               ('png of width 0', overlay(:png placing '\x00000000'::bytea from 17 for 4)),
               ('jpeg without a frame', '\xffd8ffe000104a46494600010100000100010000ffd9'::bytea),
               ('jpeg whose segment runs past the end', '\xffd8ffe0ffff4a464946'::bytea),
               ('webp of another chunk', overlay(:webp placing 'ABCD'::bytea from 13 for 4)),
               ('gif', 'GIF89a\001\000\001\000'::bytea), ('text', 'hello'::bytea), ('empty', ''::bytea))
       AS v(kind, data);

SELECT privacybee.create_member('Photo', 'Owner') AS me \gset
SELECT privacybee.create_member('Photo', 'Other') AS other \gset
SELECT privacybee.issue_token(:me, '{contacts:read,contacts:write}') AS tok \gset
SELECT privacybee.issue_token(:other, '{contacts:read,contacts:write}') AS other_tok \gset
SELECT (privacybee.sync_contacts(:me, '[{"display_name": "Pictured"}]'))[1] AS c \gset
CREATE FUNCTION pg_temp.call(r privacybee.http_response) RETURNS text LANGUAGE sql AS $$
    SELECT r.status || COALESCE(' ' || regexp_replace(r.body::jsonb ->> 'profile_icon', '[0-9]+', '<id>'), '')
           || COALESCE(E'\n' || r.headers, '')
$$;

-- PUT: the type must be an image's (415) and the bytes that image (400); 412 on a stale If-Match
SELECT pg_temp.call(privacybee.api_contact_photo_put(:'tok', :'c', '{}', :png, 'image/gif', NULL));
SELECT pg_temp.call(privacybee.api_contact_photo_put(:'tok', :'c', '{}', :png, 'image/jpeg', NULL));
SELECT pg_temp.call(privacybee.api_contact_photo_put(:'tok', :'c', '{}', 'hello'::bytea, 'image/png', NULL));
SELECT pg_temp.call(privacybee.api_contact_photo_put(:'tok', :'c', '{}', ''::bytea, 'image/png', NULL));
SELECT pg_temp.call(privacybee.api_contact_photo_put(:'tok', :'c', '{}', :png || repeat('x', 5 * 1024 * 1024)::bytea, 'image/png', NULL));
SELECT pg_temp.call(privacybee.api_contact_photo_put(:'tok', :'c', '{}', :png, 'image/png', '"nope"'));
SELECT version AS v0 FROM privacybee.contacts WHERE id = :c \gset
SELECT pg_temp.call(privacybee.api_contact_photo_put(:'tok', :'c', '{}', :png, 'IMAGE/PNG; charset=x', NULL));
SELECT version - :v0 AS moved, content_type, width, height FROM privacybee.contacts c
  JOIN privacybee.contact_photos p ON p.user_id = c.user_id AND p.contact_id = c.id WHERE c.id = :c;
SELECT pg_temp.call(privacybee.api_contact_photo_put(:'tok', :'c', '{}', :webp, 'image/webp', privacybee.photo_etag(:png)));
SELECT pg_temp.call(privacybee.api_contact_photo_put(:'tok', :'c', '{}', :jpeg, 'image/jpeg', NULL));

-- GET: the bytes, their type and ETag; 304 for the current ETag
SELECT r.status, r.headers, r.body = :jpeg AS same_bytes
  FROM privacybee.api_contact_photo_get(:'tok', :'c', '{}', NULL, NULL) AS r;
SELECT r.status, r.headers, r.body
  FROM privacybee.api_contact_photo_get(:'tok', :'c', '{}', NULL, NULL, privacybee.photo_etag(:jpeg)) AS r;
SELECT r.status FROM privacybee.api_contact_photo_get(:'tok', :'c', '{}', NULL, NULL, privacybee.photo_etag(:png)) AS r;

-- another member's contact: 404 for every method, nothing changed
SELECT pg_temp.call(privacybee.api_contact_photo_put(:'other_tok', :'c', '{}', :png, 'image/png', NULL));
SELECT status FROM privacybee.api_contact_photo_get(:'other_tok', :'c', '{}', NULL, NULL);
SELECT pg_temp.call(privacybee.api_contact_photo_delete(:'other_tok', :'c', '{}', NULL, NULL));
SELECT content_type FROM privacybee.contact_photos WHERE contact_id = :c;

-- DELETE: the photo goes, the contact moves; then 404
SELECT pg_temp.call(privacybee.api_contact_photo_delete(:'tok', :'c', '{}', NULL, '"stale"'));
SELECT pg_temp.call(privacybee.api_contact_photo_delete(:'tok', :'c', '{}', NULL, NULL));
SELECT status FROM privacybee.api_contact_photo_get(:'tok', :'c', '{}', NULL, NULL);
SELECT pg_temp.call(privacybee.api_contact_photo_delete(:'tok', :'c', '{}', NULL, NULL));

-- the photo goes with its contact
SELECT pg_temp.call(privacybee.api_contact_photo_put(:'tok', :'c', '{}', :png, 'image/png', NULL));
SELECT status FROM privacybee.api_contact_delete(:'tok', :'c', '{}', NULL, NULL);
SELECT count(*) AS photos_left FROM privacybee.contact_photos WHERE contact_id = :c;
