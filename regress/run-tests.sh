#!/usr/bin/env bash
# run-tests.sh — everything `make test` checks, on a throwaway stack under .test/ with
# its own port and its own PostgreSQL installation tree (regress/pg-tree.sh), into which
# the extension is installed, so a running `make run` and the system's PostgreSQL
# directories are never touched:
#   1. pg_regress suites (regress/sql, regress/expected) against the stack's cluster;
#   2. the upgrade path from the oldest release (regress/upgrade/run.sh);
#   3. the route registry's generated files are current; a standard OpenAPI validator
#      accepts the document served; HTTP suites (regress/http) through nginx +
#      privacybee-fcgi + PostgreSQL, with privacybee-fcgi built under AddressSanitizer +
#      UBSan (any sanitizer report fails), every response checked against that document;
#   4. the sharded layout (regress/shards/run.sh: a SHARDS=2 stack of its own and a
#      focused suite); with SHARDS=N in the environment the stack above is sharded too,
#      so every suite runs through the PL/Proxy proxy (docs/sharding.md); the hot standby
#      (regress/standby/run.sh: a STANDBY=1 stack of its own, privacybee-fcgi --dsn-read);
#   5. the fuzzer, and beside it the packaging checks (regress/packaging/run.sh): a staged
#      make install verified by systemd, served through, and make run's pg_cron jobs;
#   6. README.md's examples, in order, on a demo stack as make run starts it
#      (regress/readme/run.sh), and make run's restart and printed lines.
# Ends with one line "N passed, M failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
dir="$top/.test"
stack="$dir/stack"

. regress/common.sh

cleanup() { bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true; }
trap cleanup EXIT

bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir/regress" "$dir/asan"
PG_CONFIG=$(bash regress/pg-tree.sh "$dir/pg-tree") || exit 1
export PG_CONFIG
make -s install-extension > "$dir/install.log" 2>&1 || { cat "$dir/install.log"; exit 1; }
chmod 777 "$dir/asan"
# a random start: two checkouts testing at once rarely probe the same ports
port=$(free_port $((18080 + RANDOM % 800)))

# allocator_may_return_null: the crafted-record suite makes Debian's libfcgi ask for
# ~2 GiB; libfcgi then aborts that worker by itself, which is what the suite checks
export ASAN_OPTIONS="log_path=$dir/asan/asan:detect_leaks=1:abort_on_error=0:allocator_may_return_null=1"
export UBSAN_OPTIONS="log_path=$dir/asan/ubsan:print_stacktrace=1"
export FCGI_BIN="$top/fcgi/asan/privacybee-fcgi" FCGI_WORKERS=2 FCGI_THREADS=16 FCGI_CONNECTIONS=2 KEEPALIVE=4
export PRIVACYBEE_PORT=$port
# the suites send bursts with one token: relax every limit but deletes, which keep the
# production 10/min so the rate-limit suite can see a 429
export RATE_RW=2000r/s BURST_RW=10000 RATE_LIST=6000r/m BURST_LIST=1000 \
       RATE_LOOKUP=1000r/s BURST_LOOKUP=5000
# the suites come from 127.0.0.1, exempt from the per-address limit; test_rate_limits.py
# sends from other loopback addresses, which keep a low one it can reach
export RATE_ADDR=10r/s BURST_ADDR=20 RATE_ADDR_EXEMPT=127.0.0.1
# nginx's body timeout and 504 in seconds rather than a minute (test_nginx_errors.py)
export BODY_TIMEOUT=3s FCGI_READ_TIMEOUT=10s
# telephony webhooks must carry X-Twilio-Signature; harness.py signs them with this
export TWILIO_AUTH_TOKEN_FILE="$dir/twilio-auth-token"
head -c 24 /dev/urandom | base64 > "$TWILIO_AUTH_TOKEN_FILE"
bash fcgi/stack/stack.sh start "$stack" "$port" test || exit 1
. "$stack/env"
# the extension's own functions: the database, or with SHARDS its shard 0 (PGDATABASE is
# then the proxy, which has the route functions and those of SPEC §7 only)
extension_db=$PGDATABASE${PRIVACYBEE_SHARDS:+_shard_0}

