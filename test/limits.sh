#!/usr/bin/env bash
# Limits (issue 6): 10,000,000 keys and documents beyond PostgreSQL's 1 GB
# limits end in a result or 54000, never XX000 or a crash, in every loader.
# Each check runs on a fresh connection and prints its time and the
# backend's peak resident memory (VmHWM); a check over LIMITS_MAX_MB
# (default 5000) of peak memory or LIMITS_TIMEOUT (default 180 s) fails.
# LIMITS_ROWS=10000000 adds a real 10,000,000-row load (about a minute).
# Runs against the cluster run-tests.sh started (PGHOST/PGPORT/PGUSER set).
set -euo pipefail
PGBIN=${PGBIN:-$(pg_config --bindir)}
psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
MAX_MB=${LIMITS_MAX_MB:-5000}
TIMEOUT=${LIMITS_TIMEOUT:-180s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
now_ms() { date +%s%3N; }

"$PGBIN/dropdb" --if-exists matrx_limits
"$PGBIN/createdb" matrx_limits
psql -d matrx_limits <<'SQL'
CREATE EXTENSION matrx_relations;
-- 100,000 sources with one child each: 10,000,000 keys are mostly missing
CREATE TABLE src (id int PRIMARY KEY, label text);
CREATE TABLE child (id int PRIMARY KEY, src_id int REFERENCES src, note text);
INSERT INTO src SELECT g, 's' || g FROM generate_series(1, 100000) g;
INSERT INTO child SELECT g, g, 'c' || g FROM generate_series(1, 100000) g;
CREATE INDEX ON child (src_id);
-- 1,100 rows of 1 MiB each (stored compressed, a few kB): one parent's
-- document, an instances result or an array of them passes 1 GB
CREATE TABLE one (id int PRIMARY KEY);
CREATE TABLE many (id int PRIMARY KEY, one_id int REFERENCES one, payload text);
CREATE TABLE lone (id int PRIMARY KEY, one_id int REFERENCES one, payload text);
INSERT INTO one SELECT generate_series(1, 1100);
INSERT INTO many SELECT g, 1, repeat(chr(97 + g % 26), 1048576) FROM generate_series(1, 1100) g;
-- and 300 under parent 2: a document past jsonb's own limit (256 MB) but under 1 GB
INSERT INTO many SELECT g, 2, repeat(chr(97 + g % 26), 1048576) FROM generate_series(1101, 1400) g;
INSERT INTO lone SELECT g, g, repeat(chr(97 + g % 26), 1048576) FROM generate_series(1, 1100) g;
CREATE INDEX ON many (one_id);
CREATE INDEX ON lone (one_id);
VACUUM ANALYZE;
SQL

# check NAME EXPECT QUERY: runs QUERY on a fresh connection; EXPECT is the
# one-line result it must print, or 54000 for that error
check() {
    local name=$1 expect=$2 query=$3 t0 t1 got peak
    t0=$(now_ms)
    "$PGBIN/psql" -X -q -At -d matrx_limits -v VERBOSITY=verbose \
        -c "SET statement_timeout = '$TIMEOUT'" -c "$query" \
        -c "SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+)'))[1]::bigint / 1024" \
        >"$out" 2>&1 || true
    t1=$(now_ms)
    peak=$(tail -1 "$out")
    got=$(grep -v "^$peak\$" "$out" | head -1)
    if ! [[ "$peak" =~ ^[0-9]+$ ]]; then
        echo "not ok - $name: the backend is gone: $(head -3 "$out" | tr '\n' ' ')"; fail=1; return
    fi
    if grep -q "ERROR:  XX000\|server closed the connection" "$out"; then
        echo "not ok - $name: $(grep ERROR "$out" | head -1)"; fail=1
    elif [ "$expect" = 54000 ] && grep -q "ERROR:  54000" "$out"; then
        echo "ok - $name: 54000 ($(grep -o 'ERROR:  54000: .*' "$out" | head -1 | cut -c16-90)) in $((t1 - t0)) ms, backend peak $peak MB"
    elif [ "$got" = "$expect" ]; then
        echo "ok - $name: $got in $((t1 - t0)) ms, backend peak $peak MB"
    else
        echo "not ok - $name: want $expect, got: $(head -2 "$out" | tr '\n' ' ')"; fail=1
    fi
    if [ "$peak" -gt "$MAX_MB" ]; then
        echo "not ok - $name: backend peak $peak MB over $MAX_MB MB"; fail=1
    fi
}

# 10,000,000 keys, 100,000 of them found
KEYS="(SELECT array_agg(g) FROM generate_series(1, 10000000) g)"
check "prefetch_related, 10,000,000 keys" 100000 \
    "SELECT count(*) FROM matrx_relations.prefetch_related('src', $KEYS, 'child')"
check "select_related, 10,000,000 keys" 100000 \
    "SELECT count(*) FROM matrx_relations.select_related('src', $KEYS, 'child')"
check "fetch_related, 10,000,000 keys" 100000 \
    "SELECT count(*) FROM matrx_relations.fetch_related(NULL::child, 'src', 'child', $KEYS)"
check "fetch_related_array, 10,000,000 keys" 100000 \
    "SELECT count(*) FROM matrx_relations.fetch_related_array(NULL::child, 'src', 'child', $KEYS) WHERE related <> '{}'"
check "prefetch_batch, 10,000,000 keys" 100000 \
    "SELECT jsonb_array_length(matrx_relations.prefetch_batch(jsonb_build_array(jsonb_build_object(
       'source', 'public.src', 'keys', (SELECT jsonb_agg(g) FROM generate_series(1, 10000000) g),
       'relations', '[\"child\"]'::jsonb))) -> 0)"
