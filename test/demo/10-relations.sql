-- 10-relations: what the extension found in the catalog.

\echo
\echo '=================================================================='
\echo ' 1. Relations found in the catalog (matrx_relations.relations)'
\echo '=================================================================='
\echo 'fk: to one, from a foreign key on the source; ifk: to many, the reverse'
\echo 'of an fk; m2m: to many, through a junction table.'
\echo

\set ECHO queries
SELECT source, name, kind, target, source_columns, target_columns, via
  FROM matrx_relations.relations
 ORDER BY source::text, name;
\set ECHO none
