-- Tags (SPEC §9, Contacts+ tags): /tags and POST /contacts/tags.
--
-- A tag is a member's, named uniquely per member case-insensitively; SPEC §4 labels are
-- tag names (writing labels creates the missing tags, contacts_sync.c). A tag's ETag
-- covers its name and its contact_count, both of which its representation shows. A
-- change to a tag that changes what its contacts show (a rename, a deletion, tags added
-- to or removed from them) moves those contacts' version and updated and their search
-- documents, in the same transaction; such changes first take the member's lock
-- (trust_lock_caller, 50_trust_graph.sql), as every write of the member's contacts does,
-- so contacts are always locked in one order.

CREATE OR REPLACE FUNCTION privacybee.tag_name_in(v jsonb, field text)
RETURNS text
AS 'MODULE_PATHNAME', 'tag_name_in'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.tag_name_in(jsonb, text) IS
    'a tag name from a body (a label: a string of 1 to 64 characters); 400 naming field otherwise';

CREATE OR REPLACE FUNCTION privacybee.json_ids(v jsonb, field text, max integer)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'json_ids'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.json_ids(jsonb, text, integer) IS
    'a list of ids from a body, repeats removed; 400 naming every entry that is not an id';

CREATE OR REPLACE FUNCTION privacybee.tag_etag(version integer, contact_count bigint)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT '"v' || version::text || '.' || contact_count::text || '"'
$$;
COMMENT ON FUNCTION privacybee.tag_etag(integer, bigint) IS
    'a tag''s ETag: its version and its contact count, both of which its representation shows';

