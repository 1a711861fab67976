"""Characters text may not hold (extension/text_chars.h; README, "Control characters in
text"): a control character other than TAB, LF and CR (C0, DEL, C1) or U+FFFE / U+FFFF is
refused with a 400 naming the field, and nothing written, wherever text enters — the REST
routes, the Contacts+ RPC, a CardDAV PUT, the SQL functions of members and companies, a
query parameter; and text stored before the rule or written by SQL around it still makes
every CardDAV answer well-formed XML (U+FFFD in its place, in the vCard too) and every JSON
answer valid JSON."""
import json
import unittest
import xml.etree.ElementTree as ET

import psycopg2

from harness import ApiTest, member, sql, sql1, unique
from test_carddav_routes import C, D, DavTest, vcard

# one of each kind the rule refuses: C0 (SOH, BS, ESC), DEL, C1 (NEL), the noncharacters
REFUSED = ["\x01", "\x08", "\x1b", "\x7f", "\x85", "\ufffe", "\uffff"]
TEAM_SCOPES = ["contacts:read", "contacts:write", "teams.contacts.read", "teams.contacts.write"]


def rpc(test, method, body, token):
    return test.req("POST", f"/api/v1/{method}", token, body=body)


class TestJsonBodiesRefuseControlCharacters(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member("Ctl", "Refused")

    def count(self):
        return sql1("SELECT count(*) FROM privacybee.contacts WHERE user_id = %s", self.uid)

    def test_sync_refuses_each_kind_naming_the_field_and_writes_nothing(self):
        for ch in REFUSED:
            with self.subTest(char=hex(ord(ch))):
                r = self.req("POST", "/contacts/sync", self.token,
                             body=[{"display_name": "ok"}, {"display_name": f"Ctl{ch}Char"}])
                err = self.assertError(r, 400, "[1].display_name")
                self.assertIn(f"U+{ord(ch):04X}", err["message"])
                self.assertEqual(self.count(), 0)

    def test_a_nested_detail_or_a_member_name_is_named_by_its_path(self):
        r = self.req("POST", "/contacts/sync", self.token,
                     body=[{"display_name": "x", "details": {"notes": "a\x1bb"}}])
        self.assertError(r, 400, "[0].details.notes")
        r = self.req("POST", "/contacts/sync", self.token, body=[{"display\x01name": "x"}])
        self.assertError(r, 400, "[0].display\x01name")
        self.assertEqual(self.count(), 0)

    def test_tab_line_feed_and_carriage_return_are_text(self):
        r = self.req("POST", "/contacts/sync", self.token,
                     body=[{"display_name": "Tab\tName", "details": {"notes": "one\r\ntwo\n"}}])
        self.assertStatus(r, 200)
        self.assertEqual(r.json[0]["display_name"], "Tab\tName")

    def test_put_and_patch_refuse_and_leave_the_contact_as_it_was(self):
        r = self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "Before"}])
        cid = r.json[0]["id"]
        for method in ("PUT", "PATCH"):
            with self.subTest(method=method):
                r = self.req(method, f"/contacts/{cid}", self.token, body={"display_name": "B\x08"})
                self.assertError(r, 400, "display_name")
                self.assertEqual(self.req("GET", f"/contacts/{cid}", self.token).json["display_name"],
                                 "Before")

    def test_tags_trust_requests_and_search_terms_refuse(self):
        self.assertError(self.req("POST", "/tags", self.token, body={"name": "T\uffff"}), 400, "name")
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.tags WHERE user_id = %s", self.uid), 0)
        self.assertError(self.req("POST", "/contacts/requests", self.token,
                                  body={"phone": "+14155550100", "reason": "hi\x01"}), 400, "reason")
        self.assertError(self.req("GET", "/contacts?q=a%01b", self.token), 400, "q")

    def test_a_lone_surrogate_is_not_json(self):
        r = self.req("POST", "/contacts/sync", self.token, ctype="application/json",
                     raw=b'[{"display_name": "x\\ud800y"}]')
        self.assertError(r, 400)
        self.assertEqual(self.count(), 0)

    def test_a_bad_token_is_still_401_first(self):
        r = self.req("POST", "/contacts/sync", "pb_not_a_token", body=[{"display_name": "\x01"}])
        self.assertStatus(r, 401)


