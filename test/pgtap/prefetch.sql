-- prefetch.sql: prefetch_related (keys and instances forms), prefetch_batch
-- and stats() against SPEC §2, §3 (stats() only), §4 and §5: every §4 error
-- these functions can reach, the statement counts stats() reports, results
-- equal to naive per-row SQL, privileges and row-level security.
--
-- Tests marked "-- SPEC MISMATCH:" are written to the SPEC and fail against
-- the current build; the comment says what the build does instead.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION matrx_relations;

SELECT plan(150);

-- ---------------------------------------------------------------------------
-- Fixture (own schema, so it cannot collide with other test files)
-- ---------------------------------------------------------------------------
CREATE SCHEMA pftap;
SET LOCAL search_path = pftap, public;

CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE addresses (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, city text);
-- billing_address and shipping_address both read addresses by id: one edge group
CREATE TABLE orders (
    id                  bigint PRIMARY KEY,
    customer_id         bigint REFERENCES customers,
    billing_address_id  bigint REFERENCES addresses,
    shipping_address_id bigint REFERENCES addresses,
    total               int
);
CREATE TABLE products (id int PRIMARY KEY, name text);
CREATE TABLE items (
    id         bigint PRIMARY KEY,
    order_id   bigint REFERENCES orders,
    product_id int REFERENCES products,
    qty        int
);
CREATE TABLE tags (id int PRIMARY KEY, label text);
-- a junction whose key has a third column: one product can be linked to one
-- tag by several junction rows, the m2m array still holds the tag once
CREATE TABLE product_tags (
    product_id int REFERENCES products,
    tag_id     int REFERENCES tags,
    added_by   text,
    PRIMARY KEY (product_id, tag_id, added_by)
);
-- authors: "books" is both an ifk and an m2m (through authorships): 42P09
CREATE TABLE authors (id int PRIMARY KEY, name text);
CREATE TABLE books (id int PRIMARY KEY, author_id int REFERENCES authors, title text);
CREATE TABLE authorships (
    author_id int REFERENCES authors,
    book_id   int REFERENCES books,
    PRIMARY KEY (author_id, book_id)
);
-- a composite primary key (with a composite FK pointing at it), and no key
CREATE TABLE pairs (a int, b int, v text, PRIMARY KEY (a, b));
CREATE TABLE pair_notes (id int PRIMARY KEY, a int, b int, note text, FOREIGN KEY (a, b) REFERENCES pairs);
CREATE TABLE nopk (x int, author_id int REFERENCES authors);
-- the fk "customer" of shipments has the name of one of its columns: 42701
CREATE TABLE shipments (id int PRIMARY KEY, customer_id bigint REFERENCES customers, customer text);
-- non-tables
CREATE INDEX orders_total_idx ON orders (total);
CREATE SEQUENCE pf_seq;

INSERT INTO customers VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');
INSERT INTO addresses VALUES (10, 1, 'Oslo'), (11, 1, 'Bergen'), (12, 2, 'Rome');
INSERT INTO orders VALUES (100, 1, 10, 11, 5), (101, 1, 10, 10, 7), (102, 2, 12, 12, 9), (103, NULL, NULL, NULL, 1);
INSERT INTO products VALUES (1, 'pen'), (2, 'ink'), (3, 'pad'), (4, 'cap');
INSERT INTO items VALUES (1000, 100, 1, 2), (1001, 100, 2, 1), (1002, 101, 1, 5), (1003, 102, 3, 1), (1004, 102, NULL, 1);
INSERT INTO tags VALUES (1, 'office'), (2, 'blue'), (3, 'paper');
INSERT INTO product_tags VALUES (1, 2, 'a'), (1, 1, 'a'), (1, 1, 'b'), (2, 1, 'a'), (3, 3, 'a'), (3, 1, 'a'), (3, 1, 'b');
INSERT INTO authors VALUES (1, 'le guin'), (2, 'pratchett');
INSERT INTO books VALUES (100, 1, 'earthsea'), (101, 2, 'mort');
INSERT INTO authorships VALUES (1, 100), (2, 101);
INSERT INTO pairs VALUES (1, 1, 'one'), (1, 2, 'two'), (2, 1, 'three');
INSERT INTO pair_notes VALUES (1, 1, 1, 'x'), (2, 1, 2, 'y'), (3, 1, 1, 'z');
INSERT INTO nopk VALUES (1, 2), (2, NULL), (3, 1);
INSERT INTO shipments VALUES (1, 1, 'ann''s');

-- error_of(sql): the SQLSTATE, message, detail and hint sql raises
CREATE FUNCTION pg_temp.error_of(q text, OUT code text, OUT msg text, OUT det text, OUT hnt text)
LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE q;
    code := '00000';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
END
$f$;

-- delta(sql): how much stats().calls and stats().statements grow while sql
-- runs.  The relation cache (§3) is switched off where the build has it, so
-- the counts are those of fresh loads (a cache hit would issue none).
CREATE FUNCTION pg_temp.delta(q text, OUT calls bigint, OUT statements bigint)
LANGUAGE plpgsql AS $f$
DECLARE
    c0 bigint;
    s0 bigint;
BEGIN
    BEGIN
        PERFORM set_config('matrx_relations.cache', 'off', true);
    EXCEPTION WHEN OTHERS THEN
        NULL;   -- no cache GUC yet
    END;
    SELECT s.calls, s.statements INTO c0, s0 FROM matrx_relations.stats() s;
    EXECUTE q;
    SELECT s.calls - c0, s.statements - s0 INTO calls, statements FROM matrx_relations.stats() s;
END
$f$;

-- warm-up: the first call of a backend may load relation metadata
DO $$ BEGIN
    PERFORM count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'customer', 'items.product.tags',
                                                           'billing_address', 'shipping_address');
END $$;

-- ===========================================================================
-- stats(): one row, counters that grow by exactly the statements a load runs
-- ===========================================================================
SELECT is((SELECT count(*) FROM matrx_relations.stats()), 1::bigint, 'stats: exactly one row');
SELECT ok(
    (SELECT calls >= 1 AND statements >= 1 AND rows_fetched >= 1
            AND cache_hits >= 0 AND cache_misses >= 0 AND cache_entries >= 0
            AND cache_bytes >= 0 AND cache_invalidations >= 0
       FROM matrx_relations.stats()),
    'stats: every counter is non-NULL and non-negative, the load above is counted');
