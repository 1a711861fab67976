"""Concurrency: first heartbeats racing for the Buzz number pool, and the same
message_id posted at once."""
import threading
import uuid

from harness import ApiTest, Client, fresh_phone, member, sql, sql1

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
    def fresh_pool(self, n):
        """Exactly n free numbers in the pool (the test database is throwaway)."""
        sql("DELETE FROM privacybee.buzz_numbers WHERE user_id IS NULL")
        sql("SELECT privacybee.add_buzz_numbers(%s)", [fresh_phone() for _ in range(n)])

    def test_n_members_get_n_distinct_numbers(self):
        self.fresh_pool(N)
        tokens = [member()[1] for _ in range(N)]
        results = at_once(heartbeat, [(t,) for t in tokens])
        numbers = [r.json["buzz_number"] for r in results]
        self.assertTrue(all(r.status == 200 for r in results), results)
        self.assertEqual(len(set(numbers)), N)
        self.assertNotIn(None, numbers)

    def test_one_more_member_than_numbers_gets_null(self):
        self.fresh_pool(N)
        tokens = [member()[1] for _ in range(N + 1)]
        results = at_once(heartbeat, [(t,) for t in tokens])
        numbers = [r.json["buzz_number"] for r in results]
        self.assertEqual(numbers.count(None), 1)
        self.assertEqual(len(set(n for n in numbers if n)), N)

    def test_one_member_racing_with_itself_gets_one_number(self):
        self.fresh_pool(4)
        uid, token = member()
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
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.activities WHERE message_id = %s", mid), 1)
