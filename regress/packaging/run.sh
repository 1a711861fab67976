#!/usr/bin/env bash
# packaging/run.sh WORKDIR — what `make install` leaves is a service that runs, checked
# without installing anything on this machine; and make run's pg_cron schedule works.
#
#   1. a staged install (DESTDIR, PREFIX /usr/local, as an unprivileged user) holds exactly
#      the files docs/operations.md lists, with every template placeholder filled in;
#   2. systemd-analyze verify accepts the staged units (inside the staged root, beside a
#      copy of this machine's own units), and refuses them once the binary is missing;
#      systemd-sysusers creates, in the staged root, the user the units run as;
#   3. the installed privacybee-fcgi answers --help, --version (privacybee.control's
#      version) and a usage error as a command-line program should;
#   4. an install under a test prefix serves requests: the installed service's own command
#      line, run under systemd-socket-activate on a socket with the socket unit's group and
#      mode, behind an nginx that only includes the installed snippets;
#   5. the development nginx config includes the installed snippets and adds only what is
#      its own stack's (nginx_snippet.py); META.json and CHANGELOG.md describe this
#      version (check_meta.py);
#   6. the make test stack (started by stack.sh, like make run) has pg_cron scheduling
#      maintenance() and recompute_trust(), and pg_cron really runs maintenance() (which
#      takes up to a minute: run-tests.sh runs this script beside the fuzzer).
#
# Needs the make test stack's environment (. .test/stack/env): PGHOST, PGPORT,
# PGDATABASE, PGUSER. Prints "ok: …" / "not ok: …" lines; run-tests.sh counts them.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
work=${1:?usage: run.sh WORKDIR}
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
. regress/common.sh

version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" privacybee.control)
if [ "$(id -u)" = 0 ]; then web_user=www-data; else web_user=$(id -un); fi
web_group=$(id -gn "$web_user")

record() {
    if [ "$1" = 0 ]; then echo "ok: $2"; else echo "not ok: $2"; fi
}

# ---- 6, begun: pg_cron starts jobs on the minute (Debian's pg_cron 1.4 has no seconds),
# so the check that it runs maintenance() is scheduled first and read last: a copy of the
# nightly job's own command, every minute
psql -X -Atq -v ON_ERROR_STOP=1 -c "SELECT cron.schedule('privacybee-packaging-check', '* * * * *',
        (SELECT command FROM cron.job WHERE jobname = 'privacybee-maintenance'))" > /dev/null

# ---- 1. staged install --------------------------------------------------------------
stage="$work/stage"
mkdir -p "$stage"
if [ "$(id -u)" = 0 ]; then
    chown nobody "$stage"
    as_user() { runuser -u nobody -- "$@"; }
else
    as_user() { "$@"; }
fi
as_user make -s install-fcgi DESTDIR="$stage" > "$work/stage-install.log" 2>&1
status=$?
[ $status = 0 ] || cat "$work/stage-install.log"
record $status "make install-fcgi DESTDIR=… works as an unprivileged user"

{
    printf '%s\n' ./usr/local/bin/privacybee-fcgi \
        ./usr/local/lib/systemd/system/privacybee-fcgi.service \
        ./usr/local/lib/systemd/system/privacybee-fcgi.socket \
        ./usr/local/lib/sysusers.d/privacybee.conf \
        ./usr/local/share/privacybee/nginx/privacybee-http.conf \
        ./usr/local/share/privacybee/nginx/privacybee-server.conf
    # the files the nginx config includes
    for f in fcgi/nginx/*.conf; do echo "./usr/local/share/privacybee/nginx/${f##*/}"; done
} | sort > "$work/expected-files"
(cd "$stage" && find . -type f -o -type l | sort) > "$work/staged-files"
diff -u "$work/expected-files" "$work/staged-files"
record $? "the staged install holds exactly the binary, two units, the sysusers file, two nginx snippets and the files they include"

! grep -rIn '@[A-Z_]*@' "$stage"
record $? "no template placeholder is left in an installed file"

unit="$stage/usr/local/lib/systemd/system/privacybee-fcgi.service"
grep -qx 'ExecStart=/usr/local/bin/privacybee-fcgi .*' "$unit"
record $? "the service runs the installed binary, /usr/local/bin/privacybee-fcgi"

# ---- 2. systemd ---------------------------------------------------------------------
# verify --root resolves units and ExecStart inside the root: give it this machine's own
# units (sockets.target, sysinit.target, …) beside the staged ones
root="$work/verify-root"
mkdir -p "$root/usr/lib/systemd" "$root/etc"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp -a "$stage/usr/local" "$root/usr/"
units=(privacybee-fcgi.socket privacybee-fcgi.service)
systemd-analyze verify --root="$root" "${units[@]}" > "$work/verify.log" 2>&1
status=$?
cat "$work/verify.log"
[ -s "$work/verify.log" ] && status=1   # a warning is a finding too
record $status "systemd-analyze verify accepts the installed units"