SELECT is(
    (SELECT (d.calls, d.statements)::text FROM pg_temp.delta(
        $$SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[100, 101], 'customer')$$) d),
    '(1,2)', 'stats: keys form, customer: calls +1, statements +2 (source rows, customers)');
SELECT is(
    (SELECT (d.calls, d.statements)::text FROM pg_temp.delta(
        $$SELECT matrx_relations.prefetch_related('orders', '[{"id": 100, "customer_id": 1}, {"id": 102, "customer_id": 2}]'::jsonb, 'customer')$$) d),
    '(1,1)', 'stats: instances form, customer: calls +1, statements +1 (the source is not read)');
SELECT is(
    (SELECT d.statements FROM pg_temp.delta(
        $$SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[100, 101, 102], 'billing_address', 'ship_to:shipping_address')$$) d),
    2::bigint, 'stats: billing_address + shipping_address form one edge group: statements +2');
SELECT is(
    (SELECT d.statements FROM pg_temp.delta(
        $$SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[100, 101, 102], 'customer', 'items', 'items.product.tags')$$) d),
    5::bigint, 'stats: customer, items.product.tags (items shared): statements +5');
SELECT is(
    (SELECT d.statements FROM pg_temp.delta(
        $$SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'customer', 'items', 'items.product.tags')$$) d),
    5::bigint, 'stats: the same paths for one key: statements +5 (independent of the key count)');
SELECT is(
    (SELECT d.statements FROM pg_temp.delta(
        $$SELECT matrx_relations.prefetch_related('orders', (SELECT jsonb_agg(to_jsonb(o)) FROM orders o), 'customer', 'items.product.tags')$$) d),
    4::bigint, 'stats: instances form, customer, items.product.tags: statements +4');
SELECT is(
    (SELECT count(*) FROM matrx_relations.explain_related('orders', 'customer', 'items', 'items.product.tags')),
    5::bigint, 'explain_related: lists as many statements as the keys form runs');
SELECT is(
    (SELECT d.statements FROM pg_temp.delta(
        $$SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[103], 'customer.orders', 'items.product')$$) d),
    2::bigint, 'stats: order 103 has no customer and no items: source + items only (nothing below an empty level)');
SELECT is(
    (SELECT d.statements FROM pg_temp.delta(
        $$SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[-1, -2], 'customer', 'items')$$) d),
    1::bigint, 'stats: no key found: only the source statement');
SELECT is(
    (SELECT d.statements FROM pg_temp.delta(
        $$SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[]::int[], 'customer', 'items')$$) d),
    0::bigint, 'stats: empty keys: no statement');
SELECT is(
    (SELECT d.statements FROM pg_temp.delta(
        $$SELECT count(*) FROM matrx_relations.prefetch_related('orders', ARRAY[NULL, NULL]::int[], 'customer', 'items')$$) d),
    0::bigint, 'stats: all-NULL keys: no statement');
SELECT is(
    (SELECT d.statements FROM pg_temp.delta(
        $$SELECT matrx_relations.prefetch_related('orders', '[]'::jsonb, 'customer', 'items')$$) d),
    0::bigint, 'stats: empty instances: no statement');
SELECT is(
    (SELECT d.statements FROM pg_temp.delta(
        $$SELECT matrx_relations.prefetch_batch(jsonb_build_array(
              jsonb_build_object('source', 'pftap.orders', 'keys', jsonb_build_array(100, 101), 'relations', jsonb_build_array('customer')),
              jsonb_build_object('source', 'pftap.addresses', 'keys', jsonb_build_array(10, 12), 'relations', jsonb_build_array('customer')),
              jsonb_build_object('source', 'pftap.orders', 'instances', '[{"customer_id": 2}, {"customer_id": 3}]'::jsonb,
                                 'relations', jsonb_build_array('customer'))))$$) d),
    3::bigint, 'stats: prefetch_batch: orders rows, addresses rows, one customers statement for all three requests');

SELECT is(
    (SELECT d.statements FROM pg_temp.delta(
        $$SELECT matrx_relations.prefetch_batch(jsonb_build_array(
              jsonb_build_object('source', 'pftap.orders', 'keys', jsonb_build_array(100, 101), 'relations', jsonb_build_array('customer', 'items')),
              jsonb_build_object('source', 'pftap.orders', 'keys', jsonb_build_array(101, 102), 'relations', jsonb_build_array('customer'))))$$) d),
    3::bigint, 'stats: prefetch_batch: two keys requests on orders share the source, customers and items statements');
SELECT is(
    (SELECT d.statements FROM pg_temp.delta(
        $$SELECT matrx_relations.prefetch_batch(jsonb_build_array(
              jsonb_build_object('source', 'pftap.orders', 'keys', '[]'::jsonb, 'relations', jsonb_build_array('customer')),
              jsonb_build_object('source', 'pftap.orders', 'keys', '[null]'::jsonb, 'relations', jsonb_build_array('customer')),
              jsonb_build_object('source', 'pftap.orders', 'instances', '[]'::jsonb, 'relations', jsonb_build_array('customer'))))$$) d),
    0::bigint, 'stats: prefetch_batch: empty / all-NULL keys and empty instances: no statement');

-- ===========================================================================
-- Results equal naive per-row SQL (fk, ifk, m2m, nested)
-- ===========================================================================
SELECT results_eq(
    $$SELECT d FROM matrx_relations.prefetch_related('orders', ARRAY[103, 100, 999, NULL, 101, 102, 100], 'customer') d$$,
    $$SELECT to_jsonb(o) || jsonb_build_object('customer', (SELECT to_jsonb(c) FROM customers c WHERE c.id = o.customer_id))
        FROM unnest(ARRAY[103, 100, 101, 102]) WITH ORDINALITY k(id, n) JOIN orders o USING (id) ORDER BY n$$,
    'keys form, fk: equals naive SQL (first-occurrence order, duplicates, NULL and missing keys dropped, null fk)');
