"""Webhooks across a crash of PostgreSQL (SPEC §11; runs after the database restart
suite): kill -9 of the postmaster and every backend during a burst of syncs, then a
restart. Every change that was acknowledged had its event committed with it, and the
delivery process, reconnecting by itself, delivers every one of them."""
import threading
import time

from harness import ApiTest, Client, close_connections, crash_postgres, member, sql, start_postgres, unique
from webhook_receiver import Receiver


class TestWebhooksSurvivePostgresCrash(ApiTest):
    def test_every_acknowledged_change_is_announced_after_kill_9_of_postgres(self):
        receiver = Receiver()
        uid, token = member("Crash", "Hook")
        try:
            path = "/" + unique("crash")
            r = self.req("POST", "/webhooks", token,
                         body={"url": receiver.url(path), "trigger_ids": ["contact.created"]})
            self.assertStatus(r, 201)
            run = unique("c")
            acknowledged, attempted = set(), set()
            stop = threading.Event()

            def writer(t):
                client = Client()
                k = 0
                while not stop.is_set():
                    batch = f"{run}-{t}-{k}"
                    attempted.add(batch)
                    try:
                        r = client.request("POST", "/contacts/sync", token, body=[
                            {"external_id": f"{batch}-{i}", "display_name": f"c{i}"} for i in range(20)])
                        if r.status == 200 and len(r.json) == 20:
                            acknowledged.add(batch)
                    except Exception:
                        client = Client()
                    k += 1

            threads = [threading.Thread(target=writer, args=(t,), daemon=True) for t in range(4)]
            for t in threads:
                t.start()
            try:
                deadline = time.monotonic() + 30
                while len(acknowledged) < 5 and time.monotonic() < deadline:
                    time.sleep(0.05)
                close_connections()
                crash_postgres()
                start_postgres()
                deadline = time.monotonic() + 30
                after = len(acknowledged)
                while len(acknowledged) < after + 5 and time.monotonic() < deadline:
                    time.sleep(0.05)
            finally:
                stop.set()
                for t in threads:
                    t.join(30)
            self.assertGreater(len(acknowledged), 5)
            expected = {f"{b}-{i}" for b in acknowledged for i in range(20)}

            def all_announced():
                got = {e["data"]["external_id"] for e in receiver.events(path)}
                return expected <= got
            self.assertTrue(receiver.wait_for(all_announced, 120),
                            f"{len(expected - {e['data']['external_id'] for e in receiver.events(path)})} "
                            f"acknowledged contacts never announced")
            events = receiver.events(path)
            # every event delivered belongs to a change that committed; repeats keep their eventId
            present = {x for (x,) in sql("SELECT external_id FROM privacybee.contacts WHERE user_id = %s", uid)}
            self.assertLessEqual({e["data"]["external_id"] for e in events}, present)
            by_id = {}
            for e in events:
                self.assertEqual(by_id.setdefault(e["eventId"], e), e, "a repeat is the same event")
            print(f"\n  kill -9 of PostgreSQL during syncs: {len(attempted)} sent, {len(acknowledged)} "
                  f"acknowledged; {len(by_id)} events delivered ({len(events) - len(by_id)} repeats)")
        finally:
            sql("SELECT privacybee.webhook_delete(user_id, id) FROM privacybee.webhooks WHERE user_id = %s", uid)
            receiver.close()
