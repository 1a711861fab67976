"""Case-insensitive comparisons fold every script, whatever the database's locale
(extension/casefold.c): structured search's email and display_name (equals, in, not_in,
string_contains), full-text documents and queries, tag names (POST /tags, PUT /tags/N,
labels naming a tag), labels (sync, PATCH) and the Contacts+ methods. The stack's database is created
with the C locale, under which lower() folds ASCII only: the case each test proves."""
import urllib.parse

from harness import ApiTest, member, sql1

# (as stored, the same in other case): accented Latin, Greek, Cyrillic
PAIRS = [("José Núñez", "JOSÉ NÚÑEZ"), ("Ελένη Παπαδοπούλου", "ΕΛΈΝΗ ΠΑΠΑΔΟΠΟΎΛΟΥ"),
         ("Иван Петров", "иван петров")]


class TestCaseFolding(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member()
        r = self.req("POST", "/contacts/sync", self.token, body=[
            {"display_name": PAIRS[0][0], "emails": ["ÉMILE@Example.COM"]},
            {"display_name": PAIRS[1][0], "emails": ["ΈΛΕΝΑ@παράδειγμα.gr"]},
            {"display_name": PAIRS[2][0]}])
        self.assertStatus(r, 200)
        self.ids = [c["id"] for c in r.json]

    def test_the_stack_database_folds_ascii_only_by_its_locale(self):
        # what makes every other test here meaningful
        self.assertEqual(sql1("SELECT datctype FROM pg_database WHERE datname = current_database()"), "C")
        self.assertEqual(sql1("SELECT lower('É')"), "É")
        self.assertEqual(sql1("SELECT privacybee.casefold('ÉΦЖ')"), "éφж")

    def found(self, f):
        r = self.req("POST", "/contacts/search", self.token, body={"filter": f, "limit": 100})
        self.assertStatus(r, 200)
        return sorted(c["id"] for c in r.json)

    def test_display_name_equals_in_and_not_in_fold_every_script(self):
        for i, (stored, other) in enumerate(PAIRS):
            with self.subTest(other=other):
                self.assertEqual(self.found({"field": "display_name", "operator": "equals",
                                             "value": other}), [self.ids[i]])
                self.assertEqual(self.found({"field": "display_name", "operator": "in",
                                             "values": [other, "nobody"]}), [self.ids[i]])
                self.assertNotIn(self.ids[i], self.found({"field": "display_name",
                                                          "operator": "not_in", "values": [other]}))

    def test_string_contains_folds_every_script(self):
        for value, i in (("ÑEZ", 0), ("núñ", 0), ("ΠΑΠΑΔ", 1), ("ПЕТР", 2)):
            with self.subTest(value=value):
                self.assertEqual(self.found({"field": "display_name", "operator": "string_contains",
                                             "value": value}), [self.ids[i]])
        self.assertEqual(self.found({"field": "email", "operator": "string_contains",
                                     "value": "έλενα@ΠΑΡ"}), [self.ids[1]])

    def test_email_equals_folds_every_script(self):
        self.assertEqual(self.found({"field": "email", "operator": "equals",
                                     "value": "émile@example.com"}), [self.ids[0]])
        self.assertEqual(self.found({"field": "email", "operator": "in",
                                     "values": ["έλενα@ΠΑΡΆΔΕΙΓΜΑ.GR"]}), [self.ids[1]])

    def test_full_text_query_and_document_fold_every_script(self):
        for q, i in (("ελένη", 1), ("ΕΛΕΝΗ", 1), ("Ελένη", 1), ("иван", 2), ("ИВАН", 2),
                     ("josé", 0), ("JOSE", 0), ("nunez", 0), ("name:ΝΎΝ", None),
                     ("émile", 0), ("email:ΈΛΕΝΑ", 1)):
            with self.subTest(q=q):
                r = self.req("GET", "/contacts?q=" + urllib.parse.quote(q), self.token)
                self.assertStatus(r, 200)
                self.assertEqual([c["id"] for c in r.json], [] if i is None else [self.ids[i]])

    def test_a_tag_name_in_other_case_of_any_script_is_that_tag(self):
        first = self.req("POST", "/tags", self.token, body={"name": "ΦΊΛΟΙ"})
        self.assertStatus(first, 201)
        again = self.req("POST", "/tags", self.token, body={"name": "φίλοι"})
        self.assertStatus(again, 200)
        self.assertEqual(again.json["id"], first.json["id"])
        other = self.req("POST", "/tags", self.token, body={"name": "Émigré"})
        self.assertStatus(other, 201)
        r = self.req("PUT", f"/tags/{other.json['id']}", self.token, body={"name": "Φίλοι"})
        self.assertError(r, 409, "name")
        # a label names the tag in any case
        r = self.req("PATCH", f"/contacts/{self.ids[2]}", self.token, body={"labels": ["φίλοι"]})
        self.assertEqual(r.json["labels"], ["ΦΊΛΟΙ"])
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.tags WHERE user_id = %s", self.uid), 2)

    def test_labels_in_other_case_of_any_script_are_one_tag(self):
        r = self.req("PATCH", f"/contacts/{self.ids[0]}", self.token,
                     body={"labels": ["Émigré", "ÉMIGRÉ", "émigré", "Ωμέγα"]})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["labels"], ["Émigré", "Ωμέγα"])
        r = self.req("POST", "/contacts/sync", self.token,
                     body=[{"display_name": "x", "labels": ["ÉMIGRÉ", "ΩΜΈΓΑ"]}])
        self.assertStatus(r, 200)
        self.assertEqual(r.json[0]["labels"], ["Émigré", "Ωμέγα"])
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.tags WHERE user_id = %s", self.uid), 2)
        r = self.req("GET", "/contacts?q=" + urllib.parse.quote("tag:ÉMIGRÉ"), self.token)
        self.assertEqual(len(r.json), 2)


