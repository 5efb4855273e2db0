-- Polymorphic relations in select_related: one statement, each arm a LEFT
-- JOIN with its type filter and key cast; the same documents as
-- prefetch_related (and as plain SQL), nested below other relations too.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
RESET client_min_messages;
CREATE SCHEMA polyj;
SET search_path = polyj;

CREATE TABLE posts (id int PRIMARY KEY, title text);
CREATE TABLE photos (id int PRIMARY KEY, url text);
CREATE TABLE links (slug text PRIMARY KEY, href text);
-- Rails' shape: a varchar type and a varchar id
CREATE TABLE comments (id int PRIMARY KEY, body text, post_id int REFERENCES posts,
    commentable_type varchar(50), commentable_id varchar(50));
INSERT INTO posts VALUES (1, 'p1'), (2, 'p2');
INSERT INTO photos VALUES (1, 'ph1'), (2, 'ph2');
INSERT INTO links VALUES ('abc', 'https://a');
INSERT INTO comments VALUES
    (1, 'c1', 1, 'Post', '1'), (2, 'c2', 1, 'Photo', '1'), (3, 'c3', 2, 'Post', '2'),
    (4, 'c4', 2, 'Link', 'abc'),      -- a text key: never cast to integer
    (5, 'c5', 1, 'Video', '7'),       -- a type value not in the mapping: null
    (6, 'c6', NULL, 'Post', '99'),    -- a dangling id: null
    (7, 'c7', NULL, NULL, NULL),
    (8, 'c8', 2, 'Photo', '2'), (9, 'c9', 1, 'Article', '2');

SELECT matrx_relations.register_relation('comments', 'commentable_post', 'posts',
    '{commentable_id}', '{id}', options => '{"cast": ["integer"],
     "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Post"}}');
SELECT matrx_relations.register_relation('comments', 'commentable_photo', 'photos',
    '{commentable_id}', '{id}', options => '{"cast": ["integer"],
     "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Photo"}}');
SELECT matrx_relations.register_relation('comments', 'commentable_link', 'links',
    '{commentable_id}', '{slug}', options =>
    '{"polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Link"}}');
-- two type values to one table (an STI subclass)
SELECT matrx_relations.register_relation('comments', 'commentable_article', 'posts',
    '{commentable_id}', '{id}', options => '{"cast": ["integer"],
     "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Article"}}');

-- what plain SQL gives
CREATE VIEW naive AS
SELECT c.id, to_jsonb(c) || jsonb_build_object('commentable', CASE c.commentable_type
    WHEN 'Post' THEN (SELECT to_jsonb(p) || '{"__table": "polyj.posts"}' FROM posts p WHERE p.id::text = c.commentable_id)
    WHEN 'Article' THEN (SELECT to_jsonb(p) || '{"__table": "polyj.posts"}' FROM posts p WHERE p.id::text = c.commentable_id)
    WHEN 'Photo' THEN (SELECT to_jsonb(p) || '{"__table": "polyj.photos"}' FROM photos p WHERE p.id::text = c.commentable_id)
    WHEN 'Link' THEN (SELECT to_jsonb(l) || '{"__table": "polyj.links"}' FROM links l WHERE l.slug = c.commentable_id)
    END) AS d
FROM comments c;

-- prefetch_related's documents, and plain SQL's, in key order
CREATE FUNCTION same(source regclass, keys anyarray, VARIADIC paths text[]) RETURNS boolean
LANGUAGE sql AS $$
    SELECT (SELECT coalesce(array_agg(d), '{}') FROM matrx_relations.select_related(source, keys, VARIADIC paths) d)
         = (SELECT coalesce(array_agg(d), '{}') FROM matrx_relations.prefetch_related(source, keys, VARIADIC paths) d) $$;

