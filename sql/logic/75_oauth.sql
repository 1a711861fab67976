-- OAuth 2.0 (SPEC §10, RFC 6749 with PKCE, RFC 7636): third-party apps act for a member,
-- as far as the member allowed each. The tables are sql/schema/75_oauth.sql.
--
--   register_oauth_client(name, redirect_uris, scopes)   an operator registers an app
--   GET  /oauth/authorize          api_oauth_consent      the member's app (the consent
--   POST /oauth/authorize          api_oauth_authorize    screen) shows a request, then
--                                                         answers it → where the browser goes
--   POST /oauth/token              api_oauth_token        RFC 6749 §4.1.3 and §6
--   POST /oauth/revoke             api_oauth_revoke       RFC 7009
--   POST /v3/oauth.exchangeAuthCode  api_oauth_exchange_code   the Contacts+ API's forms of
--   POST /v3/oauth.refreshToken      api_oauth_refresh         the same two grants
--
-- What holds (regress/http/test_oauth.py proves each, regress/sql/oauth.sql the SQL):
--  * only hashes of secrets are kept: client secrets, codes, access and refresh tokens;
--  * a code is spent by its first exchange, expires after oauth_code_lifetime(), and is
--    bound to its client, its redirect URI and its PKCE challenge; a second exchange of it
--    revokes the grant the first one made (RFC 6749 §4.1.2);
--  * a refresh token is spent by its use, which issues the next one; a spent one presented
--    again revokes the whole grant: every access and refresh token of it (RFC 9700 §4.14.2);
--  * a code or token is found only together with the credentials of the client it was
--    issued to (oauth_holder(), extension/oauth.c), and then read under row security as its
--    member's row; for any other client it is unknown, in the same words;
--  * a client gets at most the scopes it registered, and never an app scope (the registry's
--    holder "app": oauth:authorize), so a third-party app cannot authorise another;
--  * errors that change nothing change nothing; the two that revoke a grant commit the
--    revocation and answer the error (never raised, which would roll it back).
-- RFC 6749 §5.2 error descriptions are ASCII without quotes or backslashes, as it requires.

