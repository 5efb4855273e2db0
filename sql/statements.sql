-- Statement counts: fetch_related and fetch_related_array run exactly one
-- statement, for 1 key and for 10,000 keys, as pg_stat_statements
-- (track = all) records them.
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE SCHEMA st;
SET search_path = st;

CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE order_tags (order_id bigint REFERENCES orders, tag_id int REFERENCES tags, PRIMARY KEY (order_id, tag_id));
INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 5000) g;
INSERT INTO orders SELECT g, 1 + g % 5000 FROM generate_series(1, 20000) g;
INSERT INTO tags SELECT g, 't' || g FROM generate_series(1, 50) g;
INSERT INTO order_tags SELECT g, 1 + g % 50 FROM generate_series(1, 20000) g;
ANALYZE;

-- a warm-up call loads the metadata (no statement either way: it is read from the catalog)
SELECT count(*) FROM matrx_relations.fetch_related(NULL::customers, 'orders', 'customer', ARRAY[1]);

-- counts the statements the previous call ran below the top level
CREATE FUNCTION st.statements() RETURNS TABLE(calls bigint, query text) LANGUAGE sql AS $$
    SELECT calls, query FROM public.pg_stat_statements WHERE NOT toplevel ORDER BY query $$;

SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.fetch_related(NULL::customers, 'orders', 'customer', ARRAY[1]);
SELECT * FROM st.statements();

SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.fetch_related(NULL::customers, 'orders', 'customer', ARRAY(SELECT generate_series(1, 10000)));
SELECT * FROM st.statements();

SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.fetch_related(NULL::orders, 'customers', 'orders', ARRAY[1]);
SELECT * FROM st.statements();

SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.fetch_related(NULL::orders, 'customers', 'orders', ARRAY(SELECT generate_series(1, 10000)));
SELECT * FROM st.statements();

SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.fetch_related_array(NULL::tags, 'orders', 'tags', ARRAY[1]);
SELECT * FROM st.statements();

SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.fetch_related_array(NULL::tags, 'orders', 'tags', ARRAY(SELECT generate_series(1, 10000)));
SELECT * FROM st.statements();

-- the same call three times: one statement each, one kept plan
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.fetch_related_array(NULL::customers, 'orders', 'customer', ARRAY[1, 2]);
SELECT count(*) FROM matrx_relations.fetch_related_array(NULL::customers, 'orders', 'customer', ARRAY[3]);
SELECT count(*) FROM matrx_relations.fetch_related_array(NULL::customers, 'orders', 'customer', ARRAY(SELECT generate_series(1, 10000)));
SELECT * FROM st.statements();

-- empty keys: no statement at all
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.fetch_related(NULL::customers, 'orders', 'customer', '{}'::int[]);
SELECT count(*) FROM st.statements();

RESET search_path;
DROP SCHEMA st CASCADE;
