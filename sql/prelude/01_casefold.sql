-- The case folding of every case-insensitive comparison (extension/casefold.c): Unicode's
-- lower case by ICU's root locale, whatever the database's locale. In the prelude, which
-- both the fresh install and the upgrade run first, because the indexes on folded e-mails,
-- display names and tag names are built with it.
CREATE OR REPLACE FUNCTION privacybee.casefold(t text)
RETURNS text
AS 'MODULE_PATHNAME', 'casefold_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.casefold(text) IS
    'text in lower case by Unicode''s rules (ICU root locale), the same in a database of any locale';
