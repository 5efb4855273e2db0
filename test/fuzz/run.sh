#!/usr/bin/env bash
# make fuzz: a bounded sqlsmith run and a bounded run of the differential
# fuzzer (difffuzz.py), on a throwaway cluster.  Fails on a server crash
# (PANIC, TRAP, a backend terminated by a signal), on an internal error
# (XX000) in or around matrx_relations, and on any difference between a
# loader and the naive SQL.
#
#   FUZZ_SECONDS   time for the two runs together (default 120: 60 each)
#   FUZZ_SEED      first seed of both (default: from the clock; printed)
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

FUZZ_SECONDS=${FUZZ_SECONDS:-120}
FUZZ_SEED=${FUZZ_SEED:-$(( $(date +%s) % 1000000 ))}
half=$(( FUZZ_SECONDS / 2 > 5 ? FUZZ_SECONDS / 2 : 5 ))
PY=/usr/bin/python3

# sqlsmith and Debian's psycopg2 (the python3 on PATH may not see it)
missing=()
command -v sqlsmith >/dev/null 2>&1 || missing+=(sqlsmith)
{ [ -x $PY ] && $PY -c 'import psycopg2' 2>/dev/null; } || missing+=(python3-psycopg2)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "fuzz: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || exit 1
    else
        echo "fuzz: missing ${missing[*]}: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

# the install location is shared by every checkout: hold the lock throughout
if command -v flock >/dev/null 2>&1; then
    exec 9>"${TMPDIR:-/tmp}/matrx_relations.install.lock"
    flock 9
fi
make -s >/dev/null || { echo "build failed" >&2; exit 1; }
make -s install >/dev/null || { echo "make install failed (run as root)" >&2; exit 1; }

cluster_start "log_line_prefix = '%m [%p] %e '" "log_error_verbosity = verbose" \
    "track_functions = all" "autovacuum = off" || exit 1
status=0
t0=$(date +%s)

# ---- 1. sqlsmith, as a non-superuser owning the schema (no lo_export, no
# signals to other backends), with the loaders in reach (smith-schema.sql)
"$PGBIN/createdb" smith
psql -X -q -v ON_ERROR_STOP=1 -d smith -c "CREATE ROLE smith_user LOGIN" \
    -c "GRANT CREATE ON DATABASE smith TO smith_user" -c "CREATE EXTENSION matrx_relations" || exit 1
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -U smith_user -d smith \
    -f test/fuzz/smith-schema.sql >/dev/null || exit 1
echo "fuzz: sqlsmith for ${half} s, seed $FUZZ_SEED"
counts=$CLUSTER_DIR/smith-counts
timeout "${half}s" sqlsmith --target="host=$PGHOST port=$PGPORT user=smith_user dbname=smith" \
    --exclude-catalog --seed="$FUZZ_SEED" --dump-all-queries 2>"$CLUSTER_DIR/sqlsmith.err" |
    awk 'BEGIN { RS = ";\n" }
         { n++ }
         /(matrx_relations\.[a-z_]+|smith\.(load_[a-z0-9_]+|prefetch_[a-z_]+|select_[a-z_]+|fetch_[a-z_]+|explain))[ \n]*\(/ { ours++ }
         END { print n + 0, ours + 0 }' >"$counts"
read -r nqueries nours <"$counts"
psql -X -A -t -d smith -c "SELECT 'fuzz: sqlsmith ran ' || $nqueries || ' statements, ' || $nours ||
    ' of them calling a loader or a wrapper; wrappers entered ' || last_value ||
    ' times; completed calls: ' || coalesce((SELECT string_agg(funcname || ' ' || calls, ', ' ORDER BY calls DESC)
        FROM pg_stat_user_functions WHERE schemaname IN ('matrx_relations', 'smith')), 'none')
    FROM smith.wrapper_calls" || status=1
[ "$nours" -gt 0 ] || { echo "fuzz: sqlsmith called none of the extension's functions" >&2; status=1; }
$PY test/fuzz/smithlog.py "$CLUSTER_DIR/server.log" || status=1
grep -E "^(ERROR|terminate)" "$CLUSTER_DIR/sqlsmith.err" | head -5

# ---- 2. the differential fuzzer, for the other half
"$PGBIN/createdb" fuzz
echo "fuzz: difffuzz.py for ${half} s"
PGDATABASE=fuzz $PY test/fuzz/difffuzz.py --start $(( FUZZ_SEED * 1000 )) --seconds "$half" \
    --replay "${TMPDIR:-/tmp}/difffuzz-replay.sql" || status=1

if grep -E "PANIC|TRAP:|terminated by signal" "$CLUSTER_DIR/server.log" | head -5 | grep -q .; then
    echo "fuzz: the server crashed (see above)" >&2
    grep -E "PANIC|TRAP:|terminated by signal" -A2 "$CLUSTER_DIR/server.log" | head -20
    status=1
fi
echo "fuzz: $(( $(date +%s) - t0 )) s"
cluster_stop
if [ $status -eq 0 ]; then echo "make fuzz: no crash, no internal error, no difference"; else echo "make fuzz: FAILED"; fi
exit $status
