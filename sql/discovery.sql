-- Relation discovery: what matrx_relations finds in the catalog, and the
-- names it gives each relation (SPEC section 1).
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA disc;
SET search_path = disc;

-- a small shop: two FKs to one table, a self-reference, a composite-key
-- pair, a junction with a composite primary key, a junction with extra
-- columns, a table without a primary key
CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE addresses (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, city text);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint REFERENCES customers,
    billing_address_id bigint REFERENCES addresses,
    shipping_address_id bigint REFERENCES addresses);
CREATE TABLE employees (id int PRIMARY KEY, manager_id int REFERENCES employees, name text);
CREATE TABLE regions (country text, code int, name text, PRIMARY KEY (country, code));
CREATE TABLE stores (
    id int PRIMARY KEY, country text, region_code int,
    FOREIGN KEY (country, region_code) REFERENCES regions);
CREATE TABLE products (id int PRIMARY KEY, name text);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE product_tags (
    product_id int REFERENCES products, tag_id int REFERENCES tags,
    PRIMARY KEY (product_id, tag_id));
-- a junction with a surrogate key, a unique pair and extra columns
CREATE TABLE memberships (
    id serial PRIMARY KEY,
    store_id int NOT NULL REFERENCES stores,
    employee_id int NOT NULL REFERENCES employees,
    since date, role text,
    UNIQUE (store_id, employee_id));
-- a composite junction: regions (composite key) to tags
CREATE TABLE region_tags (
    country text, code int, tag_id int REFERENCES tags,
    PRIMARY KEY (country, code, tag_id),
    FOREIGN KEY (country, code) REFERENCES regions);
-- not a junction: its FK columns are not inside a unique constraint
CREATE TABLE visits (customer_id bigint REFERENCES customers, store_id int REFERENCES stores, at timestamptz);
-- mixed case and spaces
CREATE TABLE "Shelf Units" ("Unit ID" int PRIMARY KEY, "Store ID" int REFERENCES stores);
CREATE TABLE "Bins" (id int PRIMARY KEY, "unit_id" int REFERENCES "Shelf Units");

SELECT source, name, kind, target, source_columns, target_columns,
       via, via_source_columns, via_target_columns, constraint_name, origin
FROM matrx_relations.relations
WHERE source::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'disc'::regnamespace)
ORDER BY source::text, name, kind;

-- one row per relation: names that two relations share are the ambiguous ones
SELECT source, name, count(*)
FROM matrx_relations.relations
WHERE source::oid IN (SELECT oid FROM pg_class WHERE relnamespace = 'disc'::regnamespace)
GROUP BY 1, 2 HAVING count(*) > 1;

-- the junction is found from both ends, with the composite key on one side
SELECT source, name, kind, target, via FROM matrx_relations.relations
WHERE kind = 'm2m' AND via = 'disc.region_tags'::regclass ORDER BY name, source::text;

-- a table that no FK touches has no relations
CREATE TABLE loner (id int PRIMARY KEY);
SELECT count(*) FROM matrx_relations.relations WHERE source = 'disc.loner'::regclass;

-- partitioned tables: the parent constraint stands for its partitions
CREATE TABLE events (id int, customer_id bigint REFERENCES customers, PRIMARY KEY (id, customer_id))
    PARTITION BY HASH (customer_id);
CREATE TABLE events_0 PARTITION OF events FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE events_1 PARTITION OF events FOR VALUES WITH (MODULUS 2, REMAINDER 1);
SELECT source, name, kind, target FROM matrx_relations.relations
WHERE target IN ('disc.events'::regclass, 'disc.events_0'::regclass, 'disc.events_1'::regclass)
   OR source IN ('disc.events'::regclass) ORDER BY name, source::text;

RESET search_path;
DROP SCHEMA disc CASCADE;
