-- matrx_relations 0.2.0 -> 0.3.0: ALTER EXTENSION matrx_relations UPDATE.
--
-- Every object src/matrx_relations.sql creates in 0.3.0 that 0.2.0 did not,
-- and every changed definition (test/upgrade.sh checks that an updated 0.2.0
-- is object for object a fresh 0.3.0).

\echo Use "ALTER EXTENSION matrx_relations UPDATE" to load this file. \quit

-- stats(): plan cache and metadata counters at the end
DROP FUNCTION matrx_relations.stats();

CREATE FUNCTION matrx_relations.stats(
    OUT calls bigint, OUT statements bigint, OUT rows_fetched bigint,
    OUT cache_hits bigint, OUT cache_misses bigint, OUT cache_entries bigint,
    OUT cache_bytes bigint, OUT cache_invalidations bigint,
    OUT plans_prepared bigint, OUT plans_evicted bigint, OUT plan_cache_bytes bigint,
    OUT metadata_loads bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'stats'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 1;

COMMENT ON FUNCTION matrx_relations.stats() IS
'this backend''s counters since it started';

-- The typed, normalized form: each distinct row once, as a composite value
-- (the table's row type, or a record of a spec's "columns"), with the links
-- (node, id, parent) a client attaches it by.  load_nodes describes the
-- nodes; see the README, "Typed, normalized loads".
CREATE FUNCTION matrx_relations.load(
    source regclass, keys anyarray, VARIADIC relations text[] DEFAULT '{}')
RETURNS TABLE(node int, id int, parent int, r record)
AS 'MODULE_PATHNAME', 'load_keys'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.load(regclass, anyarray, text[]) IS
'source rows by primary key and their related rows, each distinct row once as a typed row value, with its links (node, id, parent): one statement for the rows, one per edge group';

CREATE FUNCTION matrx_relations.load(
    source regclass, keys anyarray, spec jsonb)
RETURNS TABLE(node int, id int, parent int, r record)
AS 'MODULE_PATHNAME', 'load_keys_spec'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.load(regclass, anyarray, jsonb) IS
'load with per-relation options (a spec): one statement for the rows, one per edge group';

CREATE FUNCTION matrx_relations.load(
    source regclass, instances jsonb, VARIADIC relations text[] DEFAULT '{}')
RETURNS TABLE(node int, id int, parent int, r record)
AS 'MODULE_PATHNAME', 'load_instances'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.load(regclass, jsonb, text[]) IS
'the related rows of the caller''s rows (a jsonb array of objects), each distinct row once, first-level links to -i for the i-th instance: one statement per edge group';

CREATE FUNCTION matrx_relations.load(
    source regclass, instances jsonb, spec jsonb)
RETURNS TABLE(node int, id int, parent int, r record)
AS 'MODULE_PATHNAME', 'load_instances_spec'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.load(regclass, jsonb, jsonb) IS
'the instances form of load with per-relation options (a spec): one statement per edge group';

CREATE FUNCTION matrx_relations.load_batch(requests jsonb)
RETURNS TABLE(request int, node int, id int, parent int, r record)
AS 'MODULE_PATHNAME', 'load_batch'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.load_batch(jsonb) IS
'prefetch_batch''s requests as load''s rows and links (request numbered from 1), grouped across requests at every depth, each distinct row once in the call';

-- load and load_batch with each row's fields as columns of their own (a
-- group per table and set of columns, in load_nodes order; the caller's
-- column list gives them): drivers decode plain columns faster than
-- composite values.
CREATE FUNCTION matrx_relations.load_flat(
    source regclass, keys anyarray, VARIADIC relations text[] DEFAULT '{}')
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'load_flat_keys'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.load_flat(regclass, anyarray, text[]) IS
'load''s rows and links with each row''s fields as columns (node, id, parent, then a group of columns per table in load_nodes order, given by the caller''s column list)';

CREATE FUNCTION matrx_relations.load_flat(
    source regclass, keys anyarray, spec jsonb)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'load_flat_keys_spec'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.load_flat(regclass, anyarray, jsonb) IS
'load_flat with per-relation options (a spec)';

CREATE FUNCTION matrx_relations.load_flat(
    source regclass, instances jsonb, VARIADIC relations text[] DEFAULT '{}')
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'load_flat_instances'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.load_flat(regclass, jsonb, text[]) IS
'the instances form of load_flat';

CREATE FUNCTION matrx_relations.load_flat(
    source regclass, instances jsonb, spec jsonb)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'load_flat_instances_spec'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.load_flat(regclass, jsonb, jsonb) IS
