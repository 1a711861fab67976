-- Scheduled maintenance (SPEC §13): the clean-up no request does, and the nightly proof
-- that the materialised trust decisions are the live ones.
--
-- maintenance() runs nightly and recompute_trust() weekly: from pg_cron where it is
-- installed (schedule_maintenance(), which make run calls), else from cron (docs/operations.md,
-- "Maintenance"). Each step adds a key to the jsonb report maintenance() returns, so a
-- release that adds a step (webhook batches past 14 days come with webhooks, SPEC §11)
-- adds a key and its DELETE here, and neither the signature nor a caller changes.

-- jit off: trust_verify()'s plan is estimated at ~90,000 rows whatever the data, which
-- makes PostgreSQL spend ~4 s compiling it on a database of three members (measured on
-- make run's demo data: 4.2 s with JIT, 0.03 s without); the work is trust_eval() in C.
CREATE OR REPLACE FUNCTION privacybee.maintenance()
RETURNS jsonb
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    started timestamptz := pg_catalog.clock_timestamp();
    tombstones bigint;
    cards bigint;
    blocked bigint;
    codes bigint;
    refresh_tokens bigint;
    batches bigint;
    events bigint;
    differences bigint;
    members bigint[];
    m bigint;
BEGIN
    -- It must see every member's rows. Under row-level security a role that does not
    -- bypass it would purge nothing and report success: refuse instead.
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                    WHERE r.rolname = current_user AND (r.rolsuper OR r.rolbypassrls)) THEN
        RAISE EXCEPTION 'privacybee.maintenance() must run as a superuser or a role with BYPASSRLS'
            USING ERRCODE = '42501';
    END IF;

    -- tombstones past the period (a member's own delete also purges theirs)
    DELETE FROM privacybee.contact_tombstones t
     WHERE t.deleted_at < pg_catalog.now() - privacybee.tombstone_period();
    GET DIAGNOSTICS tombstones = ROW_COUNT;
    -- CardDAV's deleted cards alike (sql/logic/70_carddav.sql)
    cards := privacybee.carddav_purge();

    -- blocked calls beyond each member's latest blocked_calls_kept()
    DELETE FROM privacybee.blocked_calls b
     USING (SELECT k.user_id, k.id
              FROM (SELECT c.user_id, c.id,
                           pg_catalog.row_number() OVER (PARTITION BY c.user_id ORDER BY c.id DESC) AS n
                      FROM privacybee.blocked_calls c) AS k
             WHERE k.n > privacybee.blocked_calls_kept()) AS old
     WHERE b.user_id = old.user_id AND b.id = old.id;
    GET DIAGNOSTICS blocked = ROW_COUNT;

    -- OAuth codes kept past their expiry for reuse detection, and refresh tokens expired
    -- (spent or not: presented now, either is refused the same)
    DELETE FROM privacybee.oauth_codes c
     WHERE c.expires_at < pg_catalog.now() - privacybee.oauth_codes_kept();
    GET DIAGNOSTICS codes = ROW_COUNT;
    DELETE FROM privacybee.oauth_refresh_tokens t WHERE t.expires_at < pg_catalog.now();
    GET DIAGNOSTICS refresh_tokens = ROW_COUNT;

    -- webhook batches delivered or given up past webhook_batch_period() (their attempts go
    -- with them; one still being retried stays), and the batches of webhooks deleted while
    -- one was being posted; queued events of webhooks that are gone (deleted while the
    -- event was written) or disabled (never sent: a disabled webhook stays so, SPEC §11)
    DELETE FROM privacybee.webhook_batches b
     WHERE (b.status <> 'pending' AND b.created < pg_catalog.now() - privacybee.webhook_batch_period())
        OR NOT EXISTS (SELECT 1 FROM privacybee.webhooks w
                        WHERE w.user_id = b.user_id AND w.id = b.webhook_id);
    GET DIAGNOSTICS batches = ROW_COUNT;
    DELETE FROM privacybee.webhook_events e
     WHERE NOT EXISTS (SELECT 1 FROM privacybee.webhooks w
                        WHERE w.user_id = e.user_id AND w.id = e.webhook_id AND w.enabled);
    GET DIAGNOSTICS events = ROW_COUNT;

    -- trust_verify() must return nothing. A difference is a defect: it is reported (in
    -- the result and as a WARNING in the server log), and the members concerned are
    -- recomputed so that their calls are screened by the live rules meanwhile.
    SELECT pg_catalog.count(*), pg_catalog.array_agg(DISTINCT v.user_id)
      INTO differences, members
      FROM privacybee.trust_verify() AS v;
    IF differences > 0 THEN
        RAISE WARNING 'privacybee.maintenance(): trust_verify() found % differences, members %; recomputed',
            differences, members;
        FOREACH m IN ARRAY members LOOP
            PERFORM privacybee.recompute_trust(m);
        END LOOP;
    END IF;

    RETURN pg_catalog.jsonb_build_object(
        'tombstones_purged', tombstones,
        'cards_purged', cards,
        'blocked_calls_purged', blocked,
        'oauth_codes_purged', codes,
        'oauth_refresh_tokens_purged', refresh_tokens,
        'webhook_batches_purged', batches,
        'webhook_events_purged', events,
        'trust_differences', differences,
        'trust_members_recomputed', COALESCE(pg_catalog.cardinality(members), 0),
        'started', privacybee.rfc3339(started),
        'seconds', pg_catalog.round(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - started)::numeric, 3));
END
$$;
COMMENT ON FUNCTION privacybee.maintenance() IS
    'nightly: purges tombstones, blocked calls, OAuth codes and refresh tokens and webhook batches past what is kept, checks trust_verify(); returns what it did';

-- Schedules the two jobs with pg_cron, in the database pg_cron runs in: maintenance()
-- nightly at 03:30 and recompute_trust() on Sundays at 04:30 (pg_cron's times are GMT).
-- Re-runnable: pg_cron replaces a job of the same name. The jobs run as the caller.
-- The jobs pg_cron runs: one list, which the sharded layout's proxy schedules too (it runs
-- both commands on every shard, sql/proxy/10_reference.sql).
CREATE OR REPLACE FUNCTION privacybee.maintenance_jobs()
RETURNS TABLE (jobname text, schedule text, command text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('privacybee-maintenance', '30 3 * * *', 'SELECT privacybee.maintenance()'),
           ('privacybee-recompute-trust', '30 4 * * 0', 'SELECT privacybee.recompute_trust()')
$$;
COMMENT ON FUNCTION privacybee.maintenance_jobs() IS
    'the scheduled jobs: maintenance() nightly, recompute_trust() weekly (name, cron schedule, command)';

CREATE OR REPLACE FUNCTION privacybee.schedule_maintenance()
RETURNS TABLE (jobid bigint, jobname text, schedule text, command text)
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_catalog.to_regnamespace('cron') IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = '55000',
                  HINT = 'CREATE EXTENSION pg_cron (it needs shared_preload_libraries = ''pg_cron''), or run SELECT privacybee.maintenance() from cron (docs/operations.md, Maintenance).';
    END IF;
    RETURN QUERY
        SELECT s.id, j.jobname, j.schedule, j.command
          FROM privacybee.maintenance_jobs() AS j,
               LATERAL (SELECT cron.schedule(j.jobname, j.schedule, j.command) AS id) AS s;
END
$$;
COMMENT ON FUNCTION privacybee.schedule_maintenance() IS
    'schedules maintenance() nightly and recompute_trust() weekly with pg_cron; re-runnable';
