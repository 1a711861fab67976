-- The pool of Buzz numbers; user_id is set when a member is given one.
CREATE TABLE privacybee.buzz_numbers (
    e164        text PRIMARY KEY,
    user_id     bigint UNIQUE REFERENCES privacybee.people ON DELETE SET NULL,
    assigned_at timestamptz
);
