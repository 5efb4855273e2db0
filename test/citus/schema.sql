-- The Citus lab's schema, run on the coordinator before each test file.
--
-- lab: Citus tables.  customers, orders and items are distributed and
-- co-located (orders and items on customer_id: the multi-tenant shape, with
-- composite primary keys and a composite FK led by the distribution column);
-- products and product_tags are distributed in another co-location group;
-- reviews in a third; regions, statuses and tags are reference tables;
-- local_notes stays a plain table on the coordinator.  Links Citus allows no
-- FK for (across co-location groups, to the local table) are registered.
-- ref: the same tables and rows as plain PostgreSQL tables, with real FKs
-- where lab has registered relations: what a loader returns on lab must
-- equal what it returns on ref (whose results make test checks against
-- plain SQL), and plain SQL on lab.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

DO $$
DECLARE s text;
BEGIN
    FOREACH s IN ARRAY ARRAY['lab', 'ref'] LOOP
        EXECUTE format($ddl$
            CREATE SCHEMA %1$I;
            CREATE TABLE %1$I.regions (id int PRIMARY KEY, name text NOT NULL);
            CREATE TABLE %1$I.statuses (code text PRIMARY KEY, label text NOT NULL);
            CREATE TABLE %1$I.tags (id int PRIMARY KEY, name text NOT NULL);
            CREATE TABLE %1$I.customers (id bigint PRIMARY KEY, name text NOT NULL, region_id int,
                                         since date, score double precision);
            CREATE TABLE %1$I.orders (customer_id bigint, id bigint, status_code text,
                                      total numeric(10,2), note text, PRIMARY KEY (customer_id, id));
            CREATE TABLE %1$I.items (customer_id bigint, order_id bigint, id bigint, product_id bigint,
                                     qty int, PRIMARY KEY (customer_id, order_id, id));
            CREATE TABLE %1$I.products (id bigint PRIMARY KEY, name text NOT NULL, price numeric(10,2));
            CREATE TABLE %1$I.product_tags (product_id bigint, tag_id int, PRIMARY KEY (product_id, tag_id));
            CREATE TABLE %1$I.reviews (id bigint PRIMARY KEY, customer_id bigint, stars int);
            CREATE TABLE %1$I.local_notes (id bigint PRIMARY KEY, customer_id bigint, body text);
        $ddl$, s);
    END LOOP;
END $$;

-- lab's tables into Citus (distributed first, then reference tables, then the FKs)
SELECT create_distributed_table('lab.customers', 'id');
SELECT create_distributed_table('lab.orders', 'customer_id', colocate_with => 'lab.customers');
SELECT create_distributed_table('lab.items', 'customer_id', colocate_with => 'lab.customers');
SELECT create_distributed_table('lab.products', 'id', colocate_with => 'none');
SELECT create_distributed_table('lab.product_tags', 'product_id', colocate_with => 'lab.products');
SELECT create_distributed_table('lab.reviews', 'id', colocate_with => 'none', shard_count => 4);
SELECT create_reference_table('lab.regions');
SELECT create_reference_table('lab.statuses');
SELECT create_reference_table('lab.tags');

DO $$
DECLARE s text; fk text;
BEGIN
    FOREACH s IN ARRAY ARRAY['lab', 'ref'] LOOP
        FOREACH fk IN ARRAY ARRAY[
            'customers ADD FOREIGN KEY (region_id) REFERENCES %1$I.regions',
            'orders ADD FOREIGN KEY (customer_id) REFERENCES %1$I.customers',
            'orders ADD CONSTRAINT status FOREIGN KEY (status_code) REFERENCES %1$I.statuses',
            'items ADD CONSTRAINT "order" FOREIGN KEY (customer_id, order_id) REFERENCES %1$I.orders',
            'product_tags ADD FOREIGN KEY (product_id) REFERENCES %1$I.products',
            'product_tags ADD FOREIGN KEY (tag_id) REFERENCES %1$I.tags'] LOOP
            EXECUTE format('ALTER TABLE %1$I.' || fk, s);
        END LOOP;
    END LOOP;
END $$;
-- across co-location groups and to the local table: an FK in ref, registered in lab
ALTER TABLE ref.items ADD FOREIGN KEY (product_id) REFERENCES ref.products;
ALTER TABLE ref.reviews ADD FOREIGN KEY (customer_id) REFERENCES ref.customers;
ALTER TABLE ref.local_notes ADD FOREIGN KEY (customer_id) REFERENCES ref.customers;
SELECT matrx_relations.register_relation('lab.items', 'product', 'lab.products', '{product_id}', '{id}');
SELECT matrx_relations.register_relation('lab.products', 'items', 'lab.items', '{id}', '{product_id}');
SELECT matrx_relations.register_relation('lab.customers', 'reviews', 'lab.reviews', '{id}', '{customer_id}');
SELECT matrx_relations.register_relation('lab.customers', 'local_notes', 'lab.local_notes', '{id}', '{customer_id}');

-- the rows: generated into lab, copied into ref
INSERT INTO lab.regions SELECT g, 'region ' || g FROM generate_series(1, 5) g;
INSERT INTO lab.statuses VALUES ('new', 'New'), ('paid', 'Paid'), ('sent', 'Sent');
INSERT INTO lab.tags SELECT g, 'tag ' || g FROM generate_series(1, 8) g;
INSERT INTO lab.customers
    SELECT g, 'customer ' || g, CASE WHEN g % 17 = 0 THEN NULL ELSE 1 + g % 5 END,
           date '2020-01-01' + g, g / 7.0
    FROM generate_series(1, 200) g;
INSERT INTO lab.orders
    SELECT 1 + g % 190, g, (ARRAY['new', 'paid', 'sent', NULL])[1 + g % 4], g * 1.25,
           CASE WHEN g % 3 = 0 THEN 'note "' || g || '"' END
    FROM generate_series(1, 1000) g;
INSERT INTO lab.products SELECT g, 'product ' || g, g * 2.5 FROM generate_series(1, 60) g;
INSERT INTO lab.items
    SELECT 1 + (1 + g % 1000) % 190, 1 + g % 1000, g, CASE WHEN g % 11 = 0 THEN NULL ELSE 1 + g % 50 END, 1 + g % 4
    FROM generate_series(1, 3000) g;
INSERT INTO lab.product_tags
    SELECT DISTINCT p, t FROM generate_series(1, 55) p, LATERAL (VALUES (1 + p % 8), (1 + (p * 3) % 8)) v(t);
INSERT INTO lab.reviews SELECT g, 1 + g % 150, 1 + g % 5 FROM generate_series(1, 300) g;
INSERT INTO lab.local_notes SELECT g, 1 + g % 50, 'note ' || g FROM generate_series(1, 100) g;

INSERT INTO ref.regions SELECT * FROM lab.regions;
INSERT INTO ref.statuses SELECT * FROM lab.statuses;
INSERT INTO ref.tags SELECT * FROM lab.tags;
INSERT INTO ref.customers SELECT * FROM lab.customers;
INSERT INTO ref.orders SELECT * FROM lab.orders;
INSERT INTO ref.products SELECT * FROM lab.products;
INSERT INTO ref.items SELECT * FROM lab.items;
INSERT INTO ref.product_tags SELECT * FROM lab.product_tags;
INSERT INTO ref.reviews SELECT * FROM lab.reviews;
INSERT INTO ref.local_notes SELECT * FROM lab.local_notes;
ANALYZE;
