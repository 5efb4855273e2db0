-- fetch_related and fetch_related_array: typed rows of one relation, for
-- every kind, with NULL FKs, duplicate and missing keys, and empty input.
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA fr;
SET search_path = fr;

CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, total numeric);
CREATE TABLE products (id int PRIMARY KEY, name text);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE product_tags (
    product_id int REFERENCES products, tag_id int REFERENCES tags, added date,
    PRIMARY KEY (product_id, tag_id));
CREATE TABLE employees (id int PRIMARY KEY, manager_id int REFERENCES employees, name text);
CREATE TABLE regions (country text, code int, name text, PRIMARY KEY (country, code));
CREATE TABLE stores (id int PRIMARY KEY, country text, region_code int,
    FOREIGN KEY (country, region_code) REFERENCES regions);
-- a junction whose columns lie inside a wider primary key: pairs repeat
CREATE TABLE store_products (store_id int REFERENCES stores, product_id int REFERENCES products,
    day date, PRIMARY KEY (store_id, product_id, day));

INSERT INTO customers VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');
INSERT INTO orders VALUES (100, 1, 5), (101, 1, 7), (102, 2, 9), (103, NULL, 1), (104, 1, 2);
INSERT INTO products VALUES (1, 'pen'), (2, 'ink'), (3, 'pad'), (4, 'cup');
INSERT INTO tags VALUES (1, 'office'), (2, 'blue'), (3, 'paper');
INSERT INTO product_tags VALUES (1, 2, NULL), (1, 1, NULL), (2, 1, NULL), (3, 3, NULL), (3, 1, NULL);
INSERT INTO employees VALUES (1, NULL, 'boss'), (2, 1, 'ann'), (3, 1, 'bob'), (4, 2, 'cy');
INSERT INTO regions VALUES ('NO', 1, 'East'), ('NO', 2, 'West'), ('IT', 1, 'Lazio');
INSERT INTO stores VALUES (1, 'NO', 1), (2, 'NO', 2), (3, 'IT', 1), (4, NULL, 1), (5, 'IT', NULL);
INSERT INTO store_products VALUES (1, 1, '2026-01-01'), (1, 1, '2026-01-02'), (1, 2, '2026-01-01'), (2, 1, '2026-01-01');

-- fk: one row per key that has a target; a NULL FK (103), an unknown key
-- (999), a NULL key and a duplicate key give nothing more
SELECT * FROM matrx_relations.fetch_related(NULL::customers, 'orders', 'customer',
    ARRAY[102, 100, 103, 999, NULL, 100, 101]);
-- keys keep the caller's type (int here, bigint key column)
SELECT pg_typeof(source_key), count(*) FROM matrx_relations.fetch_related(NULL::customers, 'orders', 'customer', ARRAY[100, 101]) GROUP BY 1;

-- ifk: children in primary key order, per key in first-occurrence order
SELECT * FROM matrx_relations.fetch_related(NULL::orders, 'customers', 'orders', ARRAY[2, 1, 3, 2]);

-- m2m: each tag once per product, ordered by the tag's primary key
SELECT * FROM matrx_relations.fetch_related(NULL::tags, 'products', 'tags', ARRAY[3, 1, 4]);
-- the reverse direction through the same junction
SELECT * FROM matrx_relations.fetch_related(NULL::products, 'tags', 'products', ARRAY[1, 3]);
-- pairs that repeat in the junction still give each target once per key
SELECT * FROM matrx_relations.fetch_related(NULL::products, 'stores', 'products', ARRAY[1, 2, 3]);

-- composite FK to a composite primary key; NULL and dangling parts match nothing
SELECT * FROM matrx_relations.fetch_related(NULL::regions, 'stores', 'stores_country_region_code_fkey', ARRAY[1, 2, 3, 4, 5]);

-- self-reference: "manager" is the fk, "employees" the ifk, the constraint name the fk
SELECT * FROM matrx_relations.fetch_related(NULL::employees, 'employees', 'manager', ARRAY[4, 1]);
SELECT * FROM matrx_relations.fetch_related(NULL::employees, 'employees', 'employees', ARRAY[1, 2, 4]);
SELECT * FROM matrx_relations.fetch_related(NULL::employees, 'employees', 'employees_manager_id_fkey', ARRAY[4]);

-- fetch_related_array: one row per distinct non-NULL key, '{}' when none
SELECT * FROM matrx_relations.fetch_related_array(NULL::tags, 'products', 'tags', ARRAY[3, 1, 4, 3, NULL]);
SELECT * FROM matrx_relations.fetch_related_array(NULL::orders, 'customers', 'orders', ARRAY[1, 3]);
SELECT source_key, array_length(related, 1), pg_typeof(related)
FROM matrx_relations.fetch_related_array(NULL::customers, 'orders', 'customer', ARRAY[100, 103]);

-- empty and all-NULL keys: no rows
SELECT count(*) FROM matrx_relations.fetch_related(NULL::customers, 'orders', 'customer', '{}'::bigint[]);
SELECT count(*) FROM matrx_relations.fetch_related(NULL::customers, 'orders', 'customer', ARRAY[NULL, NULL]::int[]);
SELECT count(*) FROM matrx_relations.fetch_related(NULL::customers, 'orders', 'customer', NULL::int[]);
SELECT count(*) FROM matrx_relations.fetch_related_array(NULL::customers, 'orders', 'customer', '{}'::int[]);

-- the same rows a naive per-key query returns, for every kind
WITH keys(k) AS (SELECT generate_series(1, 4))
SELECT (SELECT array_agg(x ORDER BY x::text) FROM (
            SELECT ROW(f.source_key, f.related)::text AS x
            FROM matrx_relations.fetch_related(NULL::tags, 'products', 'tags', (SELECT array_agg(k) FROM keys)) f) a)
     = (SELECT array_agg(x ORDER BY x::text) FROM (
            SELECT ROW(p.id, t)::text AS x FROM keys JOIN products p ON p.id = keys.k
            JOIN tags t ON EXISTS (SELECT 1 FROM product_tags pt WHERE pt.product_id = p.id AND pt.tag_id = t.id)) b)
       AS m2m_equal;
SELECT (SELECT array_agg(ROW(f.source_key, f.related)::text ORDER BY f.source_key, (f.related).id)
        FROM matrx_relations.fetch_related(NULL::orders, 'customers', 'orders', ARRAY[1, 2, 3]) f)
     = (SELECT array_agg(ROW(c.id, o)::text ORDER BY c.id, o.id) FROM customers c JOIN orders o ON o.customer_id = c.id)
       AS ifk_equal;
SELECT (SELECT array_agg(ROW(f.source_key, f.related)::text ORDER BY f.source_key)
        FROM matrx_relations.fetch_related(NULL::regions, 'stores', 'stores_country_region_code_fkey', ARRAY[1, 2, 3, 4, 5]) f)
     = (SELECT array_agg(ROW(s.id, r)::text ORDER BY s.id) FROM stores s JOIN regions r
        ON r.country = s.country AND r.code = s.region_code)
       AS composite_fk_equal;

RESET search_path;
DROP SCHEMA fr CASCADE;
