#!/usr/bin/env bash
# make test-citus: the Citus lab. Builds Citus from the vendored source
# snapshot (test/citus-build.sh; skipped, saying so, when the snapshot is
# absent), installs it and this module into the server of $PG_CONFIG
# (default: Debian's PostgreSQL 15), starts a coordinator and two workers
# (throwaway directories, unix sockets and 127.0.0.1 only, trust only
# there), runs the Citus tests (pgTAP files in test/citus/, on the
# coordinator) and stops everything on exit.
#
# Against a Citus of your own, the tests need only a coordinator with the
# citus, matrx_relations, pgtap and dblink extensions installable on every
# node, and a superuser connection: see the README, "Citus".
# KEEP_CLUSTER=1 leaves the nodes running (and says how to stop them); CITUS_TESTS="cache routing"
# runs some files only; CITUS_BENCH=1 runs the bench workload citus
# (test/bench/citus.py) instead of the tests.
set -uo pipefail
cd "$(dirname "$0")/.."
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
. test/cluster.sh
start=$(date +%s)

# the build holds no lock: it installs nothing
stage=$(test/citus-build.sh)
rc=$?
if [ $rc = 2 ]; then
    echo "${CITUS_BENCH:+bench }test-citus: skipped (no Citus source snapshot)"
    exit 0
elif [ $rc != 0 ]; then
    echo "test-citus: building Citus failed" >&2
    exit 1
fi

t0=$(date +%s)
install_lock
echo "test-citus: Citus built or found in $(( t0 - start ))s; the install lock waited for $(( $(date +%s) - t0 ))s"
# Citus's files into the server's directories (one installation serves all nodes)
pkglib=$($PG_CONFIG --pkglibdir)
sharedir=$($PG_CONFIG --sharedir)
if ! cp -a "$stage$pkglib/." "$pkglib/" 2>/dev/null ||
   ! cp -a "$stage$sharedir/extension/." "$sharedir/extension/" 2>/dev/null; then
    echo "test-citus: installing Citus into $pkglib failed: run as root" >&2
    exit 1
fi
make -s ${WERROR:+WERROR=1} >/dev/null || { echo "build failed" >&2; exit 1; }
make -s install >/dev/null || { echo "make install failed: run as root" >&2; exit 1; }

NODES=()
# node_start NAME PORT: initdb and start one Citus node in a temporary directory
node_start() {
    local dir
    dir=$(mktemp -d "/tmp/matrx_citus_$1.XXXXXX")
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    NODES+=("$dir")
    as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
    cat >>"$dir/data/postgresql.conf" <<EOF
port = $2
unix_socket_directories = '$dir'
listen_addresses = '127.0.0.1'
shared_preload_libraries = 'citus,pg_stat_statements'
pg_stat_statements.track = all
max_prepared_transactions = 50
max_connections = 100
# a Citus maintenance daemon per database: one database per test file
max_worker_processes = 32
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
citus.shard_count = 8
EOF
    # 9>&-: the server must not inherit the install lock (KEEP_CLUSTER would hold it)
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 9>&- ||
        { cat "$dir/server.log" >&2; return 1; }
}

# nodes_stop: stop every node started, remove their directories
nodes_stop() {
    local dir
    for dir in "${NODES[@]}"; do
        if [ -n "${KEEP_CLUSTER:-}" ]; then
            echo "node left running in $dir (stop: runuser -u postgres -- $PGBIN/pg_ctl -D $dir/data stop)" >&2
            continue
        fi
        as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "$dir"
    done
}
trap nodes_stop EXIT

t1=$(date +%s)
base=$((55000 + RANDOM % 900 * 3))
COORD_PORT=$base W1_PORT=$((base + 1)) W2_PORT=$((base + 2))
node_start coordinator $COORD_PORT && node_start worker1 $W1_PORT && node_start worker2 $W2_PORT ||
    { echo "test-citus: starting the nodes failed" >&2; exit 1; }
export PGHOST=127.0.0.1 PGUSER=postgres PGDATABASE=postgres PGPORT=$COORD_PORT
for p in $W1_PORT $W2_PORT; do
    psql -X -q -v ON_ERROR_STOP=1 -p $p -c 'CREATE EXTENSION citus' >/dev/null || exit 1
done
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<EOF || exit 1
CREATE EXTENSION citus;
SELECT citus_set_coordinator_host('127.0.0.1', $COORD_PORT);
SELECT citus_add_node('127.0.0.1', $W1_PORT);
SELECT citus_add_node('127.0.0.1', $W2_PORT);
EOF
echo "test-citus: Citus $(psql -X -At -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'") on a coordinator ($COORD_PORT) and two workers ($W1_PORT, $W2_PORT), started in $(( $(date +%s) - t1 ))s"

if [ -n "${CITUS_BENCH:-}" ]; then
    db=citus_bench
    for p in $W1_PORT $W2_PORT; do
        PGOPTIONS="-c client_min_messages=warning" psql -X -q -p $p -c "CREATE DATABASE $db" >/dev/null &&
            psql -X -q -p $p -d $db -c 'CREATE EXTENSION citus' >/dev/null || exit 1
    done
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -c "CREATE DATABASE $db" >/dev/null || exit 1
    psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<EOF || exit 1
CREATE EXTENSION citus;
SELECT citus_set_coordinator_host('127.0.0.1', $COORD_PORT);
SELECT citus_add_node('127.0.0.1', $W1_PORT);
SELECT citus_add_node('127.0.0.1', $W2_PORT);
EOF
    CITUS_NODE_DIRS="${NODES[*]}" PGDATABASE=$db /usr/bin/python3 test/bench/citus.py
    exit $?
fi

# every test file gets a fresh database (Citus is created in each, and the workers joined)
status=0
tests=${CITUS_TESTS:-$(cd test/citus && ls *.sql | grep -v '^schema' | sed 's/\.sql$//')}
for t in $tests; do
    db=citus_$t
    for p in $W1_PORT $W2_PORT; do
        PGOPTIONS="-c client_min_messages=warning" psql -X -q -p $p -c "CREATE DATABASE $db" >/dev/null && psql -X -q -p $p -d $db -c 'CREATE EXTENSION citus' >/dev/null || status=1
    done
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -c "CREATE DATABASE $db" >/dev/null || status=1
    psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<EOF || status=1
CREATE EXTENSION citus;
SELECT citus_set_coordinator_host('127.0.0.1', $COORD_PORT);
SELECT citus_add_node('127.0.0.1', $W1_PORT);
SELECT citus_add_node('127.0.0.1', $W2_PORT);
EOF
    # the schema file, then the test
    psql -X -q -v ON_ERROR_STOP=1 -d $db -f test/citus/schema.sql >"${NODES[0]}/schema-$t.log" 2>&1 ||
        { cat "${NODES[0]}/schema-$t.log" >&2; status=1; continue; }
    PGDATABASE=$db pg_prove -f "test/citus/$t.sql" || status=1
done

for dir in "${NODES[@]}"; do
    if grep -E "PANIC|TRAP:|terminated by signal" "$dir/server.log"; then status=1; fi
done
echo "test-citus: $([ $status = 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start ))s (the tests $(( $(date +%s) - t1 ))s)"
exit $status
