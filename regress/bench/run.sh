#!/usr/bin/env bash
# run.sh — make bench: the hot paths measured against their ceilings, in one run, on a
# throwaway stack under .bench/ (release privacybee-fcgi, its own port). Never part of
# make test. Prints one table: figure, ceiling, ratio, target. BENCH_SECONDS sets the
# length of each load run (default 10).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
here=regress/bench
dir="$top/.bench"
stack="$dir/stack"
secs=${BENCH_SECONDS:-10}
threads=2
conns=16

. regress/common.sh
cleanup() {
    [ -f "$dir/ceilings.pid" ] && nginx -c "$dir/ceilings.conf" -p "$dir" -s quit 2>/dev/null || true
    [ -n "${trivial_pid:-}" ] && kill "$trivial_pid" 2>/dev/null || true
    bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true
}
trap cleanup EXIT

bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir/tmp"
chmod 755 "$dir"
port=$(free_port 19080)
port_static=$(free_port $((port + 1)))
port_trivial=$(free_port $((port_static + 1)))
# the benchmarks measure the service, not its rate limits
export RATE_RW=1000000r/s BURST_RW=100000 RATE_LIST=1000000r/s BURST_LIST=100000 \
       RATE_LOOKUP=1000000r/s BURST_LOOKUP=100000 RATE_DELETE=1000000r/s BURST_DELETE=100000
FCGI_WORKERS=2 FCGI_THREADS=16 bash fcgi/stack/stack.sh start "$stack" "$port" test
. "$stack/env"
export PGUSER=postgres
pg_user=$( [ "$(id -u)" = 0 ] && echo postgres || id -un )
chown "$pg_user" "$dir"
url="http://127.0.0.1:$port"
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "== loading the data set (10,000 members x 100 contacts x 3 phones)"
psql_q -f "$here/load.sql" | grep -E "Time|trusted_numbers|disagreements|^ *[0-9]+$" | tail -6

echo "== request sets"
svc=$(psql -X -At -c "SELECT privacybee.issue_token(NULL, '{buzz:lookup}')")
psql_q <<SQL
CREATE TABLE bench_tokens AS
SELECT i AS user_id, privacybee.issue_token(i, '{contacts:read,contacts:write,buzz}') AS token
  FROM generate_series(1, 1000) i;
-- receivers and callers, half trusted (a trusted number of the receiver), half not
CREATE TABLE bench_pairs AS
SELECT i, jsonb_build_object('number_code', '1', 'number', substr(b.e164, 3),
                             'inbound_code', '1', 'inbound', substr(c.e164, 3)) AS params
  FROM generate_series(1, 10000) i
  JOIN privacybee.buzz_numbers b ON b.user_id = (i * 7919) % 10000 + 1
  CROSS JOIN LATERAL (
      SELECT CASE WHEN i % 2 = 0
                  THEN (SELECT t.match_key FROM privacybee.trusted_numbers t
                         WHERE t.user_id = b.user_id AND t.match_key LIKE '+1%'
                         ORDER BY t.match_key OFFSET i % 5 LIMIT 1)
                  ELSE '+1' || (700 + i % 100) || '555' || lpad((i % 10000)::text, 4, '0') END AS e164) c;
ALTER TABLE bench_pairs ADD PRIMARY KEY (i);
\copy (SELECT '$svc GET /apps/buzz/trust-lookup?number_code=1&number=' || (params->>'number') || '&inbound_code=1&inbound=' || (params->>'inbound') FROM bench_pairs) TO '$dir/trust.txt'
\copy (SELECT token || ' GET /contacts?per_page=10&include=emails,addresses,phone_numbers&page=' || (1 + user_id % 10) FROM bench_tokens) TO '$dir/contacts.txt'
\copy (SELECT token || ' GET /apps/buzz/activity/0?limit=100' FROM bench_tokens) TO '$dir/activity.txt'
SQL
expected_trusted=$(psql -X -At -c "SELECT count(*) FROM bench_pairs WHERE i % 2 = 0")
/usr/bin/python3 - "$dir" "$(psql -X -At -c "SELECT token FROM bench_tokens ORDER BY user_id DESC LIMIT 1")" <<'PY'
import json, sys
d, token = sys.argv[1], sys.argv[2]
lines = []
for b in range(4):
    body = [{"display_name": f"Synced {b}-{i}", "emails": [f"s{b}{i}@example.com"],
             "phone_numbers": [f"(212) 555-{i % 10000:04d}", f"+1 646 555 {i % 10000:04d}", "07400 123456"],
             "addresses": [f"{i} Elm St"], "labels": ["Imported"]} for i in range(1000)]
    with open(f"{d}/sync{b}.json", "w") as f:
        json.dump(body, f)
    lines.append(f"{token} POST /contacts/sync {d}/sync{b}.json")
with open(f"{d}/sync.txt", "w") as f:
    f.write("\n".join(lines) + "\n")
