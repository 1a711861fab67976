"""Timestamps (SPEC §4): shown as RFC 3339 UTC with Z and microseconds on every route, so
the order a client sees is the order the server uses; read with any number of fractional
digits (compared as the exact instant: every stored time is whole microseconds), t and z,
any offset; a malformed one or an offset out of
range is 400 naming the parameter, never 500."""
import re
import urllib.parse
import uuid

from harness import route_table
from harness import ApiTest, fresh_phone, member, service_token, sql, sql1, unique

SHOWN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
LOOKS_LIKE_A_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d")


def timestamps_in(value, key=None):
    """Every (key, string) in a JSON value that looks like a date with a time."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from timestamps_in(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from timestamps_in(v, key)
    elif isinstance(value, str) and LOOKS_LIKE_A_TIMESTAMP.match(value):
        yield key, value


def next_link(response):
    m = re.search(r'<([^>]*)>; rel="next"', response.header("Link") or "")
    return m.group(1) if m else None


class TestEveryTimestampShown(ApiTest):
    """Every route, with data behind every timestamp it can show."""

    @classmethod
    def setUpClass(cls):
        cls.uid, cls.token = member("Tim", "Stamp", fresh_phone())
        cls.other, cls.other_token = member("Ora", "Asker", fresh_phone())
        coworker, _ = member("Cole", "Worker", fresh_phone())
        company = sql1("SELECT privacybee.create_company('Stamps Inc', %s)", unique("stamps"))
        sql("SELECT privacybee.add_employee(%s, %s)", company, cls.uid)
        sql("SELECT privacybee.add_employee(%s, %s)", company, coworker)
        sql("SELECT privacybee.add_buzz_numbers(%s)", [fresh_phone()])
        sql("INSERT INTO privacybee.trust_requests (user_id, requester_id, contact_reason) "
            "VALUES (%s, %s, 'hello')", cls.uid, cls.other)
        sql("INSERT INTO privacybee.blocked_calls (user_id, caller_id, inbound_code, inbound) "
            "VALUES (%s, 'Spam', '1', '2125550000')", cls.uid)
        made = sql1("SELECT privacybee.sync_contacts(%s, '[{\"display_name\": \"a\"}, "
                    "{\"display_name\": \"b\"}, {\"display_name\": \"c\"}]')", cls.uid)
        cls.contact, gone, _ = made
        sql("DELETE FROM privacybee.contacts WHERE user_id = %s AND id = %s", cls.uid, gone)
        sql("INSERT INTO privacybee.contact_tombstones (user_id, contact_id) VALUES (%s, %s)",
            cls.uid, gone)
        # a webhook disabled after a failed batch, a batch still pending, attempts at both
        cls.hook = sql1("SELECT id FROM privacybee.webhook_create(%s, 'https://192.0.2.1/', '{tag.deleted}')",
                        cls.uid)
        sql("UPDATE privacybee.webhooks SET enabled = false, disabled_at = now(), disabled_reason = 'test' "
            "WHERE id = %s", cls.hook)
        for status in ("failed", "pending"):
            sql("WITH b AS (INSERT INTO privacybee.webhook_batches (user_id, webhook_id, events, first_event_id, "
                "last_event_id, status, attempts, finished_at) VALUES (%s, %s, 1, 1, 1, %s, 1, "
                "CASE WHEN %s = 'failed' THEN now() END) RETURNING *) "
                "INSERT INTO privacybee.webhook_attempts SELECT user_id, webhook_id, id, 1, now(), 500, 3, 'x' FROM b",
                cls.uid, cls.hook, status, status)
        cls.tag = sql1("INSERT INTO privacybee.tags (user_id, name) VALUES (%s, 'stamped') "
                       "RETURNING id", cls.uid)

    def cases(self):
        """method, pattern → the request that shows the route's timestamps."""
        c = self.contact
        lookup = "number_code=1&number=2025550100&inbound_code=1&inbound=2125550199"
        activity = {"type": "chat_message", "message": "hi", "message_id": str(uuid.uuid4()),
                    "sendable_type": "person", "sendable_id": self.uid,
                    "receivable_type": "person", "receivable_id": self.other}
        return {
            ("GET", "/contacts"): ("GET", "/contacts?include_deleted=true&per_page=2"
                                   "&updated_at=2000-01-01T00:00:00.5%2B01:00", None),
            ("POST", "/contacts/sync"): ("POST", "/contacts/sync", [{"id": c, "labels": ["t"]}]),
            ("GET", "/contacts/requests"): ("GET", "/contacts/requests", None),
            ("POST", "/contacts/requests"): ("POST", "/contacts/requests",
                                             {"user_id": self.other}),
            ("POST", "/contacts/trust/{id}"): ("POST", f"/contacts/trust/{self.other}",
                                               {"trusted": 1}),
            ("GET", "/contacts/employees/{id}"): ("GET", f"/contacts/employees/{self.uid}", None),
            ("DELETE", "/contacts/clear/{id}"): None,  # answers a count, nothing else
            ("GET", "/contacts/{id}"): ("GET", f"/contacts/{c}", None),
            ("PUT", "/contacts/{id}"): ("PUT", f"/contacts/{c}", {"display_name": "A"}),
            ("PATCH", "/contacts/{id}"): ("PATCH", f"/contacts/{c}", {"display_name": "A2"}),
            ("DELETE", "/contacts/{id}"): None,  # answers {"id", "deleted"}
            ("GET", "/apps/buzz/trust-lookup"): ("GET", f"/apps/buzz/trust-lookup?{lookup}", None),
            ("POST", "/apps/buzz/trust-lookup"): None,  # the same answer as GET
            ("GET", "/apps/buzz/call-lookup"): ("GET", f"/apps/buzz/call-lookup?{lookup}", None),
            ("POST", "/apps/buzz/call-lookup"): None,
            ("GET", "/apps/buzz/heartbeat"): ("GET", "/apps/buzz/heartbeat", None),
            ("GET", "/apps/buzz/blocked"): ("GET", "/apps/buzz/blocked", None),
            ("POST", "/apps/buzz/activity"): ("POST", "/apps/buzz/activity", activity),
            ("GET", "/apps/buzz/activity/{id}"): ("GET", "/apps/buzz/activity/0?limit=1", None),
            ("PUT", "/apps/buzz/encryption"): None,  # answers the identity it stored
            ("DELETE", "/apps/buzz/clear"): None,  # 204
            ("GET", "/openapi.json"): None,  # the document: no timestamps
            # the Contacts+ RPC shows the same timestamps, in the same format
            ("POST", "/api/v1/account.get"): ("POST", "/api/v1/account.get", {}),
            ("POST", "/api/v1/contacts.get"): ("POST", "/api/v1/contacts.get", {"contactIds": [str(c)]}),
            ("POST", "/api/v1/contacts.scroll"): ("POST", "/api/v1/contacts.scroll",
                                                  {"includeDeletedContacts": True}),
            ("POST", "/api/v1/contacts.search"): ("POST", "/api/v1/contacts.search", {"searchQuery": "a"}),
            ("POST", "/api/v1/contacts.create"): ("POST", "/api/v1/contacts.create", {
                "contact": {"contactData": {"name": {"givenName": "Stamp"}}}}),
            ("POST", "/api/v1/contacts.update"): ("POST", "/api/v1/contacts.update", {
                "contact": {"contactId": str(c), "contactData": {"notes": "stamped"}},
                "resolveConflicts": True}),
            ("POST", "/api/v1/contacts.delete"): None,  # answers {"contactId", "deleted"}
            ("POST", "/api/v1/contacts.manageTags"): ("POST", "/api/v1/contacts.manageTags", {
                "contactIds": [str(c)], "addTagIds": [str(self.tag)]}),
            ("POST", "/api/v1/contacts.uploadPhoto"): None,  # the contact, as contacts.get shows it
            ("POST", "/api/v1/contacts.changeOwner"): None,  # a team's contacts, as contacts.get shows them
            ("POST", "/api/v1/tags.get"): ("POST", "/api/v1/tags.get", {"tagIds": [str(self.tag)]}),
            ("POST", "/api/v1/tags.scroll"): ("POST", "/api/v1/tags.scroll", {}),
            ("POST", "/api/v1/tags.create"): ("POST", "/api/v1/tags.create", {"tag": {"tagData": {"name": "cp"}}}),
            ("POST", "/api/v1/tags.update"): None,  # the tag, as tags.get shows it
            ("POST", "/api/v1/tags.delete"): None,  # answers {"tagId", "deleted"}
            ("POST", "/api/v1/teams.get"): ("POST", "/api/v1/teams.get", {}),
            ("POST", "/api/v1/webhooks.get"): ("POST", "/api/v1/webhooks.get", {"webhookIds": [str(self.hook)]}),
            ("POST", "/api/v1/webhooks.search"): ("POST", "/api/v1/webhooks.search", {}),
            ("POST", "/api/v1/webhooks.create"): ("POST", "/api/v1/webhooks.create", {
                "url": "https://192.0.2.1/cplus", "triggerIds": ["tag.deleted"]}),
            ("POST", "/api/v1/webhooks.delete"): None,  # answers {"webhookId", "deleted"}
            ("POST", "/api/v1/webhooks.getBatches"): None,  # as GET /webhooks/{id}/batches
            ("POST", "/api/v1/webhooks.getTriggers"): None,  # the catalog: no timestamps
            # OAuth 2.0: no timestamps; the Contacts+ forms write expirations as the seed
            # does, in milliseconds (test_oauth.py checks them)
            ("GET", "/oauth/authorize"): None,
            ("POST", "/oauth/authorize"): None,
            ("POST", "/oauth/token"): None,
            ("POST", "/oauth/revoke"): None,
            ("POST", "/v3/oauth.exchangeAuthCode"): None,
            ("POST", "/v3/oauth.refreshToken"): None,
            ("GET", "/webhooks"): ("GET", "/webhooks", None),
            ("POST", "/webhooks"): ("POST", "/webhooks", {"url": "https://192.0.2.1/", "trigger_ids": ["tag.deleted"]}),
            ("GET", "/webhooks/triggers"): None,  # the catalog: no timestamps
            ("GET", "/webhooks/{id}"): ("GET", f"/webhooks/{self.hook}", None),
            ("DELETE", "/webhooks/{id}"): None,  # 204
            ("GET", "/webhooks/{id}/batches"): ("GET", f"/webhooks/{self.hook}/batches", None),
            ("POST", "/contacts/search"): ("POST", "/contacts/search?limit=1", {"filter": {
                "field": "updated", "operator": "gt", "value": "2000-01-01T00:00:00.5+01:00"}}),
            ("POST", "/contacts/tags"): ("POST", "/contacts/tags",
                                         {"contact_ids": [c], "add": [self.tag]}),
            ("GET", "/tags"): ("GET", "/tags", None),
            ("POST", "/tags"): ("POST", "/tags", {"name": "stamped"}),
            ("GET", "/tags/{id}"): ("GET", f"/tags/{self.tag}", None),
            ("PUT", "/tags/{id}"): ("PUT", f"/tags/{self.tag}", {"name": "Stamped"}),
            ("PATCH", "/tags/{id}"): ("PATCH", f"/tags/{self.tag}", {"name": "stamped"}),
            ("DELETE", "/tags/{id}"): None,  # answers {"id", "deleted"}
            ("PUT", "/contacts/{id}/photo"): None,  # answers the contact, as PUT /contacts/{id}
            ("GET", "/contacts/{id}/photo"): None,  # bytes
            ("DELETE", "/contacts/{id}/photo"): None,  # answers the contact
        }

    def test_every_route_is_considered(self):
        self.assertEqual({(m, p) for m, p, *_ in route_table()} - set(self.cases()), set())

    def test_every_timestamp_of_every_route_has_microseconds(self):
        # the activity feed needs two activities for its Link
        for _ in range(2):
            self.req("POST", "/apps/buzz/activity", self.token, body=self.cases()[
                ("POST", "/apps/buzz/activity")][2] | {"message_id": str(uuid.uuid4())})
        seen = set()
        service = service_token()
        for (method, pattern), request in self.cases().items():
            if request is None:
                continue
            m, path, body = request
            with self.subTest(route=f"{method} {pattern}"):
                token = service if "lookup" in pattern else self.token
                r = self.req(m, path, token, body=body)
                self.assertLess(r.status, 300, r)
                for key, value in timestamps_in(r.json):
                    seen.add(key)
                    self.assertRegex(value, SHOWN, f"{key} of {method} {pattern}")
                for q in re.findall(r"updated_at=([^&>]*)", r.header("Link") or ""):
                    seen.add("Link updated_at")
                    self.assertRegex(urllib.parse.unquote(q), SHOWN)
        self.assertEqual(seen, {"created", "updated", "updated_at", "created_at",
                                "last_contact_update", "last_trust_request",
                                "last_company_update", "last_coworker_update",
                                "last_user_update", "Link updated_at", "disabled_at",
                                "next_attempt_at", "finished_at", "at"})


