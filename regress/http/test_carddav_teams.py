"""CardDAV team address books (SPEC §15: "one per team (§10) the member belongs to"): the
home lists a book per team with the company's name and its own ctag/sync-token; every
method works on it as on the member's own book, over the team's contacts — the rows the
Contacts+ team routes serve, so a card saved in the team's book is a team contact there
and the other way round, and it screens a coworker's calls; the token needs the team scope
of each route's scope too; another company's member gets 404, and so does a member who
left the team, at once."""
import json
import os
import tempfile
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

from harness import SHARDS, every_database, fresh_phone, member, member_shard, registry, service_token, sql, sql1, unique
from test_buzz import buzz_member, call
from test_carddav_routes import C, D, XML, DavTest, vcard

CS = "{http://calendarserver.org/ns/}"
DAV_SCOPES = ["contacts:read", "contacts:write"]
TEAM_SCOPES = DAV_SCOPES + ["teams.contacts.read", "teams.contacts.write"]
PROPS = ('<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav" '
         'xmlns:cs="http://calendarserver.org/ns/"><d:prop><d:resourcetype/><d:displayname/>'
         '<cs:getctag/><d:sync-token/></d:prop></d:propfind>')


def rpc(test, method, body, token):
    return test.req("POST", f"/api/v1/{method}", token, body=body)


class TeamBookTest(DavTest):
    def setUp(self):
        super().setUp()
        self.company = f"Team Co {unique('dav')}"
        self.team = sql1("SELECT privacybee.create_company(%s, %s)", self.company, unique("dav-team"))
        self.uid, self.token = member("Ann", "Employee", scopes=TEAM_SCOPES)
        self.b, self.b_token = member("Bob", "Coworker", scopes=TEAM_SCOPES)
        for person in (self.uid, self.b):
            sql("SELECT privacybee.add_employee(%s, %s)", self.team, person)
        self.book = f"/dav/{self.uid}/contacts/"
        self.tbook = f"/dav/{self.uid}/team-{self.team}/"
        self.b_tbook = f"/dav/{self.b}/team-{self.team}/"

    def as_b(self, method, path, body=None, ctype=XML, headers=None):
        return self.dav(method, path, body, ctype=ctype, token=self.b_token, headers=headers)

    def tput(self, name, card, **headers):
        return self.dav("PUT", self.tbook + name, card, ctype="text/vcard", headers=headers)

    def team_contacts(self, token=None):
        r = rpc(self, "contacts.scroll", {"teamId": str(self.team)}, token or self.token)
        self.assertStatus(r, 200)
        return r.json["contacts"]

    def account(self):
        return sql1("SELECT id FROM privacybee.people WHERE team_of = %s", self.team)

    def home(self, token=None, user=None):
        return self.responses(self.dav("PROPFIND", f"/dav/{user or self.uid}/", PROPS,
                                       token=token, headers={"Depth": "1"}))

    def listed(self, home, uid, team, prop, token=None):
        """A team book's getctag or sync-token as a home's Depth 1 lists it. On one database,
        and when the team's rows are on the member's shard, the home gives it; on a sharded
        layout whose team lives on another shard the member's shard does not know it, and
        the home answers it 404 (never a wrong one; docs/sharding.md, "CardDAV") — then the
        book's own PROPFIND, which runs on the team's shard, gives it."""
        href = f"/dav/{uid}/team-{team}/"
        if member_shard(team) == member_shard(uid):
            return home[href][prop].text
        self.assertEqual(home[href][prop], "404")
        return self.responses(self.dav("PROPFIND", href, PROPS, token=token,
                                       headers={"Depth": "0"}))[href][prop].text

    def tsynced(self, token="", book=None, as_token=None):
        body = (f'<d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token>'
                '<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>')
        r = self.dav("REPORT", book or self.tbook, body, token=as_token)
        return self.responses(r), self.multistatus(r).find(D + "sync-token").text


