-- A team's account owns no phone (sql/schema/76_teams.sql). A 0.1.0 database has no team
-- account (each is made on its team's first use), so every row already holds.
ALTER TABLE privacybee.people
    ADD CONSTRAINT people_team_account_has_no_phone
        CHECK (team_of IS NULL OR (phone_raw IS NULL AND phone_e164 IS NULL));
