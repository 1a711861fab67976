-- Least privilege: the API role runs the route functions and reads nothing itself, and
-- objects planted to shadow built-ins (in public, in pg_temp) change no result, since
-- every SECURITY DEFINER function pins search_path = pg_catalog, pg_temp.
\set SHOW_CONTEXT never
CREATE ROLE regress_api LOGIN;
SELECT privacybee.grant_api('regress_api');
SELECT privacybee.create_member('Lea', 'Privilege', '+1 415 555 0170') AS lea \gset
SELECT privacybee.issue_token(:lea, '{contacts:read,contacts:write}') AS tok \gset
SELECT cardinality(privacybee.sync_contacts(:lea, '[{"display_name": "Shadowed", "phone_numbers": ["415 555 0171"]}]'));
SELECT body AS before FROM privacybee.api_contacts_list(:'tok', '', '{"include": "phone_numbers"}', NULL, NULL) \gset
SELECT id AS cid FROM privacybee.contacts WHERE user_id = :lea \gset

SET ROLE regress_api;
-- no table, sequence or helper is reachable directly
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
       body::jsonb ->> 'created' LIKE '____-__-__T__:__:__Z' AS timestamp_format
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

DROP OPERATOR public.= (bigint, bigint);
DROP FUNCTION public.planted_eq(bigint, bigint), public.lower(text), public.to_char(timestamp, text);
REVOKE ALL ON SCHEMA public FROM regress_api;
DROP OWNED BY regress_api;
DROP ROLE regress_api;
