"""privacybee-fcgi's supervisor: a worker that dies (a crafted FastCGI record aborts
Debian's libfcgi 2.4.2; kill -9) is restarted at once and the service keeps answering;
SIGTERM lets in-flight requests finish; kill -9 of the master ends its workers (after
their in-flight requests), nginx answers 502 at once, and starting it again, as systemd's
Restart=always does, brings the service back. Runs before the database restart suite."""
import contextlib
import os
import signal
import socket
import struct
import subprocess
import threading
import time

import psycopg2

from harness import SHARDS, ApiTest, Client, member, process_state, service_token

STACK = os.path.dirname(os.environ["PGHOST"])
UNIT = os.path.join(os.path.dirname(__file__), "..", "..", "fcgi", "systemd", "privacybee-fcgi.service.in")
SOCKET = os.path.join(STACK, "fcgi", "fcgi.sock")
MASTER_PID = os.path.join(STACK, "fcgi", "master.pid")


def master():
    with open(MASTER_PID) as f:
        return int(f.read().split()[0])


def current_master():
    """The pid in the pid file; None while there is none (a master ended, or is starting)."""
    try:
        return master()
    except (OSError, ValueError, IndexError):
        return None


def workers():
    """The master's worker processes (not its webhook delivery process, pb-delivery)."""
    out = subprocess.run(["pgrep", "-P", str(master())], capture_output=True, text=True)
    return sorted(int(p) for p in out.stdout.split() if comm(p) not in ("pb-delivery", None))


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def table_databases():
    """The databases that hold the tables: PGDATABASE, or with SHARDS its shards."""
    name = os.environ.get("PGDATABASE", "privacybee")
    return [f"{name}_shard_{k}" for k in range(SHARDS)] if SHARDS else [name]


def waits_for_contacts(conn):
    """Whether a statement waits for a lock on contacts held by conn's transaction."""
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_catalog.pg_locks"
                    " WHERE relation = 'privacybee.contacts'::pg_catalog.regclass AND NOT granted"
                    " AND database = (SELECT oid FROM pg_catalog.pg_database"
                    " WHERE datname = pg_catalog.current_database())")
        return cur.fetchone()[0] > 0


def record(kind, content, request_id=1):
    return struct.pack(">BBHHBx", 1, kind, request_id, len(content), 0) + content


def crafted_params(lengths):
    """A FastCGI request whose PARAMS record declares the given name/value lengths."""
    begin = record(1, struct.pack(">HB5x", 1, 0))           # BEGIN_REQUEST, responder
    pairs = b"".join(struct.pack(">I", n | 0x80000000) for n in lengths)
    return begin + record(4, pairs + b"x" * 16)


