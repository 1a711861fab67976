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
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse
import uuid
import warnings

import jsonschema
import psycopg2

URL = urllib.parse.urlsplit(os.environ["PRIVACYBEE_URL"])

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
    if data and ctype and ctype.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        form = urllib.parse.parse_qsl(data.decode(), keep_blank_values=True)
    elif data:
        digest = hashlib.sha256(data).hexdigest()
        path += ("&" if "?" in path else "?") + "bodySHA256=" + digest
    url = f"http://{URL.hostname}:{URL.port}{path}"
    return path, dict(headers, **{"X-Twilio-Signature": twilio_signature(url, form)})

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(TOP, "api"))
import registry  # noqa: E402  (api/registry.py: the one reader of the route registry)


# every scope a member's own app's token may hold, from the registry
USER_SCOPES = [s.name for s in registry.scopes() if s.holder in ("member", "app")]


def route_table():
    """(method, pattern, function, scope, body kind) of every route, from the route
    registry api/routes: the one place the HTTP suites learn the routes from. function is
    None for a route privacybee-fcgi answers itself, scope None for a route without a
    token, body kind None, "json" or "json|form". The WebDAV routes (CardDAV) are not
    among them: they take no query parameters, authenticate with HTTP Basic and answer
    XML, so the sweeps written for the JSON API do not fit them; their own suites
    (test_carddav_*.py) sweep dav_routes() for the same kinds of input."""
    return [(r.method, r.path, r.function, r.scope, r.body_kind) for r in registry.load() if not r.dav]


def dav_routes():
    """The registry's WebDAV routes (CardDAV, SPEC §15), with every attribute."""
    return [r for r in registry.load() if r.dav]


def is_dav_path(path):
    """Is path one of a WebDAV route of the registry (CardDAV, SPEC §15)?"""
    if not _dav_patterns:
        _dav_patterns.extend(re.compile(r.path_regex) for r in registry.load() if r.dav)
    path = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
    return any(p.match(path) for p in _dav_patterns)


_dav_patterns = []


def registry_routes():
    """The registry's routes with every attribute (api/registry.py Route)."""
    return registry.load()


# ---- every response checked against the OpenAPI document ---------------------------------