SELECT results_eq(
    $$SELECT d FROM matrx_relations.prefetch_related('customers', ARRAY[3, 1, 2], 'orders', 'addresses') d$$,
    $$SELECT to_jsonb(c) || jsonb_build_object(
             'orders', coalesce((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id) FROM orders o WHERE o.customer_id = c.id), '[]'),
             'addresses', coalesce((SELECT jsonb_agg(to_jsonb(a) ORDER BY a.id) FROM addresses a WHERE a.customer_id = c.id), '[]'))
        FROM unnest(ARRAY[3, 1, 2]) WITH ORDINALITY k(id, n) JOIN customers c USING (id) ORDER BY n$$,
    'keys form, ifk: equals naive SQL (arrays by target key, [] when empty)');
SELECT results_eq(
    $$SELECT d FROM matrx_relations.prefetch_related('products', ARRAY[4, 3, 1, 2], 'tags') d$$,
    $$SELECT to_jsonb(p) || jsonb_build_object(
             'tags', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM tags t
                                WHERE EXISTS (SELECT FROM product_tags pt WHERE pt.product_id = p.id AND pt.tag_id = t.id)), '[]'))
        FROM unnest(ARRAY[4, 3, 1, 2]) WITH ORDINALITY k(id, n) JOIN products p USING (id) ORDER BY n$$,
    'keys form, m2m: equals naive SQL (each tag once per product, however many junction rows)');
SELECT results_eq(
    $$SELECT d FROM matrx_relations.prefetch_related('orders', ARRAY[102, 100, 101, 103],
          'buyer:customer.addresses', 'items', 'items.product.tags', 'billing_address', 'ship:shipping_address') d$$,
    $$SELECT to_jsonb(o) || jsonb_build_object(
             'buyer', (SELECT to_jsonb(c) || jsonb_build_object(
                               'addresses', coalesce((SELECT jsonb_agg(to_jsonb(a) ORDER BY a.id) FROM addresses a WHERE a.customer_id = c.id), '[]'))
                         FROM customers c WHERE c.id = o.customer_id),
             'items', coalesce((SELECT jsonb_agg(to_jsonb(i) || jsonb_build_object(
                          'product', (SELECT to_jsonb(p) || jsonb_build_object(
                                              'tags', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM tags t
                                                                 WHERE EXISTS (SELECT FROM product_tags pt WHERE pt.product_id = p.id AND pt.tag_id = t.id)), '[]'))
                                        FROM products p WHERE p.id = i.product_id)) ORDER BY i.id)
                                  FROM items i WHERE i.order_id = o.id), '[]'),
             'billing_address', (SELECT to_jsonb(a) FROM addresses a WHERE a.id = o.billing_address_id),
             'ship', (SELECT to_jsonb(a) FROM addresses a WHERE a.id = o.shipping_address_id))
        FROM unnest(ARRAY[102, 100, 101, 103]) WITH ORDINALITY k(id, n) JOIN orders o USING (id) ORDER BY n$$,
    'keys form, nested fk.ifk / ifk.fk.m2m with aliases and a shared prefix: equals naive SQL');
SELECT results_eq(
    $$SELECT d FROM matrx_relations.prefetch_related('orders', ARRAY[101, 100]) d$$,
    $$SELECT to_jsonb(o) FROM orders o WHERE id IN (100, 101) ORDER BY id DESC$$,
    'keys form, no relations: the plain rows');
SELECT is(
    matrx_relations.prefetch_related('orders',
        '[{"id": 100, "customer_id": 1, "note": "kept"}, {"id": 103, "customer_id": null}, {"id": 100, "customer_id": "1"}, {"id": 999, "customer_id": 3}]'::jsonb,
        'customer', 'items.product.tags'),
    jsonb_build_array(
        '{"id": 100, "customer_id": 1, "note": "kept"}'::jsonb || jsonb_build_object(
            'customer', (SELECT to_jsonb(c) FROM customers c WHERE c.id = 1),
            'items', (SELECT jsonb_agg(to_jsonb(i) || jsonb_build_object('product',
                         (SELECT to_jsonb(p) || jsonb_build_object('tags',
                             coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM tags t
                                        WHERE EXISTS (SELECT FROM product_tags pt WHERE pt.product_id = p.id AND pt.tag_id = t.id)), '[]'))
                            FROM products p WHERE p.id = i.product_id)) ORDER BY i.id)
                        FROM items i WHERE i.order_id = 100)),
        '{"id": 103, "customer_id": null, "customer": null, "items": []}'::jsonb,
        '{"id": 100, "customer_id": "1"}'::jsonb || jsonb_build_object(
            'customer', (SELECT to_jsonb(c) FROM customers c WHERE c.id = 1),
            'items', (SELECT jsonb_agg(to_jsonb(i) || jsonb_build_object('product',
                         (SELECT to_jsonb(p) || jsonb_build_object('tags',
                             coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM tags t
                                        WHERE EXISTS (SELECT FROM product_tags pt WHERE pt.product_id = p.id AND pt.tag_id = t.id)), '[]'))
                            FROM products p WHERE p.id = i.product_id)) ORDER BY i.id)
                        FROM items i WHERE i.order_id = 100)),
        '{"id": 999, "customer_id": 3, "customer": {"id": 3, "name": "cy"}, "items": []}'::jsonb),
    'instances form: same length and order, duplicates and extra keys kept, "1" converted, null fk, unknown id gives []');
SELECT is(
    matrx_relations.prefetch_related('orders', '[{"id": 1, "customer_id": 1}, {"id": 2}]'::jsonb),
    '[{"id": 1, "customer_id": 1}, {"id": 2}]'::jsonb,
    'instances form, no relations: the same array back');
SELECT is(
    matrx_relations.prefetch_related('orders', '[]'::jsonb, 'customer'),
    '[]'::jsonb, 'instances form: an empty array gives an empty array');

-- ===========================================================================
-- 0A000: keys form on a composite / missing primary key; instances form works
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('pairs', ARRAY[1], 'pair_notes')$$,
    '0A000', NULL, 'keys form: source with a two-column primary key -> 0A000');
SELECT ok(
    (SELECT e.code = '0A000' AND coalesce(e.hnt, '') ILIKE '%instances%'
       FROM pg_temp.error_of($$SELECT * FROM matrx_relations.prefetch_related('pairs', ARRAY[1], 'pair_notes')$$) e),
    'keys form: the 0A000 hint points to the instances form');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('nopk', ARRAY[1], 'author')$$,
    '0A000', NULL, 'keys form: source without a primary key -> 0A000');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('pairs', ARRAY[ROW(1, 1)])$$,
    '0A000', NULL, 'keys form: composite key, row-valued keys, no relations -> 0A000');
