"""nginx's own answers: every status nginx produces itself for this configuration comes
with the SPEC's JSON error body (fcgi/nginx/errors.conf), never nginx's HTML page. The
requests are sent as raw bytes, since most are ones no HTTP library would send.
413 is in test_routing_auth.py, 429 in test_rate_limits.py, 502 in test_zy_supervisor.py."""
import os
import socket
import time

from harness import URL, ApiTest, member, member_db, raw_request


def request(line, *headers, body=b""):
    """The bytes of one request: its line, the headers given, Host, and body."""
    head = [line] + list(headers)
    if not any(h.lower().startswith(b"host:") for h in headers):
        head.append(b"Host: " + URL.hostname.encode())
    return b"\r\n".join(head + [b"Connection: close", b"", b""]) + body


class NginxErrorTest(ApiTest):
    def assertNginxError(self, data, status, **kwargs):
        r = raw_request(data, **kwargs)
        err = self.assertError(r, status)
        self.assertEqual(r.header("Content-Type"), "application/json", r)
        return r, err


class TestNginxErrors(NginxErrorTest):
    def test_malformed_requests_are_400_json(self):
        _, token = member()
        bearer = b"Authorization: Bearer " + token.encode()
        cases = {
            "two Authorization headers": request(b"GET /contacts HTTP/1.1", bearer, bearer),
            "two Host headers": request(b"GET /contacts HTTP/1.1", b"Host: a", b"Host: b"),
            "two Content-Length headers": request(
                b"POST /contacts/sync HTTP/1.1", bearer, b"Content-Type: application/json",
                b"Content-Length: 2", b"Content-Length: 2", body=b"[]"),
            "Content-Length not a number": request(
                b"POST /contacts/sync HTTP/1.1", bearer, b"Content-Length: two", body=b"[]"),
            "Content-Length and chunked": request(
                b"POST /contacts/sync HTTP/1.1", bearer, b"Transfer-Encoding: chunked",
                b"Content-Length: 5", body=b"0\r\n\r\n"),
            "chunk size not hex": request(
                b"POST /contacts/sync HTTP/1.1", bearer, b"Content-Type: application/json",
                b"Transfer-Encoding: chunked", body=b"zz\r\n[]\r\n0\r\n\r\n"),
            "chunk size overflowing": request(
                b"POST /contacts/sync HTTP/1.1", bearer, b"Content-Type: application/json",
                b"Transfer-Encoding: chunked", body=b"ffffffffffffffffff\r\n[]\r\n0\r\n\r\n"),
            "chunked on HTTP/1.0": request(
                b"POST /contacts/sync HTTP/1.0", bearer, b"Transfer-Encoding: chunked",
                body=b"0\r\n\r\n"),
            "request line with a fourth part": request(b"GET /contacts HTTP/1.1 extra", bearer),
            "lower-case method": request(b"get /contacts HTTP/1.1", bearer),
            "NUL in a header": request(b"GET /contacts HTTP/1.1", bearer, b"X-A: a\x00b"),
            "no Host on HTTP/1.1": b"GET /contacts HTTP/1.1\r\nConnection: close\r\n\r\n",
            "encoded NUL in the path": request(b"GET /contacts/%00 HTTP/1.1", bearer),
            "path above the root": request(b"GET /../contacts HTTP/1.1", bearer),
        }
        for name, data in cases.items():
            with self.subTest(name):
                self.assertNginxError(data, 400)

    def test_error_pages_are_not_routes(self):
        self.assertNginxError(request(b"GET /.errors/400 HTTP/1.1"), 404)

    def test_trace_is_405_with_the_routes_allow(self):
        r, _ = self.assertNginxError(request(b"TRACE /contacts HTTP/1.1"), 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD")
        r, _ = self.assertNginxError(request(b"TRACE /contacts/12 HTTP/1.1"), 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD, PUT, PATCH, DELETE")
        self.assertNginxError(request(b"TRACE /nope HTTP/1.1"), 404)

    def test_uri_over_the_buffers_is_414(self):
        self.assertNginxError(request(b"GET /contacts?q=" + b"a" * 16384 + b" HTTP/1.1"), 414)

    def test_header_over_the_buffers_is_431(self):
        _, token = member()
        r, _ = self.assertNginxError(request(
            b"GET /contacts HTTP/1.1", b"Authorization: Bearer " + token.encode(),
            b"X-Long: " + b"a" * 16384), 431)
        self.assertNginxError(request(
            b"GET /contacts HTTP/1.1", b"Authorization: Bearer " + b"a" * 16384), 431)

    def test_unknown_transfer_encoding_is_501(self):
        self.assertNginxError(request(b"POST /contacts/sync HTTP/1.1", b"Transfer-Encoding: gzip",
                                      body=b"[]"), 501)

    def test_unsupported_http_version_is_505(self):
        self.assertNginxError(request(b"GET /contacts HTTP/2.0"), 505)
        self.assertNginxError(request(b"GET /contacts HTTP/3.1"), 505)

    def test_a_body_that_stops_coming_gets_no_answer_at_all(self):
        # nginx counts it as 408 but, the client having stopped, closes the connection
        # without a response: nothing of nginx's own reaches the client
        _, token = member()
        s = socket.create_connection((URL.hostname, URL.port), timeout=30)
        started = time.time()
        try:
            s.sendall(request(b"POST /contacts/sync HTTP/1.1", b"Authorization: Bearer " + token.encode(),
                              b"Content-Type: application/json", b"Content-Length: 100", body=b"[{"))
            self.assertEqual(s.recv(65536), b"")
        finally:
            s.close()
        self.assertLess(time.time() - started, 25)

    def test_nginx_errors_answer_head_without_a_body(self):
        r = raw_request(request(b"HEAD /contacts?q=" + b"a" * 16384 + b" HTTP/1.1"), head=True)
        self.assertEqual(r.status, 414)
        self.assertEqual(r.raw, "")


class TestNginxErrorsOfItsOwnState(NginxErrorTest):
    """nginx failing itself, or privacybee-fcgi not answering in time."""

    def test_body_nginx_cannot_buffer_is_500_json(self):
        # a body over client_body_buffer_size (1 MiB) goes to nginx's temporary directory
        tmp = os.path.join(os.environ["PGHOST"], "..", "nginx", "tmp", "body")
        _, token = member()
        os.makedirs(tmp, exist_ok=True)
        mode = os.stat(tmp).st_mode
        os.chmod(tmp, 0)
        try:
            body = b"[" + b" " * (2 * 1024 * 1024) + b"]"
            self.assertNginxError(request(
                b"POST /contacts/sync HTTP/1.1", b"Authorization: Bearer " + token.encode(),
                b"Content-Type: application/json", b"Content-Length: %d" % len(body), body=body), 500)
        finally:
            os.chmod(tmp, mode)

    def test_no_answer_in_time_is_504_json(self):
        uid, token = member()
        locker = member_db(uid).cursor()   # the member's contacts are on their shard
        locker.execute("BEGIN")
        # the listing waits for the table past fastcgi_read_timeout
        locker.execute("LOCK TABLE privacybee.contacts IN ACCESS EXCLUSIVE MODE")
        try:
            r, _ = self.assertNginxError(request(
                b"GET /contacts HTTP/1.1", b"Authorization: Bearer " + token.encode()), 504)
            self.assertEqual(r.header("Retry-After"), "1")
        finally:
            locker.execute("ROLLBACK")
        self.assertStatus(self.req("GET", "/contacts", token), 200)
