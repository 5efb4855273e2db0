-- matrx_relations 0.1.0 -> 0.2.0: ALTER EXTENSION matrx_relations UPDATE.
--
-- Every object src/matrx_relations.sql creates in 0.2.0 and 0.1.0 did not
-- (or creates differently) must be created or altered here too:
-- test/upgrade.sh compares an updated 0.1.0 with a fresh 0.2.0 install
-- object by object and fails on any difference.
--
-- 0.2.0 changes no SQL object yet: the per-relation options (the spec jsonb
-- forms of prefetch_related, select_related and prefetch_batch) add their
-- functions here when they land.

\echo Use "ALTER EXTENSION matrx_relations UPDATE TO '0.2.0'" to load this file. \quit
