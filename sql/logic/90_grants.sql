-- Privileges: nothing is open to PUBLIC. The role privacybee-fcgi connects as gets only
-- USAGE on the schema and EXECUTE on the api_* functions (SECURITY DEFINER, so it needs
-- no table privilege): call privacybee.grant_api('that_role').

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA privacybee FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA privacybee FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA privacybee FROM PUBLIC;

CREATE OR REPLACE FUNCTION privacybee.grant_api(role_name name)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    f regprocedure;
BEGIN
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA privacybee TO %I', role_name);
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'privacybee'::regnamespace
                AND p.proname LIKE 'api\_%' LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', f, role_name);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION privacybee.grant_api(name) FROM PUBLIC;
COMMENT ON FUNCTION privacybee.grant_api(name) IS
    'grants a role what privacybee-fcgi needs: EXECUTE on the api_* functions, nothing else';

-- An update may drop and re-create route functions (a changed signature) or add new
-- ones; a role that grant_api() gave the API keeps it, for every route function there
-- now is. Such a role is known by its EXECUTE on api_check_token(), whose signature never
-- changes. Nothing to do on a fresh install.
DO $$
DECLARE
    r name;
BEGIN
    FOR r IN SELECT DISTINCT a.grantee::regrole::name
               FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) AS a
              WHERE p.oid = 'privacybee.api_check_token(text, text)'::regprocedure
                AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0
                AND a.grantee <> p.proowner
                AND a.grantee::regrole::name NOT IN ('privacybee_member', 'privacybee_system') LOOP
        PERFORM privacybee.grant_api(r);
    END LOOP;
END
$$;
