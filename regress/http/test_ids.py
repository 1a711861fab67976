"""Ids on every route, in the path and in the body, however they are written (SPEC §4).

An id is a positive int64, 1 … 9223372036854775807. In a path, anything else is 404 (no
object can have it); in a body it is 400 naming the field; an id in range that names
nothing of the caller's is 404 like any other. A JSON number with an integral value is
an id however it is written (10, 10.0, 1e1), and so is a string of digits.

The path sweep covers every route of the registry (api/routes) with an {id}; the body sweep every
route with a JSON body, through BODY_IDS, which must list each such route (with no fields
when it takes no id), so a route added without deciding this fails here.
"""
import json
import re
import uuid

from harness import route_table
from harness import ApiTest, USER_SCOPES, member, sql, sql1, unique

TOP = 2 ** 63 - 1

# (spelling in a path, what it is); the router passes digits only, so the rest never
# reach a function and are 404 as unknown routes
PATH_SPELLINGS = [
    ("0", "zero"),
    (str(10 ** 18), "10^18, the first 19-digit id"),
    ("9000000000000000001", "a 19-digit id"),
    (str(TOP), "2^63-1, the largest id"),
    (str(TOP + 1), "2^63, one past"),
    ("123456789012345678901234567890", "30 digits"),
    ("9" * 40, "40 digits"),
    ("0" * 40, "40 zeros"),
    ("-1", "negative"),
    ("1e1", "exponent"),
    ("10.0", "decimal point"),
    ("1.5", "fraction"),
    ("%2210%22", "quoted"),
]

# (JSON text in a body, whether it is an id in range): out of range or not integral is
# 400 naming the field; in range but nobody's is 404 (or what the route answers for
# another's id)
BODY_SPELLINGS = [
    ("0", False), ("-1", False), ("1.5", False), ("1e-1", False),
    (str(TOP + 1), False), ("123456789012345678901234567890", False),
    ('"10.0"', False), ('"-1"', False), ('" 1"', False), ("true", False), ("[1]", False),
    (str(10 ** 18), True), (str(TOP), True), ("9.223372036854775807e18", True),
    (f'"{TOP}"', True),
]
# past what a double holds: the front-end's JSON check refuses the body as a whole (400
# naming line and column) before any route reads it
BEYOND_DOUBLE = ["1e400", "-1e400"]


def spellings_of(n):
    """The same id n as a client may write it: number, decimal, exponents, string."""
    return [str(n), f"{n}.0", f"{n}.000", f"{n}e0", f"{n}0e-1", f"{n}E+0", f'"{n}"',
            f'"{n:020d}"']


def body_routes():
    return {(m, p) for m, p, _, _, kind in route_table() if kind}


class IdCase(ApiTest):
    @classmethod
    def setUpClass(cls):
        cls.uid, cls.token = member("Ida", "Range")
        cls.other, _ = member("Otto", "Other")
        cls.contact = sql1("SELECT (privacybee.sync_contacts(%s, '[{\"display_name\": \"mine\"}]'))[1]",
                           cls.uid)
        cls.company = sql1("SELECT privacybee.create_company('Ids Inc', %s)", unique("ids"))
        cls.tag = sql1("INSERT INTO privacybee.tags (user_id, name) VALUES (%s, 'mine') RETURNING id",
                       cls.uid)

    def fresh_token(self):
        """Another token of the same member: deletes are rate-limited per token."""
        return sql1("SELECT privacybee.issue_token(%s, %s)", self.uid, USER_SCOPES)


