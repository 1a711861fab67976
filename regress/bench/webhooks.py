"""webhooks.py — make bench, the webhook part (SPEC §11, docs/webhooks.md), run by
webhooks.sh against its stack (PGHOST… and the stack's directory in BENCH_STACK):

* throughput: events delivered per second to a local receiver (regress/http/
  webhook_receiver.py, answering 200), for a burst of BENCH_EVENTS contact.created events
  (syncs of 1,000 contacts) to one webhook and spread over 8 webhooks (one per member),
  timed from the first sync's start to the last event's arrival;
* latency: the delay from a change's commit to its event's arrival, p50 and p99, over
  BENCH_CHANGES single-contact syncs at about 20 a second, with the default batch window
  (1 s: a batch waits for what accumulates) and with privacybee.webhooks_batch_window = 0
  (every due event is sent at once).

The commit time is taken when COMMIT returns to this client and the arrival time when the
receiver has read the request, on the same monotonic clock.
"""
import json
import os
import signal
import subprocess
import sys
import time

import psycopg2

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
from webhook_receiver import Receiver  # noqa: E402

EVENTS = int(os.environ.get("BENCH_EVENTS", "20000"))
CHANGES = int(os.environ.get("BENCH_CHANGES", "200"))
STACK = os.environ["BENCH_STACK"]


def connect():
    conn = psycopg2.connect("")
    conn.autocommit = True
    return conn


def one(cur, query, *args):
    cur.execute(query, args)
    return cur.fetchone()[0]


def new_webhook(cur, receiver, path):
    uid = one(cur, "SELECT privacybee.create_member('Bench', 'Hook', NULL)")
    one(cur, "SELECT id FROM privacybee.webhook_create(%s, %s, '{contact.created}')", uid, receiver.url(path))
    return uid


def wait_delivered(receiver, path, n, seconds):
    if not receiver.wait_for(lambda: len({e["eventId"] for e in receiver.events(path)}) >= n, seconds):
        sys.exit(f"webhooks bench: only {len(receiver.events(path))} of {n} events arrived at {path}")


def throughput(cur, receiver, hooks):
    """events/s for EVENTS events spread evenly over `hooks` webhooks."""
    paths = [f"/burst-{hooks}-{i}" for i in range(hooks)]
    uids = [new_webhook(cur, receiver, p) for p in paths]
    per_hook = EVENTS // hooks
    started = time.monotonic()
    for i, uid in enumerate(uids):
        for k in range(0, per_hook, 1000):
            cur.execute("SELECT privacybee.sync_contacts(%s, %s)", (uid, json.dumps(
                [{"display_name": f"b{i}-{k + j}"} for j in range(min(1000, per_hook - k))])))
    loaded = time.monotonic() - started
    for p in paths:
        wait_delivered(receiver, p, per_hook, 600)
    took = max(d.at for p in paths for d in receiver.at(p)) - started
    batches = sum(len(receiver.at(p)) for p in paths)
    return per_hook * hooks / took, loaded, took, batches


def restart_delivery(cur):
    """Kill the delivery process (the master starts another at once) and wait until the new
    one's connections are up, so that it reads the settings as they are now."""
    with open(os.path.join(STACK, "fcgi", "master.pid")) as f:
        master = f.read().split()[0]
    old = None
    for pid in subprocess.run(["pgrep", "-P", master], capture_output=True, text=True).stdout.split():
        with open(f"/proc/{pid}/comm") as f:
            if f.read().strip() == "pb-delivery":
                old = int(pid)
    killed_at = one(cur, "SELECT clock_timestamp()")
    os.kill(old, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while one(cur, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'privacybee-delivery' "
                   "AND backend_start > %s AND state IS NOT NULL", killed_at) < 2:
        if time.monotonic() > deadline:
            sys.exit("webhooks bench: the delivery process did not come back")
        time.sleep(0.05)


def latency(cur, receiver, label):
    """p50 and p99 of commit → arrival, in ms, over CHANGES single-contact syncs."""
    path = f"/latency-{label}"
    uid = new_webhook(cur, receiver, path)
    committed = {}
    pace = 0.05
    next_at = time.monotonic()
    for i in range(CHANGES):
        xid = f"{label}-{i}"
        cur.execute("SELECT privacybee.sync_contacts(%s, %s)", (uid, json.dumps([{"display_name": xid,
                                                                                  "external_id": xid}])))
        committed[xid] = time.monotonic()
        next_at += pace
        time.sleep(max(0.0, next_at - time.monotonic()))
    wait_delivered(receiver, path, CHANGES, 120)
    arrived = {}
    for d in receiver.at(path):
        for e in d.events:
            arrived.setdefault(e["data"]["external_id"], d.at)
    delays = sorted((arrived[x] - committed[x]) * 1000 for x in committed)
    return delays[len(delays) // 2], delays[min(len(delays) - 1, (len(delays) * 99) // 100)]


def main():
    receiver = Receiver()
    conn = connect()
    cur = conn.cursor()
    try:
        rows = []
        for hooks in (1, 8):
            rate, loaded, took, batches = throughput(cur, receiver, hooks)
            rows.append((f"webhook events delivered/s, {EVENTS} events to {hooks} webhook(s)",
                         f"{rate:.0f}", f"{batches} batches; loaded in {loaded:.1f} s, all delivered in {took:.1f} s"))
        p50, p99 = latency(cur, receiver, "window-1s")
        rows.append(("commit → delivery p50 / p99, batch window 1 s (default)", f"{p50:.0f} / {p99:.0f} ms",
                     f"{CHANGES} changes at 20/s"))
        cur.execute("ALTER ROLE privacybee_delivery SET privacybee.webhooks_batch_window = 0")
        restart_delivery(cur)
        p50, p99 = latency(cur, receiver, "window-0")
        rows.append(("commit → delivery p50 / p99, batch window 0", f"{p50:.0f} / {p99:.0f} ms",
                     f"{CHANGES} changes at 20/s"))
        cur.execute("ALTER ROLE privacybee_delivery RESET privacybee.webhooks_batch_window")
        width = max(len(r[0]) for r in rows)
        for name, value, note in rows:
            print(f"{name:<{width}}  {value:>14}  {note}")
    finally:
        receiver.close()
        conn.close()


if __name__ == "__main__":
    main()