class TestContactsPlusRefusesControlCharacters(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member("Ctl", "Plus")

    def test_contacts_create_names_the_field_and_writes_nothing(self):
        r = rpc(self, "contacts.create", {"contact": {"contactData": {"name": {"givenName": "Ctl\x01Char"}}}},
                self.token)
        self.assertError(r, 400, "contact.contactData.name.givenName")
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.contacts WHERE user_id = %s", self.uid), 0)

    def test_a_team_contact_names_the_field_and_writes_nothing(self):
        team = sql1("SELECT privacybee.create_company(%s, %s)", "Ctl Team", unique("ctl-team"))
        uid, token = member("Ctl", "Employee", scopes=TEAM_SCOPES)
        sql("SELECT privacybee.add_employee(%s, %s)", team, uid)
        before = sql1("SELECT count(*) FROM privacybee.contacts")
        r = rpc(self, "contacts.create", {"teamId": str(team), "contact": {
            "contactData": {"name": {"givenName": "Ctl\x01Char"}}}}, token)
        self.assertError(r, 400, "contact.contactData.name.givenName")
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.contacts"), before)

    def test_tags_and_webhooks_refuse(self):
        self.assertError(rpc(self, "tags.create", {"tag": {"tagData": {"name": "x\x1b"}}}, self.token),
                         400, "tag.tagData.name")
        self.assertError(rpc(self, "webhooks.create", {"url": "https://192.0.2.1/h\x7f",
                                                       "triggers": ["contact.created"]}, self.token),
                         400, "url")


class TestCardDavPutRefusesControlCharacters(DavTest):
    def test_a_card_with_a_control_character_is_400_naming_its_line_and_not_stored(self):
        for ch in ("\x01", "\x1b", "\uffff"):
            with self.subTest(char=hex(ord(ch))):
                card = vcard(unique("ctl"), f"Dav{ch}Ctl", extra="NOTE:x\x1by\r\n")
                r = self.put("ctl.vcf", card)
                err = self.assertError(r, 400)
                self.assertIn("FN (line 4)", err["message"])
                self.assertEqual(self.contacts(), 0)

    def test_an_unmodelled_property_is_refused_too(self):
        r = self.put("ctl.vcf", vcard(unique("ctl"), "Fine", extra="X-CUSTOM:a\x08b\r\n"))
        self.assertIn("X-CUSTOM", self.assertError(r, 400)["message"])
        self.assertEqual(self.contacts(), 0)


class TestSqlFunctionsRefuseControlCharacters(unittest.TestCase):
    def test_create_company_and_create_member_name_the_field(self):
        for query, args, field in (
                ("SELECT privacybee.create_company(%s, %s)", ("R&D \x01", unique("ctl-co")), "name"),
                ("SELECT privacybee.create_member(%s, %s)", ("A\x1b", "B"), "first_name")):
            with self.subTest(field=field):
                companies = sql1("SELECT count(*) FROM privacybee.companies")
                people = sql1("SELECT count(*) FROM privacybee.people")
                with self.assertRaises(psycopg2.Error) as cm:
                    sql(query, *args)
                self.assertEqual(cm.exception.pgcode, "PT400")
                self.assertEqual(json.loads(cm.exception.diag.message_detail)[0]["field"], field)
                self.assertEqual(sql1("SELECT count(*) FROM privacybee.companies"), companies)
                self.assertEqual(sql1("SELECT count(*) FROM privacybee.people"), people)


class TestStoredControlCharactersMakeWellFormedAnswers(DavTest):
    """Text written by SQL around the rule (or stored before it) reaches every answer."""

    BAD = "Dav\x01Ctl\x1b\uffff"
    CLEAN = "Dav\ufffdCtl\ufffd\ufffd"

    def setUp(self):
        super().setUp()
        self.team = sql1("SELECT privacybee.create_company(%s, %s)", "R&D", unique("ctl-dav"))
        self.uid, self.token = member("Ctl", "Stored", scopes=TEAM_SCOPES)
        sql("SELECT privacybee.add_employee(%s, %s)", self.team, self.uid)
        self.book = f"/dav/{self.uid}/contacts/"
        self.assertStatus(self.put("ctl.vcf", vcard("ctl-dav", "Clean")), 201)
        self.cid = sql1("SELECT id FROM privacybee.contacts WHERE user_id = %s", self.uid)
        # around the input rule, as data of an older release or an analyst's SQL would be
        sql("UPDATE privacybee.companies SET name = %s WHERE id = %s", "R&D \x01", self.team)
        sql("UPDATE privacybee.people SET first_name = %s WHERE id = %s", "Ctl\x08", self.uid)
        sql("UPDATE privacybee.contacts SET display_name = %s WHERE id = %s", self.BAD, self.cid)

    def xml(self, r, status=207):
        self.assertStatus(r, status)
        return ET.fromstring(r.data)    # expat: strict, a \x01 or &#1; is an error

    def card_text(self, root):
        data = [e.text for e in root.iter(C + "address-data")]
        self.assertEqual(len(data), 1, ET.tostring(root))
        self.assertIn("FN:" + self.CLEAN, data[0])
        return data[0]

    def test_the_home_and_the_books_propfind_are_well_formed(self):
        props = ('<d:propfind xmlns:d="DAV:"><d:prop><d:displayname/><d:getetag/>'
                 '</d:prop></d:propfind>')
        home = self.xml(self.dav("PROPFIND", f"/dav/{self.uid}/", props, headers={"Depth": "1"}))
        names = [e.text for e in home.iter(D + "displayname")]
        self.assertIn("R&D \ufffd", names)
        self.xml(self.dav("PROPFIND", "/dav/", props, headers={"Depth": "0"}))
        self.xml(self.dav("PROPFIND", self.book, props, headers={"Depth": "1"}))
        self.xml(self.dav("PROPFIND", f"/dav/{self.uid}/team-{self.team}/", props,
                          headers={"Depth": "1"}))

    def test_multiget_sync_collection_and_query_are_well_formed(self):
        multiget = (f'<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
                    f'<d:prop><d:getetag/><c:address-data/></d:prop>'
                    f'<d:href>{self.book}ctl.vcf</d:href></c:addressbook-multiget>')
        self.card_text(self.xml(self.dav("REPORT", self.book, multiget)))
        self.card_text(self.xml(self.sync("", "<d:getetag/><c:address-data/>")))
        query = ('<c:addressbook-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
                 '<d:prop><d:getetag/><c:address-data/></d:prop></c:addressbook-query>')
        self.card_text(self.xml(self.dav("REPORT", self.book, query)))

    def test_get_serves_the_card_with_replacement_characters(self):
        r = self.dav("GET", self.book + "ctl.vcf")
        self.assertStatus(r, 200)
        text = r.data.decode("utf-8")
        self.assertIn("FN:" + self.CLEAN + "\r\n", text)
        self.assertFalse(any(ch in text for ch in REFUSED), text)

    def test_json_routes_stay_valid_json(self):
        r = self.req("GET", f"/contacts/{self.cid}", self.token)
        self.assertStatus(r, 200)
        self.assertEqual(json.loads(r.data.decode("utf-8"))["display_name"], self.BAD)
        r = self.req("GET", "/contacts", self.token)
        self.assertIn(self.BAD, [c["display_name"] for c in json.loads(r.data.decode("utf-8"))])
        r = rpc(self, "contacts.get", {"contactIds": [str(self.cid)]}, self.token)
        self.assertStatus(r, 200)
        json.loads(r.data.decode("utf-8"))


if __name__ == "__main__":
    unittest.main()