class TestIdsInPaths(IdCase):
    """Every {id} route, every spelling: 404 with the SPEC body, nothing revealed."""

    BODIES = {"PUT": {"display_name": "x"}, "PATCH": {"display_name": "x"},
              "POST": {"trusted": 1, "type": "person"}}
    # a valid body for the route, so that only the id decides
    ROUTE_BODIES = {"/tags/{id}": {"name": "x"}}
    # the smallest PNG (1x1): a photo route's body is the image
    PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
                        "0000000c49444154789c63606060000000040001f61738550000000049454e44ae426082")

    def expected(self, pattern, spelling):
        # the activity feed reads "after <id>": 0 is its start, and an id in range past
        # every activity is an empty page
        if pattern == "/apps/buzz/activity/{id}" and spelling.isdigit():
            return 200 if int(spelling) <= TOP else 404
        return 404

    def test_ids_that_cannot_be_or_are_nobodys_are_404_on_every_route(self):
        bodies = {}
        before = sql("SELECT id, version FROM privacybee.contacts WHERE user_id = %s", self.uid)
        for method, pattern, *_ in route_table():
            if "{id}" not in pattern:
                continue
            for spelling, what in PATH_SPELLINGS:
                with self.subTest(route=f"{method} {pattern}", id=what):
                    token = self.fresh_token() if method == "DELETE" else self.token
                    path = pattern.replace("{id}", spelling)
                    if pattern.endswith("/photo") and method == "PUT":
                        r = self.req(method, path, token, raw=self.PNG, ctype="image/png")
                    else:
                        r = self.req(method, path, token,
                                     body=self.ROUTE_BODIES.get(pattern, self.BODIES.get(method)))
                    status = self.expected(pattern, spelling)
                    if status == 200:
                        self.assertStatus(r, 200)
                        self.assertEqual(r.json, [])
                    else:
                        self.assertError(r, 404)
                        if spelling.isdigit():
                            # the route's function answers, the same whatever the method:
                            # a path's id is no field of a body, so no details name it
                            self.assertNotIn("details", r.json["error"], r)
                            self.assertEqual(bodies.setdefault((pattern, spelling), r.json), r.json,
                                             f"{method} {pattern}")
        self.assertEqual(sql("SELECT id, version FROM privacybee.contacts WHERE user_id = %s",
                             self.uid), before)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.trust_edges WHERE user_id = %s",
                              self.uid), 0)

    def test_the_employees_of_an_id_that_cannot_exist_are_hidden(self):
        # a NULL id once slipped through "IF NOT (…)" and answered 200 []
        for spelling in ("9000000000000000001", str(TOP), str(TOP + 1), "0"):
            with self.subTest(id=spelling):
                self.assertError(self.req("GET", f"/contacts/employees/{spelling}", self.token),
                                 404)

    def test_leading_zeros_name_the_same_id(self):
        for zeros in (3, 40):
            r = self.req("GET", f"/contacts/{'0' * zeros}{self.contact}", self.token)
            self.assertStatus(r, 200)
            self.assertEqual(r.json["id"], self.contact)


