-- model_errors.sql: SQLSTATEs of registered relations' options and of published
-- relation sets; ownership; a failed publish leaves the set as it was.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(19);

CREATE SCHEMA mtap;
SET LOCAL search_path = mtap, public;
CREATE TABLE post (id int PRIMARY KEY, title text);
CREATE TABLE comment (id int PRIMARY KEY, kind text, object_id varchar(20), stars int);
CREATE TABLE geo (id int PRIMARY KEY, p point);
INSERT INTO post VALUES (1, 'one');
INSERT INTO comment VALUES (1, 'post', '1', 3), (2, 'post', '1', 4);

CREATE FUNCTION reg(options jsonb) RETURNS void LANGUAGE sql AS $$
    SELECT matrx_relations.register_relation('mtap.post', 'c', 'mtap.comment', '{id}', '{object_id}',
        options => options) $$;

SELECT throws_ok($$SELECT matrx_relations.register_relation('post', 'c', 'comment', '{id}', '{object_id}')$$,
    '42804', NULL, 'integer and varchar without a cast: 42804');
SELECT throws_ok($$SELECT reg('{"cast": "nosuchtype"}')$$, '42704', NULL, 'a cast to no type: 42704');
SELECT throws_ok($$SELECT reg('{"cast": "uuid"}')$$, '42846', NULL, 'a cast that does not exist: 42846');
SELECT throws_ok($$SELECT matrx_relations.register_relation('geo', 'g', 'geo', '{p}', '{p}', options => '{"cast": "point"}')$$,
    '42883', NULL, 'a cast type without equality: 42883');
SELECT throws_ok($$SELECT reg('{"cast": "anyelement"}')$$, '42809', NULL, 'a pseudo-type: 42809');
SELECT throws_ok($$SELECT reg('{"cast": "text", "where": {"nope": 1}}')$$, '42703', NULL, 'a filter on a missing column: 42703');
SELECT throws_ok($$SELECT reg('{"cast": "text", "order_by": ["nope desc"]}')$$, '42703', NULL, 'an order on a missing column: 42703');
SELECT throws_ok($$SELECT reg('{"cast": "text", "columns": ["nope"]}')$$, '42703', NULL, 'a missing output column: 42703');
SELECT throws_ok($$SELECT reg('{"cast": "text", "where": {"stars": {"near": 1}}}')$$, '22023', NULL, 'an unknown operator: 22023');
SELECT throws_ok($$SELECT reg('{"cast": "text", "where": {"stars": "x"}}')$$, '22P02', NULL, 'a value the column rejects: 22P02');
SELECT throws_ok($$SELECT reg('{"cast": "text", "limit": 3}')$$, '22023', NULL, 'an unknown option: 22023');
SELECT throws_ok($$SELECT reg('[1]')$$, '22023', NULL, 'options not an object: 22023');

-- publish_relations
SELECT lives_ok($$SELECT matrx_relations.publish_relations('orm', '[{"source": "mtap.post", "name": "comments",
    "target": "mtap.comment", "source_columns": ["id"], "target_columns": ["object_id"], "cast": "text",
    "where": {"kind": "post"}, "order_by": ["stars desc"]}]')$$, 'a set publishes');
SELECT throws_ok($$SELECT matrx_relations.publish_relations('orm', '[{"source": "mtap.post", "name": "x",
    "target": "mtap.comment", "source_columns": ["id"], "target_columns": ["object_id"], "cast": "text"},
    {"source": "mtap.post", "name": "x", "target": "mtap.comment", "source_columns": ["id"],
     "target_columns": ["object_id"], "cast": "text"}]')$$, '42710', NULL, 'a name twice in a set: 42710');
SELECT throws_ok($$SELECT matrx_relations.publish_relations('other', '[{"source": "mtap.post", "name": "comments",
    "target": "mtap.comment", "source_columns": ["id"], "target_columns": ["object_id"], "cast": "text"}]')$$,
    '42710', NULL, 'a name another set has: 42710');
SELECT throws_ok($$SELECT matrx_relations.publish_relations('orm', '[{"source": "mtap.post", "name": "x",
    "target": "mtap.nosuch", "source_columns": ["id"], "target_columns": ["id"]}]')$$,
    '42P01', NULL, 'a missing table: 42P01');
SELECT is((SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('post', ARRAY[1], 'comments') d),
    '[{"id": 1, "title": "one", "comments": [{"id": 2, "kind": "post", "stars": 4, "object_id": "1"},
      {"id": 1, "kind": "post", "stars": 3, "object_id": "1"}]}]'::jsonb,
    'a failed publish leaves the set as it was');

-- only the owner of every source
CREATE ROLE mtap_other;
GRANT USAGE ON SCHEMA mtap TO mtap_other;
GRANT SELECT ON ALL TABLES IN SCHEMA mtap TO mtap_other;
SET LOCAL ROLE mtap_other;
SELECT throws_ok($$SELECT matrx_relations.publish_relations('mine', '[{"source": "mtap.post", "name": "mine",
    "target": "mtap.comment", "source_columns": ["id"], "target_columns": ["object_id"], "cast": "text"}]')$$,
    '42501', NULL, 'publishing relations of a table one does not own: 42501');
SELECT throws_ok($$SELECT matrx_relations.unpublish_relations('orm')$$,
    '42501', NULL, 'unpublishing relations of a table one does not own: 42501');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
