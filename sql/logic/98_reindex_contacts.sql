-- Search documents (contact_documents) for the contacts that have none: after an update
-- from 0.1.0 (sql/upgrade/0.1.0--0.2.0/40_rich_contacts.sql moves the contacts without
-- computing them, as the functions that compute them are defined in sql/logic/ only).
-- Every write computes its contacts' documents itself, so on a fresh install, and on any
-- later update, there is none to compute.
SELECT privacybee.contacts_reindex(c.user_id, pg_catalog.array_agg(c.id))
  FROM privacybee.contacts c
 WHERE NOT EXISTS (SELECT 1 FROM privacybee.contact_documents d
                    WHERE d.user_id = c.user_id AND d.contact_id = c.id)
 GROUP BY c.user_id;
