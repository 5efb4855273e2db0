-- hardening.sql: hostile names and values, search_path capture (SPEC §5),
-- read-only transactions and odd arrays.  Every load must return exactly
-- what plain SQL returns, or the SPEC's error; nothing else may run.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(15);

-- ---------------------------------------------------------------------------
-- Names carrying quotes, semicolons, comments, $$, backslashes, case, spaces
-- ---------------------------------------------------------------------------
CREATE SCHEMA "h'; DROP TABLE x; --";
SET LOCAL search_path = "h'; DROP TABLE x; --", public;
CREATE TABLE "Cust""omers; --" ("I d" int PRIMARY KEY, "na$$me\" text);
CREATE TABLE "or/*ders*/" ("id" int PRIMARY KEY, "Cust $$ id" int
    CONSTRAINT "fk'; SELECT pg_sleep(10); --" REFERENCES "Cust""omers; --", "no\te" text);
INSERT INTO "Cust""omers; --" VALUES (1, 'ann''s \ "x"'), (2, 'bob');
INSERT INTO "or/*ders*/" VALUES (10, 1, 'a'), (11, 1, 'b'), (12, 2, E'c\\d'), (13, NULL, 'e');
-- a canary: if any generated SQL ran injected text, it would be gone or slept
CREATE TABLE x (v int);

SELECT results_eq(
    $q$SELECT d FROM matrx_relations.prefetch_related('"h''; DROP TABLE x; --"."or/*ders*/"', ARRAY[10, 12, 13],
        'fk''; SELECT pg_sleep(10); --') d$q$,
    $q$SELECT to_jsonb(o) || jsonb_build_object('fk''; SELECT pg_sleep(10); --',
        (SELECT to_jsonb(c) FROM "Cust""omers; --" c WHERE c."I d" = o."Cust $$ id"))
      FROM "or/*ders*/" o WHERE id IN (10, 12, 13) ORDER BY id$q$,
    'fk by a hostile constraint name, from and to hostile tables');
SELECT results_eq(
    $q$SELECT d FROM matrx_relations.prefetch_related('"h''; DROP TABLE x; --"."Cust""omers; --"', ARRAY[2, 1],
        '"al;ias'' --:or/*ders*/') d$q$,
    $q$SELECT to_jsonb(c) || jsonb_build_object('"al;ias'' --', coalesce((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id)
        FROM "or/*ders*/" o WHERE o."Cust $$ id" = c."I d"), '[]'))
      FROM "Cust""omers; --" c ORDER BY c."I d" DESC$q$,
    'ifk named by its hostile table name, under a hostile alias');
SELECT results_eq(
    $q$SELECT d FROM matrx_relations.select_related('"h''; DROP TABLE x; --"."Cust""omers; --"', ARRAY[2, 1], 'or/*ders*/') d$q$,
    $q$SELECT d FROM matrx_relations.prefetch_related('"h''; DROP TABLE x; --"."Cust""omers; --"', ARRAY[2, 1], 'or/*ders*/') d$q$,
    'select_related on hostile names equals prefetch_related');
SELECT lives_ok(
    $q$SELECT matrx_relations.register_relation('"h''; DROP TABLE x; --"."Cust""omers; --"', 'reg''; --',
        '"h''; DROP TABLE x; --"."or/*ders*/"', ARRAY['I d'], ARRAY['Cust $$ id'])$q$,
    'register_relation with hostile column and relation names');
SELECT is((SELECT jsonb_array_length(d -> 'reg''; --') FROM matrx_relations.prefetch_related(
    '"h''; DROP TABLE x; --"."Cust""omers; --"', ARRAY[1], 'reg''; --') d), 2, 'the registered relation loads');
SELECT throws_ok(
    $q$SELECT matrx_relations.register_relation('"h''; DROP TABLE x; --"."Cust""omers; --"', 'bad',
        '"h''; DROP TABLE x; --"."or/*ders*/"', ARRAY['I d'], ARRAY['id); DROP TABLE x; --'])$q$,
    '42703', NULL, 'a column name that is an injection attempt is just an unknown column');
SELECT has_table('x', 'the canary table survived');

-- key values with quotes and backslashes (text keys)
CREATE TABLE tk (k text PRIMARY KEY, v int);
CREATE TABLE tc (id int PRIMARY KEY, k text REFERENCES tk);
INSERT INTO tk VALUES (E'it''s', 1), (E'back\\slash', 2), ('$$x$$', 3), ('a;b--', 4);
INSERT INTO tc VALUES (1, E'it''s'), (2, E'back\\slash'), (3, '$$x$$'), (4, 'a;b--');
SELECT results_eq(
    $q$SELECT d ->> 'k' FROM matrx_relations.prefetch_related('tk', ARRAY[E'it''s', E'back\\slash', '$$x$$', 'a;b--', E'it''s'' OR ''1''=''1'], 'tc') d$q$,
    $q$VALUES (E'it''s'), (E'back\\slash'), ('$$x$$'), ('a;b--')$q$,
    'text keys with quotes and backslashes match exactly, an injection-shaped key matches nothing');