class TestOrderShownIsOrderUsed(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member()
        self.made = [c["id"] for c in self.req("POST", "/contacts/sync", self.token, body=[
            {"display_name": f"s{i}"} for i in range(3)]).json]

    def stamp(self, contact, ts):
        sql("UPDATE privacybee.contacts SET updated = %s WHERE user_id = %s AND id = %s",
            ts, self.uid, contact)

    def test_two_updates_in_one_second_show_in_the_order_they_are_listed(self):
        a, b, c = self.made
        self.stamp(a, "2024-03-01T10:00:00.000003Z")
        self.stamp(b, "2024-03-01T10:00:00.000001Z")
        self.stamp(c, "2024-03-01T10:00:00.000002Z")
        r = self.req("GET", "/contacts?updated_at=2024-03-01T10:00:00Z", self.token)
        self.assertEqual([x["id"] for x in r.json], [b, c, a])
        shown = [x["updated"] for x in r.json]
        self.assertEqual(shown, sorted(shown))
        self.assertEqual(len(set(shown)), 3)
        self.assertEqual(shown[0], "2024-03-01T10:00:00.000001Z")

    def test_a_cursor_walk_is_exact_to_the_microsecond(self):
        a, b, c = self.made
        self.stamp(a, "2024-03-01T10:00:00.999999Z")
        self.stamp(b, "2024-03-01T10:00:01.000000Z")
        self.stamp(c, "2024-03-01T10:00:00.999999Z")
        ids = []
        path = "/contacts?updated_at=2024-03-01T10:00:00.999999Z&per_page=1"
        while path:
            r = self.req("GET", path, self.token)
            self.assertStatus(r, 200)
            ids += [x["id"] for x in r.json]
            path = next_link(r)
        self.assertEqual(ids, [a, c, b])

    def test_a_timestamp_read_back_selects_exactly_what_it_showed(self):
        a, b, c = self.made
        self.stamp(a, "2024-03-01T10:00:00.123456Z")
        self.stamp(b, "2024-03-01T10:00:00.123457Z")
        self.stamp(c, "2024-03-01T10:00:00.123455Z")
        shown = self.req("GET", f"/contacts/{a}", self.token).json["updated"]
        r = self.req("GET", f"/contacts?updated_at={shown}", self.token)
        self.assertEqual({x["id"] for x in r.json}, {a, b})


class TestTimestampsRead(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member()
        made = self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "t"}]).json
        sql("UPDATE privacybee.contacts SET updated = '2024-03-01T10:00:00.123456Z' "
            "WHERE user_id = %s", self.uid)
        self.id = made[0]["id"]

    def listed(self, since):
        r = self.req("GET", "/contacts?updated_at=" + urllib.parse.quote(since, safe=":"),
                     self.token)
        self.assertStatus(r, 200)
        return [x["id"] for x in r.json]

    def test_any_number_of_fractional_digits_compared_exactly(self):
        # updated is .123456 exactly: updated >= since as the instants compare, whatever
        # the digits past the microsecond
        for since, found in (("2024-03-01T10:00:00.1234569Z", False),      # .NET: 7 digits
                             ("2024-03-01T10:00:00.123456999Z", False),    # Go, Java: 9
                             ("2024-03-01T10:00:00.123456000000001Z", False),
                             ("2024-03-01T10:00:00.123456000Z", True),
                             ("2024-03-01T10:00:00.1234559Z", True),
                             ("2024-03-01T10:00:00.1234570Z", False),
                             ("2024-03-01T10:00:00.12345Z", True),
                             ("2024-03-01T10:00:00.1Z", True),
                             ("2024-03-01T10:00:00.2Z", False)):
            with self.subTest(updated_at=since):
                self.assertEqual(self.listed(since), [self.id] if found else [])

    def test_search_bounds_past_the_microsecond_compare_exactly_for_every_operator(self):
        def found(op, value):
            r = self.req("POST", "/contacts/search", self.token,
                         body={"filter": {"field": "updated", "operator": op, "value": value}})
            self.assertStatus(r, 200)
            return [x["id"] for x in r.json] == [self.id]

        # updated is 10:00:00.123456 exactly
        for value, before in (("2024-03-01T10:00:00.1234561Z", False),   # just after it
                              ("2024-03-01T10:00:00.123456999Z", False),
                              ("2024-03-01T10:00:00.1234559Z", True),    # just before it
                              ("2024-03-01T10:00:00.1234560Z", None),    # it, exactly
                              ("2024-03-01T15:30:00.123456000001+05:30", False)):
            with self.subTest(value=value):
                if before is None:
                    want = {"lt": False, "lte": True, "gt": False, "gte": True}
                else:   # updated > value when the value is before it
                    want = {"lt": not before, "lte": not before, "gt": before, "gte": before}
                for op, hit in want.items():
                    self.assertEqual(found(op, value), hit, op)

    def test_lowercase_separators_and_any_offset(self):
        for since in ("2024-03-01t10:00:00.123456z", "2024-03-01 10:00:00.123456Z",
                      "2024-03-01T15:30:00.123456+05:30", "2024-03-01T15:30:00.123456+0530",
                      "2024-03-01T00:00:00.123456-10:00", "2024-02-29T18:01:00.123456-15:59",
                      "2024-03-02T01:59:00.123456+15:59", "2024-03-01T10:00:00.123456-00:00"):
            with self.subTest(updated_at=since):
                self.assertEqual(self.listed(since), [self.id])
                later = since.replace(".123456", ".123457")
                self.assertEqual(self.listed(later), [])

    def test_a_plus_the_query_string_made_a_space_is_still_an_offset(self):
        r = self.req("GET", "/contacts?updated_at=2024-03-01T15:30:00.123456+05:30", self.token)
        self.assertEqual([x["id"] for x in r.json], [self.id])

    def test_malformed_or_out_of_range_is_400_naming_it_never_500(self):
        for since in ("2024-03-01T10:00:00+16:00", "2024-03-01T10:00:00-16:00",
                      "2024-03-01T10:00:00+99:99", "2024-03-01T10:00:00+02:60",
                      "2024-03-01T10:00:00+2", "9999-12-31T23:59:59-01:00",
                      "0000-01-01T00:00:00+01:00", "2024-02-30T00:00:00Z",
                      "2024-03-01T25:00:00Z", "2024-03-01T10:00:00.Z", "2024-03-01T10:00:00ZZ",
                      "20240301T100000Z", "yesterday", "", "infinity", "epoch",
                      "2024-03-01T10:00:00.1234567890123456789012345678901234567890+15:60"):
            with self.subTest(updated_at=since):
                r = self.req("GET", "/contacts?updated_at=" + urllib.parse.quote(since),
                             self.token)
                self.assertError(r, 400, "updated_at")