class TestTeamBookDiscovery(TeamBookTest):
    def test_the_home_lists_a_book_per_team_with_the_companys_name_and_its_own_tokens(self):
        other = sql1("SELECT privacybee.create_company(%s, %s)", "Second & <Co>", unique("dav-second"))
        sql("SELECT privacybee.add_employee(%s, %s)", other, self.uid)
        home = self.home()
        second = f"/dav/{self.uid}/team-{other}/"
        self.assertEqual(sorted(home), sorted([f"/dav/{self.uid}/", self.book, self.tbook, second]))
        books = ((self.book, "Contacts", None), (self.tbook, self.company, self.team),
                 (second, "Second & <Co>", other))

        def tokens(h):
            """{href: (getctag, sync-token)} of each book, read now"""
            return {href: tuple(h[href][p].text if team is None else self.listed(h, self.uid, team, p)
                                for p in (CS + "getctag", D + "sync-token"))
                    for href, _, team in books}
        before = tokens(home)
        for href, name, team in books:
            with self.subTest(book=href):
                self.assertIsNotNone(home[href][D + "resourcetype"].find(C + "addressbook"))
                self.assertEqual(home[href][D + "displayname"].text, name)
                self.assertEqual(before[href][0], before[href][1])
        self.assertEqual(len({sync for _, sync in before.values()}), 3)
        # a token names the team's book, never the team account's internal id
        self.assertEqual(before[self.tbook][1], f"urn:privacybee:sync:team-{self.team}:0")
        # a card in the team's book moves its ctag alone; the book itself says the same
        self.assertStatus(self.tput("t.vcf", vcard("t", "Tee")), 201)
        after = tokens(self.home())
        self.assertNotEqual(after[self.tbook], before[self.tbook])
        self.assertEqual(after[self.book], before[self.book])
        self.assertEqual(after[second], before[second])
        book = self.responses(self.dav("PROPFIND", self.tbook, PROPS, headers={"Depth": "0"}))
        self.assertEqual(book[self.tbook][D + "sync-token"].text, after[self.tbook][1])
        self.assertEqual(book[self.tbook][D + "displayname"].text, self.company)
        # a coworker's home lists the same book, at the same token
        self.assertEqual(self.listed(self.home(self.b_token, self.b), self.b, self.team, D + "sync-token",
                                     self.b_token), after[self.tbook][1])

    def test_a_token_without_the_team_scopes_has_its_own_book_only(self):
        uid, own_only = member("Own", "Only", scopes=DAV_SCOPES)
        sql("SELECT privacybee.add_employee(%s, %s)", self.team, uid)
        self.assertEqual(sorted(self.home(own_only, uid)), sorted([f"/dav/{uid}/", f"/dav/{uid}/contacts/"]))
        tbook = f"/dav/{uid}/team-{self.team}/"
        for method, path, body, ctype in (
                ("PROPFIND", tbook, None, None),
                ("REPORT", tbook, '<d:sync-collection xmlns:d="DAV:"><d:sync-token/>'
                                  '<d:prop><d:getetag/></d:prop></d:sync-collection>', XML),
                ("GET", tbook + "x.vcf", None, None), ("PROPFIND", tbook + "x.vcf", None, None),
                ("PUT", tbook + "x.vcf", vcard("x", "X"), "text/vcard"), ("DELETE", tbook + "x.vcf", None, None)):
            with self.subTest(method=method, path=path):
                self.assertError(self.dav(method, path, body, ctype=ctype, token=own_only,
                                          headers={"Depth": "0"}), 403)
        self.assertEqual(self.team_contacts(), [])

    def test_a_team_read_scope_reads_the_team_book_but_cannot_write_it(self):
        uid, reader = member("Team", "Reader", scopes=DAV_SCOPES + ["teams.contacts.read"])
        sql("SELECT privacybee.add_employee(%s, %s)", self.team, uid)
        self.assertStatus(self.tput("r.vcf", vcard("r", "Rita", extra="N:;Rita;;;\r\n")), 201)
        tbook = f"/dav/{uid}/team-{self.team}/"
        self.assertIn(tbook, self.home(reader, uid))
        # the privileges a client reads say so (DAVx⁵ then keeps the book read-only)
        privileges = ('<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-privilege-set/></d:prop></d:propfind>')

        def may(path, token, depth="0"):
            got = self.responses(self.dav("PROPFIND", path, privileges, token=token, headers={"Depth": depth}))
            return {h: sorted(p.tag for p in v[D + "current-user-privilege-set"].iter() if p.tag != D + "privilege"
                              and p.tag != D + "current-user-privilege-set")
                    for h, v in got.items() if not isinstance(v.get(D + "current-user-privilege-set", ""), str)}

        writer = [D + "bind", D + "read", D + "unbind", D + "write", D + "write-content"]
        self.assertEqual(may(tbook, reader), {tbook: [D + "read"]})
        self.assertEqual(may(self.tbook, self.token), {self.tbook: writer})
        self.assertEqual(may(f"/dav/{uid}/", reader, "1"),
                         {f"/dav/{uid}/contacts/": writer, tbook: [D + "read"]})
        own_reader_uid, own_reader = member("Own", "Reader", scopes=["contacts:read"])
        own_book = f"/dav/{own_reader_uid}/contacts/"
        self.assertEqual(may(own_book, own_reader), {own_book: [D + "read"]})
        self.assertStatus(self.dav("GET", tbook + "r.vcf", token=reader), 200)
        self.assertError(self.dav("PUT", tbook + "r.vcf", vcard("r", "Changed"), ctype="text/vcard",
                                  token=reader), 403)
        self.assertError(self.dav("DELETE", tbook + "r.vcf", token=reader), 403)
        self.assertEqual([c["contactData"]["name"]["givenName"] for c in self.team_contacts()], ["Rita"])
        # its own book it writes, as contacts:write allows
        self.assertStatus(self.dav("PUT", f"/dav/{uid}/contacts/mine.vcf", vcard("m", "Mine"),
                                   ctype="text/vcard", token=reader), 201)


