#!/usr/bin/env bash
# Registered relations survive pg_dump and restore (the config table's rows
# are dumped by name, and restored into a fresh database).  Runs against the
# cluster run-tests.sh started (PGHOST/PGPORT/PGUSER set).
set -euo pipefail
PGBIN=${PGBIN:-$(pg_config --bindir)}
psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT

"$PGBIN/dropdb" --if-exists matrx_dump_src
"$PGBIN/dropdb" --if-exists matrx_dump_dst
"$PGBIN/createdb" matrx_dump_src
psql -d matrx_dump_src <<'SQL'
CREATE EXTENSION matrx_relations;
CREATE TABLE customers (id int PRIMARY KEY, name text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, total numeric);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 10;
INSERT INTO customers VALUES (1, 'ann'), (2, 'bob');
INSERT INTO orders VALUES (10, 1, 50), (11, 2, 5), (12, 1, 20);
SELECT matrx_relations.register_relation('customers', 'big_orders', 'big_orders', '{id}', '{customer_id}');
CREATE TABLE notes (id int PRIMARY KEY, kind text, object_id varchar(10), body text);
INSERT INTO notes VALUES (1, 'customer', '1', 'b'), (2, 'customer', '1', 'a'), (3, 'order', '1', 'x');
SELECT matrx_relations.publish_relations('orm', '[{"source": "customers", "name": "notes", "target": "notes",
  "source_columns": ["id"], "target_columns": ["object_id"], "cast": "text",
  "where": {"kind": "customer"}, "order_by": ["body"], "columns": ["body"]}]');
-- a polymorphic arm asking for its reverse (customers.customer_notes)
SELECT matrx_relations.register_relation('notes', 'about_customer', 'customers', '{object_id}', '{id}',
  options => '{"cast": "integer", "polymorphic": {"name": "about", "type_column": "kind", "type_value": "customer", "reverse": "customer_notes"}}');
SQL
"$PGBIN/pg_dump" -Fc -f "$dump" matrx_dump_src
"$PGBIN/createdb" matrx_dump_dst
"$PGBIN/pg_restore" --exit-on-error -d matrx_dump_dst "$dump"

expected='1|(10,1,50)
1|(12,1,20)'
got=$(psql -d matrx_dump_dst -At -c "SELECT source_key, related FROM matrx_relations.fetch_related(NULL::big_orders, 'customers', 'big_orders', ARRAY[1, 2])")
origin=$(psql -d matrx_dump_dst -At -c "SELECT origin FROM matrx_relations.relations WHERE source = 'customers'::regclass AND name = 'big_orders'")
# a published set, with its options and key cast
notes=$(psql -d matrx_dump_dst -At -c "SELECT d->'notes' FROM matrx_relations.prefetch_related('customers', ARRAY[1], 'notes') d")
reverse=$(psql -d matrx_dump_dst -At -c "SELECT jsonb_path_query_array(d, '$.customer_notes[*].id') FROM matrx_relations.prefetch_related('customers', ARRAY[1], 'customer_notes') d")
changed=$(psql -d matrx_dump_dst -At -c "SELECT matrx_relations.publish_relations('orm', '[{\"source\": \"customers\", \"name\": \"notes\", \"target\": \"notes\", \"source_columns\": [\"id\"], \"target_columns\": [\"object_id\"], \"cast\": \"text\", \"where\": {\"kind\": \"customer\"}, \"order_by\": [\"body\"], \"columns\": [\"body\"]}]')")
"$PGBIN/dropdb" matrx_dump_src
"$PGBIN/dropdb" matrx_dump_dst
if [ "$got" = "$expected" ] && [ "$origin" = "registered" ] &&
   [ "$notes" = '[{"body": "a"}, {"body": "b"}]' ] && [ "$changed" = f ] && [ "$reverse" = '[1, 2]' ]; then
    echo "ok - registered relations survive pg_dump/restore"
else
    echo "not ok - registered relations survive pg_dump/restore"
    echo "# expected: $expected / registered"
    echo "# got:      $got / $origin"
    echo "# published set: $notes (expected [{\"body\": \"a\"}, {\"body\": \"b\"}]), republished changed: $changed (expected f)"
    echo "# a polymorphic arm's reverse: $reverse (expected [1, 2])"
    exit 1
fi
