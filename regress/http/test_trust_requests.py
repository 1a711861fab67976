"""Trust requests, trust decisions, the coworker listing, and what a person discloses of
themself (SPEC §2, §4)."""
import uuid

from harness import ApiTest, fresh_phone, give_buzz_number, member, sql, sql1, unique


class TestTrustRequests(ApiTest):
    def setUp(self):
        super().setUp()
        self.phone = fresh_phone()
        self.target, self.target_token = member("Tara", "Get", self.phone)
        self.asker, self.asker_token = member("Ask", "Er")

    def ask(self, body, token=None):
        return self.req("POST", "/contacts/requests", token or self.asker_token, body=body)

    def pending(self):
        return self.req("GET", "/contacts/requests", self.target_token).json

    def test_request_by_user_id_is_201_and_listed(self):
        r = self.ask({"user_id": self.target, "contact_reason": "Business Inquiry"})
        self.assertStatus(r, 201)
        listed = self.pending()
        self.assertEqual(len(listed), 1)
        self.assertEqual((listed[0]["id"], listed[0]["first_name"], listed[0]["contact_reason"]),
                         (self.asker, "Ask", "Business Inquiry"))
        for key in ("middle_name", "last_name", "updated_at"):
            self.assertIn(key, listed[0])

    def test_request_by_phone_reaches_the_member(self):
        self.assertStatus(self.ask({"phone": self.phone.replace("+1", ""), "contact_reason": "hi"}), 201)
        self.assertEqual([p["id"] for p in self.pending()], [self.asker])

    def test_repeat_updates_the_pending_request(self):
        self.ask({"user_id": str(self.target), "contact_reason": "first"})
        self.ask({"user_id": self.target, "contact_reason": "second"})
        listed = self.pending()
        self.assertEqual([p["contact_reason"] for p in listed], ["second"])

    def test_unknown_member_by_id_is_404(self):
        self.assertError(self.ask({"user_id": 999999999999}), 404)

    def test_by_phone_the_answer_never_tells_whether_the_number_is_a_members(self):
        """SPEC §4: asked by phone, a member's number and anyone else's get the same answer;
        the request to no one is dropped."""
        stranger = fresh_phone()
        to_member = self.ask({"phone": self.phone, "contact_reason": "hi"})
        to_nobody = self.ask({"phone": stranger, "contact_reason": "hi"})
        self.assertEqual((to_member.status, to_member.json), (to_nobody.status, to_nobody.json))
        self.assertEqual((to_member.status, to_member.json),
                         (201, {"requested": True, "user_id": None, "contact_reason": "hi"}))
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.trust_requests WHERE requester_id = %s",
                              self.asker), 1)

    def test_by_phone_my_own_number_is_dropped_alike(self):
        mine = fresh_phone()
        uid, token = member("Own", "Number", mine)
        r = self.ask({"phone": mine, "contact_reason": "me"}, token)
        self.assertEqual((r.status, r.json), (201, {"requested": True, "user_id": None,
                                                    "contact_reason": "me"}))
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.trust_requests WHERE requester_id = %s",
                              uid), 0)

    def test_by_phone_a_buzz_number_reaches_its_member(self):
        buzz = give_buzz_number(self.target)
        self.assertStatus(self.ask({"phone": buzz}), 201)
        self.assertEqual([p["id"] for p in self.pending()], [self.asker])

    def test_by_phone_what_is_not_a_number_is_400(self):
        self.assertError(self.ask({"phone": "call me"}), 400, "phone")
        self.assertError(self.ask({"phone": "12345"}), 400, "phone")

    def test_invalid_requests_are_400_and_write_nothing(self):
        for body, field in (({}, "user_id"), ({"user_id": self.target, "phone": self.phone}, "user_id"),
                            ({"user_id": "abc"}, "user_id"), ({"user_id": self.asker}, "user_id"),
                            ({"user_id": self.target, "contact_reason": 5}, "contact_reason"),
                            ({"user_id": self.target, "extra": 1}, "extra")):
            with self.subTest(body=body):
                self.assertError(self.ask(body), 400, field)
        self.assertEqual(self.pending(), [])

    def test_trust_resolves_the_request(self):
        self.ask({"user_id": self.target})
        r = self.req("POST", f"/contacts/trust/{self.asker}", self.target_token, body={"trusted": 1})
        self.assertStatus(r, 201)
        self.assertEqual(r.json, {"id": self.asker, "type": "person", "trusted": True})
        self.assertEqual(self.pending(), [])
        self.assertTrue(sql1("SELECT trusted FROM privacybee.trust_edges WHERE user_id = %s "
                             "AND target_id = %s", self.target, self.asker))

    def test_untrust_declines_and_a_repeat_does_not_reopen(self):
        self.ask({"user_id": self.target})
        r = self.req("POST", f"/contacts/trust/{self.asker}", self.target_token,
                     body={"trusted": False})
        self.assertEqual(r.json["trusted"], False)
        self.assertStatus(self.ask({"user_id": self.target, "contact_reason": "again"}), 201)
        self.assertEqual(self.pending(), [])

    def test_trusted_accepts_every_documented_spelling(self):
        for value, expected in ((1, True), (0, False), (True, True), (False, False)):
            r = self.req("POST", f"/contacts/trust/{self.asker}", self.target_token,
                         body={"trusted": value})
            self.assertEqual(r.json["trusted"], expected)

    def test_trust_company(self):
        company = sql1("SELECT privacybee.create_company('Co', %s)", unique("co"))
        r = self.req("POST", f"/contacts/trust/{company}", self.target_token,
                     body={"trusted": True, "type": "company"})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["type"], "company")

    def test_trust_unknown_id_is_404(self):
        self.assertError(self.req("POST", "/contacts/trust/999999999999", self.target_token,
                                  body={"trusted": 1}), 404)
        # a person's id with type company: people and companies are two id spaces, whose
        # ids meet in a database that grew, so pick a person's id that no company has
        person = sql1("SELECT p.id FROM privacybee.people p WHERE NOT EXISTS (SELECT 1 FROM "
                      "privacybee.companies c WHERE c.id = p.id) ORDER BY p.id DESC LIMIT 1")
        self.assertError(self.req("POST", f"/contacts/trust/{person}", self.target_token,
                                  body={"trusted": 1, "type": "company"}), 404)

    def test_trust_validation(self):
        for body, field in (({}, "trusted"), ({"trusted": "yes"}, "trusted"),
                            ({"trusted": 2}, "trusted"), ({"trusted": 1, "type": "robot"}, "type")):
            with self.subTest(body=body):
                self.assertError(self.req("POST", f"/contacts/trust/{self.asker}",
                                          self.target_token, body=body), 400, field)
        self.assertIsNone(sql1("SELECT trusted FROM privacybee.trust_edges WHERE user_id = %s",
                               self.target))


