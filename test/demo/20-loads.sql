-- 20-loads: typed loads with fetch_related / fetch_related_array, each
-- followed by the number of statements it ran (pg_stat_statements).

\echo
\echo '=================================================================='
\echo ' 2. Loading related rows: fetch_related, fetch_related_array'
\echo '=================================================================='
\echo 'Keys are values of the source''s primary key; NULL::target picks the'
\echo 'row type.  Each load runs exactly one statement, however many keys.'

\echo
\echo '--- 2a. fk: orders -> customer (one customer per order)'
:reset_stats
\set ECHO queries
SELECT f.source_key AS order_id, (f.related).*
  FROM matrx_relations.fetch_related(NULL::customers, 'orders', 'customer',
                                     ARRAY[101, 102, 103, 104]) AS f;
\set ECHO none
:count_stats

\echo
\echo '--- 2b. ifk: customers -> orders (Grace Hopper has none: no row)'
:reset_stats
\set ECHO queries
SELECT f.source_key AS customer, (f.related).*
  FROM matrx_relations.fetch_related(NULL::orders, 'customers', 'orders',
                                     ARRAY[1, 2, 3]) AS f;
\set ECHO none
:count_stats

\echo
\echo '--- 2c. m2m: products -> tags through product_tags, one array per key'
\echo '        (the Eraser has no tags: an empty array)'
:reset_stats
\set ECHO queries
SELECT f.source_key AS product_id, f.related AS tags
  FROM matrx_relations.fetch_related_array(NULL::tags, 'products', 'tags',
                                           ARRAY[1, 2, 3, 4, 5]) AS f;
\set ECHO none
:count_stats

\echo
\echo '--- 2d. composite fk: stores (country, region_code) -> regions (country, code),'
\echo '        named by its constraint (see section 1); the online shop has no region'
:reset_stats
\set ECHO queries
SELECT f.source_key AS store_id, (f.related).*
  FROM matrx_relations.fetch_related(NULL::regions, 'stores',
                                     'stores_country_region_code_fkey',
                                     ARRAY[1, 2, 3, 4]) AS f;
\set ECHO none
:count_stats

\echo
\echo '--- 2e. self-reference: employees -> manager (Margaret has none: no row)'
:reset_stats
\set ECHO queries
SELECT f.source_key AS employee_id, (f.related).*
  FROM matrx_relations.fetch_related(NULL::employees, 'employees', 'manager',
                                     ARRAY[1, 2, 3, 4]) AS f;
\set ECHO none
:count_stats
