-- OAuth 2.0 in SQL (SPEC §10): clients registered, the helpers the routes build on, and the
-- grants as the route functions make them. The HTTP suite (regress/http/test_oauth.py)
-- runs the flows end to end.
\set SHOW_CONTEXT never

-- registration: the secret once, its hash kept; what may be registered
SELECT client_id AS cid, client_secret AS csecret
  FROM privacybee.register_oauth_client('Example App', '{https://app.example/cb,http://127.0.0.1:8765/cb}',
                                        '{account.read,contacts.read,contacts:write,contacts.read}') \gset
SELECT :'cid' ~ '^pbcl_[0-9a-f]{32}$' AS id_format, :'csecret' ~ '^pbcs_[0-9a-f]{64}$' AS secret_format;
SELECT name, redirect_uris, scopes, secret_hash = sha256(convert_to(:'csecret', 'UTF8')) AS hashed
  FROM privacybee.oauth_clients WHERE client_id = :'cid';
SELECT privacybee.register_oauth_client('', '{https://a.example/cb}', '{contacts.read}');
SELECT privacybee.register_oauth_client('X', '{}', '{contacts.read}');
SELECT privacybee.register_oauth_client('X', '{https://a.example/cb}', '{}');
SELECT privacybee.register_oauth_client('X', '{https://a.example/cb}', '{contacts.read,oauth:authorize}');
SELECT privacybee.register_oauth_client('X', '{https://a.example/cb}', '{buzz:lookup}');
SELECT privacybee.register_oauth_client('X', '{https://a.example/cb}', '{everything}');
SELECT privacybee.register_oauth_client('X', '{http://app.example/cb}', '{contacts.read}');

-- redirect URIs: https, http to the loopback, a private-use scheme; no fragment
SELECT u, privacybee.oauth_redirect_uri_problem(u) AS problem
  FROM unnest(ARRAY['https://app.example/cb', 'https://app.example', 'https://app.example/cb?x=1',
                    'http://127.0.0.1:8765/cb', 'http://[::1]/cb', 'http://localhost/cb',
                    'com.example.app:/oauth', 'https://app.example/cb#frag', 'http://example.com/cb',
                    'http://127.0.0.1.evil.example/cb', 'https:///cb', 'https://user@evil.example/cb',
                    'myapp://cb', 'com.example.app://cb', 'https://app.example/c b', '']) AS u;

-- the one map of the Contacts+ scope names onto ours, and who may hold each
SELECT s, privacybee.scope_canonical(s) AS canonical,
       privacybee.scope_holder(privacybee.scope_canonical(s)) AS holder
  FROM unnest(ARRAY['contacts.read', 'contacts:read', 'contacts.write', 'account.read',
                    'teams.contacts.write', 'oauth:authorize', 'buzz:lookup', 'contacts.READ']) AS s;
SELECT privacybee.oauth_scope_list('account.read,contacts.read  contacts:read,,tags.read ');
SELECT privacybee.create_member('Olive', 'Auth') AS olive \gset
SELECT privacybee.issue_token(:olive, '{contacts.read,contacts:read,account.read,oauth:authorize}') AS app \gset
SELECT scopes FROM privacybee.tokens WHERE token_hash = privacybee.secret_hash(:'app');

-- PKCE S256: RFC 7636 Appendix B
SELECT privacybee.pkce_s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk') = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' AS rfc7636_vector;
-- redirects keep the URI's own query and encode what they add
SELECT privacybee.url_with_query('https://app.example/cb', ARRAY['code', 'pbc_1', 'state', 'a b&c/é']);
SELECT privacybee.url_with_query('https://app.example/cb?x=1', ARRAY['error', 'access_denied', 'state', NULL]);

