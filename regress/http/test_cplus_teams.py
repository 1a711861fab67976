"""Teams in the Contacts+ RPC (SPEC §10): a team is a company the member works for. Its
contacts and tags are the team's, visible to and editable by its employees only (another
company's employee, or a former employee, gets 404 for its teamId), under the seed's
teams.* scopes; a team's contact shows teamId, ownedBy (contacts.changeOwner) and sharedBy;
and it is a reason to trust its numbers for every employee (SPEC §5), kept current in the
same transaction as memberships and contacts change."""
import urllib.parse

from harness import ApiTest, fresh_phone, give_buzz_number, member, multipart, service_token, sql, sql1, unique


def rpc(test, method, body, token):
    return test.req("POST", f"/api/v1/{method}", token, body=body)


class TeamTest(ApiTest):
    def setUp(self):
        super().setUp()
        self.team = sql1("SELECT privacybee.create_company('Team Co', %s)", unique("team"))
        self.other_team = sql1("SELECT privacybee.create_company('Other Co', %s)", unique("other"))
        self.a, self.a_token = member("Ann", "Employee", fresh_phone())
        self.b, self.b_token = member("Bob", "Employee", fresh_phone())
        self.x, self.x_token = member("Xia", "Outsider", fresh_phone())
        for person in (self.a, self.b):
            sql("SELECT privacybee.add_employee(%s, %s)", self.team, person)
        sql("SELECT privacybee.add_employee(%s, %s)", self.other_team, self.x)

    def team_contact(self, phone=None, token=None):
        data = {"name": {"givenName": "Client"}}
        if phone:
            data["phoneNumbers"] = [{"type": "work", "value": phone}]
        r = rpc(self, "contacts.create", {"teamId": str(self.team), "contact": {"contactData": data}},
                token or self.a_token)
        self.assertStatus(r, 200)
        return r.json["contact"]


class TestTeamContactPhotos(TeamTest):
    def test_a_team_contacts_photo_url_is_fetchable_by_every_employee_and_nobody_else(self):
        from test_photos import PNG
        c = self.team_contact()
        body, ctype = multipart([("contact.json", '{"teamId": "%s", "contact": {"contactId": "%s"}}'
                                  % (self.team, c["contactId"]))], (("image.png", "image/png", PNG),))
        up = self.req("POST", "/api/v1/contacts.uploadPhoto", self.a_token, raw=body, ctype=ctype)
        self.assertStatus(up, 200)
        url = up.json["contact"]["contactData"]["photos"][0]["url"]
        self.assertEqual(url, f"/contacts/{c['contactId']}/photo?teamId={self.team}")
        got = rpc(self, "contacts.get", {"teamId": str(self.team), "contactIds": [c["contactId"]]}, self.b_token)
        self.assertEqual(got.json["contacts"][0]["contactData"]["photos"], [{"url": url}])
        # the URL as handed out, with the token that received it: every employee's
        for token in (self.a_token, self.b_token):
            photo = self.req("GET", url, token)
            self.assertStatus(photo, 200)
            self.assertEqual(photo.data, PNG)
            self.assertEqual(photo.header("Content-Type"), "image/png")
        # not the member's own contact, another company's employee, a team not theirs
        self.assertStatus(self.req("GET", f"/contacts/{c['contactId']}/photo", self.a_token), 404)
        self.assertStatus(self.req("GET", url, self.x_token), 404)
        self.assertStatus(self.req("GET", f"/contacts/{c['contactId']}/photo?teamId={self.other_team}",
                                   self.a_token), 404)
        self.assertStatus(self.req("GET", f"/contacts/{c['contactId']}/photo?teamId=abc", self.a_token), 400)
        # a token without the team's scope: 403, as the Contacts+ team methods
        # (an employee: the 403 is the scope's, not the membership's)
        nia, narrow = member("Nia", "Narrow", fresh_phone(), scopes=["contacts:read"])
        sql("SELECT privacybee.add_employee(%s, %s)", self.team, nia)
        self.assertStatus(self.req("GET", url, narrow), 403)