class OpenApi:
    """The document GET /openapi.json serves, as a checker of responses: the status must be
    one the document gives the operation (method and path), and the body must be valid
    against the schema of that status; a request that is no operation's (404, 405,
    nginx's own errors) must be answered with an error status and the Error schema."""

    def __init__(self, doc):
        self.doc = doc
        self.checked = 0
        self.operations = []
        for path, item in doc["paths"].items():
            regex = re.escape(path)
            for ref in {p["$ref"] for op in item.values() for p in op.get("parameters", [])}:
                param = self.resolve(ref)
                if param["in"] == "path":
                    pattern = param["schema"]["pattern"].lstrip("^").rstrip("$")
                    regex = regex.replace(re.escape("{" + param["name"] + "}"), f"(?:{pattern})")
            self.operations.append((re.compile(f"^{regex}$"), item))
        self.validators = {}

    def resolve(self, node):
        ref = node if isinstance(node, str) else node.get("$ref")
        if ref is None:
            return node
        out = self.doc
        for part in ref.lstrip("#/").split("/"):
            out = out[part]
        return out

    def validator(self, schema):
        key = json.dumps(schema, sort_keys=True)
        if key not in self.validators:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                resolver = jsonschema.RefResolver("", self.doc)
                self.validators[key] = jsonschema.Draft202012Validator(
                    schema, resolver=resolver, format_checker=jsonschema.FormatChecker())
        return self.validators[key]

    def operation(self, method, path):
        path = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
        for regex, item in self.operations:
            if regex.match(path):
                return item.get("get" if method == "HEAD" else method.lower())
        return None

    def check(self, method, path, response):
        """Raise AssertionError unless the document describes this response."""
        where = f"{method} {(path or '')[:200]} → {response.status}"
        op = self.operation(method, path) if method and path else None
        if op is None and path and is_dav_path(path):
            # a WebDAV route: RFC 4918 / 6352 describe it, not the document; its errors
            # are the SPEC's JSON, or (a DAV precondition) a DAV:error XML body; a HEAD's has
            # none (RFC 9110 §9.3.2)
            if response.status >= 400 and method != "HEAD" and \
                    (response.header("Content-Type") or "").startswith("application/json"):
                errors = list(self.validator({"$ref": "#/components/schemas/Error"}).iter_errors(response.json))
                if errors:
                    raise AssertionError(f"{where}: not the SPEC error body: {response.raw[:200]!r}")
            self.checked += 1
            return
        if op is None:
            if response.status < 400:
                raise AssertionError(f"{where}: a success for no operation of the OpenAPI document")
            described = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        else:
            if str(response.status) not in op["responses"]:
                raise AssertionError(f"{where}: status not in the OpenAPI document for "
                                     f"{op['operationId']} ({', '.join(op['responses'])})")
            described = self.resolve(op["responses"][str(response.status)])
        for name, header in described.get("headers", {}).items():
            header = self.resolve(header)
            value = response.header(name)
            if value is None:
                if header.get("required"):
                    raise AssertionError(f"{where}: no {name} header, which the document requires")
            elif list(self.validator(header["schema"]).iter_errors(value)) and \
                    header["schema"].get("type") == "string":
                raise AssertionError(f"{where}: {name}: {value!r} is not what the document says")
        content = described.get("content")
        if method == "HEAD" or response.status in (204, 304):
            if response.raw:
                raise AssertionError(f"{where}: a body where none may be")
        elif content is None:
            if response.raw:
                raise AssertionError(f"{where}: a body the document does not describe: {response.raw[:200]!r}")
        else:
            ctype = (response.header("Content-Type") or "").split(";")[0]
            if ctype not in content:
                raise AssertionError(f"{where}: Content-Type {response.header('Content-Type')!r}, "
                                     f"the document says {list(content)}")
            if ctype != "application/json":
                # bytes (a photo): described by their type; a body there must be
                if not response.data:
                    raise AssertionError(f"{where}: no body where the document describes {ctype}")
                self.checked += 1
                return
            if response.json is None and response.raw != "null":
                raise AssertionError(f"{where}: the body is not JSON: {response.raw[:200]!r}")
            space = first_space_outside_strings(response.raw)
            if space is not None:
                raise AssertionError(f"{where}: not the API's compact JSON (white space at {space}): "
                                     f"{response.raw[max(0, space - 40):space + 40]!r}")
            schema = content["application/json"]["schema"]
            errors = sorted(self.validator(schema).iter_errors(response.json), key=lambda e: list(e.path))
            if errors:
                e = errors[0]
                raise AssertionError(f"{where}: the body is not what the OpenAPI document says at "
                                     f"{'/'.join(map(str, e.absolute_path)) or 'the top'}: {e.message}"
                                     f" ({len(errors)} error(s)); body {response.raw[:300]!r}")
        self.checked += 1


def first_space_outside_strings(text):
    """The offset of the first white space outside a JSON string, None when there is none:
    every body is compact, {"id":1,"name":"x"} (SPEC §13)."""
    in_string = escaped = False
    for i, c in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in " \t\r\n":
            return i
    return None


_openapi = None


def openapi():
    """The OpenAPI document the stack serves (fetched once, without a token), as a checker."""
    global _openapi
    if _openapi is None:
        conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=30)
        try:
            conn.request("GET", "/openapi.json")
            r = conn.getresponse()
            body = r.read()
        finally:
            conn.close()
        if r.status != 200:
            raise AssertionError(f"GET /openapi.json answered {r.status}")
        _openapi = OpenApi(json.loads(body))
    return _openapi


# ---- the stack's PostgreSQL: stop, start, crash ---------------------------------------

PGDATA = os.path.join(os.environ["PGHOST"], "data")


def pg_ctl(*args):
    cmd = ["pg_ctl", "-D", PGDATA, "-w", *args]
    if os.getuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    bindir = subprocess.check_output([os.environ.get("PG_CONFIG", "pg_config"), "--bindir"], text=True).strip()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PATH": bindir + ":" + os.environ["PATH"]})


def start_postgres():
    pg_ctl("-l", os.path.join(os.environ["PGHOST"], "..", "log", "postgres.log"), "start")


