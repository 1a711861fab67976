-- The pool of Buzz numbers; user_id is set when a member is given one. The receiving
-- member of a call is found by the exact number (the primary key); a member's number as
-- a caller is matched on its match key.
CREATE TABLE privacybee.buzz_numbers (
    e164        text PRIMARY KEY,
    user_id     bigint UNIQUE REFERENCES privacybee.people ON DELETE SET NULL,
    assigned_at timestamptz,
    match_key   text GENERATED ALWAYS AS (privacybee.phone_match_key(e164)) STORED
);
CREATE INDEX buzz_numbers_match_key ON privacybee.buzz_numbers (match_key) WHERE user_id IS NOT NULL;
