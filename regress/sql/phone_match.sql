-- phone_match_key (SPEC §3, extension/phone_match.c): the key numbers are matched on.
-- The E.164 form itself, except the national variants that show one line under two
-- forms: Argentina's mobile 9 after +54, Mexico's former mobile 1 after +52.
SELECT n, privacybee.phone_match_key(n) AS key
  FROM unnest(ARRAY[
    '+5491123456789',     -- AR mobile, as dialled from abroad: the 9 goes
    '+541123456789',      -- AR, the same line as caller ID shows it: itself
    '+5493511234567',     -- AR mobile in Córdoba (area 351)
    '+549112345678',      -- +54 9 and only 9 digits: not the variant, itself
    '+54911234567890',    -- +54 9 and 11 digits: itself
    '+54800123456789',    -- AR toll-free, 11 digits not starting with 9: itself
    '+5215512345678',     -- MX mobile before 2019: the 1 goes
    '+525512345678',      -- MX today: itself
    '+52155123456789',    -- +52 1 and 11 digits: itself
    '+12125550134',       -- everywhere else: the E.164 form itself
    '+442079460958',
    '+919876543210',      -- +91 9…: only Argentina's 9 is dropped
    '+5511987654321',     -- +55 (Brazil) 11 9…: itself
    '+1']) AS n;

-- what is not E.164 has no key (a NULL never matches): fails closed
SELECT n, privacybee.phone_match_key(n) AS key
  FROM unnest(ARRAY['', '+', '5491123456789', '+54 9 11 2345 6789', '+54911234567a9',
                    '+1234567890123456', 'garbage']) AS n;
SELECT privacybee.phone_match_key(NULL) IS NULL AS strict_null;

-- a key is its own key
SELECT count(*) AS not_idempotent
  FROM (SELECT privacybee.phone_match_key(n) AS k
          FROM unnest(ARRAY['+5491123456789', '+5215512345678', '+12125550134']) AS n) AS x
 WHERE privacybee.phone_match_key(k) IS DISTINCT FROM k;

SELECT p.provolatile, p.proisstrict, p.proparallel FROM pg_catalog.pg_proc p
 WHERE p.oid = 'privacybee.phone_match_key(text)'::regprocedure;

-- stored beside every compared E.164 column, filled on write whoever writes
SELECT privacybee.create_member('Ana', 'Movil', '+54 9 11 5555 1234') AS ana \gset
SELECT phone_e164, phone_match_key FROM privacybee.people WHERE id = :ana;
SELECT privacybee.create_company('Telmex', 'telmex-match', ARRAY['+52 1 55 5555 1234']) AS tm \gset
SELECT e164, match_key FROM privacybee.company_phones WHERE company_id = :tm;
INSERT INTO privacybee.buzz_numbers (e164) VALUES ('+5491155559999');
SELECT e164, match_key FROM privacybee.buzz_numbers WHERE e164 = '+5491155559999';
SELECT cardinality(privacybee.sync_contacts(:ana, '[{"display_name": "X", "phone_numbers": ["+54 9 351 123 4567", "call me"]}]'));
SELECT raw, e164, match_key FROM privacybee.contact_phones WHERE user_id = :ana ORDER BY pos;
UPDATE privacybee.people SET phone_e164 = '+541155551235' WHERE id = :ana;
SELECT phone_e164, phone_match_key FROM privacybee.people WHERE id = :ana;

-- and every comparison is an index probe on it (the index each probe uses)
CREATE FUNCTION pg_temp.index_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        IF line ~ 'Index (Only )?Scan' THEN
            RETURN substring(line FROM 'Index (?:Only )?Scan (?:using|on) (\S+)');
        END IF;
    END LOOP;
    RETURN 'no index';
END
$$;
SET enable_seqscan = off;
SELECT pg_temp.index_of(q) FROM unnest(ARRAY[
    'SELECT id FROM privacybee.people WHERE phone_match_key = ''+541155551235''',
    'SELECT company_id FROM privacybee.company_phones WHERE match_key = ''+525555551234''',
    'SELECT user_id FROM privacybee.buzz_numbers WHERE match_key = ''+541155559999'' AND user_id IS NOT NULL',
    'SELECT contact_id FROM privacybee.contact_phones WHERE user_id = 1 AND match_key = ''+543511234567''',
    'SELECT 1 FROM privacybee.trusted_numbers WHERE user_id = 1 AND match_key = ''+543511234567''']) AS q;
RESET enable_seqscan;
