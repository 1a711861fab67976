"""Buzz routes (SPEC §6): trust-lookup, call-lookup, heartbeat, blocked, activity,
encryption, clear."""
import urllib.parse
import uuid

from harness import ApiTest, buzz_number_for, fresh_phone, give_buzz_number, member, member_sql, service_token, sql, sql1, unique


def add_pool_number(uid):
    """A free number in the pool that member uid's shard hands out (a shard gives only its
    part of the pool: docs/sharding.md; any number on one database)."""
    number = buzz_number_for(uid)
    sql("SELECT privacybee.add_buzz_numbers(%s)", [number])
    return number


def buzz_member(first="Buzz"):
    """A member holding a Buzz number: (user_id, token, buzz E.164)."""
    uid, token = member(first, "Member", fresh_phone())
    number = give_buzz_number(uid)
    return uid, token, number


def call(receiver_e164, caller_e164, **extra):
    return {"number_code": receiver_e164[1], "number": receiver_e164[2:],
            "inbound_code": caller_e164[1], "inbound": caller_e164[2:], **extra}


class LookupTest(ApiTest):
    def setUp(self):
        super().setUp()
        self.service = service_token()
        self.uid, self.token, self.buzz = buzz_member()

    def lookup(self, params, route="trust-lookup", how="GET"):
        path = f"/apps/buzz/{route}"
        if how == "GET":
            return self.req("GET", path + "?" + urllib.parse.urlencode(params), self.service)
        if how == "FORM":
            return self.req("POST", path, self.service, raw=urllib.parse.urlencode(params).encode(),
                            ctype="application/x-www-form-urlencoded")
        return self.req("POST", path, self.service, body=params)

    def blocked_count(self):
        return sql1("SELECT count(*) FROM privacybee.blocked_calls WHERE user_id = %s", self.uid)


class TestTrustLookup(LookupTest):
    def test_contact_is_trusted_by_get_form_and_json(self):
        friend = fresh_phone()
        self.req("POST", "/contacts/sync", self.token,
                 body=[{"display_name": "F", "phone_numbers": [friend[2:5] + "-" + friend[5:]]}])
        for how in ("GET", "FORM", "JSON"):
            with self.subTest(how=how):
                r = self.lookup(call(self.buzz, friend), how=how)
                self.assertStatus(r, 200)
                self.assertEqual(r.json, {"trusted": True, "user_id": self.uid})
        self.assertEqual(self.blocked_count(), 0)

    def test_json_numbers_are_accepted(self):
        friend = fresh_phone()
        self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "F", "phone": [friend]}])
        params = call(self.buzz, friend)
        params["number_code"] = 1
        params["inbound"] = int(params["inbound"])
        self.assertEqual(self.lookup(params, how="JSON").json["trusted"], True)

    def test_a_contact_added_is_trusted_in_the_very_next_lookup(self):
        caller = fresh_phone()
        self.assertFalse(self.lookup(call(self.buzz, caller)).json["trusted"])
        self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "New", "phone": [caller]}])
        self.assertTrue(self.lookup(call(self.buzz, caller)).json["trusted"])

    def test_a_caller_dialled_with_an_international_prefix_is_the_same_caller(self):
        # the provider may pass the number as dialled: 011 (NANP's prefix) + code + number,
        # read as phone_e164() reads it (one reading wherever a number enters)
        friend = fresh_phone()
        self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "G", "phone": [friend]}])
        for inbound in (f"011 1 {friend[2:5]} {friend[5:8]} {friend[8:]}", f"011{friend[1:]}"):
            with self.subTest(inbound=inbound):
                params = call(self.buzz, friend)
                params["inbound"] = inbound
                self.assertEqual(self.lookup(params).json, {"trusted": True, "user_id": self.uid})
                self.assertEqual(self.lookup(params, how="FORM").json["trusted"], True)

    def test_untrusted_call_is_logged_once_per_call_sid(self):
        stranger = fresh_phone()
        sid = unique("CA")
        for _ in range(3):
            r = self.lookup(call(self.buzz, stranger, call_sid=sid, caller_id="Spam"), how="FORM")
            self.assertEqual(r.json, {"trusted": False, "user_id": self.uid})
        self.assertEqual(self.blocked_count(), 1)
        self.lookup(call(self.buzz, stranger))           # no call_sid: each one is logged
        self.lookup(call(self.buzz, stranger))
        self.assertEqual(self.blocked_count(), 3)

    def test_invalid_caller_is_untrusted_without_a_hint(self):
        r = self.lookup({"number_code": self.buzz[1], "number": self.buzz[2:],
                         "inbound_code": "1", "inbound": "12"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"trusted": False, "user_id": self.uid})

    def test_unknown_receiver_is_untrusted_and_null(self):
        r = self.lookup(call("+14155550000", fresh_phone()))
        self.assertEqual(r.json, {"trusted": False, "user_id": None})

    def test_member_phone_is_not_a_receiving_number(self):
        phone = sql1("SELECT phone_e164 FROM privacybee.people WHERE id = %s", self.uid)
        r = self.lookup(call(phone, phone))
        self.assertEqual(r.json["user_id"], None)

    def test_missing_parameter_is_400(self):
        for missing in ("number_code", "number", "inbound_code", "inbound"):
            with self.subTest(missing=missing):
                params = call(self.buzz, fresh_phone())
                del params[missing]
                self.assertError(self.lookup(params), 400, missing)
        self.assertEqual(self.blocked_count(), 0)

    def test_provider_fields_are_ignored(self):
        r = self.lookup(call(self.buzz, fresh_phone(), AccountSid="AC1", Direction="inbound"), how="FORM")
        self.assertStatus(r, 200)

    def test_member_token_without_lookup_scope_is_403(self):
        r = self.req("GET", "/apps/buzz/trust-lookup?" + urllib.parse.urlencode(
            call(self.buzz, fresh_phone())), self.token)
        self.assertError(r, 403)

    def test_no_token_is_401(self):
        self.assertError(self.req("GET", "/apps/buzz/trust-lookup?number=1"), 401)

    def test_form_body_needs_a_content_type(self):
        r = self.req("POST", "/apps/buzz/trust-lookup", self.service, raw=b"number=1",
                     ctype="text/plain")
        self.assertError(r, 415)


