#!/usr/bin/env bash
# run.sh — make bench: the hot paths measured against their ceilings and against the
# services a team would otherwise write, in one run, on a throwaway stack under .bench/
# (release privacybee-fcgi, its own port, the extension installed into a private
# PostgreSQL tree as make test does, so the system's is never touched). Never part of
# make test.
#
# trust-lookup is measured beside its peers (regress/bench/peers: a Node service and a
# PHP-FPM script calling the same SQL function) and the trivial FastCGI ceiling in
# BENCH_ROUNDS (default 2) interleaved rounds, and drawn by gnuplot (chart.gp) into
# .bench/trust-lookup.png; every ratio is taken within one round and reported as the range
# over rounds. Prints one table: figure, reference, ratio, target. BENCH_SECONDS sets the
# length of each load run (default 10).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
here=regress/bench
dir="$top/.bench"
stack="$dir/stack"
secs=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-2}
threads=2
conns=16

. regress/common.sh
cleanup() {
    [ -f "$dir/ceilings.pid" ] && nginx -c "$dir/ceilings.conf" -p "$dir" -s quit 2>/dev/null || true
    [ -n "${trivial_pid:-}" ] && kill "$trivial_pid" 2>/dev/null || true
    [ -n "${node_pid:-}" ] && kill "$node_pid" 2>/dev/null || true
    [ -f "$dir/php-fpm.pid" ] && kill "$(cat "$dir/php-fpm.pid")" 2>/dev/null || true
    bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true
}
trap cleanup EXIT

bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rm -rf "$dir"
mkdir -p "$dir/tmp"
chmod 755 "$dir"
PG_CONFIG=$(bash regress/pg-tree.sh "$dir/pg-tree")
export PG_CONFIG
make -s install-extension > "$dir/install.log" 2>&1 || { cat "$dir/install.log"; exit 1; }
port=$(free_port 19080)
port_static=$(free_port $((port + 1)))
port_trivial=$(free_port $((port_static + 1)))
port_php=$(free_port $((port_trivial + 1)))
port_node=$(free_port $((port_php + 1)))
# the benchmarks measure the service, not its rate limits (the load comes from 127.0.0.1)
export RATE_RW=1000000r/s BURST_RW=100000 RATE_LIST=1000000r/s BURST_LIST=100000 \
       RATE_LOOKUP=1000000r/s BURST_LOOKUP=100000 RATE_DELETE=1000000r/s BURST_DELETE=100000 \
       RATE_ADDR_EXEMPT=127.0.0.1
bash fcgi/stack/stack.sh start "$stack" "$port" test
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

# one wrk run: prints "requests per second, p50 ms, p90 ms, p99 ms, max ms, errors"
wrk_run() {
    local url=$1 file=$2 c=$3 d=$4 delay=${5:-0}
    WRK_DELAY_MS=$delay wrk -t"$threads" -c"$c" -d"${d}s" --timeout 5s -s "$here/requests.lua" "$url" -- "$file" \
        > "$dir/wrk.out" 2>&1 || true
    local line
    line=$(grep '^RESULT' "$dir/wrk.out" | tail -n1 || true)
    [ -n "$line" ] || { cat "$dir/wrk.out" >&2; echo "0 0 0 0 0 1"; return; }
    eval "$(echo "$line" | sed 's/^RESULT //')"
    awk -v r="$requests" -v us="$duration_us" -v p50="$p50_us" -v p90="$p90_us" -v p99="$p99_us" \
        -v mx="$max_us" -v e="$errors" -v s="$non2xx" \
        'BEGIN { printf "%.0f %.2f %.2f %.2f %.1f %d\n", r / (us / 1e6), p50 / 1000, p90 / 1000, p99 / 1000, mx / 1000, e + s }'
}

