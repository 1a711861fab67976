-- privacybee schema: tables and indexes.
--
-- Invariants:
--  * every row a member owns carries that member's user_id first in its keys, so the
--    owned tables can be distributed by user_id; people, companies, company_phones and
--    employees are reference data shared by everyone;
--  * phone numbers are kept in their E.164 form (columns named e164), the raw string
--    beside it as the member typed it, and matched on their match key (SPEC §3), a
--    generated column beside every E.164 column that is compared, indexed for the probes.

-- Members. Members and users are one id space: a user_id is a people.id.
CREATE TABLE privacybee.people (
    id          bigserial PRIMARY KEY,
    first_name  text NOT NULL,
    middle_name text,
    last_name   text NOT NULL,
    avatar      text,
    phone_raw   text,
    phone_e164  text,
    -- end-to-end encryption identity (PUT /apps/buzz/encryption), opaque to us
    e2e_hash    text,
    e2e_id      text,
    public_key  text,
    created     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    phone_match_key text GENERATED ALWAYS AS (privacybee.phone_match_key(phone_e164)) STORED
);
CREATE INDEX people_phone_match_key ON privacybee.people (phone_match_key)
    WHERE phone_match_key IS NOT NULL;

CREATE TABLE privacybee.companies (
    id      bigserial PRIMARY KEY,
    name    text NOT NULL,
    slug    text NOT NULL UNIQUE,
    logo    text,
    url     text,
    created timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- the directory's own key for the company (SPEC §9: a contact's company_external_id)
    external_id text UNIQUE
);

CREATE TABLE privacybee.company_phones (
    company_id bigint NOT NULL REFERENCES privacybee.companies ON DELETE CASCADE,
    e164       text NOT NULL,
    raw        text NOT NULL,
    match_key  text GENERATED ALWAYS AS (privacybee.phone_match_key(e164)) STORED,
    PRIMARY KEY (company_id, e164)
);
CREATE INDEX company_phones_match_key ON privacybee.company_phones (match_key);

CREATE TABLE privacybee.employees (
    company_id bigint NOT NULL REFERENCES privacybee.companies ON DELETE CASCADE,
    person_id  bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    created    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (company_id, person_id)
);
CREATE INDEX employees_person ON privacybee.employees (person_id, company_id);

-- Bearer tokens, stored as SHA-256 of the plaintext. Looked up by hash, so the hash leads
-- the key; user_id is NULL for service tokens (telephony provider). grant_id: the OAuth
-- grant an access token was issued under (75_oauth.sql adds its foreign key), NULL for
-- the tokens issue_token() gives a member's own app.
CREATE TABLE privacybee.tokens (
    token_hash bytea PRIMARY KEY,
    user_id    bigint REFERENCES privacybee.people ON DELETE CASCADE,
    scopes     text[] NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked    boolean NOT NULL DEFAULT false,
    created    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    grant_id   bigint,
    -- the provider's scope is a service token's alone, never on a member's (SPEC §2)
    CONSTRAINT tokens_lookup_scope_is_the_services CHECK (
        CASE WHEN user_id IS NULL THEN scopes = '{buzz:lookup}'
             ELSE pg_catalog.array_position(scopes, 'buzz:lookup') IS NULL END)
);
CREATE INDEX tokens_user ON privacybee.tokens (user_id);

CREATE SEQUENCE privacybee.contacts_id_seq;

-- A member's contacts (SPEC §4, §9). What is matched or searched is kept normalised:
-- phones in contact_phones (matched by match key, the trust graph reads them), emails in
-- contact_emails, tags in contact_tags; what is only shown is kept compact, in details
-- (the rest of SPEC §9's details object, contact_details.c writes its canonical form).
-- The flat fields of SPEC §4 are a projection (the view contacts_flat, contact_render.c).
-- version counts every write and is the contact's ETag. Its full-text document is kept
-- apart, in contact_documents (sql/schema/30_rich_contacts.sql).
-- user_id is the owner's id: the row's key leads with it, as every owned row's does.
CREATE TABLE privacybee.contacts (
    user_id      bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    id           bigint NOT NULL DEFAULT pg_catalog.nextval('privacybee.contacts_id_seq'),
    external_id  text,
    display_name text NOT NULL,
    profile_icon text,
    company_id   bigint REFERENCES privacybee.companies ON DELETE SET NULL,
    details      jsonb NOT NULL DEFAULT '{}',
    risk_score   integer,
    e2ee         boolean NOT NULL DEFAULT false,
    version      integer NOT NULL DEFAULT 1,
    created      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, id),
    -- id included: structured search reads the member's external ids from the index alone
    UNIQUE (user_id, external_id) INCLUDE (id)
);
ALTER SEQUENCE privacybee.contacts_id_seq OWNED BY privacybee.contacts.id;
CREATE INDEX contacts_updated ON privacybee.contacts (user_id, updated, id);

CREATE TABLE privacybee.contact_phones (
    user_id    bigint NOT NULL,
    contact_id bigint NOT NULL,
    pos        integer NOT NULL,
    raw        text NOT NULL,
    e164       text,
    match_key  text GENERATED ALWAYS AS (privacybee.phone_match_key(e164)) STORED,
    type       text,
    is_primary boolean NOT NULL DEFAULT false,
    PRIMARY KEY (user_id, contact_id, pos),
    FOREIGN KEY (user_id, contact_id) REFERENCES privacybee.contacts ON DELETE CASCADE
);
CREATE INDEX contact_phones_match_key ON privacybee.contact_phones (user_id, match_key)
    WHERE match_key IS NOT NULL;

-- Deleted contacts, kept (privacybee.tombstone_period()) so that syncing clients can mirror
-- deletions, and so that a stale client syncing a deleted contact's external_id does not
-- bring it back.
CREATE TABLE privacybee.contact_tombstones (
    user_id     bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    contact_id  bigint NOT NULL,
    deleted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    external_id text,
    PRIMARY KEY (user_id, contact_id)
);
CREATE INDEX contact_tombstones_deleted ON privacybee.contact_tombstones (user_id, deleted_at, contact_id);
CREATE INDEX contact_tombstones_external_id ON privacybee.contact_tombstones (user_id, external_id, deleted_at)
    WHERE external_id IS NOT NULL;

-- requester_id asked user_id to trust them. One row per pair: a repeat updates it.
CREATE TABLE privacybee.trust_requests (
    user_id        bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    requester_id   bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    contact_reason text,
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'accepted', 'declined')),
    created        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, requester_id)
);
CREATE INDEX trust_requests_pending ON privacybee.trust_requests (user_id, updated) WHERE status = 'pending';

-- user_id's explicit decision about a person or a company. trusted = false is an
-- explicit untrust, which wins over every other reason to trust.
CREATE TABLE privacybee.trust_edges (
    user_id     bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    target_type text NOT NULL CHECK (target_type IN ('person', 'company')),
    target_id   bigint NOT NULL,
    trusted     boolean NOT NULL,
    updated     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, target_type, target_id)
);

-- What every API function returns: the HTTP status, extra header lines ("Name: value",
-- one per line) and the JSON body, passed through by privacybee-fcgi untouched.
CREATE TYPE privacybee.http_response AS (status integer, headers text, body text);
