-- A person's explicit trust of a member, copied to the member's shard in the sharded
-- layout (sql/schema/77_trust_edge_copies.sql): the edges' version (every 0.1.0 edge
-- starts at 0) and the table of copies, empty (0.1.0 is one database).
ALTER TABLE privacybee.trust_edges ADD COLUMN version bigint NOT NULL DEFAULT 0;

CREATE TABLE privacybee.trust_edge_copies (
    user_id   bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    person_id bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    trusted   boolean NOT NULL,
    version   bigint NOT NULL,
    PRIMARY KEY (user_id, person_id)
);
