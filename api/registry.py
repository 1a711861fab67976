"""registry.py — reads api/routes, the route registry (its header says the format), into
Route objects, refusing anything the format does not allow. The one reader of the file:
api/generate.py builds everything generated from it with this, and the HTTP suites read
the routes through it (regress/http/harness.py).
"""
import os
import re
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROUTES = os.path.join(HERE, "routes")

# The body kinds privacybee-fcgi reads (fcgi/routes.h BodyKind). The registry's format
# has room for more (form, binary, multipart, xml); a kind joins this list together with
# the front-end code that reads it.
BODY_KINDS = {"json": "BODY_JSON", "json|form": "BODY_JSON_OR_FORM", "form": "BODY_FORM",
              "image": "BODY_IMAGE", "multipart": "BODY_MULTIPART",
              "xml": "BODY_XML", "vcard": "BODY_VCARD"}
# the kinds only a WebDAV route (attribute dav) reads: no OpenAPI schema names them
DAV_BODY_KINDS = ("xml", "vcard")
# the media types an image body may be (privacybee-fcgi's image_types, fcgi/handler.c)
IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"]
SIZE = re.compile(r"([1-9][0-9]*)(KiB|MiB)")
# nginx's rate-limit classes (fcgi/nginx/privacybee-http.conf.in has a zone for each)
RATE_CLASSES = ("rw", "delete", "list", "lookup")
# what answers a route when it is not an SQL function
BUILTINS = ("(openapi)",)
# {name}: a WebDAV resource's name as its client chose it (one segment, decoded)
PLACEHOLDERS = {"{id}": "[0-9]+", "{name}": "[^/]+"}
# How the PL/Proxy proxy finds the shard that answers a route (docs/sharding.md):
#   member  the member whose id the bearer token carries (the default for member scopes)
#   call    the shard of the call's receiving Buzz number (the default for service scopes)
#   team    the team (teamId in the body), else the member of the token
#   all     every shard runs it, each keeping the rows of its own members; the answer is
#           a success if any shard's is, the token's member's shard's first
#   any     any one shard: the route reads no member's rows (capabilities, a redirect)
SHARD_KEYS = ("member", "call", "team", "book", "grant", "all", "any")
SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
# a segment of a literal prefix and a placeholder: a team's address book, team-{id}
PREFIXED = re.compile(r"[A-Za-z0-9._~-]+-(\{id\})")
# a scope's name: ours (contacts:read) and the Contacts+ seed's (teams.contacts.read)
SCOPE_NAME = re.compile(r"[a-z]+([:.][a-z]+)*")
# who may hold a scope (api/routes' header says what each means)
HOLDERS = ("member", "app", "service")


class RegistryError(Exception):
    pass


@dataclass
class Scope:
    line: int
    name: str
    holder: str                 # "member", "app" or "service"
    description: str
    alias: str | None = None    # the same scope under the Contacts+ seed's name


@dataclass
class Route:
    line: int
    method: str
    path: str
    function: str | None        # the api_* SQL function; None for a builtin
    builtin: str | None         # "(openapi)": privacybee-fcgi answers it itself
    scope: str | None           # None: no bearer token
    query: list = field(default_factory=list)
    query_open: bool = False    # other parameters are ignored rather than refused
    body_kind: str | None = None
    body_schema: str | None = None
    responses: dict = field(default_factory=dict)   # status (int) → response name or None
    rate: str = "rw"
    dev: bool = False
    signed: bool = False
    client_basic: bool = False  # OAuth client credentials may come as HTTP Basic
    body_limit: int = 0         # bytes (limit=5MiB); 0: privacybee-fcgi's configured limit
    bytes_answer: bool = False  # the function answers bytes (http_binary_response), not JSON
    shard: str | None = None    # shard=KEY (SHARD_KEYS); None: the default of the scope's holder
    then: str | None = None     # then=FUNCTION: the proxy calls it with the answer (docs/sharding.md)
    primary: bool = False       # a GET that writes, or must read the newest: never the standby
    dav: bool = False           # a WebDAV route (CardDAV, SPEC §15): HTTP Basic, answers bytes
    summary: str = ""

    @property
    def path_regex(self):
        """The path as a regular expression, placeholders as what they match."""
        out = ""
        for part in re.split(r"(\{[a-z]+\})", self.path):
            out += PLACEHOLDERS.get(part) or re.escape(part)
        # a collection's path (a final "/") is matched without its final slash too
        return "^" + out + ("?" if self.path.endswith("/") and len(self.path) > 1 else "") + "$"

    @property
    def read_only(self):
        """Writes nothing: a hot standby may serve it (privacybee-fcgi --dsn-read). A GET,
        unless it says primary."""
        return self.method == "GET" and not self.primary and self.function is not None

    @property
    def segments(self):
        return self.path.strip("/").split("/")