def process_state(pid):
    """The state letter of /proc/<pid>/stat (R, S, T, Z, ...), None when the pid is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def live_children(pid):
    """pgrep -P pid, without the zombies (dead, detached from everything, not yet reaped)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(c) for c in out if process_state(c) not in (None, "Z")]


def _wait_until(predicate, what, seconds=60):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {seconds} s: {what}")
        time.sleep(0.02)


def crash_postgres(backends=True):
    """kill -9 of PostgreSQL, as a crash: the postmaster and (backends) every process it
    forked, or the postmaster alone (its children notice and exit by themselves). Returns
    when every process attached to the cluster's shared memory is gone and the postmaster
    is reaped, so that pg_ctl start is not refused ("pre-existing shared memory block is
    still in use", "lock file already exists").

    The postmaster forks a backend for every connection attempt, and the clients under
    test reconnect all the time: a child listed before the postmaster's SIGKILL can have a
    sibling forked just after the listing, which nothing would kill or wait for. So the
    postmaster is stopped (SIGSTOP; waited for: the signal is asynchronous) before its
    children are listed; stopped, it forks nothing, and it is killed only after them.
    Every crash test calls this one function."""
    with open(os.path.join(PGDATA, "postmaster.pid")) as f:
        postmaster = int(f.readline())
    os.kill(postmaster, signal.SIGSTOP)
    _wait_until(lambda: process_state(postmaster) in ("T", None), f"the postmaster {postmaster} stops")
    children = set(live_children(postmaster))
    if backends:
        # until pgrep -P finds none alive: the killed ones stay zombies of the stopped postmaster
        while live := live_children(postmaster):
            children.update(live)
            for pid in live:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    os.kill(postmaster, signal.SIGKILL)
    # a child is detached once it is a zombie; the postmaster's pid must be reaped (by init)
    _wait_until(lambda: process_state(postmaster) is None and
                all(process_state(p) in (None, "Z") for p in children),
                f"the killed postmaster {postmaster} and its children {sorted(children)} are gone")


_db = None


def db():
    global _db
    if _db is None or _db.closed:
        _db = psycopg2.connect("")  # PGHOST, PGPORT, PGDATABASE, PGUSER from the env
        _db.autocommit = True
    return _db


# ---- the sharded layout (SHARDS=N make test, docs/sharding.md) ---------------------------
#
# PGDATABASE is then the PL/Proxy proxy, which has the SQL functions of SPEC §7 and the
# route functions but no tables. A suite's own SQL that reads or writes tables goes to the
# shard databases themselves, as an operator's would: rows of reference tables (the same
# on every shard) are read on shard 0 and written on every shard; a member's rows are read
# on every shard (a member's are on one: counts add up, rows concatenate) and written where
# they are (an INSERT on the shard of the member its first value names).

SHARDS = int(os.environ.get("PRIVACYBEE_SHARDS") or 0)
_shard_dbs = {}
_reference = None


def shard_db(k):
    if k not in _shard_dbs or _shard_dbs[k].closed:
        _shard_dbs[k] = psycopg2.connect(dbname=f"{os.environ.get('PGDATABASE', 'privacybee')}_shard_{k}")
        _shard_dbs[k].autocommit = True
    return _shard_dbs[k]


def _on(k, query, args):
    with shard_db(k).cursor() as cur:
        cur.execute(query, args)
        return cur.fetchall() if cur.description else None


def _sharded_sql(query, args, tables):
    global _reference
    if _reference is None:
        _reference = {t for (t,) in _on(0, "SELECT pg_catalog.unnest(privacybee.reference_tables())", ())}
    verb = query.lstrip().split(None, 1)[0].upper()
    shards = range(SHARDS)
    if tables <= _reference:
        if verb == "SELECT" and "tokens" in tables:
            # an OAuth client's access token is its member's row, on their shard only
            # (docs/sharding.md): every shard's rows, each once, shard 0's first
            rows, seen = [], set()
            for k in shards:
                for row in _on(k, query, args):
                    key = repr(row)
                    if key not in seen:
                        seen.add(key)
                        rows.append(row)
            return rows
        if verb == "SELECT":
            return _on(0, query, args)
        return [_on(k, query, args) for k in shards][0]
    if verb == "INSERT" and args and isinstance(args[0], int):
        return _on(_on(0, "SELECT privacybee.member_shard(%s, %s)", (args[0], SHARDS))[0][0], query, args)
    results = [_on(k, query, args) for k in shards]
    if results[0] is None:
        return None
    head = re.match(r"\s*SELECT\s+(count|sum|max)\(", query, re.I)
    if head and all(len(r) == 1 and len(r[0]) == 1 for r in results):
        values = [r[0][0] for r in results if r[0][0] is not None]
        if head.group(1).lower() == "count":
            return [(sum(values),)]
        if head.group(1).lower() == "sum":
            return [(sum(values) if values else None,)]
        return [(max(values) if values else None,)]
    return [row for r in results for row in r]


