#!/usr/bin/env bash
# search.sh — make bench, the search and rich-sync part (SPEC §14): full-text (GET
# /contacts?q=) and structured (POST /contacts/search) search p99 on a member with 10,000
# contacts in a 1,000,000-contact database (target <= 20 ms), and the sync of 1,000 rich
# contacts (rows/s) beside COPY of the same rows into a plain table.
#
# Each search runs the route's SQL function whole (authentication, the search, the page
# of 10 contacts rendered), as privacybee-fcgi calls it, under pgbench at 2 clients for
# SEARCH_SECONDS (default 20); p99 is taken from pgbench's per-transaction log. The data
# set (search-load.sql) is built on a throwaway stack under .bench-search/.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
here=regress/bench
dir="$top/.bench-search"
stack="$dir/stack"
secs=${SEARCH_SECONDS:-20}

. regress/common.sh
cleanup() { bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# SEARCH_REUSE=1: measure again on the data set the last run loaded (loading takes minutes)
reuse=${SEARCH_REUSE:-}
[ -f "$stack/env" ] || reuse=
bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true
[ -n "$reuse" ] || rm -rf "$dir"
mkdir -p "$dir"
chmod 755 "$dir"
PG_CONFIG=$(bash regress/pg-tree.sh "$dir/pg-tree")
export PG_CONFIG
make -s install-extension > "$dir/install.log" 2>&1 || { cat "$dir/install.log"; exit 1; }
bash fcgi/stack/stack.sh start "$stack" "$(free_port 19380)" test >/dev/null
. "$stack/env"
export PGUSER=postgres
pg_user=$( [ "$(id -u)" = 0 ] && echo postgres || id -un )
chown "$pg_user" "$dir"
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
bin=$("$PG_CONFIG" --bindir)

if [ -z "$reuse" ]; then
    echo "== loading 1,000,000 contacts (one member with 10,000)"
    started=$(date +%s)
    psql_q -f "$here/search-load.sql" | grep -E "^ *[0-9]+$" | tail -1
    echo "   loaded in $(( $(date +%s) - started )) s"
fi

echo "== query sets"
psql_q <<'SQL'
DROP TABLE IF EXISTS bench_search_token, bench_q, bench_f, bench_rich, bench_plain;
CREATE TABLE bench_search_token AS
SELECT privacybee.issue_token(p.id, '{contacts:read,contacts:write}') AS token
  FROM privacybee.people p WHERE p.last_name = 'Member 1';
-- what users type: prefixes of names, two words, fields, digits, OR, NOT, phrases
CREATE TABLE bench_q AS
SELECT row_number() OVER () AS id, q FROM (
    SELECT left(f, 2 + i % 3) AS q FROM unnest('{james,mary,john,patricia,robert,jennifer,michael,linda,jose,maria,zoe,renee}'::text[]) f, generate_series(0, 2) i
    UNION ALL SELECT left(f, 2) || ' ' || left(l, 3) FROM unnest('{jo,ma,ro,li,da,el}'::text[]) f, unnest('{smi,joh,wil,bro,gar,mil}'::text[]) l
    UNION ALL SELECT f || ' ' || l FROM unnest('{john,mary,james,maria}'::text[]) f, unnest('{smith,garcia,brown}'::text[]) l
    UNION ALL SELECT 'company:' || c FROM unnest('{ini,acme,glo,hoo,sta,wayne}'::text[]) c
    UNION ALL SELECT 'tag:' || t FROM unnest('{vip,client,fam,work}'::text[]) t
    UNION ALL SELECT 'title:' || t || ' ' || c FROM unnest('{eng,man,cto}'::text[]) t, unnest('{austin,paris}'::text[]) c
    UNION ALL SELECT d FROM unnest('{555,2345,555-0,212,(415),305-2}'::text[]) d
    UNION ALL SELECT a || ' OR ' || b FROM unnest('{jo,mar}'::text[]) a, unnest('{smi,lee}'::text[]) b
    UNION ALL SELECT a || ' -' || b FROM unnest('{jo,mar}'::text[]) a, unnest('{smith,garcia}'::text[]) b
    UNION ALL SELECT '"' || p || '"' FROM unnest('{john sm,mary ga,red stapler,main st}'::text[]) p
    UNION ALL SELECT 'note:' || n FROM unnest('{coffee,golf,lunch}'::text[]) n) AS s;
CREATE TABLE bench_f AS
SELECT row_number() OVER () AS id, f::jsonb AS f FROM (VALUES
    ('{"field": "email", "operator": "string_contains", "value": "smith"}'),
    ('{"field": "email", "operator": "string_contains", "value": "gmail"}'),
    ('{"field": "email", "operator": "equals", "value": "john.smith1@example.com"}'),
    ('{"field": "display_name", "operator": "string_contains", "value": "garcia"}'),
    ('{"field": "display_name", "operator": "in", "values": ["John Smith", "Mary Brown"]}'),
    ('{"field": "external_id", "operator": "equals", "value": "e42"}'),
    ('{"field": "phone", "operator": "equals", "value": "(212) 555-0000"}'),
    ('{"field": "updated", "operator": "gt", "value": "2000-01-01T00:00:00Z"}'),
    ('{"field": "id", "operator": "in", "values": [1, 2, 3, 10, 500, 9000]}'),
    ('{"operator": "and", "subfilters": [{"field": "display_name", "operator": "string_contains", "value": "jo"},
                                         {"field": "email", "operator": "string_contains", "value": "example"}]}'),
    ('{"operator": "or", "subfilters": [{"field": "display_name", "operator": "string_contains", "value": "lee"},
                                        {"field": "email", "operator": "string_contains", "value": "nguyen"}]}'),
    ('{"field": "email", "operator": "not_in", "values": ["x@y.z"]}')) AS v(f);
