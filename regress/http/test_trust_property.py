"""A randomized property test of the trust graph: random members, companies, memberships,
contacts (phones in mixed formats, Argentine and Mexican lines under either of their
E.164 forms), the companies' team contacts (SPEC §10), trust and untrust edges and deletions, then for hundreds of random
(receiver, caller) pairs the HTTP trust-lookup answer must equal trust_eval and an
independent plain-SQL statement of the SPEC §5 rules; trust_verify() returns nothing,
before and after recompute_trust(). Then every pair of changes that can alter a
member's decisions, made to overlap in two transactions.

The seed is fixed (PRIVACYBEE_SEED overrides it) and printed, so a failure replays."""
import json
import os
import random
import re
import urllib.parse

from harness import (SHARDS, ApiTest, api, buzz_number_for, db, fresh_phone, give_buzz_number, member,
                     member_db, member_shard, member_sql, overlapped, service_token, shard_db, sql, sql1,
                     unique)

SEED = int(os.environ.get("PRIVACYBEE_SEED", "20261124"))

def line_forms(e164):
    """Every E.164 form of the line e164 belongs to (SPEC §3): Argentina's mobile 9 after
    +54 and Mexico's former mobile 1 after +52 come and go; other numbers have one form.
    Written here from the SPEC, independently of phone_match.c."""
    for code, marker in (("+54", "9"), ("+52", "1")):
        if e164.startswith(code + marker) and len(e164) == len(code) + 11:
            e164 = code + e164[len(code) + 1:]
        if e164.startswith(code) and len(e164) == len(code) + 10:
            return [e164, code + marker + e164[len(code):]]
    return [e164]


def split(e164):
    """(calling code, national number) as the provider sends them."""
    code = next(c for c in ("1", "52", "54") if e164[1:].startswith(c))
    return code, e164[1 + len(code):]


# SPEC §5 written again from the tables alone, independently of the extension's view
# and C function: is number :n (any of the line's E.164 forms :forms) trusted by member :r?
SPEC_RULES = """
WITH owners AS (
    SELECT id AS person_id FROM privacybee.people WHERE phone_e164 = ANY (%(forms)s)
    UNION SELECT user_id FROM privacybee.buzz_numbers
           WHERE e164 = ANY (%(forms)s) AND user_id IS NOT NULL),
owning_companies AS (SELECT company_id FROM privacybee.company_phones WHERE e164 = ANY (%(forms)s)),
edges AS (SELECT * FROM privacybee.trust_edges WHERE user_id = %(r)s)
SELECT %(n)s IS NOT NULL
   AND EXISTS (SELECT 1 FROM privacybee.people WHERE id = %(r)s)
   AND NOT EXISTS (SELECT 1 FROM edges WHERE NOT trusted AND (
           (target_type = 'person' AND target_id IN (SELECT person_id FROM owners)) OR
           (target_type = 'company' AND target_id IN (SELECT company_id FROM owning_companies))))
   AND (%(r)s IN (SELECT person_id FROM owners)
        OR EXISTS (SELECT 1 FROM privacybee.contacts c JOIN privacybee.contact_phones p
                     ON p.user_id = c.user_id AND p.contact_id = c.id
                    WHERE c.user_id = %(r)s AND p.e164 = ANY (%(forms)s))
        OR EXISTS (SELECT 1 FROM edges WHERE trusted AND target_type = 'person'
                      AND target_id IN (SELECT person_id FROM owners))
        OR EXISTS (SELECT 1 FROM privacybee.employees a, privacybee.employees b
                    WHERE a.person_id = %(r)s AND b.company_id = a.company_id
                      AND b.person_id IN (SELECT person_id FROM owners))
        OR EXISTS (SELECT 1 FROM edges WHERE trusted AND target_type = 'company'
                      AND target_id IN (SELECT company_id FROM owning_companies))
        OR EXISTS (SELECT 1 FROM privacybee.employees a
                    WHERE a.person_id = %(r)s AND a.company_id IN (SELECT company_id FROM owning_companies))
        -- SPEC §10: a non-deleted contact of a team (a company) r works for
        OR EXISTS (SELECT 1 FROM privacybee.employees a
                     JOIN privacybee.people t ON t.team_of = a.company_id
                     JOIN privacybee.contacts c ON c.user_id = t.id
                     JOIN privacybee.contact_phones p ON p.user_id = c.user_id AND p.contact_id = c.id
                    WHERE a.person_id = %(r)s AND p.e164 = ANY (%(forms)s)))
"""


