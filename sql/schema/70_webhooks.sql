-- Webhooks (SPEC §11): members' subscriptions, the outbox of their events, and the
-- batches the delivery process posts (docs/webhooks.md).
--
-- Invariants:
--  * every row is a member's and leads its keys with user_id, like every owned table;
--  * an event is written in the transaction of the change it reports (outbox), only for
--    enabled webhooks that name its trigger, and stays in webhook_events until it is
--    moved, in id order, into its webhook's next batch;
--  * a webhook has at most one batch still to deliver (webhook_batches_open): its next
--    batch is formed only once that one is delivered, so batches arrive in order;
--  * a webhook's signing secret lives apart, in webhook_secrets, which no route can read.

CREATE TABLE privacybee.webhooks (
    user_id         bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    id              bigserial,
    url             text NOT NULL,
    trigger_ids     text[] NOT NULL,
    enabled         boolean NOT NULL DEFAULT true,
    disabled_at     timestamptz,
    disabled_reason text,
    created         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, id)
);
-- trust-lookup asks it for every call (extension/lookup.c): an index-only probe, nearly free
CREATE INDEX webhooks_call_blocked ON privacybee.webhooks (user_id)
    WHERE enabled AND 'call.blocked' = ANY (trigger_ids);

CREATE TABLE privacybee.webhook_secrets (
    user_id    bigint NOT NULL,
    webhook_id bigint NOT NULL,
    secret     text NOT NULL,
    PRIMARY KEY (user_id, webhook_id),
    FOREIGN KEY (user_id, webhook_id) REFERENCES privacybee.webhooks ON DELETE CASCADE
);

-- The outbox. No foreign key to webhooks: a key check would lock the webhook's row from
-- every writing transaction; events of a webhook deleted meanwhile are purged instead.
CREATE TABLE privacybee.webhook_events (
    user_id     bigint NOT NULL,
    webhook_id  bigint NOT NULL,
    id          bigserial,
    trigger_id  text NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    data        json NOT NULL,
    PRIMARY KEY (user_id, webhook_id, id)
);

-- body is the exact JSON posted at every attempt (so eventIds never change), dropped once
-- the batch is delivered or given up. No foreign key to webhooks: the batch in flight is
-- locked by the delivery process, and deleting its webhook must not wait for the post.
CREATE TABLE privacybee.webhook_batches (
    user_id          bigint NOT NULL,
    webhook_id       bigint NOT NULL,
    id               bigserial,
    created          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    events           integer NOT NULL,
    first_event_id   bigint NOT NULL,
    last_event_id    bigint NOT NULL,
    body             text,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    first_attempt_at timestamptz,
    finished_at      timestamptz,
    PRIMARY KEY (user_id, webhook_id, id)
);
CREATE UNIQUE INDEX webhook_batches_open ON privacybee.webhook_batches (user_id, webhook_id)
    WHERE status = 'pending';
CREATE INDEX webhook_batches_due ON privacybee.webhook_batches (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_batches_created ON privacybee.webhook_batches (created);

CREATE TABLE privacybee.webhook_attempts (
    user_id     bigint NOT NULL,
    webhook_id  bigint NOT NULL,
    batch_id    bigint NOT NULL,
    attempt     integer NOT NULL,
    at          timestamptz NOT NULL,
    http_status integer,
    duration_ms integer NOT NULL,
    error       text,
    PRIMARY KEY (user_id, webhook_id, batch_id, attempt),
    FOREIGN KEY (user_id, webhook_id, batch_id) REFERENCES privacybee.webhook_batches ON DELETE CASCADE
);
