"""Structured search (SPEC §9, Pylon's POST /contacts/search) through nginx: each field and
operator, and/or nesting, the keyset cursor with Link and X-Total-Count, every invalid
filter named by its path, another member's contacts never found; and a seeded random
comparison of what the service finds against a plain Python evaluation of the same filter
over the same contacts."""
import random
import re
import time

from harness import ApiTest, fresh_phone, member, sql, sql1, unique

SEED = 20261201
WORDS = ["alpha", "bravo", "Charlie", "delta", "Echo", "fox"]


class Contacts:
    """A member's contacts as the test wrote them, with what each filter field sees."""

    def __init__(self, test, rng, n):
        self.companies = [sql1("SELECT privacybee.create_company(%s, %s)", f"Co{i}", unique("co"))
                          for i in range(2)]
        self.phones = [fresh_phone() for _ in range(6)]
        tags = [test.req("POST", "/tags", test.token, body={"name": f"tag{i}"}).json for i in range(4)]
        self.tags = {t["name"]: t["id"] for t in tags}
        items = []
        for i in range(n):
            items.append({
                "external_id": rng.choice([None, f"Ext-{i}", f"ext-{i % 3}x{i}"]),
                "display_name": " ".join(rng.sample(WORDS, rng.randint(1, 2))) + f" {i}",
                "emails": [f"{rng.choice(WORDS).lower()}{rng.randint(0, 3)}@Mail{rng.randint(0, 1)}.example"
                           for _ in range(rng.randint(0, 2))],
                "phone_numbers": rng.sample(self.phones, rng.randint(0, 2)),
                "labels": rng.sample(sorted(self.tags), rng.randint(0, 3)),
                "company_id": rng.choice([None] + self.companies),
            })
            items[-1] = {k: v for k, v in items[-1].items() if v is not None}
            # distinct external ids
            if "external_id" in items[-1] and any(it.get("external_id") == items[-1]["external_id"]
                                                  for it in items[:-1]):
                del items[-1]["external_id"]
        self.rows = []
        for start in range(0, len(items), 10):
            r = test.req("POST", "/contacts/sync", test.token, body=items[start:start + 10])
            test.assertStatus(r, 200)
            for item, c in zip(items[start:start + 10], r.json):
                self.rows.append({
                    "id": c["id"], "company_id": item.get("company_id"),
                    "tag": {self.tags[t] for t in item["labels"]},
                    "email": [e.lower() for e in item["emails"]],
                    "display_name": item["display_name"], "external_id": item.get("external_id"),
                    "phone": set(item["phone_numbers"]), "created": c["created"],
                    "updated": c["updated"]})
            time.sleep(0.01)  # a few distinct timestamps

    def values_of(self, row, field):
        v = row[field]
        if field in ("tag", "phone", "email"):
            return set(v)
        return set() if v is None else {v}

    def matches(self, row, f):
        op = f["operator"]
        if op == "and":
            return all(self.matches(row, s) for s in f["subfilters"])
        if op == "or":
            return any(self.matches(row, s) for s in f["subfilters"])
        field = f["field"]
        have = self.values_of(row, field)
        fold = field in ("email", "display_name")
        norm = (lambda s: s.lower()) if fold else (lambda s: s)
        have_n = {norm(h) for h in have} if field not in ("id", "company_id", "tag", "phone") else have
        if op == "string_contains":
            return any(f["value"].lower() in h.lower() for h in have)
        if op in ("gt", "gte", "lt", "lte"):
            t = row[field]
            return {"gt": t > f["value"], "gte": t >= f["value"], "lt": t < f["value"],
                    "lte": t <= f["value"]}[op]
        values = [f["value"]] if op == "equals" else f["values"]
        values = {norm(v) if isinstance(v, str) and field not in ("phone",) else v for v in values}
        hit = bool(have_n & values)
        return not hit if op == "not_in" else hit

    def find(self, f):
        return [r["id"] for r in sorted(self.rows, key=lambda r: r["id"]) if self.matches(r, f)]

    def random_leaf(self, rng):
        field = rng.choice(["id", "company_id", "tag", "email", "display_name", "external_id",
                            "phone", "updated", "created"])
        row = rng.choice(self.rows)
        if field in ("updated", "created"):
            return {"field": field, "operator": rng.choice(["gt", "gte", "lt", "lte"]),
                    "value": row[field]}
        ops = ["equals", "in", "not_in"]
        if field in ("email", "display_name", "external_id"):
            ops.append("string_contains")
        op = rng.choice(ops)
        pool = {"id": [r["id"] for r in self.rows] + [1],
                "company_id": self.companies,
                "tag": list(self.tags.values()),
                "email": [e for r in self.rows for e in r["email"]] + ["nobody@x.example"],
                "display_name": [r["display_name"] for r in self.rows],
                "external_id": [r["external_id"] for r in self.rows if r["external_id"]] + ["EXT-1"],
                "phone": self.phones}[field]
        if op == "string_contains":
            if field == "display_name":
                value = rng.choice(WORDS)[:rng.randint(2, 4)]
            else:
                s = rng.choice(pool)
                a = rng.randint(0, len(s) - 2)
                value = s[a:a + rng.randint(1, 4)]
            return {"field": field, "operator": op, "value": rng.choice([value, value.upper()])}
        if field in ("email", "display_name") and rng.random() < 0.3:
            pool = [p.upper() for p in pool]
        if op == "equals":
            return {"field": field, "operator": op, "value": rng.choice(pool)}
        return {"field": field, "operator": op, "values": rng.sample(pool, min(len(pool), rng.randint(1, 3)))}

    def random_filter(self, rng, depth=0):
        if depth >= 3 or rng.random() < 0.45:
            return self.random_leaf(rng)
        return {"operator": rng.choice(["and", "or"]),
                "subfilters": [self.random_filter(rng, depth + 1) for _ in range(rng.randint(1, 3))]}