passed=0
failed=0
# record STATUS NAME: count one check, 0 = passed
record() {
    if [ "$1" = 0 ]; then echo "ok: $2"; passed=$((passed + 1))
    else echo "not ok: $2"; failed=$((failed + 1)); fi
}

echo "== pg_regress"
chown -R "$( [ "$(id -u)" = 0 ] && echo postgres || id -un )" "$dir/regress"
if make -s installcheck PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER=postgres > "$dir/regress.log" 2>&1; then
    cat "$dir/regress.log" | grep -E "^(ok|not ok|#)|tests passed" || true
else
    cat "$dir/regress.log"
    [ -f "$dir/regress/regression.diffs" ] && head -n 200 "$dir/regress/regression.diffs"
fi
n_ok=$(grep -cE "^ok |^test .* \.\.\. ok| \.\.\. ok" "$dir/regress.log" || true)
n_fail=$(grep -cE "^not ok| \.\.\. FAILED" "$dir/regress.log" || true)
passed=$((passed + n_ok))
failed=$((failed + n_fail))
if [ "$n_ok" -eq 0 ] && [ "$n_fail" -eq 0 ]; then failed=$((failed + 1)); fi

echo "== extension upgrade: the oldest release, its data, each update, then as a fresh install"
bash regress/upgrade/run.sh > "$dir/upgrade.log" 2>&1
cat "$dir/upgrade.log"
passed=$((passed + $(grep -c "^ok: " "$dir/upgrade.log")))
failed=$((failed + $(grep -c "^not ok: " "$dir/upgrade.log")))
grep -q "^ok: " "$dir/upgrade.log" || failed=$((failed + 1))

echo "== phone corpus: phone_e164 against libphonenumber"
g++ -O1 -o "$dir/phone-corpus" regress/phone/corpus.cc -lphonenumber &&
    "$dir/phone-corpus" > "$dir/phone-corpus.tsv" &&
    psql -X -q -v ON_ERROR_STOP=1 -U postgres -d "$extension_db" -f regress/phone/agreement.sql \
         < "$dir/phone-corpus.tsv" > "$dir/phone.log" 2>&1
status=$?
cat "$dir/phone.log" 2>/dev/null
record $status "phone corpus"

echo "== the provider's official library, the signature oracle (regress/twilio, from its lockfile)"
npm ci --prefix regress/twilio --no-audit --no-fund --loglevel=error > "$dir/npm.log" 2>&1
status=$?
[ $status = 0 ] || cat "$dir/npm.log"
record $status "npm ci regress/twilio"

echo "== match keys: phone_match_key against libphonenumber's metadata (AR, MX, every example)"
g++ -O1 -o "$dir/match-oracle" regress/phone_match/oracle.cc -lphonenumber &&
    "$dir/match-oracle" > "$dir/match-oracle.tsv" &&
    psql -X -q -v ON_ERROR_STOP=1 -U postgres -d "$extension_db" -f regress/phone_match/agreement.sql \
         < "$dir/match-oracle.tsv" > "$dir/match.log" 2>&1
status=$?
cat "$dir/match.log" 2>/dev/null
record $status "match keys agree with libphonenumber"

echo "== the route registry: every file generated from api/routes is current (make routes)"
python3 api/generate.py --check
record $? "generated from the route registry, and current"

echo "== a standard OpenAPI 3.1 validator (regress/openapi, from its lockfile) accepts GET /openapi.json"
npm ci --prefix regress/openapi --no-audit --no-fund --loglevel=error > "$dir/npm-openapi.log" 2>&1 &&
    curl -sf "$PRIVACYBEE_URL/openapi.json" -o "$dir/openapi.json" &&
    regress/openapi/node_modules/.bin/validate-api "$dir/openapi.json" > "$dir/openapi-validate.log" 2>&1