echo "== ceilings and peers: nginx alone, a FastCGI handler that does nothing, Node, PHP-FPM"
cc -O2 -o "$dir/trivial-fcgi" "$here/trivial-fcgi.c" -lfcgi -lpthread
"$dir/trivial-fcgi" "$dir/trivial.sock" 128 & trivial_pid=$!
web_user=$( [ "$(id -u)" = 0 ] && echo www-data || id -un )
dsn="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=privacybee_api"
sed -e "s|@DIR@|$dir|g" -e "s|@CHILDREN@|${PHP_CHILDREN:-8}|" -e "s|@DSN@|$dsn|" \
    -e "s|@USER@|$( [ "$(id -u)" = 0 ] && echo "user = www-data" )|" \
    "$here/peers/php/php-fpm.conf.in" > "$dir/php-fpm.conf"
php-fpm8.2 -y "$dir/php-fpm.conf"
npm ci --prefix "$here/peers/node" --no-audit --no-fund --loglevel=error > "$dir/npm.log" 2>&1 \
    || { cat "$dir/npm.log"; exit 1; }
PORT=$port_node PGUSER=privacybee_api WORKERS=${NODE_WORKERS:-$(nproc)} POOL_SIZE=${NODE_POOL:-8} \
    node "$here/peers/node/server.js" > "$dir/node.log" 2>&1 & node_pid=$!
sed -e "s|@DIR@|$dir|g" -e "s|@TOP@|$top|g" -e "s|@PORT_STATIC@|$port_static|" \
    -e "s|@PORT_TRIVIAL@|$port_trivial|" -e "s|@PORT_PHP@|$port_php|" \
    -e "s|@USER@|$( [ "$(id -u)" = 0 ] && echo "user www-data;" )|" "$here/ceilings.conf.in" > "$dir/ceilings.conf"
chown "$web_user" "$dir/tmp"
sleep 0.5
nginx -c "$dir/ceilings.conf" -p "$dir"
sleep 0.5
read -r static_rps _ < <(wrk_run "http://127.0.0.1:$port_static" "$dir/static.txt" $conns "$secs")

# trust-lookup on each system, the same request lines; the ceiling's file has one line
systems=(privacybee node php trivial)
declare -A sys_url=([privacybee]=$url [node]="http://127.0.0.1:$port_node"
                    [php]="http://127.0.0.1:$port_php" [trivial]="http://127.0.0.1:$port_trivial")
declare -A sys_file=([privacybee]=$dir/trust.txt [node]=$dir/trust.txt [php]=$dir/trust.txt
                     [trivial]=$dir/static.txt)
declare -A sys_label=([privacybee]=privacybee [node]="Node peer" [php]="PHP-FPM peer"
                      [trivial]="trivial FastCGI")
# the same answers from each, to a trusted, an untrusted and an unauthenticated call
for s in privacybee node php; do
    for n in 1 2; do
        curl -s -H "Authorization: Bearer $svc" "${sys_url[$s]}$(sed -n ${n}p "$dir/trust.txt" | cut -d' ' -f3)"
        echo
    done
    curl -s -o /dev/null -w '%{http_code}\n' "${sys_url[$s]}$(sed -n 1p "$dir/trust.txt" | cut -d' ' -f3)"
done > "$dir/answers.txt"
if [ "$(sed -n 1,3p "$dir/answers.txt")" != "$(sed -n 4,6p "$dir/answers.txt")" ] ||
   [ "$(sed -n 1,3p "$dir/answers.txt")" != "$(sed -n 7,9p "$dir/answers.txt")" ]; then
    echo "the peers answer differently from privacybee (privacybee, node, php; 3 lines each):" >&2
    cat "$dir/answers.txt" >&2
    exit 1
fi
echo "the same answers from each: $(sed -n 1,3p "$dir/answers.txt" | tr '\n' ' ')"
for s in "${systems[@]}"; do   # warm plans, pools, JIT and OPcache
    wrk_run "${sys_url[$s]}" "${sys_file[$s]}" $conns 3 >/dev/null
done

echo "== trust-lookup at $conns connections: $rounds interleaved rounds of ${secs} s"
: > "$dir/trust-lookup.dat"
for round in $(seq "$rounds"); do
    order=("${systems[@]}")
    # every other round runs backwards, so no system always follows the same one
    [ $((round % 2)) = 0 ] && order=(trivial php node privacybee)
    for s in "${order[@]}"; do
        read -r rps p50 p90 p99 max err < <(wrk_run "${sys_url[$s]}" "${sys_file[$s]}" $conns "$secs")
        echo "$round $s $rps $p50 $p90 $p99 $max $err" | tee -a "$dir/trust-lookup.dat"
    done
