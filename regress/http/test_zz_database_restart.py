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
    bindir = subprocess.check_output(["pg_config", "--bindir"], text=True).strip()
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
