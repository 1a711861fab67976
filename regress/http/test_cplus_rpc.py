"""The Contacts+ RPC (SPEC §10): POST /api/v1/<method> in the seed's shapes, over the same
stored contacts and tags as /contacts and /tags. For every method: success in the seed's
shape, bad input (SPEC §2's error body, nothing written), another member's object (404)
and a token without the method's scope (403). The same contact read through
GET /contacts/{id} and contacts.get agrees field by field."""
from harness import USER_SCOPES, ApiTest, member, multipart, route_table, sql, sql1

# the seed's contactData keys, and how each is spelled in our details (SPEC §9)
CONTACT_DATA = {"name": "name", "emails": "emails", "phoneNumbers": "phone_numbers",
                "addresses": "addresses", "birthday": "birthday", "dates": "dates",
                "organizations": "organizations", "urls": "urls", "ims": "ims",
                "relatedPeople": "related_people", "notes": "notes", "items": "items"}
NAME = {"givenName": "given", "middleName": "middle", "familyName": "family", "prefix": "prefix",
        "suffix": "suffix"}
ADDRESS = {"type": "type", "street": "street", "extendedAddress": "extended", "city": "city",
           "region": "region", "postalCode": "postal_code", "country": "country"}
ORGANIZATION = {"name": "name", "department": "department", "title": "title", "location": "location",
                "description": "description", "startDate": "start_date", "endDate": "end_date"}

FULL = {"contactData": {
    "name": {"givenName": "John", "middleName": "Q", "familyName": "Smith", "prefix": "Dr",
             "suffix": "Jr"},
    "emails": [{"type": "work", "value": "john@acme.example"}, {"type": "home", "value": "j@home.example"}],
    "phoneNumbers": [{"type": "mobile", "value": "+1 212 555 0142"}],
    "addresses": [{"type": "work", "street": "1 Main St", "extendedAddress": "Suite 2", "city": "Springfield",
                   "region": "IL", "postalCode": "62701", "country": "US"}],
    "birthday": {"year": None, "month": 4, "day": 1},
    "dates": [{"type": "anniversary", "year": 2010, "month": 6, "day": 12}],
    "organizations": [{"name": "Acme", "department": "R&D", "title": "Developer", "location": "HQ",
                       "description": "rockets", "startDate": {"year": 2019, "month": 1, "day": 2},
                       "endDate": None}],
    "urls": [{"type": "blog", "value": "https://john.example"}],
    "ims": [{"type": "matrix", "value": "@john:example"}],
    "relatedPeople": [{"type": "spouse", "value": "Jane"}],
    "notes": "met at the fair",
    "items": [{"type": "shoe size", "value": "44"}]}}


# the smallest PNG (1x1)
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
                    "0000000c49444154789c63606060000000040001f61738550000000049454e44ae426082")


def rpc(test, method, body, token=None):
    return test.req("POST", f"/api/v1/{method}", token or test.token, body=body)


class CplusTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        cls.uid, cls.token = member("Carla", "Plus", "+12125550177")
        cls.other, cls.other_token = member("Oscar", "Other")

    def create(self, contact=None, token=None):
        r = rpc(self, "contacts.create", {"contact": contact or FULL}, token)
        self.assertStatus(r, 200)
        return r.json["contact"]

    def tag(self, name, token=None):
        r = rpc(self, "tags.create", {"tag": {"tagData": {"name": name}}}, token)
        self.assertStatus(r, 200)
        return r.json["tag"]

    def deleting_token(self):
        """Another token of the member: deletes are rate-limited per token (SPEC §2)."""
        return sql1("SELECT privacybee.issue_token(%s, %s)", self.uid, USER_SCOPES)

    def count(self, table, uid=None):
        return sql1(f"SELECT count(*) FROM privacybee.{table} WHERE user_id = %s", uid or self.uid)


