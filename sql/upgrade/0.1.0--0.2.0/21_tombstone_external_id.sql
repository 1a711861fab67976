-- A tombstone keeps the deleted contact's external_id (SPEC §4), so that a stale client
-- syncing it again does not re-create the contact. Tombstones written by 0.1.0 did not
-- record it; they stay without one.
ALTER TABLE privacybee.contact_tombstones ADD COLUMN external_id text;
CREATE INDEX contact_tombstones_external_id ON privacybee.contact_tombstones (user_id, external_id, deleted_at)
    WHERE external_id IS NOT NULL;
