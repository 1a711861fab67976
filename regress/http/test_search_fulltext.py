"""Full-text search (SPEC §9), GET /contacts?q=, through nginx: each element of the query
syntax, errors saying where, relevance paging with the cursor, include, and a seeded
random comparison of what q finds with a plain Python evaluation of the same query over
the same contacts."""
import os
import random
import re
import unicodedata
import urllib.parse

from harness import ApiTest, member, sql, sql1, unique

# ---- the Python evaluation ---------------------------------------------------------------
# Words as search_text.c reads them (for the characters these contacts hold): accents
# dropped, lower case, anything not a letter or digit separating words.


def fold(text):
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def words(text):
    return [w for w in re.split(r"[^0-9a-z]+", fold(text)) if w]


ANY_FIELDS = ("name", "email", "phone", "company", "title", "note", "address")


class Doc:
    """A contact's values by field, each value a list of words; phones as digit strings."""

    def __init__(self, contact):
        d = contact["details"]
        self.id = contact["id"]
        self.values = {f: [] for f in ANY_FIELDS + ("tag",)}
        names = [contact["display_name"]] + [d["name"][k] for k in ("prefix", "given", "middle", "family", "suffix")]
        self.values["name"] = [words(v) for v in names if v]
        for org in d["organizations"]:
            self.values["company"] += [words(org[k]) for k in ("name", "department") if org[k]]
            self.values["title"] += [words(org["title"])] if org["title"] else []
        self.values["email"] = [words(e["value"]) for e in d["emails"]]
        for a in d["addresses"]:
            self.values["address"] += [words(a[k]) for k in
                                       ("street", "extended", "city", "region", "postal_code", "country") if a[k]]
        self.values["tag"] = [words(t) for t in contact["labels"]]
        self.values["note"] = [words(d["notes"])] if d["notes"] else []
        # a phone: its E.164 digits, national number and digits as written, one position
        self.phone_lexemes = []
        self.phone_digits = []
        for p in d["phone_numbers"]:
            raw = re.sub(r"\D", "", p["value"])
            if p["e164"]:
                e = p["e164"][1:]
                code = 1 if e.startswith("1") else 2
                self.phone_lexemes += [e, e[code:]]
                self.phone_digits.append(e)
            self.phone_lexemes.append(raw)
            self.phone_digits.append(raw)
            self.values["phone"].append(None)    # phones are not phrases

    def text(self, field, lexemes):
        fields = (field,) if field else ANY_FIELDS
        for f in fields:
            if f == "phone":
                if len(lexemes) == 1 and any(x.startswith(lexemes[0]) for x in self.phone_lexemes):
                    return True
                continue
            for value in self.values[f]:
                for i in range(len(value) - len(lexemes) + 1):
                    if all(value[i + j] == lexemes[j] for j in range(len(lexemes) - 1)) and \
                            value[i + len(lexemes) - 1].startswith(lexemes[-1]):
                        return True
        return False

    def digits(self, d):
        if len(d) >= 3:
            return any(d in x for x in self.phone_digits)
        return any(x.startswith(d) for x in self.phone_lexemes)


NUMBER_LIKE = re.compile(r"^[0-9+\-./]*[0-9][0-9+\-./]*$")


def evaluate(node, doc):
    """True / False, or None for a term without words (dropped, as the server drops it)."""
    kind = node[0]
    if kind in ("and", "or"):
        results = [r for r in (evaluate(c, doc) for c in node[1]) if r is not None]
        if not results:
            return None
        return all(results) if kind == "and" else any(results)
    if kind == "not":
        r = evaluate(node[1], doc)
        return None if r is None else not r
    _, field, text, phrase = node
    lexemes = words(text)
    if not phrase and field in (None, "phone") and NUMBER_LIKE.match(text):
        d = re.sub(r"\D", "", text)
        if field == "phone":
            return doc.digits(d)
        return doc.digits(d) or (bool(lexemes) and doc.text(None, lexemes))
    if not lexemes:
        return None
    return doc.text(field, lexemes)