done
trust_err=$(awk '$2 == "privacybee" { e += $8 } END { print e + 0 }' "$dir/trust-lookup.dat")

echo "== trust-lookup latency at half load, and over-subscribed"
trust_rps=$(awk '$2 == "privacybee" && $3 > m { m = $3 } END { print m + 0 }' "$dir/trust-lookup.dat")
half_delay=$(awk -v c=8 -v x="$trust_rps" 'BEGIN { d = c * 2000 / x - 0.5; if (d < 1) d = 1; printf "%d", d }')
read -r half_rps half_p50 _ half_p99 half_max half_err < <(wrk_run "$url" "$dir/trust.txt" 8 "$secs" "$half_delay")
# 128 clients (the figure before threads were shared: 4 times its 32 threads), and 256:
# twice privacybee-fcgi's 2 x 64 threads, 8 times the 32 connections nginx keeps
read -r over_rps over_p50 _ over_p99 over_max over_err < <(wrk_run "$url" "$dir/trust.txt" 128 "$secs")
read -r over2_rps _ _ over2_p99 over2_max over2_err < <(wrk_run "$url" "$dir/trust.txt" 256 "$secs")
trusted_seen=$(curl -s -H "Authorization: Bearer $svc" "$url$(sed -n 2p "$dir/trust.txt" | cut -d' ' -f3)")

echo "== listings"
read -r contacts_rps _ _ _ _ contacts_err < <(wrk_run "$url" "$dir/contacts.txt" $conns "$secs")
read -r activity_rps _ _ _ _ activity_err < <(wrk_run "$url" "$dir/activity.txt" $conns "$secs")

echo "== sync ingest vs COPY, and the trust-lookup SQL function vs pgbench -S: $rounds interleaved rounds"
psql_q <<SQL
CREATE TABLE bench_plain (user_id bigint, display_name text, emails text[], phones text[],
                          addresses text[], labels text[]);
