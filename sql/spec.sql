-- The spec jsonb forms: per-relation options.  A spec maps each output
-- name to its relation's options: "relation" (default: the output name),
-- "columns", "where", "order_by", "limit" (per parent) and "include"
-- (nested edges, with the same options).
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA sp;
SET search_path = sp;

CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers,
    status text NOT NULL, placed_at date NOT NULL, total numeric(8,2));
CREATE TABLE products (id int PRIMARY KEY, name text);
CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders,
    product_id int REFERENCES products, qty int);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE product_tags (product_id int REFERENCES products, tag_id int REFERENCES tags,
    PRIMARY KEY (product_id, tag_id));
INSERT INTO customers VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');
INSERT INTO orders VALUES
    (100, 1, 'paid', '2026-01-05', 5.00), (101, 1, 'open', '2026-02-01', 7.50),
    (102, 1, 'paid', '2026-03-10', 9.00), (103, 1, 'paid', '2026-04-02', 1.25),
    (104, 2, 'paid', '2026-01-20', 3.00), (105, 2, 'cancelled', '2026-02-11', 8.00),
    (106, 2, 'paid', '2026-05-30', NULL);
INSERT INTO products VALUES (1, 'pen'), (2, 'pad'), (3, 'ink');
INSERT INTO items VALUES (1000, 100, 1, 2), (1001, 102, 2, 1), (1002, 102, 3, 4),
    (1003, 103, 1, 1), (1004, 106, 2, 3);
INSERT INTO tags VALUES (1, 'office'), (2, 'blue'), (3, 'paper'), (4, 'sale');
INSERT INTO product_tags VALUES (1, 1), (1, 2), (1, 4), (2, 1), (2, 3), (3, 2);
ANALYZE;

-- The latest 3 orders of each customer, with their items: the limit is per
-- parent (ann has four orders and gets three; a LIMIT 3 on the whole
-- statement would have left bob with none).
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1, 2, 3], '{
  "orders": {"order_by": ["placed_at desc"], "limit": 3,
             "columns": ["id", "placed_at"],
             "include": {"items": {"columns": ["product_id", "qty"]}}}}'::jsonb);

-- Customers with only their paid orders embedded (a parent whose children
-- are all filtered out gets []); the output name differs from the relation.
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1, 2, 3], '{
  "paid_orders": {"relation": "orders", "where": {"status": "paid"},
                  "columns": ["id", "total"]}}'::jsonb);

-- Tags restricted to a list of labels (m2m, through product_tags)
SELECT * FROM matrx_relations.prefetch_related('products', ARRAY[1, 2, 3], '{
  "tags": {"where": {"label": {"in": ["office", "paper"]}}, "order_by": ["label"]}}'::jsonb);

-- The operators: eq (a bare value), ne, lt, lte, gt, gte, in, is_null,
-- like, ilike; several on one column are ANDed, as are the columns.
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1, 2], '{
  "orders": {"where": {"total": {"gte": "3", "lt": 9}, "status": {"ne": "cancelled"}},
             "columns": ["id"]}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[2], '{
  "orders": {"where": {"total": {"is_null": true}}, "columns": ["id"]}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('products', ARRAY[1, 2, 3], '{
  "tags": {"where": {"label": {"like": "%a%"}}, "columns": ["label"]},
  "caps": {"relation": "tags", "where": {"label": {"ilike": "P%"}}, "columns": ["label"]}}'::jsonb);

-- A where on an fk target: filtered out gives null
SELECT * FROM matrx_relations.prefetch_related('items', ARRAY[1000, 1001], '{
  "product": {"where": {"name": "pen"}}, "order": {"columns": ["status"]}}'::jsonb);

-- order_by: asc/desc, nulls first/last; ties are broken by the primary key
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[2], '{
  "orders": {"order_by": ["total desc nulls last"], "columns": ["id", "total"]}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[2], '{
  "orders": {"order_by": ["total DESC"], "columns": ["id", "total"]}}'::jsonb);

-- The instances form, select_related and prefetch_batch take the same spec
SELECT matrx_relations.prefetch_related('customers',
    '[{"id": 2, "name": "bob"}, {"id": 1}]'::jsonb,
    '{"orders": {"order_by": ["placed_at desc"], "limit": 1, "columns": ["id"]}}'::jsonb);
SELECT * FROM matrx_relations.select_related('customers', ARRAY[1, 2, 3], '{
  "orders": {"order_by": ["placed_at desc"], "limit": 3,
             "columns": ["id", "placed_at"],
             "include": {"items": {"columns": ["product_id", "qty"]}}}}'::jsonb);
SELECT matrx_relations.prefetch_batch('[
  {"source": "sp.customers", "keys": [3, 1], "spec": {"orders": {"limit": 1, "columns": ["id"]}}},
  {"source": "sp.products", "keys": [2], "spec": {"tags": {"columns": ["label"]}}}]');

-- Errors name the path: an unknown option, operator or malformed value is
-- 22023, an unknown column 42703
\set VERBOSITY default
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"limt": 3}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"where": {"status": {"equals": "paid"}}}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"include": {"items": {"where": {"qty": {"in": 3}}}}}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"include": {"items": {"order_by": ["amount desc"]}}}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('items', ARRAY[1000], '{"order": {"limit": 1}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"limit": -1}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"where": {"total": "many"}}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"name": {"relation": "orders"}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_batch('[{"source": "sp.customers", "keys": [1], "relations": ["orders"], "spec": {}}]');
-- an output name is only checked against the columns the row outputs
SELECT * FROM matrx_relations.prefetch_related('items', ARRAY[1000], '{
  "order": {"columns": ["id"], "include": {"status": {"relation": "customer"}}}}'::jsonb);

DROP SCHEMA sp CASCADE;
