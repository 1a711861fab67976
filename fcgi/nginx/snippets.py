#!/usr/bin/env python3
"""snippets.py — the nginx snippets make install writes for a production nginx, cut from
the one nginx config privacybee has: fcgi/nginx/privacybee.conf.in, which make run and
make test serve through.

    snippets.py TEMPLATE STACK_SH NGINX_DIR FCGI_SOCKET OUTDIR

writes OUTDIR/privacybee-http.conf (the http {} block's directives: upstream, rate-limit
maps and zones, body limits) and OUTDIR/privacybee-server.conf (the server {} block's:
locations, error pages), each to be included at that level of the administrator's own
nginx.conf. Everything is taken over as written, comments included, except what belongs
to the development stack itself (DEV_ONLY: its temporary directories, access log and
listen address). Placeholders are filled as fcgi/stack/stack.sh fills them by default:
its "${NAME:-default}" for @NAME@ (so the production rate limits are make run's),
NGINX_DIR for the directory of the included files (@TOP@/fcgi/nginx), FCGI_SOCKET for
the socket; a placeholder alone on its line with no default there (a list stack.sh
builds from the environment, empty by default) is left out. Any other placeholder left is
an error: the snippets would not be what make run serves. So there is one nginx config,
and a change to it reaches production at the next make install.
"""
import os
import re
import sys

DEV_ONLY = {"access_log", "listen", "client_body_temp_path", "fastcgi_temp_path",
            "proxy_temp_path", "uwsgi_temp_path", "scgi_temp_path"}

HEADER = """# privacybee for a production nginx: {what}.
# Written by make install from fcgi/nginx/privacybee.conf.in, the config make run and
# make test serve through (fcgi/nginx/snippets.py): change that file, not this one.
#
#   http {{
#       include {dir}/privacybee-http.conf;
#       server {{
#           listen 443 ssl; server_name api.example.com; ...   # yours
#           include {dir}/privacybee-server.conf;
#       }}
#   }}

"""


def lines_with_depth(text):
    """Each line as (depth at its start, its first word or None, its text, depth at its
    end), counting braces outside quoted strings and comments (a JSON body in 'return'
    carries braces)."""
    out, depth, quote = [], 0, None
    for line in text.split("\n"):
        start, i = depth, 0
        while i < len(line):
            c = line[i]
            if quote:
                if c == "\\":
                    i += 1
                elif c == quote:
                    quote = None
            elif c == "#":
                break
            elif c in "'\"":
                quote = c
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            i += 1
        m = re.match(r"\s*([^\s{};#]+)", line)
        out.append((start, m.group(1) if m else None, line, depth))
    return out


def block(lines, k):
    """The lines inside the block opened on lines[k] (whose closing brace stands on a
    line of its own), and the index after that line."""
    j = k + 1
    while lines[j][3] != lines[k][0]:
        j += 1
    if lines[j][2].strip() != "}":
        sys.exit(f"expected a line holding only the closing brace: {lines[j][2]!r}")
    return lines[k + 1:j], j + 1


def dedent(lines):
    texts = [l[2] for l in lines]
    indent = min((len(t) - len(t.lstrip()) for t in texts if t.strip()), default=0)
    return "\n".join(t[indent:] for t in texts).strip("\n") + "\n"


def fill(template, stack_sh, nginx_dir, socket):
    defaults = dict(re.findall(r"\$\{([A-Z][A-Z0-9_]*):-([^}]*)\}", stack_sh))
    text = template.replace("@TOP@/fcgi/nginx", nginx_dir).replace("@FCGI_SOCKET@", socket)
    text = re.sub(r"(?m)^[ \t]*@([A-Z][A-Z0-9_]*)@[ \t]*\n",
                  lambda m: m.group(0) if m.group(1) in defaults else "", text)
    return re.sub(r"@([A-Z][A-Z0-9_]*)@",
                  lambda m: defaults.get(m.group(1), m.group(0)), text)


def main():
    template_path, stack_path, nginx_dir, socket, outdir = sys.argv[1:6]
    text = fill(open(template_path).read(), open(stack_path).read(), nginx_dir, socket)
    lines = lines_with_depth(text)
    http_at = [i for i, l in enumerate(lines) if l[0] == 0 and l[1] == "http"]
    if len(http_at) != 1:
        sys.exit(f"{template_path}: expected one http block")
    http_body, _ = block(lines, http_at[0])
    server_at = [i for i, l in enumerate(http_body) if l[0] == 1 and l[1] == "server"]
    if len(server_at) != 1:
        sys.exit(f"{template_path}: expected one server block in http")
    s = server_at[0]
    server_body, after = block(http_body, s)
    http_part = [l for l in http_body[:s] + http_body[after:]
                 if not (l[0] == 1 and l[1] in DEV_ONLY)]
    server_part = [l for l in server_body if not (l[0] == 2 and l[1] in DEV_ONLY)]
    outputs = {
        "privacybee-http.conf": HEADER.format(what="include inside the http {} block",
                                              dir=nginx_dir) + dedent(http_part),
        "privacybee-server.conf": HEADER.format(
            what="include inside the server {} that serves the API", dir=nginx_dir)
        + dedent(server_part),
    }
    for name, content in outputs.items():
        body = "\n".join(l for l in content.splitlines() if not l.lstrip().startswith("#"))
        left = sorted(set(re.findall(r"@[A-Z][A-Z0-9_]*@", body)))
        if left:
            sys.exit(f"{template_path}: no value for {', '.join(left)} in {name}")
        with open(os.path.join(outdir, name), "w") as f:
            f.write(content)


if __name__ == "__main__":
    main()
