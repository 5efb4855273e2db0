-- sync.sql: sync_relations() on the coordinator gives a worker that lacks
-- the registrations (as one added after them would) every relation between
-- Citus tables again: each relation registered on its own, each published
-- set with its options; not the relations to coordinator-local tables.
-- A worker "added later" is simulated by emptying the workers' config
-- tables through dblink (the lab has no third node to add).
SET client_min_messages = error;
SELECT plan(10);

-- the registered rows of the workers (groupid > 0), as (worker, source, name, target, options, set) text
CREATE FUNCTION pg_temp.worker_rows() RETURNS SETOF text LANGUAGE sql AS $$
    SELECT format('%s %s', d.groupid, t.r) FROM pg_dist_node d, dblink(format('host=%s port=%s dbname=%s user=%s',
        d.nodename, d.nodeport, current_database(), current_user),
        $q$SELECT format('%s %s %s %s %s %s %s', source, name, target, source_columns, target_columns,
                         options, relation_set) FROM matrx_relations.registered_relations$q$) AS t(r text)
    WHERE d.groupid > 0
$$;

-- what every worker should hold: the coordinator's rows between Citus tables, once per worker
CREATE FUNCTION pg_temp.expected_rows() RETURNS SETOF text LANGUAGE sql AS $$
    SELECT format('%s %s', d.groupid, format('%s %s %s %s %s %s %s', source, name, target, source_columns,
                  target_columns, options, relation_set))
    FROM pg_dist_node d, matrx_relations.registered_relations r
    WHERE d.groupid > 0 AND r.target <> 'lab.local_notes'::regclass
$$;

-- empties every worker's config table
CREATE FUNCTION pg_temp.forget_on_workers() RETURNS void LANGUAGE sql AS $$
    SELECT FROM pg_dist_node d, dblink_exec(format('host=%s port=%s dbname=%s user=%s',
        d.nodename, d.nodeport, current_database(), current_user),
        'DELETE FROM matrx_relations.registered_relations') AS t
    WHERE d.groupid > 0
$$;

-- a published set with options (a filter, an order, a cast) beside the schema's registrations
SELECT ok(matrx_relations.publish_relations('shop', '[
    {"source": "lab.products", "name": "cheap_items", "target": "lab.items",
     "source_columns": ["id"], "target_columns": ["product_id"],
     "where": {"qty": {"lt": 3}}, "order_by": ["qty desc"]},
    {"source": "lab.customers", "name": "big_orders", "target": "lab.orders",
     "source_columns": ["id"], "target_columns": ["customer_id"], "cast": "bigint",
     "where": {"total": {"gt": 100}}}]'::jsonb), 'publish a set with options');
SELECT set_eq('SELECT * FROM pg_temp.worker_rows()', 'SELECT * FROM pg_temp.expected_rows()',
    'the workers hold what the coordinator registered between Citus tables');

SELECT pg_temp.forget_on_workers();
SELECT is((SELECT count(*) FROM pg_temp.worker_rows()), 0::bigint, 'the workers have forgotten every registration');

SELECT is(matrx_relations.sync_relations(), 5, 'sync_relations sends three relations and a set of two');
SELECT set_eq('SELECT * FROM pg_temp.worker_rows()', 'SELECT * FROM pg_temp.expected_rows()',
    'after sync_relations the workers hold the same rows again, options and set names included');
SELECT is((SELECT count(*) FROM pg_temp.worker_rows() r WHERE r LIKE '%local_notes%'), 0::bigint,
    'the relation to a coordinator-local table is not sent');

-- again: nothing changes (the set is already there; a relation is replaced by itself)
SELECT is(matrx_relations.sync_relations(), 5, 'sync_relations again');
SELECT set_eq('SELECT * FROM pg_temp.worker_rows()', 'SELECT * FROM pg_temp.expected_rows()',
    'a second sync_relations leaves the same rows');

-- the workers load with what they were sent: a published relation's filter applies there
SELECT is((SELECT count(*) FROM pg_dist_node d, dblink(format('host=%s port=%s dbname=%s user=%s',
        d.nodename, d.nodeport, current_database(), current_user),
        $q$SELECT count(*) FROM matrx_relations.relations WHERE name = 'cheap_items' AND options ? 'where'$q$)
        AS t(n bigint) WHERE d.groupid > 0 AND t.n = 1), 2::bigint,
    'both workers list the published relation with its filter');

-- on a worker, sync_relations is refused
SELECT is((SELECT min(t.code) FROM pg_dist_node d, dblink(format('host=%s port=%s dbname=%s user=%s',
        d.nodename, d.nodeport, current_database(), current_user),
        $q$DO $d$ BEGIN PERFORM matrx_relations.sync_relations(); RAISE EXCEPTION 'none';
           EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; PERFORM set_config('lab.code', SQLSTATE, false); END $d$;
           SELECT current_setting('lab.code')$q$) AS t(code text) WHERE d.groupid > 0), '0A000',
    'on a worker: 0A000');

SELECT * FROM finish();