class TestContactShapes(CplusTest):
    def test_create_answers_the_seeds_contact_with_every_field_written(self):
        c = self.create()
        self.assertRegex(c["contactId"], r"^[1-9][0-9]*$")
        # the etag is the contact's ETag over REST (and CardDAV), without its quotes
        self.assertEqual('"' + c["etag"] + '"', self.req("GET", f"/contacts/{c['contactId']}", self.token).header("ETag"))
        self.assertEqual(c["contactMetadata"], {"tagIds": [], "companyContact": False})
        # every field written comes back as written; photos, read-only, come as none
        self.assertEqual({k: v for k, v in c["contactData"].items() if k != "photos"}, FULL["contactData"])
        self.assertEqual(c["contactData"]["photos"], [])

    def test_the_same_contact_agrees_field_by_field_with_get_contacts_id(self):
        c = self.create()
        rest = self.req("GET", f"/contacts/{c['contactId']}", self.token)
        self.assertStatus(rest, 200)
        got = rpc(self, "contacts.get", {"contactIds": [c["contactId"]]}).json["contacts"][0]
        self.assertEqual(got, c)
        r, details = rest.json, rest.json["details"]
        self.assertEqual(got["contactId"], str(r["id"]))
        self.assertEqual(got["etag"], rest.header("ETag").strip('"'))
        self.assertEqual((got["created"], got["updated"]), (r["created"], r["updated"]))
        data = got["contactData"]
        self.assertEqual(set(data), set(CONTACT_DATA) | {"photos"})
        # the photo: REST's profile_icon, Contacts+'s photos (none here)
        self.assertEqual(data["photos"], [{"url": r["profile_icon"]}] if r["profile_icon"] else [])
        for theirs, ours in CONTACT_DATA.items():
            with self.subTest(field=theirs):
                if theirs == "name":
                    self.assertEqual({k: data["name"][k] for k in NAME},
                                     {k: details["name"][v] for k, v in NAME.items()})
                elif theirs == "addresses":
                    self.assertEqual(data[theirs], [{k: a[v] for k, v in ADDRESS.items()} for a in details[ours]])
                elif theirs == "organizations":
                    self.assertEqual(data[theirs], [{k: o[v] for k, v in ORGANIZATION.items()}
                                                    for o in details[ours]])
                elif theirs in ("emails", "phoneNumbers"):
                    self.assertEqual(data[theirs], [{"type": e["type"], "value": e["value"]}
                                                    for e in details[ours]])
                else:
                    self.assertEqual(data[theirs], details[ours])

    def test_primary_entries_come_first_as_the_seed_says(self):
        c = self.create()
        self.req("PATCH", f"/contacts/{c['contactId']}", self.token, body={"details": {"emails": [
            {"value": "a@x.example"}, {"value": "b@x.example", "primary": True}]}})
        got = rpc(self, "contacts.get", {"contactIds": [c["contactId"]]}).json["contacts"][0]
        self.assertEqual([e["value"] for e in got["contactData"]["emails"]], ["b@x.example", "a@x.example"])

    def test_a_contact_without_a_name_is_shown_by_its_email(self):
        c = self.create({"contactData": {"emails": [{"value": "nameless@x.example"}]}})
        r = self.req("GET", f"/contacts/{c['contactId']}", self.token)
        self.assertEqual(r.json["display_name"], "nameless@x.example")

    def test_bad_contact_data_is_400_naming_the_clients_fields_and_writes_nothing(self):
        before = self.count("contacts")
        r = rpc(self, "contacts.create", {"contact": {"contactData": {
            "name": {"givenName": 5}, "emails": [{"value": "not an email"}],
            "phoneNumbers": [{"value": "x" * 100}]}}})
        err = self.assertError(r, 400, "contact.contactData.name.givenName")
        fields = {d["field"] for d in err["details"]}
        self.assertIn("contact.contactData.emails[0].value", fields)
        self.assertIn("contact.contactData.phoneNumbers[0].value", fields)
        self.assertTrue(err["message"].startswith("contact.contactData.name.givenName "), err)
        for body, field in [({"contact": {"contactData": {}}}, "contact.contactData"),
                            ({"contact": {}}, "contact.contactData"),
                            ({"contact": []}, "contact"),
                            ({"contact": {"contactData": {"name": {"givenName": "x"}}, "bogus": 1}},
                             "contact.bogus"),
                            ({}, "contact"),
                            ({"contact": FULL, "extra": 1}, "extra")]:
            with self.subTest(body=body):
                r = rpc(self, "contacts.create", body)
                self.assertError(r, 400, field)
        self.assertEqual(self.count("contacts"), before)

    def test_tag_ids_written_are_the_contacts_tags_and_anothers_are_404(self):
        t = self.tag("Family")
        c = self.create({**FULL, "contactMetadata": {"tagIds": [t["tagId"]]}})
        self.assertEqual(c["contactMetadata"]["tagIds"], [t["tagId"]])
        rest = self.req("GET", f"/contacts/{c['contactId']}", self.token).json
        self.assertEqual(rest["labels"], ["Family"])
        theirs = self.tag("Theirs", self.other_token)
        before = self.count("contacts")
        r = rpc(self, "contacts.create", {"contact": {**FULL, "contactMetadata": {"tagIds": [theirs["tagId"]]}}})
        self.assertError(r, 404, "contact.contactMetadata.tagIds[0]")
        self.assertEqual(self.count("contacts"), before)


