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

-- Raise an API error: status becomes SQLSTATE PT<status>. An error naming fields is
-- bad_field()'s, the one builder of error details.
CREATE OR REPLACE FUNCTION privacybee.fail(status integer, message text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PT' || status::text, MESSAGE = message;
END
$$;
COMMENT ON FUNCTION privacybee.fail(integer, text) IS
    'raises an API error: SQLSTATE PT<status>, which privacybee-fcgi answers with that HTTP status and message';

-- 400 naming one field: the message (by default "<field> <problem>") and the details
-- [{"field","problem"}], built by the one builder of error details (extension/problems.c),
-- which the C code uses too.
CREATE OR REPLACE FUNCTION privacybee.bad_field(field text, problem text, message text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'bad_field_sql'
LANGUAGE C;
COMMENT ON FUNCTION privacybee.bad_field(text, text, text) IS
    'raises a 400 (PT400) naming one field, with the SPEC error details';

-- An error of any status naming fields (fields[i] has problems[i]): a 404 naming each id
-- that is not the caller's, a 409 naming the field in conflict. Built by the same builder.
CREATE OR REPLACE FUNCTION privacybee.fail_fields(status integer, fields text[], problems text[],
                                                 message text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'fail_fields_sql'
LANGUAGE C;
COMMENT ON FUNCTION privacybee.fail_fields(integer, text[], text[], text) IS
    'raises an API error (PT<status>) naming fields, each with its problem, as SPEC error details';

-- A timestamp as every timestamp leaves the API: RFC 3339, UTC, "Z", microseconds
-- (2023-02-10T14:03:11.123456Z), so the order shown is the order used. In C
-- (extension/timestamps.c), which contact_render.c shares.
CREATE OR REPLACE FUNCTION privacybee.rfc3339(ts timestamptz)
RETURNS text
AS 'MODULE_PATHNAME', 'rfc3339'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.rfc3339(timestamptz) IS
    'a timestamp as the API writes it: RFC 3339 UTC with Z and microseconds';

-- A timestamp a client gave in field: RFC 3339 with any number of fractional digits
-- (kept to the microsecond), T or t, Z, z or any offset up to ±15:59; also a date alone
-- or no zone (UTC). PT400 naming field otherwise (extension/timestamps.c). An instant
-- between two microseconds (digits past the sixth) is the later with next, for a bound of
-- x >= v or x < v, else the earlier, so comparing stored times equals the exact comparison.
CREATE OR REPLACE FUNCTION privacybee.rfc3339_in(v text, field text, next boolean)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'rfc3339_in'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.rfc3339_in(text, text, boolean) IS
    'reads a client''s RFC 3339 timestamp as a bound (next: the next microsecond for an instant past one); a 400 naming field when it is not one';

-- Conditional requests (RFC 9110 §13), for every route whose resource has an ETag: the
-- If-Match and If-None-Match fields (NULL when absent) against the current ETag (NULL:
-- no current representation); safe for GET and HEAD. Raises PT412 when the request must
-- not proceed; true when a GET or HEAD is to be answered 304 (extension/preconditions.c).
CREATE OR REPLACE FUNCTION privacybee.check_preconditions(if_match text, if_none_match text,
                                                          etag text, safe boolean)
RETURNS boolean
AS 'MODULE_PATHNAME', 'check_preconditions'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.check_preconditions(text, text, text, boolean) IS
    'RFC 9110 If-Match / If-None-Match against a current ETag: 412, or true for 304';

-- The user behind a bearer token that carries scope; 401 / 403 otherwise. A service
-- token (no user) returns NULL. In C (extension/tokens.c): every request starts here.
-- The transaction then acts for that member (rls_member()). Owned by privacybee_system:
-- a token is found by its hash before anyone knows whose it is.
CREATE OR REPLACE FUNCTION privacybee.authenticate(token text, scope text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'authenticate'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION privacybee.authenticate(text, text) IS
    'the member behind a bearer token that carries scope (NULL for a service token); 401 / 403 otherwise; the transaction then acts for that member';

-- The member the transaction acts for since authenticate(), NULL for none: what the
-- row-level security policies compare user_id with (extension/member_scope.c).
CREATE OR REPLACE FUNCTION privacybee.rls_member()
RETURNS bigint
AS 'MODULE_PATHNAME', 'rls_member'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION privacybee.rls_member() IS
    'the member the transaction acts for since authenticate(), NULL for none: what row-level security compares user_id with';

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
COMMENT ON FUNCTION privacybee.authenticate_member(text, text) IS
    'authenticate() for members'' routes: a service token is refused (403)';

-- Called by privacybee-fcgi when it rejects a request itself (400 / 413 / 415), so that
-- authentication errors still come first.
CREATE OR REPLACE FUNCTION privacybee.api_check_token(token text, scope text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM privacybee.authenticate(token, scope);
END
$$;
COMMENT ON FUNCTION privacybee.api_check_token(text, text) IS
    'checks a bearer token and scope only (401 / 403): what privacybee-fcgi calls when it refuses a request itself, so token errors come first';

-- 400 naming the first query parameter not in allowed.
CREATE OR REPLACE FUNCTION privacybee.check_params(params jsonb, allowed text[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    k text;
BEGIN
    FOR k IN SELECT pg_catalog.jsonb_object_keys(params) LOOP
        IF (k = ANY (allowed)) IS NOT TRUE THEN
            PERFORM privacybee.bad_field(k, 'is not a parameter of this route',
                                         pg_catalog.format('unknown parameter %s', k));
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION privacybee.check_params(jsonb, text[]) IS
    '400 naming the first query parameter that is not allowed';

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
        IF (k = ANY (allowed)) IS NOT TRUE THEN
            PERFORM privacybee.bad_field(k, 'unknown field',
                                         pg_catalog.format('%s is not a field of %s', k, what));
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION privacybee.check_body_fields(jsonb, text[], text) IS
    '400 unless the body is a JSON object with only the allowed fields';

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
COMMENT ON FUNCTION privacybee.param_int(jsonb, text, integer, integer, integer) IS
    'an integer query parameter within lo and hi, dflt when absent; 400 otherwise, never clamped';

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
COMMENT ON FUNCTION privacybee.param_bool(jsonb, text) IS
    'a boolean query parameter (true, false, 1, 0; false when absent); 400 otherwise';

-- A timestamp parameter, read by rfc3339_in() as a bound (next: of x >= v or x < v). A
-- "+" in a query string arrives as a space, so a space before the offset is read as "+".
CREATE OR REPLACE FUNCTION privacybee.param_timestamp(params jsonb, name text, next boolean)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT privacybee.rfc3339_in(
        pg_catalog.regexp_replace(params ->> name, ' ([0-9]{2}:?[0-9]{2})$', '+\1'), name, next)
$$;
COMMENT ON FUNCTION privacybee.param_timestamp(jsonb, text, boolean) IS
    'a timestamp query parameter, RFC 3339, as a bound (a + a query string turned into a space read as +)';

-- Ids (SPEC §4): a positive int64, written once, in C (extension/ids.c). path_id() and
-- json_id() never return NULL: what cannot be an id is 404 in a path, 400 in a body, so
-- no NULL ever reaches an ownership or visibility check.

-- t as an id (decimal digits, 1 … 9223372036854775807), NULL when it is not one.
CREATE OR REPLACE FUNCTION privacybee.parse_id(t text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'parse_id'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.parse_id(text) IS
    'text as an id (decimal digits, 1 to 9223372036854775807), NULL when it is not one';

-- The <id> of a route (digits: the router lets nothing else through); PT404
-- "<what> not found" when no object can have it.
CREATE OR REPLACE FUNCTION privacybee.path_id(arg text, what text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'path_id'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.path_id(text, text) IS
    'the <id> of a route path; 404 naming what when no object can have it';

-- The id a JSON body gives in field (v its value, NULL when absent): a number with an
-- integral value however written (10, 10.0, 1e1) or a string of digits; PT400 naming
-- field otherwise.
CREATE OR REPLACE FUNCTION privacybee.json_id(v jsonb, field text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'json_id'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.json_id(jsonb, text) IS
    'the id a JSON body gives in field (a number with an integral value, or a string of digits); 400 naming field otherwise';

-- Any other integer of a JSON body, read as ids are, within lo … hi; NULL when absent
-- or null, PT400 naming field otherwise.
CREATE OR REPLACE FUNCTION privacybee.json_int(v jsonb, field text, lo bigint, hi bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'json_int'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.json_int(jsonb, text, bigint, bigint) IS
    'an integer of a JSON body within lo and hi, read as ids are; NULL when absent; 400 naming field otherwise';

CREATE OR REPLACE FUNCTION privacybee.dev_endpoints_enabled()
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(pg_catalog.current_setting('privacybee.dev_endpoints', true), 'off')
           IN ('on', 'true', '1', 'yes')
$$;
COMMENT ON FUNCTION privacybee.dev_endpoints_enabled() IS
    'whether privacybee.dev_endpoints serves the development-only routes';

-- What every route function returns: (status, headers, body), the body in the API's one
-- JSON spelling, compact (extension/response.c), whatever wrote it. Bodies are JSON.
CREATE OR REPLACE FUNCTION privacybee.response(status integer, body text, headers text DEFAULT NULL)
RETURNS privacybee.http_response
AS 'MODULE_PATHNAME', 'response'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.response(integer, text, text) IS
    'a route function''s answer: status, headers ("Name: value" lines) and its JSON body, compacted';

-- JSON text without white space outside strings: the API's one spelling.
CREATE OR REPLACE FUNCTION privacybee.json_compact(json text)
RETURNS text
AS 'MODULE_PATHNAME', 'json_compact_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.json_compact(text) IS
    'JSON text without white space outside strings, as the API writes every body';

-- The SPEC error body, answered rather than raised, for the rare route whose error must
-- not roll back what it wrote: an OAuth code or refresh token presented a second time
-- revokes its grant, and says so (75_oauth.sql). Every other error is raised (fail(),
-- bad_field()), and privacybee-fcgi answers it in this same shape; field, when given, is
-- the one detail, with its problem.
CREATE OR REPLACE FUNCTION privacybee.error_response(status integer, message text, field text DEFAULT NULL,
                                                     problem text DEFAULT NULL, headers text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT privacybee.response(status, pg_catalog.json_build_object('error',
               CASE WHEN field IS NULL
                    THEN pg_catalog.json_build_object('code', status::text, 'message', message)
                    ELSE pg_catalog.json_build_object('code', status::text, 'message', message,
                             'details', pg_catalog.json_build_array(
                                 pg_catalog.json_build_object('field', field, 'problem', problem))) END)::text,
           headers)
$$;
COMMENT ON FUNCTION privacybee.error_response(integer, text, text, text, text) IS
    'the SPEC error body as a route''s answer, for an error that must not roll back what the route wrote';
