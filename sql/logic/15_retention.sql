-- How long privacybee keeps what it keeps: one home for each period and count, read by
-- the routes that show the data and by maintenance() (80_maintenance.sql), which purges
-- what is past them. Constant SQL functions: the planner folds them into the query.

-- A deleted contact's tombstone stays this long, so that a syncing client can mirror the
-- deletion (GET /contacts?include_deleted=true, SPEC §4).
CREATE OR REPLACE FUNCTION privacybee.tombstone_period()
RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT interval '30 days'
$$;
COMMENT ON FUNCTION privacybee.tombstone_period() IS
    'how long a deleted contact''s tombstone is kept for syncing clients (30 days)';

-- The blocked-call log keeps each member's latest this many calls, which is what
-- GET /apps/buzz/blocked shows (SPEC §6).
CREATE OR REPLACE FUNCTION privacybee.blocked_calls_kept()
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 100
$$;
COMMENT ON FUNCTION privacybee.blocked_calls_kept() IS
    'how many of a member''s latest blocked calls are kept and shown (100)';

-- OAuth 2.0 (SPEC §10, sql/logic/75_oauth.sql). An authorization code is exchanged within
-- this long of the member's consent, or never (RFC 6749 §4.1.2 says at most 10 minutes).
CREATE OR REPLACE FUNCTION privacybee.oauth_code_lifetime()
RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT interval '60 seconds'
$$;
COMMENT ON FUNCTION privacybee.oauth_code_lifetime() IS
    'how long an OAuth authorization code may be exchanged (60 s)';

-- An access token an OAuth client gets lives this long; then it refreshes.
CREATE OR REPLACE FUNCTION privacybee.oauth_access_token_lifetime()
RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT interval '1 hour'
$$;
COMMENT ON FUNCTION privacybee.oauth_access_token_lifetime() IS
    'how long an access token issued to an OAuth client is valid (1 hour)';

-- A refresh token is valid this long from its issue; each refresh issues the next one,
-- so a client that refreshes at least this often stays authorised until revoked.
CREATE OR REPLACE FUNCTION privacybee.oauth_refresh_token_lifetime()
RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT interval '180 days'
$$;
COMMENT ON FUNCTION privacybee.oauth_refresh_token_lifetime() IS
    'how long an OAuth refresh token is valid from its issue (180 days; each refresh issues the next)';

-- A spent or expired code is kept this long past its expiry, so that a second exchange of
-- it still revokes what the first one was given (RFC 6749 §4.1.2); maintenance() purges it
-- then.
CREATE OR REPLACE FUNCTION privacybee.oauth_codes_kept()
RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT interval '1 day'
$$;
COMMENT ON FUNCTION privacybee.oauth_codes_kept() IS
    'how long an OAuth code is kept past its expiry, for reuse detection (1 day)';

-- A webhook's batches, with each attempt, are kept and shown this long
-- (GET /webhooks/<id>/batches, SPEC §11).
CREATE OR REPLACE FUNCTION privacybee.webhook_batch_period()
RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT interval '14 days'
$$;
COMMENT ON FUNCTION privacybee.webhook_batch_period() IS
    'how long webhook batches and their attempts are kept and shown (14 days)';
