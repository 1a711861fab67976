"""X-Twilio-Signature on the telephony webhooks (the stack under test has a provider
auth token). The signatures here are computed independently of the C code: by Python's
hmac (HMAC-SHA1 over the full URL plus the sorted POST parameters, base64; a JSON body
travels by its SHA-256 in the URL's bodySHA256 parameter), and by the provider's own
official library (the twilio npm package, pinned in regress/twilio/package-lock.json and
installed by run-tests.sh), for what only the library defines exactly: the URL with and
without its default port, repeated parameters, the order of non-ASCII names."""
import hashlib
import json
import os
import subprocess
import urllib.parse

from harness import PROVIDER_SECRET, URL, ApiTest, fresh_phone, sql1, twilio_signature, unique
from test_buzz import LookupTest

TWILIO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "twilio")


def official_signatures(cases):
    """The X-Twilio-Signature the official library computes for each case ({"url",
    "params"} or {"url", "body"}), each also checked by its validateRequest."""
    out = subprocess.run(["node", "sign.js"], cwd=TWILIO_DIR, check=True, capture_output=True,
                         text=True, input=json.dumps({"token": PROVIDER_SECRET.decode(), "cases": cases}))
    return json.loads(out.stdout)

FORM = "application/x-www-form-urlencoded"


def full_url(path, port=True):
    return f"http://{URL.hostname}{':' + str(URL.port) if port else ''}{path}"


