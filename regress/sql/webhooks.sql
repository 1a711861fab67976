-- Webhooks in SQL (sql/logic/70_webhooks.sql, docs/webhooks.md): the outbox is written in
-- the transaction of the change, and goes with it when it rolls back; only for enabled
-- webhooks naming the trigger; batches are cut oldest first, at most 100 events, one open
-- per webhook; failed attempts are retried after a backoff that doubles, with jitter in
-- its upper half, until the retry period ends and the webhook is disabled, saying why;
-- the delivery role reaches nothing but its four functions, and no route role reads a
-- secret; maintenance purges what is past keeping.
\set SHOW_CONTEXT never
SELECT privacybee.create_member('Wen', 'Hook', '+1 415 555 0190') AS m \gset
SELECT privacybee.create_member('Ora', 'Other', '+1 415 555 0191') AS o \gset
SELECT id AS w FROM privacybee.webhook_create(:m, 'https://192.0.2.1/a',
    '{contact.created,contact.updated,contact.deleted}') \gset
SELECT id AS w2 FROM privacybee.webhook_create(:m, 'https://192.0.2.1/b', '{contact.deleted}') \gset
CREATE FUNCTION pg_temp.queued(webhook bigint) RETURNS text[] LANGUAGE sql AS $$
    SELECT COALESCE(array_agg(trigger_id || ' ' || (data ->> 'external_id') ORDER BY id), '{}')
      FROM privacybee.webhook_events WHERE webhook_id = webhook
$$;

-- the event is there inside the transaction, and gone with its rollback
BEGIN;
SELECT cardinality(privacybee.sync_contacts(:m, '[{"display_name": "Never", "external_id": "never"}]'));
SELECT pg_temp.queued(:w) AS inside;
ROLLBACK;
SELECT pg_temp.queued(:w) AS after_rollback;

