-- The route registry (api/routes) in SQL: every route function checks exactly the scope
-- the registry gives it, through route_scope(), and names no scope itself; the scopes and
-- who may hold them are the registry's (scope_holder).

-- every api_* function but api_check_token is a route function of the registry
SELECT p.proname AS not_in_the_registry
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'privacybee'::regnamespace AND p.proname LIKE 'api\_%'
   AND p.proname <> 'api_check_token'
   AND p.proname NOT IN (SELECT r.function FROM privacybee.route_functions() AS r);

-- each SQL or PL/pgSQL route function with a scope authenticates with
-- route_scope('<its own name>'), once (a Contacts+ method through cplus_auth(token,
-- '<its own name>', body), which reads the same, or the team form of it; a WebDAV route
-- through dav_member(), which also checks the Basic user name); one without (an OAuth
-- client's, or a WebDAV discovery route's) authenticates no bearer token at all; none
-- writes a scope literally
SELECT p.proname AS checks_another_scope
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
  JOIN privacybee.route_functions() AS r ON r.function = p.proname
 WHERE p.pronamespace = 'privacybee'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
   AND ((SELECT pg_catalog.count(*) FROM pg_catalog.regexp_matches(p.prosrc,
             'privacybee\.((authenticate(_member)?|dav_member)\(token, privacybee\.route_scope\(''' || p.proname || '''\)[,)]'
             || '|cplus_auth\(token, ''' || p.proname || ''', body\))', 'g'))
            <> CASE WHEN r.scope IS NULL THEN 0 ELSE 1 END
        OR (r.scope IS NULL AND p.prosrc ~ '(authenticate|dav_member)')
        OR p.prosrc ~ ('''(' || (SELECT pg_catalog.string_agg(pg_catalog.replace(s.scope, '.', '\.'), '|')
                                   FROM (SELECT DISTINCT r2.scope FROM privacybee.route_functions() AS r2
                                          WHERE r2.scope IS NOT NULL) AS s) || ')'''));
SELECT function AS without_bearer_token FROM privacybee.route_functions() WHERE scope IS NULL ORDER BY 1;

-- the route functions written in C: their scope comes from route_scopes.h, generated
-- from the registry too (test_routing_auth.py checks every route's scope over HTTP)
SELECT p.proname, p.prosrc AS c_symbol
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'privacybee'::regnamespace AND p.proname LIKE 'api\_%' AND l.lanname = 'c'
 ORDER BY 1;

SELECT s AS scope, privacybee.scope_holder(s) AS holder
  FROM pg_catalog.unnest('{contacts:read,contacts:write,buzz,buzz:lookup,oauth:authorize,account.read,contacts.read,admin}'::text[]) AS s;
SELECT privacybee.route_scope('api_contacts_list'), privacybee.route_scope('api_trust_lookup'),
       privacybee.route_scope('no_such_function') IS NULL AS unknown_is_null;
