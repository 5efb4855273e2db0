-- select_related: prefetch_related's documents (equal jsonb, same order)
-- from exactly one statement: a LEFT JOIN per fk edge, a LATERAL jsonb_agg
-- per ifk edge, the junction joined and aggregated per m2m edge, nested;
-- inside the aggregates, unique targets are probed row by row.
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE SCHEMA sr;
SET search_path = sr;
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
CREATE TABLE region_tags (country text, code int, tag_id int REFERENCES tags, since int,
    PRIMARY KEY (country, code, tag_id, since), FOREIGN KEY (country, code) REFERENCES regions);

INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 50) g;
INSERT INTO addresses SELECT g, 1 + g % 50, 'city' || g FROM generate_series(1, 80) g;
INSERT INTO orders SELECT g, CASE WHEN g % 7 <> 0 THEN 1 + g % 50 END, 1 + g % 80,
    CASE WHEN g % 3 <> 0 THEN 1 + (g * 7) % 80 END, g % 11 FROM generate_series(1, 300) g;
INSERT INTO products SELECT g, 'p' || g FROM generate_series(1, 40) g;
INSERT INTO items SELECT g, 1 + (g * 13) % 280, 1 + g % 40, g % 5 FROM generate_series(1, 900) g;
INSERT INTO tags SELECT g, 't' || g FROM generate_series(1, 12) g;
INSERT INTO product_tags SELECT p, 1 + (p * s) % 12 FROM generate_series(1, 40) p, generate_series(1, 3) s ON CONFLICT DO NOTHING;
INSERT INTO employees VALUES (1, NULL, 'boss'), (2, 1, 'ann'), (3, 1, 'bob'), (4, 2, 'cy'), (5, 4, 'di');
INSERT INTO regions VALUES ('NO', 1, 'East'), ('NO', 2, 'West'), ('IT', 1, 'Lazio');
INSERT INTO stores VALUES (1, 'NO', 1), (2, 'NO', 2), (3, 'IT', 1), (4, NULL, 1), (5, 'NO', 1);
-- the same (region, tag) pair twice: the tag still appears once per region
INSERT INTO region_tags VALUES ('NO', 1, 2, 2020), ('NO', 1, 2, 2021), ('NO', 1, 1, 2020), ('IT', 1, 3, 2020);

CREATE FUNCTION sr.same(source regclass, keys anyarray, VARIADIC paths text[]) RETURNS boolean
LANGUAGE sql AS $$
    SELECT (SELECT coalesce(array_agg(d), '{}') FROM matrx_relations.select_related(source, keys, VARIADIC paths) d)
         = (SELECT coalesce(array_agg(d), '{}') FROM matrx_relations.prefetch_related(source, keys, VARIADIC paths) d) $$;

-- every kind, nested, aliases, duplicates and missing keys
SELECT sr.same('orders', ARRAY(SELECT generate_series(310, -5, -1)), 'customer') AS fk,
       sr.same('customers', ARRAY(SELECT generate_series(1, 60)), 'orders', 'addresses') AS ifk,
       sr.same('products', ARRAY(SELECT generate_series(1, 45)), 'tags') AS m2m,
       sr.same('tags', ARRAY[3, 1, 3, 99], 'products.items.order.customer') AS m2m_nested,
       sr.same('orders', ARRAY(SELECT generate_series(1, 300)), 'buyer:customer', 'billing_address.customer',
               'shipping_address', 'items.product.tags', 'items') AS nested;
-- registered relations: a view as m2m target (no unique key: joined, not
-- probed), an fk and an ifk; a target with a dropped column
ALTER TABLE tags ADD COLUMN gone int, ADD COLUMN color text;
ALTER TABLE tags DROP COLUMN gone;
UPDATE tags SET color = CASE WHEN id % 2 = 0 THEN 'red' END;
CREATE VIEW tag_view AS SELECT id, upper(label) AS label FROM tags;
SELECT matrx_relations.register_relation('products', 'vtags', 'tag_view', '{id}', '{id}',
    'product_tags', '{product_id}', '{tag_id}');
SELECT matrx_relations.register_relation('items', 'prod', 'products', '{product_id}', '{id}');
SELECT matrx_relations.register_relation('products', 'lines', 'items', '{id}', '{product_id}');
SELECT sr.same('orders', ARRAY(SELECT generate_series(1, 300)), 'items.prod.vtags', 'items.prod.tags',
               'items.product.lines') AS registered;
SELECT d -> 'vtags' -> 0 AS vtag, d -> 'tags' -> 0 AS tag
FROM matrx_relations.select_related('products', ARRAY[2], 'vtags', 'tags') d;
-- self-references, both directions
SELECT sr.same('employees', ARRAY[5, 4, 3, 2, 1], 'manager.manager.manager', 'employees.employees') AS self;
-- composite fk (with a NULL part), composite ifk and composite junction below it
SELECT sr.same('stores', ARRAY[1, 2, 3, 4, 5], 'region:stores_country_region_code_fkey.stores',
               'region:stores_country_region_code_fkey.tags') AS composite;

SELECT * FROM matrx_relations.select_related('stores', ARRAY[4, 1], 'region:stores_country_region_code_fkey.tags');

-- exactly one statement, for 1 key and for 300
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.select_related('orders', ARRAY[1], 'customer', 'items.product.tags', 'billing_address');
SELECT sum(calls) AS statements FROM public.pg_stat_statements WHERE NOT toplevel;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.select_related('orders', ARRAY(SELECT generate_series(1, 300)), 'customer', 'items.product.tags', 'billing_address');
SELECT sum(calls) AS statements FROM public.pg_stat_statements WHERE NOT toplevel;
-- no keys: no statement
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.select_related('orders', ARRAY[NULL]::int[], 'customer');
SELECT coalesce(sum(calls), 0) AS statements FROM public.pg_stat_statements WHERE NOT toplevel;

-- the same errors as prefetch_related
SELECT * FROM matrx_relations.select_related('regions', ARRAY[1], 'stores');
SELECT * FROM matrx_relations.select_related('orders', ARRAY['x'], 'customer');
SELECT * FROM matrx_relations.select_related('orders', ARRAY[1], 'customer..x');
SELECT * FROM matrx_relations.select_related('orders', ARRAY[1], 'total:customer');
SELECT * FROM matrx_relations.select_related('orders', ARRAY[1], 'nope');

RESET search_path;
DROP SCHEMA sr CASCADE;