class TestTeamContacts(TeamTest):
    def test_a_team_contact_is_every_employees_and_nobody_elses(self):
        c = self.team_contact()
        self.assertEqual(c["teamId"], str(self.team))
        self.assertEqual(c["contactMetadata"]["companyContact"], True)
        self.assertEqual(c["contactMetadata"]["sharedBy"], [str(self.a)])
        self.assertIsNone(c["contactMetadata"]["ownedBy"])
        # B, a coworker, sees and edits it
        seen = rpc(self, "contacts.get", {"teamId": str(self.team), "contactIds": [c["contactId"]]}, self.b_token)
        self.assertEqual(seen.json["contacts"], [c])
        r = rpc(self, "contacts.update", {"teamId": str(self.team), "contact": {
            "contactId": c["contactId"], "etag": c["etag"], "contactData": {"notes": "B was here"}}}, self.b_token)
        self.assertStatus(r, 200)
        # it is not A's or B's own contact
        for token in (self.a_token, self.b_token):
            self.assertEqual(rpc(self, "contacts.scroll", {}, token).json["contacts"], [])
            self.assertError(rpc(self, "contacts.get", {"contactIds": [c["contactId"]]}, token), 404)
            self.assertEqual(self.req("GET", f"/contacts/{c['contactId']}", token).status, 404)
        # another company's employee: the team is 404, its contact too
        for method, body in [("contacts.scroll", {}), ("contacts.get", {"contactIds": [c["contactId"]]}),
                             ("contacts.update", {"contact": {"contactId": c["contactId"],
                                                              "contactData": {"notes": "x"}},
                                                  "resolveConflicts": True}),
                             ("contacts.delete", {"contactId": c["contactId"], "etag": "v2"}),
                             ("tags.scroll", {})]:
            with self.subTest(method=method):
                r = rpc(self, method, {**body, "teamId": str(self.team)}, self.x_token)
                self.assertError(r, 404, "teamId")
                self.assertNotIn("B was here", r.raw)
        self.assertError(rpc(self, "contacts.get", {"contactIds": [c["contactId"]],
                                                    "teamId": str(self.other_team)}, self.x_token),
                         404, "contactIds[0]")
        # a former employee loses it at once
        sql("DELETE FROM privacybee.employees WHERE company_id = %s AND person_id = %s", self.team, self.b)
        self.assertError(rpc(self, "contacts.scroll", {"teamId": str(self.team)}, self.b_token), 404, "teamId")
        self.assertEqual(len(rpc(self, "contacts.scroll", {"teamId": str(self.team)}, self.a_token)
                             .json["contacts"]), 1)

    def test_every_create_announces_one_contact_created_and_no_update(self):
        """A team contact's create also records who shared it, in the same transaction: no
        contact.updated for that (the client sees one new contact, one ETag); a real update
        after it is one contact.updated. Counted in the outbox and the batches it moves to,
        so the delivery process running meanwhile changes nothing."""
        def announced(webhook_id):
            # two counts, so that each adds up over the shards in the sharded layout
            return sql1("SELECT count(*) FROM privacybee.webhook_events WHERE webhook_id = %s",
                        webhook_id) + (sql1("SELECT sum(events) FROM privacybee.webhook_batches "
                                            "WHERE webhook_id = %s", webhook_id) or 0)
        hooks = {}
        for who, extra in (("team", {"teamId": str(self.team)}), ("personal", {})):
            r = rpc(self, "webhooks.create", {"url": "https://192.0.2.1/hook", **extra,
                                              "triggerIds": ["contact.created", "contact.updated"]},
                    self.a_token)
            self.assertStatus(r, 200)
            hooks[who] = int(r.json["webhook"]["webhookId"])
        for who, extra in (("team", {"teamId": str(self.team)}), ("personal", {})):
            with self.subTest(who):
                r = rpc(self, "contacts.create", {**extra, "contact": {"contactData": {
                    "name": {"givenName": "Once"}}}}, self.a_token)
                self.assertStatus(r, 200)
                c = r.json["contact"]
                self.assertEqual(announced(hooks[who]), 1)
                r = rpc(self, "contacts.update", {**extra, "contact": {
                    "contactId": c["contactId"], "etag": c["etag"], "contactData": {"notes": "n"}}},
                    self.a_token)
                self.assertStatus(r, 200)
                self.assertEqual(announced(hooks[who]), 2)

    def test_team_tags_are_the_teams(self):
        t = rpc(self, "tags.create", {"teamId": str(self.team), "tag": {"tagData": {"name": "Leads"}}},
                self.a_token).json["tag"]
        c = self.team_contact()
        r = rpc(self, "contacts.manageTags", {"teamId": str(self.team), "contactIds": [c["contactId"]],
                                              "addTagIds": [t["tagId"]]}, self.b_token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["contacts"][0]["contactMetadata"]["tagIds"], [t["tagId"]])
        self.assertEqual([x["tagId"] for x in rpc(self, "tags.scroll", {"teamId": str(self.team)},
                                                  self.b_token).json["tags"]], [t["tagId"]])
        self.assertEqual(rpc(self, "tags.scroll", {}, self.a_token).json["tags"], [])
        self.assertError(rpc(self, "tags.get", {"tagIds": [t["tagId"]]}, self.a_token), 404, "tagIds[0]")
        r = rpc(self, "contacts.search", {"teamId": str(self.team), "searchQuery": "client",
                                          "tagIds": [t["tagId"]]}, self.b_token)
        self.assertEqual([x["contactId"] for x in r.json["contacts"]], [c["contactId"]])

    def test_change_owner_sets_and_clears_an_employee(self):
        c = self.team_contact()
        r = rpc(self, "contacts.changeOwner", {"teamId": str(self.team), "contactIds": [c["contactId"]],
                                               "ownerId": str(self.b)}, self.a_token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["contacts"][0]["contactMetadata"]["ownedBy"], str(self.b))
        self.assertNotEqual(r.json["contacts"][0]["etag"], c["etag"])
        self.assertError(rpc(self, "contacts.changeOwner", {"teamId": str(self.team), "contactIds": [c["contactId"]],
                                                            "ownerId": str(self.x)}, self.a_token), 404, "ownerId")
        self.assertError(rpc(self, "contacts.changeOwner", {"contactIds": [c["contactId"]], "ownerId": None},
                             self.a_token), 400, "teamId")
        self.assertError(rpc(self, "contacts.changeOwner", {"teamId": str(self.team), "contactIds": [c["contactId"]]},
                             self.a_token), 400, "ownerId")
        self.assertError(rpc(self, "contacts.changeOwner", {"teamId": str(self.team), "contactIds": [c["contactId"]],
                                                            "ownerId": None}, self.x_token), 404, "teamId")
        self.assertEqual(sql1("SELECT owned_by FROM privacybee.contacts WHERE id = %s", int(c["contactId"])),
                         self.b)
        r = rpc(self, "contacts.changeOwner", {"teamId": str(self.team), "contactIds": [c["contactId"]],
                                               "ownerId": None}, self.b_token)
        self.assertIsNone(r.json["contacts"][0]["contactMetadata"]["ownedBy"])
        # a former owner leaves no owner behind when deleted
        r = rpc(self, "contacts.changeOwner", {"teamId": str(self.team), "contactIds": [c["contactId"]],
                                               "ownerId": str(self.b)}, self.a_token)
        sql("DELETE FROM privacybee.people WHERE id = %s", self.b)
        got = rpc(self, "contacts.get", {"teamId": str(self.team), "contactIds": [c["contactId"]]}, self.a_token)
        self.assertIsNone(got.json["contacts"][0]["contactMetadata"]["ownedBy"])

    def test_a_team_needs_the_team_scope(self):
        _, own_only = member("Own", "Scopes", scopes=["contacts:read", "contacts:write", "tags.read", "tags.write"])
        uid = sql1("SELECT user_id FROM privacybee.tokens WHERE token_hash = privacybee.secret_hash(%s)", own_only)
        sql("SELECT privacybee.add_employee(%s, %s)", self.team, uid)
        self.assertStatus(rpc(self, "contacts.scroll", {}, own_only), 200)
        for method in ("contacts.scroll", "contacts.create", "tags.scroll", "tags.create"):
            with self.subTest(method=method):
                self.assertError(rpc(self, method, {"teamId": str(self.team)}, own_only), 403)
        _, team_read = member("Team", "Reader", scopes=["contacts:read", "teams.contacts.read"])
        uid = sql1("SELECT user_id FROM privacybee.tokens WHERE token_hash = privacybee.secret_hash(%s)", team_read)
        sql("SELECT privacybee.add_employee(%s, %s)", self.team, uid)
        self.assertStatus(rpc(self, "contacts.scroll", {"teamId": str(self.team)}, team_read), 200)
        before = sql1("SELECT count(*) FROM privacybee.contacts")
        self.assertError(rpc(self, "contacts.create", {"teamId": str(self.team), "contact": {
            "contactData": {"name": {"givenName": "x"}}}}, team_read), 403)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.contacts"), before)