SELECT lives_ok(
    $$SELECT matrx_relations.prefetch_related('pairs', '[{"a": 1, "b": 1}]'::jsonb, 'pair_notes')$$,
    'instances form: composite primary key source lives');
SELECT is(
    matrx_relations.prefetch_related('pairs',
        '[{"a": 1, "b": 1, "v": "one"}, {"a": 2, "b": 1}, {"a": 9, "b": 9}, {"a": 1, "b": 1}]'::jsonb, 'pair_notes'),
    (SELECT jsonb_agg(i.obj || jsonb_build_object('pair_notes',
                coalesce((SELECT jsonb_agg(to_jsonb(pn) ORDER BY pn.id) FROM pair_notes pn
                           WHERE pn.a = (i.obj->>'a')::int AND pn.b = (i.obj->>'b')::int), '[]')) ORDER BY i.n)
       FROM jsonb_array_elements('[{"a": 1, "b": 1, "v": "one"}, {"a": 2, "b": 1}, {"a": 9, "b": 9}, {"a": 1, "b": 1}]'::jsonb)
            WITH ORDINALITY i(obj, n)),
    'instances form: composite-key source, ifk over a composite FK equals naive SQL');
SELECT is(
    matrx_relations.prefetch_related('nopk', '[{"x": 1, "author_id": 2}, {"x": 2, "author_id": null}]'::jsonb, 'author'),
    '[{"x": 1, "author_id": 2, "author": {"id": 2, "name": "pratchett"}}, {"x": 2, "author_id": null, "author": null}]'::jsonb,
    'instances form: source without a primary key, fk');
SELECT is(
    matrx_relations.prefetch_related('pair_notes', '[{"id": 3, "a": 1, "b": 2}, {"id": 4, "a": 1, "b": null}]'::jsonb,
                                     'p:pair_notes_a_b_fkey'),
    '[{"id": 3, "a": 1, "b": 2, "p": {"a": 1, "b": 2, "v": "two"}}, {"id": 4, "a": 1, "b": null, "p": null}]'::jsonb,
    'instances form: composite fk (by constraint name, aliased); a partly NULL FK gives null');

-- ===========================================================================
-- prefetch_batch: the i-th element equals the i-th separate call
-- ===========================================================================
SELECT is(
    matrx_relations.prefetch_batch(jsonb_build_array(
        jsonb_build_object('source', 'pftap.orders', 'keys', jsonb_build_array(103, 100, 100, null, 999),
                           'relations', jsonb_build_array('customer', 'items.product.tags')),
        jsonb_build_object('source', 'pftap.customers', 'keys', jsonb_build_array(2, 1, 3), 'relations', jsonb_build_array('orders')),
        jsonb_build_object('source', 'pftap.orders', 'instances', '[{"id": 102, "billing_address_id": 12}, {"id": 7, "billing_address_id": 11}]'::jsonb,
                           'relations', jsonb_build_array('billing_address', 'items')),
        jsonb_build_object('source', 'pftap.pairs', 'instances', '[{"a": 1, "b": 1}, {"a": 1, "b": 2}]'::jsonb,
                           'relations', jsonb_build_array('pair_notes')),
        jsonb_build_object('source', 'pftap.products', 'keys', jsonb_build_array(1, 4)),
        jsonb_build_object('source', 'pftap.products', 'keys', jsonb_build_array('3', 2), 'relations', jsonb_build_array('tags')),
        jsonb_build_object('source', 'pftap.orders', 'keys', '[]'::jsonb, 'relations', jsonb_build_array('customer')))),
    jsonb_build_array(
        (SELECT jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related('orders', ARRAY[103, 100, 100, NULL, 999],
                                                    'customer', 'items.product.tags') WITH ORDINALITY t(d, n)),
        (SELECT jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related('customers', ARRAY[2, 1, 3], 'orders') WITH ORDINALITY t(d, n)),
        matrx_relations.prefetch_related('orders', '[{"id": 102, "billing_address_id": 12}, {"id": 7, "billing_address_id": 11}]'::jsonb,
                                         'billing_address', 'items'),
        matrx_relations.prefetch_related('pairs', '[{"a": 1, "b": 1}, {"a": 1, "b": 2}]'::jsonb, 'pair_notes'),
        (SELECT jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related('products', ARRAY[1, 4]) WITH ORDINALITY t(d, n)),
        (SELECT jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related('products', ARRAY[3, 2], 'tags') WITH ORDINALITY t(d, n)),
        '[]'::jsonb),
    'prefetch_batch: the result equals separate prefetch_related calls (keys, instances, composite, no relations, empty)');
SELECT is(matrx_relations.prefetch_batch('[]'), '[]'::jsonb, 'prefetch_batch: no requests give []');

-- ===========================================================================
-- 42P01: an OID of no relation
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('999999'::regclass, ARRAY[1], 'customer')$$,
    '42P01', NULL, 'keys form: source 999999 -> 42P01');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('999999'::regclass, ARRAY[1])$$,
    '42P01', NULL, 'keys form: source 999999, no relations -> 42P01');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('999999'::regclass, '[{"customer_id": 1}]'::jsonb, 'customer')$$,
    '42P01', NULL, 'instances form: source 999999 -> 42P01');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('999999'::regclass, '[]'::jsonb)$$,
    '42P01', NULL, 'instances form: source 999999, no instances, no relations -> 42P01');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "999999", "keys": [1]}]')$$,
    '42P01', NULL, 'prefetch_batch: source "999999" -> 42P01');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.no_such_table", "keys": [1]}]')$$,
    '42P01', NULL, 'prefetch_batch: source naming no table -> 42P01');

