-- polymorphic.sql: SQLSTATEs of polymorphic relations' registrations and of
-- the loaders that cannot load them.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(18);

CREATE SCHEMA ptap;
SET LOCAL search_path = ptap, public;
CREATE TABLE post (id int PRIMARY KEY, title text);
CREATE TABLE comment (id int PRIMARY KEY, kind text, object_id varchar(20), stars int);
INSERT INTO post VALUES (1, 'one');
INSERT INTO comment VALUES (1, 'post', '1', 3), (2, 'photo', 'x', 4);

CREATE FUNCTION reg(name text, target regclass, tcols name[], options jsonb) RETURNS void
LANGUAGE sql AS $$
    SELECT matrx_relations.register_relation('ptap.comment', name, target, '{object_id}', tcols,
        options => options) $$;

SELECT throws_ok($$ SELECT reg('x', 'post', '{id}', '{"cast": ["integer"], "polymorphic": "on"}') $$,
    '22023', 'option "polymorphic" of registered relation "x" must be an object', 'a "polymorphic" option that is no object is 22023');
SELECT throws_ok($$ SELECT reg('x', 'post', '{id}', '{"cast": ["integer"], "polymorphic": {"name": "on", "type_column": "kind"}}') $$,
    '22023', 'option "polymorphic" of registered relation "x" needs a non-empty string "type_value"', 'a "polymorphic" option without type_value is 22023');
SELECT throws_ok($$ SELECT reg('x', 'post', '{id}', '{"cast": ["integer"], "polymorphic": {"name": "", "type_column": "kind", "type_value": "post"}}') $$,
    '22023', 'option "polymorphic" of registered relation "x" needs a non-empty string "name"', 'an empty polymorphic name is 22023');
SELECT throws_ok($$ SELECT reg('x', 'post', '{id}', '{"cast": ["integer"], "polymorphic": {"name": "on", "type_column": "kind", "type_value": 1}}') $$,
    '22023', 'option "polymorphic" of registered relation "x" needs a non-empty string "type_value"', 'a type value that is no string is 22023');
SELECT throws_ok($$ SELECT reg('x', 'post', '{id}', '{"cast": ["integer"], "polymorphic": {"name": "on", "type_column": "kind", "type_value": "post", "extra": "y"}}') $$,
    '22023', 'option "polymorphic" of registered relation "x" has an unknown key', 'an unknown key of "polymorphic" is 22023');
SELECT throws_ok($$ SELECT reg('x', 'post', '{id}', '{"cast": ["integer"], "polymorphic": {"name": "on", "type_column": "nope", "type_value": "post"}}') $$,
    '42703', NULL, 'a type column that does not exist is 42703');
SELECT throws_ok($$ SELECT reg('x', 'post', '{id}', '{"cast": ["integer"], "polymorphic": {"name": "stars", "type_column": "kind", "type_value": "post"}}') $$,
    '42701', NULL, 'a polymorphic name equal to a column of the source is 42701');
SELECT throws_ok($$ SELECT reg('x', 'post', '{title}', '{"polymorphic": {"name": "on", "type_column": "kind", "type_value": "post"}}') $$,
    '22023', 'polymorphic relation "x" must be an fk', 'an arm that is no fk (not the target''s key) is 22023');
SELECT lives_ok($$ SELECT reg('on_post', 'post', '{id}', '{"cast": ["integer"], "polymorphic": {"name": "on", "type_column": "kind", "type_value": "post"}}') $$,
    'an arm registers');
SELECT lives_ok($$ SELECT * FROM matrx_relations.select_related('ptap.comment', ARRAY[1], 'on') $$,
    'select_related loads a polymorphic relation');
SELECT is((SELECT array_agg(node::text || ':' || parent::text ORDER BY node)
           FROM matrx_relations.load('ptap.comment', ARRAY[1, 2], 'on') WHERE node > 0),
    '{1:1}', 'the typed load of a polymorphic relation links a parent under the arm of its type');
SELECT is((SELECT array_agg(name || '/' || relation || '/' || target::text ORDER BY node)
           FROM matrx_relations.load_nodes('ptap.comment', 'on') WHERE node > 0),
    '{on/on_post/post}', 'load_nodes lists an arm as a node under the polymorphic name');
SELECT throws_ok($$ SELECT * FROM matrx_relations.load_batch('[{"source": "ptap.comment", "keys": [1], "relations": ["on.nope"]}]') $$,
    '42704', NULL, 'a path below a polymorphic relation naming what no arm has is 42704 (load_batch)');
SELECT throws_ok($$ SELECT * FROM matrx_relations.prefetch_related('ptap.comment', ARRAY[1], '{"on": {"arms": {"on_photo": {}}}}'::jsonb) $$,
    '22023', NULL, 'a spec''s "arms" naming no arm of the polymorphic relation is 22023');
SELECT throws_ok($$ SELECT * FROM matrx_relations.prefetch_related('ptap.comment', ARRAY[1], '{"on": {"columns": ["nope"]}}'::jsonb) $$,
    '42703', NULL, 'a spec column an arm''s table lacks is 42703');
SELECT throws_ok($$ SELECT * FROM matrx_relations.prefetch_related('ptap.comment', ARRAY[1], '{"on": {"limit": 1}}'::jsonb) $$,
    '22023', NULL, 'a limit on a polymorphic relation (to one) is 22023');
SELECT throws_ok($$ SELECT * FROM matrx_relations.prefetch_related('ptap.comment', ARRAY[1], 'on.comments') $$,
    '42704', NULL, 'a path below a polymorphic relation naming what no arm has is 42704');
SELECT throws_ok($$ SELECT * FROM matrx_relations.prefetch_related('ptap.comment', ARRAY[1], 'on.title:comments') $$,
    '42701', NULL, 'an output key below an arm equal to a column of its target is 42701');

SELECT * FROM finish();
ROLLBACK;
