-- The typed, normalized form: load, load_batch and load_nodes.
--
-- One result set in which each distinct row of each table appears once, as
-- a typed row value (r), with what a client needs to attach it:
--   node    the path node: 0 the source, then breadth-first, as load_nodes lists them
--   id      the row's identity in this call (one per distinct row, across nodes)
--   parent  the id of the row it hangs under; -i for the caller's i-th instance
--   r       the row, in the first result row with its id; NULL in every later one
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA ty;
SET search_path = ty;

CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, total numeric);
CREATE TABLE products (id int PRIMARY KEY, name text);
CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders, product_id int REFERENCES products);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE product_tags (product_id int REFERENCES products, tag_id int REFERENCES tags,
    PRIMARY KEY (product_id, tag_id));
INSERT INTO customers VALUES (1, 'ann'), (2, 'bob');
INSERT INTO orders VALUES (10, 1, 9.50), (11, 1, 20), (12, 2, 3), (13, NULL, 1);
INSERT INTO products VALUES (100, 'pen'), (101, 'ink');
INSERT INTO items VALUES (1000, 10, 100), (1001, 10, 101), (1002, 11, 100), (1003, 12, 101);
INSERT INTO tags VALUES (1, 'blue'), (2, 'office');
INSERT INTO product_tags VALUES (100, 1), (100, 2), (101, 2);

-- the nodes, once per (source, paths): a client caches this
SELECT * FROM matrx_relations.load_nodes('orders', 'customer', 'items.product.tags');

-- Orders 10 and 11 share customer ann (id 5): her row is sent once, then
-- linked again with r NULL.  Products are shared by items, tags by
-- products: each row once, every link a row.  Order 13 has no customer and
-- no items: no link rows (a client sets None and []).  Key 99 has no row.
SELECT * FROM matrx_relations.load('orders', ARRAY[10, 11, 12, 13, 99], 'customer', 'items.product.tags');

-- r is the table's row type: its fields by name
SELECT node, id, (r::text)::customers AS customer FROM matrx_relations.load('orders', ARRAY[10], 'customer') WHERE node = 1;

-- The instances form: the caller's rows are not sent back; a first-level
-- link's parent is -i for the i-th instance (1-based; duplicates each
-- their own i)
SELECT * FROM matrx_relations.load('orders',
    '[{"id": 10, "customer_id": 1}, {"id": 10, "customer_id": 1}, {"id": 13, "customer_id": null}]'::jsonb,
    'customer', 'items');

-- load_batch: prefetch_batch's requests; ids are unique across the whole
-- call, so a row shared by two requests is sent once (order 10 and ann)
SELECT * FROM matrx_relations.load_batch('[
    {"source": "ty.orders", "keys": [10], "relations": ["buyer:customer"]},
    {"source": "ty.orders", "keys": [11, 10], "relations": ["buyer:customer", "items"]},
    {"source": "ty.orders", "instances": [{"id": 12}], "relations": ["items"]}]');

-- A spec's "columns": r is an anonymous record of those columns, in the
-- spec's order (load_nodes names them); order_by and a per-parent limit
-- order and cut each parent's links
SELECT * FROM matrx_relations.load_nodes('orders', '{"items": {"columns": ["product_id", "id"], "order_by": ["id desc"], "limit": 1, "include": {"product": {}}}}'::jsonb);
SELECT * FROM matrx_relations.load('orders', ARRAY[10, 11],
    '{"items": {"columns": ["product_id", "id"], "order_by": ["id desc"], "limit": 1, "include": {"product": {}}}}'::jsonb);

-- Empty or NULL keys and instances: no rows
SELECT count(*) FROM matrx_relations.load('orders', ARRAY[]::bigint[], 'customer');
SELECT count(*) FROM matrx_relations.load('orders', NULL::jsonb, 'customer');

-- A client's reassembly gives prefetch_related's documents (here in SQL:
-- each item with its product, under its order).  In SQL, "r IS NOT NULL"
-- asks whether every field of r is, and r holds rows of several types:
-- ask to_jsonb(r) IS NOT NULL (or whether it is the id's first row).
WITH l AS (SELECT * FROM matrx_relations.load('orders', ARRAY[10, 11], 'items.product')),
     rows AS (SELECT id, to_jsonb(r) AS j FROM l WHERE to_jsonb(r) IS NOT NULL),
     items AS (SELECT l.parent, rows.j || jsonb_build_object('product', p.j) AS doc, l.id
               FROM l JOIN rows ON rows.id = l.id
               LEFT JOIN l lp ON lp.node = 2 AND lp.parent = l.id LEFT JOIN rows p ON p.id = lp.id
               WHERE l.node = 1)
SELECT rows.j || jsonb_build_object('items', coalesce((SELECT jsonb_agg(doc ORDER BY items.id) FROM items WHERE items.parent = l.id), '[]')) =
       (SELECT d FROM matrx_relations.prefetch_related('orders', ARRAY[(rows.j->>'id')::bigint], 'items.product') d) AS same
FROM l JOIN rows ON rows.id = l.id WHERE l.node = 0 ORDER BY l.id;

DROP SCHEMA ty CASCADE;
