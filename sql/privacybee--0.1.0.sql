-- privacybee schema: tables and indexes.
--
-- Invariants:
--  * every row a member owns carries that member's user_id first in its keys, so the
--    owned tables can be distributed by user_id; people, companies, company_phones and
--    employees are reference data shared by everyone;
--  * phone numbers are matched on their E.164 form only (columns named e164), the raw
--    string is kept beside it as the member typed it.

\echo Use "CREATE EXTENSION privacybee" to load this file. \quit

-- Members. Members and users are one id space: a user_id is a people.id.
CREATE TABLE privacybee.people (
    id          bigserial PRIMARY KEY,
    first_name  text NOT NULL,
    middle_name text,
    last_name   text NOT NULL,
    avatar      text,
    phone_raw   text,
    phone_e164  text,
    -- end-to-end encryption identity (PUT /apps/buzz/encryption), opaque to us
    e2e_hash    text,
    e2e_id      text,
    public_key  text,
    created     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated     timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX people_phone_e164 ON privacybee.people (phone_e164) WHERE phone_e164 IS NOT NULL;

CREATE TABLE privacybee.companies (
    id      bigserial PRIMARY KEY,
    name    text NOT NULL,
    slug    text NOT NULL UNIQUE,
    logo    text,
    url     text,
    created timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated timestamptz NOT NULL DEFAULT pg_catalog.now()
);

CREATE TABLE privacybee.company_phones (
    company_id bigint NOT NULL REFERENCES privacybee.companies ON DELETE CASCADE,
    e164       text NOT NULL,
    raw        text NOT NULL,
    PRIMARY KEY (company_id, e164)
);
CREATE INDEX company_phones_e164 ON privacybee.company_phones (e164);

CREATE TABLE privacybee.employees (
    company_id bigint NOT NULL REFERENCES privacybee.companies ON DELETE CASCADE,
    person_id  bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    created    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (company_id, person_id)
);
CREATE INDEX employees_person ON privacybee.employees (person_id, company_id);

-- Bearer tokens, stored as SHA-256 of the plaintext. Looked up by hash, so the hash leads
-- the key; user_id is NULL for service tokens (telephony provider).
CREATE TABLE privacybee.tokens (
    token_hash bytea PRIMARY KEY,
    user_id    bigint REFERENCES privacybee.people ON DELETE CASCADE,
    scopes     text[] NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked    boolean NOT NULL DEFAULT false,
    created    timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX tokens_user ON privacybee.tokens (user_id);

CREATE SEQUENCE privacybee.contacts_id_seq;

-- A member's contacts. emails / addresses / labels are small ordered lists kept inline;
-- phones live in contact_phones because they are matched by E.164.
-- version counts every write and is the contact's ETag.
CREATE TABLE privacybee.contacts (
    user_id      bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    id           bigint NOT NULL DEFAULT pg_catalog.nextval('privacybee.contacts_id_seq'),
    external_id  text,
    display_name text NOT NULL,
    birthday     date,
    profile_icon text,
    emails       text[] NOT NULL DEFAULT '{}',
    addresses    text[] NOT NULL DEFAULT '{}',
    labels       text[] NOT NULL DEFAULT '{}',
    risk_score   integer,
    e2ee         boolean NOT NULL DEFAULT false,
    version      integer NOT NULL DEFAULT 1,
    created      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, id),
    UNIQUE (user_id, external_id)
);
ALTER SEQUENCE privacybee.contacts_id_seq OWNED BY privacybee.contacts.id;
CREATE INDEX contacts_updated ON privacybee.contacts (user_id, updated, id);

CREATE TABLE privacybee.contact_phones (
    user_id    bigint NOT NULL,
    contact_id bigint NOT NULL,
    pos        integer NOT NULL,
    raw        text NOT NULL,
    e164       text,
    PRIMARY KEY (user_id, contact_id, pos),
    FOREIGN KEY (user_id, contact_id) REFERENCES privacybee.contacts ON DELETE CASCADE
);
CREATE INDEX contact_phones_e164 ON privacybee.contact_phones (user_id, e164) WHERE e164 IS NOT NULL;

-- Deleted contacts, kept (30 days) so that syncing clients can mirror deletions.
CREATE TABLE privacybee.contact_tombstones (
    user_id     bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    contact_id  bigint NOT NULL,
    deleted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, contact_id)
);
CREATE INDEX contact_tombstones_deleted ON privacybee.contact_tombstones (user_id, deleted_at, contact_id);

-- requester_id asked user_id to trust them. One row per pair: a repeat updates it.
CREATE TABLE privacybee.trust_requests (
    user_id        bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    requester_id   bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    contact_reason text,
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'accepted', 'declined')),
    created        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, requester_id)
);
CREATE INDEX trust_requests_pending ON privacybee.trust_requests (user_id, updated) WHERE status = 'pending';

-- user_id's explicit decision about a person or a company. trusted = false is an
-- explicit untrust, which wins over every other reason to trust.
CREATE TABLE privacybee.trust_edges (
    user_id     bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    target_type text NOT NULL CHECK (target_type IN ('person', 'company')),
    target_id   bigint NOT NULL,
    trusted     boolean NOT NULL,
    updated     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, target_type, target_id)
);

-- What every API function returns: the HTTP status, extra header lines ("Name: value",
-- one per line) and the JSON body, passed through by privacybee-fcgi untouched.
CREATE TYPE privacybee.http_response AS (status integer, headers text, body text);
-- Core helpers every API function uses: errors, timestamps, authentication, parameters.
--
-- API errors are raised with SQLSTATE PTnnn (nnn = the HTTP status); for PT400 the
-- DETAIL may hold a JSON array of {"field", "problem"}. privacybee-fcgi turns them into
-- the SPEC error body; SQL callers see an ordinary error.

CREATE FUNCTION privacybee.phone_e164(raw text, default_country text DEFAULT 'US')
RETURNS text
AS 'MODULE_PATHNAME', 'phone_e164'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.phone_e164(text, text) IS
    'E.164 form of a phone number as dialled in default_country, NULL when it cannot be a number';

CREATE FUNCTION privacybee.phone_e164_parts(country_code text, number text)
RETURNS text
AS 'MODULE_PATHNAME', 'phone_e164_parts'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.phone_e164_parts(text, text) IS
    'E.164 form of a calling code plus national number (the Buzz number_code + number form)';

-- Raise an API error: status becomes SQLSTATE PT<status>.
CREATE FUNCTION privacybee.fail(status integer, message text, details jsonb DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF details IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PT' || status::text, MESSAGE = message;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'PT' || status::text, MESSAGE = message,
        DETAIL = details::text;
END
$$;

-- 400 naming one field: "<field> <problem>", with the same as its details.
CREATE FUNCTION privacybee.bad_field(field text, problem text)
RETURNS void
LANGUAGE sql AS $$
    SELECT privacybee.fail(400, field || ' ' || problem,
        pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('field', field, 'problem', problem)))
$$;

