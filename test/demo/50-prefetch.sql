-- 50-prefetch: whole documents with nested relations (prefetch_related,
-- both forms) and many loads in one call (prefetch_batch).

\echo
\echo '=================================================================='
\echo ' 5. prefetch_related: documents with nested relations'
\echo '=================================================================='
\echo 'One statement for the orders, then one per edge group, whatever the'
\echo 'number of keys: customer, items, items.product, items.product.tags,'
\echo 'billing_address + shipping_address (one addresses statement) = 6.'
\echo

:reset_stats
\set ECHO queries
SELECT jsonb_pretty(d)
  FROM matrx_relations.prefetch_related('orders', ARRAY[102],
         'customer', 'items.product.tags', 'billing_address', 'ship_to:shipping_address') AS d;
\set ECHO none
:count_stats

\echo
\echo '--- 5a. the instances form: the rows the caller already holds, with'
\echo '        relations added (the orders table is not read: one statement less)'
:reset_stats
\set ECHO queries
SELECT matrx_relations.prefetch_related('orders',
         '[{"id": 101, "customer_id": 1}, {"id": 103, "customer_id": 2}, {"id": 101, "customer_id": 1}]'::jsonb,
         'customer') AS orders;
\set ECHO none
:count_stats

\echo
\echo '--- 5b. prefetch_batch: loads gathered by a DataLoader, answered together;'
\echo '        both requests need customers at depth 1: one statement for them,'
\echo '        plus one for the orders the first request names by key'
:reset_stats
\set ECHO queries
SELECT jsonb_pretty(matrx_relations.prefetch_batch('[
         {"source": "orders", "keys": [101, 104], "relations": ["customer"]},
         {"source": "orders", "instances": [{"id": 103, "customer_id": 2}], "relations": ["customer"]}
       ]'));
\set ECHO none
:count_stats
