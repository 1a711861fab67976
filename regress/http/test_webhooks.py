"""Webhooks (SPEC §11, docs/webhooks.md): the routes, every trigger's events delivered
signed by the delivery process to a receiver on loopback (webhook_receiver.py), nothing
for a change that rolled back, retries with growing delays, a batch in flight surviving
kill -9 of the delivery process, addresses refused (SSRF), no redirect followed, the
webhook disabled after the retry period, and 10,000 events in order."""
import json
import os
import signal
import subprocess
import time
import urllib.parse
import uuid
from datetime import datetime

from harness import ApiTest, Client, member, member_connect, member_sql, service_token, sql, sql1, unique
from test_buzz import buzz_member, call
from webhook_receiver import Receiver

ALL_TRIGGERS = ["contact.created", "contact.updated", "contact.deleted", "tag.created", "tag.updated",
                "tag.deleted", "trust_request.received", "call.blocked", "activity.received"]
STACK = os.path.dirname(os.environ["PGHOST"])
MASTER_PID = os.path.join(STACK, "fcgi", "master.pid")


def delivery_processes():
    """The pids of the delivery processes (children of the master named pb-delivery): one,
    or one per shard in the sharded layout (docs/sharding.md)."""
    with open(MASTER_PID) as f:
        master = f.read().split()[0]
    found = set()
    for pid in subprocess.run(["pgrep", "-P", master], capture_output=True, text=True).stdout.split():
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == "pb-delivery":
                    found.add(int(pid))
        except OSError:
            pass
    return found


def wait_until(predicate, seconds):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class WebhookTest(ApiTest):
    receiver = None

    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()

    @classmethod
    def tearDownClass(cls):
        cls.receiver.close()

    def setUp(self):
        super().setUp()
        self.path = "/" + unique("hook")
        self.uid, self.token = member("Hook", "Owner")

    def tearDown(self):
        # what is left of this test's webhooks stops being retried
        sql("SELECT privacybee.webhook_delete(user_id, id) FROM privacybee.webhooks WHERE user_id = %s", self.uid)
        super().tearDown()

    def create(self, triggers=("contact.created",), path=None, token=None, url=None):
        r = self.req("POST", "/webhooks", token or self.token,
                     body={"url": url or self.receiver.url(path or self.path), "trigger_ids": list(triggers)})
        self.assertStatus(r, 201)
        return r.json

    def sync(self, contacts, token=None):
        r = self.req("POST", "/contacts/sync", token or self.token, body=contacts)
        self.assertStatus(r, 200)
        return r.json

    def delivered(self, n, path=None, seconds=30):
        """Wait until n events arrived at path; the events, in order of arrival."""
        path = path or self.path
        self.assertTrue(self.receiver.wait_for(lambda: len(self.receiver.events(path)) >= n, seconds),
                        f"{len(self.receiver.events(path))} of {n} events arrived at {path}")
        return self.receiver.events(path)

    def attempts(self, webhook_id, batch_id=None, n=1, seconds=30):
        """Wait until the webhook's (or the batch's) batches recorded n attempts in all."""
        def recorded():
            return sql1("SELECT count(*) FROM privacybee.webhook_attempts WHERE webhook_id = %s "
                        "AND (%s::bigint IS NULL OR batch_id = %s)", webhook_id, batch_id, batch_id) >= n
        self.assertTrue(wait_until(recorded, seconds), "fewer than %d attempts recorded: %s" % (n, sql(
            "SELECT b.id, b.status, b.next_attempt_at - now(), a.attempt, a.http_status, a.error "
            "FROM privacybee.webhook_batches b LEFT JOIN privacybee.webhook_attempts a ON a.batch_id = b.id "
            "WHERE b.webhook_id = %s ORDER BY b.id, a.attempt", webhook_id)))
        return self.req("GET", f"/webhooks/{webhook_id}/batches", self.token).json


