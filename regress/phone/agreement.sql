-- agreement.sql — phone_e164 against libphonenumber on the corpus corpus.cc writes.
-- Usage: psql -f agreement.sql < corpus.tsv. Fails (exit 3) below 99.5% overall or
-- below 100% on E.164 input. Every difference is listed with its reason.
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
CREATE TEMP TABLE corpus (form text, region text, input text, default_region text, expected text);
\copy corpus FROM pstdin
CREATE TEMP TABLE result AS
SELECT c.*, privacybee.phone_e164(c.input, c.default_region) AS ours,
       c.expected IS DISTINCT FROM '?' AS counted
  FROM corpus c;

\echo 'phone corpus: agreement with libphonenumber (valid numbers: same E.164; impossible: NULL)'
SELECT COALESCE(form, 'ALL') AS form,
       count(*) FILTER (WHERE counted) AS inputs,
       count(*) FILTER (WHERE counted AND ours IS NOT DISTINCT FROM expected) AS agree,
       round(100.0 * count(*) FILTER (WHERE counted AND ours IS NOT DISTINCT FROM expected)
             / NULLIF(count(*) FILTER (WHERE counted), 0), 2) AS percent
  FROM result GROUP BY ROLLUP (form) ORDER BY form NULLS LAST;

\echo 'every difference, with its reason:'
SELECT form, region, input, default_region AS dialled_in,
       COALESCE(expected, 'NULL') AS libphonenumber, COALESCE(ours, 'NULL') AS ours,
       CASE
         WHEN expected IS NULL THEN 'libphonenumber calls it impossible; it has a possible length and matches the general pattern here'
         WHEN ours IS NULL AND length(expected) > 16
           THEN 'more than the 15 digits E.164 allows (SPEC §3); libphonenumber formats it anyway'
         WHEN ours IS NULL AND char_length(input) > 250
           THEN 'longer than 250 characters, libphonenumber''s own limit in Java (none in C++)'
         WHEN ours IS NULL THEN 'valid in libphonenumber; rejected here'
         ELSE 'normalised to another number'
       END AS reason
  FROM result
 WHERE counted AND ours IS DISTINCT FROM expected
 ORDER BY form, region, input;

DO $$
DECLARE
    overall numeric;
    e164 numeric;
BEGIN
    SELECT 100.0 * count(*) FILTER (WHERE ours IS NOT DISTINCT FROM expected) / count(*)
      INTO overall FROM result WHERE counted;
    SELECT 100.0 * count(*) FILTER (WHERE ours IS NOT DISTINCT FROM expected) / count(*)
      INTO e164 FROM result WHERE counted AND form = 'e164';
    IF overall < 99.5 OR e164 < 100 THEN
        RAISE EXCEPTION 'phone corpus: % %% overall (needs 99.5), % %% for E.164 input (needs 100)',
            round(overall, 2), round(e164, 2);
    END IF;
    RAISE NOTICE 'phone corpus: % %% overall, % %% for E.164 input', round(overall, 2), round(e164, 2);
END
$$;
