"""Hostile bytes, everywhere a request can carry them, on every route: the answer is
never 500 and, for every error, the SPEC's JSON body. The routes come from fcgi/routes.c
(harness.route_table), so a new route is swept without a line here. Each hostile value
goes, one at a time, into every request header privacybee-fcgi reads (and a few it does
not), into a query parameter's name and value (raw and percent-encoded), into a form
body's name and value, and into a JSON body; the rest of the request is valid, so the
value reaches as far as the service lets it."""
import hashlib
import hmac
import base64

from harness import (PROVIDER_SECRET, URL, ApiTest, member, own_error_statuses, raw_request, route_table,
                     service_token)

HOSTILE = {
    "invalid byte": b"\xff",
    "sequence cut short": b"a\xc3",
    "overlong": b"\xc0\xaf",
    "surrogate": b"\xed\xa0\x80",
    "beyond U+10FFFF": b"\xf4\x90\x80\x80",
    "control bytes": b"\x01\x1b\x7f",
    "byte order mark": b"\xef\xbb\xbf",
    "4000 bytes of two-byte characters": "\u00e9".encode() * 2000,
    "quotes and escapes": b"\"\\'\\u0000%00<>{}",
}
HEADERS = ["Authorization", "If-Match", "If-None-Match", "Content-Type", "X-Twilio-Signature",
           "Host", "Accept", "Cookie", "X-Forwarded-For"]


def pct(b):
    return "".join("%%%02X" % c for c in b).encode()


class TestHostileInput(ApiTest):
    @classmethod
    def setUpClass(cls):
        cls.uid, cls.token = member()
        cls.service = service_token()

    def token_for(self, method, scope):
        if scope == "buzz:lookup":
            return self.service
        if method == "DELETE":
            return member()[1]  # the delete limit (burst 5) is per token
        return self.token

    def send(self, method, pattern, scope, body_kind, query=b"", headers=None, body=None,
             ctype=None):
        """One request as raw bytes; signed as the provider signs when the route wants it."""
        path = pattern.replace("{id}", str(self.uid)).encode()
        h = {b"Host": f"{URL.hostname}:{URL.port}".encode(),
             b"Authorization": b"Bearer " + self.token_for(method, scope).encode()}
        if body is not None:
            h[b"Content-Type"] = ctype or b"application/json"
        if body is not None and ctype is None and scope == "buzz:lookup":
            query += (b"&" if query else b"") + b"bodySHA256=" + hashlib.sha256(body).hexdigest().encode()
        target = path + (b"?" + query if query else b"")
        if scope == "buzz:lookup" and PROVIDER_SECRET:
            text = b"http://" + h[b"Host"] + target
            if ctype == b"application/x-www-form-urlencoded":
                text += b"".join(sorted(p.replace(b"=", b"", 1) if b"=" in p else p
                                        for p in body.split(b"&")))
            h[b"X-Twilio-Signature"] = base64.b64encode(
                hmac.new(PROVIDER_SECRET, text, hashlib.sha1).digest())
        h.update(headers or {})
        lines = [method.encode() + b" " + target + b" HTTP/1.1"]
        lines += [k + b": " + v for k, v in h.items()]
        lines += [b"Content-Length: %d" % len(body or b""), b"Connection: close", b"", b""]
        return raw_request(b"\r\n".join(lines) + (body or b""), head=method == "HEAD")

    def assertNever500(self, r, what, head=False, own_errors=()):
        """own_errors: the statuses whose error body the route names itself in the registry
        (OAuth 2.0's, RFC 6749 §5.2: {"error": "<code>", ...}); the OpenAPI check has
        validated that shape already."""
        self.assertLess(r.status, 500, (what, r))
        if head:
            self.assertEqual(r.raw, "", (what, r))
        elif r.status >= 400:
            self.assertIsNotNone(r.json, (what, r))
            if r.status in own_errors and isinstance(r.json.get("error"), str):
                return
            self.assertEqual(r.json["error"]["code"], str(r.status), (what, r))

    def sweep(self, cases):
        """cases(method, pattern, scope, body kind) → {name: kwargs of send}, on every route."""
        own = own_error_statuses()
        for method, pattern, _, scope, body_kind in route_table():
            methods = [method] + (["HEAD"] if method == "GET" else [])
            for m in methods:
                for name, kwargs in cases(m, pattern, scope, body_kind).items():
                    with self.subTest(route=f"{m} {pattern}", case=name):
                        self.assertNever500(self.send(m, pattern, scope, body_kind, **kwargs), name,
                                            head=m == "HEAD", own_errors=own[method, pattern])

    def test_hostile_header_values_on_every_route(self):
        def cases(method, pattern, scope, body_kind):
            out = {}
            for header in HEADERS:
                for name, value in HOSTILE.items():
                    out[f"{header}: {name}"] = {"headers": {header.encode(): value}}
            for name, value in HOSTILE.items():
                out[f"Authorization: Bearer + {name}"] = {"headers": {b"Authorization": b"Bearer " + value}}
                out[f"Authorization: {name} + Bearer"] = {"headers": {b"Authorization": value + b" Bearer x"}}
            return out
        self.sweep(cases)

    def test_hostile_query_parameters_on_every_route(self):
        def cases(method, pattern, scope, body_kind):
            out = {}
            for name, value in HOSTILE.items():
                out[f"name, encoded: {name}"] = {"query": pct(value) + b"=1"}
                out[f"value, encoded: {name}"] = {"query": b"include=" + pct(value)}
                if b"\x00" not in value and b" " not in value:
                    out[f"name, raw: {name}"] = {"query": value.replace(b"%", b"") + b"=1"}
                    out[f"value, raw: {name}"] = {"query": b"q=" + value.replace(b"%", b"")}
            # a repeated name whose first 64 bytes end inside a character
            long_name = pct(b"a" * 63 + "\u00e9".encode())
            out["repeated name cut inside a character"] = {"query": long_name + b"=1&" + long_name + b"=2"}
            out["NUL in a name"] = {"query": b"a%00b=1"}
            out["half a percent escape"] = {"query": b"a=%e"}
            return out
        self.sweep(cases)

    def test_hostile_bodies_on_every_route(self):
        def cases(method, pattern, scope, body_kind):
            out = {}
            for name, value in HOSTILE.items():
                out[f"in a JSON string: {name}"] = {"body": b'{"display_name": "' + value + b'"}'}
                out[f"as a JSON key: {name}"] = {"body": b'[{"' + value + b'": 1}]'}
                out[f"the whole body: {name}"] = {"body": value}
                out[f"byte order mark, then: {name}"] = {"body": b"\xef\xbb\xbf" + value}
                form = b"application/x-www-form-urlencoded"
                out[f"form name: {name}"] = {"body": pct(value) + b"=1", "ctype": form}
                out[f"form value: {name}"] = {"body": b"To=" + pct(value), "ctype": form}
                out[f"Content-Type: {name}"] = {"body": b"{}", "ctype": value}
            long_name = pct(b"a" * 63 + "\u00e9".encode())
            out["form: repeated name cut inside a character"] = {
                "body": long_name + b"=1&" + long_name + b"=2",
                "ctype": b"application/x-www-form-urlencoded"}
            return out
        self.sweep(cases)
