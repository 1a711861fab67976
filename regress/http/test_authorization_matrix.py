"""The authorization matrix: member B uses every id and number of member A on every route.
The answer is always 404 / 403 / empty, never A's data. The routes come from the route
registry (api/routes, through harness.route_table), so a route added without a case here
fails this suite."""
import urllib.parse
import uuid

from harness import (ApiTest, Client, fresh_phone, give_buzz_number, member, multipart, oauth_client,
                     own_error_statuses, route_table, service_token, sql, sql1, unique)

# the smallest PNG (1x1)
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
                    "0000000c49444154789c63606060000000040001f61738550000000049454e44ae426082")


class TestAuthorizationMatrix(ApiTest):
    @classmethod
    def setUpClass(cls):
        cls.a_phone = fresh_phone()
        cls.a, cls.a_token = member("Alice", "Owner", cls.a_phone)
        cls.b, cls.b_token = member("Bob", "Intruder", fresh_phone())
        cls.company = sql1("SELECT privacybee.create_company('A Corp', %s)", unique("acorp"))
        sql("SELECT privacybee.add_employee(%s, %s)", cls.company, cls.a)
        cls.a_buzz = give_buzz_number(cls.a)
        cls.secret = "A's secret contact"
        cls.friend = fresh_phone()
        cls.contact = sql1("SELECT (privacybee.sync_contacts(%s, %s::jsonb))[1]", cls.a,
                           '[{"display_name": "%s", "phone_numbers": ["%s"], "external_id": "a-1"}]'
                           % (cls.secret, cls.friend))
        cls.tag = sql1("INSERT INTO privacybee.tags (user_id, name) VALUES (%s, 'A''s secret tag') "
                       "RETURNING id", cls.a)
        sql("INSERT INTO privacybee.contact_tags (user_id, contact_id, tag_id, pos) VALUES (%s, %s, %s, 0)",
            cls.a, cls.contact, cls.tag)
        cls.photo = PNG + b"A's photo"
        sql("INSERT INTO privacybee.contact_photos (user_id, contact_id, content_type, width, height, "
            "data, etag) VALUES (%s, %s, 'image/png', 1, 1, %s, 'a-photo')",
            cls.a, cls.contact, cls.photo)
        third, _ = member("Carol", "Asker")
        sql("INSERT INTO privacybee.trust_requests (user_id, requester_id, contact_reason) "
            "VALUES (%s, %s, 'A''s private request')", cls.a, third)
        sql("INSERT INTO privacybee.blocked_calls (user_id, caller_id, inbound_code, inbound) "
            "VALUES (%s, 'A''s blocked caller', '1', '2125550000')", cls.a)
        cls.activity = sql1(
            "INSERT INTO privacybee.activities (type, sendable_type, sendable_id, receivable_type, "
            "receivable_id, message, message_id) VALUES ('chat_message', 'person', %s, 'company', "
            "%s, 'A''s ciphertext', %s) RETURNING id", cls.a, cls.company, str(uuid.uuid4()))
        sql("INSERT INTO privacybee.activity_parties VALUES ('person', %s, %s), ('company', %s, %s)",
            cls.a, cls.activity, cls.company, cls.activity)
        # A authorised an app: a code not yet exchanged, and a grant with its refresh token
        cls.client_id, cls.client_secret = oauth_client()
        cls.redirect = "https://app.example/cb"
        ask = {"client_id": cls.client_id, "redirect_uri": cls.redirect, "scope": "contacts.read"}
        client = Client()
        codes = [client.request("POST", "/oauth/authorize", cls.a_token, body=ask).json["redirect_to"]
                 .split("code=")[1] for _ in range(2)]
        cls.a_code = codes[0]
        cls.a_refresh = client.request("POST", "/oauth/token", form={
            "grant_type": "authorization_code", "code": codes[1], "redirect_uri": cls.redirect,
            "client_id": cls.client_id, "client_secret": cls.client_secret}).json["refresh_token"]

        # a webhook of A's (its URL a documentation address: nothing is ever posted there)
        cls.hook_url = "https://192.0.2.1/A-s-secret-hook"
        cls.hook = sql1("SELECT id FROM privacybee.webhook_create(%s, %s, '{contact.created}')",
                        cls.a, cls.hook_url)

    def assertNoDataOfA(self, r):
        for secret in (self.secret, "A's private request", "A's blocked caller", "A's ciphertext",
                       self.friend, self.a_buzz, self.a_code, self.a_refresh, self.hook_url,
                       "A's secret tag", "A's photo"):
            self.assertNotIn(secret, r.raw, r)

    def cases(self):
        """method, pattern → (request made by B with A's ids and numbers, allowed statuses)."""
        a, c, act, tag = self.a, self.contact, self.activity, self.tag
        lookup = urllib.parse.urlencode({"number_code": self.a_buzz[1], "number": self.a_buzz[2:],
                                         "inbound_code": self.friend[1], "inbound": self.friend[2:]})
        return {
            ("GET", "/contacts"): (("GET", "/contacts?include=emails,addresses,phone_numbers", None), {200}),
            ("POST", "/contacts/sync"): (("POST", "/contacts/sync", [{"id": c, "display_name": "x"}]), {404}),
            ("GET", "/contacts/requests"): (("GET", "/contacts/requests", None), {200}),
            ("POST", "/contacts/requests"): (("POST", "/contacts/requests", {"phone": self.a_phone}), {201}),
            # a decision about A is B's own data (201, echoing only id/type/trusted); an untrust,
            # so that A's coworker listing below stays hidden from B
            ("POST", "/contacts/trust/{id}"): (("POST", f"/contacts/trust/{a}", {"trusted": 0}), {201}),
            ("GET", "/contacts/employees/{id}"): (("GET", f"/contacts/employees/{a}", None), {404}),
            ("DELETE", "/contacts/clear/{id}"): (("DELETE", f"/contacts/clear/{a}", None), {404}),
            ("GET", "/contacts/{id}"): (("GET", f"/contacts/{c}", None), {404}),
            ("PUT", "/contacts/{id}"): (("PUT", f"/contacts/{c}", {"display_name": "x"}), {404}),
            ("PATCH", "/contacts/{id}"): (("PATCH", f"/contacts/{c}", {"labels": None}), {404}),
            ("DELETE", "/contacts/{id}"): (("DELETE", f"/contacts/{c}", None), {404}),
            ("GET", "/apps/buzz/trust-lookup"): (("GET", f"/apps/buzz/trust-lookup?{lookup}", None), {403}),
            ("POST", "/apps/buzz/trust-lookup"): (("POST", "/apps/buzz/trust-lookup",
                                                  dict(urllib.parse.parse_qsl(lookup))), {403}),
            ("GET", "/apps/buzz/call-lookup"): (("GET", f"/apps/buzz/call-lookup?{lookup}", None), {403}),
            ("POST", "/apps/buzz/call-lookup"): (("POST", "/apps/buzz/call-lookup",
                                                 dict(urllib.parse.parse_qsl(lookup))), {403}),
            ("GET", "/apps/buzz/heartbeat"): (("GET", "/apps/buzz/heartbeat", None), {200}),
            ("GET", "/apps/buzz/blocked"): (("GET", "/apps/buzz/blocked", None), {200}),
            ("POST", "/apps/buzz/activity"): (("POST", "/apps/buzz/activity", {
                "type": "chat_message", "sendable_type": "person", "sendable_id": a,
                "receivable_type": "person", "receivable_id": self.b, "message": "forged",
                "message_id": str(uuid.uuid4())}), {403}),
            ("GET", "/apps/buzz/activity/{id}"): (("GET", f"/apps/buzz/activity/{act - 1}", None), {200}),
            ("PUT", "/apps/buzz/encryption"): (("PUT", "/apps/buzz/encryption",
                                               {"hash": "h", "e2e_id": "b"}), {200}),
            ("DELETE", "/apps/buzz/clear"): (("DELETE", "/apps/buzz/clear", None), {204}),
            ("GET", "/openapi.json"): (("GET", "/openapi.json", None), {200}),
            # the Contacts+ RPC: A's ids are B's 404, B's own listings hold nothing of A's
            ("POST", "/api/v1/account.get"): (("POST", "/api/v1/account.get", {}), {200}),
            ("POST", "/api/v1/contacts.get"): (("POST", "/api/v1/contacts.get", {"contactIds": [str(c)]}), {404}),
            ("POST", "/api/v1/contacts.scroll"): (("POST", "/api/v1/contacts.scroll",
                                                   {"includeDeletedContacts": True}), {200}),
            ("POST", "/api/v1/contacts.search"): (("POST", "/api/v1/contacts.search",
                                                   {"searchQuery": "secret"}), {200}),
            ("POST", "/api/v1/contacts.create"): (("POST", "/api/v1/contacts.create", {"contact": {
                "contactData": {"name": {"givenName": "B's own"}},
                "contactMetadata": {"tagIds": [str(tag)]}}}), {404}),
            ("POST", "/api/v1/contacts.update"): (("POST", "/api/v1/contacts.update", {"contact": {
                "contactId": str(c), "contactData": {"notes": "x"}}, "resolveConflicts": True}), {404}),
            ("POST", "/api/v1/contacts.delete"): (("POST", "/api/v1/contacts.delete",
                                                   {"contactId": str(c), "etag": "v1"}), {404}),
            ("POST", "/api/v1/contacts.manageTags"): (("POST", "/api/v1/contacts.manageTags", {
                "contactIds": [str(c)], "removeTagIds": [str(tag)]}), {404}),
            ("POST", "/api/v1/contacts.uploadPhoto"): (("POST", "/api/v1/contacts.uploadPhoto", multipart(
                [("contact.json", '{"contact": {"contactId": "%d"}}' % c)], [("image.png", "image/png", PNG)])),
                {404}),
            # A's company is not B's team
            ("POST", "/api/v1/contacts.changeOwner"): (("POST", "/api/v1/contacts.changeOwner", {
                "teamId": str(self.company), "contactIds": [str(c)], "ownerId": str(a)}), {404}),
            ("POST", "/api/v1/tags.get"): (("POST", "/api/v1/tags.get", {"tagIds": [str(tag)]}), {404}),
            ("POST", "/api/v1/tags.scroll"): (("POST", "/api/v1/tags.scroll", {}), {200}),
            ("POST", "/api/v1/tags.create"): (("POST", "/api/v1/tags.create",
                                               {"tag": {"tagData": {"name": "B's own tag"}}}), {200}),
            ("POST", "/api/v1/tags.update"): (("POST", "/api/v1/tags.update", {"tag": {
                "tagId": str(tag), "etag": "v1.1", "tagData": {"name": "x"}}}), {404}),
            ("POST", "/api/v1/tags.delete"): (("POST", "/api/v1/tags.delete",
                                               {"tagId": str(tag), "etag": "v1.1"}), {404}),
            ("POST", "/api/v1/teams.get"): (("POST", "/api/v1/teams.get", {}), {200}),
            ("POST", "/api/v1/webhooks.get"): (("POST", "/api/v1/webhooks.get",
                                                {"webhookIds": [str(self.hook)]}), {404}),
            ("POST", "/api/v1/webhooks.search"): (("POST", "/api/v1/webhooks.search", {"url": "secret"}), {200}),
            ("POST", "/api/v1/webhooks.create"): (("POST", "/api/v1/webhooks.create", {
                "url": "https://192.0.2.1/b-cplus", "triggerIds": ["contact.created"]}), {200}),
            ("POST", "/api/v1/webhooks.delete"): (("POST", "/api/v1/webhooks.delete",
                                                   {"webhookId": str(self.hook)}), {404}),
            ("POST", "/api/v1/webhooks.getBatches"): (("POST", "/api/v1/webhooks.getBatches",
                                                       {"webhookId": str(self.hook)}), {404}),
            ("POST", "/api/v1/webhooks.getTriggers"): (("POST", "/api/v1/webhooks.getTriggers", {}), {200}),
            # an app's request is B's to answer for B alone (a code of B's own); A's code and
            # refresh token are nothing without the app's secret, which B does not have
            ("GET", "/oauth/authorize"): (("GET", "/oauth/authorize?" + urllib.parse.urlencode({
                "client_id": self.client_id, "redirect_uri": self.redirect, "scope": "contacts.read"}),
                None), {200}),
            ("POST", "/oauth/authorize"): (("POST", "/oauth/authorize", {
                "client_id": self.client_id, "redirect_uri": self.redirect, "scope": "contacts.read"}),
                {200}),
            ("POST", "/oauth/token"): (("POST", "/oauth/token", {
                "grant_type": "authorization_code", "code": self.a_code, "redirect_uri": self.redirect,
                "client_id": self.client_id, "client_secret": "B's guess"}), {401}),
            ("POST", "/oauth/revoke"): (("POST", "/oauth/revoke", {
                "token": self.a_refresh, "client_id": self.client_id}), {401}),
            ("POST", "/v3/oauth.exchangeAuthCode"): (("POST", "/v3/oauth.exchangeAuthCode", {
                "code": self.a_code, "redirect_uri": self.redirect, "client_id": self.client_id}), {401}),
            ("POST", "/v3/oauth.refreshToken"): (("POST", "/v3/oauth.refreshToken", {
                "refresh_token": self.a_refresh, "client_id": self.client_id,
                "client_secret": ""}), {401}),
            ("GET", "/webhooks"): (("GET", "/webhooks?trigger_id=contact.created", None), {200}),
            ("POST", "/webhooks"): (("POST", "/webhooks", {"url": "https://192.0.2.1/b",
                                                         "trigger_ids": ["contact.created"]}), {201}),
            ("GET", "/webhooks/triggers"): (("GET", "/webhooks/triggers", None), {200}),
            ("GET", "/webhooks/{id}"): (("GET", f"/webhooks/{self.hook}", None), {404}),
            ("DELETE", "/webhooks/{id}"): (("DELETE", f"/webhooks/{self.hook}", None), {404}),
            ("GET", "/webhooks/{id}/batches"): (("GET", f"/webhooks/{self.hook}/batches", None), {404}),
            # B's own (empty) findings, never A's contact, whatever B asks for
            ("POST", "/contacts/search"): (("POST", "/contacts/search", {"filter": {
                "operator": "or", "subfilters": [
                    {"field": "id", "operator": "equals", "value": c},
                    {"field": "tag", "operator": "equals", "value": tag},
                    {"field": "display_name", "operator": "string_contains", "value": "secret"},
                    {"field": "phone", "operator": "equals", "value": self.friend}]}}), {200}),
            ("POST", "/contacts/tags"): (("POST", "/contacts/tags",
                                         {"contact_ids": [c], "remove": [tag]}), {404}),
            ("GET", "/tags"): (("GET", "/tags", None), {200}),
            # B's own tag (a name is the member's: A's tags are not in its way)
            ("POST", "/tags"): (("POST", "/tags", {"name": "Secret Tag"}), {201}),
            ("GET", "/tags/{id}"): (("GET", f"/tags/{tag}", None), {404}),
            ("PUT", "/tags/{id}"): (("PUT", f"/tags/{tag}", {"name": "x"}), {404}),
            ("PATCH", "/tags/{id}"): (("PATCH", f"/tags/{tag}", {"name": "x"}), {404}),
            ("DELETE", "/tags/{id}"): (("DELETE", f"/tags/{tag}", None), {404}),
            ("PUT", "/contacts/{id}/photo"): (("PUT", f"/contacts/{c}/photo", PNG), {404}),
            ("GET", "/contacts/{id}/photo"): (("GET", f"/contacts/{c}/photo", None), {404}),
            ("DELETE", "/contacts/{id}/photo"): (("DELETE", f"/contacts/{c}/photo", None), {404}),
        }

    def test_every_route_has_a_case(self):
        routes = {(m, p) for m, p, *_ in route_table()}
        self.assertEqual(routes - set(self.cases()), set())

    def send(self, method, pattern, m, path, body, token):
        """The case's request; a photo goes as its bytes, a form route's body as a form."""
        if isinstance(body, bytes):
            return self.req(m, path, token, raw=body, ctype="image/png")
        if isinstance(body, tuple):  # multipart: (bytes, Content-Type)
            return self.req(m, path, token, raw=body[0], ctype=body[1])
        if (method, pattern) in self.form_routes:
            return self.req(m, path, token, form=body)
        return self.req(m, path, token, body=body)

    form_routes = {(m, p) for m, p, _, _, kind in route_table() if kind == "form"}

    def test_b_never_sees_or_changes_a_data(self):
        before = sql("SELECT display_name, version FROM privacybee.contacts WHERE user_id = %s", self.a)
        own = own_error_statuses()
        for (method, pattern), ((m, path, body), allowed) in self.cases().items():
            with self.subTest(route=f"{method} {pattern}"):
                r = self.send(method, pattern, m, path, body, self.b_token)
                self.assertIn(r.status, allowed, r)
                self.assertNoDataOfA(r)
                if r.status in own[method, pattern] and isinstance(r.json["error"], str):
                    pass  # the route's own error body (RFC 6749 §5.2), checked by the OpenAPI check
                elif r.status >= 400:
                    self.assertEqual(r.json["error"]["code"], str(r.status))
        self.assertEqual(sql("SELECT display_name, version FROM privacybee.contacts WHERE user_id = %s",
                             self.a), before)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.blocked_calls WHERE user_id = %s", self.a), 1)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.activities WHERE id = %s", self.activity), 1)
        self.assertIsNone(sql1("SELECT e2e_hash FROM privacybee.people WHERE id = %s", self.a))
        # A's code is unspent, A's grant alive
        self.assertEqual(sql("SELECT grant_id IS NULL FROM privacybee.oauth_codes WHERE user_id = %s "
                             "AND code_hash = privacybee.secret_hash(%s)", self.a, self.a_code), [(True,)])
        self.assertEqual(sql("SELECT revoked_at IS NULL FROM privacybee.oauth_grants WHERE user_id = %s",
                             self.a), [(True,)])
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.webhooks WHERE user_id = %s", self.a), 1)
        self.assertEqual(sql("SELECT name, version FROM privacybee.tags WHERE user_id = %s", self.a),
                         [("A's secret tag", 1)])
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.contact_tags WHERE user_id = %s",
                              self.a), 1)
        self.assertEqual(bytes(sql1("SELECT data FROM privacybee.contact_photos WHERE user_id = %s",
                                    self.a)), self.photo)

    def test_a_service_token_reads_no_member_data(self):
        token = service_token()
        member_routes = {(m, p) for m, p, _, scope, _ in route_table()
                         if scope and scope != "buzz:lookup"}
        for (method, pattern), ((m, path, body), _) in self.cases().items():
            if (method, pattern) not in member_routes:
                continue
            with self.subTest(route=f"{method} {pattern}"):
                r = self.send(method, pattern, m, path, body, token)
                self.assertEqual(r.status, 403, r)
                self.assertNoDataOfA(r)
