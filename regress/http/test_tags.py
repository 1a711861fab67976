"""Tags (SPEC §9) through nginx: /tags and POST /contacts/tags, labels as tag names, ETags
and If-Match, the keyset listing, validation with nothing written, another member's tag."""
import re

from harness import ApiTest, member, member_sql, sql, sql1


class TagCase(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member()

    def sync(self, items, token=None):
        r = self.req("POST", "/contacts/sync", token or self.token, body=items)
        self.assertStatus(r, 200)
        return r.json

    def create(self, name, token=None):
        return self.req("POST", "/tags", token or self.token, body={"name": name})

    def state(self):
        """Everything of the member's that a tag route may write."""
        return (sql("SELECT id, name, version FROM privacybee.tags WHERE user_id = %s ORDER BY id",
                    self.uid),
                sql("SELECT contact_id, tag_id, pos FROM privacybee.contact_tags WHERE user_id = %s "
                    "ORDER BY 1, 3", self.uid),
                sql("SELECT id, version FROM privacybee.contacts WHERE user_id = %s ORDER BY id",
                    self.uid))

    def labels(self, contact_id):
        return self.req("GET", f"/contacts/{contact_id}", self.token).json["labels"]


class TestTagRoutes(TagCase):
    def test_create_then_the_same_name_in_any_case_is_that_tag(self):
        r = self.create("Clients")
        self.assertStatus(r, 201)
        tag = r.json
        self.assertEqual((tag["name"], tag["contact_count"]), ("Clients", 0))
        self.assertEqual(r.header("ETag"), tag["etag"])
        again = self.create("cLIENTS")
        self.assertStatus(again, 200)
        self.assertEqual(again.json, tag)
        # another member's namespace is their own
        _, other = member()
        self.assertStatus(self.create("Clients", other), 201)

    def test_names_are_non_empty_strings_of_at_most_64_characters_like_labels(self):
        before = self.state()
        for body, field in (({"name": ""}, "name"), ({"name": 5}, "name"),
                            ({"name": "x" * 65}, "name"), ({}, "name"), ({"nam": "x"}, "nam")):
            with self.subTest(body=body):
                self.assertError(self.req("POST", "/tags", self.token, body=body), 400, field)
        self.assertError(self.req("POST", "/tags", self.token, body=["x"]), 400)
        self.assertEqual(self.state(), before)
        self.assertEqual(self.create("x" * 64).json["name"], "x" * 64)

    def test_names_are_trimmed_on_every_route_and_a_blank_one_is_empty(self):
        # Unicode white space around a name is no part of it: tag names, labels, display_name
        first = self.create("\u00a0Friends\t")
        self.assertStatus(first, 201)
        self.assertEqual(first.json["name"], "Friends")
        self.assertEqual(self.create("friends ").json["id"], first.json["id"])
        c = self.sync([{"display_name": "\u3000 Bob ", "labels": [" friends", "Work\u2003", "work"]}])[0]
        self.assertEqual((c["display_name"], c["labels"]), ("Bob", ["Friends", "Work"]))
        other = self.create("Other").json
        self.assertError(self.req("PUT", f"/tags/{other['id']}", self.token, body={"name": " FRIENDS "}),
                         409, "name")
        r = self.req("PATCH", f"/tags/{other['id']}", self.token, body={"name": " Renamed "})
        self.assertEqual(r.json["name"], "Renamed")
        before = self.state()
        for method, path, body, field in (
                ("POST", "/tags", {"name": " \u00a0\t"}, "name"),
                ("PUT", f"/tags/{other['id']}", {"name": "   "}, "name"),
                ("POST", "/contacts/sync", [{"display_name": "   "}], "[0].display_name"),
                ("POST", "/contacts/sync", [{"display_name": "x", "labels": ["ok", "  "]}], "[0].labels[1]"),
                ("PUT", f"/contacts/{c['id']}", {"display_name": "\u2028"}, "display_name"),
                ("PATCH", f"/contacts/{c['id']}", {"labels": [" "]}, "labels[0]")):
            with self.subTest(method=method, path=path, body=body):
                self.assertError(self.req(method, path, self.token, body=body), 400, field)
        self.assertEqual(self.state(), before)
        # at most 64 characters, counted without the space around them
        self.assertStatus(self.create("  " + "y" * 64 + "  "), 201)

    def test_get_with_etag_and_if_none_match(self):
        tag = self.create("Friends").json
        r = self.req("GET", f"/tags/{tag['id']}", self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, tag)
        r = self.req("GET", f"/tags/{tag['id']}", self.token, headers={"If-None-Match": tag["etag"]})
        self.assertStatus(r, 304)
        self.assertEqual(r.header("ETag"), tag["etag"])

    def test_rename_with_if_match_shows_on_its_contacts(self):
        c = self.sync([{"display_name": "A", "labels": ["Old"]}])[0]
        tag = self.req("GET", "/tags", self.token).json[0]
        version = sql1("SELECT version FROM privacybee.contacts WHERE id = %s", c["id"])
        r = self.req("PUT", f"/tags/{tag['id']}", self.token, body={"name": "New"},
                     headers={"If-Match": '"v0.0"'})
        self.assertError(r, 412)
        self.assertEqual(self.labels(c["id"]), ["Old"])
        r = self.req("PATCH", f"/tags/{tag['id']}", self.token, body={"name": "New"},
                     headers={"If-Match": tag["etag"]})
        self.assertStatus(r, 200)
        self.assertEqual((r.json["name"], r.json["contact_count"]), ("New", 1))
        self.assertNotEqual(r.json["etag"], tag["etag"])
        self.assertEqual(r.header("ETag"), r.json["etag"])
        self.assertEqual(self.labels(c["id"]), ["New"])
        self.assertEqual(sql1("SELECT version FROM privacybee.contacts WHERE id = %s", c["id"]),
                         version + 1)
        # renamed to itself in another case: allowed; to another tag's name: 409
        self.assertStatus(self.req("PUT", f"/tags/{tag['id']}", self.token, body={"name": "NEW"}), 200)
        self.create("Other")
        before = self.state()
        self.assertError(self.req("PUT", f"/tags/{tag['id']}", self.token, body={"name": "other"}),
                         409)
        self.assertError(self.req("PUT", f"/tags/{tag['id']}", self.token, body={"name": ""}),
                         400, "name")
        self.assertEqual(self.state(), before)

    def test_delete_removes_it_from_its_contacts_which_move(self):
        a, b = self.sync([{"display_name": "A", "labels": ["x", "y"]},
                          {"display_name": "B", "labels": ["y"]}])
        y = sql1("SELECT id FROM privacybee.tags WHERE user_id = %s AND name = 'y'", self.uid)
        etag_b = self.req("GET", f"/contacts/{b['id']}", self.token).header("ETag")
        self.assertError(self.req("DELETE", f"/tags/{y}", self.token,
                                  headers={"If-Match": '"v9.9"'}), 412)
        r = self.req("DELETE", f"/tags/{y}", self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"id": y, "deleted": True})
        self.assertEqual(self.labels(a["id"]), ["x"])
        self.assertEqual(self.labels(b["id"]), [])
        self.assertNotEqual(self.req("GET", f"/contacts/{b['id']}", self.token).header("ETag"), etag_b)
        self.assertError(self.req("GET", f"/tags/{y}", self.token), 404)
        self.assertError(self.req("DELETE", f"/tags/{y}", self.token), 404)

    def test_listing_by_id_with_a_keyset_cursor(self):
        ids = [self.create(f"t{i}").json["id"] for i in range(5)]
        seen, path, total = [], "/tags?limit=2", None
        while path:
            r = self.req("GET", path, self.token)
            self.assertStatus(r, 200)
            self.assertLessEqual(len(r.json), 2)
            total = r.header("X-Total-Count")
            seen += [t["id"] for t in r.json]
            m = re.search(r'<([^>]*)>; rel="next"', r.header("Link") or "")
            path = m and re.sub(r"^https?://[^/]*", "", m.group(1))
        self.assertEqual(seen, ids)
        self.assertEqual(total, "5")
        for bad in ("limit=0", "limit=1001", "limit=x", "cursor=nope", "page=2"):
            with self.subTest(params=bad):
                self.assertStatus(self.req("GET", f"/tags?{bad}", self.token), 400)

    def test_labels_create_missing_tags_and_counts_follow(self):
        self.sync([{"display_name": "A", "labels": ["Gym", "Work"]},
                   {"display_name": "B", "labels": ["gym"]}])
        tags = {t["name"]: t["contact_count"] for t in self.req("GET", "/tags", self.token).json}
        self.assertEqual(tags, {"Gym": 2, "Work": 1})

    def test_another_members_tag_is_404_and_unchanged(self):
        tag = self.create("Mine").json
        _, other = member()
        before = self.state()
        self.assertError(self.req("GET", f"/tags/{tag['id']}", other), 404)
        for method in ("PUT", "PATCH"):
            self.assertError(self.req(method, f"/tags/{tag['id']}", other, body={"name": "theirs"}), 404)
        self.assertError(self.req("DELETE", f"/tags/{tag['id']}", other), 404)
        self.assertEqual(self.req("GET", "/tags", other).json, [])
        self.assertEqual(self.state(), before)

    def test_round_trip_put_back_unchanged(self):
        tag = self.create("Same").json
        r = self.req("PUT", f"/tags/{tag['id']}", self.token, body={"name": tag["name"]},
                     headers={"If-Match": tag["etag"]})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, tag)


