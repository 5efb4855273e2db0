-- typed_stream.sql: load and load_batch called in a SELECT list stream
-- their rows, a value per call, running each level's statements when its
-- rows are first asked for (typedfuncs.c, typed.c).  Every form gives the
-- rows of the same call in FROM, in the same order; a query that stops
-- early runs only the statements it needed; a stream survives other loads
-- run between its rows (a cursor), another stream beside it in one SELECT
-- list, an error in a later level's statement, and the relation cache.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION matrx_relations;

SELECT plan(18);

CREATE SCHEMA ts;
SET LOCAL search_path = ts, public;
SET LOCAL client_min_messages = warning;

CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, total numeric);
CREATE TABLE products (id int PRIMARY KEY, name text);
CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders, product_id int REFERENCES products);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE product_tags (product_id int REFERENCES products, tag_id int REFERENCES tags,
    PRIMARY KEY (product_id, tag_id));
CREATE INDEX ON orders (customer_id);
CREATE INDEX ON items (order_id);
INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 50) g;
INSERT INTO orders SELECT g, 1 + g % 50, g / 10.0 FROM generate_series(1, 400) g;
INSERT INTO products SELECT g, 'p' || g FROM generate_series(1, 30) g;
INSERT INTO items SELECT g, 1 + g % 400, 1 + g % 30 FROM generate_series(1, 1500) g;
INSERT INTO tags SELECT g, 't' || g FROM generate_series(1, 8) g;
INSERT INTO product_tags SELECT p, t FROM generate_series(1, 30) p, generate_series(1, 8) t WHERE (p + t) % 3 = 0;
ANALYZE customers, orders, products, items, tags, product_tags;

