-- A contact's ETag names its id as well as its version (a new contact starts at version 1,
-- so "v1" repeated for a card deleted and created again under the same resource name):
-- contact_etag takes the id now; sql/logic/30_contacts.sql creates it again.
DROP FUNCTION privacybee.contact_etag(integer);
