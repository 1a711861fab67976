#!/usr/bin/env bash
# carddav.sh — make bench, the CardDAV part (SPEC §15): privacybee beside Radicale (Debian's
# radicale, a CardDAV server many self-host), the same client and the same cards, in one
# run, on throwaway servers under .bench-carddav/:
#   * a phone's first sync of 5,000 cards: vdirsyncer downloads every card of an address
#     book that holds them into an empty local one (PROPFIND, then addressbook-multiget);
#     and the other way, a client's cards uploaded into an empty address book (a PUT
#     each): CARDDAV_UPLOAD cards (default 1,000, since Radicale stores about 7 a second
#     on this machine: 5,000 took it over 10 minutes);
#   * an incremental sync-collection (RFC 6578) that finds 10 changed cards among 10,000:
#     one REPORT from the token read before the changes, CARDDAV_RUNS (default 30) times,
#     median and p90 in ms.
# vdirsyncer's own work is the same on both sides. Radicale runs as Debian ships it
# (filesystem storage, one process); privacybee as make bench runs it (release
# privacybee-fcgi, rate limits off for the load from 127.0.0.1).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
dir="$top/.bench-carddav"
stack="$dir/stack"
runs=${CARDDAV_RUNS:-30}
upload=${CARDDAV_UPLOAD:-1000}

. regress/common.sh
cleanup() {
    [ -n "${radicale_pid:-}" ] && kill "$radicale_pid" 2>/dev/null || true
    bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true
}
trap cleanup EXIT

bash fcgi/stack/stack.sh stop "$stack" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir"
chmod 755 "$dir"
PG_CONFIG=$(bash regress/pg-tree.sh "$dir/pg-tree")
export PG_CONFIG
make -s install-extension > "$dir/install.log" 2>&1 || { cat "$dir/install.log"; exit 1; }
export RATE_RW=1000000r/s BURST_RW=100000 RATE_LIST=1000000r/s BURST_LIST=100000 \
       RATE_LOOKUP=1000000r/s BURST_LOOKUP=100000 RATE_DELETE=1000000r/s BURST_DELETE=100000 \
       RATE_ADDR_EXEMPT=127.0.0.1
port=$(free_port 19580)
bash fcgi/stack/stack.sh start "$stack" "$port" test >/dev/null
. "$stack/env"
export PGUSER=postgres
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# Radicale: no authentication (the user name of Basic is the owner), files under $dir
rport=$(free_port $((port + 1)))
cat > "$dir/radicale.conf" <<EOF
[server]
hosts = 127.0.0.1:$rport
[auth]
type = none
[rights]
type = owner_only
[storage]
filesystem_folder = $dir/radicale
[logging]
level = warning
EOF
radicale --config "$dir/radicale.conf" > "$dir/radicale.log" 2>&1 &
radicale_pid=$!

# one member per measurement (an empty book for the upload, 5,000 and 10,000 cards), the
# cards made by the same generator for both servers
members() {
    psql_q -At <<'SQL'
SELECT m.id || ' ' || privacybee.issue_token(m.id, '{contacts:read,contacts:write}')
  FROM (SELECT privacybee.create_member('Bench', 'Sync' || n) AS id FROM generate_series(1, 3) AS n) AS m;
SQL
}
mapfile -t accounts < <(members)

python3 - "$dir" "$upload" <<'PY'
import os, sys
d, upload = sys.argv[1], int(sys.argv[2])
def card(i):
    return ("BEGIN:VCARD\r\nVERSION:3.0\r\n"
            f"UID:bench-{i:05d}\r\nFN:Person {i:05d} Benchmark\r\nN:Benchmark;Person {i:05d};;;\r\n"
            f"TEL;TYPE=CELL:+1 415 {2000000 + i:07d}\r\nEMAIL;TYPE=INTERNET,WORK:p{i}@bench.example\r\n"
            f"ORG:Bench Co;Unit {i % 20}\r\nTITLE:Role {i % 7}\r\nNOTE:card {i}\\nsecond line\r\n"
            f"X-BENCH-KEEP:unmodelled {i}\r\nEND:VCARD\r\n")
for side, n in (("upload", upload), ("first", 5000), ("incremental", 10000)):
    os.makedirs(f"{d}/cards/{side}", exist_ok=True)
    for i in range(n):
        with open(f"{d}/cards/{side}/bench-{i:05d}.vcf", "w", newline="") as f:
            f.write(card(i))
