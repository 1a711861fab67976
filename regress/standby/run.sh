#!/usr/bin/env bash
# run.sh — the hot standby (docs/sharding.md, "Hot standby") checked in `make test`: a
# stack of its own with STANDBY=1 (a streaming replica made by pg_basebackup -R, on its
# own unix socket; privacybee-fcgi --dsn-read) on a free port, and test_standby.py
# against it: the read-only routes are answered by the standby, writes and trust-lookup by
# the primary, and a member's read right after their write sees it.
# Prints "ok: …" / "not ok: …" lines, one per check. Uses PG_CONFIG and FCGI_BIN.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dir=${STANDBY_WORKDIR:-$top/.test/standby}
. "$top/regress/common.sh"

cleanup() { bash "$top/fcgi/stack/stack.sh" stop "$dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
rm -rf "$dir"
port=$(free_port $((19880 + RANDOM % 100)))
if ! (unset TWILIO_AUTH_TOKEN_FILE PUBLIC_URL SHARDS; STANDBY=1 bash "$top/fcgi/stack/stack.sh" start "$dir" "$port" test) \
        > "$dir.log" 2>&1; then
    cat "$dir.log"
    echo "not ok: standby: STANDBY=1 stack starts"
    exit 1
fi
echo "ok: standby: STANDBY=1 stack starts (a streaming hot standby, privacybee-fcgi --dsn-read)"
# this stack's layout, not the one of a stack run-tests.sh started around it
unset PRIVACYBEE_SHARDS PRIVACYBEE_STANDBY_HOST
. "$dir/env"
(unset TWILIO_AUTH_TOKEN_FILE; /usr/bin/python3 -W ignore "$here/test_standby.py") > "$dir/suite.log" 2>&1
status=$?
sed -n 's/^\(test_[a-z_]*\) .*\.\.\. ok$/ok: standby: \1/p; s/^\(test_[a-z_]*\) .*\.\.\. \(FAIL\|ERROR\)$/not ok: standby: \1/p' "$dir/suite.log"
if [ $status != 0 ]; then
    cat "$dir/suite.log"
    echo "not ok: standby: test_standby.py"
fi
exit 0
