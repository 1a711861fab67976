-- The trust graph of SPEC §5, one case per rule. After every change the materialised
-- decision (trusted_numbers) must already equal the live one (trust_eval): "ok" columns.
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.decision(r bigint, n text, OUT live boolean, OUT ok boolean)
LANGUAGE sql AS $$
    SELECT privacybee.trust_eval(r, n),
           privacybee.trust_eval(r, n) = EXISTS (SELECT 1 FROM privacybee.trusted_numbers t
                                                 WHERE t.user_id = r
                                                   AND t.match_key = privacybee.phone_match_key(n))
$$;

SELECT privacybee.add_buzz_numbers(ARRAY['+1 305 555 0100', '+1 305 555 0101', '+1 305 555 0102']);
SELECT privacybee.create_member('Rita', 'Receiver', '+1 305 555 0200') AS r \gset
SELECT privacybee.create_member('Paul', 'Person', '+1 305 555 0300') AS p \gset
SELECT privacybee.create_member('Cora', 'Coworker', '+1 305 555 0400') AS cw \gset
SELECT privacybee.create_company('Trusty', 'trusty', ARRAY['+1 305 555 0500']) AS c \gset
SELECT privacybee.create_company('Employer', 'employer', ARRAY['+1 305 555 0600']) AS emp \gset

-- rule 2: own phone, own Buzz number
SELECT * FROM pg_temp.decision(:r, '+13055550200');
SELECT privacybee.assign_buzz_number(:r) AS rbuzz \gset
SELECT * FROM pg_temp.decision(:r, :'rbuzz');
-- a stranger's number, an invalid number, a member who does not exist
SELECT * FROM pg_temp.decision(:r, '+13055550999');
SELECT * FROM pg_temp.decision(:r, 'garbage');
SELECT * FROM pg_temp.decision(999999, '+13055550200');

-- rule 2: a contact's phone, in any format; not once the contact is deleted
SELECT cardinality(privacybee.sync_contacts(:r, '[{"external_id": "k", "display_name": "K", "phone_numbers": ["(305) 555-0999"]}]'));
SELECT * FROM pg_temp.decision(:r, '+13055550999');
DELETE FROM privacybee.contacts WHERE user_id = :r AND external_id = 'k';
SELECT * FROM pg_temp.decision(:r, '+13055550999');

-- rule 2: a person trusted explicitly, by their phone and their Buzz number
SELECT * FROM pg_temp.decision(:r, '+13055550300');
INSERT INTO privacybee.trust_edges (user_id, target_type, target_id, trusted) VALUES (:r, 'person', :p, true);
SELECT * FROM pg_temp.decision(:r, '+13055550300');
SELECT privacybee.assign_buzz_number(:p) AS pbuzz \gset
SELECT * FROM pg_temp.decision(:r, :'pbuzz');
-- a member's new phone number is trusted (and the old one no longer)
UPDATE privacybee.people SET phone_e164 = '+13055550301' WHERE id = :p;
SELECT * FROM pg_temp.decision(:r, '+13055550300');
SELECT * FROM pg_temp.decision(:r, '+13055550301');

-- rule 2: a coworker; not after one of them leaves the company
SELECT * FROM pg_temp.decision(:r, '+13055550400');
SELECT privacybee.add_employee(:emp, :r), privacybee.add_employee(:emp, :cw);
SELECT * FROM pg_temp.decision(:r, '+13055550400');
SELECT * FROM pg_temp.decision(:cw, '+13055550200');

-- rule 2: the employer's phones, a trusted company's phones
SELECT * FROM pg_temp.decision(:r, '+13055550600');
SELECT * FROM pg_temp.decision(:r, '+13055550500');
INSERT INTO privacybee.trust_edges (user_id, target_type, target_id, trusted) VALUES (:r, 'company', :c, true);
SELECT * FROM pg_temp.decision(:r, '+13055550500');
-- a company's new phone is trusted at once
INSERT INTO privacybee.company_phones (company_id, e164, raw) VALUES (:c, '+13055550501', '305 555 0501');
SELECT * FROM pg_temp.decision(:r, '+13055550501');

-- rule 1: explicit untrust wins over every rule in 2
SELECT cardinality(privacybee.sync_contacts(:r, '[{"display_name": "Cora", "phone_numbers": ["305-555-0400"]}]'));
UPDATE privacybee.trust_edges SET trusted = false WHERE user_id = :r AND target_type = 'company' AND target_id = :c;
SELECT * FROM pg_temp.decision(:r, '+13055550500');
INSERT INTO privacybee.trust_edges (user_id, target_type, target_id, trusted) VALUES (:r, 'person', :cw, false);
SELECT * FROM pg_temp.decision(:r, '+13055550400');   -- contact, coworker, yet untrusted
INSERT INTO privacybee.trust_edges (user_id, target_type, target_id, trusted) VALUES (:r, 'company', :emp, false);
SELECT * FROM pg_temp.decision(:r, '+13055550600');   -- employer, yet untrusted
-- lifting the untrust restores the other reasons
DELETE FROM privacybee.trust_edges WHERE user_id = :r AND target_type = 'person' AND target_id = :cw;
SELECT * FROM pg_temp.decision(:r, '+13055550400');
DELETE FROM privacybee.employees WHERE company_id = :emp AND person_id = :cw;
SELECT * FROM pg_temp.decision(:cw, '+13055550200');

