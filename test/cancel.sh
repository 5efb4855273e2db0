#!/usr/bin/env bash
# A 1,000,000-key load ends with 57014 within half a second of
# pg_cancel_backend (sent early, in the statements, and late, in the
# assembly) and within a second of its statement_timeout.  Runs against the cluster run-tests.sh started.
set -euo pipefail
PGBIN=${PGBIN:-$(pg_config --bindir)}
psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0

"$PGBIN/dropdb" --if-exists matrx_cancel
"$PGBIN/createdb" matrx_cancel
psql -d matrx_cancel <<'SQL'
CREATE EXTENSION matrx_relations;
CREATE TABLE big (id int PRIMARY KEY, label text);
CREATE TABLE kids (id int PRIMARY KEY, big_id int REFERENCES big, note text);
INSERT INTO big SELECT g, 'b' || g FROM generate_series(1, 1000000) g;
INSERT INTO kids SELECT g, g, 'k' || g FROM generate_series(1, 1000000) g;
CREATE INDEX ON kids (big_id);
VACUUM ANALYZE big, kids;
SQL
KEYS="(SELECT array_agg(g) FROM generate_series(1, 1000000) g)"
# CANCEL_LOAD measures another load of the same tables
LOAD=${CANCEL_LOAD:-"SELECT count(*) FROM matrx_relations.prefetch_related('big', $KEYS, 'kids')"}

now_ms() { date +%s%3N; }

# the bound: half a second; a second on an assertion-enabled server, whose
# error cleanup overwrites every freed byte of the load's memory (about 1 GB
# here: CLOBBER_FREED_MEMORY) before the client hears of the cancel
bound=500
[ "$(psql -d matrx_cancel -Atc 'SHOW debug_assertions')" = on ] && bound=1000

# cancel_after SECONDS [RETRY]: start the load, cancel it after SECONDS, check 57014
# within half a second (which includes starting psql for the cancel)
cancel_after() {
    PGAPPNAME=matrx_victim "$PGBIN/psql" -X -q -d matrx_cancel -v VERBOSITY=verbose -c "$LOAD" >"$out" 2>&1 &
    local pid=$! t0 t1
    sleep "$1"
    if ! kill -0 "$pid" 2>/dev/null; then
        # a load faster than the timed one (a busy machine times it slow):
        # the same phase, earlier, twice at most
        if [ "${2:-0}" -lt 2 ]; then
            echo "# the load finished before the cancel at ${1}s: again at 0.6 of that"
            cancel_after "$(awk -v t="$1" 'BEGIN { printf "%.2f", t * 0.6 }')" $(( ${2:-0} + 1 ))
            return
        fi
        echo "not ok - the load finished before the cancel at ${1}s (make it bigger)"; fail=1; return
    fi
    t0=$(now_ms)
    psql -d matrx_cancel -Atc "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'matrx_victim'" >/dev/null
    wait "$pid" || true
    t1=$(now_ms)
    if grep -q "57014" "$out" && [ $((t1 - t0)) -lt $bound ]; then
        echo "ok - pg_cancel_backend after ${1}s: 57014 in $((t1 - t0)) ms"
    elif ! grep -q ERROR "$out" && [ $((t1 - t0)) -lt $bound ]; then
        # the load ended as the cancel was sent: nothing left to cancel
        echo "ok - pg_cancel_backend after ${1}s # SKIP the load ended $((t1 - t0)) ms after it, uncancelled"
    else
        echo "not ok - pg_cancel_backend after ${1}s: $((t1 - t0)) ms, $(head -1 "$out")"; fail=1
    fi
}
# Points in the load: a tenth (the keys), half (the statements) and eight
# tenths (the assembly) of an uncancelled load's time on this machine, so
# that a faster or slower machine still cancels each phase.  The load is
# timed warm (the first run after loading the tables can be much slower).
# CANCEL_AT="0.25 0.5 ..." (seconds) measures other points.
psql -d matrx_cancel -c "$LOAD" >/dev/null
t0=$(now_ms)
psql -d matrx_cancel -c "$LOAD" >/dev/null
full=$(( $(now_ms) - t0 ))
echo "# the load uncancelled: $full ms"
for at in ${CANCEL_AT:-$(awk -v t="$full" 'BEGIN { printf "%.2f %.2f %.2f", t * 0.1 / 1000, t * 0.5 / 1000, t * 0.8 / 1000 }')}; do
    cancel_after "$at"
done

t0=$(now_ms)
"$PGBIN/psql" -X -q -d matrx_cancel -v VERBOSITY=verbose -c "SET statement_timeout = '1500ms'" -c "$LOAD" >"$out" 2>&1 || true
t1=$(now_ms)
if grep -q "57014" "$out" && [ $((t1 - t0)) -lt 2500 ]; then
    echo "ok - statement_timeout = 1500ms: 57014 after $((t1 - t0)) ms"
else
    echo "not ok - statement_timeout: $((t1 - t0)) ms, $(head -1 "$out")"; fail=1
fi
# and afterwards the backend loads normally
if [ "$(psql -d matrx_cancel -Atc "SELECT count(*) FROM matrx_relations.prefetch_related('big', ARRAY[1, 2, 3], 'kids')")" = 3 ]; then
    echo "ok - a load after the cancels works"
else
    echo "not ok - a load after the cancels"; fail=1
fi
"$PGBIN/dropdb" matrx_cancel
exit $fail
