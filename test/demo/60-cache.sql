-- 60-cache: the transaction-scoped relation cache.

\echo
\echo '=================================================================='
\echo ' 6. the relation cache: a repeated load in one transaction'
\echo '=================================================================='
\echo 'Inside a transaction, keys loaded before are served from a backend-local'
\echo 'cache that is exact: it is emptied when a fresh load could differ (another'
\echo 'commit becoming visible, own writes, SET ROLE, DDL, the transaction end).'
\echo

BEGIN ISOLATION LEVEL REPEATABLE READ;
:reset_stats
\set ECHO queries
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[101, 102],
         'customer', 'items.product.tags');
\set ECHO none
:count_stats
\echo '--- 6a. the same load again: no statement at all'
:reset_stats
\set ECHO queries
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[101, 102],
         'customer', 'items.product.tags');
\set ECHO none
:count_stats
\echo '--- 6b. after an UPDATE in this transaction: loaded afresh, the change is seen'
\set ECHO queries
UPDATE customers SET name = name || ' (vip)' WHERE id = 1;
\set ECHO none
:reset_stats
\set ECHO queries
SELECT d -> 'customer' ->> 'name' AS customer
  FROM matrx_relations.prefetch_related('orders', ARRAY[101], 'customer', 'items.product.tags') AS d;
\set ECHO none
:count_stats
\set ECHO queries
SELECT cache_hits, cache_misses, cache_entries, cache_invalidations FROM matrx_relations.stats();
\set ECHO none
ROLLBACK;
