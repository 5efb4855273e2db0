-- review_found.sql: what a review of the spec forms found, kept as
-- regressions.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(7);

CREATE SCHEMA rtap;
SET LOCAL search_path = rtap, public;

CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p, a text, b text, d text, e text);
INSERT INTO p VALUES (1), (2);
INSERT INTO c VALUES (1, 1, 'm', 'm', 'm', 'm'), (2, 1, 'x', 'm', 'm', 'm'), (3, 2, 'm', 'm', 'm', 'm');

-- 1, 2: a statement with more parameters than a key has columns (the plan
-- cache kept its parameter types in a 32-slot array: 33 overran it).  Each
-- column's conditions hold for 'm' only; two loads, the second from the
-- kept plan.
CREATE FUNCTION many_params() RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('c', jsonb_build_object('columns', '["id"]'::jsonb, 'where',
        jsonb_object_agg(col, '{"ne": "x", "lt": "n", "lte": "m", "gt": "l", "gte": "m",
                                "like": "m%", "ilike": "M", "in": ["m", "q"]}'::jsonb)))
      FROM unnest(ARRAY['a', 'b', 'd', 'e']) col
$$;
SELECT results_eq(
    $$SELECT d::text FROM matrx_relations.prefetch_related('p', ARRAY[1, 2], many_params()) d$$,
    $$VALUES ('{"c": [{"id": 1}], "id": 1}'), ('{"c": [{"id": 3}], "id": 2}')$$,
    '33 parameters: prefetch_related filters exactly');
SELECT results_eq(
    $$SELECT d::text FROM matrx_relations.select_related('p', ARRAY[1, 2], many_params()) d$$,
    $$VALUES ('{"c": [{"id": 1}], "id": 1}'), ('{"c": [{"id": 3}], "id": 2}')$$,
    '33 parameters: select_related filters exactly');

-- 3, 4: a per-parent limit on a target with a column called mx_rn (the
-- window's own column name was ambiguous: 42702)
CREATE TABLE w (id int PRIMARY KEY, mx_rn int REFERENCES p);
INSERT INTO w VALUES (1, 1), (2, 1), (3, 2);
SELECT results_eq(
    $$SELECT d::text FROM matrx_relations.prefetch_related('p', ARRAY[1, 2], '{"w": {"order_by": ["id desc"], "limit": 1}}'::jsonb) d$$,
    $$VALUES ('{"w": [{"id": 2, "mx_rn": 1}], "id": 1}'), ('{"w": [{"id": 3, "mx_rn": 2}], "id": 2}')$$,
    'a limit on a target with a column mx_rn');
SELECT results_eq(
    $$SELECT d::text FROM matrx_relations.prefetch_related('p', ARRAY[1, 2], '{"w": {"order_by": ["id desc"], "limit": 1}}'::jsonb) d$$,
    $$SELECT d::text FROM matrx_relations.select_related('p', ARRAY[1, 2], '{"w": {"order_by": ["id desc"], "limit": 1}}'::jsonb) d$$,
    '... equal to select_related');

-- 5: options that change nothing share the plain edge's statement
-- (a statement for the source, one for c: 2, not 3)
CREATE FUNCTION statements_of(spec jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE before bigint;
BEGIN
    SELECT statements INTO before FROM matrx_relations.stats();
    PERFORM count(*) FROM matrx_relations.prefetch_related('p', ARRAY[1, 2], spec);
    RETURN (SELECT statements FROM matrx_relations.stats()) - before;
END $$;
SELECT is(statements_of('{"c": {}, "c2": {"relation": "c", "where": {}}, "c3": {"relation": "c", "order_by": []}}'),
          2::bigint, 'empty where and order_by group with the plain edge');

-- 6, 7: a regclass where value resolves through search_path: a cached
-- entry made under one search_path is not served under another
CREATE SCHEMA rtap2;
CREATE TABLE rtap.tt (x int);
CREATE TABLE rtap2.tt (x int);
CREATE TABLE r (id int PRIMARY KEY, p_id int REFERENCES p, rel regclass);
INSERT INTO r VALUES (1, 1, 'rtap.tt'), (2, 1, 'rtap2.tt');
-- both loads in one function: pgTAP's writes between statements would
-- empty the cache anyway
CREATE FUNCTION rel_ids() RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    out text[] := '{}';
    path text;
BEGIN
    FOREACH path IN ARRAY ARRAY['rtap', 'rtap2'] LOOP
        PERFORM set_config('search_path', path || ', public', true);
        out := out || (SELECT string_agg(d::text, ',') FROM matrx_relations.prefetch_related('rtap.p'::regclass,
                       ARRAY[1], '{"r": {"columns": ["id"], "where": {"rel": "tt"}}}'::jsonb) d);
    END LOOP;
    PERFORM set_config('search_path', 'rtap, public', true);
    RETURN out;
END $$;
SELECT is((rel_ids())[1], '{"r": [{"id": 1}], "id": 1}', 'regclass value under search_path rtap');
SELECT is((rel_ids())[2], '{"r": [{"id": 2}], "id": 1}', '... and under rtap2, in the same transaction');
SELECT * FROM finish();
ROLLBACK;
