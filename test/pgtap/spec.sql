-- spec.sql: the spec jsonb forms (SPEC §2 "Per-relation options"): every
-- option's result equals naive per-parent SQL (one query per parent row)
-- for ifk, m2m, fk, composite keys and nested specs, through all four
-- entry points (prefetch_related keys and instances, select_related,
-- prefetch_batch); the limit is per parent, not global; the relation cache
-- is exact across options; every malformed spec raises its SQLSTATE.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION matrx_relations;

SELECT plan(86);

-- ---------------------------------------------------------------------------
-- Fixture
-- ---------------------------------------------------------------------------
CREATE SCHEMA sptap;
SET LOCAL search_path = sptap, public;

CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers,
    status text, placed_at timestamptz, total numeric(8,2));
CREATE TABLE products (id int PRIMARY KEY, name text);
CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders,
    product_id int REFERENCES products, qty int);
CREATE TABLE tags (id int PRIMARY KEY, label text);
-- several junction rows can link one product to one tag: the array holds it once
CREATE TABLE product_tags (product_id int REFERENCES products, tag_id int REFERENCES tags,
    added_by text, PRIMARY KEY (product_id, tag_id, added_by));
-- composite keys: pairs (a, b) <- pair_notes (a, b); holders -> pairs by (a, b)
CREATE TABLE pairs (a int, b int, v text, PRIMARY KEY (a, b));
CREATE TABLE pair_notes (id int PRIMARY KEY, a int, b int, note text, FOREIGN KEY (a, b) REFERENCES pairs);
CREATE TABLE holders (id int PRIMARY KEY, a int, b int,
    CONSTRAINT pair FOREIGN KEY (a, b) REFERENCES pairs);

INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 40) g;
-- customers 1..30 have orders (up to 20 each), 31..40 none; totals repeat
-- (ties broken by the primary key) and some are NULL
INSERT INTO orders SELECT g, 1 + (g * 7) % 30,
    (ARRAY['paid', 'open', 'paid', 'cancelled', 'Paid'])[1 + g % 5],
    timestamptz '2026-01-01 00:00+00' + ((g * 37) % 211) * interval '1 hour',
    CASE WHEN g % 11 = 0 THEN NULL ELSE (g * 13) % 17 END
    FROM generate_series(1, 400) g;
INSERT INTO products SELECT g, (ARRAY['pen', 'pad', 'ink', 'Pencil'])[1 + g % 4] || g FROM generate_series(1, 30) g;
INSERT INTO items SELECT g, 1 + (g * 3) % 400, 1 + g % 30, g % 6 FROM generate_series(1, 1200) g;
INSERT INTO tags SELECT g, (ARRAY['office', 'blue', 'paper', 'sale', 'red'])[1 + g % 5] || '-' || g FROM generate_series(1, 12) g;
INSERT INTO product_tags SELECT p, 1 + (p * s) % 12, who
    FROM generate_series(1, 30) p, generate_series(1, 4) s, unnest(ARRAY['x', 'y']) who
    WHERE (p + s) % 3 <> 0 ON CONFLICT DO NOTHING;
INSERT INTO pairs SELECT a, b, a || '/' || b FROM generate_series(1, 5) a, generate_series(1, 4) b;
INSERT INTO pair_notes SELECT g, 1 + g % 5, 1 + (g / 5) % 4, (ARRAY['n', 'm'])[1 + g % 2] || (g % 7)
    FROM generate_series(1, 120) g;
INSERT INTO holders SELECT g, 1 + g % 5, 1 + g % 4 FROM generate_series(1, 25) g;
ANALYZE;

-- the four entry points, each as one jsonb array in the keys' order
CREATE FUNCTION sptap.by_keys(src regclass, keys anyarray, spec jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(d ORDER BY n), '[]')
    FROM matrx_relations.prefetch_related(src, keys, spec) WITH ORDINALITY AS r(d, n) $$;
CREATE FUNCTION sptap.by_select(src regclass, keys anyarray, spec jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(d ORDER BY n), '[]')
    FROM matrx_relations.select_related(src, keys, spec) WITH ORDINALITY AS r(d, n) $$;
CREATE FUNCTION sptap.by_instances(src regclass, keys anyarray, spec jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE inst jsonb;
BEGIN
    EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY k.n), ''[]'')
                    FROM unnest($1) WITH ORDINALITY k(v, n) JOIN %s t ON t.id = k.v', src)
        INTO inst USING keys;
    RETURN matrx_relations.prefetch_related(src, inst, spec);
