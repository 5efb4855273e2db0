-- cache.sql: the relation cache never returns stale rows of Citus tables.
-- A transaction loads a customer's orders; another session commits an
-- update of one of them, through the coordinator or directly on the worker
-- holding its shard; a second load in the same transaction must return what
-- plain SQL returns at that moment.  The coordinator's snapshot does not
-- change with such a commit (the rows live on a worker), so a cache keyed
-- on it would answer with the old rows: Citus tables are never cached.
-- Each scenario runs inside one function call (pgTAP's own writes between
-- statements would empty the cache and hide the bug).
SET client_min_messages = error;
SELECT plan(14);

-- a connection string to a node of Citus's metadata (group 0: the coordinator)
CREATE FUNCTION pg_temp.node(host text, port int) RETURNS text LANGUAGE sql AS $$
    SELECT format('host=%s port=%s dbname=%s user=%s', host, port, current_database(), current_user)
$$;

-- cache hits of this backend so far
CREATE FUNCTION pg_temp.hits() RETURNS bigint LANGUAGE sql AS $$
    SELECT cache_hits FROM matrx_relations.stats()
$$;

-- loads customer 5's orders, lets another session set the note of order
-- (5, 4) to val (via 'coordinator' or 'worker'), loads again: the second
-- load's note, plain SQL's note, and the cache hits of the second load
CREATE FUNCTION pg_temp.reload(via text, val text, loader text DEFAULT 'prefetch_related')
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    q text := CASE loader
        WHEN 'prefetch_related' THEN
            $l$SELECT x->'orders' FROM matrx_relations.prefetch_related('lab.customers', ARRAY[5]::bigint[], 'orders') x$l$
        WHEN 'fetch_related_array' THEN
            $l$SELECT to_jsonb(related) FROM matrx_relations.fetch_related_array(NULL::lab.orders, 'lab.customers', 'orders', ARRAY[5]::bigint[])$l$
        WHEN 'load' THEN
            $l$SELECT jsonb_agg(to_jsonb(r) ORDER BY id) FROM matrx_relations.load('lab.customers', ARRAY[5]::bigint[], 'orders') WHERE node = 1$l$
        END;
    first jsonb; second jsonb; plain text; h bigint; shard bigint; conn text;
BEGIN
    EXECUTE q INTO first;
    IF via = 'coordinator' THEN
        PERFORM dblink_exec((SELECT pg_temp.node(nodename, nodeport) FROM pg_dist_node WHERE groupid = 0),
            format('UPDATE lab.orders SET note = %L WHERE customer_id = 5 AND id = 4', val));
    ELSE
        shard := get_shard_id_for_distribution_column('lab.orders', 5);
        SELECT pg_temp.node(nodename, nodeport) INTO conn FROM pg_dist_shard_placement WHERE shardid = shard;
        PERFORM dblink_exec(conn,
            format('UPDATE lab.orders_%s SET note = %L WHERE customer_id = 5 AND id = 4', shard, val));
    END IF;
    h := pg_temp.hits();
    EXECUTE q INTO second;
    h := pg_temp.hits() - h;
    SELECT note INTO plain FROM lab.orders WHERE customer_id = 5 AND id = 4;
    RETURN jsonb_build_object(
        'load', (SELECT e->>'note' FROM jsonb_array_elements(second) e WHERE (e->>'id')::int = 4),
        'plain', plain, 'hits', h);
END $$;