SELECT * FROM matrx_relations.select_related('comments', ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9], 'commentable');
SELECT array_agg(d) = (SELECT array_agg(d ORDER BY id DESC) FROM naive) AS naive_equal
FROM matrx_relations.select_related('comments', ARRAY[9, 8, 7, 6, 5, 4, 3, 2, 1], 'commentable') d;
SELECT same('comments', ARRAY[9, 8, 7, 6, 5, 4, 3, 2, 1, 42], 'commentable') AS keys,
       same('comments', ARRAY[1, 2, 4], 'on:commentable', 'on:commentable', 'commentable_post', 'post') AS aliased,
       same('comments', ARRAY[1, 2, 9, 4], 'commentable_post') AS one_arm,
       same('comments', ARRAY[4], 'commentable') AS only_a_link;
-- below a to-many relation: inside its LATERAL aggregate
SELECT same('posts', ARRAY[2, 1, 3], 'comments.commentable') AS nested,
       same('posts', ARRAY[1, 2], 'comments.commentable', 'comments.post') AS nested_beside;
SELECT d -> 'comments' -> 0 AS first_comment
FROM matrx_relations.select_related('posts', ARRAY[2], 'comments.commentable') d;

-- the arm's registered options apply: a filter, columns; a marker of its own
SELECT matrx_relations.register_relation('comments', 'target_post', 'posts',
    '{commentable_id}', '{id}', options => '{"cast": ["integer"], "where": {"title": "p2"}, "columns": ["id"],
     "polymorphic": {"name": "target", "type_column": "commentable_type", "type_value": "Post", "marker": "__typename"}}');
SELECT matrx_relations.register_relation('comments', 'target_photo', 'photos',
    '{commentable_id}', '{id}', options => '{"cast": ["integer"],
     "polymorphic": {"name": "target", "type_column": "commentable_type", "type_value": "Photo", "marker": "__typename"}}');
SELECT * FROM matrx_relations.select_related('comments', ARRAY[1, 2, 3], 'target');
SELECT same('comments', ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9], 'target', 'commentable') AS options;

-- a type column of another type: compared as its output text, as
-- prefetch_related does (a char(n) keeps its padding, a boolean is "t")
CREATE TABLE tagged (id int PRIMARY KEY, kind char(6), is_photo boolean, ref int);
INSERT INTO tagged VALUES (1, 'Post', false, 1), (2, 'Photo', true, 2), (3, 'Post  ', NULL, 2);
SELECT matrx_relations.register_relation('tagged', 'by_kind_post', 'posts', '{ref}', '{id}',
    options => '{"polymorphic": {"name": "by_kind", "type_column": "kind", "type_value": "Post  "}}');
SELECT matrx_relations.register_relation('tagged', 'by_flag_photo', 'photos', '{ref}', '{id}',
    options => '{"polymorphic": {"name": "by_flag", "type_column": "is_photo", "type_value": "t"}}');
SELECT matrx_relations.register_relation('tagged', 'by_flag_post', 'posts', '{ref}', '{id}',
    options => '{"polymorphic": {"name": "by_flag", "type_column": "is_photo", "type_value": "f"}}');
SELECT * FROM matrx_relations.select_related('tagged', ARRAY[1, 2, 3], 'by_kind', 'by_flag');
SELECT same('tagged', ARRAY[1, 2, 3], 'by_kind', 'by_flag') AS other_types;

-- one statement; its text shows the type filter guarding each cast
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.select_related('comments', ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9], 'commentable');
SELECT sum(calls) AS statements FROM public.pg_stat_statements WHERE NOT toplevel;
SELECT (SELECT count(*) FROM regexp_matches(query, 'LEFT JOIN polyj\.(posts|photos|links) mx_\d+ ON ', 'g')) AS arm_joins,
       (SELECT count(*) FROM regexp_matches(query, 'CAST\(CASE WHEN CAST\(mx_s\.commentable_type AS pg_catalog\.text\) COLLATE pg_catalog\."C" OPERATOR\(pg_catalog\.=\) \$\d+::pg_catalog\.text THEN mx_s\.commentable_id END AS pg_catalog\.int4\)', 'g')) AS guarded_casts
FROM public.pg_stat_statements WHERE NOT toplevel;

DROP SCHEMA polyj CASCADE;