# Radicale's address books: the cards as files, as its filesystem storage keeps them
for side in ("upload", "first", "incremental"):
    book = f"{d}/radicale/collection-root/{side}/contacts"
    os.makedirs(book)
    with open(f"{book}/.Radicale.props", "w") as f:
        f.write('{"D:displayname": "Contacts", "tag": "VADDRESSBOOK"}')
    if side != "upload":
        for name in os.listdir(f"{d}/cards/{side}"):
            os.link(f"{d}/cards/{side}/{name}", f"{book}/{name}")
PY

# privacybee's address books: the same cards, read by vcard_parse() and written by
# sync_contacts() a thousand at a time, their unmodelled properties kept as a PUT keeps them
load() {   # load USER_ID DIR
    python3 - "$1" "$2" > "$dir/load-$1.sql" <<'PY'
import os, sys
uid, folder = sys.argv[1], sys.argv[2]
names = sorted(os.listdir(folder))
for b in range(0, len(names), 1000):
    cards = [open(os.path.join(folder, n), newline="").read() for n in names[b:b + 1000]]
    print("CREATE TEMP TABLE parsed AS SELECT ord, privacybee.vcard_parse(c) AS p FROM unnest(ARRAY[")
    print(",\n".join("$card$" + c + "$card$" for c in cards))
    print("]) WITH ORDINALITY AS t(c, ord);")
    print(f"CREATE TEMP TABLE made AS SELECT privacybee.sync_contacts({uid}, "
          "(SELECT jsonb_agg(p -> 'contact' ORDER BY ord) FROM parsed)) AS ids;")
    print(f"UPDATE privacybee.contact_cards k SET extra = parsed.p ->> 'extra' FROM made, parsed "
          f"WHERE k.user_id = {uid} AND k.contact_id = made.ids[parsed.ord];")
    print("DROP TABLE parsed, made;")
PY
    psql_q -f "$dir/load-$1.sql"
}
read -r up_uid up_token <<< "${accounts[0]}"
read -r first_uid first_token <<< "${accounts[1]}"
read -r inc_uid inc_token <<< "${accounts[2]}"
load "$first_uid" "$dir/cards/first"
load "$inc_uid" "$dir/cards/incremental"
echo "== loaded: $(psql_q -At -c "SELECT string_agg(n::text, ', ') FROM (SELECT count(*) AS n FROM privacybee.contacts GROUP BY user_id ORDER BY 1) c") cards"

# wait for Radicale
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$rport) 2>/dev/null && break; sleep 0.1; done

# vdirsyncer between a local directory and one address book; prints seconds
vds() {   # vds NAME URL USER PASSWORD LOCAL_DIR
    local cfg="$dir/vds-$1"
    mkdir -p "$cfg/status" "$5"
    cat > "$cfg/config" <<EOF
[general]
status_path = "$cfg/status/"
[pair p]
a = "local"
b = "remote"
collections = null
conflict_resolution = "a wins"
[storage local]
type = "filesystem"
path = "$5"
fileext = ".vcf"
[storage remote]
type = "carddav"
url = "$2"
username = "$3"
password = "$4"
EOF
    local start end
    vdirsyncer -c "$cfg/config" discover > "$cfg/log" 2>&1 < /dev/null || { tail -5 "$cfg/log"; return 1; }
    start=$(date +%s.%N)
    vdirsyncer -c "$cfg/config" sync >> "$cfg/log" 2>&1 || { tail -5 "$cfg/log"; return 1; }
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }'
}
pb="http://127.0.0.1:$port"
rb="http://127.0.0.1:$rport"
echo "== first sync: 5,000 cards into an empty client"
pb_down=$(vds pb-down "$pb/dav/$first_uid/contacts/" "$first_uid" "$first_token" "$dir/local/pb-down")
rad_down=$(vds rad-down "$rb/first/contacts/" first x "$dir/local/rad-down")
echo "== first sync: $upload cards from a client into an empty address book"
cp -r "$dir/cards/upload" "$dir/local/pb-up"
cp -r "$dir/cards/upload" "$dir/local/rad-up"
pb_up=$(vds pb-up "$pb/dav/$up_uid/contacts/" "$up_uid" "$up_token" "$dir/local/pb-up")
rad_up=$(vds rad-up "$rb/upload/contacts/" upload x "$dir/local/rad-up")
for f in pb-down rad-down; do
    [ "$(ls "$dir/local/$f" | wc -l)" = 5000 ] || { echo "$f: not 5,000 cards"; exit 1; }
