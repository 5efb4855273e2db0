-- Statement counts of the spec forms, as pg_stat_statements (track = all)
-- records them below the top level: options are part of an edge's one
-- statement; edges whose options differ are different groups, edges with
-- the same options (and target and key columns) share one.
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE SCHEMA sps;
SET search_path = sps;

CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE addresses (id bigint PRIMARY KEY, city text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers,
    billing_address_id bigint REFERENCES addresses, shipping_address_id bigint REFERENCES addresses,
    status text, total int);
CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders, qty int);
INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 2000) g;
INSERT INTO addresses SELECT g, 'city' || g FROM generate_series(1, 3000) g;
INSERT INTO orders SELECT g, 1 + g % 2000, 1 + g % 3000, 1 + (g * 7) % 3000,
    CASE WHEN g % 3 = 0 THEN 'open' ELSE 'paid' END, g % 100 FROM generate_series(1, 10000) g;
INSERT INTO items SELECT g, 1 + g % 10000, g % 5 FROM generate_series(1, 30000) g;
ANALYZE;

CREATE FUNCTION sps.statements() RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(sum(calls), 0) FROM public.pg_stat_statements WHERE NOT toplevel $$;
-- warm-up: the first call of a backend loads relation metadata
SELECT count(*) FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"include": {"items": {}, "billing_address": {}}}}'::jsonb);

-- orders (latest 3 per customer) with items: 3 statements, for 1 key as for 2,000
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('customers', ARRAY[1],
    '{"orders": {"order_by": ["total desc"], "limit": 3, "include": {"items": {"where": {"qty": {"gt": 1}}}}}}'::jsonb);
SELECT sps.statements() AS keys_1;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('customers', ARRAY(SELECT generate_series(1, 2000)),
    '{"orders": {"order_by": ["total desc"], "limit": 3, "include": {"items": {"where": {"qty": {"gt": 1}}}}}}'::jsonb);
SELECT sps.statements() AS keys_2000;

-- billing and shipping addresses with the same options: one group (2);
-- with different options: two groups (3)
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY(SELECT generate_series(1, 5000)),
    '{"billing_address": {"columns": ["city"]}, "shipping_address": {"columns": ["city"]}}'::jsonb);
SELECT sps.statements() AS same_options;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY(SELECT generate_series(1, 5000)),
    '{"billing_address": {"columns": ["city"]}, "shipping_address": {}}'::jsonb);
SELECT sps.statements() AS different_options;
-- the same relation twice with different where values: two groups (3)
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('customers', ARRAY(SELECT generate_series(1, 2000)),
    '{"paid": {"relation": "orders", "where": {"status": "paid"}},
      "open": {"relation": "orders", "where": {"status": "open"}}}'::jsonb);
SELECT sps.statements() AS two_wheres;

-- instances: no source statement (2)
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT jsonb_array_length(matrx_relations.prefetch_related('customers',
    (SELECT jsonb_agg(jsonb_build_object('id', g)) FROM generate_series(1, 2000) g),
    '{"orders": {"limit": 2, "include": {"items": {}}}}'::jsonb));
SELECT sps.statements() AS instances;

-- batch: grouped across requests with equal options (3: customers by key,
-- then one orders statement for both requests, one items statement)
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT jsonb_array_length(matrx_relations.prefetch_batch('[
  {"source": "sps.customers", "keys": [1, 2, 3], "spec": {"orders": {"limit": 2, "include": {"items": {}}}}},
  {"source": "sps.customers", "keys": [3, 4], "spec": {"o:orders": {"relation": "orders", "limit": 2, "include": {"items": {}}}}}]'));
SELECT sps.statements() AS batch;

-- a filter that leaves no orders: nothing below runs (2)
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('customers', ARRAY[1, 2],
    '{"orders": {"where": {"status": "lost"}, "include": {"items": {}}}}'::jsonb);
SELECT sps.statements() AS filtered_out;

-- select_related: exactly one, whatever the spec
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.select_related('customers', ARRAY(SELECT generate_series(1, 2000)),
    '{"orders": {"order_by": ["total desc"], "limit": 3, "where": {"status": "paid"},
                 "include": {"items": {"where": {"qty": {"gt": 1}}}, "billing_address": {"columns": ["city"]}}}}'::jsonb);
SELECT sps.statements() AS select_related;

DROP SCHEMA sps CASCADE;
