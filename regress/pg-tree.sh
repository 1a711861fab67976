#!/usr/bin/env bash
# pg-tree.sh DIR — a private PostgreSQL installation tree for make test, printed as the
# path of its pg_config.
#
# Why: `make install` writes the extension into the system's PostgreSQL directories,
# which a running `make run` (or another checkout's make test) loads from. PostgreSQL's
# binaries are relocatable — they find their share and lib directories relative to
# their own path — so a copy of bin/ beside directories of symlinks to the system's
# files is a whole installation into which make test installs privacybee without
# touching the system's. Rebuilt on every call, so packages installed since (pg_cron,
# PL/Proxy) are seen.
#
# Layout mirrors Debian's: DIR/lib/postgresql/15/{bin,lib}, DIR/share/postgresql/15,
# DIR/include -> the system's headers.
set -euo pipefail

dir=${1:?usage: pg-tree.sh DIR}
sys_config=${PG_CONFIG_SYSTEM:-pg_config}
sys_bin=$("$sys_config" --bindir)
sys_lib=$("$sys_config" --pkglibdir)
sys_share=$("$sys_config" --sharedir)
sys_include=$("$sys_config" --includedir)
version=$(basename "$sys_share")

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -rf "$dir/lib" "$dir/share" "$dir/include"
bin="$dir/lib/postgresql/$version/bin"
lib="$dir/lib/postgresql/$version/lib"
share="$dir/share/postgresql/$version"
mkdir -p "$bin" "$lib" "$share" "$dir/include"

# Binaries are copied: PostgreSQL resolves symlinks to find its own directory.
cp -p "$sys_bin"/* "$bin/"

# One level of symlinks; the directories extensions install into are real directories
# of symlinks, so that what make install adds stays inside the tree.
mirror() {
    local from=$1 to=$2
    shift 2
    for entry in "$from"/* "$from"/.[!.]*; do
        [ -e "$entry" ] || continue
        local name
        name=$(basename "$entry")
        # never the system's privacybee (a make run's, maybe of another version): the
        # tree holds only what this checkout installs into it
        case $name in privacybee*) continue ;; esac
        if printf '%s\n' "$@" | grep -qx "$name"; then
            mkdir -p "$to/$name"
            for f in "$entry"/*; do
                case $(basename "$f") in privacybee*) continue ;; esac
                [ -e "$f" ] && ln -s "$f" "$to/$name/$(basename "$f")"
            done
        else
            ln -s "$entry" "$to/$name"
        fi
    done
}
mirror "$sys_lib" "$lib" bitcode
mirror "$sys_share" "$share" extension tsearch_data
ln -s "$sys_include" "$dir/include/$(basename "$sys_include")"

echo "$bin/pg_config"
