-- The database sqlsmith fuzzes (make fuzz): relations of every kind, and
-- the loaders within reach of its generator.
--
-- sqlsmith only calls functions that return a single value (no set-returning
-- ones), fed with column references, casts and other calls.  So: the
-- instances form and prefetch_batch are called directly; every set-returning
-- loader is reached through a wrapper in the schema smith that returns one
-- value; and the table smith.calls holds valid arguments (regclass, relation
-- names and paths, key arrays, instances, batch requests) for it to pick.
-- Every wrapper counts its calls in the sequence smith.wrapper_calls (not
-- rolled back with sqlsmith's aborted transactions).
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA smith;
SET search_path = smith;

CREATE TABLE customers (id int PRIMARY KEY, name text);
CREATE TABLE addresses (id bigint PRIMARY KEY, city text);
CREATE TABLE orders (
    id int PRIMARY KEY,
    customer_id int REFERENCES customers,
    billing_address_id bigint REFERENCES addresses,
    shipping_address_id bigint REFERENCES addresses,
    total numeric);
CREATE TABLE products (code text PRIMARY KEY, name text);
-- composite primary key, FK to a text key
CREATE TABLE items (
    order_id int REFERENCES orders,
    line int,
    product_id text REFERENCES products,
    qty int,
    PRIMARY KEY (order_id, line));
-- composite FK
CREATE TABLE shipments (
    id serial PRIMARY KEY,
    order_id int, line int,
    note text,
    FOREIGN KEY (order_id, line) REFERENCES items);
CREATE TABLE tags (id uuid PRIMARY KEY, label text);
-- m2m junction, duplicate links through seq
CREATE TABLE product_tags (
    product_id text REFERENCES products,
    tag_id uuid REFERENCES tags,
    seq int,
    PRIMARY KEY (product_id, tag_id, seq));
-- self reference
CREATE TABLE employees (id int PRIMARY KEY, manager_id int REFERENCES employees, name text);
-- self m2m (two FKs to one table: ambiguous m2m names)
CREATE TABLE friendships (
    a int REFERENCES employees, b int REFERENCES employees,
    PRIMARY KEY (a, b));
-- a view with registered relations, both ways
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 50;
SELECT matrx_relations.register_relation('smith.customers', 'big_orders', 'smith.big_orders', '{id}', '{customer_id}');
SELECT matrx_relations.register_relation('smith.big_orders', 'customer', 'smith.customers', '{customer_id}', '{id}');
SELECT matrx_relations.register_relation('smith.employees', 'friends', 'smith.employees', '{id}', '{id}',
    'smith.friendships', '{a}', '{b}');

INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 30) g;
INSERT INTO addresses SELECT g, 'city' || g FROM generate_series(1, 20) g;
INSERT INTO orders SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 1 + g % 30 END,
    1 + g % 20, CASE WHEN g % 3 = 0 THEN NULL ELSE 1 + (g * 7) % 20 END, (g * 37) % 100
    FROM generate_series(1, 100) g;
INSERT INTO products SELECT 'p' || g, 'product ' || g FROM generate_series(1, 25) g;
INSERT INTO items SELECT 1 + g % 100, g, 'p' || (1 + g % 25), g % 5 FROM generate_series(1, 300) g;
INSERT INTO shipments (order_id, line, note) SELECT order_id, line, 'n' FROM items WHERE line % 4 = 0;
INSERT INTO shipments (order_id, line, note) VALUES (NULL, 1, 'partial'), (5, NULL, 'partial');
INSERT INTO tags SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'tag' || g
    FROM generate_series(1, 10) g;
INSERT INTO product_tags SELECT 'p' || (1 + g % 25), ('00000000-0000-0000-0000-' || lpad((1 + g % 10)::text, 12, '0'))::uuid, g % 2
    FROM generate_series(1, 80) g ON CONFLICT DO NOTHING;
