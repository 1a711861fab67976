-- Teams (SPEC §10: a team is a company the member works for). A team owns contacts and
-- tags as a member does, keyed by its own account: a people row whose team_of names the
-- company (made on the team's first use, act_for_team(), extension/member_scope.c). So a
-- team's rows lead with their owner's id like every owned row (distribution-ready), the
-- contact machinery (sync, rendering, search, tags, photos, tombstones) serves them
-- unchanged, and row-level security confines them to the transaction that acts for the
-- team, which only an employee's request can start.
ALTER TABLE privacybee.people
    ADD COLUMN team_of bigint UNIQUE REFERENCES privacybee.companies ON DELETE CASCADE;

-- A team contact's owner (an employee, contacts.changeOwner; NULL: none) and the
-- employee who shared it with the team (who created it there). NULL on a member's own.
ALTER TABLE privacybee.contacts
    ADD COLUMN owned_by bigint REFERENCES privacybee.people ON DELETE SET NULL,
    ADD COLUMN shared_by bigint REFERENCES privacybee.people ON DELETE SET NULL;
-- what deleting a person looks up (ON DELETE SET NULL): only team contacts have them
CREATE INDEX contacts_owned_by ON privacybee.contacts (owned_by) WHERE owned_by IS NOT NULL;
CREATE INDEX contacts_shared_by ON privacybee.contacts (shared_by) WHERE shared_by IS NOT NULL;

-- A team's account owns no number (privacybee.is_member(): it is no member, so nothing
-- may ring it or be trusted as its): no phone; its Buzz number is refused by a trigger
-- (refuse_non_member(), sql/logic/20_members.sql), a CHECK seeing one row only.
ALTER TABLE privacybee.people
    ADD CONSTRAINT people_team_account_has_no_phone
        CHECK (team_of IS NULL OR (phone_raw IS NULL AND phone_e164 IS NULL));

-- The sharded layout (docs/sharding.md): a team's rows live on the team's shard, and its
-- contacts' phones are copied to every other shard, whose employees trust by them (SPEC
-- §10). version counts the changes of the team's contact phones on the team's shard; a
-- copy is replaced only by a newer one (put_team_copy()). Unused on one database.
CREATE TABLE privacybee.team_copies (
    company_id bigint PRIMARY KEY REFERENCES privacybee.companies ON DELETE CASCADE,
    version    bigint NOT NULL
);