END $$;
CREATE FUNCTION sptap.by_batch(src regclass, keys anyarray, spec jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT matrx_relations.prefetch_batch(jsonb_build_array(
        jsonb_build_object('source', src::text, 'keys', to_jsonb(keys), 'spec', spec))) -> 0 $$;

-- naive per-parent SQL: for each key in order, the row plus out_key =
-- child_query run for that row alone ($1 = its id)
CREATE FUNCTION sptap.naive(src regclass, keys anyarray, out_key text, child_query text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    result jsonb := '[]';
    k record;
    child jsonb;
BEGIN
    FOR k IN EXECUTE format('SELECT t.id, to_jsonb(t) AS doc FROM unnest($1) WITH ORDINALITY u(v, n)
                             JOIN %s t ON t.id = u.v ORDER BY u.n', src) USING keys LOOP
        EXECUTE child_query INTO child USING k.id;
        result := result || jsonb_build_array(k.doc || jsonb_build_object(out_key, child));
    END LOOP;
    RETURN result;
END $$;

-- every entry point equals the expected documents
CREATE FUNCTION sptap.check(src regclass, keys anyarray, spec jsonb, expected jsonb, what text)
RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT is(sptap.by_keys(src, keys, spec), expected, what || ': prefetch_related keys');
    RETURN NEXT is(sptap.by_select(src, keys, spec), expected, what || ': select_related');
    RETURN NEXT is(sptap.by_instances(src, keys, spec), expected, what || ': prefetch_related instances');
    RETURN NEXT is(sptap.by_batch(src, keys, spec), expected, what || ': prefetch_batch');
END $$;

CREATE TABLE sptap.k AS SELECT ARRAY(SELECT g::bigint FROM generate_series(40, 1, -1) g) AS customers,
    ARRAY(SELECT g FROM generate_series(1, 30) g) AS products,
    ARRAY(SELECT g::bigint FROM generate_series(1, 400, 3) g) AS orders,
    ARRAY(SELECT g FROM generate_series(1, 25) g) AS holders;

-- ---------------------------------------------------------------------------
-- ifk: each option against naive per-parent SQL
-- ---------------------------------------------------------------------------
SELECT sptap.check('customers', (SELECT customers FROM k), '{"orders": {"where": {"status": "paid"}}}',
    sptap.naive('customers', (SELECT customers FROM k), 'orders',
        $$SELECT coalesce(jsonb_agg(to_jsonb(o) ORDER BY o.id), '[]') FROM orders o
          WHERE o.customer_id = $1 AND o.status = 'paid'$$),
    'ifk where eq');

SELECT sptap.check('customers', (SELECT customers FROM k),
    '{"orders": {"order_by": ["placed_at desc"], "limit": 3}}',
    sptap.naive('customers', (SELECT customers FROM k), 'orders',
        $$SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.placed_at DESC, x.id), '[]') FROM
          (SELECT * FROM orders o WHERE o.customer_id = $1 ORDER BY o.placed_at DESC, o.id LIMIT 3) x$$),
    'ifk order_by desc, limit 3 per parent');

SELECT sptap.check('customers', (SELECT customers FROM k),
    '{"orders": {"order_by": ["total asc nulls first", "status desc"], "limit": 4, "columns": ["id", "total"],
                 "where": {"total": {"gte": 2, "lt": "15"}, "status": {"ne": "cancelled"}}}}',
    sptap.naive('customers', (SELECT customers FROM k), 'orders',
        $$SELECT coalesce(jsonb_agg(jsonb_build_object('id', x.id, 'total', x.total)
                                    ORDER BY x.total NULLS FIRST, x.status DESC, x.id), '[]') FROM
          (SELECT * FROM orders o WHERE o.customer_id = $1 AND o.total >= 2 AND o.total < 15
             AND o.status <> 'cancelled'
           ORDER BY o.total NULLS FIRST, o.status DESC, o.id LIMIT 4) x$$),
    'ifk columns, ranges, ne, two order items with nulls first');