def render(node, top=True):
    kind = node[0]
    if kind == "and":
        s = random.choice([" ", " AND "]).join(render(c, False) for c in node[1])
        return s if top else f"({s})"
    if kind == "or":
        s = " OR ".join(render(c, False) for c in node[1])
        return s if top else f"({s})"
    if kind == "not":
        inner = render(node[1], False)
        return ("-" + inner) if random.random() < 0.5 else ("NOT " + inner)
    _, field, text, phrase = node
    term = f'"{text}"' if phrase else text
    return f"{field}:{term}" if field else term


# ---- the contacts ------------------------------------------------------------------------

FIRST = ["John", "José", "Maria", "María", "Beth", "Anna", "Zoë", "Liam", "Renée", "Chloé", "Jo", "Joan",
         "Jon", "André", "Emma", "Olivia"]
LAST = ["Smith", "Smithers", "Jones", "García", "Núñez", "O'Brien", "Miller", "Brown", "Müller", "Doe",
        "Lopez", "Jean-Luc"]
COMPANIES = ["Initech", "Acme Corp", "Globex", "Umbrella", "Hooli", "Stark Industries"]
TITLES = ["CTO", "Chief Engineer", "Manager", "Designer", "Analyst"]
CITIES = ["Austin", "Dallas", "Paris", "Berlin", "Springfield", "Boston"]
STREETS = ["Main St", "Market St", "Elm Rd", "Oak Ave", "Pine Ln"]
NOTE_WORDS = ["red", "stapler", "met", "at", "conference", "likes", "coffee", "tea", "golf", "chess"]
TAGS = ["VIP", "Client", "Friend", "Family", "Work"]
MAILS = ["mail.example", "work.example", "gmail.com"]


def random_contact(rng, i):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    details = {"name": {"given": first, "family": last}}
    if rng.random() < 0.8:
        details["emails"] = [f"{fold(first)}.{re.sub('[^a-z]', '', fold(last))}{i}@{rng.choice(MAILS)}"]
    phones = []
    for _ in range(rng.choice([0, 1, 1, 2])):
        n = rng.randrange(1000, 9999)
        phones.append(rng.choice([f"(212) 555-{n}", f"+1 646 555 {n}", f"212.555.{n}",
                                  f"+44 20 7946 {n}", f"ext {n}"]))
    if phones:
        details["phone_numbers"] = phones
    if rng.random() < 0.6:
        details["organizations"] = [{"name": rng.choice(COMPANIES), "title": rng.choice(TITLES)}]
    if rng.random() < 0.5:
        details["addresses"] = [{"street": f"{rng.randrange(1, 999)} {rng.choice(STREETS)}",
                                 "city": rng.choice(CITIES)}]
    if rng.random() < 0.5:
        details["notes"] = " ".join(rng.sample(NOTE_WORDS, rng.randrange(2, 5)))
    return {"external_id": f"r{i}", "details": details,
            "labels": rng.sample(TAGS, rng.randrange(0, 3))}


def random_term(rng, docs):
    """A leaf: a word's prefix, perhaps under a field, a phrase, or digits of a phone."""
    r = rng.random()
    doc = rng.choice(docs)
    if r < 0.15 and doc.phone_digits:
        d = rng.choice(doc.phone_digits)
        start = rng.randrange(0, max(1, len(d) - 2))
        part = d[start:start + rng.randrange(1, 8)]
        if len(part) > 3 and rng.random() < 0.5:
            part = part[:2] + "-" + part[2:]
        return ("term", rng.choice([None, None, "phone"]), part, False)
    field = rng.choice([None, None, None] + list(ANY_FIELDS) + ["tag"])
    values = [v for f in ((field,) if field else ANY_FIELDS) for v in doc.values[f] if v]
    if not values:
        values = [words(rng.choice(FIRST))]
    value = rng.choice(values)
    i = rng.randrange(len(value))
    if r < 0.3 and len(value) > i + 1:
        text = value[i] + " " + value[i + 1][:rng.randrange(1, len(value[i + 1]) + 1)]
        return ("term", field, text, True)
    word = value[i][:rng.randrange(1, len(value[i]) + 1)]
    # capitals, except where they would make the word an operator
    if rng.random() < 0.3 and word.upper() not in ("AND", "OR", "NOT"):
        word = word.upper()
    if field == "phone":
        field = None
    return ("term", field, word, False)


