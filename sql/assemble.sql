-- The documents are written directly in jsonb's binary layout (members
-- merged in key order, numerics and containers realigned, every 32nd
-- JEntry an offset).  Each one must be exactly what jsonb itself would
-- build: equal to its own text parsed again, of the same size, with every
-- key found by jsonb's binary search, and containing itself.
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA asm;
SET search_path = asm;
\set VERBOSITY terse

-- a wide parent (40 members: past the offset stride) of mixed value types
CREATE TABLE parents (id int PRIMARY KEY, n numeric, b boolean, z text, j jsonb, arr int[],
    x1 int, x2 int, x3 int, x4 int, x5 int, x6 int, x7 int, x8 int, x9 int, x10 int,
    x11 int, x12 int, x13 int, x14 int, x15 int, x16 int, x17 int, x18 int, x19 int, x20 int,
    x21 int, x22 int, x23 int, x24 int, x25 int, x26 int, x27 int, x28 int, x29 int, x30 int,
    a_very_long_column_name_that_sorts_last numeric);
CREATE TABLE children (id int PRIMARY KEY, parent_id int REFERENCES parents, v numeric, note text, flag boolean);
CREATE TABLE others (id int PRIMARY KEY, parent_id int REFERENCES parents, w numeric);
INSERT INTO parents SELECT g, g * 1.5, g % 2 = 0, NULL, jsonb_build_object('k', g, 'l', ARRAY[g, g + 0.25]),
    ARRAY[g, g], g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, g, -g / 3.0
    FROM generate_series(1, 3) g;
-- parent 1: 70 children (an array past the stride); parent 2: one; parent 3: none
INSERT INTO children SELECT g, CASE WHEN g <= 70 THEN 1 ELSE 2 END, g / 7.0,
    CASE WHEN g % 3 = 0 THEN NULL ELSE repeat('x', g % 11) END, g % 2 = 1
    FROM generate_series(1, 71) g;
INSERT INTO others SELECT g, 1 + g % 2, g * 10.01 FROM generate_series(1, 5) g;

CREATE FUNCTION check_doc(d jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT CASE
        WHEN d IS DISTINCT FROM d::text::jsonb THEN 'differs from its text'
        WHEN pg_column_size(d) <> pg_column_size(d::text::jsonb) THEN 'size differs'
        WHEN NOT d @> d::text::jsonb OR NOT d::text::jsonb @> d THEN 'containment fails'
        WHEN EXISTS (SELECT FROM jsonb_each(d::text::jsonb) e WHERE d -> e.key IS DISTINCT FROM e.value)
            THEN 'a key lookup fails'
        WHEN EXISTS (SELECT FROM jsonb_path_query(d, 'strict $.**') p
                     WHERE jsonb_typeof(p) = 'object' AND p IS DISTINCT FROM p::text::jsonb)
            THEN 'a nested object differs'
        ELSE 'ok' END
$$;

-- output keys shorter than, between and longer than the row's own keys
SELECT d ->> 'id' AS id, check_doc(d), jsonb_array_length(d -> 'c') AS c, jsonb_array_length(d -> 'others') AS others
FROM matrx_relations.prefetch_related('parents', ARRAY[1, 2, 3], 'c:children', 'others',
    'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz:children') d;
-- the member order is jsonb's: by length, then bytewise
SELECT string_agg(k, ' ') FROM jsonb_object_keys(
    (SELECT d FROM matrx_relations.prefetch_related('parents', ARRAY[2], 'c:children', 'others', 'aa:others') d)) k;
-- to-one values inside to-many arrays, and a nested array of numerics
SELECT check_doc(d), d -> 'kids' -> 0 -> 'parent' ->> 'n' AS n,
       d -> 'kids' -> 69 -> 'parent' -> 'j' -> 'l' AS l
FROM matrx_relations.prefetch_related('parents', ARRAY[1], 'kids:children.parent') d;
-- the instances form: members copied from the caller's objects, one key replaced
SELECT check_doc(e), jsonb_typeof(e -> 'others') AS others, e -> 'keep' AS keep
FROM jsonb_array_elements(matrx_relations.prefetch_related('parents',
    '[{"id": 2, "others": "stale", "keep": [1.5, {"a": 2.25}], "n": 0.1},
      {"id": 1, "b": true, "n": null}]'::jsonb, 'others')) e;
-- prefetch_batch writes arrays of arrays the same way
SELECT check_doc(jsonb_build_object('r', matrx_relations.prefetch_batch(
    '[{"source": "asm.parents", "keys": [1, 3], "relations": ["children", "others"]},
      {"source": "asm.children", "keys": [1, 70, 71], "relations": ["parent.others"]}]')));

DROP SCHEMA asm CASCADE;
