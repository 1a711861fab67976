-- The API's one JSON spelling, compact (extension/response.c): whatever wrote a body —
-- json_build_object ("k" : v), jsonb ("k": v), a C renderer — response() writes it without
-- white space outside strings; what is inside strings stays exactly as it was.
SELECT privacybee.json_compact('{"a" : 1, "b" : [1, 2, {"c" : "x y"}]}');
SELECT privacybee.json_compact(E'{\n\t"a": "s p a c e s",\r\n "q": "a \\" quote : , ", "b": "\\\\" , "c" : 1}');
SELECT privacybee.json_compact('{"compact":true,"n":[1,2]}');
SELECT privacybee.json_compact(pg_catalog.json_build_object('k', 'v w', 'n', pg_catalog.json_build_array(1, 2))::text);
SELECT privacybee.json_compact(pg_catalog.jsonb_build_object('k', 'v w', 'n', 1)::text);
SELECT privacybee.json_compact('  [ "é  日本 語" , "\u00e9 " ]  ');
-- the same JSON value, for bodies of every shape the routes write
SELECT bool_and(privacybee.json_compact(j)::jsonb = j::jsonb) AS same_value
  FROM (VALUES ('{"a" : {"b" : [true, false, null, 1.5e3, -2]}}'),
               ('[{"id" : 1, "name" : "a \"b\" c : d"}, {"id" : 2}]'),
               ('"just a string"'), ('12'), ('[ ]'), ('{ }')) AS v(j);
-- response(): status and headers as given, the body compacted, NULL kept NULL
SELECT * FROM privacybee.response(200, '{"a" : [1, 2]}', 'ETag: "v1"');
SELECT * FROM privacybee.response(204, NULL);
