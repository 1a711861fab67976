-- The sharded layout (docs/sharding.md, "Disclosure across shards"): whether person p
-- disclosed themself to member m (disclosed_to()) is decided on m's shard, and one of its
-- reasons, p's explicit trust of m, is p's trust edge, on p's shard. So m's shard keeps a
-- copy of that one fact, as m's row: p trusts m, or no longer does, with the version of p's
-- edge (counted on p's shard), so that a copy is replaced only by a newer one whatever the
-- order the proxy's writes arrive in (put_trust_edge_copy()). Nothing else of p's edges is
-- copied. Unused on one database, where the edge itself is local.
ALTER TABLE privacybee.trust_edges ADD COLUMN version bigint NOT NULL DEFAULT 0;

CREATE TABLE privacybee.trust_edge_copies (
    user_id   bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    person_id bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    trusted   boolean NOT NULL,
    version   bigint NOT NULL,
    PRIMARY KEY (user_id, person_id)
);