class TestProviderSignature(LookupTest):
    def setUp(self):
        super().setUp()
        self.friend = fresh_phone()
        self.req("POST", "/contacts/sync", self.token,
                 body=[{"display_name": "F", "phone": [self.friend]}])

    def post_form(self, fields, signature, path="/apps/buzz/trust-lookup", token=None):
        return self.req("POST", path, token or self.service, raw=urllib.parse.urlencode(fields).encode(),
                        ctype=FORM, headers={"X-Twilio-Signature": signature}, sign=False)

    def blocked_for(self, sid):
        return sql1("SELECT count(*) FROM privacybee.blocked_calls WHERE call_sid = %s", sid)

    def test_signed_form_post_is_answered(self):
        fields = {"To": self.buzz, "From": self.friend, "CallSid": unique("CA"), "AccountSid": "AC1"}
        sig = twilio_signature(full_url("/apps/buzz/trust-lookup"), fields.items())
        r = self.post_form(fields, sig)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"trusted": True, "user_id": self.uid})
        # the parameters are signed sorted, so the order they travel in does not matter
        r = self.post_form(dict(reversed(list(fields.items()))), sig)
        self.assertStatus(r, 200)

    def test_missing_or_wrong_signature_is_403_and_logs_nothing(self):
        stranger = fresh_phone()
        sid = unique("CA")
        fields = {"To": self.buzz, "From": stranger, "CallSid": sid}
        good = twilio_signature(full_url("/apps/buzz/trust-lookup"), fields.items())
        cases = {
            "missing": self.req("POST", "/apps/buzz/trust-lookup", self.service,
                                raw=urllib.parse.urlencode(fields).encode(), ctype=FORM, sign=False),
            "other secret": self.post_form(fields, twilio_signature(
                full_url("/apps/buzz/trust-lookup"), fields.items(), secret=b"not the token")),
            "truncated": self.post_form(fields, good[:-2]),
            "one character off": self.post_form(fields, good[:-2] + ("A=" if good[-2] != "A" else "B=")),
            "tampered From": self.post_form(dict(fields, From=self.friend), good),
            "added parameter": self.post_form(dict(fields, StirVerstat="TN-Validation-Passed-A"), good),
            "other route": self.post_form(fields, good, path="/apps/buzz/call-lookup"),
        }
        for name, r in cases.items():
            with self.subTest(name):
                self.assertError(r, 403)
                self.assertIn("X-Twilio-Signature", r.json["error"]["message"])
        self.assertEqual(self.blocked_for(sid), 0)
        self.assertStatus(self.post_form(fields, good), 200)
        self.assertEqual(self.blocked_for(sid), 1)

    def test_a_token_error_comes_before_the_signature(self):
        fields = {"To": self.buzz, "From": self.friend}
        self.assertError(self.post_form(fields, "bogus", token="pb_unknown"), 401)

    def test_get_signs_the_url_with_its_query(self):
        path = "/apps/buzz/trust-lookup?" + urllib.parse.urlencode({"To": self.buzz, "From": self.friend})
        r = self.req("GET", path, self.service, sign=False,
                     headers={"X-Twilio-Signature": twilio_signature(full_url(path))})
        self.assertEqual(r.json, {"trusted": True, "user_id": self.uid})
        other = path.replace("trust-lookup?", "trust-lookup?CallSid=x&")
        r = self.req("GET", other, self.service, sign=False,
                     headers={"X-Twilio-Signature": twilio_signature(full_url(path))})
        self.assertError(r, 403)

    def test_a_url_signed_without_its_port_is_accepted(self):
        fields = {"To": self.buzz, "From": self.friend}
        sig = twilio_signature(full_url("/apps/buzz/trust-lookup", port=False), fields.items())
        self.assertStatus(self.post_form(fields, sig), 200)

    def test_json_body_goes_by_body_sha256(self):
        body = json.dumps({"number": self.buzz[2:], "number_code": "1", "inbound": self.friend[2:],
                           "inbound_code": "1"}).encode()
        digest = hashlib.sha256(body).hexdigest()

        def post(path, data, signed_path=None):
            sig = twilio_signature(full_url(signed_path or path))
            return self.req("POST", path, self.service, raw=data, ctype="application/json",
                            headers={"X-Twilio-Signature": sig}, sign=False)

        path = "/apps/buzz/trust-lookup?bodySHA256=" + digest
        self.assertEqual(post(path, body).json, {"trusted": True, "user_id": self.uid})
        self.assertStatus(post("/apps/buzz/trust-lookup?bodySHA256=" + digest.upper(), body), 200)
        # a body other than the one hashed, no hash, or a hash the signature does not cover
        self.assertError(post(path, body.replace(b'"1"', b'"44"', 1)), 403)
        self.assertError(post("/apps/buzz/trust-lookup", body), 403)
        self.assertError(post(path, body, signed_path="/apps/buzz/trust-lookup"), 403)

    def post_signed(self, pairs, signed_url, host=None, path="/apps/buzz/trust-lookup"):
        """POST pairs as a form, signed by the official library over signed_url with the
        parameters as a web framework hands them to it (a repeated name: a list)."""
        params = {}
        for name, value in pairs:
            params[name] = params[name] + [value] if isinstance(params.get(name), list) else (
                [params[name], value] if name in params else value)
        sig, = official_signatures([{"url": signed_url, "params": params}])
        headers = {"X-Twilio-Signature": sig}
        if host:
            headers["Host"] = host
        return self.req("POST", path, self.service, raw=urllib.parse.urlencode(pairs).encode(),
                        ctype=FORM, headers=headers, sign=False)

    def test_official_signature_with_or_without_the_default_port_is_accepted(self):
        fields = [("To", self.buzz), ("From", self.friend)]
        path = "/apps/buzz/trust-lookup"
        cases = {
            # the provider called http://<host><path> and signed it with ":80" added
            "signed with :80, requested without": ("127.0.0.1", f"http://127.0.0.1:80{path}"),
            "signed without, requested with :80": ("127.0.0.1:80", f"http://127.0.0.1{path}"),
            "signed as requested, no port": ("127.0.0.1", f"http://127.0.0.1{path}"),
            "signed as requested, its port": (None, full_url(path)),
            "signed without its port": (None, full_url(path, port=False)),
        }
        for name, (host, signed) in cases.items():
            with self.subTest(name):
                r = self.post_signed(fields, signed, host)
                self.assertStatus(r, 200)
                self.assertEqual(r.json, {"trusted": True, "user_id": self.uid})
        # another port is another URL
        self.assertError(self.post_signed(fields, f"http://127.0.0.1:81{path}", "127.0.0.1"), 403)
        self.assertError(self.post_signed(fields, f"https://127.0.0.1:80{path}", "127.0.0.1"), 403)

    def test_repeated_parameters_are_signed_as_the_library_signs_them(self):
        base = [("To", self.buzz), ("From", self.friend)]
        cases = {
            "values out of order": base + [("SipHeader", "b"), ("SipHeader", "a")],
            "a value twice": base + [("SipHeader", "x"), ("SipHeader", "y"), ("SipHeader", "x")],
            "names interleaved": [("SipHeader", "2")] + base + [("SipHeader", "1")],
        }
        for name, pairs in cases.items():
            with self.subTest(name):
                r = self.post_signed(pairs, full_url("/apps/buzz/trust-lookup"))
                # a parameter the lookup does not read is ignored, repeated or not
                self.assertStatus(r, 200)
                self.assertEqual(r.json, {"trusted": True, "user_id": self.uid})

    def test_a_repeated_parameter_the_lookup_reads_is_400_naming_it(self):
        pairs = [("To", self.buzz), ("From", self.friend), ("From", fresh_phone())]
        r = self.post_signed(pairs, full_url("/apps/buzz/trust-lookup"))
        self.assertError(r, 400, field="From")
        r = self.post_signed(pairs, full_url("/apps/buzz/call-lookup"), path="/apps/buzz/call-lookup")
        self.assertError(r, 400, field="From")

    def test_non_ascii_parameters_sort_as_the_library_sorts_them(self):
        # U+FF21 sorts after U+1F600 in UTF-8 byte order, before it in JavaScript's
        pairs = [("To", self.buzz), ("From", self.friend), ("CallerName", "Zo\u00eb \U0001F600"),
                 ("x\uFF21", "1"), ("x\U0001F600", "2"), ("y", "\uFF21"), ("y", "\U0001F600")]
        r = self.post_signed(pairs, full_url("/apps/buzz/trust-lookup"))
        self.assertStatus(r, 200)

    def test_official_signature_of_a_json_body(self):
        body = json.dumps({"number": self.buzz[2:], "number_code": "1", "inbound": self.friend[2:],
                           "inbound_code": "1"})
        path = "/apps/buzz/trust-lookup?bodySHA256=" + hashlib.sha256(body.encode()).hexdigest()
        sig, = official_signatures([{"url": full_url(path), "body": body}])
        r = self.req("POST", path, self.service, raw=body.encode(), ctype="application/json",
                     headers={"X-Twilio-Signature": sig}, sign=False)
        self.assertEqual(r.json, {"trusted": True, "user_id": self.uid})

    def test_member_routes_need_no_signature(self):
        self.assertStatus(self.req("GET", "/apps/buzz/heartbeat", self.token), 200)