class TestWebhookRoutes(WebhookTest):
    def test_create_answers_the_secret_once_and_get_never(self):
        made = self.create(["contact.created", "call.blocked"])
        self.assertEqual(set(made), {"id", "url", "trigger_ids", "secret", "enabled", "created"})
        self.assertRegex(made["secret"], r"^whsec_[0-9a-f]{64}$")
        self.assertEqual((made["trigger_ids"], made["enabled"]), (["contact.created", "call.blocked"], True))
        got = self.req("GET", f"/webhooks/{made['id']}", self.token)
        self.assertStatus(got, 200)
        self.assertNotIn("secret", got.json)
        self.assertEqual((got.json["url"], got.json["disabled_reason"]), (made["url"], None))
        self.assertNotIn(made["secret"], self.req("GET", "/webhooks", self.token).raw)

    def test_list_and_search_by_url_and_trigger(self):
        a = self.create(["contact.created"], path=self.path + "/a")
        b = self.create(["call.blocked", "contact.deleted"], path=self.path + "/b")
        ids = lambda q: [w["id"] for w in self.req("GET", "/webhooks" + q, self.token).json]
        self.assertEqual(ids(""), [a["id"], b["id"]])
        self.assertEqual(ids("?url=" + urllib.parse.quote(self.path + "/b")), [b["id"]])
        self.assertEqual(ids("?trigger_id=contact.deleted"), [b["id"]])
        self.assertEqual(ids("?trigger_id=contact.created,call.blocked"), [a["id"], b["id"]])
        self.assertEqual(ids("?url=nowhere"), [])
        self.assertError(self.req("GET", "/webhooks?trigger_id=contact.exploded", self.token), 400, "trigger_id[0]")

    def test_triggers_list_every_trigger_with_its_scope(self):
        r = self.req("GET", "/webhooks/triggers", self.token)
        self.assertStatus(r, 200)
        self.assertEqual([t["id"] for t in r.json], ALL_TRIGGERS)
        scopes = {t["id"]: t["scope"] for t in r.json}
        self.assertEqual((scopes["contact.created"], scopes["call.blocked"]), ("contacts:read", "buzz"))

    def test_delete_then_404_and_another_members_webhook_is_404(self):
        made = self.create()
        _, other = member()
        for method in ("GET", "DELETE"):
            self.assertError(self.req(method, f"/webhooks/{made['id']}", other), 404)
        self.assertError(self.req("GET", f"/webhooks/{made['id']}/batches", other), 404)
        self.assertStatus(self.req("DELETE", f"/webhooks/{made['id']}", self.token), 204)
        self.assertError(self.req("GET", f"/webhooks/{made['id']}", self.token), 404)
        self.assertError(self.req("DELETE", f"/webhooks/{made['id']}", self.token), 404)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.webhook_secrets WHERE webhook_id = %s",
                              made["id"]), 0)

    def test_bad_urls_are_400_naming_url(self):
        for url in ("http://example.com/hook", "ftp://example.com/", "https://user:pw@example.com/",
                    "https://example.com/#frag", "example.com/hook", "https:///path", "https://exa mple.com/",
                    "https://example.com:0/", "https://example.com:99999/", "https://exämple.com/",
                    "https://" + "a" * 2050 + ".com/", 42, None):
            r = self.req("POST", "/webhooks", self.token, body={"url": url, "trigger_ids": ["contact.created"]})
            self.assertError(r, 400, "url")
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.webhooks WHERE user_id = %s", self.uid), 0)

    def test_https_and_loopback_http_are_accepted(self):
        for url in ("https://example.com/hook", "HTTPS://Example.COM:8443/a?b=c", "https://[2001:db8::1]/x",
                    "http://localhost:9/x", "http://127.0.0.1:9/", "http://[::1]:9/"):
            r = self.req("POST", "/webhooks", self.token, body={"url": url, "trigger_ids": ["contact.created"]})
            self.assertStatus(r, 201)
            self.req("DELETE", f"/webhooks/{r.json['id']}", self.token)

    def test_bad_trigger_ids_are_400_naming_the_element(self):
        for triggers, field in ((["contact.created", "contact.exploded"], "trigger_ids[1]"),
                                (["contact.created", "contact.created"], "trigger_ids[1]"),
                                ([7], "trigger_ids[0]"), ([], "trigger_ids"), ("contact.created", "trigger_ids")):
            r = self.req("POST", "/webhooks", self.token, body={"url": "https://example.com/", "trigger_ids": triggers})
            self.assertError(r, 400, field)
        r = self.req("POST", "/webhooks", self.token, body={"url": "https://example.com/", "trigger_ids": ["contact.created"],
                                                             "secret": "mine"})
        self.assertError(r, 400, "secret")

    def test_a_trigger_needs_the_scope_that_reads_its_data(self):
        _, token = member(scopes=["webhooks:read", "webhooks:write", "contacts:read"])
        r = self.req("POST", "/webhooks", token, body={"url": "https://example.com/", "trigger_ids": ["call.blocked"]})
        self.assertError(r, 403)
        self.assertIn("buzz", r.json["error"]["message"])
        self.create(["contact.created"], token=token)
        _, reader = member(scopes=["webhooks:read", "contacts:read", "buzz"])
        self.assertError(self.req("POST", "/webhooks", reader,
                                  body={"url": "https://example.com/", "trigger_ids": ["contact.created"]}), 403)

    def test_a_member_has_at_most_max_webhooks(self):
        limit = int(member_sql(self.uid, "SELECT privacybee.max_webhooks()")[0][0])   # the member's shard's setting
        for _ in range(limit):
            self.create(url="https://example.com/" + unique())
        r = self.req("POST", "/webhooks", self.token, body={"url": "https://example.com/", "trigger_ids": ["contact.created"]})
        self.assertError(r, 409)
        self.assertIn(str(limit), r.json["error"]["message"])