SELECT sptap.check('customers', (SELECT customers FROM k),
    '{"orders": {"where": {"total": {"is_null": false, "in": [1, "3", 5.0]}, "status": {"like": "p%"}},
                 "order_by": ["total desc nulls last"]}}',
    sptap.naive('customers', (SELECT customers FROM k), 'orders',
        $$SELECT coalesce(jsonb_agg(to_jsonb(o) ORDER BY o.total DESC NULLS LAST, o.id), '[]') FROM orders o
          WHERE o.customer_id = $1 AND o.total IS NOT NULL AND o.total IN (1, 3, 5) AND o.status LIKE 'p%'$$),
    'ifk in (values converted by numeric input), is_null false, like');

SELECT sptap.check('customers', (SELECT customers FROM k),
    '{"orders": {"where": {"total": null, "status": {"ilike": "P%"}}, "columns": []}}',
    sptap.naive('customers', (SELECT customers FROM k), 'orders',
        $$SELECT coalesce(jsonb_agg('{}'::jsonb ORDER BY o.id), '[]') FROM orders o
          WHERE o.customer_id = $1 AND o.total IS NULL AND o.status ILIKE 'P%'$$),
    'ifk null value is IS NULL, ilike, no columns');

SELECT sptap.check('customers', (SELECT customers FROM k),
    '{"orders": {"where": {"placed_at": {"gte": "2026-01-05 00:00:00+00", "lte": "2026-01-08 12:00:00+00"}}, "limit": 0}}',
    sptap.naive('customers', (SELECT customers FROM k), 'orders', $$SELECT '[]'::jsonb$$),
    'ifk limit 0');

-- ---------------------------------------------------------------------------
-- the limit is per parent: a global LIMIT would give another answer
-- ---------------------------------------------------------------------------
SELECT is((SELECT sum(jsonb_array_length(d -> 'orders'))
           FROM matrx_relations.prefetch_related('customers', (SELECT customers FROM k),
                '{"orders": {"order_by": ["placed_at desc"], "limit": 2}}'::jsonb) d),
          (SELECT sum(least(n, 2)) FROM (SELECT count(*) n FROM orders GROUP BY customer_id) c)::bigint,
          'limit 2: two orders for every customer with two or more (60), not 2 in all');
SELECT isnt((SELECT jsonb_agg(o ORDER BY o ->> 'placed_at' DESC, (o ->> 'id')::int)
             FROM matrx_relations.prefetch_related('customers', (SELECT customers FROM k),
                  '{"orders": {"order_by": ["placed_at desc"], "limit": 2}}'::jsonb) d,
                  jsonb_array_elements(d -> 'orders') o),
            (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.placed_at DESC, x.id) FROM
               (SELECT * FROM orders ORDER BY placed_at DESC, id LIMIT 2) x),
            'the per-parent limit is not the global LIMIT');
SELECT is((SELECT count(*) FROM matrx_relations.select_related('customers', (SELECT customers FROM k),
                '{"orders": {"limit": 1}}'::jsonb) d WHERE jsonb_array_length(d -> 'orders') = 1),
          30::bigint, 'select_related: every customer with orders keeps one');

-- ---------------------------------------------------------------------------
-- m2m: target columns, junction duplicates collapsed before the limit
-- ---------------------------------------------------------------------------
SELECT sptap.check('products', (SELECT products FROM k),
    '{"tags": {"where": {"label": {"in": ["office-5", "paper-2", "sale-3", "blue-1", "red-4", "paper-7"]}},
               "order_by": ["label desc"], "limit": 2, "columns": ["label"]}}',
    sptap.naive('products', (SELECT products FROM k), 'tags',
        $$SELECT coalesce(jsonb_agg(jsonb_build_object('label', x.label) ORDER BY x.label DESC, x.id), '[]') FROM
          (SELECT * FROM tags t WHERE t.id IN (SELECT tag_id FROM product_tags WHERE product_id = $1)
             AND t.label IN ('office-5', 'paper-2', 'sale-3', 'blue-1', 'red-4', 'paper-7')
           ORDER BY t.label DESC, t.id LIMIT 2) x$$),
    'm2m in, order_by a target column, limit 2 per product');

