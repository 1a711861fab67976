-- Route functions take the If-None-Match header field as a sixth argument (SPEC §2: 304
-- on GET, RFC 9110 §13); ids are read by one C rule whose SQL functions take the field
-- they answer for; If-Match is evaluated by check_preconditions(). The old forms go here
-- and sql/logic/ creates the new ones; sql/logic/90_grants.sql gives the route functions
-- back to every role grant_api() had given the old ones.
DROP FUNCTION privacybee.api_contacts_list(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_contact_get(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_contacts_sync(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_contact_update(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_contact_delete(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_contacts_clear(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_trust_requests_list(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_trust_request_create(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_trust_set(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_employees(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_trust_lookup(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_call_lookup(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_heartbeat(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_blocked(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_activity_create(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_activity_since(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_encryption(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.api_buzz_clear(text, text, jsonb, jsonb, text);
DROP FUNCTION privacybee.if_match_version(text);
DROP FUNCTION privacybee.path_id(text);
DROP FUNCTION privacybee.json_id(jsonb);