class TestTeamContactsInTheTrustGraph(TeamTest):
    def lookup(self, receiver_buzz, caller):
        q = urllib.parse.urlencode({"number_code": "1", "number": receiver_buzz[2:],
                                    "inbound_code": "1", "inbound": caller[2:]})
        return self.req("GET", f"/apps/buzz/trust-lookup?{q}", service_token()).json["trusted"]

    def test_a_team_contact_rings_every_employee_while_they_work_there(self):
        buzz = give_buzz_number(self.b)   # of B's shard's part of the pool: the lookup runs there
        caller = fresh_phone()
        self.assertFalse(self.lookup(buzz, caller))
        c = self.team_contact(caller)  # A adds it; B's calls from it ring
        self.assertTrue(self.lookup(buzz, caller))
        self.assertTrue(sql1("SELECT privacybee.trust_eval(%s, %s)", self.b, caller))
        self.assertFalse(sql1("SELECT privacybee.trust_eval(%s, %s)", self.x, caller))
        # call-lookup shows the team's contact as the match
        q = urllib.parse.urlencode({"number_code": "1", "number": buzz[2:], "inbound_code": "1",
                                    "inbound": caller[2:]})
        matches = self.req("GET", f"/apps/buzz/call-lookup?{q}", service_token()).json
        self.assertEqual([m["id"] for m in matches["contacts"]], [int(c["contactId"])])
        # B untrusts nobody: leaving the company ends it, joining again brings it back
        sql("DELETE FROM privacybee.employees WHERE company_id = %s AND person_id = %s", self.team, self.b)
        self.assertFalse(self.lookup(buzz, caller))
        sql("SELECT privacybee.add_employee(%s, %s)", self.team, self.b)
        self.assertTrue(self.lookup(buzz, caller))
        # an explicit untrust of the number's owner still wins
        owner, _ = member("Own", "Er", caller)
        self.assertStatus(self.req("POST", f"/contacts/trust/{owner}", self.b_token,
                                   body={"trusted": 0, "type": "person"}), 201)
        self.assertFalse(self.lookup(buzz, caller))
        self.assertStatus(self.req("POST", f"/contacts/trust/{owner}", self.b_token,
                                   body={"trusted": 1, "type": "person"}), 201)
        # the contact deleted (by A): B's calls from it no longer ring through it
        sql("DELETE FROM privacybee.people WHERE id = %s", owner)
        self.assertStatus(rpc(self, "contacts.delete", {"teamId": str(self.team), "contactId": c["contactId"],
                                                        "etag": c["etag"]}, self.a_token), 200)
        self.assertFalse(self.lookup(buzz, caller))
        self.assertEqual(sql("SELECT * FROM privacybee.trust_verify()"), [])

    def test_the_company_deleted_takes_its_team_contacts_with_it(self):
        caller = fresh_phone()
        self.team_contact(caller)
        self.assertTrue(sql1("SELECT privacybee.trust_eval(%s, %s)", self.a, caller))
        sql("DELETE FROM privacybee.companies WHERE id = %s", self.team)
        self.assertFalse(sql1("SELECT privacybee.trust_eval(%s, %s)", self.a, caller))
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.people WHERE team_of = %s", self.team), 0)
        self.assertEqual(sql("SELECT * FROM privacybee.trust_verify()"), [])
