-- model_errors.sql: SQLSTATEs of registered relations' options and of published
-- relation sets; ownership; a failed publish leaves the set as it was.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(29);

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

-- polymorphic arms' "reverse"
CREATE FUNCTION arm(name text, type_column text, type_value text, reverse jsonb) RETURNS void LANGUAGE sql AS $$
    SELECT matrx_relations.register_relation('mtap.comment', name, 'mtap.post', '{object_id}', '{id}',
        options => jsonb_build_object('cast', 'integer', 'polymorphic',
            jsonb_build_object('name', 'on', 'type_column', type_column, 'type_value', type_value, 'reverse', reverse))) $$;
SELECT throws_ok($$SELECT arm('on_post', 'kind', 'post', '1')$$, '22023',
    'option "polymorphic" of registered relation "on_post" needs a non-empty string "reverse"', 'a reverse that is no string: 22023');
SELECT throws_ok($$SELECT arm('on_post', 'kind', 'post', '""')$$, '22023', NULL, 'an empty reverse: 22023');
SELECT throws_ok($$SELECT arm('on_post', 'kind', 'post', '"title"')$$, '42701',
    'reverse relation name "title" is also a column of mtap.post', 'a reverse named like a column of the target: 42701');
SELECT throws_ok($$SELECT arm('on_post', 'kind', 'post', '"comments"')$$, '42710',
    'relation "comments" is already registered for mtap.post', 'a reverse named like a registered relation of the target: 42710');
SELECT throws_ok($$SELECT arm('on_post', 'stars', 'x', '"starred"')$$, '22P02', NULL,
    'a type value the type column rejects, with a reverse: 22P02');
SELECT lives_ok($$SELECT arm('on_post', 'kind', 'post', '"notes"')$$, 'an arm with a reverse registers');
SELECT throws_ok($$SELECT matrx_relations.register_relation('post', 'notes', 'comment', '{id}', '{object_id}', options => '{"cast": "text"}')$$,
    '42710', NULL, 'registering a name a reverse has: 42710');
SELECT throws_ok($$SELECT matrx_relations.publish_relations('arms', '[
    {"source": "mtap.comment", "name": "a1", "target": "mtap.post", "source_columns": ["object_id"], "target_columns": ["id"],
     "cast": "integer", "polymorphic": {"name": "on2", "type_column": "kind", "type_value": "post", "reverse": "twice"}},
    {"source": "mtap.comment", "name": "a2", "target": "mtap.post", "source_columns": ["object_id"], "target_columns": ["id"],
     "cast": "integer", "polymorphic": {"name": "on2", "type_column": "kind", "type_value": "article", "reverse": "twice"}}]')$$,
    '42710', 'relation set "arms" names relation "twice" of mtap.post twice', 'two reverses of one name on one table in a set: 42710');

-- only the owner of every source
CREATE ROLE mtap_other;
GRANT USAGE ON SCHEMA mtap TO mtap_other;
GRANT SELECT ON ALL TABLES IN SCHEMA mtap TO mtap_other;
GRANT CREATE ON SCHEMA mtap TO mtap_other;
SET LOCAL ROLE mtap_other;
SELECT throws_ok($$SELECT matrx_relations.publish_relations('mine', '[{"source": "mtap.post", "name": "mine",
    "target": "mtap.comment", "source_columns": ["id"], "target_columns": ["object_id"], "cast": "text"}]')$$,
    '42501', NULL, 'publishing relations of a table one does not own: 42501');
SELECT throws_ok($$SELECT matrx_relations.unpublish_relations('orm')$$,
    '42501', NULL, 'unpublishing relations of a table one does not own: 42501');
CREATE TABLE mtap.mine (id int PRIMARY KEY, kind text, ref varchar);
SELECT lives_ok($$SELECT matrx_relations.register_relation('mtap.mine', 'on_post', 'mtap.post', '{ref}', '{id}', options =>
    '{"cast": "integer", "polymorphic": {"name": "on", "type_column": "kind", "type_value": "post"}}')$$,
    'an arm to a table one does not own registers');
SELECT throws_ok($$SELECT matrx_relations.register_relation('mtap.mine', 'on_post2', 'mtap.post', '{ref}', '{id}', options =>
    '{"cast": "integer", "polymorphic": {"name": "on2", "type_column": "kind", "type_value": "post", "reverse": "mine"}}')$$,
    '42501', NULL, 'its reverse, a relation of a table one does not own: 42501');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
