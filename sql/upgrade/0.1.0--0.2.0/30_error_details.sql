-- An error's details have one builder, in C (extension/problems.c), which SQL reaches
-- through bad_field(field, problem, message DEFAULT NULL): the two-argument form of 0.1.0
-- goes, and so does fail()'s details argument (no route builds details by hand any
-- more); sql/logic/10_core.sql creates the new forms.
DROP FUNCTION privacybee.bad_field(text, text);
DROP FUNCTION privacybee.fail(integer, text, jsonb);
