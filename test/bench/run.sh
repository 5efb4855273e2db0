#!/usr/bin/env bash
# make bench: a throwaway cluster listening on loopback, the shop data at
# BENCH_SCALE, then test/bench/bench.py.  See shared/BENCH.md.
# jit is off: compiling the larger competitors' plans costs them up to
# 400 ms a call, which would measure LLVM rather than the query shapes.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh
if ! /usr/bin/python3 -c 'import psycopg2' 2>/dev/null || ! command -v gnuplot >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-psycopg2 gnuplot-nox >/dev/null
    else
        echo "bench: needs python3-psycopg2 and gnuplot-nox (apt-get install python3-psycopg2 gnuplot-nox)" >&2
        exit 1
    fi
fi
# the citus workload runs on a Citus lab of its own (test/citus.sh, which
# takes the install lock itself; skipped, saying so, without the Citus build)
case ",${BENCH_WORKLOADS:-}," in
*,citus,*)
    CITUS_BENCH=1 test/citus.sh || exit 1
    BENCH_WORKLOADS=$(echo ",$BENCH_WORKLOADS," | sed 's/,citus,/,/g; s/^,//; s/,$//')
    [ -n "$BENCH_WORKLOADS" ] || exit 0
    export BENCH_WORKLOADS
    ;;
esac
# the module is installed into the server's shared directories: hold make
# test's lock throughout, so another checkout's install cannot replace it
if command -v flock >/dev/null 2>&1; then
    exec 9>"${TMPDIR:-/tmp}/matrx_relations.install.lock"
    flock 9
fi
make -s >/dev/null
make -s install >/dev/null
CLUSTER_LISTEN=127.0.0.1 cluster_start "shared_buffers = '1GB'" "work_mem = '64MB'" "max_wal_size = '4GB'" \
    "checkpoint_timeout = '30min'" "autovacuum = off" "jit = off"
export PGHOST=127.0.0.1
"$PGBIN/createdb" bench
echo "bench: generating data (BENCH_SCALE=${BENCH_SCALE:-1.0}) ..."
start=$(date +%s)
"$PGBIN/psql" -X -q -d bench -v scale="${BENCH_SCALE:-1.0}" -f test/bench/schema.sql >/dev/null
"$PGBIN/psql" -X -q -d bench -c "CREATE EXTENSION matrx_relations; CREATE EXTENSION pg_stat_statements;"
echo "bench: data ready in $(( $(date +%s) - start )) s"
PGDATABASE=bench /usr/bin/python3 test/bench/bench.py
