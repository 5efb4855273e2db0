-- polymorphic.sql: polymorphic relations on Citus.  select_related's one
-- statement joins each arm (a reference table joined in, a distributed
-- table not co-located with the source read apart) and gives
-- prefetch_related's documents; an arm's reverse loads from a reference
-- table into a distributed one, in both loaders.
SET client_min_messages = error;
SELECT plan(6);

CREATE SCHEMA pc;
CREATE TABLE pc.posts (id int PRIMARY KEY, title text);
CREATE TABLE pc.photos (id int PRIMARY KEY, url text);
CREATE TABLE pc.comments (id int PRIMARY KEY, body text, commentable_type varchar(50), commentable_id varchar(50));
SELECT create_reference_table('pc.posts');
SELECT create_distributed_table('pc.photos', 'id');
SELECT create_distributed_table('pc.comments', 'id');
INSERT INTO pc.posts VALUES (1, 'p1'), (2, 'p2');
INSERT INTO pc.photos VALUES (1, 'ph1'), (2, 'ph2');
INSERT INTO pc.comments VALUES (1, 'c1', 'Post', '1'), (2, 'c2', 'Photo', '1'), (3, 'c3', 'Post', '2'),
    (4, 'c4', 'Link', 'abc'), (5, 'c5', 'Video', '7'), (6, 'c6', 'Post', '99'), (7, 'c7', NULL, NULL),
    (8, 'c8', 'Photo', '2');
SELECT matrx_relations.register_relation('pc.comments', 'commentable_post', 'pc.posts',
    '{commentable_id}', '{id}', options => '{"cast": ["integer"],
     "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Post", "reverse": "comments"}}');
SELECT matrx_relations.register_relation('pc.comments', 'commentable_photo', 'pc.photos',
    '{commentable_id}', '{id}', options => '{"cast": ["integer"],
     "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Photo", "reverse": "comments"}}');

CREATE FUNCTION pg_temp.docs(loader text, src regclass, keys int[], path text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE result jsonb;
BEGIN
    EXECUTE format('SELECT jsonb_agg(d) FROM matrx_relations.%I($1, $2, $3) d', loader) USING src, keys, path INTO result;
    RETURN result;
END $$;

SELECT is(pg_temp.docs('select_related', 'pc.comments', ARRAY[8, 7, 6, 5, 4, 3, 2, 1], 'commentable'),
          pg_temp.docs('prefetch_related', 'pc.comments', ARRAY[8, 7, 6, 5, 4, 3, 2, 1], 'commentable'),
          'select_related of a polymorphic relation: prefetch_related''s documents');
SELECT is(pg_temp.docs('select_related', 'pc.comments', ARRAY[2], 'commentable') -> 0 -> 'commentable',
          '{"id": 1, "url": "ph1", "__table": "pc.photos"}'::jsonb, 'a photo, read apart, marked with its table');
SELECT is(pg_temp.docs('select_related', 'pc.comments', ARRAY[1], 'commentable') -> 0 -> 'commentable',
          '{"id": 1, "title": "p1", "__table": "pc.posts"}'::jsonb, 'a post, from the reference table');
SELECT is(pg_temp.docs('prefetch_related', 'pc.posts', ARRAY[1, 2], 'comments'),
          '[{"id": 1, "title": "p1", "comments": [{"id": 1, "body": "c1", "commentable_id": "1", "commentable_type": "Post"}]},
            {"id": 2, "title": "p2", "comments": [{"id": 3, "body": "c3", "commentable_id": "2", "commentable_type": "Post"}]}]'::jsonb,
          'the reverse of an arm: posts.comments of type Post');
SELECT is(pg_temp.docs('select_related', 'pc.posts', ARRAY[1, 2], 'comments'),
          pg_temp.docs('prefetch_related', 'pc.posts', ARRAY[1, 2], 'comments'), 'the reverse in select_related');
SELECT is(pg_temp.docs('select_related', 'pc.photos', ARRAY[2, 1], 'comments'),
          pg_temp.docs('prefetch_related', 'pc.photos', ARRAY[2, 1], 'comments'), 'the reverse of a distributed table');

SELECT * FROM finish();