SELECT sptap.check('products', (SELECT products FROM k),
    '{"tags": {"where": {"id": {"gt": 3}}}, "red": {"relation": "tags", "where": {"label": {"like": "red%"}}}}',
    (SELECT jsonb_agg(a.d || jsonb_build_object('red', b.d -> 'red') ORDER BY a.n)
     FROM jsonb_array_elements(sptap.naive('products', (SELECT products FROM k), 'tags',
            $$SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') FROM tags t
              WHERE t.id IN (SELECT tag_id FROM product_tags WHERE product_id = $1) AND t.id > 3$$))
            WITH ORDINALITY a(d, n)
     JOIN jsonb_array_elements(sptap.naive('products', (SELECT products FROM k), 'red',
            $$SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') FROM tags t
              WHERE t.id IN (SELECT tag_id FROM product_tags WHERE product_id = $1) AND t.label LIKE 'red%'$$))
            WITH ORDINALITY b(d, n) USING (n)),
    'm2m twice with different filters: two groups, each right');

-- ---------------------------------------------------------------------------
-- fk: a filtered-out target is null
-- ---------------------------------------------------------------------------
SELECT sptap.check('orders', (SELECT orders FROM k),
    '{"customer": {"where": {"name": {"like": "c1%"}}, "columns": ["name"]}}',
    sptap.naive('orders', (SELECT orders FROM k), 'customer',
        $$SELECT (SELECT jsonb_build_object('name', c.name) FROM customers c
                  WHERE c.id = o.customer_id AND c.name LIKE 'c1%') FROM orders o WHERE o.id = $1$$),
    'fk where like, columns');

-- ---------------------------------------------------------------------------
-- composite keys: holders -> pair (fk on (a, b)) -> pair_notes (ifk on (a, b))
-- ---------------------------------------------------------------------------
SELECT sptap.check('holders', (SELECT holders FROM k),
    '{"pair": {"columns": ["v"], "include": {"pair_notes": {"where": {"note": {"like": "n%"}},
              "order_by": ["note desc"], "limit": 2, "columns": ["id", "note"]}}}}',
    sptap.naive('holders', (SELECT holders FROM k), 'pair',
        $$SELECT (SELECT jsonb_build_object('v', p.v, 'pair_notes',
                     (SELECT coalesce(jsonb_agg(jsonb_build_object('id', x.id, 'note', x.note)
                                                ORDER BY x.note DESC, x.id), '[]') FROM
                        (SELECT * FROM pair_notes n WHERE n.a = p.a AND n.b = p.b AND n.note LIKE 'n%'
                         ORDER BY n.note DESC, n.id LIMIT 2) x))
                  FROM pairs p WHERE p.a = h.a AND p.b = h.b) FROM holders h WHERE h.id = $1$$),
    'composite fk then composite ifk with where, order_by, limit');

SELECT is(matrx_relations.prefetch_related('pairs',
              (SELECT jsonb_agg(to_jsonb(p) ORDER BY p.b, p.a) FROM pairs p),
              '{"pair_notes": {"order_by": ["note", "id desc"], "limit": 3, "where": {"id": {"lte": 100}}}}'::jsonb),
          (SELECT jsonb_agg(to_jsonb(p) || jsonb_build_object('pair_notes',
                  (SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.note, x.id DESC), '[]') FROM
                     (SELECT * FROM pair_notes n WHERE n.a = p.a AND n.b = p.b AND n.id <= 100
                      ORDER BY n.note, n.id DESC LIMIT 3) x)) ORDER BY p.b, p.a) FROM pairs p),
          'composite source as instances: ifk with where, two order items, limit');

-- ---------------------------------------------------------------------------
-- nested specs
-- ---------------------------------------------------------------------------
SELECT sptap.check('customers', (SELECT customers FROM k),
    '{"orders": {"where": {"status": "paid"}, "order_by": ["placed_at desc"], "limit": 2,
                 "columns": ["id", "placed_at"],
                 "include": {"items": {"where": {"qty": {"gte": 2}}, "order_by": ["qty desc"],
                                       "columns": ["id", "qty"],
                                       "include": {"product": {"columns": ["name"],
                                                               "where": {"name": {"ilike": "p%"}}}}}}}}',
    sptap.naive('customers', (SELECT customers FROM k), 'orders',
        $$SELECT coalesce(jsonb_agg(jsonb_build_object('id', x.id, 'placed_at', x.placed_at, 'items',
                 (SELECT coalesce(jsonb_agg(jsonb_build_object('id', i.id, 'qty', i.qty, 'product',
                          (SELECT jsonb_build_object('name', p.name) FROM products p
                           WHERE p.id = i.product_id AND p.name ILIKE 'p%'))
                          ORDER BY i.qty DESC, i.id), '[]')
                  FROM items i WHERE i.order_id = x.id AND i.qty >= 2))
               ORDER BY x.placed_at DESC, x.id), '[]') FROM
          (SELECT * FROM orders o WHERE o.customer_id = $1 AND o.status = 'paid'
           ORDER BY o.placed_at DESC, o.id LIMIT 2) x$$),
    'nested: orders (where, order, limit) > items (where, order) > product (fk where)');

