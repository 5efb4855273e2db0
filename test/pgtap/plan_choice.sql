-- plan_choice.sql: which plan a statement runs with few keys (plancache.c,
-- MxChoosePlan).  A statement whose generic plan reads the key array
-- through an index (an index scan or a bitmap index scan) runs that plan:
-- planned once, not on every call, as the plan cache would (its custom
-- plans look cheaper than the generic one for a few keys, so it keeps
-- planning anew).  A generic plan that tests the keys row by row (no
-- index) or scans a partitioned table (a custom plan prunes partitions by
-- the keys, a generic one cannot) is left to the plan cache.  Planning is
-- counted by pg_stat_statements (track_planning), partitions scanned by
-- this transaction's own statistics.  Results are compared with plain SQL.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

SELECT plan(10);

CREATE SCHEMA pchoice;
SET LOCAL search_path = pchoice, public;
SET LOCAL pg_stat_statements.track = 'all';
SET LOCAL pg_stat_statements.track_planning = on;

CREATE TABLE parent (id int PRIMARY KEY, name text);
CREATE TABLE indexed (id int PRIMARY KEY, parent_id int REFERENCES parent, v int);
CREATE INDEX ON indexed (parent_id);
-- (its FK column at another position: PostgreSQL 18's pg_stat_statements
-- identifies a table by its alias, which is t in every statement of ours,
-- so the statements of two tables of the same shape would share one entry)
CREATE TABLE unindexed (id int PRIMARY KEY, v int, parent_id int REFERENCES parent);
CREATE TABLE parted (id int, parent_id int REFERENCES parent, v int) PARTITION BY RANGE (parent_id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (1) TO (2501);
CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (2501) TO (5001);
CREATE TABLE parted_3 PARTITION OF parted FOR VALUES FROM (5001) TO (7501);
CREATE TABLE parted_4 PARTITION OF parted FOR VALUES FROM (7501) TO (10001);
CREATE INDEX ON parted (parent_id);
INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, 10000) g;
INSERT INTO indexed SELECT g, 1 + g % 10000, g % 7 FROM generate_series(1, 30000) g;
INSERT INTO unindexed SELECT g, g % 7, 1 + g % 10000 FROM generate_series(1, 30000) g;
INSERT INTO parted SELECT g, 1 + g % 10000, g % 7 FROM generate_series(1, 30000) g;
ANALYZE parent, indexed, unindexed, parted;

-- the times the planner ran for statements reading a table (of every load so far)
CREATE FUNCTION plans_of(tbl text) RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(sum(plans), 0)::bigint FROM public.pg_stat_statements
     WHERE NOT toplevel AND query LIKE '%FROM pchoice.' || tbl || ' t%'
$$;
-- the documents of parents with their children of one table, as plain SQL
CREATE FUNCTION expected(tbl text, keys int[]) RETURNS SETOF jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT to_jsonb(p) || jsonb_build_object(%L, coalesce((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.id)
                FROM pchoice.%I c WHERE c.parent_id = p.id), ''[]''))
           FROM unnest($1) WITH ORDINALITY k(id, n) JOIN pchoice.parent p ON p.id = k.id ORDER BY k.n', tbl, tbl)
    USING keys;
END $$;
-- loads n times one or three keys of parent with its children of one table;
-- true when every load equals plain SQL
CREATE FUNCTION loads(tbl text, n int) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    i int;
    keys int[];
BEGIN
    FOR i IN 1 .. n LOOP
        keys := CASE WHEN i % 2 = 0 THEN ARRAY[1 + i * 37 % 2500] ELSE ARRAY[1 + i % 2500, 2 + i % 2500, 3 + i % 2500] END;
        IF ARRAY(SELECT d FROM matrx_relations.prefetch_related('pchoice.parent', keys, tbl) d)
           IS DISTINCT FROM ARRAY(SELECT expected(tbl, keys)) THEN
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END $$;

SELECT public.pg_stat_statements_reset();

-- 1-2: through an index, a few keys: the children's statement is planned once
SELECT ok(loads('indexed', 12), 'an indexed FK, 12 loads of 1 or 3 keys: as plain SQL');
SELECT is(plans_of('indexed'), 1::bigint, 'an indexed FK: its statement planned once, not per call');

-- 3-4: no index: the plan cache's own choice (its five custom plans first)
SELECT ok(loads('unindexed', 12), 'an unindexed FK, 12 loads: as plain SQL');
SELECT cmp_ok(plans_of('unindexed'), '>=', 5::bigint, 'an unindexed FK: left to the plan cache, custom plans first');

-- 5-8: a partitioned table: planned with the keys, so only the partition
-- that holds them is scanned (a generic plan would scan all four)
CREATE FUNCTION scans_2_to_4() RETURNS numeric LANGUAGE sql AS $$
    SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_xact_user_tables
     WHERE relid IN ('pchoice.parted_2'::regclass, 'pchoice.parted_3'::regclass, 'pchoice.parted_4'::regclass)
$$;
SELECT set_config('pchoice.scans', scans_2_to_4()::text, true);
SELECT is((SELECT count(*) FROM generate_series(1, 12) i,
    LATERAL matrx_relations.prefetch_related('pchoice.parent', ARRAY[1 + i * 37 % 2500, 2500 - i], 'parted') d),
    24::bigint, 'a partitioned table: 12 loads of two keys');
SELECT is(scans_2_to_4(), current_setting('pchoice.scans')::numeric,
          'a partitioned table, 12 loads: the keys'' partition alone is scanned');
SELECT cmp_ok(plans_of('parted'), '>=', 5::bigint, 'a partitioned table: left to the plan cache, custom plans first');
SELECT ok(loads('parted', 12), 'a partitioned child table, 12 loads: as plain SQL');

-- 9-10: more keys than a handful: the same plans, not planned again; the
-- source rows' statement (by primary key), which every load above ran,
-- was planned once too
SELECT ok(
    (SELECT bool_and(a IS NOT DISTINCT FROM b) FROM (
        SELECT ARRAY(SELECT d FROM matrx_relations.prefetch_related('pchoice.parent', ARRAY(SELECT g FROM generate_series(1 + i, 400 + i * 9) g), 'indexed') d) a,
               ARRAY(SELECT expected('indexed', ARRAY(SELECT g FROM generate_series(1 + i, 400 + i * 9) g))) b
          FROM generate_series(1, 8) i) s),
    '8 loads of 400 to 472 keys: as plain SQL');
SELECT is(ARRAY[plans_of('parent'), plans_of('indexed')], ARRAY[1, 1]::bigint[],
          'the source''s and the indexed children''s statements planned once each, over every load');

SELECT * FROM finish();
ROLLBACK;