def spec_decision(receiver, number):
    # the receiver's shard: the rules read their rows and reference data (docs/sharding.md)
    with member_db(receiver).cursor() as cur:
        cur.execute(SPEC_RULES, {"r": receiver, "n": number, "forms": line_forms(number)})
        return cur.fetchone()[0]


def formats(e164, rng):
    """The same number as people type it: a NANP number in its many spellings, an
    Argentine or Mexican line under either E.164 form."""
    if not e164.startswith("+1"):
        form = rng.choice(line_forms(e164))
        return rng.choice([form, form[:3] + " " + form[3:]])
    d = e164[2:]
    return rng.choice([e164, f"({d[:3]}) {d[3:6]}-{d[6:]}", f"{d[:3]}.{d[3:6]}.{d[6:]}",
                       f"1-{d[:3]}-{d[3:6]}-{d[6:]}", f"+1 {d[:3]} {d[3:6]} {d[6:]}", d])


class TestTrustProperty(ApiTest):
    def test_lookup_equals_live_equals_spec_statement(self):
        print(f"\n  trust property test seed: {SEED} (set PRIVACYBEE_SEED to replay)")
        rng = random.Random(SEED)
        area = 600 + SEED % 90
        numbers = [f"+1{area}555{i:04d}" for i in range(1000, 1000 + 80)]
        rng.shuffle(numbers)
        # Buenos Aires and Mexico City lines, written in one of their forms
        numbers = numbers[16:] + [f"+54114{SEED % 1000:03d}{i:04d}" for i in range(10)] + \
            [f"+5255{SEED % 1000:03d}{i:05d}" for i in range(10)]
        rng.shuffle(numbers)
        pool = (rng.choice(line_forms(n)) for n in numbers)

        members = []
        for i in range(24):
            phone = next(pool) if rng.random() < 0.8 else None
            uid, token = member(f"P{i}", "Prop", phone)
            members.append({"id": uid, "token": token, "phone": phone})
        receivers = rng.sample(members, 16)
        for m in receivers:
            # of the receiver's shard's part of the pool: a call is routed by the number
            # called (docs/sharding.md); any number on one database
            m["buzz"] = give_buzz_number(m["id"])
        companies = [sql1("SELECT privacybee.create_company(%s, %s, %s)", f"C{i}", unique("prop"),
                          [next(pool) for _ in range(rng.randint(0, 2))]) for i in range(5)]
        for m in members:
            for c in rng.sample(companies, rng.choice([0, 0, 1, 2])):
                sql("SELECT privacybee.add_employee(%s, %s)", c, m["id"])

        known = [m["phone"] for m in members if m["phone"]] + [m["buzz"] for m in receivers] + \
            [r[0] for r in sql("SELECT e164 FROM privacybee.company_phones WHERE company_id = ANY (%s)",
                               companies)]
        strangers = [next(pool) for _ in range(10)]
        candidates = known + strangers

        for m in members:
            items = [{"display_name": f"k{j}",
                      "phone_numbers": [formats(rng.choice(candidates), rng)
                                        for _ in range(rng.randint(1, 3))]}
                     for j in range(rng.randint(0, 6))]
            made = self.req("POST", "/contacts/sync", m["token"], body=items)
            self.assertStatus(made, 200)
            for c in made.json:
                if rng.random() < 0.2:
                    self.assertStatus(self.req("DELETE", f"/contacts/{c['id']}", m["token"]), 200)
            for _ in range(rng.randint(0, 4)):
                if rng.random() < 0.6:
                    target, kind = rng.choice([x for x in members if x is not m])["id"], "person"
                else:
                    target, kind = rng.choice(companies), "company"
                r = self.req("POST", f"/contacts/trust/{target}", m["token"],
                             body={"trusted": rng.random() < 0.6, "type": kind})
                self.assertStatus(r, 201)
        # team contacts (SPEC §10): an employee of each company adds some, deletes a few
        for company in companies:
            staff = [m for m in members
                     if sql1("SELECT count(*) FROM privacybee.employees WHERE company_id = %s "
                             "AND person_id = %s", company, m["id"])]
            if not staff:
                continue
            for j in range(rng.randint(0, 4)):
                m = rng.choice(staff)
                made = self.req("POST", "/api/v1/contacts.create", m["token"], body={
                    "teamId": str(company), "contact": {"contactData": {
                        "name": {"givenName": f"t{j}"},
                        "phoneNumbers": [{"value": formats(rng.choice(candidates), rng)}
                                         for _ in range(rng.randint(1, 2))]}}})
                self.assertStatus(made, 200)
                if rng.random() < 0.2:
                    c = made.json["contact"]
                    self.assertStatus(self.req("POST", "/api/v1/contacts.delete", rng.choice(staff)["token"], body={
                        "teamId": str(company), "contactId": c["contactId"], "etag": c["etag"]}), 200)
        # some memberships end, some members get a new phone
        for row in rng.sample(sql("SELECT company_id, person_id FROM privacybee.employees "
                                  "WHERE person_id = ANY(%s)", [m["id"] for m in members]), 3):
            sql("DELETE FROM privacybee.employees WHERE company_id = %s AND person_id = %s", *row)
        for m in rng.sample(members, 3):
            sql("UPDATE privacybee.people SET phone_e164 = %s WHERE id = %s", next(pool), m["id"])

        service = service_token()
        disagreements = []
        trusted_count = 0
        trusted_variants = 0
        pairs = [(rng.choice(receivers), rng.choice(line_forms(rng.choice(candidates))))
                 for _ in range(400)]
        for receiver, caller in pairs:
            code, national = split(caller)
            q = urllib.parse.urlencode({"number_code": "1", "number": receiver["buzz"][2:],
                                        "inbound_code": code, "inbound": national})
            r = self.req("GET", f"/apps/buzz/trust-lookup?{q}", service)
            self.assertStatus(r, 200)
            live = sql1("SELECT privacybee.trust_eval(%s, %s)", receiver["id"], caller)
            spec = spec_decision(receiver["id"], caller)
            trusted_count += spec
            trusted_variants += spec and not caller.startswith("+1")
            if not (r.json["trusted"] == live == spec) or r.json["user_id"] != receiver["id"]:
                disagreements.append((receiver["id"], caller, r.json, live, spec))
        print(f"  {len(pairs)} pairs, {trusted_count} trusted ({trusted_variants} Argentine or Mexican), "
              f"{len(disagreements)} disagreements")
        self.assertEqual(disagreements, [])
        self.assertGreater(trusted_count, 20)
        self.assertGreater(trusted_variants, 5)
        self.assertLess(trusted_count, len(pairs) - 20)
        self.assertEqual(sql("SELECT * FROM privacybee.trust_verify()"), [])
        before = sql("SELECT user_id, match_key FROM privacybee.trusted_numbers ORDER BY 1, 2")
        db().notices.clear()
        sql("SELECT privacybee.recompute_trust()")
        # a team's account is no member, and has no decisions to rebuild (is_member())
        members = sql1("SELECT count(*) FROM privacybee.people WHERE privacybee.is_member(id)")
        # each database reports its own members (a shard: [privacybee_shard_k] REMOTE NOTICE);
        # every member is some database's, once
        reported = {}
        for n in db().notices:
            m = re.search(r"(?:\[(\w+)\] REMOTE NOTICE: )?recompute_trust: \d+ of (\d+) members", n)
            if m:
                reported[m.group(1)] = int(m.group(2))
        self.assertEqual(sum(reported.values()), members, db().notices)
        self.assertEqual(sql("SELECT * FROM privacybee.trust_verify()"), [])
        self.assertEqual(sql("SELECT user_id, match_key FROM privacybee.trusted_numbers ORDER BY 1, 2"),
                         before)


