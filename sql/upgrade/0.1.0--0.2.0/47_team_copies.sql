-- The versions of the copies of teams' contact phones in the sharded layout
-- (sql/schema/76_teams.sql). No team has contacts in 0.1.0: nothing moves.
CREATE TABLE privacybee.team_copies (
    company_id bigint PRIMARY KEY REFERENCES privacybee.companies ON DELETE CASCADE,
    version    bigint NOT NULL
);
