-- privileges.sql: every loader runs with the caller's privileges and
-- row-level security (SPEC §5): column-level grants, RLS on the source,
-- the target and the junction, and a role and a SECURITY DEFINER wrapper
-- loading in one transaction never see each other's rows.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(12);

CREATE SCHEMA ptap;
SET LOCAL search_path = ptap, public;
CREATE TABLE customers (id int PRIMARY KEY, name text, region text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, region text);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE customer_tags (customer_id int REFERENCES customers, tag_id int REFERENCES tags, region text,
    PRIMARY KEY (customer_id, tag_id));
INSERT INTO customers SELECT g, 'c' || g, CASE WHEN g % 2 = 0 THEN 'north' ELSE 'south' END FROM generate_series(1, 10) g;
INSERT INTO orders SELECT g, 1 + g % 10, CASE WHEN g % 3 = 0 THEN 'north' ELSE 'south' END FROM generate_series(1, 40) g;
INSERT INTO tags SELECT g, 't' || g FROM generate_series(1, 5) g;
INSERT INTO customer_tags SELECT c, t, CASE WHEN (c + t) % 2 = 0 THEN 'north' ELSE 'south' END
    FROM generate_series(1, 10) c, generate_series(1, 5) t WHERE (c * t) % 3 <> 0;

CREATE ROLE ptap_north;
GRANT USAGE ON SCHEMA ptap TO ptap_north;
GRANT SELECT ON customers, orders, tags, customer_tags TO ptap_north;
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_tags ENABLE ROW LEVEL SECURITY;
CREATE POLICY north ON customers FOR SELECT USING (region = 'north');
CREATE POLICY north ON orders FOR SELECT USING (region = 'north');
CREATE POLICY north ON customer_tags FOR SELECT USING (region = 'north');

-- the same load as plain SQL, for whoever runs it
CREATE FUNCTION naive(ids int[]) RETURNS SETOF jsonb LANGUAGE sql AS $$
    SELECT to_jsonb(c) || jsonb_build_object(
        'orders', coalesce((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id) FROM orders o WHERE o.customer_id = c.id), '[]'),
        'tags', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM tags t
                          WHERE EXISTS (SELECT FROM customer_tags j WHERE j.customer_id = c.id AND j.tag_id = t.id)), '[]'))
    FROM customers c JOIN unnest(ids) WITH ORDINALITY k(id, n) ON k.id = c.id ORDER BY k.n $$;
CREATE FUNCTION loaded(ids int[]) RETURNS SETOF jsonb LANGUAGE sql AS $$
    SELECT d FROM matrx_relations.prefetch_related('ptap.customers', ids, 'orders', 'tags') d $$;
-- a SECURITY DEFINER wrapper owned by the tables' owner (who is exempt from the policies)
CREATE FUNCTION as_owner(ids int[]) RETURNS SETOF jsonb LANGUAGE sql SECURITY DEFINER
    SET search_path = ptap, pg_catalog AS $$ SELECT * FROM ptap.loaded(ids) $$;
GRANT EXECUTE ON FUNCTION naive(int[]), loaded(int[]), as_owner(int[]) TO ptap_north;

-- three loads in one function (the cache would serve repeats): role, definer, role
CREATE FUNCTION ptap.three_loads() RETURNS TABLE(who text, n bigint, orders bigint) LANGUAGE plpgsql AS $$
BEGIN
    who := 'role'; SELECT count(*), sum(jsonb_array_length(d -> 'orders')) INTO n, orders FROM ptap.loaded(ARRAY[1, 2, 3, 4]) d; RETURN NEXT;
    who := 'definer'; SELECT count(*), sum(jsonb_array_length(d -> 'orders')) INTO n, orders FROM ptap.as_owner(ARRAY[1, 2, 3, 4]) d; RETURN NEXT;
    who := 'role'; SELECT count(*), sum(jsonb_array_length(d -> 'orders')) INTO n, orders FROM ptap.loaded(ARRAY[1, 2, 3, 4]) d; RETURN NEXT;
END $$;
GRANT EXECUTE ON FUNCTION ptap.three_loads() TO ptap_north;

SET LOCAL ROLE ptap_north;
-- 1-4: RLS on the source, the target (ifk) and the junction (m2m), for every loader
SELECT results_eq($$SELECT * FROM loaded(ARRAY[1, 2, 3, 4, 6])$$, $$SELECT * FROM naive(ARRAY[1, 2, 3, 4, 6])$$,
    'prefetch_related (keys): the role''s rows of source, target and junction');
