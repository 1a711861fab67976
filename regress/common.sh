# common.sh — shell helpers that make test, make bench and make soak share (sourced).

# The first TCP port on 127.0.0.1 from $1 on (900 tried) that nothing listens on.
free_port() {
    for p in $(seq "$1" $(($1 + 900))); do
        (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
    done
    return 1
}

# Resident memory of the privacybee-fcgi workers of the stack in $1, in KiB.
workers_rss() {
    local t=0
    for p in $(pgrep -P "$(cat "$1/fcgi/master.pid")"); do
        t=$((t + $(awk '/VmRSS/ {print $2}' "/proc/$p/status")))
    done
    echo "$t"
}
