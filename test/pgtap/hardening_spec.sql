-- hardening_spec.sql: the spec jsonb forms (SPEC §2 "Per-relation options")
-- under hostile input: column, table and output names with quotes,
-- semicolons, comments, $$ and backslashes in "columns", "where" and
-- "order_by"; injection-shaped order_by items; where values and like
-- patterns with quotes and backslashes; a hostile =, <, ~~ and ~~* for text
-- in pg_temp and public.  Only exact matches (the naive SQL's result, the
-- same through all four entry points) or the SPEC's error (42703, 22023,
-- the type's own 22P02); the canary table survives.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(26);
SET LOCAL matrx_relations.cache = off;

CREATE SCHEMA "hs'; DROP TABLE x; --";
SET LOCAL search_path = "hs'; DROP TABLE x; --", public;
CREATE TABLE "Pa""rents; --" (id int PRIMARY KEY, "na;me" text);
CREATE TABLE "ch/*il*/d" (id int PRIMARY KEY, "pa $$ id" int REFERENCES "Pa""rents; --",
    "co""l; DROP TABLE x --" text, "Wh$$ere\" int, "z desc" int, "v" text);
INSERT INTO "Pa""rents; --" VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');
INSERT INTO "ch/*il*/d" VALUES
    (10, 1, E'it''s \\ "q"', 5, 3, 'Tea'), (11, 1, 'plain', 7, 1, 'toast'), (12, 1, E'it''s \\ "q"', 2, 2, 'Jam'),
    (13, 2, E'%'' OR ''1''=''1', 9, 1, 'tart'), (14, 2, 'a_b', NULL, 5, E'back\\slash'), (15, 3, '$$x$$', 1, 4, 'T%');
-- the canary: injected text that ran would drop it
CREATE TABLE x (v int);

-- the four entry points as one jsonb array: [keys, select, instances, batch];
-- no unqualified function or operator, so that only the loaders can be captured
CREATE FUNCTION "hs'; DROP TABLE x; --".four(spec jsonb) RETURNS jsonb LANGUAGE sql AS $f$
    SELECT pg_catalog.jsonb_build_array(
        (SELECT pg_catalog.jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related(
            '"hs''; DROP TABLE x; --"."Pa""rents; --"', ARRAY[1, 2, 3], spec) WITH ORDINALITY r(d, n)),
        (SELECT pg_catalog.jsonb_agg(d ORDER BY n) FROM matrx_relations.select_related(
            '"hs''; DROP TABLE x; --"."Pa""rents; --"', ARRAY[1, 2, 3], spec) WITH ORDINALITY r(d, n)),
        matrx_relations.prefetch_related('"hs''; DROP TABLE x; --"."Pa""rents; --"',
            '[{"id": 1, "na;me": "ann"}, {"id": 2, "na;me": "bob"}, {"id": 3, "na;me": "cy"}]'::jsonb, spec),
        matrx_relations.prefetch_batch(pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'source', '"hs''; DROP TABLE x; --"."Pa""rents; --"', 'keys', '[1, 2, 3]'::jsonb, 'spec', spec))) -> 0)
$f$;
-- the expected documents of every parent, child_query run per parent ($1 its id), four times over
CREATE FUNCTION "hs'; DROP TABLE x; --".naive(out_key text, child_query text) RETURNS jsonb LANGUAGE plpgsql AS $f$
DECLARE
    docs jsonb := '[]';
    p record;
    child jsonb;
BEGIN
    FOR p IN SELECT * FROM "hs'; DROP TABLE x; --"."Pa""rents; --" ORDER BY id LOOP
        EXECUTE child_query INTO child USING p.id;
        docs := docs || jsonb_build_array(to_jsonb(p) || jsonb_build_object(out_key, coalesce(child, '[]')));
    END LOOP;
    RETURN jsonb_build_array(docs, docs, docs, docs);
END $f$;

