-- Search (SPEC §9): full-text (GET /contacts?q=, in api_contacts_list) and structured
-- (POST /contacts/search). The plans are built in C from the parsed query or filter
-- (extension/search_query.c, search_filter.c), values bound as parameters. The four
-- functions that run them are SECURITY DEFINER, owned by privacybee_system: under the
-- row-level security policies a non-leakproof condition (tsvector @@ tsquery, LIKE,
-- lower(...) = ANY) cannot be an index condition, and every search would read all of
-- the member's contacts. Each refuses to run for any member but the one the transaction
-- acts for (search_check_member(), extension/search_text.c), names the member in every
-- scan it builds, and the contacts it finds are rendered under the policies again.

CREATE OR REPLACE FUNCTION privacybee.contacts_fulltext(user_id bigint, q text, after_rank real,
                                                       after_id bigint, lim integer,
                                                       OUT ids bigint[], OUT ranks real[],
                                                       OUT total bigint)
AS 'MODULE_PATHNAME', 'contacts_fulltext'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION privacybee.contacts_fulltext(bigint, text, real, bigint, integer) IS
    'the member''s contacts a Contacts+ query finds, by relevance then id, a page after (after_rank, after_id)';

CREATE OR REPLACE FUNCTION privacybee.contact_query_plan(q text)
RETURNS text
AS 'MODULE_PATHNAME', 'contact_query_plan'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION privacybee.contact_query_plan(text) IS
    'the condition a Contacts+ query becomes, its parameters written out (400 when the query is malformed)';

CREATE OR REPLACE FUNCTION privacybee.contacts_fulltext_explain(user_id bigint, q text)
RETURNS text
AS 'MODULE_PATHNAME', 'contacts_fulltext_explain'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION privacybee.contacts_fulltext_explain(bigint, text) IS
    'EXPLAIN (COSTS OFF) of the statement a full-text search of the member runs';

CREATE OR REPLACE FUNCTION privacybee.contacts_filter(user_id bigint, filter jsonb, after_id bigint,
                                                     lim integer, OUT ids bigint[], OUT total bigint)
AS 'MODULE_PATHNAME', 'contacts_filter'
LANGUAGE C STABLE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION privacybee.contacts_filter(bigint, jsonb, bigint, integer) IS
    'the member''s contacts a structured filter finds, by id, a page after after_id';

