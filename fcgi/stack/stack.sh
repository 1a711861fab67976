#!/usr/bin/env bash
# stack.sh — start or stop a whole privacybee stack in one directory:
# a PostgreSQL cluster, privacybee-fcgi (master + workers) and nginx.
#
#   stack.sh start DIR PORT demo|test    idempotent: a running stack is left as it is
#   stack.sh stop DIR
#
# Everything lives under DIR (data, sockets, logs, pids). PostgreSQL listens on a unix
# socket only, so stacks never collide on TCP ports other than nginx's PORT. As root the
# cluster runs as the postgres user and nginx workers as www-data; privacybee-fcgi's
# socket is mode 0660 in nginx's group, so only nginx can speak FastCGI to it.
# Environment: PG_CONFIG (whose PostgreSQL runs the cluster), FCGI_BIN (default fcgi/privacybee-fcgi), FCGI_WORKERS, FCGI_THREADS, FCGI_CONNECTIONS,
# KEEPALIVE (nginx's upstream pool),
# TWILIO_AUTH_TOKEN_FILE and PUBLIC_URL (telephony webhooks must then be signed), and the
# nginx rate limits RATE_{RW,DELETE,LIST,LOOKUP,ADDR}, BURST_*, RETRY_*, RATE_ADDR_EXEMPT
# and timeouts BODY_TIMEOUT, FCGI_READ_TIMEOUT (defaults in fcgi/nginx/configure.sh).
# SHARDS=N (N >= 1): the sharded layout of docs/sharding.md on the one cluster: database
# privacybee is a PL/Proxy proxy (sql/proxy/) over N shard databases privacybee_shard_<k>,
# each the whole extension; privacybee-fcgi, make run's env and the suites see the proxy.
# Unset: privacybee is the one database. A stack keeps the layout it was made with.
# STANDBY=1: a hot standby of the cluster on loopback (pg_basebackup -R, streaming, its
# own unix socket under DIR/standby); privacybee-fcgi serves the read-only routes from it
# (--dsn-read) and the API's role commits with synchronous_commit = remote_apply, so a
# read that follows a write sees it (docs/sharding.md, "Hot standby"). Not with SHARDS.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cmd=${1:?usage: stack.sh start DIR PORT MODE | stop DIR}
dir=${2:?directory}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

pgbin=$(${PG_CONFIG:-pg_config} --bindir)
fcgi_workers=${FCGI_WORKERS:-2}
fcgi_threads=${FCGI_THREADS:-64}
pgport=5432
db=privacybee
api_role=privacybee_api
delivery_role=privacybee_delivery

if [ "$(id -u)" = 0 ]; then
    pg_user=postgres
    web_user=www-data
    as_pg() { runuser -u postgres -- "$@"; }
else
    pg_user=$(id -un)
    web_user=$(id -un)
    as_pg() { "$@"; }
fi
web_group=$(id -gn "$web_user")

psql_db() { as_pg "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/pg" -p "$pgport" -d "$db" "$@"; }
psql_on() { local d=$1; shift; as_pg "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/pg" -p "$pgport" -d "$d" "$@"; }

# Whether a pid file names a live process of this stack. A pid file outlives a kill -9, and
# its pid is then, for a while, a zombie awaiting its reaper (init, in its own time), and
# later maybe another process altogether (pid_max can be 32768): neither may pass for our
# privacybee-fcgi or nginx, or start would keep a dead service and stop signal a stranger.
# Ours name this stack's directory on their command line (--pid-file, nginx -c).
pid_alive() {
    local pid
    [ -f "$1" ] && pid=$(head -n1 "$1") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # the state follows the last ')' of /proc/PID/stat (the name before it may hold any)
    case "$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$pid/stat" 2>/dev/null)" in Z | "") return 1 ;; esac
    grep -qaF "$dir/" "/proc/$pid/cmdline" 2>/dev/null
}

