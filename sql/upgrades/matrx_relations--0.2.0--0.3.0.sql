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
