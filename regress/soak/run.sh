#!/usr/bin/env bash
# run.sh — make soak: SOAK_REQUESTS (default 1,000,000) mixed requests through nginx to
# privacybee-fcgi built with AddressSanitizer + UBSan + LeakSanitizer, on a throwaway
# stack under .soak/. Every answer is checked against the status it must have; the
# workers' resident memory is sampled as it goes. Passes on 0 connection errors, 0 wrong
# answers, no sanitizer report (leaks are reported when the workers exit) and memory that
# stays flat (under 10% growth after the first tenth).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
dir="$top/.soak"
stack="$dir/stack"
total=${SOAK_REQUESTS:-1000000}
chunk_secs=${SOAK_CHUNK_SECONDS:-20}

. regress/common.sh
trap 'bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true' EXIT

bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir/asan" "$dir/bodies"
chmod 777 "$dir/asan"
# the extension goes into a private PostgreSQL tree, as make test's (regress/pg-tree.sh)
PG_CONFIG=$(bash regress/pg-tree.sh "$dir/pg-tree")
export PG_CONFIG
make -s install-extension > "$dir/install.log" 2>&1 || { cat "$dir/install.log"; exit 1; }
port=$(free_port 19500)
# a small quarantine keeps ASan's own memory bounded, so growth would be ours
export ASAN_OPTIONS="log_path=$dir/asan/asan:detect_leaks=1:quarantine_size_mb=16:allocator_may_return_null=1"
export UBSAN_OPTIONS="log_path=$dir/asan/ubsan:print_stacktrace=1"
export FCGI_BIN="$top/fcgi/asan/privacybee-fcgi" FCGI_WORKERS=2 FCGI_THREADS=16 KEEPALIVE=4
export RATE_RW=1000000r/s BURST_RW=100000 RATE_LIST=1000000r/s BURST_LIST=100000 \
       RATE_LOOKUP=1000000r/s BURST_LOOKUP=100000 RATE_DELETE=1000000r/s BURST_DELETE=100000 \
       RATE_ADDR_EXEMPT=127.0.0.1
bash fcgi/stack/stack.sh start "$stack" "$port" test
. "$stack/env"
export PGUSER=postgres

echo "== data: 200 members with 20 contacts each, a Buzz number pool, a service token"
/usr/bin/python3 regress/soak/requests.py "$dir" > "$dir/requests.txt"
wc -l < "$dir/requests.txt" | xargs echo "request lines:"

echo "== $total requests, in runs of ${chunk_secs} s (4 connections; RSS in KiB after each)"
done_requests=0
errors=0
mismatches=0
rss_marks=()
while [ "$done_requests" -lt "$total" ]; do
    out=$(wrk -t 4 -c 4 -d "${chunk_secs}s" -s regress/soak/soak.lua "http://127.0.0.1:$port" \
              -- "$dir/requests.txt")
    read -r n e m < <(echo "$out" | sed -n 's/^RESULT requests=\([0-9]*\) errors=\([0-9]*\) mismatches=\([0-9]*\).*/\1 \2 \3/p')
    echo "$out" | grep FIRST_MISMATCH || true
    done_requests=$((done_requests + n))
    errors=$((errors + e))
    mismatches=$((mismatches + m))
    rss=$(workers_rss "$stack")
    rss_marks+=("$done_requests:$rss")
    echo "  $done_requests requests, $errors errors, $mismatches wrong answers, workers' RSS $rss KiB"
done

echo "== stopping (the workers' exit runs LeakSanitizer)"
master=$(cat "$stack/fcgi/master.pid")
bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1
for _ in $(seq 100); do [ -e "/proc/$master" ] || break; sleep 0.1; done
reports=$(cat "$dir"/asan/* 2>/dev/null || true)

# flat memory: the RSS at the end against the first sample past a tenth of the run
base=""
for mark in "${rss_marks[@]}"; do
    n=${mark%%:*}; r=${mark##*:}
    if [ -z "$base" ] && [ "$n" -ge $((total / 10)) ]; then base=$r; fi
    last=$r
done
growth=$(awk -v b="$base" -v l="$last" 'BEGIN { printf "%.1f", (l - b) * 100 / b }')

echo
printf '%-34s %s\n' "requests" "$done_requests" "connection errors / timeouts" "$errors" \
    "answers with the wrong status" "$mismatches" "sanitizer reports" \
    "$([ -z "$reports" ] && echo 0 || echo "$reports" | grep -c '^==' )" \
    "workers' RSS growth after 1/10" "$growth% ($base -> $last KiB)"
[ -n "$reports" ] && echo "$reports" | head -n 60
if [ "$errors" -eq 0 ] && [ "$mismatches" -eq 0 ] && [ -z "$reports" ] &&
   awk -v g="$growth" 'BEGIN { exit !(g < 10) }'; then
    echo "soak: passed"
else
    echo "soak: FAILED"
    exit 1
fi
