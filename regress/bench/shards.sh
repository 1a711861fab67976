#!/usr/bin/env bash
# shards.sh — make bench's figures for the layouts of docs/sharding.md, on this machine:
#   * trust-lookup and sync on one database against a PL/Proxy proxy over 2 shards (the
#     proxy's overhead per call), as SQL calls (pgbench) and through nginx (wrk);
#   * a hot standby: sync with the API role's commits waiting for the standby to apply
#     them (synchronous_commit = remote_apply, read-your-writes) against none, and the
#     standby's replay lag sampled under that load.
# Three stacks under .bench-shards/ (fcgi/stack/stack.sh: plain, SHARDS=2, STANDBY=1), the
# same data in each (shards-load.sql), the extension in a private PostgreSQL tree. Prints
# one table. BENCH_SECONDS sets each run's length (default 10).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
here=regress/bench
dir="$top/.bench-shards"
secs=${BENCH_SECONDS:-10}

. regress/common.sh
cleanup() {
    [ -n "${sampler_pid:-}" ] && kill "$sampler_pid" 2>/dev/null || true
    for s in one two standby; do bash fcgi/stack/stack.sh stop "$dir/$s" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
cleanup
rm -rf "$dir"
mkdir -p "$dir"
chmod 755 "$dir"
PG_CONFIG=$(bash regress/pg-tree.sh "$dir/pg-tree")
export PG_CONFIG
bin=$("$PG_CONFIG" --bindir)
make -s install-extension > "$dir/install.log" 2>&1 || { cat "$dir/install.log"; exit 1; }
# the service, not its rate limits; the telephony routes unsigned
export RATE_RW=1000000r/s BURST_RW=100000 RATE_LIST=1000000r/s BURST_LIST=100000 \
       RATE_LOOKUP=1000000r/s BURST_LOOKUP=100000 RATE_ADDR_EXEMPT=127.0.0.1
unset TWILIO_AUTH_TOKEN_FILE PUBLIC_URL SHARDS STANDBY
port=$(free_port 19300)
bash fcgi/stack/stack.sh start "$dir/one" "$port" test >/dev/null
port2=$(free_port $((port + 1)))
SHARDS=2 bash fcgi/stack/stack.sh start "$dir/two" "$port2" test >/dev/null
port3=$(free_port $((port2 + 1)))
STANDBY=1 bash fcgi/stack/stack.sh start "$dir/standby" "$port3" test >/dev/null

q() { local s=$1 d=$2; shift 2; "$bin/psql" -X -q -v ON_ERROR_STOP=1 -U postgres -h "$dir/$s/pg" -d "$d" "$@"; }
echo "== loading 4,000 members x 25 contacts into each layout"
q one privacybee -v shard=0 -v shards=1 -f "$here/shards-load.sql" >/dev/null
q standby privacybee -v shard=0 -v shards=1 -f "$here/shards-load.sql" >/dev/null
for k in 0 1; do
    q two "privacybee_shard_$k" -v shard=$k -v shards=2 -f "$here/shards-load.sql" >/dev/null
done
# what the load runs read, in the proxy too (the same rows on every shard)
q two privacybee -c "CREATE TABLE public.bench_tokens (i integer PRIMARY KEY, token text NOT NULL)" \
                 -c "CREATE TABLE public.bench_calls (i integer PRIMARY KEY, params jsonb NOT NULL)"
for t in bench_tokens bench_calls; do
    q two privacybee_shard_0 -c "\\copy public.$t TO STDOUT" | q two privacybee -c "\\copy public.$t FROM STDIN"
done
q two privacybee -c "ANALYZE public.bench_tokens, public.bench_calls"
size_one=$(q one privacybee -Atc "SELECT pg_database_size(current_database())")
# what the schema's tables and indexes hold per member of reference data (sizes of scale)
per_member=$(q one privacybee -Atc "SELECT round(sum(pg_total_relation_size(c.oid)) / 4000.0) FROM pg_class c
        WHERE c.relnamespace = 'privacybee'::regnamespace AND c.relkind = 'r'
          AND c.relname = ANY (privacybee.reference_tables())")
size_shards=$(q two privacybee_shard_0 -Atc "SELECT pg_database_size(current_database())")+$(q two privacybee_shard_1 -Atc "SELECT pg_database_size(current_database())")
echo "digests of the reference data, shard 0 and 1 alike: $(q two privacybee -Atc \
    "SELECT count(*) = 0 FROM (SELECT table_name FROM privacybee.reference_digests() GROUP BY 1
                                HAVING count(DISTINCT digest) > 1) d")"

svc() { q "$1" privacybee -Atc "SELECT privacybee.issue_token(NULL, '{buzz:lookup}')"; }
svc_one=$(svc one); svc_two=$(svc two)
tps() {  # stack, clients, script, [svc]: calls per second, whole
    "$bin/pgbench" -n -M prepared -c "$2" -j 2 -T "$secs" -U postgres -h "$dir/$1/pg" \
        ${4:+-D svc="$4"} -f "$here/$3" privacybee 2>/dev/null | sed -n 's/^tps = \([0-9]*\).*/\1/p'
}
latency() {
    "$bin/pgbench" -n -M prepared -c 1 -T "$secs" -U postgres -h "$dir/$1/pg" \
        ${3:+-D svc="$3"} -f "$here/$2" privacybee 2>/dev/null | sed -n 's/^latency average = \([0-9.]*\).*/\1/p'
}

echo "== trust-lookup and sync, SQL calls (pgbench)"
lk_one=$(tps one 8 shard-lookup.pgbench "$svc_one"); lk_two=$(tps two 8 shard-lookup.pgbench "$svc_two")
ll_one=$(latency one shard-lookup.pgbench "$svc_one"); ll_two=$(latency two shard-lookup.pgbench "$svc_two")
# a synced contact's size: what the sync run added to every table and index of the schema
schema_size() { q one privacybee -Atc "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
                    WHERE c.relnamespace = 'privacybee'::regnamespace AND c.relkind = 'r'"; }
contacts() { q one privacybee -Atc "SELECT count(*) FROM privacybee.contacts"; }
s0=$(schema_size); c0=$(contacts)
sy_one=$(tps one 4 sync.pgbench); sy_two=$(tps two 4 sync.pgbench)
per_contact=$(( ($(schema_size) - s0) / ($(contacts) - c0 + 1) ))

echo "== trust-lookup through nginx + privacybee-fcgi (wrk, 16 connections)"
for s in one two; do
    token=$([ $s = one ] && echo "$svc_one" || echo "$svc_two")
    q $s privacybee -Atc "SELECT '$token GET /apps/buzz/trust-lookup?number_code=1&number=' || (params->>'number')
                                 || '&inbound_code=1&inbound=' || (params->>'inbound') FROM public.bench_calls" \
        > "$dir/$s-lookup.txt"
done
wrk_rps() {
    wrk -t2 -c16 -d"${secs}s" --timeout 5s -s "$here/requests.lua" "http://127.0.0.1:$1" -- "$2" > "$dir/wrk.out" 2>&1 || true
    eval "$(grep '^RESULT' "$dir/wrk.out" | tail -n1 | sed 's/^RESULT //')"
    awk -v r="$requests" -v us="$duration_us" -v p99="$p99_us" -v e="$errors" -v s="$non2xx" \
        'BEGIN { printf "%.0f %.2f %d\n", r / (us / 1e6), p99 / 1000, e + s }'
}
read -r http_one p99_one err_one < <(wrk_rps "$port" "$dir/one-lookup.txt")
read -r http_two p99_two err_two < <(wrk_rps "$port2" "$dir/two-lookup.txt")

echo "== sync with a synchronous hot standby (remote_apply), its replay lag sampled"
sampler() {
    while :; do
        q standby privacybee -Atc "SELECT pg_wal_lsn_diff(sent_lsn, replay_lsn),
                                          COALESCE(extract(epoch FROM replay_lag) * 1000, 0)
                                     FROM pg_stat_replication" >> "$dir/lag.dat" 2>/dev/null || true
        sleep 0.2
    done
}
sy_plain=$(tps standby 4 sync.pgbench)    # the superuser's commits: not waiting for the standby
: > "$dir/lag.dat"
sampler & sampler_pid=$!
# as privacybee-fcgi's role commits: once the standby has applied them
sy_sb=$(PGOPTIONS="-c synchronous_commit=remote_apply" tps standby 4 sync.pgbench)
kill "$sampler_pid"; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=
read -r lag_bytes lag_ms < <(awk -F'|' '{ if ($1 > b) b = $1; if ($2 > m) m = $2 } END { printf "%d %.1f\n", b, m }' "$dir/lag.dat")
sampler & sampler_pid=$!
: > "$dir/lag.dat"
sy_async=$(PGOPTIONS="-c synchronous_commit=local" tps standby 4 sync.pgbench)
kill "$sampler_pid"; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=
read -r alag_bytes alag_ms < <(awk -F'|' '{ if ($1 > b) b = $1; if ($2 > m) m = $2 } END { printf "%d %.1f\n", b, m }' "$dir/lag.dat")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo
echo "| figure | 1 database | proxy + 2 shards | ratio |"
echo "|---|---|---|---|"
echo "| trust-lookup SQL calls/s (pgbench, 8 clients) | $lk_one | $lk_two | $(ratio "$lk_two" "$lk_one") |"
echo "| trust-lookup SQL latency, 1 client (ms) | $ll_one | $ll_two | +$(awk -v a="$ll_two" -v b="$ll_one" 'BEGIN { printf "%.3f", a - b }') ms |"
echo "| trust-lookup HTTP requests/s (wrk, 16 connections) | $http_one | $http_two | $(ratio "$http_two" "$http_one") |"
echo "| trust-lookup HTTP p99 (ms) | $p99_one | $p99_two | |"
echo "| sync of 20 contacts, calls/s (pgbench, 4 clients) | $sy_one | $sy_two | $(ratio "$sy_two" "$sy_one") |"
echo
echo "| hot standby, sync of 20 contacts (4 clients) | calls/s | max replay lag | |"
echo "|---|---|---|---|"
echo "| commits wait for the standby to apply (remote_apply, the API role) | $sy_sb | ${lag_bytes} bytes, ${lag_ms} ms | |"
echo "| commits do not wait (local) | $sy_async | ${alag_bytes} bytes, ${alag_ms} ms | |"
echo "| commits wait for the standby to flush only (synchronous_commit on) | $sy_plain | | |"
echo "errors (non-2xx) in the HTTP runs: $err_one, $err_two"
echo "per synced contact (one phone; every table and index it touches): $per_contact bytes; reference data per member: $per_member bytes"
echo "database sizes after the load: one database $((size_one / 1048576)) MiB; shards $(echo "$size_shards" | awk -F+ '{ printf "%d + %d", $1 / 1048576, $2 / 1048576 }') MiB"
