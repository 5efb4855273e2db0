-- nested.sql: a nested level's composite keys led by the distribution
-- column (customers -> orders -> items) when every parent row set holds all
-- rows of its keys: the statement filters the child by the distinct
-- distribution values alone and the loader keeps the asked keys' rows
-- (citusmatch.c).  Where a parent is filtered or limited, or is the
-- request's own rows, the keys stay zipped (else a tenant with many rows,
-- of which few were asked for, would be read whole).  Every case equals
-- the same load on plain tables (ref); rows_fetched (stats) tells which
-- statement ran.
BEGIN;
SET LOCAL client_min_messages = error;
SELECT plan(17);
SET LOCAL search_path = public;

\ir include/same.psql

-- the rows the statements of q (on lab) fetched
CREATE FUNCTION pg_temp.fetched(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE before bigint := (SELECT rows_fetched FROM matrx_relations.stats());
BEGIN
    PERFORM pg_temp.rows_of(q, 'lab');
    RETURN (SELECT rows_fetched FROM matrx_relations.stats()) - before;
END $$;

-- statement i (1-based) of explain_related(src, rels)
CREATE FUNCTION pg_temp.stmt(src regclass, i int, VARIADIC rels text[]) RETURNS text LANGUAGE sql AS $$
    SELECT s FROM matrx_relations.explain_related(src, VARIADIC rels) WITH ORDINALITY x(s, n) WHERE n = i
$$;

-- the statements
SELECT is(pg_temp.stmt('lab.customers', 3, 'orders.items'),
    'SELECT t.customer_id, t.order_id, pg_catalog.to_jsonb(t.*) FROM lab.items t '
    'WHERE t.customer_id OPERATOR(pg_catalog.=) ANY ($1) ORDER BY t.customer_id, t.order_id, t.id',
    'customers -> orders -> items: items filtered by the distinct customer_id values alone');
SELECT ok(pg_temp.stmt('lab.products', 3, 'items.order') LIKE '%unnest($1), pg_catalog.unnest($2)%AND t.customer_id OPERATOR(pg_catalog.=) ANY ($1)%',
    'the orders of a product''s items (not keyed on the parent''s own key): keys zipped, pruned by = ANY ($1)');
SELECT ok(pg_temp.stmt('ref.customers', 3, 'orders.items') LIKE '%unnest($1), pg_catalog.unnest($2)%',
    'plain tables: keys zipped');

-- the same documents and rows as on plain tables
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers',
    ARRAY[1, 2, 3, 17, 34, 191, 195, 999, 2, NULL]::bigint[], 'orders.items.order', 'orders.status')$q$,
    'prefetch_related keys: orders.items.order');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers',
    (SELECT array_agg(g ORDER BY g DESC) FROM generate_series(1, 200) g), 'orders.items')$q$,
    'prefetch_related keys: 200 keys, every shard');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.regions', ARRAY[1, 2]::int[], 'customers.orders.items')$q$,
    'prefetch_related keys: from a reference table, three levels');
SELECT pg_temp.same($q$SELECT node, id, parent, to_jsonb(r) FROM matrx_relations.load('%1$s.customers',
    ARRAY[1, 2, 3, 17]::bigint[], 'orders.items.product')$q$, 'load keys (typed rows)');
SELECT pg_temp.same($q$SELECT request, node, id, parent, to_jsonb(r) FROM matrx_relations.load_batch(jsonb_build_array(
    jsonb_build_object('source', '%1$s.customers', 'keys', '[1, 2]'::jsonb, 'relations', '["orders.items"]'::jsonb),
    jsonb_build_object('source', '%1$s.customers', 'keys', '[2, 5]'::jsonb, 'relations', '["orders.items"]'::jsonb)))$q$,
    'load_batch: two requests share the items statement');
SELECT pg_temp.same($q$SELECT matrx_relations.prefetch_batch(jsonb_build_array(
    jsonb_build_object('source', '%1$s.customers', 'keys', '[1, 2]'::jsonb, 'relations', '["orders.items"]'::jsonb),
    jsonb_build_object('source', '%1$s.orders', 'instances',
        (SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id) FROM ref.orders o WHERE o.customer_id = 2 AND o.id < 300),
        'relations', '["items"]'::jsonb)))$q$,
    'prefetch_batch: a whole parent set and some of a tenant''s orders in one group');

