"""Rich contacts (SPEC §9) through nginx: details on sync, PUT, PATCH and GET, typed list
items, birthdays without a year, primary flags, companies, labels as tags; validation by
path with nothing written; another member's contact; the GET-then-PUT round trip."""
import copy

from harness import ApiTest, member, sql, sql1, unique

DETAILS = {
    "name": {"given": "Beth", "middle": None, "family": "Miller", "prefix": None, "suffix": None},
    "emails": [{"type": "work", "value": "beth@initech.example", "primary": False},
               {"type": "home", "value": "beth@home.example", "primary": True}],
    "phone_numbers": [{"type": "mobile", "value": "(305) 555-0177", "primary": True}],
    "addresses": [{"type": "work", "street": "4120 Freidrich Ln", "extended": "Suite 2",
                   "city": "Austin", "region": "TX", "postal_code": "78744", "country": "US"}],
    "birthday": {"year": None, "month": 11, "day": 24},
    "dates": [{"type": "anniversary", "year": 2010, "month": 6, "day": 1}],
    "organizations": [{"name": "Initech", "department": "IT", "title": "Engineer",
                       "location": "Austin", "description": None,
                       "start_date": {"year": 2019, "month": 1, "day": 7}, "end_date": None}],
    "urls": [{"type": "blog", "value": "https://beth.example"}],
    "ims": [{"type": "xmpp", "value": "beth@jabber.example"}],
    "related_people": [{"type": "manager", "value": "Bill"}],
    "notes": "Swingline stapler",
    "items": [{"type": "shirt", "value": "M"}],
}


