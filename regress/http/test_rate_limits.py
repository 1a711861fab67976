"""Rate limits in nginx, per token and per client address: over the limit is 429 with
Retry-After and the SPEC error body. The test stack keeps the production delete limit
(10/min, burst 5); the other token classes are relaxed there and work the same way. The
suites' own address (127.0.0.1) is exempt from the per-address limit (RATE_ADDR_EXEMPT);
the tests of that limit send from other loopback addresses, which keep a low one
(run-tests.sh: RATE_ADDR, BURST_ADDR)."""
import os
import re
import time
import uuid

from harness import ApiTest, Client, member

# every way of writing the same credentials (RFC 9110 §11.1: the scheme is case-insensitive)
SPELLINGS = ["Bearer {}", "bearer {}", "BEARER {}", "Bearer  {}", "Bearer\t{}", "bEaReR {}  "]
BURST_ADDR = int(os.environ.get("BURST_ADDR", "20"))
# requests per second, from nginx's "10r/s" or "600r/m"
_rate = re.fullmatch(r"(\d+)r/([sm])", os.environ.get("RATE_ADDR", "10r/s"))
RATE_ADDR = int(_rate.group(1)) / (1 if _rate.group(2) == "s" else 60)


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
        started = time.monotonic()
        for i in range(2 * len(SPELLINGS)):
            auth = SPELLINGS[i % len(SPELLINGS)].format(token)
            statuses.append(self.req("DELETE", f"/contacts/{999999990 + i}",
                                     headers={"Authorization": auth}).status)
        refilled = int((time.monotonic() - started) / 6)  # 10/min: one more every 6 s
        # burst 5: the sixth is the last one answered at once, whatever spelling each used
        self.assertEqual(statuses[:6], [404] * 6, statuses)
        self.assertIn(429, statuses)
        self.assertLessEqual(statuses.count(404), 6 + refilled, statuses)

    def test_made_up_tokens_count_against_the_client_address(self):
        flood = Client(source="127.0.0.2")

        def until_429(token_of):
            """Requests from the flood address until nginx answers 429 (bounded): the
            statuses, the 429 and the seconds taken. The bucket refills while requests
            are under way, so what got through is judged against the time taken, never
            as one request right after the 429 (a loaded machine may take longer than one
            refill between two requests)."""
            statuses, started = [], time.monotonic()
            while len(statuses) < 2000:
                r = flood.request("GET", "/contacts", token_of())
                statuses.append(r.status)
                if r.status == 429:
                    return statuses, r, time.monotonic() - started
            self.fail(f"no 429 in {len(statuses)} requests: {statuses[-20:]}")

        statuses, refused, elapsed = until_429(lambda: f"pb_{uuid.uuid4().hex}")
        # only the burst, and what refilled meanwhile, reaches the database
        self.assertLessEqual(statuses.count(401), BURST_ADDR + 1 + RATE_ADDR * elapsed, statuses)
        self.assertError(refused, 429)
        self.assertTrue(refused.header("Retry-After"))
        # requests without any token are counted too: from the emptied bucket, one refill
        # at most gets through before the next 429
        statuses, refused, elapsed = until_429(lambda: None)
        self.assertLessEqual(statuses.count(401), 1 + RATE_ADDR * elapsed, statuses)
        self.assertError(refused, 429)
        # another address is not affected
        _, token = member()
        self.assertStatus(Client(source="127.0.0.3").request("GET", "/contacts", token), 200)