SELECT results_eq($$SELECT d FROM matrx_relations.select_related('ptap.customers', ARRAY[1, 2, 3, 4, 6], 'orders', 'tags') d$$,
    $$SELECT * FROM naive(ARRAY[1, 2, 3, 4, 6])$$, 'select_related: the same');
SELECT results_eq(
    $$SELECT e - 'id' - 'name' - 'region' FROM jsonb_array_elements(matrx_relations.prefetch_related('ptap.customers',
        '[{"id": 1}, {"id": 2}, {"id": 4}]'::jsonb, 'orders', 'tags')) e$$,
    $$SELECT jsonb_build_object('orders', d -> 'orders', 'tags', d -> 'tags') FROM (
        SELECT to_jsonb(c) AS c, n FROM (VALUES (1, 1), (2, 2), (4, 3)) v(id, n) CROSS JOIN LATERAL (SELECT v.id) c) x,
        LATERAL (SELECT coalesce((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id) FROM orders o WHERE o.customer_id = (x.c ->> 'id')::int), '[]') AS o,
                        coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM tags t WHERE EXISTS (SELECT FROM customer_tags j
                                  WHERE j.customer_id = (x.c ->> 'id')::int AND j.tag_id = t.id)), '[]') AS t) r,
        LATERAL (SELECT jsonb_build_object('orders', r.o, 'tags', r.t) AS d) dd ORDER BY n$$,
    'prefetch_related (instances): the role''s orders and tags of the given rows');
SELECT results_eq(
    $$SELECT source_key, array_length(related, 1) FROM matrx_relations.fetch_related_array(NULL::ptap.tags, 'ptap.customers', 'tags', ARRAY[2, 4])$$,
    $$SELECT c, (SELECT count(*)::int FROM customer_tags j WHERE j.customer_id = c) FROM unnest(ARRAY[2, 4]) c$$,
    'fetch_related_array: the role''s junction rows');

-- 5-7: the role, then the owner's SECURITY DEFINER wrapper, then the role again
SELECT results_eq($$SELECT * FROM ptap.three_loads()$$,
    $$VALUES ('role', 2::bigint, (SELECT count(*) FROM ptap.orders WHERE customer_id IN (2, 4))),
             ('definer', 4::bigint, 16::bigint),
             ('role', 2::bigint, (SELECT count(*) FROM ptap.orders WHERE customer_id IN (2, 4)))$$,
    'the role sees its rows, the definer all 4 customers and 16 orders, then the role its rows again');
SELECT results_eq($$SELECT * FROM as_owner(ARRAY[1, 2])$$,
    $$SELECT * FROM as_owner(ARRAY[1, 2])$$, 'the definer''s load is repeatable');
SELECT ok((SELECT count(*) FROM loaded(ARRAY[1, 3, 5])) = 0, 'south customers are invisible to the role');
RESET ROLE;

-- 8-12: column-level grants only: to_jsonb(row) needs every column, as SELECT * does
CREATE ROLE ptap_cols;
GRANT USAGE ON SCHEMA ptap TO ptap_cols;
GRANT SELECT (id, name) ON customers TO ptap_cols;
GRANT SELECT ON tags TO ptap_cols;
GRANT SELECT (customer_id, tag_id) ON customer_tags TO ptap_cols;
ALTER TABLE customers DISABLE ROW LEVEL SECURITY;
ALTER TABLE customer_tags DISABLE ROW LEVEL SECURITY;
SET LOCAL ROLE ptap_cols;
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('ptap.customers', ARRAY[1])$$, '42501', NULL,
    'keys form: SELECT on some columns of the source only: 42501');
SELECT throws_ok($$SELECT * FROM matrx_relations.select_related('ptap.customers', ARRAY[1])$$, '42501', NULL,
    'select_related: the same');
SELECT lives_ok($$SELECT matrx_relations.prefetch_related('ptap.customers', '[{"id": 1}]'::jsonb, 'tags')$$,
    'instances form: the source is not read; the junction''s key columns and the target suffice');
SELECT throws_ok($$SELECT * FROM matrx_relations.fetch_related(NULL::ptap.customers, 'ptap.tags', 'customers', ARRAY[1])$$, '42501', NULL,
    'fetch_related of customers through the junction: 42501');
SELECT is((SELECT jsonb_array_length(matrx_relations.prefetch_related('ptap.customers', '[{"id": 1}]'::jsonb, 'tags') -> 0 -> 'tags')),
    (SELECT count(*)::int FROM ptap.customer_tags WHERE customer_id = 1), 'and returns every tag of customer 1');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
