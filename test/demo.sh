#!/usr/bin/env bash
# make demo: show matrx_relations on a small example schema.
#
# Builds and installs the extension, starts a throwaway cluster (test/cluster.sh,
# pg_stat_statements preloaded with track = all) and runs every test/demo/NN-*.sql
# in name order in ONE psql session (so psql variables set in 00-setup.sql, and
# the backend's relation metadata, carry over from section to section).
# To add a section, drop another NN-name.sql into test/demo/.
set -euo pipefail

cd "$(dirname "$0")/.."
. test/cluster.sh

if ! make -s >/dev/null; then
    echo "demo: building matrx_relations failed (run 'make' to see why)" >&2
    exit 1
fi
if ! make -s install >/dev/null; then
    echo "demo: 'make install' failed (it needs write access to $($PG_CONFIG --pkglibdir))" >&2
    exit 1
fi

cluster_start || { echo "demo: could not start a throwaway cluster" >&2; exit 1; }

files=()
for f in test/demo/[0-9][0-9]-*.sql; do
    files+=(-f "$f")
done

"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres "${files[@]}"