-- ---------------------------------------------------------------------------
-- the relation cache is exact across options.  pgTAP writes its results
-- after every test, which empties the cache (this transaction's own
-- writes), so each run of loads is one statement: a function that loads
-- the specs in turn and reports each result and the cache hits it had.
-- ---------------------------------------------------------------------------
CREATE FUNCTION sptap.cache_run(form text, specs jsonb[])
RETURNS TABLE(i int, result jsonb, hits bigint) LANGUAGE plpgsql AS $$
DECLARE h0 bigint;
BEGIN
    FOR n IN 1 .. array_length(specs, 1) LOOP
        i := n;
        SELECT cache_hits INTO h0 FROM matrx_relations.stats();
        result := CASE form
            WHEN 'keys' THEN sptap.by_keys('customers', ARRAY[1, 2, 3]::bigint[], specs[n])
            WHEN 'select' THEN sptap.by_select('customers', ARRAY[1, 2, 3]::bigint[], specs[n])
            ELSE sptap.by_instances('customers', ARRAY[1, 2, 3]::bigint[], specs[n]) END;
        SELECT cache_hits - h0 INTO hits FROM matrx_relations.stats();
        RETURN NEXT;
    END LOOP;
END $$;
-- the expected orders of customers 1, 2, 3 for a status and a limit
CREATE FUNCTION sptap.naive_status(status text, lim int) RETURNS jsonb LANGUAGE sql AS $f$
    SELECT sptap.naive('customers', ARRAY[1, 2, 3]::bigint[], 'orders',
        format($$SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') FROM
                 (SELECT * FROM orders o WHERE o.customer_id = $1 AND o.status = %L ORDER BY o.id LIMIT %s) x$$,
               status, lim)) $f$;
CREATE TEMP TABLE runs AS
    SELECT f AS form, r.* FROM unnest(ARRAY['keys', 'select', 'instances']) f,
    LATERAL sptap.cache_run(f, ARRAY[
        '{"orders": {"where": {"status": "paid"}, "limit": 2}}',
        '{"orders": {"where": {"status": "paid"}, "limit": 2}}',
        '{"orders": {"where": {"status": "open"}, "limit": 2}}',
        '{"orders": {"where": {"status": {"in": ["open"]}}, "limit": 3}}',
        '{"orders": {"where": {"status": {"in": ["paid"]}}, "limit": 3}}']::jsonb[]) r;
SELECT is((SELECT count(*) FROM runs WHERE form = 'keys' AND i = 2 AND hits = 3), 1::bigint,
          'cache: the same spec again is served from the cache (keys form: 3 documents)');
SELECT is((SELECT count(*) FROM runs WHERE form = 'instances' AND i = 2 AND hits > 0), 1::bigint,
          'cache: the same spec again is served from the cache (instances form: per-statement entries)');
SELECT is((SELECT jsonb_agg(result ORDER BY form, i) FROM runs WHERE i IN (1, 2)),
          (SELECT jsonb_agg(sptap.naive_status('paid', 2)) FROM generate_series(1, 6)),
          'cache: status paid, loaded and served again, equals naive SQL (every form)');
SELECT is((SELECT jsonb_agg(result ORDER BY form) FROM runs WHERE i = 3),
          (SELECT jsonb_agg(sptap.naive_status('open', 2)) FROM generate_series(1, 3)),
          'cache: status open after status paid is not served the paid entries (every form)');
SELECT is((SELECT jsonb_agg(result ORDER BY form) FROM runs WHERE i = 5),
          (SELECT jsonb_agg(sptap.naive_status('paid', 3)) FROM generate_series(1, 3)),
          'cache: in [paid] after in [open] is not served the open entries (every form)');