-- committed: created, updated, deleted, to each webhook naming the trigger
SELECT cardinality(privacybee.sync_contacts(:m, '[{"display_name": "A", "external_id": "a"},
                                                  {"display_name": "B", "external_id": "b"}]'));
SELECT privacybee.update_contact(:m, (SELECT id FROM privacybee.contacts WHERE user_id = :m AND external_id = 'a'),
                                 '{"labels": ["x"]}') IS NOT NULL AS updated;
DELETE FROM privacybee.contacts WHERE user_id = :m AND external_id = 'b';
SELECT pg_temp.queued(:w) AS first, pg_temp.queued(:w2) AS second;
-- an event's data: the contact's id, key, ETag and time; a deletion's, its tombstone
SELECT jsonb_object_keys(data::jsonb) AS created_keys FROM privacybee.webhook_events
 WHERE webhook_id = :w AND trigger_id = 'contact.created' AND data ->> 'external_id' = 'a';
SELECT data ->> 'etag' = (SELECT privacybee.contact_etag(c.id, c.version) FROM privacybee.contacts c
                          WHERE c.user_id = :m AND c.external_id = 'a') AS etag_is_the_contacts,
       data ->> 'etag' ~ '^"c[0-9]+\.v2"$' AS names_id_and_version
  FROM privacybee.webhook_events
 WHERE webhook_id = :w AND trigger_id = 'contact.updated';
SELECT (data::jsonb - 'id' - 'updated') AS tombstone FROM privacybee.webhook_events
 WHERE webhook_id = :w2;

-- another member's changes, and a disabled webhook, are told nothing
SELECT cardinality(privacybee.sync_contacts(:o, '[{"display_name": "Theirs", "external_id": "theirs"}]'));
UPDATE privacybee.webhooks SET enabled = false WHERE id = :w2;
SELECT cardinality(privacybee.sync_contacts(:m, '[{"display_name": "C", "external_id": "c"}]'));
DELETE FROM privacybee.contacts WHERE user_id = :m AND external_id = 'c';
SELECT pg_temp.queued(:w) AS first, pg_temp.queued(:w2) AS second;
UPDATE privacybee.webhooks SET enabled = true WHERE id = :w2;

-- batches: none while fewer than 100 wait and the window is open; then 100, oldest first
SET privacybee.webhooks_batch_window = '1min';
SELECT privacybee.webhook_delivery_form() > 50 AS waits_for_the_window;
SELECT count(*) AS batches FROM privacybee.webhook_batches WHERE user_id = :m;
SELECT cardinality(privacybee.sync_contacts(:m, (SELECT jsonb_agg(jsonb_build_object('display_name', 'n' || i))
                                                   FROM generate_series(1, 120) i)));
SELECT privacybee.webhook_delivery_form() AS due_in_seconds;
SELECT webhook_id = :w AS first_webhook, events, status, last_event_id - first_event_id >= 99 AS in_id_order
  FROM privacybee.webhook_batches WHERE user_id = :m;
SELECT json_array_length(body::json -> 'events') AS events_in_body,
       (SELECT bool_and((e ->> 'eventId')::bigint BETWEEN first_event_id AND last_event_id)
          FROM json_array_elements(body::json -> 'events') e) AS ids_in_range,
       (SELECT array_agg(DISTINCT k ORDER BY k) FROM json_array_elements(body::json -> 'events') e,
               json_object_keys(e) k) AS event_keys
  FROM privacybee.webhook_batches WHERE webhook_id = :w;
-- the second webhook's single event falls due with the window; the first's next batch
-- waits for the one still open
SET privacybee.webhooks_batch_window = 0;
SELECT privacybee.webhook_delivery_form() AS due_in_seconds;
SELECT webhook_id = :w AS first_webhook, events, status FROM privacybee.webhook_batches
 WHERE user_id = :m ORDER BY id;
SELECT count(*) AS still_queued FROM privacybee.webhook_events WHERE webhook_id = :w;

-- claiming: the oldest due batch, locked, its signature t=<now>,v1=<hmac>; another
-- transaction skips it
BEGIN;
SELECT batch_id AS b, attempt, url, signature ~ '^t=[0-9]+,v1=[0-9a-f]{64}$' AS signed, allow_loopback
  FROM privacybee.webhook_delivery_claim() \gset
SELECT :attempt AS attempt, :'url' AS url, :'signed' AS signed, :'allow_loopback' AS allow_loopback;
SELECT privacybee.webhook_delivery_record(:m, :w, :b, 500, 12, NULL);
COMMIT;
SELECT status, attempts, next_attempt_at > now() AS retried_later, body IS NOT NULL AS body_kept
  FROM privacybee.webhook_batches WHERE id = :b;
SELECT attempt, http_status, duration_ms, error FROM privacybee.webhook_attempts WHERE batch_id = :b;
-- recording a batch that is not pending (or none) changes nothing
SELECT privacybee.webhook_delivery_record(:m, :w, 0, 200, 1, NULL);
UPDATE privacybee.webhook_batches SET next_attempt_at = now() - interval '1 hour' WHERE id = :b;
BEGIN;
SELECT batch_id = :b AS same_batch, attempt FROM privacybee.webhook_delivery_claim();
SELECT privacybee.webhook_delivery_record(:m, :w, :b, 204, 3, NULL);
COMMIT;
SELECT status, attempts, finished_at IS NOT NULL AS finished, body IS NULL AS body_dropped
  FROM privacybee.webhook_batches WHERE id = :b;
-- now the first webhook's next batch is cut: its remaining events
SELECT privacybee.webhook_delivery_form() AS due_in_seconds;
SELECT events, status FROM privacybee.webhook_batches WHERE webhook_id = :w ORDER BY id;

-- the signature: HMAC-SHA256 of "<t>.<body>" (a vector computed by Python's hmac)
SELECT privacybee.webhook_signature('whsec_test', 1700000000, '{"a":1}') =
       't=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789' AS signature;

-- the backoff: retry_delay × 2^(n-1), capped at an hour, jitter in its upper half
SET privacybee.webhooks_retry_delay = '1s';
SELECT n, bool_and(d >= base / 2 AND d < base) AS within, count(DISTINCT d) > 1 AS jittered
  FROM (SELECT n, extract(epoch FROM privacybee.webhook_backoff(n)) AS d,
               least(2 ^ (n - 1), 3600) AS base
          FROM generate_series(1, 14) n, generate_series(1, 50)) s
 GROUP BY n ORDER BY n;
RESET privacybee.webhooks_retry_delay;

-- given up after the retry period: the batch failed, the webhook disabled and says why
UPDATE privacybee.webhook_batches SET first_attempt_at = now() - interval '25 hours', attempts = 7,
       next_attempt_at = now() - interval '2 hours' WHERE webhook_id = :w2;
BEGIN;
SELECT batch_id AS b2 FROM privacybee.webhook_delivery_claim() \gset
SELECT privacybee.webhook_delivery_record(:m, :w2, :b2, NULL, 10000, 'no answer within 10 s');
COMMIT;
SELECT status, attempts FROM privacybee.webhook_batches WHERE id = :b2;
SELECT enabled, disabled_at IS NOT NULL AS disabled_at,
       regexp_replace(disabled_reason, '[0-9]{4}-[0-9T:.-]+Z|batch [0-9]+', '…', 'g') AS disabled_reason
  FROM privacybee.webhooks WHERE id = :w2;

-- the delivery role: its four functions and nothing else
CREATE ROLE regress_delivery;
SELECT privacybee.grant_delivery('regress_delivery');
SET ROLE regress_delivery;
SELECT privacybee.webhook_delivery_form() >= 0 AS may_form;
SELECT count(*) FROM privacybee.webhook_secrets;
SELECT count(*) FROM privacybee.webhook_events;
SELECT privacybee.webhook_create(1, 'https://192.0.2.1/', '{contact.created}');
SELECT privacybee.webhook_signature('k', 1, 'b');
RESET ROLE;
-- a route's role may store a secret, never read one
SET privacybee.member_id = :m;
SET ROLE privacybee_member;
SELECT count(*) AS own_webhooks FROM privacybee.webhooks;
SELECT count(*) FROM privacybee.webhook_secrets;
RESET ROLE;
RESET privacybee.member_id;

-- the form of a URL (where it points is judged when it is posted to)
SET privacybee.webhooks_allow_loopback = off;
SELECT u AS url, privacybee.webhook_url_problem(u) AS problem
  FROM unnest(ARRAY['https://hooks.example.com/in?x=1', 'HTTPS://EXAMPLE.COM:8443', 'https://[2001:db8::1]/',
                    'http://example.com/', 'http://127.0.0.1:8000/', 'ftp://example.com/',
                    'https://u:p@example.com/', 'https://example.com/#f', 'https://example.com:0/',
                    'https://-bad-.com/', 'https:///x', 'https://exa mple.com/', 'https://bücher.de/',
                    '//example.com/']) AS u;
SET privacybee.webhooks_allow_loopback = on;
SELECT u AS url, privacybee.webhook_url_problem(u) AS problem
  FROM unnest(ARRAY['http://127.0.0.1:8000/', 'http://localhost/', 'http://[::1]:9/', 'http://example.com/',
                    'http://10.0.0.1/']) AS u;
RESET privacybee.webhooks_allow_loopback;

-- maintenance: delivered batches past 14 days go with their attempts, pending ones stay;
-- events of disabled or deleted webhooks go
UPDATE privacybee.webhook_batches SET created = now() - interval '15 days' WHERE user_id = :m;
SELECT cardinality(privacybee.sync_contacts(:m, '[{"display_name": "Kept"}]'));
INSERT INTO privacybee.webhook_events (user_id, webhook_id, trigger_id, data)
VALUES (:m, :w2, 'contact.deleted', '{}'), (:m, 0, 'contact.deleted', '{}');
SELECT (privacybee.maintenance() -> 'webhook_batches_purged')::int AS batches_purged;
SELECT status, count(*) FROM privacybee.webhook_batches WHERE user_id = :m GROUP BY 1 ORDER BY 1;
SELECT count(*) AS attempts_left FROM privacybee.webhook_attempts WHERE user_id = :m;
SELECT webhook_id = :w AS of_the_enabled_webhook, count(*) FROM privacybee.webhook_events
 WHERE user_id = :m GROUP BY 1;

-- deleting a webhook takes its secret, queue and batches; another member's is not theirs
SELECT privacybee.webhook_delete(:o, :w) AS not_theirs;
SELECT privacybee.webhook_delete(:m, :w) AS deleted;
SELECT (SELECT count(*) FROM privacybee.webhook_secrets WHERE webhook_id = :w) AS secrets,
       (SELECT count(*) FROM privacybee.webhook_events WHERE webhook_id = :w) AS events,
       (SELECT count(*) FROM privacybee.webhook_batches WHERE webhook_id = :w) AS batches;

DROP OWNED BY regress_delivery;
DROP ROLE regress_delivery;
