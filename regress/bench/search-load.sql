-- make bench (regress/bench/search.sh): a 1,000,000-contact database for the search
-- benchmarks: one member with 10,000 contacts (the one searched) and 1,980 members with
-- 500 each, every contact with a name, an email, a phone, often an organization, an
-- address, notes and tags, as SPEC §9 stores them; written set-based (sync_contacts would
-- take half an hour for a million), then every search document computed by
-- contacts_reindex, as every write computes it.
\timing on
SET client_min_messages = warning;
CREATE TEMP TABLE vocab AS SELECT
  '{James,Mary,John,Patricia,Robert,Jennifer,Michael,Linda,William,Elizabeth,David,Barbara,Richard,Susan,Joseph,Jessica,Thomas,Sarah,Charles,Karen,Christopher,Nancy,Daniel,Lisa,Matthew,Betty,Anthony,Margaret,Mark,Sandra,Donald,Ashley,Steven,Kimberly,Paul,Emily,Andrew,Donna,Joshua,Michelle,Kenneth,Dorothy,Kevin,Carol,Brian,Amanda,George,Melissa,Edward,Deborah,José,María,Zoë,Renée,André,Chloé,Jo,Joan,Jon,Beth}'::text[] AS firsts,
  '{Smith,Johnson,Williams,Brown,Jones,Garcia,Miller,Davis,Rodriguez,Martinez,Hernandez,Lopez,Gonzalez,Wilson,Anderson,Thomas,Taylor,Moore,Jackson,Martin,Lee,Perez,Thompson,White,Harris,Sanchez,Clark,Ramirez,Lewis,Robinson,Walker,Young,Allen,King,Wright,Scott,Torres,Nguyen,Hill,Flores,Green,Adams,Nelson,Baker,Hall,Rivera,Campbell,Mitchell,Carter,Roberts,Núñez,Müller,O''Brien,Smithers}'::text[] AS lasts,
  '{Initech,Acme,Globex,Umbrella,Hooli,Stark,Wayne,Wonka,Cyberdyne,Soylent,Tyrell,Aperture,Vandelay,Dunder,Pied Piper,Massive Dynamic,Oscorp,Gringotts,Monsters,Nakatomi}'::text[] AS companies,
  '{CTO,CEO,Engineer,Manager,Designer,Analyst,Director,Consultant,Architect,Accountant,Nurse,Teacher,Lawyer,Developer,Sales}'::text[] AS titles,
  '{Austin,Dallas,Paris,Berlin,Springfield,Boston,Chicago,Denver,Seattle,Portland,Madrid,Lisbon,Rome,Vienna,Oslo,Dublin,Toronto,Sydney,Tokyo,Osaka}'::text[] AS cities,
  '{met,at,conference,likes,coffee,tea,golf,chess,red,stapler,birthday,party,owes,book,call,back,friday,project,lunch,dinner,kids,school,soccer,dentist,loan,car,boat,trip,wedding,gift}'::text[] AS notes,
  '{VIP,Client,Friend,Family,Work,School,Gym,Neighbour,Doctor,Supplier}'::text[] AS tags;

CREATE TEMP TABLE bench_members AS
SELECT i, privacybee.create_member('Bench', 'Member ' || i, NULL) AS id
  FROM generate_series(1, 1981) AS i;

INSERT INTO privacybee.contacts (user_id, external_id, display_name, details)
SELECT m.id, 'e' || n, f || ' ' || l,
       jsonb_strip_nulls(jsonb_build_object(
           'name', jsonb_build_object('given', f, 'family', l),
           'organizations', CASE WHEN h % 3 <> 0 THEN jsonb_build_array(jsonb_build_object(
                'name', v.companies[1 + (h >> 3) % 20], 'title', v.titles[1 + (h >> 7) % 15])) END,
           'addresses', CASE WHEN h % 2 = 0 THEN jsonb_build_array(jsonb_build_object(
                'street', (h % 999 + 1) || ' Main St', 'city', v.cities[1 + (h >> 5) % 20],
                'formatted', (h % 999 + 1) || ' Main St, ' || v.cities[1 + (h >> 5) % 20])) END,
           'notes', CASE WHEN h % 4 = 1 THEN v.notes[1 + (h >> 2) % 30] || ' ' || v.notes[1 + (h >> 9) % 30]
                         || ' ' || v.notes[1 + (h >> 13) % 30] END))
  FROM bench_members m
 CROSS JOIN LATERAL generate_series(1, CASE WHEN m.i = 1 THEN 10000 ELSE 500 END) AS n
 CROSS JOIN vocab v
 CROSS JOIN LATERAL (SELECT abs(hashint8(m.id * 100003 + n)) AS h) AS hh
 CROSS JOIN LATERAL (SELECT v.firsts[1 + h % 60] AS f, v.lasts[1 + (h >> 11) % 54] AS l) AS names;

INSERT INTO privacybee.contact_emails (user_id, contact_id, pos, value, is_primary)
SELECT c.user_id, c.id, 1,
       lower(regexp_replace(c.details #>> '{name,given}', '[^A-Za-z]', '', 'g')) || '.'
       || lower(regexp_replace(c.details #>> '{name,family}', '[^A-Za-z]', '', 'g')) || c.id
       || CASE c.id % 3 WHEN 0 THEN '@gmail.com' WHEN 1 THEN '@example.com' ELSE '@work.example' END,
       true
  FROM privacybee.contacts c;

-- a US number each, unique (+1 2xx 555 xxxx is not valid: area 2x2-9xx, exchange 2xx-9xx)
INSERT INTO privacybee.contact_phones (user_id, contact_id, pos, raw, e164, is_primary)
SELECT c.user_id, c.id, 1, '(' || a || ') ' || e || '-' || s, '+1' || a || e || s, true
  FROM privacybee.contacts c
 CROSS JOIN LATERAL (SELECT (200 + c.id % 700)::text AS a, (200 + (c.id / 700) % 700)::text AS e,
                            lpad(((c.id / 490000) % 10000)::text, 4, '0') AS s) AS parts;

INSERT INTO privacybee.tags (user_id, name)
SELECT m.id, t FROM bench_members m, vocab v, unnest(v.tags) AS t;
INSERT INTO privacybee.contact_tags (user_id, contact_id, tag_id, pos)
SELECT c.user_id, c.id, t.id, 1
  FROM privacybee.contacts c
  JOIN privacybee.tags t ON t.user_id = c.user_id
   AND t.name = (SELECT v.tags[1 + c.id % 10] FROM vocab v)
 WHERE c.id % 5 <> 0;

SELECT count(*) FROM (SELECT privacybee.contacts_reindex(c.user_id, array_agg(c.id))
                        FROM privacybee.contacts c GROUP BY c.user_id) AS s;
VACUUM ANALYZE privacybee.contacts, privacybee.contact_documents, privacybee.contact_emails, privacybee.contact_phones,
               privacybee.contact_tags, privacybee.tags, privacybee.trusted_numbers;
SELECT count(*) AS contacts FROM privacybee.contacts;