# pg_cron (Debian postgresql-15-cron), when installed, runs privacybee.maintenance()
# nightly and recompute_trust() weekly (docs/operations.md, "Maintenance"). It must be preloaded and
# told the database its jobs run in; background workers run them, since the cluster has
# no TCP listener. Written on every start (a cluster made before pg_cron was installed
# gets it at its next start); the jobs are scheduled by schedule_pg_cron.
setup_pg_cron() {
    local conf="$dir/pg/data/pg_cron.conf"
    if [ -f "$(${PG_CONFIG:-pg_config} --pkglibdir)/pg_cron.so" ]; then
        printf "%s\n" "shared_preload_libraries = 'pg_cron'" "cron.database_name = '$db'" \
            "cron.use_background_workers = on" > "$conf"
    else
        : > "$conf"
    fi
    chown "$pg_user" "$conf"
    grep -qx "include_if_exists = 'pg_cron.conf'" "$dir/pg/data/postgresql.conf" ||
        echo "include_if_exists = 'pg_cron.conf'" >> "$dir/pg/data/postgresql.conf"
}

schedule_pg_cron() {
    local preload
    preload=$(psql_db -U postgres -Atc "SHOW shared_preload_libraries")
    case ",${preload// /}," in
    *,pg_cron,*)
        psql_db -U postgres -o /dev/null -c "SET client_min_messages = warning" \
            -c "CREATE EXTENSION IF NOT EXISTS pg_cron" -c "SELECT privacybee.schedule_maintenance()"
        ;;
    esac
}

start_postgres() {
    if [ ! -f "$dir/pg/data/PG_VERSION" ]; then
        mkdir -p "$dir/pg/data" "$dir/log"
        chown "$pg_user" "$dir/pg" "$dir/pg/data"
        chmod 700 "$dir/pg/data"
        as_pg "$pgbin/initdb" -D "$dir/pg/data" -E UTF8 --no-locale -A trust -U postgres >/dev/null
        cat >> "$dir/pg/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir/pg'
port = $pgport
max_connections = 200
shared_buffers = 256MB
fsync = on
logging_collector = off
log_min_messages = warning
EOF
    fi
    setup_pg_cron
    touch "$dir/log/postgres.log"
    chown "$pg_user" "$dir/log/postgres.log"
    if ! as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" status >/dev/null 2>&1; then
        as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -l "$dir/log/postgres.log" -w -t 60 start >/dev/null
    fi
}

database_exists() {
    as_pg "$pgbin/psql" -X -Atq -h "$dir/pg" -p "$pgport" -d postgres \
        -c "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1
}

# One database with the whole extension: privacybee alone, or shard k of n (become_shard).
setup_extension_db() {
    local name=$1 shard=${2:-} shards=${3:-}
    as_pg "$pgbin/createdb" -h "$dir/pg" -p "$pgport" -U postgres "$name"
    psql_on "$name" -U postgres -o /dev/null <<EOF
SET client_min_messages = warning;
CREATE EXTENSION privacybee CASCADE;
DO \$\$ BEGIN CREATE ROLE $api_role LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
SELECT privacybee.grant_api('$api_role');
DO \$\$ BEGIN CREATE ROLE $delivery_role LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
SELECT privacybee.grant_delivery('$delivery_role');
ALTER DATABASE $name SET privacybee.dev_endpoints = on;
-- webhooks may post over http to loopback (a receiver on this machine: the tests, a demo)
ALTER DATABASE $name SET privacybee.webhooks_allow_loopback = on;
$( [ -n "$shard" ] && echo "SELECT privacybee.become_shard($shard, $shards);" )
EOF
    if [ "$mode" = test ]; then
        # retries after 200 ms, 400 ms, ... so the suites see several in seconds
        psql_on "$name" -U postgres -o /dev/null -c "ALTER DATABASE $name SET privacybee.webhooks_retry_delay = '200ms'"
    fi
}

# The proxy (docs/sharding.md): PL/Proxy, the functions of sql/proxy/, the shards'
# connection strings (the cluster's unix socket), the API role's grants.
setup_proxy_db() {
    local shards=$1 conn=() k
    for k in $(seq 0 $((shards - 1))); do
        setup_extension_db "${db}_shard_$k" "$k" "$shards"
        conn+=("'host=$dir/pg port=$pgport dbname=${db}_shard_$k'")
    done
    as_pg "$pgbin/createdb" -h "$dir/pg" -p "$pgport" -U postgres "$db"
    psql_db -U postgres -o /dev/null -c "SET client_min_messages = warning" \
        -c "CREATE EXTENSION plproxy" -f "$top/sql/proxy/privacybee-proxy.sql"
    psql_db -U postgres -o /dev/null <<EOF
SELECT privacybee.configure_proxy(ARRAY[$(IFS=,; echo "${conn[*]}")]);
SELECT privacybee.grant_proxy_api('$api_role');
ALTER DATABASE $db SET privacybee.dev_endpoints = on;
EOF
    echo "$shards" > "$dir/shards"
}

