#!/usr/bin/env bash
# run.sh — the extension's upgrade path, checked on the test cluster (PGHOST/PGPORT):
#
#   1. a database at the oldest released version, filled by data-<oldest>.sql with rows
#      in every table;
#   2. ALTER EXTENSION privacybee UPDATE, one released version at a time, to the
#      current one;
#   3. the data equals what was loaded, table by table and column by column, for every
#      column both versions have; checks.sql adds what a migration promises beyond that
#      (each of its queries lists problems and must return no row);
#   4. the schema then equals a fresh install of the current version: pg_dump
#      --schema-only --binary-upgrade (which lists an extension's own objects) minus
#      OIDs and privileges, and the privileges of every object from the catalog.
# Also: the roles the extension creates exist already here (another database of the
# cluster made them), which is the case a second install must handle; and a role given
# the API with grant_api() before the update can call every route function after it.
# Prints "ok: …" / "not ok: …" lines, one per check.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=$(${PG_CONFIG:-pg_config} --bindir)
work=${UPGRADE_WORKDIR:-$top/.test/upgrade}
mkdir -p "$work"
psql_() { PGOPTIONS="-c client_min_messages=warning" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -U postgres "$@"; }
check() { if [ "$1" = 0 ]; then echo "ok: upgrade: $2"; else echo "not ok: upgrade: $2"; fi; }

versions=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$top/privacybee.control")
oldest=$(ls "$top"/sql/privacybee--*.sql | sed -n 's|.*/privacybee--\([0-9.]*\)\.sql$|\1|p' | sort -V | head -n1)
old=pb_upgrade_old
new=pb_upgrade_new
api_role=pb_upgrade_api

for db in $old $new; do
    psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
done

# 1. the oldest release, with data, and the API granted to a role
psql_ -d postgres -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
    WHERE rolname = '$api_role') THEN CREATE ROLE $api_role; END IF; END \$\$" >/dev/null
# data-<oldest>.sql (rows in every table), the release's demo data and its larger sets
# (data-<oldest>-*.sql: a member with 10,000 contacts)
load() {
    for f in "$here/data-$oldest.sql" "$here/demo-$oldest.sql" "$here"/data-"$oldest"-*.sql; do
        [ -f "$f" ] || continue
        psql_ -d $old -f "$f" >/dev/null || return 1
    done
}
psql_ -d $old -c "CREATE EXTENSION privacybee VERSION '$oldest'" >/dev/null &&
    load &&
    psql_ -d $old -c "SELECT privacybee.grant_api('$api_role')" >/dev/null
check $? "install $oldest, load data-$oldest.sql, demo-$oldest.sql, data-$oldest-*.sql, grant_api('$api_role')"

tables() {
    psql_ -d $old -At -c "SELECT c.relname FROM pg_catalog.pg_class c
        WHERE c.relnamespace = 'privacybee'::regnamespace AND c.relkind = 'r' ORDER BY 1"
}
empty=""
for t in $(tables); do
    n=$(psql_ -d $old -At -c "SELECT count(*) FROM privacybee.$t")
    [ "$n" -gt 0 ] || empty="$empty $t"
done
[ -z "$empty" ] || echo "tables without rows in data-$oldest.sql:$empty"
check $([ -z "$empty" ]; echo $?) "every table of $oldest holds data before the update"

# a copy of every table, read back after the update (dropped before the schema compare)
psql_ -d $old -c "CREATE SCHEMA upgrade_before" >/dev/null
for t in $(tables); do
    psql_ -d $old -c "CREATE TABLE upgrade_before.$t AS SELECT * FROM privacybee.$t" >/dev/null
done