def extension_db():
    """The harness's autocommit connection to a database with the extension's own SQL
    functions (vcard_parse, …): shard 0 in the sharded layout (the proxy has only the
    route functions and those of SPEC §7), else the one database."""
    return shard_db(0) if SHARDS else db()


def close_connections():
    """Closes the harness's connections (the proxy's or the one database's, and every
    shard's), after a test restarted PostgreSQL: the next use opens fresh ones."""
    db().close()
    for conn in _shard_dbs.values():
        conn.close()


_proxy_functions = None


def _proxy_lacks(query):
    """Does the query call a privacybee function the proxy does not have (an extension
    function that is neither a route's nor one of SPEC §7's: webhook_create, carddav_purge)?"""
    global _proxy_functions
    called = set(re.findall(r"privacybee\.([a-z_0-9]+)\(", query))
    if not called:
        return False
    if _proxy_functions is None:
        with db().cursor() as cur:
            cur.execute("SELECT proname FROM pg_catalog.pg_proc WHERE pronamespace = 'privacybee'::regnamespace")
            _proxy_functions = {name for (name,) in cur.fetchall()}
    return not called <= _proxy_functions


def every_database():
    """The harness's autocommit connections to every database holding rows: each shard's in
    the sharded layout, else the one database. For state that is each database's own (a
    sequence: a shard's ids are its own series, docs/sharding.md)."""
    return [shard_db(k) for k in range(SHARDS)] if SHARDS else [db()]


def member_shard(uid):
    """The shard number of member uid (0 when not sharded)."""
    if not SHARDS:
        return 0
    return _on(0, "SELECT privacybee.member_shard(%s, %s)", (uid, SHARDS))[0][0]


def member_db(uid):
    """The harness's autocommit connection to the database holding member uid's rows: the
    member's shard, or the one database. A suite that holds a lock in a transaction of its
    own (BEGIN … LOCK …) takes it here, where the rows are: a transaction on the proxy
    holds nothing on a shard."""
    return shard_db(member_shard(uid)) if SHARDS else db()


def member_connect(uid):
    """A new connection (not autocommit) to the database holding member uid's rows, for a
    suite's own transaction that calls a route function and holds what it locks until it
    commits (on the proxy, PL/Proxy would commit the shard's part at once)."""
    if not SHARDS:
        return psycopg2.connect("")
    return psycopg2.connect(dbname=f"{os.environ.get('PGDATABASE', 'privacybee')}_shard_{member_shard(uid)}")


def member_sql(uid, query, *args):
    """A query on member uid's shard only (the one database when not sharded): what that
    member's shard holds, e.g. its own copy of an activity between two shards' members."""
    if not SHARDS:
        return sql(query, *args)
    return _on(member_shard(uid), query, args)


def sql(query, *args):
    # a table is named without "(" right after it (INSERT INTO privacybee.tags (…) has a space)
    tables = set(re.findall(r"privacybee\.([a-z_]+)\b(?!\()", query)) if SHARDS else set()
    if tables:
        return _sharded_sql(query, args, tables)
    if SHARDS and _proxy_lacks(query):
        # an extension function, where an operator would call it: on the shard of the
        # member its first argument names, else (maintenance: carddav_purge) on every
        # shard, answering shard 0's result
        if args and isinstance(args[0], int) and not isinstance(args[0], bool):
            return member_sql(args[0], query, *args)
        return [_on(k, query, args) for k in range(SHARDS)][0]
    if SHARDS and db().get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_INERROR:
        # a suite's own transaction on the proxy failed (it locked a table the proxy does
        # not have): end it, so that one test's failure is not every later one's (the
        # connection is in autocommit, where rollback() would do nothing)
        with db().cursor() as cur:
            cur.execute("ROLLBACK")
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