SQL
nq=$(psql -X -At -c "SELECT count(*) FROM bench_q")
nf=$(psql -X -At -c "SELECT count(*) FROM bench_f")
cat > "$dir/fulltext.pgbench" <<EOF
\set n random(1, $nq)
SELECT (r).status FROM (SELECT privacybee.api_contacts_list(t.token, '', jsonb_build_object('q', q.q), NULL, NULL) AS r
  FROM bench_search_token t, bench_q q WHERE q.id = :n) AS s;
EOF
cat > "$dir/structured.pgbench" <<EOF
\set n random(1, $nf)
SELECT (r).status FROM (SELECT privacybee.api_contacts_search(t.token, '', '{}', jsonb_build_object('filter', f.f, 'limit', 10), NULL) AS r
  FROM bench_search_token t, bench_f f WHERE f.id = :n) AS s;
EOF

# p99 (and p50) in ms of a pgbench run's per-transaction log
percentiles() {
    cat "$1"/log.* | awk '{ print $3 }' | sort -n |
        awk '{ a[NR] = $1 } END { printf "%.2f %.2f %d\n", a[int(NR * 0.5)] / 1000, a[int(NR * 0.99)] / 1000, NR }'
}
run_q() { local name=$1; rm -rf "${dir:?}/$name"; mkdir -p "$dir/$name"; (cd "$dir/$name" && "$bin/pgbench" -n -c 2 -j 2 -T "$secs" \
        -l --log-prefix=log -f "$dir/$name.pgbench" >/dev/null 2>&1); percentiles "$dir/$name"; }

echo "== full-text search, ${secs} s at 2 clients"
read -r ft50 ft99 ftn < <(run_q fulltext)
echo "== structured search, ${secs} s at 2 clients"
read -r st50 st99 stn < <(run_q structured)

echo "== sync of 1,000 rich contacts beside COPY of the same rows"
psql_q -v out="$dir/rich.tsv" <<'SQL'
CREATE TABLE bench_rich AS
SELECT b, jsonb_agg(jsonb_build_object(
           'external_id', 'rich-' || pg_catalog.txid_current() || '-' || b || '-' || i,
           'labels', jsonb_build_array('Group ' || i % 9, 'VIP'),
           'details', jsonb_build_object(
               'name', jsonb_build_object('given', 'Given' || i, 'family', 'Family' || b),
               'emails', jsonb_build_array(jsonb_build_object('type', 'work', 'value', 'r' || i || '@x' || b || '.example')),
               'phone_numbers', jsonb_build_array(jsonb_build_object('type', 'mobile',
                   'value', '+1 646 ' || (200 + b) || ' ' || lpad(i::text, 4, '0'))),
               'addresses', jsonb_build_array(jsonb_build_object('street', i || ' Main St', 'city', 'Austin')),
               'organizations', jsonb_build_array(jsonb_build_object('name', 'Initech', 'title', 'Engineer')),
               'birthday', jsonb_build_object('month', 1 + i % 12, 'day', 1 + i % 28),
               'notes', 'Met at the conference ' || i))) AS items
  FROM generate_series(1, 5) b, generate_series(1, 1000) i GROUP BY b;
CREATE TABLE bench_plain (user_id bigint, id bigint, external_id text, display_name text,
                          details jsonb, emails text[], phones text[], labels text[]);
COPY (SELECT 1, i, 'rich-' || i, 'Given' || i || ' Family', e -> 'details', ARRAY['r' || i || '@x.example'],
             ARRAY['+1646200' || lpad(i::text, 4, '0')], ARRAY['VIP']
        FROM bench_rich, jsonb_array_elements(items) WITH ORDINALITY AS x(e, i) WHERE b = 1)
  TO :'out';
SQL
cat > "$dir/sync.sql" <<SQL
CREATE FUNCTION pg_temp.time_ms(sql text) RETURNS double precision LANGUAGE plpgsql AS \$\$
DECLARE t timestamptz := clock_timestamp();
BEGIN EXECUTE sql; RETURN extract(epoch FROM clock_timestamp() - t) * 1000; END \$\$;
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s),
       (SELECT min(pg_temp.time_ms('TRUNCATE bench_plain; COPY bench_plain FROM ''$dir/rich.tsv'''))
          FROM generate_series(1, 5))
  FROM (SELECT pg_temp.time_ms(format(
               'SELECT privacybee.sync_contacts(%s, (SELECT r.items FROM bench_rich r WHERE r.b = %s))',
               (SELECT p.id FROM privacybee.people p WHERE p.last_name = 'Member 2'), r.b)) AS s
          FROM bench_rich r) AS t;
SQL
read -r sync_ms copy_ms < <(psql -X -q -At -F' ' -f "$dir/sync.sql" | tail -n1)
sync_rows=$(awk -v ms="$sync_ms" 'BEGIN { printf "%.0f", 1000 / ms * 1000 }')
copy_rows=$(awk -v ms="$copy_ms" 'BEGIN { printf "%.0f", 1000 / ms * 1000 }')

echo
printf "%-52s %12s %22s %10s\n" "figure" "measured" "reference" "target"
printf "%-52s %12s %22s %10s\n" "full-text search p99, 10,000 of 1M contacts (ms)" "$ft99" "p50 $ft50, n=$ftn" "<= 20"
printf "%-52s %12s %22s %10s\n" "structured search p99, 10,000 of 1M contacts (ms)" "$st99" "p50 $st50, n=$stn" "<= 20"
printf "%-52s %12s %22s %10s\n" "sync_contacts x1000 rich contacts (rows/s)" "$sync_rows" "COPY $copy_rows" \
    "$(awk -v s="$sync_rows" -v c="$copy_rows" 'BEGIN { printf "%.2fx", s / c }')"
