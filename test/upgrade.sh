#!/usr/bin/env bash
# ALTER EXTENSION matrx_relations UPDATE from every frozen release
# (sql/upgrades/matrx_relations--X.Y.Z.sql) must give exactly what a fresh
# CREATE EXTENSION gives: the same member objects, and for each the same
# definition, flags, comments and privileges.  Runs against the cluster
# run-tests.sh started (PGHOST/PGPORT/PGUSER set), after make install.
set -euo pipefail
cd "$(dirname "$0")/.."
PGBIN=${PGBIN:-$(pg_config --bindir)}
psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Everything the extension defines, one sorted line per fact
DESCRIBE=$(cat <<'SQL'
WITH ext AS (
    SELECT oid, extversion, extconfig, extcondition FROM pg_extension
    WHERE extname = 'matrx_relations'),
member AS (
    SELECT d.classid, d.objid, d.objsubid FROM pg_depend d, ext
    WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid
      AND d.deptype = 'e'),
rel AS (
    SELECT c.* FROM pg_class c JOIN member m
      ON m.classid = 'pg_class'::regclass AND m.objid = c.oid)
SELECT line FROM (
    SELECT 'extension ' || extversion || ' config ' || coalesce(extconfig::regclass[]::text, '-')
           || ' ' || coalesce(extcondition::text, '-') FROM ext
    UNION ALL
    SELECT 'member ' || pg_describe_object(classid, objid, objsubid) FROM member
    UNION ALL
    SELECT 'comment ' || pg_describe_object(d.classoid, d.objoid, d.objsubid) || ': ' || d.description
    FROM pg_description d JOIN member m ON d.classoid = m.classid AND d.objoid = m.objid
    UNION ALL
    SELECT 'function ' || pg_get_functiondef(p.oid) || ' acl ' || coalesce(p.proacl::text, '-')
    FROM pg_proc p JOIN member m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
    UNION ALL
    SELECT format('relation %s kind %s acl %s rls %s', r.oid::regclass, r.relkind,
                  coalesce(r.relacl::text, '-'), r.relrowsecurity)
           || coalesce(' view ' || pg_get_viewdef(r.oid), '') FROM rel r
    UNION ALL
    SELECT format('column %s.%s %s notnull %s default %s acl %s', r.oid::regclass, a.attname,
                  format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  coalesce(pg_get_expr(ad.adbin, ad.adrelid), '-'), coalesce(a.attacl::text, '-'))
    FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = r.oid AND ad.adnum = a.attnum
    UNION ALL
    SELECT format('constraint %s %s %s', r.oid::regclass, c.conname, pg_get_constraintdef(c.oid))
    FROM rel r JOIN pg_constraint c ON c.conrelid = r.oid
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
    FROM rel r JOIN pg_index i ON i.indrelid = r.oid
    UNION ALL
    SELECT format('event trigger %s on %s enabled %s tags %s function %s', e.evtname, e.evtevent,
                  e.evtenabled, coalesce(e.evttags::text, '-'), e.evtfoid::regprocedure)
    FROM pg_event_trigger e JOIN member m
      ON m.classid = 'pg_event_trigger'::regclass AND m.objid = e.oid
    UNION ALL
    SELECT format('schema %s acl %s', nspname, coalesce(nspacl::text, '-'))
    FROM pg_namespace WHERE nspname = 'matrx_relations'
) facts(line)
ORDER BY line COLLATE "C";
SQL
)

"$PGBIN/dropdb" --if-exists matrx_upgrade_fresh
"$PGBIN/createdb" matrx_upgrade_fresh
psql -d matrx_upgrade_fresh -c 'CREATE EXTENSION matrx_relations'
psql -d matrx_upgrade_fresh -At -c "$DESCRIBE" >"$tmp/fresh"
default=$(psql -d matrx_upgrade_fresh -Atc "SELECT extversion FROM pg_extension WHERE extname = 'matrx_relations'")

fail=0 tested=0
for frozen in sql/upgrades/matrx_relations--*.sql; do
    v=${frozen##*/matrx_relations--}; v=${v%.sql}
    case $v in *--*) continue ;; esac
    tested=$((tested + 1))
    "$PGBIN/dropdb" --if-exists matrx_upgrade_old
    "$PGBIN/createdb" matrx_upgrade_old
    psql -d matrx_upgrade_old -c "CREATE EXTENSION matrx_relations VERSION '$v'" \
        -c 'ALTER EXTENSION matrx_relations UPDATE'
    psql -d matrx_upgrade_old -At -c "$DESCRIBE" >"$tmp/updated"
    if diff -u "$tmp/fresh" "$tmp/updated" >"$tmp/diff"; then
        echo "ok - $v updated to $default equals a fresh $default ($(wc -l <"$tmp/fresh") facts)"
    else
        echo "not ok - $v updated to $default differs from a fresh $default (- fresh, + updated):"
        sed 's/^/# /' "$tmp/diff"
        fail=1
    fi
    "$PGBIN/dropdb" matrx_upgrade_old
done
# 0.2.0 not yet updated, with this module installed: its registered
# relations still load and register (the config table without options and
# relation sets is read as it is); then updated, they are kept
"$PGBIN/dropdb" --if-exists matrx_upgrade_old
"$PGBIN/createdb" matrx_upgrade_old
got=$(psql -d matrx_upgrade_old -At <<'SQL'
CREATE EXTENSION matrx_relations VERSION '0.2.0';
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (id int PRIMARY KEY, p_id int);
INSERT INTO p VALUES (1);
INSERT INTO c VALUES (1, 1), (2, 1);
SELECT matrx_relations.register_relation('c', 'parent', 'p', '{p_id}', '{id}');
SELECT d->'parent' FROM matrx_relations.prefetch_related('c', ARRAY[2], 'parent') d;
ALTER EXTENSION matrx_relations UPDATE;
SELECT d->'parent' FROM matrx_relations.prefetch_related('c', ARRAY[2], 'parent') d;
SELECT matrx_relations.register_relation('p', 'kids', 'c', '{id}', '{p_id}', options => '{"order_by": ["id desc"]}');
SELECT d->'kids' FROM matrx_relations.prefetch_related('p', ARRAY[1], 'kids') d;
SQL
)
expected='
{"id": 1}
{"id": 1}

[{"id": 2, "p_id": 1}, {"id": 1, "p_id": 1}]'
if [ "$got" = "$expected" ]; then
    echo "ok - 0.2.0's registered relations load with this module before and after the update"
else
    echo "not ok - 0.2.0's registered relations load with this module before and after the update"
    echo "# expected: $expected"
    echo "# got:      $got"
    fail=1
fi
"$PGBIN/dropdb" matrx_upgrade_old
"$PGBIN/dropdb" matrx_upgrade_fresh
if [ $tested = 0 ]; then
    echo "not ok - no frozen release in sql/upgrades to update from"; fail=1
fi
exit $fail
