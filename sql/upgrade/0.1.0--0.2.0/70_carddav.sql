-- CardDAV (SPEC §15): the cards' own data and the change sequence (the tables as
-- sql/schema/70_carddav.sql creates them). The contacts and tombstones a 0.1.0 database
-- holds become cards with change number 0, so a client's first sync finds them all.
CREATE TABLE privacybee.contact_cards (
    user_id    bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    contact_id bigint NOT NULL,
    href       text,
    extra      text,
    groups     jsonb,
    seq        bigint NOT NULL,
    deleted    boolean NOT NULL DEFAULT false,
    changed    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, contact_id),
    UNIQUE (user_id, href)
);
CREATE INDEX contact_cards_seq ON privacybee.contact_cards (user_id, seq);

CREATE TABLE privacybee.contact_sync_seqs (
    user_id bigint PRIMARY KEY REFERENCES privacybee.people ON DELETE CASCADE,
    seq     bigint NOT NULL DEFAULT 0,
    purged  bigint NOT NULL DEFAULT 0
);

INSERT INTO privacybee.contact_cards (user_id, contact_id, seq, deleted, changed)
SELECT c.user_id, c.id, 0, false, c.updated FROM privacybee.contacts c
UNION ALL
SELECT t.user_id, t.contact_id, 0, true, t.deleted_at FROM privacybee.contact_tombstones t;
INSERT INTO privacybee.contact_sync_seqs (user_id)
SELECT DISTINCT k.user_id FROM privacybee.contact_cards k;
