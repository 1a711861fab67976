#!/usr/bin/env bash
# webhooks.sh — make bench, the webhook part (SPEC §11): events delivered per second to a
# local receiver, and the delay from a change's commit to its event's arrival (p50, p99),
# measured by webhooks.py on a throwaway stack under .bench-webhooks/ (release
# privacybee-fcgi with its delivery process, the extension installed into a private
# PostgreSQL tree as make test does). BENCH_EVENTS (default 20000) sets the burst,
# BENCH_CHANGES (default 200) the changes timed one by one.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
dir="$top/.bench-webhooks"
stack="$dir/stack"

. regress/common.sh
cleanup() { bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true; }
trap cleanup EXIT

bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir"
chmod 755 "$dir"
PG_CONFIG=$(bash regress/pg-tree.sh "$dir/pg-tree")
export PG_CONFIG
make -s install-extension > "$dir/install.log" 2>&1 || { cat "$dir/install.log"; exit 1; }
bash fcgi/stack/stack.sh start "$stack" "$(free_port 19480)" test >/dev/null
. "$stack/env"
export PGUSER=postgres BENCH_STACK="$stack"
echo "== webhooks: delivery to a receiver on loopback (load $(cut -d' ' -f1-3 /proc/loadavg))"
/usr/bin/python3 regress/bench/webhooks.py
