"""A team's account is no member (SPEC §10, sql/schema/76_teams.sql): the people row that
owns a team's contacts and tags. Nobody signs in as it, it owns no number, and no route
reaches it as a person: every route taking a person's id answers the account's id exactly
as an id nobody has (the same status and body), and writes nothing
(privacybee.is_member(), sql/logic/20_members.sql). Only the team code acts for it
(act_for_team(): teamId, the company's id)."""
import base64
import re
import uuid

from harness import ApiTest, fresh_phone, member, sql, sql1, unique


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class TeamAccountTest(ApiTest):
    def setUp(self):
        super().setUp()
        self.team = sql1("SELECT privacybee.create_company('Acct Co', %s)", unique("acct"))
        self.a, self.a_token = member("Ann", "Employee", fresh_phone())
        self.x, self.x_token = member("Xia", "Outsider", fresh_phone())
        sql("SELECT privacybee.add_employee(%s, %s)", self.team, self.a)
        # the team's first use makes its account: a team contact, with a phone
        self.team_phone = fresh_phone()
        r = self.req("POST", "/api/v1/contacts.create", self.a_token, body={
            "teamId": str(self.team), "contact": {"contactData": {
                "name": {"givenName": "Client"},
                "phoneNumbers": [{"type": "work", "value": self.team_phone}]}}})
        self.assertStatus(r, 200)
        self.account = sql1("SELECT id FROM privacybee.people WHERE team_of = %s", self.team)
        self.assertIsNotNone(self.account)
        # an id no one has: drawn from the members' sequence, and never used
        self.unknown = sql1("SELECT pg_catalog.nextval('privacybee.people_id_seq')")

    def traces(self):
        """Every row that would make the account a member's party."""
        return sql("""SELECT (SELECT count(*) FROM privacybee.trust_requests
                               WHERE %(a)s IN (user_id, requester_id)),
                             (SELECT count(*) FROM privacybee.trust_edges
                               WHERE target_type = 'person' AND %(a)s IN (user_id, target_id)),
                             (SELECT count(*) FROM privacybee.activities
                               WHERE (receivable_type = 'person' AND receivable_id = %(a)s)
                                  OR (sendable_type = 'person' AND sendable_id = %(a)s)),
                             (SELECT count(*) FROM privacybee.employees WHERE person_id = %(a)s),
                             (SELECT count(*) FROM privacybee.buzz_numbers WHERE user_id = %(a)s),
                             (SELECT count(*) FROM privacybee.tokens WHERE user_id = %(a)s),
                             (SELECT count(*) FROM privacybee.trusted_numbers WHERE user_id = %(a)s)"""
                   .replace("%(a)s", str(int(self.account))))[0]

    def assertAsUnknown(self, call, status=404):
        """call(id) answers the account's id exactly as an unknown id, and writes nothing."""
        before = self.traces()
        got = call(self.account)
        self.assertEqual(self.traces(), before)
        want = call(self.unknown)
        self.assertStatus(got, status)
        self.assertEqual(got.status, want.status, got)
        self.assertEqual(self.shape(got, self.account), self.shape(want, self.unknown))
        return got

    @staticmethod
    def shape(response, given):
        """A response with the id it was given written ID: a JSON value equal to it, or the
        id as a whole number in any other body (a multistatus, an empty body)."""
        def walk(v):
            if isinstance(v, dict):
                return {k: walk(x) for k, x in v.items()}
            if isinstance(v, list):
                return [walk(x) for x in v]
            return "ID" if v in (given, str(given)) else v
        if response.json is not None:
            return walk(response.json)
        return re.sub(rf"\b{given}\b", "ID", response.raw)


