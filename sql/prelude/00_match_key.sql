-- The match key of a phone number (SPEC §3, extension/phone_match.c): the form under
-- which two E.164 numbers of one line compare equal. In the prelude, which both the fresh
-- install and the upgrade run first, because the tables' generated match-key columns are
-- computed with it.
CREATE OR REPLACE FUNCTION privacybee.phone_match_key(e164 text)
RETURNS text
AS 'MODULE_PATHNAME', 'phone_match_key'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.phone_match_key(text) IS
    'the key numbers are matched on: the E.164 form, without the national variants of one line (AR +54 9, MX +52 1)';