'the instances form of load_flat with per-relation options (a spec)';

CREATE FUNCTION matrx_relations.load_batch_flat(requests jsonb)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'load_batch_flat'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.load_batch_flat(jsonb) IS
'load_batch''s rows and links with each row''s fields as columns (request, node, id, parent, then a group per table and set of columns over every request''s nodes in order)';

CREATE FUNCTION matrx_relations.load_nodes(
    source regclass, VARIADIC relations text[] DEFAULT '{}')
RETURNS TABLE(node int, parent_node int, name text, relation text, kind text,
              to_many boolean, target regclass, columns name[], types regtype[])
AS 'MODULE_PATHNAME', 'load_nodes'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 10;

COMMENT ON FUNCTION matrx_relations.load_nodes(regclass, text[]) IS
'the nodes of load''s output for these paths: number, parent, output name, relation, kind, target and output columns';

CREATE FUNCTION matrx_relations.load_nodes(source regclass, spec jsonb)
RETURNS TABLE(node int, parent_node int, name text, relation text, kind text,
              to_many boolean, target regclass, columns name[], types regtype[])
AS 'MODULE_PATHNAME', 'load_nodes_spec'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 10;

COMMENT ON FUNCTION matrx_relations.load_nodes(regclass, jsonb) IS
'the nodes of load''s output for a spec: number, parent, output name, relation, kind, target and output columns';

-- The relations view: a cardinality column ('one' for an fk and for an
-- ifk whose foreign key columns are unique, else 'many'), then the
-- published set and options of registered relations.
ALTER TABLE matrx_relations.registered_relations
    ADD COLUMN options jsonb,
    ADD COLUMN relation_set text CHECK (relation_set <> '');

DROP VIEW matrx_relations.relations;
DROP FUNCTION matrx_relations.relations_all();

CREATE FUNCTION matrx_relations.relations_all(
    OUT source regclass, OUT name text, OUT kind text, OUT target regclass,
    OUT source_columns name[], OUT target_columns name[], OUT via regclass,
    OUT via_source_columns name[], OUT via_target_columns name[],
    OUT constraint_name name, OUT origin text, OUT cardinality text,
    OUT relation_set text, OUT options jsonb)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'relations_all'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION matrx_relations.relations_all() IS
'every relation of every table; the rows of the view matrx_relations.relations';

CREATE VIEW matrx_relations.relations AS
    SELECT * FROM matrx_relations.relations_all();

COMMENT ON VIEW matrx_relations.relations IS
'one row per relation (fk, ifk, m2m), under the name that loads it';
GRANT SELECT ON matrx_relations.relations TO PUBLIC;

DROP FUNCTION matrx_relations.register_relation(regclass, text, regclass, text[], text[], regclass, text[], text[]);

CREATE FUNCTION matrx_relations.register_relation(
    source regclass, name text, target regclass,
    source_columns text[], target_columns text[],
    via regclass DEFAULT NULL,
    via_source_columns text[] DEFAULT NULL,
    via_target_columns text[] DEFAULT NULL,
    options jsonb DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'register_relation'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION matrx_relations.register_relation(regclass, text, regclass, text[], text[], regclass, text[], text[], jsonb) IS
'defines a relation no foreign key declares (views, partitioned tables, logical links), with options (where, order_by, columns, duplicates, cast, via_cast, polymorphic); owner of the source only (and of the target of a polymorphic arm asking for a reverse)';

-- A published relation model: a named set of registered relations,
-- replaced together from one jsonb document (see the README, "Publishing a
-- relation model").
CREATE FUNCTION matrx_relations.publish_relations(relation_set text, relations jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'publish_relations'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION matrx_relations.publish_relations(text, jsonb) IS
'replaces a named set of registered relations with those of one jsonb document, atomically; true when anything changed';

CREATE FUNCTION matrx_relations.unpublish_relations(relation_set text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'unpublish_relations'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION matrx_relations.unpublish_relations(text) IS
'removes a published relation set; true when it had relations';

-- Citus: every registered relation between Citus tables sent to the
-- workers again (for a worker added after the registrations).
CREATE FUNCTION matrx_relations.sync_relations()
RETURNS integer
AS 'MODULE_PATHNAME', 'sync_relations'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION matrx_relations.sync_relations() IS
'on a Citus coordinator, sends every registered relation between Citus tables to every worker again (a worker added later); the number sent';
