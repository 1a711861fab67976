-- The Contacts+ API (SPEC §10): POST /api/v1/<method>, a JSON body in, a JSON object out,
-- over the same stored contacts and tags as §4 and §9 (one model, two representations).
--
-- A contact is rendered by contacts_render() (contact_render.c), as GET /contacts/<id>
-- renders it, and respelled: ids as strings, details as contactData (cplus_details(),
-- extension/cplus.c, the one table of the names that differ), tags as
-- contactMetadata.tagIds, the ETag as etag (without its quotes). What a client writes is
-- respelled back and written by the functions the REST routes use (sync_contacts,
-- update_contact, contact_remove, contacts_tags_change, tag_create, tag_rename,
-- tag_delete), so every rule holds for both; the problems they report are renamed to
-- the client's paths (contact.contactData.emails[0].value).
--
-- teamId (SPEC §10): a team is a company the member works for; its contacts and tags are
-- its account's (sql/schema/76_teams.sql), which the request then acts for, under the
-- team's scopes (teams.contacts.*, teams.tags.*). A team's contact shows teamId,
-- contactMetadata.ownedBy (contacts.changeOwner) and sharedBy (the employee who made it).
--
-- Every method answers 200 with its object; errors keep SPEC §2's body. A stale etag is
-- 409 whose body carries, beside the error, the current object ("contact" or "tag"), so
-- that the client can merge and retry; resolveConflicts: true writes over it instead.
-- Ids are strings of digits (a JSON number is read too, as ids are everywhere).

-- The teams (SPEC §10) person belongs to: the companies they work for. The one test of
-- team membership: act_for_team() (member_scope.c), cplus_lock_team(), teams.get and
-- CardDAV's team address books (70_carddav.sql) all ask it. A NULL person has none.
CREATE OR REPLACE FUNCTION privacybee.member_teams(person bigint)
RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    SELECT e.company_id FROM privacybee.employees e WHERE e.person_id = person
$$;
COMMENT ON FUNCTION privacybee.member_teams(bigint) IS
    'the teams (companies) a person works for: the one test of team membership';

