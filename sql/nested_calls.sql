-- A load inside a load: a view read by one load calls a loader itself
-- (successfully, and failing with the error caught), and the outer load
-- finishes with the right documents.
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA nc;
SET search_path = nc;
\set VERBOSITY terse

CREATE TABLE customers (id int PRIMARY KEY, name text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, total int);
INSERT INTO customers VALUES (1, 'ann'), (2, 'bob');
INSERT INTO orders VALUES (10, 1, 5), (11, 1, 7), (12, 2, 9);

-- each order with its customer's document, loaded by prefetch_related
CREATE FUNCTION nc.customer_doc(int) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT d FROM matrx_relations.prefetch_related('nc.customers', ARRAY[$1], 'orders') d $$;
CREATE VIEW order_docs AS SELECT id, customer_id, nc.customer_doc(customer_id) AS customer_doc FROM orders;
SELECT matrx_relations.register_relation('customers', 'order_docs', 'order_docs', '{id}', '{customer_id}');

SELECT jsonb_pretty(d) FROM matrx_relations.prefetch_related('customers', ARRAY[2], 'order_docs') d;
SELECT count(*), sum(jsonb_array_length(d -> 'order_docs'))
FROM matrx_relations.prefetch_related('customers', ARRAY[1, 2], 'order_docs', 'orders') d;
SELECT (SELECT array_agg(d) FROM matrx_relations.prefetch_related('customers', ARRAY[1, 2], 'order_docs', 'orders') d)
     = (SELECT array_agg(d) FROM matrx_relations.select_related('customers', ARRAY[1, 2], 'order_docs', 'orders') d) AS same;

-- the inner load fails and its error is caught inside the view's function
CREATE OR REPLACE FUNCTION nc.customer_doc(int) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT d FROM matrx_relations.prefetch_related('nc.customers', ARRAY[$1], 'nope') d);
EXCEPTION WHEN undefined_object THEN
    RETURN '"caught"';
END $$;
SELECT d -> 'order_docs' FROM matrx_relations.prefetch_related('customers', ARRAY[1, 2], 'order_docs', 'orders') d;

RESET search_path;
DROP SCHEMA nc CASCADE;