-- The member whose code, refresh token or access token secret is, when it was issued to
-- client_id and client_secret is that client's; the transaction then acts for that member.
-- NULL, acting for no member, otherwise (extension/oauth.c). Owned by privacybee_system:
-- it finds the secret by hash before anyone knows whose it is.
CREATE OR REPLACE FUNCTION privacybee.oauth_holder(kind text, secret text, client_id text, client_secret text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'oauth_holder'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION privacybee.oauth_holder(text, text, text, text) IS
    'the member whose OAuth code, refresh_token or access_token this is, if issued to that client (whose secret must match); the transaction then acts for them';

-- s percent-encoded for a URL's query (RFC 3986: all but the unreserved characters).
CREATE OR REPLACE FUNCTION privacybee.url_encode(s text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT COALESCE(pg_catalog.string_agg(
               CASE WHEN b BETWEEN 48 AND 57 OR b BETWEEN 65 AND 90 OR b BETWEEN 97 AND 122
                         OR b IN (45, 46, 95, 126)
                    THEN pg_catalog.chr(b)
                    ELSE '%' || pg_catalog.upper(pg_catalog.lpad(pg_catalog.to_hex(b), 2, '0')) END,
               '' ORDER BY i), '')
      FROM (SELECT pg_catalog.convert_to(s, 'UTF8') AS bytes) AS x,
           LATERAL pg_catalog.generate_series(0, pg_catalog.length(x.bytes) - 1) AS i,
           LATERAL pg_catalog.get_byte(x.bytes, i) AS b
$$;
COMMENT ON FUNCTION privacybee.url_encode(text) IS
    'text percent-encoded for a URL query (every byte but RFC 3986''s unreserved characters)';

-- uri with the pairs (name, value, name, value…) added to its query; a NULL value is left
-- out. Redirect URIs have no fragment (oauth_redirect_uri_problem()).
CREATE OR REPLACE FUNCTION privacybee.url_with_query(uri text, pairs text[])
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT uri || CASE WHEN q = '' THEN '' WHEN pg_catalog.strpos(uri, '?') > 0 THEN '&' ELSE '?' END || q
      FROM (SELECT COALESCE(pg_catalog.string_agg(privacybee.url_encode(pairs[i]) || '='
                                                  || privacybee.url_encode(pairs[i + 1]), '&' ORDER BY i), '') AS q
              FROM pg_catalog.generate_series(1, pg_catalog.cardinality(pairs) - 1, 2) AS i
             WHERE pairs[i + 1] IS NOT NULL) AS x
$$;
COMMENT ON FUNCTION privacybee.url_with_query(text, text[]) IS
    'a URI with name/value pairs added to its query, percent-encoded (NULL values left out)';

-- What is wrong with a redirect URI a client registers, NULL when nothing: an absolute
-- URI without a fragment (RFC 6749 §3.1.2): https; http only to the loopback, where a
-- native app listens (RFC 8252 §7.3); or a private-use scheme named after a domain
-- (com.example.app:/callback, RFC 8252 §7.1).
CREATE OR REPLACE FUNCTION privacybee.oauth_redirect_uri_problem(uri text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN uri IS NULL OR uri = '' THEN 'is empty'
        WHEN pg_catalog.char_length(uri) > 2000 THEN 'is longer than 2000 characters'
        WHEN uri ~ '[[:space:][:cntrl:]]' THEN 'holds white space or a control character'
        WHEN pg_catalog.strpos(uri, '#') > 0 THEN 'has a fragment (RFC 6749 §3.1.2)'
        WHEN uri ~* '^https://[^/?@]+([/?]|$)' THEN NULL
        WHEN uri ~* '^http://(127\.0\.0\.1|\[::1\]|localhost)(:[0-9]{1,5})?([/?]|$)' THEN NULL
        WHEN uri ~* '^http:' THEN 'is http to another host than the loopback: use https (RFC 8252 §8.3)'
        WHEN uri ~ '^[A-Za-z][A-Za-z0-9+-]*\.[A-Za-z0-9+.-]*:[^/]*/?[^/]' THEN NULL
        ELSE 'is neither https, http to the loopback, nor a private-use scheme such as com.example.app:/callback'
    END
$$;
COMMENT ON FUNCTION privacybee.oauth_redirect_uri_problem(text) IS
    'what is wrong with a redirect URI to register (NULL: nothing): https, http to the loopback, or a private-use scheme';

-- The scopes of a request, as a client writes them: separated by commas (Contacts+) or
-- spaces (RFC 6749 §3.3), each once (in either spelling), in the order given.
CREATE OR REPLACE FUNCTION privacybee.oauth_scope_list(scope text)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY(SELECT t.s
                   FROM (SELECT s, n, pg_catalog.row_number() OVER (
                                    PARTITION BY COALESCE(privacybee.scope_canonical(s), s) ORDER BY n) AS k
                           FROM pg_catalog.regexp_split_to_table(COALESCE(scope, ''), '[ ,]+')
                                WITH ORDINALITY AS w(s, n)
                          WHERE s <> '') AS t
                  WHERE t.k = 1
                  ORDER BY t.n)
$$;
COMMENT ON FUNCTION privacybee.oauth_scope_list(text) IS
    'the scopes of an OAuth request (separated by commas or spaces), each once, in the order given';

-- The registry's names of scopes given in either spelling (unknown ones left out).
CREATE OR REPLACE FUNCTION privacybee.scopes_canonical(scopes text[])
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY(SELECT DISTINCT privacybee.scope_canonical(s) FROM pg_catalog.unnest(scopes) AS s
                  WHERE privacybee.scope_canonical(s) IS NOT NULL ORDER BY 1)
$$;
COMMENT ON FUNCTION privacybee.scopes_canonical(text[]) IS
    'scopes as the registry names them, from either spelling';

-- PKCE S256 (RFC 7636 §4.2): BASE64URL(SHA-256(ASCII(code_verifier))), without padding.
CREATE OR REPLACE FUNCTION privacybee.pkce_s256(code_verifier text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT pg_catalog.rtrim(pg_catalog.translate(
               pg_catalog.encode(privacybee.secret_hash(code_verifier), 'base64'), '+/', '-_'), '=')
$$;
COMMENT ON FUNCTION privacybee.pkce_s256(text) IS
    'the PKCE S256 code challenge of a code verifier (RFC 7636 §4.2)';

-- Registers a third-party app: its name (shown to members), the redirect URIs it may ask
-- for (each exactly as it will send it) and the scopes it may ask for (either spelling;
-- never an app or service scope). Returns the client_id and the client_secret, the secret
-- the only time it is ever seen.
-- A client as register_oauth_client() made it (its secret as hashed there): reference
-- data, which the sharded layout writes with this on every shard (sql/proxy/10_reference.sql)
-- so that a client is known wherever its member lives. A repeat changes nothing.
CREATE OR REPLACE FUNCTION privacybee.put_oauth_client(client_id text, name text, secret_hash bytea,
                                            redirect_uris text[], scopes text[])
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO privacybee.oauth_clients (client_id, name, secret_hash, redirect_uris, scopes)
    VALUES (client_id, name, secret_hash, redirect_uris, scopes)
    ON CONFLICT ON CONSTRAINT oauth_clients_pkey DO NOTHING;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION privacybee.put_oauth_client(text, text, bytea, text[], text[]) IS
    'adds a registered client as it was made (register_oauth_client; the sharded layout broadcasts it); a repeat changes nothing';

CREATE OR REPLACE FUNCTION privacybee.register_oauth_client(name text, redirect_uris text[], scopes text[])
RETURNS TABLE (client_id text, client_secret text)
LANGUAGE plpgsql AS $$
DECLARE
    v text;
    problem text;
BEGIN
    -- a client's name is trimmed as every name is (trim_name, details_name)
    name := privacybee.trim_name(name);
    IF name IS NULL OR name = '' OR pg_catalog.char_length(name) > 256 THEN
        RAISE EXCEPTION 'a client needs a name of 1 to 256 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- shown to members on the consent screen: text as text_problem() allows
    PERFORM privacybee.check_text('name', name);
    IF COALESCE(pg_catalog.cardinality(redirect_uris), 0) = 0 THEN
        RAISE EXCEPTION 'a client needs at least one redirect URI' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH v IN ARRAY redirect_uris LOOP
        problem := privacybee.oauth_redirect_uri_problem(v);
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION 'redirect URI % %', COALESCE(pg_catalog.quote_literal(v), 'NULL'), problem
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    IF COALESCE(pg_catalog.cardinality(scopes), 0) = 0 THEN
        RAISE EXCEPTION 'a client needs at least one scope' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT s INTO v FROM pg_catalog.unnest(scopes) AS s
     WHERE privacybee.scope_holder(privacybee.scope_canonical(s)) IS DISTINCT FROM 'member'
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'scope % is no scope a third-party app may be granted', COALESCE(v, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The scopes and who may hold them are the route registry''s (api/routes): a client may hold member scopes only.';
    END IF;
    -- the client id is public (it travels in browsers' URLs); 122 random bits keep it unguessable anyway
    client_id := 'pbcl_' || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '');
    client_secret := privacybee.new_secret('pbcs_');
    PERFORM privacybee.put_oauth_client(client_id, name, privacybee.secret_hash(client_secret),
                                        ARRAY(SELECT DISTINCT u FROM pg_catalog.unnest(redirect_uris) AS u ORDER BY 1),
                                        privacybee.scopes_canonical(scopes));
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION privacybee.register_oauth_client(text, text[], text[]) IS
    'registers a third-party app (OAuth 2.0 client); returns its client_id and client_secret, the secret shown once';

-- Removes a client, and with it every grant, code and token it holds.
CREATE OR REPLACE FUNCTION privacybee.unregister_oauth_client(client_id text)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM privacybee.oauth_clients c WHERE c.client_id = unregister_oauth_client.client_id;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION privacybee.unregister_oauth_client(text) IS
    'removes a third-party app and every grant, code and token it holds; false when unknown';

-- Revokes a grant: every access token of it, every refresh token of it. Re-runnable.
CREATE OR REPLACE FUNCTION privacybee.oauth_revoke_grant(uid bigint, gid bigint)
RETURNS void
LANGUAGE sql AS $$
    UPDATE privacybee.oauth_grants SET revoked_at = pg_catalog.now()
     WHERE user_id = uid AND id = gid AND revoked_at IS NULL;
    UPDATE privacybee.tokens SET revoked = true
     WHERE user_id = uid AND grant_id = gid AND NOT revoked;
    UPDATE privacybee.oauth_refresh_tokens SET spent_at = pg_catalog.now()
     WHERE user_id = uid AND grant_id = gid AND spent_at IS NULL;
$$;
COMMENT ON FUNCTION privacybee.oauth_revoke_grant(bigint, bigint) IS
    'revokes an OAuth grant with every access and refresh token of it';

-- An authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3) as the member's app passes it
-- on (GET: query parameters, POST: a JSON body). What is wrong with the client or the
-- redirect URI is the member's to see, never sent to an unproven URI: raised (400 naming
-- the field). Anything else wrong goes back to the app through its redirect URI
-- (RFC 6749 §4.1.2.1): error and error_description set.
CREATE OR REPLACE FUNCTION privacybee.oauth_authorization_request(req jsonb,
    OUT client_id text, OUT client_name text, OUT redirect_uri text, OUT scopes text[],
    OUT state text, OUT code_challenge text, OUT error text, OUT error_description text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    c privacybee.oauth_clients;
    f text;
    s text;
BEGIN
    FOREACH f IN ARRAY '{client_id,redirect_uri,scope,state,code_challenge,code_challenge_method,response_type}'::text[] LOOP
        IF pg_catalog.jsonb_typeof(req -> f) NOT IN ('string', 'null') THEN
            PERFORM privacybee.bad_field(f, 'must be a string');
        END IF;
    END LOOP;
    client_id := NULLIF(req ->> 'client_id', '');
    IF client_id IS NULL THEN
        PERFORM privacybee.bad_field('client_id', 'is required');
    END IF;
    SELECT * INTO c FROM privacybee.oauth_clients o WHERE o.client_id = oauth_authorization_request.client_id;
    IF NOT FOUND THEN
        PERFORM privacybee.bad_field('client_id', 'is no registered app', 'unknown client_id');
    END IF;
    redirect_uri := NULLIF(req ->> 'redirect_uri', '');
    IF redirect_uri IS NULL THEN
        PERFORM privacybee.bad_field('redirect_uri', 'is required');
    END IF;
    IF NOT redirect_uri = ANY (c.redirect_uris) THEN
        PERFORM privacybee.bad_field('redirect_uri', 'is not one the app registered',
                                     'redirect_uri is not one the app registered: the browser must not be sent there');
    END IF;
    state := req ->> 'state';
    IF pg_catalog.char_length(state) > 1024 THEN
        PERFORM privacybee.bad_field('state', 'must be at most 1024 characters');
    END IF;
    client_name := c.name;

    -- from here on, what is wrong is said to the app, through its (now proven) redirect URI
    IF COALESCE(req ->> 'response_type', 'code') <> 'code' THEN
        error := 'unsupported_response_type';
        error_description := 'response_type must be code';
        RETURN;
    END IF;
    code_challenge := NULLIF(req ->> 'code_challenge', '');
    IF COALESCE(req ->> 'code_challenge_method', 'S256') <> 'S256' THEN
        error := 'invalid_request';
        error_description := 'code_challenge_method must be S256, the only one supported';
        RETURN;
    END IF;
    IF code_challenge IS NULL AND req ->> 'code_challenge_method' IS NOT NULL THEN
        error := 'invalid_request';
        error_description := 'code_challenge_method without a code_challenge';
        RETURN;
    END IF;
    IF code_challenge !~ '^[A-Za-z0-9_-]{43}$' THEN
        error := 'invalid_request';
        error_description := 'code_challenge must be BASE64URL(SHA-256(code_verifier)): 43 characters';
        RETURN;
    END IF;
    scopes := privacybee.oauth_scope_list(req ->> 'scope');
    IF pg_catalog.cardinality(scopes) = 0 THEN
        error := 'invalid_scope';
        error_description := 'scope is required';
        RETURN;
    END IF;
    SELECT t INTO s FROM pg_catalog.unnest(scopes) AS t
     WHERE NOT COALESCE(privacybee.scope_canonical(t) = ANY (c.scopes), false)
     LIMIT 1;
    IF FOUND THEN
        error := 'invalid_scope';
        error_description := pg_catalog.format('%s is not a scope this app may ask for', pg_catalog.left(s, 64));
        -- RFC 6749 §5.2: error_description is printable ASCII without " and \
        error_description := pg_catalog.regexp_replace(error_description, '[^ !#-\[\]-~]', '?', 'g');
        RETURN;
    END IF;
END
$$;
COMMENT ON FUNCTION privacybee.oauth_authorization_request(jsonb) IS
    'an OAuth authorization request checked: 400 for a bad client or redirect URI; other errors returned, for the app';

-- The redirect back to the app with an error (RFC 6749 §4.1.2.1).
CREATE OR REPLACE FUNCTION privacybee.oauth_error_redirect(redirect_uri text, error text, error_description text, state text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT privacybee.url_with_query(redirect_uri,
               ARRAY['error', error, 'error_description', error_description, 'state', state])
$$;
COMMENT ON FUNCTION privacybee.oauth_error_redirect(text, text, text, text) IS
    'a redirect URI with an OAuth error, its description and the state';

-- GET /oauth/authorize: the member's app asks what an app's request is, to show the
-- member: the app's name and what each scope allows. Or, when the request cannot be put
-- to the member, where to send the browser back with the error. Writes nothing.
CREATE OR REPLACE FUNCTION privacybee.api_oauth_consent(token text, arg text, params jsonb, body jsonb,
                                                        if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_oauth_consent'));
    r record;
BEGIN
    PERFORM privacybee.check_params(params, '{client_id,redirect_uri,scope,state,code_challenge,code_challenge_method,response_type}');
    r := privacybee.oauth_authorization_request(params);
    IF r.error IS NOT NULL THEN
        RETURN privacybee.response(200, pg_catalog.jsonb_build_object('redirect_to',
            privacybee.oauth_error_redirect(r.redirect_uri, r.error, r.error_description, r.state))::text);
    END IF;
    RETURN privacybee.response(200, pg_catalog.json_build_object(
        'client', pg_catalog.json_build_object('client_id', r.client_id, 'name', r.client_name),
        'redirect_uri', r.redirect_uri,
        'scopes', (SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
                              'scope', s, 'description', privacybee.scope_description(privacybee.scope_canonical(s)))
                              ORDER BY n)
                     FROM pg_catalog.unnest(r.scopes) WITH ORDINALITY AS u(s, n)))::text);
END
$$;

-- POST /oauth/authorize: the member's answer to an app's request. Approved, a code for the
-- app (single-use, oauth_code_lifetime(), bound to the app, the redirect URI, the scopes
-- and the PKCE challenge); refused or malformed, the error. Either way, where the member's
-- app sends the browser. Only the member's own app may answer (the scope oauth:authorize
-- is never granted to an app); a token from a grant is refused here too, a second wall.
CREATE OR REPLACE FUNCTION privacybee.api_oauth_authorize(token text, arg text, params jsonb, body jsonb,
                                                          if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint := privacybee.authenticate_member(token, privacybee.route_scope('api_oauth_authorize'));
    r record;
    code text;
BEGIN
    IF EXISTS (SELECT 1 FROM privacybee.tokens t
                WHERE t.token_hash = privacybee.secret_hash(token) AND t.grant_id IS NOT NULL) THEN
        PERFORM privacybee.fail(403, 'a third-party app''s token cannot authorise apps');
    END IF;
    PERFORM privacybee.check_params(params, '{}');
    PERFORM privacybee.check_body_fields(body, '{client_id,redirect_uri,scope,state,code_challenge,code_challenge_method,response_type,approve}',
                                         'an authorization request');
    IF body ? 'approve' AND pg_catalog.jsonb_typeof(body -> 'approve') <> 'boolean' THEN
        PERFORM privacybee.bad_field('approve', 'must be true or false');
    END IF;
    r := privacybee.oauth_authorization_request(body);
    IF r.error IS NULL AND body -> 'approve' = 'false' THEN
        r.error := 'access_denied';
        r.error_description := 'the member did not allow it';
    END IF;
    IF r.error IS NOT NULL THEN
        RETURN privacybee.response(200, pg_catalog.jsonb_build_object('redirect_to',
            privacybee.oauth_error_redirect(r.redirect_uri, r.error, r.error_description, r.state))::text);
    END IF;
    -- it carries its member, so that the proxy routes its exchange (docs/sharding.md)
    code := privacybee.new_member_secret('pbc_', uid);
    INSERT INTO privacybee.oauth_codes (code_hash, user_id, client_id, redirect_uri, scopes, code_challenge, expires_at)
    VALUES (privacybee.secret_hash(code), uid, r.client_id, r.redirect_uri, r.scopes, r.code_challenge,
            pg_catalog.now() + privacybee.oauth_code_lifetime());
    RETURN privacybee.response(200, pg_catalog.jsonb_build_object('redirect_to',
        privacybee.url_with_query(r.redirect_uri, ARRAY['code', code, 'state', r.state]))::text);
END
$$;

-- A code exchanged by its client (RFC 6749 §4.1.3, RFC 7636 §4.5): the grant it makes, or
-- the error. Checked in this order: the code known for this client; not spent (else the
-- grant its first exchange made is revoked); not expired; the redirect URI it was issued
-- for; the PKCE verifier when it was issued with a challenge, none when without (RFC 9700
-- §2.1.1: a verifier for a code without a challenge is refused, so PKCE cannot be
-- stripped). Only the spent case writes (the revocation); a failed check leaves the code
-- as it was.
CREATE OR REPLACE FUNCTION privacybee.oauth_redeem_code(cid text, csecret text, code text, redirect_uri text,
    code_verifier text, OUT error text, OUT error_description text, OUT field text,
    OUT user_id bigint, OUT grant_id bigint, OUT scopes text[])
LANGUAGE plpgsql AS $$
DECLARE
    uid bigint;
    c privacybee.oauth_codes;
BEGIN
    error := 'invalid_request';
    IF code IS NULL THEN
        error_description := 'code is required';
        field := 'code';
        RETURN;
    END IF;
    IF redirect_uri IS NULL THEN
        error_description := 'redirect_uri is required';
        field := 'redirect_uri';
        RETURN;
    END IF;
    IF code_verifier !~ '^[A-Za-z0-9._~-]{43,128}$' THEN
        error_description := 'code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9 and -._~ (RFC 7636 section 4.1)';
        field := 'code_verifier';
        RETURN;
    END IF;
    error := 'invalid_grant';
    field := 'code';
    uid := privacybee.oauth_holder('code', code, cid, csecret);
    SELECT * INTO c FROM privacybee.oauth_codes o
     WHERE o.code_hash = privacybee.secret_hash(code) AND o.user_id = uid
       FOR UPDATE;
    IF NOT FOUND THEN
        error_description := 'the code is unknown, or was issued to another client';
    ELSIF c.grant_id IS NOT NULL THEN
        PERFORM privacybee.oauth_revoke_grant(uid, c.grant_id);
        error_description := 'the code was already used: every token issued for it is revoked';
    ELSIF c.expires_at <= pg_catalog.now() THEN
        error_description := 'the code has expired';
    ELSIF c.redirect_uri <> oauth_redeem_code.redirect_uri THEN
        error_description := 'redirect_uri is not the one the code was issued for';
        field := 'redirect_uri';
    ELSIF c.code_challenge IS NULL AND code_verifier IS NOT NULL THEN
        error_description := 'the code was issued without a code_challenge: a code_verifier cannot be checked';
        field := 'code_verifier';
    ELSIF c.code_challenge IS NOT NULL AND code_verifier IS NULL THEN
        error_description := 'code_verifier is required: the code was issued with a code_challenge';
        field := 'code_verifier';
    ELSIF c.code_challenge IS NOT NULL AND privacybee.pkce_s256(code_verifier) <> c.code_challenge THEN
        error_description := 'code_verifier does not match the code_challenge';
        field := 'code_verifier';
    ELSE
        INSERT INTO privacybee.oauth_grants (user_id, client_id, scopes)
        VALUES (uid, c.client_id, c.scopes)
        RETURNING id INTO grant_id;
        UPDATE privacybee.oauth_codes o SET grant_id = oauth_redeem_code.grant_id
         WHERE o.code_hash = c.code_hash;
        user_id := uid;
        scopes := c.scopes;
        error := NULL;
        field := NULL;
    END IF;
END
$$;
COMMENT ON FUNCTION privacybee.oauth_redeem_code(text, text, text, text, text) IS
    'exchanges an OAuth code for its grant (a spent one revokes the grant it made), or says why not';

-- A refresh token used by its client (RFC 6749 §6): spent now, its grant returned for the
-- next tokens; or the error. A spent one presented again revokes the whole grant, for one
-- of the two presenting it is not the client (RFC 9700 §4.14.2). scope, when given,
-- narrows the next access token to part of the grant.
CREATE OR REPLACE FUNCTION privacybee.oauth_redeem_refresh(cid text, csecret text, refresh_token text, scope text,
    OUT error text, OUT error_description text, OUT field text,
    OUT user_id bigint, OUT grant_id bigint, OUT scopes text[])
LANGUAGE plpgsql AS $$
DECLARE
    uid bigint;
    r record;
    s text;
BEGIN
    IF refresh_token IS NULL THEN
        error := 'invalid_request';
        error_description := 'refresh_token is required';
        field := 'refresh_token';
        RETURN;
    END IF;
    error := 'invalid_grant';
    field := 'refresh_token';
    uid := privacybee.oauth_holder('refresh_token', refresh_token, cid, csecret);
    SELECT t.token_hash, t.grant_id, t.expires_at, t.spent_at, g.revoked_at, g.scopes INTO r
      FROM privacybee.oauth_refresh_tokens t
      JOIN privacybee.oauth_grants g ON g.user_id = t.user_id AND g.id = t.grant_id
     WHERE t.token_hash = privacybee.secret_hash(refresh_token) AND t.user_id = uid
       FOR UPDATE OF t;
    IF NOT FOUND THEN
        error_description := 'the refresh token is unknown, or was issued to another client';
        RETURN;
    ELSIF r.revoked_at IS NOT NULL THEN
        error_description := 'the grant was revoked: the member must authorise the app again';
        RETURN;
    ELSIF r.spent_at IS NOT NULL THEN
        PERFORM privacybee.oauth_revoke_grant(uid, r.grant_id);
        error_description := 'the refresh token was already used: the grant is revoked, the member must authorise the app again';
        RETURN;
    ELSIF r.expires_at <= pg_catalog.now() THEN
        error_description := 'the refresh token has expired';
        RETURN;
    END IF;
    scopes := r.scopes;
    IF scope IS NOT NULL THEN
        scopes := privacybee.oauth_scope_list(scope);
        SELECT t INTO s FROM pg_catalog.unnest(scopes) AS t
         WHERE NOT COALESCE(privacybee.scope_canonical(t) = ANY (privacybee.scopes_canonical(r.scopes)), false)
         LIMIT 1;
        IF FOUND OR pg_catalog.cardinality(scopes) = 0 THEN
            error := 'invalid_scope';
            error_description := 'scope must be some of the scopes granted';
            field := 'scope';
            RETURN;
        END IF;
    END IF;
    UPDATE privacybee.oauth_refresh_tokens t SET spent_at = pg_catalog.now() WHERE t.token_hash = r.token_hash;
    user_id := uid;
    grant_id := r.grant_id;
    error := NULL;
    field := NULL;
END
$$;
COMMENT ON FUNCTION privacybee.oauth_redeem_refresh(text, text, text, text) IS
    'spends an OAuth refresh token for its grant (a spent one revokes the grant), or says why not';

-- A token request, whichever form it came in (RFC 6749 §4.1.3 and §6 at /oauth/token, the
-- Contacts+ forms at /v3/oauth.*): the client authenticated, the grant redeemed, a new
-- access token and the next refresh token issued (the tokens of the grant). status 200, or
-- the error with its status (401 for invalid_client) and the field at fault. An empty
-- value is an absent one (RFC 6749 §3.2); other fields are ignored.
CREATE OR REPLACE FUNCTION privacybee.oauth_token_request(form jsonb, params jsonb, grant_type text,
    OUT status integer, OUT error text, OUT error_description text, OUT field text,
    OUT access_token text, OUT access_expires timestamptz, OUT refresh_token text,
    OUT refresh_expires timestamptz, OUT scopes text[])
LANGUAGE plpgsql AS $$
DECLARE
    f jsonb := COALESCE(form, '{}');
    cid text := NULLIF(f ->> 'client_id', '');
    csecret text := NULLIF(f ->> 'client_secret', '');
    g record;
BEGIN
    status := 400;
    IF params IS NOT NULL AND params <> '{}' THEN
        error := 'invalid_request';
        error_description := 'parameters go in the form body, never in the query string';
        SELECT k INTO field FROM pg_catalog.jsonb_object_keys(params) AS k LIMIT 1;
        RETURN;
    END IF;
    IF cid IS NULL OR csecret IS NULL
       OR NOT EXISTS (SELECT 1 FROM privacybee.oauth_clients c
                       WHERE c.client_id = cid AND c.secret_hash = privacybee.secret_hash(csecret)) THEN
        status := 401;
        error := 'invalid_client';
        error_description := 'client authentication failed: give client_id and client_secret in the form, or as HTTP Basic';
        field := 'client_id';
        RETURN;
    END IF;
    IF grant_type IS NULL THEN
        error := 'invalid_request';
        error_description := 'grant_type is required';
        field := 'grant_type';
        RETURN;
    ELSIF grant_type = 'authorization_code' THEN
        g := privacybee.oauth_redeem_code(cid, csecret, NULLIF(f ->> 'code', ''), NULLIF(f ->> 'redirect_uri', ''),
                                          NULLIF(f ->> 'code_verifier', ''));
    ELSIF grant_type = 'refresh_token' THEN
        g := privacybee.oauth_redeem_refresh(cid, csecret, NULLIF(f ->> 'refresh_token', ''), NULLIF(f ->> 'scope', ''));
    ELSE
        error := 'unsupported_grant_type';
        error_description := 'grant_type must be authorization_code or refresh_token';
        field := 'grant_type';
        RETURN;
    END IF;
    IF g.error IS NOT NULL THEN
        error := g.error;
        error_description := g.error_description;
        field := g.field;
        RETURN;
    END IF;
    -- a bearer token like every other (new_token: it carries its member's id, which the
    -- sharded layout routes by)
    access_token := privacybee.new_token(g.user_id);
    access_expires := pg_catalog.date_trunc('milliseconds', pg_catalog.now() + privacybee.oauth_access_token_lifetime());
    INSERT INTO privacybee.tokens (token_hash, user_id, scopes, expires_at, grant_id)
    VALUES (privacybee.secret_hash(access_token), g.user_id, privacybee.scopes_canonical(g.scopes),
            access_expires, g.grant_id);
    refresh_token := privacybee.new_member_secret('pbr_', g.user_id);
    refresh_expires := pg_catalog.date_trunc('milliseconds', pg_catalog.now() + privacybee.oauth_refresh_token_lifetime());
    INSERT INTO privacybee.oauth_refresh_tokens (token_hash, user_id, grant_id, expires_at)
    VALUES (privacybee.secret_hash(refresh_token), g.user_id, g.grant_id, refresh_expires);
    scopes := g.scopes;
    status := 200;
END
$$;
COMMENT ON FUNCTION privacybee.oauth_token_request(jsonb, jsonb, text) IS
    'an OAuth token request: the client authenticated, the code or refresh token redeemed, new tokens issued; or the error';

-- Headers of every answer that carries or refuses tokens (RFC 6749 §5.1), and of a client
-- that failed to authenticate (§5.2).
CREATE OR REPLACE FUNCTION privacybee.oauth_headers(status integer)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT E'Cache-Control: no-store\nPragma: no-cache'
           || CASE WHEN status = 401 THEN E'\nWWW-Authenticate: Basic realm="privacybee"' ELSE '' END
$$;
COMMENT ON FUNCTION privacybee.oauth_headers(integer) IS
    'the headers of an OAuth token answer: no-store, and WWW-Authenticate for 401';

-- POST /oauth/token: RFC 6749's token endpoint, answers and errors as §5 writes them.
CREATE OR REPLACE FUNCTION privacybee.api_oauth_token(token text, arg text, params jsonb, body jsonb,
                                                      if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record := privacybee.oauth_token_request(body, params, NULLIF(body ->> 'grant_type', ''));
BEGIN
    IF r.error IS NOT NULL THEN
        RETURN privacybee.response(r.status, pg_catalog.json_build_object(
            'error', r.error, 'error_description', r.error_description)::text, privacybee.oauth_headers(r.status));
    END IF;
    RETURN privacybee.response(200, pg_catalog.json_build_object(
        'access_token', r.access_token, 'token_type', 'Bearer',
        'expires_in', pg_catalog.date_part('epoch', privacybee.oauth_access_token_lifetime())::integer,
        'refresh_token', r.refresh_token, 'scope', pg_catalog.array_to_string(r.scopes, ' '))::text,
        privacybee.oauth_headers(200));
END
$$;

-- A time as the Contacts+ API writes it: ISO 8601, UTC, milliseconds; and as milliseconds
-- since 1970.
CREATE OR REPLACE FUNCTION privacybee.cplus_time(t timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
COMMENT ON FUNCTION privacybee.cplus_time(timestamptz) IS
    'a time as the Contacts+ API writes it: ISO 8601, UTC, milliseconds (2018-08-03T17:02:44.627Z)';

CREATE OR REPLACE FUNCTION privacybee.cplus_millis(t timestamptz)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT pg_catalog.floor(pg_catalog.date_part('epoch', t) * 1000)::bigint
$$;
COMMENT ON FUNCTION privacybee.cplus_millis(timestamptz) IS
    'a time as milliseconds since 1970, as the Contacts+ API writes expirations';

-- The Contacts+ forms of the two grants: the seed's answer, the refresh token included in
-- both (it rotates: the one given is spent), errors in the SPEC's body.
CREATE OR REPLACE FUNCTION privacybee.cplus_token_answer(r record)
RETURNS privacybee.http_response
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF r.error IS NOT NULL THEN
        RETURN privacybee.error_response(r.status, r.error || ': ' || r.error_description, r.field,
                                         r.error_description, privacybee.oauth_headers(r.status));
    END IF;
    RETURN privacybee.response(200, pg_catalog.json_build_object(
        'access_token_expiration', privacybee.cplus_millis(r.access_expires),
        'access_token_expiration_date', privacybee.cplus_time(r.access_expires),
        'refresh_token_expiration', privacybee.cplus_millis(r.refresh_expires),
        'refresh_token_expiration_date', privacybee.cplus_time(r.refresh_expires),
        'access_token', r.access_token,
        'refresh_token', r.refresh_token,
        'scope', pg_catalog.array_to_string(r.scopes, ','))::text,
        privacybee.oauth_headers(200));
END
$$;
COMMENT ON FUNCTION privacybee.cplus_token_answer(record) IS
    'the Contacts+ answer to a token request (oauth_token_request()), or its error in the SPEC body';

-- POST /v3/oauth.exchangeAuthCode (Contacts+): client_id, client_secret, redirect_uri, code,
-- and code_verifier when the code was requested with a code_challenge.
CREATE OR REPLACE FUNCTION privacybee.api_oauth_exchange_code(token text, arg text, params jsonb, body jsonb,
                                                              if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN privacybee.cplus_token_answer(privacybee.oauth_token_request(body, params, 'authorization_code'));
END
$$;

-- POST /v3/oauth.refreshToken (Contacts+): client_id, client_secret, refresh_token.
CREATE OR REPLACE FUNCTION privacybee.api_oauth_refresh(token text, arg text, params jsonb, body jsonb,
                                                        if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN privacybee.cplus_token_answer(privacybee.oauth_token_request(body, params, 'refresh_token'));
END
$$;

-- POST /oauth/revoke (RFC 7009): a refresh token revokes its whole grant; an access token
-- itself. A token that is unknown, already revoked, or another client's is answered the
-- same 200, changing nothing: the answer never says which tokens exist. The hint is only
-- where to look first; both kinds are looked for.
CREATE OR REPLACE FUNCTION privacybee.api_oauth_revoke(token text, arg text, params jsonb, body jsonb,
                                                       if_match text, if_none_match text DEFAULT NULL)
RETURNS privacybee.http_response
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    f jsonb := COALESCE(body, '{}');
    cid text := NULLIF(f ->> 'client_id', '');
    csecret text := NULLIF(f ->> 'client_secret', '');
    secret text := NULLIF(f ->> 'token', '');
    uid bigint;
    error text;
    description text;
    status integer := 400;
BEGIN
    IF params IS NOT NULL AND params <> '{}' THEN
        error := 'invalid_request';
        description := 'parameters go in the form body, never in the query string';
    ELSIF cid IS NULL OR csecret IS NULL
          OR NOT EXISTS (SELECT 1 FROM privacybee.oauth_clients c
                          WHERE c.client_id = cid AND c.secret_hash = privacybee.secret_hash(csecret)) THEN
        status := 401;
        error := 'invalid_client';
        description := 'client authentication failed: give client_id and client_secret in the form, or as HTTP Basic';
    ELSIF secret IS NULL THEN
        error := 'invalid_request';
        description := 'token is required';
    END IF;
    IF error IS NOT NULL THEN
        RETURN privacybee.response(status, pg_catalog.json_build_object(
            'error', error, 'error_description', description)::text, privacybee.oauth_headers(status));
    END IF;
    uid := privacybee.oauth_holder('refresh_token', secret, cid, csecret);
    IF uid IS NOT NULL THEN
        PERFORM privacybee.oauth_revoke_grant(uid, t.grant_id)
           FROM privacybee.oauth_refresh_tokens t
          WHERE t.token_hash = privacybee.secret_hash(secret) AND t.user_id = uid;
    ELSE
        uid := privacybee.oauth_holder('access_token', secret, cid, csecret);
        UPDATE privacybee.tokens t SET revoked = true
         WHERE t.token_hash = privacybee.secret_hash(secret) AND t.user_id = uid AND NOT t.revoked;
    END IF;
    RETURN privacybee.response(200, '{}', privacybee.oauth_headers(200));
END
$$;