class TestDeliveries(WebhookTest):
    def test_every_trigger_arrives_signed_with_its_data(self):
        uid, token, buzz = buzz_member("Hooked")
        self.token = token
        made = self.create(ALL_TRIGGERS)
        # tag.created, contact.created, contact.updated (tagged), tag.updated and its contact
        # moving, tag.deleted and its contact moving, contact.deleted
        r = self.req("POST", "/tags", token, body={"name": "Friends"})
        self.assertStatus(r, 201)
        tag = r.json["id"]
        cid = self.sync([{"display_name": "Watched", "external_id": "w-1"}])[0]["id"]
        # the contact's ETag after each change: each event carries the one REST shows
        etags = [self.req("GET", f"/contacts/{cid}", token).header("ETag")]
        self.assertStatus(self.req("POST", "/contacts/tags", token, body={"contact_ids": [cid], "add": [tag]}), 200)
        etags.append(self.req("GET", f"/contacts/{cid}", token).header("ETag"))
        self.assertStatus(self.req("PATCH", f"/tags/{tag}", token, body={"name": "Family"}), 200)
        etags.append(self.req("GET", f"/contacts/{cid}", token).header("ETag"))
        self.assertStatus(self.req("DELETE", f"/tags/{tag}", token), 200)
        etags.append(self.req("GET", f"/contacts/{cid}", token).header("ETag"))
        self.assertEqual(len(set(etags)), 4, etags)
        self.assertStatus(self.req("DELETE", f"/contacts/{cid}", token), 200)
        # trust_request.received, from someone else
        asker, asker_token = member("Ask", "Er")
        self.assertStatus(self.req("POST", "/contacts/requests", asker_token,
                                   body={"user_id": uid, "contact_reason": "hello"}), 201)
        # call.blocked: a stranger calls
        stranger = "+14155550199"
        self.assertEqual(self.req("GET", "/apps/buzz/trust-lookup?" + urllib.parse.urlencode(
            call(buzz, stranger, call_sid=unique("CA"))), service_token()).json["trusted"], False)
        # activity.received
        message_id = str(uuid.uuid4())
        self.assertStatus(self.req("POST", "/apps/buzz/activity", asker_token, body={
            "type": "chat_message", "sendable_type": "person", "sendable_id": asker,
            "receivable_type": "person", "receivable_id": uid, "message": "c2lwaGVy",
            "message_id": message_id}), 200)

        events = self.delivered(11)
        self.assertEqual([e["triggerId"] for e in events],
                         ["tag.created", "contact.created", "contact.updated", "tag.updated", "contact.updated",
                          "tag.deleted", "contact.updated", "contact.deleted", "trust_request.received",
                          "call.blocked", "activity.received"])
        for d in self.receiver.at(self.path):
            self.assertTrue(d.signature_valid(made["secret"]), d.headers)
            self.assertFalse(d.signature_valid("whsec_" + "0" * 64))
            self.assertEqual(d.json["webhookId"], made["id"])
            self.assertEqual(d.headers["content-type"], "application/json")
        by = {e["triggerId"]: e["data"] for e in events}
        self.assertEqual(by["contact.created"]["id"], cid)
        self.assertEqual((by["contact.created"]["external_id"], by["contact.created"]["etag"]), ("w-1", etags[0]))
        self.assertEqual([(e["data"]["id"], e["data"]["etag"]) for e in events if e["triggerId"] == "contact.updated"],
                         [(cid, etag) for etag in etags[1:]])
        self.assertEqual((by["tag.created"]["id"], by["tag.created"]["name"]), (tag, "Friends"))
        self.assertEqual((by["tag.updated"]["id"], by["tag.updated"]["name"]), (tag, "Family"))
        self.assertEqual((by["tag.deleted"]["id"], by["tag.deleted"]["deleted"]), (tag, True))
        for e in events:
            if e["triggerId"] in ("tag.created", "tag.updated"):
                self.assertEqual(set(e["data"]), {"id", "name", "created", "updated"})
        self.assertEqual((by["contact.deleted"]["id"], by["contact.deleted"]["deleted"]), (cid, True))
        self.assertEqual((by["trust_request.received"]["id"], by["trust_request.received"]["contact_reason"]),
                         (asker, "hello"))
        self.assertEqual((by["call.blocked"]["country_code"], by["call.blocked"]["phone_number"]), ("+1", "4155550199"))
        self.assertEqual((by["activity.received"]["message_id"], by["activity.received"]["sendable_id"]),
                         (message_id, asker))
        ids = [e["eventId"] for e in events]
        self.assertEqual(ids, sorted(set(ids)))
        for e in events:
            self.assertRegex(e["occurredAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

    def test_only_the_triggers_named_arrive(self):
        self.create(["contact.deleted"])
        cid = self.sync([{"display_name": "Quiet"}])[0]["id"]
        self.assertStatus(self.req("DELETE", f"/contacts/{cid}", self.token), 200)
        self.assertEqual([e["triggerId"] for e in self.delivered(1)], ["contact.deleted"])

    def test_a_label_named_first_in_a_sync_announces_its_tag(self):
        """Every path that creates a tag announces it: here a sync's labels, in the sync's
        transaction (one tag.created per new name, none for a name the member has)."""
        self.create(["tag.created"])
        self.sync([{"display_name": "Labelled", "labels": ["Golf", "Chess"]}])
        self.sync([{"display_name": "Again", "labels": ["golf", "Tennis"]}])
        events = self.delivered(3)
        self.assertEqual(sorted(e["data"]["name"] for e in events[:2]), ["Chess", "Golf"])
        self.assertEqual(events[2]["data"]["name"], "Tennis")
        self.assertEqual({e["data"]["id"] for e in events},
                         {i for (i,) in sql("SELECT id FROM privacybee.tags WHERE user_id = %s", self.uid)})

    def test_a_rolled_back_change_sends_nothing(self):
        self.create(["contact.created"])
        conn = member_connect(self.uid)   # the member's shard, where the outbox is
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT privacybee.sync_contacts(%s, %s)",
                            (self.uid, json.dumps([{"display_name": "Never", "external_id": "rolled-back"}])))
                cur.execute("SELECT count(*) FROM privacybee.webhook_events WHERE user_id = %s", (self.uid,))
                self.assertEqual(cur.fetchone()[0], 1, "the event is written with the change")
            conn.rollback()
        finally:
            conn.close()
        # a sync that fails as a whole writes nothing either: its second item is invalid
        r = self.req("POST", "/contacts/sync", self.token,
                     body=[{"display_name": "Also never"}, {"display_name": ""}])
        self.assertError(r, 400)
        # a later committed change is delivered; batches arrive in order, so nothing earlier is pending
        self.sync([{"display_name": "Marker", "external_id": "marker"}])
        events = self.delivered(1)
        self.assertEqual([e["data"]["external_id"] for e in events], ["marker"])
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.webhook_events WHERE user_id = %s", self.uid), 0)

    def test_three_failures_then_success_retry_with_growing_delays(self):
        """500, no answer in 10 s, connection closed, then 200: the same batch (same body, same
        eventIds) four times, each wait at least the backoff's lower bound (base 200 ms in the
        tests, doubling: 100, 200, 400 ms), every attempt recorded."""
        made = self.create()
        self.receiver.script(self.path, [500, "hang", "close", 200])
        self.sync([{"display_name": "Retried"}])
        self.assertTrue(self.receiver.wait_for(lambda: len(self.receiver.at(self.path)) >= 4, 60))
        batches = self.attempts(made["id"], n=4)
        arrivals = self.receiver.at(self.path)
        self.assertEqual(len({d.raw for d in arrivals}), 1, "every attempt posts the same body")
        self.assertTrue(all(d.signature_valid(made["secret"]) for d in arrivals))
        base = 0.2
        gaps = [b.at - a.at for a, b in zip(arrivals, arrivals[1:])]
        self.assertGreaterEqual(gaps[0], base / 2)
        self.assertGreaterEqual(gaps[1], 9)                  # the 10 s timeout, counted before arrival
        self.assertGreaterEqual(gaps[2], 2 * base)
        [batch] = batches
        self.assertEqual((batch["status"], len(batch["attempts"])), ("delivered", 4))
        self.assertEqual([a["http_status"] for a in batch["attempts"]], [500, None, None, 200])
        self.assertEqual(batch["attempts"][0]["error"], "the receiver answered 500: {}")
        self.assertIn("within 10 s", batch["attempts"][1]["error"])
        self.assertGreaterEqual(batch["attempts"][1]["duration_ms"], 10000)
        self.assertIsNone(batch["attempts"][3]["error"])
        # the waits between an attempt's end and the next one's start, as recorded: each at
        # least the backoff's lower bound, which doubles
        starts = [datetime.strptime(a["at"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() for a in batch["attempts"]]
        ends = [s + a["duration_ms"] / 1000 for s, a in zip(starts, batch["attempts"])]
        waits = [starts[i + 1] - ends[i] for i in range(3)]
        for i, w in enumerate(waits):
            self.assertGreaterEqual(w, base * 2 ** i / 2, waits)

    def test_a_batch_in_flight_survives_kill_9_of_the_delivery_process(self):
        made = self.create()
        self.receiver.script(self.path, ["hold"])
        self.receiver.released.clear()
        self.sync([{"display_name": f"f{i}", "external_id": f"f{i}"} for i in range(5)])
        self.assertTrue(self.receiver.wait_for(lambda: len(self.receiver.at(self.path)) >= 1, 30))
        # every delivery process (one per shard in the sharded layout), so the one holding
        # this member's batch is among them
        before = delivery_processes()
        self.assertTrue(before)
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        self.receiver.release()
        self.assertTrue(wait_until(lambda: len(delivery_processes() - before) == len(before), 5),
                        "the master restarts every delivery process")
        self.assertTrue(self.receiver.wait_for(lambda: len(self.receiver.at(self.path)) >= 2, 30))
        first, again = self.receiver.at(self.path)[:2]
        self.assertEqual(first.raw, again.raw, "the same batch, the same eventIds")
        self.assertEqual(sorted(e["data"]["external_id"] for e in again.events), [f"f{i}" for i in range(5)])
        [batch] = self.attempts(made["id"], n=1)
        self.assertEqual((batch["status"], [a["http_status"] for a in batch["attempts"]]), ("delivered", [200]))

    def test_internal_addresses_are_refused_at_delivery_and_recorded(self):
        """The address is judged where the connection is made: private, link-local (cloud
        metadata), the unspecified address (which reaches this host), mapped and NAT64 forms
        of them. Nothing reaches the receiver listening on this host."""
        targets = ["https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/",
                   f"https://0.0.0.0:{self.receiver.port}{self.path}", "https://[::ffff:169.254.169.254]/",
                   "https://[64:ff9b::a00:1]/", "https://[fd00:ec2::254]/", "https://[fe80::1]/",
                   "https://192.168.1.1/", "https://100.100.100.200/"]
        made = [self.create(url=u) for u in targets]
        self.sync([{"display_name": "Bait"}])
        for w, url in zip(made, targets):
            [batch] = self.attempts(w["id"], n=1)
            first = batch["attempts"][0]
            self.assertIsNone(first["http_status"], url)
            self.assertRegex(first["error"], r"^refused to connect to \S+: ", url)
            self.assertEqual(batch["status"], "pending")
        self.assertEqual(self.receiver.at(self.path), [])

    def test_redirects_are_not_followed_and_big_answers_not_read_whole(self):
        made = self.create()
        self.receiver.script(self.path, ["redirect", "big"])
        self.sync([{"display_name": "Moved"}])
        [batch] = self.attempts(made["id"], n=2)
        self.assertEqual([a["http_status"] for a in batch["attempts"]], [302, 200])
        self.assertEqual(batch["status"], "delivered")
        self.assertEqual(self.receiver.at("/elsewhere"), [])

    def test_the_webhook_is_disabled_after_the_retry_period_and_says_why(self):
        """The period (24 h) is counted from a batch's first attempt: the test moves that
        back in time rather than wait."""
        made = self.create()
        self.receiver.script(self.path, [503] * 100)
        self.sync([{"display_name": "Doomed"}])
        self.attempts(made["id"], n=1)
        sql("UPDATE privacybee.webhook_batches SET first_attempt_at = first_attempt_at - interval '25 hours', "
            "next_attempt_at = now() WHERE webhook_id = %s", made["id"])
        self.assertTrue(wait_until(lambda: not sql1("SELECT enabled FROM privacybee.webhooks WHERE id = %s",
                                                     made["id"]), 30))
        got = self.req("GET", f"/webhooks/{made['id']}", self.token).json
        self.assertFalse(got["enabled"])
        self.assertIsNotNone(got["disabled_at"])
        self.assertIn("the receiver answered 503", got["disabled_reason"])
        self.assertIn("failed for 24 h", got["disabled_reason"])
        [batch] = self.req("GET", f"/webhooks/{made['id']}/batches", self.token).json
        self.assertEqual(batch["status"], "failed")
        # a disabled webhook is told nothing more
        self.sync([{"display_name": "Unheard"}])
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.webhook_events WHERE webhook_id = %s", made["id"]), 0)

    def test_batches_page_newest_first_with_link(self):
        made = self.create()
        for i in range(3):
            self.sync([{"display_name": f"p{i}"}])
            self.delivered(i + 1)
        self.attempts(made["id"], n=3)
        first = self.req("GET", f"/webhooks/{made['id']}/batches?limit=2", self.token)
        self.assertEqual(len(first.json), 2)
        self.assertGreater(first.json[0]["id"], first.json[1]["id"])
        link = first.header("Link")
        self.assertRegex(link, r'^</webhooks/\d+/batches\?before=\d+&limit=2>; rel="next"$')
        rest = self.req("GET", link[1:link.index(">")], self.token)
        self.assertEqual(len(rest.json), 1)
        self.assertIsNone(rest.header("Link"))
        self.assertError(self.req("GET", f"/webhooks/{made['id']}/batches?before=x", self.token), 400, "before")


class TestBurst(WebhookTest):
    def test_10000_events_are_all_delivered_in_order_per_webhook(self):
        """Two webhooks, 10 syncs of 1,000 contacts: each webhook receives all 10,000 events,
        in batches of at most 100, eventIds rising, each batch after the one before."""
        paths = [self.path + "/1", self.path + "/2"]
        for p in paths:
            self.create(path=p)
        for s in range(10):
            self.sync([{"display_name": f"b{s}-{i}", "external_id": f"b{s}-{i}"} for i in range(1000)])
        for p in paths:
            events = self.delivered(10000, p, seconds=180)
            ids = [e["eventId"] for e in events]
            self.assertEqual(len(set(ids)), 10000)
            self.assertEqual(ids, sorted(ids), "in order")
            self.assertEqual({e["data"]["external_id"] for e in events},
                             {f"b{s}-{i}" for s in range(10) for i in range(1000)})
            batches = self.receiver.at(p)
            self.assertTrue(all(len(d.events) <= 100 for d in batches))
            batch_ids = [d.json["batchId"] for d in batches]
            self.assertEqual(batch_ids, sorted(batch_ids))

