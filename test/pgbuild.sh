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
# Build prerequisites (bison, flex, zlib, a compiler) are installed as root,
# like make test does. Progress goes to standard error.
set -euo pipefail

major=${1:?usage: test/pgbuild.sh MAJOR (15, 16, 17, 18, 19)}
cache=${MATRX_PG_CACHE:-/var/cache/matrx_relations}
prefix=$cache/$major-cassert
apt_dir=$cache/apt
jobs=${PGBUILD_JOBS:-$(nproc)}
log() { echo "pgbuild $major: $*" >&2; }

mkdir -p "$cache" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"

# --- build prerequisites (Debian packages), as make test's prereqs do
need=()
for tool in bison flex gcc make; do command -v $tool >/dev/null 2>&1 || need+=("$tool"); done
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
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

# the newest version of postgresql-MAJOR that the suites list
version=$("${APT_CACHE[@]}" showsrc "postgresql-$major" 2>/dev/null |
          sed -n 's/^Version: //p' | sort -V | tail -1)
[ -n "$version" ] || { log "no source package postgresql-$major in the reachable suites"; exit 1; }
upstream=${version%-*}; upstream=${upstream#*:}

if [ -x "$prefix/bin/pg_config" ] && [ "$(cat "$prefix/.source-version" 2>/dev/null)" = "$version" ] &&
   [ -f "$prefix/share/extension/pgtap.control" ] &&
   [ -f "$prefix/share/extension/pg_stat_statements.control" ]; then
    log "reusing $prefix (postgresql-$major $version)"
    echo "$prefix/bin/pg_config"
    exit 0
fi

work=$(mktemp -d "$cache/build-$major.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
log "fetching postgresql-$major $version"
# apt checks each file against the hashes of the signed Sources index
"${APT[@]}" source --download-only "postgresql-$major=$version" >&2 ||
    { log "postgresql-$major $version is listed but could not be fetched"; exit 1; }
orig=$(ls postgresql-"$major"_"$upstream".orig.tar.* | head -1)
tar xf "$orig"
src=$(find . -maxdepth 1 -type d -name "postgresql-$upstream*" | head -1)
[ -n "$src" ] || { log "unexpected layout of $orig"; exit 1; }

log "building $upstream with assertions into $prefix (a few minutes)"
rm -rf "$prefix"
(
    cd "$src"
    ./configure --prefix="$prefix" --enable-cassert --enable-debug \
        --without-icu --without-readline --without-llvm >configure.log 2>&1 ||
        { tail -30 configure.log >&2; exit 1; }
    make -s -j"$jobs" >build.log 2>&1 || { tail -40 build.log >&2; exit 1; }
    make -s install >>build.log 2>&1
    for d in contrib/pg_stat_statements src/test/regress src/test/isolation; do
        make -s -C "$d" -j"$jobs" install >>build.log 2>&1 || { tail -40 build.log >&2; exit 1; }
    done
) || { log "build failed"; exit 1; }

# pgTAP for this server, from Debian's source package as well
pgtap_version=$("${APT_CACHE[@]}" showsrc pgtap 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -1)
log "building pgtap $pgtap_version"
mkdir pgtap && (
    cd pgtap
    "${APT[@]}" source --download-only "pgtap=$pgtap_version" >&2
    tar xf pgtap_*.orig.tar.*
    cd "$(find . -maxdepth 1 -type d -name 'pgtap-*' | head -1)"
    make -s PG_CONFIG="$prefix/bin/pg_config" >build.log 2>&1 &&
        make -s PG_CONFIG="$prefix/bin/pg_config" install >>build.log 2>&1 ||
        { tail -30 build.log >&2; exit 1; }
) || { log "pgtap build failed"; exit 1; }

echo "$version" >"$prefix/.source-version"
log "done: $prefix"
echo "$prefix/bin/pg_config"