# ---- concurrent changes ---------------------------------------------------------------
#
# SPEC §5: the changes that alter one member's decisions are serialised, so the
# materialised answer is always the live one — also when an untrust and a change that
# would trust commit at the same moment. Every pair of such changes is made to overlap
# for certain, not by chance: the first runs its whole change in an open transaction, the
# second then starts in another and runs until it has finished or waits for a lock the
# first holds; only then does the first commit, and the second after it. Without the
# serialisation the second change's triggers evaluate without the first's uncommitted
# rows (and the first's evaluated without the second's), and the two commit a
# materialised decision that differs from the live one. Both orders of every pair.


class Scenario:
    """A receiver R (with a Buzz line) and the people, companies and numbers that every
    change below is about: P (phone n_p) who works at K, company C (phone n_c), K2
    where R and P both work, a contact of R with P's and C's numbers, another with the
    free Buzz number P's first heartbeat will take; a contact of the team K2 (SPEC §10), made
    by P, with the number n_p2."""

    def __init__(self):
        self.r_phone = fresh_phone()
        self.r, self.r_token = member("R", "Receiver", self.r_phone)
        self.b_r = give_buzz_number(self.r)
        self.n_p, self.n_p2 = fresh_phone(), fresh_phone()
        # in the sharded layout the pair overlaps on R's shard (overlapped(member=R)): P and
        # the team K2 live there too, so that every row the changes lock is on it
        while True:
            self.p, self.p_token = member("P", "Owner", self.n_p)
            if member_shard(self.p) == member_shard(self.r):
                break
            sql("DELETE FROM privacybee.people WHERE id = %s", self.p)
        self.n_c, self.n_c2, self.n_c3 = fresh_phone(), fresh_phone(), fresh_phone()
        self.c = sql1("SELECT privacybee.create_company('C', %s, %s)", unique("c"), [self.n_c, self.n_c3])
        self.k = sql1("SELECT privacybee.create_company('K', %s)", unique("k"))
        while True:
            self.k2 = sql1("SELECT privacybee.create_company('K2', %s)", unique("k2"))
            if member_shard(self.k2) == member_shard(self.r):   # a team's shard: its company id's
                break
        for company, person in ((self.k, self.p), (self.k2, self.p), (self.k2, self.r)):
            sql("SELECT privacybee.add_employee(%s, %s)", company, person)
        self.contact = sql1("SELECT (privacybee.sync_contacts(%s, %s))[1]", self.r,
                            json.dumps([{"display_name": "PC", "phone_numbers": [self.n_p, self.n_c]}]))
        # heartbeat hands out the lowest free number: make it this one
        sql("DELETE FROM privacybee.buzz_numbers WHERE user_id IS NULL")
        self.b_p = buzz_number_for(self.p)   # of P's shard's part of the pool
        sql("SELECT privacybee.add_buzz_numbers(%s)", [self.b_p])
        self.contact2 = sql1("SELECT (privacybee.sync_contacts(%s, %s))[1]", self.r,
                             json.dumps([{"display_name": "PB", "phone_numbers": [self.b_p]}]))
        with db().cursor() as cur:
            made = api(cur, "api_cplus_contacts_create", self.p_token, body={
                "teamId": str(self.k2), "contact": {"contactData": {
                    "name": {"givenName": "TC"}, "phoneNumbers": [{"value": self.n_p2}]}}})["contact"]
            self.team_contact, self.team_contact_etag = int(made["contactId"]), made["etag"]

    def numbers(self):
        return [self.n_p, self.n_p2, self.b_p, self.n_c, self.n_c2, self.n_c3, self.r_phone, self.b_r]

    def made_elsewhere(self, *changes):
        """In the sharded layout: what the proxy would have given every other shard, after
        the pair made on R's shard — the changes to reference data, made there too, in the
        order they committed; the Buzz number P's heartbeat took; the copy of the team K2's
        contact phones (docs/sharding.md). Nothing on one database."""
        home = member_shard(self.r)
        number = member_sql(self.p, "SELECT e164 FROM privacybee.buzz_numbers WHERE user_id = %s", self.p)
        team = member_sql(self.r, "SELECT privacybee.team_copy(%s)", self.k2)[0][0]
        for k in range(SHARDS):
            if k == home:
                continue
            with shard_db(k).cursor() as cur:
                for name in changes:
                    if name in REFERENCE_CHANGES:
                        CHANGES[name](cur, self)
                if number:
                    cur.execute("SELECT privacybee.buzz_number_taken(%s, %s)", (number[0][0], self.p))
                cur.execute("SELECT privacybee.put_team_copy(%s, %s)", (self.k2, json.dumps(team)))