def send_raw(data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(SOCKET)
    try:
        s.sendall(data)
        try:
            s.recv(1024)
        except (socket.timeout, ConnectionError):
            pass
    finally:
        s.close()


def wait_for(predicate, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


class TestSupervisor(ApiTest):
    def setUp(self):
        super().setUp()
        _, self.token = member()
        self.assertStatus(self.req("GET", "/contacts", self.token), 200)

    def assert_service_answers(self, n=20):
        for _ in range(n):
            self.assertStatus(Client().request("GET", "/contacts", self.token), 200)

    def assert_replaced_within_a_second(self, before):
        count = len(before)
        self.assertTrue(wait_for(lambda: len(workers()) == count and workers() != before, 1.0),
                        f"workers {before} -> {workers()}")

    def test_crafted_record_of_length_0x7fffffff(self):
        # Debian's patched libfcgi (2.4.2-2+deb12u1) refuses this length without dying;
        # either way no worker may stay missing and the service must answer
        before = workers()
        send_raw(crafted_params([0x7FFFFFFF, 0]))
        time.sleep(0.2)
        self.assertTrue(wait_for(lambda: len(workers()) == len(before), 1.0))
        self.assert_service_answers()

    def test_crafted_record_of_two_lengths_0x40000000(self):
        before = workers()
        send_raw(crafted_params([0x40000000, 0x40000000]))
        self.assert_replaced_within_a_second(before)
        self.assert_service_answers()

    def test_killed_worker_is_restarted_and_requests_go_on(self):
        before = workers()
        os.kill(before[0], signal.SIGKILL)
        self.assert_service_answers(5)
        self.assert_replaced_within_a_second(before)
        self.assert_service_answers()

    def test_workers_stopped_during_signed_lookups_leave_no_sanitizer_report(self):
        """A worker exits with request threads still running, some in HMAC (the provider
        signature): OpenSSL must not be torn down under them (signature_init). Each SIGTERM
        here lands while 8 clients send signed lookups; no stopped worker may write an
        ASan/LSan report (before the fix, about one SIGTERM in ten did: a 904-byte ERR_STATE
        leaked, or a use-after-free in libcrypto)."""
        reports = os.path.dirname(dict(o.split("=", 1) for o in os.environ.get(
            "ASAN_OPTIONS", "").split(":") if "=" in o).get("log_path", "/nonexistent/x"))
        token = service_token()
        stop = threading.Event()
        answered = []

        def lookups():
            client = Client()
            while not stop.is_set():
                try:
                    client.request("GET", "/apps/buzz/trust-lookup?number=%2B12125550100"
                                   "&caller_id=%2B12125550101", token)
                    answered.append(1)
                except Exception:
                    client = Client()
        threads = [threading.Thread(target=lookups, daemon=True) for _ in range(8)]
        for t in threads:
            t.start()
        stopped = []
        try:
            for i in range(20):
                seen = len(answered)
                self.assertTrue(wait_for(lambda: len(answered) > seen + 20, 10), "lookups are answered")
                before = workers()
                stopped.append(before[i % len(before)])
                os.kill(stopped[-1], signal.SIGTERM)
                self.assertTrue(wait_for(lambda: not os.path.exists(f"/proc/{stopped[-1]}"), 10),
                                f"worker {stopped[-1]} exits after SIGTERM")
                self.assertTrue(wait_for(lambda: len(workers()) == len(before), 10), "the worker is replaced")
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        left = [f for f in os.listdir(reports) if f.rsplit(".", 1)[-1] in map(str, stopped)] \
            if os.path.isdir(reports) else []
        self.assertEqual(left, [], "sanitizer reports of stopped workers")

    def restart_like_systemd(self):
        """What Restart=always in fcgi/systemd/privacybee-fcgi.service.in does: start it again."""
        with open(UNIT) as f:
            self.assertIn("Restart=always", f.read().split())
        subprocess.run(["bash", "fcgi/stack/stack.sh", "start", STACK, os.environ["PRIVACYBEE_PORT"],
                        "test"], check=True, stdout=subprocess.DEVNULL)
        self.assertTrue(wait_for(lambda: len(workers()) > 0, 5))

    @contextlib.contextmanager
    def sync_held_in_flight(self):
        """A 1,000-contact sync held in flight: a lock on contacts holds it until the block
        ends, and the block starts only once a worker's statement waits for that lock. A
        signal sent after a fixed delay instead could reach the master before any worker
        had accepted the request (a loaded machine): a request still in the listen queue
        is not in flight, it got 502 and the test, failing before its restart, left the
        service down for every later suite. Yields a dict whose "r" is then its answer."""
        _, token = member()
        batch = [{"display_name": f"c{i}", "phone_numbers": [f"212555{i:04d}"]} for i in range(1000)]
        result = {}

        def sync():
            result["r"] = Client().request("POST", "/contacts/sync", token, body=batch)

        locks = [psycopg2.connect(dbname=name) for name in table_databases()]
        t = threading.Thread(target=sync)
        try:
            for conn in locks:
                conn.cursor().execute("LOCK TABLE privacybee.contacts IN SHARE MODE")
            t.start()
            self.assertTrue(wait_for(lambda: any(waits_for_contacts(conn) for conn in locks), 10),
                            "the sync waits for the lock on contacts")
            yield result
        finally:
            for conn in locks:
                conn.close()        # ends the transaction: the sync goes on
            if t.ident is not None:
                t.join(30)

    def signal_master_during_a_sync(self, sig):
        """Send sig to the master while a 1,000-contact sync is handled; that sync's answer."""
        with self.sync_held_in_flight() as result:
            os.kill(master(), sig)
        return result["r"]

    def test_a_master_stopping_late_leaves_its_successors_socket_and_pid_file(self):
        """A master whose workers still drain a request when its successor starts (started
        by systemd, or by stack.sh after its bounded wait) removes, when it ends at last,
        neither the successor's socket nor its pid file: by name, it took both, and the
        service answered 502 with its successor running, unreachable and unknown."""
        old = master()
        with open(os.path.join(STACK, "fcgi", "settings")) as f:
            args = f.read().splitlines()    # the command line stack.sh started it with
        with self.sync_held_in_flight() as result:
            os.kill(old, signal.SIGTERM)
            with open(os.path.join(STACK, "log", "fcgi.log"), "a") as log:
                subprocess.run(["setsid", "-f"] + args, stdin=subprocess.DEVNULL, stdout=log,
                               stderr=log, check=True)
            self.assertTrue(wait_for(lambda: current_master() not in (None, old) and len(workers()) > 0, 10),
                            "the successor runs")
            new = master()
        self.assertStatus(result["r"], 200)
        self.assertTrue(wait_for(lambda: not os.path.exists(f"/proc/{old}"), 10), f"master {old} ends")
        self.assertTrue(os.path.exists(SOCKET), "the successor's socket is left")
        self.assertEqual(current_master(), new, "the successor's pid file is left")
        self.assert_service_answers(5)

    def test_master_killed_with_sigkill(self):
        before = workers()
        r = self.signal_master_during_a_sync(signal.SIGKILL)
        # the request in flight was answered: the workers finish it, then follow their master
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json), 1000)
        self.assertTrue(wait_for(lambda: not any(os.path.exists(f"/proc/{w}") for w in before), 10),
                        f"workers {before} outlived their master")
        # nothing listens: nginx answers 502 at once, with a JSON body, and nothing hangs
        for _ in range(5):
            started = time.time()
            r = Client().request("GET", "/contacts", self.token)
            self.assertLess(time.time() - started, 1.0)
            self.assertError(r, 502)
        self.restart_like_systemd()
        self.assert_service_answers(5)

    def test_start_takes_a_pid_file_naming_no_master_of_this_stack_for_none(self):
        """A pid file outlives a kill -9: its pid is for a while a zombie awaiting its reaper,
        later maybe another process altogether (pid_max can be 32768). stack.sh start must
        start the service over either, not take it for a running master, and leave the
        other process alone."""
        stranger = subprocess.Popen(["sleep", "600"])
        zombie = subprocess.Popen(["true"])     # not waited for until the end: a zombie
        try:
            self.assertTrue(wait_for(lambda: process_state(zombie.pid) == "Z", 10))
            for pid in (zombie.pid, stranger.pid):
                with self.subTest(pid_file_names=process_state(pid)):
                    old = master()
                    os.kill(old, signal.SIGTERM)
                    self.assertTrue(wait_for(lambda: not os.path.exists(f"/proc/{old}"), 10))
                    with open(MASTER_PID, "w") as f:
                        f.write(f"{pid}\n")
                    self.restart_like_systemd()
                    self.assertNotIn(master(), (pid, old))
                    self.assert_service_answers(5)
            self.assertIsNone(stranger.poll(), "the other process is left alone")
        finally:
            stranger.kill()
            stranger.wait()
            zombie.wait()

    def test_sigterm_lets_in_flight_requests_finish(self):
        pid = master()
        r = self.signal_master_during_a_sync(signal.SIGTERM)
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json), 1000)
        self.assertTrue(wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 10))
        # start it again for the suites that follow
        self.restart_like_systemd()
        self.assert_service_answers(5)
