#!/usr/bin/env bash
# test/pgbuild.sh MAJOR: a private, assertion-enabled PostgreSQL MAJOR for the
# test matrix, built from Debian's source package, with pgTAP and
# pg_stat_statements; prints the path of its pg_config on standard output.
#
# The source comes through a private apt configuration (deb-src entries for
# the Debian suites that carry PostgreSQL, signed by Debian's archive key):
# the system's apt setup is not touched. The server is built with
# --enable-cassert --enable-debug into $MATRX_PG_CACHE/MAJOR-cassert
# (default /var/cache/matrx_relations), outside the checkout; a later call
# reuses it when the source package's version is unchanged and rebuilds it
# when it is not. Nothing is installed into the system's PostgreSQL.
#
# Build prerequisites (bison, flex, zlib, ICU, a compiler) are installed as root,
# like make test does. Progress goes to standard error.
set -euo pipefail

major=${1:?usage: test/pgbuild.sh MAJOR (15, 16, 17, 18, 19)}
cache=${MATRX_PG_CACHE:-/var/cache/matrx_relations}
prefix=$cache/$major-cassert
apt_dir=$cache/apt
jobs=${PGBUILD_JOBS:-$(nproc)}
log() { echo "pgbuild $major: $*" >&2; }
# the contrib modules the tests use, installed beside pgTAP
CONTRIB="pg_stat_statements citext hstore"

mkdir -p "$cache" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"

# --- build prerequisites (Debian packages), as make test's prereqs do
need=()
for tool in bison flex gcc make; do command -v $tool >/dev/null 2>&1 || need+=("$tool"); done
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
# ICU as in Debian's own build (nondeterministic collations are tested)
pkg-config --exists icu-uc icu-i18n 2>/dev/null || need+=(libicu-dev pkg-config)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
command -v bzip2 >/dev/null 2>&1 || need+=(bzip2)
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        log "missing packages: ${need[*]} (run as root to install them)"; exit 1
    fi
    log "installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- the source package, through a private apt configuration
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$apt_dir/sources.list" <<EOF
deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$keyring] http://deb.debian.org/debian trixie main
deb-src [signed-by=$keyring] http://deb.debian.org/debian sid main
deb-src [signed-by=$keyring] http://deb.debian.org/debian experimental main
EOF
APT_OPTS=(-q -o Dir::Etc::sourcelist="$apt_dir/sources.list" -o Dir::Etc::sourceparts=-
          -o Dir::State::lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache"
          -o APT::Sandbox::User=root)
APT=(apt-get "${APT_OPTS[@]}")
APT_CACHE=(apt-cache "${APT_OPTS[@]}")

# refresh the source lists at most once a day
stamp=$apt_dir/lists/.updated
if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
    log "updating the source package lists"
    "${APT[@]}" update >&2 || { log "apt-get update failed"; exit 1; }
    touch "$stamp"
fi

# fetch_source PACKAGE: download the upstream tarball of the newest version
# of PACKAGE that is served (a suite may list a version whose files are not
# there, or serve its .orig tarball but not its Debian files, which are not
# needed here); apt checks each file it downloads against the hashes of the
# signed Sources index, and keeps no file that fails. Sets $fetched.
fetch_source() {
    local v up
    fetched=
    for v in $("${APT_CACHE[@]}" showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -rV | uniq); do
        up=${v#*:}; up=${up%-*}
        "${APT[@]}" source --download-only "$1=$v" >"$work/fetch-$1.log" 2>&1 || true
        if ls "$1_$up".orig.tar.* >/dev/null 2>&1; then
            fetched=$v; return 0
        fi
        log "$1 $v is listed but its files are not served"
        rm -f "$1"_*
    done
    return 1
}

# reuse_if VERSION: print the cached server's pg_config and exit when it was
# built from VERSION and is complete
reuse_if() {
    local sharedir m
    sharedir=$("$prefix/bin/pg_config" --sharedir 2>/dev/null) || return 0
    [ "$(cat "$prefix/.source-version" 2>/dev/null)" = "$1" ] || return 0
    for m in pgtap $CONTRIB; do [ -f "$sharedir/extension/$m.control" ] || return 0; done
    log "reusing $prefix (postgresql-$major $1)"
    echo "$prefix/bin/pg_config"
    exit 0
}

listed=$("${APT_CACHE[@]}" showsrc "postgresql-$major" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -1)
[ -n "$listed" ] || { log "no source package postgresql-$major in the reachable suites"; exit 1; }
reuse_if "$listed"

work=$(mktemp -d "$cache/build-$major.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
log "fetching postgresql-$major"
fetch_source "postgresql-$major" || { log "no version of postgresql-$major can be fetched"; exit 1; }
version=$fetched
reuse_if "$version"
upstream=${version%-*}; upstream=${upstream#*:}
orig=$(ls postgresql-"$major"_"$upstream".orig.tar.* | head -1)
tar xf "$orig"
src=$(find . -maxdepth 1 -type d -name "postgresql-$upstream*" | head -1)
[ -n "$src" ] || { log "unexpected layout of $orig"; exit 1; }

if [ -x "$prefix/bin/postgres" ] && [ "$(cat "$prefix/.server-version" 2>/dev/null)" = "$version" ]; then
    # the server is there, a module is missing (the list grew): add it alone
    log "completing $prefix (postgresql-$major $version)"
else
    log "building $upstream with assertions into $prefix (a few minutes)"
    rm -rf "$prefix"
    (
        cd "$src"
        ./configure --prefix="$prefix" --enable-cassert --enable-debug \
            --with-icu --without-readline --without-llvm >configure.log 2>&1 ||
            { tail -30 configure.log >&2; exit 1; }
        make -s -j"$jobs" >build.log 2>&1 || { tail -40 build.log >&2; exit 1; }
        make -s install >>build.log 2>&1
        for d in src/test/regress src/test/isolation; do
            make -s -C "$d" -j"$jobs" install >>build.log 2>&1 || { tail -40 build.log >&2; exit 1; }
        done
    ) || { log "build failed"; exit 1; }
    echo "$version" >"$prefix/.server-version"
fi

# the contrib modules, built against the installed server (PGXS)
for m in $CONTRIB; do
    make -s -C "$src/contrib/$m" USE_PGXS=1 PG_CONFIG="$prefix/bin/pg_config" install \
        >"$work/contrib-$m.log" 2>&1 || { tail -30 "$work/contrib-$m.log" >&2; log "contrib/$m failed"; exit 1; }
done

# pgTAP for this server, from Debian's source package as well
fetch_source pgtap || { log "no version of pgtap can be fetched"; exit 1; }
log "building pgtap $fetched"
mkdir pgtap && mv pgtap_* pgtap/ && (
    set -e
    cd pgtap
    tar xf pgtap_*.orig.tar.*
    cd "$(find . -maxdepth 1 -type d -name 'pgtap-*' | head -1)"
    make -s PG_CONFIG="$prefix/bin/pg_config" >build.log 2>&1 &&
        make -s PG_CONFIG="$prefix/bin/pg_config" install >>build.log 2>&1 ||
        { tail -30 build.log >&2; exit 1; }
) || { log "pgtap build failed"; exit 1; }

echo "$version" >"$prefix/.source-version"
log "done: $prefix"
echo "$prefix/bin/pg_config"
