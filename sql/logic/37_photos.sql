-- Contact photos (SPEC §9): PUT | GET | DELETE /contacts/<id>/photo.
--
-- The image is stored as uploaded (contact_photos), its type read from its bytes
-- (extension/photo.c) and required to be the one its Content-Type names; its ETag is a
-- digest of the bytes. A contact with a photo shows profile_icon /contacts/<id>/photo;
-- adding, replacing or removing it moves the contact's version and updated, so a
-- syncing client sees the change, and the photo goes with its contact when the contact
-- is deleted (the contact's tombstone stands for both). The bytes travel as a bytea
-- parameter and a bytea result, never as text.

CREATE OR REPLACE FUNCTION privacybee.image_header(data bytea, OUT content_type text,
                                                  OUT width integer, OUT height integer)
AS 'MODULE_PATHNAME', 'image_header'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.image_header(bytea) IS
    'the media type and size of a JPEG, PNG or WebP image, read from its bytes; NULLs for anything else';

-- The largest photo, in bytes (5 MiB).
CREATE OR REPLACE FUNCTION privacybee.photo_max_bytes()
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 5 * 1024 * 1024
$$;
COMMENT ON FUNCTION privacybee.photo_max_bytes() IS
    'the largest photo a contact may have, in bytes (5 MiB)';

CREATE OR REPLACE FUNCTION privacybee.photo_etag(data bytea)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT '"' || pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(data), 'hex'), 32) || '"'
$$;
COMMENT ON FUNCTION privacybee.photo_etag(bytea) IS
    'a photo''s ETag: the first 128 bits of the SHA-256 of its bytes';

-- The contact's photo changed: what the contact shows changed with it.
CREATE OR REPLACE FUNCTION privacybee.contact_photo_changed(user_id bigint, contact_id bigint)
RETURNS void
LANGUAGE sql AS $$
    UPDATE privacybee.contacts c SET version = c.version + 1, updated = pg_catalog.now()
     WHERE c.user_id = contact_photo_changed.user_id AND c.id = contact_photo_changed.contact_id
$$;
COMMENT ON FUNCTION privacybee.contact_photo_changed(bigint, bigint) IS
    'a contact''s photo changed: its version and updated move';

