-- Least privilege: the API role runs the route functions and reads nothing itself, and
-- objects planted to shadow built-ins (in public, in pg_temp) change no result, since
-- every SECURITY DEFINER function pins search_path = pg_catalog, pg_temp. Behind the
-- functions, row-level security confines them to the authenticated member's rows.
\set SHOW_CONTEXT never
CREATE ROLE regress_api LOGIN;
SELECT privacybee.grant_api('regress_api');
SELECT privacybee.create_member('Lea', 'Privilege', '+1 415 555 0170') AS lea \gset
SELECT privacybee.issue_token(:lea, '{contacts:read,contacts:write}') AS tok \gset
SELECT cardinality(privacybee.sync_contacts(:lea, '[{"display_name": "Shadowed", "phone_numbers": ["415 555 0171"]}]'));
SELECT body AS before FROM privacybee.api_contacts_list(:'tok', '', '{"include": "phone_numbers"}', NULL, NULL) \gset
SELECT id AS cid FROM privacybee.contacts WHERE user_id = :lea \gset

SET ROLE regress_api;
-- no table, sequence or helper is reachable directly (the planner meets the row
-- security policy's rls_member() first, and that is denied too)
SELECT count(*) FROM privacybee.contacts;
SELECT count(*) FROM privacybee.tokens;
SELECT privacybee.sync_contacts(1, '[]');
SELECT privacybee.issue_token(1, '{contacts:read}');
-- the route functions run, authenticating the token themselves
SELECT status FROM privacybee.api_contacts_list(:'tok', '', '{}', NULL, NULL);
SELECT status FROM privacybee.api_contacts_list('pb_unknown', '', '{}', NULL, NULL);
RESET ROLE;

-- plant look-alikes of built-ins and of our tables where a careless search_path looks
CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE sql AS $$ SELECT 'planted' $$;
CREATE FUNCTION public.planted_eq(bigint, bigint) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR public.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.planted_eq);
CREATE FUNCTION public.to_char(timestamp, text) RETURNS text LANGUAGE sql AS $$ SELECT 'planted' $$;
CREATE TEMP TABLE contacts (user_id bigint, id bigint, display_name text);
INSERT INTO contacts VALUES (:lea, 1, 'planted');
GRANT USAGE ON SCHEMA public TO regress_api;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO regress_api;

SET ROLE regress_api;
SET search_path = public, pg_temp, pg_catalog;
SELECT body = :'before' AS listing_unchanged
  FROM privacybee.api_contacts_list(:'tok', '', '{"include": "phone_numbers"}', NULL, NULL);
SELECT status, body::jsonb ->> 'display_name' AS display_name, body::jsonb -> 'phone' AS phone,
       body::jsonb ->> 'created' LIKE '____-__-__T__:__:__.______Z' AS timestamp_format
  FROM privacybee.api_contact_get(:'tok', :'cid', '{}', NULL, NULL);
RESET search_path;
RESET ROLE;

-- every SECURITY DEFINER function of the extension pins its search_path
SELECT p.oid::regprocedure AS unpinned
  FROM pg_proc p
 WHERE p.pronamespace = 'privacybee'::regnamespace AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c = 'search_path=pg_catalog, pg_temp');
-- and nothing of the extension is executable by PUBLIC
SELECT p.oid::regprocedure AS public_executable
  FROM pg_proc p
 WHERE p.pronamespace = 'privacybee'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE');

-- row-level security, the second wall: the route functions run as privacybee_member, and
-- that role sees only the rows of the member the transaction authenticated
SELECT privacybee.create_member('Max', 'Other', '+1 415 555 0180') AS max \gset
SELECT cardinality(privacybee.sync_contacts(:max, '[{"display_name": "Max''s", "phone_numbers": ["415 555 0181"]}]'));
SET privacybee.member_id = :lea;
SET ROLE privacybee_member;
SELECT user_id = :lea AS own, count(*) FROM privacybee.contacts GROUP BY 1;
SELECT count(*) AS others_phones FROM privacybee.contact_phones WHERE user_id = :max;
UPDATE privacybee.contacts SET display_name = 'taken' WHERE user_id = :max;
DELETE FROM privacybee.contact_phones WHERE user_id = :max;
INSERT INTO privacybee.contacts (user_id, display_name) VALUES (:max, 'planted');
INSERT INTO privacybee.trust_edges (user_id, target_type, target_id, trusted) VALUES (:max, 'person', :lea, true);
SELECT count(*) AS tokens_seen FROM privacybee.tokens;
RESET ROLE;
RESET privacybee.member_id;
SET ROLE privacybee_member;
SELECT count(*) AS without_a_member FROM privacybee.contacts;
RESET ROLE;
SELECT count(*) AS max_contacts_intact FROM privacybee.contacts WHERE user_id = :max AND display_name = 'Max''s';
SELECT count(*) AS max_phones_intact FROM privacybee.contact_phones WHERE user_id = :max;
-- a session cannot claim a member: the setting is for superusers, moved by authenticate()
SET ROLE regress_api;
SET privacybee.member_id = 1;
RESET ROLE;
-- every table a member owns has row security forced; the rest is shared reference data
SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity AS forced
  FROM pg_class c
 WHERE c.relnamespace = 'privacybee'::regnamespace AND c.relkind = 'r'
 ORDER BY 2, 1;
-- SECURITY DEFINER functions belong to the two unprivileged roles, never to a superuser;
-- privacybee_system, which crosses members, owns only the few that must
SELECT r.rolname, r.rolsuper, r.rolbypassrls, count(*)
  FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
 WHERE p.pronamespace = 'privacybee'::regnamespace AND p.prosecdef
 GROUP BY 1, 2, 3 ORDER BY 1;
SELECT p.oid::regprocedure AS crosses_members
  FROM pg_proc p
 WHERE p.pronamespace = 'privacybee'::regnamespace AND p.proowner = 'privacybee_system'::regrole
 ORDER BY 1::text;

DROP OPERATOR public.= (bigint, bigint);
DROP FUNCTION public.planted_eq(bigint, bigint), public.lower(text), public.to_char(timestamp, text);
REVOKE ALL ON SCHEMA public FROM regress_api;
DROP OWNED BY regress_api;
DROP ROLE regress_api;