status=$?
cat "$dir/npm-openapi.log" "$dir/openapi-validate.log" 2>/dev/null | head -n 40
record $status "@seriousme/openapi-schema-validator: GET /openapi.json is valid OpenAPI 3.1"

echo "== HTTP suites (privacybee-fcgi under ASan/UBSan, nginx on 127.0.0.1:$port)"
/usr/bin/python3 regress/http/run.py > "$dir/http.log" 2>&1
cat "$dir/http.log"
read -r h_ok h_fail < <(sed -n 's/^http: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$dir/http.log" | tail -n1)
passed=$((passed + ${h_ok:-0}))
failed=$((failed + ${h_fail:-1}))

echo "== the sharded layout: a PL/Proxy proxy over two shard databases (regress/shards/run.sh)"
bash regress/shards/run.sh > "$dir/shards.log" 2>&1
cat "$dir/shards.log"
passed=$((passed + $(grep -c "^ok: " "$dir/shards.log")))
failed=$((failed + $(grep -c "^not ok: " "$dir/shards.log")))
grep -q "^ok: shards: test_" "$dir/shards.log" || failed=$((failed + 1))

echo "== the hot standby: read-only routes from a streaming replica (regress/standby/run.sh)"
bash regress/standby/run.sh > "$dir/standby.log" 2>&1
cat "$dir/standby.log"
passed=$((passed + $(grep -c "^ok: " "$dir/standby.log")))
failed=$((failed + $(grep -c "^not ok: " "$dir/standby.log")))
grep -q "^ok: standby: test_" "$dir/standby.log" || failed=$((failed + 1))

# beside the fuzzer: its pg_cron check waits for the minute (regress/packaging/run.sh)
(unset SHARDS STANDBY; bash regress/packaging/run.sh "$dir/packaging" > "$dir/packaging.log" 2>&1) &
packaging_pid=$!

echo "== fuzzing the request path (libFuzzer + ASan/UBSan, ${FUZZ_SECONDS:=30} s; make fuzz runs long)"
mkdir -p "$dir/fuzz-corpus"
fcgi/fuzz/fuzz-request -max_total_time="$FUZZ_SECONDS" -max_len=70000 -timeout=10 \
    -artifact_prefix="$dir/fuzz-" "$dir/fuzz-corpus" regress/fuzz/seeds > "$dir/fuzz.log" 2>&1
status=$?
tail -n 3 "$dir/fuzz.log"
[ $status = 0 ] || grep -A 30 "ERROR" "$dir/fuzz.log" | head -n 40
record $status "fuzz_request: no crash, sanitizer report or malformed response"

echo "== packaging: make install staged and verified, the installed service serving, make run's pg_cron"
wait $packaging_pid
cat "$dir/packaging.log"
passed=$((passed + $(grep -c "^ok: " "$dir/packaging.log")))
failed=$((failed + $(grep -c "^not ok: " "$dir/packaging.log")))
grep -q "^ok: " "$dir/packaging.log" || failed=$((failed + 1))

echo "== README.md's examples on make run's demo data, and make run's own lines (regress/readme)"
bash regress/readme/run.sh > "$dir/readme.log" 2>&1
cat "$dir/readme.log"
passed=$((passed + $(grep -c "^ok: " "$dir/readme.log")))
failed=$((failed + $(grep -c "^not ok: " "$dir/readme.log")))
grep -q "^ok: " "$dir/readme.log" || failed=$((failed + 1))

echo "== no PostgreSQL backend crashed (the extension's C code runs in the backends)"
! grep -E "server process .* was terminated by signal" "$stack/log/postgres.log"
record $? "no backend crash"

echo "== privacybee-fcgi shutdown and sanitizer reports"
cleanup
# ASan's warning for libfcgi's 2 GiB request (refused, allocator_may_return_null) is expected
reports=$(cat "$dir"/asan/* 2>/dev/null | grep -v "WARNING: AddressSanitizer failed to allocate" || true)
[ -n "$reports" ] && echo "$reports"
[ -z "$reports" ]
record $? "no ASan / LSan / UBSan report"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