class TestWriteOnlyTokens(TeamBookTest):
    """A token that may write but not read learns nothing of what it cannot read from a
    conflict: a card's name (CardDAV's no-uid-conflict without its href, RFC 6352
    §6.3.2.1), the current contact or tag (Contacts+'s 409 without it)."""

    def test_no_uid_conflict_names_the_card_only_to_a_token_that_may_read_the_book(self):
        w_uid, w_only = member("Write", "Only", scopes=["contacts:write", "teams.contacts.write"])
        sql("SELECT privacybee.add_employee(%s, %s)", self.team, w_uid)
        own_reader = self.token
        self.assertStatus(self.tput("race2-1.vcf", vcard("race-uid", "Team Card")), 201)
        self.assertStatus(self.dav("PUT", f"/dav/{w_uid}/contacts/mine.vcf", vcard("mine-uid", "Mine"),
                                   ctype="text/vcard", token=w_only), 201)
        for book, token, reader, reader_book in (
                (f"/dav/{w_uid}/team-{self.team}/", w_only, own_reader, self.tbook),
                (f"/dav/{w_uid}/contacts/", w_only, None, None)):
            with self.subTest(book=book):
                uid_ = "race-uid" if "team-" in book else "mine-uid"
                r = self.dav("PUT", book + "w-only.vcf", vcard(uid_, "Twin"), ctype="text/vcard", token=token)
                self.assertStatus(r, 409)
                self.assertIsNotNone(ET.fromstring(r.data).find(C + "no-uid-conflict"), r.data)
                self.assertNotIn(b"href", r.data)
                self.assertNotIn(b".vcf", r.data)
                if reader:   # a token that may read the book is told which card has the UID
                    r = self.dav("PUT", reader_book + "w-only.vcf", vcard(uid_, "Twin"), ctype="text/vcard",
                                 token=reader)
                    self.assertStatus(r, 409)
                    self.assertEqual(ET.fromstring(r.data).find(C + "no-uid-conflict").find(D + "href").text,
                                     reader_book + "race2-1.vcf")

    def test_a_contacts_plus_conflict_shows_the_current_object_only_to_a_token_that_may_read_it(self):
        full = rpc(self, "contacts.create", {"contact": {"contactData": {"name": {"givenName": "Secret"}}}},
                   self.token).json["contact"]
        team = rpc(self, "contacts.create", {"teamId": str(self.team),
                                             "contact": {"contactData": {"name": {"givenName": "Team Secret"}}}},
                   self.token).json["contact"]
        tag = rpc(self, "tags.create", {"tag": {"tagData": {"name": "Secret Tag"}}},
                  sql1("SELECT privacybee.issue_token(%s, %s)", self.uid, ["tags.write"])).json["tag"]
        writer = sql1("SELECT privacybee.issue_token(%s, %s)", self.uid,
                      ["contacts:write", "teams.contacts.write", "tags.write"])
        stale = "c0.v0"
        calls = [("contacts.update", {"contact": {"contactId": full["contactId"], "etag": stale,
                                                  "contactData": {"notes": "x"}}}, "contact", "contacts:read"),
                 ("contacts.delete", {"contactId": full["contactId"], "etag": stale}, "contact", "contacts:read"),
                 ("contacts.update", {"teamId": str(self.team), "contact": {
                     "contactId": team["contactId"], "etag": stale, "contactData": {"notes": "x"}}},
                  "contact", "teams.contacts.read"),
                 ("contacts.delete", {"teamId": str(self.team), "contactId": team["contactId"], "etag": stale},
                  "contact", "teams.contacts.read"),
                 ("tags.update", {"tag": {"tagId": tag["tagId"], "etag": stale, "tagData": {"name": "X"}}},
                  "tag", "tags.read"),
                 ("tags.delete", {"tagId": tag["tagId"], "etag": stale}, "tag", "tags.read")]
        for method, body, key, read_scope in calls:
            with self.subTest(method=method, body=body):
                r = rpc(self, method, body, writer)
                self.assertError(r, 409)
                self.assertNotIn(key, r.json)
                self.assertNotIn("Secret", r.data.decode())
                # with the read scope too, the current object comes with the 409
                reader = sql1("SELECT privacybee.issue_token(%s, %s)", self.uid,
                              ["contacts:write", "teams.contacts.write", "tags.write", read_scope])
                r = rpc(self, method, body, reader)
                self.assertError(r, 409)
                self.assertIn("Secret", json.dumps(r.json[key]))


