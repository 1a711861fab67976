-- The bearer token format: made here, read here. In the prelude because two databases run
-- it: the extension's (issue_token makes tokens with new_token) and the PL/Proxy proxy's
-- (sql/proxy/, docs/sharding.md), which routes a member's request to the member's shard
-- by the member id the token carries, without a lookup.
--
--   member token:  pb_<member id>_<64 hex digits>
--   service token: pb_<64 hex digits>
--   OAuth code and refresh token (extension: sql/logic/75_oauth.sql):
--                  pbc_<member id>_<64 hex digits>, pbr_<member id>_<64 hex digits>
--
-- The id is a routing hint only: a token authenticates by its SHA-256 alone
-- (extension/tokens.c), so a token whose id was changed is unknown wherever it goes
-- (401). Tokens issued before 0.2.0 (pb_<64 hex digits> for members too) still
-- authenticate on one database; a sharded layout routes them as service tokens (shard 0).

-- A new secret of member user_id (NULL: no member's) after prefix: 244 bits from the
-- server's strong random source, in two v4 UUIDs. Bearer tokens, OAuth codes and refresh
-- tokens are made so, so that the proxy routes each to its member's shard.
CREATE OR REPLACE FUNCTION privacybee.new_member_secret(prefix text, user_id bigint)
RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT prefix || COALESCE(user_id::text || '_', '')
           || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '')
           || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '')
$$;
COMMENT ON FUNCTION privacybee.new_member_secret(text, bigint) IS
    'a new secret for a member (NULL: none) after prefix, in the format secret_member() reads';

-- A new token's plaintext for member user_id (NULL: a service token).
CREATE OR REPLACE FUNCTION privacybee.new_token(user_id bigint)
RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT privacybee.new_member_secret('pb_', user_id)
$$;
COMMENT ON FUNCTION privacybee.new_token(bigint) IS
    'the plaintext of a new bearer token for a member (NULL: a service token), in the format token_member() reads';

-- The member id a token names; NULL for a service token or anything else.
CREATE OR REPLACE FUNCTION privacybee.token_member(token text)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT pg_catalog.substring(token, '^pb_([1-9][0-9]{0,17})_[0-9a-f]{64}$')::bigint
$$;
COMMENT ON FUNCTION privacybee.token_member(text) IS
    'the member id a bearer token carries (its routing hint; NULL for a service token or a malformed one)';

-- The member id a bearer token, an OAuth code (pbc_) or refresh token (pbr_) names; NULL
-- for one that names none or anything else. A routing hint only, like token_member().
CREATE OR REPLACE FUNCTION privacybee.secret_member(secret text)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT pg_catalog.substring(secret, '^pb[cr]?_([1-9][0-9]{0,17})_[0-9a-f]{64}$')::bigint
$$;
COMMENT ON FUNCTION privacybee.secret_member(text) IS
    'the member id a bearer token, OAuth code or refresh token carries (NULL when none)';
