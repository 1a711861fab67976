-- agreement.sql — phone_match_key against what libphonenumber's metadata says of one line
-- under two E.164 forms (oracle.cc). Usage: psql -f agreement.sql < oracle.tsv. Lists
-- every input whose key differs, and fails (exit 3) on any.
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
CREATE TEMP TABLE oracle (what text, input text, expected text);
\copy oracle FROM pstdin

\echo 'match keys: agreement with libphonenumber, by case'
SELECT what, count(*) AS inputs,
       count(*) FILTER (WHERE privacybee.phone_match_key(input) IS NOT DISTINCT FROM expected) AS agree
  FROM oracle GROUP BY what ORDER BY what;

\echo 'every difference:'
SELECT what, input, expected, privacybee.phone_match_key(input) AS ours
  FROM oracle WHERE privacybee.phone_match_key(input) IS DISTINCT FROM expected
 ORDER BY what, input;

DO $$
DECLARE
    wrong bigint;
BEGIN
    SELECT count(*) INTO wrong FROM oracle
     WHERE privacybee.phone_match_key(input) IS DISTINCT FROM expected;
    IF wrong > 0 OR NOT EXISTS (SELECT 1 FROM oracle) THEN
        RAISE EXCEPTION 'match keys: % inputs differ from libphonenumber', wrong;
    END IF;
END
$$;
