-- CardDAV (SPEC §15): what a card has beyond the contact it is, and the change sequence
-- that collection synchronisation (RFC 6578) reads. sql/logic/70_carddav.sql says how
-- they are kept.

-- Each contact a member has, and each deleted within the tombstone period, as a card of
-- their address book: its resource name when a client chose it (NULL: "<id>.vcf"), the
-- vCard properties privacybee does not model as the client wrote them (unfolded lines,
-- CRLF after each), the groups of its mapped properties (Apple's item1.TEL beside
-- item1.X-ABLabel: {"<list>:<value>": "item1"}, extension/vcard.c), and the change
-- sequence number (seq) of its last change. A row
-- outlives its contact (deleted) so that sync-collection reports the deletion; it goes
-- with the tombstone period (carddav_purge()).
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
-- sync-collection: a member's changes after a token, in order
CREATE INDEX contact_cards_seq ON privacybee.contact_cards (user_id, seq);

-- Each member's change sequence: seq is the number of the member's latest committed
-- change of contacts (the address book's sync token and CTag); purged the highest seq
-- of a deletion forgotten since (a token before it can no longer be answered exactly).
-- Writers update this row, so their changes of one member are numbered in commit order.
CREATE TABLE privacybee.contact_sync_seqs (
    user_id bigint PRIMARY KEY REFERENCES privacybee.people ON DELETE CASCADE,
    seq     bigint NOT NULL DEFAULT 0,
    purged  bigint NOT NULL DEFAULT 0
);