-- hostile names in columns, where (a value with quotes and backslashes) and order_by
SELECT is(four($j${"k'); DROP TABLE x; --": {"relation": "ch/*il*/d",
        "columns": ["co\"l; DROP TABLE x --", "Wh$$ere\\"],
        "where": {"co\"l; DROP TABLE x --": "it's \\ \"q\""},
        "order_by": ["Wh$$ere\\ desc"]}}$j$),
    naive($$k'); DROP TABLE x; --$$, $q$SELECT jsonb_agg(jsonb_build_object('co"l; DROP TABLE x --', c."co""l; DROP TABLE x --",
        'Wh$$ere\', c."Wh$$ere\") ORDER BY c."Wh$$ere\" DESC, c.id) FROM "ch/*il*/d" c
        WHERE c."pa $$ id" = $1 AND c."co""l; DROP TABLE x --" = E'it''s \\ "q"'$q$),
    'hostile column names in columns, where and order_by; a value with quotes and backslashes matches exactly');
SELECT is(four($j${"ch/*il*/d": {"where": {"co\"l; DROP TABLE x --": "it's \\ \"q\"' OR '1'='1"}}}$j$),
    naive('ch/*il*/d', 'SELECT NULL::jsonb'),
    'an injection-shaped where value matches nothing');
SELECT is(four($j${"ch/*il*/d": {"where": {"co\"l; DROP TABLE x --": {"like": "%' OR '1'='1"}}, "columns": ["id"]}}$j$),
    naive('ch/*il*/d', $q$SELECT jsonb_agg(jsonb_build_object('id', c.id) ORDER BY c.id) FROM "ch/*il*/d" c
        WHERE c."pa $$ id" = $1 AND c."co""l; DROP TABLE x --" LIKE '%'' OR ''1''=''1'$q$),
    'a like pattern with quotes is a pattern: the one row ending in it');
SELECT is(four($j${"ch/*il*/d": {"where": {"v": {"like": "%\\\\%"}, "co\"l; DROP TABLE x --": {"ilike": "A\\_B"}}, "columns": ["id"]}}$j$),
    naive('ch/*il*/d', $q$SELECT jsonb_agg(jsonb_build_object('id', c.id) ORDER BY c.id) FROM "ch/*il*/d" c
        WHERE c."pa $$ id" = $1 AND c.v LIKE E'%\\\\%' AND c."co""l; DROP TABLE x --" ILIKE E'A\\_B'$q$),
    'like and ilike patterns with backslash escapes: the pattern''s own meaning');
SELECT is(four($j${"ch/*il*/d": {"order_by": ["z desc desc"], "limit": 1, "columns": ["id", "z desc"]}}$j$),
    naive('ch/*il*/d', $q$SELECT jsonb_agg(d) FROM (SELECT jsonb_build_object('id', c.id, 'z desc', c."z desc") d
        FROM "ch/*il*/d" c WHERE c."pa $$ id" = $1 ORDER BY c."z desc" DESC, c.id LIMIT 1) s$q$),
    'a column named "z desc", ordered desc: the item minus its trailing desc is the column');
SELECT is(four($j${"ch/*il*/d": {"where": {"v": {"in": ["T%", "it's", "Tea'); DROP TABLE x; --"]}}, "columns": ["id"]}}$j$),
    naive('ch/*il*/d', $q$SELECT jsonb_agg(jsonb_build_object('id', c.id) ORDER BY c.id) FROM "ch/*il*/d" c
        WHERE c."pa $$ id" = $1 AND c.v IN ('T%', 'it''s', 'Tea''); DROP TABLE x; --')$q$),
    'in with quoted values: exact matches only');

