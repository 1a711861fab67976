"""POST /contacts/sync: atomic, validated first, idempotent by external_id — also for a
retry overlapping the first attempt — and deaf to stale clients of deleted contacts."""
from harness import ApiTest, Client, api, fresh_phone, member, overlapped, sql, sql1, unique
from test_buzz_concurrency import at_once


def count_contacts(uid):
    return sql1("SELECT count(*) FROM privacybee.contacts WHERE user_id = %s", uid)


class TestSync(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member()

    def sync(self, items, token=None):
        return self.req("POST", "/contacts/sync", token or self.token, body=items)

    def test_creates_and_returns_contacts_in_input_order(self):
        r = self.sync([{"display_name": "A"}, {"display_name": "B", "emails": ["b@example.com"]}])
        self.assertStatus(r, 200)
        self.assertEqual([c["display_name"] for c in r.json], ["A", "B"])
        self.assertTrue(all(isinstance(c["id"], int) for c in r.json))
        self.assertEqual(r.json[1]["email"], ["b@example.com"])
        self.assertEqual(r.json[0]["user_id"], self.uid)
        self.assertEqual(count_contacts(self.uid), 2)

    def test_returned_contact_has_every_documented_field(self):
        c = self.sync([{"display_name": "A", "birthday": "1975-11-24"}]).json[0]
        for key in ("id", "user_id", "display_name", "birthday", "profile_icon", "email",
                    "phone", "address", "labels", "risk_score", "e2ee", "connected",
                    "created", "updated"):
            self.assertIn(key, c)
        self.assertEqual(c["birthday"], "1975-11-24")
        self.assertRegex(c["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

    def test_empty_batch_is_200_empty(self):
        r = self.sync([])
        self.assertStatus(r, 200)
        self.assertEqual(r.json, [])

    def test_phones_are_e164_or_raw(self):
        c = self.sync([{"display_name": "A", "phone_numbers": ["(212) 555-0134", "call me"]}]).json[0]
        self.assertEqual(c["phone"], ["+12125550134", "call me"])

    def test_both_spellings_accepted(self):
        c = self.sync([{"display_name": "A", "email": ["a@example.com"], "phone": ["2125550134"],
                        "address": ["1 Main St"]}]).json[0]
        self.assertEqual((c["email"], c["phone"], c["address"]),
                         (["a@example.com"], ["+12125550134"], ["1 Main St"]))

    def test_both_spellings_in_one_object_is_400(self):
        r = self.sync([{"display_name": "A", "emails": [], "email": []}])
        err = self.assertError(r, 400)
        self.assertIn(err["details"][0]["field"], ("[0].email", "[0].emails"))
        self.assertEqual(count_contacts(self.uid), 0)

    def test_update_by_id_keeps_absent_fields(self):
        c = self.sync([{"display_name": "A", "emails": ["a@example.com"], "labels": ["x"]}]).json[0]
        u = self.sync([{"id": c["id"], "display_name": "A2"}]).json[0]
        self.assertEqual((u["id"], u["display_name"], u["email"], u["labels"]),
                         (c["id"], "A2", ["a@example.com"], ["x"]))

    def test_numeric_string_id_is_accepted(self):
        c = self.sync([{"display_name": "A"}]).json[0]
        u = self.sync([{"id": str(c["id"]), "display_name": "B"}]).json[0]
        self.assertEqual(u["id"], c["id"])

    def test_null_clears_an_array(self):
        c = self.sync([{"display_name": "A", "emails": ["a@example.com"],
                        "phone_numbers": ["2125550134"]}]).json[0]
        u = self.sync([{"id": c["id"], "emails": None, "phone_numbers": None}]).json[0]
        self.assertEqual((u["email"], u["phone"]), ([], []))

    def test_given_array_replaces_stored_array(self):
        c = self.sync([{"display_name": "A", "phone_numbers": ["2125550134", "2125550135"]}]).json[0]
        u = self.sync([{"id": c["id"], "phone_numbers": ["2125550199"]}]).json[0]
        self.assertEqual(u["phone"], ["+12125550199"])

    def test_display_name_cannot_be_cleared(self):
        c = self.sync([{"display_name": "A"}]).json[0]
        self.assertError(self.sync([{"id": c["id"], "display_name": None}]), 400, "[0].display_name")
        self.assertEqual(sql1("SELECT display_name FROM privacybee.contacts WHERE id = %s", c["id"]), "A")

    def test_display_name_is_required_on_create(self):
        err = self.assertError(self.sync([{"emails": ["a@example.com"]}]), 400, "[0].display_name")
        self.assertIn("display_name", err["message"])

    def test_invalid_item_writes_nothing_and_names_index_and_field(self):
        r = self.sync([{"display_name": "ok"}, {"display_name": "ok2"},
                       {"display_name": "x" * 257}])
        self.assertError(r, 400, "[2].display_name")
        self.assertEqual(count_contacts(self.uid), 0)

    def test_every_invalid_item_is_named(self):
        r = self.sync([{"display_name": "a", "emails": ["nope"]}, 7,
                       {"display_name": "c", "labels": ["x" * 65]}])
        fields = [d["field"] for d in r.json["error"]["details"]]
        self.assertEqual(sorted(fields), ["[0].emails[0]", "[1]", "[2].labels[0]"])

    def test_limits_are_enforced(self):
        cases = [
            ({"display_name": "a", "emails": ["a" * 310 + "@example.com"]}, "[0].emails[0]"),
            ({"display_name": "a", "phone_numbers": ["1" * 65]}, "[0].phone_numbers[0]"),
            ({"display_name": "a", "addresses": ["x" * 1025]}, "[0].addresses[0]"),
            ({"display_name": "a", "labels": ["l"] * 51}, "[0].labels"),
            ({"display_name": "a", "external_id": "e" * 256}, "[0].external_id"),
            ({"display_name": "a", "birthday": "1975-02-30"}, "[0].birthday"),
            ({"display_name": "a", "emails": "a@example.com"}, "[0].emails"),
            ({"display_name": 5}, "[0].display_name"),
            ({"display_name": "a", "id": "abc"}, "[0].id"),
        ]
        for item, field in cases:
            with self.subTest(field=field):
                self.assertError(self.sync([item]), 400, field)
        self.assertEqual(count_contacts(self.uid), 0)

    def test_display_name_limit_counts_characters_not_bytes(self):
        r = self.sync([{"display_name": "é" * 256}])
        self.assertStatus(r, 200)

    def test_unknown_field_is_400(self):
        self.assertError(self.sync([{"display_name": "a", "nickname": "b"}]), 400, "[0].nickname")

    def test_read_only_fields_are_ignored(self):
        c = self.sync([{"display_name": "A", "risk_score": 99, "e2ee": True, "user_id": 1,
                        "connected": True, "profile_icon": "x", "created": "2000-01-01"}]).json[0]
        self.assertEqual((c["risk_score"], c["e2ee"], c["user_id"], c["profile_icon"]),
                         (None, False, self.uid, None))

    def test_more_than_1000_items_is_400(self):
        r = self.sync([{"display_name": "a"}] * 1001)
        self.assertError(r, 400)
        self.assertEqual(count_contacts(self.uid), 0)

    def test_1000_items_are_accepted(self):
        r = self.sync([{"display_name": f"c{i}", "phone_numbers": [f"212555{i:04d}"]}
                       for i in range(1000)])
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json), 1000)
        self.assertEqual(r.json[999]["display_name"], "c999")

    def test_body_must_be_an_array(self):
        self.assertError(self.sync({"display_name": "a"}), 400)

    def test_retried_sync_with_external_id_does_not_duplicate(self):
        ext = unique("ext")
        first = self.sync([{"external_id": ext, "display_name": "A"}]).json[0]
        again = self.sync([{"external_id": ext, "display_name": "A"}]).json[0]
        self.assertEqual(first["id"], again["id"])
        self.assertEqual(count_contacts(self.uid), 1)

    def test_external_id_upsert_updates(self):
        ext = unique("ext")
        first = self.sync([{"external_id": ext, "display_name": "A"}]).json[0]
        again = self.sync([{"external_id": ext, "labels": ["new"]}]).json[0]
        self.assertEqual((again["id"], again["display_name"], again["labels"]),
                         (first["id"], "A", ["new"]))

    def test_external_id_is_per_user(self):
        ext = unique("ext")
        _, other = member()
        a = self.sync([{"external_id": ext, "display_name": "A"}]).json[0]
        b = self.sync([{"external_id": ext, "display_name": "B"}], token=other).json[0]
        self.assertNotEqual(a["id"], b["id"])

    def test_same_contact_twice_in_one_batch_is_400(self):
        c = self.sync([{"display_name": "A"}]).json[0]
        self.assertError(self.sync([{"id": c["id"]}, {"id": c["id"]}]), 400, "[1].id")
        ext = unique("ext")
        self.assertError(self.sync([{"external_id": ext, "display_name": "a"},
                                    {"external_id": ext, "display_name": "b"}]),
                         400, "[1].external_id")

    def test_another_users_contact_is_404_and_nothing_is_written(self):
        _, other = member()
        theirs = self.sync([{"display_name": "theirs"}], token=other).json[0]
        r = self.sync([{"display_name": "mine"}, {"id": theirs["id"], "display_name": "hijack"}])
        self.assertError(r, 404, "[1].id")
        self.assertEqual(count_contacts(self.uid), 0)
        self.assertEqual(sql1("SELECT display_name FROM privacybee.contacts WHERE id = %s",
                              theirs["id"]), "theirs")

    def test_missing_id_is_404(self):
        self.assertError(self.sync([{"id": 999999999999, "display_name": "x"}]), 404, "[0].id")

    def test_connected_when_a_phone_is_a_members(self):
        phone = "+12125559876"
        sql1("SELECT privacybee.create_member('Con', 'Nected', %s)", phone)
        c = self.sync([{"display_name": "A", "phone_numbers": ["(212) 555-9876"]},
                       {"display_name": "B", "phone_numbers": ["(212) 555-9875"]}]).json
        self.assertEqual([x["connected"] for x in c], [True, False])


class TestMemberRegion(ApiTest):
    def test_phones_are_read_where_the_member_lives(self):
        uid, token = member("Brit", "Member", "+44 20 7946 0001")
        c = self.req("POST", "/contacts/sync", token,
                     body=[{"display_name": "Mate", "phone_numbers": ["07400 123456"]}]).json[0]
        self.assertEqual(c["phone"], ["+447400123456"])

    def test_without_a_phone_the_member_dials_from_the_us(self):
        uid, token = member("No", "Phone")
        c = self.req("POST", "/contacts/sync", token,
                     body=[{"display_name": "A", "phone_numbers": ["(212) 555-0134"]}]).json[0]
        self.assertEqual(c["phone"], ["+12125550134"])


class TestSyncRetriesAtOnce(ApiTest):
    """SPEC §4: a retried sync never duplicates — also when the retry runs while the first
    attempt is still in flight: both answer 200 with the same ids."""

    def test_a_retry_overlapping_the_first_attempt_answers_the_same_ids(self):
        uid, token = member()
        items = [{"external_id": unique("ext"), "display_name": f"C{i}",
                  "phone_numbers": [fresh_phone()]} for i in range(3)]
        sync = lambda cur: [c["id"] for c in api(cur, "api_contacts_sync", token, body=items)]
        (first, retry), error = overlapped(sync, sync, member=uid)
        self.assertIsNone(error)
        self.assertEqual(first, retry)
        self.assertEqual(count_contacts(uid), 3)

    def test_retries_sent_at_once_over_http_all_answer_200_with_the_same_ids(self):
        for attempt in range(10):
            uid, token = member()
            items = [{"external_id": unique("ext"), "display_name": "A"},
                     {"external_id": unique("ext"), "display_name": "B"}]
            results = at_once(lambda: Client().request("POST", "/contacts/sync", token, body=items),
                              [()] * 2)
            self.assertEqual([r.status for r in results], [200, 200], results)
            self.assertEqual([c["id"] for c in results[0].json], [c["id"] for c in results[1].json])
            self.assertEqual(count_contacts(uid), 2)


class TestTombstones(ApiTest):
    """SPEC §4: an external_id whose contact was deleted within the tombstone period is not
    re-created by a stale client; its result slot is the tombstone, unless "restore": true."""

    def setUp(self):
        super().setUp()
        self.uid, self.token = member()
        self.ext = unique("ext")
        made = self.sync([{"external_id": self.ext, "display_name": "Gone",
                           "phone_numbers": [fresh_phone()]}])
        self.id = made.json[0]["id"]
        self.assertStatus(self.req("DELETE", f"/contacts/{self.id}", self.token), 200)

    def sync(self, items):
        return self.req("POST", "/contacts/sync", self.token, body=items)

    def test_a_stale_client_gets_the_tombstone_in_its_slot_and_nothing_comes_back(self):
        r = self.sync([{"display_name": "New"},
                       {"external_id": self.ext, "display_name": "Gone", "labels": ["x"]}])
        self.assertStatus(r, 200)
        self.assertEqual(r.json[0]["display_name"], "New")
        tomb = r.json[1]
        self.assertEqual(set(tomb), {"id", "external_id", "deleted", "updated"})
        self.assertEqual((tomb["id"], tomb["external_id"], tomb["deleted"]), (self.id, self.ext, True))
        self.assertRegex(tomb["updated"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        self.assertEqual(count_contacts(self.uid), 1)
        self.assertEqual(self.req("GET", f"/contacts/{self.id}", self.token).status, 404)

    def test_restore_true_brings_the_contact_back_under_its_old_id(self):
        r = self.sync([{"external_id": self.ext, "display_name": "Back", "restore": True}])
        self.assertStatus(r, 200)
        self.assertEqual((r.json[0]["id"], r.json[0]["display_name"], r.json[0]["external_id"]),
                         (self.id, "Back", self.ext))
        self.assertStatus(self.req("GET", f"/contacts/{self.id}", self.token), 200)
        listed = self.req("GET", "/contacts?include_deleted=true&per_page=100", self.token).json
        self.assertEqual([c.get("deleted", False) for c in listed if c["id"] == self.id], [False])
        # and from then on it is an ordinary contact again
        again = self.sync([{"external_id": self.ext, "labels": ["y"]}])
        self.assertEqual((again.json[0]["id"], again.json[0]["labels"]), (self.id, ["y"]))

    def test_restore_false_or_absent_keeps_the_tombstone(self):
        r = self.sync([{"external_id": self.ext, "display_name": "Gone", "restore": False}])
        self.assertEqual(r.json[0]["deleted"], True)
        self.assertEqual(count_contacts(self.uid), 0)

    def test_restore_must_be_a_boolean_and_belongs_to_sync_items(self):
        self.assertError(self.sync([{"external_id": self.ext, "display_name": "x", "restore": "yes"}]),
                         400, "[0].restore")
        live = self.sync([{"display_name": "Live"}]).json[0]
        self.assertError(self.req("PATCH", f"/contacts/{live['id']}", self.token,
                                  body={"restore": True}), 400, "restore")

    def test_after_the_tombstone_period_the_external_id_is_free_again(self):
        sql("UPDATE privacybee.contact_tombstones SET deleted_at = now() - interval '31 days' "
            "WHERE user_id = %s AND contact_id = %s", self.uid, self.id)
        r = self.sync([{"external_id": self.ext, "display_name": "Fresh"}])
        self.assertNotEqual(r.json[0]["id"], self.id)
        self.assertEqual(r.json[0]["display_name"], "Fresh")

    def test_a_live_contact_holding_the_external_id_wins_over_the_tombstone(self):
        other = self.sync([{"display_name": "Other"}]).json[0]
        self.assertStatus(self.sync([{"id": other["id"], "external_id": self.ext}]), 200)
        r = self.sync([{"external_id": self.ext, "labels": ["z"]}])
        self.assertEqual((r.json[0]["id"], r.json[0]["labels"]), (other["id"], ["z"]))
