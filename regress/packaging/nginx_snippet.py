#!/usr/bin/env python3
"""nginx_snippet.py — the production nginx snippets make install writes say what the
development config says.

    nginx_snippet.py DEV_TEMPLATE STACK_SH INSTALLED_HTTP_CONF INSTALLED_SERVER_CONF

make run and make test serve through fcgi/nginx/privacybee.conf.in, filled in by
fcgi/stack/stack.sh (rate limits from the environment, defaults in stack.sh); a production
nginx includes privacybee-http.conf in http {} and privacybee-server.conf in a server {},
which make install cuts from that same file (fcgi/nginx/snippets.py). This checks the cut,
with a parser of its own: both must carry the same directives — the upstream and its
keepalive, the rate-limit maps, zones and rates, the body limits and timeouts, every
location with its limits and includes, nginx's own JSON error answers. Only what belongs
to the development stack itself may differ: its temporary directories, its access log and
its listen address (DEV_ONLY). The dev template is filled with stack.sh's defaults;
include paths compare by file name and the upstream socket by being a unix socket. Exit
0 when equal, else 1 with the differences.
"""
import os
import re
import sys

# directives of the development stack that a production server sets its own way
DEV_ONLY = {"access_log", "listen", "client_body_temp_path", "fastcgi_temp_path",
            "proxy_temp_path", "uwsgi_temp_path", "scgi_temp_path"}


def tokens(text):
    """nginx's tokens: words, quoted strings (kept with their quotes), '{', '}', ';'."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "{};":
            yield c
            i += 1
        elif c in "'\"":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            yield text[i:j + 1]
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in "{};":
                j += 1
            yield text[i:j]
            i = j


def parse(text):
    """A list of (name, args, children|None)."""
    stack = [[]]
    words = []
    for t in tokens(text):
        if t == ";":
            stack[-1].append((words[0], tuple(words[1:]), None))
            words = []
        elif t == "{":
            block = (words[0], tuple(words[1:]), [])
            stack[-1].append(block)
            stack.append(block[2])
            words = []
        elif t == "}":
            stack.pop()
        else:
            words.append(t)
    if len(stack) != 1 or words:
        raise ValueError("unbalanced braces or a directive without ';'")
    return stack[0]


def canonical(directive):
    name, args, children = directive
    if name == "include":
        args = tuple(os.path.basename(a) for a in args)
    if name == "server" and args and args[0].startswith("unix:"):
        args = ("unix:<socket>",) + args[1:]
    text = " ".join((name,) + args)
    if children is not None:
        text += " { " + " ".join(sorted(canonical(c) for c in children)) + " }"
    return text


def stack_defaults(stack_sh):
    """The defaults stack.sh fills the template with: ${RATE_RW:-60r/m} …"""
    return dict(re.findall(r"\$\{([A-Z][A-Z0-9_]*):-([^}]*)\}", stack_sh))


def main():
    dev_path, stack_path, http_path, server_path = sys.argv[1:5]
    dev = open(dev_path).read()
    defaults = stack_defaults(open(stack_path).read())
    for name, value in defaults.items():
        dev = dev.replace("@" + name + "@", value)
    # a list stack.sh builds from the environment (a placeholder alone on its line, with
    # no default) is empty when nothing is set
    dev = "\n".join(l for l in dev.split("\n") if not re.fullmatch(r"\s*@[A-Z][A-Z0-9_]*@\s*", l))
    dev_tree = parse(dev)
    http = [d for d in dev_tree if d[0] == "http"]
    if len(http) != 1:
        print(f"{dev_path}: expected one http block")
        return 1
    flat = []
    for d in http[0][2]:
        if d[0] == "server":
            flat.extend(d[2])
        else:
            flat.append(d)
    want = sorted(canonical(d) for d in flat if d[0] not in DEV_ONLY)
    have = sorted(canonical(d) for path in (http_path, server_path)
                  for d in parse(open(path).read()))
    missing = [d for d in want if d not in have]
    extra = [d for d in have if d not in want]
    for d in missing:
        print(f"only in the development config: {d}")
    for d in extra:
        print(f"only in the installed snippets: {d}")
    left = sorted({m for d in have for m in re.findall(r"@[A-Z_]+@", d)})
    for m in left:
        print(f"placeholder left in the installed snippets: {m}")
    return 1 if missing or extra or left else 0


if __name__ == "__main__":
    sys.exit(main())
