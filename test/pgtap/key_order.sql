-- key_order.sql: key arrays go into their statement sorted (integers by a
-- radix sort on the bytes that differ, uuid in byte order), which must
-- change nothing but the statement's cost: for smallint, integer, bigint
-- and uuid keys (300 of them, more than the radix sort's threshold,
-- negative and positive, the types' extremes, repeats, keys with no row),
-- every parent gets exactly its children (ifk, fk, m2m through a junction,
-- keys and typed forms), and the documents come in the caller's key order.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION matrx_relations;

SELECT plan(13);

CREATE SCHEMA ko;
SET LOCAL search_path = ko, public;
SET LOCAL client_min_messages = warning;

-- the caller's keys: scattered over each type's whole range, in no order
CREATE TABLE keys8 AS
    SELECT ord, v FROM (
        SELECT g AS ord, hashint8extended(g, 7) AS v FROM generate_series(1, 290) g
        UNION ALL SELECT 290 + i, x FROM unnest(ARRAY[-9223372036854775808, 9223372036854775807, -1, 0, 1,
                                                   255, 256, -256, 65536, 4294967296]::bigint[]) WITH ORDINALITY AS u(x, i)
        UNION ALL SELECT 301, 0) s;                               -- a repeat
CREATE TABLE keys4 AS SELECT ord, (v % 2147483648)::int AS v FROM keys8;
CREATE TABLE keys2 AS SELECT ord, (v % 32768)::smallint AS v FROM keys8;
CREATE TABLE keysu AS SELECT ord, md5(v::text)::uuid AS v FROM keys8;

-- parents for all keys but every tenth; two children for three in four
CREATE TABLE p8 (id bigint PRIMARY KEY, label text);
CREATE TABLE p4 (id int PRIMARY KEY, label text);
CREATE TABLE p2 (id smallint PRIMARY KEY, label text);
CREATE TABLE pu (id uuid PRIMARY KEY, label text);
INSERT INTO p8 SELECT DISTINCT v, 'p' || v FROM keys8 WHERE ord % 10 <> 0;
INSERT INTO p4 SELECT DISTINCT v, 'p' || v FROM keys4 WHERE ord % 10 <> 0 ON CONFLICT DO NOTHING;
INSERT INTO p2 SELECT DISTINCT v, 'p' || v FROM keys2 WHERE ord % 10 <> 0 ON CONFLICT DO NOTHING;
INSERT INTO pu SELECT DISTINCT v, 'p' || v FROM keysu WHERE ord % 10 <> 0;
CREATE TABLE c8 (id serial PRIMARY KEY, p8_id bigint REFERENCES p8);
CREATE TABLE c4 (id serial PRIMARY KEY, p4_id int REFERENCES p4);
CREATE TABLE c2 (id serial PRIMARY KEY, p2_id smallint REFERENCES p2);
CREATE TABLE cu (id serial PRIMARY KEY, pu_id uuid REFERENCES pu);
INSERT INTO c8 (p8_id) SELECT id FROM p8, generate_series(1, 2) WHERE hashint8(id) % 4 <> 0;
INSERT INTO c4 (p4_id) SELECT id FROM p4, generate_series(1, 2) WHERE hashint4(id) % 4 <> 0;
INSERT INTO c2 (p2_id) SELECT id FROM p2, generate_series(1, 2) WHERE hashint2(id) % 4 <> 0;
INSERT INTO cu (pu_id) SELECT id FROM pu, generate_series(1, 2) WHERE hashtext(id::text) % 4 <> 0;
-- m2m: p4 <-> tags through a junction keyed on the parent's integer key
CREATE TABLE tags (id int PRIMARY KEY, label text);
INSERT INTO tags SELECT g, 't' || g FROM generate_series(1, 20) g;
CREATE TABLE p4_tags (p4_id int REFERENCES p4, tag_id int REFERENCES tags, PRIMARY KEY (p4_id, tag_id));
INSERT INTO p4_tags SELECT id, 1 + abs(hashint8(id::bigint + t) % 20) FROM p4, generate_series(1, 3) t ON CONFLICT DO NOTHING;

-- each parent's children as (parent, sorted child ids), from the documents
CREATE FUNCTION pg_temp.children(src text, keys text, rel text, keytype text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT (d->>''id'') || '':'' || coalesce((SELECT string_agg(c->>''id'', '','' ORDER BY (c->>''id'')::int)
                                                  FROM jsonb_array_elements(d->%L) c), '''')
           FROM matrx_relations.prefetch_related(%L::regclass, (%s)::%s[], %L) d ORDER BY 1',
        rel, src, keys, keytype, rel);
END $$;
-- the same from plain SQL
CREATE FUNCTION pg_temp.children_sql(src text, keys text, child text, fk text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT p.id::text || '':'' || coalesce((SELECT string_agg(c.id::text, '','' ORDER BY c.id)
                                                 FROM %I c WHERE c.%I = p.id), '''')
           FROM %I p WHERE p.id IN (%s) ORDER BY 1',
        child, fk, src, keys);
END $$;

SELECT results_eq($$SELECT pg_temp.children('p8', 'SELECT array_agg(v ORDER BY ord) FROM keys8', 'c8', 'bigint')$$,
                  $$SELECT pg_temp.children_sql('p8', 'SELECT v FROM keys8', 'c8', 'p8_id')$$,
                  'bigint keys: every parent its own children');
SELECT results_eq($$SELECT pg_temp.children('p4', 'SELECT array_agg(v ORDER BY ord) FROM keys4', 'c4', 'int')$$,
                  $$SELECT pg_temp.children_sql('p4', 'SELECT v FROM keys4', 'c4', 'p4_id')$$,
                  'integer keys: every parent its own children');
SELECT results_eq($$SELECT pg_temp.children('p2', 'SELECT array_agg(v ORDER BY ord) FROM keys2', 'c2', 'smallint')$$,
                  $$SELECT pg_temp.children_sql('p2', 'SELECT v FROM keys2', 'c2', 'p2_id')$$,
                  'smallint keys: every parent its own children');
SELECT results_eq($$SELECT pg_temp.children('pu', 'SELECT array_agg(v ORDER BY ord) FROM keysu', 'cu', 'uuid')$$,
                  $$SELECT pg_temp.children_sql('pu', 'SELECT v FROM keysu', 'cu', 'pu_id')$$,
                  'uuid keys: every parent its own children');

-- the documents in the caller's order: first occurrence of each found key
CREATE FUNCTION pg_temp.doc_ids(src text, keys text, rel text, keytype text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE out text;
BEGIN
    EXECUTE format('SELECT array_agg(d->>''id'' ORDER BY o)::text
                      FROM matrx_relations.prefetch_related(%L::regclass,
                               (SELECT array_agg(v ORDER BY ord) FROM %I)::%s[], %L) WITH ORDINALITY AS x(d, o)',
                   src, keys, keytype, rel) INTO out;
    RETURN out;
END $$;
CREATE FUNCTION pg_temp.first_found(src text, keys text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE out text;
BEGIN
    EXECUTE format('SELECT array_agg(v::text ORDER BY first)::text
                      FROM (SELECT v, min(ord) AS first FROM %I WHERE v IN (SELECT id FROM %I) GROUP BY v) s',
                   keys, src) INTO out;
    RETURN out;
END $$;
SELECT is(pg_temp.doc_ids('p8', 'keys8', 'c8', 'bigint'), pg_temp.first_found('p8', 'keys8'),
          'bigint keys: documents in the caller''s key order');
SELECT is(pg_temp.doc_ids('p4', 'keys4', 'c4', 'int'), pg_temp.first_found('p4', 'keys4'),
          'integer keys: documents in the caller''s key order');
SELECT is(pg_temp.doc_ids('p2', 'keys2', 'c2', 'smallint'), pg_temp.first_found('p2', 'keys2'),
          'smallint keys: documents in the caller''s key order');
SELECT is(pg_temp.doc_ids('pu', 'keysu', 'cu', 'uuid'), pg_temp.first_found('pu', 'keysu'),
          'uuid keys: documents in the caller''s key order');

-- fk from the children back (keys of the second statement from rows, not the caller)
SELECT results_eq(
    $$SELECT (d->>'id')::int, (d->'p8'->>'id')::bigint
        FROM matrx_relations.prefetch_related('c8', (SELECT array_agg(id ORDER BY hashint4(id)) FROM c8), 'p8') d
       ORDER BY 1$$,
    $$SELECT id, p8_id FROM c8 ORDER BY 1$$,
    'fk: every child its parent (bigint)');
SELECT results_eq(
    $$SELECT (d->>'id')::int, (d->'pu'->>'label')
        FROM matrx_relations.prefetch_related('cu', (SELECT array_agg(id ORDER BY hashint4(id)) FROM cu), 'pu') d
       ORDER BY 1$$,
    $$SELECT c.id, p.label FROM cu c JOIN pu p ON p.id = c.pu_id ORDER BY 1$$,
    'fk: every child its parent (uuid)');

-- m2m through the junction
SELECT results_eq(
    $$SELECT (d->>'id')::int, (SELECT array_agg((t->>'id')::int ORDER BY (t->>'id')::int) FROM jsonb_array_elements(d->'tags') t)
        FROM matrx_relations.prefetch_related('p4', (SELECT array_agg(v ORDER BY ord) FROM keys4), 'tags') d
       ORDER BY 1$$,
    $$SELECT p.id, (SELECT array_agg(j.tag_id ORDER BY j.tag_id) FROM p4_tags j WHERE j.p4_id = p.id)
        FROM p4 p WHERE p.id IN (SELECT v FROM keys4) ORDER BY 1$$,
    'm2m: every parent its own tags');

-- the typed form: each parent's child rows, linked by id
SELECT results_eq(
    $$WITH l AS (SELECT * FROM matrx_relations.load('p8', (SELECT array_agg(v ORDER BY ord) FROM keys8), 'c8'))
      SELECT (p.r::text::p8).id, (c.r::text::c8).id
        FROM l c JOIN l p ON p.node = 0 AND p.id = c.parent WHERE c.node = 1 ORDER BY 1, 2$$,
    $$SELECT p.id, c.id FROM p8 p JOIN c8 c ON c.p8_id = p.id WHERE p.id IN (SELECT v FROM keys8) ORDER BY 1, 2$$,
    'typed load: every child row linked to its own parent');
SELECT is((SELECT count(*) FROM matrx_relations.load('p8', (SELECT array_agg(v ORDER BY ord) FROM keys8), 'c8')
            WHERE node = 0),
          (SELECT count(*) FROM p8 WHERE id IN (SELECT v FROM keys8)),
          'typed load: one root row per found key');

SELECT * FROM finish();
ROLLBACK;
