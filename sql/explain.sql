-- explain_related: the statements a keys-form load runs, in order: the
-- source rows, then one per edge group, depth by depth.  Paths that share
-- a prefix share its statement; edges that read the same table on the
-- same key columns share one (DataLoader grouping).
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA ex;
SET search_path = ex;
\set VERBOSITY terse

CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE addresses (id bigint PRIMARY KEY, city text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers,
    billing_address_id bigint REFERENCES addresses, shipping_address_id bigint REFERENCES addresses);
CREATE TABLE products (id int PRIMARY KEY, name text);
CREATE TABLE "Order Items" (id bigint PRIMARY KEY, order_id bigint REFERENCES orders, product_id int REFERENCES products);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE product_tags (product_id int REFERENCES products, tag_id int REFERENCES tags, PRIMARY KEY (product_id, tag_id));

-- one statement per depth and group: items is loaded once for both paths
SELECT * FROM matrx_relations.explain_related('orders', 'customer', 'Order Items.product.tags', 'Order Items');
-- billing_address and shipping_address read addresses by id: one statement
SELECT * FROM matrx_relations.explain_related('orders', 'billing_address', 'shipping_address');
-- an alias is another output key for the same relation: still one statement
SELECT * FROM matrx_relations.explain_related('orders', 'buyer:customer', 'customer');
-- names with spaces and capitals are quoted from the catalog
SELECT * FROM matrx_relations.explain_related('products', 'Order Items.order');

-- malformed paths, collisions and unknown names
SELECT * FROM matrx_relations.explain_related('orders', 'customer..x');
SELECT * FROM matrx_relations.explain_related('orders', 'a:');
SELECT * FROM matrx_relations.explain_related('orders', NULL);
SELECT * FROM matrx_relations.explain_related('orders', 'id:customer');
SELECT * FROM matrx_relations.explain_related('orders', 'x:customer', 'x:billing_address');
SELECT * FROM matrx_relations.explain_related('orders', 'Order Items.nope');

RESET search_path;
DROP SCHEMA ex CASCADE;
