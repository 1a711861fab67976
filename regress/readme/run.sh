#!/usr/bin/env bash
# run.sh — README.md's examples, verbatim, against what `make run` serves: a stack of its
# own in demo mode (the demo data of sql/demo.sql, its tokens in .run/), so the examples
# and the demo data cannot drift apart. Every ```sh block of README.md that runs commands
# (not the one of make targets) is run in order, as a reader pastes them, in a directory
# whose .run is that stack's; only the port differs from make run's (README's 8080 becomes
# the stack's). Every curl is recorded with its status: any answer of 400 or more, a curl
# that fails, or a search that finds nothing is a failure naming the command.
#
# Then make run's own behaviour: a start with changed settings (signing on) says so and
# restarts the front-end, and the trust-lookup line it then prints, signed, answers 200.
#
# Prints "ok: …" / "not ok: …" lines, one per check (run-tests.sh counts them).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/regress/common.sh"
work=${README_WORKDIR:-$top/.test/readme}
check() { if [ "$1" = 0 ]; then echo "ok: readme: $2"; else echo "not ok: readme: $2"; fi; }

rm -rf "$work"
mkdir -p "$work/run"
port=$(free_port $((19000 + RANDOM % 900)))
stack="$work/stack"
# make run's stack: demo mode, no signing, the default limits
( unset TWILIO_AUTH_TOKEN_FILE PUBLIC_URL RATE_RW BURST_RW RATE_LIST BURST_LIST RATE_LOOKUP \
        BURST_LOOKUP RATE_ADDR BURST_ADDR RATE_ADDR_EXEMPT FCGI_BIN FCGI_WORKERS FCGI_THREADS \
        FCGI_CONNECTIONS KEEPALIVE BODY_TIMEOUT FCGI_READ_TIMEOUT
  bash "$top/fcgi/stack/stack.sh" start "$stack" "$port" demo ) > "$work/start.log" 2>&1
status=$?
check $status "a demo stack starts (stack.sh start … demo, as make run)"
[ $status = 0 ] || { cat "$work/start.log"; exit 0; }
trap 'bash "$top/fcgi/stack/stack.sh" stop "$stack" >/dev/null 2>&1' EXIT