class TestTeamBookMethods(TeamBookTest):
    def test_options_propfind_get_put_delete_with_preconditions_on_a_team_book(self):
        for path in (self.tbook, self.tbook + "x.vcf"):
            r = self.req("OPTIONS", path)
            self.assertStatus(r, 200)
            self.assertEqual(r.header("DAV"), "1, 3, addressbook")
        # before the team's first contact, HEAD (a read-only transaction) is 404; on one
        # database the team has no account yet (act_for_team() makes it at the first write),
        # on a sharded layout the proxy's create_company() made it (docs/sharding.md)
        self.assertEqual(self.account() is not None, bool(SHARDS))
        self.assertEqual(self.dav("HEAD", self.tbook + "card%20one.vcf").status, 404)
        r = self.tput("card%20one.vcf", vcard("uid-1", "Ann One", "+12125550111"), **{"If-None-Match": "*"})
        self.assertStatus(r, 201)
        etag = r.header("ETag")
        self.assertError(self.tput("card%20one.vcf", vcard("uid-1", "Again"), **{"If-None-Match": "*"}), 412)
        got = self.dav("GET", self.tbook + "card%20one.vcf")
        self.assertStatus(got, 200)
        self.assertEqual(got.header("ETag"), etag)
        self.assertIn(b"\r\nUID:uid-1\r\n", got.data)
        self.assertIn(b"\r\nFN:Ann One\r\n", got.data)
        self.assertIn(b"\r\nVERSION:4.0\r\n", self.dav("GET", self.tbook + "card%20one.vcf",
                                                      headers={"Accept": "text/vcard; version=4.0"}).data)
        self.assertStatus(self.dav("GET", self.tbook + "card%20one.vcf", headers={"If-None-Match": etag}), 304)
        self.assertEqual(self.dav("HEAD", self.tbook + "card%20one.vcf").data, b"")
        card = self.responses(self.dav("PROPFIND", self.tbook + "card%20one.vcf", headers={"Depth": "0"}))
        self.assertEqual(card[self.tbook + "card%20one.vcf"][D + "getetag"].text, etag)
        listed = self.responses(self.dav("PROPFIND", self.tbook, headers={"Depth": "1"}))
        self.assertEqual(sorted(listed), [self.tbook, self.tbook + "card%20one.vcf"])
        # the member's own book does not hold it
        self.assertEqual(sorted(self.responses(self.dav("PROPFIND", self.book, headers={"Depth": "1"}))),
                         [self.book])
        self.assertError(self.dav("GET", self.book + "card%20one.vcf"), 404)
        # replace at the ETag; a stale one is 412 and changes nothing
        self.assertError(self.tput("card%20one.vcf", vcard("uid-1", "Stale"), **{"If-Match": '"v999"'}), 412)
        r = self.tput("card%20one.vcf", vcard("uid-1", "Ann Replaced"), **{"If-Match": etag})
        self.assertStatus(r, 204)
        etag2 = r.header("ETag")
        self.assertNotEqual(etag2, etag)
        self.assertNotIn(b"TEL", self.dav("GET", self.tbook + "card%20one.vcf").data)
        # a UID another card of the team's book has: 409; a name of the id form: 409
        self.assertStatus(self.tput("second.vcf", vcard("uid-1", "Twin")), 409)
        self.assertStatus(self.tput("123456.vcf", vcard("n", "N")), 409)
        # delete at the ETag
        self.assertError(self.dav("DELETE", self.tbook + "card%20one.vcf", headers={"If-Match": etag}), 412)
        self.assertStatus(self.dav("DELETE", self.tbook + "card%20one.vcf", headers={"If-Match": etag2}), 204)
        self.assertError(self.dav("GET", self.tbook + "card%20one.vcf"), 404)
        self.assertError(self.dav("DELETE", self.tbook + "card%20one.vcf"), 404)
        self.assertEqual(self.team_contacts(), [])

    def test_a_card_deleted_and_created_again_under_its_name_never_shows_an_old_etag(self):
        # RFC 9110 §8.8.1: a strong ETag names one representation of one URL, so a card
        # created again under a kept name (and after its tombstone is purged) shows a new
        # one, a stale If-Match of the old card fails, and every ETag of the name differs
        for book, token, other in ((self.book, self.token, self.token),
                                   (self.tbook, self.token, self.b_token)):
            with self.subTest(book=book):
                path = book + "aba.vcf"
                other_path = path.replace(f"/dav/{self.uid}/", f"/dav/{self.b}/") if other != token else path
                put = lambda p, card, t, **h: self.dav("PUT", p, card, ctype="text/vcard", token=t, headers=h)
                first = put(path, vcard("aba-1", "Ada's"), token, **{"If-None-Match": "*"})
                self.assertStatus(first, 201)
                seen = [first.header("ETag")]
                for round_ in range(2):
                    self.assertStatus(self.dav("DELETE", other_path, token=other), 204)
                    if round_:   # the deleted card's tombstone past its period, then purged
                        owners = [self.uid, self.account()]
                        sql("UPDATE privacybee.contact_cards SET changed = changed - interval '10 years' "
                            "WHERE deleted AND user_id = ANY(%s)", owners)
                        sql("DELETE FROM privacybee.contact_tombstones WHERE user_id = ANY(%s)", owners)
                        # every database's purge: under SHARDS the team's cards are on the
                        # team's shard, which need not be shard 0
                        purged = 0
                        for conn in every_database():
                            with conn.cursor() as cur:
                                cur.execute("SELECT privacybee.carddav_purge()")
                                purged += cur.fetchone()[0]
                        self.assertGreater(purged, 0)
                    again = put(other_path, vcard(f"aba-{round_ + 2}", "Grace's"), other, **{"If-None-Match": "*"})
                    self.assertStatus(again, 201)
                    self.assertNotIn(again.header("ETag"), seen)
                    # Ada's stale write is refused and Grace's card stays
                    for stale in seen:
                        self.assertError(put(path, vcard(f"aba-{round_ + 2}", "Ada's stale"), token,
                                             **{"If-Match": stale}), 412)
                    got = self.dav("GET", path, token=token)
                    self.assertEqual(got.header("ETag"), again.header("ETag"))
                    self.assertIn(b"FN:Grace's", got.data)
                    listed = self.responses(self.dav("PROPFIND", book, headers={"Depth": "1"}, token=token))
                    self.assertEqual(listed[path][D + "getetag"].text, again.header("ETag"))
                    seen.append(again.header("ETag"))
                # the one ETag over REST (own book), Contacts+ (its etag without quotes) and CardDAV
                if book == self.book:
                    cid = sql1("SELECT contact_id FROM privacybee.contact_cards WHERE user_id = %s "
                               "AND href = 'aba.vcf' AND NOT deleted", self.uid)
                    self.assertEqual(self.req("GET", f"/contacts/{cid}", token).header("ETag"), seen[-1])
                    body = {"contactIds": [str(cid)]}
                else:
                    body = {"contactIds": [c["contactId"] for c in self.team_contacts()], "teamId": str(self.team)}
                got = rpc(self, "contacts.get", body, token)
                self.assertStatus(got, 200)
                self.assertEqual(['"' + c["etag"] + '"' for c in got.json["contacts"]], [seen[-1]])

    def test_multiget_and_query_on_a_team_book(self):
        self.tput("m1.vcf", vcard("m1", "Mia Adams", "+1 212 555 0144", extra="X-KEEP:this\r\n"))
        self.tput("m2.vcf", vcard("m2", "Max Baker"))
        # a card of the member's own book is no card of the team's
        self.assertStatus(self.put("own.vcf", vcard("own", "Own Card")), 201)
        body = ('<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
                '<d:prop><d:getetag/><c:address-data/></d:prop>'
                f'<d:href>{self.tbook}m1.vcf</d:href><d:href>{self.tbook}m2.vcf</d:href>'
                f'<d:href>{self.tbook}own.vcf</d:href><d:href>{self.book}own.vcf</d:href></c:addressbook-multiget>')
        got = self.responses(self.dav("REPORT", self.tbook, body, headers={"Depth": "1"}))
        self.assertIn("X-KEEP:this\r\n", got[self.tbook + "m1.vcf"][C + "address-data"].text)
        self.assertIn("FN:Max Baker", got[self.tbook + "m2.vcf"][C + "address-data"].text)
        for missing in (self.tbook + "own.vcf", self.book + "own.vcf"):
            self.assertEqual(got[missing]["status"], "HTTP/1.1 404 Not Found")
        query = ('<c:addressbook-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
                 '<d:prop><d:getetag/></d:prop><c:filter><c:prop-filter name="TEL"><c:text-match>0144'
                 '</c:text-match></c:prop-filter></c:filter></c:addressbook-query>')
        self.assertEqual(list(self.responses(self.dav("REPORT", self.tbook, query))), [self.tbook + "m1.vcf"])
        everyone = query.replace('name="TEL"><c:text-match>0144', 'name="FN"><c:text-match>a')
        self.assertEqual(sorted(self.responses(self.dav("REPORT", self.tbook, everyone))),
                         [self.tbook + "m1.vcf", self.tbook + "m2.vcf"])
        # is-not-defined on a team book as on the member's own: the card without a TEL
        undefined = query.replace('<c:text-match>0144</c:text-match>', '<c:is-not-defined/>')
        self.assertEqual(list(self.responses(self.dav("REPORT", self.tbook, undefined))), [self.tbook + "m2.vcf"])

    def test_sync_collection_on_a_team_book_sees_every_employees_changes(self):
        self.tput("s1.vcf", vcard("s1", "One"))
        self.tput("s2.vcf", vcard("s2", "Two"))
        first, token = self.tsynced()
        self.assertEqual(sorted(first), [self.tbook + "s1.vcf", self.tbook + "s2.vcf"])
        self.assertEqual(self.tsynced(token), ({}, token))
        # a change of the member's own book is none of the team book's
        self.put("own.vcf", vcard("own", "Own"))
        self.assertEqual(self.tsynced(token), ({}, token))
        # the coworker changes one card and deletes the other, in their own path to the book
        self.assertStatus(self.as_b("PUT", self.b_tbook + "s1.vcf", vcard("s1", "One by Bob"),
                                    ctype="text/vcard"), 204)
        self.assertStatus(self.as_b("DELETE", self.b_tbook + "s2.vcf"), 204)
        changes, token2 = self.tsynced(token)
        self.assertEqual(sorted(changes), [self.tbook + "s1.vcf", self.tbook + "s2.vcf"])
        self.assertEqual(changes[self.tbook + "s2.vcf"]["status"], "HTTP/1.1 404 Not Found")
        self.assertEqual(changes[self.tbook + "s1.vcf"][D + "getetag"].text,
                         self.dav("GET", self.tbook + "s1.vcf").header("ETag"))
        # the coworker's client holds the same token for the same book
        _, b_token = self.tsynced(book=self.b_tbook, as_token=self.b_token)
        self.assertEqual(b_token, token2)
        # a token of another book is refused on this one, and the other way round
        _, own_token = self.synced()
        for book, bad in ((self.tbook, own_token), (self.book, token2),
                          (self.tbook, token2.replace(f"team-{self.team}", f"team-{self.team + 1}")),
                          (self.tbook, token2.replace(f"team-{self.team}", str(self.account())))):
            with self.subTest(book=book, token=bad):
                body = (f'<d:sync-collection xmlns:d="DAV:"><d:sync-token>{bad}</d:sync-token>'
                        '<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>')
                r = self.dav("REPORT", book, body)
                self.assertStatus(r, 403)
                self.assertIn(b"valid-sync-token", r.data)


