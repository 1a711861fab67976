"""The database going away: 503 while it is down, recovery by itself after (runs last)."""
import os
import subprocess
import time

from harness import ApiTest, db, member

PGDATA = os.path.join(os.environ["PGHOST"], "data")


def pg_ctl(*args):
    cmd = ["pg_ctl", "-D", PGDATA, "-w", *args]
    if os.getuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    bindir = subprocess.check_output([os.environ.get("PG_CONFIG", "pg_config"), "--bindir"], text=True).strip()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PATH": bindir + ":" + os.environ["PATH"]})


class TestDatabaseRestart(ApiTest):
    def test_503_while_down_then_recovers(self):
        _, token = member()
        self.assertStatus(self.req("GET", "/contacts", token), 200)
        db().close()
        pg_ctl("-m", "fast", "stop")
        try:
            for _ in range(5):
                r = self.req("GET", "/contacts", token)
                self.assertError(r, 503)
                self.assertEqual(r.header("Retry-After"), "1")
            # routing still answers without the database
            self.assertError(self.req("PUT", "/contacts", token), 405)
        finally:
            pg_ctl("-l", os.path.join(os.environ["PGHOST"], "..", "log", "postgres.log"), "start")
        deadline = time.time() + 10
        while True:
            r = self.req("GET", "/contacts", token)
            if r.status == 200 or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertStatus(r, 200)
        # every worker thread reconnects: none of many requests fails
        for _ in range(50):
            self.assertStatus(self.req("GET", "/contacts", token), 200)


def kill_9_postgres():
    """SIGKILL the postmaster and every backend: a crash, recovered from on restart."""
    with open(os.path.join(PGDATA, "postmaster.pid")) as f:
        postmaster = int(f.readline())
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True,
                              text=True).stdout.split()
    pids = [postmaster] + [int(c) for c in children]
    for pid in pids:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    # the new postmaster refuses to start while the old PID still exists (until reaped)
    deadline = time.time() + 10
    while time.time() < deadline and any(os.path.exists(f"/proc/{p}") for p in pids):
        time.sleep(0.05)


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
            kill_9_postgres()
            pg_ctl("-l", os.path.join(os.environ["PGHOST"], "..", "log", "postgres.log"), "start")
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        db().close()
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