-- ===========================================================================
-- 42809: index or sequence as source
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders_total_idx', ARRAY[1], 'customer')$$,
    '42809', NULL, 'keys form: index as source -> 42809');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('pf_seq', ARRAY[1])$$,
    '42809', NULL, 'keys form: sequence as source -> 42809');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders_total_idx', '[{"total": 1}]'::jsonb, 'customer')$$,
    '42809', NULL, 'instances form: index as source -> 42809');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('pf_seq', '[]'::jsonb)$$,
    '42809', NULL, 'instances form: sequence as source -> 42809');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders_total_idx", "keys": [1]}]')$$,
    '42809', NULL, 'prefetch_batch: index as source -> 42809');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.pf_seq", "instances": []}]')$$,
    '42809', NULL, 'prefetch_batch: sequence as source -> 42809');

-- ===========================================================================
-- 42704: relation name unknown (also at a deeper segment; hint lists names)
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'nope')$$,
    '42704', NULL, 'keys form: unknown relation name -> 42704');
SELECT ok(
    (SELECT e.code = '42704' AND coalesce(e.hnt, '') LIKE '%customer%' AND coalesce(e.hnt, '') LIKE '%items%'
       FROM pg_temp.error_of($$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'nope')$$) e),
    'keys form: the 42704 hint lists the relations of orders');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'customer.nope')$$,
    '42704', NULL, 'keys form: unknown name in the second segment -> 42704');
SELECT ok(
    (SELECT e.code = '42704' AND coalesce(e.hnt, '') LIKE '%addresses%' AND coalesce(e.hnt, '') NOT LIKE '%billing_address%'
       FROM pg_temp.error_of($$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'customer.nope')$$) e),
    'keys form: the 42704 hint for customer.nope lists the relations of customers, not of orders');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'items.product.nope')$$,
    '42704', NULL, 'keys form: unknown name in the third segment -> 42704');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[]::int[], 'nope')$$,
    '42704', NULL, 'keys form: unknown name with empty keys -> 42704 (paths are checked before loading)');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], 'customer')$$,
    '42704', NULL, 'keys form: a relation of another source (orders.customer on customers) -> 42704');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"id": 100, "customer_id": 1}]'::jsonb, 'nope')$$,
    '42704', NULL, 'instances form: unknown relation name -> 42704');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"id": 100, "customer_id": 1}]'::jsonb, 'customer.nope')$$,
    '42704', NULL, 'instances form: unknown name in the second segment -> 42704');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "keys": [100], "relations": ["customer.nope"]}]')$$,
    '42704', NULL, 'prefetch_batch: unknown name in the second segment -> 42704');

-- ===========================================================================
-- 42P09: ambiguous name (detail lists the candidates)
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('authors', ARRAY[1], 'books')$$,
    '42P09', NULL, 'keys form: "books" of authors is an ifk and an m2m -> 42P09');
SELECT ok(
    (SELECT e.code = '42P09' AND coalesce(e.det, '') LIKE '%books_author_id_fkey%' AND coalesce(e.det, '') LIKE '%authorships%'
       FROM pg_temp.error_of($$SELECT * FROM matrx_relations.prefetch_related('authors', ARRAY[1], 'books')$$) e),
    'keys form: the 42P09 detail names both candidates');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('books', ARRAY[100], 'author.books')$$,
    '42P09', NULL, 'keys form: ambiguous name in the second segment -> 42P09');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('authors', '[{"id": 1}]'::jsonb, 'books')$$,
    '42P09', NULL, 'instances form: ambiguous name -> 42P09');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.authors", "keys": [1], "relations": ["books"]}]')$$,
    '42P09', NULL, 'prefetch_batch: ambiguous name -> 42P09');
SELECT is(
    (SELECT d FROM matrx_relations.prefetch_related('authors', ARRAY[1], 'written:books_author_id_fkey') d),
    '{"id": 1, "name": "le guin", "written": [{"id": 100, "author_id": 1, "title": "earthsea"}]}'::jsonb,
    'keys form: the constraint name resolves the ambiguity');

-- ===========================================================================
-- 22023 / 22004: malformed paths, NULL path elements
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], '')$$,
    '22023', NULL, 'keys form: empty path -> 22023');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'customer..orders')$$,
    '22023', NULL, 'keys form: path a..b -> 22023');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], '.customer')$$,
    '22023', NULL, 'keys form: path with an empty first segment -> 22023');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'customer.')$$,
    '22023', NULL, 'keys form: path with an empty last segment -> 22023');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], ':customer')$$,
    '22023', NULL, 'keys form: empty alias -> 22023');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'x:')$$,
    '22023', NULL, 'keys form: alias with an empty name -> 22023');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'customer.:orders')$$,
    '22023', NULL, 'keys form: empty alias in the second segment -> 22023');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'a:b:customer')$$,
    '22023', NULL, 'keys form: two colons in a segment -> 22023');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[]::int[], 'customer..orders')$$,
    '22023', NULL, 'keys form: malformed path with empty keys -> 22023');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], VARIADIC ARRAY['customer', NULL])$$,
    '22004', NULL, 'keys form: NULL path element -> 22004');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": 1}]'::jsonb, '')$$,
    '22023', NULL, 'instances form: empty path -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": 1}]'::jsonb, 'customer..orders')$$,
    '22023', NULL, 'instances form: path a..b -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": 1}]'::jsonb, ':customer')$$,
    '22023', NULL, 'instances form: empty alias -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": 1}]'::jsonb, 'x:')$$,
    '22023', NULL, 'instances form: alias with an empty name -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": 1}]'::jsonb, VARIADIC ARRAY[NULL, 'customer'])$$,
    '22004', NULL, 'instances form: NULL path element -> 22004');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "keys": [100], "relations": ["customer..orders"]}]')$$,
    '22023', NULL, 'prefetch_batch: path a..b -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "keys": [100], "relations": [":customer"]}]')$$,
    '22023', NULL, 'prefetch_batch: empty alias -> 22023');

-- ===========================================================================
-- 42701: output key equal to a column of its row, or produced twice
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'total:customer')$$,
    '42701', NULL, 'keys form: alias equal to a column of orders -> 42701');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'x:customer', 'x:billing_address')$$,
    '42701', NULL, 'keys form: one alias for two relations at one level -> 42701');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'customer:billing_address', 'customer')$$,
    '42701', NULL, 'keys form: an alias equal to another relation''s output key -> 42701');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'items.qty:product')$$,
    '42701', NULL, 'keys form: alias equal to a column of items (second level) -> 42701');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'items.p:product', 'items.p:order')$$,
    '42701', NULL, 'keys form: one alias twice at the second level -> 42701');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('shipments', ARRAY[1], 'customer')$$,
    '42701', NULL, 'keys form: relation name equal to a column of shipments -> 42701');