-- READ COMMITTED: the other session's commit is visible to the next statement
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT pg_temp.reload('coordinator', 'rc via coordinator') AS r \gset
SELECT is(:'r'::jsonb->>'load', 'rc via coordinator', 'read committed, update through the coordinator: the load sees it');
SELECT is(:'r'::jsonb->>'load', :'r'::jsonb->>'plain', 'read committed, update through the coordinator: load = plain SQL');
COMMIT;
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT pg_temp.reload('worker', 'rc on the worker') AS r \gset
SELECT is(:'r'::jsonb->>'load', 'rc on the worker', 'read committed, update on the worker''s shard: the load sees it');
SELECT is(:'r'::jsonb->>'load', :'r'::jsonb->>'plain', 'read committed, update on the worker''s shard: load = plain SQL');
COMMIT;
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT pg_temp.reload('coordinator', 'rc typed', 'fetch_related_array') AS r \gset
SELECT is(:'r'::jsonb->>'load', 'rc typed', 'read committed, fetch_related_array sees the update');
COMMIT;
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT pg_temp.reload('worker', 'rc load', 'load') AS r \gset
SELECT is(:'r'::jsonb->>'load', 'rc load', 'read committed, load sees the update');
COMMIT;

-- REPEATABLE READ: whatever Citus's snapshot shows, the load shows
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pg_temp.reload('coordinator', 'rr via coordinator') AS r \gset
SELECT is(:'r'::jsonb->>'load', :'r'::jsonb->>'plain', 'repeatable read, update through the coordinator: load = plain SQL');
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pg_temp.reload('worker', 'rr on the worker') AS r \gset
SELECT is(:'r'::jsonb->>'load', :'r'::jsonb->>'plain', 'repeatable read, update on the worker''s shard: load = plain SQL');
COMMIT;

-- the cache still serves plain tables on the coordinator
CREATE FUNCTION pg_temp.twice(src text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE h bigint;
BEGIN
    PERFORM matrx_relations.prefetch_related(src::regclass, ARRAY[5]::bigint[], 'orders');
    h := pg_temp.hits();
    PERFORM matrx_relations.prefetch_related(src::regclass, ARRAY[5]::bigint[], 'orders');
    RETURN pg_temp.hits() - h;
END $$;
BEGIN;
SELECT is(pg_temp.twice('ref.customers'), 1::bigint, 'plain tables: a repeated load is served from the cache');
SELECT is(pg_temp.twice('lab.customers'), 0::bigint, 'Citus tables: never from the cache');
COMMIT;

-- a table that becomes a Citus table is no longer cached (the answer per
-- relation is dropped by Citus's invalidation), and again when it stops being one
CREATE TABLE lab.late (id bigint PRIMARY KEY, customer_id bigint);
INSERT INTO lab.late SELECT g, 1 + g % 10 FROM generate_series(1, 50) g;
SELECT matrx_relations.register_relation('lab.late', 'peers', 'lab.late', '{customer_id}', '{customer_id}');
CREATE FUNCTION pg_temp.twice_late() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE h bigint;
BEGIN
    PERFORM matrx_relations.prefetch_related('lab.late', ARRAY[5]::bigint[], 'peers');
    h := pg_temp.hits();
    PERFORM matrx_relations.prefetch_related('lab.late', ARRAY[5]::bigint[], 'peers');
    RETURN pg_temp.hits() - h;
END $$;
BEGIN; -- the cache serves transaction blocks only
SELECT is(pg_temp.twice_late(), 1::bigint, 'a local table: cached');
COMMIT;
SELECT create_distributed_table('lab.late', 'id');
BEGIN; -- the cache serves transaction blocks only
SELECT is(pg_temp.twice_late(), 0::bigint, 'the same table distributed: not cached');
COMMIT;
SELECT undistribute_table('lab.late');
SELECT ok(EXISTS (SELECT FROM matrx_relations.relations WHERE source = 'lab.late'::regclass AND name = 'peers'),
    'registrations survive undistribute_table');
SELECT matrx_relations.register_relation('lab.late', 'peers', 'lab.late', '{customer_id}', '{customer_id}')
    WHERE NOT EXISTS (SELECT FROM matrx_relations.relations WHERE source = 'lab.late'::regclass AND name = 'peers');
BEGIN; -- the cache serves transaction blocks only
SELECT is(pg_temp.twice_late(), 1::bigint, 'undistributed again: cached');
COMMIT;

SELECT * FROM finish();
