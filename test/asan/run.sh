#!/usr/bin/env bash
# make test-asan: the whole suite (test/run-tests.sh) against the module built
# with -fsanitize=address, loaded by a test server that has the AddressSanitizer
# runtime preloaded.  Fails on any test failure and on any sanitizer report.
#
# Where it installs: nothing goes into the system's PostgreSQL.  The server is
# a throwaway copy of the private assertion-enabled PostgreSQL that
# test/pgbuild.sh builds (ASAN_PG_MAJOR, default 15; built on first use),
# made in a temporary directory and removed at the end; the ASan build of the
# module is installed into that copy only.  An interrupted run leaves at most
# a temporary directory behind.
#
# Why it is set up this way:
# - gcc 12 and its runtime (libasan8, a dependency of gcc-12 on Debian 12):
#   the compiler CI already installs.  The module is built in a copy of the
#   tree, so the checkout's objects stay those of the normal build.
# - postgres itself is not instrumented, so the runtime must be in the server
#   from exec on (LD_PRELOAD through pg_ctl's environment, CLUSTER_ENV in
#   test/cluster.sh): loaded later by dlopen() it aborts, and memory malloc'd
#   before it came could not be freed by it.
# - Preloaded alone, the runtime makes postgres hang before main: see
#   swift_demangle.c; the tiny library built from it is preloaded after it.
# - ASAN_OPTIONS: detect_leaks=0 because a backend never frees its memory
#   contexts at exit (the process ends, by design), so every backend would
#   "leak"; allocator_may_return_null=1 because PostgreSQL checks malloc()
#   and raises "out of memory", where the sanitizer's default is to kill the
#   process on a failed or huge request; log_path gives each server process
#   its own report file (a backend's stderr is the server log as well);
#   detect_stack_use_after_return=1 catches a pointer to a local that
#   outlives its function (a Datum pointing into a returned frame);
#   strict_string_checks=1 checks the whole string libc functions are given.
# - jit = off: JIT could inline the uninstrumented bitcode PGXS installs for
#   the module in place of its instrumented code.
# - palloc() carves small chunks out of shared malloc'd blocks, which hides an
#   overrun into the next chunk from the sanitizer: palloc_redzone.h, forced
#   into every file of this build, gives the module's own chunks a block each
#   with a poisoned tail (reported as use-after-poison).
# - Before the suite, a throwaway cluster proves a backend has the runtime and
#   this build mapped, and that two planted overruns (canary.c) are reported.
set -uo pipefail
cd "$(dirname "$0")/../.."
t_start=$(date +%s)
work=$(mktemp -d /tmp/matrx_asan.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
base=$(test/pgbuild.sh "${ASAN_PG_MAJOR:-15}") || { echo "test-asan: no private server" >&2; exit 1; }
# a relocated copy: PostgreSQL finds its share and lib directories relative
# to its binaries, and so does the copy's pg_config
cp -a "$(dirname "$(dirname "$base")")" "$work/pg"
export PG_CONFIG=$work/pg/bin/pg_config
. test/cluster.sh

CC=$($PG_CONFIG --cc)
SANITIZE="-fsanitize=address -fno-omit-frame-pointer"

# as root on Debian, install the sanitizer runtime when it is missing
runtime=$(readlink -f "$($CC -print-file-name=libasan.so)")
if [ ! -f "$runtime" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test-asan: installing libasan8"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libasan8 >/dev/null
        runtime=$(readlink -f "$($CC -print-file-name=libasan.so)")
    fi
    [ -f "$runtime" ] || { echo "test-asan: no libasan for $CC: apt-get install libasan8" >&2; exit 1; }
fi

mkdir "$work/log" && chmod 1777 "$work/log"
pkglib=$($PG_CONFIG --pkglibdir)
case $pkglib in "$work"/*) ;; *) echo "test-asan: $pkglib is not the private copy" >&2; exit 1 ;; esac

# at exit: stop any server and remove the copy, the build and the logs
restore() {
    cluster_stop
    rm -rf "$work"
}
trap restore EXIT

# the module with the sanitizer, built in a copy of the tree and installed
mkdir "$work/build"
tar -c --exclude=.git --exclude=results --exclude=output_iso . | tar -x -C "$work/build"
make -C "$work/build" -s clean >/dev/null
if ! make -C "$work/build" -s ${WERROR:+WERROR=1} CC="$CC" COPT="$SANITIZE" \
        PG_CFLAGS="-include $PWD/test/asan/palloc_redzone.h" >/dev/null ||
   ! make -C "$work/build" -s install >/dev/null; then
    echo "test-asan: the ASan build failed" >&2; exit 1
fi
if ! grep -q ' U __asan_report_load' <<<"$(nm -D "$pkglib/matrx_relations.so")"; then
    echo "test-asan: $pkglib/matrx_relations.so is not instrumented" >&2; exit 1
fi
$CC -shared -fPIC -O2 -o "$work/libswift_demangle.so" test/asan/swift_demangle.c
$CC -shared -fPIC -g -O0 $SANITIZE -include test/asan/palloc_redzone.h \
    -I"$($PG_CONFIG --includedir-server)" -o "$work/canary.so" test/asan/canary.c

export CLUSTER_ENV="LD_PRELOAD=$runtime:$work/libswift_demangle.so ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:detect_stack_use_after_return=1:strict_string_checks=1:log_path=$work/log/asan"
export CLUSTER_CONF="jit = off"
psql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# Before the suite, prove on a throwaway cluster that a backend runs the
# installed ASan module under the runtime, and that overruns are reported.
cluster_start || exit 1
trap restore EXIT   # cluster_start set its own
maps=$(psql -c "LOAD 'matrx_relations'" -c "SELECT pg_read_file('/proc/self/maps')")
if ! grep -q "libasan" <<<"$maps" || ! grep -q "$pkglib/matrx_relations.so" <<<"$maps"; then
    echo "test-asan: a backend does not have the runtime and the ASan module loaded" >&2; exit 1
fi
echo "ok - a backend has $(basename "$runtime") and the ASan build of $pkglib/matrx_relations.so loaded"
psql -c "SET synchronous_commit = on" \
     -c "CREATE FUNCTION matrx_asan_canary(int) RETURNS int AS '$work/canary.so' LANGUAGE C STRICT" \
     -c "CREATE FUNCTION matrx_asan_canary_palloc(int) RETURNS int AS '$work/canary.so' LANGUAGE C STRICT"
# canary FUNCTION REPORT: the backend calling FUNCTION must leave REPORT
canary() {
    local i
    for i in $(seq 40); do psql -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.25; done
    rm -f "$work"/log/asan.*
    psql -c "SELECT $1" >/dev/null 2>&1
    if grep -qs "$2" "$work"/log/asan.*; then
        echo "ok - $3 is reported"
    else
        echo "test-asan: $3 was not reported: the run would miss errors" >&2; exit 1
    fi
}
canary "matrx_asan_canary(8)" "stack-buffer-overflow" "a planted stack overflow in a backend"
canary "matrx_asan_canary_palloc(100)" "use-after-poison" "a planted overrun of a 100-byte palloc chunk"
cluster_stop
rm -f "$work"/log/asan.*

# the whole suite, on its own cluster with the same environment; ASan with
# assertions makes limits.sh's 10,000,000-key loads take 3-4 minutes each
LIMITS_TIMEOUT=${LIMITS_TIMEOUT:-600s} MATRX_ASAN_INSTALLED=1 test/run-tests.sh
status=$?

reports=$(find "$work/log" -name 'asan.*' | wc -l)
if [ "$reports" -gt 0 ]; then
    for f in "$work"/log/asan.*; do echo "==== $f"; cat "$f"; done
    status=1
fi
echo "make test-asan: $reports sanitizer report(s), $(($(date +%s) - t_start)) s"
if [ $status -eq 0 ]; then echo "make test-asan: clean"; else echo "make test-asan: FAILED"; fi
exit $status
