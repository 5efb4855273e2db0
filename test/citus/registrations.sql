-- registrations.sql: relations registered with register_relation on Citus
-- tables (issue 17, 6).  On the coordinator, register_relation,
-- unregister_relation, publish_relations and unpublish_relations send the
-- same call to every worker (regsync.c), for relations between Citus
-- tables; Citus's table conversions (alter_distributed_table,
-- undistribute_table), which build a new table, drop the old one and give
-- the new one its name, keep them (the sql_drop trigger re-points them);
-- a plain DROP TABLE still removes them.  (No transaction: Citus's
-- conversions commit their own work; the database is thrown away after
-- the file.)
SET client_min_messages = error;
SELECT plan(17);

-- registrations whose source or target is t
CREATE FUNCTION pg_temp.registered(t regclass) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM matrx_relations.relations WHERE origin = 'registered' AND (source = t OR target = t)
$$;

-- registrations of that name on the workers (groupid > 0): the smallest count of a worker
CREATE FUNCTION pg_temp.on_worker(name text) RETURNS bigint LANGUAGE sql AS $$
    SELECT min(n) FROM pg_dist_node d, dblink(format('host=%s port=%s dbname=%s user=%s',
        d.nodename, d.nodeport, current_database(), current_user),
        format('SELECT count(*) FROM matrx_relations.registered_relations WHERE name = %L', name)) AS t(n bigint)
    WHERE d.groupid > 0
$$;

SELECT is(pg_temp.registered('lab.reviews'), 1::bigint, 'the coordinator: customers.reviews is registered');
SELECT is(pg_temp.registered('lab.products'), 2::bigint, 'the coordinator: items.product and products.items are registered');
SELECT is(pg_temp.on_worker('reviews'), 1::bigint, 'every worker knows customers.reviews');
SELECT is(pg_temp.on_worker('local_notes'), 0::bigint, 'a relation to a coordinator-local table stays on the coordinator');

-- unregister, publish and unpublish reach the workers too; a rolled back registration does not
SELECT ok(matrx_relations.unregister_relation('lab.items', 'product'), 'unregister items.product');
SELECT is(pg_temp.on_worker('product'), 0::bigint, 'no worker knows items.product any more');
SET search_path = lab, public;
SELECT ok(matrx_relations.publish_relations('shop', '[{"source": "items", "name": "product", "target": "products",
    "source_columns": ["product_id"], "target_columns": ["id"], "where": {"price": {"gt": 0}}}]'::jsonb),
    'publish a set naming tables through the search_path');
RESET search_path;
SELECT is(pg_temp.on_worker('product'), 1::bigint, 'every worker has the published set');
BEGIN;
SELECT matrx_relations.register_relation('lab.customers', 'rolled_back', 'lab.orders', '{id}', '{customer_id}');
ROLLBACK;
SELECT is(pg_temp.on_worker('rolled_back'), 0::bigint, 'a rolled back registration reaches no worker');
SELECT ok(matrx_relations.unpublish_relations('shop'), 'unpublish the set');
SELECT is(pg_temp.on_worker('product'), 0::bigint, 'no worker has the unpublished set');

-- alter_distributed_table: a new table under the old name
SELECT lives_ok($$SELECT alter_distributed_table('lab.reviews', shard_count := 2)$$,
    'alter_distributed_table of a registered relation''s target');
SELECT is(pg_temp.registered('lab.reviews'), 1::bigint, 'customers.reviews survives alter_distributed_table');
SELECT is(pg_temp.on_worker('reviews'), 1::bigint, 'and on the workers');

-- undistribute_table: the same, to a plain table
SELECT lives_ok($$SELECT undistribute_table('lab.reviews')$$, 'undistribute_table');
SELECT is(pg_temp.registered('lab.reviews'), 1::bigint, 'customers.reviews survives undistribute_table');

-- a plain DROP TABLE still removes a table's registrations
DROP TABLE lab.reviews;
SELECT is((SELECT count(*) FROM matrx_relations.registered_relations WHERE name = 'reviews'), 0::bigint,
    'DROP TABLE removes the registrations of the dropped table');

SELECT * FROM finish();