class TestContactTagging(TagCase):
    def setUp(self):
        super().setUp()
        self.a, self.b = self.sync([{"display_name": "A", "labels": ["one"]},
                                    {"display_name": "B"}])
        self.one = sql1("SELECT id FROM privacybee.tags WHERE user_id = %s AND name = 'one'", self.uid)
        self.two = self.create("two").json["id"]

    def tag(self, body, token=None):
        return self.req("POST", "/contacts/tags", token or self.token, body=body)

    def test_add_and_remove_answer_the_contacts_named_in_order(self):
        r = self.tag({"contact_ids": [self.b["id"], self.a["id"]], "add": [self.two, self.one]})
        self.assertStatus(r, 200)
        self.assertEqual([c["id"] for c in r.json], [self.b["id"], self.a["id"]])
        self.assertEqual(r.json[0]["labels"], ["two", "one"])
        # added tags go after the contact's others; one already there stays where it is
        self.assertEqual(r.json[1]["labels"], ["one", "two"])
        r = self.tag({"contact_ids": [self.a["id"]], "remove": [self.one]})
        self.assertEqual(r.json[0]["labels"], ["two"])
        counts = {t["name"]: t["contact_count"] for t in self.req("GET", "/tags", self.token).json}
        self.assertEqual(counts, {"one": 1, "two": 2})

    def test_a_change_moves_the_contact_and_nothing_else_does(self):
        version = sql1("SELECT version FROM privacybee.contacts WHERE id = %s", self.a["id"])
        self.tag({"contact_ids": [self.a["id"]], "add": [self.one]})  # already there
        self.assertEqual(sql1("SELECT version FROM privacybee.contacts WHERE id = %s", self.a["id"]),
                         version)
        self.tag({"contact_ids": [self.a["id"]], "add": [self.two]})
        self.assertEqual(sql1("SELECT version FROM privacybee.contacts WHERE id = %s", self.a["id"]),
                         version + 1)

    def test_every_bad_field_is_named_and_nothing_is_written(self):
        before = self.state()
        uid2, other = member()
        theirs = self.sync([{"display_name": "T", "labels": ["t"]}], other)[0]["id"]
        # the other member's tag by its owner: under SHARDS the newest id of all tags may be
        # a tag of ours on the other shard (each shard's ids count on their own)
        [(their_tag,)] = member_sql(uid2, "SELECT id FROM privacybee.tags WHERE user_id = %s", uid2)
        cases = [
            ({"contact_ids": [self.a["id"], theirs], "add": [self.two, their_tag]}, 404,
             ["contact_ids[1]", "add[1]"]),
            ({"contact_ids": [self.a["id"]], "remove": [999999999999]}, 404, ["remove[0]"]),
            ({"contact_ids": [], "add": [self.two]}, 400, ["contact_ids"]),
            ({"contact_ids": [self.a["id"]]}, 400, ["add"]),
            ({"contact_ids": [self.a["id"], "x"], "add": [self.two]}, 400, ["contact_ids[1]"]),
            ({"contact_ids": [self.a["id"]], "add": [self.two], "remove": [self.two]}, 400, ["remove"]),
            ({"contact_ids": [self.a["id"]], "add": [self.two], "colour": 1}, 400, ["colour"]),
            ({"contact_ids": self.a["id"], "add": [self.two]}, 400, ["contact_ids"]),
        ]
        for body, status, fields in cases:
            with self.subTest(body=body):
                err = self.assertError(self.tag(body), status)
                self.assertEqual([d["field"] for d in err["details"]], fields)
        self.assertEqual(self.state(), before)

    def test_at_most_50_tags_on_a_contact(self):
        tags = [self.create(f"t{i}").json["id"] for i in range(50)]
        before = self.state()
        self.assertError(self.tag({"contact_ids": [self.a["id"]], "add": tags}), 400, "contact_ids[0]")
        self.assertEqual(self.state(), before)
        self.assertStatus(self.tag({"contact_ids": [self.a["id"]], "add": tags[:49]}), 200)

    def test_another_member_cannot_tag_my_contacts_with_their_tags(self):
        uid2, other = member()
        theirs = self.req("POST", "/tags", other, body={"name": "spy"}).json["id"]
        before = self.state()
        err = self.assertError(self.tag({"contact_ids": [self.a["id"]], "add": [theirs]}, other), 404)
        self.assertEqual([d["field"] for d in err["details"]], ["contact_ids[0]"])
        self.assertEqual(self.state(), before)
