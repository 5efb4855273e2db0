#!/usr/bin/env bash
# test/run-some.sh [NAME ...]: a quick run of some tests while developing.
# Each NAME is a pg_regress file (sql/NAME.sql), a pgTAP file
# (test/pgtap/NAME.sql), an isolation spec (test/specs/NAME.spec) or a
# script (test/NAME.sh). Builds and installs the module and runs them on a
# throwaway cluster, holding make test's install lock throughout, so that
# checkouts that share one server installation take turns.
set -uo pipefail
cd "$(dirname "$0")/.."
. test/cluster.sh
install_lock
make -s ${WERROR:+WERROR=1} >/dev/null || { echo "build failed" >&2; exit 1; }
make -s install >/dev/null || exit 1
cluster_start || exit 1
status=0 regress=() iso=()
for n in "$@"; do
    if [ -f "sql/$n.sql" ]; then regress+=("$n")
    elif [ -f "test/specs/$n.spec" ]; then iso+=("$n")
    elif [ -f "test/pgtap/$n.sql" ]; then
        "$PGBIN/createdb" "tap_$n" && pg_prove --dbname "tap_$n" "test/pgtap/$n.sql" || status=1
    elif [ -f "test/$n.sh" ]; then PGBIN=$PGBIN "test/$n.sh" || status=1
    else echo "run-some: no test named $n" >&2; status=1
    fi
done
rm -rf results output_iso regression.diffs regression.out
# the pg_regress files expect discovery.sql to have created the extension
if [ ${#regress[@]} -gt 0 ] && [ "${regress[0]}" != discovery ]; then regress=(discovery "${regress[@]}"); fi
if [ ${#regress[@]} -gt 0 ] || [ ${#iso[@]} -gt 0 ]; then
    make -s installcheck REGRESS="${regress[*]}" ISOLATION="${iso[*]}" || {
        status=1
        for d in regression.diffs output_iso/regression.diffs; do [ -f "$d" ] && cat "$d"; done
    }
fi
if grep -E "PANIC|TRAP:|terminated by signal" "$CLUSTER_DIR/server.log"; then status=1; fi
exit $status