CREATE OR REPLACE FUNCTION privacybee.contacts_filter_explain(user_id bigint, filter jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'contacts_filter_explain'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION privacybee.contacts_filter_explain(bigint, jsonb) IS
    'EXPLAIN (COSTS OFF) of the statement a structured search of the member runs';

-- s percent-encoded for a URL's query (RFC 3986: all but the unreserved characters).
CREATE OR REPLACE FUNCTION privacybee.url_encode(s text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT COALESCE(pg_catalog.string_agg(
               CASE WHEN b BETWEEN 48 AND 57 OR b BETWEEN 65 AND 90 OR b BETWEEN 97 AND 122
                         OR b IN (45, 46, 95, 126)
                    THEN pg_catalog.chr(b)
                    ELSE '%' || pg_catalog.upper(pg_catalog.lpad(pg_catalog.to_hex(b), 2, '0'))
               END, '' ORDER BY i), '')
      FROM (SELECT pg_catalog.get_byte(pg_catalog.convert_to(s, 'UTF8'), i) AS b, i
              FROM pg_catalog.generate_series(0, pg_catalog.octet_length(
                       pg_catalog.convert_to(s, 'UTF8')) - 1) AS i) AS bytes
$$;
COMMENT ON FUNCTION privacybee.url_encode(text) IS
    's percent-encoded for a URL''s query string (RFC 3986)';

-- The keyset cursor of a full-text search: base64url of "r<rank>|<id>" (a float4's text
-- is exact, so the next page starts exactly after the last row shown).
CREATE OR REPLACE FUNCTION privacybee.rank_cursor_encode(rank real, id bigint)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT pg_catalog.translate(pg_catalog.encode(pg_catalog.convert_to(
               'r' || rank::text || '|' || id::text, 'UTF8'), 'base64'), E'+/=\n', '-_')
$$;
COMMENT ON FUNCTION privacybee.rank_cursor_encode(real, bigint) IS
    'the keyset cursor of a full-text search page: the last rank and id shown';

CREATE OR REPLACE FUNCTION privacybee.rank_cursor_decode(cursor text, OUT rank real, OUT id bigint)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    parts text[];
BEGIN
    BEGIN
        parts := pg_catalog.regexp_match(pg_catalog.convert_from(pg_catalog.decode(
            pg_catalog.rpad(pg_catalog.translate(cursor, '-_', '+/'),
                            ((pg_catalog.length(cursor) + 3) / 4) * 4, '='), 'base64'), 'UTF8'),
            '^r([-+0-9.eE]{1,32})\|([0-9]+)$');
        rank := parts[1]::real;
    EXCEPTION WHEN OTHERS THEN
        parts := NULL;
    END;
    id := privacybee.parse_id(parts[2]);
    IF parts IS NULL OR id IS NULL THEN
        PERFORM privacybee.bad_field('cursor', 'is malformed or belongs to another listing',
            'cursor is not valid for this listing');
    END IF;
END
$$;
COMMENT ON FUNCTION privacybee.rank_cursor_decode(text) IS
    'a full-text search cursor read back; 400 naming cursor when it is not one';

-- GET /contacts?q=… (called by api_contacts_list): a page of the contacts q finds, by
-- relevance then id, with include, cursor and per_page as the listing has them.
CREATE OR REPLACE FUNCTION privacybee.contacts_list_fulltext(uid bigint, params jsonb, per_page integer,
                                                            include text[])
RETURNS privacybee.http_response
LANGUAGE plpgsql AS $$
DECLARE
    k text;
    cur_rank real;
    cur_id bigint;
    f record;
    ids bigint[];
    ranks real[];
    out text;
    query text;
    link text := '';
BEGIN
    FOREACH k IN ARRAY '{page,updated_at,include_deleted}'::text[] LOOP
        IF params ? k THEN
            PERFORM privacybee.bad_field(k, 'cannot be combined with q');
        END IF;
    END LOOP;
    IF params ? 'cursor' THEN
        SELECT d.rank, d.id INTO cur_rank, cur_id
          FROM privacybee.rank_cursor_decode(params ->> 'cursor') AS d;
    END IF;
    SELECT * INTO f FROM privacybee.contacts_fulltext(uid, params ->> 'q', cur_rank, cur_id,
                                                      per_page + 1);
    ids := f.ids;
    ranks := f.ranks;
    IF pg_catalog.cardinality(ids) > per_page THEN
        ids := ids[1:per_page];
        query := 'q=' || privacybee.url_encode(params ->> 'q') || '&per_page=' || per_page
              || CASE WHEN pg_catalog.cardinality(include) > 0
                      THEN '&include=' || pg_catalog.array_to_string(include, ',') ELSE '' END;
        link := E'\nLink: </contacts?' || query || '&cursor='
                || privacybee.rank_cursor_encode(ranks[per_page], ids[per_page]) || '>; rel="next"';
    END IF;
    SELECT '[' || COALESCE(pg_catalog.string_agg(r.rendered, ',' ORDER BY r.ord), '') || ']' INTO out
      FROM pg_catalog.unnest(privacybee.contacts_render(uid, ids, 'emails' = ANY (include),
                      'phone_numbers' = ANY (include), 'addresses' = ANY (include)))
           WITH ORDINALITY AS r(rendered, ord);
    RETURN privacybee.response(200, out, 'X-Total-Count: ' || f.total || link);
END
$$;
COMMENT ON FUNCTION privacybee.contacts_list_fulltext(bigint, jsonb, integer, text[]) IS
    'GET /contacts?q=: a page of the contacts a full-text search finds, for api_contacts_list';

-- POST /contacts/search {"filter", "cursor", "limit"} (cursor and limit may come as query
-- parameters instead, as the next link gives them): the contacts the filter finds, by
-- id, like GET /contacts (Link next cursor, X-Total-Count). A read: contacts:read.
CREATE OR REPLACE FUNCTION privacybee.api_contacts_search(token text, arg text, params jsonb, body jsonb,
                                                         if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_contacts_search'));
    max_page integer := COALESCE(pg_catalog.current_setting('privacybee.max_page_size', true), '1000')::integer;
    k text;
    lim integer;
    after bigint := 0;
    f record;
    ids bigint[];
    out text;
    link text := '';
BEGIN
    PERFORM privacybee.check_params(params, '{cursor,limit}');
    PERFORM privacybee.check_body_fields(body, '{filter,cursor,limit}', 'a search');
    FOREACH k IN ARRAY '{cursor,limit}'::text[] LOOP
        IF params ? k AND body ? k THEN
            PERFORM privacybee.bad_field(k, 'given both as a parameter and in the body');
        END IF;
    END LOOP;
    IF NOT body ? 'filter' THEN
        PERFORM privacybee.bad_field('filter', 'is required');
    END IF;
    lim := COALESCE(privacybee.json_int(body -> 'limit', 'limit', 1, max_page),
                    privacybee.param_int(params, 'limit', 100, 1, max_page));
    IF pg_catalog.jsonb_typeof(body -> 'cursor') NOT IN ('string', 'null') THEN
        PERFORM privacybee.bad_field('cursor', 'must be a string');
    END IF;
    IF COALESCE(body ->> 'cursor', params ->> 'cursor') IS NOT NULL THEN
        SELECT d.id INTO after
          FROM privacybee.cursor_decode(COALESCE(body ->> 'cursor', params ->> 'cursor'), false) AS d;
    END IF;
    SELECT * INTO f FROM privacybee.contacts_filter(uid, body -> 'filter', after, lim + 1);
    ids := f.ids;
    IF pg_catalog.cardinality(ids) > lim THEN
        ids := ids[1:lim];
        link := E'\nLink: </contacts/search?limit=' || lim || '&cursor='
                || privacybee.cursor_encode(NULL, ids[lim]) || '>; rel="next"';
    END IF;
    RETURN privacybee.response(200, privacybee.contacts_json(uid, ids),
                               'X-Total-Count: ' || f.total || link);
END
$$;
