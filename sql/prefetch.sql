-- prefetch_related: source rows as jsonb documents with their relations,
-- loaded breadth-first with one statement per edge group.
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA pf;
SET search_path = pf;
\set VERBOSITY terse

CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE addresses (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, city text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers,
    billing_address_id bigint REFERENCES addresses, shipping_address_id bigint REFERENCES addresses, total int);
CREATE TABLE products (id int PRIMARY KEY, name text);
CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders, product_id int REFERENCES products, qty int);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE product_tags (product_id int REFERENCES products, tag_id int REFERENCES tags, PRIMARY KEY (product_id, tag_id));
CREATE TABLE employees (id int PRIMARY KEY, manager_id int REFERENCES employees, name text);
CREATE TABLE regions (country text, code int, name text, PRIMARY KEY (country, code));
CREATE TABLE stores (id int PRIMARY KEY, country text, region_code int,
    FOREIGN KEY (country, region_code) REFERENCES regions);
CREATE TABLE region_tags (country text, code int, tag_id int REFERENCES tags,
    PRIMARY KEY (country, code, tag_id), FOREIGN KEY (country, code) REFERENCES regions);

INSERT INTO customers VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');
INSERT INTO addresses VALUES (10, 1, 'Oslo'), (11, 1, 'Bergen'), (12, 2, 'Rome');
INSERT INTO orders VALUES (100, 1, 10, 11, 5), (101, 1, 10, 10, 7), (102, 2, 12, 12, 9), (103, NULL, NULL, NULL, 1);
INSERT INTO products VALUES (1, 'pen'), (2, 'ink'), (3, 'pad');
INSERT INTO items VALUES (1000, 100, 1, 2), (1001, 100, 2, 1), (1002, 101, 1, 5), (1003, 102, 3, 1);
INSERT INTO tags VALUES (1, 'office'), (2, 'blue'), (3, 'paper');
INSERT INTO product_tags VALUES (1, 2), (1, 1), (2, 1), (3, 3), (3, 1);
INSERT INTO employees VALUES (1, NULL, 'boss'), (2, 1, 'ann'), (3, 1, 'bob'), (4, 2, 'cy');
INSERT INTO regions VALUES ('NO', 1, 'East'), ('NO', 2, 'West'), ('IT', 1, 'Lazio');
INSERT INTO stores VALUES (1, 'NO', 1), (2, 'NO', 2), (3, 'IT', 1), (4, NULL, 1);
INSERT INTO region_tags VALUES ('NO', 1, 2), ('NO', 1, 1), ('IT', 1, 3);

-- one document per distinct found key, in first-occurrence order
SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[102, 100, 999, NULL, 102]);
-- fk: an object, or null for a NULL FK
SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100, 103], 'customer');
-- nested paths; items and items.product.tags share the items load
SELECT jsonb_pretty(d) FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'customer', 'items', 'items.product.tags') d;
-- aliases name the output key; two edges to one table
SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'buyer:customer', 'billing_address', 'ship_to:shipping_address');
-- ifk and m2m arrays: ordered by the target's primary key, [] when empty
SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[3, 1], 'orders', 'addresses');
SELECT * FROM matrx_relations.prefetch_related('products', ARRAY[1, 2], 'tags');
-- self-reference, both directions, nested
SELECT * FROM matrx_relations.prefetch_related('employees', ARRAY[4], 'manager.manager');
SELECT * FROM matrx_relations.prefetch_related('employees', ARRAY[1], 'employees.employees');

-- the instances form: same length and order, duplicates kept, nothing else changed
SELECT jsonb_pretty(matrx_relations.prefetch_related('orders',
    '[{"id": 100, "customer_id": 1, "note": "kept"}, {"id": 103, "customer_id": null}, {"id": 100, "customer_id": 1}]'::jsonb,
    'customer', 'items'));
-- composite keys: the instances carry every key column
SELECT jsonb_pretty(matrx_relations.prefetch_related('regions',
    '[{"country": "NO", "code": 1}, {"country": "IT", "code": 1}, {"country": "XX", "code": 0}]'::jsonb,
    'stores', 'tags'));
SELECT matrx_relations.prefetch_related('stores', '[{"id": 1, "country": "NO", "region_code": "2"}, {"id": 4, "country": null, "region_code": 1}]'::jsonb,
    'region:stores_country_region_code_fkey');
-- no relations: the same array back
SELECT matrx_relations.prefetch_related('orders', '[{"id": 1}, {"x": [1, 2]}]'::jsonb);

-- instances errors: not an array, not an object, a missing key column, a bad value
SELECT matrx_relations.prefetch_related('orders', '{"id": 1}'::jsonb, 'customer');
SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": 1}, 5]'::jsonb, 'customer');
SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": 1}, {"id": 2}]'::jsonb, 'customer');
SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": "x1"}]'::jsonb, 'customer');
-- keys form errors
SELECT * FROM matrx_relations.prefetch_related('regions', ARRAY[1], 'stores');
SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY['a'], 'customer');
SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[1], 'total:customer');