class TestCallLookup(LookupTest):
    def test_trusted_call_lists_what_made_it_trusted(self):
        friend_uid, _ = member("Fri", "End", fresh_phone())
        friend = sql1("SELECT phone_e164 FROM privacybee.people WHERE id = %s", friend_uid)
        self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "My friend", "phone": [friend]}])
        self.req("POST", f"/contacts/trust/{friend_uid}", self.token, body={"trusted": 1})
        r = self.lookup(call(self.buzz, friend), route="call-lookup")
        self.assertStatus(r, 200)
        self.assertEqual([c["display_name"] for c in r.json["contacts"]], ["My friend"])
        self.assertEqual([p["id"] for p in r.json["people"]], [friend_uid])
        self.assertEqual(set(r.json["people"][0]), {"id", "first_name", "last_name", "avatar"})
        self.assertEqual(r.json["companies"], [])

    def test_trusted_company_is_listed(self):
        phone = fresh_phone()
        company = sql1("SELECT privacybee.create_company('Bank', %s, %s)", unique("bank"), [phone])
        self.req("POST", f"/contacts/trust/{company}", self.token, body={"trusted": 1, "type": "company"})
        r = self.lookup(call(self.buzz, phone), route="call-lookup", how="JSON")
        self.assertEqual([c["id"] for c in r.json["companies"]], [company])
        self.assertEqual(set(r.json["companies"][0]), {"id", "name", "slug", "logo", "url"})

    def test_untrusted_call_is_all_empty_and_not_logged(self):
        stranger_uid, _ = member("Str", "Anger", fresh_phone())
        phone = sql1("SELECT phone_e164 FROM privacybee.people WHERE id = %s", stranger_uid)
        self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "S", "phone": [phone]}])
        self.req("POST", f"/contacts/trust/{stranger_uid}", self.token, body={"trusted": 0})
        r = self.lookup(call(self.buzz, phone), route="call-lookup")
        self.assertEqual(r.json, {"contacts": [], "people": [], "companies": []})
        self.assertEqual(self.blocked_count(), 0)


