"""Rate limits in nginx, per token: over the limit is 429 with Retry-After and the SPEC
error body. The test stack keeps the production delete limit (10/min, burst 5); the
other classes are relaxed there and work the same way."""
from harness import ApiTest, member


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