setup_database() {
    local mode=$1
    if ! database_exists "$db"; then
        if [ -n "${SHARDS:-}" ]; then
            setup_proxy_db "$SHARDS"
        else
            setup_extension_db "$db"
        fi

        if [ "$mode" = demo ]; then
            psql_db -U postgres -f "$top/sql/demo.sql" >/dev/null
        fi
    fi
    # pg_cron's jobs run in one database: the extension's, or the proxy, which runs each
    # on every shard (docs/sharding.md)
    schedule_pg_cron
    if [ "$mode" = demo ]; then
        # tokens for the demo member (every scope its own app may hold, as the route registry
        # gives them: README's examples use them all) and the telephony service; only
        # hashes are stored
        if [ ! -s "$dir/demo-token" ]; then
            # Ada's id and the scopes are read where the tables and the registry are (with
            # SHARDS, shard 0: people are reference data; the proxy has neither), the token
            # issued where an operator issues one (the proxy writes it to every shard)
            local ada_scopes ext_db=$db
            [ -f "$dir/shards" ] && ext_db=${db}_shard_0
            ada_scopes=$(psql_on "$ext_db" -U postgres -At -c "SELECT id || ' ' ||
                ARRAY(SELECT s.scope FROM privacybee.scopes() AS s
                       WHERE s.holder IN ('member', 'app') ORDER BY 1)::text
                FROM privacybee.people WHERE first_name = 'Ada' ORDER BY id LIMIT 1")
            ( umask 077; psql_db -U postgres -At \
                -c "SELECT privacybee.issue_token(${ada_scopes%% *}, '${ada_scopes#* }', '365 days')" \
                > "$dir/demo-token" )
        fi
        if [ ! -s "$dir/service-token" ]; then
            ( umask 077; psql_db -U postgres -At -c \
                "SELECT privacybee.issue_token(NULL, '{buzz:lookup}', '365 days')" \
                > "$dir/service-token" )
        fi
    fi
}

stop_fcgi() {
    if pid_alive "$dir/fcgi/master.pid"; then
        local pid
        pid=$(head -n1 "$dir/fcgi/master.pid")
        kill -TERM "$pid"
        for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    fi
}

# The hot standby (STANDBY=1): a base backup of the running cluster that follows it by
# streaming replication, named so that the primary waits for it to apply each of the API
# role's commits (synchronous_commit = remote_apply for that role only: the telephony
# lookup's blocked-call log commits asynchronously anyway, and maintenance never waits).
start_standby() {
    local sb="$dir/standby"
    if [ -n "${SHARDS:-}" ]; then
        echo "STANDBY with SHARDS is not supported (docs/sharding.md)" >&2
        exit 2
    fi
    if [ ! -f "$sb/data/PG_VERSION" ]; then
        mkdir -p "$sb/data"
        chown "$pg_user" "$sb" "$sb/data"
        chmod 700 "$sb/data"
        as_pg "$pgbin/pg_basebackup" -h "$dir/pg" -p "$pgport" -U postgres -D "$sb/data" -R -X stream -c fast
        cat >> "$sb/data/postgresql.auto.conf" <<EOF
primary_conninfo = 'host=$dir/pg port=$pgport user=postgres application_name=privacybee_standby'
EOF
        # its own socket directory; everything else as the primary's
        echo "unix_socket_directories = '$sb'" >> "$sb/data/postgresql.conf"
        psql_on postgres -U postgres -o /dev/null \
            -c "ALTER SYSTEM SET synchronous_standby_names = 'privacybee_standby'" \
            -c "ALTER ROLE $api_role SET synchronous_commit = remote_apply" \
            -c "SELECT pg_catalog.pg_reload_conf()"
    fi
    touch "$dir/log/standby.log"
    chown "$pg_user" "$dir/log/standby.log"
    if ! as_pg "$pgbin/pg_ctl" -D "$sb/data" status >/dev/null 2>&1; then
        as_pg "$pgbin/pg_ctl" -D "$sb/data" -l "$dir/log/standby.log" -w -t 60 start >/dev/null
    fi
}

start_fcgi() {
    local bin=${FCGI_BIN:-$top/fcgi/privacybee-fcgi}
    mkdir -p "$dir/fcgi"
    local signing=() read_dsn=() delivery=() delivery_dbs=("$db") k
    # a delivery process reads one database's outbox: with SHARDS, one per shard
    # (the outbox rows of a change are on its member's shard: docs/sharding.md)
    if [ -f "$dir/shards" ]; then
        delivery_dbs=()
        for k in $(seq 0 $(($(cat "$dir/shards") - 1))); do delivery_dbs+=("${db}_shard_$k"); done
    fi
    for k in "${delivery_dbs[@]}"; do
        delivery+=(--delivery-dsn "host=$dir/pg port=$pgport dbname=$k user=$delivery_role application_name=privacybee-delivery")
    done
    [ -f "$dir/standby/data/PG_VERSION" ] &&
        read_dsn=(--dsn-read "host=$dir/standby port=$pgport dbname=$db user=$api_role application_name=privacybee-fcgi")
    [ -n "${TWILIO_AUTH_TOKEN_FILE:-}" ] && signing+=(--twilio-auth-token-file "$TWILIO_AUTH_TOKEN_FILE")
    [ -n "${PUBLIC_URL:-}" ] && signing+=(--public-url "$PUBLIC_URL")
    local args=("$bin" ${signing[@]+"${signing[@]}"}
        --socket "$dir/fcgi/fcgi.sock" --socket-group "$web_group"
        --workers "$fcgi_workers" --threads "$fcgi_threads"
        --connections "${FCGI_CONNECTIONS:-4}"
        --pid-file "$dir/fcgi/master.pid"
        --dsn "host=$dir/pg port=$pgport dbname=$db user=$api_role application_name=privacybee-fcgi"
        ${read_dsn[@]+"${read_dsn[@]}"}
        "${delivery[@]}")
    # A running front-end is left as it is only when it runs with these very settings: a
    # start with others (signing on, more workers, another binary) restarts it and says so,
    # rather than keep the old ones silently.
    if pid_alive "$dir/fcgi/master.pid"; then
        if [ "$(printf '%s\n' "${args[@]}")" = "$(cat "$dir/fcgi/settings" 2>/dev/null)" ]; then
            return
        fi
        echo "privacybee-fcgi: its settings changed; restarting it with the new ones" >&2
        stop_fcgi
    fi
    printf '%s\n' "${args[@]}" > "$dir/fcgi/settings"
    setsid "${args[@]}" >>"$dir/log/fcgi.log" 2>&1 < /dev/null &
    for _ in $(seq 100); do
        [ -S "$dir/fcgi/fcgi.sock" ] && pid_alive "$dir/fcgi/master.pid" && return
        sleep 0.05
    done
    echo "privacybee-fcgi did not start; see $dir/log/fcgi.log" >&2
    tail -n 20 "$dir/log/fcgi.log" >&2
    exit 1
}

start_nginx() {
    local port=$1
    mkdir -p "$dir/nginx/tmp"
    chown "$web_user" "$dir/nginx/tmp"
    local before
    before=$(cat "$dir"/nginx/*.conf 2>/dev/null | md5sum || true)
    # nginx's upstream pool (KEEPALIVE, fcgi/nginx/configure.sh): each kept connection pins
    # a privacybee-fcgi thread, so nginx's 2 workers keep a quarter of all threads at most:
    # 16 for the default 2 x 64; with other FCGI_WORKERS / FCGI_THREADS set KEEPALIVE too
    if [ $(( ${KEEPALIVE:-16} * 2 * 4 )) -gt $(( fcgi_workers * fcgi_threads )) ]; then
        echo "KEEPALIVE=${KEEPALIVE:-16}: 2 nginx workers would pin more than a quarter of" \
             "$fcgi_workers x $fcgi_threads privacybee-fcgi threads" >&2
        exit 2
    fi
    # the production snippets, with the rate limits and timeouts of the environment
    # (defaults and variables: fcgi/nginx/configure.sh), included by the development config
    bash "$top/fcgi/nginx/configure.sh" "$dir/nginx" "$top/fcgi/nginx" "$dir/fcgi/fcgi.sock"
    sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" \
        -e "s|@USER@|$( [ "$(id -u)" = 0 ] && echo "user $web_user;" )|" \
        "$top/fcgi/nginx/privacybee.conf.in" > "$dir/nginx/nginx.conf"
    # a running nginx takes a changed configuration (rate limits, timeouts, port), and says so
    if pid_alive "$dir/nginx/nginx.pid"; then
        if [ "$(cat "$dir"/nginx/*.conf | md5sum)" != "$before" ]; then
            echo "nginx: its settings changed; reloading it with the new ones" >&2
            nginx -c "$dir/nginx/nginx.conf" -p "$dir/nginx" -e "$dir/log/nginx-error.log" -s reload
        fi
        return
    fi
    nginx -c "$dir/nginx/nginx.conf" -p "$dir/nginx" -e "$dir/log/nginx-error.log"
    for _ in $(seq 100); do
        pid_alive "$dir/nginx/nginx.pid" && return
        sleep 0.05
    done
    echo "nginx did not start; see $dir/log/nginx-error.log" >&2
    exit 1
}

write_env() {
    local port=$1
    cat > "$dir/env" <<EOF
export PGHOST='$dir/pg'
export PGPORT='$pgport'
export PGDATABASE='$db'
export PGUSER='postgres'
export PRIVACYBEE_URL='http://127.0.0.1:$port'
EOF
    [ -f "$dir/standby/data/PG_VERSION" ] && echo "export PRIVACYBEE_STANDBY_HOST='$dir/standby'" >> "$dir/env"
    [ -f "$dir/shards" ] && echo "export PRIVACYBEE_SHARDS='$(cat "$dir/shards")'" >> "$dir/env"
    return 0
}

stop_stack() {
    if pid_alive "$dir/nginx/nginx.pid"; then
        nginx -c "$dir/nginx/nginx.conf" -p "$dir/nginx" -e "$dir/log/nginx-error.log" -s quit || true
    fi
    stop_fcgi
    if [ -f "$dir/standby/data/PG_VERSION" ]; then
        as_pg "$pgbin/pg_ctl" -D "$dir/standby/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    if [ -f "$dir/pg/data/PG_VERSION" ]; then
        as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    for _ in $(seq 100); do pid_alive "$dir/nginx/nginx.pid" || break; sleep 0.05; done
}

case "$cmd" in
start)
    port=${3:?port}
    mode=${4:-demo}
    start_postgres
    setup_database "$mode"
    if [ -n "${STANDBY:-}" ] || [ -f "$dir/standby/data/PG_VERSION" ]; then
        start_standby
    fi
    start_fcgi
    start_nginx "$port"
    write_env "$port"
    if [ "$mode" = demo ]; then
        token=$(cat "$dir/demo-token")
        lookup="/apps/buzz/trust-lookup?number_code=1&number=2025550100&inbound_code=1&inbound=2125550199"
        # with signing on, the line is signed as the provider signs (X-Twilio-Signature:
        # base64 HMAC-SHA1 of the URL the front-end checks, fcgi/signature.c), so it works
        signed=""
        if [ -n "${TWILIO_AUTH_TOKEN_FILE:-}" ]; then
            signature=$(printf '%s' "${PUBLIC_URL:-http://127.0.0.1:$port}$lookup" |
                openssl dgst -sha1 -binary -hmac "$(head -n1 "$TWILIO_AUTH_TOKEN_FILE")" | base64)
            signed=" -H 'X-Twilio-Signature: $signature'"
        fi
        cat <<EOF
privacybee is running on http://127.0.0.1:$port  (make stop to stop it)
demo token (member Ada): $token
  curl -s -H "Authorization: Bearer $token" 'http://127.0.0.1:$port/contacts?include=emails,phone_numbers'
telephony service token (buzz:lookup): $(cat "$dir/service-token")
  curl -s -H "Authorization: Bearer $(cat "$dir/service-token")"$signed 'http://127.0.0.1:$port$lookup'
SQL: . $dir/env && psql
EOF
        if [ -n "${TWILIO_AUTH_TOKEN_FILE:-}" ]; then
            echo "(signing is on: telephony requests need X-Twilio-Signature; the line above carries one for that exact URL)"
        fi
    fi
    ;;
stop)
    stop_stack
    ;;
*)
    echo "usage: stack.sh start DIR PORT MODE | stop DIR" >&2
    exit 2
    ;;
esac
