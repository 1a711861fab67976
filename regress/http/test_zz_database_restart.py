"""The database going away: 503 while it is down, recovery by itself after (runs last);
a connection's backend ending while calls are queued on it (pipelined, db.c)."""
import collections
import concurrent.futures
import os
import threading
import time

from harness import (SHARDS, ApiTest, Client, close_connections, crash_postgres, member, member_connect,
                     pg_ctl, sql, sql1, start_postgres)

class TestDatabaseRestart(ApiTest):
    def test_503_while_down_then_recovers(self):
        _, token = member()
        self.assertStatus(self.req("GET", "/contacts", token), 200)
        close_connections()
        pg_ctl("-m", "fast", "stop")
        try:
            for _ in range(5):
                r = self.req("GET", "/contacts", token)
                self.assertError(r, 503)
                self.assertEqual(r.header("Retry-After"), "1")
            # routing still answers without the database
            self.assertError(self.req("PUT", "/contacts", token), 405)
        finally:
            start_postgres()
        deadline = time.time() + 60
        while True:
            r = self.req("GET", "/contacts", token)
            if r.status == 200 or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertStatus(r, 200)
        # every worker's connections reconnect: none of many requests fails
        for _ in range(50):
            self.assertStatus(self.req("GET", "/contacts", token), 200)


# privacybee-fcgi's database connections: each worker's few, shared by its threads
CONNECTIONS = int(os.environ.get("FCGI_WORKERS", "2")) * int(os.environ.get("FCGI_CONNECTIONS", "2"))
THREADS = int(os.environ.get("FCGI_WORKERS", "2")) * int(os.environ.get("FCGI_THREADS", "16"))
# nginx's wait for privacybee-fcgi's answer, in seconds ("10s")
READ_TIMEOUT = int(os.environ.get("FCGI_READ_TIMEOUT", "60s").rstrip("s"))


def fcgi_connections():
    return sql1("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'privacybee-fcgi'")


def burst(token, n):
    """n requests at once, each on its own connection: their statuses, counted."""
    def one(_):
        return Client().request("GET", "/contacts/requests", token).status
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return collections.Counter(pool.map(one, range(n)))


class TestPostmasterKilled(ApiTest):
    def test_no_503_after_postmaster_sigkill_and_restart_on_any_connection(self):
        """Every connection's backend died with a FATAL while idle; after the restart,
        every connection must have found that out before anything is sent on it (or
        retry the calls that could not start) and every request answers 200."""
        _, token = member()
        rounds = 0
        while fcgi_connections() < CONNECTIONS and rounds < 100:
            self.assertEqual(set(burst(token, 2 * THREADS)), {200})
            rounds += 1
        self.assertEqual(fcgi_connections(), CONNECTIONS, "every connection is open")
        close_connections()
        crash_postgres(backends=False)
        start_postgres()
        statuses = collections.Counter()
        rounds = 0
        while rounds == 0 or (fcgi_connections() < CONNECTIONS and rounds < 100):
            statuses += burst(token, 2 * THREADS)
            rounds += 1
        print(f"\n  after SIGKILL of the postmaster and a restart: {dict(statuses)} "
              f"in {rounds} bursts of {2 * THREADS}; {fcgi_connections()} fresh connections")
        self.assertEqual(fcgi_connections(), CONNECTIONS, "every connection has reconnected")
        self.assertEqual(dict(statuses), {200: sum(statuses.values())})


def fcgi_backends(waiting_on_lock=False):
    """privacybee-fcgi's backends (those waiting on a lock). In the sharded layout they
    are the proxy's, and one whose call waits for a lock on a shard waits in PL/Proxy
    (busy, no wait event of its own): every call here needs the lock, so a busy one waits."""
    waiting = "wait_event_type = 'Lock'" if not SHARDS else "state = 'active'"
    return [r[0] for r in sql("SELECT pid FROM pg_stat_activity WHERE application_name = "
                              f"'privacybee-fcgi' AND (NOT %s OR {waiting})", waiting_on_lock)]