INSERT INTO employees SELECT g, CASE WHEN g = 1 THEN NULL ELSE 1 + g / 3 END, 'e' || g FROM generate_series(1, 40) g;
INSERT INTO friendships SELECT g, 1 + (g * 7) % 40 FROM generate_series(1, 40) g ON CONFLICT DO NOTHING;
ANALYZE customers, addresses, orders, products, items, shipments, tags, product_tags, employees, friendships;

-- arguments for sqlsmith to pick: valid ones, and some that are not
CREATE TABLE calls (
    src regclass, rel text, rels text[], keys int[], bigkeys bigint[], textkeys text[],
    instances jsonb, requests jsonb);
INSERT INTO calls
SELECT r.source, r.name, ARRAY[r.name] || CASE WHEN r.kind = 'fk' THEN ARRAY[]::text[] ELSE ARRAY['x:' || r.name] END,
       ARRAY[1, 2, 2, NULL, 5, 99], ARRAY[1, 3, 19, NULL]::bigint[], ARRAY['p1', 'p2', NULL, 'zz'],
       (SELECT jsonb_agg(to_jsonb(o)) FROM (SELECT * FROM orders ORDER BY id LIMIT 5) o),
       jsonb_build_array(jsonb_build_object('source', r.source::text, 'keys', jsonb_build_array(1, 2, 3),
                                            'relations', jsonb_build_array(r.name)))
FROM matrx_relations.relations r JOIN pg_class c ON c.oid = r.source
WHERE c.relnamespace = 'smith'::regnamespace;
INSERT INTO calls VALUES
    ('smith.orders', 'customer', '{customer,items.product.tags,billing_address,shipping_address,x:items.shipments}',
     '{1,2,3,4,5,6,7,8,9,10}', '{1,2}', '{p1,p3}',
     (SELECT jsonb_agg(to_jsonb(o)) FROM orders o), '[{"source": "smith.orders", "keys": [1, 2], "relations": ["customer"]}]'),
    ('smith.items', 'product', '{product.tags,shipments,order.customer}', NULL, NULL, NULL,
     (SELECT jsonb_agg(to_jsonb(i)) FROM (SELECT * FROM items LIMIT 20) i),
     '[{"source": "smith.items", "instances": [{"order_id": 1, "line": 100, "product_id": "p1"}], "relations": ["product", "shipments"]}]'),
    ('smith.employees', 'manager', '{manager.manager,employees.employees,friends}', '{1,2,3,40,41}', NULL, NULL,
     '[{"id": 3, "manager_id": 2}, {"id": 3, "manager_id": "2"}, {"id": null, "manager_id": null}]', NULL),
    ('smith.big_orders', 'customer', '{customer.big_orders}', NULL, NULL, NULL,
     (SELECT jsonb_agg(to_jsonb(o)) FROM big_orders o), NULL),
    ('smith.customers', 'nope', '{"a..b", ":x", "orders.", "big_orders.customer"}', '{}', '{}', '{}', '[1, "x", null]', '[{}]');

CREATE SEQUENCE wrapper_calls;

-- the set-returning loaders as single values
DO $$
DECLARE
    w record;