SELECT is(
    (SELECT d->'buyer'->>'name' FROM matrx_relations.prefetch_related('shipments', ARRAY[1], 'buyer:customer') d),
    'ann', 'keys form: an alias avoids the clash with the column');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"id": 100, "customer_id": 1}]'::jsonb, 'total:customer')$$,
    '42701', NULL, 'instances form: alias equal to a column of orders -> 42701');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"id": 100, "customer_id": 1, "billing_address_id": 10}]'::jsonb,
                                              'x:customer', 'x:billing_address')$$,
    '42701', NULL, 'instances form: one alias twice at one level -> 42701');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "keys": [100], "relations": ["total:customer"]}]')$$,
    '42701', NULL, 'prefetch_batch: alias equal to a column -> 42701');

-- ===========================================================================
-- 42804: key element type not castable to the key column
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY['100'], 'customer')$$,
    '42804', NULL, 'keys form: text keys for a bigint primary key -> 42804');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[100.0])$$,
    '42804', NULL, 'keys form: numeric keys for a bigint primary key (no implicit cast) -> 42804');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('products', ARRAY[1::bigint], 'tags')$$,
    '42804', NULL, 'keys form: bigint keys for an int primary key (assignment cast only) -> 42804');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[now()])$$,
    '42804', NULL, 'keys form: timestamptz keys for a bigint primary key -> 42804');
SELECT results_eq(
    $$SELECT (d->>'id')::int FROM matrx_relations.prefetch_related('products', ARRAY[2::smallint, 1::smallint]) d$$,
    $$VALUES (2), (1)$$,
    'keys form: smallint keys for an int primary key load (implicit cast)');

-- ===========================================================================
-- 22023: instances not an array / element not an object / key column missing
-- ===========================================================================
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '{"id": 100, "customer_id": 1}'::jsonb, 'customer')$$,
    '22023', NULL, 'instances form: an object instead of an array -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '"x"'::jsonb, 'customer')$$,
    '22023', NULL, 'instances form: a string instead of an array -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', 'null'::jsonb)$$,
    '22023', NULL, 'instances form: JSON null instead of an array, no relations -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": 1}, 5]'::jsonb, 'customer')$$,
    '22023', NULL, 'instances form: an element that is a number -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": 1}, [1]]'::jsonb, 'customer')$$,
    '22023', NULL, 'instances form: an element that is an array -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[null]'::jsonb)$$,
    '22023', NULL, 'instances form: a JSON null element, no relations -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": 1}, {"customer_id": 2}, {"id": 5}]'::jsonb, 'customer')$$,
    '22023', NULL, 'instances form: fk column missing in an element -> 22023');
-- the message names the element (index 2 counted from 0, or 3 counted from
-- 1: the SPEC fixes neither) and the missing column
SELECT matches(
    (SELECT e.msg FROM pg_temp.error_of(
        $$SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": 1}, {"customer_id": 2}, {"id": 5}]'::jsonb, 'customer')$$) e),
    '^(?=.*customer_id)(?=.*\m[23]\M)',
    'instances form: the 22023 message names the element index and the column customer_id');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('customers', '[{"id": 1}, {"name": "bob"}]'::jsonb, 'orders')$$,
    '22023', NULL, 'instances form: source key column missing for an ifk -> 22023');
SELECT matches(
    (SELECT e.msg FROM pg_temp.error_of(
        $$SELECT matrx_relations.prefetch_related('customers', '[{"id": 1}, {"name": "bob"}]'::jsonb, 'orders')$$) e),
    '^(?=.*\mid\M)(?=.*\m[12]\M)',
    'instances form: the 22023 message names the element index and the column id');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('pairs', '[{"a": 1}]'::jsonb, 'pair_notes')$$,
    '22023', NULL, 'instances form: one column of a composite key missing -> 22023');
SELECT matches(
    (SELECT e.msg FROM pg_temp.error_of(
        $$SELECT matrx_relations.prefetch_related('pairs', '[{"a": 1}]'::jsonb, 'pair_notes')$$) e),
    '\mb\M', 'instances form: the message names the missing composite key column b');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('products', '[{"name": "pen"}]'::jsonb, 'tags')$$,
    '22023', NULL, 'instances form: source key column missing for an m2m -> 22023');
SELECT lives_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": 1}]'::jsonb, 'customer')$$,
    'instances form: only the columns the first-level relations read are needed');

-- ===========================================================================
-- 22P02: a key value the column type's input function rejects
-- ===========================================================================
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"id": 100, "customer_id": "x"}]'::jsonb, 'customer')$$,
    '22P02', NULL, 'instances form: "x" for a bigint fk column -> 22P02');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('customers', '[{"id": "x"}]'::jsonb, 'orders')$$,
    '22P02', NULL, 'instances form: "x" for a bigint source key (ifk) -> 22P02');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": 1.5}]'::jsonb, 'customer')$$,
    '22P02', NULL, 'instances form: 1.5 for a bigint column -> 22P02');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_related('orders', '[{"customer_id": true}]'::jsonb, 'customer')$$,
    '22P02', NULL, 'instances form: true for a bigint column -> 22P02');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "keys": ["x"], "relations": ["customer"]}]')$$,
    '22P02', NULL, 'prefetch_batch: keys ["x"] for a bigint key -> 22P02');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "keys": [100, "1e2x"]}]')$$,
    '22P02', NULL, 'prefetch_batch: a bad key after a good one, no relations -> 22P02');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "instances": [{"customer_id": "x"}], "relations": ["customer"]}]')$$,
    '22P02', NULL, 'prefetch_batch: an instance value "x" for a bigint column -> 22P02');
SELECT is(
    matrx_relations.prefetch_related('orders', '[{"customer_id": "2"}, {"customer_id": 3}]'::jsonb, 'customer'),
    '[{"customer_id": "2", "customer": {"id": 2, "name": "bob"}}, {"customer_id": 3, "customer": {"id": 3, "name": "cy"}}]'::jsonb,
    'instances form: a string''s contents and a number''s literal both convert');