CREATE FUNCTION time_ms(q text) RETURNS numeric LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN EXECUTE q; RETURN extract(epoch FROM clock_timestamp() - t0) * 1000; END \$\$;
SQL
createdb pgbench_ceiling
pgbench -q -i -s 10 pgbench_ceiling >/dev/null 2>&1
: > "$dir/sql.dat"
for round in $(seq "$rounds"); do
    read -r sync_rps _ _ _ _ err < <(wrk_run "$url" "$dir/sync.txt" 2 "$secs")
    copy_ms=$(psql -X -q -At -c "SELECT min(time_ms('TRUNCATE bench_plain; COPY bench_plain FROM ''$dir/copy.tsv''')) FROM generate_series(1, 3)")
    ceiling_tps=$(pgbench -n -S -M prepared -c 8 -j 2 -T "$secs" pgbench_ceiling 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    fn_tps=$(pgbench -n -M prepared -c 8 -j 2 -T "$secs" -D svc="$svc" -f "$here/trust-lookup.pgbench" "$PGDATABASE" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    awk -v r="$round" -v s="$sync_rps" -v e="$err" -v ms="$copy_ms" -v c="$ceiling_tps" -v f="$fn_tps" \
        'BEGIN { printf "%d %.0f %.0f %d %.0f %.0f\n", r, s * 1000, 100000 / (ms / 1000), e, f, c }' | tee -a "$dir/sql.dat"
done
sync_err=$(awk '{ e += $4 } END { print e + 0 }' "$dir/sql.dat")

echo "== privacybee-fcgi memory over 1M requests"
rss_before=$(workers_rss "$stack")
soak_secs=$(awk -v x="$trust_rps" 'BEGIN { s = 1000000 / x; if (s < 10) s = 10; printf "%d", s + 1 }')
read -r soak_rps _ _ _ _ soak_err < <(wrk_run "$url" "$dir/trust.txt" $conns "$soak_secs")
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

# Figures over rounds. range FILE COL [SYSTEM]: "min-max" of column COL over the lines of
# FILE (those whose column 2 is SYSTEM, when given); rratio A B COL: system A's column COL
# over system B's, taken in each round of trust-lookup.dat, "min-max" over rounds.
range() {
    awk -v col="$2" -v w="${3:-}" '(w == "" || $2 == w) { v = $col + 0; if (n++ == 0 || v < lo) lo = v; if (v > hi) hi = v }
        END { fmt = (hi >= 100) ? "%.0f" : "%.2f"; if (sprintf(fmt, lo) == sprintf(fmt, hi)) printf fmt "\n", lo; else printf fmt "-" fmt "\n", lo, hi }' "$1"
}
minmax() {
    awk '{ if (n++ == 0 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
        END { if (n == 0) print "n/a"; else if (sprintf("%.2f", lo) == sprintf("%.2f", hi)) printf "%.2f\n", lo; else printf "%.2f-%.2f\n", lo, hi }'
}
rratio() {
    awk -v a="$1" -v b="$2" -v col="$3" '$2 == a { x[$1] = $col } $2 == b { y[$1] = $col }
        END { for (r in x) if (y[r] > 0) print x[r] / y[r] }' "$dir/trust-lookup.dat" | minmax
}
# met RATIOS OP LIMIT: yes when every round meets the target, partly when some do
met() {
    awk -v r="$1" -v op="$2" -v t="$3" 'BEGIN { n = split(r, v, "-"); ok = 0
        for (i = 1; i <= n; i++) ok += (op == ">=" ? v[i] + 0 >= t : v[i] + 0 <= t)
        print (r == "n/a") ? "n/a" : (ok == n ? "yes" : (ok > 0 ? "partly" : "no")) }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
row() { printf "%-46s %15s %-28s %10s   %-34s %s\n" "$@"; }
trivial_rps=$(range "$dir/trust-lookup.dat" 3 trivial)
pb() { range "$dir/trust-lookup.dat" "$1" privacybee; }

# the chart: throughput (range over rounds) and latency percentiles per system
for s in "${systems[@]}"; do
    awk -v s="$s" -v l="${sys_label[$s]}" '$2 == s { n++; r += $3; p50 += $4; p90 += $5; p99 += $6
            if (n == 1 || $3 < lo) lo = $3; if ($3 > hi) hi = $3 }
        END { printf "\"%s\" %.0f %.0f %.0f %.3f %.3f %.3f\n", l, r / n, lo, hi, p50 / n, p90 / n, p99 / n }' "$dir/trust-lookup.dat"
done > "$dir/trust-lookup-summary.dat"
chart="$dir/trust-lookup.png"
gnuplot -e "data='$dir/trust-lookup-summary.dat'; out='$chart'; heading='trust-lookup at $conns connections, same SQL function, mean of $rounds interleaved rounds ($(date -u +%Y-%m-%d))'" \
    "$here/chart.gp" 2> "$dir/gnuplot.log" || { cat "$dir/gnuplot.log"; chart="(gnuplot failed, see above)"; }

echo
echo "make bench on $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(date -u +%Y-%m-%d); load generator on the same machine;"
echo "load average (1, 5, 15 min) at the start: $load_before; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "trust-lookup at $conns connections, the same SQL function behind each ($rounds interleaved rounds of ${secs} s; ranges over rounds)"
printf "%-18s %15s %15s %15s %15s %8s\n" "system" "req/s" "p50 ms" "p90 ms" "p99 ms" "errors"
for s in "${systems[@]}"; do
    printf "%-18s %15s %15s %15s %15s %8s\n" "${sys_label[$s]}" "$(range "$dir/trust-lookup.dat" 3 "$s")" \
        "$(range "$dir/trust-lookup.dat" 4 "$s")" "$(range "$dir/trust-lookup.dat" 5 "$s")" \
        "$(range "$dir/trust-lookup.dat" 6 "$s")" "$(awk -v s="$s" '$2 == s { e += $8 } END { print e + 0 }' "$dir/trust-lookup.dat")"
done
echo "chart: $chart"
echo
row "figure (SPEC 14 targets)" "value" "reference (same run)" "ratio" "target" "met"
r=$(rratio privacybee node 3)
row "trust-lookup throughput vs the Node peer" "$(pb 3)" "Node $(range "$dir/trust-lookup.dat" 3 node)" "$r" ">= 1.5" "$(met "$r" ">=" 1.5)"
r=$(rratio privacybee php 3)
row "trust-lookup throughput vs the PHP peer" "$(pb 3)" "PHP $(range "$dir/trust-lookup.dat" 3 php)" "$r" ">= 3" "$(met "$r" ">=" 3)"
r=$(rratio privacybee node 6)
row "trust-lookup p99 vs the Node peer's (ms)" "$(pb 6)" "Node $(range "$dir/trust-lookup.dat" 6 node)" "$r" "<= 0.2" "$(met "$r" "<=" 0.2)"
r=$(rratio privacybee php 6)
row "trust-lookup p99 vs the PHP peer's (ms)" "$(pb 6)" "PHP $(range "$dir/trust-lookup.dat" 6 php)" "$r" "<= 0.2" "$(met "$r" "<=" 0.2)"
r=$(rratio privacybee trivial 3)
row "trust-lookup throughput vs trivial FastCGI" "$(pb 3)" "trivial FastCGI $trivial_rps" "$r" ">= 0.5, errors 0 (were $trust_err)" "$(met "$r" ">=" 0.5)"
r=$(awk '$6 > 0 { print $5 / $6 }' "$dir/sql.dat" | minmax)
row "trust-lookup SQL function, pgbench (tps)" "$(range "$dir/sql.dat" 5)" "pgbench -S $(range "$dir/sql.dat" 6)" "$r" ">= 0.7" "$(met "$r" ">=" 0.7)"
r=$(awk '$3 > 0 { print $2 / $3 }' "$dir/sql.dat" | minmax)
row "POST /contacts/sync x1000 (rows/s)" "$(range "$dir/sql.dat" 2)" "COPY $(range "$dir/sql.dat" 3)" "$r" ">= 0.3, errors $sync_err" "$(met "$r" ">=" 0.3)"
echo
row "other figures" "value" "reference (same run)" "ratio" "target" ""
row "HTTP ceiling: nginx return 200 (req/s)" "$static_rps" "-" "-" "" ""
row "trust-lookup p50 / p99 at half load (ms)" "$half_p50 / $half_p99" "at $half_rps req/s" "-" "p99 <= 5 ms, errors $half_err" ""
row "128 connections: p99 / max latency (ms)" "$over_p99 / $over_max" "at $over_rps req/s" "-" "max < 1000 ms, errors+timeouts $over_err" ""
row "256 connections: p99 / max latency (ms)" "$over2_p99 / $over2_max" "at $over2_rps req/s" "-" "max < 1000 ms, errors+timeouts $over2_err" ""
row "GET /contacts page of 10, all includes (req/s)" "$contacts_rps" "trivial FastCGI $trivial_rps" "-" "errors $contacts_err" ""
row "GET activity since id, page of 100 (req/s)" "$activity_rps" "trivial FastCGI $trivial_rps" "-" "errors $activity_err" ""
row "privacybee-fcgi workers RSS (KiB)" "$rss_before -> $rss_after" "$soak_requests requests" "$(ratio "$rss_after" "$rss_before")" "flat, errors $soak_err" ""
row "phone_e164, 1M inputs in PostgreSQL (ms)" "$phone_ms" "lower() $lower_ms" "$(ratio "$phone_ms" "$lower_ms")" "<= 3 (cost)" ""
row "phone_e164 vs libphonenumber (numbers/s)" "$ours_nps" "libphonenumber $lib_nps" "$(ratio "$ours_nps" "$lib_nps")" ">= 20" ""
echo "(trust-lookup sample answer: $trusted_seen; $expected_trusted of 10000 pairs are trusted by construction)"
