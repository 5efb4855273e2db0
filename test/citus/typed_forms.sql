-- typed_forms.sql: load and load_batch streamed (in a SELECT list) and
-- load_flat / load_batch_flat on Citus tables (lab) return what they return
-- on the same rows in plain tables (ref), and a stream on lab what the same
-- call in FROM returns there: co-located, non-co-located, reference and
-- local tables, composite keys led by the distribution column.
BEGIN;
SELECT plan(6);
SET LOCAL search_path = public;
-- helpers in pg_temp: Citus warns that it does not propagate them
SET LOCAL client_min_messages = error;

\ir include/same.psql

SELECT pg_temp.same($q$SELECT (l).node, (l).id, (l).parent, to_jsonb((l).r) FROM (SELECT matrx_relations.load('%1$s.customers',
    ARRAY[1, 2, 3, 17]::bigint[], 'orders.items.product.tags', 'region', 'local_notes', 'reviews') AS l) s$q$,
    'load streamed: nested, reference, local, non-co-located');
SELECT is(pg_temp.rows_of($q$SELECT (l).node, (l).id, (l).parent, to_jsonb((l).r) FROM (SELECT matrx_relations.load('%1$s.customers',
    ARRAY[1, 2, 3, 17]::bigint[], 'orders.items.product.tags', 'region', 'local_notes', 'reviews') AS l) s$q$, 'lab'),
          pg_temp.rows_of($q$SELECT node, id, parent, to_jsonb(r) FROM matrx_relations.load('%1$s.customers',
    ARRAY[1, 2, 3, 17]::bigint[], 'orders.items.product.tags', 'region', 'local_notes', 'reviews')$q$, 'lab'),
          'load streamed on lab: the rows of the call in FROM');
SELECT pg_temp.same($q$SELECT (l).request, (l).node, (l).id, (l).parent, to_jsonb((l).r) FROM (SELECT matrx_relations.load_batch(jsonb_build_array(
    jsonb_build_object('source', '%1$s.customers', 'keys', '[1, 2]'::jsonb, 'relations', '["orders.items"]'::jsonb),
    jsonb_build_object('source', '%1$s.products', 'keys', '[1, 3]'::jsonb, 'relations', '["tags", "items"]'::jsonb))) AS l) s$q$,
    'load_batch streamed');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.load_flat('%1$s.customers', ARRAY[1, 2, 3, 17, 999]::bigint[], 'orders', 'reviews')
    AS t(node int, id int, parent int, c1 bigint, c2 text, c3 int, c4 date, c5 double precision,
         o1 bigint, o2 bigint, o3 text, o4 numeric, o5 text, r1 bigint, r2 bigint, r3 int)$q$,
    'load_flat: co-located ifk (composite key), non-co-located');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.load_flat('%1$s.orders',
    (SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id) FROM ref.orders o WHERE o.customer_id IN (8, 9)), 'items', 'customer')
    AS t(node int, id int, parent int, o1 bigint, o2 bigint, o3 text, o4 numeric, o5 text,
         i1 bigint, i2 bigint, i3 bigint, i4 bigint, i5 int, c1 bigint, c2 text, c3 int, c4 date, c5 double precision)$q$,
    'load_flat instances: composite keys');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.load_batch_flat(jsonb_build_array(
    jsonb_build_object('source', '%1$s.products', 'keys', '[1, 3, 60]'::jsonb, 'relations', '["tags"]'::jsonb)))
    AS t(request int, node int, id int, parent int, p1 bigint, p2 text, p3 numeric, t1 int, t2 text)$q$,
    'load_batch_flat: m2m through a reference table');

SELECT * FROM finish();
ROLLBACK;