class TestBackendTerminated(ApiTest):
    def test_calls_queued_on_a_terminated_backend_are_retried_and_none_runs_twice(self):
        """Calls wait on the connections, several queued on each (a transaction holds a
        lock every call needs); one connection's backend is terminated (a FATAL, as at a
        restart or pg_terminate_backend). The calls queued behind the one it interrupted
        never ran, so they are sent again on a fresh connection, and the calls on the other
        connections are not touched. The interrupted call: on one database the FATAL rolled
        it back, so it is sent again too and every request answers 200; through the proxy
        (SHARDS) it may still run on the shard, where it waits for the lock in a
        transaction of the shard's own (fcgi/db.c), so it is answered 503 and never sent
        again. Either way no call runs twice (a sync item without external_id: a repeated
        call would create a second contact), and each call answered 200 ran once."""
        uid, token = member()
        self.assertEqual(set(burst(token, 2 * THREADS)), {200})     # connections open
        n = THREADS
        statuses = {}
        counted = threading.Lock()

        def one(i):
            r = Client().request("POST", "/contacts/sync", token, body=[{"display_name": f"queued {i}"}])
            with counted:
                statuses[i] = r.status

        locker = member_connect(uid)   # the lock where the calls need it: the member's shard
        clients = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        try:
            with locker.cursor() as cur:
                cur.execute("LOCK TABLE privacybee.tokens IN ACCESS EXCLUSIVE MODE")
                for t in clients:
                    t.start()
                # the calls spread over the connections as the front-end chooses, maybe
                # not over all of them: wait for all, but no longer than half of nginx's
                # read timeout (run-tests.sh: FCGI_READ_TIMEOUT), which the queued calls
                # must still beat; two connections are enough for what is tested
                deadline = time.time() + READ_TIMEOUT / 2
                while len(fcgi_backends(waiting_on_lock=True)) < CONNECTIONS and time.time() < deadline:
                    time.sleep(0.02)
                waiting = fcgi_backends(waiting_on_lock=True)
                self.assertGreaterEqual(len(waiting), 2, "calls wait on two connections or more")
                # with a timeout, pg_terminate_backend returns once the backend has exited
                cur.execute("SELECT pg_terminate_backend(%s, 60000)", (waiting[0],))
                self.assertTrue(cur.fetchone()[0], "the backend exited within 60 s")
                self.assertNotIn(waiting[0], fcgi_backends())
            locker.commit()
        finally:
            locker.close()
            for t in clients:
                t.join(30)
        counts = collections.Counter(statuses.values())
        print(f"\n  {n} calls queued on {len(waiting)} connections, one backend terminated: "
              f"{dict(counts)}")
        self.assertEqual(dict(counts), {200: n} if not SHARDS else {200: n - 1, 503: 1})
        ran = collections.Counter(name for (name,) in sql(
            "SELECT display_name FROM privacybee.contacts WHERE user_id = %s "
            "AND display_name LIKE 'queued %%'", uid))
        self.assertLessEqual(max(ran.values()), 1, "no call ran twice")
        self.assertEqual({i for i, status in statuses.items() if status == 200},
                         {i for i in range(n) if ran[f"queued {i}"] == 1} - {
                             i for i, status in statuses.items() if status == 503},
                         "every call answered 200 ran once")


class TestCrashDuringSyncs(ApiTest):
    def test_acknowledged_syncs_survive_kill_9_and_none_is_partial(self):
        import threading
        from harness import Client, sql, unique
        uid, token = member()
        run = unique("crash")
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
                        {"external_id": f"{batch}-{i}", "display_name": f"c{i}"} for i in range(50)])
                    if r.status == 200 and len(r.json) == 50:
                        acknowledged.add(batch)
                except Exception:
                    client = Client()
                k += 1

        threads = [threading.Thread(target=writer, args=(t,), daemon=True) for t in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(1.0)
            crash_postgres()
            start_postgres()
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        close_connections()
        present = dict(sql("SELECT substring(external_id from '^(.*)-[0-9]+$') AS batch, count(*) "
                           "FROM privacybee.contacts WHERE user_id = %s GROUP BY 1", uid))
        print(f"\n  kill -9 during syncs: {len(attempted)} sent, {len(acknowledged)} acknowledged, "
              f"{len(present)} present after recovery, each with all 50 contacts")
        self.assertGreater(len(acknowledged), 0)
        self.assertTrue(all(present.get(b) == 50 for b in acknowledged),
                        [b for b in acknowledged if present.get(b) != 50])
        self.assertTrue(all(n == 50 for n in present.values()), present)
        self.assertLessEqual(set(present), attempted)
        # and the service answers again
        self.assertStatus(self.req("GET", "/contacts?per_page=1", token), 200)
