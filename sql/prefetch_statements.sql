-- Statement counts of prefetch_related and prefetch_batch, as
-- pg_stat_statements (track = all) records them below the top level: one
-- for the source rows (keys form only), then exactly one per edge group,
-- for 1 key as for 10,000; none below a level that yields no keys.
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE SCHEMA ps;
SET search_path = ps;

CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE addresses (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, city text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers,
    billing_address_id bigint REFERENCES addresses, shipping_address_id bigint REFERENCES addresses);
CREATE TABLE products (id int PRIMARY KEY, name text);
CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders, product_id int REFERENCES products);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE product_tags (product_id int REFERENCES products, tag_id int REFERENCES tags, PRIMARY KEY (product_id, tag_id));
INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 5000) g;
INSERT INTO addresses SELECT g, 1 + g % 5000, 'city' || g FROM generate_series(1, 7500) g;
-- orders above 10,000 have no customer and no items
INSERT INTO orders SELECT g, CASE WHEN g <= 10000 THEN 1 + g % 5000 END,
    1 + g % 7500, 1 + (g * 7) % 7500 FROM generate_series(1, 12000) g;
INSERT INTO products SELECT g, 'p' || g FROM generate_series(1, 500) g;
INSERT INTO items SELECT g, 1 + g % 10000, 1 + g % 500 FROM generate_series(1, 30000) g;
INSERT INTO tags SELECT g, 't' || g FROM generate_series(1, 50) g;
INSERT INTO product_tags SELECT p, t FROM generate_series(1, 500) p, generate_series(1, 3) s, LATERAL (SELECT 1 + (p * s) % 50 AS t) x ON CONFLICT DO NOTHING;
ANALYZE;

-- the statements the previous top-level statement ran inside it
CREATE FUNCTION ps.statements() RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(sum(calls), 0) FROM public.pg_stat_statements WHERE NOT toplevel $$;
-- instances as a caller would hold them (read by the top-level statement itself)
CREATE TABLE ps.instances AS
    SELECT n, (SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id) FROM ps.orders o WHERE o.id <= n) AS docs
    FROM unnest(ARRAY[1, 2, 5000, 10000]) n;
-- warm-up: the first call of a backend loads relation metadata (no statement either)
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[1], 'customer', 'items.product.tags', 'billing_address', 'shipping_address');
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;

-- customer: 2 (keys) / 1 (instances)
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[1], 'customer');
SELECT ps.statements() AS keys_1;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY(SELECT generate_series(1, 10000)), 'customer');
SELECT ps.statements() AS keys_10000;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT jsonb_array_length(matrx_relations.prefetch_related('orders', (SELECT docs FROM ps.instances WHERE n = 1), 'customer'));
SELECT ps.statements() AS instances_1;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT jsonb_array_length(matrx_relations.prefetch_related('orders', (SELECT docs FROM ps.instances WHERE n = 10000), 'customer'));
SELECT ps.statements() AS instances_10000;

-- customer, items.product.tags: 5 / 4
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[1], 'customer', 'items.product.tags');
SELECT ps.statements() AS keys_1;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY(SELECT generate_series(1, 10000)), 'customer', 'items.product.tags');
SELECT ps.statements() AS keys_10000;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT jsonb_array_length(matrx_relations.prefetch_related('orders', (SELECT docs FROM ps.instances WHERE n = 1), 'customer', 'items.product.tags'));
SELECT ps.statements() AS instances_1;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT jsonb_array_length(matrx_relations.prefetch_related('orders', (SELECT docs FROM ps.instances WHERE n = 10000), 'customer', 'items.product.tags'));
SELECT ps.statements() AS instances_10000;
-- (ps.statements()'s own query is left out: PostgreSQL 18 records a SQL
-- function's statements with their constants, 15 with $n)
SELECT query FROM public.pg_stat_statements
 WHERE NOT toplevel AND query NOT LIKE '%pg_stat_statements%' ORDER BY query;

-- billing_address, shipping_address (both read addresses by id): 2 / 1
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[1], 'billing_address', 'shipping_address');
SELECT ps.statements() AS keys_1;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY(SELECT generate_series(1, 10000)), 'billing_address', 'shipping_address');
SELECT ps.statements() AS keys_10000;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT jsonb_array_length(matrx_relations.prefetch_related('orders', (SELECT docs FROM ps.instances WHERE n = 10000), 'billing_address', 'shipping_address'));
SELECT ps.statements() AS instances_10000;

-- an empty level runs no statement, and nothing below it runs:
-- orders above 10,000 have no items (items runs, finds none: products and tags do not run)
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY(SELECT generate_series(10001, 12000)), 'items.product.tags');
SELECT ps.statements() AS source_and_items;
-- ... and no customer (no key at all: the customer statement does not run)
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY(SELECT generate_series(10001, 12000)), 'customer.orders');
SELECT ps.statements() AS source_only;
-- no keys found: only the source statement; no keys given: nothing
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[-1, -2], 'customer', 'items');
SELECT ps.statements() AS source_only;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[]::int[], 'customer', 'items');
SELECT jsonb_array_length(matrx_relations.prefetch_related('orders', '[]'::jsonb, 'customer', 'items'));
SELECT ps.statements() AS none;

-- prefetch_batch: three requests that all reach customers at depth 1 share
-- one statement for it (keys deduplicated across requests); the orders
-- and addresses source rows take one statement each
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT jsonb_array_length(matrx_relations.prefetch_batch(jsonb_build_array(
    jsonb_build_object('source', 'ps.orders', 'keys', jsonb_build_array(1, 2, 3), 'relations', jsonb_build_array('customer')),
    jsonb_build_object('source', 'ps.addresses', 'keys', jsonb_build_array(1, 2), 'relations', jsonb_build_array('customer')),
    jsonb_build_object('source', 'ps.orders', 'instances', (SELECT docs FROM ps.instances WHERE n = 5000), 'relations', jsonb_build_array('customer')))));
SELECT ps.statements() AS batch;
-- the customers statement, run once for the three requests (the two source
-- statements are left out of the list: PostgreSQL 18's pg_stat_statements
-- identifies a table in a query by its alias, not its OID, so statements of
-- the same shape on ps.orders t and ps.addresses t share one entry there)
SELECT calls, query FROM public.pg_stat_statements
 WHERE NOT toplevel AND query LIKE '%FROM ps.customers t%' ORDER BY query;
-- the per-request results equal separate calls
SELECT matrx_relations.prefetch_batch(jsonb_build_array(
    jsonb_build_object('source', 'ps.orders', 'keys', jsonb_build_array(3, 1), 'relations', jsonb_build_array('customer', 'items')),
    jsonb_build_object('source', 'ps.orders', 'instances', (SELECT docs FROM ps.instances WHERE n = 2), 'relations', jsonb_build_array('billing_address'))))
   = jsonb_build_array(
    (SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('ps.orders', ARRAY[3, 1], 'customer', 'items') d),
    matrx_relations.prefetch_related('ps.orders', (SELECT docs FROM ps.instances WHERE n = 2), 'billing_address')) AS batch_equal;

RESET search_path;
DROP SCHEMA ps CASCADE;