class TestTeamBookIsTheTeamsContacts(TeamBookTest):
    def test_a_card_saved_in_the_team_book_is_a_team_contact_through_contacts_plus(self):
        r = self.tput("lead.vcf", vcard("uid-lead", "Lena Lead", "+1 212 555 0177",
                                        extra="N:Lead;Lena;;;\r\nEMAIL;TYPE=WORK:lena@client.example\r\n"))
        self.assertStatus(r, 201)
        [c] = self.team_contacts(self.b_token)
        self.assertEqual(c["teamId"], str(self.team))
        self.assertEqual(c["etag"], r.header("ETag").strip('"'))
        self.assertEqual(c["contactData"]["name"]["givenName"], "Lena")
        self.assertEqual([e["value"] for e in c["contactData"]["emails"]], ["lena@client.example"])
        self.assertEqual(c["contactMetadata"]["sharedBy"], [str(self.uid)])
        # it is the team's, not the member's own
        self.assertEqual(rpc(self, "contacts.scroll", {}, self.token).json["contacts"], [])
        self.assertEqual(sql1("SELECT user_id FROM privacybee.contacts WHERE id = %s", int(c["contactId"])),
                         self.account())
        # a coworker's change through Contacts+ is the card's new content and ETag
        u = rpc(self, "contacts.update", {"teamId": str(self.team), "contact": {
            "contactId": c["contactId"], "etag": c["etag"], "contactData": {
                **c["contactData"], "name": {"givenName": "Lena", "familyName": "Changed"}}}}, self.b_token)
        self.assertStatus(u, 200)
        got = self.dav("GET", self.tbook + "lead.vcf")
        self.assertEqual(got.header("ETag"), f'"{u.json["contact"]["etag"]}"')
        self.assertIn(b"N:Changed;Lena", got.data)
        self.assertIn(b"UID:uid-lead", got.data)

    def test_a_team_contact_made_through_contacts_plus_is_a_card_of_the_team_book(self):
        _, token = self.tsynced()
        made = rpc(self, "contacts.create", {"teamId": str(self.team), "contact": {
            "contactData": {"name": {"givenName": "Made", "familyName": "ViaRpc"}}}}, self.b_token)
        self.assertStatus(made, 200)
        c = made.json["contact"]
        href = self.tbook + f"{c['contactId']}.vcf"
        changes, token = self.tsynced(token)
        self.assertEqual(list(changes), [href])
        got = self.dav("GET", href)
        self.assertStatus(got, 200)
        self.assertEqual(got.header("ETag"), f'"{c["etag"]}"')
        self.assertIn(f"UID:privacybee-{c['contactId']}".encode(), got.data)
        # and If-Match works across both: the RPC's etag is the card's
        r = self.tput(f"{c['contactId']}.vcf", vcard(f"privacybee-{c['contactId']}", "Made Over Dav",
                                                                     extra="N:Dav;Made;;;\r\n"),
                      **{"If-Match": got.header("ETag")})
        self.assertStatus(r, 204)
        seen = rpc(self, "contacts.get", {"teamId": str(self.team), "contactIds": [c["contactId"]]}, self.b_token)
        self.assertEqual(seen.json["contacts"][0]["contactData"]["name"]["familyName"], "Dav")
        self.assertEqual(seen.json["contacts"][0]["etag"], r.header("ETag").strip('"'))
        # a deletion through Contacts+ is a 404 entry of the next sync
        d = rpc(self, "contacts.delete", {"teamId": str(self.team), "contactId": c["contactId"],
                                          "etag": r.header("ETag").strip('"')}, self.b_token)
        self.assertStatus(d, 200)
        changes, _ = self.tsynced(token)
        self.assertEqual(changes, {href: {"status": "HTTP/1.1 404 Not Found"}})

    def test_a_card_saved_in_the_team_book_screens_a_coworkers_calls(self):
        coworker, _, buzz = buzz_member("Screened")
        sql("SELECT privacybee.add_employee(%s, %s)", self.team, coworker)
        caller = fresh_phone()
        lookup = lambda: self.req("GET", "/apps/buzz/trust-lookup?" + urllib.parse.urlencode(
            call(buzz, caller)), service_token()).json["trusted"]
        self.assertFalse(lookup())
        self.assertStatus(self.tput("client.vcf", vcard("client", "Client", caller)), 201)
        self.assertTrue(lookup())
        self.assertStatus(self.dav("DELETE", self.tbook + "client.vcf"), 204)
        self.assertFalse(lookup())
        self.assertEqual(sql("SELECT * FROM privacybee.trust_verify()"), [])


