"""Match keys through the routes (SPEC §3): one line under two E.164 forms — Argentina's
mobile 9 after +54, Mexico's former mobile 1 after +52 — matches under either, in
trust-lookup, call-lookup, trust requests by phone and a contact's "connected"."""
from harness import ApiTest, fresh_phone, member, sql, sql1, unique
from test_buzz import LookupTest


def subscriber():
    """Eight digits no other test uses."""
    return fresh_phone()[-8:]


def argentine():
    """A Buenos Aires mobile: (with the 9 a caller abroad dials, as caller ID shows it)."""
    s = subscriber()
    return f"+54 9 11 {s[:4]} {s[4:]}", f"+54 11 {s[:4]} {s[4:]}"


def mexican():
    """A Mexico City mobile: (with the former mobile 1, as numbered today)."""
    s = subscriber()
    return f"+52 1 55 {s[:4]} {s[4:]}", f"+52 55 {s[:4]} {s[4:]}"


def caller(number):
    """inbound_code and inbound as the provider sends them."""
    digits = number.replace(" ", "")[1:]
    return digits[:2], digits[2:]


class TestMatchKeys(LookupTest):
    def ring(self, number, route="trust-lookup"):
        code, national = caller(number)
        return self.lookup({"number_code": "1", "number": self.buzz[2:],
                            "inbound_code": code, "inbound": national}, route=route)

    def save_contact(self, number, name="Friend"):
        r = self.req("POST", "/contacts/sync", self.token,
                     body=[{"display_name": name, "phone_numbers": [number]}])
        self.assertStatus(r, 200)
        return r.json[0]

    def test_contact_saved_with_the_mobile_9_rings_from_the_form_without(self):
        with_9, without = argentine()
        self.save_contact(with_9)
        self.assertEqual(self.ring(without).json, {"trusted": True, "user_id": self.uid})
        self.assertEqual(self.ring(with_9).json, {"trusted": True, "user_id": self.uid})

    def test_contact_saved_without_the_9_rings_from_the_mobile_form(self):
        with_9, without = argentine()
        self.save_contact(without)
        self.assertEqual(self.ring(with_9).json, {"trusted": True, "user_id": self.uid})

    def test_mexican_line_under_its_former_mobile_1_and_today_alike(self):
        old, new = mexican()
        self.save_contact(new)
        self.assertEqual(self.ring(old).json, {"trusted": True, "user_id": self.uid})
        old2, new2 = mexican()
        # saved in the old form (normalised to today's, as libphonenumber reads it)
        self.save_contact(old2)
        self.assertEqual(self.ring(new2).json, {"trusted": True, "user_id": self.uid})

    def test_a_stranger_in_the_same_country_is_not_trusted(self):
        with_9, _ = argentine()
        self.save_contact(with_9)
        _, unrelated = argentine()
        self.assertEqual(self.ring(unrelated).json, {"trusted": False, "user_id": self.uid})

    def test_untrust_of_the_owner_of_one_form_beats_a_contact_in_the_other(self):
        with_9, without = argentine()
        owner, _ = member("Ar", "Owner", without)
        self.save_contact(with_9)
        self.assertEqual(self.ring(with_9).json["trusted"], True)
        self.assertStatus(self.req("POST", f"/contacts/trust/{owner}", self.token,
                                   body={"trusted": 0}), 201)
        self.assertEqual(self.ring(with_9).json["trusted"], False)
        self.assertEqual(self.ring(without).json["trusted"], False)

    def test_call_lookup_finds_the_contact_the_person_and_the_company_by_either_form(self):
        with_9, without = argentine()
        friend, _ = member("Amigo", "Movil", with_9)
        self.save_contact(without, "Amigo")
        self.req("POST", f"/contacts/trust/{friend}", self.token, body={"trusted": 1})
        r = self.ring(without, route="call-lookup")
        self.assertEqual([c["display_name"] for c in r.json["contacts"]], ["Amigo"])
        self.assertEqual([p["id"] for p in r.json["people"]], [friend])
        old, new = mexican()
        company = sql1("SELECT privacybee.create_company('Banco', %s, %s)", unique("banco"), [new])
        self.req("POST", f"/contacts/trust/{company}", self.token, body={"trusted": 1, "type": "company"})
        r = self.ring(old, route="call-lookup")
        self.assertEqual([c["id"] for c in r.json["companies"]], [company])

    def test_a_contact_is_connected_when_a_member_owns_either_form(self):
        with_9, without = argentine()
        member("Con", "Nected", without)
        self.assertTrue(self.save_contact(with_9)["connected"])
        buzz_with_9, buzz_without = argentine()
        sql("SELECT privacybee.add_buzz_numbers(%s)", [buzz_with_9])
        holder, _ = member()
        sql("UPDATE privacybee.buzz_numbers SET user_id = %s WHERE e164 = %s", holder,
            buzz_with_9.replace(" ", ""))
        self.assertTrue(self.save_contact(buzz_without)["connected"])
        self.assertFalse(self.save_contact(argentine()[1])["connected"])

    def test_a_trust_request_by_phone_reaches_the_member_under_either_form(self):
        with_9, without = argentine()
        target, target_token = member("Ta", "Rget", without)
        self.assertStatus(self.req("POST", "/contacts/requests", self.token,
                                   body={"phone": with_9, "contact_reason": "hola"}), 201)
        pending = self.req("GET", "/contacts/requests", target_token).json
        self.assertEqual([p["id"] for p in pending], [self.uid])
