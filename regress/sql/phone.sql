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
               ('+999 123456'), ('+1234567890123456'), ('212-555-01345'),
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
       privacybee.phone_e164_parts('abc', '2385551629') AS bad_code,
       privacybee.phone_e164_parts('1234', '2385551629') AS long_code,
       privacybee.phone_e164_parts('001', '2385551629') AS code_001;
-- a number that already starts with "+" is a whole international number, whatever the
-- code says; the code and the number are read like any written number
SELECT privacybee.phone_e164_parts('1', '+12125550170') AS plus_same_code,
       privacybee.phone_e164_parts('44', '+1 212 555 0170') AS plus_other_code,
       privacybee.phone_e164_parts('abc', E'\u202a+1 212 555 0170\u202c') AS plus_bad_code,
       privacybee.phone_e164_parts('1', '+0 212 555 0170') AS plus_no_calling_code,
       privacybee.phone_e164_parts(E'\uff0b\uff11', E'\uff12\uff11\uff12\uff15\uff15\uff15\uff10\uff11\uff17\uff10') AS fullwidth,
       privacybee.phone_e164_parts(E'\u202a+1\u202c', E'\u0662\u0661\u0662\u0665\u0665\u0665\u0660\u0661\u0667\u0660') AS arabic_indic,
       privacybee.phone_e164_parts('1', '800-FLOWERS') AS keypad,
       privacybee.phone_e164_parts('1', 'tel:212-555-0170') AS tel_uri;
-- a number dialled with the international prefix of the code's country (011, 00, 0011,
-- 8 10 …) reads as phone_e164() reads it there: one reading wherever a number enters
SELECT c.code, c.number, privacybee.phone_e164_parts(c.code, c.number) AS e164,
       privacybee.phone_e164_parts(c.code, c.number)
         IS NOT DISTINCT FROM privacybee.phone_e164(c.number, c.region) AS as_phone_e164_reads_it
  FROM (VALUES ('1', 'US', '011 1 212 555 0199'), ('1', 'US', '011 44 20 7946 0958'),
               ('44', 'GB', '00 1 212 555 0199'), ('44', 'GB', '0044 20 7946 0958'),
               ('61', 'AU', '0011 1 212 555 0199'), ('33', 'FR', '00 49 30 1234567'),
               ('7', 'RU', '8 10 1 212 555 0199'), ('1', 'US', '212 555 0199'),
               ('44', 'GB', '020 7946 0958'), ('1', 'US', '011')) AS c(code, region, number);

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

-- numbers as people and devices write them (SPEC §3), read as libphonenumber reads them;
-- the phone corpus compares every form with libphonenumber on all its example numbers
SELECT form, privacybee.phone_e164(raw) AS e164
  FROM (VALUES ('copied on an iPhone', E'\u202a+1\u00a0(212)\u00a0555\u20110170\u202c'),
               ('bidi isolate', E'\u2068(212) 555-0170\u2069'),
               ('bidi marks', E'\u200f+1 212 555 0170\u200e'),
               ('full-width', E'\uff0b\uff11\u3000\uff08\uff12\uff11\uff12\uff09\uff15\uff15\uff15\uff0d\uff10\uff11\uff17\uff10'),
               ('Arabic-Indic', E'\u0662\u0661\u0662 \u0665\u0665\u0665 \u0660\u0661\u0667\u0660'),
               ('Persian', E'\u06f2\u06f1\u06f2\u06f5\u06f5\u06f5\u06f0\u06f1\u06f7\u06f0'),
               ('Devanagari', E'\u0968\u0967\u0968 \u096b\u096b\u096b \u0966\u0967\u096d\u0966'),
               ('mathematical digits', E'\U0001d7d0\U0001d7cf\U0001d7d0\U0001d7d3\U0001d7d3\U0001d7d3\U0001d7ce\U0001d7cf\U0001d7d5\U0001d7ce'),
               ('en and em dashes', E'212\u2013555\u20140170'),
               ('minus, katakana dash', E'212\u2212555\u30fc0170'),
               ('ideographic space', E'212\u3000555\u30000170'),
               ('zero-width space', E'212\u200b555\u20600170'),
               ('soft hyphen', E'212\u00ad555\u00ad0170'),
               ('label before', 'Tel: (212) 555-0170'),
               ('label before, emoji', E'\u260e +1 212 555 0170'),
               ('one letter after', '+1 212 555 0170 (m)'),
               ('tel: URI', 'tel:+1-212-555-0170'),
               ('tel: URI, vCard 4 extension', 'tel:+1-212-555-0170;ext=42'),
               ('tel: URI, phone-context', 'tel:212-555-0170;phone-context=+1'),
               ('tel: URI, domain context', 'tel:+1-212-555-0170;phone-context=example.com'),
               ('tel: URI, isub', 'tel:+1-212-555-0170;isub=12'),
               ('keypad letters', '1-800-FLOWERS'),
               ('keypad, lower case', '+1 (800) flowers'),
               ('extension: доб.', E'212 555 0170 \u0434\u043e\u0431. 42'),
               ('extension: full-width', E'212 555 0170 \uff45\uff58\uff54 42'),
               ('extension: ,,', '212 555 0170,,42'),
               ('extension: - 503#', '212 555 0170 - 503#'),
               ('second number', '(212) 555-0170 x302/x2303'),
               ('two plus signs', '++1 212 555 0170'),
               ('plus before an international prefix', '+011 44 20 7946 0958'),
               -- not numbers, to libphonenumber either
               ('three letters after: keypad digits', '+1 212 555 0170 (mobile)'),
               ('narrow no-break space', E'+1\u202f212\u202f555\u202f0170'),
               ('thin space', E'212\u2009555\u20090170'),
               ('two letters: dropped, too short', '1-800-FL'),
               ('plus inside', '1+212 555 0170'),
               ('control character', E'212 555 0170\u0001'),
               ('longer than 250 characters', repeat(' ', 250) || '2125550170')) AS t(form, raw);

-- every SQL function a number enters by reads it the same way (rolled back: the other
-- suites count rows); the HTTP suite test_phone_written_forms covers the routes
BEGIN;
SELECT privacybee.create_member('Written', 'Forms', E'\u202a+1\u00a0(212)\u00a0555\u20110199\u202c') AS m \gset
SELECT phone_e164 FROM privacybee.people WHERE id = :m;
SELECT privacybee.create_company('Written', 'written-forms',
                                 ARRAY['tel:+1-646-555-0199;ext=12', E'\uff16\uff14\uff16-\uff15\uff15\uff15-\uff10\uff11\uff19\uff18']) AS c \gset
SELECT e164 FROM privacybee.company_phones WHERE company_id = :c ORDER BY e164;
SELECT privacybee.add_buzz_numbers(ARRAY[E'\u0662\u0660\u0662 \u0665\u0665\u0665 \u0660\u0661\u0669\u0669',
                                         'Tel: 202-555-0198']) AS new;
SELECT e164 FROM privacybee.buzz_numbers WHERE e164 IN ('+12025550199', '+12025550198') ORDER BY 1;
SELECT privacybee.create_member('Not', 'Number', '+1 212 555 0170 (mobile)');
ROLLBACK;
