-- phone_e164: what is and is not a number (full agreement with libphonenumber is the
-- phone corpus suite's job; these are the forms the API relies on).
\set SHOW_CONTEXT never
SELECT raw, privacybee.phone_e164(raw) AS e164
  FROM (VALUES ('(212) 555-0134'), ('212.555.0134'), ('2125550134'), ('1-212-555-0134'),
               ('+1 212 555 0134'), ('+12125550134'), ('011 44 20 7946 0958'),
               ('+44 (0)20 7946 0958'), ('+44 20 7946 0958'), ('212-555-0134 ext. 12'),
               ('212-555-0134 x12'), ('+1 212 555 0134#5'), ('+49 30 123456'),
               ('+33 1 23 45 67 89'), (E'+1\u00a0212\u00a0555\u00a00134'),
               -- not numbers
               (''), ('call me'), ('555-0134'), ('012 555 0134'), ('+1 112 555 0134'),
               ('+999 123456'), ('+1234567890123456'), ('++12125550134'), ('212-555-01345'),
               ('+44'), ('0044 20 7946 0958')) AS t(raw);

-- a default country other than the US: trunk prefix 0
SELECT privacybee.phone_e164('020 7946 0958', 'GB') AS gb,
       privacybee.phone_e164('07400 123456', 'gb') AS gb_mobile,
       privacybee.phone_e164('00 1 212 555 0134', 'GB') AS gb_intl,
       privacybee.phone_e164('030 123456', 'DE') AS de,
       privacybee.phone_e164('01 23 45 67 89', 'FR') AS fr,
       privacybee.phone_e164('2125550134', 'XX') AS unknown_region;

-- the Buzz (number_code, number) form
SELECT privacybee.phone_e164_parts('1', '2385551629') AS us,
       privacybee.phone_e164_parts('+44', '20 7946 0958') AS gb,
       privacybee.phone_e164_parts('1', '123') AS too_short,
       privacybee.phone_e164_parts('abc', '2385551629') AS bad_code;

-- STRICT and IMMUTABLE as declared
SELECT privacybee.phone_e164(NULL) IS NULL AS strict_null;
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel
  FROM pg_proc p WHERE p.pronamespace = 'privacybee'::regnamespace
   AND p.proname IN ('phone_e164', 'phone_e164_parts') ORDER BY 1;

-- national rules taken from libphonenumber's metadata: Argentina's 0 … 15 mobile form
-- becomes +54 9 …, a Brazilian carrier code is dropped, a 7-digit local number in
-- Antigua gains its area code, Canada's 7-digit 310 numbers are valid
SELECT privacybee.phone_e164('011 15-2345-6789', 'AR') AS ar_mobile,
       privacybee.phone_e164('0 21 11 2345 6789', 'BR') AS br_carrier,
       privacybee.phone_e164('460 1234', 'AG') AS ag_local,
       privacybee.phone_e164('310-1234', 'CA') AS ca_short,
       privacybee.phone_e164('0011 44 20 7946 0958', 'AU') AS au_idd,
       privacybee.phone_e164('+7 701 234 5678') AS kz_shares_7;
-- possible lengths that cannot be valid anywhere behind the code
SELECT privacybee.phone_e164('+1 112 555 0134') AS nanp_area_code_1,
       privacybee.phone_e164('+44 0000 000000') AS gb_zeros;