# Each change: what a member (route functions) or an operator (SQL) does, in cur's
# transaction. Every one can alter R's decisions about P's or C's numbers. A change about
# P finds P gone (404, or 401 for P's own token) when it runs after P was deleted.
GONE = (401, 404)
CHANGES = {
    "contact with P's number added":
        lambda cur, s: api(cur, "api_contacts_sync", s.r_token,
                           body=[{"display_name": "P", "phone_numbers": [s.n_p]}]),
    "contact with C's number added":
        lambda cur, s: api(cur, "api_contacts_sync", s.r_token,
                           body=[{"display_name": "C", "phone_numbers": [s.n_c]}]),
    "contact deleted":
        lambda cur, s: api(cur, "api_contact_delete", s.r_token, str(s.contact)),
    "contact's phones replaced":
        lambda cur, s: api(cur, "api_contact_update", s.r_token, str(s.contact2),
                           body={"phone_numbers": [s.n_p2]}),
    "P trusted":
        lambda cur, s: api(cur, "api_trust_set", s.r_token, str(s.p), {"trusted": 1}, GONE),
    "P untrusted":
        lambda cur, s: api(cur, "api_trust_set", s.r_token, str(s.p), {"trusted": 0}, GONE),
    "C trusted":
        lambda cur, s: api(cur, "api_trust_set", s.r_token, str(s.c), {"trusted": 1, "type": "company"}),
    "C untrusted":
        lambda cur, s: api(cur, "api_trust_set", s.r_token, str(s.c), {"trusted": 0, "type": "company"}),
    "R joins P's company":
        lambda cur, s: cur.execute("SELECT privacybee.add_employee(%s, %s)", (s.k, s.r)),
    "R leaves the company shared with P":
        lambda cur, s: cur.execute("DELETE FROM privacybee.employees WHERE company_id = %s "
                                   "AND person_id = %s", (s.k2, s.r)),
    "R joins C":
        lambda cur, s: cur.execute("SELECT privacybee.add_employee(%s, %s)", (s.c, s.r)),
    "P's phone changes":
        lambda cur, s: cur.execute("UPDATE privacybee.people SET phone_e164 = %s WHERE id = %s",
                                   (s.n_p2, s.p)),
    "P gets a Buzz number":
        lambda cur, s: api(cur, "api_heartbeat", s.p_token, allow=GONE),
    "C gets a phone":
        lambda cur, s: cur.execute("INSERT INTO privacybee.company_phones (company_id, e164, raw) "
                                   "VALUES (%s, %s, 'x') ON CONFLICT DO NOTHING", (s.c, s.n_c2)),
    "C loses a phone":
        lambda cur, s: cur.execute("DELETE FROM privacybee.company_phones WHERE company_id = %s "
                                   "AND e164 = %s", (s.c, s.n_c3)),
    "P leaves their company":
        lambda cur, s: cur.execute("DELETE FROM privacybee.employees WHERE company_id = %s "
                                   "AND person_id = %s", (s.k, s.p)),
    "team contact with C's new number added":
        lambda cur, s: api(cur, "api_cplus_contacts_create", s.p_token, body={
            "teamId": str(s.k2), "contact": {"contactData": {
                "name": {"givenName": "T"}, "phoneNumbers": [{"value": s.n_c2}]}}}, allow=GONE),
    "team contact deleted":
        lambda cur, s: api(cur, "api_cplus_contacts_delete", s.p_token, body={
            "teamId": str(s.k2), "contactId": str(s.team_contact), "etag": s.team_contact_etag}, allow=GONE),
    "P is deleted":
        lambda cur, s: cur.execute("DELETE FROM privacybee.people WHERE id = %s", (s.p,)),
}