class TestContactMethods(CplusTest):
    def test_get_answers_in_the_order_named_and_anothers_contact_is_404(self):
        a, b = self.create(), self.create()
        r = rpc(self, "contacts.get", {"contactIds": [b["contactId"], int(a["contactId"])]})
        self.assertStatus(r, 200)
        self.assertEqual([c["contactId"] for c in r.json["contacts"]], [b["contactId"], a["contactId"]])
        theirs = self.create(token=self.other_token)
        r = rpc(self, "contacts.get", {"contactIds": [a["contactId"], theirs["contactId"]]})
        self.assertError(r, 404, "contactIds[1]")
        self.assertNotIn("John", r.raw)
        for body, field in [({}, "contactIds"), ({"contactIds": ["x"]}, "contactIds[0]"),
                            ({"contactIds": "1"}, "contactIds"), ({"contactIds": [0]}, "contactIds[0]")]:
            with self.subTest(body=body):
                self.assertError(rpc(self, "contacts.get", body), 400, field)

    def test_scroll_pages_through_every_contact_and_shows_tombstones_when_asked(self):
        uid, token = member("Scroll", "Er")
        made = [self.create({"contactData": {"name": {"givenName": f"s{i}"}}}, token) for i in range(5)]
        gone, gone_etag = made[2]["contactId"], made[2]["etag"]
        made = [c["contactId"] for c in made]
        self.assertStatus(rpc(self, "contacts.delete", {"contactId": gone, "etag": gone_etag}, token), 200)
        seen, cursor = [], None
        while True:
            r = rpc(self, "contacts.scroll", {"size": 2, **({"scrollCursor": cursor} if cursor else {})}, token)
            self.assertStatus(r, 200)
            seen += [c["contactId"] for c in r.json["contacts"]]
            cursor = r.json.get("cursor")
            if not cursor:
                break
        self.assertEqual(seen, [m for m in made if m != gone])
        r = rpc(self, "contacts.scroll", {"includeDeletedContacts": True}, token)
        tomb = [c for c in r.json["contacts"] if c.get("deleted")]
        self.assertEqual([c["contactId"] for c in r.json["contacts"]], made)
        self.assertEqual([(t["contactId"], set(t)) for t in tomb], [(gone, {"contactId", "deleted", "updated"})])
        for body, field in [({"size": 0}, "size"), ({"size": "x"}, "size"), ({"scrollCursor": "nope"}, "scrollCursor"),
                            ({"includeDeletedContacts": "yes"}, "includeDeletedContacts"),
                            ({"scrollCursor": 5}, "scrollCursor")]:
            with self.subTest(body=body):
                self.assertError(rpc(self, "contacts.scroll", body, token), 400, field)
        # another member's scroll holds none of these
        r = rpc(self, "contacts.scroll", {"includeDeletedContacts": True})
        self.assertFalse(set(made) & {c["contactId"] for c in r.json["contacts"]})

    def test_search_finds_by_query_and_tags_and_pages_with_search_cursor(self):
        uid, token = member("Sea", "Rcher")
        t = self.tag("vip", token)
        ids = [self.create({"contactData": {"name": {"givenName": f"Zelda{i}", "familyName": "Quest"}},
                            "contactMetadata": {"tagIds": [t["tagId"]] if i % 2 else []}}, token)["contactId"]
               for i in range(5)]
        self.create({"contactData": {"name": {"givenName": "Other"}}}, token)
        found, cursor = [], None
        while True:
            r = rpc(self, "contacts.search", {"searchQuery": "zel quest", "size": 2,
                                              **({"searchCursor": cursor} if cursor else {})}, token)
            self.assertStatus(r, 200)
            found += [c["contactId"] for c in r.json["contacts"]]
            cursor = r.json.get("cursor")
            if not cursor:
                break
        self.assertEqual(sorted(found), sorted(ids))
        r = rpc(self, "contacts.search", {"searchQuery": "zelda", "tagIds": [t["tagId"]], "size": 1}, token)
        tagged = [r.json["contacts"][0]["contactId"]]
        r = rpc(self, "contacts.search", {"searchQuery": "zelda", "tagIds": [t["tagId"]], "size": 1,
                                          "searchCursor": r.json["cursor"]}, token)
        tagged.append(r.json["contacts"][0]["contactId"])
        self.assertNotIn("cursor", r.json)
        self.assertEqual(sorted(tagged), sorted(ids[1::2]))
        r = rpc(self, "contacts.search", {"tagIds": [t["tagId"]]}, token)
        self.assertEqual([c["contactId"] for c in r.json["contacts"]], ids[1::2])
        self.assertEqual(rpc(self, "contacts.search", {"searchQuery": "zelda"}).json["contacts"], [])
        self.assertError(rpc(self, "contacts.search", {"tagIds": [t["tagId"]]}), 404, "tagIds[0]")
        for body, field in [({}, "searchQuery"), ({"searchQuery": "(zel"}, None),
                            ({"searchQuery": "zel", "searchCursor": "x"}, "searchCursor"),
                            ({"searchQuery": 3}, "searchQuery")]:
            with self.subTest(body=body):
                self.assertError(rpc(self, "contacts.search", body, token), 400, field)

    def test_bad_query_and_cursors_are_400_naming_the_contacts_plus_field_sent(self):
        """The REST cores behind these methods name q and cursor; the client sent neither."""
        tag = self.tag("Renamed problems")["tagId"]
        for method, body, field in [
                ("contacts.search", {"searchQuery": '"unterminated'}, "searchQuery"),
                ("contacts.search", {"searchQuery": "a" * 501}, "searchQuery"),
                ("contacts.search", {"searchQuery": "x", "searchCursor": "garbage"}, "searchCursor"),
                ("contacts.search", {"tagIds": [tag], "searchCursor": "garbage"}, "searchCursor"),
                ("contacts.scroll", {"scrollCursor": "garbage"}, "scrollCursor"),
                ("tags.scroll", {"scrollCursor": "garbage"}, "scrollCursor")]:
            with self.subTest(method=method, field=field):
                err = self.assertError(rpc(self, method, body), 400, field)
                self.assertEqual({d["field"] for d in err["details"]}, {field}, err)
                self.assertNotRegex(err["message"], r"^(q|cursor)\b", err)

    def test_update_at_the_etag_writes_and_a_stale_etag_is_409_with_the_current_contact(self):
        c = self.create()
        r = rpc(self, "contacts.update", {"contact": {"contactId": c["contactId"], "etag": c["etag"],
                                                      "contactData": {"name": {"givenName": "Johnny"}}}})
        self.assertStatus(r, 200)
        now = r.json["contact"]
        self.assertEqual(now["contactData"]["name"]["givenName"], "Johnny")
        self.assertEqual(now["contactData"]["emails"], FULL["contactData"]["emails"])  # absent: unchanged
        self.assertNotEqual(now["etag"], c["etag"])
        stale = rpc(self, "contacts.update", {"contact": {"contactId": c["contactId"], "etag": c["etag"],
                                                          "contactData": {"notes": "lost"}}})
        self.assertError(stale, 409, "contact.etag")
        self.assertEqual(stale.json["contact"], now)
        forced = rpc(self, "contacts.update", {"contact": {"contactId": c["contactId"], "etag": c["etag"],
                                                           "contactData": {"notes": "kept"}},
                                               "resolveConflicts": True})
        self.assertStatus(forced, 200)
        self.assertEqual(forced.json["contact"]["contactData"]["notes"], "kept")

    def test_update_bad_input_is_400_and_anothers_contact_404_nothing_written(self):
        c = self.create()
        theirs = self.create(token=self.other_token)
        version = sql1("SELECT version FROM privacybee.contacts WHERE user_id = %s AND id = %s",
                       self.uid, int(c["contactId"]))
        for body, field in [({"contact": {"contactId": c["contactId"], "etag": c["etag"],
                                          "contactData": {"emails": [{"value": "nope"}]}}},
                             "contact.contactData.emails[0].value"),
                            ({"contact": {"contactId": c["contactId"], "contactData": {}}}, "contact.etag"),
                            ({"contact": {"etag": "v1"}}, "contact.contactId"),
                            ({"contact": {"contactId": c["contactId"], "etag": c["etag"]},
                              "resolveConflicts": "yes"}, "resolveConflicts")]:
            with self.subTest(body=body):
                self.assertError(rpc(self, "contacts.update", body), 400, field)
        r = rpc(self, "contacts.update", {"contact": {"contactId": theirs["contactId"], "etag": theirs["etag"],
                                                      "contactData": {"notes": "mine now"}}})
        self.assertError(r, 404, "contact.contactId")
        self.assertNotIn("John", r.raw)
        self.assertEqual(sql1("SELECT version FROM privacybee.contacts WHERE user_id = %s AND id = %s",
                              self.uid, int(c["contactId"])), version)
        self.assertEqual(sql1("SELECT version FROM privacybee.contacts WHERE user_id = %s AND id = %s",
                              self.other, int(theirs["contactId"])), 1)

    def test_delete_at_the_etag_leaves_a_tombstone_and_a_stale_etag_is_409(self):
        c = self.create()
        token = self.deleting_token()
        r = rpc(self, "contacts.delete", {"contactId": c["contactId"], "etag": "v9"}, token)
        self.assertError(r, 409, "etag")
        self.assertEqual(r.json["contact"], c)
        self.assertError(rpc(self, "contacts.delete", {"contactId": c["contactId"]}, token), 400, "etag")
        theirs = self.create(token=self.other_token)
        self.assertError(rpc(self, "contacts.delete", {"contactId": theirs["contactId"], "etag": "v1"}, token),
                         404, "contactId")
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.contacts WHERE user_id = %s AND id = %s",
                              self.other, int(theirs["contactId"])), 1)
        r = rpc(self, "contacts.delete", {"contactId": c["contactId"], "etag": c["etag"]}, token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"contactId": c["contactId"], "deleted": True})
        self.assertEqual(self.req("GET", f"/contacts/{c['contactId']}", self.token).status, 404)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.contact_tombstones WHERE user_id = %s "
                              "AND contact_id = %s", self.uid, int(c["contactId"])), 1)

    def test_manage_tags_adds_and_removes_all_or_nothing(self):
        a, b = self.create(), self.create()
        t1, t2 = self.tag("one"), self.tag("two")
        r = rpc(self, "contacts.manageTags", {"contactIds": [a["contactId"], b["contactId"]],
                                              "addTagIds": [t1["tagId"], t2["tagId"]]})
        self.assertStatus(r, 200)
        self.assertEqual([c["contactMetadata"]["tagIds"] for c in r.json["contacts"]],
                         [[t1["tagId"], t2["tagId"]]] * 2)
        r = rpc(self, "contacts.manageTags", {"contactIds": [a["contactId"]], "removeTagIds": [t1["tagId"]]})
        self.assertEqual(r.json["contacts"][0]["contactMetadata"]["tagIds"], [t2["tagId"]])
        theirs = self.tag("theirs", self.other_token)
        tagged = sql1("SELECT count(*) FROM privacybee.contact_tags WHERE user_id = %s", self.uid)
        r = rpc(self, "contacts.manageTags", {"contactIds": [a["contactId"]],
                                              "addTagIds": [t1["tagId"], theirs["tagId"]]})
        self.assertError(r, 404, "addTagIds[1]")
        for body, field in [({"contactIds": [a["contactId"]]}, "addTagIds"),
                            ({"contactIds": [], "addTagIds": [t1["tagId"]]}, "contactIds"),
                            ({"contactIds": [a["contactId"]], "addTagIds": [t1["tagId"]],
                              "removeTagIds": [t1["tagId"]]}, "removeTagIds")]:
            with self.subTest(body=body):
                self.assertError(rpc(self, "contacts.manageTags", body), 400, field)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.contact_tags WHERE user_id = %s", self.uid),
                         tagged)