class TestRoutesAnswerTheAccountAsAnUnknownId(TeamAccountTest):
    def test_a_trust_request_to_the_account_is_member_not_found(self):
        r = self.assertAsUnknown(lambda i: self.req("POST", "/contacts/requests", self.x_token,
                                                    body={"user_id": i, "contact_reason": "hi"}))
        self.assertEqual(r.json["error"]["message"], "member not found")
        # by string id too
        self.assertAsUnknown(lambda i: self.req("POST", "/contacts/requests", self.a_token,
                                                body={"user_id": str(i)}))

    def test_trusting_or_untrusting_the_account_is_person_not_found(self):
        for trusted in (1, 0, True, False):
            with self.subTest(trusted=trusted):
                r = self.assertAsUnknown(lambda i: self.req("POST", f"/contacts/trust/{i}", self.a_token,
                                                            body={"trusted": trusted, "type": "person"}))
                self.assertEqual(r.json["error"]["message"], "person not found")
        # no type: a person
        self.assertAsUnknown(lambda i: self.req("POST", f"/contacts/trust/{i}", self.x_token,
                                                body={"trusted": 1}))

    def test_the_accounts_employees_are_person_not_found_even_to_an_employee(self):
        for token in (self.a_token, self.x_token):
            self.assertAsUnknown(lambda i: self.req("GET", f"/contacts/employees/{i}", token))

    def test_activity_to_the_account_is_receiver_not_found(self):
        def send(i):
            return self.req("POST", "/apps/buzz/activity", self.a_token, body={
                "type": "chat_message", "sendable_type": "person", "sendable_id": self.a,
                "receivable_type": "person", "receivable_id": i, "message": "m",
                "message_id": str(uuid.uuid4())})
        r = self.assertAsUnknown(send)
        self.assertEqual(r.json["error"]["message"], "receiver not found")
        # nor may anyone send as it
        self.assertAsUnknown(lambda i: self.req("POST", "/apps/buzz/activity", self.a_token, body={
            "type": "chat_message", "sendable_type": "person", "sendable_id": i,
            "receivable_type": "person", "receivable_id": self.x, "message": "m",
            "message_id": str(uuid.uuid4())}), 403)

    def test_carddav_paths_and_user_names_naming_the_account_answer_as_an_unknown_id(self):
        auth = {"Authorization": basic("", self.a_token)}
        for method, path in [("PROPFIND", "/dav/{}/"), ("PROPFIND", "/dav/{}/contacts/"),
                             ("REPORT", "/dav/{}/contacts/"), ("GET", "/dav/{}/contacts/x.vcf"),
                             ("PROPFIND", "/dav/{}/team-%s/" % self.team)]:
            with self.subTest(method=method, path=path):
                self.assertAsUnknown(lambda i: self.req(method, path.format(i), headers=auth,
                                                        raw=b"" if method != "GET" else None),
                                     status=self.req(method, path.format(self.unknown), headers=auth,
                                                     raw=b"" if method != "GET" else None).status)
        # the account as the Basic user name: 401 as a stranger's id
        self.assertAsUnknown(lambda i: self.req("PROPFIND", f"/dav/{self.a}/",
                                                headers={"Authorization": basic(str(i), self.a_token)},
                                                raw=b""), 401)

    def test_changing_a_team_contacts_owner_to_the_account_is_not_a_member_of_the_team(self):
        cid = sql1("SELECT c.id FROM privacybee.contacts c WHERE c.user_id = %s", self.account)
        self.assertAsUnknown(lambda i: self.req("POST", "/api/v1/contacts.changeOwner", self.a_token, body={
            "teamId": str(self.team), "contactIds": [str(cid)], "ownerId": str(i)}))


class TestTheAccountIsNoParty(TeamAccountTest):
    def test_a_trust_request_by_the_team_contacts_phone_reaches_no_account(self):
        r = self.req("POST", "/contacts/requests", self.x_token, body={"phone": self.team_phone})
        self.assertStatus(r, 201)
        self.assertEqual(self.traces()[0], 0)

    def test_the_account_has_no_trust_set_and_its_contacts_are_its_employees_reasons(self):
        self.assertEqual(self.traces()[6], 0)
        key = sql1("SELECT privacybee.phone_match_key(%s)", self.team_phone)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.trusted_numbers WHERE user_id = %s "
                              "AND match_key = %s", self.a, key), 1)
        self.assertFalse(sql1("SELECT privacybee.trust_eval(%s, %s)", self.account, self.team_phone))
        self.assertEqual(sql1("SELECT privacybee.recompute_trust(%s)", self.account), 0)
        self.assertEqual(sql1("SELECT privacybee.recompute_trust(%s)", self.unknown), 0)
        self.assertEqual(self.traces()[6], 0)
        self.assertEqual(sql("SELECT * FROM privacybee.trust_verify() WHERE user_id IN (%s, %s)",
                             self.a, self.account), [])

    def test_the_team_code_still_acts_for_the_account(self):
        r = self.req("POST", "/api/v1/contacts.scroll", self.a_token, body={"teamId": str(self.team)})
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json["contacts"]), 1)
        self.assertError(self.req("POST", "/api/v1/contacts.scroll", self.x_token,
                                  body={"teamId": str(self.team)}), 404, "teamId")