class TestIdsInBodies(IdCase):
    """Every JSON-body route, every id field, every spelling."""

    def body_ids(self):
        """(method, pattern) → [(field as the error names it, JSON template with %s for
        the id, status for an id in range that names nothing, an id of a real object
        that the request may use, the status it then answers)]."""
        uid, other, contact, company, tag = self.uid, self.other, self.contact, self.company, self.tag
        activity = ('{"type": "incoming_call_missed", "call_time": 1, '
                    '"sendable_type": "person", "sendable_id": %s, '
                    '"receivable_type": "person", "receivable_id": %s}')
        return {
            ("POST", "/contacts/sync"): [
                ("[0].id", '[{"id": %s, "display_name": "again"}]', 404, contact, 200),
                ("[0].company_id", '[{"display_name": "c", "company_id": %s}]', 404, company, 200)],
            # the URL names the contact; an id in the body is a read-only field sent back
            ("PUT", "/contacts/{id}"): [
                ("company_id", '{"display_name": "mine", "company_id": %s}', 404, company, 200)],
            ("PATCH", "/contacts/{id}"): [
                ("company_id", '{"company_id": %s}', 404, company, 200)],
            ("POST", "/contacts/tags"): [
                ("contact_ids[0]", '{"contact_ids": [%s], "add": [%d]}' % ("%s", tag), 404, contact, 200),
                ("add[0]", '{"contact_ids": [%d], "add": [%s]}' % (contact, "%s"), 404, tag, 200),
                ("remove[0]", '{"contact_ids": [%d], "remove": [%s]}' % (contact, "%s"), 404, tag, 200)],
            # a filter's values are compared, not looked up: an id in range that names
            # nothing finds nothing (test_rich_contacts covers the filter's ids)
            ("POST", "/contacts/search"): [],
            ("POST", "/tags"): [],
            ("PUT", "/tags/{id}"): [],
            ("PATCH", "/tags/{id}"): [],
            ("PUT", "/contacts/{id}/photo"): [],
            ("POST", "/contacts/requests"): [
                ("user_id", '{"user_id": %s, "contact_reason": "hello"}', 404, other, 201)],
            ("POST", "/contacts/trust/{id}"): [],
            ("POST", "/apps/buzz/activity"): [
                ("sendable_id", activity % ("%s", other), 403, uid, 200),
                ("receivable_id", activity % (uid, "%s"), 404, other, 200)],
            ("PUT", "/apps/buzz/encryption"): [],
            ("POST", "/apps/buzz/trust-lookup"): [],
            ("POST", "/apps/buzz/call-lookup"): [],
            # the Contacts+ RPC: ids as strings of digits, or any JSON number, as everywhere;
            # a stale etag lets a real id be named without deleting or renaming anything
            ("POST", "/api/v1/account.get"): [],
            ("POST", "/api/v1/teams.get"): [],
            ("POST", "/api/v1/contacts.get"): [("contactIds[0]", '{"contactIds": [%s]}', 404, contact, 200)],
            ("POST", "/api/v1/contacts.scroll"): [],
            ("POST", "/api/v1/contacts.search"): [("tagIds[0]", '{"tagIds": [%s]}', 404, tag, 200)],
            ("POST", "/api/v1/contacts.create"): [
                ("contact.contactMetadata.tagIds[0]", '{"contact": {"contactData": {"name": {"givenName": "x"}}, '
                 '"contactMetadata": {"tagIds": [%s]}}}', 404, tag, 200)],
            ("POST", "/api/v1/contacts.update"): [
                ("contact.contactId", '{"contact": {"contactId": %s, "contactData": {"notes": "n"}}, '
                 '"resolveConflicts": true}', 404, contact, 200)],
            ("POST", "/api/v1/contacts.delete"): [
                ("contactId", '{"contactId": %s, "etag": "stale"}', 404, contact, 409)],
            ("POST", "/api/v1/contacts.manageTags"): [
                ("contactIds[0]", '{"contactIds": [%s], "addTagIds": [%d]}' % ("%s", tag), 404, contact, 200),
                ("addTagIds[0]", '{"contactIds": [%d], "addTagIds": [%s]}' % (contact, "%s"), 404, tag, 200),
                ("removeTagIds[0]", '{"contactIds": [%d], "removeTagIds": [%s]}' % (contact, "%s"), 404, tag, 200)],
            # its id is in a multipart field (test_cplus_rpc covers it)
            ("POST", "/api/v1/contacts.uploadPhoto"): [],
            # its ids are a team's (test_cplus_teams covers them); teamId names a company
            ("POST", "/api/v1/contacts.changeOwner"): [
                ("teamId", '{"teamId": %s, "contactIds": [1], "ownerId": null}', 404, company, 404)],
            ("POST", "/api/v1/tags.get"): [("tagIds[0]", '{"tagIds": [%s]}', 404, tag, 200)],
            ("POST", "/api/v1/tags.scroll"): [],
            # webhooks' ids: test_cplus_webhooks covers them
            ("POST", "/api/v1/webhooks.get"): [],
            ("POST", "/api/v1/webhooks.search"): [],
            ("POST", "/api/v1/webhooks.create"): [],
            ("POST", "/api/v1/webhooks.delete"): [],
            ("POST", "/api/v1/webhooks.getBatches"): [],
            ("POST", "/api/v1/webhooks.getTriggers"): [],
            ("POST", "/api/v1/tags.create"): [],
            ("POST", "/api/v1/tags.update"): [
                ("tag.tagId", '{"tag": {"tagId": %s, "etag": "stale", "tagData": {"name": "mine"}}}', 404, tag, 409)],
            ("POST", "/api/v1/tags.delete"): [("tagId", '{"tagId": %s, "etag": "stale"}', 404, tag, 409)],
            # OAuth 2.0: clients, codes and tokens are strings, no id is read from a body
            ("POST", "/oauth/authorize"): [],
            ("POST", "/oauth/token"): [],
            ("POST", "/oauth/revoke"): [],
            ("POST", "/v3/oauth.exchangeAuthCode"): [],
            ("POST", "/v3/oauth.refreshToken"): [],
            ("POST", "/webhooks"): [],
        }

    def send(self, method, pattern, template, spelling):
        path = pattern.replace("{id}", str(self.contact))
        return self.req(method, path, self.token, raw=(template % spelling).encode(),
                        ctype="application/json")

    def test_every_body_route_decides_its_ids(self):
        self.assertEqual(body_routes() - set(self.body_ids()), set())

    def test_ids_out_of_range_or_not_integral_are_400_naming_the_field(self):
        for (method, pattern), fields in self.body_ids().items():
            for field, template, _, _, _ in fields:
                for spelling, in_range in BODY_SPELLINGS:
                    if in_range:
                        continue
                    with self.subTest(route=f"{method} {pattern}", field=field, id=spelling):
                        before = self.state()
                        self.assertError(self.send(method, pattern, template, spelling), 400,
                                         field)
                        self.assertEqual(self.state(), before)
                for spelling in BEYOND_DOUBLE:
                    with self.subTest(route=f"{method} {pattern}", field=field, id=spelling):
                        self.assertError(self.send(method, pattern, template, spelling), 400)

    def test_ids_in_range_that_name_nothing_are_refused_like_any_other(self):
        for (method, pattern), fields in self.body_ids().items():
            for field, template, status, _, _ in fields:
                for spelling, in_range in BODY_SPELLINGS:
                    if not in_range:
                        continue
                    with self.subTest(route=f"{method} {pattern}", field=field, id=spelling):
                        before = self.state()
                        self.assertError(self.send(method, pattern, template, spelling), status)
                        self.assertEqual(self.state(), before)

    def test_an_id_is_an_id_however_json_writes_it(self):
        for (method, pattern), fields in self.body_ids().items():
            for field, template, _, real, status in fields:
                for spelling in spellings_of(real):
                    with self.subTest(route=f"{method} {pattern}", field=field, id=spelling):
                        r = self.send(method, pattern, template, spelling)
                        self.assertStatus(r, status)
                        if "sync" in pattern:
                            self.assertEqual(r.json[0][field[4:]], real)
                        elif field == "company_id":
                            self.assertEqual(r.json["company_id"], real)
                        if "activity" in pattern:
                            self.assertEqual(r.json["data"][field], real)

    def test_call_time_is_read_like_an_id(self):
        for spelling in ("30", "30.0", "3e1", '"30"'):
            with self.subTest(call_time=spelling):
                r = self.req("POST", "/apps/buzz/activity", self.token, ctype="application/json",
                             raw=('{"type": "incoming_call_missed", "call_time": %s, '
                                  '"sendable_type": "person", "sendable_id": %d, '
                                  '"receivable_type": "person", "receivable_id": %d}'
                                  % (spelling, self.uid, self.other)).encode())
                self.assertStatus(r, 200)
                self.assertEqual(r.json["data"]["call_time"], 30)
        for spelling in ("-1", "1.5", "2147483648", str(TOP + 1)):
            with self.subTest(call_time=spelling):
                r = self.req("POST", "/apps/buzz/activity", self.token, ctype="application/json",
                             raw=('{"type": "incoming_call_missed", "call_time": %s, '
                                  '"sendable_type": "person", "sendable_id": %d, '
                                  '"receivable_type": "person", "receivable_id": %d}'
                                  % (spelling, self.uid, self.other)).encode())
                self.assertError(r, 400, "call_time")

    def state(self):
        return (sql("SELECT id, version FROM privacybee.contacts WHERE user_id = %s ORDER BY id",
                    self.uid),
                sql1("SELECT count(*) FROM privacybee.activities WHERE sendable_id = %s "
                     "OR receivable_id = %s", self.uid, self.uid),
                sql1("SELECT count(*) FROM privacybee.trust_requests WHERE requester_id = %s",
                     self.uid))


