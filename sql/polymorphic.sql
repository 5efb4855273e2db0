-- Polymorphic to-one relations (Rails polymorphic belongs_to, Django
-- GenericForeignKey): registered fk arms with the option "polymorphic",
-- loaded under one name, compared with plain SQL; statement counts.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
RESET client_min_messages;
CREATE SCHEMA poly;
SET search_path = poly;

CREATE TABLE posts (id int PRIMARY KEY, title text);
CREATE TABLE photos (id int PRIMARY KEY, url text);
CREATE TABLE links (slug text PRIMARY KEY, href text);
-- Rails' shape: a varchar type and a varchar id
CREATE TABLE comments (id int PRIMARY KEY, body text,
    commentable_type varchar(50), commentable_id varchar(50));
INSERT INTO posts VALUES (1, 'p1'), (2, 'p2');
INSERT INTO photos VALUES (1, 'ph1'), (2, 'ph2');
INSERT INTO links VALUES ('abc', 'https://a');
INSERT INTO comments VALUES
    (1, 'c1', 'Post', '1'), (2, 'c2', 'Photo', '1'), (3, 'c3', 'Post', '2'),
    (4, 'c4', 'Link', 'abc'),      -- a text key: never cast to integer
    (5, 'c5', 'Video', '7'),       -- a type value not in the mapping: null
    (6, 'c6', 'Post', '99'),       -- a dangling id: null
    (7, 'c7', NULL, NULL),
    (8, 'c8', 'Photo', '2'), (9, 'c9', 'Article', '2');

-- the arms: one fk per type value, the varchar id cast to the target's key
SELECT matrx_relations.register_relation('comments', 'commentable_post', 'posts',
    '{commentable_id}', '{id}', options => '{"cast": ["integer"],
     "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Post"}}');
SELECT matrx_relations.register_relation('comments', 'commentable_photo', 'photos',
    '{commentable_id}', '{id}', options => '{"cast": ["integer"],
     "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Photo"}}');
SELECT matrx_relations.register_relation('comments', 'commentable_link', 'links',
    '{commentable_id}', '{slug}', options =>
    '{"polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Link"}}');
-- two type values to one table (an STI subclass): one statement for both
SELECT matrx_relations.register_relation('comments', 'commentable_article', 'posts',
    '{commentable_id}', '{id}', options => '{"cast": ["integer"],
     "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Article"}}');
SELECT name, kind, target, options->'polymorphic'->>'type_value' AS type_value
FROM matrx_relations.relations WHERE source = 'comments'::regclass ORDER BY name;

-- what plain SQL gives: the target chosen by the type, marked with its table
CREATE VIEW naive AS
SELECT c.id, to_jsonb(c) || jsonb_build_object('commentable', CASE c.commentable_type
    WHEN 'Post' THEN (SELECT to_jsonb(p) || '{"__table": "poly.posts"}' FROM posts p WHERE p.id::text = c.commentable_id)
    WHEN 'Article' THEN (SELECT to_jsonb(p) || '{"__table": "poly.posts"}' FROM posts p WHERE p.id::text = c.commentable_id)
    WHEN 'Photo' THEN (SELECT to_jsonb(p) || '{"__table": "poly.photos"}' FROM photos p WHERE p.id::text = c.commentable_id)
    WHEN 'Link' THEN (SELECT to_jsonb(l) || '{"__table": "poly.links"}' FROM links l WHERE l.slug = c.commentable_id)
    END) AS d
FROM comments c;

SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9], 'commentable');
-- keys form: the same documents as plain SQL, in key order
SELECT array_agg(d) = (SELECT array_agg(d ORDER BY id) FROM naive) AS keys_form_equal
FROM matrx_relations.prefetch_related('comments', ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9], 'commentable') d;
-- instances form
SELECT matrx_relations.prefetch_related('comments',
           (SELECT jsonb_agg(to_jsonb(c) ORDER BY id DESC) FROM comments c), 'commentable')
     = (SELECT jsonb_agg(d ORDER BY id DESC) FROM naive) AS instances_form_equal;
-- prefetch_batch
SELECT matrx_relations.prefetch_batch('[{"source": "poly.comments", "keys": [2, 4], "relations": ["commentable"]},
                                        {"source": "poly.comments", "keys": [1, 5], "relations": ["c:commentable"]}]');
-- an alias, a name given twice, next to other relations
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1, 2], 'on:commentable', 'on:commentable', 'commentable_post');
-- an arm on its own: an fk that only rows of its type follow
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1, 2, 9], 'commentable_post');

-- statements: the source rows, then one per target table (posts for Post
-- and Article, photos, links), for 1 key as for all
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('comments', ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9], 'commentable');
SELECT sum(calls) AS statements FROM public.pg_stat_statements WHERE NOT toplevel;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('comments', ARRAY[1], 'commentable');
SELECT sum(calls) AS statements FROM public.pg_stat_statements WHERE NOT toplevel;
-- only Photo rows: no key for the others, no statement
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('comments', ARRAY[2, 8], 'commentable');
SELECT sum(calls) AS statements FROM public.pg_stat_statements WHERE NOT toplevel;
SELECT * FROM matrx_relations.explain_related('comments', 'commentable');

-- a marker key of the ORM's own (GraphQL's __typename)
SELECT matrx_relations.register_relation('comments', 'target_post', 'posts',
    '{commentable_id}', '{id}', options => '{"cast": ["integer"],
     "polymorphic": {"name": "target", "type_column": "commentable_type", "type_value": "Post", "marker": "__typename"}}');
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1, 2], 'target');

-- the loaders that cannot apply the type filter: 0A000
\set VERBOSITY terse
SELECT * FROM matrx_relations.load('comments', ARRAY[1], 'commentable');
SELECT * FROM matrx_relations.fetch_related(NULL::posts, 'comments', 'commentable_post', ARRAY[1]);
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1], '{"commentable": {}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1], 'commentable.comments');
\set VERBOSITY default
DROP SCHEMA poly CASCADE;
