-- Registered relations: views, logical links, and what only a table's
-- owner may do (SPEC section 1, register_relation).
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA reg;
SET search_path = reg;

CREATE TABLE customers (id int PRIMARY KEY, name text, country text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, total numeric);
CREATE TABLE coupons (code text PRIMARY KEY, customer_name text);
CREATE VIEW big_orders AS SELECT id, customer_id, total FROM orders WHERE total >= 100;
CREATE VIEW vip_customers AS SELECT id, name FROM customers WHERE country = 'NO';
INSERT INTO customers VALUES (1, 'ann', 'NO'), (2, 'bob', 'IT'), (3, 'cy', 'NO');
INSERT INTO orders VALUES (10, 1, 50), (11, 1, 150), (12, 2, 300), (13, 3, 100);
INSERT INTO coupons VALUES ('A1', 'ann'), ('A2', 'ann'), ('B1', 'bob');

-- to a view: not the target's key, so the kind is ifk (to many)
SELECT matrx_relations.register_relation('customers', 'big_orders', 'big_orders', '{id}', '{customer_id}');
-- from a view to a table's primary key: fk (to one)
SELECT matrx_relations.register_relation('big_orders', 'customer', 'customers', '{customer_id}', '{id}');
-- a logical link on non-key text columns
SELECT matrx_relations.register_relation('customers', 'coupons', 'coupons', '{name}', '{customer_name}');
-- many-to-many through a view used as junction
SELECT matrx_relations.register_relation('vip_customers', 'vip_orders', 'orders', '{id}', '{id}',
    'big_orders', '{customer_id}', '{id}');

SELECT source, name, kind, target, source_columns, target_columns, via,
       via_source_columns, via_target_columns, constraint_name, origin
FROM matrx_relations.relations
WHERE origin = 'registered' ORDER BY source::text, name;

SELECT source_key, related FROM matrx_relations.fetch_related(NULL::big_orders, 'customers', 'big_orders', ARRAY[1, 2, 3]);
SELECT source_key, related FROM matrx_relations.fetch_related(NULL::coupons, 'customers', 'coupons', ARRAY[1, 2, 3]);
-- a view has no primary key: its keys cannot be given (the instances form will take it)
SELECT * FROM matrx_relations.fetch_related(NULL::customers, 'big_orders', 'customer', ARRAY[11]);

-- the same name twice for one source
SELECT matrx_relations.register_relation('customers', 'coupons', 'coupons', '{name}', '{customer_name}');
-- bad column lists
SELECT matrx_relations.register_relation('customers', 'x', 'orders', '{id}', '{}');
SELECT matrx_relations.register_relation('customers', 'x', 'orders', '{id,name}', '{customer_id}');
SELECT matrx_relations.register_relation('customers', 'x', 'orders', NULL, '{customer_id}');
SELECT matrx_relations.register_relation('customers', 'x', 'orders', '{id}', '{nope}');
SELECT matrx_relations.register_relation('customers', 'x', 'orders', '{name}', '{total}');

-- only the owner of the source table may register or unregister
CREATE ROLE regress_reg_other;
GRANT USAGE ON SCHEMA reg TO regress_reg_other;
GRANT SELECT ON ALL TABLES IN SCHEMA reg TO regress_reg_other;
SET ROLE regress_reg_other;
SELECT matrx_relations.register_relation('customers', 'mine', 'orders', '{id}', '{customer_id}');
SELECT matrx_relations.unregister_relation('customers', 'coupons');
-- and nobody writes the config table directly
INSERT INTO matrx_relations.registered_relations VALUES ('customers', 'mine', 'orders', '{id}', '{customer_id}');
-- reading the relations is fine
SELECT count(*) FROM matrx_relations.relations WHERE origin = 'registered' AND source = 'customers'::regclass;
RESET ROLE;

-- unregister: true once, then false
SELECT matrx_relations.unregister_relation('customers', 'coupons');
SELECT matrx_relations.unregister_relation('customers', 'coupons');
SELECT * FROM matrx_relations.fetch_related(NULL::coupons, 'customers', 'coupons', ARRAY[1]);

-- rows survive in the config table, which pg_dump saves
SELECT source, name, target FROM matrx_relations.registered_relations ORDER BY name, source::text;
SELECT extconfig::regclass[] FROM pg_extension WHERE extname = 'matrx_relations';

RESET search_path;
DROP SCHEMA reg CASCADE;
DELETE FROM matrx_relations.registered_relations;
DROP ROLE regress_reg_other;
