-- privileges_spec.sql: the spec forms with row-level security and in a
-- READ ONLY transaction (SPEC §5).  A role whose policies hide some orders
-- and some junction rows gets, through all four entry points, exactly what
-- plain SQL run by that role gives: the "where" filters and the per-parent
-- "limit" count only the rows the role can see (the newest orders, hidden
-- from it, must not use up the limit).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(11);

CREATE SCHEMA pspec;
SET LOCAL search_path = pspec, public;
CREATE TABLE customers (id int PRIMARY KEY, name text, region text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, region text, total int);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE customer_tags (customer_id int REFERENCES customers, tag_id int REFERENCES tags, region text,
    PRIMARY KEY (customer_id, tag_id));
INSERT INTO customers SELECT g, 'c' || g, CASE WHEN g % 3 = 0 THEN 'south' ELSE 'north' END FROM generate_series(1, 9) g;
-- each customer's newest orders (highest ids) are south: hidden from the role
INSERT INTO orders SELECT g, 1 + g % 9, CASE WHEN g > 60 THEN 'south' ELSE 'north' END, g % 7 FROM generate_series(1, 90) g;
INSERT INTO tags SELECT g, 't' || g FROM generate_series(1, 8) g;
INSERT INTO customer_tags SELECT c, t, CASE WHEN t > 5 THEN 'south' ELSE 'north' END
    FROM generate_series(1, 9) c, generate_series(1, 8) t WHERE (c + t) % 2 = 0;

CREATE ROLE pspec_north;
GRANT USAGE ON SCHEMA pspec TO pspec_north;
GRANT SELECT ON customers, orders, tags, customer_tags TO pspec_north;
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_tags ENABLE ROW LEVEL SECURITY;
CREATE POLICY north ON customers FOR SELECT USING (region = 'north');
CREATE POLICY north ON orders FOR SELECT USING (region = 'north');
CREATE POLICY north ON customer_tags FOR SELECT USING (region = 'north');

-- the spec: the 3 newest orders with total > 2, and the 2 highest tags, per customer
CREATE FUNCTION pspec.spec() RETURNS jsonb LANGUAGE sql AS $$ SELECT '{
    "orders": {"where": {"total": {"gt": 2}}, "order_by": ["id desc"], "limit": 3, "columns": ["id", "total"]},
    "tags": {"order_by": ["id desc"], "limit": 2}}'::jsonb $$;
-- the same by plain SQL, for whoever runs it, in key order
CREATE FUNCTION pspec.naive(ids int[]) RETURNS jsonb LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(to_jsonb(c) || jsonb_build_object(
        'orders', coalesce((SELECT jsonb_agg(jsonb_build_object('id', o.id, 'total', o.total) ORDER BY o.id DESC)
                            FROM (SELECT * FROM orders o WHERE o.customer_id = c.id AND o.total > 2 ORDER BY o.id DESC LIMIT 3) o), '[]'),
        'tags', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id DESC) FROM (SELECT * FROM tags t
                          WHERE EXISTS (SELECT FROM customer_tags j WHERE j.customer_id = c.id AND j.tag_id = t.id)
                          ORDER BY t.id DESC LIMIT 2) t), '[]')) ORDER BY k.n), '[]')
    FROM unnest(ids) WITH ORDINALITY k(id, n) JOIN customers c ON c.id = k.id $$;
-- the four entry points, each as one jsonb array in key order
CREATE FUNCTION pspec.four(ids int[]) RETURNS TABLE(form text, docs jsonb) LANGUAGE sql AS $$
    SELECT 'prefetch_related keys', (SELECT coalesce(jsonb_agg(d ORDER BY n), '[]')
        FROM matrx_relations.prefetch_related('pspec.customers', ids, pspec.spec()) WITH ORDINALITY r(d, n))
    UNION ALL
    SELECT 'select_related', (SELECT coalesce(jsonb_agg(d ORDER BY n), '[]')
        FROM matrx_relations.select_related('pspec.customers', ids, pspec.spec()) WITH ORDINALITY r(d, n))
    UNION ALL
    -- the instances form is given the rows the role can read
    SELECT 'prefetch_related instances', matrx_relations.prefetch_related('pspec.customers',
        (SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY k.n), '[]') FROM unnest(ids) WITH ORDINALITY k(id, n)
         JOIN pspec.customers c ON c.id = k.id), pspec.spec())
    UNION ALL
    SELECT 'prefetch_batch', matrx_relations.prefetch_batch(jsonb_build_array(jsonb_build_object(
        'source', 'pspec.customers', 'keys', to_jsonb(ids), 'spec', pspec.spec()))) -> 0 $$;
GRANT EXECUTE ON FUNCTION pspec.spec(), pspec.naive(int[]), pspec.four(int[]) TO pspec_north;

-- 1: the owner (exempt from the policies) sees hidden rows among each customer's newest
SELECT ok((SELECT bool_and((SELECT bool_or(o ->> 'id' > '60') FROM jsonb_array_elements(d -> 'orders') o))
           FROM jsonb_array_elements(pspec.naive(ARRAY[1, 2, 4, 5])) d), 'control: the owner''s newest orders are south ones');
CREATE TABLE pspec.owner_view AS SELECT pspec.naive(ARRAY[1, 2, 4, 5]) AS docs;
GRANT SELECT ON pspec.owner_view TO pspec_north;

SET LOCAL ROLE pspec_north;
-- 2-6: the role's rows only, the limit counted among them
SELECT is(f.docs, pspec.naive(ARRAY[1, 2, 3, 4, 5]), 'RLS, spec where/order_by/limit: ' || f.form)
    FROM pspec.four(ARRAY[1, 2, 3, 4, 5]) f ORDER BY f.form;
SELECT isnt(pspec.naive(ARRAY[1, 2, 4, 5]), (SELECT docs FROM pspec.owner_view),
    'control: the role''s plain SQL differs from the owner''s (hidden rows matter)');

-- 7-11: the same loads in a READ ONLY transaction (a subtransaction keeps the outer one writable)
RESET ROLE;
SET TRANSACTION READ ONLY;
SET LOCAL ROLE pspec_north;
SELECT is(f.docs, pspec.naive(ARRAY[5, 4, 2, 1]), 'READ ONLY, spec form: ' || f.form)
    FROM pspec.four(ARRAY[5, 4, 2, 1]) f ORDER BY f.form;
SELECT throws_ok($$CREATE TABLE pspec.nope (v int)$$, '25006', NULL, 'control: the transaction is read only');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
