#!/usr/bin/env bash
# The client examples against the cluster run-tests.sh started (PGHOST,
# PGPORT, PGUSER set): a database with the demo schema plus
# examples/data.sql, then examples/python (Debian's /usr/bin/python3 with
# python3-asyncpg) and examples/node (node with the pg package from npm).
# Each compares N+1 with one call (and with the client libraries of clients/:
# the typed form and its DataLoader) and exits non-zero when a check fails.
# A language whose interpreter is absent is skipped, saying so (PYTHON and
# NODE name other interpreters).
set -uo pipefail
cd "$(dirname "$0")/.."
PGBIN=${PGBIN:-$(pg_config --bindir)}
db=matrx_examples
status=0
PYTHON=${PYTHON:-/usr/bin/python3}   # Debian's, which sees python3-asyncpg
NODE=${NODE:-node}

"$PGBIN/dropdb" --if-exists $db 2>/dev/null
"$PGBIN/createdb" $db || exit 1
"$PGBIN/psql" -X -q -d $db -f test/demo/00-setup.sql -f examples/data.sql >/dev/null || exit 1

echo "# examples/python"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "ok - examples/python # SKIP $PYTHON not found (apt-get install python3-asyncpg)"
elif ! "$PYTHON" -c 'import asyncpg' 2>/dev/null; then
    echo "not ok - examples/python: asyncpg missing for $PYTHON (apt-get install python3-asyncpg)"; status=1
else
    PGDATABASE=$db "$PYTHON" -B examples/python/compare.py || status=1
fi

echo "# examples/node"
# Debian's nodejs comes without npm: install it as root, as prereqs does
if command -v "$NODE" >/dev/null 2>&1 && [ ! -d examples/node/node_modules ] &&
   ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "examples: installing npm"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
if ! command -v "$NODE" >/dev/null 2>&1; then
    echo "ok - examples/node # SKIP $NODE not found"
elif [ ! -d examples/node/node_modules ] &&
     ! (cd examples/node && npm ci --loglevel=error); then
    echo "not ok - examples/node: npm ci failed (needs npm: apt-get install npm; pg comes from the npm registry)"; status=1
else
    PGDATABASE=$db "$NODE" examples/node/compare.js || status=1
fi

"$PGBIN/dropdb" $db
exit $status
