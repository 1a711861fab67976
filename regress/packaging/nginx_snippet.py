#!/usr/bin/env python3
"""nginx_snippet.py — the development nginx config is the production snippets, and
nothing else but what belongs to a development stack of its own.

    nginx_snippet.py DEV_TEMPLATE

make run and make test serve through fcgi/nginx/privacybee.conf.in, which includes
privacybee-http.conf in http {} and privacybee-server.conf in its server {}: the snippets
make install installs for a production nginx, written by the same script
(fcgi/nginx/configure.sh) from the same templates. So they cannot drift, as long as the
development config carries no directive of its own that a production nginx would need:
this checks, with a parser of its own, that outside http {} it has only the process's
own settings (user, worker_processes, pid, error_log, events), inside http {} only
DEV_ONLY, the one include of privacybee-http.conf and one server {}, and inside that
server only its listen and the one include of privacybee-server.conf. Exit 0 when so,
else 1 naming what is not.
"""
import os
import re
import sys

# what a development stack sets its own way, which a production nginx sets its own way too
PROCESS = {"user", "worker_processes", "pid", "error_log", "events"}
DEV_ONLY = {"access_log", "client_body_temp_path", "fastcgi_temp_path", "proxy_temp_path",
            "uwsgi_temp_path", "scgi_temp_path"}


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


def includes(block, name):
    return [d for d in block if d[0] == "include" and os.path.basename(d[1][0]) == name]


def main():
    dev_path = sys.argv[1]
    # stack.sh's placeholders: @USER@ alone on its line is "user …;" or nothing
    text = re.sub(r"(?m)^[ \t]*@USER@[ \t]*$", "", open(dev_path).read())
    tree = parse(re.sub(r"@[A-Z][A-Z0-9_]*@", "x", text))
    problems = [f"outside http: {d[0]}" for d in tree if d[0] not in PROCESS | {"http"}]
    http = [d for d in tree if d[0] == "http"]
    if len(http) != 1:
        problems.append("expected one http block")
    else:
        block = http[0][2]
        servers = [d for d in block if d[0] == "server"]
        if len(includes(block, "privacybee-http.conf")) != 1:
            problems.append("http: expected one include of privacybee-http.conf")
        problems += [f"http: {d[0]} {' '.join(d[1])}" for d in block
                     if d[0] not in DEV_ONLY | {"server"} and d not in includes(block, "privacybee-http.conf")]
        if len(servers) != 1:
            problems.append("http: expected one server block")
        else:
            server = servers[0][2]
            if len(includes(server, "privacybee-server.conf")) != 1:
                problems.append("server: expected one include of privacybee-server.conf")
            problems += [f"server: {d[0]} {' '.join(d[1])}" for d in server
                         if d[0] != "listen" and d not in includes(server, "privacybee-server.conf")]
    for p in problems:
        print(f"{dev_path}: not a production snippet, nor the development stack's own: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