-- consent and code (the member's app), then the exchange and a refresh (the client)
SELECT status, body::jsonb -> 'client' ->> 'name' AS name, body::jsonb -> 'scopes' -> 0 ->> 'scope' AS first_scope
  FROM privacybee.api_oauth_consent(:'app', '', jsonb_build_object('client_id', :'cid',
       'redirect_uri', 'https://app.example/cb', 'scope', 'contacts.read'), NULL, NULL);
SELECT body::jsonb ->> 'redirect_to' AS redirect
  FROM privacybee.api_oauth_authorize(:'app', '', '{}', jsonb_build_object('client_id', :'cid',
       'redirect_uri', 'https://app.example/cb', 'scope', 'contacts.read,account.read', 'state', 'S',
       'code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'), NULL) \gset
-- the code carries its member, for the sharded layout's routing (sql/prelude/10_token_format.sql)
SELECT :'redirect' ~ ('^https://app\.example/cb\?code=pbc_' || :olive || '_[0-9a-f]{64}&state=S$') AS redirect_format,
       privacybee.secret_member(substring(:'redirect' FROM 'code=([^&]*)')) = :olive AS names_its_member;
SELECT substring(:'redirect' FROM 'code=([^&]*)') AS code \gset
SELECT redirect_uri, scopes, code_challenge, grant_id, expires_at - created AS lifetime
  FROM privacybee.oauth_codes WHERE code_hash = privacybee.secret_hash(:'code');
SELECT count(*) AS plaintext_kept FROM privacybee.oauth_codes c WHERE row_to_json(c)::text LIKE '%' || :'code' || '%';

-- the wrong verifier, then the right one; the tokens are the grant's, the code spent
SELECT status, body::jsonb ->> 'error' AS error
  FROM privacybee.api_oauth_token(NULL, '', '{}', jsonb_build_object('grant_type', 'authorization_code',
       'code', :'code', 'redirect_uri', 'https://app.example/cb', 'client_id', :'cid', 'client_secret', :'csecret',
       'code_verifier', repeat('x', 43)), NULL);
SELECT status, headers, body::jsonb ->> 'refresh_token' AS refresh
  FROM privacybee.api_oauth_token(NULL, '', '{}', jsonb_build_object('grant_type', 'authorization_code',
       'code', :'code', 'redirect_uri', 'https://app.example/cb', 'client_id', :'cid', 'client_secret', :'csecret',
       'code_verifier', 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), NULL) \gset
SELECT :status, :'headers';
SELECT g.scopes, g.revoked_at IS NULL AS live, t.scopes AS token_scopes, round(extract(epoch FROM t.expires_at - t.created)) AS token_seconds
  FROM privacybee.oauth_grants g JOIN privacybee.tokens t ON t.user_id = g.user_id AND t.grant_id = g.id
 WHERE g.user_id = :olive;
SELECT grant_id IS NOT NULL AS spent FROM privacybee.oauth_codes WHERE code_hash = privacybee.secret_hash(:'code');

-- the Contacts+ refresh: the seed's fields, the next refresh token
SELECT status, (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(body::jsonb) AS k) AS fields,
       body::jsonb ->> 'scope' AS scope
  FROM privacybee.api_oauth_refresh(NULL, '', '{}', jsonb_build_object('client_id', :'cid',
       'client_secret', :'csecret', 'refresh_token', :'refresh'), NULL);
-- spent: presented again, the grant is revoked, and the error answered (not raised)
SELECT status, body::jsonb -> 'error' ->> 'message' AS message
  FROM privacybee.api_oauth_refresh(NULL, '', '{}', jsonb_build_object('client_id', :'cid',
       'client_secret', :'csecret', 'refresh_token', :'refresh'), NULL);
SELECT g.revoked_at IS NOT NULL AS grant_revoked, bool_and(t.revoked) AS tokens_revoked,
       bool_and(r.spent_at IS NOT NULL) AS refresh_tokens_spent
  FROM privacybee.oauth_grants g
  JOIN privacybee.tokens t ON t.user_id = g.user_id AND t.grant_id = g.id
  JOIN privacybee.oauth_refresh_tokens r ON r.user_id = g.user_id AND r.grant_id = g.id
 WHERE g.user_id = :olive GROUP BY g.revoked_at;

-- oauth_holder: only with the client's own credentials, and then for that member only
SELECT privacybee.oauth_holder('refresh_token', :'refresh', :'cid', :'csecret') = :olive AS holder;
SELECT privacybee.oauth_holder('refresh_token', :'refresh', :'cid', 'wrong') AS wrong_secret;
SELECT privacybee.oauth_holder('code', :'refresh', :'cid', :'csecret') AS wrong_kind;
SELECT privacybee.oauth_holder('refresh_token', NULL, :'cid', :'csecret') AS no_secret;
SELECT privacybee.oauth_holder('password', 'x', :'cid', :'csecret');

-- maintenance purges codes past what is kept, and expired refresh tokens
UPDATE privacybee.oauth_codes SET expires_at = now() - interval '2 days' WHERE user_id = :olive;
UPDATE privacybee.oauth_refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = :olive;
SELECT r ->> 'oauth_codes_purged' AS codes, r ->> 'oauth_refresh_tokens_purged' AS refresh_tokens
  FROM privacybee.maintenance() AS r;

-- unregistering a client removes what it holds
SELECT privacybee.unregister_oauth_client(:'cid');
SELECT count(*) AS grants_left FROM privacybee.oauth_grants WHERE user_id = :olive;
SELECT count(*) AS tokens_left FROM privacybee.tokens WHERE user_id = :olive AND grant_id IS NOT NULL;
SELECT privacybee.unregister_oauth_client(:'cid');