-- A photo as a request gives it, of the media type declared (its Content-Type): 415 for
-- a type that is not an image's, 400 naming field for no bytes or bytes that are not that
-- image, 413 over photo_max_bytes() (PUT /contacts/<id>/photo, contacts.uploadPhoto).
CREATE OR REPLACE FUNCTION privacybee.photo_check(photo bytea, declared text, field text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF declared IS NULL OR declared NOT IN ('image/jpeg', 'image/png', 'image/webp') THEN
        PERFORM privacybee.fail(415, 'a photo must be image/jpeg, image/png or image/webp');
    END IF;
    IF photo IS NULL OR pg_catalog.octet_length(photo) = 0 THEN
        PERFORM privacybee.bad_field(field, 'must be the image');
    END IF;
    IF pg_catalog.octet_length(photo) > privacybee.photo_max_bytes() THEN
        PERFORM privacybee.fail(413, pg_catalog.format('a photo must be at most %s bytes',
                                            privacybee.photo_max_bytes()));
    END IF;
    IF (privacybee.image_header(photo)).content_type IS DISTINCT FROM declared THEN
        PERFORM privacybee.bad_field(field, pg_catalog.format('is not an image of type %s', declared));
    END IF;
END
$$;
COMMENT ON FUNCTION privacybee.photo_check(bytea, text, text) IS
    'a photo a request gives, of the type it declares: 415, 413 or 400 naming field otherwise';

-- Stores an image (one image_header() reads; a request's photo_check()ed) as the photo of
-- contact cid of uid (locked by the caller), replacing any; returns its ETag. The caller
-- moves the contact's version (contact_photo_changed(), or the write of the contact it
-- comes with: a CardDAV card).
CREATE OR REPLACE FUNCTION privacybee.contact_photo_store(uid bigint, cid bigint, photo bytea)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    h record := privacybee.image_header(photo);
    etag text := privacybee.photo_etag(photo);
BEGIN
    INSERT INTO privacybee.contact_photos AS p (user_id, contact_id, content_type, width, height, data, etag)
    VALUES (uid, cid, h.content_type, h.width, h.height, photo, etag)
    ON CONFLICT (user_id, contact_id) DO UPDATE
       SET content_type = EXCLUDED.content_type, width = EXCLUDED.width,
           height = EXCLUDED.height, data = EXCLUDED.data, etag = EXCLUDED.etag, updated = pg_catalog.now();
    RETURN etag;
END
$$;
COMMENT ON FUNCTION privacybee.contact_photo_store(bigint, bigint, bytea) IS
    'stores an image as a contact''s photo (the caller moves the contact''s version); returns its ETag';

-- PUT /contacts/<id>/photo: body the image, content_type its Content-Type. Order: 400
-- for parameters, the preconditions of an existing contact's photo (412), then the body
-- (415 for a type that is not an image's, 413, 400 for bytes that are not that image),
-- then 404 for a contact that is not the caller's.
CREATE OR REPLACE FUNCTION privacybee.api_contact_photo_put(token text, arg text, params jsonb,
                                                           photo bytea, content_type text,
                                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_contact_photo_put'));
    cid bigint := privacybee.parse_id(arg);
    found_contact boolean;
    declared text := pg_catalog.lower(pg_catalog.btrim(pg_catalog.split_part(COALESCE(content_type, ''), ';', 1)));
    etag text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM 1 FROM privacybee.contacts c WHERE c.user_id = uid AND c.id = cid FOR UPDATE;
    found_contact := FOUND;
    IF found_contact THEN
        PERFORM privacybee.check_preconditions(if_match, if_none_match,
            (SELECT p.etag FROM privacybee.contact_photos p WHERE p.user_id = uid AND p.contact_id = cid),
            false);
    END IF;
    PERFORM privacybee.photo_check(photo, declared, 'body');
    IF NOT found_contact THEN
        PERFORM privacybee.fail(404, 'contact not found');
    END IF;
    etag := privacybee.contact_photo_store(uid, cid, photo);
    PERFORM privacybee.contact_photo_changed(uid, cid);
    RETURN privacybee.response(200, privacybee.contact_json(uid, cid), 'ETag: ' || etag);
END
$$;

-- GET /contacts/<id>/photo: the bytes, their type and ETag; 304 when If-None-Match names
-- it; 404 for a contact that is not the caller's or has no photo. ?teamId=<teamId>: a
-- team's contact (the URL a team contact's Contacts+ photos give), under the team scope
-- of the route's (cplus_team_scope()) too, for an employee of that team (act_for_team(): 404
-- otherwise), as the Contacts+ team methods read it.
CREATE OR REPLACE FUNCTION privacybee.api_contact_photo_get(token text, arg text, params jsonb, body jsonb,
                                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_binary_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_contact_photo_get'));
    p privacybee.contact_photos;
BEGIN
    PERFORM privacybee.check_params(params, '{teamId}');
    IF params ? 'teamId' THEN
        -- a team's contact needs the team's scope too (as contacts.uploadPhoto's)
        PERFORM privacybee.authenticate_member(token, privacybee.cplus_team_scope(
            privacybee.route_scope('api_contact_photo_get')));
        uid := privacybee.act_for_team(privacybee.json_id(params -> 'teamId', 'teamId'));
    END IF;
    SELECT * INTO p FROM privacybee.contact_photos x
     WHERE x.user_id = uid AND x.contact_id = privacybee.path_id(arg, 'contact');
    IF NOT FOUND THEN
        -- the path names a contact: whether it is missing or only its photo, as DELETE says
        PERFORM privacybee.fail(404, CASE WHEN EXISTS (SELECT 1 FROM privacybee.contacts c
                                                       WHERE c.user_id = uid AND c.id = privacybee.path_id(arg, 'contact'))
                                          THEN 'photo not found' ELSE 'contact not found' END);
    END IF;
    IF privacybee.check_preconditions(if_match, if_none_match, p.etag, true) THEN
        RETURN ROW(304, 'ETag: ' || p.etag, NULL)::privacybee.http_binary_response;
    END IF;
    RETURN ROW(200, 'Content-Type: ' || p.content_type || E'\nETag: ' || p.etag
                    || E'\nCache-Control: private, no-cache', p.data)::privacybee.http_binary_response;
END
$$;

-- DELETE /contacts/<id>/photo: the photo goes; answers the contact.
CREATE OR REPLACE FUNCTION privacybee.api_contact_photo_delete(token text, arg text, params jsonb, body jsonb,
                                                              if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_contact_photo_delete'));
    cid bigint;
    etag text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    cid := privacybee.path_id(arg, 'contact');
    PERFORM 1 FROM privacybee.contacts c WHERE c.user_id = uid AND c.id = cid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM privacybee.fail(404, 'contact not found');
    END IF;
    SELECT p.etag INTO etag FROM privacybee.contact_photos p
     WHERE p.user_id = uid AND p.contact_id = cid;
    IF etag IS NULL THEN
        PERFORM privacybee.fail(404, 'photo not found');
    END IF;
    PERFORM privacybee.check_preconditions(if_match, if_none_match, etag, false);
    DELETE FROM privacybee.contact_photos p WHERE p.user_id = uid AND p.contact_id = cid;
    PERFORM privacybee.contact_photo_changed(uid, cid);
    RETURN privacybee.response(200, privacybee.contact_json(uid, cid));
END
$$;