# The changes an operator makes to reference data, which the sharded layout holds on every
# shard (a broadcast writes each shard in a transaction of its own).
REFERENCE_CHANGES = {"R joins P's company", "R leaves the company shared with P", "R joins C",
                     "P's phone changes", "C gets a phone", "C loses a phone", "P leaves their company",
                     "P is deleted"}


def materialised(user_id, number):
    """Does trusted_numbers hold the pair? (by its second column, the number)"""
    column = sql1("SELECT attname FROM pg_catalog.pg_attribute WHERE attnum = 2 "
                  "AND attrelid = 'privacybee.trusted_numbers'::regclass")
    # on the member's shard: each shard materialises its own members' decisions
    return member_sql(user_id, f"SELECT EXISTS (SELECT 1 FROM privacybee.trusted_numbers "
                               f"WHERE user_id = %s AND {column} = %s)", user_id, number)[0][0]


class TestConcurrentChanges(ApiTest):
    def test_every_pair_of_overlapping_changes_keeps_lookup_equal_to_live(self):
        service = service_token()
        names = list(CHANGES)
        pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
        wrong, errors, trials = [], [], 0
        for a, b in pairs:
            for first, second in ((a, b), (b, a)):
                s = Scenario()
                trials += 1
                _, error = overlapped(CHANGES[first], CHANGES[second], s, member=s.r)
                if error is not None:
                    errors.append((first, second, repr(error)))
                    continue
                if SHARDS:
                    s.made_elsewhere(first, second)
                for user, numbers in ((s.r, s.numbers()), (s.p, [s.r_phone, s.b_r])):
                    for n in numbers:
                        live = sql1("SELECT privacybee.trust_eval(%s, %s)", user, n)
                        if materialised(user, n) != live:
                            wrong.append((first, second, user == s.r and "R" or "P", n, live))
                for n in s.numbers():
                    q = urllib.parse.urlencode({"number_code": "1", "number": s.b_r[2:],
                                                "inbound_code": "1", "inbound": n[2:]})
                    r = self.req("GET", f"/apps/buzz/trust-lookup?{q}", service)
                    live = sql1("SELECT privacybee.trust_eval(%s, %s)", s.r, n)
                    if r.json["trusted"] != live:
                        wrong.append((first, second, "lookup", n, live))
        print(f"\n  {trials} overlapping pairs of changes: in {len({w[:2] for w in wrong})} a decision "
              f"differs from the live answer ({len(wrong)} decisions), {len(errors)} changes failed")
        for w in wrong[:40]:
            print("   ", w)
        self.assertEqual(errors, [])
        self.assertEqual(wrong, [])
        self.assertEqual(sql("SELECT * FROM privacybee.trust_verify()"), [])
