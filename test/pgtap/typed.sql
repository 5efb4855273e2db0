-- typed.sql: load, load_batch and load_nodes (the typed, normalized form)
-- against prefetch_related's documents and naive SQL: every relation kind,
-- composite keys, nested paths, aliases, spec options, instances with
-- duplicates, batches sharing children, statement counts, the relation
-- cache, and the SQLSTATEs.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE EXTENSION matrx_relations;

SELECT plan(48);

CREATE SCHEMA tytap;
SET LOCAL search_path = tytap, public;
SET LOCAL client_min_messages = warning;

CREATE TABLE customers (id bigint PRIMARY KEY, name text, born date);
CREATE TABLE addresses (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, city text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers,
    billing_address_id bigint REFERENCES addresses, shipping_address_id bigint REFERENCES addresses,
    total numeric(10,2), placed timestamptz);
CREATE TABLE products (id int PRIMARY KEY, name text, price numeric);
CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders, product_id int REFERENCES products, qty int);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE product_tags (product_id int REFERENCES products, tag_id int REFERENCES tags, PRIMARY KEY (product_id, tag_id));
-- composite keys both ways
CREATE TABLE warehouses (region text, code int, name text, PRIMARY KEY (region, code));
CREATE TABLE stock (id int PRIMARY KEY, region text, code int, product_id int REFERENCES products, qty int,
    FOREIGN KEY (region, code) REFERENCES warehouses);

INSERT INTO customers SELECT g, 'c' || g, date '2000-01-01' + g FROM generate_series(1, 20) g;
INSERT INTO addresses SELECT g, 1 + g % 20, 'city' || g FROM generate_series(1, 30) g;
INSERT INTO orders SELECT g, CASE WHEN g % 7 <> 0 THEN 1 + g % 20 END, 1 + g % 30, 1 + (g * 7) % 30,
    g * 1.25, timestamptz '2026-01-01' + g * interval '1 hour' FROM generate_series(1, 60) g;
INSERT INTO products SELECT g, 'p' || g, g / 3.0 FROM generate_series(1, 15) g;
INSERT INTO items SELECT g, 1 + g % 50, 1 + g % 15, g % 4 FROM generate_series(1, 150) g;
INSERT INTO tags SELECT g, 't' || g FROM generate_series(1, 8) g;
INSERT INTO product_tags SELECT DISTINCT p, 1 + (p * s) % 8 FROM generate_series(1, 15) p, generate_series(1, 3) s;
INSERT INTO warehouses SELECT r, c, r || c FROM unnest(ARRAY['eu', 'us']) r, generate_series(1, 3) c;
INSERT INTO stock SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, 1 + g % 3, 1 + g % 15, g FROM generate_series(1, 24) g;

-- a client's reassembly of load's output (named, nodes, links ...)
\ir include/reassemble.psql

SET LOCAL matrx_relations.cache = off;

-- ---------------------------------------------------------------------------
-- Every relation kind, nested, aliases: the same documents as prefetch_related
-- ---------------------------------------------------------------------------
SELECT is(typed('orders', ARRAY[3, 1, 7, 2, 99, 3], 'customer'), docs('orders', ARRAY[3, 1, 7, 2, 99, 3], 'customer'), 'fk');
SELECT is(typed('customers', ARRAY[1, 2, 5], 'orders', 'addresses'), docs('customers', ARRAY[1, 2, 5], 'orders', 'addresses'), 'ifk');
SELECT is(typed('products', ARRAY[1, 2, 3, 4], 'tags'), docs('products', ARRAY[1, 2, 3, 4], 'tags'), 'm2m');
SELECT is(typed('orders', ARRAY(SELECT generate_series(1, 60)::bigint), 'customer.addresses', 'items.product.tags', 'billing_address', 'shipping_address'),
          docs('orders', ARRAY(SELECT generate_series(1, 60)::bigint), 'customer.addresses', 'items.product.tags', 'billing_address', 'shipping_address'),
          'nested paths, shared children, one edge group for two fks');
SELECT is(typed('orders', ARRAY[1, 2, 3], 'buyer:customer', 'lines:items.what:product'),
          docs('orders', ARRAY[1, 2, 3], 'buyer:customer', 'lines:items.what:product'), 'aliases');
SELECT is(typed('stock', ARRAY[1, 2, 3, 4, 5], 'wh:stock_region_code_fkey.stock'), docs('stock', ARRAY[1, 2, 3, 4, 5], 'wh:stock_region_code_fkey.stock'),
          'composite keys: fk and ifk on two columns');
