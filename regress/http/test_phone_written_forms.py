"""Phone numbers as people and devices really write them (SPEC §3) are read the same way
at every place a number enters: contact phones (sync, PUT), trust requests by phone, the
trust-lookup and call-lookup parameters, and members', companies' and Buzz numbers."""
import urllib.parse

from harness import ApiTest, fresh_phone, give_buzz_number, member, service_token, sql, sql1, unique

FULLWIDTH = {ord(c): chr(0xFF10 + int(c)) for c in "0123456789"}
FULLWIDTH[ord("+")] = "\uFF0B"
FULLWIDTH[ord(" ")] = "\u3000"


def digits_in(text, zero):
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)


def written(e164):
    """A NANP number (+1 NPA NXX XXXX) the ways people and devices write it."""
    npa, nxx, line = e164[2:5], e164[5:8], e164[8:]
    return {
        "iphone_copy": f"\u202a+1\u00a0({npa})\u00a0{nxx}\u2011{line}\u202c",
        "bidi_isolated": f"\u2068({npa}) {nxx}-{line}\u2069",
        "rtl_marks": f"\u200f+1 {npa} {nxx} {line}\u200e",
        "tel_uri": f"tel:+1-{npa}-{nxx}-{line}",
        "vcard4_tel_uri_ext": f"tel:+1-{npa}-{nxx}-{line};ext=42",
        "tel_phone_context": f"tel:{npa}-{nxx}-{line};phone-context=+1",
        "fullwidth": f"+1 {npa} {nxx} {line}".translate(FULLWIDTH),
        "arabic_indic": digits_in(f"{npa}{nxx}{line}", 0x0660),
        "persian": digits_in(f"+1 {npa} {nxx} {line}", 0x06F0),
        "devanagari": digits_in(f"{npa} {nxx} {line}", 0x0966),
        "unicode_dashes": f"{npa}\u2013{nxx}\u2014{line}",
        "minus_and_katakana_dash": f"{npa}\u2212{nxx}\u30fc{line}",
        "ideographic_space": f"{npa}\u3000{nxx}\u3000{line}",
        "zero_width_space": f"{npa}\u200b{nxx}\u2060{line}",
        "tel_label": f"Tel: ({npa}) {nxx}-{line}",
        "one_letter_after": f"+1 {npa} {nxx} {line} (m)",
        "extension_in_russian": f"{npa} {nxx} {line} \u0434\u043e\u0431. 12",
    }


def lookup_params(receiver, inbound_code, inbound):
    return {"number_code": "1", "number": receiver[2:], "inbound_code": inbound_code,
            "inbound": inbound}


class WrittenFormsTest(ApiTest):
    def setUp(self):
        super().setUp()
        self.service = service_token()
        self.uid, self.token = member("Written", "Forms", fresh_phone())
        self.buzz = give_buzz_number(self.uid)

    def lookup(self, params, route="trust-lookup", how="GET"):
        path = f"/apps/buzz/{route}"
        if how == "GET":
            return self.req("GET", path + "?" + urllib.parse.urlencode(params), self.service)
        if how == "FORM":
            return self.req("POST", path, self.service, raw=urllib.parse.urlencode(params).encode(),
                            ctype="application/x-www-form-urlencoded")
        return self.req("POST", path, self.service, body=params)

    def trusted(self, params, how="GET"):
        r = self.lookup(params, how=how)
        self.assertStatus(r, 200)
        return r.json["trusted"]

    def add_contact(self, phone):
        r = self.req("POST", "/contacts/sync", self.token,
                     body=[{"display_name": unique("c"), "phone_numbers": [phone]}])
        self.assertStatus(r, 200)
        return r.json[0]


class TestContactPhones(WrittenFormsTest):
    def test_synced_phones_are_normalised_and_their_callers_trusted(self):
        for form in written(fresh_phone()):
            caller = fresh_phone()
            phone = written(caller)[form]
            with self.subTest(form=form):
                c = self.add_contact(phone)
                self.assertEqual(c["phone"], [caller], phone)
                self.assertEqual(sql1("SELECT raw FROM privacybee.contact_phones WHERE contact_id = %s",
                                      c["id"]), phone)
                self.assertTrue(self.trusted(lookup_params(self.buzz, "1", caller[2:])), phone)

    def test_put_reads_a_written_phone(self):
        c = self.add_contact("call me")
        caller = fresh_phone()
        r = self.req("PUT", f"/contacts/{c['id']}", self.token,
                     body={"phone_numbers": [written(caller)["iphone_copy"]]})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["phone"], [caller])
        self.assertTrue(self.trusted(lookup_params(self.buzz, "1", caller[2:])))

    def test_keypad_letters_are_digits(self):
        c = self.add_contact("1-800-FLOWERS")
        self.assertEqual(c["phone"], ["+18003569377"])
        self.assertTrue(self.trusted(lookup_params(self.buzz, "1", "8003569377")))

    def test_what_libphonenumber_calls_impossible_stays_raw_and_untrusted(self):
        caller = fresh_phone()
        # three letters or more are keypad digits to libphonenumber: "(mobile)" makes the
        # number too long; a narrow no-break space is none of its punctuation
        for phone in (f"+1 {caller[2:5]} {caller[5:8]} {caller[8:]} (mobile)",
                      f"+1\u202f{caller[2:5]}\u202f{caller[5:8]}\u202f{caller[8:]}"):
            with self.subTest(phone=phone):
                self.assertEqual(self.add_contact(phone)["phone"], [phone])
        self.assertFalse(self.trusted(lookup_params(self.buzz, "1", caller[2:])))