class TestTeamBookAccess(TeamBookTest):
    def every_method(self, base):
        sync = ('<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level>'
                '<d:prop><d:getetag/></d:prop></d:sync-collection>')
        return (("PROPFIND", base, None, None), ("REPORT", base, sync, XML),
                ("PROPFIND", base + "c.vcf", None, None), ("GET", base + "c.vcf", None, None),
                ("PUT", base + "c.vcf", vcard("c", "Taken"), "text/vcard"),
                ("PUT", base + "new.vcf", vcard("new", "New"), "text/vcard"),
                ("DELETE", base + "c.vcf", None, None))

    def test_a_member_of_another_company_gets_404_for_the_team_book_and_its_cards(self):
        self.assertStatus(self.tput("c.vcf", vcard("c", "Client", extra="N:;Client;;;\r\n")), 201)
        x, x_token = member("Xia", "Outsider", scopes=TEAM_SCOPES)
        other = sql1("SELECT privacybee.create_company('Other Co', %s)", unique("dav-other"))
        sql("SELECT privacybee.add_employee(%s, %s)", other, x)
        before = sql1("SELECT count(*) FROM privacybee.contacts")
        self.assertNotIn(f"/dav/{x}/team-{self.team}/", self.home(x_token, x))
        for base in (f"/dav/{x}/team-{self.team}/", self.tbook, f"/dav/{x}/team-99999999999/",
                     f"/dav/{x}/team-0/"):
            for method, path, body, ctype in self.every_method(base):
                with self.subTest(method=method, path=path):
                    r = self.dav(method, path, body, ctype=ctype, token=x_token, headers={"Depth": "0"})
                    err = self.assertError(r, 404)
                    self.assertNotIn(b"Client", r.data)
                    # a WebDAV request has no teamId field: its 404 names none
                    self.assertNotIn("details", err)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.contacts"), before)
        self.assertEqual([c["contactData"]["name"]["givenName"] for c in self.team_contacts()], ["Client"])

    def test_a_member_who_leaves_the_team_loses_its_book_at_once(self):
        self.assertStatus(self.tput("c.vcf", vcard("c", "Client", extra="N:;Client;;;\r\n")), 201)
        self.assertIn(self.b_tbook, self.home(self.b_token, self.b))
        self.assertStatus(self.as_b("GET", self.b_tbook + "c.vcf"), 200)
        sql("DELETE FROM privacybee.employees WHERE company_id = %s AND person_id = %s", self.team, self.b)
        self.assertEqual(sorted(self.home(self.b_token, self.b)), sorted([f"/dav/{self.b}/",
                                                                          f"/dav/{self.b}/contacts/"]))
        before = sql1("SELECT count(*) FROM privacybee.contacts")
        for method, path, body, ctype in self.every_method(self.b_tbook):
            with self.subTest(method=method, path=path):
                r = self.as_b(method, path, body, ctype=ctype, headers={"Depth": "0"})
                self.assertNotIn("details", self.assertError(r, 404))
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.contacts"), before)
        # Ann still works there
        self.assertStatus(self.dav("GET", self.tbook + "c.vcf"), 200)
        # and joining again brings the book back
        sql("SELECT privacybee.add_employee(%s, %s)", self.team, self.b)
        self.assertStatus(self.as_b("GET", self.b_tbook + "c.vcf"), 200)


