-- Demo data for `make run`: three members, two companies, contacts, a trust request.
-- Loaded once, into a fresh database. README.md's examples run on it, in order
-- (regress/readme/run.sh, in make test): keep them in step.
SET client_min_messages = warning;

SELECT privacybee.add_buzz_numbers(ARRAY['+12025550100', '+12025550101', '+12025550102',
                                         '+12025550103', '+12025550104']);

CREATE TEMP TABLE demo_ids AS
SELECT privacybee.create_member('Ada', 'Lovelace', '+1 (212) 555-0134') AS ada,
       privacybee.create_member('Grace', 'Hopper', '212-555-0199', 'B.') AS grace,
       privacybee.create_member('Alan', 'Turing', '+44 20 7946 0958') AS alan,
       privacybee.create_company('Analytical Engines', 'analytical-engines',
                                 ARRAY['+1 646 555 0100'], NULL, 'https://example.com') AS engines,
       -- Beth's employer in README's rich-contacts examples (company_external_id "initech")
       privacybee.create_company('Initech', 'initech', ARRAY['+1 512 555 0100'], NULL,
                                 'https://initech.example', 'initech') AS initech;

SELECT privacybee.add_employee(engines, ada), privacybee.add_employee(engines, grace)
  FROM demo_ids;

-- Ada gets the first Buzz number (+1 202 555 0100), as her first heartbeat would.
SELECT privacybee.assign_buzz_number(ada) FROM demo_ids;

SELECT privacybee.sync_contacts(ada, '[
  {"external_id": "demo-1", "display_name": "Grace Hopper", "birthday": "1906-12-09",
   "emails": ["grace@example.com"], "phone_numbers": ["212-555-0199"], "labels": ["Coworker"]},
  {"external_id": "demo-2", "display_name": "Beth M.", "labels": ["Client"],
   "details": {"name": {"given": "Beth", "family": "Miller"},
               "emails": [{"type": "work", "value": "bethm@example.com"}],
               "phone_numbers": [{"type": "mobile", "value": "+1 238 555 1629"}],
               "addresses": [{"type": "work", "street": "123 Peachtree St", "city": "Atlanta",
                              "region": "GA", "postal_code": "30303", "country": "US"}],
               "birthday": {"month": 11, "day": 24},
               "organizations": [{"name": "Initech", "title": "Engineer"}],
               "notes": "Met at the Atlanta conference"}},
  {"external_id": "demo-3", "display_name": "Charles Babbage", "phone_numbers": ["+44 20 7946 0000"]}
]'::jsonb)
  FROM demo_ids;

-- as Alan's app asks (the route's function: on one database and through the sharded
-- layout's proxy alike)
SELECT privacybee.api_trust_request_create(privacybee.issue_token(alan, '{contacts:write}', '1 minute'),
           NULL, '{}', pg_catalog.jsonb_build_object('user_id', ada,
                                                     'contact_reason', 'We met at the Royal Society'),
           NULL)
  FROM demo_ids;
