-- routing.sql: loads of one key, or of keys in one shard, go to one shard.
-- Two views: EXPLAIN of the statements explain_related shows, prepared and
-- executed with real parameters (Citus's Task Count), and the loaders
-- themselves run with citus.multi_task_query_log_level = error (any of
-- their statements that Citus splits into tasks on several shards raises).
BEGIN;
SET LOCAL client_min_messages = error;
SELECT plan(27);

-- Citus's task count for sql prepared with types and executed with args
CREATE FUNCTION pg_temp.tasks(sql text, types text, args text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE line text; n int;
BEGIN
    EXECUTE format('PREPARE mx_routing(%s) AS %s', types, sql);
    FOR line IN EXECUTE format('EXPLAIN (COSTS OFF) EXECUTE mx_routing(%s)', args) LOOP
        IF line ~ 'Task Count: ' THEN
            n := coalesce(n, 0) + substring(line FROM 'Task Count: (\d+)')::int;
        END IF;
    END LOOP;
    DEALLOCATE mx_routing;
    RETURN n;
END $$;

-- statement i (1-based) of explain_related(src, rels)
CREATE FUNCTION pg_temp.stmt(src regclass, i int, VARIADIC rels text[]) RETURNS text LANGUAGE sql AS $$
    SELECT s FROM matrx_relations.explain_related(src, VARIADIC rels) WITH ORDINALITY x(s, n) WHERE n = i
$$;

-- keys of customers in customer 5's shard
CREATE TEMP TABLE mates AS
    SELECT array_agg(g ORDER BY g) AS keys FROM generate_series(1, 200) g
    WHERE get_shard_id_for_distribution_column('lab.customers', g) = get_shard_id_for_distribution_column('lab.customers', 5);

-- EXPLAIN of explain_related's statements
SELECT is(pg_temp.tasks(pg_temp.stmt('lab.customers', 1, 'orders', 'region'), 'bigint[]', 'ARRAY[5]::bigint[]'), 1,
    'source rows, one key: one task');
SELECT is(pg_temp.tasks(pg_temp.stmt('lab.customers', 2, 'orders', 'region'), 'bigint[]', 'ARRAY[5]::bigint[]'), 1,
    'co-located ifk, one key: one task');
SELECT is(pg_temp.tasks(pg_temp.stmt('lab.customers', 3, 'orders', 'region'), 'int[]', 'ARRAY[1]::int[]'), 1,
    'reference fk: one task');
SELECT is(pg_temp.tasks(pg_temp.stmt('lab.customers', 2, 'orders', 'region'), 'bigint[]', quote_literal(keys) || '::bigint[]'), 1,
    'co-located ifk, keys of one shard: one task')
    FROM mates;
SELECT cmp_ok(pg_temp.tasks(pg_temp.stmt('lab.customers', 2, 'orders', 'region'), 'bigint[]', 'ARRAY[1, 2, 3, 4, 5, 6, 9]::bigint[]'), '>', 1,
    'co-located ifk, keys of several shards: several tasks');
SELECT is(pg_temp.tasks(pg_temp.stmt('lab.products', 2, 'tags'), 'bigint[]', 'ARRAY[7]::bigint[]'), 1,
    'm2m junction, one key: one task');

-- the loaders themselves, one key: no statement split into several tasks
SET LOCAL citus.multi_task_query_log_level = error;
SELECT lives_ok($q$SELECT matrx_relations.prefetch_related('lab.customers', ARRAY[5]::bigint[], 'orders', 'region')$q$,
    'prefetch_related keys, one key: every statement on one shard');
SELECT lives_ok(format($q$SELECT matrx_relations.prefetch_related('lab.customers', %L::bigint[], 'orders', 'region')$q$, keys),
    'prefetch_related keys, keys of one shard: every statement on one shard') FROM mates;
SELECT lives_ok($q$SELECT matrx_relations.prefetch_related('lab.products', ARRAY[7]::bigint[], 'tags')$q$,
    'prefetch_related m2m, one key');
SELECT lives_ok($q$SELECT * FROM matrx_relations.fetch_related(NULL::lab.orders, 'lab.customers', 'orders', ARRAY[5]::bigint[])$q$,
    'fetch_related, one key');
SELECT lives_ok($q$SELECT * FROM matrx_relations.load('lab.customers', ARRAY[5]::bigint[], 'orders', 'region')$q$,
    'load, one key');
SELECT lives_ok($q$SELECT matrx_relations.prefetch_batch('[{"source": "lab.customers", "keys": [5], "relations": ["orders"]}]')$q$,
    'prefetch_batch, one key');
SELECT lives_ok($q$SELECT matrx_relations.prefetch_related('lab.orders', '[{"customer_id": 5, "id": 4, "status_code": "new"}]'::jsonb, 'customer', 'status')$q$,
    'prefetch_related instances, composite key, fk edges');
SELECT throws_ok($q$SELECT matrx_relations.prefetch_related('lab.customers', ARRAY[1, 2, 3, 4, 5, 6, 9]::bigint[], 'orders')$q$,
    NULL, 'multi-task query about to be executed', 'keys of several shards: several tasks (the check can fail)');

-- composite keys and select_related join unnest($1), which Citus does not
-- prune: on a distributed table an "= ANY" of the same keys on the
-- distribution column is added to each such match (issue 17, 3)
SELECT lives_ok($q$SELECT matrx_relations.prefetch_related('lab.customers', ARRAY[5]::bigint[], 'orders.items')$q$,
    'prefetch_related, one key, composite-key ifk: one shard');
SELECT lives_ok(format($q$SELECT matrx_relations.prefetch_related('lab.customers', %L::bigint[], 'orders.items.order')$q$, keys),
    'prefetch_related, keys of one shard, composite-key ifk and fk: one shard') FROM mates;
SELECT lives_ok($q$SELECT matrx_relations.prefetch_related('lab.orders', '[{"customer_id": 5, "id": 4}, {"customer_id": 5, "id": 194}]'::jsonb, 'items.order')$q$,
    'prefetch_related instances, composite keys: one shard');
SELECT lives_ok($q$SELECT matrx_relations.select_related('lab.customers', ARRAY[5]::bigint[], 'orders')$q$,
    'select_related, one key: one shard');
SELECT lives_ok(format($q$SELECT matrx_relations.select_related('lab.customers', %L::bigint[], 'orders.items.order', 'orders.status', 'region')$q$, keys),
    'select_related, keys of one shard, nested co-located and reference edges: one shard') FROM mates;
SELECT lives_ok($q$SELECT matrx_relations.select_related('lab.customers', ARRAY[5]::bigint[],
    '{"orders": {"where": {"total": {"gt": 1}}, "limit": 2, "order_by": ["total desc"], "include": {"items": {"columns": ["id"]}}}}'::jsonb)$q$,
    'select_related spec (where, limit, columns), one key: one shard');
SELECT throws_ok($q$SELECT matrx_relations.select_related('lab.customers', ARRAY[1, 2, 3, 4, 5, 6, 9]::bigint[], 'orders.items')$q$,
    NULL, 'multi-task query about to be executed', 'select_related, keys of several shards: several tasks (the check can fail)');
SET LOCAL citus.multi_task_query_log_level = off;
SELECT is(pg_temp.tasks(pg_temp.stmt('lab.customers', 3, 'orders.items'), 'bigint[], bigint[]', 'ARRAY[5]::bigint[], ARRAY[4]::bigint[]'), 1,
    'composite-key ifk, one key: one task');
SELECT is(pg_temp.tasks(pg_temp.stmt('lab.customers', 3, 'orders.items'), 'bigint[], bigint[]',
    quote_literal(keys) || '::bigint[], ' || quote_literal(keys) || '::bigint[]'), 1,
    'composite-key ifk, keys of one shard: one task') FROM mates;
SELECT cmp_ok(pg_temp.tasks(pg_temp.stmt('lab.customers', 3, 'orders.items'), 'bigint[], bigint[]',
    'ARRAY[1, 2, 3, 4, 5, 6, 9]::bigint[], ARRAY[1, 2, 3, 4, 5, 6, 9]::bigint[]'), '>', 1,
    'composite-key ifk, keys of several shards: several tasks');
SELECT is(pg_temp.tasks(pg_temp.stmt('lab.customers', 2, 'orders.items'), 'bigint[]', 'ARRAY[5]::bigint[]'), 1,
    'the plain = ANY ifk beside it: one task');
-- the prune filter only on Citus: plain tables keep plain PostgreSQL's statement
-- (under customers' whole order sets, items are filtered by customer_id
-- alone: nested.sql; an item's order under a product's items is not)
SELECT ok(pg_temp.stmt('lab.products', 3, 'items.order') LIKE '%AND t.customer_id OPERATOR(pg_catalog.=) ANY ($1)%',
    'lab: the composite match filters the distribution column with = ANY ($1)');
SELECT is(pg_temp.stmt('ref.customers', 3, 'orders.items'),
    'SELECT k.k1, k.k2, pg_catalog.to_jsonb(t.*) FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS k(k1, k2) '
    'JOIN ref.items t ON t.customer_id OPERATOR(pg_catalog.=) k.k1 AND t.order_id OPERATOR(pg_catalog.=) k.k2 '
    'ORDER BY t.customer_id, t.order_id, t.id',
    'plain tables: the statement without the filter');

SELECT * FROM finish();
ROLLBACK;