done
[ "$(psql_q -At -c "SELECT count(*) FROM privacybee.contacts WHERE user_id = $up_uid")" = "$upload" ] \
    || { echo "privacybee: the upload did not make $upload contacts"; exit 1; }
[ "$(ls "$dir/radicale/collection-root/upload/contacts" | wc -l)" = "$upload" ] \
    || { echo "radicale: the upload did not store $upload cards"; exit 1; }

echo "== incremental sync-collection: 10 changes among 10,000 cards"
python3 - "$pb/dav/$inc_uid/contacts/" "$inc_uid" "$inc_token" "$rb/incremental/contacts/" "$runs" \
    "$dir/cards/incremental" > "$dir/incremental.dat" <<'PY'
import base64, http.client, re, statistics, sys, time, urllib.parse
pb_url, uid, token, rad_url, runs, cards = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]

def conn_for(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=120), u.path

def request(url, auth, method, path, body, headers):
    c, _ = conn_for(url)
    h = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}
    h.update(headers)
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data

def sync(url, auth, token):
    body = ('<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:">'
            f'<d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>'
            '<d:prop><d:getetag/></d:prop></d:sync-collection>').encode()
    return request(url, auth, "REPORT", urllib.parse.urlsplit(url).path, body,
                   {"Content-Type": "application/xml; charset=utf-8", "Depth": "0"})

for name, url, auth, href in (("privacybee", pb_url, f"{uid}:{token}", None),
                              ("radicale", rad_url, "incremental:x", None)):
    status, data = sync(url, auth, "")
    assert status == 207, (name, status, data[:300])
    token0 = re.search(rb"<[^>]*sync-token>([^<]+)<", data).group(1).decode()
    hrefs = re.findall(rb"<[^>]*href>([^<]+\.vcf)<", data)
    assert len(hrefs) == 10000, (name, len(hrefs))
    # ten cards changed, through CardDAV
    for i in range(10):
        href = hrefs[i * 997].decode()
        status, got = request(url, auth, "GET", href, None, {})
        assert status == 200, (name, status)
        changed = got.decode().replace("END:VCARD", f"NOTE:changed {i}\r\nEND:VCARD", 1)
        changed = re.sub(r"NOTE:card[^\r\n]*\r?\n", "", changed, count=1)
        status, _ = request(url, auth, "PUT", href, changed.encode(), {"Content-Type": "text/vcard"})
        assert status in (201, 204), (name, status)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        status, data = sync(url, auth, token0)
        times.append((time.perf_counter() - start) * 1000)
        assert status == 207, (name, status)
        assert len(re.findall(rb"<(?:[A-Za-z0-9]+:)?response[ >]", data)) == 10, (name, data[:500])
    times.sort()
    print(name, f"{statistics.median(times):.1f}", f"{times[int(len(times) * 0.9) - 1]:.1f}")
PY

pb_med=$(awk '$1 == "privacybee" { print $2 }' "$dir/incremental.dat")
pb_p90=$(awk '$1 == "privacybee" { print $3 }' "$dir/incremental.dat")
rad_med=$(awk '$1 == "radicale" { print $2 }' "$dir/incremental.dat")
rad_p90=$(awk '$1 == "radicale" { print $3 }' "$dir/incremental.dat")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.1fx", b / a; else print "n/a" }'; }
row() { printf "%-58s %14s %14s %12s\n" "$@"; }
echo
echo "CardDAV on $(nproc) cores, $(date -u +%Y-%m-%d); vdirsyncer $(vdirsyncer --version | awk '{print $3}'), Radicale $(radicale --version)"
row "figure" "privacybee" "Radicale" "faster by"
row "first sync, 5,000 cards into an empty client (s)" "$pb_down" "$rad_down" "$(ratio "$pb_down" "$rad_down")"
row "first sync, $upload cards into an empty address book (s)" "$pb_up" "$rad_up" "$(ratio "$pb_up" "$rad_up")"
row "sync-collection, 10 changes among 10,000, median (ms)" "$pb_med" "$rad_med" "$(ratio "$pb_med" "$rad_med")"
row "sync-collection, 10 changes among 10,000, p90 (ms)" "$pb_p90" "$rad_p90" "$(ratio "$pb_p90" "$rad_p90")"
