"""GET /contacts: filters, includes, pagination (page and keyset cursor), tombstones."""
import re
import urllib.parse

from harness import ApiTest, member, sql


def next_link(response):
    link = response.header("Link") or ""
    m = re.search(r'<([^>]*)>; rel="next"', link)
    return m.group(1) if m else None


class TestListing(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member()

    def add(self, n, prefix="c"):
        return self.req("POST", "/contacts/sync", self.token, body=[
            {"display_name": f"{prefix}{i}", "emails": [f"{prefix}{i}@example.com"],
             "phone_numbers": ["2125550134"], "addresses": ["1 Main St"]}
            for i in range(n)]).json

    def test_default_page_is_10_ordered_by_id_with_total(self):
        made = self.add(12)
        r = self.req("GET", "/contacts", self.token)
        self.assertStatus(r, 200)
        self.assertEqual([c["id"] for c in r.json], [c["id"] for c in made][:10])
        self.assertEqual(r.header("X-Total-Count"), "12")

    def test_arrays_appear_only_when_included(self):
        self.add(1)
        plain = self.req("GET", "/contacts", self.token).json[0]
        for key in ("email", "phone", "address"):
            self.assertNotIn(key, plain)
        full = self.req("GET", "/contacts?include=emails,addresses,phone_numbers", self.token).json[0]
        self.assertEqual((full["email"], full["phone"], full["address"]),
                         (["c0@example.com"], ["+12125550134"], ["1 Main St"]))
        some = self.req("GET", "/contacts?include=emails", self.token).json[0]
        self.assertIn("email", some)
        self.assertNotIn("phone", some)

    def test_unknown_include_is_400(self):
        self.assertError(self.req("GET", "/contacts?include=emails,friends", self.token), 400, "include")

    def test_out_of_range_parameters_are_400_never_clamped(self):
        for q in ("per_page=0", "per_page=1001", "per_page=x", "page=0", "page=-1",
                  "updated_at=yesterday", "updated_at=2024-13-01T00:00:00Z", "cursor=%%%",
                  "cursor=bm90LWEtY3Vyc29y", "include_deleted=maybe", "colour=blue"):
            with self.subTest(q=q):
                r = self.req("GET", f"/contacts?{q}", self.token)
                self.assertError(r, 400)

    def test_page_and_cursor_together_is_400(self):
        made = self.add(3)
        r = self.req("GET", "/contacts?per_page=1", self.token)
        cursor = urllib.parse.parse_qs(urllib.parse.urlsplit(next_link(r)).query)["cursor"][0]
        self.assertError(self.req("GET", f"/contacts?page=2&cursor={cursor}", self.token), 400)
        self.assertEqual(len(made), 3)

    def test_page_beyond_the_end_is_empty_and_prev_is_the_last_page_with_any(self):
        self.add(5)
        for page, prev in ((9, 3), (4, 3), (3, 2)):
            with self.subTest(page=page):
                r = self.req("GET", f"/contacts?page={page}&per_page=2", self.token)
                self.assertStatus(r, 200)
                self.assertEqual(r.json == [], page > 3)
                self.assertEqual(r.header("X-Total-Count"), "5")
                self.assertIn(f'page={prev}>; rel="prev"', r.header("Link"))
                self.assertTrue(self.req("GET", f"/contacts?page={prev}&per_page=2", self.token).json)
        _, empty = member()
        r = self.req("GET", "/contacts?page=5", empty)
        self.assertEqual(r.json, [])
        self.assertIn('page=1>; rel="prev"', r.header("Link"))

    def test_page_mode_links_next_by_cursor_and_prev_by_page(self):
        self.add(5)
        r = self.req("GET", "/contacts?page=2&per_page=2", self.token)
        link = r.header("Link")
        self.assertIn('rel="next"', link)
        self.assertIn("cursor=", next_link(r))
        self.assertIn('page=1>; rel="prev"', link)
        following = self.req("GET", next_link(r), self.token)
        self.assertEqual([c["display_name"] for c in following.json], ["c4"])
        self.assertIsNone(next_link(following))

    def test_cursor_neither_skips_nor_repeats_while_another_client_inserts(self):
        self.add(7, "a")
        seen = []
        path = "/contacts?per_page=3"
        inserted = 0
        while path:
            r = self.req("GET", path, self.token)
            self.assertStatus(r, 200)
            seen += [c["id"] for c in r.json]
            if inserted < 2:   # another client writes between pages
                self.add(2, f"b{inserted}")
                inserted += 1
            path = next_link(r)
        expected = [row[0] for row in sql(
            "SELECT id FROM privacybee.contacts WHERE user_id = %s ORDER BY id", self.uid)]
        self.assertEqual(seen, expected)
        self.assertEqual(len(seen), len(set(seen)))

    def test_updated_at_filters_and_orders_by_update(self):
        made = self.add(3)
        sql("UPDATE privacybee.contacts SET updated = '2020-01-01T00:00:00Z' WHERE user_id = %s",
            self.uid)
        sql("UPDATE privacybee.contacts SET updated = '2024-05-01T00:00:00Z' WHERE id = %s",
            made[0]["id"])
        sql("UPDATE privacybee.contacts SET updated = '2024-03-01T00:00:00Z' WHERE id = %s",
            made[2]["id"])
        r = self.req("GET", "/contacts?updated_at=2024-03-01T00:00:00Z", self.token)
        self.assertEqual([c["id"] for c in r.json], [made[2]["id"], made[0]["id"]])
        self.assertEqual(r.header("X-Total-Count"), "2")
        # an offset written with "+" that the query string turned into a space
        r = self.req("GET", "/contacts?updated_at=2024-03-01T02:00:00+02:00", self.token)
        self.assertEqual(len(r.json), 2)

    def test_updated_at_cursor_walks_in_update_order(self):
        made = self.add(4)
        for i, c in enumerate(made):
            sql("UPDATE privacybee.contacts SET updated = %s WHERE id = %s",
                f"2024-01-0{4 - i}T00:00:00Z", c["id"])
        ids = []
        path = "/contacts?updated_at=2024-01-01T00:00:00Z&per_page=3"
        while path:
            r = self.req("GET", path, self.token)
            ids += [c["id"] for c in r.json]
            path = next_link(r)
        self.assertEqual(ids, [c["id"] for c in reversed(made)])

    def test_include_deleted_lists_tombstones_since_updated_at(self):
        made = self.add(2)
        self.req("DELETE", f"/contacts/{made[0]['id']}", self.token)
        r = self.req("GET", "/contacts?include_deleted=true", self.token)
        self.assertEqual(r.header("X-Total-Count"), "2")
        tomb = [c for c in r.json if c.get("deleted")]
        self.assertEqual([t["id"] for t in tomb], [made[0]["id"]])
        self.assertIn("updated", tomb[0])
        future = self.req("GET", "/contacts?include_deleted=true&updated_at=2999-01-01T00:00:00Z",
                          self.token)
        self.assertEqual(future.json, [])
        without = self.req("GET", "/contacts", self.token)
        self.assertFalse(any(c.get("deleted") for c in without.json))

    def test_listing_shows_only_the_callers_contacts(self):
        self.add(2)
        _, other = member()
        self.assertEqual(self.req("GET", "/contacts", other).json, [])