BEGIN
    FOR w IN SELECT * FROM (VALUES
        ('prefetch_keys', 'src regclass, keys int[], rels text[]', 'jsonb',
         'SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related(src, keys, VARIADIC rels) d'),
        ('prefetch_text_keys', 'src regclass, keys text[], rels text[]', 'jsonb',
         'SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related(src, keys, VARIADIC rels) d'),
        ('select_keys', 'src regclass, keys int[], rels text[]', 'jsonb',
         'SELECT jsonb_agg(d) FROM matrx_relations.select_related(src, keys, VARIADIC rels) d'),
        ('select_big_keys', 'src regclass, keys bigint[], rels text[]', 'jsonb',
         'SELECT jsonb_agg(d) FROM matrx_relations.select_related(src, keys, VARIADIC rels) d'),
        ('fetch_orders', 'src regclass, rel text, keys int[]', 'text',
         'SELECT string_agg(f.source_key || '' '' || f.related::text, '', '') '
         'FROM matrx_relations.fetch_related(NULL::smith.orders, src, rel, keys) f'),
        ('fetch_customers', 'src regclass, rel text, keys bigint[]', 'text',
         'SELECT string_agg(f.source_key || '' '' || f.related::text, '', '') '
         'FROM matrx_relations.fetch_related(NULL::smith.customers, src, rel, keys) f'),
        ('fetch_items_array', 'src regclass, rel text, keys int[]', 'text',
         'SELECT string_agg(f.source_key || '' '' || f.related::text, '', '') '
         'FROM matrx_relations.fetch_related_array(NULL::smith.items, src, rel, keys) f'),
        ('fetch_tags_array', 'src regclass, rel text, keys text[]', 'text',
         'SELECT string_agg(f.source_key || '' '' || f.related::text, '', '') '
         'FROM matrx_relations.fetch_related_array(NULL::smith.tags, src, rel, keys) f'),
        ('explain', 'src regclass, rels text[]', 'text',
         'SELECT string_agg(s, E''\n'') FROM matrx_relations.explain_related(src, VARIADIC rels) s'))
        AS v(name, args, ret, body)
    LOOP
        EXECUTE format('CREATE FUNCTION smith.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L', w.name, w.args, w.ret,
                       format('BEGIN PERFORM nextval(''smith.wrapper_calls''); RETURN (%s); END', w.body));
    END LOOP;
END $$;

-- valid calls for any integer sqlsmith comes up with: row n of calls, loaded
-- by one of the loaders
CREATE FUNCTION load_nth(n int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c smith.calls;
    i int := abs(n % 1000);
BEGIN
    PERFORM nextval('smith.wrapper_calls');
    SELECT * INTO c FROM smith.calls ORDER BY src::oid, rel OFFSET i % (SELECT count(*) FROM smith.calls) LIMIT 1;
    CASE i % 6
    WHEN 0 THEN RETURN (SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related(c.src, c.keys, VARIADIC c.rels) d);
    WHEN 1 THEN RETURN (SELECT jsonb_agg(d) FROM matrx_relations.select_related(c.src, c.keys, VARIADIC c.rels) d);
    WHEN 2 THEN RETURN matrx_relations.prefetch_related(c.src, c.instances, VARIADIC c.rels);
    WHEN 3 THEN RETURN matrx_relations.prefetch_batch(c.requests);
    WHEN 4 THEN RETURN (SELECT jsonb_agg(f) FROM matrx_relations.fetch_related(NULL::smith.orders, c.src, c.rel, c.keys) f);
    ELSE RETURN (SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related(c.src, c.textkeys, VARIADIC c.rels) d);
    END CASE;
END $$;

-- sqlsmith picks each call among some 3,000 functions: copies of load_nth
-- returning the types its expressions need most make the loaders a
-- larger share of them
DO $$
BEGIN
    FOR i IN 1..6 LOOP
        EXECUTE format('CREATE FUNCTION smith.load_%s_jsonb(n int) RETURNS jsonb LANGUAGE sql AS %L', i,
                       'SELECT smith.load_nth(n)');
        EXECUTE format('CREATE FUNCTION smith.load_%s_text(n int) RETURNS text LANGUAGE sql AS %L', i,
                       'SELECT smith.load_nth(n)::text');
        EXECUTE format('CREATE FUNCTION smith.load_%s_bool(n int) RETURNS bool LANGUAGE sql AS %L', i,
                       'SELECT smith.load_nth(n) IS NOT NULL');
        EXECUTE format('CREATE FUNCTION smith.load_%s_int(n int) RETURNS int LANGUAGE sql AS %L', i,
                       'SELECT pg_catalog.jsonb_array_length(smith.load_nth(n))');
    END LOOP;
END $$;
