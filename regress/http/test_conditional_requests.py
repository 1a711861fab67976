"""Conditional requests as RFC 9110 §13 says (SPEC §2, §4): If-Match by strong comparison
(a list matches when any strong tag in it is current; a weak or malformed tag never
matches; a failed one is 412 and changes nothing), If-None-Match by weak comparison (304
on GET with the ETag and no body, 412 on the methods that write). Over every route whose
resource has an ETag: GET, PUT, PATCH and DELETE /contacts/<id>."""
from harness import ApiTest, USER_SCOPES, member, sql1

WRITES = ("PUT", "PATCH", "DELETE")


class ConditionalCase(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member()
        made = self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "Cond"}]).json
        self.path = f"/contacts/{made[0]['id']}"
        # a few writes, so the current ETag is not the first one (the first is stale)
        self.stale = self.req("GET", self.path, self.token).header("ETag")
        for name in ("Cond 2", "Cond 3"):
            self.req("PATCH", self.path, self.token, body={"display_name": name})
        self.etag = self.req("GET", self.path, self.token).header("ETag")

    def write(self, method, headers):
        token = self.token
        if method == "DELETE":  # deletes are rate-limited per token
            token = sql1("SELECT privacybee.issue_token(%s, %s)", self.uid, USER_SCOPES)
        body = None if method == "DELETE" else {"display_name": "Changed"}
        return self.req(method, self.path, token, body=body, headers=headers)

    def current(self):
        r = self.req("GET", self.path, self.token)
        return r.status, r.header("ETag"), (r.json or {}).get("display_name")


class TestIfMatch(ConditionalCase):
    def test_a_current_strong_tag_alone_or_in_a_list_lets_every_write_through(self):
        for field in ("{}", "{stale}, {}", '"x",{} , "y"', "*", "garbage, {}"):
            for method in WRITES:
                self.setUp()  # a fresh contact each time: the write changes it
                value = field.format(self.etag, stale=self.stale)
                with self.subTest(method=method, if_match=value):
                    self.assertStatus(self.write(method, {"If-Match": value}), 200)

    def test_weak_malformed_or_stale_tags_are_412_and_change_nothing(self):
        weak = "W/" + self.etag
        for value in (weak, f"{self.stale}, {weak}", "garbage", self.etag.strip('"'),
                      self.etag[:-1], f"{self.etag} {self.etag}", "", self.stale,
                      f'{self.stale}, "v2"', "*" + self.etag):
            for method in WRITES:
                with self.subTest(method=method, if_match=value):
                    before = self.current()
                    self.assertError(self.write(method, {"If-Match": value}), 412)
                    self.assertEqual(self.current(), before)

    def test_a_get_whose_if_match_fails_is_412(self):
        self.assertError(self.req("GET", self.path, self.token, headers={"If-Match": self.stale}),
                         412)
        self.assertStatus(self.req("GET", self.path, self.token, headers={"If-Match": self.etag}),
                          200)

    def test_the_etag_a_write_returns_is_the_one_that_matches_next(self):
        r = self.write("PUT", {"If-Match": self.etag})
        self.assertStatus(r, 200)
        self.assertError(self.write("PATCH", {"If-Match": self.etag}), 412)
        self.assertStatus(self.write("PATCH", {"If-Match": r.header("ETag")}), 200)

    def test_a_missing_contact_is_404_whatever_the_precondition(self):
        _, other = member()
        for method in ("GET",) + WRITES:
            with self.subTest(method=method):
                r = self.req(method, self.path, other, headers={"If-Match": self.etag},
                             body={"display_name": "x"} if method in ("PUT", "PATCH") else None)
                self.assertError(r, 404)

    def test_the_precondition_is_judged_before_the_body(self):
        # RFC 9110 §13.2: preconditions come before the request content is processed
        r = self.req("PUT", self.path, self.token, body={"display_name": ""},
                     headers={"If-Match": self.stale})
        self.assertError(r, 412)
        r = self.req("PUT", self.path, self.token, body={"display_name": ""},
                     headers={"If-Match": self.etag})
        self.assertError(r, 400, "display_name")


class TestIfNoneMatch(ConditionalCase):
    def test_get_naming_the_current_etag_is_304_with_the_etag_and_no_body(self):
        for value in (self.etag, "W/" + self.etag, "*", f"{self.stale}, {self.etag}",
                      f'"x", W/{self.etag}'):
            with self.subTest(if_none_match=value):
                r = self.req("GET", self.path, self.token, headers={"If-None-Match": value})
                self.assertStatus(r, 304)
                self.assertEqual(r.header("ETag"), self.etag)
                self.assertEqual(r.raw, "")
                self.assertIsNone(r.header("Content-Length"))

    def test_get_naming_other_tags_is_200_with_the_contact(self):
        for value in (self.stale, "W/" + self.stale, "garbage", self.etag[:-1], ""):
            with self.subTest(if_none_match=value):
                r = self.req("GET", self.path, self.token, headers={"If-None-Match": value})
                self.assertStatus(r, 200)
                self.assertEqual(r.json["display_name"], "Cond 3")

    def test_the_connection_carries_on_after_a_304(self):
        for _ in range(3):
            self.assertStatus(self.req("GET", self.path, self.token,
                                       headers={"If-None-Match": self.etag}), 304)
            self.assertStatus(self.req("GET", self.path, self.token), 200)

    def test_a_write_naming_the_current_etag_or_star_is_412(self):
        for value in (self.etag, "W/" + self.etag, "*"):
            for method in WRITES:
                with self.subTest(method=method, if_none_match=value):
                    before = self.current()
                    self.assertError(self.write(method, {"If-None-Match": value}), 412)
                    self.assertEqual(self.current(), before)

    def test_a_write_naming_other_tags_goes_through(self):
        self.assertStatus(self.write("PATCH", {"If-None-Match": self.stale}), 200)

    def test_if_match_is_judged_first(self):
        r = self.req("GET", self.path, self.token,
                     headers={"If-Match": self.stale, "If-None-Match": self.etag})
        self.assertError(r, 412)
        r = self.req("GET", self.path, self.token,
                     headers={"If-Match": self.etag, "If-None-Match": self.etag})
        self.assertStatus(r, 304)