-- a load's rows as text, in the order they come: in FROM, and streamed
CREATE FUNCTION pg_temp.from_rows(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE out text;
BEGIN
    EXECUTE format('SELECT string_agg(concat_ws(''|'', node, id, parent, r), '';'') FROM %s', q) INTO out;
    RETURN out;
END $$;
CREATE FUNCTION pg_temp.streamed(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE out text;
BEGIN
    EXECUTE format('SELECT string_agg(concat_ws(''|'', (l).node, (l).id, (l).parent, (l).r), '';'') '
                   'FROM (SELECT %s AS l) s', q) INTO out;
    RETURN out;
END $$;
CREATE FUNCTION pg_temp.statements() RETURNS bigint LANGUAGE sql AS
    $$ SELECT statements FROM matrx_relations.stats() $$;

SELECT is(pg_temp.streamed($$matrx_relations.load('ts.orders', ARRAY(SELECT generate_series(1, 400)), 'customer', 'items.product.tags')$$),
          pg_temp.from_rows($$matrx_relations.load('ts.orders', ARRAY(SELECT generate_series(1, 400)), 'customer', 'items.product.tags')$$),
          'keys and paths: the rows of the call in FROM, in its order');
SELECT isnt(pg_temp.streamed($$matrx_relations.load('ts.orders', ARRAY[1, 2], 'customer')$$), NULL,
            'a streamed load returns rows');
SELECT is(pg_temp.streamed($$matrx_relations.load('ts.customers', ARRAY(SELECT generate_series(1, 60)), '{"orders": {"order_by": ["total desc"], "include": {"items": {"columns": ["id", "product_id"]}}}}'::jsonb)$$),
          pg_temp.from_rows($$matrx_relations.load('ts.customers', ARRAY(SELECT generate_series(1, 60)), '{"orders": {"order_by": ["total desc"], "include": {"items": {"columns": ["id", "product_id"]}}}}'::jsonb)$$),
          'a spec');
SELECT is(pg_temp.streamed($$matrx_relations.load('ts.orders', (SELECT jsonb_agg(to_jsonb(o) ORDER BY id DESC) FROM ts.orders o WHERE id % 7 = 0), 'customer', 'items.product')$$),
          pg_temp.from_rows($$matrx_relations.load('ts.orders', (SELECT jsonb_agg(to_jsonb(o) ORDER BY id DESC) FROM ts.orders o WHERE id % 7 = 0), 'customer', 'items.product')$$),
          'instances');
SELECT is((SELECT count(*) FROM (SELECT matrx_relations.load('ts.orders', NULL::jsonb, 'customer') l) s), 0::bigint,
          'NULL instances: no rows');
SELECT is((SELECT string_agg(concat_ws('|', (l).request, (l).node, (l).id, (l).parent, (l).r), ';')
           FROM (SELECT matrx_relations.load_batch('[{"source": "ts.orders", "keys": [1, 2, 3], "relations": ["items.product"]},
                                                      {"source": "ts.orders", "keys": [3], "relations": ["items.product"]},
                                                      {"source": "ts.products", "keys": [4, 5], "relations": ["tags"]}]') l) s),
          (SELECT string_agg(concat_ws('|', request, node, id, parent, r), ';')
           FROM matrx_relations.load_batch('[{"source": "ts.orders", "keys": [1, 2, 3], "relations": ["items.product"]},
                                            {"source": "ts.orders", "keys": [3], "relations": ["items.product"]},
                                            {"source": "ts.products", "keys": [4, 5], "relations": ["tags"]}]')),
          'load_batch');

-- a query that stops at the first rows runs only the source's statement
-- (the relation cache off: every key a statement's)
SET LOCAL matrx_relations.cache = off;
SELECT pg_temp.statements() AS before \gset
SELECT is((SELECT count(*) FROM (SELECT matrx_relations.load('ts.orders', ARRAY[1, 2, 3], 'customer', 'items.product.tags') l LIMIT 2) s),
          2::bigint, 'LIMIT 2: two rows');
SELECT is(pg_temp.statements() - :before, 1::bigint, 'LIMIT 2: one statement (the source''s)');
SELECT pg_temp.statements() AS before \gset
SELECT count(*) AS from_rows FROM matrx_relations.load('ts.orders', ARRAY[1, 2, 3], 'customer', 'items.product.tags') \gset
SELECT pg_temp.statements() - :before AS from_statements \gset
SELECT pg_temp.statements() AS before \gset
SELECT is((SELECT count(*) FROM (SELECT matrx_relations.load('ts.orders', ARRAY[1, 2, 3], 'customer', 'items.product.tags') l) s),
          :from_rows::bigint, 'read to its end: every row');
SELECT is(pg_temp.statements() - :before, :from_statements::bigint,
          'read to its end: 1 + one statement per edge group, as in FROM');
SELECT is(:from_statements::bigint, 5::bigint, '(FROM ran 5: orders, customers, items, products, tags)');
RESET matrx_relations.cache;

-- a cursor over a stream, with other loads (streamed and not) between its fetches
CREATE FUNCTION pg_temp.cursor_around_loads() RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    c refcursor;
    rec record;
    acc text[] := '{}';
    other text;
BEGIN
    OPEN c FOR SELECT (l).node, (l).id, (l).parent, (l).r
        FROM (SELECT matrx_relations.load('ts.orders', ARRAY(SELECT generate_series(1, 400)), 'customer', 'items.product.tags') l) s;
    FOR i IN 1 .. 50 LOOP
        FETCH c INTO rec;
        acc := acc || concat_ws('|', rec.node, rec.id, rec.parent, rec.r);
    END LOOP;
    other := pg_temp.streamed($$matrx_relations.load('ts.customers', ARRAY(SELECT generate_series(1, 50)), 'orders.items')$$);
    other := pg_temp.from_rows($$matrx_relations.load('ts.products', ARRAY(SELECT generate_series(1, 30)), 'tags')$$);
    PERFORM matrx_relations.cache_reset();
    LOOP
        FETCH c INTO rec;
        EXIT WHEN NOT FOUND;
        acc := acc || concat_ws('|', rec.node, rec.id, rec.parent, rec.r);
    END LOOP;
    CLOSE c;
    RETURN array_to_string(acc, ';');
END $fn$;
SELECT is(pg_temp.cursor_around_loads(),
          pg_temp.from_rows($$matrx_relations.load('ts.orders', ARRAY(SELECT generate_series(1, 400)), 'customer', 'items.product.tags')$$),
          'a cursor read around other loads and a cache reset');

-- two streams side by side in one SELECT list (read in lockstep)
SELECT is((SELECT string_agg(concat_ws('|', (a).node, (a).id, (a).parent, (a).r), ';')
           FROM (SELECT matrx_relations.load('ts.orders', ARRAY(SELECT generate_series(1, 40)), 'items.product') a,
                        matrx_relations.load('ts.products', ARRAY(SELECT generate_series(1, 30)), 'tags') b) s
           WHERE (a).node IS NOT NULL),
          pg_temp.from_rows($$matrx_relations.load('ts.orders', ARRAY(SELECT generate_series(1, 40)), 'items.product')$$),
          'two streams in one SELECT list: the first');
SELECT is((SELECT string_agg(concat_ws('|', (b).node, (b).id, (b).parent, (b).r), ';')
           FROM (SELECT matrx_relations.load('ts.orders', ARRAY(SELECT generate_series(1, 40)), 'items.product') a,
                        matrx_relations.load('ts.products', ARRAY(SELECT generate_series(1, 30)), 'tags') b) s
           WHERE (b).node IS NOT NULL),
          pg_temp.from_rows($$matrx_relations.load('ts.products', ARRAY(SELECT generate_series(1, 30)), 'tags')$$),
          'two streams in one SELECT list: the second');

-- a later level's statement fails after rows were sent: the error is the
-- caller's, and the next loads are whole
CREATE ROLE ts_reader;
GRANT USAGE ON SCHEMA ts TO ts_reader;
GRANT SELECT ON ts.orders, ts.customers, ts.items TO ts_reader;
SET LOCAL ROLE ts_reader;
SELECT throws_ok($$SELECT (l).node FROM (SELECT matrx_relations.load('ts.orders', ARRAY[1, 2, 3], 'customer', 'items.product') l) s$$,
                 '42501', NULL, 'a deeper level the caller may not read: 42501 mid-stream');
SELECT is((SELECT count(*) FROM (SELECT matrx_relations.load('ts.orders', ARRAY[1, 2, 3], 'customer', 'items') l) s),
          (SELECT count(*) FROM matrx_relations.load('ts.orders', ARRAY[1, 2, 3], 'customer', 'items')),
          'the next stream after that error');
RESET ROLE;

-- in a transaction block the relation cache serves a stream's keys: the same rows again
SELECT is(pg_temp.streamed($$matrx_relations.load('ts.orders', ARRAY(SELECT generate_series(1, 400)), 'customer', 'items.product.tags')$$),
          pg_temp.from_rows($$matrx_relations.load('ts.orders', ARRAY(SELECT generate_series(1, 400)), 'customer', 'items.product.tags')$$),
          'a stream after the cache holds its keys');
SELECT ok((SELECT cache_hits > 0 FROM matrx_relations.stats()), 'the cache was used');

SELECT * FROM finish();
ROLLBACK;
