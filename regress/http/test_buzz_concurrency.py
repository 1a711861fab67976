"""Concurrency: first heartbeats racing for the Buzz number pool, the same message_id
posted at once, and a member's requests that move trust sent at once (the race of
issue 10: a contact added while its owner is untrusted)."""
import threading
import urllib.parse
import uuid

from harness import (ApiTest, Client, api, buzz_number_for, fresh_phone, give_buzz_number, member, member_connect, member_sql,
                     service_token, sql, sql1)

N = 12


def at_once(fn, args):
    """Run fn(*a) for every a in args in its own thread, released together."""
    barrier = threading.Barrier(len(args))
    results = [None] * len(args)

    def run(i, a):
        barrier.wait()
        results[i] = fn(*a)

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def heartbeat(token):
    return Client().request("GET", "/apps/buzz/heartbeat", token)


class TestBuzzConcurrency(ApiTest):
    def fresh_pool(self, uids):
        """Exactly one free number in the pool for each of uids (the test database is
        throwaway), of that member's shard's part in the sharded layout (a shard hands out
        only its part: docs/sharding.md), so each shard has as many as those members."""
        sql("DELETE FROM privacybee.buzz_numbers WHERE user_id IS NULL")
        sql("SELECT privacybee.add_buzz_numbers(%s)", [buzz_number_for(uid) for uid in uids])

    def test_n_members_get_n_distinct_numbers(self):
        members = [member() for _ in range(N)]
        self.fresh_pool([uid for uid, _ in members])
        tokens = [token for _, token in members]
        results = at_once(heartbeat, [(t,) for t in tokens])
        numbers = [r.json["buzz_number"] for r in results]
        self.assertTrue(all(r.status == 200 for r in results), results)
        self.assertEqual(len(set(numbers)), N)
        self.assertNotIn(None, numbers)

    def test_one_more_member_than_numbers_gets_null(self):
        # numbers for the first N: the last member's shard has one number too few
        members = [member() for _ in range(N + 1)]
        self.fresh_pool([uid for uid, _ in members[:N]])
        tokens = [token for _, token in members]
        results = at_once(heartbeat, [(t,) for t in tokens])
        numbers = [r.json["buzz_number"] for r in results]
        self.assertEqual(numbers.count(None), 1)
        self.assertEqual(len(set(n for n in numbers if n)), N)

    def test_one_member_racing_with_itself_gets_one_number(self):
        uid, token = member()
        self.fresh_pool([uid] * 4)
        results = at_once(heartbeat, [(token,)] * 4)
        self.assertEqual(len({r.json["buzz_number"] for r in results}), 1)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.buzz_numbers WHERE user_id = %s", uid), 1)

    def test_same_message_id_at_once_is_one_activity(self):
        uid, token = member()
        other, _ = member()
        mid = str(uuid.uuid4())
        body = {"type": "chat_message", "sendable_type": "person", "sendable_id": uid,
                "receivable_type": "person", "receivable_id": other, "message": "x",
                "message_id": mid}
        results = at_once(lambda: Client().request("POST", "/apps/buzz/activity", token, body=body),
                          [()] * 8)
        self.assertTrue(all(r.status == 200 for r in results), results)
        self.assertEqual(len({r.json["data"]["id"] for r in results}), 1)
        # one on each party's shard (the same database when not sharded: the one row)
        for party in (uid, other):
            self.assertEqual(member_sql(party, "SELECT count(*) FROM privacybee.activities WHERE message_id = %s",
                                        mid)[0][0], 1)


class TestTrustChangesAtOnce(ApiTest):
    """SPEC §5: explicit untrust wins also when it and a change that would trust commit at
    the same moment. Two requests of one member, released together, 20 times each way;
    every lookup must then equal the live answer. (Before the changes were serialised,
    22 of 40 such tries let the untrusted caller ring.) test_trust_property.py makes
    every pair of such changes overlap for certain; this is the same through HTTP."""

    def check(self, receiver, buzz, caller):
        q = urllib.parse.urlencode({"number_code": "1", "number": buzz[2:],
                                    "inbound_code": "1", "inbound": caller[2:]})
        r = Client().request("GET", f"/apps/buzz/trust-lookup?{q}", self.service)
        return r.json["trusted"], sql1("SELECT privacybee.trust_eval(%s, %s)", receiver, caller)

    def race(self, setup, first, second):
        self.service = service_token()
        wrong = []
        for attempt in range(20):
            receiver, token = member("R", "Race", fresh_phone())
            buzz = give_buzz_number(receiver)
            phone = fresh_phone()
            owner, _ = member("P", "Race", phone)
            state = setup(token, owner, phone)
            results = at_once(lambda f: f(token, owner, phone, state), [(first,), (second,)])
            self.assertTrue(all(r.status in (200, 201) for r in results), results)
            lookup, live = self.check(receiver, buzz, phone)
            if lookup != live:
                wrong.append((attempt, lookup, live))
        self.assertEqual(wrong, [])
        self.assertEqual(sql("SELECT * FROM privacybee.trust_verify()"), [])

    def test_contact_added_while_its_owner_is_untrusted(self):
        self.race(lambda token, owner, phone: None,
                  lambda token, owner, phone, _: Client().request(
                      "POST", "/contacts/sync", token, body=[{"display_name": "P", "phone": [phone]}]),
                  lambda token, owner, phone, _: Client().request(
                      "POST", f"/contacts/trust/{owner}", token, body={"trusted": 0}))

    def test_contact_deleted_while_its_owner_is_trusted(self):
        def setup(token, owner, phone):
            return Client().request("POST", "/contacts/sync", token,
                                    body=[{"display_name": "P", "phone": [phone]}]).json[0]["id"]
        self.race(setup,
                  lambda token, owner, phone, contact: Client().request(
                      "DELETE", f"/contacts/{contact}", token),
                  lambda token, owner, phone, _: Client().request(
                      "POST", f"/contacts/trust/{owner}", token, body={"trusted": 1}))

    def test_lookups_never_wait_for_a_change_in_flight(self):
        """trust-lookup reads trusted_numbers only: while a member's sync holds their
        lock, lookups for them (trusted, and untrusted ones that write the blocked log)
        are answered at once, with the committed decision."""
        self.service = service_token()
        receiver, token = member("R", "Busy", fresh_phone())
        buzz = give_buzz_number(receiver)
        friend, newcomer = fresh_phone(), fresh_phone()
        Client().request("POST", "/contacts/sync", token, body=[{"display_name": "F", "phone": [friend]}])
        conn = member_connect(receiver)   # where the member's lock is (their shard)
        try:
            with conn.cursor() as cur:   # a sync in flight: the member is locked until it commits
                api(cur, "api_contacts_sync", token, body=[{"display_name": "N", "phone": [newcomer]}])
                self.assertEqual(self.check(receiver, buzz, friend)[0], True)
                self.assertEqual(self.check(receiver, buzz, newcomer)[0], False)
            conn.commit()
        finally:
            conn.close()
        self.assertEqual(self.check(receiver, buzz, newcomer), (True, True))
