-- matrx_relations 0.2.0 -> 0.3.0: ALTER EXTENSION matrx_relations UPDATE.
--
-- Every object src/matrx_relations.sql creates in 0.3.0 that 0.2.0 did not,
-- and every changed definition (test/upgrade.sh checks that an updated 0.2.0
-- is object for object a fresh 0.3.0).

\echo Use "ALTER EXTENSION matrx_relations UPDATE" to load this file. \quit