mv "$root/usr/local/bin/privacybee-fcgi" "$root/usr/local/bin/privacybee-fcgi.away"
systemd-analyze verify --root="$root" "${units[@]}" > "$work/verify-missing.log" 2>&1
status=$?
mv "$root/usr/local/bin/privacybee-fcgi.away" "$root/usr/local/bin/privacybee-fcgi"
grep -q "privacybee-fcgi is not executable" "$work/verify-missing.log" && [ $status != 0 ]
record $? "systemd-analyze verify refuses the units when the binary is not installed"

fcgi_user=$(sed -n 's/^User=//p' "$unit")
systemd-sysusers --root="$root" > "$work/sysusers.log" 2>&1 &&
    grep -q "^$fcgi_user:" "$root/etc/passwd" &&
    grep -q "^$fcgi_user:" "$root/etc/group"
status=$?
[ $status = 0 ] || cat "$work/sysusers.log"
record $status "systemd-sysusers creates the user and group the service runs as ($fcgi_user)"

# ---- 3. the command line ------------------------------------------------------------
bin="$stage/usr/local/bin/privacybee-fcgi"
out=$("$bin" --version 2>"$work/err") && [ "$out" = "privacybee-fcgi $version" ] && [ ! -s "$work/err" ]
record $? "privacybee-fcgi --version prints privacybee.control's version ($version) and exits 0"

"$bin" --help > "$work/help" 2>"$work/err" && head -n1 "$work/help" | grep -q '^usage: privacybee-fcgi ' &&
    grep -q -- '--dsn CONNINFO' "$work/help" && grep -q -- '--version' "$work/help" && [ ! -s "$work/err" ]
record $? "privacybee-fcgi --help prints the usage on stdout and exits 0"

"$bin" --no-such-option > "$work/out" 2>"$work/err"
status=$?
[ $status = 2 ] && [ ! -s "$work/out" ] && grep -q "unrecognized option '--no-such-option'" "$work/err" &&
    grep -q '^usage: privacybee-fcgi ' "$work/err"
record $? "an unknown option exits 2 with the usage on stderr (exit $status)"

"$bin" --socket "$work/x.sock" > "$work/out" 2>"$work/err"
status=$?
[ $status = 2 ] && grep -q -- "--dsn is required" "$work/err"
record $? "no --dsn exits 2 and says so (exit $status)"

"$bin" --dsn x --workers=0 > "$work/out" 2>"$work/err"
status=$?
[ $status = 2 ] && grep -q -- "--workers must be a number from 1 to 64" "$work/err"
record $? "--workers=0 (the --name=value form) is refused with its range (exit $status)"

# ---- 4. the installed service serves requests ---------------------------------------
prefix="$work/prefix"
sock="$work/run/fcgi.sock"
mkdir -p "$work/run" "$work/nginx/tmp"
chmod 755 "$work" "$work/run"
chown "$web_user" "$work/nginx/tmp"
make -s install-fcgi PREFIX="$prefix" FCGI_SOCKET="$sock" WEB_GROUP="$web_group" \
    > "$work/prefix-install.log" 2>&1 || cat "$work/prefix-install.log"
unit="$prefix/lib/systemd/system/privacybee-fcgi.service"
socket_unit="$prefix/lib/systemd/system/privacybee-fcgi.socket"

# The service's command line as systemd would run it: Environment= as the unit sets it,
# PRIVACYBEE_DSN overridden for the test cluster (what /etc/default/privacybee-fcgi is
# for), ${VAR} one word and $VAR split on spaces (systemd.service(5)).
mapfile -t cmdline < <(python3 - "$unit" "host=$PGHOST port=$PGPORT dbname=privacybee user=privacybee_api application_name=privacybee-fcgi-packaging" <<'EOF'
import re, shlex, sys
unit, dsn = sys.argv[1], sys.argv[2]
env, exec_start = {}, None
for line in open(unit).read().replace("\\\n", " ").splitlines():
    if line.startswith("Environment="):
        for assignment in shlex.split(line[len("Environment="):]):
            k, v = assignment.split("=", 1)
            env[k] = v
    elif line.startswith("ExecStart="):
        exec_start = line[len("ExecStart="):]
env["PRIVACYBEE_DSN"] = dsn
words = []
for w in shlex.split(exec_start):
    m = re.fullmatch(r"\$\{(\w+)\}", w)
    if m:
        words.append(env[m.group(1)])
    elif re.fullmatch(r"\$(\w+)", w):
        words.extend(env[w[1:]].split())
    else:
        words.append(w)
print("\n".join(words))
EOF
)
[ "${cmdline[0]}" = "$prefix/bin/privacybee-fcgi" ]
record $? "the installed service's ExecStart names the installed binary under its PREFIX"