def buzz_number_for(uid):
    """A fresh phone number that member uid's shard may hand out: one of their shard's part
    of the pool in the sharded layout (a shard hands out only those, and a call is routed
    by the number called: docs/sharding.md), any on one database. Not added to the pool."""
    while True:
        number = fresh_phone()
        # the placement of sql/logic/05_shard_layout.sql (number_is_local, member_shard)
        if not SHARDS or sql1("SELECT pg_catalog.abs(pg_catalog.hashtext(%s) %% %s) = "
                              "pg_catalog.abs(pg_catalog.hashint8(%s) %% %s)", number, SHARDS, uid, SHARDS):
            return number


def give_buzz_number(uid):
    """A fresh Buzz number of uid's shard's part of the pool (buzz_number_for), added to
    the pool and given to member uid."""
    number = buzz_number_for(uid)
    sql("SELECT privacybee.add_buzz_numbers(%s)", [number])
    sql("UPDATE privacybee.buzz_numbers SET user_id = %s WHERE e164 = %s", uid, number)
    return number


def service_token():
    return sql1("SELECT privacybee.issue_token(NULL, '{buzz:lookup}')")


def oauth_client(scopes=("account.read", "contacts.read"), redirect_uris=("https://app.example/cb",),
                 name="Example App"):
    """A registered third-party app: (client_id, client_secret)."""
    return sql("SELECT * FROM privacybee.register_oauth_client(%s, %s, %s)", name,
               list(redirect_uris), list(scopes))[0]


def multipart(fields=(), files=(), boundary="pbBoundary7MA4YWxkTrZu0gW"):
    """A multipart/form-data body (RFC 7578): (bytes, Content-Type). fields: (name, text)
    pairs; files: (name, media type, bytes) triples."""
    out = b""
    for name, text in fields:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n".encode()
                + text.encode() + b"\r\n")
    for name, ctype, data in files:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                f"filename=\"{name}\"\r\nContent-Type: {ctype}\r\n\r\n".encode() + data + b"\r\n")
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def own_error_statuses():
    """(method, path) → the error statuses whose body the route names itself in the
    registry (OAuth 2.0's RFC 6749 §5.2 body) rather than the SPEC's."""
    return {(r.method, r.path): {s for s, name in r.responses.items() if s >= 400 and name}
            for r in registry.load()}


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


def overlapped(first, second, *args, member=None):
    """first(cur, *args) in an open transaction; second(cur, *args) started in another and
    run until it finishes or waits for a lock first holds; then first commits, then
    second. So the two overlap for certain, whatever the timing. Returns both results and
    the first error raised (None when there was none). Both transactions are on the
    database of the member whose rows the changes lock (member_connect): in the sharded
    layout, their shard; through the proxy each call would commit on its own."""
    if member is None:
        c1, c2 = psycopg2.connect(""), psycopg2.connect("")
    else:
        c1, c2 = member_connect(member), member_connect(member)
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
    def __init__(self, status, headers, raw, data=None):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.data = data if data is not None else raw.encode()  # the body's bytes (a photo's)
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
    return Response(status, headers, body.decode("utf-8", "replace"), body)


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
    response = parse_response(out)
    line = data.split(b"\r\n", 1)[0].split(b" ")
    method, target = (line[0].decode("latin-1"), line[1].decode("latin-1")) if len(line) == 3 else (None, None)
    openapi().check(method, target, response)
    return response


class Client:
    def __init__(self, source=None):
        self.conn = None
        self.source = source

    def request(self, method, path, token=None, body=None, ctype=None, headers=None, raw=None,
                sign=True, form=None):
        """body: sent as JSON; form: a dict or list of pairs, sent form-urlencoded."""
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            ctype = ctype or "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            ctype = ctype or "application/x-www-form-urlencoded"
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
                response = Response(r.status, {k.lower(): v for k, v in r.getheaders()},
                                    raw_body.decode("utf-8", "replace"), raw_body)
                openapi().check(method, path, response)
                return response
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
