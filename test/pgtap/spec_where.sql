-- spec_where.sql: "where" groups ("or", "and", "not") and the null-safe
-- comparisons (is_distinct_from, is_not_distinct_from) in every loader that
-- takes a spec, against naive SQL; values as parameters, operators
-- schema-qualified; SQLSTATEs of malformed groups.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE EXTENSION matrx_relations;

SELECT plan(23);

CREATE SCHEMA swh;
SET LOCAL search_path = swh, public;
SET LOCAL client_min_messages = warning;
SET LOCAL matrx_relations.cache = off;

CREATE TABLE customers (id int PRIMARY KEY, name text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, status text,
    reason text, total numeric, "not" int);
-- composite keys: a child on two columns
CREATE TABLE regions (r text, n int, PRIMARY KEY (r, n));
CREATE TABLE sites (id int PRIMARY KEY, r text, n int, kind text, FOREIGN KEY (r, n) REFERENCES regions);

INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 6) g;
INSERT INTO orders SELECT g, 1 + g % 6, (ARRAY['paid', 'open', NULL, 'void'])[1 + g % 4],
    (ARRAY['x', NULL, 'y'])[1 + g % 3], g * 1.5, g % 5 FROM generate_series(1, 40) g;
INSERT INTO regions SELECT r, n FROM unnest(ARRAY['eu', 'us']) r, generate_series(1, 2) n;
INSERT INTO sites SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, 1 + g % 2,
    (ARRAY['a', NULL, 'b'])[1 + g % 3] FROM generate_series(1, 16) g;

-- the customers 1..6 with their orders filtered by cond (naive SQL)
CREATE FUNCTION naive(cond text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE result jsonb;
BEGIN
    EXECUTE format($q$SELECT jsonb_agg(to_jsonb(c) || jsonb_build_object('orders',
        coalesce((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id) FROM orders o WHERE o.customer_id = c.id AND (%s)), '[]')) ORDER BY c.id)
        FROM customers c$q$, cond) INTO result;
    RETURN result;
