-- Buzz (SPEC §6): the blocked-call log and the activity feed.

-- Calls that were not let through, per receiving member; call_sid dedupes provider retries.
CREATE TABLE privacybee.blocked_calls (
    user_id      bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    id           bigserial,
    caller_id    text,
    inbound_code text NOT NULL,
    inbound      text NOT NULL,
    e164         text,
    call_sid     text,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, id),
    UNIQUE (user_id, call_sid)
);

-- Chat and call activity between people and companies. message is the E2E-encrypted
-- payload, opaque to us; message_id is the sender's idempotency key.
CREATE TABLE privacybee.activities (
    id              bigserial PRIMARY KEY,
    type            text NOT NULL CHECK (type IN (
                        'chat_message', 'chat_read_indicator', 'chat_reaction_emoji',
                        'incoming_call_missed', 'incoming_call_connected_insecure',
                        'incoming_call_connected_secure', 'outgoing_call_missed',
                        'outgoing_call_connected_insecure', 'outgoing_call_connected_secure')),
    sendable_type   text NOT NULL CHECK (sendable_type IN ('person', 'company')),
    sendable_id     bigint NOT NULL,
    receivable_type text NOT NULL CHECK (receivable_type IN ('person', 'company')),
    receivable_id   bigint NOT NULL,
    call_time       integer CHECK (call_time >= 0),
    message         text,
    message_id      uuid,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    UNIQUE (sendable_type, sendable_id, message_id)
);

-- One row per party of an activity (sender, receiver), keyed by the party: the feed of a
-- member is a merge of ordered range scans here (activity_since, in C).
CREATE TABLE privacybee.activity_parties (
    party_type  text NOT NULL,
    party_id    bigint NOT NULL,
    activity_id bigint NOT NULL REFERENCES privacybee.activities ON DELETE CASCADE,
    PRIMARY KEY (party_type, party_id, activity_id)
);
CREATE INDEX activity_parties_activity ON privacybee.activity_parties (activity_id);
