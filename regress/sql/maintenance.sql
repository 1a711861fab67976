-- privacybee.maintenance() (SPEC §13): it purges tombstones past tombstone_period() and
-- blocked calls beyond each member's latest blocked_calls_kept(), keeps everything else,
-- repairs and reports trust_verify() differences, and says what it did.
\set SHOW_CONTEXT never
-- as in maintenance() itself: trust_verify()'s estimate would have each call below spend
-- seconds in JIT compilation
SET jit = off;
-- what earlier suites left past the limits is not this suite's to count
SELECT privacybee.maintenance() ? 'tombstones_purged' AS cleaned_up_before;

SELECT privacybee.create_member('Mona', 'Maintained', '+1 415 555 0101') AS m \gset
SELECT privacybee.create_member('Nils', 'Neighbour', '+1 415 555 0102') AS n \gset

-- the periods themselves, one home each
SELECT privacybee.tombstone_period(), privacybee.blocked_calls_kept();

-- tombstones: one just past the period, one just inside it, one of today
INSERT INTO privacybee.contact_tombstones (user_id, contact_id, deleted_at) VALUES
    (:m, 1, now() - privacybee.tombstone_period() - interval '1 second'),
    (:m, 2, now() - privacybee.tombstone_period() + interval '1 hour'),
    (:n, 3, now());
-- blocked calls: 101 for Mona (one too many), exactly the limit for Nils
INSERT INTO privacybee.blocked_calls (user_id, inbound_code, inbound, e164)
SELECT :m, '1', '21255501' || lpad(i::text, 2, '0'), '+121255501' || lpad(i::text, 2, '0')
  FROM generate_series(0, 100) AS i;
INSERT INTO privacybee.blocked_calls (user_id, inbound_code, inbound, e164)
SELECT :n, '1', '31255501' || lpad(i::text, 2, '0'), NULL FROM generate_series(0, 99) AS i;
SELECT min(id) AS mona_oldest FROM privacybee.blocked_calls WHERE user_id = :m \gset

-- the report: one key per step, counts of what it did
SELECT privacybee.maintenance() AS report \gset
SELECT :'report'::jsonb - 'started' - 'seconds' AS counts;
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(:'report'::jsonb) AS k) AS keys,
       privacybee.rfc3339((:'report'::jsonb ->> 'started')::timestamptz) = :'report'::jsonb ->> 'started'
           AS started_as_the_api_writes_time,
       (:'report'::jsonb ->> 'seconds')::numeric >= 0 AS seconds_measured;

-- what is left: the tombstones inside the period, the latest 100 of each member
SELECT user_id = :m AS mona, contact_id FROM privacybee.contact_tombstones
 WHERE user_id IN (:m, :n) ORDER BY contact_id;
SELECT user_id = :m AS mona, count(*), bool_or(id = :mona_oldest) AS has_oldest
  FROM privacybee.blocked_calls WHERE user_id IN (:m, :n) GROUP BY user_id ORDER BY 1;

-- the route shows exactly what maintenance keeps
SELECT privacybee.issue_token(:m, '{buzz,contacts:read}') AS tok \gset
SELECT jsonb_array_length(body::jsonb) AS shown,
       (SELECT array_agg((e ->> 'id')::bigint ORDER BY (e ->> 'id')::bigint) FROM jsonb_array_elements(body::jsonb) e)
       = (SELECT array_agg(id ORDER BY id) FROM privacybee.blocked_calls WHERE user_id = :m) AS same_calls
  FROM privacybee.api_blocked(:'tok', '', '{}', NULL, NULL);
SELECT jsonb_path_query_array(body::jsonb, '$[*] ? (@.deleted == true).id') AS deletions_listed
  FROM privacybee.api_contacts_list(:'tok', '', '{"include_deleted": "true"}', NULL, NULL);

-- a second run finds nothing to do
SELECT privacybee.maintenance() - 'started' - 'seconds' AS second_run;

-- a materialised decision that went wrong is found, reported and recomputed
DELETE FROM privacybee.trusted_numbers WHERE user_id = :m;
SELECT count(*) AS differences FROM privacybee.trust_verify() WHERE user_id = :m;
SET client_min_messages = error;   -- the WARNING names member ids, which vary
SELECT privacybee.maintenance() - 'started' - 'seconds' AS after_damage;
RESET client_min_messages;
SELECT count(*) AS differences_left FROM privacybee.trust_verify();

-- a role that does not bypass row-level security would see no member's rows: refused
CREATE ROLE maintenance_without_bypass;
GRANT USAGE ON SCHEMA privacybee TO maintenance_without_bypass;
GRANT EXECUTE ON FUNCTION privacybee.maintenance() TO maintenance_without_bypass;
SET ROLE maintenance_without_bypass;
SELECT privacybee.maintenance();
RESET ROLE;
REVOKE ALL ON FUNCTION privacybee.maintenance() FROM maintenance_without_bypass;
REVOKE ALL ON SCHEMA privacybee FROM maintenance_without_bypass;
DROP ROLE maintenance_without_bypass;
-- and the API's roles may not run it at all
SELECT has_function_privilege('privacybee_member', 'privacybee.maintenance()', 'EXECUTE') AS member_may,
       has_function_privilege('privacybee_system', 'privacybee.maintenance()', 'EXECUTE') AS system_may;

-- without pg_cron in this database, scheduling says what to do instead
SELECT * FROM privacybee.schedule_maintenance();