class TestDetails(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member()

    def sync(self, items, token=None):
        return self.req("POST", "/contacts/sync", token or self.token, body=items)

    def test_details_in_sync_come_back_on_get_with_every_key(self):
        r = self.sync([{"details": DETAILS, "labels": ["Client"]}])
        self.assertStatus(r, 200)
        c = self.req("GET", f"/contacts/{r.json[0]['id']}", self.token).json
        got = c["details"]
        self.assertEqual(got["name"], DETAILS["name"])
        self.assertEqual(got["emails"], DETAILS["emails"])
        self.assertEqual(got["phone_numbers"], [dict(DETAILS["phone_numbers"][0], e164="+13055550177")])
        self.assertEqual(got["addresses"][0]["formatted"],
                         "4120 Freidrich Ln, Suite 2, Austin, TX 78744, US")
        for key in ("birthday", "dates", "organizations", "urls", "ims", "related_people", "notes", "items"):
            self.assertEqual(got[key], DETAILS[key], key)
        # the flat fields are the projection
        self.assertEqual(c["display_name"], "Beth Miller")
        self.assertEqual(c["email"], ["beth@initech.example", "beth@home.example"])
        self.assertEqual(c["phone"], ["+13055550177"])
        self.assertEqual(c["address"], ["4120 Freidrich Ln, Suite 2, Austin, TX 78744, US"])
        self.assertEqual(c["birthday"], "--11-24")
        self.assertEqual(c["labels"], ["Client"])

    def test_null_empty_string_and_empty_list_clear_every_details_key(self):
        empty = self.sync([{"display_name": "Plain"}]).json[0]["details"]
        c = self.sync([{"display_name": "D", "details": DETAILS}]).json[0]
        for key in DETAILS:
            for none in (None, "", []):
                with self.subTest(key=key, value=none):
                    r = self.req("PATCH", f"/contacts/{c['id']}", self.token,
                                 body={"details": {key: DETAILS[key]}})
                    self.assertStatus(r, 200)
                    self.assertNotEqual(r.json["details"][key], empty[key])
                    r = self.req("PATCH", f"/contacts/{c['id']}", self.token, body={"details": {key: none}})
                    self.assertStatus(r, 200)
                    self.assertEqual(r.json["details"][key], empty[key])

    def test_a_contact_without_details_shows_them_empty(self):
        c = self.sync([{"display_name": "Plain"}]).json[0]
        self.assertEqual(c["details"]["emails"], [])
        self.assertIsNone(c["details"]["birthday"])
        self.assertEqual(c["details"]["name"]["given"], None)
        self.assertIsNone(c["company_id"])

    def test_get_then_put_back_unchanged_changes_nothing(self):
        c = self.sync([{"details": DETAILS, "labels": ["Client", "Austin"], "external_id": unique()}]).json[0]
        path = f"/contacts/{c['id']}"
        before = self.req("GET", path, self.token)
        for method in ("PUT", "PATCH"):
            with self.subTest(method=method):
                r = self.req(method, path, self.token, body=before.json)
                self.assertStatus(r, 200)
                after = self.req("GET", path, self.token).json
                strip = lambda j: {k: v for k, v in j.items() if k != "updated"}
                self.assertEqual(strip(after), strip(before.json))

    def test_sync_of_what_was_read_changes_nothing(self):
        c = self.sync([{"details": DETAILS, "external_id": unique()}]).json[0]
        r = self.sync([c])
        self.assertStatus(r, 200)
        self.assertEqual({k: v for k, v in r.json[0].items() if k != "updated"},
                         {k: v for k, v in c.items() if k != "updated"})

    def test_patch_replaces_only_the_details_keys_it_gives(self):
        c = self.sync([{"details": DETAILS}]).json[0]
        r = self.req("PATCH", f"/contacts/{c['id']}", self.token, body={"details": {"notes": "new desk"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["details"]["notes"], "new desk")
        self.assertEqual(r.json["details"]["emails"], c["details"]["emails"])
        r = self.req("PATCH", f"/contacts/{c['id']}", self.token, body={"details": {"urls": None}})
        self.assertEqual(r.json["details"]["urls"], [])
        r = self.req("PUT", f"/contacts/{c['id']}", self.token, body={"details": None})
        self.assertEqual(r.json["email"], [])
        self.assertEqual(r.json["display_name"], "Beth Miller")

    def test_with_details_the_flat_fields_are_ignored(self):
        r = self.sync([{"display_name": "x", "email": ["not an email"], "birthday": "junk",
                        "details": {"emails": ["a@b.example"]}}])
        self.assertStatus(r, 200)
        self.assertEqual(r.json[0]["email"], ["a@b.example"])
        self.assertIsNone(r.json[0]["birthday"])

    def test_flat_list_items_may_be_typed_objects(self):
        r = self.sync([{"display_name": "Typed", "emails": ["a@x.example", {"type": "work", "value": "b@x.example"}],
                        "phone_numbers": [{"type": "cell", "value": "212 555 0134", "primary": True}],
                        "addresses": [{"city": "Paris", "country": "FR"}, "1 Rue X"]}])
        self.assertStatus(r, 200)
        c = r.json[0]
        self.assertEqual(c["email"], ["a@x.example", "b@x.example"])
        self.assertEqual(c["details"]["emails"][1]["type"], "work")
        self.assertEqual(c["details"]["phone_numbers"][0]["type"], "cell")
        self.assertEqual(c["address"], ["Paris, FR", "1 Rue X"])

    def test_birthdays_with_and_without_a_year(self):
        for given, flat in (("1975-11-24", "1975-11-24"), ("--11-24", "--11-24"),
                            ({"month": 11, "day": 24}, "--11-24"),
                            ({"year": 2000, "month": 2, "day": 29}, "2000-02-29"), (None, None)):
            with self.subTest(given=given):
                r = self.sync([{"display_name": "B", "birthday": given}])
                self.assertStatus(r, 200)
                self.assertEqual(r.json[0]["birthday"], flat)

    def test_primary_defaults_to_the_first_and_is_at_most_one(self):
        c = self.sync([{"display_name": "P", "phone": ["212 555 0134", "212 555 0135"]}]).json[0]
        self.assertEqual([p["primary"] for p in c["details"]["phone_numbers"]], [True, False])
        r = self.sync([{"display_name": "P", "details": {"emails": [
            {"value": "a@x.example", "primary": True}, {"value": "b@x.example", "primary": True}]}}])
        self.assertError(r, 400, "[0].details.emails[1].primary")

    def test_display_name_defaults_to_the_name_joined(self):
        c = self.sync([{"details": {"name": {"prefix": "Dr.", "given": "Ada", "family": "Byron"}}}]).json[0]
        self.assertEqual(c["display_name"], "Dr. Ada Byron")
        self.assertError(self.sync([{"details": {"notes": "no name"}}]), 400, "[0].display_name")

    def test_every_bad_field_is_named_by_path_and_nothing_is_written(self):
        before = sql1("SELECT count(*) FROM privacybee.contacts WHERE user_id = %s", self.uid)
        r = self.sync([{"display_name": "ok"}, {"display_name": "ok"}, {"display_name": "ok"},
                       {"display_name": "bad", "details": {
                           "emails": [{"value": "a@b.example"}, {"value": "nope"}],
                           "birthday": {"month": 2, "day": 30}, "colour": "red",
                           "addresses": [{"kind": "home"}]}}])
        err = self.assertError(r, 400, "[3].details.emails[1].value")
        fields = [d["field"] for d in err["details"]]
        for f in ("[3].details.birthday.day", "[3].details.colour", "[3].details.addresses[0].kind"):
            self.assertIn(f, fields)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.contacts WHERE user_id = %s", self.uid), before)

    def test_put_with_a_bad_details_field_changes_nothing(self):
        c = self.sync([{"details": DETAILS}]).json[0]
        r = self.req("PUT", f"/contacts/{c['id']}", self.token,
                     body={"details": {"notes": "x", "urls": [{"value": ""}]}})
        self.assertError(r, 400, "details.urls[0].value")
        self.assertEqual(self.req("GET", f"/contacts/{c['id']}", self.token).json["details"]["notes"],
                         DETAILS["notes"])

    def test_company_by_id_or_external_id(self):
        ext = unique("crm")
        company = sql1("SELECT privacybee.create_company('Initech', %s, '{}', NULL, NULL, %s)", unique("slug"), ext)
        r = self.sync([{"display_name": "A", "company_id": company},
                       {"display_name": "B", "company_external_id": ext}])
        self.assertStatus(r, 200)
        self.assertEqual([c["company_id"] for c in r.json], [company, company])
        self.assertError(self.sync([{"display_name": "C", "company_id": company, "company_external_id": ext}]),
                         400, "[0].company_external_id")
        self.assertError(self.sync([{"display_name": "D", "company_external_id": "no such"}]),
                         404, "[0].company_external_id")
        self.assertError(self.sync([{"display_name": "E", "company_id": 999999999999}]), 404, "[0].company_id")
        r = self.req("PATCH", f"/contacts/{r.json[0]['id']}", self.token, body={"company_id": None})
        self.assertIsNone(r.json["company_id"])

    def test_labels_are_tag_names_one_tag_per_name_whatever_its_case(self):
        self.sync([{"display_name": "A", "labels": ["VIP", "vip", "Friends"]},
                   {"display_name": "B", "labels": ["vip"]}])
        self.assertEqual(sql("SELECT name FROM privacybee.tags WHERE user_id = %s ORDER BY id", self.uid),
                         [("VIP",), ("Friends",)])

    def test_another_members_contact_is_404_details_or_not(self):
        c = self.sync([{"details": DETAILS}]).json[0]
        _, other = member()
        for method in ("PUT", "PATCH"):
            self.assertError(self.req(method, f"/contacts/{c['id']}", other,
                                      body={"details": {"notes": "mine"}}), 404)
        self.assertError(self.sync([{"id": c["id"], "details": {"notes": "mine"}}], other), 404, "[0].id")
        self.assertEqual(self.req("GET", f"/contacts/{c['id']}", self.token).json["details"]["notes"],
                         DETAILS["notes"])

    def test_details_are_in_the_listing(self):
        self.sync([{"details": DETAILS}])
        r = self.req("GET", "/contacts?include=emails", self.token)
        self.assertEqual(r.json[0]["details"]["notes"], DETAILS["notes"])
        self.assertIn("email", r.json[0])
        self.assertNotIn("phone", r.json[0])

    def test_a_phone_in_details_makes_the_caller_trusted(self):
        number = "+13055550177"
        self.sync([{"details": {"name": {"given": "Caller"}, "phone_numbers": [{"value": number}]}}])
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.trusted_numbers WHERE user_id = %s "
                              "AND match_key = %s", self.uid, number), 1)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.trust_verify()"), 0)
