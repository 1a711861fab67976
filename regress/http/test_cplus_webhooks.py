"""The Contacts+ webhooks.* methods (SPEC §10 over §11): the seed's shapes over the same
webhooks as /webhooks (sql/logic/70_webhooks.sql's functions). For each: success in the
seed's shape, bad input (400, nothing written), another member's webhook (404), a token
without the scope (403); a team's webhooks are the team's."""
from harness import ApiTest, member, sql, sql1, unique

URL = "https://192.0.2.1/hook"  # a documentation address: nothing is ever posted there


def rpc(test, method, body, token):
    return test.req("POST", f"/api/v1/{method}", token, body=body)


class TestCplusWebhooks(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member("Web", "Hooker")
        self.other, self.other_token = member("Oth", "Er")

    def create(self, token=None, **body):
        r = rpc(self, "webhooks.create", {"url": URL, "triggerIds": ["contact.created"], **body},
                token or self.token)
        self.assertStatus(r, 200)
        return r.json["webhook"]

    def count(self, uid=None):
        return sql1("SELECT count(*) FROM privacybee.webhooks WHERE user_id = %s", uid or self.uid)

    def test_create_answers_the_seeds_webhook_with_its_secret_once(self):
        w = self.create()
        self.assertEqual(set(w), {"webhookId", "url", "triggers", "created", "accountId", "secret"})
        self.assertEqual((w["url"], w["triggers"], w["accountId"]), (URL, ["contact.created"], str(self.uid)))
        rest = self.req("GET", f"/webhooks/{w['webhookId']}", self.token)
        self.assertStatus(rest, 200)
        got = rpc(self, "webhooks.get", {"webhookIds": [w["webhookId"]]}, self.token).json["webhooks"]
        self.assertEqual(got, [{k: v for k, v in w.items() if k != "secret"}])
        self.assertNotIn(w["secret"], rpc(self, "webhooks.search", {}, self.token).raw)

    def test_bad_input_is_400_and_writes_nothing(self):
        before = self.count()
        for body, field in [({"triggerIds": ["contact.created"]}, "url"),
                            ({"url": "http://192.0.2.1/plain", "triggerIds": ["contact.created"]}, "url"),
                            ({"url": URL}, "triggerIds"),
                            ({"url": URL, "triggerIds": ["no.such"]}, "triggerIds[0]"),
                            ({"url": URL, "triggerIds": ["contact.created"], "x": 1}, "x")]:
            with self.subTest(body=body):
                self.assertError(rpc(self, "webhooks.create", body, self.token), 400, field)
        self.assertEqual(self.count(), before)
        self.assertError(rpc(self, "webhooks.get", {}, self.token), 400, "webhookIds")
        self.assertError(rpc(self, "webhooks.search", {"page": 0}, self.token), 400, "page")
        self.assertError(rpc(self, "webhooks.delete", {"webhookId": "x"}, self.token), 400, "webhookId")

    def test_search_finds_by_url_and_trigger(self):
        a = self.create()
        b = self.create(url="https://192.0.2.1/other", triggerIds=["tag.created"])
        ids = lambda r: [w["webhookId"] for w in r.json["webhooks"]]
        self.assertEqual(ids(rpc(self, "webhooks.search", {}, self.token)), [a["webhookId"], b["webhookId"]])
        self.assertEqual(ids(rpc(self, "webhooks.search", {"url": "other"}, self.token)), [b["webhookId"]])
        self.assertEqual(ids(rpc(self, "webhooks.search", {"triggerIds": ["contact.created"]}, self.token)),
                         [a["webhookId"]])
        self.assertEqual(ids(rpc(self, "webhooks.search", {"page": 2}, self.token)), [])

    def test_another_members_webhook_is_404_and_stays(self):
        theirs = self.create(self.other_token)
        for method, body in [("webhooks.get", {"webhookIds": [theirs["webhookId"]]}),
                             ("webhooks.delete", {"webhookId": theirs["webhookId"]}),
                             ("webhooks.getBatches", {"webhookId": theirs["webhookId"]})]:
            with self.subTest(method=method):
                r = rpc(self, method, body, self.token)
                self.assertError(r, 404)
                self.assertNotIn(URL, r.raw)
        self.assertEqual(rpc(self, "webhooks.search", {}, self.token).json["webhooks"], [])
        self.assertEqual(self.count(self.other), 1)

    def test_delete_and_batches(self):
        w = self.create()
        r = rpc(self, "webhooks.getBatches", {"webhookId": w["webhookId"]}, self.token)
        self.assertEqual(r.json, {"batches": []})
        r = rpc(self, "webhooks.delete", {"webhookId": w["webhookId"]}, self.token)
        self.assertEqual(r.json, {"webhookId": w["webhookId"], "deleted": True})
        self.assertEqual(self.count(), 0)
        self.assertError(rpc(self, "webhooks.delete", {"webhookId": w["webhookId"]}, self.token), 404, "webhookId")

    def test_triggers_and_scopes(self):
        r = rpc(self, "webhooks.getTriggers", {}, self.token)
        self.assertIn("contact.created", [t["triggerId"] for t in r.json["triggers"]])
        _, read_only = member("Read", "Only", scopes=["webhooks:read", "contacts:read"])
        self.assertError(rpc(self, "webhooks.create", {"url": URL, "triggerIds": ["contact.created"]},
                             read_only), 403)
        _, no_contacts = member("No", "Contacts", scopes=["webhooks:read", "webhooks:write"])
        self.assertError(rpc(self, "webhooks.create", {"url": URL, "triggerIds": ["contact.created"]},
                             no_contacts), 403)
        _, nothing = member("No", "Webhooks", scopes=["contacts:read"])
        for method in ("webhooks.get", "webhooks.search", "webhooks.getTriggers", "webhooks.getBatches"):
            with self.subTest(method=method):
                self.assertError(rpc(self, method, {}, nothing), 403)

    def test_a_teams_webhooks_are_the_teams(self):
        team = sql1("SELECT privacybee.create_company('Hook Co', %s)", unique("hook"))
        sql("SELECT privacybee.add_employee(%s, %s)", team, self.uid)
        w = self.create(teamId=str(team))
        self.assertEqual(w["accountId"], str(team))  # the teamId teams.get writes
        teams = rpc(self, "teams.get", {}, self.token).json["teams"]
        self.assertIn(w["accountId"], [t["teamId"] for t in teams])
        self.assertEqual(rpc(self, "webhooks.get", {"teamId": str(team), "webhookIds": [w["webhookId"]]},
                             self.token).json["webhooks"][0]["accountId"], str(team))
        self.assertEqual(rpc(self, "webhooks.search", {}, self.token).json["webhooks"], [])
        self.assertEqual([x["webhookId"] for x in rpc(self, "webhooks.search", {"teamId": str(team)},
                                                      self.token).json["webhooks"]], [w["webhookId"]])
        self.assertError(rpc(self, "webhooks.search", {"teamId": str(team)}, self.other_token), 404, "teamId")
