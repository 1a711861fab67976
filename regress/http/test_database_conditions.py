"""Conditions of the database a request can reach get a clear JSON error with a status
that says whose move it is (fcgi/sqlstate.c), never a 500: an id sequence run out on every
route that creates rows with one, and a unique value taken (an external_id) named by its
field with no advice to retry."""
import urllib.parse
import uuid

from harness import ApiTest, every_database, fresh_phone, give_buzz_number, member, service_token, sql, sql1, unique

TOP = 2 ** 63 - 1


class TestSequenceExhausted(ApiTest):
    """setval(seq, 2^63-1) makes the next nextval() raise 2200H: 503, nothing written.
    The sequence is set where it lives: in the sharded layout on every shard (each shard's
    series is its own, docs/sharding.md; a route may run on more than one, shard=all), and
    each gets its own value back."""

    def exhausted(self, seq, request, table, count=None):
        """count: what must not change (default: the table's rows)."""
        count = count or (lambda: sql1(f"SELECT count(*) FROM privacybee.{table}"))
        saved = []
        for conn in every_database():
            with conn.cursor() as cur:
                cur.execute(f"SELECT last_value, is_called FROM privacybee.{seq}")
                saved.append((conn, *cur.fetchone()))
        before = count()
        try:
            for conn, _, _ in saved:
                with conn.cursor() as cur:
                    cur.execute("SELECT setval(%s, %s, true)", (f"privacybee.{seq}", TOP))
            r = request()
        finally:
            for conn, last, called in saved:
                with conn.cursor() as cur:
                    cur.execute("SELECT setval(%s, %s, %s)", (f"privacybee.{seq}", last, called))
        err = self.assertError(r, 503)
        self.assertIn("no more ids", err["message"])
        self.assertIsNone(r.header("Retry-After"))   # a retry cannot help
        self.assertEqual(count(), before)

    def test_every_route_that_takes_an_id_from_a_sequence(self):
        uid, token = member(phone=fresh_phone())
        other, _ = member()
        contact = self.req("POST", "/contacts/sync", token, body=[{"display_name": "Old"}]).json[0]["id"]
        buzz = give_buzz_number(uid)   # of uid's shard's part of the pool: trust-lookup runs there
        service = service_token()
        lookup = ("/apps/buzz/trust-lookup?" + urllib.parse.urlencode(
            {"number_code": 1, "number": buzz[2:], "inbound_code": 1, "inbound": fresh_phone()[2:]}))
        cases = [
            ("contacts_id_seq", "contacts", lambda: self.req(
                "POST", "/contacts/sync", token, body=[{"display_name": "New"}])),
            ("tags_id_seq", "tags", lambda: self.req("POST", "/tags", token, body={"name": unique("t")})),
            ("tags_id_seq", "tags", lambda: self.req(
                "POST", "/contacts/sync", token, body=[{"display_name": "L", "labels": [unique("t")]}])),
            ("tags_id_seq", "tags", lambda: self.req(
                "PATCH", f"/contacts/{contact}", token, body={"labels": [unique("t")]})),
            ("activities_id_seq", "activities", lambda: self.req(
                "POST", "/apps/buzz/activity", token, body={
                    "type": "chat_message", "sendable_type": "person", "sendable_id": uid,
                    "receivable_type": "person", "receivable_id": other, "message": "m",
                    "message_id": str(uuid.uuid4())})),
            ("blocked_calls_id_seq", "blocked_calls", lambda: self.req("GET", lookup, service)),
            ("webhooks_id_seq", "webhooks", lambda: self.req(
                "POST", "/webhooks", token, body={"url": "http://127.0.0.1:9/", "trigger_ids": ["contact.updated"]})),
        ]
        for seq, table, request in cases:
            with self.subTest(seq=seq, table=table):
                self.exhausted(seq, request, table)

        # an event a write queues takes its id from a sequence too: the write fails whole
        hook = self.req("POST", "/webhooks", token,
                        body={"url": "http://127.0.0.1:9/", "trigger_ids": ["contact.updated"]})
        self.assertStatus(hook, 201)
        # the hook's events, queued or moved into batches: the delivery process moves
        # events (of earlier suites' hooks too) from the outbox while this runs
        hook_id = hook.json["id"]

        def queued():
            return sql1("SELECT count(*) FROM privacybee.webhook_events WHERE webhook_id = %s", hook_id) + \
                (sql1("SELECT sum(events) FROM privacybee.webhook_batches WHERE webhook_id = %s", hook_id) or 0)
        try:
            self.exhausted("webhook_events_id_seq", lambda: self.req(
                "PATCH", f"/contacts/{contact}", token, body={"display_name": "Changed"}), "webhook_events",
                queued)
            self.assertEqual(self.req("GET", f"/contacts/{contact}", token).json["display_name"], "Old")
        finally:
            self.req("DELETE", f"/webhooks/{hook.json['id']}", token)


class TestUniqueConflicts(ApiTest):
    """An external_id is one contact's: giving it to another is 409 naming the field."""

    def setUp(self):
        super().setUp()
        self.uid, self.token = member()
        r = self.req("POST", "/contacts/sync", self.token, body=[
            {"external_id": "s1", "display_name": "One"}, {"external_id": "s2", "display_name": "Two"},
            {"display_name": "Three"}])
        self.one, self.two, self.three = [c["id"] for c in r.json]

    def state(self):
        return sql("SELECT id, external_id, version FROM privacybee.contacts WHERE user_id = %s ORDER BY id",
                   self.uid)

    def conflict(self, r, field):
        err = self.assertError(r, 409, field)
        self.assertNotIn("retry", err["message"])
        return err

    def test_an_external_id_another_contact_has_is_409_naming_it_on_every_route(self):
        before = self.state()
        r = self.req("POST", "/contacts/sync", self.token, body=[{"id": self.three, "external_id": "s1"}])
        err = self.conflict(r, "[0].external_id")
        self.assertIn(str(self.one), err["details"][0]["problem"])
        for method in ("PUT", "PATCH"):
            with self.subTest(method=method):
                r = self.req(method, f"/contacts/{self.three}", self.token,
                             body={"external_id": "s2", "display_name": "Three"})
                self.conflict(r, "external_id")
        self.assertEqual(self.state(), before)

    def test_two_items_giving_one_external_id_are_409_naming_the_second(self):
        before = self.state()
        for items in ([{"id": self.three, "external_id": "s9"}, {"external_id": "s9", "display_name": "N"}],
                      [{"id": self.three, "external_id": "s9"}, {"id": self.one, "external_id": "s9"}]):
            with self.subTest(items=items):
                self.conflict(self.req("POST", "/contacts/sync", self.token, body=items), "[1].external_id")
        self.assertEqual(self.state(), before)

    def test_a_contact_keeping_or_moving_its_own_external_id_is_no_conflict(self):
        r = self.req("POST", "/contacts/sync", self.token, body=[
            {"id": self.one, "external_id": "s1", "display_name": "One again"},
            {"external_id": "s2", "display_name": "Two again"},
            {"id": self.three, "external_id": "s3"}])
        self.assertStatus(r, 200)
        self.assertEqual([c["id"] for c in r.json], [self.one, self.two, self.three])