class TestLookupParameters(WrittenFormsTest):
    def test_inbound_with_plus_is_a_whole_number_whatever_the_code(self):
        caller = fresh_phone()
        self.add_contact(caller)
        for code in ("1", "44", ""):
            for how in ("GET", "FORM", "JSON"):
                with self.subTest(code=code, how=how):
                    self.assertTrue(self.trusted(lookup_params(self.buzz, code, caller), how=how))

    def test_a_stranger_with_plus_and_code_is_untrusted_and_logged(self):
        stranger = fresh_phone()
        sid = unique("CA")
        r = self.lookup(dict(lookup_params(self.buzz, "1", stranger), call_sid=sid))
        self.assertEqual(r.json, {"trusted": False, "user_id": self.uid})
        self.assertEqual(sql1("SELECT e164 FROM privacybee.blocked_calls WHERE call_sid = %s", sid),
                         stranger)

    def test_inbound_written_any_way_is_read(self):
        caller = fresh_phone()
        self.add_contact(caller)
        for form, inbound in written(caller).items():
            with self.subTest(form=form):
                self.assertTrue(self.trusted(lookup_params(self.buzz, "1", inbound), how="JSON"))
                self.assertTrue(self.trusted({"To": self.buzz, "From": inbound}, how="FORM"))

    def test_code_and_receiving_number_written_any_way_are_read(self):
        caller = fresh_phone()
        self.add_contact(caller)
        for code in ("+1", "\uff11", "\u202a+1\u202c", "\u0661"):
            with self.subTest(code=code):
                params = {"number_code": code, "number": written(self.buzz)["fullwidth"],
                          "inbound_code": code, "inbound": digits_in(caller[2:], 0x06F0)}
                r = self.lookup(params, how="JSON")
                self.assertEqual(r.json, {"trusted": True, "user_id": self.uid})

    def test_call_lookup_reads_the_same_way(self):
        friend_uid, _ = member("Fri", "End", fresh_phone())
        friend = sql1("SELECT phone_e164 FROM privacybee.people WHERE id = %s", friend_uid)
        self.add_contact(written(friend)["tel_uri"])
        self.req("POST", f"/contacts/trust/{friend_uid}", self.token, body={"trusted": 1})
        r = self.lookup(lookup_params(self.buzz, "1", written(friend)["iphone_copy"]),
                        route="call-lookup")
        self.assertStatus(r, 200)
        self.assertEqual([p["id"] for p in r.json["people"]], [friend_uid])


class TestOtherEntryPoints(WrittenFormsTest):
    def test_trust_request_by_written_phone_reaches_the_member(self):
        phone = fresh_phone()
        target, target_token = member("Tara", "Get", phone)
        for form in ("iphone_copy", "fullwidth", "tel_uri"):
            asker, asker_token = member("Ask", "Er")
            with self.subTest(form=form):
                r = self.req("POST", "/contacts/requests", asker_token,
                             body={"phone": written(phone)[form], "contact_reason": "hi"})
                self.assertStatus(r, 201)
                listed = self.req("GET", "/contacts/requests", target_token).json
                self.assertIn(asker, [p["id"] for p in listed])

    def test_members_companies_and_buzz_numbers_read_written_forms(self):
        for form in ("iphone_copy", "arabic_indic", "tel_phone_context", "unicode_dashes"):
            with self.subTest(form=form):
                phone, company_phone, buzz = fresh_phone(), fresh_phone(), fresh_phone()
                uid = sql1("SELECT privacybee.create_member('W', 'F', %s)", written(phone)[form])
                self.assertEqual(sql1("SELECT phone_e164 FROM privacybee.people WHERE id = %s", uid),
                                 phone)
                company = sql1("SELECT privacybee.create_company('C', %s, %s)", unique("c"),
                               [written(company_phone)[form]])
                self.assertEqual(sql1("SELECT e164 FROM privacybee.company_phones "
                                      "WHERE company_id = %s", company), company_phone)
                self.assertEqual(sql1("SELECT privacybee.add_buzz_numbers(%s)", [written(buzz)[form]]), 1)
                self.assertEqual(sql1("SELECT count(*) FROM privacybee.buzz_numbers WHERE e164 = %s",
                                      buzz), 1)

    def test_a_written_company_phone_makes_its_calls_trusted(self):
        phone = fresh_phone()
        company = sql1("SELECT privacybee.create_company('Bank', %s, %s)", unique("bank"),
                       [written(phone)["vcard4_tel_uri_ext"]])
        self.req("POST", f"/contacts/trust/{company}", self.token, body={"trusted": 1, "type": "company"})
        r = self.lookup(lookup_params(self.buzz, "44", written(phone)["rtl_marks"]), route="call-lookup")
        self.assertEqual([c["id"] for c in r.json["companies"]], [company])
