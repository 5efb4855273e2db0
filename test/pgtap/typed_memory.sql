-- typed_memory.sql: load's memory kept between calls (rowset.c's pool of
-- row blocks, typed.c's results context) is given back and reused only
-- when no result still lives in it: results of one query read together, a
-- cursor read around another call, an error in the middle of a call's
-- result, a work_mem small enough that the results' memory is given back
-- after each query, row sets large enough to take kept blocks (over 1 MB)
-- reused by later calls with other rows; each compared with plain SQL.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION matrx_relations;

SELECT plan(8);

CREATE SCHEMA tm;
SET LOCAL search_path = tm, public;
SET LOCAL client_min_messages = warning;

CREATE TABLE parent (id int PRIMARY KEY, name text);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent, pad text);
CREATE INDEX ON child (parent_id);
INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, 400) g;
-- about 3 MB of child rows: the row set takes kept blocks
INSERT INTO child SELECT g, 1 + g % 400, repeat(chr(97 + g % 26), 100) FROM generate_series(1, 24000) g;
ANALYZE parent, child;

-- the children of parents lo..hi as load sends them, and as plain SQL has them
CREATE FUNCTION pg_temp.loaded(lo int, hi int) RETURNS text LANGUAGE sql AS $$
    SELECT md5(string_agg(r::text, ',' ORDER BY r::text))
    FROM matrx_relations.load('tm.parent', ARRAY(SELECT generate_series(lo, hi)), 'child')
    WHERE node = 1 AND to_jsonb(r) IS NOT NULL $$;
CREATE FUNCTION pg_temp.plain(lo int, hi int) RETURNS text LANGUAGE sql AS $$
    SELECT md5(string_agg(c::text, ',' ORDER BY c::text)) FROM tm.child c
    WHERE parent_id BETWEEN lo AND hi $$;

-- read a cursor over one load, with another whole load between its fetches
CREATE FUNCTION pg_temp.cursor_around_load() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    c refcursor;
    rec record;
    acc text[] := '{}';
    other text;
BEGIN
    OPEN c FOR SELECT node, r FROM matrx_relations.load('tm.parent', ARRAY(SELECT generate_series(1, 400)), 'child');
    FOR i IN 1 .. 100 LOOP
        FETCH c INTO rec;
        IF rec.node = 1 THEN
            acc := acc || rec.r::text;
        END IF;
    END LOOP;
    other := pg_temp.loaded(1, 200);
    LOOP
        FETCH c INTO rec;
        EXIT WHEN NOT FOUND;
        IF rec.node = 1 THEN
            acc := acc || rec.r::text;
        END IF;
    END LOOP;
    CLOSE c;
    RETURN md5(array_to_string(ARRAY(SELECT unnest(acc) ORDER BY 1), ','));
END $$;

SELECT is(pg_temp.loaded(1, 400), pg_temp.plain(1, 400), 'a load of 24,000 rows');
SELECT is(pg_temp.loaded(101, 150), pg_temp.plain(101, 150),
          'a smaller load with other rows after it (blocks reused)');
SELECT is((SELECT pg_temp.loaded(1, 400) || pg_temp.loaded(201, 300)),
          pg_temp.plain(1, 400) || pg_temp.plain(201, 300), 'two loads read in one query');
SELECT is(pg_temp.cursor_around_load(), pg_temp.plain(1, 400), 'a cursor read around another load');
SELECT throws_ok($$SELECT node, 1 / (id - 5) FROM matrx_relations.load('tm.parent', ARRAY(SELECT generate_series(1, 400)), 'child')$$,
                 '22012', NULL, 'an error while a result is read');
SELECT is(pg_temp.loaded(1, 400), pg_temp.plain(1, 400), 'a load after that error');

-- under a small work_mem the results' memory is given back after each query
SET LOCAL work_mem = '64kB';
SELECT is(pg_temp.cursor_around_load(), pg_temp.plain(1, 400),
          'a cursor read around another load, work_mem 64kB');
SELECT is(pg_temp.loaded(300, 400), pg_temp.plain(300, 400), 'a load after it, work_mem 64kB');

SELECT * FROM finish();
ROLLBACK;