class SearchCase(ApiTest):
    def search(self, body, token=None, path="/contacts/search"):
        return self.req("POST", path, token or self.token, body=body)

    def found(self, f, **kw):
        r = self.search({"filter": f, "limit": 1000}, **kw)
        self.assertStatus(r, 200)
        self.assertEqual(r.header("X-Total-Count"), str(len(r.json)))
        return [c["id"] for c in r.json]


class TestStructuredSearch(SearchCase):
    @classmethod
    def setUpClass(cls):
        cls.uid, cls.token = member()
        writer = cls()
        ApiTest.setUp(writer)
        cls.data = Contacts(writer, random.Random(SEED), 60)

    def setUp(self):
        super().setUp()
        self.rows = self.data.rows

    def test_each_field_and_operator(self):
        rng = random.Random(SEED + 1)
        tried = set()
        for _ in range(300):
            f = self.data.random_leaf(rng)
            tried.add((f["field"], f["operator"]))
            with self.subTest(filter=f):
                self.assertEqual(self.found(f), self.data.find(f))
        # every operator of every field (SPEC §9)
        self.assertEqual(len(tried), 3 * 3 + 3 * 4 + 3 + 2 * 4)

    def test_random_filters_find_what_python_finds(self):
        rng = random.Random(SEED + 2)
        for _ in range(150):
            f = self.data.random_filter(rng)
            with self.subTest(filter=f):
                self.assertEqual(self.found(f), self.data.find(f))

    def test_a_phone_is_read_like_any_number_the_member_writes(self):
        with_phone = [r for r in self.rows if r["phone"]][0]
        e164 = sorted(with_phone["phone"])[0]
        expected = self.data.find({"field": "phone", "operator": "equals", "value": e164})
        national = f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
        for spelling in (e164, national, e164[2:], "1" + e164[2:], f"+1 {e164[2:5]}.{e164[5:8]}.{e164[8:]}"):
            with self.subTest(spelling=spelling):
                self.assertEqual(self.found({"field": "phone", "operator": "equals", "value": spelling}),
                                 expected)
        err = self.assertError(self.search({"filter": {"field": "phone", "operator": "equals",
                                                       "value": "not a number"}}), 400)
        self.assertEqual([d["field"] for d in err["details"]], ["filter.value"])

    def test_timestamps_take_any_offset(self):
        row = self.rows[len(self.rows) // 2]
        t = row["created"]
        expected = self.data.find({"field": "created", "operator": "gte", "value": t})
        # the same instant written two hours east of UTC
        m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d:\d\d(?:\.\d+)?)Z$", t)
        self.assertTrue(m, t)
        h = int(m.group(4)) + 2
        if h < 24:
            shifted = f"{m.group(1)}-{m.group(2)}-{m.group(3)}T{h:02d}:{m.group(5)}+02:00"
            self.assertEqual(self.found({"field": "created", "operator": "gte", "value": shifted}),
                             expected)

    def test_the_cursor_walks_every_page_and_the_total_is_all_of_them(self):
        f = {"operator": "or", "subfilters": [{"field": "display_name", "operator": "string_contains",
                                               "value": "a"},
                                              {"field": "tag", "operator": "in",
                                               "values": list(self.data.tags.values())}]}
        expected = self.data.find(f)
        self.assertGreater(len(expected), 6)
        seen, path, body = [], "/contacts/search", {"filter": f, "limit": 4}
        while True:
            r = self.search(body, path=path)
            self.assertStatus(r, 200)
            self.assertEqual(r.header("X-Total-Count"), str(len(expected)))
            seen += [c["id"] for c in r.json]
            m = re.search(r'<([^>]*)>; rel="next"', r.header("Link") or "")
            if not m:
                break
            path, body = re.sub(r"^https?://[^/]*", "", m.group(1)), {"filter": f}
        self.assertEqual(seen, expected)
        # the cursor in the body instead
        cursor = re.search(r"cursor=([^&>]*)", self.search({"filter": f, "limit": 4}).header("Link")).group(1)
        r = self.search({"filter": f, "limit": 4, "cursor": cursor})
        self.assertEqual([c["id"] for c in r.json], expected[4:8])

    def test_answers_are_contacts_as_get_shows_them(self):
        r = self.search({"filter": {"field": "id", "operator": "equals", "value": self.rows[0]["id"]}})
        self.assertEqual(r.json, [self.req("GET", f"/contacts/{self.rows[0]['id']}", self.token).json])

    def test_every_bad_filter_is_400_named_by_its_path(self):
        cases = [
            ({"filter": {"field": "colour", "operator": "equals", "value": 1}}, ["filter.field"]),
            ({"filter": {"field": "id", "operator": "string_contains", "value": "1"}}, ["filter.operator"]),
            ({"filter": {"field": "created", "operator": "equals", "value": "2026-01-01T00:00:00Z"}},
             ["filter.operator"]),
            ({"filter": {"field": "id", "operator": "equals"}}, ["filter.value"]),
            ({"filter": {"field": "id", "operator": "in", "value": 1}}, ["filter.values"]),
            ({"filter": {"field": "id", "operator": "equals", "value": 1, "values": [1]}}, ["filter.values"]),
            ({"filter": {"field": "id", "operator": "not_in", "value": 1, "values": [1]}}, ["filter.value"]),
            ({"filter": {"field": "id", "operator": "equals", "value": "x"}}, ["filter.value"]),
            ({"filter": {"field": "id", "operator": "in", "values": [1, 0]}}, ["filter.values[1]"]),
            ({"filter": {"field": "created", "operator": "gt", "value": "yesterday"}}, ["filter.value"]),
            ({"filter": {"operator": "and"}}, ["filter.subfilters"]),
            ({"filter": {"operator": "or", "subfilters": [{"field": "x", "operator": "equals", "value": 1},
                                                          {"field": "id", "operator": "like", "value": 1}]}},
             ["filter.subfilters[0].field", "filter.subfilters[1].operator"]),
            ({"filter": "id = 1"}, ["filter"]),
            ({}, ["filter"]),
            ({"filter": {"field": "id", "operator": "equals", "value": 1}, "limit": 0}, ["limit"]),
            ({"filter": {"field": "id", "operator": "equals", "value": 1}, "cursor": "nope"}, ["cursor"]),
            ({"filter": {"field": "id", "operator": "equals", "value": 1}, "colour": 1}, ["colour"]),
        ]
        deep = {"field": "id", "operator": "equals", "value": 1}
        for _ in range(6):
            deep = {"operator": "and", "subfilters": [deep]}
        cases.append(({"filter": deep},
                      ["filter" + ".subfilters[0]" * 5]))
        for body, fields in cases:
            with self.subTest(body=body):
                err = self.assertError(self.search(body), 400)
                self.assertEqual([d["field"] for d in err["details"]], fields)

    def test_another_members_contacts_are_never_found(self):
        _, other = member()
        everything = {"operator": "or", "subfilters": [
            {"field": "id", "operator": "in", "values": [r["id"] for r in self.rows]},
            {"field": "display_name", "operator": "string_contains", "value": "a"},
            {"field": "phone", "operator": "in", "values": self.data.phones},
            {"field": "tag", "operator": "in", "values": list(self.data.tags.values())},
            {"field": "created", "operator": "gt", "value": "2000-01-01T00:00:00Z"},
            {"field": "id", "operator": "not_in", "values": [1]}]}
        self.assertEqual(self.found(everything, token=other), [])
        self.assertEqual(len(self.found(everything)), len(self.rows))
