-- SPEC §7: members, companies, employees, Buzz numbers, tokens.
\set SHOW_CONTEXT never
SELECT privacybee.create_member('Ada', 'Lovelace', '(212) 555-0134') AS ada \gset
SELECT first_name, phone_raw, phone_e164 FROM privacybee.people WHERE id = :ada;
SELECT privacybee.create_member('No', 'Phone') IS NOT NULL AS created_without_phone;
SELECT privacybee.create_member('Bad', 'Phone', 'call me');
SELECT privacybee.create_member('', 'Nameless');

SELECT privacybee.create_company('Acme', 'acme', ARRAY['+1 646 555 0100', '646-555-0100'],
                                 'logo.png', 'https://acme.example') AS acme \gset
SELECT e164, raw FROM privacybee.company_phones WHERE company_id = :acme;
SELECT privacybee.create_company('Acme again', 'acme');
SELECT privacybee.create_company('Bad', 'bad', ARRAY['nope']);

SELECT privacybee.add_employee(:acme, :ada);
SELECT privacybee.add_employee(:acme, :ada);  -- idempotent
SELECT count(*) FROM privacybee.employees WHERE company_id = :acme;
SELECT privacybee.add_employee(:acme, 999999);
SELECT privacybee.add_employee(999999, :ada);

SELECT privacybee.add_buzz_numbers(ARRAY['+1 202 555 0100', '202-555-0101', '2025550100']) AS new;
SELECT privacybee.add_buzz_numbers(ARRAY['+1 202 555 0101', '+1 202 555 0102']) AS new;
SELECT privacybee.add_buzz_numbers(ARRAY['not a number']);

-- tokens: plaintext once, SHA-256 kept, scopes checked
SELECT privacybee.issue_token(:ada, '{contacts:read}') AS tok \gset
-- a member's token carries the member id (sql/prelude/10_token_format.sql), a service token none
SELECT :'tok' = 'pb_' || :ada || '_' || right(:'tok', 64) AND right(:'tok', 64) ~ '^[0-9a-f]{64}$' AS token_format,
       privacybee.token_member(:'tok') = :ada AS names_its_member,
       privacybee.issue_token(NULL, '{buzz:lookup}') ~ '^pb_[0-9a-f]{64}$' AS service_token_format,
       privacybee.token_member('pb_' || :ada || '_' || repeat('0', 63)) IS NULL AS malformed_names_no_one;
SELECT count(*) FROM privacybee.tokens WHERE token_hash = sha256(convert_to(:'tok', 'UTF8'));
SELECT count(*) FROM privacybee.tokens WHERE token_hash = convert_to(:'tok', 'UTF8');
SELECT privacybee.authenticate(:'tok', 'contacts:read') = :ada AS authenticated;
SELECT privacybee.authenticate(:'tok', 'contacts:write');
SELECT privacybee.authenticate('pb_nope', 'contacts:read');
SELECT privacybee.authenticate(NULL, 'contacts:read');
SELECT privacybee.revoke_token(:'tok') AS revoked, privacybee.revoke_token('pb_nope') AS unknown;
SELECT privacybee.authenticate(:'tok', 'contacts:read');
SELECT privacybee.issue_token(:ada, '{contacts:read}', '-1 day');
SELECT privacybee.issue_token(:ada, '{admin}');
SELECT privacybee.issue_token(:ada, '{}');
SELECT privacybee.issue_token(NULL, '{contacts:read}');
SELECT privacybee.issue_token(NULL, '{buzz:lookup}') AS service \gset
SELECT privacybee.authenticate(:'service', 'buzz:lookup') IS NULL AS service_has_no_user;
SELECT privacybee.authenticate_member(:'service', 'buzz:lookup');

-- the provider's scope is never on a member's token (SPEC §2): not issued, not stored,
-- and a member's token that carried it anyway would not count for it
SELECT privacybee.issue_token(:ada, '{buzz:lookup}');
SELECT privacybee.issue_token(:ada, '{contacts:read,buzz:lookup}');
\set VERBOSITY terse
INSERT INTO privacybee.tokens (token_hash, user_id, scopes, expires_at)
VALUES ('\x00', :ada, '{buzz,buzz:lookup}', now() + interval '1 day');
INSERT INTO privacybee.tokens (token_hash, user_id, scopes, expires_at)
VALUES ('\x00', NULL, '{buzz:lookup,contacts:read}', now() + interval '1 day');
\set VERBOSITY default
BEGIN;
ALTER TABLE privacybee.tokens DROP CONSTRAINT tokens_lookup_scope_is_the_services;
INSERT INTO privacybee.tokens (token_hash, user_id, scopes, expires_at)
VALUES (sha256('pb_smuggled'), :ada, '{buzz:lookup}', now() + interval '1 day');
SELECT privacybee.authenticate('pb_smuggled', 'buzz:lookup');
ROLLBACK;