-- a tenant with many more rows than asked for: customer 5's orders limited
-- to one, or filtered, and their items: only those orders' items are read
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers', ARRAY[5, 6]::bigint[],
    '{"orders": {"order_by": ["id"], "limit": 1, "include": {"items": {}}}}'::jsonb)$q$,
    'spec: a limited parent');
SELECT is(pg_temp.fetched($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers', ARRAY[5, 6]::bigint[],
    '{"orders": {"order_by": ["id"], "limit": 1, "include": {"items": {}}}}'::jsonb)$q$),
    2 + 2 + (SELECT count(*) FROM ref.items i WHERE (i.customer_id, i.order_id) IN
        (SELECT customer_id, min(id) FROM ref.orders WHERE customer_id IN (5, 6) GROUP BY customer_id)),
    'a limited parent: the items of its orders only');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers', ARRAY[5, 6]::bigint[],
    '{"orders": {"where": {"status_code": "paid"}, "include": {"items": {}}}}'::jsonb)$q$,
    'spec: a filtered parent');
SELECT is(pg_temp.fetched($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers', ARRAY[5, 6]::bigint[],
    '{"orders": {"where": {"status_code": "paid"}, "include": {"items": {}}}}'::jsonb)$q$),
    2 + (SELECT count(*) FROM ref.orders WHERE customer_id IN (5, 6) AND status_code = 'paid')
      + (SELECT count(*) FROM ref.items i JOIN ref.orders o ON (o.customer_id, o.id) = (i.customer_id, i.order_id)
         WHERE o.customer_id IN (5, 6) AND o.status_code = 'paid'),
    'a filtered parent: the items of its orders only');
SELECT is(pg_temp.fetched($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers', ARRAY[5, 6]::bigint[], 'orders.items')$q$),
    2 + (SELECT count(*) FROM ref.orders WHERE customer_id IN (5, 6))
      + (SELECT count(*) FROM ref.items WHERE customer_id IN (5, 6)),
    'whole parents: every item of the tenants, all of them asked for');

-- rows of no parent (a registered relation has no FK: shipments of orders
-- that do not exist) are read by the distribution filter and dropped
DO $$
DECLARE s text;
BEGIN
    FOREACH s IN ARRAY ARRAY['lab', 'ref'] LOOP
        EXECUTE format('CREATE TABLE %1$I.shipments (customer_id bigint, order_id bigint, id bigint,
                        carrier text, PRIMARY KEY (customer_id, order_id, id))', s);
    END LOOP;
END $$;
SELECT create_distributed_table('lab.shipments', 'customer_id', colocate_with => 'lab.customers');
INSERT INTO lab.shipments SELECT o.customer_id, o.id, 1, 'carrier ' || o.id % 3 FROM lab.orders o WHERE o.customer_id <= 10;
INSERT INTO lab.shipments SELECT g, 100000 + g, 1, 'lost' FROM generate_series(1, 10) g;
INSERT INTO ref.shipments SELECT * FROM lab.shipments;
SELECT matrx_relations.register_relation(s || '.orders', 'shipments', s || '.shipments',
    '{customer_id, id}', '{customer_id, order_id}') FROM unnest(ARRAY['lab', 'ref']) s;
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers', ARRAY[1, 2, 3]::bigint[], 'orders.shipments')$q$,
    'rows of no parent: not in the documents');
SELECT pg_temp.same($q$SELECT node, id, parent, to_jsonb(r) FROM matrx_relations.load('%1$s.customers',
    ARRAY[1, 2, 3]::bigint[], 'orders.shipments')$q$, 'rows of no parent: not in the typed rows');
SELECT is(pg_temp.fetched($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers', ARRAY[1, 2, 3]::bigint[], 'orders.shipments')$q$),
    3 + 2 * (SELECT count(*) FROM ref.orders WHERE customer_id IN (1, 2, 3)) + 3,
    'rows of no parent: read (3 of them), then dropped');

SELECT * FROM finish();
ROLLBACK;
