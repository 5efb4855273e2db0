-- registrations.sql: relations registered with register_relation on Citus
-- tables (issue 17, 6).  Today they are rows of the coordinator's config
-- table only: a worker does not know them (a loader call Citus delegates to
-- a worker fails there, see loaders.sql), and Citus's table conversions
-- (alter_distributed_table, undistribute_table), which build a new table,
-- drop the old one and give the new one its name, delete them with the
-- dropped table.  The TODO tests say what registrations should do; the
-- others hold today.  (No transaction: Citus's conversions commit their
-- own work; the database is thrown away after the file.)
SET client_min_messages = error;
SELECT plan(8);

-- registrations whose source or target is t
CREATE FUNCTION pg_temp.registered(t regclass) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM matrx_relations.relations WHERE origin = 'registered' AND (source = t OR target = t)
$$;

-- registrations a node of Citus's metadata has (groupid > 0: the workers), by name
CREATE FUNCTION pg_temp.on_worker(name text) RETURNS bigint LANGUAGE sql AS $$
    SELECT min(n) FROM pg_dist_node d, dblink(format('host=%s port=%s dbname=%s user=%s',
        d.nodename, d.nodeport, current_database(), current_user),
        format('SELECT count(*) FROM matrx_relations.registered_relations WHERE name = %L', name)) AS t(n bigint)
    WHERE d.groupid > 0
$$;

SELECT is(pg_temp.registered('lab.reviews'), 1::bigint, 'the coordinator: customers.reviews is registered');
SELECT is(pg_temp.registered('lab.products'), 2::bigint, 'the coordinator: items.product and products.items are registered');

SELECT todo('registrations are per node (issue 17)', 1);
SELECT is(pg_temp.on_worker('reviews'), 1::bigint, 'every worker knows customers.reviews');

-- alter_distributed_table: a new table under the old name
SELECT lives_ok($$SELECT alter_distributed_table('lab.reviews', shard_count := 2)$$,
    'alter_distributed_table of a registered relation''s target');
SELECT is(pg_temp.registered('lab.reviews'), 1::bigint, 'customers.reviews survives alter_distributed_table');

-- undistribute_table: the same, to a plain table
SELECT lives_ok($$SELECT undistribute_table('lab.reviews')$$, 'undistribute_table');
SELECT is(pg_temp.registered('lab.reviews'), 1::bigint, 'customers.reviews survives undistribute_table');

-- what a user does today: register again
SELECT lives_ok($$SELECT matrx_relations.register_relation('lab.customers', 'reviews', 'lab.reviews', '{id}', '{customer_id}')$$,
    'registering again after the conversion');

SELECT * FROM finish();