-- ===========================================================================
-- prefetch_batch: malformed requests -> 22023; keys form rules apply
-- ===========================================================================
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('{"source": "pftap.orders", "keys": [100]}')$$,
    '22023', NULL, 'prefetch_batch: an object instead of an array -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('"x"')$$,
    '22023', NULL, 'prefetch_batch: a string instead of an array -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[1]')$$,
    '22023', NULL, 'prefetch_batch: a request that is a number -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "keys": [100]}, [1]]')$$,
    '22023', NULL, 'prefetch_batch: a second request that is an array -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"keys": [100], "relations": ["customer"]}]')$$,
    '22023', NULL, 'prefetch_batch: a request without source -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "relations": ["customer"]}]')$$,
    '22023', NULL, 'prefetch_batch: a request with neither keys nor instances -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "keys": [100], "instances": [{"id": 100}]}]')$$,
    '22023', NULL, 'prefetch_batch: a request with both keys and instances -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "instances": {"id": 100}}]')$$,
    '22023', NULL, 'prefetch_batch: instances not an array -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "instances": [5], "relations": ["customer"]}]')$$,
    '22023', NULL, 'prefetch_batch: an instance that is not an object -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "instances": [{"id": 1}], "relations": ["customer"]}]')$$,
    '22023', NULL, 'prefetch_batch: an instance without the fk column -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.pairs", "keys": [1], "relations": ["pair_notes"]}]')$$,
    '0A000', NULL, 'prefetch_batch: keys for a composite-key source -> 0A000');
SELECT throws_ok(
    $$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.nopk", "keys": [1]}]')$$,
    '0A000', NULL, 'prefetch_batch: keys for a source without a primary key -> 0A000');
SELECT is(
    matrx_relations.prefetch_batch('[{"source": "pftap.pairs", "instances": [{"a": 2, "b": 1}], "relations": ["pair_notes"]}]'),
    '[[{"a": 2, "b": 1, "pair_notes": []}]]'::jsonb,
    'prefetch_batch: instances for a composite-key source work');

-- ===========================================================================
-- 42501: no SELECT on a table the load reads; RLS is the caller's
-- ===========================================================================
CREATE ROLE matrx_tap_prefetch_reader NOLOGIN;
GRANT USAGE ON SCHEMA matrx_relations, pftap TO matrx_tap_prefetch_reader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA matrx_relations TO matrx_tap_prefetch_reader;
-- not addresses, not the junction product_tags
GRANT SELECT ON customers, orders, items, products, tags, pairs, pair_notes TO matrx_tap_prefetch_reader;

-- as_reader(sql): sql's single value, computed as the role.  On an error
-- the enclosing throws_ok subtransaction undoes the SET LOCAL ROLE.
CREATE FUNCTION pg_temp.as_reader(q text) RETURNS jsonb
LANGUAGE plpgsql AS $f$
DECLARE
    r jsonb;
BEGIN
    SET LOCAL ROLE matrx_tap_prefetch_reader;
    EXECUTE q INTO r;
    RESET ROLE;
    RETURN r;
END
$f$;

SELECT throws_ok(
    $$SELECT pg_temp.as_reader($q$SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('pftap.orders', ARRAY[100], 'billing_address') d$q$)$$,
    '42501', NULL, 'keys form: no SELECT on the fk target -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_reader($q$SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('pftap.customers', ARRAY[1], 'addresses') d$q$)$$,
    '42501', NULL, 'keys form: no SELECT on the ifk target -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_reader($q$SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('pftap.products', ARRAY[1], 'tags') d$q$)$$,
    '42501', NULL, 'keys form: no SELECT on the m2m junction -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_reader($q$SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('pftap.orders', ARRAY[100], 'customer.addresses') d$q$)$$,
    '42501', NULL, 'keys form: no SELECT on a second-level target -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_reader($q$SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('pftap.addresses', ARRAY[10], 'customer') d$q$)$$,
    '42501', NULL, 'keys form: no SELECT on the source -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_reader($q$SELECT matrx_relations.prefetch_related('pftap.orders', '[{"billing_address_id": 10}]'::jsonb, 'billing_address')$q$)$$,
    '42501', NULL, 'instances form: no SELECT on the fk target -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_reader($q$SELECT matrx_relations.prefetch_related('pftap.products', '[{"id": 1}]'::jsonb, 'tags')$q$)$$,
    '42501', NULL, 'instances form: no SELECT on the m2m junction -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_reader($q$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "keys": [100], "relations": ["customer"]},
                                                                      {"source": "pftap.products", "keys": [1], "relations": ["tags"]}]')$q$)$$,
    '42501', NULL, 'prefetch_batch: no SELECT on the junction of the second request -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_reader($q$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.orders", "instances": [{"billing_address_id": 10}],
                                                                       "relations": ["billing_address"]}]')$q$)$$,
    '42501', NULL, 'prefetch_batch: instances, no SELECT on the fk target -> 42501');
SELECT is(
    pg_temp.as_reader($q$SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('pftap.orders', ARRAY[100], 'customer', 'items.product') d$q$),
    (SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('orders', ARRAY[100], 'customer', 'items.product') d),
    'keys form: the role loads what it may read, equal to the superuser''s result');

-- row-level security on targets and source: the role sees orders with a
-- total above 5 and every customer but bob; the superuser bypasses RLS
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY reader_orders ON orders FOR SELECT TO matrx_tap_prefetch_reader USING (total > 5);
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY reader_customers ON customers FOR SELECT TO matrx_tap_prefetch_reader USING (name <> 'bob');

SELECT is(
    pg_temp.as_reader($q$SELECT jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related('pftap.customers', ARRAY[2, 1, 3], 'orders')
                          WITH ORDINALITY t(d, n)$q$),
    pg_temp.as_reader($q$SELECT jsonb_agg(to_jsonb(c) || jsonb_build_object('orders',
                             coalesce((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id) FROM pftap.orders o WHERE o.customer_id = c.id), '[]'))
                             ORDER BY k.n)
                           FROM unnest(ARRAY[2, 1, 3]) WITH ORDINALITY k(id, n) JOIN pftap.customers c USING (id)$q$),
    'RLS: keys form (source and ifk target under policies) equals a plain SELECT by the role');