SELECT is(typed_inst('warehouses', (SELECT jsonb_agg(to_jsonb(w) ORDER BY region DESC, code) FROM warehouses w), 'stock.product'),
          matrx_relations.prefetch_related('warehouses', (SELECT jsonb_agg(to_jsonb(w) ORDER BY region DESC, code) FROM warehouses w), 'stock.product'),
          'composite keys: instances of a source with a composite primary key');

-- the instances form, duplicates each their own -i
SELECT is(typed_inst('orders', '[{"id": 1, "customer_id": 2}, {"id": 1, "customer_id": 2}, {"id": 5, "customer_id": null}]', 'customer', 'items.product'),
          matrx_relations.prefetch_related('orders', '[{"id": 1, "customer_id": 2}, {"id": 1, "customer_id": 2}, {"id": 5, "customer_id": null}]'::jsonb, 'customer', 'items.product'),
          'instances with duplicates');
SELECT results_eq($$SELECT node, parent FROM matrx_relations.load('orders', '[{"id": 1, "customer_id": 2}, {"id": 1, "customer_id": 2}]'::jsonb, 'customer')$$,
          $$VALUES (1, -1), (1, -2)$$, 'instances: one link per instance, parent -i');

-- spec options: columns, where, order_by, limit, include
SELECT is(typed_spec('customers', ARRAY[1, 2, 3, 4],
              '{"orders": {"columns": ["id", "total"], "where": {"total": {"gt": 5}}, "order_by": ["total desc"], "limit": 2,
                           "include": {"items": {"columns": ["qty"], "where": {"qty": {"in": [1, 2]}}}}}}'),
          docs_spec('customers', ARRAY[1, 2, 3, 4],
              '{"orders": {"columns": ["id", "total"], "where": {"total": {"gt": 5}}, "order_by": ["total desc"], "limit": 2,
                           "include": {"items": {"columns": ["qty"], "where": {"qty": {"in": [1, 2]}}}}}}'),
          'spec: columns, where, order_by, limit, include');
SELECT is(typed_inst_spec('orders', '[{"id": 1, "customer_id": 2}, {"id": 8, "customer_id": 9}]',
              '{"customer": {"columns": [], "where": {"id": {"lt": 5}}}}'),
          matrx_relations.prefetch_related('orders', '[{"id": 1, "customer_id": 2}, {"id": 8, "customer_id": 9}]'::jsonb,
              '{"customer": {"columns": [], "where": {"id": {"lt": 5}}}}'::jsonb),
          'spec on instances: empty columns, a where that filters an fk out');
SELECT is((SELECT columns::text || types::text FROM matrx_relations.load_nodes('customers', '{"orders": {"columns": ["total", "id"]}}'::jsonb) WHERE node = 1),
          '{total,id}{numeric,bigint}', 'load_nodes: a spec''s columns in its order, with their types');

-- ---------------------------------------------------------------------------
-- The link model against naive SQL
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE lo ON COMMIT DROP AS
    SELECT ord, node, id, parent, to_jsonb(r) AS j
    FROM matrx_relations.load('orders', ARRAY(SELECT generate_series(1, 60)::bigint), 'customer', 'items.product.tags')
         WITH ORDINALITY AS l(node, id, parent, r, ord);
SELECT is((SELECT count(*) FROM (SELECT id FROM lo WHERE j IS NOT NULL GROUP BY id HAVING count(*) > 1) x), 0::bigint,
          'each row is sent once');
SELECT is((SELECT count(*) FROM lo l WHERE j IS NOT NULL AND EXISTS (SELECT FROM lo e WHERE e.id = l.id AND e.ord < l.ord)), 0::bigint,
          'in the first result row with its id');
SELECT is((SELECT count(DISTINCT id) FROM lo WHERE node = 3), (SELECT count(DISTINCT product_id) FROM items WHERE order_id <= 60),
          'each distinct product once, however many items share it');
SELECT set_eq($$SELECT p.j->>'id', c.j FROM lo l JOIN lo c ON c.id = l.id AND c.j IS NOT NULL JOIN lo p ON p.id = l.parent AND p.j IS NOT NULL WHERE l.node = 2$$,
              $$SELECT o.id::text, to_jsonb(i) FROM orders o JOIN items i ON i.order_id = o.id$$, 'ifk links: (parent, child) as a join gives them');
SELECT set_eq($$SELECT p.j->>'id', c.j FROM lo l JOIN lo c ON c.id = l.id AND c.j IS NOT NULL JOIN lo p ON p.id = l.parent AND p.j IS NOT NULL WHERE l.node = 4$$,
              $$SELECT DISTINCT p.id::text, to_jsonb(t) FROM products p JOIN product_tags pt ON pt.product_id = p.id JOIN tags t ON t.id = pt.tag_id
                WHERE p.id IN (SELECT product_id FROM items)$$, 'm2m links: source row to target row, the junction not sent');