# 2. update, one release at a time (PostgreSQL finds the path; we walk it explicitly)
path=$(psql_ -d $old -At -c "SELECT path FROM pg_catalog.pg_extension_update_paths('privacybee')
        WHERE source = '$oldest' AND target = '$versions'")
status=0
# what the current version requires (privacybee.control) is created first, as README's
# "Upgrading" says: ALTER EXTENSION UPDATE has no CASCADE
for r in $(sed -n "s/^requires = '\(.*\)'/\1/p" "$top/privacybee.control" | tr ',' ' '); do
    psql_ -d $old -c "CREATE EXTENSION IF NOT EXISTS $r" >/dev/null || status=1
done
if [ -z "$path" ]; then
    echo "no update path from $oldest to $versions"
    status=1
else
    started=$(date +%s%N)
    for v in $(echo "$path" | tr -s '-' ' ' | cut -d' ' -f2-); do
        psql_ -d $old -c "ALTER EXTENSION privacybee UPDATE TO '$v'" >/dev/null || status=1
    done
    echo "the update took $(( ($(date +%s%N) - started) / 1000000 )) ms for" \
         "$(psql_ -d $old -At -c "SELECT count(*) FROM privacybee.contacts") contacts"
fi
check $status "ALTER EXTENSION privacybee UPDATE: $path"

# 3. data equals what was loaded, for the columns both versions have
status=0
for t in $(psql_ -d $old -At -c "SELECT relname FROM pg_catalog.pg_class
                                 WHERE relnamespace = 'upgrade_before'::regnamespace ORDER BY 1"); do
    common=$(psql_ -d $old -At -c "SELECT string_agg(quote_ident(b.attname), ',' ORDER BY b.attnum)
        FROM pg_catalog.pg_attribute b
        JOIN pg_catalog.pg_attribute a ON a.attname = b.attname AND a.attnum > 0 AND NOT a.attisdropped
         AND a.attrelid = to_regclass('privacybee.$t')
       WHERE b.attrelid = 'upgrade_before.$t'::regclass AND b.attnum > 0")
    if [ -z "$common" ]; then
        echo "table $t is gone after the update; checks.sql must show where its rows went"
        continue
    fi
    diff=$(psql_ -d $old -At -c "
        SELECT count(*) FROM ((SELECT $common FROM upgrade_before.$t
                               EXCEPT ALL SELECT $common FROM privacybee.$t)
                              UNION ALL
                              (SELECT $common FROM privacybee.$t
                               EXCEPT ALL SELECT $common FROM upgrade_before.$t)) AS d")
    if [ "$diff" != 0 ]; then
        echo "table $t: $diff rows differ after the update (columns $common)"
        status=1
    fi
done
check $status "every row of every table is kept, column by column"

out=$(psql_ -d $old -At -f "$here/checks.sql" 2>&1)
status=$?
[ -n "$out" ] && { echo "$out"; status=1; }
check $status "checks.sql: what the migrations promise (trust_verify() empty, …)"
psql_ -d $old -c "DROP SCHEMA upgrade_before CASCADE" >/dev/null

# the API role can still call every route function, whichever the update re-created
missing=$(psql_ -d $old -At -c "SELECT count(*) || ' ' || COALESCE(string_agg(p.oid::regprocedure::text, ', ')
        FILTER (WHERE NOT pg_catalog.has_function_privilege('$api_role', p.oid, 'EXECUTE')), '')
    FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'privacybee'::regnamespace
     AND p.proname LIKE 'api\_%'")
status=$?
case "$missing" in [1-9]*" ") ;; *) echo "$api_role cannot execute: $missing"; status=1 ;; esac
check $status "a role given the API before the update keeps it on every route function"

# 4. schema equals a fresh install (with the API granted to the same role)
psql_ -d $new -c "CREATE EXTENSION privacybee CASCADE" >/dev/null &&
    psql_ -d $new -c "SELECT privacybee.grant_api('$api_role')" >/dev/null
check $? "fresh install of $versions in a cluster whose roles exist already"

schema() {
    "$bin/pg_dump" -U postgres --schema-only --binary-upgrade --no-privileges "$1" |
        grep -vE "pg_catalog.setval|binary_upgrade_set_next|^\\\\(un)?restrict|relfrozenxid|^WHERE oid = |^-- Dumped" |
        # the extensions privacybee requires are a set: pg_dump lists them in catalog order
        perl -pe 's/(ARRAY\[)([^\]]*)(\]::pg_catalog\.text\[\])/$1 . join(",", sort split(",", $2)) . $3/e'
}
# an ACL's items in a fixed order: the order grants were made in means nothing
privileges() {
    psql_ -d "$1" -At -c "
        CREATE FUNCTION pg_temp.acl(a aclitem[]) RETURNS text LANGUAGE sql AS
            'SELECT pg_catalog.string_agg(i::text, '','' ORDER BY i::text) FROM pg_catalog.unnest(a) AS i';
        SELECT pg_catalog.pg_describe_object(d.classid, d.objid, 0) || ' ' ||
               COALESCE((SELECT pg_temp.acl(p.proacl) FROM pg_catalog.pg_proc p
                          WHERE d.classid = 'pg_proc'::regclass AND p.oid = d.objid),
                        (SELECT pg_temp.acl(c.relacl) FROM pg_catalog.pg_class c
                          WHERE d.classid = 'pg_class'::regclass AND c.oid = d.objid),
                        (SELECT pg_temp.acl(t.typacl) FROM pg_catalog.pg_type t
                          WHERE d.classid = 'pg_type'::regclass AND t.oid = d.objid), '')
          FROM pg_catalog.pg_depend d
         WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
           AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'privacybee')
        UNION ALL
        SELECT 'schema privacybee ' || COALESCE(pg_temp.acl(n.nspacl), '')
          FROM pg_catalog.pg_namespace n WHERE n.nspname = 'privacybee'
        ORDER BY 1"
}
schema $old > "$work/schema-updated.sql"
schema $new > "$work/schema-fresh.sql"
diff -u "$work/schema-fresh.sql" "$work/schema-updated.sql" > "$work/schema.diff"
status=$?
[ $status = 0 ] || head -n 60 "$work/schema.diff"
check $status "schema after the update equals a fresh install (pg_dump)"
privileges $old > "$work/privileges-updated"
privileges $new > "$work/privileges-fresh"
diff -u "$work/privileges-fresh" "$work/privileges-updated"
check $? "privileges after the update equal a fresh install"

psql_ -d $new -At -c "SELECT rolname, rolsuper, rolcanlogin, rolbypassrls, rolinherit
                        FROM pg_catalog.pg_roles WHERE rolname IN ('privacybee_member', 'privacybee_system') ORDER BY 1" \
    > "$work/roles"
printf 'privacybee_member|f|f|f|f\nprivacybee_system|f|f|t|f\n' | diff -u - "$work/roles"
check $? "the extension's roles: no login, no superuser, only privacybee_system bypasses row security"

for db in $old $new; do
    psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
done
psql_ -d postgres -c "DROP ROLE IF EXISTS $api_role" >/dev/null
