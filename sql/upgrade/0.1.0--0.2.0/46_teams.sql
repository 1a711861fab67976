-- Teams (SPEC §10): sql/schema/76_teams.sql. No team has an account yet: each is made on
-- the team's first use, so nothing moves.
ALTER TABLE privacybee.people
    ADD COLUMN team_of bigint UNIQUE REFERENCES privacybee.companies ON DELETE CASCADE;
ALTER TABLE privacybee.contacts
    ADD COLUMN owned_by bigint REFERENCES privacybee.people ON DELETE SET NULL,
    ADD COLUMN shared_by bigint REFERENCES privacybee.people ON DELETE SET NULL;
-- what deleting a person looks up (ON DELETE SET NULL): only team contacts have them
CREATE INDEX contacts_owned_by ON privacybee.contacts (owned_by) WHERE owned_by IS NOT NULL;
CREATE INDEX contacts_shared_by ON privacybee.contacts (shared_by) WHERE shared_by IS NOT NULL;
