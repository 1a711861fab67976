"""harness.py — what the HTTP suites share: an HTTP client for the stack under test and
direct database access (as superuser) to set up members and read back what was written.

The stack comes from the environment run-tests.sh exports (PRIVACYBEE_URL, PGHOST, ...).
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import socket
import threading
import time
import unittest
import urllib.parse
import uuid

import psycopg2

URL = urllib.parse.urlsplit(os.environ["PRIVACYBEE_URL"])
USER_SCOPES = ["contacts:read", "contacts:write", "buzz"]

# The telephony webhooks are signed like the provider does (X-Twilio-Signature), when
# the stack has its auth token.
PROVIDER_PATHS = ("/apps/buzz/trust-lookup", "/apps/buzz/call-lookup")
PROVIDER_SECRET = None
if os.environ.get("TWILIO_AUTH_TOKEN_FILE"):
    with open(os.environ["TWILIO_AUTH_TOKEN_FILE"], "rb") as f:
        PROVIDER_SECRET = f.read().splitlines()[0]


def twilio_signature(url, form=None, secret=None):
    """base64 HMAC-SHA1 over the URL and the sorted form parameters, as the provider signs."""
    text = url + "".join(k + v for k, v in sorted(form or []))
    mac = hmac.new(secret or PROVIDER_SECRET, text.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def provider_signed(path, data, ctype, headers):
    """path and headers of a webhook request, signed; a JSON body goes by bodySHA256."""
    form = None
    if data and ctype == "application/x-www-form-urlencoded":
        form = urllib.parse.parse_qsl(data.decode(), keep_blank_values=True)
    elif data:
        digest = hashlib.sha256(data).hexdigest()
        path += ("&" if "?" in path else "?") + "bodySHA256=" + digest
    url = f"http://{URL.hostname}:{URL.port}{path}"
    return path, dict(headers, **{"X-Twilio-Signature": twilio_signature(url, form)})

ROUTES_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fcgi", "routes.c")


def route_table():
    """(method, pattern, function, scope, body kind) of every route, read from fcgi/routes.c:
    the one place the HTTP suites learn the routes from."""
    with open(ROUTES_C) as f:
        return re.findall(r'\{"([A-Z]+)", "([^"]+)", "(api_\w+)", "([^"]+)", (BODY_\w+)', f.read())


_db = None


def db():
    global _db
    if _db is None or _db.closed:
        _db = psycopg2.connect("")  # PGHOST, PGPORT, PGDATABASE, PGUSER from the env
        _db.autocommit = True
    return _db


def sql(query, *args):
    with db().cursor() as cur:
        cur.execute(query, args)
        return cur.fetchall() if cur.description else None


def sql1(query, *args):
    rows = sql(query, *args)
    return rows[0][0] if rows else None


def unique(prefix="x"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


_phone_counter = [0]


def fresh_phone():
    """A valid, unused NANP number (+1 415 2xx xxxx), unique within a run."""
    _phone_counter[0] += 1
    n = (os.getpid() * 7919 + _phone_counter[0]) % 8000000 + 2000000
    return f"+1415{n:07d}"


def member(first="Test", last="Member", phone=None, scopes=None):
    """A new member and a token for them: (user_id, token)."""
    uid = sql1("SELECT privacybee.create_member(%s, %s, %s)", first, last, phone)
    token = sql1("SELECT privacybee.issue_token(%s, %s)", uid, scopes or USER_SCOPES)
    return uid, token


def service_token():
    return sql1("SELECT privacybee.issue_token(NULL, '{buzz:lookup}')")


# ---- two transactions made to overlap, for certain --------------------------------------

def api(cur, function, token, arg=None, body=None, allow=()):
    """A route function called as privacybee-fcgi calls it, inside cur's transaction; its
    JSON body. An error status other than those allowed raises (an API error, SQLSTATE
    PTnnn, is status nnn; an allowed one leaves the transaction aborted, changing nothing)."""
    try:
        cur.execute(f"SELECT (r).status, (r).body FROM privacybee.{function}(%s, %s, '{{}}', %s, NULL) AS r",
                    (token, arg, json.dumps(body) if body is not None else None))
    except psycopg2.Error as e:
        if (e.pgcode or "").startswith("PT") and int(e.pgcode[2:]) in allow:
            return None
        raise
    status, text = cur.fetchone()
    if status >= 300 and status not in allow:
        raise AssertionError(f"{function}: {status} {text}")
    return json.loads(text) if text else None


def waiting_or_done(pid, done):
    """True once the backend pid waits for a lock, or its change has finished."""
    return done.is_set() or sql1("SELECT wait_event_type = 'Lock' FROM pg_catalog.pg_stat_activity "
                                 "WHERE pid = %s", pid)


def overlapped(first, second, *args):
    """first(cur, *args) in an open transaction; second(cur, *args) started in another and
    run until it finishes or waits for a lock first holds; then first commits, then
    second. So the two overlap for certain, whatever the timing. Returns both results and
    the first error raised (None when there was none)."""
    c1, c2 = psycopg2.connect(""), psycopg2.connect("")
    done = threading.Event()
    results = [None, None]
    errors = []

    def run_second():
        try:
            with c2.cursor() as cur:
                results[1] = second(cur, *args)
            c2.commit()
        except Exception as e:  # reported to the caller
            errors.append(e)
            c2.rollback()
        done.set()

    try:
        with c1.cursor() as cur:
            results[0] = first(cur, *args)
        t = threading.Thread(target=run_second)
        t.start()
        deadline = time.monotonic() + 60
        while not waiting_or_done(c2.get_backend_pid(), done):
            if time.monotonic() > deadline:
                errors.append(AssertionError("second change neither finished nor waited"))
                break
        c1.commit()
        t.join()
    except Exception as e:
        errors.append(e)
    finally:
        c1.close()
        c2.close()
    return results, (errors[0] if errors else None)


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return f"<{self.status} {self.raw[:300]!r}>"


def parse_response(data):
    """A Response from the raw bytes of one HTTP/1.1 answer (status line, headers, body)."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(status, headers, body.decode("utf-8", "replace"))


