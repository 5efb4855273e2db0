-- limits.sql: long paths, many relations, odd arrays and more keys than
-- MX_GENERIC_PLAN_KEYS (issue 6, limits).
-- A 64-segment path and a 200-relation request load; a 65-segment path is
-- refused with 54000; keys and relations arrays whose lower bound is not 1
-- load exactly as the same arrays from 1; 2-D arrays are refused with
-- 22023, by every loader.  (10,000,000 keys and documents past 1 GB:
-- test/limits.sh.)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(36);

-- a chain of 70 employees: each one's manager is the next
CREATE TABLE emp (id int PRIMARY KEY, manager_id int REFERENCES emp, name text);
INSERT INTO emp SELECT g, NULL, 'e' || g FROM generate_series(1, 70) g;
UPDATE emp SET manager_id = id + 1 WHERE id < 70;
CREATE FUNCTION chain(n int) RETURNS text LANGUAGE sql
    AS $$ SELECT string_agg('manager', '.') FROM generate_series(1, n) $$;

-- ---------------------------------------------------------------------------
-- Paths of 64 segments (MX_MAX_PATH_DEPTH) load; 65 are refused
-- ---------------------------------------------------------------------------
SELECT is((SELECT d #>> (array_fill('manager'::text, ARRAY[64]) || 'id'::text)
             FROM matrx_relations.prefetch_related('emp', ARRAY[1], chain(64)) d),
          '65', 'prefetch_related: a 64-segment path reaches the 64th manager');
SELECT is((SELECT count(*)::int FROM matrx_relations.explain_related('emp', chain(64))), 65,
          'explain_related: a 64-segment path is 65 statements');
SELECT results_eq(
    $q$SELECT d FROM matrx_relations.select_related('emp', ARRAY[3, 1], chain(64)) d$q$,
    $q$SELECT d FROM matrx_relations.prefetch_related('emp', ARRAY[3, 1], chain(64)) d$q$,
    'select_related: a 64-segment path gives prefetch_related''s documents');
