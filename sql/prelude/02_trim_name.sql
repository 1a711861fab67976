-- A name without the Unicode white space around it, as every name (display_name, a label,
-- a tag's name) is written (extension/contact_details.c, details_name). In the prelude, as
-- the 0.2.0 upgrade makes tags of 0.1.0 labels with it.
CREATE OR REPLACE FUNCTION privacybee.trim_name(t text)
RETURNS text
AS 'MODULE_PATHNAME', 'trim_name'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacybee.trim_name(text) IS
    'a name without the Unicode white space around it';
