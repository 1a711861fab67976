"""X-Twilio-Signature on the telephony webhooks (the stack under test has a provider
auth token). The signatures here are computed by Python's hmac, independently of the C
code: HMAC-SHA1 over the full URL plus the sorted POST parameters, base64; a JSON body
travels by its SHA-256 in the URL's bodySHA256 parameter."""
import hashlib
import json
import urllib.parse

from harness import URL, ApiTest, fresh_phone, sql1, twilio_signature, unique
from test_buzz import LookupTest

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

    def test_member_routes_need_no_signature(self):
        self.assertStatus(self.req("GET", "/apps/buzz/heartbeat", self.token), 200)