class TestUploadPhoto(CplusTest):
    def upload(self, contact_json, files=(("image.png", "image/png", PNG),), token=None, raw=None):
        body, ctype = multipart([("contact.json", contact_json)] if contact_json is not None else [], files)
        return self.req("POST", "/api/v1/contacts.uploadPhoto", token or self.token,
                        raw=raw[0] if raw else body, ctype=raw[1] if raw else ctype)

    def test_an_image_part_becomes_the_contacts_photo(self):
        c = self.create()
        r = self.upload('{"contact": {"contactId": "%s", "etag": "%s"}}' % (c["contactId"], c["etag"]))
        self.assertStatus(r, 200)
        self.assertEqual(r.json["contact"]["contactId"], c["contactId"])
        self.assertNotEqual(r.json["contact"]["etag"], c["etag"])
        photo = self.req("GET", f"/contacts/{c['contactId']}/photo", self.token)
        self.assertStatus(photo, 200)
        self.assertEqual(photo.header("Content-Type"), "image/png")
        self.assertEqual(photo.data, PNG)
        # the Contacts+ contact names its photo (the seed's contactData.photos), and a
        # contact without one has none
        self.assertEqual(c["contactData"]["photos"], [])
        self.assertEqual(r.json["contact"]["contactData"]["photos"],
                         [{"url": f"/contacts/{c['contactId']}/photo"}])
        got = rpc(self, "contacts.get", {"contactIds": [c["contactId"]]}).json["contacts"][0]
        self.assertEqual(got["contactData"]["photos"], r.json["contact"]["contactData"]["photos"])
        # sent back as read, photos change nothing (read-only) and are no error
        back = rpc(self, "contacts.update", {"contact": {"contactId": c["contactId"],
                                                         "etag": r.json["contact"]["etag"],
                                                         "contactData": r.json["contact"]["contactData"]}})
        self.assertStatus(back, 200)
        self.assertEqual(back.json["contact"]["contactData"]["photos"],
                         r.json["contact"]["contactData"]["photos"])
        stale = self.upload('{"contact": {"contactId": "%s", "etag": "%s"}}' % (c["contactId"], c["etag"]))
        self.assertError(stale, 409, "contact.etag")
        self.assertEqual(stale.json["contact"], back.json["contact"])

    def test_bad_parts_are_400_or_415_and_anothers_contact_404_nothing_written(self):
        c = self.create()
        theirs = self.create(token=self.other_token)
        ok = '{"contact": {"contactId": "%s"}}' % c["contactId"]
        for name, kwargs, status, field in [
                ("no contact.json", {"contact_json": None}, 400, "contact.json"),
                ("contact.json not JSON", {"contact_json": "{"}, 400, "contact.json"),
                ("no contactId", {"contact_json": '{"contact": {}}'}, 400, "contact.contactId"),
                ("an unknown field", {"contact_json": '{"contact": {"contactId": "1"}, "x": 1}'}, 400, "x"),
                ("no image part", {"contact_json": ok, "files": ()}, 400, None),
                ("two image parts", {"contact_json": ok, "files": (("a", "image/png", PNG),
                                                                   ("b", "image/png", PNG))}, 400, None),
                ("bytes not a PNG", {"contact_json": ok, "files": (("a", "image/png", b"GIF89a...."),)},
                 400, "image"),
                ("not multipart", {"contact_json": ok, "raw": (b"{}", "application/json")}, 415, None),
                ("no boundary", {"contact_json": ok, "raw": (b"--x\r\n", "multipart/form-data")}, 400, None),
                ("cut short", {"contact_json": ok, "raw": (
                    b"--b\r\nContent-Disposition: form-data; name=\"contact.json\"\r\n\r\n{}",
                    "multipart/form-data; boundary=b")}, 400, None),
                ("a part without a name", {"contact_json": ok, "raw": (
                    b"--b\r\nContent-Type: image/png\r\n\r\n" + PNG + b"\r\n--b--\r\n",
                    "multipart/form-data; boundary=b")}, 400, None),
                ("another's contact", {"contact_json": '{"contact": {"contactId": "%s"}}' % theirs["contactId"]},
                 404, "contact.contactId")]:
            with self.subTest(case=name):
                self.assertError(self.upload(**kwargs), status, field)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.contact_photos WHERE contact_id IN (%s, %s)",
                              int(c["contactId"]), int(theirs["contactId"])), 0)


    def test_a_field_part_in_another_charset_is_415_a_file_parts_charset_is_not_judged(self):
        c = self.create()
        ok = '{"contact": {"contactId": "%s"}}' % c["contactId"]
        b = "pbB"

        def body(json_type, png_type="image/png", extra=b""):
            return (f"--{b}\r\nContent-Disposition: form-data; name=\"contact.json\"\r\n"
                    f"Content-Type: {json_type}\r\n\r\n{ok}\r\n".encode() + extra
                    + f"--{b}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
                      f"Content-Type: {png_type}\r\n\r\n".encode() + PNG + f"\r\n--{b}--\r\n".encode(),
                    f"multipart/form-data; boundary={b}")
        latin1 = f"--{b}\r\nContent-Disposition: form-data; name=\"_charset_\"\r\n\r\niso-8859-1\r\n".encode()
        for name, raw in [("a field part in latin1", body("application/json; charset=iso-8859-1")),
                          ("a field part in utf-16", body('text/plain; charset="utf-16"')),
                          ("a _charset_ field naming latin1", body("application/json", extra=latin1))]:
            with self.subTest(case=name):
                self.assertError(self.upload(None, raw=raw), 415)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.contact_photos WHERE contact_id = %s",
                              int(c["contactId"])), 0)
        for name, raw in [("a field part in UTF-8", body("application/json; charset=UTF-8")),
                          ("a file part naming a charset", body("application/json", "image/png; charset=latin1"))]:
            with self.subTest(case=name):
                self.assertStatus(self.upload(None, raw=raw), 200)


