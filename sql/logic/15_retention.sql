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

-- A webhook's batches, with each attempt, are kept and shown this long
-- (GET /webhooks/<id>/batches, SPEC §11).
CREATE OR REPLACE FUNCTION privacybee.webhook_batch_period()
RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT interval '14 days'
$$;
COMMENT ON FUNCTION privacybee.webhook_batch_period() IS
    'how long webhook batches and their attempts are kept and shown (14 days)';