SELECT is((SELECT count(*) FROM lo WHERE node = 4), (SELECT count(*) FROM product_tags WHERE product_id IN (SELECT product_id FROM items))::bigint,
          'm2m: one link per distinct parent row, not per item reaching it');
SELECT set_eq($$SELECT p.j->>'id', c.j FROM lo l JOIN lo c ON c.id = l.id AND c.j IS NOT NULL JOIN lo p ON p.id = l.parent AND p.j IS NOT NULL WHERE l.node = 1$$,
              $$SELECT o.id::text, to_jsonb(c) FROM orders o JOIN customers c ON c.id = o.customer_id$$, 'fk links: none for a NULL key');
SELECT is((SELECT array_agg(node ORDER BY ord) = (SELECT array_agg(node ORDER BY node, ord) FROM lo) FROM lo), true,
          'node 0 first, then node by node');
SELECT is((SELECT count(*) FROM lo WHERE node = 0 AND parent IS NOT NULL), 0::bigint, 'source rows have no parent');

-- the row values are the table's row type, binary-exact
SELECT is((SELECT (r::text)::orders FROM matrx_relations.load('orders', ARRAY[9], 'customer') WHERE node = 0),
          (SELECT o FROM orders o WHERE id = 9), 'r is the row, of the table''s row type');

-- ---------------------------------------------------------------------------
-- load_batch: prefetch_batch's requests, ids across requests
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE lb ON COMMIT DROP AS
    SELECT ord, request, node, id, parent, to_jsonb(r) AS j FROM matrx_relations.load_batch('[
        {"source": "tytap.orders", "keys": [1, 2], "relations": ["customer", "items.product"]},
        {"source": "tytap.orders", "keys": [2, 3], "relations": ["customer", "items.product"]},
        {"source": "tytap.orders", "instances": [{"id": 4, "customer_id": 5}], "relations": ["customer"]},
        {"source": "tytap.customers", "keys": [5], "spec": {"orders": {"columns": ["id"]}}}]')
    WITH ORDINALITY AS l(request, node, id, parent, r, ord);
SELECT is((SELECT count(*) FROM (SELECT id FROM lb WHERE j IS NOT NULL GROUP BY id HAVING count(*) > 1) x), 0::bigint,
          'load_batch: each row once across requests');
SELECT is((SELECT count(DISTINCT request) FROM lb l WHERE EXISTS (SELECT FROM lb o WHERE o.id = l.id AND o.request <> l.request)), 4::bigint,
          'load_batch: rows shared by requests (order 2, customers, products) keep their id');
SELECT is(rebuild(nodes('orders', 'customer', 'items.product'),
                  (SELECT jsonb_agg(to_jsonb(x)) FROM (SELECT ord, node, id, parent, (SELECT j FROM lb f WHERE f.id = lb.id AND f.j IS NOT NULL) AS j
                                                       FROM lb WHERE request = 2) x), NULL),
          (SELECT matrx_relations.prefetch_batch('[{"source": "tytap.orders", "keys": [2, 3], "relations": ["customer", "items.product"]}]')->0),
          'load_batch: a request''s rows and links give prefetch_batch''s documents');
SELECT results_eq($$SELECT node, parent FROM lb WHERE request = 3$$, $$VALUES (1, -1)$$, 'load_batch: -i is the request''s i-th instance');
SELECT is((SELECT count(*) FROM lb WHERE request = 4 AND node = 1), (SELECT count(*) FROM orders WHERE customer_id = 5),
          'load_batch: a spec request');

-- ---------------------------------------------------------------------------
-- Statements: 1 + one per edge group (keys), one per edge group (instances)
-- ---------------------------------------------------------------------------
CREATE FUNCTION statements() RETURNS int LANGUAGE sql AS $$
    SELECT coalesce(sum(calls), 0)::int FROM public.pg_stat_statements WHERE NOT toplevel
        AND query NOT LIKE '%pg_stat_statements%' $$;
