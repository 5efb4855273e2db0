#!/usr/bin/env bash
# test/citus-build.sh: Citus built from the vendored source snapshot for the
# Citus lab (test/citus.sh), cached outside the checkout; prints the staged
# install's directory on standard output, or exits 2 (and says why) when the
# snapshot is absent.
#
# The snapshot is $MATRX_CITUS_TARBALL, else citus-$CITUS_VERSION.tar.gz in
# shared/vendor next to the checkout or next to its parent (see
# ../shared/CITUS.md). It is built against the server of $PG_CONFIG (default:
# Debian's PostgreSQL 15) with PGXS, without bitcode (with_llvm=no), into
# $MATRX_PG_CACHE/citus-VERSION-pgMAJOR (default /var/cache/matrx_relations),
# and installed there with DESTDIR: the cache holds a staged installation
# that test/citus.sh copies into the server's directories. A completion
# marker names the tarball's checksum and the server; a later call with the
# same marker reuses the cache. Build prerequisites (Debian packages) are
# installed as root when missing. Progress goes to standard error.
set -euo pipefail
cd "$(dirname "$0")/.."

CITUS_VERSION=${CITUS_VERSION:-13.2.2}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
cache=${MATRX_PG_CACHE:-/var/cache/matrx_relations}
jobs=${CITUS_BUILD_JOBS:-$(nproc)}
log() { echo "citus-build: $*" >&2; }

# --- the source snapshot
tarball=${MATRX_CITUS_TARBALL:-}
if [ -z "$tarball" ]; then
    here=$(pwd -P)
    for d in "$here/../shared/vendor" "$here/../../shared/vendor"; do
        if [ -f "$d/citus-$CITUS_VERSION.tar.gz" ]; then
            tarball=$(cd "$d" && pwd -P)/citus-$CITUS_VERSION.tar.gz; break
        fi
    done
fi
if [ -z "$tarball" ] || [ ! -f "$tarball" ]; then
    log "no Citus source snapshot (citus-$CITUS_VERSION.tar.gz in ../shared/vendor, or MATRX_CITUS_TARBALL): skipped"
    exit 2
fi

major=$($PG_CONFIG --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
prefix=$cache/citus-$CITUS_VERSION-pg$major
marker=$prefix/.complete
want="$(sha256sum "$tarball" | cut -d' ' -f1) $($PG_CONFIG --version) $($PG_CONFIG --pkglibdir)"
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then
    echo "$prefix/stage"
    exit 0
fi

# --- build prerequisites (Debian packages)
need=()
incdir=$($PG_CONFIG --includedir-server)
[ -f "$incdir/postgres.h" ] || need+=("postgresql-server-dev-$major")
[ -f /usr/include/lz4.h ] || need+=(liblz4-dev)
[ -f /usr/include/zstd.h ] || need+=(libzstd-dev)
[ -f /usr/include/krb5.h ] || need+=(libkrb5-dev)
for tool in gcc make; do command -v $tool >/dev/null 2>&1 || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        log "missing packages: ${need[*]} (run as root to install them)"; exit 1
    fi
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- build
log "building Citus $CITUS_VERSION against $($PG_CONFIG --version) into $prefix (about 10 CPU-minutes)"
rm -rf "$prefix"
mkdir -p "$prefix/src"
tar xzf "$tarball" -C "$prefix/src"
src=$prefix/src
# a fresh unpack can leave configure.ac newer than configure: make would run
# autoreconf, which is not needed (and not installed)
touch "$src/configure"
# PostgreSQL 15.20's commands/dbcommands.h declares have_createdb_privilege();
# Citus's fallback for servers before 16 defines a static inline of the same
# name: rename the fallback (same behaviour)
perl -0pi -e 's/\nstatic inline bool\nhave_createdb_privilege\(void\)/\n#define have_createdb_privilege citus_compat_have_createdb_privilege\nstatic inline bool\nhave_createdb_privilege(void)/' \
    "$src/src/include/pg_version_compat.h"
grep -q citus_compat_have_createdb_privilege "$src/src/include/pg_version_compat.h" ||
    { log "the header fix did not apply to pg_version_compat.h"; exit 1; }
(
    cd "$src"
    PG_CONFIG=$PG_CONFIG ./configure --without-libcurl >"$prefix/configure.log" 2>&1 ||
        { tail -30 "$prefix/configure.log" >&2; exit 1; }
    make -j"$jobs" with_llvm=no >"$prefix/build.log" 2>&1 ||
        { grep -E 'error|Error' "$prefix/build.log" | head -30 >&2; exit 1; }
    make with_llvm=no install DESTDIR="$prefix/stage" >"$prefix/install.log" 2>&1 ||
        { tail -30 "$prefix/install.log" >&2; exit 1; }
)
# the source tree is not needed once staged
rm -rf "$src"
echo "$want" >"$marker"
log "built"
echo "$prefix/stage"
