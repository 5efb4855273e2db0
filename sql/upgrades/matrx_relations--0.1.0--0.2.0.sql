-- matrx_relations 0.1.0 -> 0.2.0: ALTER EXTENSION matrx_relations UPDATE.
--
-- Every object src/matrx_relations.sql creates in 0.2.0 and 0.1.0 did not
-- (or creates differently) must be created or altered here too:
-- test/upgrade.sh compares an updated 0.1.0 with a fresh 0.2.0 install
-- object by object and fails on any difference.
--
-- 0.2.0 adds the per-relation options: the spec jsonb forms of
-- prefetch_related and select_related (prefetch_batch takes "spec" in its
-- requests without a new signature).

\echo Use "ALTER EXTENSION matrx_relations UPDATE TO '0.2.0'" to load this file. \quit

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
