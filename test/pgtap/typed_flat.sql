-- typed_flat.sql: load_flat and load_batch_flat, load's rows with each
-- row's fields as columns of their own (a group per table and set of
-- columns, in load_nodes order; the caller's column list gives them):
-- compared with load's records for every form, a spec's "columns" (one
-- table twice: two groups), a dropped column, and the column list checked
-- (42804).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION matrx_relations;

SELECT plan(12);

CREATE SCHEMA tf;
SET LOCAL search_path = tf, public;
SET LOCAL client_min_messages = warning;

CREATE TABLE customers (id bigint PRIMARY KEY, gone int, name text);
ALTER TABLE customers DROP COLUMN gone;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, total numeric(10,2),
    placed timestamptz);
CREATE TABLE products (id int PRIMARY KEY, name text);
CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders, product_id int REFERENCES products);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE product_tags (product_id int REFERENCES products, tag_id int REFERENCES tags,
    PRIMARY KEY (product_id, tag_id));
INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 20) g;
INSERT INTO orders SELECT g, CASE WHEN g % 9 = 0 THEN NULL ELSE 1 + g % 20 END, g / 4.0,
    '2026-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 60) g;
INSERT INTO products SELECT g, 'p' || g FROM generate_series(1, 12) g;
INSERT INTO items SELECT g, 1 + g % 60, 1 + g % 12 FROM generate_series(1, 150) g;
INSERT INTO tags SELECT g, 't' || g FROM generate_series(1, 5) g;
INSERT INTO product_tags SELECT p, t FROM generate_series(1, 12) p, generate_series(1, 5) t WHERE (p + t) % 2 = 0;