SELECT count(*) FROM matrx_relations.load('orders', ARRAY[1], 'customer', 'items.product.tags', 'billing_address', 'shipping_address');
SELECT public.pg_stat_statements_reset();
SELECT count(*) FROM matrx_relations.load('orders', ARRAY(SELECT generate_series(1, 60)::bigint), 'customer', 'items.product.tags', 'billing_address', 'shipping_address');
SELECT is(statements(), 6, 'keys form: 1 + 5 edge groups (billing and shipping addresses share one)');
SELECT public.pg_stat_statements_reset();
SELECT count(*) FROM matrx_relations.load('orders', (SELECT jsonb_agg(to_jsonb(o)) FROM orders o), 'customer', 'items.product.tags');
SELECT is(statements(), 4, 'instances form: one per edge group');
SELECT public.pg_stat_statements_reset();
SELECT count(*) FROM matrx_relations.load_batch((SELECT jsonb_agg(jsonb_build_object('source', 'tytap.orders', 'keys', jsonb_build_array(g),
    'relations', jsonb_build_array('customer', 'items.product'))) FROM generate_series(1, 60) g));
SELECT is(statements(), 4, 'load_batch: 60 one-key requests, one statement per group across them');
SELECT public.pg_stat_statements_reset();
SELECT count(*) FROM matrx_relations.load('orders', ARRAY[]::bigint[], 'customer');
SELECT is(statements(), 0, 'no keys: no statement');

-- ---------------------------------------------------------------------------
-- The relation cache: typed and jsonb entries never mix
-- ---------------------------------------------------------------------------
SET LOCAL matrx_relations.cache = on;
SELECT matrx_relations.cache_reset();
SELECT is(docs('orders', ARRAY[1, 2, 3], 'customer', 'items.product'), typed('orders', ARRAY[1, 2, 3], 'customer', 'items.product'),
          'cache on: jsonb first, then typed');
SELECT is(typed('customers', ARRAY[1, 2], 'orders'), docs('customers', ARRAY[1, 2], 'orders'), 'cache on: typed first, then jsonb');
SELECT is(typed('orders', ARRAY[1, 2, 3], 'customer', 'items.product'), docs('orders', ARRAY[1, 2, 3], 'customer', 'items.product'),
          'cache on: a repeated typed load, from the cache');
-- (no write in between: this transaction's writes would change the cache's epoch)
SELECT count(*) AS n0 FROM matrx_relations.load('orders', ARRAY[4, 5], 'customer', 'items.product') \gset
SELECT statements AS s0, cache_hits AS h0 FROM matrx_relations.stats() \gset
SELECT is((SELECT count(*) FROM matrx_relations.load('orders', ARRAY[4, 5], 'customer', 'items.product')), :n0::bigint,
          'a repeated typed load, the same rows');
SELECT is((SELECT statements - :s0 FROM matrx_relations.stats()), 0::bigint, 'a repeated typed load runs no statement');
SELECT cmp_ok((SELECT cache_hits - :h0 FROM matrx_relations.stats()), '>', 0::bigint, '... served by the cache');
SET LOCAL matrx_relations.cache = off;

-- ---------------------------------------------------------------------------
-- Errors: prefetch_related's SQLSTATEs
-- ---------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM matrx_relations.load('orders', ARRAY[1], 'nope')$$, '42704', NULL, 'unknown relation');
SELECT throws_ok($$SELECT * FROM matrx_relations.load('orders', ARRAY[1], 'items..product')$$, '22023', NULL, 'malformed path');
SELECT throws_ok($$SELECT * FROM matrx_relations.load('orders', ARRAY[1], VARIADIC ARRAY[NULL]::text[])$$, '22004', NULL, 'NULL path');
SELECT throws_ok($$SELECT * FROM matrx_relations.load('orders', ARRAY[1], 'total:customer')$$, '42701', NULL, 'output key equal to a column');
SELECT throws_ok($$SELECT * FROM matrx_relations.load('warehouses', ARRAY[1], 'stock')$$, '0A000', NULL, 'keys form on a composite primary key');
SELECT throws_ok($$SELECT * FROM matrx_relations.load('orders', ARRAY[true], 'customer')$$, '42804', NULL, 'key type not castable');
SELECT throws_ok($$SELECT * FROM matrx_relations.load('orders', '[{"id": 1}]'::jsonb, 'customer')$$, '22023', NULL, 'instance without its key column');
SELECT throws_ok($$SELECT * FROM matrx_relations.load('orders', '{}'::jsonb, 'customer')$$, '22023', NULL, 'instances not an array');
SELECT throws_ok($$SELECT * FROM matrx_relations.load('orders', ARRAY[1], '{"customer": {"columns": ["nope"]}}'::jsonb)$$, '42703', NULL, 'spec: unknown column');
SELECT throws_ok($$SELECT * FROM matrx_relations.load_batch('[{"source": "tytap.orders"}]')$$, '22023', NULL, 'load_batch: neither keys nor instances');
SELECT throws_ok($$SELECT * FROM matrx_relations.load_nodes('orders', 'nope')$$, '42704', NULL, 'load_nodes: unknown relation');

SELECT * FROM finish();
ROLLBACK;