-- ---------------------------------------------------------------------------
-- errors
-- ---------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '[]'::jsonb)$$,
    '22023', NULL, 'spec not an object');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": true}'::jsonb)$$,
    '22023', NULL, 'edge not an object');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"filter": {}}}'::jsonb)$$,
    '22023', 'unknown option "filter" in spec edge "orders"', 'unknown option');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1],
    '{"orders": {"include": {"items": {"where": {"qty": {"between": [1, 2]}}}}}}'::jsonb)$$,
    '22023', 'unknown operator "between" in "where" of spec edge "orders.items"', 'unknown operator, nested path named');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"relation": 3}}'::jsonb)$$,
    '22023', NULL, 'relation not a string');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"columns": "id"}}'::jsonb)$$,
    '22023', NULL, 'columns not an array');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"columns": [1]}}'::jsonb)$$,
    '22023', NULL, 'columns element not a string');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"where": []}}'::jsonb)$$,
    '22023', NULL, 'where not an object');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"where": {"total": {}}}}'::jsonb)$$,
    '22023', NULL, 'empty condition');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"where": {"total": {"in": 3}}}}'::jsonb)$$,
    '22023', NULL, 'in without an array');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"where": {"total": {"in": [[1]]}}}}'::jsonb)$$,
    '22023', NULL, 'in with a nested array');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"where": {"total": {"is_null": "yes"}}}}'::jsonb)$$,
    '22023', NULL, 'is_null not a boolean');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"where": {"status": {"like": 3}}}}'::jsonb)$$,
    '22023', NULL, 'like not a string');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"where": {"total": {"gt": null}}}}'::jsonb)$$,
    '22023', NULL, 'gt null');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"where": {"total": [1]}}}'::jsonb)$$,
    '22023', NULL, 'eq with an array');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"order_by": "id"}}'::jsonb)$$,
    '22023', NULL, 'order_by not an array');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"order_by": ["id", "id desc"]}}'::jsonb)$$,
    '22023', NULL, 'order_by column twice');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"limit": 1.5}}'::jsonb)$$,
    '22023', NULL, 'limit not whole');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"limit": "3"}}'::jsonb)$$,
    '22023', NULL, 'limit a string');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"limit": -2}}'::jsonb)$$,
    '22023', NULL, 'limit negative');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"include": []}}'::jsonb)$$,
    '22023', NULL, 'include not an object');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('orders', ARRAY[1], '{"customer": {"limit": 1}}'::jsonb)$$,
    '22023', '"limit" on spec edge "customer", which is to one', 'limit on an fk edge');
SELECT throws_ok($$SELECT * FROM matrx_relations.select_related('orders', ARRAY[1], '{"customer": {"order_by": ["name"]}}'::jsonb)$$,
    '22023', NULL, 'order_by on an fk edge (select_related)');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"columns": ["id", "amount"]}}'::jsonb)$$,
    '42703', NULL, 'unknown column in columns');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1],
    '{"orders": {"include": {"items": {"where": {"price": 1}}}}}'::jsonb)$$,
    '42703', 'column "price" in "where" of spec edge "orders.items" does not exist', 'unknown column in where, nested');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"order_by": ["placed desc nulls last"]}}'::jsonb)$$,
    '42703', 'column "placed" in "order_by" of spec edge "orders" does not exist', 'unknown column in order_by (suffixes removed)');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"purchases": {}}'::jsonb)$$,
    '42704', NULL, 'unknown relation');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"name": {"relation": "orders"}}'::jsonb)$$,
    '42701', NULL, 'output name equal to a column');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"where": {"total": "lots"}}}'::jsonb)$$,
    '22P02', NULL, 'a value the column type rejects: its input function''s error');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('customers', ARRAY[1], '{"orders": {"where": {"id": {"like": "1%"}}}}'::jsonb)$$,
    '42883', NULL, 'like on a type without one');
SELECT throws_ok($$SELECT matrx_relations.prefetch_related('customers', '[{"id": 1}]'::jsonb, '{"orders": {"limit": true}}'::jsonb)$$,
    '22023', NULL, 'instances form: malformed limit');
SELECT throws_ok($$SELECT matrx_relations.prefetch_batch('[{"source": "sptap.customers", "keys": [1], "relations": [], "spec": {}}]')$$,
    '22023', NULL, 'batch: both relations and spec');
SELECT throws_ok($$SELECT matrx_relations.prefetch_batch('[{"source": "sptap.customers", "keys": [1], "spec": ["orders"]}]')$$,
    '22023', NULL, 'batch: spec not an object');

SELECT * FROM finish();
ROLLBACK;