-- equal to what a naive per-row query returns, for fk, ifk, m2m, nested
WITH k(id, n) AS (SELECT * FROM unnest(ARRAY[103, 100, 101, 102]) WITH ORDINALITY)
SELECT (SELECT array_agg(d) FROM matrx_relations.prefetch_related('orders', (SELECT array_agg(id) FROM k),
            'customer', 'items.product.tags', 'billing_address') d)
     = (SELECT array_agg(to_jsonb(o) || jsonb_build_object(
            'customer', (SELECT to_jsonb(c) FROM customers c WHERE c.id = o.customer_id),
            'billing_address', (SELECT to_jsonb(a) FROM addresses a WHERE a.id = o.billing_address_id),
            'items', COALESCE((SELECT jsonb_agg(to_jsonb(i) || jsonb_build_object('product',
                (SELECT to_jsonb(p) || jsonb_build_object('tags', COALESCE(
                    (SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM tags t
                     WHERE EXISTS (SELECT 1 FROM product_tags pt WHERE pt.product_id = p.id AND pt.tag_id = t.id)), '[]'))
                 FROM products p WHERE p.id = i.product_id)) ORDER BY i.id)
              FROM items i WHERE i.order_id = o.id), '[]')) ORDER BY k.n)
        FROM k JOIN orders o ON o.id = k.id) AS nested_equal;
-- composite ifk and composite m2m, through the instances form
SELECT matrx_relations.prefetch_related('regions', (SELECT jsonb_agg(to_jsonb(r) ORDER BY r.country, r.code) FROM regions r), 'stores', 'tags')
     = (SELECT jsonb_agg(to_jsonb(r) || jsonb_build_object(
            'stores', COALESCE((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.id) FROM stores s
                                WHERE s.country = r.country AND s.region_code = r.code), '[]'),
            'tags', COALESCE((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM tags t
                              WHERE EXISTS (SELECT 1 FROM region_tags rt WHERE rt.country = r.country
                                            AND rt.code = r.code AND rt.tag_id = t.id)), '[]'))
            ORDER BY r.country, r.code) FROM regions r) AS composite_equal;
-- composite fk, keys form, with a NULL key part (no lookup)
SELECT (SELECT array_agg(d) FROM matrx_relations.prefetch_related('stores', ARRAY[1, 2, 3, 4], 'region:stores_country_region_code_fkey') d)
     = (SELECT array_agg(to_jsonb(s) || jsonb_build_object('region',
            (SELECT to_jsonb(r) FROM regions r WHERE r.country = s.country AND r.code = s.region_code)) ORDER BY s.id)
        FROM stores s) AS composite_fk_equal;
-- self-reference, two levels
SELECT (SELECT array_agg(d) FROM matrx_relations.prefetch_related('employees', ARRAY[1, 2, 3, 4], 'manager', 'employees.employees') d)
     = (SELECT array_agg(to_jsonb(e) || jsonb_build_object(
            'manager', (SELECT to_jsonb(m) FROM employees m WHERE m.id = e.manager_id),
            'employees', COALESCE((SELECT jsonb_agg(to_jsonb(c) || jsonb_build_object('employees',
                COALESCE((SELECT jsonb_agg(to_jsonb(g) ORDER BY g.id) FROM employees g WHERE g.manager_id = c.id), '[]'))
                ORDER BY c.id) FROM employees c WHERE c.manager_id = e.id), '[]')) ORDER BY e.id)
        FROM employees e) AS self_equal;

-- prefetch_batch: one result array per request, in order
SELECT jsonb_pretty(matrx_relations.prefetch_batch('[
    {"source": "pf.orders", "keys": [101], "relations": ["customer"]},
    {"source": "pf.customers", "keys": ["2", 2, null], "relations": ["orders"]},
    {"source": "pf.addresses", "instances": [{"id": 10, "customer_id": 1}], "relations": ["customer"]},
    {"source": "pf.products", "keys": []}
]'));
SELECT matrx_relations.prefetch_batch('{}');
SELECT matrx_relations.prefetch_batch('[1]');
SELECT matrx_relations.prefetch_batch('[{"keys": [1]}]');
SELECT matrx_relations.prefetch_batch('[{"source": "pf.orders"}]');
SELECT matrx_relations.prefetch_batch('[{"source": "pf.orders", "keys": [1], "instances": []}]');
SELECT matrx_relations.prefetch_batch('[{"source": "pf.orders", "keys": ["x"]}]');

RESET search_path;
DROP SCHEMA pf CASCADE;
