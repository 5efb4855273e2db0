-- DDL between two calls is seen by the second: no stale relation, no
-- stale plan, no internal error.
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA ddl;
SET search_path = ddl;

CREATE TABLE customers (id int PRIMARY KEY, name text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, note text);
INSERT INTO customers VALUES (1, 'ann'), (2, 'bob');
INSERT INTO orders VALUES (10, 1, 'a'), (11, 2, 'b'), (12, 1, 'c');

SELECT * FROM matrx_relations.fetch_related(NULL::customers, 'orders', 'customer', ARRAY[10, 11]);
SELECT * FROM matrx_relations.fetch_related(NULL::orders, 'customers', 'orders', ARRAY[1]);

-- rename the FK column: the relation gets the new name, loads use the new column
ALTER TABLE orders RENAME COLUMN customer_id TO buyer_id;
SELECT name FROM matrx_relations.relations WHERE source = 'orders'::regclass;
SELECT * FROM matrx_relations.fetch_related(NULL::customers, 'orders', 'customer', ARRAY[10]);
SELECT * FROM matrx_relations.fetch_related(NULL::customers, 'orders', 'buyer', ARRAY[10, 11]);
SELECT * FROM matrx_relations.fetch_related(NULL::orders, 'customers', 'orders', ARRAY[1]);

-- rename the referenced key column and the target table
ALTER TABLE customers RENAME COLUMN id TO customer_no;
ALTER TABLE customers RENAME TO clients;
SELECT * FROM matrx_relations.fetch_related(NULL::clients, 'orders', 'buyer', ARRAY[10, 11]);
SELECT * FROM matrx_relations.fetch_related(NULL::orders, 'clients', 'orders', ARRAY[2]);

-- drop the FK: the relation is gone
ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;
SELECT * FROM matrx_relations.fetch_related(NULL::clients, 'orders', 'buyer', ARRAY[10]);
SELECT count(*) FROM matrx_relations.relations WHERE source = 'orders'::regclass;

-- add it back under another name: found again
ALTER TABLE orders ADD CONSTRAINT orders_buyer_fk FOREIGN KEY (buyer_id) REFERENCES clients;
SELECT * FROM matrx_relations.fetch_related(NULL::clients, 'orders', 'buyer', ARRAY[12]);
SELECT name, constraint_name FROM matrx_relations.relations WHERE source = 'clients'::regclass;

-- change a column's type: the kept plan is rebuilt
ALTER TABLE orders ALTER COLUMN note TYPE varchar(10);
SELECT * FROM matrx_relations.fetch_related(NULL::orders, 'clients', 'orders', ARRAY[1]);
ALTER TABLE orders ADD COLUMN extra int DEFAULT 7;
SELECT * FROM matrx_relations.fetch_related(NULL::orders, 'clients', 'orders', ARRAY[1]);

-- drop and recreate a table under the same name
DROP TABLE orders;
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES clients);
INSERT INTO orders VALUES (20, 2);
SELECT * FROM matrx_relations.fetch_related(NULL::clients, 'orders', 'customer', ARRAY[20]);
SELECT * FROM matrx_relations.fetch_related(NULL::orders, 'clients', 'orders', ARRAY[1, 2]);

-- DDL inside the same transaction, then rolled back
BEGIN;
ALTER TABLE orders RENAME COLUMN customer_id TO client_id;
SELECT * FROM matrx_relations.fetch_related(NULL::clients, 'orders', 'client', ARRAY[20]);
ROLLBACK;
SELECT * FROM matrx_relations.fetch_related(NULL::clients, 'orders', 'customer', ARRAY[20]);

-- a schema rename
ALTER SCHEMA ddl RENAME TO ddl2;
SET search_path = ddl2;
SELECT * FROM matrx_relations.fetch_related(NULL::clients, 'orders', 'customer', ARRAY[20]);

RESET search_path;
DROP SCHEMA ddl2 CASCADE;