-- injection-shaped names and order_by items: the SPEC's errors, nothing runs
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"order_by": ["id; DROP TABLE x --"]}}')$$, '42703', NULL,
    'order_by "id; DROP TABLE x --": an unknown column');
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"order_by": ["id desc; DROP TABLE x"]}}')$$, '42703', NULL,
    'order_by "id desc; DROP TABLE x": an unknown column');
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"order_by": ["id asc, (SELECT 1) desc"]}}')$$, '42703', NULL,
    'order_by with a second, injected item after a comma: an unknown column');
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"order_by": ["id nulls first; SELECT pg_sleep(10)"]}}')$$, '42703', NULL,
    'order_by with text after nulls first: an unknown column');
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"order_by": ["id desc nulls last nulls first"]}}')$$, '42703', NULL,
    'order_by with nulls given twice: an unknown column');
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"order_by": ["id /* asc */ desc"]}}')$$, '42703', NULL,
    'order_by with a comment: an unknown column');
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"order_by": ["\"id\" desc"]}}')$$, '42703', NULL,
    'order_by with a quoted name: names are taken as written, not parsed');
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"columns": ["id\"; DROP TABLE x; --"]}}')$$, '42703', NULL,
    'columns with an injection attempt: an unknown column');
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"columns": ["*"]}}')$$, '42703', NULL,
    'columns ["*"]: an unknown column');
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"where": {"1=1) OR (true": 1}}}')$$, '42703', NULL,
    'a where key that is SQL: an unknown column');
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"where": {"id": {"eq 1 OR true --": 1}}}}')$$, '22023', NULL,
    'a where operator that is SQL: an unknown operator');
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"where": {"id": "1; DROP TABLE x"}}}')$$, '22P02', NULL,
    'an int where value that is SQL: the type''s input error');
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"limit": "1; DROP TABLE x"}}')$$, '22023', NULL,
    'a limit that is SQL: 22023');
SELECT throws_ok($$SELECT four('{"ch/*il*/d": {"relation": "ch/*il*/d; DROP TABLE x"}}')$$, '42704', NULL,
    'a relation name that is SQL: an unknown relation');

-- hostile =, <, ~~ and ~~* for text (and = for int) in pg_temp and public
CREATE TABLE expected AS SELECT s.spec, four(s.spec) AS result FROM (VALUES
    ($j${"ch/*il*/d": {"where": {"co\"l; DROP TABLE x --": "it's \\ \"q\""}, "order_by": ["v desc"]}}$j$::jsonb),
    ($j${"ch/*il*/d": {"where": {"v": {"lt": "Tu"}, "co\"l; DROP TABLE x --": {"ne": "plain"}}, "limit": 1}}$j$::jsonb),
    ($j${"ch/*il*/d": {"where": {"v": {"like": "T%"}}, "order_by": ["Wh$$ere\\ nulls first"]}}$j$::jsonb),
    ($j${"ch/*il*/d": {"where": {"v": {"ilike": "t%"}, "id": {"in": [10, 13, 15]}}}}$j$::jsonb)) s(spec);
CREATE FUNCTION public.h_true(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE FUNCTION public.h_false(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT false';
CREATE FUNCTION public.h_int_true(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
-- (PostgreSQL never looks up operators in pg_temp; public's are the ones that capture)
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_true);
CREATE OPERATOR public.< (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_true);
CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_true);
CREATE OPERATOR public.~~ (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_false);
CREATE OPERATOR public.~~* (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_false);
CREATE OPERATOR public.= (LEFTARG = int, RIGHTARG = int, FUNCTION = public.h_int_true);
CREATE OPERATOR pg_temp.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_true);
CREATE OPERATOR pg_temp.~~ (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_false);
-- loaded with the hostile objects first on search_path, compared afterwards
-- (pgTAP itself compares text, and would be captured too)
SET LOCAL search_path = pg_temp, public, "hs'; DROP TABLE x; --", pg_catalog;
CREATE TABLE "hs'; DROP TABLE x; --".got AS SELECT e.spec, "hs'; DROP TABLE x; --".four(e.spec) AS result,
    (SELECT count(*) FROM "hs'; DROP TABLE x; --"."ch/*il*/d" c WHERE c.v = 'none' OR c.v ~~ 'T%') AS control
    FROM "hs'; DROP TABLE x; --".expected e;
SET LOCAL search_path = "hs'; DROP TABLE x; --", public;
SELECT is(g.result, e.result, 'hostile operators first on search_path: ' || e.spec::text)
    FROM expected e JOIN got g USING (spec) ORDER BY e.spec::text;
SELECT is((SELECT min(control) FROM got), 6::bigint, 'control: an unqualified = and ~~ on text there were the hostile ones');

SELECT has_table('x', 'the canary table survived');
SELECT * FROM finish();
ROLLBACK;
