#!/usr/bin/env bash
# run.sh — the sharded layout (docs/sharding.md) checked in plain `make test`: a stack of
# its own with SHARDS=2 (one PL/Proxy proxy and two shard databases on one cluster,
# fcgi/stack/stack.sh) on a free port, and test_sharding.py against it — members on both
# shards, their rows on their own shard only, trust-lookup, trust requests and activity
# across shards, reference data alike everywhere, recompute_trust() and trust_verify() on
# every shard from the proxy. SHARDS=2 make test runs the whole HTTP suites over the
# layout as well (regress/run-tests.sh).
# Prints "ok: …" / "not ok: …" lines, one per check. Uses PG_CONFIG and FCGI_BIN.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dir=${SHARDS_WORKDIR:-$top/.test/shards}
. "$top/regress/common.sh"

cleanup() { bash "$top/fcgi/stack/stack.sh" stop "$dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
rm -rf "$dir"
port=$(free_port $((19080 + RANDOM % 800)))
# the suite calls the telephony routes unsigned
if ! (unset TWILIO_AUTH_TOKEN_FILE PUBLIC_URL; SHARDS=2 bash "$top/fcgi/stack/stack.sh" start "$dir" "$port" test) \
        > "$dir.log" 2>&1; then
    cat "$dir.log"
    echo "not ok: shards: SHARDS=2 stack starts"
    exit 1
fi
echo "ok: shards: SHARDS=2 stack starts (a PL/Proxy proxy over 2 shard databases)"
# this stack's layout, not the one of a stack run-tests.sh started around it
unset PRIVACYBEE_SHARDS PRIVACYBEE_STANDBY_HOST
. "$dir/env"
(unset TWILIO_AUTH_TOKEN_FILE; /usr/bin/python3 "$here/test_sharding.py") > "$dir/suite.log" 2>&1
status=$?
sed -n 's/^\(test_[a-z_]*\) .*\.\.\. ok$/ok: shards: \1/p; s/^\(test_[a-z_]*\) .*\.\.\. \(FAIL\|ERROR\)$/not ok: shards: \1/p' "$dir/suite.log"
if [ $status != 0 ]; then
    cat "$dir/suite.log"
    echo "not ok: shards: test_sharding.py"
fi
grep -E "server process .* was terminated by signal" "$dir/log/postgres.log" &&
    echo "not ok: shards: a backend crashed"
exit 0