def random_query(rng, docs, depth=0):
    r = rng.random()
    if depth >= 2 or r < 0.4:
        leaf = random_term(rng, docs)
        return ("not", leaf) if rng.random() < 0.15 else leaf
    kind = "and" if r < 0.75 else "or"
    return (kind, [random_query(rng, docs, depth + 1) for _ in range(rng.randrange(2, 4))])


class TestFullTextSyntax(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member()
        self.req("POST", "/contacts/sync", self.token, body=[
            {"display_name": "John Smith", "labels": ["VIP"],
             "details": {"emails": ["john.smith@gmail.com"], "phone_numbers": ["+1 238 555 1629"],
                         "organizations": [{"name": "Initech", "title": "CTO"}],
                         "notes": "Likes the red stapler", "addresses": [{"city": "Austin"}]}},
            {"display_name": "José Núñez", "email": ["jose@example.com"], "labels": ["Client"]},
            {"display_name": "Jo Smithers", "labels": ["vip"]}])

    def found(self, q, **params):
        r = self.req("GET", "/contacts?" + urllib.parse.urlencode(dict(q=q, **params)), self.token)
        self.assertStatus(r, 200)
        return [c["display_name"] for c in r.json]

    def test_words_match_as_prefixes_and_all_of_them_must(self):
        self.assertEqual(set(self.found("jo smi")), {"John Smith", "Jo Smithers"})
        self.assertEqual(self.found("john smi"), ["John Smith"])

    def test_accents_and_case_are_ignored_both_ways(self):
        for q in ("jose", "JOSÉ", "núñez", "NUNEZ"):
            self.assertEqual(self.found(q), ["José Núñez"], q)

    def test_fields_operators_phrases_and_groups(self):
        cases = {
            "name:initech": [], "company:initech": ["John Smith"], "title:cto": ["John Smith"],
            "note:stapler": ["John Smith"], "address:austin": ["John Smith"], "tag:vip": None,
            "email:gmail": ["John Smith"], "phone:1629": ["John Smith"], '"red stapler"': ["John Smith"],
            '"stapler red"': [], "jo OR nunez": None, "jo -smithers": None, "NOT smith": ["José Núñez"],
            "jo AND smithers": ["Jo Smithers"], "(john OR jose) tag:client": ["José Núñez"],
            "555-1629": ["John Smith"], "5551629": ["John Smith"],
        }
        expect_sets = {"tag:vip": {"John Smith", "Jo Smithers"}, "jo OR nunez": {"John Smith", "José Núñez", "Jo Smithers"},
                       "jo -smithers": {"John Smith", "José Núñez"}}
        for q, want in cases.items():
            with self.subTest(q=q):
                got = self.found(q)
                if want is None:
                    self.assertEqual(set(got), expect_sets[q])
                else:
                    self.assertEqual(got, want)

    def test_the_directory_company_is_searched_as_a_company(self):
        slug = unique("engines")
        company = sql1("SELECT privacybee.create_company('Analytical Engines', %s)", slug)
        r = self.req("POST", "/contacts/sync", self.token,
                     body=[{"display_name": "Ada Worker", "company_id": company}])
        ada = r.json[0]["id"]
        for q in ("company:analytical", "analytical engines", "company:\"analytical engines\""):
            with self.subTest(q=q):
                self.assertEqual(self.found(q), ["Ada Worker"])
        # renamed by an operator: the documents follow
        sql("UPDATE privacybee.companies SET name = 'Difference Engines' WHERE id = %s", company)
        self.assertEqual(self.found("company:difference"), ["Ada Worker"])
        self.assertEqual(self.found("company:analytical"), [])
        # no longer its company: no longer found so
        self.req("PATCH", f"/contacts/{ada}", self.token, body={"company_id": None})
        self.assertEqual(self.found("company:difference"), [])

    def test_a_vanity_number_is_found_as_written_and_by_its_digits(self):
        self.req("POST", "/contacts/sync", self.token, body=[
            {"display_name": "Florist", "details": {"phone_numbers": ["1-800-FLOWERS"]}},
            {"display_name": "Flowers Fan"}])
        for q in ("1-800-FLOWERS", "phone:1-800-FLOWERS", "800flowers", "phone:800-FLOWERS",
                  "18003569377", "800-356", "phone:+1-800-flowers"):
            with self.subTest(q=q):
                self.assertEqual(self.found(q), ["Florist"])
        # a word with no digit stays a word: it finds the name, not the number's letters
        self.assertEqual(self.found("flowers"), ["Flowers Fan"])

    def test_a_malformed_query_is_400_saying_where(self):
        for q, where in (("(jo", "position 1"), ("jo)", "position 3"), ('"jo', "position 1"),
                         ("jo OR", "position 4"), ("nick:jo", "unknown field"), ("", "no word")):
            with self.subTest(q=q):
                r = self.req("GET", "/contacts?" + urllib.parse.urlencode({"q": q}), self.token)
                err = self.assertError(r, 400, "q")
                self.assertIn(where, err["details"][0]["problem"])

    def test_q_combines_with_include_cursor_and_per_page_but_not_page(self):
        first = self.req("GET", "/contacts?q=jo&per_page=2&include=emails", self.token)
        self.assertStatus(first, 200)
        self.assertEqual(first.header("X-Total-Count"), "3")
        self.assertIn("email", first.json[0])
        link = re.match(r'<([^>]+)>; rel="next"', first.header("Link")).group(1)
        second = self.req("GET", link, self.token)
        self.assertStatus(second, 200)
        self.assertEqual(len(first.json) + len(second.json), 3)
        self.assertFalse({c["id"] for c in first.json} & {c["id"] for c in second.json})
        for extra in ("page=2", "updated_at=2020-01-01T00:00:00Z", "include_deleted=true"):
            self.assertError(self.req("GET", f"/contacts?q=jo&{extra}", self.token), 400)
        self.assertError(self.req("GET", "/contacts?q=jo&cursor=junk", self.token), 400, "cursor")

    def test_another_members_contacts_are_never_found(self):
        _, other = member()
        r = self.req("GET", "/contacts?q=john", other)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, [])
        self.assertEqual(r.header("X-Total-Count"), "0")


class TestFullTextAgainstPython(ApiTest):
    """What q finds equals a plain Python evaluation of the same query (seeded)."""

    SEED = int(os.environ.get("SEARCH_SEED", "20261130"))

    def test_random_queries_find_what_python_finds(self):
        rng = random.Random(self.SEED)
        random.seed(self.SEED)
        _, token = member()
        contacts = self.req("POST", "/contacts/sync", token,
                            body=[random_contact(rng, i) for i in range(150)]).json
        docs = [Doc(c) for c in contacts]
        checked = 0
        for n in range(300):
            query = random_query(rng, docs)
            want = {d.id for d in docs if evaluate(query, d)}
            if evaluate(query, docs[0]) is None:
                continue                 # no word at all: the server says 400 (tested above)
            q = render(query)
            r = self.req("GET", "/contacts?" + urllib.parse.urlencode({"q": q, "per_page": 1000}), token)
            self.assertStatus(r, 200)
            got = {c["id"] for c in r.json}
            self.assertEqual(got, want, f"seed {self.SEED}, query {n}: {q!r}")
            self.assertEqual(int(r.header("X-Total-Count")), len(want), q)
            checked += 1
        self.assertGreater(checked, 250)