def raw_request(data, source=None, timeout=30, head=False):
    """Send data, bytes exactly as given, on a new connection; the Response to it. For
    requests no HTTP library would send (nginx's own errors)."""
    s = socket.create_connection((URL.hostname, URL.port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    try:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            head_end = out.find(b"\r\n\r\n")
            if head_end >= 0:
                m = re.search(rb"\r\ncontent-length: *(\d+)", out[:head_end], re.I)
                if head or (m and len(out) - head_end - 4 >= int(m.group(1))):
                    break
    finally:
        s.close()
    return parse_response(out)


class Client:
    def __init__(self, source=None):
        self.conn = None
        self.source = source

    def request(self, method, path, token=None, body=None, ctype=None, headers=None, raw=None,
                sign=True):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            ctype = ctype or "application/json"
        if ctype:
            h["Content-Type"] = ctype
        if (sign and PROVIDER_SECRET and path.startswith(PROVIDER_PATHS)
                and "X-Twilio-Signature" not in h):
            path, h = provider_signed(path, data, ctype, h)
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    URL.hostname, URL.port, timeout=30,
                    source_address=(self.source, 0) if self.source else None)
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                raw_body = r.read()
                return Response(r.status, {k.lower(): v for k, v in r.getheaders()},
                                raw_body.decode("utf-8", "replace"))
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise


class ApiTest(unittest.TestCase):
    """A test case with a client and helpers that read like the contract."""

    def setUp(self):
        self.client = Client()

    def req(self, *args, **kwargs):
        return self.client.request(*args, **kwargs)

    def assertStatus(self, response, status):
        self.assertEqual(response.status, status, response)

    def assertError(self, response, status, field=None):
        """Status, the SPEC error body, and (optionally) a details entry for field."""
        self.assertStatus(response, status)
        self.assertIsNotNone(response.json, response)
        err = response.json["error"]
        self.assertEqual(err["code"], str(status))
        self.assertTrue(err["message"])
        if field is not None:
            self.assertIn(field, [d["field"] for d in err.get("details", [])], response)
        return err
