#!/usr/bin/env bash
# make test: build, install, then run pg_regress, isolation specs, pgTAP and
# the dump/restore, cancellation, limits, upgrade and hot-standby scripts,
# the client libraries' tests (clients/run.sh), the client examples and a
# short differential fuzz run on a throwaway cluster; exits non-zero on any
# failure.
set -uo pipefail
cd "$(dirname "$0")/.."
. test/cluster.sh

# The module is installed into the server's shared directories: two checkouts
# testing at once would load each other's build. Hold one lock for the
# install and the whole run (one lock per server installation).  make
# test-asan (test/asan/run.sh) installs its own build into a private copy of
# a server: it sets MATRX_ASAN_INSTALLED.
if [ -z "${MATRX_ASAN_INSTALLED:-}" ]; then
    install_lock
fi

if [ -z "${MATRX_ASAN_INSTALLED:-}" ]; then
    make -s ${WERROR:+WERROR=1} >/dev/null || { echo "build failed" >&2; exit 1; }
    if ! make -s install >/dev/null 2>"${TMPDIR:-/tmp}/matrx_install.err"; then
        cat "${TMPDIR:-/tmp}/matrx_install.err" >&2
        echo "make install failed: run make test as root (or with write access to $($PG_CONFIG --pkglibdir))" >&2
        exit 1
    fi
fi

cluster_start || exit 1
status=0

rm -rf results output_iso regression.diffs regression.out
if ! make -s installcheck; then
    status=1
    for d in regression.diffs output_iso/regression.diffs; do
        [ -f "$d" ] && { echo "==== $d"; cat "$d"; }
    done
fi

if ls test/pgtap/*.sql >/dev/null 2>&1; then
    "$PGBIN/createdb" matrx_tap
    if ! pg_prove --dbname matrx_tap --ext .sql -r test/pgtap; then
        status=1
    fi
fi

PGBIN=$PGBIN test/dump-restore.sh || status=1
PGBIN=$PGBIN test/cancel.sh || status=1
PGBIN=$PGBIN test/limits.sh || status=1
PGBIN=$PGBIN test/upgrade.sh || status=1
PGBIN=$PGBIN examples/run.sh || status=1
PGBIN=$PGBIN clients/run.sh || status=1
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 test/check-meta.py || status=1
fi

# the differential fuzzer, a short deterministic run (make fuzz runs it longer)
"$PGBIN/createdb" matrx_fuzz
PGDATABASE=matrx_fuzz /usr/bin/python3 test/fuzz/difffuzz.py --start 1 --seeds 80 || status=1

# its own primary and hot standby, not the cluster above
test/replica.sh || status=1

if [ -s "$CLUSTER_DIR/server.log" ] && grep -E "PANIC|TRAP:|terminated by signal|Sanitizer|==[0-9]+==ERROR" "$CLUSTER_DIR/server.log"; then
    echo "the server crashed during the tests (see above)" >&2
    status=1
fi

cluster_stop
if [ $status -eq 0 ]; then echo "make test: all tests passed"; else echo "make test: FAILED"; fi
exit $status
