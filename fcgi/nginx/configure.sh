#!/usr/bin/env bash
# configure.sh OUTDIR NGINX_DIR FCGI_SOCKET — write OUTDIR/privacybee-http.conf and
# OUTDIR/privacybee-server.conf, the nginx snippets of privacybee, from their templates
# beside this script: NGINX_DIR is where the files they include are (privacybee-routes.conf,
# errors.conf, …), FCGI_SOCKET privacybee-fcgi's socket. Rate limits and timeouts come from
# the environment, with the defaults below (the only place they are written):
#   RATE_RW, BURST_RW, RETRY_RW          reads and writes           60r/m, 30, 1 s
#   RATE_DELETE, BURST_DELETE, RETRY_DELETE  deletes                10r/m, 5, 6 s
#   RATE_LIST, BURST_LIST, RETRY_LIST    the GET /contacts listing  20r/m, 10, 3 s
#   RATE_LOOKUP, BURST_LOOKUP            trust-lookup / call-lookup 50r/s, 200 (Retry-After 1 s)
#   RATE_ADDR, BURST_ADDR                every request, per client address  100r/s, 400
#   RATE_ADDR_EXEMPT                     addresses or CIDR ranges, space-separated, not
#                                        limited per address (none)
#   BODY_TIMEOUT, FCGI_READ_TIMEOUT      nginx's client_body_timeout, fastcgi_read_timeout  60s
#   KEEPALIVE                            FastCGI connections each nginx worker keeps  16
#                                        (at most a quarter of privacybee-fcgi's threads
#                                        over nginx's workers: privacybee-http.conf.in)
# make install runs it for a production nginx; fcgi/stack/stack.sh for make run and make
# test, whose development config includes what it writes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: configure.sh OUTDIR NGINX_DIR FCGI_SOCKET}
nginx_dir=${2:?NGINX_DIR}
socket=${3:?FCGI_SOCKET}

exempt=""
for a in ${RATE_ADDR_EXEMPT:-}; do
    [[ $a =~ ^[0-9A-Fa-f:.]+(/[0-9]+)?$ ]] || { echo "RATE_ADDR_EXEMPT: not an address: $a" >&2; exit 2; }
    exempt+="    $a 1;"
done

mkdir -p "$out"
for name in privacybee-http.conf privacybee-server.conf; do
    # the generated locations of the routes with a body limit of their own, in their place
    sed -e "/^@LIMITED_ROUTES@\$/{r $here/privacybee-limits.conf.in" -e "d}" "$here/$name.in" |
    sed -e "s|@NGINX_DIR@|$nginx_dir|g" -e "s|@FCGI_SOCKET@|$socket|g" \
        -e "s|@RATE_RW@|${RATE_RW:-60r/m}|" -e "s|@BURST_RW@|${BURST_RW:-30}|" -e "s|@RETRY_RW@|${RETRY_RW:-1}|" \
        -e "s|@RATE_DELETE@|${RATE_DELETE:-10r/m}|" -e "s|@BURST_DELETE@|${BURST_DELETE:-5}|" \
        -e "s|@RETRY_DELETE@|${RETRY_DELETE:-6}|" \
        -e "s|@RATE_LIST@|${RATE_LIST:-20r/m}|" -e "s|@BURST_LIST@|${BURST_LIST:-10}|" \
        -e "s|@RETRY_LIST@|${RETRY_LIST:-3}|" \
        -e "s|@RATE_LOOKUP@|${RATE_LOOKUP:-50r/s}|" -e "s|@BURST_LOOKUP@|${BURST_LOOKUP:-200}|" \
        -e "s|@RATE_ADDR@|${RATE_ADDR:-100r/s}|" -e "s|@BURST_ADDR@|${BURST_ADDR:-400}|" \
        -e "s|^@ADDR_EXEMPT@\$|$exempt|" \
        -e "s|@BODY_TIMEOUT@|${BODY_TIMEOUT:-60s}|" -e "s|@FCGI_READ_TIMEOUT@|${FCGI_READ_TIMEOUT:-60s}|" \
        -e "s|@KEEPALIVE@|${KEEPALIVE:-16}|" \
        > "$out/$name.tmp"
    if grep -n '@[A-Z_]*@' "$out/$name.tmp" >&2; then
        echo "configure.sh: a placeholder of $name.in has no value" >&2
        exit 1
    fi
    mv "$out/$name.tmp" "$out/$name"
done
