-- Large loads complete, and a long load stops promptly on
-- statement_timeout with 57014.
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA big;
SET search_path = big;
\set VERBOSITY terse

CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, total int);
INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 100000) g;
INSERT INTO orders SELECT g, 1 + g % 100000, g % 97 FROM generate_series(1, 1000000) g;
CREATE INDEX ON orders (customer_id);
ANALYZE customers, orders;

-- 100,000 and 1,000,000 keys
SELECT count(*), count(*) FILTER (WHERE d -> 'customer' ->> 'id' = d ->> 'customer_id')
FROM matrx_relations.prefetch_related('orders', ARRAY(SELECT generate_series(1, 100000)), 'customer') d;
SELECT count(*), sum(jsonb_array_length(d -> 'orders'))
FROM matrx_relations.prefetch_related('customers', ARRAY(SELECT generate_series(1, 100000)), 'orders') d;
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY(SELECT generate_series(1, 1000000)), 'customer');

-- cancelled by statement_timeout: 57014, and the backend is fine afterwards
SET statement_timeout = '200ms';
DO $$
BEGIN
    PERFORM count(*) FROM matrx_relations.prefetch_related('big.orders', ARRAY(SELECT generate_series(1, 1000000)), 'customer');
    RAISE NOTICE 'not cancelled';
EXCEPTION WHEN query_canceled THEN
    RAISE NOTICE 'cancelled with SQLSTATE %', SQLSTATE;
END $$;
RESET statement_timeout;
SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[1, 2, 3], 'customer');

RESET search_path;
DROP SCHEMA big CASCADE;
