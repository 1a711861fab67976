"""Rate limits in nginx, per token and per client address: over the limit is 429 with
Retry-After and the SPEC error body. The test stack keeps the production delete limit
(10/min, burst 5); the other token classes are relaxed there and work the same way. The
suites' own address (127.0.0.1) is exempt from the per-address limit (RATE_ADDR_EXEMPT);
the tests of that limit send from other loopback addresses, which keep a low one
(run-tests.sh: RATE_ADDR, BURST_ADDR)."""
import os
import uuid

from harness import ApiTest, Client, member

# every way of writing the same credentials (RFC 9110 §11.1: the scheme is case-insensitive)
SPELLINGS = ["Bearer {}", "bearer {}", "BEARER {}", "Bearer  {}", "Bearer\t{}", "bEaReR {}  "]
BURST_ADDR = int(os.environ.get("BURST_ADDR", "20"))


class TestRateLimits(ApiTest):
    def test_deletes_over_the_limit_are_429_with_retry_after(self):
        _, token = member()
        statuses = []
        for i in range(12):
            r = self.req("DELETE", f"/contacts/{999999990 + i}", token)
            statuses.append(r.status)
            if r.status == 429:
                self.assertError(r, 429)
                self.assertEqual(r.header("Retry-After"), "6")
        self.assertEqual(statuses[:6], [404] * 6)
        self.assertIn(429, statuses)
        # reads with the same token are another class, still answered
        self.assertStatus(self.req("GET", "/contacts", token), 200)

    def test_limits_are_per_token(self):
        _, first = member()
        _, second = member()
        for i in range(12):
            self.req("DELETE", f"/contacts/{999999990 + i}", first)
        self.assertError(self.req("DELETE", "/contacts/999999999", second), 404)

    def test_every_spelling_of_the_header_is_the_same_token(self):
        _, token = member()
        for spelling in SPELLINGS:
            with self.subTest(spelling):
                r = self.req("GET", "/contacts", headers={"Authorization": spelling.format(token)})
                self.assertStatus(r, 200)

    def test_every_spelling_of_the_header_spends_the_same_bucket(self):
        _, token = member()
        statuses = []
        for i in range(2 * len(SPELLINGS)):
            auth = SPELLINGS[i % len(SPELLINGS)].format(token)
            statuses.append(self.req("DELETE", f"/contacts/{999999990 + i}",
                                     headers={"Authorization": auth}).status)
        # burst 5: the sixth is the last one answered, whatever spelling each used
        self.assertEqual(statuses[:6], [404] * 6, statuses)
        self.assertEqual(set(statuses[7:]), {429}, statuses)

    def test_made_up_tokens_count_against_the_client_address(self):
        flood = Client(source="127.0.0.2")
        statuses = [flood.request("GET", "/contacts", f"pb_{uuid.uuid4().hex}").status
                    for _ in range(3 * BURST_ADDR)]
        # the burst (and what refilled meanwhile) reaches the database, the rest is 429
        self.assertIn(429, statuses)
        self.assertLess(statuses.count(401), 2 * BURST_ADDR, statuses)
        r = flood.request("GET", "/contacts", "pb_x")
        self.assertError(r, 429)
        self.assertTrue(r.header("Retry-After"))
        # requests without any token are counted too
        self.assertError(flood.request("GET", "/contacts"), 429)
        # another address is not affected
        _, token = member()
        self.assertStatus(Client(source="127.0.0.3").request("GET", "/contacts", token), 200)
