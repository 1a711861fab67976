-- A 0.1.0 database with rows in every table, written through 0.1.0's own functions
-- where it has them. regress/upgrade/run.sh loads it before updating the extension.
SET client_min_messages = warning;

SELECT privacybee.add_buzz_numbers(ARRAY['+12025550100', '+12025550101', '+12025550102']);
CREATE TEMP TABLE ids AS
SELECT privacybee.create_member('Ada', 'Lovelace', '+1 (212) 555-0134') AS ada,
       privacybee.create_member('Grace', 'Hopper', '212-555-0199', 'B.', 'grace.png') AS grace,
       privacybee.create_member('Alan', 'Turing', '+44 20 7946 0958') AS alan,
       privacybee.create_company('Analytical Engines', 'engines', ARRAY['+1 646 555 0100'],
                                 'logo.png', 'https://example.com') AS engines;
SELECT privacybee.add_employee(engines, ada), privacybee.add_employee(engines, grace) FROM ids;
SELECT privacybee.assign_buzz_number(ada), privacybee.assign_buzz_number(alan) FROM ids;
SELECT privacybee.issue_token(ada, '{contacts:read,contacts:write,buzz}') FROM ids;
SELECT privacybee.issue_token(NULL, '{buzz:lookup}');

SELECT privacybee.sync_contacts(ada, '[
  {"external_id": "c-1", "display_name": "Grace Hopper", "birthday": "1906-12-09",
   "emails": ["grace@example.com", "amazing@example.com"],
   "phone_numbers": ["212-555-0199", "not a number"], "labels": ["Coworker", "Navy", " navy ", "ΦΊΛΟΙ"]},
  {"external_id": "c-2", "display_name": "Beth M.", "emails": ["bethm@example.com"],
   "phone_numbers": ["+1 238 555 1629"],
   "addresses": ["123 Peachtree St, Atlanta, GA 30303, US", "PO Box 1"], "labels": ["Client"]},
  {"display_name": "Charles \"the\" Babbage", "phone_numbers": ["+44 20 7946 0000"]},
  {"external_id": "c-4", "display_name": "Soon deleted", "phone_numbers": ["+1 917 555 0123"]}
]'::jsonb) FROM ids;
SELECT privacybee.sync_contacts(grace, '[{"display_name": "Ada", "phone_numbers": ["+12125550134"]}]')
  FROM ids;
SELECT privacybee.update_contact(ada, (SELECT id FROM privacybee.contacts
                                        WHERE external_id = 'c-2'), '{"labels": ["Client", "VIP", "φίλοι", "Émigré "]}')
  FROM ids;

-- a deletion through the route, as 0.1.0 does it (the tombstone comes with it)
SELECT privacybee.issue_token(ada, '{contacts:read,contacts:write,buzz}') AS tok FROM ids \gset
SELECT status FROM privacybee.api_contact_delete(:'tok',
    (SELECT id::text FROM privacybee.contacts WHERE external_id = 'c-4'), '{}', NULL, NULL);

INSERT INTO privacybee.trust_requests (user_id, requester_id, contact_reason)
SELECT ada, alan, 'We met at the Royal Society' FROM ids;
INSERT INTO privacybee.trust_requests (user_id, requester_id, contact_reason, status)
SELECT grace, alan, 'Compilers', 'declined' FROM ids;
INSERT INTO privacybee.trust_edges (user_id, target_type, target_id, trusted)
SELECT ada, 'person', alan, true FROM ids
UNION ALL SELECT grace, 'person', alan, false FROM ids
UNION ALL SELECT alan, 'company', engines, true FROM ids;

INSERT INTO privacybee.blocked_calls (user_id, caller_id, inbound_code, inbound, e164, call_sid)
SELECT ada, 'Spam Inc', '1', '9175550123', '+19175550123', 'CA1' FROM ids
UNION ALL SELECT ada, NULL, '1', 'garbage', NULL, NULL FROM ids;

WITH a AS (
    INSERT INTO privacybee.activities (type, sendable_type, sendable_id, receivable_type,
                                       receivable_id, message, message_id)
    SELECT 'chat_message', 'person', ada, 'person', grace, 'ciphertext',
           '6f1c2a9e-8d7b-4c2a-9f00-0123456789ab' FROM ids
    RETURNING id, sendable_id, receivable_id)
INSERT INTO privacybee.activity_parties (party_type, party_id, activity_id)
SELECT 'person', sendable_id, id FROM a UNION ALL SELECT 'person', receivable_id, id FROM a;
WITH a AS (
    INSERT INTO privacybee.activities (type, sendable_type, sendable_id, receivable_type,
                                       receivable_id, call_time)
    SELECT 'outgoing_call_missed', 'company', engines, 'person', alan, 0 FROM ids
    RETURNING id, sendable_id, receivable_id)
INSERT INTO privacybee.activity_parties (party_type, party_id, activity_id)
SELECT 'company', sendable_id, id FROM a UNION ALL SELECT 'person', receivable_id, id FROM a;

UPDATE privacybee.people SET e2e_hash = 'h', e2e_id = 'seald-1', public_key = 'pk'
 WHERE id = (SELECT ada FROM ids);