-- ---------------------------------------------------------------------------
-- search_path capture: hostile objects in public and pg_temp
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.evil_eq(int, int) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR public.= (LEFTARG = int, RIGHTARG = int, FUNCTION = public.evil_eq);
CREATE FUNCTION public.evil_eq_arr(int, int[]) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION public.unnest(anyarray) RETURNS SETOF int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION public.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql AS $$SELECT '"pwned"'::jsonb$$;
CREATE FUNCTION public.jsonb_agg(anyelement) RETURNS jsonb LANGUAGE sql AS $$SELECT '"pwned"'::jsonb$$;
CREATE FUNCTION public.array_agg(anyelement) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION pg_temp.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql AS $$SELECT '"pwned"'::jsonb$$;
CREATE TEMP TABLE "or/*ders*/" (id int PRIMARY KEY, "Cust $$ id" int, "no\te" text);
INSERT INTO pg_temp."or/*ders*/" VALUES (10, 2, 'shadow');
-- pg_catalog after public: an unqualified name in generated SQL would resolve to the hostile one
SET LOCAL search_path = pg_temp, public, pg_catalog, "h'; DROP TABLE x; --";

SELECT results_eq(
    $q$SELECT d::text FROM matrx_relations.prefetch_related('"h''; DROP TABLE x; --"."Cust""omers; --"', ARRAY[1, 2], 'or/*ders*/', 'reg''; --') d$q$,
    $q$SELECT (pg_catalog.to_jsonb(c) || pg_catalog.jsonb_build_object(
          'or/*ders*/', (SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(o) ORDER BY o.id) FROM "h'; DROP TABLE x; --"."or/*ders*/" o WHERE o."Cust $$ id" OPERATOR(pg_catalog.=) c."I d"),
          'reg''; --', (SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(o) ORDER BY o.id) FROM "h'; DROP TABLE x; --"."or/*ders*/" o WHERE o."Cust $$ id" OPERATOR(pg_catalog.=) c."I d")))::text
      FROM "h'; DROP TABLE x; --"."Cust""omers; --" c ORDER BY c."I d"$q$,
    'prefetch_related ignores a public =, unnest, to_jsonb, jsonb_agg and a temp table shadowing the target');
SELECT results_eq(
    $q$SELECT d::text FROM matrx_relations.select_related('"h''; DROP TABLE x; --"."Cust""omers; --"', ARRAY[1, 2], 'or/*ders*/') d$q$,
    $q$SELECT d::text FROM matrx_relations.prefetch_related('"h''; DROP TABLE x; --"."Cust""omers; --"', ARRAY[1, 2], 'or/*ders*/') d$q$,
    'select_related ignores them too');
SELECT results_eq(
    $q$SELECT source_key, (related)."no\te" FROM matrx_relations.fetch_related(NULL::"h'; DROP TABLE x; --"."or/*ders*/",
        '"h''; DROP TABLE x; --"."Cust""omers; --"', 'or/*ders*/', ARRAY[1, 2])$q$,
    $q$VALUES (1, 'a'), (1, 'b'), (2, E'c\\d')$q$,
    'fetch_related reads the catalog''s table, not the temp one, with the catalog''s =');
SELECT is(matrx_relations.prefetch_batch('[{"source": "\"h''; DROP TABLE x; --\".\"Cust\"\"omers; --\"", "keys": [2], "relations": ["or/*ders*/"]}]')
          -> 0 -> 0 -> 'or/*ders*/' -> 0 ->> 'no\te', E'c\\d', 'prefetch_batch too');
SELECT ok(NOT EXISTS (SELECT FROM matrx_relations.explain_related('"h''; DROP TABLE x; --"."Cust""omers; --"', 'or/*ders*/') s
                      WHERE s !~ 'OPERATOR\(pg_catalog\.=\)' OR s ~ '[^.]to_jsonb\(' ),
          'explain_related shows only schema-qualified functions and operators');
RESET search_path;
SET LOCAL search_path = "h'; DROP TABLE x; --", public;

-- ---------------------------------------------------------------------------
-- READ ONLY transactions and odd arrays
-- ---------------------------------------------------------------------------
SET TRANSACTION READ ONLY;
SELECT lives_ok($q$SELECT count(*) FROM matrx_relations.prefetch_related('tk', ARRAY['a;b--'], 'tc')$q$,
                'loads work in a READ ONLY transaction');
SELECT throws_ok($q$SELECT count(*) FROM matrx_relations.prefetch_related('tk', ARRAY[['a', 'b'], ['c', 'd']], 'tc')$q$,
                 '22023', NULL, 'a 2-D keys array is refused');

SELECT * FROM finish();
ROLLBACK;