-- RFC 3339 UTC with Z, second precision, as every timestamp leaves the API.
CREATE FUNCTION privacybee.rfc3339(ts timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT pg_catalog.to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- The user behind a bearer token that carries scope; 401 / 403 otherwise. A service
-- token (no user) returns NULL. In C (extension/tokens.c): every request starts here.
-- The transaction then acts for that member (rls_member()). Owned by privacybee_system:
-- a token is found by its hash before anyone knows whose it is.
CREATE FUNCTION privacybee.authenticate(token text, scope text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'authenticate'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- The member the transaction acts for since authenticate(), NULL for none: what the
-- row-level security policies compare user_id with (extension/member_scope.c).
CREATE FUNCTION privacybee.rls_member()
RETURNS bigint
AS 'MODULE_PATHNAME', 'rls_member'
LANGUAGE C STABLE PARALLEL RESTRICTED;

-- authenticate() for the routes of members: a service token is not a member.
CREATE FUNCTION privacybee.authenticate_member(token text, scope text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    uid bigint := privacybee.authenticate(token, scope);
BEGIN
    IF uid IS NULL THEN
        PERFORM privacybee.fail(403, 'this route needs a member''s token');
    END IF;
    RETURN uid;
END
$$;

-- Called by privacybee-fcgi when it rejects a request itself (400 / 413 / 415), so that
-- authentication errors still come first.
CREATE FUNCTION privacybee.api_check_token(token text, scope text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM privacybee.authenticate(token, scope);
END
$$;

-- 400 naming the first query parameter not in allowed.
CREATE FUNCTION privacybee.check_params(params jsonb, allowed text[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    k text;
BEGIN
    FOR k IN SELECT pg_catalog.jsonb_object_keys(params) LOOP
        IF NOT (k = ANY (allowed)) THEN
            PERFORM privacybee.fail(400, pg_catalog.format('unknown parameter %s', k),
                pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                    'field', k, 'problem', 'is not a parameter of this route')));
        END IF;
    END LOOP;
END
$$;

-- 400 unless body is a JSON object whose fields are all in allowed; what names the
-- object in the message ("a trust request").
CREATE FUNCTION privacybee.check_body_fields(body jsonb, allowed text[], what text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    k text;
BEGIN
    IF body IS NULL OR pg_catalog.jsonb_typeof(body) <> 'object' THEN
        PERFORM privacybee.fail(400, 'body must be a JSON object');
    END IF;
    FOR k IN SELECT pg_catalog.jsonb_object_keys(body) LOOP
        IF NOT (k = ANY (allowed)) THEN
            PERFORM privacybee.fail(400, pg_catalog.format('%s is not a field of %s', k, what),
                pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                    'field', k, 'problem', 'unknown field')));
        END IF;
    END LOOP;
END
$$;

-- An integer parameter within [lo, hi], dflt when absent; 400 otherwise, never clamped.
CREATE FUNCTION privacybee.param_int(params jsonb, name text, dflt integer, lo integer, hi integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v text := params ->> name;
    problem text := pg_catalog.format('must be an integer from %s to %s', lo, hi);
BEGIN
    IF v IS NULL THEN
        RETURN dflt;
    END IF;
    IF v !~ '^[0-9]{1,9}$' OR v::integer < lo OR v::integer > hi THEN
        PERFORM privacybee.bad_field(name, problem);
    END IF;
    RETURN v::integer;
END
$$;

-- A boolean parameter: true/false/1/0.
CREATE FUNCTION privacybee.param_bool(params jsonb, name text)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v text := params ->> name;
BEGIN
    IF v IS NULL THEN
        RETURN false;
    END IF;
    IF v NOT IN ('true', 'false', '1', '0') THEN
        PERFORM privacybee.bad_field(name, 'must be true or false');
    END IF;
    RETURN v IN ('true', '1');
END
$$;

-- An RFC 3339 timestamp parameter ("Z", an offset, or none meaning UTC). A "+" in a query
-- string arrives as a space, so a space before the offset is read as "+".
CREATE FUNCTION privacybee.param_timestamp(params jsonb, name text)
RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
    v text := params ->> name;
BEGIN
    IF v IS NULL THEN
        RETURN NULL;
    END IF;
    v := pg_catalog.regexp_replace(v, ' ([0-9]{2}:?[0-9]{2})$', '+\1');
    IF v ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?)?$' THEN
        BEGIN
            IF v ~ '([Zz]|[+-][0-9]{2}:?[0-9]{2})$' THEN
                RETURN v::timestamptz;
            END IF;
            RETURN v::timestamp AT TIME ZONE 'UTC';
        EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
            NULL;
        END;
    END IF;
    PERFORM privacybee.fail(400, pg_catalog.format('%s must be an RFC 3339 timestamp', name),
        pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'field', name, 'problem', 'must be an RFC 3339 timestamp such as 2024-07-01T00:00:00Z')));
    RETURN NULL;
END
$$;

-- The <id> of a route: digits only (the router guarantees it); NULL when out of range,
-- which callers answer with 404.
CREATE FUNCTION privacybee.path_id(arg text)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN arg ~ '^[0-9]{1,18}$' THEN arg::bigint END
$$;

-- An id in a JSON body: a number or a numeric string.
CREATE FUNCTION privacybee.json_id(v jsonb)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN pg_catalog.jsonb_typeof(v) IN ('number', 'string')
                 AND (v #>> '{}') ~ '^[0-9]{1,18}$'
            THEN (v #>> '{}')::bigint END
$$;

CREATE FUNCTION privacybee.dev_endpoints_enabled()
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(pg_catalog.current_setting('privacybee.dev_endpoints', true), 'off')
           IN ('on', 'true', '1', 'yes')
$$;

CREATE FUNCTION privacybee.response(status integer, body text, headers text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(status, headers, body)::privacybee.http_response
$$;
-- Members, companies, Buzz numbers and tokens: the SQL functions of SPEC §7, which
-- other services and the tests call. Phones are normalised with default country US.

-- The pool of Buzz numbers; user_id is set when a member is given one.
CREATE TABLE privacybee.buzz_numbers (
    e164        text PRIMARY KEY,
    user_id     bigint UNIQUE REFERENCES privacybee.people ON DELETE SET NULL,
    assigned_at timestamptz
);

CREATE FUNCTION privacybee.normalise_or_fail(phone text, what text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    e164 text := privacybee.phone_e164(phone, 'US');
BEGIN
    IF e164 IS NULL THEN
        RAISE EXCEPTION '% "%" is not a valid phone number', what, phone
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN e164;
END
$$;

CREATE FUNCTION privacybee.create_member(first_name text, last_name text, phone text DEFAULT NULL,
                                         middle_name text DEFAULT NULL, avatar text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
BEGIN
    IF COALESCE(first_name, '') = '' OR last_name IS NULL THEN
        RAISE EXCEPTION 'a member needs a first and a last name'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO privacybee.people (first_name, middle_name, last_name, avatar, phone_raw, phone_e164)
    VALUES (first_name, middle_name, last_name, avatar, phone,
            CASE WHEN phone IS NOT NULL THEN privacybee.normalise_or_fail(phone, 'phone') END)
    RETURNING people.id INTO id;
    RETURN id;
END
$$;
COMMENT ON FUNCTION privacybee.create_member(text, text, text, text, text) IS
    'adds a member (a person who is also a user) and returns their id';

CREATE FUNCTION privacybee.create_company(name text, slug text, phones text[] DEFAULT '{}',
                                          logo text DEFAULT NULL, url text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
BEGIN
    INSERT INTO privacybee.companies (name, slug, logo, url)
    VALUES (name, slug, logo, url)
    RETURNING companies.id INTO id;
    INSERT INTO privacybee.company_phones (company_id, e164, raw)
    SELECT id, privacybee.normalise_or_fail(p, 'company phone'), p
      FROM pg_catalog.unnest(COALESCE(phones, '{}')) AS p
    ON CONFLICT DO NOTHING;
    RETURN id;
END
$$;
COMMENT ON FUNCTION privacybee.create_company(text, text, text[], text, text) IS
    'adds a company with its phone numbers and returns its id';

CREATE FUNCTION privacybee.add_employee(company_id bigint, person_id bigint)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM privacybee.companies c WHERE c.id = add_employee.company_id) THEN
        RAISE EXCEPTION 'company % does not exist', company_id USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM privacybee.people p WHERE p.id = add_employee.person_id) THEN
        RAISE EXCEPTION 'member % does not exist', person_id USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO privacybee.employees (company_id, person_id)
    VALUES (add_employee.company_id, add_employee.person_id)
    ON CONFLICT DO NOTHING;
    UPDATE privacybee.companies c SET updated = pg_catalog.now() WHERE c.id = add_employee.company_id;
END
$$;
COMMENT ON FUNCTION privacybee.add_employee(bigint, bigint) IS
    'makes a member an employee of a company (idempotent)';

CREATE FUNCTION privacybee.add_buzz_numbers(numbers text[])
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    added integer;
BEGIN
    INSERT INTO privacybee.buzz_numbers (e164)
    SELECT DISTINCT privacybee.normalise_or_fail(n, 'Buzz number')
      FROM pg_catalog.unnest(numbers) AS n
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END
$$;
COMMENT ON FUNCTION privacybee.add_buzz_numbers(text[]) IS
    'adds numbers to the Buzz pool; returns how many were new';

-- Returns the plaintext token, the only time it is ever seen; only its SHA-256 is kept.
CREATE FUNCTION privacybee.issue_token(user_id bigint, scopes text[], ttl interval DEFAULT '30 days')
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    token text;
    bad text;
BEGIN
    SELECT s INTO bad FROM pg_catalog.unnest(scopes) AS s
     WHERE s IS NULL OR s NOT IN ('contacts:read', 'contacts:write', 'buzz', 'buzz:lookup')
     LIMIT 1;
    IF FOUND OR COALESCE(pg_catalog.cardinality(scopes), 0) = 0 THEN
        RAISE EXCEPTION 'unknown scope %', COALESCE(bad, '(none given)')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF user_id IS NULL AND scopes <> ARRAY['buzz:lookup'] THEN
        RAISE EXCEPTION 'a service token (no user) carries exactly the buzz:lookup scope'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF ttl IS NULL OR ttl <= interval '0' THEN
        RAISE EXCEPTION 'ttl must be positive' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- two v4 UUIDs: 244 bits from the server's strong random source
    token := 'pb_' || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '')
                   || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '');
    INSERT INTO privacybee.tokens (token_hash, user_id, scopes, expires_at)
    VALUES (pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8')), user_id, scopes,
            pg_catalog.now() + ttl);
    RETURN token;
END
$$;
COMMENT ON FUNCTION privacybee.issue_token(bigint, text[], interval) IS
    'issues a bearer token and returns its plaintext once (user_id NULL: a buzz:lookup service token)';

CREATE FUNCTION privacybee.revoke_token(token text)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE privacybee.tokens SET revoked = true
     WHERE token_hash = pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8'));
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION privacybee.revoke_token(text) IS
    'revokes a token; false when it is unknown';
-- Contacts: the C upsert, how a contact is rendered, and the /contacts routes.
--
-- Every api_* function has the signature privacybee-fcgi calls:
--   (token text, arg text, params jsonb, body jsonb, if_match text) → http_response
-- arg is the <id> of the route, params the query string (and form body) as an object of
-- strings, body the JSON body. Each authenticates the token itself, so one request is
-- one SQL call.

CREATE FUNCTION privacybee.sync_contacts(user_id bigint, contacts jsonb)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'sync_contacts'
LANGUAGE C STRICT;
COMMENT ON FUNCTION privacybee.sync_contacts(bigint, jsonb) IS
    'atomically creates/updates a batch of contact objects; returns their ids in input order';

CREATE FUNCTION privacybee.update_contact(user_id bigint, contact_id bigint, contact jsonb,
                                          if_version integer DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'update_contact'
LANGUAGE C;
COMMENT ON FUNCTION privacybee.update_contact(bigint, bigint, jsonb, integer) IS
    'updates one contact (absent fields unchanged); if_version guards against lost updates';

-- Contacts as the JSON objects of SPEC §4, keys in the documented order, in the order
-- of ids (NULL for an id that is not one of user_id's contacts); the email / phone /
-- address lists only when asked for. In C (extension/contact_render.c): two statements
-- a batch. A contact is connected when one of its phones is a member's phone or Buzz
-- number.
CREATE FUNCTION privacybee.contacts_render(user_id bigint, ids bigint[], with_emails boolean,
                                           with_phones boolean, with_addresses boolean)
RETURNS text[]
AS 'MODULE_PATHNAME', 'contacts_render'
LANGUAGE C STABLE STRICT;

-- One contact, every list included.
CREATE FUNCTION privacybee.contact_json(user_id bigint, contact_id bigint)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT (privacybee.contacts_render(user_id, ARRAY[contact_id], true, true, true))[1]
$$;

CREATE FUNCTION privacybee.contact_etag(version integer)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT '"v' || version::text || '"'
$$;

-- The contacts ids render as a JSON array, in the order of ids.
CREATE FUNCTION privacybee.contacts_json(user_id bigint, ids bigint[])
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT '[' || pg_catalog.array_to_string(
               privacybee.contacts_render(user_id, ids, true, true, true), ', ') || ']'
$$;

-- Does an If-Match header value ("*", or a list of ETags) match version?
CREATE FUNCTION privacybee.if_match_version(if_match text)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    tag text;
BEGIN
    IF if_match IS NULL OR pg_catalog.btrim(if_match) = '*' THEN
        RETURN NULL;
    END IF;
    -- a list of tags: the request wins if any of them is current, so compare the first
    -- well-formed one; anything else can never match (409)
    FOREACH tag IN ARRAY pg_catalog.string_to_array(if_match, ',') LOOP
        tag := pg_catalog.btrim(tag);
        IF tag ~ '^"v[0-9]{1,9}"$' THEN
            RETURN pg_catalog.substr(tag, 3, pg_catalog.length(tag) - 3)::integer;
        END IF;
    END LOOP;
    RETURN -1;
END
$$;

-- Keyset cursor: base64url of "<updated in µs since epoch or empty>|<id>".
CREATE FUNCTION privacybee.cursor_encode(ts timestamptz, id bigint)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT pg_catalog.translate(pg_catalog.encode(pg_catalog.convert_to(
               COALESCE((EXTRACT(epoch FROM ts) * 1000000)::bigint::text, '')
               || '|' || id::text, 'UTF8'), 'base64'), E'+/=\n', '-_')
$$;

CREATE FUNCTION privacybee.cursor_decode(cursor text, by_updated boolean,
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
    parts := pg_catalog.regexp_match(plain, '^(-?[0-9]{1,18})?\|([0-9]{1,18})$');
    IF parts IS NULL OR (parts[1] IS NOT NULL) <> by_updated THEN
        PERFORM privacybee.fail(400, 'cursor is not valid for this listing',
            '[{"field": "cursor", "problem": "is malformed or belongs to another listing"}]');
    END IF;
    ts := pg_catalog.to_timestamp(parts[1]::numeric / 1000000);
    id := parts[2]::bigint;
END
$$;

-- GET /contacts
CREATE FUNCTION privacybee.api_contacts_list(token text, arg text, params jsonb, body jsonb,
                                             if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'contacts:read');
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
        '{updated_at,page,per_page,include,cursor,include_deleted}');
    IF params ? 'page' AND params ? 'cursor' THEN
        PERFORM privacybee.fail(400, 'page and cursor cannot be combined',
            '[{"field": "page", "problem": "cannot be combined with cursor"}]');
    END IF;
    page := privacybee.param_int(params, 'page', 1, 1, 1000000000);
    per_page := privacybee.param_int(params, 'per_page', 10, 1,
        COALESCE(current_setting('privacybee.max_page_size', true), '1000')::integer);
    since := privacybee.param_timestamp(params, 'updated_at');
    with_deleted := privacybee.param_bool(params, 'include_deleted');
    include := CASE WHEN COALESCE(params ->> 'include', '') = '' THEN '{}'
                    ELSE string_to_array(params ->> 'include', ',') END;
    IF NOT include <@ '{emails,addresses,phone_numbers}'::text[] THEN
        PERFORM privacybee.fail(400, 'include may list only emails, addresses, phone_numbers',
            '[{"field": "include", "problem": "unknown value"}]');
    END IF;
    by_updated := since IS NOT NULL;
    IF params ? 'cursor' THEN
        SELECT d.ts, d.id INTO cur_ts, cur_id
          FROM privacybee.cursor_decode(params ->> 'cursor', by_updated) AS d;
    END IF;

    SELECT count(*) INTO total FROM (
        SELECT 1 FROM privacybee.contacts c
         WHERE c.user_id = uid AND (since IS NULL OR c.updated >= since)
        UNION ALL
        SELECT 1 FROM privacybee.contact_tombstones t
         WHERE with_deleted AND t.user_id = uid
           AND t.deleted_at >= GREATEST(since, now() - interval '30 days')) AS matching;

    SELECT array_agg(r.id ORDER BY r.k, r.id), array_agg(r.ts ORDER BY r.k, r.id),
           array_agg(r.deleted ORDER BY r.k, r.id)
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
                   AND t.deleted_at >= GREATEST(since, now() - interval '30 days')) AS s
             WHERE cur_id IS NULL
                OR (by_updated AND (s.ts, s.id) > (cur_ts, cur_id))
                OR (NOT by_updated AND s.id > cur_id)
             ORDER BY s.k, s.id
             OFFSET CASE WHEN cur_id IS NULL THEN (page - 1)::bigint * per_page ELSE 0 END
             LIMIT per_page + 1) AS r;

    has_more := COALESCE(cardinality(ids), 0) > per_page;
    IF has_more THEN
        ids := ids[1:per_page];
        tss := tss[1:per_page];
        dels := dels[1:per_page];
    END IF;

    SELECT '[' || COALESCE(string_agg(
               CASE WHEN u.deleted
                    THEN json_build_object('id', u.id, 'deleted', true,
                                           'updated', privacybee.rfc3339(u.ts))::text
                    ELSE u.rendered
               END, ', ' ORDER BY u.ord), '') || ']'
      INTO out
      FROM unnest(ids, tss, dels,
                  privacybee.contacts_render(uid, ids, 'emails' = ANY (include),
                      'phone_numbers' = ANY (include), 'addresses' = ANY (include)))
           WITH ORDINALITY AS u(id, ts, deleted, rendered, ord);

    -- links repeat the listing's own parameters, normalised (safe characters only)
    query := 'per_page=' || per_page
          || CASE WHEN cardinality(include) > 0
                  THEN '&include=' || array_to_string(include, ',') ELSE '' END
          || CASE WHEN by_updated
                  THEN '&updated_at=' || to_char(since AT TIME ZONE 'UTC',
                                                 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') ELSE '' END
          || CASE WHEN with_deleted THEN '&include_deleted=true' ELSE '' END;
    IF has_more THEN
        links := links || ('</contacts?' || query || '&cursor='
                           || privacybee.cursor_encode(CASE WHEN by_updated THEN tss[per_page] END,
                                                       ids[per_page])
                           || '>; rel="next"');
    END IF;
    IF cur_id IS NULL AND page > 1 THEN
        links := links || ('</contacts?' || query || '&page=' || (page - 1) || '>; rel="prev"');
    END IF;
    RETURN privacybee.response(200, out,
        'X-Total-Count: ' || total
        || CASE WHEN cardinality(links) > 0
                THEN E'\nLink: ' || array_to_string(links, ', ') ELSE '' END);
END
$$;

-- GET /contacts/<id>
CREATE FUNCTION privacybee.api_contact_get(token text, arg text, params jsonb, body jsonb,
                                           if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'contacts:read');
    c privacybee.contacts;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    SELECT * INTO c FROM privacybee.contacts
     WHERE user_id = uid AND id = privacybee.path_id(arg);
    IF NOT FOUND THEN
        PERFORM privacybee.fail(404, 'contact not found');
    END IF;
    RETURN privacybee.response(200, privacybee.contact_json(uid, c.id),
                               'ETag: ' || privacybee.contact_etag(c.version));
END
$$;

-- POST /contacts/sync
CREATE FUNCTION privacybee.api_contacts_sync(token text, arg text, params jsonb, body jsonb,
                                             if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'contacts:write');
    ids bigint[];
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    IF body IS NULL THEN
        PERFORM privacybee.fail(400, 'body must be a JSON array of contacts');
    END IF;
    -- its own statement: the rendering below must see what the sync wrote
    ids := privacybee.sync_contacts(uid, body);
    RETURN privacybee.response(200, privacybee.contacts_json(uid, ids));
END
$$;

-- PUT and PATCH /contacts/<id>
CREATE FUNCTION privacybee.api_contact_update(token text, arg text, params jsonb, body jsonb,
                                              if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'contacts:write');
    cid bigint := privacybee.path_id(arg);
    c privacybee.contacts;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    IF body IS NULL THEN
        PERFORM privacybee.fail(400, 'body must be a JSON object');
    END IF;
    IF cid IS NULL THEN
        PERFORM privacybee.fail(404, 'contact not found');
    END IF;
    PERFORM privacybee.update_contact(uid, cid, body - 'id',
                                      privacybee.if_match_version(if_match));
    SELECT * INTO c FROM privacybee.contacts WHERE user_id = uid AND id = cid;
    RETURN privacybee.response(200, privacybee.contact_json(uid, c.id),
                               'ETag: ' || privacybee.contact_etag(c.version));
END
$$;

-- DELETE /contacts/<id>: the row goes, a tombstone stays 30 days for syncing clients.
CREATE FUNCTION privacybee.api_contact_delete(token text, arg text, params jsonb, body jsonb,
                                              if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'contacts:write');
    cid bigint := privacybee.path_id(arg);
    v integer;
    wanted integer := privacybee.if_match_version(if_match);
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    SELECT version INTO v FROM privacybee.contacts
     WHERE user_id = uid AND id = cid FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM privacybee.fail(404, 'contact not found');
    END IF;
    IF wanted IS NOT NULL AND wanted <> v THEN
        PERFORM privacybee.fail(409, 'contact was modified since the given ETag');
    END IF;
    DELETE FROM privacybee.contacts WHERE user_id = uid AND id = cid;
    INSERT INTO privacybee.contact_tombstones (user_id, contact_id) VALUES (uid, cid)
    ON CONFLICT (user_id, contact_id) DO UPDATE SET deleted_at = now();
    DELETE FROM privacybee.contact_tombstones
     WHERE user_id = uid AND deleted_at < now() - interval '30 days';
    RETURN privacybee.response(200, json_build_object('id', cid, 'deleted', true)::text);
END
$$;

-- DELETE /contacts/clear/<id> (development only): every contact of the caller.
CREATE FUNCTION privacybee.api_contacts_clear(token text, arg text, params jsonb, body jsonb,
                                              if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint;
    n bigint;
BEGIN
    IF NOT privacybee.dev_endpoints_enabled() THEN
        PERFORM privacybee.fail(404, 'not found');
    END IF;
    uid := privacybee.authenticate_member(token, 'contacts:write');
    PERFORM privacybee.check_params(params, '{}');
    IF privacybee.path_id(arg) IS DISTINCT FROM uid THEN
        PERFORM privacybee.fail(404, 'not found');
    END IF;
    DELETE FROM privacybee.contacts WHERE user_id = uid;
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM privacybee.contact_tombstones WHERE user_id = uid;
    RETURN privacybee.response(200, json_build_object('user_id', uid, 'deleted', n)::text);
END
$$;
-- Trust requests, explicit trust / untrust, and the coworker listing (SPEC §4).
--
-- A request is one row per (asked member, requester): asking again while it is pending
-- updates its reason and time; once answered it stays answered, so a declined requester
-- cannot put themselves back on the list by asking again (they get the same 201).

-- GET /contacts/requests
CREATE FUNCTION privacybee.api_trust_requests_list(token text, arg text, params jsonb, body jsonb,
                                                   if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'contacts:read');
    out text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    SELECT '[' || COALESCE(string_agg(json_build_object(
               'id', p.id, 'first_name', p.first_name, 'middle_name', p.middle_name,
               'last_name', p.last_name, 'contact_reason', r.contact_reason,
               'updated_at', privacybee.rfc3339(r.updated))::text,
               ', ' ORDER BY r.updated DESC, p.id), '') || ']'
      INTO out
      FROM privacybee.trust_requests r
      JOIN privacybee.people p ON p.id = r.requester_id
     WHERE r.user_id = uid AND r.status = 'pending';
    RETURN privacybee.response(200, out);
END
$$;

-- POST /contacts/requests {"user_id" | "phone", "contact_reason"}
CREATE FUNCTION privacybee.api_trust_request_create(token text, arg text, params jsonb, body jsonb,
                                                    if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'contacts:write');
    target bigint;
    reason text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(body, '{user_id,phone,contact_reason}', 'a trust request');
    IF (body ? 'user_id') = (body ? 'phone') THEN
        PERFORM privacybee.fail(400, 'give exactly one of user_id and phone',
            '[{"field": "user_id", "problem": "exactly one of user_id and phone is required"}]');
    END IF;
    IF body ? 'contact_reason' AND jsonb_typeof(body -> 'contact_reason') NOT IN ('string', 'null') THEN
        PERFORM privacybee.fail(400, 'contact_reason must be a string',
            '[{"field": "contact_reason", "problem": "must be a string"}]');
    END IF;
    reason := body ->> 'contact_reason';
    IF char_length(reason) > 1024 THEN
        PERFORM privacybee.fail(400, 'contact_reason must be at most 1024 characters',
            '[{"field": "contact_reason", "problem": "must be at most 1024 characters"}]');
    END IF;

    IF body ? 'user_id' THEN
        target := privacybee.json_id(body -> 'user_id');
        IF target IS NULL THEN
            PERFORM privacybee.fail(400, 'user_id must be a positive integer',
                '[{"field": "user_id", "problem": "must be a positive integer"}]');
        END IF;
        PERFORM 1 FROM privacybee.people WHERE id = target;
    ELSE
        IF jsonb_typeof(body -> 'phone') <> 'string' OR char_length(body ->> 'phone') > 64 THEN
            PERFORM privacybee.fail(400, 'phone must be a string of at most 64 characters',
                '[{"field": "phone", "problem": "must be a string of at most 64 characters"}]');
        END IF;
        SELECT m.id INTO target
          FROM privacybee.people m
         WHERE m.phone_e164 = privacybee.phone_e164(body ->> 'phone', 'US')
         UNION ALL
        SELECT b.user_id FROM privacybee.buzz_numbers b
         WHERE b.e164 = privacybee.phone_e164(body ->> 'phone', 'US') AND b.user_id IS NOT NULL
         LIMIT 1;
    END IF;
    IF NOT FOUND THEN
        PERFORM privacybee.fail(404, 'member not found');
    END IF;
    IF target = uid THEN
        PERFORM privacybee.fail(400, 'you cannot ask yourself for trust',
            '[{"field": "user_id", "problem": "is yourself"}]');
    END IF;

    INSERT INTO privacybee.trust_requests AS r (user_id, requester_id, contact_reason)
    VALUES (target, uid, reason)
    ON CONFLICT (user_id, requester_id) DO UPDATE
       SET contact_reason = EXCLUDED.contact_reason, updated = now()
     WHERE r.status = 'pending';
    RETURN privacybee.response(201, json_build_object(
        'requested', true,
        'user_id', CASE WHEN body ? 'user_id' THEN target END,
        'contact_reason', reason)::text);
END
$$;

-- POST /contacts/trust/<id> {"trusted": 1|0|true|false, "type": "person"|"company"}
CREATE FUNCTION privacybee.api_trust_set(token text, arg text, params jsonb, body jsonb,
                                         if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'contacts:write');
    target bigint := privacybee.path_id(arg);
    kind text;
    trusted boolean;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(body, '{trusted,type}', 'a trust decision');
    trusted := CASE WHEN body -> 'trusted' IN ('true', '1') THEN true
                    WHEN body -> 'trusted' IN ('false', '0') THEN false END;
    IF trusted IS NULL THEN
        PERFORM privacybee.fail(400, 'trusted must be 1, 0, true or false',
            '[{"field": "trusted", "problem": "is required: 1, 0, true or false"}]');
    END IF;
    kind := COALESCE(body ->> 'type', 'person');
    IF kind NOT IN ('person', 'company') OR jsonb_typeof(body -> 'type') NOT IN ('string', 'null') THEN
        PERFORM privacybee.fail(400, 'type must be person or company',
            '[{"field": "type", "problem": "must be person or company"}]');
    END IF;

    IF kind = 'person' THEN
        PERFORM 1 FROM privacybee.people WHERE id = target;
    ELSE
        PERFORM 1 FROM privacybee.companies WHERE id = target;
    END IF;
    IF NOT FOUND THEN
        PERFORM privacybee.fail(404, format('%s not found', kind));
    END IF;
    IF kind = 'person' AND target = uid THEN
        PERFORM privacybee.fail(400, 'you cannot change trust in yourself',
            '[{"field": "id", "problem": "is yourself"}]');
    END IF;

    INSERT INTO privacybee.trust_edges AS e (user_id, target_type, target_id, trusted)
    VALUES (uid, kind, target, trusted)
    ON CONFLICT (user_id, target_type, target_id) DO UPDATE
       SET trusted = EXCLUDED.trusted, updated = now();
    IF kind = 'person' THEN
        UPDATE privacybee.trust_requests
           SET status = CASE WHEN trusted THEN 'accepted' ELSE 'declined' END, updated = now()
         WHERE user_id = uid AND requester_id = target AND status = 'pending';
    END IF;
    RETURN privacybee.response(201, json_build_object(
        'id', target, 'type', kind, 'trusted', trusted)::text);
END
$$;

-- GET /contacts/employees/<id>: the companies of person <id> with their employees.
-- Visible to that person, their coworkers and members who trust them; 404 to others.
CREATE FUNCTION privacybee.api_employees(token text, arg text, params jsonb, body jsonb,
                                         if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'contacts:read');
    pid bigint := privacybee.path_id(arg);
    out text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    IF NOT (pid = uid
            OR EXISTS (SELECT 1 FROM privacybee.employees a
                         JOIN privacybee.employees b ON b.company_id = a.company_id
                        WHERE a.person_id = uid AND b.person_id = pid)
            OR EXISTS (SELECT 1 FROM privacybee.trust_edges e
                        WHERE e.user_id = uid AND e.target_type = 'person'
                          AND e.target_id = pid AND e.trusted)) THEN
        PERFORM privacybee.fail(404, 'person not found');
    END IF;
    SELECT '[' || COALESCE(string_agg(json_build_object(
               'company', json_build_object('id', c.id, 'name', c.name, 'slug', c.slug,
                                            'logo', c.logo, 'url', c.url),
               'employees', (SELECT json_agg(json_build_object(
                                    'id', p.id, 'first_name', p.first_name,
                                    'last_name', p.last_name) ORDER BY p.id)
                               FROM privacybee.employees e2
                               JOIN privacybee.people p ON p.id = e2.person_id
                              WHERE e2.company_id = c.id))::text,
               ', ' ORDER BY c.id), '') || ']'
      INTO out
      FROM privacybee.employees e
      JOIN privacybee.companies c ON c.id = e.company_id
     WHERE e.person_id = pid;
    RETURN privacybee.response(200, out);
END
$$;
-- The trust graph (SPEC §5): who may ring whom, kept materialised.
--
-- A call from number N to member R is trusted iff R exists, N is valid, and
--   1. R has not explicitly untrusted a person or company owning N, and
--   2. N is R's own phone or Buzz number; or a non-deleted contact of R has phone N; or a
--      person owning N (phone or Buzz number) is trusted by R or is R's coworker; or a
--      company owning N is trusted by R or is R's employer.
--
-- trusted_numbers holds exactly the trusted (user_id, e164) pairs, so the call-screening
-- hot path is one index probe. Triggers on every table a rule reads recompute the pairs a
-- change can affect, in the same transaction. trust_eval() answers one pair live (C),
-- trust_graph is the same rules as one set-based statement (batch rebuild and checks),
-- trust_verify() lists every pair where the three disagree.
--
-- One member's change moves the trusted numbers of the members who trust them, so the
-- trigger functions are SECURITY DEFINER, owned by privacybee_system, which row-level
-- security does not confine to one member (sql/parts/95_row_security.sql).

CREATE TABLE privacybee.trusted_numbers (
    user_id bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    e164    text NOT NULL,
    PRIMARY KEY (user_id, e164)
);

-- Every number a person owns: their phone and their Buzz number.
CREATE VIEW privacybee.person_numbers AS
    SELECT p.id AS person_id, p.phone_e164 AS e164
      FROM privacybee.people p WHERE p.phone_e164 IS NOT NULL
    UNION
    SELECT b.user_id, b.e164 FROM privacybee.buzz_numbers b WHERE b.user_id IS NOT NULL;

-- The rules of §5 as one statement: every trusted (user_id, e164) pair.
CREATE VIEW privacybee.trust_graph AS
    (SELECT o.person_id AS user_id, o.e164                              -- own numbers
       FROM privacybee.person_numbers o
     UNION
     SELECT c.user_id, c.e164                                            -- contacts
       FROM privacybee.contact_phones c WHERE c.e164 IS NOT NULL
     UNION
     SELECT e.user_id, o.e164                                            -- trusted people
       FROM privacybee.trust_edges e
       JOIN privacybee.person_numbers o ON o.person_id = e.target_id
      WHERE e.target_type = 'person' AND e.trusted
     UNION
     SELECT me.person_id, o.e164                                         -- coworkers
       FROM privacybee.employees me
       JOIN privacybee.employees co ON co.company_id = me.company_id
       JOIN privacybee.person_numbers o ON o.person_id = co.person_id
     UNION
     SELECT e.user_id, cp.e164                                           -- trusted companies
       FROM privacybee.trust_edges e
       JOIN privacybee.company_phones cp ON cp.company_id = e.target_id
      WHERE e.target_type = 'company' AND e.trusted
     UNION
     SELECT me.person_id, cp.e164                                        -- employers
       FROM privacybee.employees me
       JOIN privacybee.company_phones cp ON cp.company_id = me.company_id)
    EXCEPT
    (SELECT e.user_id, o.e164                                            -- explicit untrust
       FROM privacybee.trust_edges e
       JOIN privacybee.person_numbers o ON o.person_id = e.target_id
      WHERE e.target_type = 'person' AND NOT e.trusted
     UNION
     SELECT e.user_id, cp.e164
       FROM privacybee.trust_edges e
       JOIN privacybee.company_phones cp ON cp.company_id = e.target_id
      WHERE e.target_type = 'company' AND NOT e.trusted);

CREATE FUNCTION privacybee.trust_eval(user_id bigint, e164 text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'trust_eval'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.trust_eval(bigint, text) IS
    'evaluates the trust graph live: may number e164 ring member user_id?';

-- Recompute the given (user, number) pairs of trusted_numbers.
CREATE FUNCTION privacybee.trust_refresh(users bigint[], numbers text[])
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM privacybee.trusted_numbers t
     USING unnest(users, numbers) AS a(u, n)
     WHERE t.user_id = a.u AND t.e164 = a.n AND NOT privacybee.trust_eval(a.u, a.n);
    INSERT INTO privacybee.trusted_numbers (user_id, e164)
    SELECT DISTINCT a.u, a.n FROM unnest(users, numbers) AS a(u, n)
     WHERE a.u IS NOT NULL AND a.n IS NOT NULL AND privacybee.trust_eval(a.u, a.n)
    ON CONFLICT DO NOTHING;
END
$$;

-- Members whose trust decisions can depend on what person p owns: p, members with an
-- explicit decision about p, p's coworkers.
CREATE FUNCTION privacybee.person_watchers(p bigint)
RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    SELECT p
    UNION SELECT e.user_id FROM privacybee.trust_edges e
           WHERE e.target_type = 'person' AND e.target_id = p
    UNION SELECT co.person_id FROM privacybee.employees me
            JOIN privacybee.employees co ON co.company_id = me.company_id
           WHERE me.person_id = p
$$;

-- Members whose decisions can depend on what company c owns: its deciders and employees.
CREATE FUNCTION privacybee.company_watchers(c bigint)
RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    SELECT e.user_id FROM privacybee.trust_edges e
     WHERE e.target_type = 'company' AND e.target_id = c
    UNION SELECT m.person_id FROM privacybee.employees m WHERE m.company_id = c
$$;

-- Triggers. Each collects the (user, number) pairs its change can affect and refreshes
-- them; statement-level with transition tables, so a sync of 1,000 contacts is one call.

-- A contact phone added can only add trust: the pair is trusted unless the member
-- untrusted an owner of the number (rule 1), so no live evaluation is needed. A phone
-- removed may take trust away: those pairs are evaluated again.
CREATE FUNCTION privacybee.trust_on_contact_phones()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    u bigint[];
    n text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO privacybee.trusted_numbers (user_id, e164)
        SELECT DISTINCT c.user_id, c.e164 FROM new_rows c
         WHERE c.e164 IS NOT NULL
           AND NOT EXISTS (
               SELECT 1 FROM privacybee.trust_edges e
                WHERE e.user_id = c.user_id AND NOT e.trusted
                  AND ((e.target_type = 'person' AND e.target_id IN (
                            SELECT o.person_id FROM privacybee.person_numbers o WHERE o.e164 = c.e164))
                    OR (e.target_type = 'company' AND e.target_id IN (
                            SELECT cp.company_id FROM privacybee.company_phones cp WHERE cp.e164 = c.e164))))
        ON CONFLICT DO NOTHING;
    ELSE
        SELECT array_agg(user_id), array_agg(e164) INTO u, n FROM old_rows WHERE e164 IS NOT NULL;
        IF u IS NOT NULL THEN
            PERFORM privacybee.trust_refresh(u, n);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER trust_contact_phones_ins AFTER INSERT ON privacybee.contact_phones
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.trust_on_contact_phones();
CREATE TRIGGER trust_contact_phones_del AFTER DELETE ON privacybee.contact_phones
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacybee.trust_on_contact_phones();

-- A decision about a person or company: that member, the target's numbers.
CREATE FUNCTION privacybee.trust_edge_refresh(user_id bigint, target_type text, target_id bigint)
RETURNS void
LANGUAGE sql AS $$
    SELECT privacybee.trust_refresh(array_agg(user_id), array_agg(x.e164))
      FROM (SELECT o.e164 FROM privacybee.person_numbers o
             WHERE target_type = 'person' AND o.person_id = target_id
            UNION ALL
            SELECT cp.e164 FROM privacybee.company_phones cp
             WHERE target_type = 'company' AND cp.company_id = target_id) AS x
$$;

CREATE FUNCTION privacybee.trust_on_edges()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM privacybee.trust_edge_refresh(OLD.user_id, OLD.target_type, OLD.target_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM privacybee.trust_edge_refresh(NEW.user_id, NEW.target_type, NEW.target_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER trust_edges_change AFTER INSERT OR UPDATE OR DELETE ON privacybee.trust_edges
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_edges();

-- What a person owns changed (phone, Buzz number): their old and new numbers, for every
-- member watching them.
CREATE FUNCTION privacybee.trust_person_numbers_changed(p bigint, numbers text[])
RETURNS void
LANGUAGE sql AS $$
    SELECT privacybee.trust_refresh(array_agg(w.w), array_agg(n.n))
      FROM privacybee.person_watchers(p) AS w(w), unnest(numbers) AS n(n)
     WHERE n.n IS NOT NULL
$$;

CREATE FUNCTION privacybee.trust_on_people()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM privacybee.trust_person_numbers_changed(NEW.id, ARRAY[NEW.phone_e164]);
    ELSIF NEW.phone_e164 IS DISTINCT FROM OLD.phone_e164 THEN
        PERFORM privacybee.trust_person_numbers_changed(NEW.id, ARRAY[OLD.phone_e164, NEW.phone_e164]);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER trust_people_change AFTER INSERT OR UPDATE OF phone_e164 ON privacybee.people
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_people();

CREATE FUNCTION privacybee.trust_on_buzz_numbers()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.user_id IS NOT NULL THEN
        PERFORM privacybee.trust_person_numbers_changed(OLD.user_id, ARRAY[OLD.e164]);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.user_id IS NOT NULL THEN
        PERFORM privacybee.trust_person_numbers_changed(NEW.user_id, ARRAY[NEW.e164]);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER trust_buzz_numbers_change AFTER INSERT OR UPDATE OR DELETE ON privacybee.buzz_numbers
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_buzz_numbers();

CREATE FUNCTION privacybee.trust_company_number_changed(company_id bigint, e164 text)
RETURNS void
LANGUAGE sql AS $$
    SELECT privacybee.trust_refresh(array_agg(w.w), array_agg(e164))
      FROM privacybee.company_watchers(company_id) AS w(w)
$$;

CREATE FUNCTION privacybee.trust_on_company_phones()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM privacybee.trust_company_number_changed(OLD.company_id, OLD.e164);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM privacybee.trust_company_number_changed(NEW.company_id, NEW.e164);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER trust_company_phones_change AFTER INSERT OR UPDATE OR DELETE ON privacybee.company_phones
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_company_phones();

-- A membership: the person and the company's other employees become coworkers, and the
-- company becomes the person's employer.
CREATE FUNCTION privacybee.trust_on_employees()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m privacybee.employees;
BEGIN
    m := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    -- the person: the numbers of the company and of every coworker
    PERFORM privacybee.trust_refresh(array_agg(m.person_id), array_agg(x.e164))
       FROM (SELECT cp.e164 FROM privacybee.company_phones cp WHERE cp.company_id = m.company_id
             UNION
             SELECT o.e164 FROM privacybee.employees co
               JOIN privacybee.person_numbers o ON o.person_id = co.person_id
              WHERE co.company_id = m.company_id) AS x;
    -- every coworker: the person's numbers
    PERFORM privacybee.trust_refresh(array_agg(co.person_id), array_agg(o.e164))
       FROM privacybee.employees co, privacybee.person_numbers o
      WHERE co.company_id = m.company_id AND o.person_id = m.person_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER trust_employees_change AFTER INSERT OR DELETE ON privacybee.employees
    FOR EACH ROW EXECUTE FUNCTION privacybee.trust_on_employees();

-- Rebuild trusted_numbers for one member, or for everyone (NULL), 1,000 members a batch,
-- reporting progress as NOTICEs. Returns the number of trusted pairs written.
CREATE FUNCTION privacybee.recompute_trust(user_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    batch bigint[];
    total_users bigint;
    done_users bigint := 0;
    written bigint := 0;
    n bigint;
    last_id bigint := 0;
BEGIN
    IF user_id IS NOT NULL THEN
        DELETE FROM privacybee.trusted_numbers t WHERE t.user_id = recompute_trust.user_id;
        INSERT INTO privacybee.trusted_numbers (user_id, e164)
        SELECT g.user_id, g.e164 FROM privacybee.trust_graph g
         WHERE g.user_id = recompute_trust.user_id;
        GET DIAGNOSTICS n = ROW_COUNT;
        RETURN n;
    END IF;
    SELECT count(*) INTO total_users FROM privacybee.people;
    LOOP
        SELECT array_agg(p.id ORDER BY p.id) INTO batch
          FROM (SELECT id FROM privacybee.people WHERE id > last_id ORDER BY id LIMIT 1000) AS p;
        EXIT WHEN batch IS NULL;
        last_id := batch[cardinality(batch)];
        DELETE FROM privacybee.trusted_numbers t WHERE t.user_id = ANY (batch);
        INSERT INTO privacybee.trusted_numbers (user_id, e164)
        SELECT g.user_id, g.e164 FROM privacybee.trust_graph g WHERE g.user_id = ANY (batch);
        GET DIAGNOSTICS n = ROW_COUNT;
        written := written + n;
        done_users := done_users + cardinality(batch);
        RAISE NOTICE 'recompute_trust: % of % members, % trusted numbers so far',
            done_users, total_users, written;
    END LOOP;
    -- pairs of members who no longer exist
    DELETE FROM privacybee.trusted_numbers t
     WHERE NOT EXISTS (SELECT 1 FROM privacybee.people p WHERE p.id = t.user_id);
    RETURN written;
END
$$;
COMMENT ON FUNCTION privacybee.recompute_trust(bigint) IS
    'rebuilds the materialised trust decisions of one member, or of all (NULL), with progress notices';

-- Every pair where the materialised decision, the live C evaluation and the set-based
-- statement do not all agree. Must return nothing.
CREATE FUNCTION privacybee.trust_verify()
RETURNS TABLE (user_id bigint, e164 text, materialised boolean, live boolean, statement boolean)
LANGUAGE sql STABLE AS $$
    WITH m AS (SELECT t.user_id, t.e164 FROM privacybee.trusted_numbers t),
         g AS (SELECT x.user_id, x.e164 FROM privacybee.trust_graph x),
         pairs AS (SELECT * FROM m UNION SELECT * FROM g)
    SELECT p.user_id, p.e164,
           EXISTS (SELECT 1 FROM m WHERE m.user_id = p.user_id AND m.e164 = p.e164),
           privacybee.trust_eval(p.user_id, p.e164),
           EXISTS (SELECT 1 FROM g WHERE g.user_id = p.user_id AND g.e164 = p.e164)
      FROM pairs p
     WHERE NOT (EXISTS (SELECT 1 FROM m WHERE m.user_id = p.user_id AND m.e164 = p.e164)
                AND privacybee.trust_eval(p.user_id, p.e164)
                AND EXISTS (SELECT 1 FROM g WHERE g.user_id = p.user_id AND g.e164 = p.e164))
$$;
COMMENT ON FUNCTION privacybee.trust_verify() IS
    'lists every (member, number) where materialised, live and set-based trust answers differ';
-- Buzz (SPEC §6): call screening for the telephony provider, the member app's heartbeat
-- with Buzz number assignment, the blocked-call log, the activity feed, E2E identity.

-- Calls that were not let through, per receiving member; call_sid dedupes provider retries.
CREATE TABLE privacybee.blocked_calls (
    user_id      bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    id           bigserial,
    caller_id    text,
    inbound_code text NOT NULL,
    inbound      text NOT NULL,
    e164         text,
    call_sid     text,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, id),
    UNIQUE (user_id, call_sid)
);

-- Chat and call activity between people and companies. message is the E2E-encrypted
-- payload, opaque to us; message_id is the sender's idempotency key.
CREATE TABLE privacybee.activities (
    id              bigserial PRIMARY KEY,
    type            text NOT NULL CHECK (type IN (
                        'chat_message', 'chat_read_indicator', 'chat_reaction_emoji',
                        'incoming_call_missed', 'incoming_call_connected_insecure',
                        'incoming_call_connected_secure', 'outgoing_call_missed',
                        'outgoing_call_connected_insecure', 'outgoing_call_connected_secure')),
    sendable_type   text NOT NULL CHECK (sendable_type IN ('person', 'company')),
    sendable_id     bigint NOT NULL,
    receivable_type text NOT NULL CHECK (receivable_type IN ('person', 'company')),
    receivable_id   bigint NOT NULL,
    call_time       integer CHECK (call_time >= 0),
    message         text,
    message_id      uuid,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    UNIQUE (sendable_type, sendable_id, message_id)
);

-- One row per party of an activity (sender, receiver), keyed by the party: the feed of a
-- member is a merge of ordered range scans here (activity_since, in C).
CREATE TABLE privacybee.activity_parties (
    party_type  text NOT NULL,
    party_id    bigint NOT NULL,
    activity_id bigint NOT NULL REFERENCES privacybee.activities ON DELETE CASCADE,
    PRIMARY KEY (party_type, party_id, activity_id)
);
CREATE INDEX activity_parties_activity ON privacybee.activity_parties (activity_id);

CREATE FUNCTION privacybee.activity_since(user_id bigint, since_id bigint, lim integer)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'activity_since'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION privacybee.activity_since(bigint, bigint, integer) IS
    'ids of a member''s activities after since_id, ascending, at most lim + 1';

CREATE FUNCTION privacybee.phone_split(e164 text, OUT country_code text, OUT national_number text)
AS 'MODULE_PATHNAME', 'phone_split'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.phone_split(text) IS
    'splits an E.164 number into its country code ("+1") and national significant number';

-- A field of a JSON object as text: strings as they are, numbers in their JSON form.
CREATE FUNCTION privacybee.scalar_text(v jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN pg_catalog.jsonb_typeof(v) IN ('string', 'number') THEN v #>> '{}' END
$$;

-- The call of trust-lookup / call-lookup, read and judged once, in C (extension/lookup.c):
-- parameters from query, form or JSON body (the provider's To / From / CallSid /
-- CallerName stand in for ours, unknown ones are ignored), the receiving member, the
-- caller's number, and whether it may ring (never after a failed STIR/SHAKEN check).
CREATE FUNCTION privacybee.call_params(params jsonb, body jsonb,
    OUT receiver bigint, OUT caller text, OUT trusted boolean)
AS 'MODULE_PATHNAME', 'call_params'
LANGUAGE C STABLE;

-- GET|POST /apps/buzz/trust-lookup: may this call ring? The hot path, in C
-- (extension/lookup.c): one index probe when trusted; an untrusted call to a member is
-- logged as blocked (once per call_sid). Reads the call as call_params() does.
CREATE FUNCTION privacybee.api_trust_lookup(token text, arg text, params jsonb, body jsonb,
                                            if_match text)
RETURNS privacybee.http_response
AS 'MODULE_PATHNAME', 'api_trust_lookup'
LANGUAGE C SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- GET|POST /apps/buzz/call-lookup: who the trusted caller is to the member; only the
-- matches that make the call trusted, all empty when it is not.
CREATE FUNCTION privacybee.api_call_lookup(token text, arg text, params jsonb, body jsonb,
                                           if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c record;
    contacts text := '[]';
    people text := '[]';
    companies text := '[]';
BEGIN
    PERFORM privacybee.authenticate(token, 'buzz:lookup');
    c := privacybee.call_params(params, body);
    IF c.trusted THEN
        SELECT privacybee.contacts_json(c.receiver, ARRAY(
                   SELECT DISTINCT p.contact_id FROM privacybee.contact_phones p
                    WHERE p.user_id = c.receiver AND p.e164 = c.caller ORDER BY 1))
          INTO contacts;
        SELECT COALESCE(json_agg(json_build_object('id', m.id, 'first_name', m.first_name,
                                                   'last_name', m.last_name, 'avatar', m.avatar)
                                 ORDER BY m.id), '[]')::text
          INTO people
          FROM privacybee.people m
         WHERE m.id IN (SELECT o.person_id FROM privacybee.person_numbers o WHERE o.e164 = c.caller)
           AND (m.id = c.receiver
                OR EXISTS (SELECT 1 FROM privacybee.trust_edges e
                            WHERE e.user_id = c.receiver AND e.target_type = 'person'
                              AND e.target_id = m.id AND e.trusted)
                OR EXISTS (SELECT 1 FROM privacybee.employees me
                             JOIN privacybee.employees co ON co.company_id = me.company_id
                            WHERE me.person_id = c.receiver AND co.person_id = m.id));
        SELECT COALESCE(json_agg(json_build_object('id', k.id, 'name', k.name, 'slug', k.slug,
                                                   'logo', k.logo, 'url', k.url) ORDER BY k.id),
                        '[]')::text
          INTO companies
          FROM privacybee.companies k
         WHERE k.id IN (SELECT cp.company_id FROM privacybee.company_phones cp WHERE cp.e164 = c.caller)
           AND (EXISTS (SELECT 1 FROM privacybee.trust_edges e
                         WHERE e.user_id = c.receiver AND e.target_type = 'company'
                           AND e.target_id = k.id AND e.trusted)
                OR EXISTS (SELECT 1 FROM privacybee.employees me
                            WHERE me.person_id = c.receiver AND me.company_id = k.id));
    END IF;
    RETURN privacybee.response(200, '{"contacts": ' || contacts || ', "people": ' || people
                                    || ', "companies": ' || companies || '}');
END
$$;

-- The Buzz number of a member, assigning a free one from the pool if they have none.
-- The member's row lock serialises their own concurrent heartbeats; SKIP LOCKED lets
-- concurrent members take different numbers.
CREATE FUNCTION privacybee.assign_buzz_number(uid bigint)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    num text;
BEGIN
    PERFORM 1 FROM privacybee.people WHERE id = uid FOR UPDATE;
    SELECT b.e164 INTO num FROM privacybee.buzz_numbers b WHERE b.user_id = uid;
    IF FOUND THEN
        RETURN num;
    END IF;
    UPDATE privacybee.buzz_numbers b SET user_id = uid, assigned_at = pg_catalog.now()
     WHERE b.e164 = (SELECT f.e164 FROM privacybee.buzz_numbers f WHERE f.user_id IS NULL
                      ORDER BY f.e164 LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING b.e164 INTO num;
    IF num IS NOT NULL THEN
        UPDATE privacybee.people SET updated = pg_catalog.now() WHERE id = uid;
    END IF;
    RETURN num;
END
$$;

-- GET /apps/buzz/heartbeat
CREATE FUNCTION privacybee.api_heartbeat(token text, arg text, params jsonb, body jsonb,
                                         if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'buzz');
    num text;
    last_activity bigint;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    num := privacybee.assign_buzz_number(uid);
    SELECT max(x.m) INTO last_activity
      FROM (SELECT (SELECT max(p.activity_id) FROM privacybee.activity_parties p
                     WHERE p.party_type = 'person' AND p.party_id = uid) AS m
            UNION ALL
            SELECT (SELECT max(p.activity_id) FROM privacybee.activity_parties p
                     WHERE p.party_type = 'company' AND p.party_id = e.company_id)
              FROM privacybee.employees e WHERE e.person_id = uid) AS x;
    RETURN privacybee.response(200, json_build_object(
        'buzz_number', num,
        'last_contact_update', privacybee.rfc3339(GREATEST(
            (SELECT max(c.updated) FROM privacybee.contacts c WHERE c.user_id = uid),
            (SELECT max(t.deleted_at) FROM privacybee.contact_tombstones t WHERE t.user_id = uid))),
        'last_trust_request', privacybee.rfc3339(
            (SELECT max(r.updated) FROM privacybee.trust_requests r WHERE r.user_id = uid)),
        'last_company_update', privacybee.rfc3339(
            (SELECT max(k.updated) FROM privacybee.companies k
              WHERE k.id IN (SELECT e.company_id FROM privacybee.employees e WHERE e.person_id = uid
                             UNION
                             SELECT t.target_id FROM privacybee.trust_edges t
                              WHERE t.user_id = uid AND t.target_type = 'company'))),
        'last_coworker_update', privacybee.rfc3339(
            (SELECT max(GREATEST(co.created, m.updated))
               FROM privacybee.employees me
               JOIN privacybee.employees co ON co.company_id = me.company_id AND co.person_id <> uid
               JOIN privacybee.people m ON m.id = co.person_id
              WHERE me.person_id = uid)),
        'last_user_update', privacybee.rfc3339(
            (SELECT p.updated FROM privacybee.people p WHERE p.id = uid)),
        'last_activity_id', last_activity::text)::text);
END
$$;

-- GET /apps/buzz/blocked: the latest 100 blocked calls, newest first.
CREATE FUNCTION privacybee.api_blocked(token text, arg text, params jsonb, body jsonb,
                                       if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'buzz');
    out text;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    SELECT '[' || COALESCE(string_agg(json_build_object(
               'id', b.id, 'caller_id', b.caller_id,
               'country_code', s.country_code,
               'phone_number', COALESCE(s.national_number, b.inbound),
               'created_at', privacybee.rfc3339(b.created_at))::text, ', ' ORDER BY b.id DESC), '')
           || ']'
      INTO out
      FROM (SELECT * FROM privacybee.blocked_calls WHERE user_id = uid ORDER BY id DESC LIMIT 100) AS b
      LEFT JOIN LATERAL privacybee.phone_split(b.e164) AS s ON true;
    RETURN privacybee.response(200, out);
END
$$;

-- An activity as the feed shows it, with who sent and who received it.
CREATE FUNCTION privacybee.party_json(kind text, id bigint)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT CASE kind
        WHEN 'person' THEN (SELECT pg_catalog.json_build_object('id', p.id,
                               'first_name', p.first_name, 'middle_name', p.middle_name,
                               'last_name', p.last_name)
                              FROM privacybee.people p WHERE p.id = party_json.id)
        ELSE (SELECT pg_catalog.json_build_object('id', c.id, 'name', c.name)
                FROM privacybee.companies c WHERE c.id = party_json.id)
    END
$$;

CREATE FUNCTION privacybee.activity_json(a privacybee.activities)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.json_build_object(
        'id', a.id, 'type', a.type,
        'receivable_type', a.receivable_type, 'receivable_id', a.receivable_id,
        'sendable_type', a.sendable_type, 'sendable_id', a.sendable_id,
        'call_time', a.call_time, 'message', a.message, 'message_id', a.message_id,
        'created_at', privacybee.rfc3339(a.created_at),
        'sendable', privacybee.party_json(a.sendable_type, a.sendable_id),
        'receivable', privacybee.party_json(a.receivable_type, a.receivable_id))::text
$$;

-- POST /apps/buzz/activity
CREATE FUNCTION privacybee.api_activity_create(token text, arg text, params jsonb, body jsonb,
                                               if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'buzz');
    kind text;
    s_type text;
    s_id bigint;
    r_type text;
    r_id bigint;
    call_time integer;
    msg text;
    mid uuid;
    a privacybee.activities;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(body, '{type,receivable_type,receivable_id,sendable_type,sendable_id,call_time,message,message_id}', 'an activity');
    kind := privacybee.scalar_text(body -> 'type');
    IF kind IS NULL THEN
        PERFORM privacybee.bad_field('type', 'is required');
    ELSIF kind NOT IN ('chat_message', 'chat_read_indicator', 'chat_reaction_emoji',
                       'incoming_call_missed', 'incoming_call_connected_insecure',
                       'incoming_call_connected_secure', 'outgoing_call_missed',
                       'outgoing_call_connected_insecure', 'outgoing_call_connected_secure') THEN
        PERFORM privacybee.bad_field('type', 'is not an activity type');
    END IF;
    s_type := privacybee.scalar_text(body -> 'sendable_type');
    r_type := privacybee.scalar_text(body -> 'receivable_type');
    IF s_type IS NULL OR s_type NOT IN ('person', 'company') THEN
        PERFORM privacybee.bad_field('sendable_type', 'must be person or company');
    END IF;
    IF r_type IS NULL OR r_type NOT IN ('person', 'company') THEN
        PERFORM privacybee.bad_field('receivable_type', 'must be person or company');
    END IF;
    s_id := privacybee.json_id(body -> 'sendable_id');
    IF s_id IS NULL THEN
        PERFORM privacybee.bad_field('sendable_id', 'must be a positive integer');
    END IF;
    r_id := privacybee.json_id(body -> 'receivable_id');
    IF r_id IS NULL THEN
        PERFORM privacybee.bad_field('receivable_id', 'must be a positive integer');
    END IF;
    IF body ? 'message_id' AND jsonb_typeof(body -> 'message_id') <> 'null' THEN
        IF jsonb_typeof(body -> 'message_id') <> 'string'
           OR (body ->> 'message_id') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
            PERFORM privacybee.bad_field('message_id', 'must be a UUID');
        END IF;
        mid := (body ->> 'message_id')::uuid;
    END IF;
    IF body ? 'message' AND jsonb_typeof(body -> 'message') <> 'null' THEN
        IF jsonb_typeof(body -> 'message') <> 'string' THEN
            PERFORM privacybee.bad_field('message', 'must be a string');
        ELSIF char_length(body ->> 'message') > 65536 THEN
            PERFORM privacybee.bad_field('message', 'must be at most 65536 characters');
        END IF;
        msg := body ->> 'message';
    END IF;
    IF body ? 'call_time' AND jsonb_typeof(body -> 'call_time') <> 'null' THEN
        IF jsonb_typeof(body -> 'call_time') <> 'number'
           OR (body ->> 'call_time') !~ '^[0-9]{1,9}$' THEN
            PERFORM privacybee.bad_field('call_time', 'must be an integer of seconds, 0 or more');
        END IF;
        call_time := (body ->> 'call_time')::integer;
    END IF;
    IF kind LIKE 'chat\_%' AND mid IS NULL THEN
        PERFORM privacybee.bad_field('message_id', 'is required for chat activity');
    END IF;
    IF kind IN ('chat_message', 'chat_reaction_emoji') AND COALESCE(msg, '') = '' THEN
        PERFORM privacybee.bad_field('message', 'is required for ' || kind);
    END IF;
    IF kind NOT LIKE 'chat\_%' AND call_time IS NULL THEN
        PERFORM privacybee.bad_field('call_time', 'is required for call activity');
    END IF;

    -- the sender is the caller, or a company the caller belongs to
    IF NOT ((s_type = 'person' AND s_id = uid)
            OR (s_type = 'company' AND EXISTS (SELECT 1 FROM privacybee.employees e
                                                WHERE e.company_id = s_id AND e.person_id = uid))) THEN
        PERFORM privacybee.fail(403, 'you may only send as yourself or a company you belong to');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM privacybee.people p WHERE r_type = 'person' AND p.id = r_id
                   UNION ALL
                   SELECT 1 FROM privacybee.companies c WHERE r_type = 'company' AND c.id = r_id) THEN
        PERFORM privacybee.fail(404, 'receiver not found');
    END IF;

    INSERT INTO privacybee.activities AS x (type, sendable_type, sendable_id, receivable_type,
                                            receivable_id, call_time, message, message_id)
    VALUES (kind, s_type, s_id, r_type, r_id, call_time, msg, mid)
    ON CONFLICT (sendable_type, sendable_id, message_id) DO NOTHING
    RETURNING * INTO a;
    IF a.id IS NULL THEN
        -- a repeated message_id: the stored activity, never a duplicate
        SELECT * INTO a FROM privacybee.activities x
         WHERE x.sendable_type = s_type AND x.sendable_id = s_id AND x.message_id = mid;
    ELSE
        INSERT INTO privacybee.activity_parties (party_type, party_id, activity_id)
        VALUES (s_type, s_id, a.id), (r_type, r_id, a.id)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN privacybee.response(200, '{"success": true, "data": ' || privacybee.activity_json(a) || '}');
END
$$;

-- GET /apps/buzz/activity/<id>?limit=
CREATE FUNCTION privacybee.api_activity_since(token text, arg text, params jsonb, body jsonb,
                                              if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'buzz');
    since bigint := privacybee.path_id(arg);
    lim integer;
    ids bigint[];
    more boolean;
    out text;
BEGIN
    PERFORM privacybee.check_params(params, '{limit}');
    lim := privacybee.param_int(params, 'limit', 100, 1,
        COALESCE(current_setting('privacybee.max_page_size', true), '1000')::integer);
    IF since IS NULL THEN
        PERFORM privacybee.bad_field('id', 'must be an activity id');
    END IF;
    ids := privacybee.activity_since(uid, since, lim);
    more := cardinality(ids) > lim;
    IF more THEN
        ids := ids[1:lim];
    END IF;
    SELECT '[' || COALESCE(string_agg(privacybee.activity_json(a), ', ' ORDER BY a.id), '') || ']'
      INTO out
      FROM privacybee.activities a WHERE a.id = ANY (ids);
    RETURN privacybee.response(200, out,
        CASE WHEN more THEN 'Link: </apps/buzz/activity/' || ids[lim] || '?limit=' || lim
                            || '>; rel="next"' END);
END
$$;

-- PUT /apps/buzz/encryption {"hash", "e2e_id", "public_key"?}
CREATE FUNCTION privacybee.api_encryption(token text, arg text, params jsonb, body jsonb,
                                          if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, 'buzz');
    k text;
    p privacybee.people;
BEGIN
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(body, '{hash,e2e_id,public_key}', 'the encryption identity');
    FOREACH k IN ARRAY ARRAY['hash', 'e2e_id'] LOOP
        IF jsonb_typeof(body -> k) IS DISTINCT FROM 'string' OR body ->> k = '' THEN
            PERFORM privacybee.bad_field(k, 'is required (a string)');
        ELSIF char_length(body ->> k) > 1024 THEN
            PERFORM privacybee.bad_field(k, 'must be at most 1024 characters');
        END IF;
    END LOOP;
    IF body ? 'public_key' AND jsonb_typeof(body -> 'public_key') NOT IN ('string', 'null') THEN
        PERFORM privacybee.bad_field('public_key', 'must be a string or null');
    ELSIF char_length(body ->> 'public_key') > 16384 THEN
        PERFORM privacybee.bad_field('public_key', 'must be at most 16384 characters');
    END IF;
    UPDATE privacybee.people
       SET e2e_hash = body ->> 'hash', e2e_id = body ->> 'e2e_id',
           public_key = CASE WHEN body ? 'public_key' THEN body ->> 'public_key' ELSE public_key END,
           updated = now()
     WHERE id = uid
    RETURNING * INTO p;
    RETURN privacybee.response(200, json_build_object(
        'hash', p.e2e_hash, 'e2e_id', p.e2e_id, 'public_key', p.public_key)::text);
END
$$;

-- DELETE /apps/buzz/clear (development only): the caller's activity and blocked log.
CREATE FUNCTION privacybee.api_buzz_clear(token text, arg text, params jsonb, body jsonb,
                                          if_match text)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint;
BEGIN
    IF NOT privacybee.dev_endpoints_enabled() THEN
        PERFORM privacybee.fail(404, 'not found');
    END IF;
    uid := privacybee.authenticate_member(token, 'buzz');
    PERFORM privacybee.check_params(params, '{}');
    DELETE FROM privacybee.activities a
     WHERE a.id IN (SELECT p.activity_id FROM privacybee.activity_parties p
                     WHERE p.party_type = 'person' AND p.party_id = uid);
    DELETE FROM privacybee.blocked_calls WHERE user_id = uid;
    RETURN privacybee.response(204, NULL);
END
$$;
-- Privileges: nothing is open to PUBLIC. The role privacybee-fcgi connects as gets only
-- USAGE on the schema and EXECUTE on the api_* functions (SECURITY DEFINER, so it needs
-- no table privilege): call privacybee.grant_api('that_role').

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA privacybee FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA privacybee FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA privacybee FROM PUBLIC;

CREATE FUNCTION privacybee.grant_api(role_name name)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    f regprocedure;
BEGIN
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA privacybee TO %I', role_name);
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'privacybee'::regnamespace
                AND p.proname LIKE 'api\_%' LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', f, role_name);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION privacybee.grant_api(name) FROM PUBLIC;
COMMENT ON FUNCTION privacybee.grant_api(name) IS
    'grants a role what privacybee-fcgi needs: EXECUTE on the api_* functions, nothing else';
-- Row-level security: a second wall behind the route functions.
--
-- The route functions are SECURITY DEFINER and owned by privacybee_member, a role that
-- cannot log in, holds the table privileges and does not bypass row security. Every
-- table a member owns has row security forced, with policies that show a transaction
-- only the rows of the member whose token authenticate() proved (rls_member()). A route
-- that forgot its "user_id = uid" would still see and change nobody else's rows.
--
-- Only what must cross members runs as privacybee_system (BYPASSRLS), in a few
-- SECURITY DEFINER functions: authenticate() (a token is found by hash before its member
-- is known), the telephony routes (a service token answers for whichever member is
-- called) and the trust triggers (one member's change moves the trusted numbers of those
-- who trust them).
--
-- Reference data shared by everyone has no policy: people, companies, company_phones,
-- employees and buzz_numbers (a Buzz number is an identity, dialled by strangers).
--
-- Roles belong to the cluster, so a second database reuses them, and DROP EXTENSION
-- leaves them behind.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'privacybee_member') THEN
        CREATE ROLE privacybee_member;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'privacybee_system') THEN
        CREATE ROLE privacybee_system;
    END IF;
END
$$;
ALTER ROLE privacybee_member NOSUPERUSER NOLOGIN NOBYPASSRLS NOCREATEROLE NOCREATEDB NOINHERIT;
ALTER ROLE privacybee_system NOSUPERUSER NOLOGIN BYPASSRLS NOCREATEROLE NOCREATEDB NOINHERIT;

GRANT USAGE ON SCHEMA privacybee TO privacybee_member, privacybee_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA privacybee
    TO privacybee_member, privacybee_system;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA privacybee TO privacybee_member, privacybee_system;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA privacybee TO privacybee_member, privacybee_system;
-- the administration functions are for the database owner, never for a route
REVOKE EXECUTE ON FUNCTION
    privacybee.grant_api(name),
    privacybee.create_member(text, text, text, text, text),
    privacybee.create_company(text, text, text[], text, text),
    privacybee.add_employee(bigint, bigint),
    privacybee.add_buzz_numbers(text[]),
    privacybee.issue_token(bigint, text[], interval),
    privacybee.revoke_token(text),
    privacybee.recompute_trust(bigint),
    privacybee.trust_verify()
  FROM privacybee_member, privacybee_system;

-- Views read their tables as whoever queries them, under that role's policies.
ALTER VIEW privacybee.person_numbers SET (security_invoker = true);
ALTER VIEW privacybee.trust_graph SET (security_invoker = true);

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'privacybee'::regnamespace AND p.prosecdef LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO %I', f,
            CASE WHEN f IN ('privacybee.authenticate(text, text)'::regprocedure,
                            'privacybee.api_trust_lookup(text, text, jsonb, jsonb, text)'::regprocedure,
                            'privacybee.api_call_lookup(text, text, jsonb, jsonb, text)'::regprocedure)
                      OR (SELECT p.prorettype FROM pg_catalog.pg_proc p WHERE p.oid = f)
                         = 'trigger'::regtype
                 THEN 'privacybee_system' ELSE 'privacybee_member' END);
    END LOOP;
END
$$;

-- One member's rows.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY '{contacts,contact_phones,contact_tombstones,trust_edges,
                         trusted_numbers,blocked_calls,tokens}'::text[] LOOP
        EXECUTE pg_catalog.format(
            'CREATE POLICY own_rows ON privacybee.%I USING (user_id = privacybee.rls_member())', t);
    END LOOP;
END
$$;

-- A trust request is seen by both: the member asked and the one asking.
CREATE POLICY both_parties ON privacybee.trust_requests
    USING (user_id = privacybee.rls_member() OR requester_id = privacybee.rls_member());

-- Activity is seen by its sender and its receiver, a company's by its employees; only
-- the sender writes it.
CREATE POLICY both_parties ON privacybee.activities
    USING ((sendable_type = 'person' AND sendable_id = privacybee.rls_member())
           OR (receivable_type = 'person' AND receivable_id = privacybee.rls_member())
           OR (sendable_type = 'company' AND sendable_id IN
                   (SELECT e.company_id FROM privacybee.employees e
                     WHERE e.person_id = privacybee.rls_member()))
           OR (receivable_type = 'company' AND receivable_id IN
                   (SELECT e.company_id FROM privacybee.employees e
                     WHERE e.person_id = privacybee.rls_member())))
    WITH CHECK ((sendable_type = 'person' AND sendable_id = privacybee.rls_member())
                OR (sendable_type = 'company' AND sendable_id IN
                        (SELECT e.company_id FROM privacybee.employees e
                          WHERE e.person_id = privacybee.rls_member())));

CREATE POLICY own_party ON privacybee.activity_parties
    USING ((party_type = 'person' AND party_id = privacybee.rls_member())
           OR (party_type = 'company' AND party_id IN
                   (SELECT e.company_id FROM privacybee.employees e
                     WHERE e.person_id = privacybee.rls_member())));
-- the sender files the activity under the receiver too
CREATE POLICY sender_files ON privacybee.activity_parties FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM privacybee.activities a
                         WHERE a.id = activity_id
                           AND ((a.sendable_type = 'person' AND a.sendable_id = privacybee.rls_member())
                                OR (a.sendable_type = 'company' AND a.sendable_id IN
                                        (SELECT e.company_id FROM privacybee.employees e
                                          WHERE e.person_id = privacybee.rls_member())))));

-- Every table with a policy above is a member's: row security on, and forced.
DO $$
DECLARE
    t name;
BEGIN
    FOR t IN SELECT DISTINCT p.tablename FROM pg_catalog.pg_policies p
              WHERE p.schemaname = 'privacybee' LOOP
        EXECUTE pg_catalog.format('ALTER TABLE privacybee.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE pg_catalog.format('ALTER TABLE privacybee.%I FORCE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;