class TestEmployees(ApiTest):
    def setUp(self):
        super().setUp()
        self.company = sql1("SELECT privacybee.create_company('Acme', %s, '{}', 'logo.png', "
                            "'https://acme.example')", unique("acme"))
        self.alice, self.alice_token = member("Alice", "A")
        self.bob, self.bob_token = member("Bob", "B")
        self.stranger, self.stranger_token = member("Stran", "Ger")
        for p in (self.alice, self.bob):
            sql("SELECT privacybee.add_employee(%s, %s)", self.company, p)

    def test_self_sees_their_companies_and_coworkers(self):
        r = self.req("GET", f"/contacts/employees/{self.alice}", self.alice_token)
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json), 1)
        self.assertEqual(r.json[0]["company"]["id"], self.company)
        self.assertEqual(r.json[0]["company"]["logo"], "logo.png")
        self.assertEqual([e["id"] for e in r.json[0]["employees"]], [self.alice, self.bob])
        self.assertEqual(set(r.json[0]["employees"][0]), {"id", "first_name", "last_name"})

    def test_coworker_can_see(self):
        self.assertStatus(self.req("GET", f"/contacts/employees/{self.alice}", self.bob_token), 200)

    def test_trusting_someone_discloses_nothing_of_theirs(self):
        """SPEC §4: trust is unilateral; a stranger who trusts Alice still gets 404."""
        path = f"/contacts/employees/{self.alice}"
        self.assertError(self.req("GET", path, self.stranger_token), 404)
        self.assertStatus(self.req("POST", f"/contacts/trust/{self.alice}", self.stranger_token,
                                   body={"trusted": 1}), 201)
        self.assertError(self.req("GET", path, self.stranger_token), 404)

    def test_a_person_who_trusts_me_has_disclosed_themself(self):
        path = f"/contacts/employees/{self.alice}"
        self.req("POST", f"/contacts/trust/{self.stranger}", self.alice_token, body={"trusted": 0})
        self.assertError(self.req("GET", path, self.stranger_token), 404)
        self.req("POST", f"/contacts/trust/{self.stranger}", self.alice_token, body={"trusted": 1})
        self.assertStatus(self.req("GET", path, self.stranger_token), 200)

    def test_a_person_who_asked_me_for_trust_has_disclosed_themself_answered_or_not(self):
        path = f"/contacts/employees/{self.alice}"
        self.assertStatus(self.req("POST", "/contacts/requests", self.alice_token,
                                   body={"user_id": self.stranger}), 201)
        self.assertStatus(self.req("GET", path, self.stranger_token), 200)
        self.req("POST", f"/contacts/trust/{self.alice}", self.stranger_token, body={"trusted": 0})
        self.assertStatus(self.req("GET", path, self.stranger_token), 200)
        # asking discloses the asker, not the one asked
        self.assertError(self.req("GET", f"/contacts/employees/{self.stranger}", self.alice_token), 404)

    def test_unknown_person_is_404(self):
        self.assertError(self.req("GET", "/contacts/employees/999999999999", self.alice_token), 404)


