-- The materialised trust graph (SPEC §5): exactly the trusted (user_id, number) pairs,
-- a number by its match key; kept current by the triggers of sql/logic/50_trust_graph.sql.
CREATE TABLE privacybee.trusted_numbers (
    user_id   bigint NOT NULL REFERENCES privacybee.people ON DELETE CASCADE,
    match_key text NOT NULL,
    PRIMARY KEY (user_id, match_key)
);