class TestHeartbeat(ApiTest):
    def test_assigns_a_number_once(self):
        uid, token = member()
        number = add_pool_number(uid)
        first = self.req("GET", "/apps/buzz/heartbeat", token)
        self.assertStatus(first, 200)
        self.assertRegex(first.json["buzz_number"], r"^\+\d+$")
        again = self.req("GET", "/apps/buzz/heartbeat", token)
        self.assertEqual(again.json["buzz_number"], first.json["buzz_number"])
        self.assertTrue(number)

    def test_reports_timestamps_and_last_activity(self):
        uid, token = member()
        add_pool_number(uid)
        r = self.req("GET", "/apps/buzz/heartbeat", token).json
        for key in ("last_contact_update", "last_trust_request", "last_company_update",
                    "last_coworker_update", "last_activity_id"):
            self.assertIsNone(r[key], key)
        self.assertRegex(r["last_user_update"], r"Z$")
        self.req("POST", "/contacts/sync", token, body=[{"display_name": "x"}])
        other, _ = member()
        a = self.req("POST", "/apps/buzz/activity", token, body={
            "type": "chat_message", "sendable_type": "person", "sendable_id": uid,
            "receivable_type": "person", "receivable_id": other, "message": "m",
            "message_id": str(uuid.uuid4())}).json["data"]
        r = self.req("GET", "/apps/buzz/heartbeat", token).json
        self.assertRegex(r["last_contact_update"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        self.assertEqual(r["last_activity_id"], str(a["id"]))

    def test_needs_the_buzz_scope(self):
        _, token = member(scopes=["contacts:read"])
        self.assertError(self.req("GET", "/apps/buzz/heartbeat", token), 403)


class TestBlocked(LookupTest):
    def test_lists_newest_first_with_split_numbers(self):
        self.lookup({"number_code": self.buzz[1], "number": self.buzz[2:],
                     "inbound_code": "44", "inbound": "20 7946 0958", "caller_id": "London"})
        self.lookup({"number_code": self.buzz[1], "number": self.buzz[2:],
                     "inbound_code": "1", "inbound": "12", "caller_id": "Bad"})
        r = self.req("GET", "/apps/buzz/blocked", self.token)
        self.assertStatus(r, 200)
        self.assertEqual([b["caller_id"] for b in r.json], ["Bad", "London"])
        self.assertEqual((r.json[1]["country_code"], r.json[1]["phone_number"]), ("+44", "2079460958"))
        self.assertEqual((r.json[0]["country_code"], r.json[0]["phone_number"]), (None, "12"))
        self.assertEqual(set(r.json[0]), {"id", "caller_id", "country_code", "phone_number", "created_at"})

    def test_at_most_100(self):
        sql("INSERT INTO privacybee.blocked_calls (user_id, inbound_code, inbound) "
            "SELECT %s, '1', '2125550134' FROM generate_series(1, 120)", self.uid)
        self.assertEqual(len(self.req("GET", "/apps/buzz/blocked", self.token).json), 100)

    def test_another_members_log_is_not_shown(self):
        self.lookup(call(self.buzz, fresh_phone()))
        _, other = member()
        self.assertEqual(self.req("GET", "/apps/buzz/blocked", other).json, [])


class TestActivity(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member("Send", "Er")
        self.other, self.other_token = member("Rece", "Iver")
        self.company = sql1("SELECT privacybee.create_company('Shop', %s)", unique("shop"))
        sql("SELECT privacybee.add_employee(%s, %s)", self.company, self.uid)

    def chat(self, **overrides):
        body = {"type": "chat_message", "sendable_type": "person", "sendable_id": self.uid,
                "receivable_type": "person", "receivable_id": self.other,
                "message": "ciphertext", "message_id": str(uuid.uuid4())}
        body.update(overrides)
        return self.req("POST", "/apps/buzz/activity", self.token, body=body)

    def count(self):
        # the sender's shard's (each party's shard keeps its own copy: docs/sharding.md)
        return member_sql(self.uid, "SELECT count(*) FROM privacybee.activities WHERE sendable_id IN (%s, %s)",
                          self.uid, self.company)[0][0]

    def test_post_returns_the_stored_activity(self):
        r = self.chat()
        self.assertStatus(r, 200)
        self.assertTrue(r.json["success"])
        for key in ("id", "type", "message", "message_id", "created_at", "sendable_id"):
            self.assertIn(key, r.json["data"])

    def test_repeated_message_id_returns_the_stored_activity(self):
        mid = str(uuid.uuid4())
        first = self.chat(message_id=mid).json["data"]
        again = self.chat(message_id=mid, message="different").json["data"]
        self.assertEqual((again["id"], again["message"]), (first["id"], "ciphertext"))
        self.assertEqual(self.count(), 1)

    def test_call_activity_needs_call_time(self):
        r = self.chat(type="incoming_call_missed", message=None, message_id=None)
        self.assertError(r, 400, "call_time")
        r = self.chat(type="incoming_call_missed", call_time=0, message=None, message_id=None)
        self.assertStatus(r, 200)

    def test_validation(self):
        cases = [({"type": "fax"}, "type"), ({"type": None}, "type"),
                 ({"message_id": "not-a-uuid"}, "message_id"), ({"message_id": None}, "message_id"),
                 ({"message": None}, "message"), ({"type": "chat_reaction_emoji", "message": ""}, "message"),
                 ({"sendable_type": "robot"}, "sendable_type"), ({"receivable_id": "x"}, "receivable_id"),
                 ({"type": "outgoing_call_missed", "call_time": -1}, "call_time"),
                 ({"colour": "red"}, "colour")]
        for overrides, field in cases:
            with self.subTest(field=field):
                self.assertError(self.chat(**overrides), 400, field)
        self.assertEqual(self.count(), 0)

    def test_read_indicator_needs_no_message(self):
        self.assertStatus(self.chat(type="chat_read_indicator", message=None), 200)

    def test_sending_as_someone_else_is_403(self):
        self.assertError(self.chat(sendable_id=self.other), 403)
        other_company = sql1("SELECT privacybee.create_company('Other', %s)", unique("o"))
        self.assertError(self.chat(sendable_type="company", sendable_id=other_company), 403)
        self.assertEqual(self.count(), 0)

    def test_sending_as_my_company(self):
        self.assertStatus(self.chat(sendable_type="company", sendable_id=self.company), 200)

    def test_unknown_receiver_is_404(self):
        self.assertError(self.chat(receivable_id=999999999999), 404)
        self.assertError(self.chat(receivable_type="company", receivable_id=999999999999), 404)

    def test_since_id_oldest_first_with_limit_and_link(self):
        ids = [self.chat().json["data"]["id"] for _ in range(5)]
        r = self.req("GET", f"/apps/buzz/activity/{ids[0]}?limit=2", self.token)
        self.assertStatus(r, 200)
        self.assertEqual([a["id"] for a in r.json], ids[1:3])
        self.assertIn(f"/apps/buzz/activity/{ids[2]}?limit=2>; rel=\"next\"", r.header("Link"))
        last = self.req("GET", f"/apps/buzz/activity/{ids[2]}?limit=2", self.token)
        self.assertEqual([a["id"] for a in last.json], ids[3:5])
        self.assertIsNone(last.header("Link"))
        a = r.json[0]
        self.assertEqual(a["sendable"], {"id": self.uid, "first_name": "Send", "middle_name": None,
                                         "last_name": "Er"})
        self.assertEqual(set(a["receivable"]), {"id", "first_name", "middle_name", "last_name"})

    def test_receiver_and_company_members_see_it_others_do_not(self):
        # each reader's feed is read from its start, by message_id: the ids a member sees
        # are their own shard's (since-id semantics hold per member, docs/sharding.md)
        a = self.chat().json["data"]["message_id"]
        c = self.chat(sendable_type="company", sendable_id=self.company,
                      receivable_id=self.other).json["data"]["message_id"]
        coworker, coworker_token = member("Co", "Worker")
        sql("SELECT privacybee.add_employee(%s, %s)", self.company, coworker)
        self.assertEqual([x["message_id"] for x in self.req("GET", "/apps/buzz/activity/0",
                                                            self.other_token).json], [a, c])
        feed = self.req("GET", "/apps/buzz/activity/0", coworker_token).json
        self.assertEqual([x["message_id"] for x in feed], [c])
        self.assertEqual(feed[0]["sendable"], {"id": self.company, "name": "Shop"})
        _, stranger = member()
        self.assertEqual(self.req("GET", "/apps/buzz/activity/0", stranger).json, [])

    def test_limit_bounds(self):
        for q in ("limit=0", "limit=1001", "limit=x", "since=1"):
            with self.subTest(q=q):
                self.assertError(self.req("GET", f"/apps/buzz/activity/0?{q}", self.token), 400)


class TestEncryption(ApiTest):
    def test_put_stores_and_returns(self):
        uid, token = member()
        r = self.req("PUT", "/apps/buzz/encryption", token,
                     body={"hash": "h1", "e2e_id": "seald-1", "public_key": "pk"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"hash": "h1", "e2e_id": "seald-1", "public_key": "pk"})
        r = self.req("PUT", "/apps/buzz/encryption", token, body={"hash": "h2", "e2e_id": "seald-1"})
        self.assertEqual(r.json, {"hash": "h2", "e2e_id": "seald-1", "public_key": "pk"})

    def test_validation_changes_nothing(self):
        uid, token = member()
        for body, field in (({"e2e_id": "x"}, "hash"), ({"hash": "x"}, "e2e_id"),
                            ({"hash": 1, "e2e_id": "x"}, "hash"),
                            ({"hash": "x", "e2e_id": "y", "public_key": 5}, "public_key"),
                            ({"hash": "x", "e2e_id": "y", "extra": 1}, "extra")):
            with self.subTest(field=field):
                self.assertError(self.req("PUT", "/apps/buzz/encryption", token, body=body), 400, field)
        self.assertIsNone(sql1("SELECT e2e_hash FROM privacybee.people WHERE id = %s", uid))


class TestBuzzClear(LookupTest):
    def test_clear_is_204_and_removes_activity_and_blocked(self):
        self.lookup(call(self.buzz, fresh_phone()))
        other, other_token = member()
        self.req("POST", "/apps/buzz/activity", self.token, body={
            "type": "outgoing_call_missed", "sendable_type": "person", "sendable_id": self.uid,
            "receivable_type": "person", "receivable_id": other, "call_time": 0})
        r = self.req("DELETE", "/apps/buzz/clear", self.token)
        self.assertStatus(r, 204)
        self.assertEqual(r.raw, "")
        self.assertEqual(self.blocked_count(), 0)
        self.assertEqual(self.req("GET", "/apps/buzz/activity/0", self.token).json, [])
        self.assertEqual(self.req("GET", "/apps/buzz/activity/0", other_token).json, [])


class TestTelephonyWebhook(LookupTest):
    """The provider's own webhook fields, and STIR/SHAKEN."""

    def trusted_friend(self):
        friend = fresh_phone()
        self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "F", "phone": [friend]}])
        return friend

    def test_provider_fields_stand_in_for_ours(self):
        friend = self.trusted_friend()
        sid = unique("CA")
        r = self.lookup({"To": self.buzz, "From": friend, "CallSid": sid, "CallerName": "Friend",
                         "AccountSid": "AC1", "Direction": "inbound"}, how="FORM")
        self.assertEqual(r.json, {"trusted": True, "user_id": self.uid})
        stranger = fresh_phone()
        for _ in range(2):
            r = self.lookup({"To": self.buzz, "From": stranger, "CallSid": sid + "x",
                             "CallerName": "Stranger"}, how="FORM")
            self.assertEqual(r.json, {"trusted": False, "user_id": self.uid})
        blocked = self.req("GET", "/apps/buzz/blocked", self.token).json
        self.assertEqual([(b["caller_id"], b["phone_number"]) for b in blocked],
                         [("Stranger", stranger[2:])])
        r = self.lookup({"To": self.buzz, "From": friend}, route="call-lookup", how="FORM")
        self.assertEqual([c["display_name"] for c in r.json["contacts"]], ["F"])

    def test_missing_to_and_number_is_400(self):
        self.assertError(self.lookup({"From": fresh_phone()}, how="FORM"), 400, "number_code")

    def test_failed_stir_shaken_is_never_trusted_on_number(self):
        friend = self.trusted_friend()
        for verstat in ("TN-Validation-Failed-A", "TN-Validation-Failed"):
            with self.subTest(verstat=verstat):
                r = self.lookup({"To": self.buzz, "From": friend, "StirVerstat": verstat}, how="FORM")
                self.assertEqual(r.json, {"trusted": False, "user_id": self.uid})
                r = self.lookup({"To": self.buzz, "From": friend, "StirVerstat": verstat},
                                route="call-lookup", how="FORM")
                self.assertEqual(r.json, {"contacts": [], "people": [], "companies": []})
        r = self.lookup({"To": self.buzz, "From": friend, "StirVerstat": "TN-Validation-Passed-A"},
                        how="FORM")
        self.assertEqual(r.json["trusted"], True)
        self.assertEqual(self.blocked_count(), 2)