SELECT is(
    pg_temp.as_reader($q$SELECT jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related('pftap.customers', ARRAY[2, 1, 3], 'orders')
                          WITH ORDINALITY t(d, n)$q$),
    '[{"id": 1, "name": "ann", "orders": [{"id": 101, "customer_id": 1, "billing_address_id": 10, "shipping_address_id": 10, "total": 7}]},
      {"id": 3, "name": "cy", "orders": []}]'::jsonb,
    'RLS: the role does not see bob nor the orders with a total of 5 or less');
SELECT is(
    pg_temp.as_reader($q$SELECT jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related('pftap.orders', ARRAY[100, 101, 102, 103], 'customer', 'items')
                          WITH ORDINALITY t(d, n)$q$),
    pg_temp.as_reader($q$SELECT jsonb_agg(to_jsonb(o) || jsonb_build_object(
                             'customer', (SELECT to_jsonb(c) FROM pftap.customers c WHERE c.id = o.customer_id),
                             'items', coalesce((SELECT jsonb_agg(to_jsonb(i) ORDER BY i.id) FROM pftap.items i WHERE i.order_id = o.id), '[]'))
                             ORDER BY k.n)
                           FROM unnest(ARRAY[100, 101, 102, 103]) WITH ORDINALITY k(id, n) JOIN pftap.orders o USING (id)$q$),
    'RLS: keys form, an fk whose target row is hidden gives null, as a plain SELECT by the role');
SELECT is(
    pg_temp.as_reader($q$SELECT matrx_relations.prefetch_related('pftap.items', '[{"id": 1000, "order_id": 100}, {"id": 1003, "order_id": 102}]'::jsonb,
                                                                 'order.customer')$q$),
    pg_temp.as_reader($q$SELECT jsonb_agg(i.obj || jsonb_build_object('order',
                             (SELECT to_jsonb(o) || jsonb_build_object('customer', (SELECT to_jsonb(c) FROM pftap.customers c WHERE c.id = o.customer_id))
                                FROM pftap.orders o WHERE o.id = (i.obj->>'order_id')::bigint)) ORDER BY i.n)
                           FROM jsonb_array_elements('[{"id": 1000, "order_id": 100}, {"id": 1003, "order_id": 102}]'::jsonb) WITH ORDINALITY i(obj, n)$q$),
    'RLS: instances form, nested fk.fk under policies equals a plain SELECT by the role');
SELECT is(
    pg_temp.as_reader($q$SELECT matrx_relations.prefetch_related('pftap.items', '[{"id": 1000, "order_id": 100}, {"id": 1003, "order_id": 102}]'::jsonb,
                                                                 'order.customer')$q$),
    '[{"id": 1000, "order_id": 100, "order": null},
      {"id": 1003, "order_id": 102, "order": {"id": 102, "customer_id": 2, "billing_address_id": 12, "shipping_address_id": 12, "total": 9, "customer": null}}]'::jsonb,
    'RLS: order 100 (total 5) and customer bob are hidden from the role');
SELECT is(
    pg_temp.as_reader($q$SELECT matrx_relations.prefetch_batch('[{"source": "pftap.customers", "keys": [2, 1, 3], "relations": ["orders"]},
                                                              {"source": "pftap.items", "instances": [{"id": 1000, "order_id": 100}, {"id": 1003, "order_id": 102}],
                                                               "relations": ["order.customer"]}]')$q$),
    pg_temp.as_reader($q$SELECT jsonb_build_array(
                             (SELECT jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related('pftap.customers', ARRAY[2, 1, 3], 'orders') WITH ORDINALITY t(d, n)),
                             matrx_relations.prefetch_related('pftap.items', '[{"id": 1000, "order_id": 100}, {"id": 1003, "order_id": 102}]'::jsonb,
                                                              'order.customer'))$q$),
    'RLS: prefetch_batch by the role equals the role''s separate calls');
SELECT is(
    (SELECT jsonb_agg(d->'customer'->>'name' ORDER BY n)
       FROM matrx_relations.prefetch_related('orders', ARRAY[100, 102], 'customer') WITH ORDINALITY t(d, n)),
    '["ann", "bob"]'::jsonb,
    'RLS: the superuser (bypassing RLS) still sees every row');
-- m2m under policies on the junction and on the target
GRANT SELECT ON product_tags TO matrx_tap_prefetch_reader;
ALTER TABLE product_tags ENABLE ROW LEVEL SECURITY;
CREATE POLICY reader_product_tags ON product_tags FOR SELECT TO matrx_tap_prefetch_reader USING (added_by = 'b' OR tag_id <> 1);
ALTER TABLE tags ENABLE ROW LEVEL SECURITY;
CREATE POLICY reader_tags ON tags FOR SELECT TO matrx_tap_prefetch_reader USING (label <> 'blue');
SELECT is(
    pg_temp.as_reader($q$SELECT jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related('pftap.products', ARRAY[1, 2, 3, 4], 'tags')
                          WITH ORDINALITY t(d, n)$q$),
    pg_temp.as_reader($q$SELECT jsonb_agg(to_jsonb(p) || jsonb_build_object('tags',
                             coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM pftap.tags t
                                        WHERE EXISTS (SELECT FROM pftap.product_tags pt WHERE pt.product_id = p.id AND pt.tag_id = t.id)), '[]'))
                             ORDER BY k.n)
                           FROM unnest(ARRAY[1, 2, 3, 4]) WITH ORDINALITY k(id, n) JOIN pftap.products p USING (id)$q$),
    'RLS: m2m with policies on the junction and the target equals a plain SELECT by the role');
SELECT is(
    pg_temp.as_reader($q$SELECT jsonb_object_agg(d->>'id', d->'tags') FROM matrx_relations.prefetch_related('pftap.products', ARRAY[1, 2, 3, 4], 'tags') d$q$),
    '{"1": [{"id": 1, "label": "office"}], "2": [], "3": [{"id": 1, "label": "office"}, {"id": 3, "label": "paper"}], "4": []}'::jsonb,
    'RLS: the role sees only tag links added by b or to other tags than 1, and not the tag blue');
SELECT is(current_user, session_user, 'the tests switched back to the session role');

SELECT * FROM finish();
ROLLBACK;