# the blocks, with make run's port replaced by this stack's
awk '/^```sh$/ {on = 1; block = ""; next}
     /^```/ && on {on = 0; if (block !~ /(^|\n)make /) printf "%s", block; next}
     on {block = block $0 "\n"}' "$top/README.md" |
    sed "s|http://127.0.0.1:8080|http://127.0.0.1:$port|g" > "$work/run/examples.sh"
# With SHARDS (SHARDS=2 make run, and SHARDS=2 make test), ids of contacts and tags are the
# demo member's shard's series where one database counts 1, 2, 3, … (docs/sharding.md,
# "Placement": a fresh shard k draws 1024+k+1, 2048+k+1, …); the examples name the demo member's
# contacts and tags by id, so those ids become the same rows' ids there, as the port
# becomes the stack's. People's ids are the same in both layouts (drawn once).
if [ -f "$stack/shards" ]; then
    ada_shard=$( . "$stack/env"; psql -X -At -d "${PGDATABASE}_shard_0" -c "SELECT privacybee.member_shard(id, $(cat "$stack/shards"))
                 || ' ' || privacybee.id_stride() FROM privacybee.people WHERE first_name = 'Ada' ORDER BY id LIMIT 1")
    python3 - "$work/run/examples.sh" $ada_shard <<'EOF'
import re, sys
path, shard, stride = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def sharded(n):                       # the n-th id of the shard's series (become_shard
    return str(int(n) * stride + shard + 1)   # starts it past the stride, above any drawn before)
def ids(m):
    return m.group(1) + re.sub(r"\d+", lambda d: sharded(d.group(0)), m.group(2))
text = open(path).read()
text = re.sub(r"(\$U/contacts/)(\d+)", ids, text)
text = re.sub(r'("id": )(\d+)', ids, text)
text = re.sub(r'("(?:contact_ids|add|remove)": \[)([\d, ]*)', ids, text)
# a contact's ETag names its id ("c<id>.v<version>", contact_etag()): an If-Match sent
# with it is the same row's there too
text = re.sub(r'("c)(\d+)(?=\.v\d+")', ids, text)
open(path, "w").write(text)
EOF
fi
# a photo for the photo examples (the smallest PNG), as a reader has one at hand
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc```\x00\x00\x00\x04\x00\x01\xf6\x178U\x00\x00\x00\x00IEND\xaeB`\x82' \
    > "$work/run/beth.png"
ln -s "$stack" "$work/run/.run"
(
    cd "$work/run" || exit 1
    set +u                      # as a reader's shell: an unset variable is empty
    # every curl records its status, method and URL (stderr), and its own exit status
    # (a search, full-text or structured, must find something: an example that shows
    # nothing shows nothing of the feature)
    curl() {
        local out rc
        out=$(command curl -w '%{stderr}%{http_code} %{method} %{url_effective}\n' "$@" 2>> codes.log)
        rc=$?
        printf '%s\n' "$out"
        [ $rc = 0 ] || echo "curl exit $rc: curl $*" >> codes.log
        case "$*" in
            *"q="* | *"/contacts/search"*)
                [[ "$out" == *"[]" ]] && echo "found nothing: curl $*" >> codes.log ;;
        esac
    }
    . ./examples.sh >> answers.log 2>&1
)
# every curl ran (none skipped by a shell error), and none answered 400 or more: a curl
# starts its line, or is assigned to a variable a later example reads (X=$(curl …)),
# whose line it starts too
want=$(grep -cE '^([A-Za-z_][A-Za-z_0-9]*=\$\()?curl ' "$work/run/examples.sh")
n=$(grep -c '^[0-9][0-9][0-9] ' "$work/run/codes.log" 2>/dev/null)
bad=$(grep -E '^(000|[45][0-9][0-9]) |^curl exit|^found nothing' "$work/run/codes.log")
[ "$n" = "$want" ] && [ "$want" -gt 0 ] && [ -z "$bad" ]
status=$?
check $status "README.md's $want example requests all ran and answer below 400 on the demo data ($n answered)"
[ $status = 0 ] || { echo "$bad"; echo "(answers: $work/run/answers.log)"; }

# a start with signing on: the running front-end is restarted with it, and says so
head -c 24 /dev/urandom | base64 > "$work/auth-token"
( unset PUBLIC_URL RATE_RW BURST_RW RATE_LIST BURST_LIST RATE_LOOKUP \
        BURST_LOOKUP RATE_ADDR BURST_ADDR RATE_ADDR_EXEMPT FCGI_BIN FCGI_WORKERS FCGI_THREADS \
        FCGI_CONNECTIONS KEEPALIVE BODY_TIMEOUT FCGI_READ_TIMEOUT
  TWILIO_AUTH_TOKEN_FILE="$work/auth-token" bash "$top/fcgi/stack/stack.sh" start "$stack" "$port" demo ) \
    > "$work/restart.log" 2>&1
grep -q "settings changed; restarting" "$work/restart.log"
check $? "make run with changed settings restarts privacybee-fcgi and says so"
line=$(grep -m1 "apps/buzz/trust-lookup" "$work/restart.log")
rest=${line#*curl -s }
answer=$(eval "command curl -s -o /dev/null -w '%{http_code}' $rest")
[ "$answer" = 200 ] && grep -q "X-Twilio-Signature" <<< "$line"
check $? "with signing on, the trust-lookup line make run prints is signed and answers 200 ($answer)"
unsigned=$(command curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$stack/service-token")" \
    "http://127.0.0.1:$port/apps/buzz/trust-lookup?number_code=1&number=2025550100&inbound_code=1&inbound=2125550199")
[ "$unsigned" = 403 ]
check $? "and an unsigned one is 403 ($unsigned)"
