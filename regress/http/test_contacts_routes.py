"""GET / PUT / PATCH / DELETE /contacts/<id>, ETags, tombstones, and the dev clear route."""
from harness import ApiTest, member, sql1


class TestContactRoutes(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member()
        self.contact = self.req("POST", "/contacts/sync", self.token, body=[
            {"display_name": "Beth", "emails": ["b@example.com"], "labels": ["Client"]}]).json[0]
        self.path = f"/contacts/{self.contact['id']}"

    def test_get_returns_the_object_with_all_arrays_and_etag(self):
        r = self.req("GET", self.path, self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["display_name"], "Beth")
        for key in ("email", "phone", "address"):
            self.assertIn(key, r.json)
        # a strong ETag naming the contact and its version (a new contact's version 1
        # never repeats an ETag its URL had: test_carddav_teams)
        self.assertRegex(r.header("ETag"), r'^"c%d\.v\d+"$' % self.contact["id"])

    def test_missing_contact_is_404(self):
        self.assertError(self.req("GET", "/contacts/999999999999", self.token), 404)

    def test_out_of_range_id_is_404(self):
        self.assertError(self.req("GET", "/contacts/99999999999999999999999", self.token), 404)

    def test_another_users_contact_is_404_for_every_method(self):
        _, other = member()
        for method, body in (("GET", None), ("PUT", {"display_name": "x"}),
                             ("PATCH", {"display_name": "x"}), ("DELETE", None)):
            with self.subTest(method=method):
                r = self.req(method, self.path, other, body=body)
                self.assertError(r, 404)
                self.assertEqual(r.json["error"]["message"], "contact not found")
        self.assertEqual(sql1("SELECT display_name FROM privacybee.contacts WHERE id = %s",
                              self.contact["id"]), "Beth")

    def test_put_updates_and_keeps_absent_fields(self):
        r = self.req("PUT", self.path, self.token, body={"display_name": "Beth M."})
        self.assertStatus(r, 200)
        self.assertEqual((r.json["display_name"], r.json["email"]), ("Beth M.", ["b@example.com"]))

    def test_patch_has_the_same_semantics(self):
        r = self.req("PATCH", self.path, self.token, body={"labels": None})
        self.assertStatus(r, 200)
        self.assertEqual((r.json["display_name"], r.json["labels"]), ("Beth", []))

    def test_id_in_body_is_ignored_url_wins(self):
        r = self.req("PUT", self.path, self.token, body={"id": 1, "display_name": "X"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["id"], self.contact["id"])

    def test_put_validation_error_names_the_field_and_changes_nothing(self):
        r = self.req("PUT", self.path, self.token, body={"display_name": "", "emails": ["x"]})
        err = self.assertError(r, 400, "display_name")
        self.assertIn("emails[0]", [d["field"] for d in err["details"]])
        self.assertEqual(self.req("GET", self.path, self.token).json["display_name"], "Beth")

    def test_put_body_must_be_an_object(self):
        self.assertError(self.req("PUT", self.path, self.token, body=[]), 400)

    def test_if_match_current_etag_succeeds(self):
        etag = self.req("GET", self.path, self.token).header("ETag")
        r = self.req("PUT", self.path, self.token, body={"display_name": "B2"},
                     headers={"If-Match": etag})
        self.assertStatus(r, 200)
        self.assertNotEqual(r.header("ETag"), etag)

    def test_if_match_stale_etag_is_412_and_changes_nothing(self):
        etag = self.req("GET", self.path, self.token).header("ETag")
        self.req("PATCH", self.path, self.token, body={"display_name": "B2"})
        r = self.req("PATCH", self.path, self.token, body={"display_name": "B3"},
                     headers={"If-Match": etag})
        self.assertError(r, 412)
        self.assertEqual(self.req("GET", self.path, self.token).json["display_name"], "B2")

    def test_if_match_star_matches(self):
        r = self.req("PUT", self.path, self.token, body={"display_name": "B2"},
                     headers={"If-Match": "*"})
        self.assertStatus(r, 200)

    def test_delete_returns_deleted_and_leaves_a_tombstone(self):
        r = self.req("DELETE", self.path, self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"id": self.contact["id"], "deleted": True})
        self.assertError(self.req("GET", self.path, self.token), 404)
        self.assertError(self.req("DELETE", self.path, self.token), 404)
        listing = self.req("GET", "/contacts?include_deleted=true", self.token).json
        self.assertIn({"id": self.contact["id"], "deleted": True},
                      [{k: v for k, v in c.items() if k != "updated"} for c in listing])

    def test_delete_with_stale_etag_is_412(self):
        r = self.req("DELETE", self.path, self.token, headers={"If-Match": '"v999"'})
        self.assertError(r, 412)
        self.assertStatus(self.req("GET", self.path, self.token), 200)


class TestClearDevRoute(ApiTest):
    def test_clear_removes_all_the_callers_contacts(self):
        uid, token = member()
        self.req("POST", "/contacts/sync", token, body=[{"display_name": "a"}, {"display_name": "b"}])
        r = self.req("DELETE", f"/contacts/clear/{uid}", token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["deleted"], 2)
        self.assertEqual(self.req("GET", "/contacts", token).json, [])

    def test_clear_of_another_member_is_404(self):
        other_uid, other = member()
        self.req("POST", "/contacts/sync", other, body=[{"display_name": "a"}])
        _, token = member()
        self.assertError(self.req("DELETE", f"/contacts/clear/{other_uid}", token), 404)
        self.assertEqual(len(self.req("GET", "/contacts", other).json), 1)