def parse_line(number, text):
    head, bar, summary = text.partition(" | ")
    words = head.split()
    if not bar or len(words) < 4:
        raise RegistryError(f"line {number}: expected METHOD PATH FUNCTION SCOPE [ATTRIBUTE ...] | SUMMARY")
    method, path, function, scope, *attributes = words
    if not re.fullmatch(r"[A-Z]+", method) or method == "HEAD":
        raise RegistryError(f"line {number}: {method!r} is not a method (HEAD comes with GET)")
    segments = path[1:].split("/")
    if segments[-1] == "" and "dav" in attributes:
        segments.pop()          # a WebDAV collection: its path ends in "/"
    if not path.startswith("/") or not all(s in PLACEHOLDERS or SEGMENT.fullmatch(s) or PREFIXED.fullmatch(s)
                                           for s in segments):
        raise RegistryError(f"line {number}: {path!r} is not a path of literal segments, {{id}} "
                            "and prefix-{{id}}")
    if function in BUILTINS:
        builtin, function = function, None
    elif re.fullmatch(r"api_[a-z0-9_]+", function):
        builtin = None
    else:
        raise RegistryError(f"line {number}: {function!r} is neither an api_* function nor one of {BUILTINS}")
    if scope != "-" and not SCOPE_NAME.fullmatch(scope):
        raise RegistryError(f"line {number}: {scope!r} is not a scope")
    route = Route(number, method, path, function, builtin, None if scope == "-" else scope,
                  rate="delete" if method == "DELETE" else "rw", summary=summary.strip())
    for a in attributes:
        key, eq, value = a.partition("=")
        status = re.fullmatch(r"([1-5][0-9][0-9])(?::([A-Za-z][A-Za-z0-9]*))?", a)
        if status:
            code, name = int(status.group(1)), status.group(2)
            if code in route.responses:
                raise RegistryError(f"line {number}: status {code} given twice")
            if code < 400 and code not in (204, 304) and not name:
                raise RegistryError(f"line {number}: {code} needs the name of its response ({code}:Name)")
            if code in (204, 304) and name:
                raise RegistryError(f"line {number}: {code} has no response body to name")
            route.responses[code] = name
        elif key == "query" and eq:
            names = value.split(",")
            route.query_open = names[-1] == "*"
            route.query = names[:-1] if route.query_open else names
            if not all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n) for n in route.query):
                raise RegistryError(f"line {number}: query= lists names separated by commas")
        elif key == "body" and eq:
            kind, _, schema = value.partition(":")
            if kind not in BODY_KINDS:
                raise RegistryError(f"line {number}: body kind {kind!r} is not one privacybee-fcgi "
                                    f"reads ({', '.join(BODY_KINDS)}); see fcgi/routes.h")
            if not schema and kind not in DAV_BODY_KINDS:
                raise RegistryError(f"line {number}: body={kind} needs the name of its schema")
            if (kind in DAV_BODY_KINDS) != ("dav" in attributes):
                raise RegistryError(f"line {number}: body={kind}: xml and vcard bodies are "
                                    f"WebDAV routes' (dav), and theirs only")
            route.body_kind, route.body_schema = kind, schema
        elif key == "rate" and eq:
            if value not in RATE_CLASSES:
                raise RegistryError(f"line {number}: rate class {value!r} is not one of {RATE_CLASSES}")
            route.rate = value
        elif key == "limit" and eq:
            size = SIZE.fullmatch(value)
            if not size:
                raise RegistryError(f"line {number}: limit= is a size such as 512KiB or 5MiB")
            route.body_limit = int(size.group(1)) * (1024 if size.group(2) == "KiB" else 1024 * 1024)
        elif key == "shard" and eq:
            if value not in SHARD_KEYS:
                raise RegistryError(f"line {number}: shard key {value!r} is not one of {SHARD_KEYS}")
            route.shard = value
        elif key == "then" and eq:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
                raise RegistryError(f"line {number}: then= names a function of the proxy (sql/proxy/)")
            route.then = value
        elif a == "bytes":
            route.bytes_answer = True
        elif a == "primary":
            route.primary = True
        elif a == "dev":
            route.dev = True
        elif a == "dav":
            route.dav = route.bytes_answer = True
        elif a == "signed":
            route.signed = True
        elif a == "basic":
            route.client_basic = True
        else:
            raise RegistryError(f"line {number}: unknown attribute {a!r}")
    # success: a 2xx, or a redirect (the well-known URI of CardDAV, RFC 6764)
    if not any(200 <= s < 300 or s in (301, 302, 307, 308) for s in route.responses):
        raise RegistryError(f"line {number}: no success status")
    if route.client_basic and (route.body_kind != "form" or route.scope):
        raise RegistryError(f"line {number}: basic (OAuth client credentials) needs body=form and no scope")
    if route.body_limit and not route.body_kind:
        raise RegistryError(f"line {number}: limit= without a body")
    if route.dav and route.query:
        raise RegistryError(f"line {number}: a WebDAV route reads no query parameters")
    if "{name}" in path and not route.dav:
        raise RegistryError(f"line {number}: {{name}} is a WebDAV resource's name (dav)")
    if route.builtin and (method != "GET" or route.scope or route.body_kind or route.query):
        raise RegistryError(f"line {number}: {route.builtin} is a GET route without token, body or parameters")
    return route