# the same rows, for COPY into a plain table
with open(f"{d}/copy.tsv", "w") as f:
    for b in range(100):
        for i in range(1000):
            f.write(f"1\tSynced {b}-{i}\t{{s{b}{i}@example.com}}\t"
                    f"{{\"(212) 555-{i % 10000:04d}\",\"+1 646 555 {i % 10000:04d}\",\"07400 123456\"}}\t"
                    f"{{\"{i} Elm St\"}}\t{{Imported}}\n")
PY
echo "- GET /" > "$dir/static.txt"
chmod 644 "$dir"/*.txt "$dir"/*.json "$dir"/copy.tsv

# one wrk run: prints "requests per second, p50 ms, p99 ms, max ms, errors"
wrk_run() {
    local url=$1 file=$2 c=$3 d=$4 delay=${5:-0}
    WRK_DELAY_MS=$delay wrk -t"$threads" -c"$c" -d"${d}s" --timeout 5s -s "$here/requests.lua" "$url" -- "$file" \
        > "$dir/wrk.out" 2>&1 || true
    local line
    line=$(grep '^RESULT' "$dir/wrk.out" | tail -n1 || true)
    [ -n "$line" ] || { cat "$dir/wrk.out" >&2; echo "0 0 0 0 1"; return; }
    eval "$(echo "$line" | sed 's/^RESULT //')"
    awk -v r="$requests" -v us="$duration_us" -v p50="$p50_us" -v p99="$p99_us" -v mx="$max_us" \
        -v e="$errors" -v s="$non2xx" 'BEGIN { printf "%.0f %.2f %.2f %.1f %d\n", r / (us / 1e6), p50 / 1000, p99 / 1000, mx / 1000, e + s }'
}

echo "== ceilings: nginx alone, and a FastCGI handler that does nothing"
cc -O2 -o "$dir/trivial-fcgi" "$here/trivial-fcgi.c" -lfcgi -lpthread
"$dir/trivial-fcgi" "$dir/trivial.sock" 32 & trivial_pid=$!
sed -e "s|@DIR@|$dir|g" -e "s|@PORT_STATIC@|$port_static|" -e "s|@PORT_TRIVIAL@|$port_trivial|" \
    -e "s|@USER@|$( [ "$(id -u)" = 0 ] && echo "user www-data;" )|" "$here/ceilings.conf.in" > "$dir/ceilings.conf"
[ "$(id -u)" = 0 ] && chown www-data "$dir/tmp"
sleep 0.3
nginx -c "$dir/ceilings.conf" -p "$dir"
sleep 0.3
read -r static_rps _ < <(wrk_run "http://127.0.0.1:$port_static" "$dir/static.txt" $conns "$secs")
read -r trivial_rps _ < <(wrk_run "http://127.0.0.1:$port_trivial" "$dir/static.txt" $conns "$secs")

echo "== trust-lookup through nginx + privacybee-fcgi"
wrk_run "$url" "$dir/trust.txt" $conns 3 >/dev/null    # warm every connection's plans
read -r trust_rps _ _ _ trust_err < <(wrk_run "$url" "$dir/trust.txt" $conns "$secs")
half_delay=$(awk -v c=8 -v x="$trust_rps" 'BEGIN { d = c * 2000 / x - 0.5; if (d < 1) d = 1; printf "%d", d }')
read -r half_rps half_p50 half_p99 half_max half_err < <(wrk_run "$url" "$dir/trust.txt" 8 "$secs" "$half_delay")
read -r over_rps over_p50 over_p99 over_max over_err < <(wrk_run "$url" "$dir/trust.txt" 128 "$secs")
trusted_seen=$(curl -s -H "Authorization: Bearer $svc" "$url$(sed -n 2p "$dir/trust.txt" | cut -d' ' -f3)")

echo "== listings"
read -r contacts_rps _ _ _ contacts_err < <(wrk_run "$url" "$dir/contacts.txt" $conns "$secs")
read -r activity_rps _ _ _ activity_err < <(wrk_run "$url" "$dir/activity.txt" $conns "$secs")

echo "== sync ingest vs COPY"
read -r sync_rps _ _ _ sync_err < <(wrk_run "$url" "$dir/sync.txt" 2 "$secs")
sync_rows=$(awk -v r="$sync_rps" 'BEGIN { printf "%.0f", r * 1000 }')
copy_ms=$(psql -X -q -At <<SQL
CREATE TABLE bench_plain (user_id bigint, display_name text, emails text[], phones text[],
                          addresses text[], labels text[]);
CREATE FUNCTION pg_temp.time_ms(q text) RETURNS numeric LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN EXECUTE q; RETURN extract(epoch FROM clock_timestamp() - t0) * 1000; END \$\$;
SELECT min(pg_temp.time_ms('TRUNCATE bench_plain; COPY bench_plain FROM ''$dir/copy.tsv''')) FROM generate_series(1, 3);
SQL
)
copy_rows=$(awk -v ms="$copy_ms" 'BEGIN { printf "%.0f", 100000 / (ms / 1000) }')

echo "== SQL: trust-lookup function vs pgbench -S"
createdb pgbench_ceiling
pgbench -q -i -s 10 pgbench_ceiling >/dev/null 2>&1
ceiling_tps=$(pgbench -n -S -M prepared -c 8 -j 2 -T "$secs" pgbench_ceiling 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
fn_tps=$(pgbench -n -M prepared -c 8 -j 2 -T "$secs" -D svc="$svc" -f "$here/trust-lookup.pgbench" "$PGDATABASE" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')

echo "== privacybee-fcgi memory over 1M requests"
rss_before=$(workers_rss "$stack")
soak_secs=$(awk -v x="$trust_rps" 'BEGIN { s = 1000000 / x; if (s < 10) s = 10; printf "%d", s + 1 }')
read -r soak_rps _ _ _ soak_err < <(wrk_run "$url" "$dir/trust.txt" $conns "$soak_secs")
rss_after=$(workers_rss "$stack")
soak_requests=$(awk -v r="$soak_rps" -v s="$soak_secs" 'BEGIN { printf "%.0f", r * s }')

echo "== phone_e164: 1M mixed inputs, against lower() and against libphonenumber"
g++ -O1 -o "$dir/phone-corpus" regress/phone/corpus.cc -lphonenumber
"$dir/phone-corpus" > "$dir/phone-corpus.tsv"
g++ -O2 -o "$dir/phone-libphonenumber" "$here/phone-libphonenumber.cc" -lphonenumber
read -r lib_nps _ < <("$dir/phone-libphonenumber" "$dir/phone-corpus.tsv" 1000000)
read -r lower_ms phone_ms < <(psql -X -q -At -F ' ' <<SQL
CREATE TEMP TABLE corpus (form text, region text, input text, dialled text, expected text);
\copy corpus FROM '$dir/phone-corpus.tsv'
CREATE TEMP TABLE inputs AS
SELECT c.input, c.dialled FROM generate_series(1, 1000000) g
  JOIN (SELECT row_number() OVER () - 1 AS k, input, dialled FROM corpus) c
    ON c.k = g % (SELECT count(*) FROM corpus);
CREATE FUNCTION pg_temp.time_ms(q text) RETURNS numeric LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN EXECUTE q; RETURN extract(epoch FROM clock_timestamp() - t0) * 1000; END \$\$;
SELECT min(pg_temp.time_ms('SELECT count(lower(input)) FROM inputs')),
       min(pg_temp.time_ms('SELECT count(privacybee.phone_e164(input, dialled)) FROM inputs'))
  FROM generate_series(1, 3);
SQL
)
ours_nps=$(awk -v ms="$phone_ms" 'BEGIN { printf "%.0f", 1000000 / (ms / 1000) }')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
row() { printf "%-46s %14s %-26s %8s   %s\n" "$@"; }
echo
echo "make bench on $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(date -u +%Y-%m-%d); load generator on the same machine"
row "figure" "value" "ceiling (same run)" "ratio" "target"
row "HTTP ceiling: nginx return 200 (req/s)" "$static_rps" "-" "-" ""
row "trust-lookup throughput (req/s)" "$trust_rps" "trivial FastCGI $trivial_rps" "$(ratio "$trust_rps" "$trivial_rps")" ">= 0.5, errors 0 (were $trust_err)"
row "trust-lookup p50 / p99 at half load (ms)" "$half_p50 / $half_p99" "at $half_rps req/s" "-" "p99 <= 5 ms, errors $half_err"
row "128 connections > 32 threads: max latency (ms)" "$over_max" "at $over_rps req/s" "-" "< 1000 ms, errors+timeouts $over_err"
row "GET /contacts page of 10, all includes (req/s)" "$contacts_rps" "trivial FastCGI $trivial_rps" "$(ratio "$contacts_rps" "$trivial_rps")" "errors $contacts_err"
row "GET activity since id, page of 100 (req/s)" "$activity_rps" "trivial FastCGI $trivial_rps" "$(ratio "$activity_rps" "$trivial_rps")" "errors $activity_err"
row "POST /contacts/sync x1000 (rows/s)" "$sync_rows" "COPY $copy_rows" "$(ratio "$sync_rows" "$copy_rows")" ">= 0.3, errors $sync_err"
row "trust-lookup SQL function, pgbench (tps)" "$fn_tps" "pgbench -S $ceiling_tps" "$(ratio "$fn_tps" "$ceiling_tps")" ">= 0.7"
row "privacybee-fcgi workers RSS (KiB)" "$rss_before -> $rss_after" "$soak_requests requests" "$(ratio "$rss_after" "$rss_before")" "flat, errors $soak_err"
row "phone_e164, 1M inputs in PostgreSQL (ms)" "$phone_ms" "lower() $lower_ms" "$(ratio "$phone_ms" "$lower_ms")" "<= 3 (cost)"
row "phone_e164 vs libphonenumber (numbers/s)" "$ours_nps" "libphonenumber $lib_nps" "$(ratio "$ours_nps" "$lib_nps")" ">= 20"
echo "(trust-lookup sample answer: $trusted_seen; $expected_trusted of 10000 pairs are trusted by construction)"
