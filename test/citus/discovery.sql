-- discovery.sql: Citus's shard tables (<table>_<shardid>) are not listed
-- by discovery, on the coordinator or on a worker (where each distributed
-- table has its shards beside it, with FKs between them); the Citus tables
-- themselves are.
BEGIN;
SET LOCAL client_min_messages = error;
SELECT plan(6);

-- what the relations view of node (host, port) lists: all of it, and the shards in it
CREATE FUNCTION pg_temp.listed(host text, port int, OUT total bigint, OUT shards bigint) LANGUAGE sql AS $$
    SELECT * FROM dblink(format('host=%s port=%s dbname=%s user=%s', host, port, current_database(), current_user), $q$
        SELECT count(*), count(*) FILTER (WHERE EXISTS (
            SELECT FROM pg_dist_shard s JOIN pg_class l ON l.oid = s.logicalrelid JOIN pg_class c ON c.oid = r.source
            WHERE c.relname = l.relname || '_' || s.shardid AND c.relnamespace = l.relnamespace))
        FROM matrx_relations.relations r$q$) AS t(total bigint, shards bigint)
$$;

SELECT is((SELECT count(*) FROM matrx_relations.relations WHERE source = 'lab.customers'::regclass), 4::bigint,
    'coordinator: the Citus tables'' relations are listed');
SELECT is((SELECT l.shards FROM pg_dist_node n, pg_temp.listed(n.nodename, n.nodeport) l WHERE n.groupid = 0), 0::bigint,
    'coordinator: no shard among the sources');
SELECT is(l.shards, 0::bigint, 'worker ' || n.nodeport || ': no shard among the sources')
    FROM pg_dist_node n, pg_temp.listed(n.nodename, n.nodeport) l WHERE n.groupid > 0 ORDER BY n.nodeport;
SELECT cmp_ok(l.total, '>', 0::bigint, 'worker ' || n.nodeport || ': the Citus tables'' relations are listed')
    FROM pg_dist_node n, pg_temp.listed(n.nodename, n.nodeport) l WHERE n.groupid > 0 ORDER BY n.nodeport;

SELECT * FROM finish();
ROLLBACK;