def parse_scope(number, text):
    head, bar, description = text.partition(" | ")
    words = head.split()
    alias = None
    if len(words) == 4 and words[3].startswith("alias="):
        alias = words.pop()[len("alias="):]
        if not SCOPE_NAME.fullmatch(alias) or alias == words[1]:
            raise RegistryError(f"line {number}: alias= names the scope otherwise")
    if not bar or len(words) != 3 or not SCOPE_NAME.fullmatch(words[1]) or words[2] not in HOLDERS:
        raise RegistryError(f"line {number}: expected scope NAME {'|'.join(HOLDERS)} [alias=NAME] | DESCRIPTION")
    return Scope(number, words[1], words[2], description.strip(), alias)


def check(routes, declared):
    """What no single line shows: one line per method and path, one scope per function,
    every scope declared once, no path two patterns could both match."""
    names = [s.name for s in declared]
    spellings = names + [s.alias for s in declared if s.alias]
    if len(set(spellings)) != len(spellings):
        raise RegistryError("a scope is declared twice (as a name or an alias)")
    for r in routes:
        if r.scope and r.scope not in names:
            raise RegistryError(f"line {r.line}: scope {r.scope} is not declared (scope {r.scope} member|service | …)")
    seen, scopes, shards = {}, {}, {}
    holders = {s.name: s.holder for s in declared}
    for r in routes:
        if r.function and r.shard is None:
            holder = holders.get(r.scope)
            if holder is None:
                raise RegistryError(f"line {r.line}: a route without a token must say how the sharded "
                                    f"layout routes it (shard=KEY, docs/sharding.md)")
            # a member's token (its own app's scopes included: oauth:authorize) routes by
            # its member; only the service's token has none, and routes by the call
            r.shard = "call" if holder == "service" else "member"
        if r.function and shards.setdefault(r.function, (r.shard, r.then)) != (r.shard, r.then):
            raise RegistryError(f"line {r.line}: {r.function} is given two shard keys or then= functions")
        if (r.method, r.path) in seen:
            raise RegistryError(f"line {r.line}: {r.method} {r.path} is already line {seen[r.method, r.path]}")
        seen[r.method, r.path] = r.line
        if r.function:
            if scopes.setdefault(r.function, r.scope) != r.scope:
                raise RegistryError(f"line {r.line}: {r.function} is given two scopes")
    for a in routes:
        for b in routes:
            if a.path != b.path and len(a.segments) == len(b.segments) and all(
                    segments_overlap(x, y) for x, y in zip(a.segments, b.segments)):
                raise RegistryError(f"lines {a.line} and {b.line}: a path could match both "
                                    f"{a.path} and {b.path}")
    return routes


def segment_regex(segment):
    """What a path segment of the registry matches (its placeholders as what they match)."""
    return "".join(PLACEHOLDERS.get(p) or re.escape(p) for p in re.split(r"(\{[a-z]+\})", segment))


def segments_overlap(x, y):
    """Could one segment of a request match both x and y? Each as a regular expression,
    tried on the other with its placeholders filled in (team-{id} as team-1)."""
    def sample(s):
        return re.sub(r"\{id\}", "1", re.sub(r"\{name\}", "x", s))
    return bool(re.fullmatch(segment_regex(x), sample(y)) or re.fullmatch(segment_regex(y), sample(x)))


def load_all(path=ROUTES):
    """(scopes, routes) of the registry, in the order written."""
    routes, scopes = [], []
    with open(path, encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            text = text.strip()
            if text.startswith("scope "):
                scopes.append(parse_scope(number, text))
            elif text and not text.startswith("#"):
                routes.append(parse_line(number, text))
    return scopes, check(routes, scopes)


def load(path=ROUTES):
    """The registry's routes."""
    return load_all(path)[1]


def scopes(path=ROUTES):
    """The registry's token scopes."""
    return load_all(path)[0]