class TestDisclosureInActivity(ApiTest):
    """The activity feed names a receiving person only where they disclosed themself to the
    viewer: sending a chat to every id must not list every member's name."""

    def setUp(self):
        super().setUp()
        self.sender, self.sender_token = member("Send", "Er")
        self.receiver, self.receiver_token = member("Secret", "Person")

    def chat(self):
        r = self.req("POST", "/apps/buzz/activity", self.sender_token,
                     body={"type": "chat_message", "sendable_type": "person",
                           "sendable_id": self.sender, "receivable_type": "person",
                           "receivable_id": self.receiver, "message": "x",
                           "message_id": str(uuid.uuid4())})
        self.assertStatus(r, 200)
        return r.json["data"]

    def test_a_stranger_receiving_a_chat_stays_unnamed_to_the_sender(self):
        data = self.chat()
        self.assertEqual(data["receivable"], {"id": self.receiver, "first_name": None,
                                              "middle_name": None, "last_name": None})
        feed = self.req("GET", "/apps/buzz/activity/0", self.sender_token).json
        self.assertEqual({a["receivable"]["first_name"] for a in feed}, {None})
        # the receiver sees both names: the sender disclosed themself by writing
        theirs = self.req("GET", "/apps/buzz/activity/0", self.receiver_token).json
        self.assertEqual((theirs[0]["sendable"]["first_name"], theirs[0]["receivable"]["first_name"]),
                         ("Send", "Secret"))

    def test_named_once_they_trust_the_sender_not_when_the_sender_trusts_them(self):
        self.req("POST", f"/contacts/trust/{self.receiver}", self.sender_token, body={"trusted": 1})
        self.assertIsNone(self.chat()["receivable"]["first_name"])
        self.req("POST", f"/contacts/trust/{self.sender}", self.receiver_token, body={"trusted": 1})
        self.assertEqual(self.chat()["receivable"]["first_name"], "Secret")

    def test_unnamed_again_once_they_untrust_the_sender(self):
        self.assertStatus(self.req("POST", f"/contacts/trust/{self.sender}", self.receiver_token,
                                   body={"trusted": 1}), 201)
        self.assertEqual(self.chat()["receivable"]["first_name"], "Secret")
        self.assertStatus(self.req("POST", f"/contacts/trust/{self.sender}", self.receiver_token,
                                   body={"trusted": 0}), 201)
        self.assertIsNone(self.chat()["receivable"]["first_name"])
        feed = self.req("GET", "/apps/buzz/activity/0", self.sender_token).json
        self.assertEqual({a["receivable"]["first_name"] for a in feed}, {None})