-- Act for a team's account (extension/member_scope.c; sql/schema/76_teams.sql).
CREATE OR REPLACE FUNCTION privacybee.act_for_team(team_id bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'act_for_team'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION privacybee.act_for_team(bigint) IS
    'the member acting works for company team_id: act for its team account from now on (404 otherwise)';

-- An ETag as the Contacts+ etag field writes it: without the quotes of HTTP's.
CREATE OR REPLACE FUNCTION privacybee.cplus_etag(http_etag text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT pg_catalog.btrim(http_etag, '"')
$$;
COMMENT ON FUNCTION privacybee.cplus_etag(text) IS
    'an entity tag as the Contacts+ API''s etag field writes it (without the quotes)';

CREATE OR REPLACE FUNCTION privacybee.cplus_details(details jsonb, to_cplus boolean)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'cplus_details'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.cplus_details(jsonb, boolean) IS
    'a details object (SPEC §9) in the Contacts+ spelling (to_cplus) or back from it';

CREATE OR REPLACE FUNCTION privacybee.cplus_path(path text)
RETURNS text
AS 'MODULE_PATHNAME', 'cplus_path'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.cplus_path(text) IS
    'a field path into details with every name in the Contacts+ spelling';

-- details as contactData: the primary email and phone first (the seed's rule: "primary
-- ... are the first item in the array"; our primary flags are not in its shapes), then
-- respelled. A client that writes it back keeps that order, its first entry primary.
CREATE OR REPLACE FUNCTION privacybee.cplus_contact_data(details jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT privacybee.cplus_details(details || pg_catalog.jsonb_build_object(
               'emails', (SELECT COALESCE(pg_catalog.jsonb_agg(x.e ORDER BY (x.e ->> 'primary')::boolean DESC, x.i), '[]')
                            FROM pg_catalog.jsonb_array_elements(COALESCE(details -> 'emails', '[]'))
                                 WITH ORDINALITY AS x(e, i)),
               'phone_numbers', (SELECT COALESCE(pg_catalog.jsonb_agg(x.e ORDER BY (x.e ->> 'primary')::boolean DESC, x.i), '[]')
                                   FROM pg_catalog.jsonb_array_elements(COALESCE(details -> 'phone_numbers', '[]'))
                                        WITH ORDINALITY AS x(e, i))), true)
$$;
COMMENT ON FUNCTION privacybee.cplus_contact_data(jsonb) IS
    'a contact''s details as the Contacts+ contactData (primary entries first)';

-- The contacts ids name (user_id's) as Contacts+ contact objects, by id; an id that is
-- none of user_id's contacts has no row.
CREATE OR REPLACE FUNCTION privacybee.cplus_contacts(user_id bigint, ids bigint[])
RETURNS TABLE (id bigint, contact jsonb)
LANGUAGE sql STABLE AS $$
    SELECT r.id,
           pg_catalog.jsonb_build_object(
               'contactId', r.id::text,
               'etag', privacybee.cplus_etag(privacybee.contact_etag(c.id, c.version)),
               'created', j -> 'created',
               'updated', j -> 'updated',
               -- photos: the seed's contacts carry them ("primary photos ... are the
               -- first item in the array"); ours is the one photo, as its URL (read-only:
               -- contacts.uploadPhoto sets it, and a round trip sending it back is ignored)
               'contactData', privacybee.cplus_contact_data(j -> 'details')
                   || pg_catalog.jsonb_build_object('photos',
                          CASE WHEN pg_catalog.jsonb_typeof(j -> 'profile_icon') = 'string'
                               THEN pg_catalog.jsonb_build_array(
                                        pg_catalog.jsonb_build_object('url', CASE WHEN o.team_of IS NULL
                                            THEN j ->> 'profile_icon'
                                            -- a team's: the photo route reads it for the team
                                            ELSE (j ->> 'profile_icon') || '?teamId=' || o.team_of::text END))
                               ELSE '[]'::jsonb END),
               'contactMetadata', pg_catalog.jsonb_build_object(
                   'tagIds', ARRAY(SELECT ct.tag_id::text FROM privacybee.contact_tags ct
                                    WHERE ct.user_id = c.user_id AND ct.contact_id = c.id
                                    ORDER BY ct.pos),
                   -- a team's (a company's) contact
                   'companyContact', o.team_of IS NOT NULL)
                   -- a team's contact: its owner, and who shared it with the team
                   || CASE WHEN o.team_of IS NOT NULL THEN pg_catalog.jsonb_build_object(
                          'ownedBy', c.owned_by::text,
                          'sharedBy', CASE WHEN c.shared_by IS NULL THEN '[]'::jsonb
                                           ELSE pg_catalog.jsonb_build_array(c.shared_by::text) END)
                      ELSE '{}'::jsonb END)
           || CASE WHEN o.team_of IS NOT NULL
                   THEN pg_catalog.jsonb_build_object('teamId', o.team_of::text) ELSE '{}'::jsonb END
      FROM ROWS FROM (pg_catalog.unnest(ids),
                      pg_catalog.unnest(privacybee.contacts_render(user_id, ids, true, true, true)))
           AS r(id, rendered)
     CROSS JOIN LATERAL (SELECT r.rendered::jsonb AS j) AS x
      JOIN privacybee.contacts c ON c.user_id = cplus_contacts.user_id AND c.id = r.id
      JOIN privacybee.people o ON o.id = c.user_id
$$;
COMMENT ON FUNCTION privacybee.cplus_contacts(bigint, bigint[]) IS
    'contacts of a member as Contacts+ contact objects';

CREATE OR REPLACE FUNCTION privacybee.cplus_contact(user_id bigint, contact_id bigint)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT x.contact FROM privacybee.cplus_contacts(user_id, ARRAY[contact_id]) AS x
$$;
COMMENT ON FUNCTION privacybee.cplus_contact(bigint, bigint) IS
    'one contact of a member as a Contacts+ contact object (NULL when it is none of theirs)';

-- Tags as Contacts+ tag objects, by id (tags_render(), as GET /tags/<id> renders them).
-- A Contacts+ tag's etag: its version alone ("v3"). The object shows its name, created
-- and updated, all of which move with the version (a rename); unlike the REST tag's ETag
-- (tag_etag(): "v3.N"), no contact count, which the Contacts+ tag does not show, so that
-- tagging contacts leaves the etag a client holds current.
CREATE OR REPLACE FUNCTION privacybee.cplus_tag_etag(version integer)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT 'v' || version::text
$$;
COMMENT ON FUNCTION privacybee.cplus_tag_etag(integer) IS
    'a Contacts+ tag''s etag: its version only (the contact count is not in that object)';

CREATE OR REPLACE FUNCTION privacybee.cplus_tags(user_id bigint, ids bigint[])
RETURNS TABLE (id bigint, tag jsonb)
LANGUAGE sql STABLE AS $$
    SELECT r.id,
           pg_catalog.jsonb_build_object(
               'tagId', r.id::text,
               'etag', privacybee.cplus_tag_etag(t.version),
               'created', j -> 'created',
               'updated', j -> 'updated',
               'tagData', pg_catalog.jsonb_build_object('name', j -> 'name'))
      FROM privacybee.tags_render(user_id, ids) AS r
      JOIN privacybee.tags t ON t.user_id = cplus_tags.user_id AND t.id = r.id
     CROSS JOIN LATERAL (SELECT r.json::jsonb AS j) AS x
     WHERE r.json IS NOT NULL
$$;
COMMENT ON FUNCTION privacybee.cplus_tags(bigint, bigint[]) IS
    'tags of a member as Contacts+ tag objects';

-- 400 unless v (the value of field) is a JSON object whose fields are all in allowed.
CREATE OR REPLACE FUNCTION privacybee.cplus_check_object(v jsonb, field text, allowed text[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    k text;
BEGIN
    IF v IS NULL OR pg_catalog.jsonb_typeof(v) <> 'object' THEN
        PERFORM privacybee.bad_field(field, 'must be an object');
    END IF;
    FOR k IN SELECT pg_catalog.jsonb_object_keys(v) LOOP
        IF (k = ANY (allowed)) IS NOT TRUE THEN
            PERFORM privacybee.bad_field(field || '.' || k, 'unknown field');
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION privacybee.cplus_check_object(jsonb, text, text[]) IS
    '400 unless a body''s field is an object with only the allowed fields';

-- The scope a method needs for a team's rows (SPEC §10: the seed's teams.* scopes), given
-- the one it needs for the member's own; NULL: the method has no team form.
CREATE OR REPLACE FUNCTION privacybee.cplus_team_scope(scope text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE privacybee.scope_canonical(scope)
        WHEN 'contacts:read' THEN 'teams.contacts.read'
        WHEN 'contacts:write' THEN 'teams.contacts.write'
        WHEN 'tags.read' THEN 'teams.tags.read'
        WHEN 'tags.write' THEN 'teams.tags.write'
    END
$$;
COMMENT ON FUNCTION privacybee.cplus_team_scope(text) IS
    'the scope a Contacts+ method needs for a team''s rows, given the one for the member''s own';

-- Does token hold every scope of scopes (a NULL or none: false)? authenticate() itself
-- judges each. Only while the transaction acts for the token's member (before
-- act_for_team(): authenticate() enters its member again), or as a request's last step.
-- CardDAV (may a token write a book's cards, read the card a 409 would name) and
-- Contacts+ (may it read the current object a 409 would show) ask it.
CREATE OR REPLACE FUNCTION privacybee.token_may(token text, VARIADIC scopes text[])
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    scope text;
BEGIN
    IF COALESCE(pg_catalog.cardinality(scopes), 0) = 0 OR pg_catalog.array_position(scopes, NULL) IS NOT NULL THEN
        RETURN false;
    END IF;
    FOREACH scope IN ARRAY scopes LOOP
        PERFORM privacybee.authenticate_member(token, scope);
    END LOOP;
    RETURN true;
EXCEPTION WHEN SQLSTATE 'PT403' THEN
    RETURN false;
END
$$;
COMMENT ON FUNCTION privacybee.token_may(text, text[]) IS
    'whether a token holds every scope named (false when unsure)';

-- The member a Contacts+ request comes from: its token, with the scope of the method
-- (function) for the member's own rows, or the team's scope when the body names a team
-- (teamId not null; cplus_body() then acts for the team). 401 / 403 first, as always.
CREATE OR REPLACE FUNCTION privacybee.cplus_auth(token text, function text, body jsonb)
RETURNS bigint
LANGUAGE sql AS $$
    SELECT privacybee.authenticate_member(token, COALESCE(
        CASE WHEN pg_catalog.jsonb_typeof(body) = 'object'
                  AND pg_catalog.jsonb_typeof(body -> 'teamId') IS DISTINCT FROM 'null'
                  AND body ? 'teamId'
             THEN privacybee.cplus_team_scope(privacybee.route_scope(function)) END,
        privacybee.route_scope(function)))
$$;
COMMENT ON FUNCTION privacybee.cplus_auth(text, text, jsonb) IS
    'authenticates a Contacts+ request with its method''s scope, or the team scope when it names a team';

-- The Contacts+ request body: an object of the method's fields, each of its type (400
-- otherwise). Returns whose rows the request reads and writes: the member's (uid), or,
-- when teamId names a team (a company the member works for), the team's account, for
-- which the transaction acts from then on (act_for_team(); 404 for any other team).
CREATE OR REPLACE FUNCTION privacybee.cplus_body(uid bigint, body jsonb, allowed text[])
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    k text;
    owner bigint := uid;
BEGIN
    PERFORM privacybee.check_body_fields(body, allowed || '{teamId}'::text[], 'this method''s body');
    FOREACH k IN ARRAY '{includeDeletedContacts,includeDeletedTags,resolveConflicts}'::text[] LOOP
        IF pg_catalog.jsonb_typeof(body -> k) NOT IN ('boolean', 'null') THEN
            PERFORM privacybee.bad_field(k, 'must be true or false');
        END IF;
    END LOOP;
    FOREACH k IN ARRAY '{scrollCursor,searchCursor,searchQuery,etag}'::text[] LOOP
        IF pg_catalog.jsonb_typeof(body -> k) NOT IN ('string', 'null') THEN
            PERFORM privacybee.bad_field(k, 'must be a string');
        END IF;
    END LOOP;
    IF body ? 'teamId' AND body -> 'teamId' <> 'null' THEN
        owner := privacybee.act_for_team(privacybee.json_id(body -> 'teamId', 'teamId'));
    END IF;
    RETURN owner;
END
$$;
COMMENT ON FUNCTION privacybee.cplus_body(bigint, jsonb, text[]) IS
    '400 unless a Contacts+ body has only the method''s fields, each of its type; whose rows it acts on (the member''s or a team''s)';

-- A write to a team's contacts (owner a team account, me the employee asking): lock the
-- team in the one order of trust changes (trust_lock_team(), 50_trust_graph.sql: a
-- team's contact phones are its employees' reasons to trust), then see that me still
-- works there — a membership ended, or a member deleted, while the request waited is
-- refused as the next request would be (404, 401). Nothing for the member's own.
CREATE OR REPLACE FUNCTION privacybee.cplus_lock_team(me bigint, owner bigint)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF owner = me THEN
        RETURN;
    END IF;
    PERFORM privacybee.trust_lock_team(owner);
    IF NOT EXISTS (SELECT 1 FROM privacybee.people p WHERE p.id = me) THEN
        PERFORM privacybee.fail(401, 'the member of this token no longer exists');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM privacybee.people t
                    WHERE t.id = owner AND t.team_of IN (SELECT privacybee.member_teams(me))) THEN
        PERFORM privacybee.fail_fields(404, '{teamId}', '{"not found"}', 'team not found');
    END IF;
END
$$;
COMMENT ON FUNCTION privacybee.cplus_lock_team(bigint, bigint) IS
    'locks a team for a write to its contacts, then checks the employee still works there';

-- The page size of a scroll or search: size, 1 to the largest page (default 100).
CREATE OR REPLACE FUNCTION privacybee.cplus_size(body jsonb)
RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(privacybee.json_int(body -> 'size', 'size', 1,
               COALESCE(pg_catalog.current_setting('privacybee.max_page_size', true), '1000')::integer),
           100)::integer
$$;
COMMENT ON FUNCTION privacybee.cplus_size(jsonb) IS
    'the size of a Contacts+ page (1 to max_page_size, default 100); 400 naming size otherwise';

-- The ids a body lists in field, every one of them user_id's contact (or tag): 404
-- naming each that is not.
CREATE OR REPLACE FUNCTION privacybee.cplus_owned_ids(user_id bigint, v jsonb, field text, tags boolean)
RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[] := privacybee.json_ids(v, field,
        COALESCE(pg_catalog.current_setting('privacybee.max_page_size', true), '1000')::integer);
    missing text[];
BEGIN
    SELECT pg_catalog.array_agg(field || '[' || (e.i - 1) || ']' ORDER BY e.i) INTO missing
      FROM pg_catalog.jsonb_array_elements(COALESCE(v, '[]')) WITH ORDINALITY AS e(x, i)
     WHERE NOT CASE WHEN tags
                    THEN EXISTS (SELECT 1 FROM privacybee.tags t
                                  WHERE t.user_id = cplus_owned_ids.user_id AND t.id = privacybee.json_id(e.x, field))
                    ELSE EXISTS (SELECT 1 FROM privacybee.contacts c
                                  WHERE c.user_id = cplus_owned_ids.user_id AND c.id = privacybee.json_id(e.x, field))
               END;
    IF missing IS NOT NULL THEN
        PERFORM privacybee.fail_fields(404, missing,
            pg_catalog.array_fill('not found'::text, ARRAY[pg_catalog.cardinality(missing)]),
            missing[1] || ' not found');
    END IF;
    RETURN ids;
END
$$;
COMMENT ON FUNCTION privacybee.cplus_owned_ids(bigint, jsonb, text, boolean) IS
    'ids a Contacts+ body lists, each the member''s contact (or tag); 404 naming those that are not';

-- The REST parameters a Contacts+ method's REST core names in its problems (400), each
-- with the field the Contacts+ client sent instead: the one table of these renames (the
-- contact's own fields are cplus_contact_field()'s).
CREATE OR REPLACE FUNCTION privacybee.cplus_rest_renames(method text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT COALESCE(pg_catalog.jsonb_object_agg(r.rest, r.cplus), '{}')
      FROM (VALUES ('contacts.scroll', 'cursor', 'scrollCursor'),
                   ('contacts.search', 'q', 'searchQuery'),
                   ('contacts.search', 'cursor', 'searchCursor'),
                   ('tags.scroll', 'cursor', 'scrollCursor')) AS r(method, rest, cplus)
     WHERE r.method = cplus_rest_renames.method
$$;
COMMENT ON FUNCTION privacybee.cplus_rest_renames(text) IS
    'the REST parameter names a Contacts+ method''s core reports, each with the Contacts+ field sent instead';

-- Raises again a 400 (message, detail) of a REST core called by a Contacts+ method, its
-- fields (details and the message's leading field) renamed by cplus_rest_renames(method).
CREATE OR REPLACE FUNCTION privacybee.cplus_reraise(method text, message text, detail text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    renames jsonb := privacybee.cplus_rest_renames(method);
    details jsonb := CASE WHEN detail LIKE '[%' THEN detail::jsonb END;
    first_field text := details -> 0 ->> 'field';
BEGIN
    SELECT pg_catalog.jsonb_agg(d || pg_catalog.jsonb_build_object(
               'field', COALESCE(renames ->> (d ->> 'field'), d ->> 'field')) ORDER BY i)
      INTO details
      FROM pg_catalog.jsonb_array_elements(details) WITH ORDINALITY AS x(d, i);
    IF renames ? first_field AND pg_catalog.starts_with(message, first_field || ' ') THEN
        message := (renames ->> first_field) || pg_catalog.substr(message, pg_catalog.length(first_field) + 1);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'PT400', MESSAGE = message, DETAIL = COALESCE(details::text, detail);
END
$$;
COMMENT ON FUNCTION privacybee.cplus_reraise(text, text, text) IS
    'raises a REST core''s 400 again with the fields a Contacts+ method''s client sent';

-- A field the contact writer named (its paths: [0].details.emails[1].value for a sync
-- item, details.name.given for an update) as the Contacts+ client wrote it.
CREATE OR REPLACE FUNCTION privacybee.cplus_contact_field(field text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE
        WHEN f ~ '^details(\.|\[|$)'
            THEN 'contact.contactData' || privacybee.cplus_path(pg_catalog.substr(f, 8))
        WHEN f ~ '^display_name' THEN 'contact.contactData.name'
        WHEN f ~ '^labels' THEN 'contact.contactMetadata.tagIds' || pg_catalog.substr(f, 7)
        WHEN f IN ('', 'body') THEN 'contact'
        ELSE 'contact.' || f
    END
      FROM (SELECT pg_catalog.regexp_replace(field, '^\[0\]\.?', '') AS f) AS x
$$;
COMMENT ON FUNCTION privacybee.cplus_contact_field(text) IS
    'a field the contact writer named, as the Contacts+ contact object names it';

-- Writes a Contacts+ contact's item (cplus_contact_item) for user_id: a new contact
-- (contact_id NULL, through sync_contacts) or over contact_id (update_contact); the
-- problems the writer reports (400) name the client's fields. Returns the contact's id.
CREATE OR REPLACE FUNCTION privacybee.cplus_contact_write(user_id bigint, contact_id bigint, item jsonb)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    message text;
    detail text;
    details jsonb;
    first_field text;
BEGIN
    IF contact_id IS NULL THEN
        RETURN (privacybee.sync_contacts(user_id, pg_catalog.jsonb_build_array(item)))[1];
    END IF;
    RETURN privacybee.update_contact(user_id, contact_id, item);
EXCEPTION WHEN SQLSTATE 'PT400' THEN
    GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    details := CASE WHEN detail LIKE '[%' THEN detail::jsonb END;
    first_field := details -> 0 ->> 'field';
    SELECT pg_catalog.jsonb_agg(d || pg_catalog.jsonb_build_object(
               'field', privacybee.cplus_contact_field(d ->> 'field')) ORDER BY i)
      INTO details
      FROM pg_catalog.jsonb_array_elements(details) WITH ORDINALITY AS x(d, i);
    IF first_field IS NOT NULL AND pg_catalog.starts_with(message, first_field || ' ') THEN
        message := privacybee.cplus_contact_field(first_field)
                   || pg_catalog.substr(message, pg_catalog.length(first_field) + 1);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'PT400', MESSAGE = message,
                          DETAIL = COALESCE(details::text, detail);
END
$$;
COMMENT ON FUNCTION privacybee.cplus_contact_write(bigint, bigint, jsonb) IS
    'creates or updates a contact from a Contacts+ contact''s item; problems named as the client wrote them';

-- A Contacts+ contact object (the body's "contact") as the item the contact writer reads:
-- contactData as details; contactMetadata.tagIds as the labels of those tags (404 naming
-- one that is not the member's). Read-only members sent back (contactId, etag, created,
-- updated, the rest of contactMetadata) are ignored. The display name is the name's
-- parts joined (the writer's default); a contact without a name is shown by its first
-- organization, email or phone number, and one with none of them is 400.
CREATE OR REPLACE FUNCTION privacybee.cplus_contact_item(user_id bigint, contact jsonb, creating boolean)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    data jsonb;
    meta jsonb := contact -> 'contactMetadata';
    item jsonb := '{}';
    shown text;
BEGIN
    PERFORM privacybee.cplus_check_object(contact, 'contact',
        '{contactId,teamId,etag,created,updated,contactData,contactMetadata}');
    IF contact ? 'contactData' THEN
        data := contact -> 'contactData';
        IF pg_catalog.jsonb_typeof(data) <> 'object' THEN
            PERFORM privacybee.bad_field('contact.contactData', 'must be an object');
        END IF;
        -- photos are read-only here (contacts.uploadPhoto sets the photo): a client that
        -- sends back what it read changes nothing by them
        data := data - 'photos';
        item := pg_catalog.jsonb_build_object('details', privacybee.cplus_details(data, false));
        -- a name given (or, creating, none) without a part that is not blank
        IF (creating OR data ? 'name')
           AND (pg_catalog.jsonb_typeof(data -> 'name') IS DISTINCT FROM 'object'
                OR NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_each_text(data -> 'name') AS n
                                WHERE privacybee.trim_name(n.value) <> '')) THEN
            -- trimmed as every name is (trim_name: Unicode white space, details_name)
            shown := COALESCE(
                NULLIF(privacybee.trim_name(data #>> '{organizations,0,name}'), ''),
                NULLIF(privacybee.trim_name(data #>> '{emails,0,value}'), ''),
                NULLIF(privacybee.trim_name(data #>> '{phoneNumbers,0,value}'), ''));
            IF shown IS NOT NULL THEN
                item := item || pg_catalog.jsonb_build_object('display_name', pg_catalog.left(shown, 256));
            ELSIF creating THEN
                PERFORM privacybee.bad_field('contact.contactData',
                    'needs a name, an organization, an email or a phone number');
            END IF;
        END IF;
    ELSIF creating THEN
        PERFORM privacybee.bad_field('contact.contactData', 'is required');
    END IF;
    IF meta IS NOT NULL AND meta <> 'null' THEN
        PERFORM privacybee.cplus_check_object(meta, 'contact.contactMetadata',
            '{tagIds,ownedBy,sharedBy,companyContact,businessCardtranscriptionStatus}');
        IF meta ? 'tagIds' THEN
            item := item || pg_catalog.jsonb_build_object('labels', (
                SELECT COALESCE(pg_catalog.jsonb_agg(t.name ORDER BY u.ord), '[]')
                  FROM pg_catalog.unnest(privacybee.cplus_owned_ids(user_id, meta -> 'tagIds',
                           'contact.contactMetadata.tagIds', true)) WITH ORDINALITY AS u(id, ord)
                  JOIN privacybee.tags t ON t.user_id = cplus_contact_item.user_id AND t.id = u.id));
        END IF;
    END IF;
    RETURN item;
END
$$;
COMMENT ON FUNCTION privacybee.cplus_contact_item(bigint, jsonb, boolean) IS
    'a Contacts+ contact object as the contact writer''s item (details, display_name, labels)';

-- 409 for a stale etag: SPEC §2's error, naming field, and the current object under key
-- when the token may read it (reader: the method that reads it; team: a team's) — a
-- write-only token learns nothing it could not read (the key is then absent). current
-- is rendered by the caller before this runs: token_may() acts for the member again.
CREATE OR REPLACE FUNCTION privacybee.cplus_conflict(field text, key text, current jsonb,
                                                     token text, reader text, team boolean)
RETURNS privacybee.http_response
LANGUAGE plpgsql AS $$
DECLARE
    -- the scope cplus_auth() would ask of the reader
    readable boolean := privacybee.token_may(token, CASE WHEN team
        THEN privacybee.cplus_team_scope(privacybee.route_scope(reader)) ELSE privacybee.route_scope(reader) END);
BEGIN
    RETURN privacybee.response(409, (pg_catalog.jsonb_build_object(
        'error', pg_catalog.jsonb_build_object(
            'code', '409',
            'message', field || ' is not the current etag: '
                       || CASE WHEN readable THEN 'the current ' || key || ' is in the answer'
                               ELSE 'read the ' || key || ' again (this token may not read it)' END,
            'details', pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                'field', field, 'problem', 'is not the current etag'))))
        || CASE WHEN readable THEN pg_catalog.jsonb_build_object(key, current) ELSE '{}' END)::text);
END
$$;
COMMENT ON FUNCTION privacybee.cplus_conflict(text, text, jsonb, text, text, boolean) IS
    'the 409 of a stale Contacts+ etag: the error, and the current object when the token may read it';

-- ---- account and teams ------------------------------------------------------------

-- account.get: the member as the seed's account (what privacybee knows of them: name,
-- phone, the companies they work for as organizations).
CREATE OR REPLACE FUNCTION privacybee.api_cplus_account_get(token text, arg text, params jsonb, body jsonb,
                                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_cplus_account_get'));
    out jsonb;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(COALESCE(body, '{}'), '{}', 'this method''s body');
    SELECT pg_catalog.jsonb_build_object('account', pg_catalog.jsonb_build_object(
               'accountId', p.id::text,
               'created', privacybee.rfc3339(p.created),
               'updated', privacybee.rfc3339(p.updated),
               'profileData', privacybee.cplus_details(pg_catalog.jsonb_build_object(
                   'name', pg_catalog.jsonb_build_object('given', p.first_name, 'middle', p.middle_name,
                                                         'family', NULLIF(p.last_name, ''),
                                                         'prefix', NULL, 'suffix', NULL),
                   'emails', '[]'::jsonb,
                   'phone_numbers', CASE WHEN p.phone_raw IS NULL THEN '[]'::jsonb
                       ELSE pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                                'type', 'mobile', 'value', p.phone_raw)) END,
                   'addresses', '[]'::jsonb, 'birthday', NULL, 'dates', '[]'::jsonb,
                   'organizations', (SELECT COALESCE(pg_catalog.jsonb_agg(
                                        pg_catalog.jsonb_build_object('name', c.name, 'department', NULL,
                                            'title', NULL, 'location', NULL, 'description', NULL,
                                            'start_date', NULL, 'end_date', NULL) ORDER BY c.id), '[]')
                                       FROM privacybee.employees e
                                       JOIN privacybee.companies c ON c.id = e.company_id
                                      WHERE e.person_id = p.id),
                   'urls', '[]'::jsonb, 'ims', '[]'::jsonb, 'related_people', '[]'::jsonb,
                   'notes', NULL, 'items', '[]'::jsonb), true)))
      INTO out
      FROM privacybee.people p WHERE p.id = uid;
    RETURN privacybee.response(200, out::text);
END
$$;

-- teams.get: the companies the member works for, each with its employees.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_teams_get(token text, arg text, params jsonb, body jsonb,
                                                         if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_cplus_teams_get'));
    out jsonb;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(COALESCE(body, '{}'), '{}', 'this method''s body');
    SELECT pg_catalog.jsonb_build_object('teams', COALESCE(pg_catalog.jsonb_agg(
               pg_catalog.jsonb_build_object(
                   'teamId', c.id::text,
                   'created', privacybee.rfc3339(c.created),
                   'updated', privacybee.rfc3339(c.updated),
                   'teamData', pg_catalog.jsonb_build_object('name', c.name, 'url', c.url, 'logo', c.logo),
                   'teamMembers', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                              'accountId', p.id::text,
                                              'name', pg_catalog.jsonb_build_object(
                                                  'givenName', p.first_name,
                                                  'familyName', NULLIF(p.last_name, '')))
                                          ORDER BY p.id)
                                     FROM privacybee.employees m
                                     JOIN privacybee.people p ON p.id = m.person_id
                                    WHERE m.company_id = c.id))
               ORDER BY c.id), '[]'))
      INTO out
      FROM privacybee.member_teams(uid) AS e(company_id)
      JOIN privacybee.companies c ON c.id = e.company_id;
    RETURN privacybee.response(200, out::text);
END
$$;

-- ---- contacts ---------------------------------------------------------------------

-- contacts.get {"contactIds"}: those contacts, in the order named; 404 naming any that
-- is not the member's.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_contacts_get(token text, arg text, params jsonb, body jsonb,
                                                            if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_contacts_get', body);
    ids bigint[];
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    uid := privacybee.cplus_body(uid, body, '{contactIds}');
    IF NOT body ? 'contactIds' THEN
        PERFORM privacybee.bad_field('contactIds', 'is required');
    END IF;
    ids := privacybee.cplus_owned_ids(uid, body -> 'contactIds', 'contactIds', false);
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object('contacts', (
        SELECT COALESCE(pg_catalog.jsonb_agg(x.contact ORDER BY u.ord), '[]')
          FROM pg_catalog.unnest(ids) WITH ORDINALITY AS u(id, ord)
          JOIN privacybee.cplus_contacts(uid, ids) AS x ON x.id = u.id))::text);
END
$$;

-- contacts.scroll {"size", "scrollCursor", "includeDeletedContacts"}: every contact, by
-- id, a page at a time; "cursor" in the answer while there are more. With
-- includeDeletedContacts, the tombstones of contacts deleted within tombstone_period()
-- too, in their places: {"contactId", "deleted": true, "updated"}.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_contacts_scroll(token text, arg text, params jsonb, body jsonb,
                                                               if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_contacts_scroll', body);
    size integer;
    after bigint := 0;
    with_deleted boolean;
    ids bigint[];
    deleted boolean[];
    more boolean;
    out jsonb;
    message text;
    detail text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    body := COALESCE(body, '{}');
    uid := privacybee.cplus_body(uid, body, '{size,scrollCursor,includeDeletedContacts}');
    size := privacybee.cplus_size(body);
    with_deleted := COALESCE((body ->> 'includeDeletedContacts')::boolean, false);
    BEGIN
        IF body ->> 'scrollCursor' IS NOT NULL THEN
            SELECT d.id INTO after FROM privacybee.cursor_decode(body ->> 'scrollCursor', false) AS d;
        END IF;
    EXCEPTION WHEN SQLSTATE 'PT400' THEN
        GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
        PERFORM privacybee.cplus_reraise('contacts.scroll', message, detail);
    END;
    SELECT pg_catalog.array_agg(s.id ORDER BY s.id), pg_catalog.array_agg(s.deleted ORDER BY s.id)
      INTO ids, deleted
      FROM (SELECT * FROM (
                SELECT c.id, false AS deleted FROM privacybee.contacts c
                 WHERE c.user_id = uid AND c.id > after
                UNION ALL
                SELECT t.contact_id, true FROM privacybee.contact_tombstones t
                 WHERE with_deleted AND t.user_id = uid AND t.contact_id > after
                   AND t.deleted_at >= pg_catalog.now() - privacybee.tombstone_period()) AS u
             ORDER BY u.id LIMIT size + 1) AS s;
    more := COALESCE(pg_catalog.cardinality(ids), 0) > size;
    IF more THEN
        ids := ids[1:size];
        deleted := deleted[1:size];
    END IF;
    SELECT COALESCE(pg_catalog.jsonb_agg(CASE WHEN u.deleted
               THEN pg_catalog.jsonb_build_object('contactId', u.id::text, 'deleted', true,
                        'updated', (SELECT privacybee.rfc3339(t.deleted_at) FROM privacybee.contact_tombstones t
                                     WHERE t.user_id = uid AND t.contact_id = u.id))
               ELSE x.contact END ORDER BY u.ord), '[]')
      INTO out
      FROM ROWS FROM (pg_catalog.unnest(ids), pg_catalog.unnest(deleted)) WITH ORDINALITY AS u(id, deleted, ord)
      LEFT JOIN privacybee.cplus_contacts(uid, ids) AS x ON x.id = u.id;
    out := pg_catalog.jsonb_build_object('contacts', out);
    IF more THEN
        out := out || pg_catalog.jsonb_build_object('cursor', privacybee.cursor_encode(NULL, ids[size]));
    END IF;
    RETURN privacybee.response(200, out::text);
END
$$;

-- contacts.search {"searchQuery", "searchCursor", "tagIds", "size"}: the contacts a
-- full-text query (SPEC §9's syntax) finds, by relevance then id, that carry every tag
-- tagIds names; tagIds alone: the contacts carrying them all, by id. "cursor" in the
-- answer while there are more (searchCursor for the next page).
CREATE OR REPLACE FUNCTION privacybee.api_cplus_contacts_search(token text, arg text, params jsonb, body jsonb,
                                                               if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_contacts_search', body);
    size integer;
    q text;
    tag_ids bigint[] := '{}';
    cur_rank real;
    cur_id bigint;
    f record;
    batch integer;
    ids bigint[] := '{}';
    ranks real[] := '{}';
    more boolean;
    next_cursor text;
    out jsonb;
    message text;
    detail text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    uid := privacybee.cplus_body(uid, body, '{searchQuery,searchCursor,tagIds,size}');
    size := privacybee.cplus_size(body);
    q := NULLIF(privacybee.trim_name(body ->> 'searchQuery'), '');
    IF body ? 'tagIds' AND body -> 'tagIds' <> 'null' THEN
        tag_ids := privacybee.cplus_owned_ids(uid, body -> 'tagIds', 'tagIds', true);
    END IF;
    IF q IS NULL AND pg_catalog.cardinality(tag_ids) = 0 THEN
        PERFORM privacybee.bad_field('searchQuery', 'or tagIds is required');
    END IF;
    -- the REST cores (cursor decoders, contacts_fulltext) name their REST parameters
    BEGIN
        IF q IS NULL THEN
            -- the tags alone: a structured filter (contacts_filter, by id)
            cur_id := 0;
            IF body ->> 'searchCursor' IS NOT NULL THEN
                SELECT d.id INTO cur_id FROM privacybee.cursor_decode(body ->> 'searchCursor', false) AS d;
            END IF;
            SELECT * INTO f FROM privacybee.contacts_filter(uid, pg_catalog.jsonb_build_object(
                       'operator', 'and', 'subfilters', (
                           SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                      'field', 'tag', 'operator', 'equals', 'value', t))
                             FROM pg_catalog.unnest(tag_ids) AS t)), cur_id, size + 1);
            ids := COALESCE(f.ids, '{}');
            more := pg_catalog.cardinality(ids) > size;
            IF more THEN
                ids := ids[1:size];
                next_cursor := privacybee.cursor_encode(NULL, ids[size]);
            END IF;
        ELSE
            IF body ->> 'searchCursor' IS NOT NULL THEN
                SELECT d.rank, d.id INTO cur_rank, cur_id
                  FROM privacybee.rank_cursor_decode(body ->> 'searchCursor') AS d;
            END IF;
            -- the query's findings a batch at a time, kept when they carry every tag, until
            -- a page and one more are found or the findings end
            batch := CASE WHEN pg_catalog.cardinality(tag_ids) = 0 THEN size + 1
                          ELSE GREATEST(4 * (size + 1), 100) END;
            LOOP
                SELECT * INTO f FROM privacybee.contacts_fulltext(uid, q, cur_rank, cur_id, batch);
                SELECT ids || COALESCE(pg_catalog.array_agg(u.id ORDER BY u.ord), '{}'),
                       ranks || COALESCE(pg_catalog.array_agg(u.rank ORDER BY u.ord), '{}')
                  INTO ids, ranks
                  FROM ROWS FROM (pg_catalog.unnest(f.ids), pg_catalog.unnest(f.ranks))
                       WITH ORDINALITY AS u(id, rank, ord)
                 WHERE (SELECT pg_catalog.count(*) FROM privacybee.contact_tags ct
                         WHERE ct.user_id = uid AND ct.contact_id = u.id AND ct.tag_id = ANY (tag_ids))
                       = pg_catalog.cardinality(tag_ids);
                EXIT WHEN pg_catalog.cardinality(ids) > size
                       OR COALESCE(pg_catalog.cardinality(f.ids), 0) < batch;
                cur_rank := f.ranks[batch];
                cur_id := f.ids[batch];
            END LOOP;
            more := pg_catalog.cardinality(ids) > size;
            IF more THEN
                ids := ids[1:size];
                next_cursor := privacybee.rank_cursor_encode(ranks[size], ids[size]);
            END IF;
        END IF;
    EXCEPTION WHEN SQLSTATE 'PT400' THEN
        GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
        PERFORM privacybee.cplus_reraise('contacts.search', message, detail);
    END;
    SELECT pg_catalog.jsonb_build_object('contacts', COALESCE(pg_catalog.jsonb_agg(x.contact ORDER BY u.ord), '[]'))
      INTO out
      FROM pg_catalog.unnest(ids) WITH ORDINALITY AS u(id, ord)
      JOIN privacybee.cplus_contacts(uid, ids) AS x ON x.id = u.id;
    IF more THEN
        out := out || pg_catalog.jsonb_build_object('cursor', next_cursor);
    END IF;
    RETURN privacybee.response(200, out::text);
END
$$;

-- contacts.create {"contact": {"contactData", "contactMetadata"}}: the new contact.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_contacts_create(token text, arg text, params jsonb, body jsonb,
                                                               if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_contacts_create', body);
    me bigint := uid;
    cid bigint;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    uid := privacybee.cplus_body(uid, body, '{contact}');
    PERFORM privacybee.cplus_lock_team(me, uid);
    cid := privacybee.cplus_contact_write(uid, NULL,
               privacybee.cplus_contact_item(uid, body -> 'contact', true));
    IF uid <> me THEN
        -- a team's contact: the employee who shared it with the team
        UPDATE privacybee.contacts c SET shared_by = me WHERE c.user_id = uid AND c.id = cid;
    END IF;
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object(
        'contact', privacybee.cplus_contact(uid, cid))::text);
END
$$;

-- contacts.update {"contact": {"contactId", "etag", "contactData", "contactMetadata"},
-- "resolveConflicts"}: contactData replaces the contact's data, contactMetadata.tagIds
-- its tags (each absent: unchanged). The etag must be the current one (409 with the
-- current contact otherwise), unless resolveConflicts is true, which writes over it.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_contacts_update(token text, arg text, params jsonb, body jsonb,
                                                               if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_contacts_update', body);
    me bigint := uid;
    contact jsonb;
    cid bigint;
    etag text;
    force boolean;
    item jsonb;
    v integer;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    uid := privacybee.cplus_body(uid, body, '{contact,resolveConflicts}');
    PERFORM privacybee.cplus_lock_team(me, uid);
    contact := body -> 'contact';
    force := COALESCE((body ->> 'resolveConflicts')::boolean, false);
    PERFORM privacybee.cplus_check_object(contact, 'contact',
        '{contactId,teamId,etag,created,updated,contactData,contactMetadata}');
    cid := privacybee.json_id(contact -> 'contactId', 'contact.contactId');
    IF pg_catalog.jsonb_typeof(contact -> 'etag') IS DISTINCT FROM 'string' AND NOT force THEN
        PERFORM privacybee.bad_field('contact.etag', 'is required (or resolveConflicts)');
    END IF;
    etag := contact ->> 'etag';
    item := privacybee.cplus_contact_item(uid, contact, false);
    SELECT c.version INTO v FROM privacybee.contacts c WHERE c.user_id = uid AND c.id = cid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM privacybee.fail_fields(404, '{contact.contactId}', '{"not found"}', 'contact not found');
    END IF;
    IF NOT force AND etag IS DISTINCT FROM privacybee.cplus_etag(privacybee.contact_etag(cid, v)) THEN
        RETURN privacybee.cplus_conflict('contact.etag', 'contact', privacybee.cplus_contact(uid, cid),
                                         token, 'api_cplus_contacts_get', uid <> me);
    END IF;
    IF item <> '{}' THEN
        PERFORM privacybee.cplus_contact_write(uid, cid, item);
    END IF;
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object(
        'contact', privacybee.cplus_contact(uid, cid))::text);
END
$$;

-- contacts.delete {"contactId", "etag"}: as DELETE /contacts/<id> (a tombstone stays);
-- a stale etag is 409 with the current contact.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_contacts_delete(token text, arg text, params jsonb, body jsonb,
                                                               if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_contacts_delete', body);
    me bigint := uid;
    cid bigint;
    v integer;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    uid := privacybee.cplus_body(uid, body, '{contactId,etag}');
    PERFORM privacybee.cplus_lock_team(me, uid);
    cid := privacybee.json_id(body -> 'contactId', 'contactId');
    IF body ->> 'etag' IS NULL THEN
        PERFORM privacybee.bad_field('etag', 'is required');
    END IF;
    -- a contact's phones are part of the member's trust decisions (50_trust_graph.sql)
    PERFORM privacybee.trust_lock_caller(uid);
    SELECT c.version INTO v FROM privacybee.contacts c WHERE c.user_id = uid AND c.id = cid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM privacybee.fail_fields(404, '{contactId}', '{"not found"}', 'contact not found');
    END IF;
    IF body ->> 'etag' IS DISTINCT FROM privacybee.cplus_etag(privacybee.contact_etag(cid, v)) THEN
        RETURN privacybee.cplus_conflict('etag', 'contact', privacybee.cplus_contact(uid, cid),
                                         token, 'api_cplus_contacts_get', uid <> me);
    END IF;
    PERFORM privacybee.contact_remove(uid, cid);
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object(
        'contactId', cid::text, 'deleted', true)::text);
END
$$;

-- contacts.manageTags {"contactIds", "addTagIds", "removeTagIds"}: as POST
-- /contacts/tags (all or nothing); the contacts named.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_contacts_manage_tags(token text, arg text, params jsonb, body jsonb,
                                                                    if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_contacts_manage_tags', body);
    me bigint := uid;
    cids bigint[];
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    uid := privacybee.cplus_body(uid, body, '{contactIds,addTagIds,removeTagIds}');
    PERFORM privacybee.cplus_lock_team(me, uid);
    cids := privacybee.contacts_tags_change(uid, body, '{contactIds,addTagIds,removeTagIds}');
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object('contacts', (
        SELECT COALESCE(pg_catalog.jsonb_agg(x.contact ORDER BY u.ord), '[]')
          FROM pg_catalog.unnest(cids) WITH ORDINALITY AS u(id, ord)
          JOIN privacybee.cplus_contacts(uid, cids) AS x ON x.id = u.id))::text);
END
$$;

-- ---- tags -------------------------------------------------------------------------

-- tags.get {"tagIds"}: those tags, in the order named; 404 naming any not the member's.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_tags_get(token text, arg text, params jsonb, body jsonb,
                                                        if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_tags_get', body);
    ids bigint[];
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    uid := privacybee.cplus_body(uid, body, '{tagIds}');
    IF NOT body ? 'tagIds' THEN
        PERFORM privacybee.bad_field('tagIds', 'is required');
    END IF;
    ids := privacybee.cplus_owned_ids(uid, body -> 'tagIds', 'tagIds', true);
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object('tags', (
        SELECT COALESCE(pg_catalog.jsonb_agg(x.tag ORDER BY u.ord), '[]')
          FROM pg_catalog.unnest(ids) WITH ORDINALITY AS u(id, ord)
          JOIN privacybee.cplus_tags(uid, ids) AS x ON x.id = u.id))::text);
END
$$;

-- tags.scroll {"size", "scrollCursor", "includeDeletedTags"}: every tag, by id, a page
-- at a time ("cursor" while there are more). A deleted tag leaves no tombstone (its
-- contacts' updated moves instead), so includeDeletedTags adds none.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_tags_scroll(token text, arg text, params jsonb, body jsonb,
                                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_tags_scroll', body);
    size integer;
    after bigint := 0;
    ids bigint[];
    out jsonb;
    message text;
    detail text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    body := COALESCE(body, '{}');
    uid := privacybee.cplus_body(uid, body, '{size,scrollCursor,includeDeletedTags}');
    size := privacybee.cplus_size(body);
    BEGIN
        IF body ->> 'scrollCursor' IS NOT NULL THEN
            SELECT d.id INTO after FROM privacybee.cursor_decode(body ->> 'scrollCursor', false) AS d;
        END IF;
    EXCEPTION WHEN SQLSTATE 'PT400' THEN
        GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
        PERFORM privacybee.cplus_reraise('tags.scroll', message, detail);
    END;
    ids := ARRAY(SELECT t.id FROM privacybee.tags t WHERE t.user_id = uid AND t.id > after
                  ORDER BY t.id LIMIT size + 1);
    SELECT pg_catalog.jsonb_build_object('tags', COALESCE(pg_catalog.jsonb_agg(x.tag ORDER BY x.id), '[]'))
      INTO out
      FROM privacybee.cplus_tags(uid, ids[1:size]) AS x;
    IF pg_catalog.cardinality(ids) > size THEN
        out := out || pg_catalog.jsonb_build_object('cursor', privacybee.cursor_encode(NULL, ids[size]));
    END IF;
    RETURN privacybee.response(200, out::text);
END
$$;

-- A tag object a Contacts+ body gives (tags.create, tags.update): its tagData.name.
CREATE OR REPLACE FUNCTION privacybee.cplus_tag_name(tag jsonb)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM privacybee.cplus_check_object(tag, 'tag', '{tagId,etag,created,updated,tagData}');
    PERFORM privacybee.cplus_check_object(tag -> 'tagData', 'tag.tagData', '{name}');
    RETURN privacybee.tag_name_in(tag #> '{tagData,name}', 'tag.tagData.name');
END
$$;
COMMENT ON FUNCTION privacybee.cplus_tag_name(jsonb) IS
    'the name a Contacts+ tag object gives in tagData.name; 400 naming the field otherwise';

-- tags.create {"tag": {"tagData": {"name"}}}: the new tag, or the one of that name (in
-- any case) when it exists.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_tags_create(token text, arg text, params jsonb, body jsonb,
                                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_tags_create', body);
    me bigint := uid;
    tid bigint;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    uid := privacybee.cplus_body(uid, body, '{tag}');
    PERFORM privacybee.cplus_lock_team(me, uid);
    SELECT n.id INTO tid FROM privacybee.tag_create(uid, privacybee.cplus_tag_name(body -> 'tag')) AS n;
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object('tag', (
        SELECT x.tag FROM privacybee.cplus_tags(uid, ARRAY[tid]) AS x))::text);
END
$$;

-- tags.update {"tag": {"tagId", "etag", "tagData": {"name"}}}: a rename (another tag of
-- that name: 409); a stale etag is 409 with the current tag. The seed's JavaScript
-- example gives tagId and etag beside "tag": either place is read, not both.
-- "resolveConflicts": true renames whatever the etag (as contacts.update).
CREATE OR REPLACE FUNCTION privacybee.api_cplus_tags_update(token text, arg text, params jsonb, body jsonb,
                                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_tags_update', body);
    me bigint := uid;
    k text;
    tid bigint;
    etag text;
    tag_name text;
    force boolean;
    v integer;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    uid := privacybee.cplus_body(uid, body, '{tag,tagId,etag,resolveConflicts}');
    force := COALESCE((body ->> 'resolveConflicts')::boolean, false);
    PERFORM privacybee.cplus_lock_team(me, uid);
    tag_name := privacybee.cplus_tag_name(body -> 'tag');
    FOREACH k IN ARRAY '{tagId,etag}'::text[] LOOP
        IF body ? k AND body -> 'tag' ? k THEN
            PERFORM privacybee.bad_field('tag.' || k, 'is given beside the tag too');
        END IF;
    END LOOP;
    tid := privacybee.json_id(COALESCE(body #> '{tag,tagId}', body -> 'tagId'), 'tag.tagId');
    etag := COALESCE(body #>> '{tag,etag}', body ->> 'etag');
    IF etag IS NULL AND NOT force THEN
        PERFORM privacybee.bad_field('tag.etag', 'is required (or resolveConflicts)');
    END IF;
    PERFORM privacybee.trust_lock_caller(uid);
    SELECT x.version INTO v FROM privacybee.tags x WHERE x.user_id = uid AND x.id = tid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM privacybee.fail_fields(404, '{tag.tagId}', '{"not found"}', 'tag not found');
    END IF;
    IF NOT force AND etag IS DISTINCT FROM privacybee.cplus_tag_etag(v) THEN
        RETURN privacybee.cplus_conflict('tag.etag', 'tag',
            (SELECT x.tag FROM privacybee.cplus_tags(uid, ARRAY[tid]) AS x), token, 'api_cplus_tags_get', uid <> me);
    END IF;
    PERFORM privacybee.tag_rename(uid, tid, tag_name, 'tag.tagData.name');
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object('tag', (
        SELECT x.tag FROM privacybee.cplus_tags(uid, ARRAY[tid]) AS x))::text);
END
$$;

-- tags.delete {"tagId", "etag"}: the tag goes, from its contacts too; a stale etag is
-- 409 with the current tag.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_tags_delete(token text, arg text, params jsonb, body jsonb,
                                                           if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_tags_delete', body);
    me bigint := uid;
    tid bigint;
    v integer;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    uid := privacybee.cplus_body(uid, body, '{tagId,etag}');
    PERFORM privacybee.cplus_lock_team(me, uid);
    tid := privacybee.json_id(body -> 'tagId', 'tagId');
    IF body ->> 'etag' IS NULL THEN
        PERFORM privacybee.bad_field('etag', 'is required');
    END IF;
    PERFORM privacybee.trust_lock_caller(uid);
    SELECT x.version INTO v FROM privacybee.tags x WHERE x.user_id = uid AND x.id = tid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM privacybee.fail_fields(404, '{tagId}', '{"not found"}', 'tag not found');
    END IF;
    IF body ->> 'etag' IS DISTINCT FROM privacybee.cplus_tag_etag(v) THEN
        RETURN privacybee.cplus_conflict('etag', 'tag',
            (SELECT x.tag FROM privacybee.cplus_tags(uid, ARRAY[tid]) AS x), token, 'api_cplus_tags_get', uid <> me);
    END IF;
    PERFORM privacybee.tag_delete(uid, tid);
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object('tagId', tid::text, 'deleted', true)::text);
END
$$;

-- contacts.uploadPhoto, multipart/form-data (fcgi/multipart.c): an image part (JPEG, PNG or
-- WebP, by its Content-Type: photo and content_type here) and a contact.json part, a field
-- that joins params: {"contact": {"contactId", "etag"}} (etag optional: when given, a
-- stale one is 409 with the current contact). The photo becomes the contact's, as PUT
-- /contacts/<id>/photo makes it (one photo a contact: the new one replaces the old).
CREATE OR REPLACE FUNCTION privacybee.api_cplus_contacts_upload_photo(token text, arg text, params jsonb,
                                                                     photo bytea, content_type text,
                                                                     if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_cplus_contacts_upload_photo'));
    me bigint := uid;
    body jsonb;
    contact jsonb;
    cid bigint;
    v integer;
BEGIN
    PERFORM privacybee.check_params(params, '{contact.json}');
    IF NOT params ? 'contact.json' THEN
        PERFORM privacybee.bad_field('contact.json', 'is required: a part {"contact": {"contactId"}}');
    END IF;
    BEGIN
        body := (params ->> 'contact.json')::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
        PERFORM privacybee.bad_field('contact.json', 'is not JSON');
    END;
    IF pg_catalog.jsonb_typeof(body) IS DISTINCT FROM 'object' THEN
        PERFORM privacybee.bad_field('contact.json', 'must be a JSON object');
    END IF;
    -- a team's contact needs the team's scope too
    IF pg_catalog.jsonb_typeof(body -> 'teamId') IS DISTINCT FROM 'null' AND body ? 'teamId' THEN
        PERFORM privacybee.authenticate_member(token, privacybee.cplus_team_scope(
            privacybee.route_scope('api_cplus_contacts_upload_photo')));
    END IF;
    uid := privacybee.cplus_body(uid, body, '{contact}');
    PERFORM privacybee.cplus_lock_team(me, uid);
    contact := body -> 'contact';
    PERFORM privacybee.cplus_check_object(contact, 'contact',
        '{contactId,teamId,etag,created,updated,contactData,contactMetadata}');
    cid := privacybee.json_id(contact -> 'contactId', 'contact.contactId');
    IF pg_catalog.jsonb_typeof(contact -> 'etag') NOT IN ('string', 'null') THEN
        PERFORM privacybee.bad_field('contact.etag', 'must be a string');
    END IF;
    PERFORM privacybee.photo_check(photo, content_type, 'image');
    SELECT c.version INTO v FROM privacybee.contacts c WHERE c.user_id = uid AND c.id = cid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM privacybee.fail_fields(404, '{contact.contactId}', '{"not found"}', 'contact not found');
    END IF;
    IF contact ->> 'etag' IS NOT NULL
       AND contact ->> 'etag' IS DISTINCT FROM privacybee.cplus_etag(privacybee.contact_etag(cid, v)) THEN
        RETURN privacybee.cplus_conflict('contact.etag', 'contact', privacybee.cplus_contact(uid, cid),
                                         token, 'api_cplus_contacts_get', uid <> me);
    END IF;
    PERFORM privacybee.contact_photo_store(uid, cid, photo);
    PERFORM privacybee.contact_photo_changed(uid, cid);
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object(
        'contact', privacybee.cplus_contact(uid, cid))::text);
END
$$;

-- contacts.changeOwner {"contactIds", "ownerId", "teamId"}: the team's contacts named get
-- ownerId (an employee of the team, the seed's accountId from teams.get; null clears
-- it) as their ownedBy; answers them, in the order named. Only a team's contacts have an
-- owner: teamId is required.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_contacts_change_owner(token text, arg text, params jsonb, body jsonb,
                                                                     if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_cplus_contacts_change_owner'));
    me bigint := uid;
    team bigint;
    owner_id bigint;
    cids bigint[];
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    IF pg_catalog.jsonb_typeof(body -> 'teamId') IS NULL OR body -> 'teamId' = 'null' THEN
        PERFORM privacybee.check_body_fields(body, '{contactIds,ownerId,teamId}', 'this method''s body');
        PERFORM privacybee.bad_field('teamId', 'is required: only a team''s contacts have an owner');
    END IF;
    IF NOT body ? 'ownerId' THEN
        PERFORM privacybee.bad_field('ownerId', 'is required (null clears the owner)');
    END IF;
    team := privacybee.json_id(body -> 'teamId', 'teamId');
    IF body -> 'ownerId' <> 'null' THEN
        owner_id := privacybee.json_id(body -> 'ownerId', 'ownerId');
    END IF;
    uid := privacybee.cplus_body(uid, body, '{contactIds,ownerId}');
    PERFORM privacybee.cplus_lock_team(me, uid);
    IF owner_id IS NOT NULL AND team NOT IN (SELECT privacybee.member_teams(owner_id)) THEN
        PERFORM privacybee.fail_fields(404, '{ownerId}', '{"is not a member of the team"}',
                                       'ownerId is not a member of the team');
    END IF;
    cids := privacybee.cplus_owned_ids(uid, body -> 'contactIds', 'contactIds', false);
    IF pg_catalog.cardinality(cids) = 0 THEN
        PERFORM privacybee.bad_field('contactIds', 'must name at least one contact');
    END IF;
    PERFORM privacybee.trust_lock_caller(uid);
    UPDATE privacybee.contacts c
       SET owned_by = owner_id, version = c.version + 1, updated = pg_catalog.now()
     WHERE c.user_id = uid AND c.id = ANY (cids) AND c.owned_by IS DISTINCT FROM owner_id;
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object('contacts', (
        SELECT COALESCE(pg_catalog.jsonb_agg(x.contact ORDER BY u.ord), '[]')
          FROM pg_catalog.unnest(cids) WITH ORDINALITY AS u(id, ord)
          JOIN privacybee.cplus_contacts(uid, cids) AS x ON x.id = u.id))::text);
END
$$;

-- ---- webhooks (SPEC §11, over sql/logic/70_webhooks.sql's functions) ---------------

-- Webhooks as the seed writes them: {"webhookId", "url", "triggers", "created",
-- "accountId"} (the account whose changes it reports: the member's id, as account.get's
-- accountId, or for a team's webhook the team's teamId, as teams.get writes it; never the
-- team account's internal people id, which no method shows).
CREATE OR REPLACE FUNCTION privacybee.cplus_webhook(w privacybee.webhooks)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.jsonb_build_object(
        'webhookId', w.id::text, 'url', w.url, 'triggers', pg_catalog.to_jsonb(w.trigger_ids),
        'created', privacybee.rfc3339(w.created),
        'accountId', COALESCE((SELECT p.team_of FROM privacybee.people p WHERE p.id = w.user_id),
                              w.user_id)::text)
$$;
COMMENT ON FUNCTION privacybee.cplus_webhook(privacybee.webhooks) IS
    'a webhook as the Contacts+ API writes it (never its secret)';

-- The page of a webhooks.get or webhooks.search: page, from 1 (default 1), of 100.
CREATE OR REPLACE FUNCTION privacybee.cplus_webhook_page(body jsonb)
RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(privacybee.json_int(body -> 'page', 'page', 1, 1000000), 1)::integer
$$;
COMMENT ON FUNCTION privacybee.cplus_webhook_page(jsonb) IS
    'the page a Contacts+ webhooks listing asks for (from 1, 100 a page); 400 naming page otherwise';

-- webhooks.get {"webhookIds", "page"}: those webhooks, in the order named; 404 naming any
-- that is not the member's (or the team's).
CREATE OR REPLACE FUNCTION privacybee.api_cplus_webhooks_get(token text, arg text, params jsonb, body jsonb,
                                                            if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_webhooks_get', body);
    ids bigint[];
    page integer;
    missing text[];
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    uid := privacybee.cplus_body(uid, body, '{webhookIds,page}');
    IF NOT body ? 'webhookIds' THEN
        PERFORM privacybee.bad_field('webhookIds', 'is required');
    END IF;
    ids := privacybee.json_ids(body -> 'webhookIds', 'webhookIds', 1000);
    page := privacybee.cplus_webhook_page(body);
    SELECT pg_catalog.array_agg('webhookIds[' || (e.i - 1) || ']' ORDER BY e.i) INTO missing
      FROM pg_catalog.jsonb_array_elements(body -> 'webhookIds') WITH ORDINALITY AS e(x, i)
     WHERE NOT EXISTS (SELECT 1 FROM privacybee.webhooks w
                        WHERE w.user_id = uid AND w.id = privacybee.json_id(e.x, 'webhookIds'));
    IF missing IS NOT NULL THEN
        PERFORM privacybee.fail_fields(404, missing,
            pg_catalog.array_fill('not found'::text, ARRAY[pg_catalog.cardinality(missing)]),
            missing[1] || ' not found');
    END IF;
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object('webhooks', (
        SELECT COALESCE(pg_catalog.jsonb_agg(privacybee.cplus_webhook(w) ORDER BY u.ord), '[]')
          FROM (SELECT * FROM pg_catalog.unnest(ids) WITH ORDINALITY AS u(id, ord)
                 ORDER BY u.ord OFFSET (page - 1) * 100 LIMIT 100) AS u
          JOIN privacybee.webhooks w ON w.user_id = uid AND w.id = u.id))::text);
END
$$;

-- webhooks.search {"url", "triggerIds", "page"}: the webhooks whose URL contains url and
-- that name any of triggerIds (each absent: any), oldest first, 100 a page.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_webhooks_search(token text, arg text, params jsonb, body jsonb,
                                                               if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_webhooks_search', body);
    triggers text[];
    page integer;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    body := COALESCE(body, '{}');
    uid := privacybee.cplus_body(uid, body, '{url,triggerIds,page}');
    IF pg_catalog.jsonb_typeof(body -> 'url') NOT IN ('string', 'null') THEN
        PERFORM privacybee.bad_field('url', 'must be a string');
    END IF;
    IF body ? 'triggerIds' AND body -> 'triggerIds' <> 'null' THEN
        triggers := privacybee.webhook_trigger_ids(body -> 'triggerIds', 'triggerIds');
    END IF;
    page := privacybee.cplus_webhook_page(body);
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object('webhooks', (
        SELECT COALESCE(pg_catalog.jsonb_agg(privacybee.cplus_webhook(w) ORDER BY w.id), '[]')
          FROM (SELECT * FROM privacybee.webhook_search(uid, NULLIF(body ->> 'url', ''), triggers) AS s
                 ORDER BY s.id OFFSET (page - 1) * 100 LIMIT 100) AS w))::text);
END
$$;

-- webhooks.create {"url", "triggerIds"}: the new webhook, and its signing secret ("secret",
-- beside the seed's fields: the one time it is shown). The token must read every
-- trigger's data (webhook_check_trigger_scopes()).
CREATE OR REPLACE FUNCTION privacybee.api_cplus_webhooks_create(token text, arg text, params jsonb, body jsonb,
                                                               if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_webhooks_create', body);
    me bigint := uid;
    triggers text[];
    made record;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(body, '{url,triggerIds,teamId}', 'this method''s body');
    IF pg_catalog.jsonb_typeof(body -> 'url') IS DISTINCT FROM 'string' THEN
        PERFORM privacybee.bad_field('url', 'is required: a string');
    END IF;
    triggers := privacybee.webhook_trigger_ids(body -> 'triggerIds', 'triggerIds');
    -- before acting for a team: it authenticates the token again, as its member
    PERFORM privacybee.webhook_check_trigger_scopes(token, triggers);
    uid := privacybee.cplus_body(uid, body, '{url,triggerIds}');
    PERFORM privacybee.cplus_lock_team(me, uid);
    SELECT * INTO made FROM privacybee.webhook_create(uid, body ->> 'url', triggers);
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object('webhook',
        (SELECT privacybee.cplus_webhook(w) FROM privacybee.webhooks w WHERE w.user_id = uid AND w.id = made.id)
        || pg_catalog.jsonb_build_object('secret', made.secret))::text);
END
$$;

-- webhooks.delete {"webhookId"}: the webhook goes, with what it had not delivered.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_webhooks_delete(token text, arg text, params jsonb, body jsonb,
                                                               if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_webhooks_delete', body);
    me bigint := uid;
    wid bigint;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    uid := privacybee.cplus_body(uid, body, '{webhookId}');
    PERFORM privacybee.cplus_lock_team(me, uid);
    wid := privacybee.json_id(body -> 'webhookId', 'webhookId');
    IF NOT privacybee.webhook_delete(uid, wid) THEN
        PERFORM privacybee.fail_fields(404, '{webhookId}', '{"not found"}', 'webhook not found');
    END IF;
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object(
        'webhookId', wid::text, 'deleted', true)::text);
END
$$;

-- webhooks.getBatches {"webhookId", "batchId"}: the webhook's batches of the last 14 days,
-- newest first (only batchId's when it is given), each as GET /webhooks/<id>/batches
-- shows it (the seed shows no shape of its own).
CREATE OR REPLACE FUNCTION privacybee.api_cplus_webhooks_get_batches(token text, arg text, params jsonb, body jsonb,
                                                                    if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.cplus_auth(token, 'api_cplus_webhooks_get_batches', body);
    wid bigint;
    batch bigint;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    uid := privacybee.cplus_body(uid, body, '{webhookId,batchId}');
    wid := privacybee.json_id(body -> 'webhookId', 'webhookId');
    IF body ? 'batchId' AND body -> 'batchId' <> 'null' THEN
        batch := privacybee.json_id(body -> 'batchId', 'batchId');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM privacybee.webhooks w WHERE w.user_id = uid AND w.id = wid) THEN
        PERFORM privacybee.fail_fields(404, '{webhookId}', '{"not found"}', 'webhook not found');
    END IF;
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object('batches', (
        SELECT COALESCE(pg_catalog.jsonb_agg(privacybee.webhook_batch_json(b)::jsonb ORDER BY b.id DESC), '[]')
          FROM privacybee.webhook_batches_of(uid, wid, NULL, 1000) AS b
         WHERE batch IS NULL OR b.id = batch))::text);
END
$$;

-- webhooks.getTriggers {}: every trigger a webhook may name, with the scope its data needs.
CREATE OR REPLACE FUNCTION privacybee.api_cplus_webhooks_get_triggers(token text, arg text, params jsonb, body jsonb,
                                                                     if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_cplus_webhooks_get_triggers'));
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(COALESCE(body, '{}'), '{}', 'this method''s body');
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object('triggers', (
        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'triggerId', t.id, 'scope', t.scope, 'description', t.description) ORDER BY t.id)
          FROM privacybee.webhook_triggers() AS t))::text);
END
$$;
