"""OAuth 2.0 (SPEC §10; RFC 6749, PKCE RFC 7636, revocation RFC 7009): a third-party app
gets delegated, revocable access as a standard client does it and as a Contacts+ client
does it, and every way it can go wrong is refused with RFC 6749 §5's error, changing
nothing but what the RFCs say a refusal must change (a reused code or refresh token
revokes its grant)."""
import base64
import hashlib
import json
import secrets
import urllib.parse

import psycopg2

from harness import ApiTest, member, oauth_client, overlapped, sql, sql1

REDIRECT = "https://app.example/cb"
RFC_ERRORS = {"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
              "unsupported_grant_type", "invalid_scope", "unsupported_token_type"}


def pkce():
    """(code_verifier, code_challenge) as a client makes them (RFC 7636 §4.1, §4.2)."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def basic(client_id, secret):
    """HTTP Basic client credentials, form-urlencoded first (RFC 6749 §2.3.1)."""
    pair = urllib.parse.quote_plus(client_id) + ":" + urllib.parse.quote_plus(secret)
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


class OAuthCase(ApiTest):
    """A registered app, and a member whose own app (the consent screen) holds a token."""

    SCOPES = ("account.read", "contacts.read", "contacts:write", "tags.read")

    def setUp(self):
        super().setUp()
        self.client_id, self.client_secret = oauth_client(self.SCOPES, (REDIRECT, "com.example.app:/cb"))
        self.uid, self.app_token = member("Olive", "Auth")
        self.verifier, self.challenge = pkce()

    def consent(self, scope="contacts.read,account.read", approve=True, **extra):
        """The member's app answers the app's request; the redirect_to it is told."""
        body = {"client_id": self.client_id, "redirect_uri": REDIRECT, "scope": scope,
                "state": "st&te=1", "code_challenge": self.challenge, "approve": approve} | extra
        r = self.req("POST", "/oauth/authorize", self.app_token, body={k: v for k, v in body.items()
                                                                        if v is not None})
        self.assertStatus(r, 200)
        return r.json["redirect_to"]

    def code(self, **kwargs):
        q = query_of(self.consent(**kwargs))
        self.assertEqual(q["state"], "st&te=1")
        return q["code"]

    def token(self, form, auth="basic", **kwargs):
        """POST /oauth/token as a client: credentials as HTTP Basic, or in the form ("post")."""
        headers = basic(self.client_id, self.client_secret) if auth == "basic" else {}
        if auth == "post":
            form = form | {"client_id": self.client_id, "client_secret": self.client_secret}
        return self.req("POST", "/oauth/token", form=form, headers=headers, **kwargs)

    def exchange(self, code, **extra):
        return self.token({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                           "code_verifier": self.verifier} | extra)

    def refresh(self, refresh_token, **extra):
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token} | extra)

    def assertOAuthError(self, r, error, status=400):
        """RFC 6749 §5.2: the status, {"error", "error_description"}, never cached."""
        self.assertStatus(r, status)
        self.assertEqual(r.json["error"], error, r)
        self.assertRegex(r.json["error_description"], r'^[ !#-\[\]-~]+$')  # §5.2's characters
        self.assertEqual(r.header("Cache-Control"), "no-store")
        if status == 401:
            self.assertEqual(r.header("WWW-Authenticate"), 'Basic realm="privacybee"')

    def grants(self):
        return sql("SELECT revoked_at IS NULL FROM privacybee.oauth_grants WHERE user_id = %s ORDER BY id",
                   self.uid)

    def works(self, access_token):
        """Whether the access token is accepted (GET /contacts needs contacts:read)."""
        r = self.req("GET", "/contacts", access_token)
        self.assertIn(r.status, (200, 401), r)
        return r.status == 200


class TestThirdPartyApp(OAuthCase):
    def test_a_standard_client_gets_delegated_revocable_access(self):
        # the member's app shows the request: the app's name, what each scope allows
        r = self.req("GET", "/oauth/authorize?" + urllib.parse.urlencode({
            "client_id": self.client_id, "redirect_uri": REDIRECT, "scope": "contacts.read account.read",
            "state": "s", "code_challenge": self.challenge, "code_challenge_method": "S256",
            "response_type": "code"}), self.app_token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["client"], {"client_id": self.client_id, "name": "Example App"})
        self.assertEqual([s["scope"] for s in r.json["scopes"]], ["contacts.read", "account.read"])
        self.assertTrue(all(s["description"] for s in r.json["scopes"]))
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.oauth_codes WHERE user_id = %s", self.uid), 0)

        # the member approves: the browser goes back with a code and the state
        redirect = self.consent(scope="contacts.read account.read")
        self.assertTrue(redirect.startswith(REDIRECT + "?code=pbc_"), redirect)
        code = query_of(redirect)["code"]

        # the app exchanges it, authenticating with HTTP Basic, proving PKCE
        r = self.exchange(code)
        self.assertStatus(r, 200)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertEqual(r.header("Pragma"), "no-cache")
        tokens = r.json
        self.assertEqual((tokens["token_type"], tokens["expires_in"], tokens["scope"]),
                         ("Bearer", 3600, "contacts.read account.read"))

        # the access token acts for the member, within the scopes granted
        self.assertTrue(self.works(tokens["access_token"]))
        self.assertError(self.req("POST", "/contacts/sync", tokens["access_token"],
                                  body=[{"display_name": "x"}]), 403)
        self.assertEqual(sql1("SELECT scopes FROM privacybee.tokens WHERE token_hash = "
                              "privacybee.secret_hash(%s)", tokens["access_token"]),
                         ["account.read", "contacts:read"])

        # refresh: new tokens, the refresh token given is spent
        r = self.refresh(tokens["refresh_token"])
        self.assertStatus(r, 200)
        fresh = r.json
        self.assertNotEqual(fresh["refresh_token"], tokens["refresh_token"])
        self.assertTrue(self.works(fresh["access_token"]))

        # revocation of the refresh token ends the whole grant
        r = self.req("POST", "/oauth/revoke", form={"token": fresh["refresh_token"],
                                                    "token_type_hint": "refresh_token"},
                     headers=basic(self.client_id, self.client_secret))
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {})
        self.assertFalse(self.works(fresh["access_token"]))
        self.assertFalse(self.works(tokens["access_token"]))
        self.assertOAuthError(self.refresh(fresh["refresh_token"]), "invalid_grant")
        self.assertEqual(self.grants(), [(False,)])

    def test_a_contacts_plus_client_session_answers_the_seed_shapes(self):
        code = self.code(scope="account.read,contacts.read,tags.read", code_challenge=None)
        r = self.req("POST", "/v3/oauth.exchangeAuthCode", form={
            "client_id": self.client_id, "client_secret": self.client_secret,
            "redirect_uri": REDIRECT, "code": code})
        self.assertStatus(r, 200)
        first = r.json
        self.assertEqual(set(first), {"access_token_expiration", "access_token_expiration_date",
                                      "refresh_token_expiration", "refresh_token_expiration_date",
                                      "access_token", "refresh_token", "scope"})
        self.assertEqual(first["scope"], "account.read,contacts.read,tags.read")
        for kind in ("access_token", "refresh_token"):
            millis, date = first[f"{kind}_expiration"], first[f"{kind}_expiration_date"]
            self.assertRegex(date, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertEqual(sql1("SELECT privacybee.cplus_millis(%s::timestamptz)", date), millis)
        lifetime = first["access_token_expiration"] - sql1(
            "SELECT floor(extract(epoch FROM created) * 1000)::bigint FROM privacybee.tokens "
            "WHERE token_hash = privacybee.secret_hash(%s)", first["access_token"])
        self.assertTrue(3_599_000 <= lifetime <= 3_600_000, lifetime)
        self.assertTrue(self.works(first["access_token"]))

        r = self.req("POST", "/v3/oauth.refreshToken", form={
            "client_id": self.client_id, "client_secret": self.client_secret,
            "refresh_token": first["refresh_token"]})
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), set(first))
        self.assertTrue(self.works(r.json["access_token"]))
        # the refresh token rotates here too: the one given is spent
        r = self.req("POST", "/v3/oauth.refreshToken", form={
            "client_id": self.client_id, "client_secret": self.client_secret,
            "refresh_token": first["refresh_token"]})
        self.assertError(r, 400, "refresh_token")
        self.assertIn("invalid_grant", r.json["error"]["message"])

    def test_client_secret_post_works_as_basic_does(self):
        r = self.token({"grant_type": "authorization_code", "code": self.code(), "redirect_uri": REDIRECT,
                        "code_verifier": self.verifier}, auth="post")
        self.assertStatus(r, 200)

    def test_scopes_are_spelled_either_way_and_granted_as_asked(self):
        r = self.exchange(self.code(scope="contacts:read,contacts.read account.read"))
        self.assertStatus(r, 200)
        self.assertEqual(r.json["scope"], "contacts:read account.read")

    def test_a_private_use_redirect_uri_of_a_native_app(self):
        body = {"client_id": self.client_id, "redirect_uri": "com.example.app:/cb", "scope": "contacts.read"}
        r = self.req("POST", "/oauth/authorize", self.app_token, body=body)
        self.assertStatus(r, 200)
        self.assertTrue(r.json["redirect_to"].startswith("com.example.app:/cb?code="))

    def test_every_secret_is_kept_hashed(self):
        code = self.code()
        tokens = self.exchange(code).json
        stored = json.dumps(sql("SELECT row_to_json(t) FROM privacybee.oauth_clients t") +
                            sql("SELECT row_to_json(t) FROM privacybee.oauth_codes t") +
                            sql("SELECT row_to_json(t) FROM privacybee.oauth_refresh_tokens t") +
                            sql("SELECT row_to_json(t) FROM privacybee.tokens t"))
        for secret in (self.client_secret, code, tokens["access_token"], tokens["refresh_token"]):
            self.assertNotIn(secret, stored)
            self.assertNotIn(secret[4:], stored)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.oauth_clients WHERE client_id = %s AND "
                              "secret_hash = privacybee.secret_hash(%s)", self.client_id, self.client_secret), 1)

    def test_a_code_lives_sixty_seconds(self):
        self.code()
        self.assertEqual(sql1("SELECT extract(epoch FROM expires_at - created) FROM privacybee.oauth_codes "
                              "WHERE user_id = %s", self.uid), 60)


class TestTokenEndpointErrors(OAuthCase):
    """RFC 6749 §5.2, each error; a refused request writes nothing (the grant count, the code
    still unspent and usable), except that a reused code or refresh token revokes its grant."""

    def assertCodeStillWorks(self, code):
        self.assertEqual(self.grants(), [])
        self.assertStatus(self.exchange(code), 200)

    def test_an_unknown_code_is_invalid_grant(self):
        self.assertOAuthError(self.exchange("pbc_" + "0" * 64), "invalid_grant")
        self.assertEqual(self.grants(), [])

    def test_a_reused_code_is_refused_and_revokes_what_it_gave(self):
        code = self.code()
        first = self.exchange(code).json
        self.assertTrue(self.works(first["access_token"]))
        self.assertOAuthError(self.exchange(code), "invalid_grant")
        self.assertFalse(self.works(first["access_token"]))
        self.assertOAuthError(self.refresh(first["refresh_token"]), "invalid_grant")
        self.assertEqual(self.grants(), [(False,)])

    def test_a_wrong_redirect_uri_is_invalid_grant(self):
        code = self.code()
        self.assertOAuthError(self.exchange(code, redirect_uri=REDIRECT + "/other"), "invalid_grant")
        self.assertOAuthError(self.exchange(code, redirect_uri="com.example.app:/cb"), "invalid_grant")
        self.assertCodeStillWorks(code)

    def test_a_wrong_verifier_is_invalid_grant(self):
        code = self.code()
        self.assertOAuthError(self.exchange(code, code_verifier=pkce()[0]), "invalid_grant")
        self.assertCodeStillWorks(code)

    def test_a_missing_verifier_is_invalid_grant(self):
        code = self.code()
        r = self.token({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})
        self.assertOAuthError(r, "invalid_grant")
        self.assertCodeStillWorks(code)

    def test_a_verifier_for_a_code_without_challenge_is_refused(self):
        # RFC 9700 §2.1.1: otherwise an attacker could strip PKCE from the request
        code = self.code(code_challenge=None)
        self.assertOAuthError(self.exchange(code), "invalid_grant")
        r = self.token({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})
        self.assertStatus(r, 200)

    def test_a_malformed_verifier_is_invalid_request(self):
        code = self.code()
        self.assertOAuthError(self.exchange(code, code_verifier="short"), "invalid_request")
        self.assertCodeStillWorks(code)

    def test_an_expired_code_is_invalid_grant(self):
        code = self.code()
        sql("UPDATE privacybee.oauth_codes SET expires_at = now() - interval '1 second' "
            "WHERE code_hash = privacybee.secret_hash(%s)", code)
        self.assertOAuthError(self.exchange(code), "invalid_grant")
        self.assertEqual(self.grants(), [])

    def test_a_code_of_another_client_is_unknown_to_this_one(self):
        code = self.code()
        other_id, other_secret = oauth_client(self.SCOPES)
        r = self.req("POST", "/oauth/token", headers=basic(other_id, other_secret), form={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": self.verifier})
        self.assertOAuthError(r, "invalid_grant")
        self.assertEqual(r.json["error_description"],
                         self.exchange("pbc_unknown").json["error_description"])
        self.assertCodeStillWorks(code)

    def test_a_reused_refresh_token_revokes_the_grant(self):
        tokens = self.exchange(self.code()).json
        fresh = self.refresh(tokens["refresh_token"]).json
        self.assertTrue(self.works(fresh["access_token"]))
        # the spent token again: one of the two presenting it is not the app
        self.assertOAuthError(self.refresh(tokens["refresh_token"]), "invalid_grant")
        self.assertFalse(self.works(fresh["access_token"]))
        self.assertFalse(self.works(tokens["access_token"]))
        self.assertOAuthError(self.refresh(fresh["refresh_token"]), "invalid_grant")
        self.assertEqual(self.grants(), [(False,)])

    def test_an_expired_refresh_token_is_invalid_grant(self):
        tokens = self.exchange(self.code()).json
        sql("UPDATE privacybee.oauth_refresh_tokens SET expires_at = now() - interval '1 second' "
            "WHERE token_hash = privacybee.secret_hash(%s)", tokens["refresh_token"])
        self.assertOAuthError(self.refresh(tokens["refresh_token"]), "invalid_grant")
        self.assertEqual(self.grants(), [(True,)])

    def test_a_refresh_may_narrow_the_scope_never_widen_it(self):
        tokens = self.exchange(self.code(scope="contacts.read,account.read")).json
        r = self.refresh(tokens["refresh_token"], scope="contacts.read tags.read")
        self.assertOAuthError(r, "invalid_scope")
        r = self.refresh(tokens["refresh_token"], scope="contacts:read")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["scope"], "contacts:read")
        self.assertEqual(sql1("SELECT scopes FROM privacybee.tokens WHERE token_hash = "
                              "privacybee.secret_hash(%s)", r.json["access_token"]), ["contacts:read"])
        # the grant keeps what was granted: the next refresh may ask for all of it again
        r = self.refresh(r.json["refresh_token"])
        self.assertEqual(r.json["scope"], "contacts.read,account.read".replace(",", " "))

    def test_client_authentication_failures_are_invalid_client(self):
        code = self.code()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                "code_verifier": self.verifier}
        for name, kwargs in {
            "no credentials": {},
            "wrong secret as Basic": {"headers": basic(self.client_id, "wrong")},
            "wrong secret in the form": {"form": form | {"client_id": self.client_id, "client_secret": "x"}},
            "unknown client": {"headers": basic("pbcl_nobody", self.client_secret)},
            "an id without a secret": {"form": form | {"client_id": self.client_id}},
        }.items():
            with self.subTest(name):
                r = self.req("POST", "/oauth/token", **({"form": form} | kwargs))
                self.assertOAuthError(r, "invalid_client", 401)
        self.assertCodeStillWorks(code)

    def test_credentials_both_as_basic_and_in_the_form_are_refused(self):
        code = self.code()
        r = self.req("POST", "/oauth/token", headers=basic(self.client_id, self.client_secret), form={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": self.verifier, "client_secret": self.client_secret})
        self.assertError(r, 400)
        self.assertCodeStillWorks(code)

    def test_malformed_basic_credentials_are_refused(self):
        for value in ("Basic", "Basic !!!!", "Basic " + base64.b64encode(b"no-colon").decode(),
                      "Basic " + base64.b64encode(b"id%zz:secret").decode(),
                      "Basic " + base64.b64encode(b"id:\xff").decode(), "Basic YQ=a"):
            with self.subTest(value):
                r = self.req("POST", "/oauth/token", headers={"Authorization": value},
                             form={"grant_type": "refresh_token", "refresh_token": "x"})
                self.assertError(r, 400)

    def test_basic_credentials_are_form_urlencoded(self):
        # RFC 6749 §2.3.1: "+" is a space and "%2B" a plus inside the Basic pair
        other_id, other_secret = oauth_client(self.SCOPES)
        pair = f"{other_id}:{other_secret}".replace("_", "%5F")
        r = self.req("POST", "/oauth/token", headers={"Authorization": "basic  " + base64.b64encode(
            pair.encode()).decode()}, form={"grant_type": "refresh_token", "refresh_token": "pbr_x"})
        self.assertOAuthError(r, "invalid_grant")  # authenticated: only the token is wrong

    def test_an_unsupported_grant_type(self):
        for grant in ("password", "client_credentials", "implicit"):
            with self.subTest(grant):
                self.assertOAuthError(self.token({"grant_type": grant, "username": "u", "password": "p"}),
                                      "unsupported_grant_type")

    def test_missing_parameters_are_invalid_request(self):
        code = self.code()
        for form in ({}, {"grant_type": "authorization_code", "redirect_uri": REDIRECT},
                     {"grant_type": "authorization_code", "code": code},
                     {"grant_type": "refresh_token"}, {"grant_type": "", "code": code}):
            with self.subTest(form):
                self.assertOAuthError(self.token(form), "invalid_request")
        self.assertCodeStillWorks(code)

    def test_parameters_in_the_query_string_are_refused(self):
        code = self.code()
        r = self.req("POST", "/oauth/token?client_secret=" + self.client_secret,
                     headers=basic(self.client_id, self.client_secret),
                     form={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                           "code_verifier": self.verifier})
        self.assertOAuthError(r, "invalid_request")
        self.assertCodeStillWorks(code)

    def test_a_parameter_given_twice_is_refused(self):
        code = self.code()
        r = self.req("POST", "/oauth/token", headers=basic(self.client_id, self.client_secret),
                     form=[("grant_type", "authorization_code"), ("code", code), ("code", code),
                           ("redirect_uri", REDIRECT), ("code_verifier", self.verifier)])
        self.assertError(r, 400)
        self.assertCodeStillWorks(code)

    def test_a_json_body_is_415(self):
        r = self.req("POST", "/oauth/token", body={"grant_type": "authorization_code"})
        self.assertError(r, 415)

    def test_two_exchanges_of_one_code_at_once_give_tokens_once_then_revoke_them(self):
        code = self.code()
        form = json.dumps({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                           "code_verifier": self.verifier, "client_id": self.client_id,
                           "client_secret": self.client_secret})

        def exchange(cur):
            cur.execute("SELECT (r).status, (r).body FROM privacybee.api_oauth_token(NULL, '', '{}', %s, NULL) r",
                        (form,))
            return cur.fetchone()

        (first, second), error = overlapped(exchange, exchange)
        self.assertIsNone(error)
        self.assertEqual(first[0], 200)
        self.assertEqual((second[0], json.loads(second[1])["error"]), (400, "invalid_grant"))
        self.assertFalse(self.works(json.loads(first[1])["access_token"]))
        self.assertEqual(self.grants(), [(False,)])

    def test_the_contacts_plus_forms_refuse_alike_in_the_spec_body(self):
        code = self.code()
        r = self.req("POST", "/v3/oauth.exchangeAuthCode", form={
            "client_id": self.client_id, "client_secret": "wrong", "redirect_uri": REDIRECT, "code": code})
        self.assertError(r, 401, "client_id")
        self.assertEqual(r.header("WWW-Authenticate"), 'Basic realm="privacybee"')
        r = self.req("POST", "/v3/oauth.exchangeAuthCode", form={
            "client_id": self.client_id, "client_secret": self.client_secret, "redirect_uri": REDIRECT,
            "code": code})  # issued with a challenge: the verifier is needed
        self.assertError(r, 400, "code_verifier")
        self.assertCodeStillWorks(code)


class TestAuthorizationEndpoint(OAuthCase):
    def ask(self, method="POST", token=None, **fields):
        body = {"client_id": self.client_id, "redirect_uri": REDIRECT, "scope": "contacts.read",
                "state": "s1"} | fields
        body = {k: v for k, v in body.items() if v is not None}
        if method == "GET":
            return self.req("GET", "/oauth/authorize?" + urllib.parse.urlencode(body), token or self.app_token)
        return self.req("POST", "/oauth/authorize", token or self.app_token, body=body)

    def codes(self):
        return sql1("SELECT count(*) FROM privacybee.oauth_codes WHERE user_id = %s", self.uid)

    def test_a_client_or_redirect_uri_not_registered_is_the_members_400(self):
        for method in ("GET", "POST"):
            for fields, field in (({"client_id": "pbcl_unknown"}, "client_id"),
                                  ({"client_id": None}, "client_id"),
                                  ({"redirect_uri": "https://evil.example/cb"}, "redirect_uri"),
                                  ({"redirect_uri": REDIRECT + "/"}, "redirect_uri"),
                                  ({"redirect_uri": None}, "redirect_uri")):
                with self.subTest(method=method, fields=fields):
                    r = self.ask(method, **fields)
                    self.assertError(r, 400, field)
                    self.assertNotIn("evil", r.raw)
        self.assertEqual(self.codes(), 0)

    def test_what_the_app_did_wrong_goes_back_to_it(self):
        for fields, error in (({"scope": "contacts.read,teams.read"}, "invalid_scope"),
                              ({"scope": "oauth:authorize"}, "invalid_scope"),
                              ({"scope": "buzz:lookup"}, "invalid_scope"),
                              ({"scope": "nonsense"}, "invalid_scope"),
                              ({"scope": None}, "invalid_scope"),
                              ({"code_challenge": self.challenge, "code_challenge_method": "plain"}, "invalid_request"),
                              ({"code_challenge": "too-short"}, "invalid_request"),
                              ({"code_challenge_method": "S256"}, "invalid_request"),
                              ({"response_type": "token"}, "unsupported_response_type")):
            for method in ("GET", "POST"):
                with self.subTest(method=method, fields=fields):
                    r = self.ask(method, **fields)
                    self.assertStatus(r, 200)
                    self.assertEqual(set(r.json), {"redirect_to"})
                    self.assertTrue(r.json["redirect_to"].startswith(REDIRECT + "?"))
                    q = query_of(r.json["redirect_to"])
                    self.assertEqual((q["error"], q["state"]), (error, "s1"))
                    self.assertNotIn("code", q)
        self.assertEqual(self.codes(), 0)

    def test_the_member_may_refuse(self):
        q = query_of(self.ask(approve=False).json["redirect_to"])
        self.assertEqual((q["error"], q["state"]), ("access_denied", "s1"))
        self.assertEqual(self.codes(), 0)

    def test_malformed_requests_are_400_writing_nothing(self):
        for fields, field in (({"approve": "yes"}, "approve"), ({"scope": ["contacts.read"]}, "scope"),
                              ({"state": 5}, "state"), ({"state": "x" * 1025}, "state"),
                              ({"prompt": "consent"}, "prompt")):
            with self.subTest(fields):
                self.assertError(self.ask(**fields), 400, field)
        self.assertError(self.ask("GET", prompt="consent"), 400, "prompt")
        self.assertEqual(self.codes(), 0)

    def test_only_the_members_own_app_may_answer(self):
        # a token without oauth:authorize, however much else it holds
        _, token = member(scopes=["contacts:read", "contacts:write", "buzz"])
        self.assertError(self.ask(token=token), 403)
        self.assertError(self.ask("GET", token=token), 403)
        # a third-party app's token: the scope cannot be registered for an app, and a token
        # of a grant is refused even if it somehow held it
        with self.assertRaises(psycopg2.errors.InvalidParameterValue):
            oauth_client(("contacts.read", "oauth:authorize"))
        tokens = self.exchange(self.code()).json
        self.assertError(self.ask(token=tokens["access_token"]), 403)
        sql("UPDATE privacybee.tokens SET scopes = scopes || '{oauth:authorize}' WHERE token_hash = "
            "privacybee.secret_hash(%s)", tokens["access_token"])
        r = self.ask(token=tokens["access_token"])
        self.assertError(r, 403)
        self.assertEqual(self.codes(), 1)

    def test_state_and_the_redirect_query_are_encoded(self):
        r = self.ask(state="a b&c=d/é#")
        q = query_of(r.json["redirect_to"])
        self.assertEqual(q["state"], "a b&c=d/é#")
        self.assertNotIn("#", r.json["redirect_to"])


class TestRevocation(OAuthCase):
    def revoke(self, token, client=None, **extra):
        cid, secret = client or (self.client_id, self.client_secret)
        return self.req("POST", "/oauth/revoke", form={"token": token} | extra, headers=basic(cid, secret))

    def test_revoking_an_access_token_ends_it_alone(self):
        tokens = self.exchange(self.code()).json
        self.assertStatus(self.revoke(tokens["access_token"], token_type_hint="access_token"), 200)
        self.assertFalse(self.works(tokens["access_token"]))
        self.assertStatus(self.refresh(tokens["refresh_token"]), 200)

    def test_a_wrong_hint_still_finds_the_token(self):
        tokens = self.exchange(self.code()).json
        self.assertStatus(self.revoke(tokens["refresh_token"], token_type_hint="access_token"), 200)
        self.assertFalse(self.works(tokens["access_token"]))

    def test_an_unknown_or_foreign_token_is_200_and_changes_nothing(self):
        tokens = self.exchange(self.code()).json
        other = oauth_client(self.SCOPES)
        for token, client in (("pb_" + "0" * 64, None), (tokens["access_token"], other),
                              (tokens["refresh_token"], other), (self.app_token, None)):
            with self.subTest(token=token[:8]):
                r = self.revoke(token, client)
                self.assertStatus(r, 200)
                self.assertEqual(r.json, {})
        self.assertTrue(self.works(tokens["access_token"]))
        self.assertTrue(self.works(self.app_token))
        self.assertEqual(self.grants(), [(True,)])

    def test_revocation_needs_the_client_and_a_token(self):
        tokens = self.exchange(self.code()).json
        r = self.req("POST", "/oauth/revoke", form={"token": tokens["access_token"]})
        self.assertOAuthError(r, "invalid_client", 401)
        self.assertOAuthError(self.revoke(""), "invalid_request")
        self.assertTrue(self.works(tokens["access_token"]))


class TestClients(ApiTest):
    def test_unregistering_a_client_ends_everything_it_holds(self):
        cid, secret = oauth_client()
        uid, app_token = member()
        code = self.req("POST", "/oauth/authorize", app_token, body={
            "client_id": cid, "redirect_uri": REDIRECT, "scope": "contacts.read"}).json["redirect_to"]
        tokens = self.req("POST", "/oauth/token", form={
            "grant_type": "authorization_code", "code": query_of(code)["code"], "redirect_uri": REDIRECT,
            "client_id": cid, "client_secret": secret}).json
        self.assertEqual(self.req("GET", "/contacts", tokens["access_token"]).status, 200)
        self.assertTrue(sql1("SELECT privacybee.unregister_oauth_client(%s)", cid))
        self.assertError(self.req("GET", "/contacts", tokens["access_token"]), 401)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.oauth_grants WHERE user_id = %s", uid), 0)
        self.assertFalse(sql1("SELECT privacybee.unregister_oauth_client(%s)", cid))
