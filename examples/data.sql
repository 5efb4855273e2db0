-- More rows for the client examples, on top of test/demo/00-setup.sql:
-- enough orders that N+1 and one call differ in more than noise.
-- Deterministic (no random()): both examples see the same rows.
\set ON_ERROR_STOP 1

INSERT INTO customers
SELECT g, 'Customer ' || g FROM generate_series(11, 60) g;

INSERT INTO products
SELECT g, 'Product ' || g, (g % 17) + 0.25 FROM generate_series(11, 40) g;

INSERT INTO product_tags
SELECT p, t FROM generate_series(11, 40) p, generate_series(1, 3) t
WHERE (p + t) % 3 <> 0;

-- every fifth order has no shipping address; customers 51..60 have none
INSERT INTO orders
SELECT g, 11 + g % 40, 1 + g % 3, CASE WHEN g % 5 = 0 THEN NULL ELSE 1 + (g + 1) % 3 END,
       (g % 97) * 1.50
FROM generate_series(1001, 1200) g;

INSERT INTO items
SELECT 1000 + (o - 1001) * 3 + i, o, 11 + (o * 7 + i) % 30, 1 + i
FROM generate_series(1001, 1200) o, generate_series(1, 3) i;

-- one-to-one: a profile's key is its customer's (the FK columns are the
-- primary key), so customers -> customer_profiles is to-one (cardinality
-- 'one' in matrx_relations.relations); even customers have one
CREATE TABLE customer_profiles (
    customer_id integer PRIMARY KEY REFERENCES customers,
    bio         text NOT NULL
);
INSERT INTO customer_profiles
SELECT id, 'Bio of ' || name FROM customers WHERE id % 2 = 0;

ANALYZE;
