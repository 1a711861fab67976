#!/usr/bin/env bash
# deps.sh [bench] — install the Debian packages privacybee needs to build, run and test
# (and with "bench", what make bench adds), when they are missing. As root it runs
# apt-get; otherwise it prints the one command to run.
set -euo pipefail

packages=(
    make gcc libc6-dev                                  # the build
    postgresql-15 postgresql-server-dev-15 libpq-dev   # server, PGXS headers, libpq
    postgresql-15-cron                                  # pg_cron: nightly maintenance()
    postgresql-15-plproxy                               # PL/Proxy: the sharded layout's proxy
                                                        # (SHARDS=N, docs/sharding.md; make test)
    libfcgi-dev libjansson-dev libssl-dev nginx         # front-end (and its HMAC) and web server
    libxml2-dev                                         # front-end: WebDAV request bodies
    vdirsyncer radicale                                 # CardDAV tests: a real client, and the
                                                        # server it must see privacybee as
    openssl                                             # stack.sh signs the trust-lookup line it prints
    libcurl4-openssl-dev                                # the webhook delivery process's posts
    python3 python3-psycopg2 python3-jsonschema curl    # HTTP test suites (responses checked
                                                        # against the OpenAPI document)
    g++ libphonenumber-dev                              # the phone corpus oracle
    clang libclang-rt-14-dev                            # libFuzzer (make test, make fuzz)
    wrk                                                 # make bench
    systemd                                             # make test verifies the installed units
)
# make bench only: the PHP peer (PHP-FPM + pgsql, regress/bench/peers/php) and the chart;
# the Node peer runs on the node below
if [ "${1:-}" = bench ]; then
    packages+=(php8.2-fpm php8.2-pgsql gnuplot-nox)
fi
# node and npm (test-only: the provider's signing library, regress/twilio, and an OpenAPI
# validator, regress/openapi): Debian's,
# unless some other package already provides the commands
for cmd in node npm; do
    command -v "$cmd" >/dev/null || packages+=("$( [ "$cmd" = node ] && echo nodejs || echo npm )")
done
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "missing packages; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
