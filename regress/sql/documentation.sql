-- The SQL is documentation too (STYLE): every function, table, view and type of the
-- schema says what it is (COMMENT ON), and every call in a SQL or PL/pgSQL function body
-- names pg_catalog, so no function planted earlier on a caller's search_path can stand
-- in for a built-in.

SELECT kind, name AS without_a_comment FROM (
    SELECT 'function' AS kind, p.oid::regprocedure::text AS name
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'privacybee'::regnamespace
       AND pg_catalog.obj_description(p.oid, 'pg_proc') IS NULL
    UNION ALL
    SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END, c.oid::regclass::text
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'privacybee'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
       AND pg_catalog.obj_description(c.oid, 'pg_class') IS NULL
    UNION ALL
    SELECT 'type', t.oid::regtype::text
      FROM pg_catalog.pg_type t JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
     WHERE t.typnamespace = 'privacybee'::regnamespace AND c.relkind = 'c'
       AND pg_catalog.obj_description(t.oid, 'pg_type') IS NULL) AS undocumented
 ORDER BY 1, 2;

-- a built-in's name followed by "(", outside string literals and comments, with no
-- schema before it
SELECT p.proname, m[1] AS unqualified_call
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_language l ON l.oid = p.prolang AND l.lanname IN ('sql', 'plpgsql'),
       pg_catalog.regexp_matches(
           pg_catalog.regexp_replace(pg_catalog.regexp_replace(p.prosrc,
               '''([^'']|'''')*''', '''''', 'g'), '--[^\n]*', '', 'g'),
           '(?:^|[^.\w"$])([a-z_][a-z0-9_]*)\s*\(', 'g') AS m
 WHERE p.pronamespace = 'privacybee'::regnamespace
   AND EXISTS (SELECT 1 FROM pg_catalog.pg_proc b
                WHERE b.pronamespace = 'pg_catalog'::regnamespace AND b.proname = m[1])
 ORDER BY 1, 2;