END $$;
CREATE FUNCTION docs(spec jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('customers', ARRAY[1, 2, 3, 4, 5, 6], spec) d $$;
CREATE FUNCTION w(wh jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT jsonb_build_object('orders', jsonb_build_object('where', wh)) $$;

-- ---------------------------------------------------------------------------
-- Null-safe comparisons
-- ---------------------------------------------------------------------------
SELECT is(docs(w('{"reason": {"is_distinct_from": "x"}}')), naive($$o.reason IS DISTINCT FROM 'x'$$),
          'is_distinct_from keeps NULL rows (Django exclude)');
SELECT is(docs(w('{"reason": {"ne": "x"}}')), naive($$o.reason <> 'x'$$), 'ne drops them (unchanged)');
SELECT is(docs(w('{"reason": {"is_not_distinct_from": "x"}}')), naive($$o.reason IS NOT DISTINCT FROM 'x'$$), 'is_not_distinct_from a value');
SELECT is(docs(w('{"reason": {"is_not_distinct_from": null}}')), naive($$o.reason IS NOT DISTINCT FROM NULL$$), 'is_not_distinct_from null: IS NULL');
SELECT is(docs(w('{"reason": {"is_distinct_from": null}}')), naive($$o.reason IS DISTINCT FROM NULL$$), 'is_distinct_from null: IS NOT NULL');
SELECT is(docs(w('{"total": {"is_distinct_from": "3.0"}}')), naive($$o.total IS DISTINCT FROM 3.0$$), 'is_distinct_from on numeric, value as text');

-- ---------------------------------------------------------------------------
-- Groups
-- ---------------------------------------------------------------------------
SELECT is(docs(w('{"or": [{"status": "paid"}, {"reason": null}]}')), naive($$o.status = 'paid' OR o.reason IS NULL$$), 'or');
SELECT is(docs(w('{"not": {"status": "paid"}}')), naive($$NOT (o.status = 'paid')$$), 'not: SQL NOT (a NULL status stays out)');
SELECT is(docs(w('{"not": {"status": "paid", "reason": "x"}}')), naive($$NOT (o.status = 'paid' AND o.reason = 'x')$$), 'not of several conditions: NOT (a AND b)');
SELECT is(docs(w('{"total": {"gt": 10}, "or": [{"status": {"in": ["open", "void"]}, "reason": "y"}, {"not": {"status": {"is_null": false}}}]}')),
          naive($$o.total > 10 AND ((o.status IN ('open', 'void') AND o.reason = 'y') OR NOT (o.status IS NOT NULL))$$),
          'nested: a column beside an or of an and and a not');
SELECT is(docs(w('{"and": [{"total": {"gte": 5}}, {"total": {"lt": 30}}], "or": [{"reason": "x"}, {"reason": "y"}]}')),
          naive($$(o.total >= 5 AND o.total < 30) AND (o.reason = 'x' OR o.reason = 'y')$$), 'and beside or');
SELECT is(docs(w('{"\"not\"": 3, "or": [{"\"not\"": {"lt": 1}}, {"status": "open"}]}')), naive($$o."not" = 3 AND (o."not" < 1 OR o.status = 'open')$$),
          'a column named "not", quoted in the key');
SELECT is(docs(w('{"or": [{"or": [{"or": [{"status": "paid"}]}]}, {"not": {"not": {"reason": "x"}}}]}')),
          naive($$o.status = 'paid' OR NOT (NOT (o.reason = 'x'))$$), 'deep nesting');

-- every other loader that takes a spec gives the same
SELECT is(matrx_relations.prefetch_related('customers', '[{"id": 2}, {"id": 5}]'::jsonb,
              w('{"or": [{"status": "paid"}, {"reason": {"is_distinct_from": "x"}}]}')),
          (SELECT jsonb_agg(jsonb_build_object('id', e->'id', 'orders', e->'orders'))
           FROM jsonb_array_elements(naive($$o.status = 'paid' OR o.reason IS DISTINCT FROM 'x'$$)) e WHERE e->>'id' IN ('2', '5')),
          'instances form');
SELECT is((SELECT jsonb_agg(d) FROM matrx_relations.select_related('customers', ARRAY[1, 2, 3, 4, 5, 6],
              w('{"or": [{"status": "paid"}, {"not": {"reason": {"is_not_distinct_from": "x"}}}]}')) d),
          naive($$o.status = 'paid' OR NOT (o.reason IS NOT DISTINCT FROM 'x')$$), 'select_related');
SELECT is(matrx_relations.prefetch_batch(jsonb_build_array(
              jsonb_build_object('source', 'swh.customers', 'keys', '[1, 2, 3, 4, 5, 6]'::jsonb, 'spec', w('{"not": {"status": "void"}}')),
              jsonb_build_object('source', 'swh.customers', 'keys', '[1, 2, 3, 4, 5, 6]'::jsonb, 'spec', w('{"status": {"is_distinct_from": "void"}}')))),
          jsonb_build_array(naive($$NOT (o.status = 'void')$$), naive($$o.status IS DISTINCT FROM 'void'$$)),
          'prefetch_batch: two specs that differ only inside a group are two groups');
SELECT is((SELECT count(*) FROM matrx_relations.load('customers', ARRAY[1, 2, 3, 4, 5, 6], w('{"or": [{"status": "paid"}, {"reason": null}]}')) WHERE node = 1),
          (SELECT count(*) FROM orders o WHERE o.customer_id BETWEEN 1 AND 6 AND (o.status = 'paid' OR o.reason IS NULL)), 'load: the same rows');
SELECT is(matrx_relations.prefetch_related('regions', (SELECT jsonb_agg(to_jsonb(x) ORDER BY r, n) FROM regions x),
              '{"sites": {"where": {"or": [{"kind": {"is_distinct_from": "a"}}, {"id": {"lt": 3}}]}}}'::jsonb),
          (SELECT jsonb_agg(to_jsonb(x) || jsonb_build_object('sites', coalesce((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.id) FROM sites s
               WHERE (s.r, s.n) = (x.r, x.n) AND (s.kind IS DISTINCT FROM 'a' OR s.id < 3)), '[]')) ORDER BY r, n) FROM regions x),
          'composite keys: a group on a two-column child');

-- the statement: values as parameters, the operator schema-qualified
SELECT public.pg_stat_statements_reset();
SELECT count(*) FROM matrx_relations.prefetch_related('customers', ARRAY[1], w('{"or": [{"status": "paid''; --"}, {"reason": {"is_distinct_from": "x"}}]}'));
SELECT ok((SELECT bool_or(query LIKE '%AND ((t.status OPERATOR(pg_catalog.=) $2) OR (NOT (t.reason OPERATOR(pg_catalog.=) $3 AND t.reason IS NOT NULL)))%')
           FROM public.pg_stat_statements WHERE NOT toplevel AND query NOT LIKE '%paid%'),
          'values are $n parameters, = is OPERATOR(pg_catalog.=), is_distinct_from is NOT (= AND IS NOT NULL)');

-- errors
SELECT throws_ok($$SELECT docs(w('{"or": []}'))$$, '22023', NULL, 'or: an empty array is 22023');
SELECT throws_ok($$SELECT docs(w('{"or": {"status": "paid"}}'))$$, '22023', NULL, 'or: not an array is 22023');
SELECT throws_ok($$SELECT docs(w('{"not": [{"status": "paid"}]}'))$$, '22023', NULL, 'not: not an object is 22023');
SELECT throws_ok($$SELECT docs(w('{"or": [{"nosuch": 1}]}'))$$, '42703', NULL, 'a missing column inside a group is 42703');

SELECT * FROM finish();
ROLLBACK;