class TestTagMethods(CplusTest):
    def test_create_answers_the_seeds_tag_and_the_existing_one_by_name(self):
        t = self.tag("Colleagues")
        self.assertEqual(set(t), {"tagId", "etag", "created", "updated", "tagData"})
        self.assertEqual(t["tagData"], {"name": "Colleagues"})
        self.assertEqual(self.tag("colleagues"), t)
        rest = self.req("GET", f"/tags/{t['tagId']}", self.token)
        # the REST ETag is "v<version>.<contact count>" (the count is in that representation);
        # the Contacts+ etag the version alone (cplus_tag_etag())
        self.assertEqual((rest.json["name"], rest.header("ETag").strip('"')),
                         ("Colleagues", t["etag"] + "." + str(rest.json["contact_count"])))
        before = self.count("tags")
        for body, field in [({"tag": {"tagData": {"name": ""}}}, "tag.tagData.name"),
                            ({"tag": {"tagData": {}}}, "tag.tagData.name"),
                            ({"tag": {"name": "x"}}, "tag.name"),
                            ({"tag": "x"}, "tag"), ({}, "tag"),
                            ({"tag": {"tagData": {"name": "x" * 65}}}, "tag.tagData.name")]:
            with self.subTest(body=body):
                self.assertError(rpc(self, "tags.create", body), 400, field)
        self.assertEqual(self.count("tags"), before)

    def test_get_and_scroll_show_only_the_members_tags(self):
        uid, token = member("Tag", "Scroller")
        tags = [self.tag(f"t{i}", token)["tagId"] for i in range(3)]
        seen, cursor = [], None
        while True:
            r = rpc(self, "tags.scroll", {"size": 2, "includeDeletedTags": True,
                                          **({"scrollCursor": cursor} if cursor else {})}, token)
            self.assertStatus(r, 200)
            seen += [t["tagId"] for t in r.json["tags"]]
            cursor = r.json.get("cursor")
            if not cursor:
                break
        self.assertEqual(seen, tags)
        r = rpc(self, "tags.get", {"tagIds": [tags[2], tags[0]]}, token)
        self.assertEqual([t["tagId"] for t in r.json["tags"]], [tags[2], tags[0]])
        self.assertError(rpc(self, "tags.get", {"tagIds": [tags[0]]}), 404, "tagIds[0]")
        self.assertError(rpc(self, "tags.get", {}), 400, "tagIds")
        self.assertError(rpc(self, "tags.scroll", {"size": -1}), 400, "size")

    def test_update_renames_at_the_etag_and_its_contacts_show_the_name(self):
        t = self.tag("Old name")
        c = self.create({**FULL, "contactMetadata": {"tagIds": [t["tagId"]]}})
        self.assertEqual(rpc(self, "tags.get", {"tagIds": [t["tagId"]]}).json["tags"][0], t)
        r = rpc(self, "tags.update", {"tag": {"tagId": t["tagId"], "etag": t["etag"],
                                              "tagData": {"name": "New name"}}})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["tag"]["tagData"]["name"], "New name")
        self.assertEqual(self.req("GET", f"/contacts/{c['contactId']}", self.token).json["labels"], ["New name"])
        stale = rpc(self, "tags.update", {"tag": {"tagId": t["tagId"], "etag": t["etag"],
                                                  "tagData": {"name": "Lost"}}})
        self.assertError(stale, 409, "tag.etag")
        self.assertEqual(stale.json["tag"], r.json["tag"])
        # the seed's JavaScript form: tagId and etag beside the tag
        r2 = rpc(self, "tags.update", {"tagId": t["tagId"], "etag": r.json["tag"]["etag"],
                                       "tag": {"tagData": {"name": "Newer"}}})
        self.assertStatus(r2, 200)
        self.tag("Taken")
        self.assertError(rpc(self, "tags.update", {"tag": {"tagId": t["tagId"], "etag": r2.json["tag"]["etag"],
                                                           "tagData": {"name": "taken"}}}), 409, "tag.tagData.name")
        theirs = self.tag("Theirs", self.other_token)
        self.assertError(rpc(self, "tags.update", {"tag": {"tagId": theirs["tagId"], "etag": theirs["etag"],
                                                           "tagData": {"name": "Mine"}}}), 404, "tag.tagId")
        self.assertEqual(sql1("SELECT name FROM privacybee.tags WHERE id = %s", int(theirs["tagId"])), "Theirs")
        self.assertError(rpc(self, "tags.update", {"tag": {"tagId": t["tagId"], "tagData": {"name": "x"}}}),
                         400, "tag.etag")

    def test_a_tags_etag_moves_only_when_the_tag_changes_not_when_contacts_are_tagged(self):
        """The Contacts+ tag shows its name, created and updated, not its contact count: the
        etag tags.create answered stays current however many contacts are tagged, by every
        path (contacts.create, contacts.update, contacts.manageTags), until the tag changes."""
        t = self.tag("Steady")
        c = self.create({**FULL, "contactMetadata": {"tagIds": [t["tagId"]]}})
        d = self.create()
        rpc(self, "contacts.update", {"contact": {"contactId": d["contactId"], "etag": d["etag"],
                                                  "contactMetadata": {"tagIds": [t["tagId"]]}}})
        e = self.create()
        self.assertStatus(rpc(self, "contacts.manageTags", {"contactIds": [e["contactId"]],
                                                            "addTagIds": [t["tagId"]]}), 200)
        self.assertStatus(rpc(self, "contacts.manageTags", {"contactIds": [c["contactId"]],
                                                            "removeTagIds": [t["tagId"]]}), 200)
        self.assertEqual(rpc(self, "tags.get", {"tagIds": [t["tagId"]]}).json["tags"][0], t)
        r = rpc(self, "tags.update", {"tag": {"tagId": t["tagId"], "etag": t["etag"],
                                              "tagData": {"name": "Renamed"}}})
        self.assertStatus(r, 200)
        self.assertNotEqual(r.json["tag"]["etag"], t["etag"])
        # resolveConflicts writes over a stale etag, as contacts.update's does
        self.assertError(rpc(self, "tags.update", {"tag": {"tagId": t["tagId"], "etag": t["etag"],
                                                           "tagData": {"name": "Stale"}}}), 409, "tag.etag")
        forced = rpc(self, "tags.update", {"tag": {"tagId": t["tagId"], "etag": t["etag"],
                                                   "tagData": {"name": "Forced"}}, "resolveConflicts": True})
        self.assertStatus(forced, 200)
        self.assertEqual(forced.json["tag"]["tagData"]["name"], "Forced")
        unguarded = rpc(self, "tags.update", {"tag": {"tagId": t["tagId"], "tagData": {"name": "Free"}},
                                              "resolveConflicts": True})
        self.assertStatus(unguarded, 200)
        self.assertStatus(rpc(self, "contacts.manageTags", {"contactIds": [c["contactId"]],
                                                            "addTagIds": [t["tagId"]]}), 200)
        self.assertStatus(rpc(self, "tags.delete", {"tagId": t["tagId"], "etag": unguarded.json["tag"]["etag"]},
                              self.deleting_token()), 200)

    def test_delete_at_the_etag_removes_it_from_its_contacts(self):
        t = self.tag("Doomed")
        token = self.deleting_token()
        c = self.create({**FULL, "contactMetadata": {"tagIds": [t["tagId"]]}})
        t = rpc(self, "tags.get", {"tagIds": [t["tagId"]]}).json["tags"][0]
        self.assertError(rpc(self, "tags.delete", {"tagId": t["tagId"], "etag": "v0"}, token), 409, "etag")
        theirs = self.tag("Keep", self.other_token)
        self.assertError(rpc(self, "tags.delete", {"tagId": theirs["tagId"], "etag": theirs["etag"]}, token),
                         404, "tagId")
        r = rpc(self, "tags.delete", {"tagId": t["tagId"], "etag": t["etag"]}, token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"tagId": t["tagId"], "deleted": True})
        got = rpc(self, "contacts.get", {"contactIds": [c["contactId"]]}).json["contacts"][0]
        self.assertEqual(got["contactMetadata"]["tagIds"], [])
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.tags WHERE id = %s", int(theirs["tagId"])), 1)