-- load's rows as text, in order: links and records
CREATE FUNCTION pg_temp.records(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE out text;
BEGIN
    EXECUTE format('SELECT string_agg(concat_ws(''|'', node, id, parent, r), '';'') FROM %s', q) INTO out;
    RETURN out;
END $$;

-- orders with customer, items.product.tags: groups orders, customers, items, products, tags
SELECT is((SELECT string_agg(concat_ws('|', node, id, parent,
                CASE WHEN o1 IS NOT NULL THEN ROW(o1, o2, o3, o4)::text WHEN c1 IS NOT NULL THEN ROW(c1, c2)::text
                     WHEN i1 IS NOT NULL THEN ROW(i1, i2, i3)::text WHEN p1 IS NOT NULL THEN ROW(p1, p2)::text
                     WHEN t1 IS NOT NULL THEN ROW(t1, t2)::text END), ';')
           FROM matrx_relations.load_flat('tf.orders', ARRAY(SELECT generate_series(1, 70)),
                                          'customer', 'items.product.tags')
                AS t(node int, id int, parent int, o1 bigint, o2 bigint, o3 numeric, o4 timestamptz,
                     c1 bigint, c2 text, i1 bigint, i2 bigint, i3 int, p1 int, p2 text, t1 int, t2 text)),
          (SELECT string_agg(concat_ws('|', node, id, parent, r), ';')
           FROM matrx_relations.load('tf.orders', ARRAY(SELECT generate_series(1, 70)), 'customer', 'items.product.tags')),
          'keys and paths: load''s rows, each record''s fields in its table''s columns (a dropped column left out)');

-- the columns a row carries are NULL in every later row of its id, and in other groups
SELECT is((SELECT count(*) FROM matrx_relations.load_flat('tf.orders', ARRAY[1, 2, 3], 'customer')
                AS t(node int, id int, parent int, o1 bigint, o2 bigint, o3 numeric, o4 timestamptz, c1 bigint, c2 text)
           WHERE (node = 0 AND (c1 IS NOT NULL OR o1 IS NULL)) OR (node = 1 AND o1 IS NOT NULL)),
          0::bigint, 'a row''s fields only in its own group');

SELECT is((SELECT string_agg(concat_ws('|', node, id, parent, CASE WHEN c1 IS NOT NULL THEN ROW(c1, c2)::text END), ';')
           FROM matrx_relations.load_flat('tf.orders', (SELECT jsonb_agg(to_jsonb(o) ORDER BY id DESC) FROM tf.orders o),
                                          'customer')
                AS t(node int, id int, parent int, o1 bigint, o2 bigint, o3 numeric, o4 timestamptz, c1 bigint, c2 text)),
          pg_temp.records($$matrx_relations.load('tf.orders', (SELECT jsonb_agg(to_jsonb(o) ORDER BY id DESC) FROM tf.orders o), 'customer')$$),
          'instances (the source''s group is listed, never filled)');

-- a spec: orders' total only at the first level, and products twice (all columns under items, name only as "also")
SELECT is((SELECT string_agg(concat_ws('|', node, id, parent,
                CASE WHEN c1 IS NOT NULL THEN ROW(c1, c2)::text WHEN o1 IS NOT NULL THEN ROW(o1, o2)::text
                     WHEN i1 IS NOT NULL THEN ROW(i1, i2, i3)::text END), ';')
           FROM matrx_relations.load_flat('tf.customers', ARRAY(SELECT generate_series(1, 20)),
                '{"orders": {"columns": ["id", "total"], "order_by": ["total desc"], "limit": 2, "include": {"items": {}}}}'::jsonb)
                AS t(node int, id int, parent int, c1 bigint, c2 text, o1 bigint, o2 numeric, i1 bigint, i2 bigint, i3 int)),
          pg_temp.records($$matrx_relations.load('tf.customers', ARRAY(SELECT generate_series(1, 20)), '{"orders": {"columns": ["id", "total"], "order_by": ["total desc"], "limit": 2, "include": {"items": {}}}}'::jsonb)$$),
          'a spec with "columns": the group is those columns');
SELECT is((SELECT count(*) FROM matrx_relations.load_flat('tf.items', ARRAY(SELECT generate_series(1, 40)),
                '{"product": {}, "other": {"relation": "product", "columns": ["name"]}}'::jsonb)
                AS t(node int, id int, parent int, i1 bigint, i2 bigint, i3 int, q1 text, p1 int, p2 text)
           WHERE (node = 1 AND q1 IS NOT NULL AND p1 IS NULL) OR (node = 2 AND p1 IS NOT NULL AND q1 IS NULL)),
          (SELECT count(*) FROM matrx_relations.load('tf.items', ARRAY(SELECT generate_series(1, 40)),
                '{"product": {}, "other": {"relation": "product", "columns": ["name"]}}'::jsonb)
           WHERE node IN (1, 2) AND to_jsonb(r) IS NOT NULL),
          'one table with two sets of columns: two groups (the spec''s keys in jsonb order: other, product)');

SELECT is((SELECT string_agg(concat_ws('|', request, node, id, parent,
                CASE WHEN o1 IS NOT NULL THEN ROW(o1, o2, o3, o4)::text WHEN i1 IS NOT NULL THEN ROW(i1, i2, i3)::text
                     WHEN p1 IS NOT NULL THEN ROW(p1, p2)::text WHEN t1 IS NOT NULL THEN ROW(t1, t2)::text END), ';')
           FROM matrx_relations.load_batch_flat('[{"source": "tf.orders", "keys": [1, 2, 3], "relations": ["items.product"]},
                                                 {"source": "tf.orders", "keys": [3], "relations": ["items.product"]},
                                                 {"source": "tf.products", "keys": [4, 5], "relations": ["tags"]}]')
                AS t(request int, node int, id int, parent int, o1 bigint, o2 bigint, o3 numeric, o4 timestamptz,
                     i1 bigint, i2 bigint, i3 int, p1 int, p2 text, t1 int, t2 text)),
          (SELECT string_agg(concat_ws('|', request, node, id, parent, r), ';')
           FROM matrx_relations.load_batch('[{"source": "tf.orders", "keys": [1, 2, 3], "relations": ["items.product"]},
                                            {"source": "tf.orders", "keys": [3], "relations": ["items.product"]},
                                            {"source": "tf.products", "keys": [4, 5], "relations": ["tags"]}]')),
          'load_batch_flat: groups over every request''s nodes, each table once');

-- the caller's column list is checked
SELECT throws_ok($$SELECT * FROM matrx_relations.load_flat('tf.orders', ARRAY[1], 'customer')
                   AS t(node int, id int, parent int, o1 bigint, o2 bigint, o3 numeric, o4 timestamptz, c1 bigint, c2 int)$$,
                 '42804', 'column definition list does not match the columns of load_flat', 'a column of another type: 42804');
SELECT throws_ok($$SELECT * FROM matrx_relations.load_flat('tf.orders', ARRAY[1], 'customer')
                   AS t(node int, id int, parent int, o1 bigint, o2 bigint, o3 numeric, o4 timestamptz)$$,
                 '42804', 'column definition list does not match the columns of load_flat', 'a group missing: 42804');
SELECT throws_ok($$SELECT * FROM matrx_relations.load_flat('tf.orders', ARRAY[1], 'customer')
                   AS t(node int, id int, parent int, o1 bigint, o2 bigint, o3 numeric, o4 timestamptz, c1 bigint, c2 text, x int)$$,
                 '42804', 'column definition list does not match the columns of load_flat', 'a column too many: 42804');
SELECT throws_ok($$SELECT * FROM matrx_relations.load_flat('tf.orders', ARRAY[1], 'customer')
                   AS t(node bigint, id int, parent int, o1 bigint, o2 bigint, o3 numeric, o4 timestamptz, c1 bigint, c2 text)$$,
                 '42804', 'column definition list does not match the columns of load_flat', 'a link column not integer: 42804');
SELECT throws_ok($$SELECT matrx_relations.load_flat('tf.orders', ARRAY[1], 'customer')$$,
                 '0A000', NULL, 'without a column list: PostgreSQL''s own error');
SELECT is((SELECT count(*) FROM matrx_relations.load_flat('tf.orders', NULL::jsonb, 'customer')
                AS t(node int, id int, parent int, o1 bigint, o2 bigint, o3 numeric, o4 timestamptz, c1 bigint, c2 text)),
          0::bigint, 'NULL instances: no rows');

SELECT * FROM finish();
ROLLBACK;