class TestTeamBookRoutes(unittest.TestCase):
    """The registry's team-{id} segment (api/registry.py): a literal prefix and an id, one
    segment, checked for overlap with every other route as whole segments are."""

    def load(self, *lines):
        with tempfile.NamedTemporaryFile("w", suffix=".routes", delete=False) as f:
            f.write("scope contacts:read member | read my contacts\n")
            for line in lines:
                f.write(line + "\n")
        try:
            return registry.load(f.name)
        finally:
            os.unlink(f.name)

    def route(self, path):
        return f"PROPFIND {path} api_dav_x contacts:read dav 207:Multistatus | x"

    def test_a_prefixed_id_segment_is_a_path_and_matches_what_its_id_matches(self):
        [r] = self.load(self.route("/dav/{id}/team-{id}/"))
        self.assertRegex("/dav/12/team-34/", r.path_regex)
        self.assertRegex("/dav/12/team-34", r.path_regex)
        for path in ("/dav/12/team-/", "/dav/12/team-x/", "/dav/12/teams-3/", "/dav/12/team-3/x"):
            self.assertNotRegex(path, r.path_regex)

    def test_a_prefixed_id_overlapping_another_route_is_refused(self):
        for other in ("/dav/{id}/{name}", "/dav/{id}/team-7/"):
            with self.subTest(other=other):
                with self.assertRaises(registry.RegistryError):
                    self.load(self.route("/dav/{id}/team-{id}/"), self.route(other))
        self.assertEqual(len(self.load(self.route("/dav/{id}/team-{id}/"), self.route("/dav/{id}/contacts/"))), 2)
        for bad in ("/dav/{id}/team{id}/", "/dav/{id}/team-{name}/", "/dav/{id}/{id}-team/"):
            with self.subTest(bad=bad):
                with self.assertRaises(registry.RegistryError):
                    self.load(self.route(bad))
