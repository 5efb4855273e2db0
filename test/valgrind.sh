#!/usr/bin/env bash
# make test-valgrind: the pg_regress files (REGRESS) but the four that load
# 10,000 keys and more (minutes each under valgrind), on a test server running
# under valgrind memcheck, with the normal build of the module.  Fails on a
# test failure or on any memcheck error with a frame in the module.
#
# The complement of make test-asan: memcheck also sees a branch on, or a
# syscall given, bytes the module never wrote.  Debian's server is not built
# with USE_VALGRIND, so memcheck knows malloc'd blocks, not palloc chunks:
# it sees uninitialised bytes of a chunk only while its block is fresh.
# Errors inside the server alone (its relcache init file and WAL padding,
# which core's own valgrind.supp suppresses) are counted, not failed on.
set -uo pipefail
cd "$(dirname "$0")/.."
. test/cluster.sh

if ! command -v valgrind >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test-valgrind: installing valgrind"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
    fi
    command -v valgrind >/dev/null 2>&1 || { echo "test-valgrind: apt-get install valgrind" >&2; exit 1; }
fi

# one lock for the install and the run, as in run-tests.sh
install_lock
t_start=$(date +%s)
make -s ${WERROR:+WERROR=1} >/dev/null && make -s install >/dev/null || { echo "build or install failed" >&2; exit 1; }

work=$(mktemp -d /tmp/matrx_valgrind.XXXXXX)
chmod 755 "$work"
mkdir "$work/log" && chmod 1777 "$work/log"
# pg_ctl -p starts this instead of postgres; backends are forked, not
# exec'd, so each one stays under valgrind
cat >"$work/postgres" <<EOF
#!/bin/sh
exec valgrind --quiet --leak-check=no --num-callers=40 --fullpath-after= \\
    --error-markers=VGERR-BEGIN,VGERR-END --log-file=$work/log/vg.%p \\
    "$PGBIN/postgres" "\$@"
EOF
chmod 755 "$work/postgres"

cluster_start "jit = off" || exit 1
trap 'cluster_stop; rm -rf "$work"' EXIT
as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -w stop >/dev/null
as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -p "$work/postgres" \
    -l "$CLUSTER_DIR/server.log" -w -t 300 start >/dev/null || { cat "$CLUSTER_DIR/server.log" >&2; exit 1; }

status=0
rm -rf results regression.diffs regression.out
subset=$(sed -n 's/^REGRESS *= *//p' Makefile | tr ' ' '\n' |
         grep -vxE 'statements|prefetch_statements|prefetch_large|spec_statements' | tr '\n' ' ')
# select_related expects statements to have created pg_stat_statements
if ! make -s installcheck ISOLATION= REGRESS="$subset" \
        REGRESS_OPTS=--load-extension=pg_stat_statements; then
    status=1
    [ -f regression.diffs ] && cat regression.diffs
fi
cluster_stop

# each error (VGERR-BEGIN..VGERR-END) into its own file; ours have a frame in
# the module: a source file of this checkout (full paths: --fullpath-after=)
mkdir "$work/err"
cat "$work"/log/vg.* 2>/dev/null | awk -v dir="$work/err" '
    /VGERR-BEGIN/ { n++; on = 1; next }
    /VGERR-END/ { on = 0 }
    on { print > (dir "/" n) }'
ours=$(grep -lE "$PWD/src/|matrx_relations\.so" "$work"/err/* 2>/dev/null | wc -l)
theirs=$(($(find "$work/err" -type f | wc -l) - ours))
for f in $(grep -lE "$PWD/src/|matrx_relations\.so" "$work"/err/* 2>/dev/null); do echo "===="; cat "$f"; done
[ $ours -eq 0 ] || status=1
echo "make test-valgrind: $ours memcheck error(s) in the module, $theirs in the server alone, $(($(date +%s) - t_start)) s"
if [ $status -eq 0 ]; then echo "make test-valgrind: clean"; else echo "make test-valgrind: FAILED"; fi
exit $status
