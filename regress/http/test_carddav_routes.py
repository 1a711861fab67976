"""CardDAV routes (SPEC §15), method by method: discovery, HTTP Basic with the token as the
app password, PROPFIND, GET/PUT/DELETE of cards with their preconditions, the REPORTs
(addressbook-multiget, addressbook-query, sync-collection), another member's address book
(404), a card that is a contact through REST and screens calls, and hostile input (XML
and vCard) answered 400/413 with nothing written."""
import base64
import re
import threading
import urllib.parse
import xml.etree.ElementTree as ET

import psycopg2

from harness import ApiTest, Client, dav_routes, fresh_phone, member, member_connect, member_sql, service_token, sql, sql1, unique


def waiting_or_done(uid, done):
    """True once some backend of the database holding member uid's rows (their shard in
    the sharded layout) waits for a lock, or done is set."""
    return done.is_set() or member_sql(uid, "SELECT count(*) > 0 FROM pg_catalog.pg_stat_activity "
                                       "WHERE datname = current_database() AND wait_event_type = 'Lock'")[0][0]
from test_buzz import buzz_member, call

D = "{DAV:}"
C = "{urn:ietf:params:xml:ns:carddav}"
XML = "application/xml; charset=utf-8"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def vcard(uid, fn, phone=None, version="3.0", extra=""):
    tel = f"TEL;TYPE=CELL:{phone}\r\n" if phone else ""
    return (f"BEGIN:VCARD\r\nVERSION:{version}\r\nUID:{uid}\r\nFN:{fn}\r\n{tel}{extra}"
            "END:VCARD\r\n").encode()