class TestTheLargestIds(ApiTest):
    """Objects with 19-digit ids at the top of the range work on every route that can
    name them: path, body, cursor and Link. (The person is 2^63-2, so that 2^63-1 stays
    nobody's for the sweeps above.)"""
    PERSON = TOP - 1

    @classmethod
    def setUpClass(cls):
        cls.uid, cls.token = member("Max", "Id")
        sql("INSERT INTO privacybee.contacts (user_id, id, display_name) VALUES (%s, %s, 'top')",
            cls.uid, TOP)
        sql("INSERT INTO privacybee.people (id, first_name, last_name) VALUES (%s, 'Top', 'Person') "
            "ON CONFLICT (id) DO NOTHING", cls.PERSON)

    def test_contact_routes_take_the_largest_id(self):
        path = f"/contacts/{TOP}"
        r = self.req("GET", path, self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["id"], TOP)
        r = self.req("PATCH", path, self.token, body={"labels": ["big"]},
                     headers={"If-Match": r.header("ETag")})
        self.assertStatus(r, 200)
        r = self.req("POST", "/contacts/sync", self.token,
                     raw=f'[{{"id": {TOP}.0, "display_name": "top2"}}]'.encode(),
                     ctype="application/json")
        self.assertStatus(r, 200)
        self.assertEqual((r.json[0]["id"], r.json[0]["display_name"]), (TOP, "top2"))

    def test_a_cursor_past_a_19_digit_id_walks_on(self):
        self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "small"}])
        seen = []
        path = "/contacts?per_page=1"
        while path:
            r = self.req("GET", path, self.token)
            self.assertStatus(r, 200)
            seen += [c["id"] for c in r.json]
            m = re.search(r'<([^>]*)>; rel="next"', r.header("Link") or "")
            path = m.group(1) if m else None
        self.assertEqual(seen[-1], TOP)
        self.assertEqual(len(seen), 2)

    def test_person_routes_take_the_largest_id(self):
        person = self.PERSON
        r = self.req("POST", "/contacts/requests", self.token, body={"user_id": person})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["user_id"], person)
        r = self.req("POST", f"/contacts/trust/{person}", self.token, body={"trusted": 1})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["id"], person)
        # and the person with that id is a member like any other
        own = sql1("SELECT privacybee.issue_token(%s, %s)", person, USER_SCOPES)
        self.assertStatus(self.req("GET", f"/contacts/employees/{person}", own), 200)
        self.assertStatus(self.req("GET", "/apps/buzz/heartbeat", own), 200)
        r = self.req("DELETE", f"/contacts/clear/{person}", own)
        self.assertEqual((r.status, r.json["user_id"]), (200, person))
        r = self.req("POST", "/apps/buzz/activity", self.token, body={
            "type": "chat_message", "message": "hi", "message_id": str(uuid.uuid4()),
            "sendable_type": "person", "sendable_id": self.uid,
            "receivable_type": "person", "receivable_id": person})
        self.assertStatus(r, 200)
        self.assertEqual(json.loads(r.raw)["data"]["receivable_id"], person)
