-- 70-spec: per-relation options (the spec jsonb forms): which columns,
-- which rows, in which order, and how many per parent.

\echo
\echo '=================================================================='
\echo ' 7. per-relation options: the spec jsonb forms'
\echo '=================================================================='
\echo 'Each customer with its latest order only (a per-parent limit, not a'
\echo 'global LIMIT), that order with its items, and only the columns asked'
\echo 'for. Still one statement per edge: customers, orders, items = 3.'
\echo

:reset_stats
\set ECHO queries
SELECT jsonb_pretty(d)
  FROM matrx_relations.prefetch_related('customers', ARRAY[1, 2], '{
         "latest_order": {"relation": "orders", "columns": ["id", "total"],
                          "order_by": ["id desc"], "limit": 1,
                          "include": {"items": {"columns": ["product_id", "qty"]}}}
       }'::jsonb) AS d;
\set ECHO none
:count_stats

\echo
\echo '--- 7a. filters: orders over 100 only (the value is a typed parameter),'
\echo '        and select_related giving the same documents in one statement'
:reset_stats
\set ECHO queries
SELECT d
  FROM matrx_relations.select_related('customers', ARRAY[1, 2], '{
         "orders": {"columns": ["id", "total"], "where": {"total": {"gt": 100}}}
       }'::jsonb) AS d;
\set ECHO none
:count_stats
