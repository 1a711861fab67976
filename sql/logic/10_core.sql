-- Core helpers every API function uses: errors, timestamps, authentication, parameters.
--
-- API errors are raised with SQLSTATE PTnnn (nnn = the HTTP status); for PT400 the
-- DETAIL may hold a JSON array of {"field", "problem"}. privacybee-fcgi turns them into
-- the SPEC error body; SQL callers see an ordinary error.

CREATE OR REPLACE FUNCTION privacybee.phone_e164(raw text, default_country text DEFAULT 'US')
RETURNS text
AS 'MODULE_PATHNAME', 'phone_e164'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.phone_e164(text, text) IS
    'E.164 form of a phone number as dialled in default_country, NULL when it cannot be a number';

CREATE OR REPLACE FUNCTION privacybee.phone_e164_parts(country_code text, number text)
RETURNS text
AS 'MODULE_PATHNAME', 'phone_e164_parts'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.phone_e164_parts(text, text) IS
    'E.164 form of a calling code plus national number (the Buzz number_code + number form)';

-- Raise an API error: status becomes SQLSTATE PT<status>.
CREATE OR REPLACE FUNCTION privacybee.fail(status integer, message text, details jsonb DEFAULT NULL)
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
CREATE OR REPLACE FUNCTION privacybee.bad_field(field text, problem text)
RETURNS void
LANGUAGE sql AS $$
    SELECT privacybee.fail(400, field || ' ' || problem,
        pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('field', field, 'problem', problem)))
$$;

-- RFC 3339 UTC with Z, second precision, as every timestamp leaves the API.
CREATE OR REPLACE FUNCTION privacybee.rfc3339(ts timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT pg_catalog.to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- The user behind a bearer token that carries scope; 401 / 403 otherwise. A service
-- token (no user) returns NULL. In C (extension/tokens.c): every request starts here.
-- The transaction then acts for that member (rls_member()). Owned by privacybee_system:
-- a token is found by its hash before anyone knows whose it is.
CREATE OR REPLACE FUNCTION privacybee.authenticate(token text, scope text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'authenticate'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- The member the transaction acts for since authenticate(), NULL for none: what the
-- row-level security policies compare user_id with (extension/member_scope.c).
CREATE OR REPLACE FUNCTION privacybee.rls_member()
RETURNS bigint
AS 'MODULE_PATHNAME', 'rls_member'
LANGUAGE C STABLE PARALLEL RESTRICTED;

-- authenticate() for the routes of members: a service token is not a member.
CREATE OR REPLACE FUNCTION privacybee.authenticate_member(token text, scope text)
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
CREATE OR REPLACE FUNCTION privacybee.api_check_token(token text, scope text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM privacybee.authenticate(token, scope);
END
$$;

-- 400 naming the first query parameter not in allowed.
CREATE OR REPLACE FUNCTION privacybee.check_params(params jsonb, allowed text[])
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
CREATE OR REPLACE FUNCTION privacybee.check_body_fields(body jsonb, allowed text[], what text)
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
CREATE OR REPLACE FUNCTION privacybee.param_int(params jsonb, name text, dflt integer, lo integer, hi integer)
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
CREATE OR REPLACE FUNCTION privacybee.param_bool(params jsonb, name text)
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
CREATE OR REPLACE FUNCTION privacybee.param_timestamp(params jsonb, name text)
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
CREATE OR REPLACE FUNCTION privacybee.path_id(arg text)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN arg ~ '^[0-9]{1,18}$' THEN arg::bigint END
$$;

-- An id in a JSON body: a number or a numeric string.
CREATE OR REPLACE FUNCTION privacybee.json_id(v jsonb)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN pg_catalog.jsonb_typeof(v) IN ('number', 'string')
                 AND (v #>> '{}') ~ '^[0-9]{1,18}$'
            THEN (v #>> '{}')::bigint END
$$;

CREATE OR REPLACE FUNCTION privacybee.dev_endpoints_enabled()
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(pg_catalog.current_setting('privacybee.dev_endpoints', true), 'off')
           IN ('on', 'true', '1', 'yes')
$$;

CREATE OR REPLACE FUNCTION privacybee.response(status integer, body text, headers text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(status, headers, body)::privacybee.http_response
$$;