-- The tags ids name (user_id's), as JSON objects in the order of ids, with their
-- contact counts and ETags; NULL for an id that is not one of user_id's tags.
CREATE OR REPLACE FUNCTION privacybee.tags_render(user_id bigint, ids bigint[])
RETURNS TABLE (id bigint, json text, etag text)
LANGUAGE sql STABLE AS $$
    SELECT u.id,
           CASE WHEN t.id IS NOT NULL THEN
               pg_catalog.json_build_object('id', t.id, 'name', t.name,
                   'etag', privacybee.tag_etag(t.version, n.count),
                   'contact_count', n.count, 'created', privacybee.rfc3339(t.created),
                   'updated', privacybee.rfc3339(t.updated))::text END,
           CASE WHEN t.id IS NOT NULL THEN privacybee.tag_etag(t.version, n.count) END
      FROM pg_catalog.unnest(ids) WITH ORDINALITY AS u(id, ord)
      LEFT JOIN privacybee.tags t ON t.user_id = tags_render.user_id AND t.id = u.id
      LEFT JOIN LATERAL (SELECT pg_catalog.count(*) AS count FROM privacybee.contact_tags ct
                          WHERE ct.user_id = t.user_id AND ct.tag_id = t.id) AS n ON true
     ORDER BY u.ord
$$;
COMMENT ON FUNCTION privacybee.tags_render(bigint, bigint[]) IS
    'tags as their JSON objects, with contact counts and ETags, in the order of ids (NULL for another member''s)';

-- The contacts carrying a changed tag (or whose tags changed) show something new:
-- version and updated move, search documents follow.
CREATE OR REPLACE FUNCTION privacybee.contacts_touch(user_id bigint, ids bigint[])
RETURNS void
LANGUAGE sql AS $$
    UPDATE privacybee.contacts c SET version = c.version + 1, updated = pg_catalog.now()
     WHERE c.user_id = contacts_touch.user_id AND c.id = ANY (contacts_touch.ids);
    SELECT privacybee.contacts_reindex(contacts_touch.user_id, contacts_touch.ids);
$$;
COMMENT ON FUNCTION privacybee.contacts_touch(bigint, bigint[]) IS
    'these contacts show something new: their version and updated move, their search documents follow';

-- A tag of user_id named name (tag_name_in's): the one of that name, in any case, when
-- it exists (created false), else a new one (POST /tags, the Contacts+ tags.create).
CREATE OR REPLACE FUNCTION privacybee.tag_create(user_id bigint, name text, OUT id bigint, OUT created boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    uid bigint := tag_create.user_id;
    tag_name text := tag_create.name;
BEGIN
    INSERT INTO privacybee.tags AS t (user_id, name) VALUES (uid, tag_name)
    ON CONFLICT (user_id, privacybee.casefold(name)) DO NOTHING
    RETURNING t.id INTO id;
    created := id IS NOT NULL;
    IF NOT created THEN
        SELECT t.id INTO id FROM privacybee.tags t
         WHERE t.user_id = uid AND privacybee.casefold(t.name) = privacybee.casefold(tag_name);
    END IF;
END
$$;
COMMENT ON FUNCTION privacybee.tag_create(bigint, text) IS
    'the member''s tag of that name (any case), created when there is none';

-- Renames tag tid of user_id (its caller holds the member's trust lock and the tag's
-- row); another tag of that name is 409 naming field. Its contacts show the new name.
CREATE OR REPLACE FUNCTION privacybee.tag_rename(user_id bigint, tag_id bigint, name text, field text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    uid bigint := tag_rename.user_id;
    tid bigint := tag_rename.tag_id;
    tag_name text := tag_rename.name;
BEGIN
    IF tag_name IS NOT DISTINCT FROM (SELECT t.name FROM privacybee.tags t
                                       WHERE t.user_id = uid AND t.id = tid) THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM privacybee.tags x WHERE x.user_id = uid AND x.id <> tid
                  AND privacybee.casefold(x.name) = privacybee.casefold(tag_name)) THEN
        PERFORM privacybee.fail_fields(409, ARRAY[field], '{"is the name of another tag"}',
                                       'another tag has this name');
    END IF;
    UPDATE privacybee.tags x SET name = tag_name, version = x.version + 1, updated = pg_catalog.now()
     WHERE x.user_id = uid AND x.id = tid;
    PERFORM privacybee.contacts_touch(uid, ARRAY(SELECT ct.contact_id FROM privacybee.contact_tags ct
                                                  WHERE ct.user_id = uid AND ct.tag_id = tid ORDER BY 1));
END
$$;
COMMENT ON FUNCTION privacybee.tag_rename(bigint, bigint, text, text) IS
    'renames a tag (its caller holds the locks); 409 naming field when another tag has the name';

-- Deletes tag tid of user_id (its caller holds the locks), from its contacts too.
CREATE OR REPLACE FUNCTION privacybee.tag_delete(user_id bigint, tag_id bigint)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    uid bigint := tag_delete.user_id;
    tid bigint := tag_delete.tag_id;
    tagged bigint[] := ARRAY(SELECT ct.contact_id FROM privacybee.contact_tags ct
                              WHERE ct.user_id = uid AND ct.tag_id = tid ORDER BY 1);
BEGIN
    DELETE FROM privacybee.tags x WHERE x.user_id = uid AND x.id = tid;
    PERFORM privacybee.contacts_touch(uid, tagged);
END
$$;
COMMENT ON FUNCTION privacybee.tag_delete(bigint, bigint) IS
    'deletes a tag (its caller holds the locks), from its contacts too';

-- GET /tags?cursor=&limit=: by id, a keyset cursor in the next link.
CREATE OR REPLACE FUNCTION privacybee.api_tags_list(token text, arg text, params jsonb, body jsonb,
                                                   if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_tags_list'));
    lim integer;
    after bigint := 0;
    ids bigint[];
    total bigint;
    out text;
    link text := '';
BEGIN
    PERFORM privacybee.check_params(params, '{cursor,limit}');
    lim := privacybee.param_int(params, 'limit', 100, 1,
        COALESCE(pg_catalog.current_setting('privacybee.max_page_size', true), '1000')::integer);
    IF params ? 'cursor' THEN
        SELECT d.id INTO after FROM privacybee.cursor_decode(params ->> 'cursor', false) AS d;
    END IF;
    SELECT pg_catalog.count(*) INTO total FROM privacybee.tags t WHERE t.user_id = uid;
    ids := ARRAY(SELECT t.id FROM privacybee.tags t WHERE t.user_id = uid AND t.id > after
                  ORDER BY t.id LIMIT lim + 1);
    IF pg_catalog.cardinality(ids) > lim THEN
        ids := ids[1:lim];
        link := E'\nLink: </tags?limit=' || lim || '&cursor='
                || privacybee.cursor_encode(NULL, ids[lim]) || '>; rel="next"';
    END IF;
    SELECT '[' || COALESCE(pg_catalog.string_agg(r.json, ',' ORDER BY r.ord), '') || ']' INTO out
      FROM privacybee.tags_render(uid, ids) WITH ORDINALITY AS r(id, json, etag, ord);
    RETURN privacybee.response(200, out, 'X-Total-Count: ' || total || link);
END
$$;

-- POST /tags {"name"}: 201 with a new tag, 200 with the one of that name (whatever its
-- case) when it exists.
CREATE OR REPLACE FUNCTION privacybee.api_tag_create(token text, arg text, params jsonb, body jsonb,
                                                    if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_tag_create'));
    tag_name text;
    tid bigint;
    status integer;
    r record;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(body,
        '{name,id,etag,contact_count,created,updated}', 'a tag');
    tag_name := privacybee.tag_name_in(body -> 'name', 'name');
    SELECT n.id, CASE WHEN n.created THEN 201 ELSE 200 END INTO tid, status
      FROM privacybee.tag_create(uid, tag_name) AS n;
    SELECT * INTO r FROM privacybee.tags_render(uid, ARRAY[tid]);
    RETURN privacybee.response(status, r.json, 'ETag: ' || r.etag);
END
$$;

-- GET /tags/<id>: the tag and its ETag; 304 when If-None-Match names it.
CREATE OR REPLACE FUNCTION privacybee.api_tag_get(token text, arg text, params jsonb, body jsonb,
                                                 if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_tag_get'));
    r record;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    SELECT * INTO r FROM privacybee.tags_render(uid, ARRAY[privacybee.path_id(arg, 'tag')]);
    IF r.json IS NULL THEN
        PERFORM privacybee.fail(404, 'tag not found');
    END IF;
    IF privacybee.check_preconditions(if_match, if_none_match, r.etag, true) THEN
        RETURN privacybee.response(304, NULL, 'ETag: ' || r.etag);
    END IF;
    RETURN privacybee.response(200, r.json, 'ETag: ' || r.etag);
END
$$;

-- PUT and PATCH /tags/<id> {"name"}: a rename (another tag of that name: 409); its
-- contacts show the new name. Order as for contacts: parameters, the preconditions of an
-- existing tag (412), the body (400), then 404.
CREATE OR REPLACE FUNCTION privacybee.api_tag_update(token text, arg text, params jsonb, body jsonb,
                                                    if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_tag_update'));
    tid bigint := privacybee.parse_id(arg);
    t privacybee.tags;
    r record;
    tag_name text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.trust_lock_caller(uid);
    SELECT * INTO t FROM privacybee.tags x WHERE x.user_id = uid AND x.id = tid FOR UPDATE;
    IF FOUND THEN
        SELECT * INTO r FROM privacybee.tags_render(uid, ARRAY[tid]);
        PERFORM privacybee.check_preconditions(if_match, if_none_match, r.etag, false);
    END IF;
    PERFORM privacybee.check_body_fields(body,
        '{name,id,etag,contact_count,created,updated}', 'a tag');
    IF body ? 'name' THEN
        tag_name := privacybee.tag_name_in(body -> 'name', 'name');
    END IF;
    IF t.id IS NULL THEN
        PERFORM privacybee.fail(404, 'tag not found');
    END IF;
    IF tag_name IS NOT NULL THEN
        PERFORM privacybee.tag_rename(uid, tid, tag_name, 'name');
    END IF;
    SELECT * INTO r FROM privacybee.tags_render(uid, ARRAY[tid]);
    RETURN privacybee.response(200, r.json, 'ETag: ' || r.etag);
END
$$;

-- DELETE /tags/<id>: the tag goes, and with it from its contacts.
CREATE OR REPLACE FUNCTION privacybee.api_tag_delete(token text, arg text, params jsonb, body jsonb,
                                                    if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_tag_delete'));
    tid bigint;
    r record;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    tid := privacybee.path_id(arg, 'tag');
    PERFORM privacybee.trust_lock_caller(uid);
    PERFORM 1 FROM privacybee.tags x WHERE x.user_id = uid AND x.id = tid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM privacybee.fail(404, 'tag not found');
    END IF;
    SELECT * INTO r FROM privacybee.tags_render(uid, ARRAY[tid]);
    PERFORM privacybee.check_preconditions(if_match, if_none_match, r.etag, false);
    PERFORM privacybee.tag_delete(uid, tid);
    RETURN privacybee.response(200, pg_catalog.json_build_object('id', tid, 'deleted', true)::text);
END
$$;

-- Adds tags to contacts and removes tags from them, all or nothing, for POST
-- /contacts/tags and the Contacts+ contacts.manageTags: body holds the contact ids, the
-- tags to add and those to remove under the names fields gives (f[1], f[2], f[3]), which
-- the errors name. Every id that is not user_id's is 404, named; added tags go after the
-- contact's others; a contact whose tags changed moves (version, updated). Returns the
-- contact ids named, in the order named.
CREATE OR REPLACE FUNCTION privacybee.contacts_tags_change(user_id bigint, body jsonb, fields text[])
RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    uid bigint := contacts_tags_change.user_id;
    f text[] := contacts_tags_change.fields;
    cids bigint[];
    adds bigint[];
    removes bigint[];
    missing text[];
    changed bigint[];
    crowded text[];
BEGIN
    cids := privacybee.json_ids(body -> f[1], f[1],
        COALESCE(pg_catalog.current_setting('privacybee.max_sync_items', true), '1000')::integer);
    adds := privacybee.json_ids(body -> f[2], f[2], 50);
    removes := privacybee.json_ids(body -> f[3], f[3], 50);
    IF pg_catalog.cardinality(cids) = 0 THEN
        PERFORM privacybee.bad_field(f[1], 'must name at least one contact');
    END IF;
    IF pg_catalog.cardinality(adds) + pg_catalog.cardinality(removes) = 0 THEN
        PERFORM privacybee.bad_field(f[2], 'or ' || f[3] || ' must name at least one tag');
    END IF;
    IF adds && removes THEN
        PERFORM privacybee.bad_field(f[3], 'names a tag that ' || f[2] || ' names too');
    END IF;

    PERFORM privacybee.trust_lock_caller(uid);
    PERFORM 1 FROM privacybee.contacts c WHERE c.user_id = uid AND c.id = ANY (cids)
     ORDER BY c.id FOR UPDATE;
    -- ids named that are not the caller's, by their place in the body
    SELECT pg_catalog.array_agg(x.field ORDER BY x.k, x.i) INTO missing
      FROM (SELECT 1 AS k, e.i, f[1] || '[' || (e.i - 1) || ']' AS field
              FROM pg_catalog.jsonb_array_elements(body -> f[1]) WITH ORDINALITY AS e(v, i)
             WHERE NOT EXISTS (SELECT 1 FROM privacybee.contacts c
                                WHERE c.user_id = uid AND c.id = privacybee.json_id(e.v, f[1]))
            UNION ALL
            SELECT 2, e.i, f[2] || '[' || (e.i - 1) || ']'
              FROM pg_catalog.jsonb_array_elements(COALESCE(body -> f[2], '[]')) WITH ORDINALITY AS e(v, i)
             WHERE NOT EXISTS (SELECT 1 FROM privacybee.tags t
                                WHERE t.user_id = uid AND t.id = privacybee.json_id(e.v, f[2]))
            UNION ALL
            SELECT 3, e.i, f[3] || '[' || (e.i - 1) || ']'
              FROM pg_catalog.jsonb_array_elements(COALESCE(body -> f[3], '[]')) WITH ORDINALITY AS e(v, i)
             WHERE NOT EXISTS (SELECT 1 FROM privacybee.tags t
                                WHERE t.user_id = uid AND t.id = privacybee.json_id(e.v, f[3]))) AS x;
    IF missing IS NOT NULL THEN
        PERFORM privacybee.fail_fields(404, missing,
            pg_catalog.array_fill('not found'::text, ARRAY[pg_catalog.cardinality(missing)]), missing[1] || ' not found');
    END IF;

    -- a contact carries at most 50 tags, as it has at most 50 labels
    SELECT pg_catalog.array_agg(f[1] || '[' || (e.i - 1) || ']' ORDER BY e.i) INTO crowded
      FROM pg_catalog.jsonb_array_elements(body -> f[1]) WITH ORDINALITY AS e(v, i)
     WHERE (SELECT pg_catalog.count(*) FROM privacybee.contact_tags ct
             WHERE ct.user_id = uid AND ct.contact_id = privacybee.json_id(e.v, f[1])
               AND ct.tag_id <> ALL (removes))
         + (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(adds) AS a(tag_id)
             WHERE NOT EXISTS (SELECT 1 FROM privacybee.contact_tags ct
                                WHERE ct.user_id = uid
                                  AND ct.contact_id = privacybee.json_id(e.v, f[1])
                                  AND ct.tag_id = a.tag_id)) > 50;
    IF crowded IS NOT NULL THEN
        PERFORM privacybee.fail_fields(400, crowded,
            pg_catalog.array_fill('would carry more than 50 tags'::text, ARRAY[pg_catalog.cardinality(crowded)]));
    END IF;

    WITH removed AS (
        DELETE FROM privacybee.contact_tags ct
         WHERE ct.user_id = uid AND ct.contact_id = ANY (cids) AND ct.tag_id = ANY (removes)
        RETURNING ct.contact_id),
    added AS (
        INSERT INTO privacybee.contact_tags (user_id, contact_id, tag_id, pos)
        SELECT uid, c.id, a.tag_id,
               COALESCE((SELECT pg_catalog.max(ct.pos) FROM privacybee.contact_tags ct
                          WHERE ct.user_id = uid AND ct.contact_id = c.id), 0)
               + pg_catalog.row_number() OVER (PARTITION BY c.id ORDER BY a.ord)
          FROM pg_catalog.unnest(cids) AS c(id)
         CROSS JOIN pg_catalog.unnest(adds) WITH ORDINALITY AS a(tag_id, ord)
         WHERE NOT EXISTS (SELECT 1 FROM privacybee.contact_tags ct
                            WHERE ct.user_id = uid AND ct.contact_id = c.id AND ct.tag_id = a.tag_id)
        RETURNING contact_id)
    SELECT ARRAY(SELECT contact_id FROM removed UNION SELECT contact_id FROM added ORDER BY 1)
      INTO changed;
    PERFORM privacybee.contacts_touch(uid, changed);
    RETURN cids;
END
$$;
COMMENT ON FUNCTION privacybee.contacts_tags_change(bigint, jsonb, text[]) IS
    'adds and removes tags of contacts, all or nothing; the body''s fields named by fields; returns the contacts named';

-- POST /contacts/tags {"contact_ids": […], "add": [tag ids], "remove": [tag ids]}: all
-- or nothing; every id that is not the caller's is 404, named. Added tags go after the
-- contact's others; a contact whose tags changed moves (version, updated). Answers the
-- contacts named, in the order named.
CREATE OR REPLACE FUNCTION privacybee.api_contacts_tags(token text, arg text, params jsonb, body jsonb,
                                                       if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_contacts_tags'));
    cids bigint[];
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(body, '{contact_ids,add,remove}', 'a tagging');
    cids := privacybee.contacts_tags_change(uid, body, '{contact_ids,add,remove}');
    RETURN privacybee.response(200, privacybee.contacts_json(uid, cids));
END
$$;
