-- Match keys (SPEC §3): numbers are matched on privacybee.phone_match_key(e164), kept in
-- a generated column beside every compared E.164 column (computed for existing rows as
-- the table is rewritten), with its index in place of the E.164 one.
-- (phone_match_key() itself is declared by sql/prelude/, which runs before this file.)

-- The views and functions over E.164 columns go while their columns or arguments change:
-- sql/logic/50_trust_graph.sql creates them again over the keys
DROP VIEW privacybee.trust_graph;
DROP VIEW privacybee.person_numbers;
DROP FUNCTION privacybee.trust_company_number_changed(bigint, text);

ALTER TABLE privacybee.people
    ADD COLUMN phone_match_key text GENERATED ALWAYS AS (privacybee.phone_match_key(phone_e164)) STORED;
DROP INDEX privacybee.people_phone_e164;
CREATE INDEX people_phone_match_key ON privacybee.people (phone_match_key)
    WHERE phone_match_key IS NOT NULL;

ALTER TABLE privacybee.company_phones
    ADD COLUMN match_key text GENERATED ALWAYS AS (privacybee.phone_match_key(e164)) STORED;
DROP INDEX privacybee.company_phones_e164;
CREATE INDEX company_phones_match_key ON privacybee.company_phones (match_key);

ALTER TABLE privacybee.contact_phones
    ADD COLUMN match_key text GENERATED ALWAYS AS (privacybee.phone_match_key(e164)) STORED;
DROP INDEX privacybee.contact_phones_e164;
CREATE INDEX contact_phones_match_key ON privacybee.contact_phones (user_id, match_key)
    WHERE match_key IS NOT NULL;

ALTER TABLE privacybee.buzz_numbers
    ADD COLUMN match_key text GENERATED ALWAYS AS (privacybee.phone_match_key(e164)) STORED;
CREATE INDEX buzz_numbers_match_key ON privacybee.buzz_numbers (match_key) WHERE user_id IS NOT NULL;

-- The materialised decisions are kept per match key. Keys equal the E.164 form outside
-- the national variants, and sql/logic/99_rebuild_trust.sql rebuilds every decision
-- under the rules of this version once sql/logic/ has run.
ALTER TABLE privacybee.trusted_numbers RENAME COLUMN e164 TO match_key;