class TestAccountAndTeams(CplusTest):
    def test_account_get_is_the_member_in_the_seeds_shape(self):
        r = rpc(self, "account.get", {})
        self.assertStatus(r, 200)
        a = r.json["account"]
        self.assertEqual(a["accountId"], str(self.uid))
        self.assertEqual((a["profileData"]["name"]["givenName"], a["profileData"]["name"]["familyName"]),
                         ("Carla", "Plus"))
        self.assertEqual(a["profileData"]["phoneNumbers"], [{"type": "mobile", "value": "+12125550177"}])
        self.assertError(rpc(self, "account.get", {"x": 1}), 400, "x")

    def test_teams_get_lists_the_companies_the_member_works_for(self):
        uid, token = member("Tea", "Mate")
        mate, _ = member("Mate", "Two")
        company = sql1("SELECT privacybee.create_company('Team Co', %s)", f"team-co-{uid}")
        other = sql1("SELECT privacybee.create_company('Not Mine', %s)", f"not-mine-{uid}")
        sql("SELECT privacybee.add_employee(%s, %s)", company, uid)
        sql("SELECT privacybee.add_employee(%s, %s)", company, mate)
        sql("SELECT privacybee.add_employee(%s, %s)", other, mate)
        r = rpc(self, "teams.get", {}, token)
        self.assertStatus(r, 200)
        self.assertEqual([t["teamId"] for t in r.json["teams"]], [str(company)])
        team = r.json["teams"][0]
        self.assertEqual(team["teamData"]["name"], "Team Co")
        self.assertEqual([m["accountId"] for m in team["teamMembers"]], [str(uid), str(mate)])
        # a team the member does not work for is 404 on every method that takes teamId
        self.assertError(rpc(self, "contacts.scroll", {"teamId": str(other)}, token), 404, "teamId")


class TestScopes(CplusTest):
    def test_a_token_without_the_methods_scope_is_403_and_changes_nothing(self):
        routes = [(p, scope) for m, p, _, scope, _ in route_table() if p.startswith("/api/v1/")]
        self.assertTrue(routes)
        for path, scope in routes:
            canonical = {"contacts:read", "contacts:write", "tags.read", "tags.write", "account.read",
                         "teams.read"}
            others = sorted(canonical - {scope})
            _, token = member("No", "Scope", scopes=others)
            with self.subTest(route=path):
                before = (self.count("contacts"), self.count("tags"))
                r = self.req("POST", path, token, body={})
                self.assertError(r, 403)
                self.assertEqual((self.count("contacts"), self.count("tags")), before)

    def test_the_seeds_scope_names_are_the_same_scopes(self):
        _, token = member("Seed", "Scopes", scopes=["contacts.read", "tags.read"])
        self.assertStatus(rpc(self, "contacts.scroll", {}, token), 200)
        self.assertStatus(rpc(self, "tags.scroll", {}, token), 200)
        self.assertError(rpc(self, "contacts.create", {"contact": FULL}, token), 403)
