-- Contacts: the C upsert, how a contact is rendered, and the /contacts routes.
--
-- Every api_* function has the signature privacybee-fcgi calls:
--   (token text, arg text, params jsonb, body jsonb, if_match text, if_none_match text)
--   → http_response
-- arg is the <id> of the route, params the query string (and form body) as an object of
-- strings, body the JSON body, if_match / if_none_match the conditional request header
-- fields (NULL when absent). Each authenticates the token itself, so one request is one
-- SQL call.

CREATE OR REPLACE FUNCTION privacybee.sync_contacts(user_id bigint, contacts jsonb)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'sync_contacts_0_2'
LANGUAGE C STRICT;
COMMENT ON FUNCTION privacybee.sync_contacts(bigint, jsonb) IS
    'atomically creates/updates a batch of contact objects; returns their ids in input order';

CREATE OR REPLACE FUNCTION privacybee.update_contact(user_id bigint, contact_id bigint, contact jsonb,
                                          if_version integer DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'update_contact_0_2'
LANGUAGE C;
COMMENT ON FUNCTION privacybee.update_contact(bigint, bigint, jsonb, integer) IS
    'updates one contact (absent fields unchanged); if_version guards against lost updates';

CREATE OR REPLACE FUNCTION privacybee.contact_problems(user_id bigint, contact jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'contact_problems'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION privacybee.contact_problems(bigint, jsonb) IS
    'what sync_contacts / update_contact would refuse in one contact object, as their 400''s [{"field","problem"}], without writing';

-- Contacts as the JSON objects of SPEC §4, keys in the documented order, in the order
-- of ids (NULL for an id that is not one of user_id's contacts); the email / phone /
-- address lists only when asked for. In C (extension/contact_render.c): two statements
-- a batch. A contact is connected when one of its phones is a member's phone or Buzz
-- number.
CREATE OR REPLACE FUNCTION privacybee.contacts_render(user_id bigint, ids bigint[], with_emails boolean,
                                           with_phones boolean, with_addresses boolean)
RETURNS text[]
AS 'MODULE_PATHNAME', 'contacts_render_0_2'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION privacybee.contacts_render(bigint, bigint[], boolean, boolean, boolean) IS
    'contacts of a member as JSON objects in the order of ids (NULL for an id that is none of theirs), lists as asked';

-- The flat fields of SPEC §4 as a projection of the stored contact (SPEC §9), for SQL
-- readers: what contacts_render() writes as email, phone, address, birthday and labels
-- (regress/sql/rich_contacts.sql holds the two equal).
CREATE OR REPLACE VIEW privacybee.contacts_flat AS
    SELECT c.user_id, c.id, c.external_id, c.display_name,
           CASE WHEN c.details ? 'birthday' THEN
                CASE WHEN c.details -> 'birthday' ? 'year'
                     THEN pg_catalog.lpad(c.details #>> '{birthday,year}', 4, '0') ELSE '-' END
                || '-' || pg_catalog.lpad(c.details #>> '{birthday,month}', 2, '0')
                || '-' || pg_catalog.lpad(c.details #>> '{birthday,day}', 2, '0')
           END AS birthday,
           ARRAY(SELECT e.value FROM privacybee.contact_emails e
                  WHERE e.user_id = c.user_id AND e.contact_id = c.id ORDER BY e.pos) AS emails,
           ARRAY(SELECT COALESCE(p.e164, p.raw) FROM privacybee.contact_phones p
                  WHERE p.user_id = c.user_id AND p.contact_id = c.id ORDER BY p.pos) AS phones,
           ARRAY(SELECT a ->> 'formatted'
                   FROM pg_catalog.jsonb_array_elements(
                            COALESCE(c.details -> 'addresses', '[]')) WITH ORDINALITY AS x(a, pos)
                  ORDER BY x.pos) AS addresses,
           ARRAY(SELECT t.name FROM privacybee.contact_tags ct
                   JOIN privacybee.tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id
                  WHERE ct.user_id = c.user_id AND ct.contact_id = c.id ORDER BY ct.pos) AS labels
      FROM privacybee.contacts c;
COMMENT ON VIEW privacybee.contacts_flat IS
    'the flat fields of SPEC §4 (email, phone, address, birthday, labels) of every contact';

-- A contact's search document (extension/search_document.c): its words by field, every
-- lexeme after the owner's code, for GET /contacts?q= (search_query.c). company: the name
-- of the directory company of its company_id, searched as company: like its organizations.
CREATE OR REPLACE FUNCTION privacybee.contact_document(owner bigint, display_name text, details jsonb,
                                                      emails text[], phones_e164 text[],
                                                      phones_raw text[], tags text[], company text)
RETURNS tsvector
AS 'MODULE_PATHNAME', 'contact_document'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.contact_document(bigint, text, jsonb, text[], text[], text[], text[], text) IS
    'the full-text document of a contact of owner: every word as itself and qualified by its field';

-- Computes the search documents (contact_documents) of these contacts of user_id from
-- what is stored now: every write of a contact's searched parts calls it in its
-- transaction (contacts_sync.c, the tag routes).
CREATE OR REPLACE FUNCTION privacybee.contacts_reindex(user_id bigint, ids bigint[])
RETURNS void
LANGUAGE sql AS $$
    INSERT INTO privacybee.contact_documents AS d (user_id, contact_id, document)
    SELECT x.user_id, x.id,
           privacybee.contact_document(x.user_id, x.display_name, x.details, e.values,
                                       p.e164, p.raw, t.names, k.name)
      FROM privacybee.contacts x
      LEFT JOIN privacybee.companies k ON k.id = x.company_id
     CROSS JOIN LATERAL (
           SELECT pg_catalog.array_agg(e.value ORDER BY e.pos) AS values
             FROM privacybee.contact_emails e
            WHERE e.user_id = x.user_id AND e.contact_id = x.id) AS e
     CROSS JOIN LATERAL (
           SELECT pg_catalog.array_agg(p.e164 ORDER BY p.pos) AS e164,
                  pg_catalog.array_agg(p.raw ORDER BY p.pos) AS raw
             FROM privacybee.contact_phones p
            WHERE p.user_id = x.user_id AND p.contact_id = x.id) AS p
     CROSS JOIN LATERAL (
           SELECT pg_catalog.array_agg(g.name ORDER BY ct.pos) AS names
             FROM privacybee.contact_tags ct
             JOIN privacybee.tags g ON g.user_id = ct.user_id AND g.id = ct.tag_id
            WHERE ct.user_id = x.user_id AND ct.contact_id = x.id) AS t
     WHERE x.user_id = contacts_reindex.user_id AND x.id = ANY (contacts_reindex.ids)
    ON CONFLICT (user_id, contact_id) DO UPDATE SET document = EXCLUDED.document
$$;
COMMENT ON FUNCTION privacybee.contacts_reindex(bigint, bigint[]) IS
    'recomputes the search documents of these contacts';

-- A directory company renamed (by an operator: no route writes companies) renames it in
-- the search documents of the contacts that work for it.
CREATE OR REPLACE FUNCTION privacybee.company_renamed()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM privacybee.contacts_reindex(c.user_id, pg_catalog.array_agg(c.id))
       FROM privacybee.contacts c WHERE c.company_id = NEW.id GROUP BY c.user_id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacybee.company_renamed() IS
    'recomputes the search documents of the contacts of a company whose name changed';
DROP TRIGGER IF EXISTS company_renamed ON privacybee.companies;
CREATE TRIGGER company_renamed AFTER UPDATE OF name ON privacybee.companies
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION privacybee.company_renamed();

-- One contact, every list included.
CREATE OR REPLACE FUNCTION privacybee.contact_json(user_id bigint, contact_id bigint)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT (privacybee.contacts_render(user_id, ARRAY[contact_id], true, true, true))[1]
$$;
COMMENT ON FUNCTION privacybee.contact_json(bigint, bigint) IS
    'one contact of a member as JSON, every list included';

-- A contact's strong ETag names its id and its version: a version alone restarts at 1 for
-- every new contact, so a card deleted and created again under the same CardDAV resource
-- name (the client keeps the name) would show an ETag it had before for other content, and
-- a stale If-Match would overwrite the new card (RFC 9110 §8.8.1). Ids are never reused
-- (a sequence; a purged tombstone frees none), so no URL ever shows an ETag twice. REST,
-- CardDAV, Contacts+ (its etag field: this without the quotes) and webhook events all
-- show this one ETag, so an If-Match read over one is honoured over another.
CREATE OR REPLACE FUNCTION privacybee.contact_etag(id bigint, version integer)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT '"c' || id::text || '.v' || version::text || '"'
$$;
COMMENT ON FUNCTION privacybee.contact_etag(bigint, integer) IS
    'the strong ETag of a contact version: "c<id>.v<version>", never repeated for one URL';

-- The contacts ids render as a JSON array, in the order of ids.
CREATE OR REPLACE FUNCTION privacybee.contacts_json(user_id bigint, ids bigint[])
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT '[' || pg_catalog.array_to_string(
               privacybee.contacts_render(user_id, ids, true, true, true), ',') || ']'
$$;
COMMENT ON FUNCTION privacybee.contacts_json(bigint, bigint[]) IS
    'contacts of a member as a JSON array, in the order of ids';

-- Keyset cursor: base64url of "<updated in µs since epoch or empty>|<id>".
CREATE OR REPLACE FUNCTION privacybee.cursor_encode(ts timestamptz, id bigint)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT pg_catalog.translate(pg_catalog.encode(pg_catalog.convert_to(
               COALESCE((EXTRACT(epoch FROM ts) * 1000000)::bigint::text, '')
               || '|' || id::text, 'UTF8'), 'base64'), E'+/=\n', '-_')
$$;
COMMENT ON FUNCTION privacybee.cursor_encode(timestamp with time zone, bigint) IS
    'the opaque keyset cursor of a listing position';

CREATE OR REPLACE FUNCTION privacybee.cursor_decode(cursor text, by_updated boolean,
                                         OUT ts timestamptz, OUT id bigint)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    plain text;
    parts text[];
BEGIN
    BEGIN
        plain := pg_catalog.convert_from(pg_catalog.decode(
            pg_catalog.rpad(pg_catalog.translate(cursor, '-_', '+/'),
                            ((pg_catalog.length(cursor) + 3) / 4) * 4, '='), 'base64'), 'UTF8');
    EXCEPTION WHEN OTHERS THEN
        plain := NULL;
    END;
    parts := pg_catalog.regexp_match(plain, '^(-?[0-9]{1,18})?\|([0-9]+)$');
    id := privacybee.parse_id(parts[2]);
    BEGIN
        -- exact to the microsecond (to_timestamp() would go through a double)
        ts := 'epoch'::timestamptz + (parts[1]::bigint / 1000000) * interval '1 second'
                                    + (parts[1]::bigint % 1000000) * interval '1 microsecond';
    EXCEPTION WHEN datetime_field_overflow THEN
        parts := NULL;
    END;
    IF parts IS NULL OR (parts[1] IS NOT NULL) <> by_updated OR id IS NULL THEN
        PERFORM privacybee.bad_field('cursor', 'is malformed or belongs to another listing',
            'cursor is not valid for this listing');
    END IF;
END
$$;
COMMENT ON FUNCTION privacybee.cursor_decode(text, boolean) IS
    'reads a listing cursor back into its sort key; 400 when malformed or of another kind of listing';

-- GET /contacts; with q, a full-text search (SPEC §9)
CREATE OR REPLACE FUNCTION privacybee.api_contacts_list(token text, arg text, params jsonb, body jsonb,
                                             if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_contacts_list'));
    page integer;
    per_page integer;
    since timestamptz;
    include text[];
    with_deleted boolean;
    by_updated boolean;
    cur_ts timestamptz;
    cur_id bigint;
    total bigint;
    ids bigint[];
    tss timestamptz[];
    dels boolean[];
    has_more boolean;
    query text;
    links text[] := '{}';
    out text;
BEGIN
    PERFORM privacybee.check_params(params,
        '{updated_at,page,per_page,include,cursor,include_deleted,q}');
    IF params ? 'page' AND params ? 'cursor' THEN
        PERFORM privacybee.bad_field('page', 'cannot be combined with cursor',
            'page and cursor cannot be combined');
    END IF;
    page := privacybee.param_int(params, 'page', 1, 1, 1000000000);
    per_page := privacybee.param_int(params, 'per_page', 10, 1,
        COALESCE(pg_catalog.current_setting('privacybee.max_page_size', true), '1000')::integer);
    since := privacybee.param_timestamp(params, 'updated_at', true);   -- c.updated >= since
    with_deleted := privacybee.param_bool(params, 'include_deleted');
    include := CASE WHEN COALESCE(params ->> 'include', '') = '' THEN '{}'
                    ELSE pg_catalog.string_to_array(params ->> 'include', ',') END;
    IF NOT include <@ '{emails,addresses,phone_numbers}'::text[] THEN
        PERFORM privacybee.bad_field('include', 'unknown value',
            'include may list only emails, addresses, phone_numbers');
    END IF;
    -- a full-text search: its own order (relevance) and cursor (36_search.sql)
    IF params ? 'q' THEN
        RETURN privacybee.contacts_list_fulltext(uid, params, per_page, include);
    END IF;
    by_updated := since IS NOT NULL;
    IF params ? 'cursor' THEN
        SELECT d.ts, d.id INTO cur_ts, cur_id
          FROM privacybee.cursor_decode(params ->> 'cursor', by_updated) AS d;
    END IF;

    SELECT pg_catalog.count(*) INTO total FROM (
        SELECT 1 FROM privacybee.contacts c
         WHERE c.user_id = uid AND (since IS NULL OR c.updated >= since)
        UNION ALL
        SELECT 1 FROM privacybee.contact_tombstones t
         WHERE with_deleted AND t.user_id = uid
           AND t.deleted_at >= GREATEST(since, pg_catalog.now() - privacybee.tombstone_period())) AS matching;

    SELECT pg_catalog.array_agg(r.id ORDER BY r.k, r.id), pg_catalog.array_agg(r.ts ORDER BY r.k, r.id),
           pg_catalog.array_agg(r.deleted ORDER BY r.k, r.id)
      INTO ids, tss, dels
      FROM (SELECT * FROM (
                SELECT c.id, c.updated AS ts, false AS deleted,
                       CASE WHEN by_updated THEN c.updated END AS k
                  FROM privacybee.contacts c
                 WHERE c.user_id = uid AND (since IS NULL OR c.updated >= since)
                UNION ALL
                SELECT t.contact_id, t.deleted_at, true,
                       CASE WHEN by_updated THEN t.deleted_at END
                  FROM privacybee.contact_tombstones t
                 WHERE with_deleted AND t.user_id = uid
                   AND t.deleted_at >= GREATEST(since, pg_catalog.now() - privacybee.tombstone_period())) AS s
             WHERE cur_id IS NULL
                OR (by_updated AND (s.ts, s.id) > (cur_ts, cur_id))
                OR (NOT by_updated AND s.id > cur_id)
             ORDER BY s.k, s.id
             OFFSET CASE WHEN cur_id IS NULL THEN (page - 1)::bigint * per_page ELSE 0 END
             LIMIT per_page + 1) AS r;

    has_more := COALESCE(pg_catalog.cardinality(ids), 0) > per_page;
    IF has_more THEN
        ids := ids[1:per_page];
        tss := tss[1:per_page];
        dels := dels[1:per_page];
    END IF;

    SELECT '[' || COALESCE(pg_catalog.string_agg(
               CASE WHEN u.deleted
                    THEN pg_catalog.json_build_object('id', u.id, 'deleted', true,
                                           'updated', privacybee.rfc3339(u.ts))::text
                    ELSE u.rendered
               END, ',' ORDER BY u.ord), '') || ']'
      INTO out
      FROM ROWS FROM (pg_catalog.unnest(ids), pg_catalog.unnest(tss), pg_catalog.unnest(dels),
                      pg_catalog.unnest(privacybee.contacts_render(uid, ids, 'emails' = ANY (include),
                          'phone_numbers' = ANY (include), 'addresses' = ANY (include))))
           WITH ORDINALITY AS u(id, ts, deleted, rendered, ord);

    -- links repeat the listing's own parameters, normalised (safe characters only)
    query := 'per_page=' || per_page
          || CASE WHEN pg_catalog.cardinality(include) > 0
                  THEN '&include=' || pg_catalog.array_to_string(include, ',') ELSE '' END
          || CASE WHEN by_updated
                  THEN '&updated_at=' || privacybee.rfc3339(since) ELSE '' END
          || CASE WHEN with_deleted THEN '&include_deleted=true' ELSE '' END;
    IF has_more THEN
        links := links || ('</contacts?' || query || '&cursor='
                           || privacybee.cursor_encode(CASE WHEN by_updated THEN tss[per_page] END,
                                                       ids[per_page])
                           || '>; rel="next"');
    END IF;
    -- the page before, or past the end the last page that has any (none before page 2)
    IF cur_id IS NULL AND page > 1 THEN
        links := links || ('</contacts?' || query || '&page='
                           || LEAST(page - 1, GREATEST(1, (total + per_page - 1) / per_page))
                           || '>; rel="prev"');
    END IF;
    RETURN privacybee.response(200, out,
        'X-Total-Count: ' || total
        || CASE WHEN pg_catalog.cardinality(links) > 0
                THEN E'\nLink: ' || pg_catalog.array_to_string(links, ', ') ELSE '' END);
END
$$;

-- GET /contacts/<id>: the contact and its ETag; 304 when If-None-Match names that ETag.
CREATE OR REPLACE FUNCTION privacybee.api_contact_get(token text, arg text, params jsonb, body jsonb,
                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_contact_get'));
    c privacybee.contacts;
    etag text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    SELECT * INTO c FROM privacybee.contacts
     WHERE user_id = uid AND id = privacybee.path_id(arg, 'contact');
    IF NOT FOUND THEN
        PERFORM privacybee.fail(404, 'contact not found');
    END IF;
    etag := privacybee.contact_etag(c.id, c.version);
    IF privacybee.check_preconditions(if_match, if_none_match, etag, true) THEN
        RETURN privacybee.response(304, NULL, 'ETag: ' || etag);
    END IF;
    RETURN privacybee.response(200, privacybee.contact_json(uid, c.id), 'ETag: ' || etag);
END
$$;

-- A tombstone in a sync's result, where a stale item named the deleted contact by its
-- external_id (SPEC §4).
CREATE OR REPLACE FUNCTION privacybee.tombstone_json(t privacybee.contact_tombstones)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.json_build_object('id', t.contact_id, 'external_id', t.external_id,
                                        'deleted', true,
                                        'updated', privacybee.rfc3339(t.deleted_at))::text
$$;
COMMENT ON FUNCTION privacybee.tombstone_json(privacybee.contact_tombstones) IS
    'a tombstone as a sync answers it for a stale item naming a deleted contact';

-- POST /contacts/sync: the contacts written, in input order; an item that named a
-- deleted contact by its external_id (and did not ask to restore it) gets its tombstone.
CREATE OR REPLACE FUNCTION privacybee.api_contacts_sync(token text, arg text, params jsonb, body jsonb,
                                             if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_contacts_sync'));
    ids bigint[];
    out text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    IF body IS NULL THEN
        PERFORM privacybee.fail(400, 'body must be a JSON array of contacts');
    END IF;
    -- its own statement: the rendering below must see what the sync wrote
    ids := privacybee.sync_contacts(uid, body);
    SELECT '[' || COALESCE(pg_catalog.string_agg(COALESCE(r.rendered,
               (SELECT privacybee.tombstone_json(t) FROM privacybee.contact_tombstones t
                 WHERE t.user_id = uid AND t.contact_id = r.id)), ',' ORDER BY r.ord), '') || ']'
      INTO out
      FROM ROWS FROM (pg_catalog.unnest(ids),
                      pg_catalog.unnest(privacybee.contacts_render(uid, ids, true, true, true)))
           WITH ORDINALITY AS r(id, rendered, ord);
    RETURN privacybee.response(200, out);
END
$$;

-- PUT and PATCH /contacts/<id>. The row is locked before the preconditions are read,
-- so no other change can slip in between. Order: 400 for parameters, then the
-- preconditions of an existing contact (412, before the body is read, RFC 9110 §13.2),
-- then the body (400), then 404 for a contact that is not the caller's.
CREATE OR REPLACE FUNCTION privacybee.api_contact_update(token text, arg text, params jsonb, body jsonb,
                                              if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_contact_update'));
    -- NULL when no contact can have this id: update_contact() then validates the body
    -- and answers 404
    cid bigint := privacybee.parse_id(arg);
    v integer;
    c privacybee.contacts;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    IF body IS NULL THEN
        PERFORM privacybee.fail(400, 'body must be a JSON object');
    END IF;
    SELECT version INTO v FROM privacybee.contacts
     WHERE user_id = uid AND id = cid FOR UPDATE;
    IF FOUND THEN
        PERFORM privacybee.check_preconditions(if_match, if_none_match,
                                               privacybee.contact_etag(cid, v), false);
    END IF;
    cid := privacybee.update_contact(uid, cid, body - 'id');
    SELECT * INTO c FROM privacybee.contacts WHERE user_id = uid AND id = cid;
    RETURN privacybee.response(200, privacybee.contact_json(uid, c.id),
                               'ETag: ' || privacybee.contact_etag(c.id, c.version));
END
$$;

-- A contact of uid goes (its owner locked and the row locked by the caller), leaving a
-- tombstone tombstone_period() for syncing clients; the member's older ones are purged.
-- DELETE /contacts/<id>, the Contacts+ contacts.delete and CardDAV's DELETE of a card.
CREATE OR REPLACE FUNCTION privacybee.contact_remove(uid bigint, cid bigint)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    ext text;
BEGIN
    DELETE FROM privacybee.contacts WHERE user_id = uid AND id = cid RETURNING external_id INTO ext;
    -- the external_id stays with the tombstone, so a stale client's sync cannot revive it
    INSERT INTO privacybee.contact_tombstones (user_id, contact_id, external_id) VALUES (uid, cid, ext)
    ON CONFLICT (user_id, contact_id) DO UPDATE SET deleted_at = pg_catalog.now(), external_id = EXCLUDED.external_id;
    DELETE FROM privacybee.contact_tombstones
     WHERE user_id = uid AND deleted_at < pg_catalog.now() - privacybee.tombstone_period();
END
$$;
COMMENT ON FUNCTION privacybee.contact_remove(bigint, bigint) IS
    'deletes a contact of a member (locked by the caller), leaving its tombstone';

-- DELETE /contacts/<id>: the row goes, a tombstone stays tombstone_period() for syncing
-- clients; the member's older ones are purged here (and nightly by maintenance()).
CREATE OR REPLACE FUNCTION privacybee.api_contact_delete(token text, arg text, params jsonb, body jsonb,
                                              if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_contact_delete'));
    cid bigint;
    v integer;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    cid := privacybee.path_id(arg, 'contact');
    -- a contact's phones are part of the member's trust decisions (50_trust_graph.sql)
    PERFORM privacybee.trust_lock_caller(uid);
    SELECT version INTO v FROM privacybee.contacts
     WHERE user_id = uid AND id = cid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM privacybee.fail(404, 'contact not found');
    END IF;
    PERFORM privacybee.check_preconditions(if_match, if_none_match,
                                           privacybee.contact_etag(cid, v), false);
    PERFORM privacybee.contact_remove(uid, cid);
    RETURN privacybee.response(200, pg_catalog.json_build_object('id', cid, 'deleted', true)::text);
END
$$;

-- DELETE /contacts/clear/<id> (development only): every contact of the caller.
CREATE OR REPLACE FUNCTION privacybee.api_contacts_clear(token text, arg text, params jsonb, body jsonb,
                                              if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint;
    n bigint;
BEGIN
    IF NOT privacybee.dev_endpoints_enabled() THEN
        PERFORM privacybee.fail(404, 'not found');
    END IF;
    uid := privacybee.authenticate_member(token, privacybee.route_scope('api_contacts_clear'));
    PERFORM privacybee.check_params(params, '{}');
    IF privacybee.parse_id(arg) IS DISTINCT FROM uid THEN
        PERFORM privacybee.fail(404, 'not found');
    END IF;
    PERFORM privacybee.trust_lock_caller(uid);
    DELETE FROM privacybee.contacts WHERE user_id = uid;
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM privacybee.contact_tombstones WHERE user_id = uid;
    RETURN privacybee.response(200, pg_catalog.json_build_object('user_id', uid, 'deleted', n)::text);
END
$$;
