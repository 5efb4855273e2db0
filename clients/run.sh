#!/usr/bin/env bash
# The client libraries' own tests against the cluster run-tests.sh started
# (PGHOST, PGPORT, PGUSER set): a database with the demo schema,
# examples/data.sql and clients/test/schema.sql, then
#   clients/python: `pip install --no-index` of the package into a throwaway
#     venv over Debian's /usr/bin/python3 (offline: the in-tree build backend
#     needs nothing), and its pytest suite run against the installed copy;
#   clients/node: `npm ci` (offline when node_modules or the npm cache has
#     pg) and its node:test suite.
# A language whose interpreter or test packages are absent (and cannot be
# installed: not root, no apt-get) is skipped, saying so. PYTHON and NODE
# name other interpreters.
set -uo pipefail
cd "$(dirname "$0")/.."
PGBIN=${PGBIN:-$(pg_config --bindir)}
db=matrx_clients
status=0
PYTHON=${PYTHON:-/usr/bin/python3}
NODE=${NODE:-node}

"$PGBIN/dropdb" --if-exists $db 2>/dev/null
"$PGBIN/createdb" $db || exit 1
"$PGBIN/psql" -X -q -d $db -f test/demo/00-setup.sql -f examples/data.sql -f clients/test/schema.sql >/dev/null || exit 1

echo "# clients/python"
pyok() { "$PYTHON" -c 'import asyncpg, pytest, pytest_asyncio' 2>/dev/null; }
if command -v "$PYTHON" >/dev/null 2>&1 && ! pyok && [ "$PYTHON" = /usr/bin/python3 ] &&
   [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "clients: installing python3-asyncpg python3-pytest python3-pytest-asyncio python3-psycopg"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3-asyncpg python3-pytest python3-pytest-asyncio python3-psycopg >/dev/null 2>&1
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "ok - clients/python # SKIP $PYTHON not found"
elif ! pyok; then
    echo "ok - clients/python # SKIP asyncpg, pytest or pytest-asyncio missing for $PYTHON (apt-get install python3-asyncpg python3-pytest python3-pytest-asyncio)"
else
    venv=$(mktemp -d "${TMPDIR:-/tmp}/matrx_clients_venv.XXXXXX")
    trap 'rm -rf "$venv"' EXIT
    if ! "$PYTHON" -m venv --without-pip --system-site-packages "$venv" ||
       ! "$PYTHON" -m pip --python "$venv/bin/python" install -q --no-index --no-deps ./clients/python; then
        echo "not ok - clients/python: pip install --no-index ./clients/python failed"; status=1
    else
        echo "ok - clients/python: pip install --no-index ./clients/python"
        # the installed copy, not the source tree, from a directory without a
        # matrx_relations.so next to it
        (cd clients/python/tests && PGDATABASE=$db MATRX_CLIENT_INSTALLED=1 \
            "$venv/bin/python" -B -m pytest -q -p no:cacheprovider --rootdir=. -c ../pyproject.toml .) || status=1
    fi
fi

echo "# clients/node"
if command -v "$NODE" >/dev/null 2>&1 && [ ! -d clients/node/node_modules ] &&
   ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
if ! command -v "$NODE" >/dev/null 2>&1; then
    echo "ok - clients/node # SKIP $NODE not found"
elif [ ! -d clients/node ]; then
    echo "ok - clients/node # SKIP not built yet"
elif [ ! -d clients/node/node_modules ] &&
     ! (cd clients/node && npm ci --loglevel=error --prefer-offline --no-audit --no-fund); then
    echo "not ok - clients/node: npm ci failed (needs npm: apt-get install npm; pg comes from the npm registry)"; status=1
else
    (cd clients/node && PGDATABASE=$db "$NODE" --test test/) || status=1
fi

"$PGBIN/dropdb" $db
exit $status
