-- load.sql — make bench's data set: 10,000 members x 100 contacts (1M contacts, 3 phones
-- each in mixed formats), 500 companies with 2 phones, memberships, trust and untrust
-- edges, Buzz numbers, and activity for the first 1,000 members. Bulk-loaded with
-- triggers off, then the trust table is built by recompute_trust() (the batch path).
\set ON_ERROR_STOP 1
\timing on
SET client_min_messages = warning;
SET session_replication_role = replica;

-- member i: phone +1 3AA 555 XXXX, Buzz number +1 4AA 555 XXXX
INSERT INTO privacybee.people (id, first_name, last_name, phone_raw, phone_e164)
SELECT i, 'First' || i, 'Last' || i, p, p
  FROM generate_series(1, 10000) i,
       LATERAL (SELECT '+1' || (300 + i / 1000) || '555' || lpad((i % 1000)::text, 4, '0') AS p) x;
SELECT setval('privacybee.people_id_seq', 10000);
INSERT INTO privacybee.buzz_numbers (e164, user_id, assigned_at)
SELECT '+1' || (400 + i / 1000) || '555' || lpad((i % 1000)::text, 4, '0'), i, now()
  FROM generate_series(1, 10000) i;

INSERT INTO privacybee.companies (id, name, slug)
SELECT c, 'Company ' || c, 'company-' || c FROM generate_series(1, 500) c;
SELECT setval('privacybee.companies_id_seq', 500);
INSERT INTO privacybee.company_phones (company_id, e164, raw)
SELECT c, e, e FROM generate_series(1, 500) c, generate_series(0, 1) k,
       LATERAL (SELECT '+1' || (500 + c / 1000) || '555' || lpad(((c % 1000) * 2 + k)::text, 4, '0') AS e) x;
INSERT INTO privacybee.employees (company_id, person_id)
SELECT (i % 500) + 1, i FROM generate_series(1, 10000) i WHERE i % 3 <> 0;

INSERT INTO privacybee.trust_edges (user_id, target_type, target_id, trusted)
SELECT i, 'person', (i * 7) % 10000 + 1, true FROM generate_series(1, 10000) i
UNION ALL SELECT i, 'person', (i * 13 + 5) % 10000 + 1, false FROM generate_series(1, 10000) i
UNION ALL SELECT i, 'company', (i * 11) % 500 + 1, true FROM generate_series(1, 10000) i
ON CONFLICT DO NOTHING;

-- contact j of member i: another member's phone, a stranger's, a foreign number;
-- written four ways
INSERT INTO privacybee.contacts (user_id, id, display_name, emails, addresses, labels)
SELECT i, (i - 1) * 100 + j, 'Contact ' || i || '-' || j,
       ARRAY['c' || j || '@example.com'], ARRAY[j || ' Main St, Springfield'], ARRAY['Friend']
  FROM generate_series(1, 10000) i, generate_series(1, 100) j;
SELECT setval('privacybee.contacts_id_seq', 1000000);
INSERT INTO privacybee.contact_phones (user_id, contact_id, pos, raw, e164)
SELECT i, (i - 1) * 100 + j, k, raw, privacybee.phone_e164(raw, 'US')
  FROM generate_series(1, 10000) i, generate_series(1, 100) j, generate_series(1, 3) k,
       LATERAL (SELECT CASE k
                   WHEN 1 THEN (300 + ((i * 101 + j * 7) % 10000 + 1) / 1000)::text || '555'
                               || lpad((((i * 101 + j * 7) % 10000 + 1) % 1000)::text, 4, '0')
                   WHEN 2 THEN (600 + j % 100)::text || '555' || lpad((i % 10000)::text, 4, '0')
                   ELSE '4420794' || lpad(((i * 100 + j) % 100000)::text, 5, '0') END AS d) n,
       LATERAL (SELECT CASE WHEN k = 3 THEN '+' || d
                            WHEN j % 4 = 0 THEN '+1' || d
                            WHEN j % 4 = 1 THEN '(' || substr(d, 1, 3) || ') ' || substr(d, 4, 3) || '-' || substr(d, 7)
                            WHEN j % 4 = 2 THEN substr(d, 1, 3) || '.' || substr(d, 4, 3) || '.' || substr(d, 7)
                            ELSE '1-' || substr(d, 1, 3) || '-' || substr(d, 4, 3) || '-' || substr(d, 7) END AS raw) r;

-- 150 activities for each of the first 1,000 members
INSERT INTO privacybee.activities (id, type, sendable_type, sendable_id, receivable_type, receivable_id, message, message_id)
SELECT n, 'chat_message', 'person', s, 'person', (s * 31) % 10000 + 1, 'ciphertext-' || n, gen_random_uuid()
  FROM generate_series(1, 150000) n, LATERAL (SELECT (n % 1000) + 1 AS s) x;
SELECT setval('privacybee.activities_id_seq', 150000);
INSERT INTO privacybee.activity_parties
SELECT 'person', sendable_id, id FROM privacybee.activities
UNION SELECT 'person', receivable_id, id FROM privacybee.activities;

SET session_replication_role = origin;
ANALYZE;
SELECT privacybee.recompute_trust() AS trusted_numbers;
ANALYZE privacybee.trusted_numbers;
-- a sample check: materialised pairs of 50 members agree with the live evaluation
SELECT count(*) AS sample_disagreements FROM privacybee.trusted_numbers t
 WHERE t.user_id <= 50 AND NOT privacybee.trust_eval(t.user_id, t.match_key);
