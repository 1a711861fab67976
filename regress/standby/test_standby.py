"""test_standby.py — privacybee-fcgi with a hot standby (--dsn-read, docs/sharding.md):
the routes the registry says are read-only are answered by the standby, writes and
trust-lookup by the primary, and a member's read right after their own write sees it.

Run by run.sh against a STANDBY=1 stack: PGHOST is the primary, PRIVACYBEE_STANDBY_HOST the
standby's socket directory. To tell which server answered, the standby's replay is paused
and a row written on the primary directly (as the superuser, whose commits do not wait for
the standby): a read answered by the standby cannot see it, one answered by the primary does."""
import base64
import contextlib
import os
import sys
import unittest

import psycopg2

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import harness  # noqa: E402
from harness import sql1  # noqa: E402


def on_standby(query, *args):
    conn = psycopg2.connect(host=os.environ["PRIVACYBEE_STANDBY_HOST"])
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


@contextlib.contextmanager
def replay_paused():
    """The standby stops applying WAL until the block ends (it keeps receiving it)."""
    on_standby("SELECT pg_catalog.pg_wal_replay_pause()")
    try:
        yield
    finally:
        on_standby("SELECT pg_catalog.pg_wal_replay_resume()")


def on_primary_alone(query, *args):
    """query on the primary, committed without waiting for the standby (synchronous_commit
    local): the one write the standby may not have applied."""
    conn = psycopg2.connect("")
    try:
        with conn.cursor() as cur:
            cur.execute("SET synchronous_commit = local")
            cur.execute(query, args)
            rows = cur.fetchall() if cur.description else None
        conn.commit()
        return rows
    finally:
        conn.close()


class TestHotStandby(harness.ApiTest):

    @classmethod
    def setUpClass(cls):
        # the suite's own setup (members, tokens) is applied on the standby before it
        # returns, as the API role's writes are: so a paused standby has all of it
        harness.sql("SET synchronous_commit = remote_apply")

    def test_it_is_a_standby(self):
        self.assertEqual(on_standby("SELECT pg_catalog.pg_is_in_recovery()"), [(True,)])
        self.assertEqual(sql1("SELECT count(*) FROM pg_catalog.pg_stat_replication "
                              "WHERE application_name = 'privacybee_standby' AND sync_state = 'sync'"), 1)
        # what read-your-writes rests on: the API role's commits wait for the standby to apply
        self.assertIn("synchronous_commit=remote_apply",
                      sql1("SELECT rolconfig FROM pg_catalog.pg_roles WHERE rolname = 'privacybee_api'"))

    def test_a_read_right_after_a_write_sees_it(self):
        uid, token = harness.member()
        r = self.req("POST", "/contacts/sync", token, [{"display_name": "v0"}])
        self.assertStatus(r, 200)
        cid = r.json[0]["id"]
        for i in range(1, 30):
            self.assertStatus(self.req("PATCH", f"/contacts/{cid}", token, {"display_name": f"v{i}"}), 200)
            got = self.req("GET", f"/contacts/{cid}", token)
            self.assertStatus(got, 200)
            self.assertEqual(got.json["display_name"], f"v{i}")
            self.assertEqual([c["display_name"] for c in self.req("GET", "/contacts", token).json], [f"v{i}"])

    def test_read_only_routes_are_answered_by_the_standby(self):
        uid, token = harness.member()
        self.assertStatus(self.req("POST", "/contacts/sync", token, [{"display_name": "seen"}]), 200)
        with replay_paused():
            on_primary_alone("SELECT privacybee.sync_contacts(%s, '[{\"display_name\": \"unseen\"}]')", uid)
            names = [c["display_name"] for c in self.req("GET", "/contacts", token).json]
            self.assertEqual(names, ["seen"])       # the standby's, which has not applied it
            # a write goes to the primary, which has it
            r = self.req("POST", "/contacts/search", token,
                         {"filter": {"field": "display_name", "operator": "string_contains", "value": "seen"}})
            self.assertStatus(r, 200)
            self.assertEqual(sorted(c["display_name"] for c in r.json), ["seen", "unseen"])

    def test_trust_lookup_is_answered_by_the_primary(self):
        uid, token = harness.member()
        caller = harness.fresh_phone()
        number = harness.give_buzz_number(uid)
        service = harness.service_token()
        with replay_paused():
            on_primary_alone("SELECT privacybee.sync_contacts(%s, %s::jsonb)", uid,
                             f'[{{"display_name": "Caller", "phone": ["{caller}"]}}]')
            r = self.req("GET", f"/apps/buzz/trust-lookup?number_code=1&number={number[2:]}"
                                f"&inbound_code=1&inbound={caller[2:]}", service)
            self.assertStatus(r, 200)
            self.assertEqual(r.json, {"trusted": True, "user_id": uid})

    def test_every_read_only_route_runs_on_the_standby(self):
        # each route the registry lets the standby serve is served there without error (a
        # route that wrote would fail on a read-only server: 500)
        uid, token = harness.member()
        service = harness.service_token()
        client_id, _ = harness.oauth_client()
        # the query a route reads, complete, so that its function runs through (not a 400)
        queries = {"buzz:lookup": "?number_code=1&number=2025550100&inbound_code=1&inbound=2125550100",
                   "oauth:authorize": f"?client_id={client_id}&redirect_uri=https://app.example/cb"
                                      "&scope=account.read&state=s"
                                      "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}
        with replay_paused():
            for r in harness.registry_routes():
                if not r.read_only:
                    continue
                tok = service if r.scope == "buzz:lookup" else token
                headers = {}
                if r.dav:   # CardDAV: HTTP Basic, the token as the password, its own paths
                    headers = {"Authorization": "Basic " + base64.b64encode(f"{uid}:{token}".encode()).decode()}
                    tok = None
                path = r.path.replace("{id}", str(uid) if r.dav else "1").replace("{name}", "unknown.vcf")
                path += queries.get(r.scope, "")
                got = self.req("GET", path, tok, headers=headers)
                self.assertLess(got.status, 500, (r.method, r.path, got))
                self.assertIn(got.status, set(r.responses) | {404}, (r.method, r.path, got))


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    print(f"openapi: {harness.openapi().checked} responses checked against the document")
    sys.exit(0 if result.wasSuccessful() else 1)
