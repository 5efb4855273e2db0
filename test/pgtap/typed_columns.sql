-- typed_columns.sql: load's records are formed by the loader from the
-- statement's columns (not a whole-row value): tables with dropped
-- columns, a column added with a default (a "missing" attribute), values
-- stored out of line (TOAST) and a spec's "columns" must give the same
-- records as the table's own row values.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION matrx_relations;

SELECT plan(6);

CREATE SCHEMA tcol;
SET LOCAL search_path = tcol, public;
SET LOCAL client_min_messages = warning;

CREATE TABLE dp (id int PRIMARY KEY, a text, b text, c int);
CREATE TABLE dc (id int PRIMARY KEY, p int REFERENCES dp, x text, y text, z numeric);
INSERT INTO dp SELECT g, 'a' || g, repeat('b', 3000) || g, g FROM generate_series(1, 5) g;
INSERT INTO dc SELECT g, 1 + g % 5, 'x' || g, repeat(md5(g::text), 400), g FROM generate_series(1, 20) g;
ALTER TABLE dp DROP COLUMN b;
ALTER TABLE dc DROP COLUMN x;
ALTER TABLE dc ADD COLUMN w text DEFAULT 'w';
INSERT INTO dc (id, p, y, z) VALUES (21, 2, 'short', 21);

SELECT is(
    (SELECT array_agg(r::text ORDER BY r::text) FROM matrx_relations.load('dp', ARRAY[1, 2], 'dc') WHERE node = 1),
    (SELECT array_agg(d::text ORDER BY d::text) FROM dc d WHERE p IN (1, 2)),
    'children with a dropped column, a missing attribute and TOASTed values: the table''s own rows');

SELECT is(
    (SELECT array_agg(r::text ORDER BY r::text) FROM matrx_relations.load('dp', ARRAY[1, 2, 3], 'dc') WHERE node = 0),
    (SELECT array_agg(d::text ORDER BY d::text) FROM dp d WHERE id IN (1, 2, 3)),
    'source rows with a dropped column: the table''s own rows');

SELECT is(
    (SELECT array_agg(r::text ORDER BY r::text) FROM matrx_relations.load('dc', ARRAY[3, 8, 21], 'parent:dc_p_fkey') WHERE node = 1 AND r::text IS NOT NULL),
    (SELECT array_agg(d::text ORDER BY d::text) FROM dp d WHERE id IN (SELECT p FROM dc WHERE id IN (3, 8, 21))),
    'an fk to a table with a dropped column');

SELECT is(
    (SELECT array_agg(r::text ORDER BY r::text)
       FROM matrx_relations.load('dp', ARRAY[1, 2], '{"dc": {"columns": ["id", "w", "y"]}}'::jsonb) WHERE node = 1),
    (SELECT array_agg(ROW(d.id, d.w, d.y)::text ORDER BY ROW(d.id, d.w, d.y)::text) FROM dc d WHERE p IN (1, 2)),
    'spec columns: the named columns only, in the order named');

SELECT is(
    (SELECT count(*)::int FROM matrx_relations.load('dp', ARRAY[2], 'dc') l
      WHERE node = 1 AND length((l.r::text)) > 12000),
    (SELECT count(*)::int FROM dc WHERE p = 2 AND length(y) > 12000),
    'out-of-line values arrive whole');

-- Seen 2026-12-06, not yet understood: in this transaction (tables made
-- and altered in it), a WHERE of "r IS NOT NULL" drops rows whose
-- projected "r IS NOT NULL" is true; outside it, the same query keeps them.
SELECT todo_start('r IS NOT NULL as a filter on load''s records in the transaction that altered the table');
SELECT is(
    (SELECT count(*)::int FROM matrx_relations.load('dc', ARRAY[3, 8, 21], 'parent:dc_p_fkey') WHERE node = 1 AND r IS NOT NULL),
    2,
    'r IS NOT NULL as a filter keeps the records sent');
SELECT todo_end();

SELECT * FROM finish();
ROLLBACK;
