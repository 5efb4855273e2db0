-- fuzz_found.sql: what the differential fuzzer (test/fuzz/difffuzz.py)
-- found, kept as regressions.  pgTAP writes between statements (which
-- empties the relation cache), so each check runs its loads inside one
-- function, where the later loads are served from the cache.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(4);

CREATE SCHEMA ftap;
SET LOCAL search_path = ftap, public;

-- 1, 2: one statement text, its extra columns in another order.  Loading
-- parents by id returns id, qu, qt; which of them the loader keeps as its
-- extra columns, and in which order, follows the order of the paths below
-- the parent ('p.kids' needs id, 'p.q' needs qu, qt).  A cache entry made
-- for one order was served to the other: wrong key types, a crash.
CREATE TABLE q (u uuid, t text, PRIMARY KEY (u, t));
CREATE TABLE parents (id bigint PRIMARY KEY, qu uuid, qt text, CONSTRAINT q FOREIGN KEY (qu, qt) REFERENCES q);
CREATE TABLE kids (id int PRIMARY KEY, parent_id bigint REFERENCES parents);
CREATE TABLE src (id int PRIMARY KEY, p_id bigint REFERENCES parents);
INSERT INTO q SELECT ('00000000-0000-0000-0000-00000000000' || g)::uuid, 't' || g FROM generate_series(1, 4) g;
INSERT INTO parents SELECT g, ('00000000-0000-0000-0000-00000000000' || g)::uuid, 't' || g FROM generate_series(1, 4) g;
INSERT INTO kids SELECT g, 1 + g % 4 FROM generate_series(1, 8) g;
INSERT INTO src SELECT g, g FROM generate_series(1, 4) g;

-- the documents of one load, in order, as text
CREATE FUNCTION docs(keys int[], VARIADIC paths text[]) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(d::text, E'\n' ORDER BY o)
    FROM matrx_relations.prefetch_related('ftap.src', keys, VARIADIC paths) WITH ORDINALITY f(d, o)
$$;

-- loads with the paths in one order, then (cached) in the other, with a key more
CREATE FUNCTION reordered() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    first text := docs(ARRAY[1, 2], 'p.kids', 'p.q');
BEGIN
    RETURN first || E'\n--\n' || docs(ARRAY[1, 2, 3], 'p.q', 'p.kids');
END $$;

-- fresh loads first (a write in between empties the cache)
CREATE TEMP TABLE fresh AS
    SELECT docs(ARRAY[1, 2], 'p.kids', 'p.q') || E'\n--\n' || docs(ARRAY[1, 2, 3], 'p.q', 'p.kids') AS v;
SELECT is(reordered(), (SELECT v FROM fresh),
          'cached parent rows served to paths in another order equal a fresh load');
SELECT ok((SELECT cache_hits > 0 FROM matrx_relations.stats()), 'the second load was served from the cache');

-- 3, 4: fetch_related_array served from the cache.  construct_md_array
-- detoasts short varlenas in place, so given the cache's own array it
-- wrote pointers into the call's memory there: the third load read freed
-- memory.
CREATE FUNCTION arrays(keys bigint[]) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(source_key || ' ' || related::text, ', ' ORDER BY source_key)
    FROM matrx_relations.fetch_related_array(NULL::ftap.kids, 'ftap.parents', 'kids', keys)
$$;

CREATE FUNCTION thrice() RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    out text[] := '{}';
BEGIN
    FOR i IN 1..3 LOOP
        out := out || arrays(ARRAY[1, 2, 3, 4]);
        -- other work in between reuses the memory a previous call freed
        PERFORM string_agg(md5(g::text), '') FROM generate_series(1, 200) g;
    END LOOP;
    RETURN out;
END $$;

CREATE TEMP TABLE fresh_arrays AS SELECT arrays(ARRAY[1, 2, 3, 4]) AS v;
SELECT is(thrice(), (SELECT ARRAY[v, v, v] FROM fresh_arrays),
          'fetch_related_array from the cache, three times, equals a fresh load');
SELECT is(arrays(ARRAY[1, 2]), '1 {"(4,1)","(8,1)"}, 2 {"(1,2)","(5,2)"}', 'fetch_related_array rows');

SELECT * FROM finish();
ROLLBACK;
