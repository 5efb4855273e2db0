-- 30-explain: the statements a multi-relation load runs (explain_related).

\echo
\echo '=================================================================='
\echo ' 3. explain_related: the statements behind a load'
\echo '=================================================================='
\echo 'One statement for the source rows, then one per edge group: edges that'
\echo 'read the same table on the same key columns share a statement, so'
\echo 'billing_address and shipping_address (both -> addresses.id) run once.'
\echo

\pset format unaligned
\pset tuples_only on
\set ECHO queries
SELECT n || ': ' || statement
  FROM matrx_relations.explain_related('orders', 'customer', 'billing_address',
                                       'shipping_address', 'items')
       WITH ORDINALITY AS e(statement, n);
\set ECHO none
\pset format aligned
\pset tuples_only off
