-- The materialised trust graph (SPEC §5): exactly the trusted (member, number) pairs;
-- kept current by the triggers of sql/logic/50_trust_graph.sql.
CREATE TABLE privacybee.trusted_numbers (
    user_id bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    e164    text NOT NULL,
    PRIMARY KEY (user_id, e164)
);
