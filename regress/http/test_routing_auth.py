"""Routing, authentication and request checks, in the SPEC §2 order:
404 / 405 before 401 / 403, before 400 / 413 / 415, before the object."""
import json
import re
import secrets

from harness import USER_SCOPES, ApiTest, buzz_number_for, fresh_phone, member, multipart, route_table, service_token, sql


class TestRouting(ApiTest):
    def test_unknown_path_is_404_without_authentication(self):
        self.assertError(self.req("GET", "/nope"), 404)

    def test_non_numeric_id_is_an_unknown_path(self):
        _, token = member()
        self.assertError(self.req("GET", "/contacts/abc", token), 404)

    def test_wrong_method_is_405_with_allow_before_authentication(self):
        r = self.req("PUT", "/contacts")
        self.assertError(r, 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD")

    def test_allow_lists_every_method_of_the_path(self):
        r = self.req("POST", "/contacts/12")
        self.assertError(r, 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD, PUT, PATCH, DELETE")

    def test_allow_lists_head_wherever_get_is_allowed(self):
        paths = {}
        for method, pattern, *_ in route_table():
            paths.setdefault(pattern.replace("{id}", "12"), set()).add(method)
        for path, methods in paths.items():
            with self.subTest(path):
                r = self.req("OPTIONS", path)
                self.assertError(r, 405)
                allowed = r.header("Allow").split(", ")
                self.assertEqual("HEAD" in allowed, "GET" in methods, r.header("Allow"))


class TestScopes(ApiTest):
    """Each route demands exactly the scope the registry gives it (api/routes), whether its
    function is SQL or C: a token with every other scope is 403, one with only that scope
    gets past authentication."""

    def test_every_route_demands_exactly_its_registry_scope(self):
        uid, _ = member()
        for method, pattern, _, scope, _ in route_table():
            if scope is None:
                continue
            path = pattern.replace("{id}", str(uid))
            if scope == "buzz:lookup":
                path += "?number_code=1&number=2025550100&inbound_code=1&inbound=2125550199"
                without = sql("SELECT privacybee.issue_token(%s, %s)", uid, USER_SCOPES)[0][0]
                only = service_token()
            else:
                without = sql("SELECT privacybee.issue_token(%s, %s)", uid,
                              [s for s in USER_SCOPES if s != scope])[0][0]
                only = sql("SELECT privacybee.issue_token(%s, %s)", uid, [scope])[0][0]
            with self.subTest(f"{method} {pattern} needs {scope}"):
                self.assertError(self.req(method, path, without), 403)
                self.assertNotIn(self.req(method, path, only).status, (401, 403))


class TestHead(ApiTest):
    """HEAD works wherever GET does: the same status and headers, no body (RFC 9110 §9.3.2)."""

    def test_head_answers_as_get_on_every_get_route(self):
        uid, token = member()
        service = service_token()
        contact = self.req("POST", "/contacts/sync", token, body=[{"display_name": "H"}]).json[0]["id"]
        for method, pattern, _, scope, _ in route_table():
            if method != "GET":
                continue
            path = pattern.replace("{id}", str(uid if "employees" in pattern else contact))
            if "lookup" in pattern:
                path += "?number_code=1&number=2025550100&inbound_code=1&inbound=2125550199"
            who = service if scope == "buzz:lookup" else token
            with self.subTest(pattern):
                get = self.req("GET", path, who)
                head = self.req("HEAD", path, who)
                self.assertEqual(head.status, get.status, head)
                self.assertEqual(head.raw, "")
                for name in set(get.headers) - {"date"}:
                    if name == "content-length" and re.search(r"heartbeat|blocked", pattern):
                        continue  # answers that carry the time of the request
                    self.assertEqual(head.header(name), get.header(name), name)

    def test_head_first_answers_as_get_and_writes_nothing_on_every_get_route(self):
        # HEAD runs read-only (fcgi/db.c): a route function that wrote on its first GET
        # (a number assigned, a call logged) would fail there, so HEAD before any GET, on
        # a member with nothing yet, must answer GET's status
        sql("SELECT privacybee.add_buzz_numbers(%s)", [fresh_phone()])   # heartbeat's to assign
        for method, pattern, _, scope, _ in route_table():
            if method != "GET":
                continue
            uid, token = member(phone=fresh_phone())
            contact = self.req("POST", "/contacts/sync", token, body=[{"display_name": "H"}]).json[0]["id"]
            path = pattern.replace("{id}", str(uid if "employees" in pattern else contact))
            if "lookup" in pattern:
                path += "?number_code=1&number=2025550100&inbound_code=1&inbound=2125550199"
            who = service_token() if scope == "buzz:lookup" else token
            with self.subTest(pattern):
                head = self.req("HEAD", path, who)
                get = self.req("GET", path, who)
                self.assertEqual(head.status, get.status, head)

    def test_head_of_trust_lookup_logs_no_blocked_call(self):
        uid, _ = member(phone=fresh_phone())
        buzz = fresh_phone()
        sql("SELECT privacybee.add_buzz_numbers(%s)", [buzz])
        sql("UPDATE privacybee.buzz_numbers SET user_id = %s WHERE e164 = %s", uid, buzz)
        service = service_token()
        for route in ("trust-lookup", "call-lookup"):
            path = (f"/apps/buzz/{route}?number_code=1&number={buzz[2:]}&inbound_code=1"
                    f"&inbound={fresh_phone()[2:]}&call_sid=CA{route}")
            with self.subTest(route):
                head = self.req("HEAD", path, service)
                self.assertStatus(head, 200)
                self.assertEqual(sql("SELECT count(*) FROM privacybee.blocked_calls WHERE user_id = %s",
                                     uid)[0][0], 0)
        get = self.req("GET", path.replace("call-lookup", "trust-lookup"), service)
        self.assertEqual(get.json, {"trusted": False, "user_id": uid})
        self.assertEqual(sql("SELECT count(*) FROM privacybee.blocked_calls WHERE user_id = %s", uid)[0][0], 1)

    def test_head_of_heartbeat_assigns_no_number(self):
        uid, token = member()
        # a free number the member's shard hands out (its part of the pool, docs/sharding.md)
        sql("SELECT privacybee.add_buzz_numbers(%s)", [buzz_number_for(uid)])
        head = self.req("HEAD", "/apps/buzz/heartbeat", token)
        self.assertStatus(head, 200)
        self.assertEqual(sql("SELECT count(*) FROM privacybee.buzz_numbers WHERE user_id = %s", uid)[0][0], 0)
        self.assertRegex(self.req("GET", "/apps/buzz/heartbeat", token).json["buzz_number"], r"^\+\d+$")
        self.assertEqual(sql("SELECT count(*) FROM privacybee.buzz_numbers WHERE user_id = %s", uid)[0][0], 1)

    def test_head_of_an_error_is_the_error_without_body(self):
        r = self.req("HEAD", "/contacts")
        self.assertStatus(r, 401)
        self.assertEqual(r.raw, "")
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertGreater(int(r.header("Content-Length")), 0)
        r = self.req("HEAD", "/contacts/sync")
        self.assertStatus(r, 405)
        self.assertEqual(r.header("Allow"), "POST")

    def test_literal_segment_wins_over_id(self):
        _, token = member()
        r = self.req("GET", "/contacts/requests", token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, [])


class TestAuthentication(ApiTest):
    def test_missing_token_is_401(self):
        self.assertError(self.req("GET", "/contacts"), 401)

    def test_unknown_token_is_401(self):
        self.assertError(self.req("GET", "/contacts", "pb_" + "0" * 64), 401)

    def test_malformed_authorization_header_is_401(self):
        _, token = member()
        r = self.req("GET", "/contacts", headers={"Authorization": f"Basic {token}"})
        self.assertError(r, 401)

    def test_expired_token_is_401(self):
        uid, _ = member()
        token = sql("SELECT privacybee.issue_token(%s, %s, '1 second')", uid,
                    ["contacts:read"])[0][0]
        sql("UPDATE privacybee.tokens SET expires_at = now() - interval '1 minute' "
            "WHERE user_id = %s", uid)
        self.assertError(self.req("GET", "/contacts", token), 401)

    def test_revoked_token_is_401(self):
        _, token = member()
        self.assertTrue(sql("SELECT privacybee.revoke_token(%s)", token)[0][0])
        self.assertError(self.req("GET", "/contacts", token), 401)

    def test_token_without_the_scope_is_403(self):
        _, token = member(scopes=["contacts:read"])
        self.assertError(self.req("POST", "/contacts/sync", token, body=[]), 403)

    def test_service_token_is_not_a_member(self):
        self.assertError(self.req("GET", "/contacts", service_token()), 403)

    def test_every_bearer_route_challenges_a_401_with_bearer(self):
        """RFC 6750 section 3 / RFC 9110 section 11.6.1: every 401 of a bearer route says
        how to authenticate, and error="invalid_token" only when a token came and failed.
        Each refused token is used once, so that no token's rate bucket runs dry."""
        uid, _ = member()
        bare = 'Bearer realm="privacybee"'
        invalid = 'Bearer realm="privacybee", error="invalid_token"'
        for method, pattern, _, scope, _ in route_table():
            if scope is None:
                continue
            path = pattern.replace("{id}", str(uid))
            revoked = sql("SELECT privacybee.issue_token(%s, %s)", uid, USER_SCOPES)[0][0]
            self.assertTrue(sql("SELECT privacybee.revoke_token(%s)", revoked)[0][0])
            with self.subTest(f"{method} {pattern}"):
                r = self.req(method, path)
                self.assertError(r, 401)
                self.assertEqual(r.header("WWW-Authenticate"), bare)
                for bad in ("pb_" + secrets.token_hex(32), revoked):
                    r = self.req(method, path, bad)
                    self.assertError(r, 401)
                    self.assertEqual(r.header("WWW-Authenticate"), invalid)

    def test_token_in_query_string_is_refused(self):
        _, token = member()
        self.assertError(self.req("GET", f"/contacts?access_token={token}"), 401)


class TestRequestChecks(ApiTest):
    def test_bad_json_without_token_is_401_first(self):
        r = self.req("POST", "/contacts/sync", raw=b"[{", ctype="application/json")
        self.assertError(r, 401)

    def test_bad_json_is_400_with_position(self):
        _, token = member()
        r = self.req("POST", "/contacts/sync", token, raw=b'[{"display_name": }]',
                     ctype="application/json")
        err = self.assertError(r, 400)
        self.assertIn("line 1", err["message"])

    def test_duplicate_keys_are_400(self):
        _, token = member()
        r = self.req("POST", "/contacts/sync", token,
                     raw=b'[{"display_name": "a", "display_name": "b"}]', ctype="application/json")
        self.assertError(r, 400)

    def test_wrong_content_type_is_415(self):
        _, token = member()
        r = self.req("POST", "/contacts/sync", token, raw=b"[]", ctype="text/plain")
        self.assertError(r, 415)

    def test_a_charset_other_than_utf8_is_415_on_every_route_with_a_body(self):
        uid, token = member()
        service = service_token()
        parts, multipart_type = multipart([("a", "1")], [("f", "image/png", b"x")])
        examples = {"application/json": b"{}", "application/x-www-form-urlencoded": b"a=1",
                    multipart_type: parts}
        for method, pattern, _, scope, kind in route_table():
            if kind not in ("json", "json|form", "form", "multipart"):
                continue
            path = pattern.replace("{id}", "1")
            # a route without a scope (an OAuth client's) takes no bearer token
            who = service if scope == "buzz:lookup" else token if scope else None
            types = ([multipart_type] if kind == "multipart" else
                     (["application/json"] if "json" in kind else [])
                     + (["application/x-www-form-urlencoded"] if "form" in kind else []))
            for ctype in types:
                raw = examples[ctype]
                with self.subTest(route=f"{method} {pattern}", ctype=ctype):
                    for charset in ("latin1", "ISO-8859-1", '"utf-16"', "utf-8x"):
                        r = self.req(method, path, who, raw=raw, ctype=f"{ctype}; charset={charset}")
                        self.assertError(r, 415)
                    for charset in ("utf-8", "UTF-8", '"utf-8"'):
                        r = self.req(method, path, who, raw=raw, ctype=f"{ctype}; charset={charset}")
                        self.assertNotEqual(r.status, 415, r)

    def test_415_without_token_is_401(self):
        r = self.req("POST", "/contacts/sync", raw=b"[]", ctype="text/plain")
        self.assertError(r, 401)

    def test_body_over_one_mebibyte_is_413(self):
        _, token = member()
        big = b'[{"display_name": "' + b"a" * (1024 * 1024) + b'"}]'
        self.assertError(self.req("POST", "/contacts/sync", token, raw=big,
                                  ctype="application/json"), 413)

    def test_body_over_nginx_limit_is_413_with_a_json_body(self):
        # nginx answers this one itself (client_max_body_size), on every location
        _, token = member()
        big = b"[" + b" " * (9 * 1024 * 1024) + b"]"
        for path in ("/contacts/sync", "/contacts", "/apps/buzz/trust-lookup"):
            with self.subTest(path):
                self.assertError(self.req("POST", path, token, raw=big, ctype="application/json",
                                          sign=False), 413)

    def test_413_without_token_is_401(self):
        big = b'[' + b' ' * (1024 * 1024 + 10) + b']'
        self.assertError(self.req("POST", "/contacts/sync", raw=big,
                                  ctype="application/json"), 401)

    def test_json_deeper_than_32_is_400(self):
        _, token = member()
        deep = b"[" * 33 + b"]" * 33
        self.assertError(self.req("POST", "/contacts/sync", token, raw=deep,
                                  ctype="application/json"), 400)

    def test_json_nested_2049_deep_is_400_not_a_crash(self):
        _, token = member()
        deep = b"[" * 2049 + b"]" * 2049
        self.assertError(self.req("POST", "/contacts/sync", token, raw=deep,
                                  ctype="application/json"), 400)
        self.assertStatus(self.req("GET", "/contacts", token), 200)

    def test_nul_in_a_string_is_400(self):
        _, token = member()
        r = self.req("POST", "/contacts/sync", token, raw=b'[{"display_name": "a\\u0000b"}]',
                     ctype="application/json")
        self.assertError(r, 400)

    def test_invalid_utf8_is_400(self):
        _, token = member()
        r = self.req("POST", "/contacts/sync", token, raw=b'[{"display_name": "\xff\xfe"}]',
                     ctype="application/json")
        self.assertError(r, 400)

    def test_invalid_utf8_in_query_is_400(self):
        _, token = member()
        self.assertError(self.req("GET", "/contacts?include=%ff", token), 400)

    def test_parameter_given_twice_is_400(self):
        _, token = member()
        self.assertError(self.req("GET", "/contacts?page=1&page=2", token), 400)

    def test_a_long_repeated_name_is_cut_on_a_character_boundary(self):
        # 63 ASCII bytes and a two-byte character: the message shows 64 bytes at most
        _, token = member()
        name = "a" * 63 + "\u00e9"
        q = f"{name}=1&{name}=2".encode().decode("latin-1")
        r = self.req("GET", "/contacts?" + re.sub(r"[^\x00-\x7f]", lambda m: "%%%02X" % ord(m.group()), q), token)
        err = self.assertError(r, 400)
        self.assertIn("a" * 63, err["message"])

    def test_a_byte_order_mark_before_a_json_body_is_ignored(self):
        _, token = member()
        body = json.dumps([{"display_name": "BOM"}]).encode()
        r = self.req("POST", "/contacts/sync", token, raw=b"\xef\xbb\xbf" + body, ctype="application/json")
        self.assertStatus(r, 200)
        self.assertEqual(r.json[0]["display_name"], "BOM")
        # only one, and only at the start
        r = self.req("POST", "/contacts/sync", token, raw=b"\xef\xbb\xbf" * 2 + body, ctype="application/json")
        self.assertError(r, 400)
        r = self.req("POST", "/contacts/sync", token, raw=b" \xef\xbb\xbf" + body, ctype="application/json")
        self.assertError(r, 400)