mode=$(sed -n 's/^SocketMode=//p' "$socket_unit")
group=$(sed -n 's/^SocketGroup=//p' "$socket_unit")
systemd-socket-activate -l "$sock" "${cmdline[@]}" > "$work/fcgi.log" 2>&1 < /dev/null &
fcgi_pid=$!
for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.05; done
# what systemd does for the socket unit: its group and mode, before anyone connects
chgrp "$group" "$sock" && chmod "$mode" "$sock"

port=$(free_port $((19100 + RANDOM % 700)))
cat > "$work/nginx/nginx.conf" <<EOF
$( [ "$(id -u)" = 0 ] && echo "user $web_user;" )
worker_processes 1;
pid $work/nginx/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp/body;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    include $prefix/share/privacybee/nginx/privacybee-http.conf;
    server {
        listen 127.0.0.1:$port;
        include $prefix/share/privacybee/nginx/privacybee-server.conf;
    }
}
EOF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log"
status=$?
record $status "nginx starts with the installed snippets included"
for _ in $(seq 100); do [ -s "$work/nginx/nginx.pid" ] && break; sleep 0.05; done

url="http://127.0.0.1:$port"
token=$(psql -X -Atq -v ON_ERROR_STOP=1 -c "SELECT privacybee.issue_token(privacybee.create_member('Packaging', 'Check'), '{contacts:read}')")
answer=$(curl -s -o "$work/body" -w '%{http_code}' -H "Authorization: Bearer $token" "$url/contacts")
[ "$answer" = 200 ] && [ "$(cat "$work/body")" = "[]" ]
record $? "a member's GET /contacts through the installed units and snippets: 200 [] (got $answer)"

answer=$(curl -s -o "$work/body" -w '%{http_code}' "$url/contacts")
[ "$answer" = 401 ] && grep -q '"code": *"401"' "$work/body"
record $? "no token: 401 with the JSON error body (got $answer)"

head -c $((9 * 1024 * 1024)) /dev/zero > "$work/big"
answer=$(curl -s -o "$work/body" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --data-binary @"$work/big" "$url/contacts/sync")
[ "$answer" = 413 ] && grep -q '"code": *"413"' "$work/body"
record $? "a 9 MiB body: nginx's own 413 with the JSON error body (got $answer)"

[ -s "$work/nginx/nginx.pid" ] && kill -QUIT "$(cat "$work/nginx/nginx.pid")"
kill -TERM "$fcgi_pid" 2>/dev/null
wait "$fcgi_pid" 2>/dev/null
grep -q "on (systemd socket)" "$work/fcgi.log"
record $? "privacybee-fcgi took its socket from systemd's socket activation"

# ---- 5. the snippets, META.json, CHANGELOG.md ---------------------------------------
python3 regress/packaging/nginx_snippet.py fcgi/nginx/privacybee.conf.in
record $? "the development nginx config is the installed snippets plus only its own stack's directives"

python3 regress/packaging/check_meta.py "$top"
record $? "META.json is a valid PGXN description of version $version; CHANGELOG.md has its section"

# ---- 6. pg_cron ---------------------------------------------------------------------
jobs=$(psql -X -Atq -F ' | ' -c "SELECT jobname, schedule, command, database, username, active
                                   FROM cron.job WHERE jobname <> 'privacybee-packaging-check'
                                  ORDER BY jobname" 2>&1)
expected="privacybee-maintenance | 30 3 * * * | SELECT privacybee.maintenance() | privacybee | postgres | t
privacybee-recompute-trust | 30 4 * * 0 | SELECT privacybee.recompute_trust() | privacybee | postgres | t"
[ "$jobs" = "$expected" ]
status=$?
[ $status = 0 ] || printf 'cron.job:\n%s\nexpected:\n%s\n' "$jobs" "$expected"
record $status "stack.sh (make run) schedules maintenance() nightly and recompute_trust() weekly with pg_cron"

# pg_cron runs the copy of the nightly job's command scheduled at the start (its runs
# start on the minute: 90 s is the deadline for the first, not a pause)
run=""
for _ in $(seq 900); do
    run=$(psql -X -Atq -c "SELECT d.status || ' ' || d.return_message FROM cron.job_run_details d
                            JOIN cron.job j USING (jobid)
                           WHERE j.jobname = 'privacybee-packaging-check'
                             AND d.status IN ('succeeded', 'failed') LIMIT 1")
    [ -n "$run" ] && break
    sleep 0.1
done
psql -X -Atq -c "SELECT cron.unschedule('privacybee-packaging-check')" > /dev/null
[ "${run%% *}" = succeeded ]
record $? "pg_cron runs maintenance() in make run's configuration (${run:-no run within 90 s})"
exit 0