class DavTest(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member("Dav", "Member")
        self.book = f"/dav/{self.uid}/contacts/"

    def dav(self, method, path, body=None, ctype=XML, user=None, token=None, headers=None):
        h = {"Authorization": basic("" if user is None else user, token or self.token)}
        h.update(headers or {})
        if body is not None and ctype:
            h["Content-Type"] = ctype
        data = body.encode() if isinstance(body, str) else body
        return self.req(method, path, raw=data, headers=h)

    def put(self, name, card, **headers):
        return self.dav("PUT", self.book + name, card, ctype="text/vcard", headers=headers)

    def multistatus(self, r):
        self.assertStatus(r, 207)
        self.assertTrue(r.header("Content-Type").startswith("application/xml"))
        return ET.fromstring(r.data)

    def responses(self, r):
        """{href: {property: element or status}} of a 207."""
        out = {}
        for resp in self.multistatus(r).findall(D + "response"):
            href = resp.find(D + "href").text
            props = {}
            status = resp.find(D + "status")
            if status is not None:
                props["status"] = status.text
            for ps in resp.findall(D + "propstat"):
                code = ps.find(D + "status").text.split()[1]
                for p in ps.find(D + "prop"):
                    props[p.tag] = p if code == "200" else code
            out[href] = props
        return out

    def contacts(self):
        return sql1("SELECT count(*) FROM privacybee.contacts WHERE user_id = %s", self.uid)

    def seq(self):
        return sql1("SELECT COALESCE((SELECT seq FROM privacybee.contact_sync_seqs WHERE user_id = %s), 0)",
                    self.uid)

    def sync(self, token="", props="<d:getetag/>"):
        body = (f'<d:sync-collection xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
                f'<d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>'
                f'<d:prop>{props}</d:prop></d:sync-collection>')
        return self.dav("REPORT", self.book, body)

    def synced(self, token=""):
        """(responses, new token) of a sync-collection."""
        r = self.sync(token)
        root = self.multistatus(r)
        return self.responses(r), root.find(D + "sync-token").text


class TestDiscovery(DavTest):
    def test_well_known_redirects_to_the_service_root_without_a_token(self):
        for method in ("GET", "PROPFIND"):
            r = self.req(method, "/.well-known/carddav")
            self.assertStatus(r, 301)
            self.assertEqual(r.header("Location"), "/dav/")

    def test_options_says_dav_1_3_addressbook_everywhere(self):
        for path in ("/", "/.well-known/carddav", "/dav/", f"/dav/{self.uid}/", self.book, self.book + "x.vcf"):
            r = self.req("OPTIONS", path)
            self.assertStatus(r, 200)
            self.assertEqual(r.header("DAV"), "1, 3, addressbook")
            self.assertIn("PROPFIND", r.header("Allow"))   # exactly which: the next test

    def test_options_allow_is_the_same_list_a_405_on_the_path_names(self):
        # one home for a resource's methods (the route registry): OPTIONS and a 405 agree,
        # for each kind of resource, and it lists exactly what the path routes
        team = sql1("SELECT privacybee.create_company(%s, %s)", "Allow Co", unique("allow"))
        card = "OPTIONS, PROPFIND, GET, HEAD, PUT, DELETE"
        book = "OPTIONS, PROPFIND, REPORT"
        for path, methods in (("/.well-known/carddav", "OPTIONS, GET, HEAD, PROPFIND"),
                              ("/", None), ("/dav/", "OPTIONS, PROPFIND"),
                              (f"/dav/{self.uid}/", "OPTIONS, PROPFIND"),
                              (self.book, book), (self.book + "x.vcf", card),
                              (f"/dav/{self.uid}/team-{team}/", book), (f"/dav/{self.uid}/team-{team}/x.vcf", card)):
            with self.subTest(path=path):
                options = self.req("OPTIONS", path)
                self.assertStatus(options, 200)
                refused = self.req("MKCOL", path)
                self.assertError(refused, 405)
                allow = options.header("Allow")
                self.assertEqual(allow, refused.header("Allow"))
                if methods:
                    self.assertEqual(sorted(allow.split(", ")), sorted(methods.split(", ")))
                for method in allow.split(", "):
                    self.assertNotEqual(self.req(method, path).status, 405, method)

    def test_root_names_the_principal_and_the_principal_names_the_home(self):
        body = ('<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>')
        root = self.responses(self.dav("PROPFIND", "/dav/", body, headers={"Depth": "0"}))
        principal = root["/dav/"][D + "current-user-principal"].find(D + "href").text
        self.assertEqual(principal, f"/dav/{self.uid}/")
        # a client given only the host asks the server's root
        host = self.responses(self.dav("PROPFIND", "/", body, headers={"Depth": "0"}))
        self.assertEqual(host["/"][D + "current-user-principal"].find(D + "href").text, principal)
        body = ('<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop>'
                '<c:addressbook-home-set/><d:resourcetype/><d:displayname/></d:prop></d:propfind>')
        home = self.responses(self.dav("PROPFIND", principal, body, headers={"Depth": "1"}))
        self.assertEqual(home[principal][C + "addressbook-home-set"].find(D + "href").text, principal)
        self.assertIsNotNone(home[self.book][D + "resourcetype"].find(C + "addressbook"))
        self.assertEqual(home[self.book][D + "displayname"].text, "Contacts")

    def test_book_says_its_tokens_and_address_data_and_lists_cards_at_depth_1(self):
        self.assertStatus(self.put("a.vcf", vcard("u-a", "Ann")), 201)
        body = ('<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav" '
                'xmlns:cs="http://calendarserver.org/ns/"><d:prop><d:getetag/><cs:getctag/><d:sync-token/>'
                '<c:supported-address-data/><d:resourcetype/><d:x-unknown/></d:prop></d:propfind>')
        book = self.responses(self.dav("PROPFIND", self.book, body, headers={"Depth": "0"}))
        self.assertEqual(list(book), [self.book])
        props = book[self.book]
        self.assertEqual(props["{http://calendarserver.org/ns/}getctag"].text, props[D + "sync-token"].text)
        versions = {e.get("version") for e in props[C + "supported-address-data"]}
        self.assertEqual(versions, {"3.0", "4.0"})
        self.assertEqual(props[D + "x-unknown"], "404")
        listed = self.responses(self.dav("PROPFIND", self.book, body, headers={"Depth": "1"}))
        self.assertEqual(sorted(listed), [self.book, self.book + "a.vcf"])
        self.assertEqual(listed[self.book + "a.vcf"][D + "getetag"].text,
                         self.dav("GET", self.book + "a.vcf").header("ETag"))

    def test_propfind_without_a_body_is_allprop_and_a_bad_depth_is_400(self):
        props = self.responses(self.dav("PROPFIND", self.book, headers={"Depth": "0"}))[self.book]
        self.assertIn(D + "sync-token", props)
        self.assertError(self.dav("PROPFIND", self.book, headers={"Depth": "2"}), 400)


class TestAuthentication(DavTest):
    def test_no_credentials_or_a_wrong_token_is_401_with_a_basic_challenge(self):
        for auth in (None, basic("", "pb_wrong"), basic(str(self.uid), ""), "Basic !!!", "Digest x"):
            with self.subTest(auth=auth):
                r = self.req("PROPFIND", self.book, headers={"Authorization": auth} if auth else {})
                self.assertError(r, 401)
                self.assertRegex(r.header("WWW-Authenticate"), r'^Basic realm="privacybee"')

    def test_unusable_basic_credentials_are_401_saying_what_is_wrong_with_them(self):
        no_colon = "Basic " + base64.b64encode(self.token.encode()).decode()
        team = sql1("SELECT privacybee.create_company(%s, %s)", "Basic Co", unique("basic"))
        for auth, problem in ((no_colon, "malformed"), ("Basic !!!", "malformed"),
                              ("Basic " + base64.b64encode(b"1:\x01").decode(), "malformed"),
                              ("Basic " + "QUJD" * 300, "malformed"),   # longer than any token
                              (basic(str(self.uid), ""), "password is empty"), (basic("", ""), "password is empty")):
            for method, path in (("PROPFIND", "/dav/"), ("PROPFIND", self.book), ("GET", self.book + "x.vcf"),
                                 ("REPORT", f"/dav/{self.uid}/team-{team}/"), ("DELETE", self.book + "x.vcf")):
                with self.subTest(auth=auth[:30], path=path):
                    r = self.req(method, path, headers={"Authorization": auth})
                    err = self.assertError(r, 401)
                    self.assertIn("Basic", err["message"])
                    self.assertIn(problem, err["message"])
                    self.assertNotIn("bearer", err["message"])
                    self.assertRegex(r.header("WWW-Authenticate"), r'^Basic realm="privacybee"')
        # a route that needs no token is not refused for them
        self.assertStatus(self.req("OPTIONS", self.book, headers={"Authorization": no_colon}), 200)

    def test_the_user_name_is_the_members_id_or_empty(self):
        self.assertStatus(self.dav("PROPFIND", self.book, user=str(self.uid), headers={"Depth": "0"}), 207)
        self.assertStatus(self.dav("PROPFIND", self.book, user="", headers={"Depth": "0"}), 207)
        other, _ = member()
        for user in (str(other), "someone", f"{self.uid}x"):
            with self.subTest(user=user):
                r = self.dav("PROPFIND", self.book, user=user, headers={"Depth": "0"})
                self.assertError(r, 401)
                self.assertTrue(r.header("WWW-Authenticate").startswith("Basic "))

    def test_a_bearer_token_works_too(self):
        r = self.req("PROPFIND", self.book, self.token, headers={"Depth": "0"})
        self.assertStatus(r, 207)

    def test_a_read_only_token_reads_but_cannot_write(self):
        uid, reader = member(scopes=["contacts:read"])
        r = self.req("PUT", f"/dav/{uid}/contacts/x.vcf", raw=vcard("x", "X"),
                     headers={"Authorization": basic("", reader), "Content-Type": "text/vcard"})
        self.assertError(r, 403)
        r = self.req("PROPFIND", f"/dav/{uid}/contacts/", headers={"Authorization": basic("", reader), "Depth": "0"})
        self.assertStatus(r, 207)


class TestAnotherMembersBook(DavTest):
    def test_another_members_book_and_cards_are_404_as_missing_ones(self):
        other, other_token = member()
        r = self.req("PUT", f"/dav/{other}/contacts/theirs.vcf", raw=vcard("t", "Theirs"),
                     headers={"Authorization": basic("", other_token), "Content-Type": "text/vcard"})
        self.assertStatus(r, 201)
        theirs = f"/dav/{other}/contacts/theirs.vcf"
        for method, path, body, ctype in (
                ("PROPFIND", f"/dav/{other}/", None, None),
                ("PROPFIND", f"/dav/{other}/contacts/", None, None),
                ("REPORT", f"/dav/{other}/contacts/",
                 '<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:prop><d:getetag/></d:prop></d:sync-collection>', XML),
                ("PROPFIND", theirs, None, None), ("GET", theirs, None, None),
                ("PUT", theirs, vcard("t", "Mine now"), "text/vcard"), ("DELETE", theirs, None, None),
                ("GET", f"/dav/99999999999/contacts/theirs.vcf", None, None)):
            with self.subTest(method=method, path=path):
                self.assertError(self.dav(method, path, body, ctype=ctype, headers={"Depth": "0"}), 404)
        self.assertEqual(sql1("SELECT display_name FROM privacybee.contacts WHERE user_id = %s", other), "Theirs")


class TestCards(DavTest):
    def test_put_creates_then_replaces_and_get_answers_the_version_asked(self):
        r = self.put("card%20one.vcf", vcard("uid-1", "Ann One", "+12125550111"), **{"If-None-Match": "*"})
        self.assertStatus(r, 201)
        etag = r.header("ETag")
        got = self.dav("GET", self.book + "card%20one.vcf")
        self.assertStatus(got, 200)
        self.assertEqual(got.header("ETag"), etag)
        self.assertTrue(got.header("Content-Type").startswith("text/vcard"))
        self.assertIn(b"\r\nVERSION:3.0\r\n", got.data)
        self.assertIn(b"\r\nUID:uid-1\r\n", got.data)
        four = self.dav("GET", self.book + "card%20one.vcf", headers={"Accept": "text/vcard; version=4.0"})
        self.assertIn(b"\r\nVERSION:4.0\r\n", four.data)
        self.assertStatus(self.dav("GET", self.book + "card%20one.vcf", headers={"If-None-Match": etag}), 304)
        head = self.dav("HEAD", self.book + "card%20one.vcf")
        self.assertStatus(head, 200)
        self.assertEqual(head.data, b"")
        r = self.put("card%20one.vcf", vcard("uid-1", "Ann Replaced"), **{"If-Match": etag})
        self.assertStatus(r, 204)
        self.assertNotEqual(r.header("ETag"), etag)
        got = self.dav("GET", self.book + "card%20one.vcf")
        self.assertIn(b"\r\nFN:Ann Replaced\r\n", got.data)
        self.assertNotIn(b"TEL", got.data)    # the whole card is replaced: the phone went

    def test_accept_q_values_choose_the_vcard_version_and_q_0_refuses_one(self):
        self.assertStatus(self.put("q.vcf", vcard("uid-q", "Quinn")), 201)
        for accept, version in (("text/vcard; version=4.0;q=0, text/vcard;q=1", "3.0"),
                                ("text/vcard;version=4.0", "4.0"), ("TEXT/VCARD; VERSION=4.0", "4.0"),
                                ('text/vcard;version="4.0"', "4.0"), ("text/vcard", "3.0"), ("*/*", "3.0"),
                                ("text/vcard;version=4.0, text/vcard", "4.0"),
                                ("text/vcard;version=3.0;q=0.5, text/vcard;version=4.0;q=0.6", "4.0"),
                                ("text/vcard;version=4.0;q=0.4, text/vcard;version=3.0;q=0.6", "3.0"),
                                ("text/vcard;version=3.0;q=0, */*", "4.0"),
                                ("text/vcard;version=4.0;q=2", "3.0"),     # a malformed q: the range is ignored
                                ("application/json", "3.0")):               # nothing acceptable: Accept ignored
            with self.subTest(accept=accept):
                got = self.dav("GET", self.book + "q.vcf", headers={"Accept": accept})
                self.assertStatus(got, 200)
                self.assertIn(f"\r\nVERSION:{version}\r\n".encode(), got.data)

    def test_a_mapped_property_the_model_refuses_is_kept_verbatim_not_a_400(self):
        # SPEC §15 "parsed strictly but tolerantly": every mapped property whose value does
        # not fit the contact model is kept as it came, like an unmodelled one
        odd = ["EMAIL:john", "EMAIL;TYPE=work:John Doe <john@example.com>", "EMAIL:",
               "TEL:", "TEL;TYPE=" + "x" * 80 + ":+1 212 555 0133", "URL:",
               "IMPP:xmpp:" + "i" * 1100, "ADR:;;" + "s" * 1100 + ";City;;;",
               "N:" + "f" * 300 + ";Given;;;", "X-ABRELATEDNAMES:", "BDAY:2020-13-45",
               "NOTE:" + "n" * 10001, "CATEGORIES:" + "t" * 70 + ",fine"]
        card = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:odd\r\nFN:Odd Card\r\n"
                "EMAIL:john@example.com \r\nEMAIL;TYPE=home:ok@example.com\r\nTEL:not a number\r\n"
                "URL:https://ok.example/\r\n" + "".join(line + "\r\n" for line in odd) + "END:VCARD\r\n")
        self.assertStatus(self.put("odd.vcf", card.encode()), 201)
        got = self.dav("GET", self.book + "odd.vcf").data.decode()
        unfolded = got.replace("\r\n ", "")
        for line in odd:
            self.assertIn("\r\n" + line + "\r\n", unfolded, line[:40])
        cid = sql1("SELECT id FROM privacybee.contacts WHERE user_id = %s AND external_id = 'odd'", self.uid)
        rest = self.req("GET", f"/contacts/{cid}", self.token).json
        # what fits is the contact's: the trailing blank trimmed, a number stored as written
        self.assertEqual(rest["email"], ["john@example.com", "ok@example.com"])
        self.assertEqual([p["value"] for p in rest["details"]["phone_numbers"]], ["not a number"])
        self.assertEqual([u["value"] for u in rest["details"]["urls"]], ["https://ok.example/"])
        self.assertFalse(any((rest["details"]["name"] or {}).values()))
        self.assertIsNone(rest["details"]["notes"])
        self.assertEqual(rest["details"]["addresses"], [])
        # and a second PUT of what GET gave is the same card again (the round trip holds)
        self.assertStatus(self.put("odd.vcf", got.encode()), 204)
        again = self.dav("GET", self.book + "odd.vcf").data.decode().replace("\r\n ", "")
        for line in odd:
            self.assertIn("\r\n" + line + "\r\n", again, line[:40])
        self.assertEqual(self.req("GET", f"/contacts/{cid}", self.token).json["email"],
                         ["john@example.com", "ok@example.com"])

    def test_apples_grouped_labels_keep_their_group_on_mapped_properties(self):
        grouped = ["item1.TEL;TYPE=PREF:+1 415 555 0190", "item1.X-ABLabel:Assistant",
                   "item2.EMAIL;TYPE=INTERNET:a@b.example", "item2.X-ABLabel:_$!<Other>!$_",
                   "item3.ADR;TYPE=HOME:;;1 Main St;Town;;12345;US", "item3.X-ABADR:us",
                   "item4.URL:https://x.example/", "item4.X-ABLabel:blog",
                   "item5.IMPP:xmpp:a@b.example", "item5.X-ABLabel:chat"]
        card = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:apple\r\nFN:Apple Card\r\n"
                + "".join(line + "\r\n" for line in grouped)
                + "TEL;TYPE=CELL:+1 415 555 0191\r\nEND:VCARD\r\n")
        self.assertStatus(self.put("apple.vcf", card.encode()), 201)
        got = self.dav("GET", self.book + "apple.vcf").data.decode()
        for line in grouped:
            self.assertIn("\r\n" + line.replace("TYPE=INTERNET", "TYPE=INTERNET;TYPE=PREF") + "\r\n", got)
        # the ungrouped number stays ungrouped; 4.0 keeps the groups too
        self.assertIn("\r\nTEL;TYPE=CELL:+1 415 555 0191\r\n", got)
        four = self.dav("GET", self.book + "apple.vcf", headers={"Accept": "text/vcard; version=4.0"}).data.decode()
        for prefix in ("item1.TEL", "item2.EMAIL", "item3.ADR", "item4.URL", "item5.IMPP"):
            self.assertIn("\r\n" + prefix, four)
        # a round trip of what GET gave is the same card
        self.assertStatus(self.put("apple.vcf", got.encode()), 204)
        self.assertEqual(self.dav("GET", self.book + "apple.vcf").data.decode().split("REV:")[0], got.split("REV:")[0])
        # a value changed elsewhere (REST) is no longer the one the group was on: plain again
        cid = sql1("SELECT id FROM privacybee.contacts WHERE user_id = %s AND external_id = 'apple'", self.uid)
        r = self.req("PATCH", f"/contacts/{cid}", self.token,
                     body={"details": {"emails": [{"value": "new@b.example"}]}})
        self.assertStatus(r, 200)
        after = self.dav("GET", self.book + "apple.vcf").data.decode()
        self.assertIn("\r\nEMAIL;TYPE=INTERNET;TYPE=PREF:new@b.example\r\n", after)
        self.assertIn("\r\nitem1.TEL;TYPE=PREF:+1 415 555 0190\r\n", after)

    def test_a_card_is_a_contact_through_rest_with_one_etag(self):
        r = self.put("c.vcf", vcard("uid-c", "Cara", "+1 212 555 0122", extra="EMAIL;TYPE=WORK:c@w.example\r\n"))
        cid = sql1("SELECT id FROM privacybee.contacts WHERE user_id = %s AND external_id = 'uid-c'", self.uid)
        rest = self.req("GET", f"/contacts/{cid}", self.token)
        self.assertStatus(rest, 200)
        self.assertEqual(rest.header("ETag"), r.header("ETag"))
        self.assertEqual(rest.json["phone"], ["+12125550122"])
        self.assertEqual(rest.json["email"], ["c@w.example"])
        self.assertEqual(rest.json["external_id"], "uid-c")
        # a change through REST is the card's new ETag and content
        changed = self.req("PATCH", f"/contacts/{cid}", self.token, body={"display_name": "Cara REST"})
        got = self.dav("GET", self.book + "c.vcf")
        self.assertEqual(got.header("ETag"), changed.header("ETag"))
        self.assertIn(b"FN:Cara REST", got.data)
        # a contact made through REST is a card too, named by its id, its UID privacybee's
        made = self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "Rest Made"}]).json[0]
        got = self.dav("GET", self.book + f"{made['id']}.vcf")
        self.assertStatus(got, 200)
        self.assertIn(f"UID:privacybee-{made['id']}".encode(), got.data)

    def test_a_card_saved_over_carddav_screens_calls_at_once(self):
        uid, token, buzz = buzz_member("Screen")
        caller = fresh_phone()
        service = service_token()
        lookup = lambda: self.req("GET", "/apps/buzz/trust-lookup?" + urllib.parse.urlencode(call(buzz, caller)),
                                  service)
        self.assertEqual(lookup().json["trusted"], False)
        r = self.req("PUT", f"/dav/{uid}/contacts/friend.vcf", raw=vcard("friend", "Friend", caller),
                     headers={"Authorization": basic("", token), "Content-Type": "text/vcard"})
        self.assertStatus(r, 201)
        self.assertEqual(lookup().json, {"trusted": True, "user_id": uid})
        r = self.req("DELETE", f"/dav/{uid}/contacts/friend.vcf", headers={"Authorization": basic("", token)})
        self.assertStatus(r, 204)
        self.assertEqual(lookup().json["trusted"], False)

    def test_an_inline_photo_is_the_contacts_photo_and_a_photo_by_url_stays_verbatim(self):
        png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")
        line = "PHOTO;ENCODING=b;TYPE=PNG:" + base64.b64encode(png).decode()
        self.assertStatus(self.put("ph.vcf", vcard("ph", "Phil", extra=line + "\r\n")), 201)
        cid = sql1("SELECT id FROM privacybee.contacts WHERE user_id = %s AND external_id = 'ph'", self.uid)
        rest = self.req("GET", f"/contacts/{cid}", self.token).json
        self.assertEqual(rest["profile_icon"], f"/contacts/{cid}/photo")
        got = self.req("GET", f"/contacts/{cid}/photo", self.token)
        self.assertEqual((got.header("Content-Type"), got.data), ("image/png", png))
        four = self.dav("GET", self.book + "ph.vcf", headers={"Accept": "text/vcard; version=4.0"})
        self.assertIn("PHOTO:data:image/png;base64," + base64.b64encode(png).decode(),
                      re.sub(r"\r\n ", "", four.data.decode()))
        # a photo by reference, or one that is no image privacybee reads, is kept as it came
        for kept in ("PHOTO;VALUE=uri:https://photos.example/p.jpg", "PHOTO;ENCODING=b;TYPE=GIF:R0lGODlhAQABAAAAACw="):
            with self.subTest(kept=kept):
                self.assertStatus(self.put("ph.vcf", vcard("ph", "Phil", extra=kept + "\r\n")), 204)
                self.assertIn(kept, re.sub(r"\r\n ", "", self.dav("GET", self.book + "ph.vcf").data.decode()))
                self.assertIsNone(self.req("GET", f"/contacts/{cid}", self.token).json["profile_icon"])

    def test_preconditions_fail_with_412_and_change_nothing(self):
        etag = self.put("p.vcf", vcard("uid-p", "Pat")).header("ETag")
        before = sql1("SELECT version FROM privacybee.contacts WHERE user_id = %s AND external_id = 'uid-p'", self.uid)
        for headers in ({"If-None-Match": "*"}, {"If-Match": '"v999"'}, {"If-Match": "W/" + etag}):
            with self.subTest(headers=headers):
                self.assertError(self.put("p.vcf", vcard("uid-p", "Changed"), **headers), 412)
        self.assertError(self.put("missing.vcf", vcard("uid-m", "M"), **{"If-Match": etag}), 412)
        self.assertError(self.dav("DELETE", self.book + "p.vcf", headers={"If-Match": '"v999"'}), 412)
        after = sql1("SELECT version FROM privacybee.contacts WHERE user_id = %s AND external_id = 'uid-p'", self.uid)
        self.assertEqual(before, after)
        self.assertIsNone(sql1("SELECT id FROM privacybee.contacts WHERE external_id = 'uid-m' AND user_id = %s",
                               self.uid))

    def test_a_uid_another_card_has_is_409_no_uid_conflict(self):
        self.put("first.vcf", vcard("same-uid", "First"))
        r = self.put("second.vcf", vcard("same-uid", "Second"))
        self.assertStatus(r, 409)
        self.assertIn(b"no-uid-conflict", r.data)
        self.assertIn(self.book.encode() + b"first.vcf", r.data)
        self.assertEqual(self.contacts(), 1)

    def test_a_new_card_cannot_take_a_name_of_the_id_form(self):
        r = self.put("123456.vcf", vcard("n", "N"))
        self.assertStatus(r, 409)
        # privacybee's own precondition (RFC 4918 §16), saying what happened — not a lock's
        condition = ET.fromstring(r.data).find("{urn:privacybee:dav}id-name-reserved")
        self.assertIsNotNone(condition, r.data)
        self.assertIn("<id>.vcf", condition.text)
        self.assertNotIn(b"lock", r.data)
        self.assertEqual(self.contacts(), 0)

    def test_a_contact_made_elsewhere_has_one_url_its_canonical_id_name(self):
        made = self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "Canon"}]).json[0]
        canonical = f"{made['id']}.vcf"
        self.assertStatus(self.dav("GET", self.book + canonical), 200)
        for other in (f"0{made['id']}.vcf", f"00{made['id']}.vcf", f"{made['id']}.VCF", f"+{made['id']}.vcf"):
            with self.subTest(name=other):
                self.assertError(self.dav("GET", self.book + other), 404)
                self.assertError(self.dav("DELETE", self.book + other), 404)
                self.assertEqual(self.dav("PROPFIND", self.book + other, headers={"Depth": "0"}).status, 404)
        # a name with a leading zero names no contact, so a client may create a card under it
        self.assertStatus(self.put(f"0{made['id']}.vcf", vcard("zero", "Zero"), **{"If-None-Match": "*"}), 201)
        self.assertIn(b"FN:Canon", self.dav("GET", self.book + canonical).data)
        self.assertIn(b"FN:Zero", self.dav("GET", self.book + f"0{made['id']}.vcf").data)

    def test_bad_cards_are_400_or_415_and_write_nothing(self):
        for body, ctype, status in (
                (b"not a vcard", "text/vcard", 400),
                (b"BEGIN:VCARD\r\nVERSION:9.9\r\nFN:x\r\nEND:VCARD\r\n", "text/vcard", 400),
                (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\xff\r\nEND:VCARD\r\n", "text/vcard", 400),
                (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:a\x00b\r\nEND:VCARD\r\n", "text/vcard", 400),
                (vcard("u", "x" * 300), "text/vcard", 400),
                (vcard("u", "Fine"), "application/json", 415),
                (vcard("u", "Fine"), None, 415)):
            with self.subTest(body=body[:40], ctype=ctype):
                r = self.dav("PUT", self.book + "bad.vcf", body, ctype=ctype)
                self.assertError(r, status)
        self.assertEqual(self.contacts(), 0)
        self.assertEqual(self.seq(), 0)

    def test_delete_leaves_a_tombstone_and_the_card_is_gone(self):
        etag = self.put("d.vcf", vcard("uid-d", "Dee")).header("ETag")
        cid = sql1("SELECT id FROM privacybee.contacts WHERE user_id = %s AND external_id = 'uid-d'", self.uid)
        self.assertStatus(self.dav("DELETE", self.book + "d.vcf", headers={"If-Match": etag}), 204)
        self.assertError(self.dav("GET", self.book + "d.vcf"), 404)
        self.assertError(self.dav("DELETE", self.book + "d.vcf"), 404)
        listed = self.req("GET", "/contacts?include_deleted=true", self.token).json
        self.assertIn({"id": cid, "deleted": True}, [{k: c[k] for k in ("id", "deleted") if k in c} for c in listed])
        # the same name and UID may be created again
        self.assertStatus(self.put("d.vcf", vcard("uid-d", "Dee again"), **{"If-None-Match": "*"}), 201)


class TestReports(DavTest):
    def test_multiget_answers_each_href_with_its_card_or_404(self):
        self.put("m1.vcf", vcard("m1", "Mia", extra="X-KEEP:this\r\n"))
        self.put("m2.vcf", vcard("m2", "Max"))
        body = ('<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
                '<d:prop><d:getetag/><c:address-data version="4.0"/></d:prop>'
                f'<d:href>{self.book}m1.vcf</d:href><d:href>{self.book}m2.vcf</d:href>'
                f'<d:href>{self.book}nope.vcf</d:href><d:href>/elsewhere/x.vcf</d:href>'
                '</c:addressbook-multiget>')
        got = self.responses(self.dav("REPORT", self.book, body, headers={"Depth": "1"}))
        data = got[self.book + "m1.vcf"][C + "address-data"].text
        self.assertIn("VERSION:4.0\r\n", data)
        self.assertIn("X-KEEP:this\r\n", data)
        self.assertIn("FN:Max", got[self.book + "m2.vcf"][C + "address-data"].text)
        self.assertEqual(got[self.book + "nope.vcf"]["status"], "HTTP/1.1 404 Not Found")
        self.assertEqual(got["/elsewhere/x.vcf"]["status"], "HTTP/1.1 404 Not Found")

    def test_query_text_matches_fn_email_and_tel(self):
        self.put("q1.vcf", vcard("q1", "Quinn Adams", "+1 212 555 0144", extra="EMAIL:quinn@a.example\r\n"))
        self.put("q2.vcf", vcard("q2", "Rae Baker", "+1 212 555 0155"))

        def query(filter_xml):
            body = ('<c:addressbook-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
                    f'<d:prop><d:getetag/></d:prop><c:filter {filter_xml}</c:filter></c:addressbook-query>')
            return sorted(h.rsplit("/", 1)[1] for h in self.responses(self.dav("REPORT", self.book, body)))

        self.assertEqual(query('><c:prop-filter name="FN"><c:text-match>quinn</c:text-match></c:prop-filter>'),
                         ["q1.vcf"])
        self.assertEqual(query('><c:prop-filter name="EMAIL"><c:text-match match-type="ends-with">'
                               'a.example</c:text-match></c:prop-filter>'), ["q1.vcf"])
        self.assertEqual(query('><c:prop-filter name="TEL"><c:text-match match-type="contains">'
                               '5550155</c:text-match></c:prop-filter>'), ["q2.vcf"])
        self.assertEqual(query('><c:prop-filter name="FN"><c:text-match negate-condition="yes">'
                               'quinn</c:text-match></c:prop-filter>'), ["q2.vcf"])
        self.assertEqual(query('test="anyof"><c:prop-filter name="FN"><c:text-match match-type="starts-with">rae'
                               '</c:text-match></c:prop-filter><c:prop-filter name="FN"><c:text-match>adams'
                               '</c:text-match></c:prop-filter>'), ["q1.vcf", "q2.vcf"])
        self.assertEqual(query('test="allof"><c:prop-filter name="FN"><c:text-match>rae</c:text-match>'
                               '</c:prop-filter><c:prop-filter name="TEL"><c:text-match>0144</c:text-match>'
                               '</c:prop-filter>'), [])

    def test_query_text_match_folds_unicode_case_in_a_c_locale_database(self):
        # i;unicode-casemap (RFC 6352 §8.3) by privacybee.casefold: the test database's
        # LC_CTYPE is C, where lower() would fold ASCII only
        self.put("u1.vcf", vcard("u1", "Ελένη Παπαδοπούλου", extra="EMAIL:ÉMILE@Example.COM\r\n"))
        self.put("u2.vcf", vcard("u2", "Иван Петров"))

        def query(prop, match_type, text):
            body = ('<c:addressbook-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
                    f'<d:prop><d:getetag/></d:prop><c:filter><c:prop-filter name="{prop}">'
                    f'<c:text-match match-type="{match_type}">{text}</c:text-match>'
                    '</c:prop-filter></c:filter></c:addressbook-query>')
            return sorted(h.rsplit("/", 1)[1] for h in self.responses(self.dav("REPORT", self.book, body)))

        self.assertEqual(query("FN", "contains", "ΕΛΈΝΗ"), ["u1.vcf"])
        self.assertEqual(query("FN", "starts-with", "иван"), ["u2.vcf"])
        self.assertEqual(query("FN", "ends-with", "\u041f\u0415\u0422\u0420\u041e\u0412"), ["u2.vcf"])
        self.assertEqual(query("EMAIL", "equals", "émile@example.com"), ["u1.vcf"])

    def test_an_unknown_report_is_403_supported_report(self):
        r = self.dav("REPORT", self.book, '<d:expand-property xmlns:d="DAV:"/>')
        self.assertStatus(r, 403)
        self.assertIn(b"supported-report", r.data)


class TestAddressbookQuery(DavTest):
    """addressbook-query as RFC 6352 §8.6 and §10.5 define it: is-not-defined, test anyof/allof,
    the 403s for what is not served (supported-filter, supported-collation), limit/nresults
    with its 507, partial address-data, and Depth 0."""

    def setUp(self):
        super().setUp()
        self.put("e1.vcf", vcard("e1", "Eve Email", extra="EMAIL:eve@a.example\r\n"))
        self.put("t1.vcf", vcard("t1", "Tom Tel", "+1 212 555 0144"))
        self.put("b1.vcf", vcard("b1", "Bea Both", "+1 212 555 0155", extra="EMAIL:bea@a.example\r\n"))
        self.put("n1.vcf", vcard("n1", "Ned None"))

    def report(self, inner, prop="<d:getetag/>", attrs="", headers=None):
        body = ('<c:addressbook-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
                f'<d:prop>{prop}</d:prop><c:filter {attrs}>{inner}</c:filter></c:addressbook-query>')
        return self.dav("REPORT", self.book, body, headers=headers)

    def names(self, inner, attrs="", headers=None):
        return sorted(h.rsplit("/", 1)[1] for h in self.responses(self.report(inner, attrs=attrs, headers=headers))
                      if h != self.book)

    def test_is_not_defined_matches_the_cards_without_the_property(self):
        undefined = '<c:prop-filter name="{}"><c:is-not-defined/></c:prop-filter>'
        self.assertEqual(self.names(undefined.format("EMAIL")), ["n1.vcf", "t1.vcf"])
        self.assertEqual(self.names(undefined.format("TEL")), ["e1.vcf", "n1.vcf"])
        self.assertEqual(self.names(undefined.format("FN")), [])
        # and a bare prop-filter, the opposite: the cards that have it
        self.assertEqual(self.names('<c:prop-filter name="EMAIL"/>'), ["b1.vcf", "e1.vcf"])

    def test_the_filters_test_joins_its_prop_filters_anyof_by_default_or_allof(self):
        both = '<c:prop-filter name="EMAIL"/><c:prop-filter name="TEL"/>'
        self.assertEqual(self.names(both), ["b1.vcf", "e1.vcf", "t1.vcf"])
        self.assertEqual(self.names(both, attrs='test="anyof"'), ["b1.vcf", "e1.vcf", "t1.vcf"])
        self.assertEqual(self.names(both, attrs='test="allof"'), ["b1.vcf"])
        neither = both.replace("/>", "><c:is-not-defined/></c:prop-filter>")
        self.assertEqual(self.names(neither, attrs='test="allof"'), ["n1.vcf"])
        # a prop-filter's own test joins its text-matches
        two = ('<c:prop-filter name="FN" test="{}"><c:text-match>b</c:text-match>'
               '<c:text-match>o</c:text-match></c:prop-filter>')
        self.assertEqual(self.names(two.format("allof")), ["b1.vcf"])
        self.assertEqual(self.names(two.format("anyof")), ["b1.vcf", "n1.vcf", "t1.vcf"])
        self.assertStatus(self.report(both, attrs='test="oneof"'), 400)

    def test_a_property_or_parameter_not_served_is_403_supported_filter(self):
        for inner, named in (('<c:prop-filter name="NICKNAME"><c:text-match>x</c:text-match></c:prop-filter>',
                              b'<card:prop-filter name="NICKNAME"/>'),
                             ('<c:prop-filter name="TEL"><c:param-filter name="TYPE"><c:text-match>cell'
                              '</c:text-match></c:param-filter></c:prop-filter>',
                              b'<card:param-filter name="TYPE"/>')):
            r = self.report(inner)
            self.assertStatus(r, 403)
            self.assertIn(b"<card:supported-filter>", r.data)
            self.assertIn(named, r.data)

    def test_an_unknown_collation_is_403_and_the_three_known_ones_compare_as_named(self):
        r = self.report('<c:prop-filter name="FN"><c:text-match collation="i;bogus">eve</c:text-match></c:prop-filter>')
        self.assertStatus(r, 403)
        self.assertIn(b"<card:supported-collation>i;bogus</card:supported-collation>", r.data)
        match = '<c:prop-filter name="FN"><c:text-match collation="{}">EVE</c:text-match></c:prop-filter>'
        self.assertEqual(self.names(match.format("i;unicode-casemap")), ["e1.vcf"])
        self.assertEqual(self.names(match.format("i;ascii-casemap")), ["e1.vcf"])
        self.assertEqual(self.names(match.format("i;octet")), [])
        self.assertStatus(self.report('<c:prop-filter name="FN"><c:text-match match-type="regex">e'
                                      '</c:text-match></c:prop-filter>'), 400)

    def test_nresults_returns_at_most_that_many_and_507_on_the_book_when_truncated(self):
        def limited(n):
            body = ('<c:addressbook-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
                    '<d:prop><d:getetag/></d:prop><c:filter/>'
                    f'<c:limit><c:nresults>{n}</c:nresults></c:limit></c:addressbook-query>')
            return self.dav("REPORT", self.book, body)
        got = self.responses(limited(2))
        self.assertEqual(len([h for h in got if h != self.book]), 2)
        self.assertEqual(got[self.book]["status"], "HTTP/1.1 507 Insufficient Storage")
        self.assertIn(b"number-of-matches-within-limits", limited(2).data)
        # not truncated: every card, and no 507
        got = self.responses(limited(4))
        self.assertEqual(len(got), 4)
        self.assertNotIn(self.book, got)
        for bad in ("0", "-1", "two"):
            self.assertStatus(limited(bad), 400)

    def test_address_data_with_props_returns_only_those_in_every_report(self):
        ask = '<c:address-data><c:prop name="FN"/><c:prop name="TEL"/></c:address-data>'
        got = self.responses(self.report('<c:prop-filter name="FN"><c:text-match>tom</c:text-match></c:prop-filter>',
                                         prop=ask))
        card = got[self.book + "t1.vcf"][C + "address-data"].text
        self.assertEqual([line.split(":")[0].split(";")[0] for line in card.split("\r\n") if line],
                         ["BEGIN", "VERSION", "FN", "TEL", "END"])
        multiget = ('<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
                    f'<d:prop>{ask.replace("TEL", "EMAIL")}</d:prop><d:href>{self.book}b1.vcf</d:href>'
                    '</c:addressbook-multiget>')
        card = self.responses(self.dav("REPORT", self.book, multiget))[self.book + "b1.vcf"][C + "address-data"].text
        self.assertIn("EMAIL", card)
        self.assertNotIn("TEL", card)
        self.assertNotIn("UID", card)
        synced = self.responses(self.sync(props=ask))
        card = synced[self.book + "n1.vcf"][C + "address-data"].text
        self.assertTrue(card.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ned None\r\n"), card)
        self.assertNotIn("UID", card)
        # no prop: the whole card
        whole = self.responses(self.report('<c:prop-filter name="FN"><c:text-match>ned</c:text-match></c:prop-filter>',
                                           prop="<c:address-data/>"))
        self.assertIn("UID:n1", whole[self.book + "n1.vcf"][C + "address-data"].text)

    def test_depth_0_names_the_book_alone_so_no_card_matches(self):
        self.assertEqual(self.names("", headers={"Depth": "0"}), [])
        self.assertEqual(len(self.names("", headers={"Depth": "1"})), 4)
        # none: as 1 (dav_depth, README)
        self.assertEqual(len(self.names("")), 4)


class TestSyncCollection(DavTest):
    def test_initial_then_incremental_with_changes_and_deletions(self):
        self.put("s1.vcf", vcard("s1", "One"))
        self.put("s2.vcf", vcard("s2", "Two"))
        first, token = self.synced()
        self.assertEqual(sorted(first), [self.book + "s1.vcf", self.book + "s2.vcf"])
        nothing, same = self.synced(token)
        self.assertEqual((nothing, same), ({}, token))
        self.put("s1.vcf", vcard("s1", "One changed"))
        self.assertStatus(self.dav("DELETE", self.book + "s2.vcf"), 204)
        self.put("s3.vcf", vcard("s3", "Three"))
        changes, token2 = self.synced(token)
        self.assertEqual(sorted(changes), [self.book + "s1.vcf", self.book + "s2.vcf", self.book + "s3.vcf"])
        self.assertEqual(changes[self.book + "s2.vcf"]["status"], "HTTP/1.1 404 Not Found")
        self.assertEqual(changes[self.book + "s1.vcf"][D + "getetag"].text,
                         self.dav("GET", self.book + "s1.vcf").header("ETag"))
        # a deletion made through REST is reported too
        cid = sql1("SELECT id FROM privacybee.contacts WHERE user_id = %s AND external_id = 's3'", self.uid)
        self.req("DELETE", f"/contacts/{cid}", self.token)
        changes, _ = self.synced(token2)
        self.assertEqual(changes, {self.book + "s3.vcf": {"status": "HTTP/1.1 404 Not Found"}})

    def test_address_data_comes_with_the_changes_when_asked(self):
        self.put("a.vcf", vcard("a", "Ada", extra="X-KEEP:yes\r\n"))
        r = self.sync("", '<c:address-data/><d:getetag/>')
        data = self.responses(r)[self.book + "a.vcf"][C + "address-data"].text
        self.assertIn("X-KEEP:yes", data)

    def test_an_invalid_token_is_403_valid_sync_token(self):
        _, token = self.synced()
        other, other_token = member()
        other_book_token = self.req("REPORT", f"/dav/{other}/contacts/", raw=(
            '<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:prop><d:getetag/></d:prop></d:sync-collection>').encode(),
            headers={"Authorization": basic("", other_token), "Content-Type": XML})
        theirs = ET.fromstring(other_book_token.data).find(D + "sync-token").text
        for bad in ("garbage", token + "9", "urn:privacybee:sync:1:x", theirs,
                    re.sub(r":(\d+)$", lambda m: f":{int(m.group(1)) + 5}", token)):
            with self.subTest(token=bad):
                r = self.sync(bad)
                self.assertStatus(r, 403)
                self.assertIn(b"valid-sync-token", r.data)

    def test_a_token_before_forgotten_deletions_is_refused(self):
        self.put("f.vcf", vcard("f", "Fred"))
        _, token = self.synced()
        self.dav("DELETE", self.book + "f.vcf")
        sql("UPDATE privacybee.contact_cards SET changed = now() - interval '31 days' WHERE user_id = %s", self.uid)
        sql("SELECT privacybee.carddav_purge()")
        r = self.sync(token)
        self.assertStatus(r, 403)
        self.assertIn(b"valid-sync-token", r.data)

    def test_a_change_committed_after_a_later_token_was_read_is_never_skipped_nor_repeated(self):
        """A writer that started first and commits last: its change is numbered after every
        change committed before it, so the token read while it was open does not cover it."""
        self.put("base.vcf", vcard("base", "Base"))
        _, token0 = self.synced()
        conn = member_connect(self.uid)   # the member's shard: the writer's transaction is there
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT privacybee.sync_contacts(%s, %s)",
                            (self.uid, '[{"display_name": "Slow writer", "external_id": "slow"}]'))
                # while the writer is open, another write of the member waits for it
                done = threading.Event()
                results = {}

                def second():
                    results["r"] = Client().request(
                        "PUT", self.book + "fast.vcf", raw=vcard("fast", "Fast writer"),
                        headers={"Authorization": basic("", self.token), "Content-Type": "text/vcard"})
                    done.set()
                t = threading.Thread(target=second)
                t.start()
                # until the second write waits for the first (or is done, which it cannot be)
                while not waiting_or_done(self.uid, done):
                    pass
                changes, token1 = self.synced(token0)
                self.assertEqual(changes, {})
            conn.commit()
            t.join(60)
            self.assertTrue(done.is_set())
            self.assertStatus(results["r"], 201)
        finally:
            conn.close()
        slow = sql1("SELECT id FROM privacybee.contacts WHERE user_id = %s AND external_id = 'slow'", self.uid)
        changes, token2 = self.synced(token1)
        self.assertEqual(sorted(changes), sorted([self.book + f"{slow}.vcf", self.book + "fast.vcf"]))
        again, _ = self.synced(token2)
        self.assertEqual(again, {})


class TestHostileInput(DavTest):
    def assertNothingWritten(self, before):
        self.assertEqual((self.contacts(), self.seq()), before)

    def test_hostile_xml_is_400_or_413_and_writes_nothing(self):
        self.put("h.vcf", vcard("h", "Hal"))
        before = (self.contacts(), self.seq())
        laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">'
                            for i in range(10))
                  + ']><d:propfind xmlns:d="DAV:"><d:prop><d:displayname>&lol9;</d:displayname></d:prop></d:propfind>')
        external = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                    '<d:propfind xmlns:d="DAV:"><d:prop><d:displayname>&xxe;</d:displayname></d:prop></d:propfind>')
        parameter = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'
                     '<d:propfind xmlns:d="DAV:"/>')
        undefined = '<d:propfind xmlns:d="DAV:"><d:prop>&nope;</d:prop></d:propfind>'
        deep = '<d:propfind xmlns:d="DAV:">' + "<d:x>" * 10000 + "</d:x>" * 10000 + "</d:propfind>"
        big = '<d:propfind xmlns:d="DAV:"><d:prop>' + "<d:getetag/>" * 900000 + "</d:prop></d:propfind>"
        cases = [("billion laughs", laughs, 400), ("external entity", external, 400),
                 ("external parameter entity", parameter, 400), ("undefined entity", undefined, 400),
                 ("deep nesting", deep, 400), ("10 MB body", big, 413),
                 ("not well-formed", "<d:propfind xmlns:d='DAV:'><d:prop></d:propfind>", 400),
                 ("two roots", '<a xmlns="DAV:"/><b xmlns="DAV:"/>', 400),
                 ("not XML at all", "{}", 400), ("wrong root", '<d:prop xmlns:d="DAV:"/>', 400)]
        for name, body, status in cases:
            for method, path in (("PROPFIND", self.book), ("REPORT", self.book), ("PROPFIND", "/dav/")):
                with self.subTest(case=name, method=method, path=path):
                    r = self.dav(method, path, body, headers={"Depth": "0"})
                    if name == "wrong root" and method == "REPORT":
                        self.assertStatus(r, 403)   # not a report privacybee knows
                    else:
                        self.assertError(r, status)
                    self.assertNotIn(b"root:", r.data)
        self.assertNothingWritten(before)

    def test_a_10_mb_vcard_is_413_and_writes_nothing(self):
        before = (self.contacts(), self.seq())
        big = vcard("big", "Big", extra="NOTE:" + "x" * (10 * 1024 * 1024) + "\r\n")
        self.assertError(self.put("big.vcf", big), 413)
        self.assertNothingWritten(before)

    def test_hostile_headers_and_names_are_400_or_404_never_500(self):
        for headers in ({"Depth": "\xff"}, {"Depth": "-1"}, {"Accept": "\xff\xfe"}):
            with self.subTest(headers=headers):
                r = self.req("PROPFIND", self.book, raw=None, headers=dict(
                    headers, Authorization=basic("", self.token)))
                self.assertError(r, 400)
        for name in ("%FF%FE.vcf", "a%00b.vcf", "a%0Ab.vcf", "x" * 300 + ".vcf"):
            with self.subTest(name=name[:20]):
                r = self.dav("GET", self.book + name)
                self.assertIn(r.status, (400, 404), r)

    def test_every_dav_route_refuses_a_missing_token_before_reading_the_body(self):
        for r in dav_routes():
            if not r.scope:
                continue
            path = r.path.replace("{id}", str(self.uid)).replace("{name}", "x.vcf")
            with self.subTest(route=f"{r.method} {r.path}"):
                resp = self.req(r.method, path, raw=b"<not-xml", headers={"Content-Type": "text/xml"})
                self.assertError(resp, 401)
                self.assertTrue(resp.header("WWW-Authenticate").startswith("Basic "))
