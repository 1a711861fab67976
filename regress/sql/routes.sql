-- The route registry (api/routes) in SQL: every route function checks exactly the scope
-- the registry gives it, through route_scope(), and names no scope itself; the scopes and
-- who may hold them are the registry's (scope_holder).

-- every api_* function but api_check_token is a route function of the registry
SELECT p.proname AS not_in_the_registry
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'privacybee'::regnamespace AND p.proname LIKE 'api\_%'
   AND p.proname <> 'api_check_token' AND privacybee.route_scope(p.proname) IS NULL;

-- each SQL or PL/pgSQL route function authenticates with route_scope('<its own name>'),
-- once (a WebDAV route through dav_member(), which also checks the Basic user name), and
-- writes no scope literally; a route function that takes no token (scope '-') reads none
SELECT p.proname AS checks_another_scope
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'privacybee'::regnamespace AND p.proname LIKE 'api\_%'
   AND p.proname <> 'api_check_token' AND l.lanname IN ('sql', 'plpgsql')
   AND (CASE WHEN privacybee.route_scope(p.proname) = '-' THEN p.prosrc ~ 'token'
        ELSE (SELECT pg_catalog.count(*) FROM pg_catalog.regexp_matches(p.prosrc,
             'privacybee\.(authenticate(_member)?|dav_member)\(token, privacybee\.route_scope\(''' || p.proname || '''\)[,)]', 'g')) <> 1
        END
        OR p.prosrc ~ '''(contacts:read|contacts:write|buzz|buzz:lookup)''');

-- the route functions written in C: their scope comes from route_scopes.h, generated
-- from the registry too (test_routing_auth.py checks every route's scope over HTTP)
SELECT p.proname, p.prosrc AS c_symbol
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'privacybee'::regnamespace AND p.proname LIKE 'api\_%' AND l.lanname = 'c'
 ORDER BY 1;

SELECT s AS scope, privacybee.scope_holder(s) AS holder
  FROM pg_catalog.unnest('{contacts:read,contacts:write,buzz,buzz:lookup,admin}'::text[]) AS s;
SELECT privacybee.route_scope('api_contacts_list'), privacybee.route_scope('api_trust_lookup'),
       privacybee.route_scope('no_such_function') IS NULL AS unknown_is_null;
