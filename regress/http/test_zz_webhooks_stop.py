"""The webhook delivery process stops when told (SIGTERM) or when its master dies, promptly,
whatever it is blocked in: a post a receiver never answers, a reconnect loop against a
database that is down, a connection attempt to a database that accepts but never answers.
A post cut short so is not recorded, and the batch is delivered again (at least once).
Runs after the database restart suites: it stops and starts PostgreSQL."""
import os
import signal
import subprocess
import time

import test_webhooks as webhooks
import test_zy_supervisor as supervisor
from harness import PGDATA, close_connections, pg_ctl, process_state, sql1, start_postgres
from test_webhooks import delivery_processes

# The bound on exiting. A post's own limit is 10 s, the receiver's "hold" 30 s: exiting
# within this bound means the process did not wait for either. libcurl calls its progress
# callback at least once a second; the rest is scheduling on a loaded machine.
STOP_BOUND_S = 5


def gone_within(pid, seconds):
    """True when pid is gone (or a zombie: exited, not yet reaped) within seconds."""
    deadline = time.monotonic() + seconds
    while process_state(pid) not in (None, "Z"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def pending_connections(socket_path):
    """Connections queued on a unix socket that nothing accepts (ss: Recv-Q of a listener)."""
    out = subprocess.run(["ss", "-xlnH"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if socket_path in fields:
            return int(fields[2])
    return 0


class TestDeliveryProcessStops(webhooks.WebhookTest):
    def sigterm_delivery(self):
        """SIGTERM to the delivery processes (one, or one per shard: the one blocked is among
        them): each exits within STOP_BOUND_S. Returns their pids and the time taken."""
        pids = delivery_processes()
        self.assertTrue(pids)
        started = time.monotonic()
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        for pid in pids:
            self.assertTrue(gone_within(pid, STOP_BOUND_S),
                            f"the delivery process {pid} still runs {STOP_BOUND_S} s after SIGTERM")
        return pids, time.monotonic() - started

    def restarted(self, before):
        """The master started a new delivery process for each that ended."""
        return webhooks.wait_until(lambda: len(delivery_processes() - before) == len(before), 5)

    def test_sigterm_cuts_a_post_the_receiver_never_answers_and_the_batch_is_delivered_again(self):
        made = self.create()
        self.receiver.released.clear()
        self.receiver.script(self.path, ["hold"])
        try:
            self.sync([{"display_name": f"s{i}", "external_id": f"s{i}"} for i in range(3)])
            self.assertTrue(self.receiver.wait_for(lambda: len(self.receiver.at(self.path)) >= 1, 30))
            before, took = self.sigterm_delivery()
            print(f"\n  delivery process exited {took:.2f} s after SIGTERM during a post")
            self.assertTrue(self.restarted(before), "the master restarts the delivery process")
            # the post cut short was not recorded; the next process delivers the same batch
            self.assertTrue(self.receiver.wait_for(lambda: len(self.receiver.at(self.path)) >= 2, 30))
            first, again = self.receiver.at(self.path)[:2]
            self.assertEqual(first.raw, again.raw, "the same batch, the same eventIds")
            [batch] = self.attempts(made["id"], n=1)
            self.assertEqual((batch["status"], [a["http_status"] for a in batch["attempts"]]),
                             ("delivered", [200]))
        finally:
            self.receiver.release()

    def test_sigterm_while_the_database_is_down(self):
        close_connections()
        pg_ctl("-m", "fast", "stop")
        try:
            # its connections are gone: it is in its reconnect loop
            before, took = self.sigterm_delivery()
            print(f"\n  delivery process exited {took:.2f} s after SIGTERM, database down")
            self.assertTrue(self.restarted(before))
        finally:
            start_postgres()
        self.sync_is_delivered()

    def test_sigterm_while_connecting_to_a_database_that_never_answers(self):
        """The postmaster stopped (SIGSTOP): a connection attempt is queued on its socket
        and never answered — what a postmaster that hangs, or one killed while a child
        still holds its socket, looks like to a client."""
        with open(os.path.join(PGDATA, "postmaster.pid")) as f:
            postmaster = int(f.readline())
        socket_path = os.path.join(os.environ["PGHOST"], ".s.PGSQL." + os.environ.get("PGPORT", "5432"))
        delivery_backends = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'privacybee-delivery'"
        self.assertTrue(webhooks.wait_until(lambda: sql1(delivery_backends) > 0, 10))
        os.kill(postmaster, signal.SIGSTOP)
        try:
            # its backends end: every thread of the delivery process reconnects, and waits
            sql1("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                 "WHERE application_name = 'privacybee-delivery'")
            self.assertTrue(webhooks.wait_until(lambda: pending_connections(socket_path) > 0, 10),
                            "the delivery process tries to connect")
            before, took = self.sigterm_delivery()
            print(f"\n  delivery process exited {took:.2f} s after SIGTERM, blocked connecting")
        finally:
            os.kill(postmaster, signal.SIGCONT)
        self.assertTrue(self.restarted(before))
        self.sync_is_delivered()

    def sync_is_delivered(self):
        self.create()
        self.sync([{"display_name": "after", "external_id": "after"}])
        self.assertEqual([e["data"]["external_id"] for e in self.delivered(1, seconds=60)], ["after"])

    def test_kill_9_of_the_master_ends_the_delivery_process_blocked_in_a_post(self):
        self.create()
        self.receiver.released.clear()
        self.receiver.script(self.path, ["hold"])
        try:
            self.sync([{"display_name": "m", "external_id": "m"}])
            self.assertTrue(self.receiver.wait_for(lambda: len(self.receiver.at(self.path)) >= 1, 30))
            pids, master = delivery_processes(), supervisor.master()
            self.assertTrue(pids)
            os.kill(master, signal.SIGKILL)
            for pid in pids:
                self.assertTrue(gone_within(pid, STOP_BOUND_S),
                                f"the delivery process {pid} outlived its master by {STOP_BOUND_S} s")
        finally:
            self.receiver.release()
            # stack.sh takes a master not yet reaped (by init, in its own time) for a live one
            self.assertTrue(webhooks.wait_until(lambda: process_state(master) is None, 60))
            supervisor.TestSupervisor.restart_like_systemd(self)
        self.assertTrue(webhooks.wait_until(lambda: len(delivery_processes()) == len(pids), 5))
