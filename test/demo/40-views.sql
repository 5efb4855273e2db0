-- 40-views: a relation no foreign key declares, registered by hand.

\echo
\echo '=================================================================='
\echo ' 4. register_relation: a relation to a view'
\echo '=================================================================='
\echo 'A view has no foreign keys, so customers -> big_orders is registered.'
\echo 'target_columns {customer_id} are not a key of the view: kind ifk.'
\echo

CREATE VIEW big_orders AS
    SELECT id, customer_id, total FROM orders WHERE total >= 100;

\set ECHO queries
SELECT matrx_relations.register_relation(
           'customers', 'big_orders', 'big_orders', '{id}', '{customer_id}') \g /dev/null
SELECT source, name, kind, target, source_columns, target_columns, origin
  FROM matrx_relations.relations
 WHERE source = 'customers'::regclass
 ORDER BY name;
\set ECHO none

\echo '--- 4a. customers -> big_orders (a view has no primary key: its rows are'
\echo '        ordered by all their columns)'
:reset_stats
\set ECHO queries
SELECT f.source_key AS customer, f.related AS big_orders
  FROM matrx_relations.fetch_related_array(NULL::big_orders, 'customers',
                                           'big_orders', ARRAY[1, 2, 3]) AS f;
\set ECHO none
:count_stats
