-- Search documents (contacts.search) for the contacts that have
-- none: after an update from 0.1.0 (sql/upgrade/0.1.0--0.2.0/40_rich_contacts.sql moves
-- the contacts without computing them, as the functions that compute them are defined
-- in sql/logic/ only). Every write computes its contacts' documents itself, so on a
-- fresh install, and on any later update, there is none to compute.
SELECT privacybee.contacts_reindex(c.user_id, pg_catalog.array_agg(c.id))
  FROM privacybee.contacts c
 WHERE c.search IS NULL
 GROUP BY c.user_id;