SELECT is((SELECT matrx_relations.prefetch_related('emp', '[{"id": 1, "manager_id": 2}]'::jsonb, chain(64))
             #>> ('{0}'::text[] || array_fill('manager'::text, ARRAY[64]) || 'id'::text)),
          '65', 'prefetch_related instances: a 64-segment path');
SELECT is((SELECT matrx_relations.prefetch_batch(jsonb_build_array(jsonb_build_object(
             'source', 'public.emp', 'keys', jsonb_build_array(1), 'relations', jsonb_build_array(chain(64)))))
             #>> ('{0,0}'::text[] || array_fill('manager'::text, ARRAY[64]) || 'id'::text)),
          '65', 'prefetch_batch: a 64-segment path');
SELECT throws_ok($q$SELECT count(*) FROM matrx_relations.prefetch_related('emp', ARRAY[1], chain(65))$q$,
                 '54000', 'relation path 1 has more than 64 segments',
                 'prefetch_related: a 65-segment path is refused with 54000');
SELECT throws_ok($q$SELECT count(*) FROM matrx_relations.select_related('emp', ARRAY[1], chain(65))$q$,
                 '54000', NULL, 'select_related: a 65-segment path is refused with 54000');
SELECT throws_ok($q$SELECT count(*) FROM matrx_relations.explain_related('emp', chain(65))$q$,
                 '54000', NULL, 'explain_related: a 65-segment path is refused with 54000');
SELECT throws_ok($q$SELECT matrx_relations.prefetch_related('emp', '[{"id": 1, "manager_id": 2}]'::jsonb, chain(65))$q$,
                 '54000', NULL, 'prefetch_related instances: a 65-segment path is refused with 54000');

-- ---------------------------------------------------------------------------
-- 200 relations in one request: 200 FKs of one table, and 200 aliases
-- ---------------------------------------------------------------------------
DO $$
BEGIN
    EXECUTE 'CREATE TABLE hub (id int PRIMARY KEY, '
        || (SELECT string_agg(format('e%s_id int REFERENCES emp', g), ', ') FROM generate_series(1, 200) g) || ')';
    EXECUTE 'INSERT INTO hub VALUES (1, ' || (SELECT string_agg((1 + g % 70)::text, ', ') FROM generate_series(1, 200) g)
        || '), (2, ' || (SELECT string_agg(CASE WHEN g % 2 = 0 THEN 'NULL' ELSE '5' END, ', ') FROM generate_series(1, 200) g) || ')';
END $$;
CREATE FUNCTION rels200() RETURNS text[] LANGUAGE sql
    AS $$ SELECT array_agg('e' || g ORDER BY g) FROM generate_series(1, 200) g $$;
-- the expected documents, by plain SQL
CREATE FUNCTION hub_expected(keys int[]) RETURNS SETOF jsonb LANGUAGE sql AS $$
    SELECT to_jsonb(h) || (SELECT jsonb_object_agg('e' || g,
               (SELECT to_jsonb(e) FROM emp e WHERE e.id = (to_jsonb(h) ->> ('e' || g || '_id'))::int))
             FROM generate_series(1, 200) g)
      FROM unnest(keys) WITH ORDINALITY k(id, n) JOIN hub h ON h.id = k.id ORDER BY n $$;

SELECT results_eq(
    $q$SELECT d FROM matrx_relations.prefetch_related('hub', ARRAY[2, 1], VARIADIC rels200()) d$q$,
    $q$SELECT * FROM hub_expected(ARRAY[2, 1])$q$,
    'prefetch_related: 200 relations equal plain SQL');
SELECT is((SELECT count(*)::int FROM matrx_relations.explain_related('hub', VARIADIC rels200())), 2,
          'explain_related: 200 fk relations to one table are one group (2 statements)');
SELECT results_eq(
    $q$SELECT d FROM matrx_relations.select_related('hub', ARRAY[2, 1], VARIADIC rels200()) d$q$,
    $q$SELECT * FROM hub_expected(ARRAY[2, 1])$q$,
    'select_related: 200 relations (200 joins) equal plain SQL');
SELECT results_eq(
    $q$SELECT jsonb_array_elements(matrx_relations.prefetch_related('hub', (SELECT jsonb_agg(to_jsonb(h) ORDER BY id DESC) FROM hub h), VARIADIC rels200()))$q$,
    $q$SELECT * FROM hub_expected(ARRAY[2, 1])$q$,
    'prefetch_related instances: 200 relations equal plain SQL');
SELECT results_eq(
    $q$SELECT jsonb_array_elements(matrx_relations.prefetch_batch(jsonb_build_array(jsonb_build_object(
        'source', 'public.hub', 'keys', jsonb_build_array(2, 1), 'relations', to_jsonb(rels200())))) -> 0)$q$,
    $q$SELECT * FROM hub_expected(ARRAY[2, 1])$q$,
    'prefetch_batch: 200 relations equal plain SQL');
SELECT is((SELECT count(DISTINCT k)::int FROM matrx_relations.prefetch_related('emp', ARRAY[1],
             VARIADIC (SELECT array_agg('a' || g || ':emp') FROM generate_series(1, 200) g)) d, jsonb_object_keys(d) k),
          203, 'prefetch_related: 200 aliases of one ifk relation give 200 keys');

-- ---------------------------------------------------------------------------
-- Arrays whose lower bound is not 1 load as the same arrays from 1
-- ---------------------------------------------------------------------------
SELECT results_eq(
    $q$SELECT d FROM matrx_relations.prefetch_related('emp', '[5:8]={3,1,3,99}'::int[], 'manager', 'emp') d$q$,
    $q$SELECT d FROM matrx_relations.prefetch_related('emp', '{3,1,3,99}'::int[], 'manager', 'emp') d$q$,
    'prefetch_related: keys with lower bound 5');
SELECT results_eq(
    $q$SELECT d FROM matrx_relations.select_related('emp', '[-2:1]={3,1,3,99}'::int[], 'manager', 'emp') d$q$,
    $q$SELECT d FROM matrx_relations.prefetch_related('emp', '{3,1,3,99}'::int[], 'manager', 'emp') d$q$,
    'select_related: keys with lower bound -2');
SELECT results_eq(
    $q$SELECT source_key, related::text FROM matrx_relations.fetch_related(NULL::emp, 'emp', 'manager', '[5:7]={3,1,3}'::int[])$q$,
    $q$VALUES (3, '(4,5,e4)'), (1, '(2,3,e2)')$q$,
    'fetch_related: keys with lower bound 5');
SELECT results_eq(
    $q$SELECT source_key, related::text FROM matrx_relations.fetch_related(NULL::emp, 'emp', 'manager', '[0:2]={3,1,3}'::smallint[])$q$,
    $q$VALUES (3::smallint, '(4,5,e4)'), (1::smallint, '(2,3,e2)')$q$,
    'fetch_related: smallint keys (anycompatiblearray) with lower bound 0');
SELECT results_eq(
    $q$SELECT source_key, related::text FROM matrx_relations.fetch_related_array(NULL::emp, 'emp', 'emp', '[5:7]={3,1,70}'::int[])$q$,
    $q$VALUES (3, '{"(2,3,e2)"}'), (1, '{}'), (70, '{"(69,70,e69)"}')$q$,
    'fetch_related_array: keys with lower bound 5');
SELECT results_eq(
    $q$SELECT d FROM matrx_relations.prefetch_related('emp', ARRAY[1, 2], VARIADIC '[3:4]={manager,x:emp}'::text[]) d$q$,
    $q$SELECT d FROM matrx_relations.prefetch_related('emp', ARRAY[1, 2], 'manager', 'x:emp') d$q$,
    'prefetch_related: relations with lower bound 3');
SELECT results_eq(
    $q$SELECT matrx_relations.prefetch_related('emp', '[{"id": 1, "manager_id": 2}]'::jsonb, VARIADIC '[0:0]={manager}'::text[])$q$,
    $q$SELECT matrx_relations.prefetch_related('emp', '[{"id": 1, "manager_id": 2}]'::jsonb, 'manager')$q$,
    'prefetch_related instances: relations with lower bound 0');
SELECT results_eq(
    $q$SELECT * FROM matrx_relations.explain_related('emp', VARIADIC '[3:4]={manager,emp}'::text[])$q$,
    $q$SELECT * FROM matrx_relations.explain_related('emp', 'manager', 'emp')$q$,
    'explain_related: relations with lower bound 3');
SELECT lives_ok(
    $q$SELECT matrx_relations.register_relation('emp', 'boss', 'emp', '[2:2]={manager_id}'::text[], '[7:7]={id}'::text[])$q$,
    'register_relation: column arrays with lower bounds 2 and 7');
SELECT is((SELECT d #>> '{boss,id}' FROM matrx_relations.prefetch_related('emp', ARRAY[4], 'boss') d), '5',
          'the relation registered with those arrays loads');

-- ---------------------------------------------------------------------------
-- 2-D arrays are refused with 22023
-- ---------------------------------------------------------------------------
SELECT throws_ok($q$SELECT count(*) FROM matrx_relations.prefetch_related('emp', '{{1,2},{3,4}}'::int[], 'manager')$q$,
                 '22023', NULL, 'prefetch_related: 2-D keys');
SELECT throws_ok($q$SELECT count(*) FROM matrx_relations.select_related('emp', '{{1,2},{3,4}}'::int[], 'manager')$q$,
                 '22023', NULL, 'select_related: 2-D keys');
SELECT throws_ok($q$SELECT count(*) FROM matrx_relations.fetch_related(NULL::emp, 'emp', 'manager', '{{1,2},{3,4}}'::int[])$q$,
                 '22023', NULL, 'fetch_related: 2-D keys');
SELECT throws_ok($q$SELECT count(*) FROM matrx_relations.fetch_related_array(NULL::emp, 'emp', 'emp', '[2:3][0:0]={{1},{2}}'::bigint[])$q$,
                 '22023', NULL, 'fetch_related_array: 2-D keys with lower bounds');
SELECT throws_ok($q$SELECT count(*) FROM matrx_relations.prefetch_related('emp', ARRAY[1], VARIADIC '{{manager},{emp}}'::text[])$q$,
                 '22023', NULL, 'prefetch_related: 2-D relations');
SELECT throws_ok($q$SELECT matrx_relations.prefetch_related('emp', '[{"id": 1}]'::jsonb, VARIADIC '{{manager},{emp}}'::text[])$q$,
                 '22023', NULL, 'prefetch_related instances: 2-D relations');
SELECT throws_ok($q$SELECT count(*) FROM matrx_relations.explain_related('emp', VARIADIC '{{manager},{emp}}'::text[])$q$,
                 '22023', NULL, 'explain_related: 2-D relations');
SELECT throws_ok($q$SELECT matrx_relations.register_relation('emp', 'boss2', 'emp', '{{manager_id}}'::text[], '{{id}}'::text[])$q$,
                 '22023', NULL, 'register_relation: 2-D column arrays');

-- ---------------------------------------------------------------------------
-- Past 10,000 keys a statement may run its generic plan (execute.c): the
-- documents and rows are the same as plain SQL's, through an indexed FK
-- (generic plan) and an unindexed one (custom plan kept)
-- ---------------------------------------------------------------------------
CREATE TABLE gc (id int PRIMARY KEY, name text);
CREATE TABLE gk (id int PRIMARY KEY, gc_id int REFERENCES gc, v int);
CREATE TABLE gu (id int PRIMARY KEY, gc_id int REFERENCES gc, v int);
INSERT INTO gc SELECT g, 'c' || g FROM generate_series(1, 20000) g;
INSERT INTO gk SELECT g, 1 + (g * 7) % 20000, g % 13 FROM generate_series(1, 40000) g;
INSERT INTO gu SELECT g, 1 + (g * 11) % 20000, g % 17 FROM generate_series(1, 40000) g;
CREATE INDEX ON gk (gc_id);
ANALYZE gc, gk, gu;
-- the expected documents: children aggregated once per parent (hash joins)
CREATE FUNCTION gc_expected(keys int[], with_gu bool) RETURNS SETOF jsonb LANGUAGE sql AS $$
    WITH ak AS (SELECT gc_id, jsonb_agg(to_jsonb(k) ORDER BY k.id) a FROM gk k GROUP BY gc_id),
         au AS (SELECT gc_id, jsonb_agg(to_jsonb(u) ORDER BY u.id) a FROM gu u GROUP BY gc_id),
         kk AS (SELECT id, min(n) n FROM unnest(keys) WITH ORDINALITY k(id, n) GROUP BY id)
    SELECT to_jsonb(c) || jsonb_build_object('gk', coalesce(ak.a, '[]'))
        || CASE WHEN with_gu THEN jsonb_build_object('gu', coalesce(au.a, '[]')) ELSE '{}' END
      FROM kk JOIN gc c ON c.id = kk.id LEFT JOIN ak ON ak.gc_id = c.id LEFT JOIN au ON au.gc_id = c.id
     ORDER BY kk.n $$;
SELECT results_eq(
    $q$SELECT d FROM matrx_relations.prefetch_related('gc', ARRAY(SELECT 25001 - g FROM generate_series(1, 25000) g), 'gk', 'gu') d$q$,
    $q$SELECT * FROM gc_expected(ARRAY(SELECT 25001 - g FROM generate_series(1, 25000) g), true)$q$,
    'prefetch_related: 25,000 keys equal plain SQL');
-- (select_related reads children per parent row: an unindexed child would be a scan per key)
SELECT results_eq(
    $q$SELECT d FROM matrx_relations.select_related('gc', ARRAY(SELECT 25001 - g FROM generate_series(1, 25000) g), 'gk') d$q$,
    $q$SELECT * FROM gc_expected(ARRAY(SELECT 25001 - g FROM generate_series(1, 25000) g), false)$q$,
    'select_related: 25,000 keys equal plain SQL');
SELECT results_eq(
    $q$SELECT source_key, (related).id FROM matrx_relations.fetch_related(NULL::gu, 'gc', 'gu', ARRAY(SELECT g FROM generate_series(1, 25000) g))$q$,
    $q$SELECT c.id, u.id FROM gc c JOIN gu u ON u.gc_id = c.id ORDER BY c.id, u.id$q$,
    'fetch_related: 25,000 keys through an unindexed FK equal plain SQL');

SELECT * FROM finish();
ROLLBACK;
