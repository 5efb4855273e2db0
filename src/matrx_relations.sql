-- matrx_relations @EXTVERSION@: the one editable install script.
-- The Makefile generates matrx_relations--@EXTVERSION@.sql from it.

\echo Use "CREATE EXTENSION matrx_relations" to load this file. \quit

-- Everything here runs with the caller's privileges; anyone may call it.
GRANT USAGE ON SCHEMA matrx_relations TO PUBLIC;

-- Registered relations (register_relation).  An extension config table, so
-- pg_dump keeps its rows.  Users cannot write it: register_relation checks
-- that the caller owns the source table, then writes as this table's owner.
CREATE TABLE matrx_relations.registered_relations (
    source              regclass NOT NULL,
    name                text NOT NULL CHECK (name <> ''),
    target              regclass NOT NULL,
    source_columns      name[] NOT NULL,
    target_columns      name[] NOT NULL,
    via                 regclass,
    via_source_columns  name[],
    via_target_columns  name[],
    options             jsonb,
    relation_set        text CHECK (relation_set <> ''),
    PRIMARY KEY (source, name)
);
SELECT pg_catalog.pg_extension_config_dump('matrx_relations.registered_relations', '');
REVOKE ALL ON matrx_relations.registered_relations FROM PUBLIC;
GRANT SELECT ON matrx_relations.registered_relations TO PUBLIC;

-- No registered row outlives its tables: a dangling OID would be dumped as
-- a number and could attach to whatever table gets that OID later.
CREATE FUNCTION matrx_relations.forget_dropped_relations()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'forget_dropped_relations'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE EVENT TRIGGER matrx_relations_forget_dropped ON sql_drop
    EXECUTE FUNCTION matrx_relations.forget_dropped_relations();

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

CREATE FUNCTION matrx_relations.unregister_relation(source regclass, name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'unregister_relation'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION matrx_relations.unregister_relation(regclass, text) IS
'removes a registered relation; true when there was one';

-- Citus: every registered relation between Citus tables sent to the
-- workers again (for a worker added after the registrations).
CREATE FUNCTION matrx_relations.sync_relations()
RETURNS integer
AS 'MODULE_PATHNAME', 'sync_relations'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION matrx_relations.sync_relations() IS
'on a Citus coordinator, sends every registered relation between Citus tables to every worker again (a worker added later); the number sent';

CREATE FUNCTION matrx_relations.fetch_related(
    target anyelement, source regclass, relation text, keys anycompatiblearray)
RETURNS TABLE(source_key anycompatible, related anyelement)
AS 'MODULE_PATHNAME', 'fetch_related'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.fetch_related(anyelement, regclass, text, anycompatiblearray) IS
'typed related rows of one relation, each paired with its source key (one statement)';

CREATE FUNCTION matrx_relations.fetch_related_array(
    target anyelement, source regclass, relation text, keys anycompatiblearray)
RETURNS TABLE(source_key anycompatible, related anyarray)
AS 'MODULE_PATHNAME', 'fetch_related_array'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.fetch_related_array(anyelement, regclass, text, anycompatiblearray) IS
'typed related rows of one relation as one array per distinct source key (one statement)';

CREATE FUNCTION matrx_relations.explain_related(source regclass, VARIADIC relations text[])
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'explain_related'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION matrx_relations.explain_related(regclass, text[]) IS
'the statements the keys form of prefetch_related runs, in execution order';

CREATE FUNCTION matrx_relations.prefetch_related(
    source regclass, keys anyarray, VARIADIC relations text[] DEFAULT '{}')
RETURNS SETOF jsonb
AS 'MODULE_PATHNAME', 'prefetch_related'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.prefetch_related(regclass, anyarray, text[]) IS
'source rows by primary key as jsonb documents with their relations: one statement for the rows, one per edge group';

CREATE FUNCTION matrx_relations.prefetch_related(
    source regclass, instances jsonb, VARIADIC relations text[] DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'prefetch_related_instances'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION matrx_relations.prefetch_related(regclass, jsonb, text[]) IS
'the caller''s rows (a jsonb array of objects) with their relations added: one statement per edge group';

CREATE FUNCTION matrx_relations.select_related(
    source regclass, keys anyarray, VARIADIC relations text[] DEFAULT '{}')
RETURNS SETOF jsonb
AS 'MODULE_PATHNAME', 'select_related'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.select_related(regclass, anyarray, text[]) IS
'the documents of prefetch_related''s keys form from exactly one statement (joins and lateral aggregates)';

-- The spec forms: per-relation options (columns, where, order_by, limit,
-- include) as a jsonb object keyed by output name.  No DEFAULT on spec:
-- a call without relations stays the VARIADIC form's.
CREATE FUNCTION matrx_relations.prefetch_related(
    source regclass, keys anyarray, spec jsonb)
RETURNS SETOF jsonb
AS 'MODULE_PATHNAME', 'prefetch_related_spec'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.prefetch_related(regclass, anyarray, jsonb) IS
'source rows by primary key with their relations shaped by a spec (columns, where, order_by, per-parent limit, include): one statement per edge group';

CREATE FUNCTION matrx_relations.prefetch_related(
    source regclass, instances jsonb, spec jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'prefetch_related_instances_spec'
LANGUAGE C STABLE PARALLEL RESTRICTED;

COMMENT ON FUNCTION matrx_relations.prefetch_related(regclass, jsonb, jsonb) IS
'the caller''s rows with their relations shaped by a spec added: one statement per edge group';

CREATE FUNCTION matrx_relations.select_related(
    source regclass, keys anyarray, spec jsonb)
RETURNS SETOF jsonb
AS 'MODULE_PATHNAME', 'select_related_spec'
LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100;

COMMENT ON FUNCTION matrx_relations.select_related(regclass, anyarray, jsonb) IS
'the documents of prefetch_related''s keys form with a spec, from exactly one statement';

CREATE FUNCTION matrx_relations.prefetch_batch(requests jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'prefetch_batch'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION matrx_relations.prefetch_batch(jsonb) IS
'many prefetch_related requests in one call, grouped across requests at every depth';

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

CREATE FUNCTION matrx_relations.cache_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'cache_reset'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION matrx_relations.cache_reset() IS
'empties this backend''s relation cache';

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
