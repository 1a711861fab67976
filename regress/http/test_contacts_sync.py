"""POST /contacts/sync: atomic, validated first, idempotent by external_id."""
from harness import ApiTest, member, sql1, unique


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