def rpc(test, method, body, token=None):
    return test.req("POST", f"/api/v1/{method}", token or test.token, body=body)


class TestContactsPlusCaseFoldingAndNames(ApiTest):
    """The Contacts+ methods compare as the REST routes do (casefold: tag names, the
    search's full text and its emails) and trim names as every name is (trim_name:
    Unicode white space, not only ASCII)."""

    def setUp(self):
        super().setUp()
        self.uid, self.token = member()

    def test_tags_create_and_update_fold_every_script(self):
        first = rpc(self, "tags.create", {"tag": {"tagData": {"name": "ΦΊΛΟΙ"}}})
        self.assertStatus(first, 200)
        again = rpc(self, "tags.create", {"tag": {"tagData": {"name": "φίλοι"}}})
        self.assertEqual(again.json["tag"]["tagId"], first.json["tag"]["tagId"])
        other = rpc(self, "tags.create", {"tag": {"tagData": {"name": "Émigré"}}}).json["tag"]
        r = rpc(self, "tags.update", {"tag": {"tagId": other["tagId"], "etag": other["etag"],
                                              "tagData": {"name": "Φίλοι"}}})
        self.assertError(r, 409, "tag.tagData.name")
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.tags WHERE user_id = %s", self.uid), 2)

    def test_contacts_search_folds_names_and_emails_of_every_script(self):
        r = rpc(self, "contacts.create", {"contact": {"contactData": {
            "name": {"givenName": "Ελένη"}, "emails": [{"value": "ΈΛΕΝΑ@παράδειγμα.gr"}]}}})
        self.assertStatus(r, 200)
        cid = r.json["contact"]["contactId"]
        for q in ("ΕΛΈΝΗ", "ελένη", "email:έλενα"):
            with self.subTest(q=q):
                r = rpc(self, "contacts.search", {"searchQuery": q})
                self.assertStatus(r, 200)
                self.assertEqual([c["contactId"] for c in r.json["contacts"]], [cid])

    def test_names_are_trimmed_of_unicode_white_space(self):
        r = rpc(self, "tags.create", {"tag": {"tagData": {"name": "\u00a0Trimmed\u3000"}}})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["tag"]["tagData"]["name"], "Trimmed")
        # a name of white space only is no name: the contact is shown by its organization
        r = rpc(self, "contacts.create", {"contact": {"contactData": {
            "name": {"givenName": "\u00a0\u2003"}, "organizations": [{"name": "\u00a0Acme\u00a0"}]}}})
        self.assertStatus(r, 200)
        shown = self.req("GET", f"/contacts/{r.json['contact']['contactId']}", self.token)
        self.assertEqual(shown.json["display_name"], "Acme")
        # and without anything else to show, it is 400
        r = rpc(self, "contacts.create", {"contact": {"contactData": {"name": {"givenName": "\u00a0"}}}})
        self.assertError(r, 400, "contact.contactData")
