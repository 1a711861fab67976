"""GET /openapi.json: the OpenAPI 3.1 document of every route of the registry (api/routes),
served without a token; and the checker through which every response of every suite
passes (harness.OpenApi), shown to refuse what the document does not describe.
A standard OpenAPI 3.1 validator accepts the document: run-tests.sh runs it (regress/openapi)."""
import json
import os
import sys

from harness import TOP, ApiTest, OpenApi, Response, member, openapi, registry_routes

sys.path.insert(0, os.path.join(TOP, "api"))
import generate  # noqa: E402


class TestOpenApiDocument(ApiTest):
    def test_served_without_a_token_as_compact_json(self):
        r = self.req("GET", "/openapi.json")
        self.assertStatus(r, 200)
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(r.json["openapi"], "3.1.0")
        self.assertEqual(r.raw, json.dumps(r.json, separators=(",", ":"), ensure_ascii=False))

    def test_is_the_document_the_generator_builds_from_the_registry(self):
        with open(os.path.join(TOP, "api", "components.json")) as f:
            built = generate.openapi(registry_routes(), json.load(f))
        self.assertEqual(self.req("GET", "/openapi.json").json, built)

    def test_every_route_is_an_operation_with_its_scope_and_function(self):
        doc = self.req("GET", "/openapi.json").json
        # every route but the WebDAV ones (PROPFIND and REPORT are no OpenAPI methods)
        routes = [r for r in registry_routes() if not r.dav]
        self.assertTrue(all(not p.startswith(("/dav/", "/.well-known/")) for p in doc["paths"]))
        operations = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
        self.assertEqual(operations, {(r.method, r.path) for r in routes})
        for r in routes:
            with self.subTest(f"{r.method} {r.path}"):
                op = doc["paths"][r.path][r.method.lower()]
                self.assertEqual(op["security"], [{"bearer": [r.scope]}] if r.scope else [])
                self.assertEqual(op["x-privacybee-function"], r.function or r.builtin)
                for status in r.responses:
                    self.assertIn(str(status), op["responses"])
                if r.scope:
                    self.assertIn("401", op["responses"])
                    self.assertIn("403", op["responses"])

    def test_head_answers_as_get_and_other_methods_are_405(self):
        get = self.req("GET", "/openapi.json")
        head = self.req("HEAD", "/openapi.json")
        self.assertStatus(head, 200)
        self.assertEqual(head.raw, "")
        self.assertEqual(head.header("Content-Length"), get.header("Content-Length"))
        r = self.req("POST", "/openapi.json", body={})
        self.assertError(r, 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD")

    def test_a_token_changes_nothing(self):
        _, token = member()
        self.assertEqual(self.req("GET", "/openapi.json", "not-a-token").raw,
                         self.req("GET", "/openapi.json", token).raw)


class TestResponseChecker(ApiTest):
    """The checker every suite's responses pass through refuses what the document does not say."""

    def setUp(self):
        super().setUp()
        self.checker = OpenApi(openapi().doc)

    def response(self, status, body, ctype="application/json"):
        return Response(status, {"content-type": ctype} if ctype else {}, body)

    @staticmethod
    def compact(value):
        return json.dumps(value, separators=(",", ":"))

    def test_a_body_against_its_schema_is_refused(self):
        with self.assertRaisesRegex(AssertionError, "required property"):
            self.checker.check("GET", "/contacts/1", self.response(200, '{"id":1}'))

    def test_a_wrong_type_deep_inside_is_refused(self):
        good = {"trusted": True, "user_id": 7}
        self.checker.check("GET", "/apps/buzz/trust-lookup?number=1", self.response(200, self.compact(good)))
        with self.assertRaisesRegex(AssertionError, "user_id"):
            self.checker.check("GET", "/apps/buzz/trust-lookup", self.response(200, self.compact(
                good | {"user_id": "7"})))

    def test_a_status_the_document_does_not_give_the_route_is_refused(self):
        with self.assertRaisesRegex(AssertionError, "status not in the OpenAPI document"):
            self.checker.check("GET", "/contacts", self.response(404, '{"error":{"code":"404","message":"x"}}'))

    def test_an_error_without_the_error_body_is_refused(self):
        with self.assertRaises(AssertionError):
            self.checker.check("GET", "/contacts", self.response(401, '{"message":"no"}'))
        with self.assertRaises(AssertionError):
            self.checker.check("GET", "/nowhere", self.response(404, "<html>404</html>", "text/html"))

    def test_a_401_without_its_bearer_challenge_is_refused(self):
        error = '{"error":{"code":"401","message":"no"}}'
        with self.assertRaisesRegex(AssertionError, "requires"):
            self.checker.check("GET", "/contacts", self.response(401, error))
        challenged = Response(401, {"content-type": "application/json",
                                    "www-authenticate": 'Basic realm="privacybee"'}, error)
        with self.assertRaisesRegex(AssertionError, "not what the document says"):
            self.checker.check("GET", "/contacts", challenged)
        challenged.headers["www-authenticate"] = 'Bearer realm="privacybee", error="invalid_token"'
        self.checker.check("GET", "/contacts", challenged)

    def test_a_success_for_no_route_is_refused(self):
        with self.assertRaisesRegex(AssertionError, "no operation"):
            self.checker.check("GET", "/nowhere", self.response(200, "[]"))

    def test_a_body_on_head_or_304_is_refused(self):
        with self.assertRaisesRegex(AssertionError, "body where none"):
            self.checker.check("HEAD", "/contacts", self.response(200, "[]"))
        with self.assertRaisesRegex(AssertionError, "body where none"):
            self.checker.check("GET", "/contacts/1", self.response(304, "{}"))

    def test_json_that_is_not_compact_is_refused(self):
        body = {"trusted": False, "user_id": None}
        self.checker.check("GET", "/apps/buzz/trust-lookup", self.response(200, self.compact(body)))
        with self.assertRaisesRegex(AssertionError, "compact"):
            self.checker.check("GET", "/apps/buzz/trust-lookup", self.response(200, json.dumps(body)))
        # white space inside strings is content
        self.checker.check("GET", "/nowhere", self.response(
            404, '{"error":{"code":"404","message":"no such route, \\" here"}}'))
