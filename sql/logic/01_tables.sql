-- What each table holds, as the catalog shows it (\d+, obj_description). The tables
-- themselves are sql/schema/ (a fresh install) and sql/upgrade/ (from the release
-- before); their descriptions are here, in sql/logic/, which both run, so that a fresh
-- install and an upgraded one describe them alike.

COMMENT ON TABLE privacybee.people IS
    'members (people who are users; one id space), their phone and end-to-end identity';
COMMENT ON TABLE privacybee.companies IS
    'the directory''s companies (reference data, shared by every member)';
COMMENT ON TABLE privacybee.company_phones IS
    'the phone numbers of companies, raw and E.164 with its match key';
COMMENT ON TABLE privacybee.employees IS
    'who works for which company: coworkers and employers in the trust graph';
COMMENT ON TABLE privacybee.tokens IS
    'bearer tokens as SHA-256 of their plaintext, with their member (NULL: a service token), scopes and expiry';
COMMENT ON TABLE privacybee.contacts IS
    'members'' contacts, what is only shown of them in details (row security: only their member''s rows)';
COMMENT ON TABLE privacybee.contact_phones IS
    'the phone numbers of each contact, raw and E.164 with its match key, type and primary flag, in the order given';
COMMENT ON TABLE privacybee.contact_emails IS
    'the emails of each contact, with type and primary flag, in the order given';
COMMENT ON TABLE privacybee.tags IS
    'members'' tags (labels are their names), one per name case-insensitively';
COMMENT ON TABLE privacybee.contact_tags IS
    'which tags each contact carries, in the order given';
COMMENT ON TABLE privacybee.contact_photos IS
    'contacts'' photos as uploaded, with the type and size their bytes show and their ETag';
COMMENT ON TABLE privacybee.contact_documents IS
    'each contact''s full-text document, every lexeme after its owner''s code (GET /contacts?q=)';
COMMENT ON TABLE privacybee.contact_tombstones IS
    'contacts deleted within the tombstone period, so syncing clients learn of deletions';
COMMENT ON TABLE privacybee.trust_requests IS
    'one request for trust per (asked member, requester): pending, accepted or declined';
COMMENT ON TABLE privacybee.trust_edges IS
    'members'' explicit decisions to trust or untrust a person or company';
COMMENT ON TABLE privacybee.trust_edge_copies IS
    'sharded layout: person_id''s explicit trust of member user_id, copied from person_id''s shard to user_id''s (disclosed_to())';
COMMENT ON TABLE privacybee.buzz_numbers IS
    'the pool of Buzz numbers and the member each is assigned to';
COMMENT ON TABLE privacybee.trusted_numbers IS
    'the trust graph materialised: every (member, number match key) pair that may ring, kept equal to trust_eval() by triggers';
COMMENT ON TABLE privacybee.blocked_calls IS
    'untrusted calls to members, the latest blocked_calls_kept() per member kept';
COMMENT ON TABLE privacybee.activities IS
    'chat and call activity between people and companies (the message encrypted, opaque to the service)';
COMMENT ON TABLE privacybee.activity_parties IS
    'the sender and receiver of each activity, for the since-id feed of each party';
COMMENT ON TABLE privacybee.oauth_clients IS
    'third-party apps registered for OAuth 2.0 (reference data): redirect URIs and scopes they may ask for, the secret as SHA-256';
COMMENT ON TABLE privacybee.oauth_grants IS
    'what a member allowed an OAuth client (scopes), from the exchange of a code until revoked';
COMMENT ON TABLE privacybee.oauth_codes IS
    'OAuth authorization codes as SHA-256: single-use, short-lived, bound to client, redirect URI and PKCE challenge; grant_id once spent';
COMMENT ON TABLE privacybee.oauth_refresh_tokens IS
    'OAuth refresh tokens as SHA-256, each spent by its use (rotation); a spent one used again revokes its grant';
COMMENT ON TABLE privacybee.webhooks IS
    'members'' webhooks: the URL, the triggers it names, and whether (and why not) it is enabled';
COMMENT ON TABLE privacybee.webhook_secrets IS
    'each webhook''s signing secret, which no route reads: only the delivery functions sign with it';
COMMENT ON TABLE privacybee.webhook_events IS
    'the outbox: events written in the transaction of the change they report, until cut into a batch';
COMMENT ON TABLE privacybee.webhook_batches IS
    'the batches of events posted to each webhook, in order: pending, delivered or failed, kept webhook_batch_period()';
COMMENT ON TABLE privacybee.webhook_attempts IS
    'every attempt to post a webhook batch: when, the HTTP status, how long, what went wrong';
COMMENT ON TYPE privacybee.http_response IS
    'what a route function returns: HTTP status, headers ("Name: value" lines) and body';
COMMENT ON TYPE privacybee.http_binary_response IS
    'what a route function whose body is bytes returns (a photo): HTTP status, headers and the bytes';