-- match keys (SPEC §3): an Argentine mobile saved with its 9 rings as caller ID shows it
-- without, and the reverse; a Mexican line under its former mobile 1 likewise
SELECT cardinality(privacybee.sync_contacts(:r, '[{"display_name": "AR", "phone_numbers": ["+54 9 11 2345 6789"]},
                                                 {"display_name": "MX", "phone_numbers": ["+52 55 1234 5678"]}]'));
SELECT n, (pg_temp.decision(:r, n)).* FROM unnest(ARRAY['+5491123456789', '+541123456789',
                                                           '+525512345678', '+5215512345678']) AS n;
SELECT privacybee.create_member('Arturo', 'Fijo', '+54 11 3456 7890') AS ar \gset
INSERT INTO privacybee.trust_edges (user_id, target_type, target_id, trusted) VALUES (:r, 'person', :ar, true);
SELECT n, (pg_temp.decision(:r, n)).* FROM unnest(ARRAY['+541134567890', '+5491134567890']) AS n;
-- an untrust of the owner of one form beats a contact saved under the other
INSERT INTO privacybee.trust_edges (user_id, target_type, target_id, trusted) VALUES (:r, 'person', :ar, false)
ON CONFLICT (user_id, target_type, target_id) DO UPDATE SET trusted = false;
SELECT cardinality(privacybee.sync_contacts(:r, '[{"display_name": "AR2", "phone_numbers": ["+54 9 11 3456 7890"]}]'));
SELECT n, (pg_temp.decision(:r, n)).* FROM unnest(ARRAY['+541134567890', '+5491134567890']) AS n;
SELECT privacybee.create_company('Mexicana', 'mexicana', ARRAY['+52 1 55 9876 5432']) AS mx \gset
SELECT privacybee.add_employee(:mx, :r);
SELECT n, (pg_temp.decision(:r, n)).* FROM unnest(ARRAY['+525598765432', '+5215598765432']) AS n;

-- a member deleted: those who trusted them no longer trust their numbers, their
-- coworkers neither; a company deleted: its phones no longer ring its employees
SELECT privacybee.create_member('Dora', 'Deleted', '+1 305 555 0700') AS d \gset
SELECT privacybee.create_member('Eve', 'Employee', '+1 305 555 0900') AS e \gset
SELECT privacybee.assign_buzz_number(:d) AS dbuzz \gset
INSERT INTO privacybee.trust_edges (user_id, target_type, target_id, trusted) VALUES (:p, 'person', :d, true);
SELECT privacybee.create_company('Gone', 'gone', ARRAY['+1 305 555 0800']) AS g \gset
SELECT privacybee.add_employee(:g, :d), privacybee.add_employee(:g, :e);
SELECT who, n, (pg_temp.decision(u, n)).*
  FROM (VALUES ('P', :p, '+13055550700'), ('P', :p, :'dbuzz'), ('E', :e, '+13055550700'),
               ('E', :e, '+13055550800')) AS x(who, u, n);
DELETE FROM privacybee.people WHERE id = :d;
DELETE FROM privacybee.companies WHERE id = :g;
SELECT who, n, (pg_temp.decision(u, n)).*
  FROM (VALUES ('P', :p, '+13055550700'), ('P', :p, :'dbuzz'), ('E', :e, '+13055550700'),
               ('E', :e, '+13055550800')) AS x(who, u, n);

-- the three answers agree everywhere, and a batch rebuild changes nothing
SELECT * FROM privacybee.trust_verify();
CREATE TEMP TABLE before AS SELECT * FROM privacybee.trusted_numbers;
SET client_min_messages = warning;   -- progress notices count every member of the database
SELECT privacybee.recompute_trust() > 0 AS rebuilt;
RESET client_min_messages;
SELECT privacybee.recompute_trust(:r) > 0 AS rebuilt_one;
SELECT count(*) AS changed FROM (
    (SELECT * FROM before EXCEPT SELECT * FROM privacybee.trusted_numbers)
    UNION ALL
    (SELECT * FROM privacybee.trusted_numbers EXCEPT SELECT * FROM before)) AS d;
SELECT * FROM privacybee.trust_verify();

-- the activity feed merge: a member's own and their companies' activity, ascending
INSERT INTO privacybee.activities (id, type, sendable_type, sendable_id, receivable_type, receivable_id, call_time)
VALUES (101, 'incoming_call_missed', 'person', :p, 'person', :r, 0),
       (102, 'incoming_call_missed', 'person', :p, 'company', :emp, 0),
       (103, 'incoming_call_missed', 'person', :r, 'company', :emp, 0),
       (104, 'incoming_call_missed', 'person', :p, 'person', :cw, 0);
INSERT INTO privacybee.activity_parties
SELECT a.sendable_type, a.sendable_id, a.id FROM privacybee.activities a WHERE a.id > 100
UNION SELECT a.receivable_type, a.receivable_id, a.id FROM privacybee.activities a WHERE a.id > 100;
SELECT privacybee.activity_since(:r, 0, 10) AS all_of_r, privacybee.activity_since(:r, 101, 10) AS after_101,
       privacybee.activity_since(:r, 0, 1) AS limit_1_plus_one, privacybee.activity_since(:cw, 0, 10) AS cw;
SELECT * FROM privacybee.phone_split('+442079460958');
SELECT * FROM privacybee.phone_split('not e164');