# the instances form: 10,000,000 objects do not fit in one jsonb (256 MB)
check "prefetch_related instances, 1,000,000 instances" 1000000 \
    "SELECT jsonb_array_length(matrx_relations.prefetch_related('src',
       (SELECT jsonb_agg(jsonb_build_object('id', g)) FROM generate_series(1, 1000000) g), 'child'))"

# a document of 300 MB: a jsonb container's offsets have 28 bits (256 MB);
# written past that, the document would come back corrupt, not refused
check "prefetch_related, one document of 300 MB" 54000 \
    "SELECT count(*) FROM matrx_relations.prefetch_related('one', ARRAY[2], 'many')"
check "select_related, one document of 300 MB" 54000 \
    "SELECT count(*) FROM matrx_relations.select_related('one', ARRAY[2], 'many')"
# documents beyond 1 GB: 1,100 children of 1 MiB under one parent
check "prefetch_related, one document of 1.1 GB" 54000 \
    "SELECT count(*) FROM matrx_relations.prefetch_related('one', ARRAY[1], 'many')"
check "select_related, one document of 1.1 GB" 54000 \
    "SELECT count(*) FROM matrx_relations.select_related('one', ARRAY[1], 'many')"
check "prefetch_related instances, a result of 1.1 GB" 54000 \
    "SELECT jsonb_array_length(matrx_relations.prefetch_related('one',
       (SELECT jsonb_agg(to_jsonb(o)) FROM one o), 'lone'))"
check "prefetch_batch, a result of 1.1 GB" 54000 \
    "SELECT jsonb_array_length(matrx_relations.prefetch_batch(jsonb_build_array(jsonb_build_object(
       'source', 'public.one', 'keys', (SELECT jsonb_agg(id) FROM one), 'relations', '[\"lone\"]'::jsonb))))"
# (typed rows keep their payloads compressed: the array stays small)
check "fetch_related_array, 1,100 rows of 1 MiB text in one array" 1 \
    "SELECT count(*) FROM matrx_relations.fetch_related_array(NULL::many, 'one', 'many', ARRAY[1])"
check "fetch_related, 1,100 rows of 1 MiB (1.1 GB in all)" 1100 \
    "SELECT count(*) FROM matrx_relations.fetch_related(NULL::many, 'one', 'many', ARRAY[1])"
check "prefetch_related, 1,100 documents of 1 MiB (1.1 GB in all)" 1100 \
    "SELECT count(*) FROM matrx_relations.prefetch_related('one', (SELECT array_agg(id) FROM one), 'lone')"

# a real 10,000,000-row load, on request
if [ -n "${LIMITS_ROWS:-}" ]; then
    psql -d matrx_limits -c "CREATE TABLE rows10 (id int PRIMARY KEY, v int)" \
        -c "INSERT INTO rows10 SELECT g, g % 7 FROM generate_series(1, $LIMITS_ROWS) g" -c "VACUUM ANALYZE rows10"
    check "prefetch_related, $LIMITS_ROWS rows found" "$LIMITS_ROWS" \
        "SELECT count(*) FROM matrx_relations.prefetch_related('rows10', (SELECT array_agg(g) FROM generate_series(1, $LIMITS_ROWS) g))"
fi

"$PGBIN/dropdb" matrx_limits
exit $fail
