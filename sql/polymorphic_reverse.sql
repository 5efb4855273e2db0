-- Reverse relations of polymorphic arms ("reverse" in the "polymorphic"
-- option): the target's ifk back to the arm's source, filtered by the
-- type value, the key cast turned round; compared with plain SQL in every
-- loader; listed, published, dropped with its arm.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS matrx_relations;
RESET client_min_messages;
CREATE SCHEMA polyr;
SET search_path = polyr;

CREATE TABLE posts (id int PRIMARY KEY, title text);
CREATE TABLE photos (id int PRIMARY KEY, url text);
CREATE TABLE links (slug text PRIMARY KEY, href text);
CREATE TABLE comments (id int PRIMARY KEY, body text,
    commentable_type varchar(50), commentable_id varchar(50));
INSERT INTO posts VALUES (1, 'p1'), (2, 'p2'), (3, 'p3');
INSERT INTO photos VALUES (1, 'ph1'), (2, 'ph2');
INSERT INTO links VALUES ('abc', 'https://a'), ('1', 'https://one');
INSERT INTO comments VALUES
    (1, 'c1', 'Post', '1'), (2, 'c2', 'Photo', '1'), (3, 'c3', 'Post', '2'),
    (4, 'c4', 'Link', 'abc'),      -- a text id: never cast to integer
    (5, 'c5', 'Video', '1'), (6, 'c6', 'Post', '1'), (7, 'c7', NULL, '1'),
    (8, 'c8', 'Photo', '2'), (9, 'c9', 'Link', '1'), (10, 'c10', 'Article', '2');

-- posts load before the arms exist: the registration must reach their metadata
SELECT count(*) FROM matrx_relations.prefetch_related('posts', ARRAY[1], VARIADIC '{}'::text[]);

SELECT matrx_relations.register_relation('comments', 'commentable_post', 'posts',
    '{commentable_id}', '{id}', options => '{"cast": ["integer"],
     "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Post", "reverse": "comments"}}');
SELECT matrx_relations.register_relation('comments', 'commentable_photo', 'photos',
    '{commentable_id}', '{id}', options => '{"cast": "integer",
     "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Photo", "reverse": "comments"}}');
SELECT matrx_relations.register_relation('comments', 'commentable_link', 'links',
    '{commentable_id}', '{slug}', options =>
    '{"polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Link", "reverse": "comments"}}');
-- a second type value on posts: its reverse under another name
SELECT matrx_relations.register_relation('comments', 'commentable_article', 'posts',
    '{commentable_id}', '{id}', options => '{"cast": ["integer"],
     "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Article", "reverse": "article_comments"}}');

-- the view lists each reverse: an ifk with the fixed filter and the cast to the id column's type
SELECT source, name, kind, target, source_columns, target_columns, origin, cardinality, options
FROM matrx_relations.relations
WHERE target = 'comments'::regclass AND origin = 'registered' ORDER BY source::text, name;

-- plain SQL: a target's comments of its type, by primary key
CREATE FUNCTION naive(tbl regclass, type_value text, keys text[], key text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE result jsonb;
BEGIN
    EXECUTE format($q$SELECT jsonb_agg(to_jsonb(t) || jsonb_build_object(%L, coalesce((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.id)
        FROM comments c WHERE c.commentable_type = %L AND c.commentable_id = t.%I::text), '[]')) ORDER BY k.n)
        FROM unnest($1) WITH ORDINALITY k(v, n) JOIN %s t ON t.%I::text = k.v$q$,
        key, type_value, CASE WHEN tbl = 'links'::regclass THEN 'slug' ELSE 'id' END, tbl,
        CASE WHEN tbl = 'links'::regclass THEN 'slug' ELSE 'id' END) USING keys INTO result;
    RETURN result;
END $$;
CREATE FUNCTION docs(src regclass, keys anyarray, VARIADIC paths text[]) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related(src, keys, VARIADIC paths) d $$;
CREATE FUNCTION joined(src regclass, keys anyarray, VARIADIC paths text[]) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_agg(d) FROM matrx_relations.select_related(src, keys, VARIADIC paths) d $$;

SELECT * FROM matrx_relations.prefetch_related('posts', ARRAY[1, 2, 3], 'comments');
SELECT docs('posts', ARRAY[3, 1, 2], 'comments') = naive('posts', 'Post', '{3,1,2}', 'comments') AS posts_keys,
       joined('posts', ARRAY[3, 1, 2], 'comments') = naive('posts', 'Post', '{3,1,2}', 'comments') AS posts_select_related,
       matrx_relations.prefetch_related('posts', '[{"id": 2}, {"id": 1}]'::jsonb, 'comments')
           = (SELECT jsonb_agg(jsonb_build_object('id', e->'id', 'comments', e->'comments'))
              FROM jsonb_array_elements(naive('posts', 'Post', '{2,1}', 'comments')) e) AS posts_instances,
       docs('photos', ARRAY[1, 2], 'comments') = naive('photos', 'Photo', '{1,2}', 'comments') AS photos,
       docs('links', ARRAY['abc', '1'], 'comments') = naive('links', 'Link', '{abc,1}', 'comments') AS links,
       joined('links', ARRAY['abc', '1'], 'comments') = naive('links', 'Link', '{abc,1}', 'comments') AS links_select_related,
       docs('posts', ARRAY[1, 2], 'article_comments') = naive('posts', 'Article', '{1,2}', 'article_comments') AS articles;
-- prefetch_batch, the typed load
SELECT matrx_relations.prefetch_batch('[{"source": "polyr.posts", "keys": [1], "relations": ["comments"]},
                                        {"source": "polyr.photos", "keys": [2], "relations": ["comments"]}]')
     = jsonb_build_array(naive('posts', 'Post', '{1}', 'comments'), naive('photos', 'Photo', '{2}', 'comments')) AS batch;
SELECT node, parent, r FROM matrx_relations.load('posts', ARRAY[1, 2], 'comments')
    WHERE node = 1 ORDER BY r::text;
-- fetch_related and fetch_related_array apply the fixed filter too (the rows are
-- the target's row type: a registered "columns" does not apply there)
SELECT (SELECT jsonb_agg(jsonb_build_object('k', source_key, 'id', (related).id) ORDER BY source_key, (related).id)
        FROM matrx_relations.fetch_related(NULL::comments, 'posts', 'comments', ARRAY[2, 1, 3]))
     = (SELECT jsonb_agg(jsonb_build_object('k', p.id, 'id', c.id) ORDER BY p.id, c.id)
        FROM posts p JOIN comments c ON c.commentable_type = 'Post' AND c.commentable_id = p.id::text
        WHERE p.id IN (1, 2, 3)) AS fetch_related_same,
       (SELECT jsonb_agg(jsonb_build_object('k', source_key, 'ids',
                 (SELECT jsonb_agg((x).id ORDER BY (x).id) FROM unnest(related) x)) ORDER BY source_key)
        FROM matrx_relations.fetch_related_array(NULL::comments, 'photos', 'comments', ARRAY[1, 2]))
     = '[{"k": 1, "ids": [2]}, {"k": 2, "ids": [8]}]' AS fetch_related_array_same;
SELECT source_key, related FROM matrx_relations.fetch_related(NULL::comments, 'posts', 'comments', ARRAY[1, 2]);
-- a spec's options apply on top of the fixed filter; back through the arms, nested
SELECT d->'comments' FROM matrx_relations.prefetch_related('posts', ARRAY[1],
    '{"comments": {"where": {"body": {"ne": "c6"}}, "columns": ["id", "commentable_type"]}}'::jsonb) d;
SELECT docs('posts', ARRAY[1, 2], 'comments.commentable') = joined('posts', ARRAY[1, 2], 'comments.commentable') AS nested_same,
       (SELECT bool_and(c->'commentable'->>'__table' = 'polyr.posts')
        FROM jsonb_array_elements(docs('posts', ARRAY[1, 2], 'comments.commentable')) d, jsonb_array_elements(d->'comments') c) AS back_to_posts;

-- published with the arms: the reverse belongs to the set
CREATE TABLE videos (id int PRIMARY KEY);
INSERT INTO videos VALUES (1);
SELECT matrx_relations.publish_relations('media', '[{"source": "polyr.comments", "name": "commentable_video",
    "target": "polyr.videos", "source_columns": ["commentable_id"], "target_columns": ["id"], "cast": ["integer"],
    "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Video", "reverse": "comments"}}]');
SELECT source, name, kind, relation_set, options FROM matrx_relations.relations
WHERE source = 'videos'::regclass AND origin = 'registered';
SELECT d->'comments' FROM matrx_relations.prefetch_related('videos', ARRAY[1], 'comments') d;
SELECT matrx_relations.unpublish_relations('media');
\set VERBOSITY terse
SELECT * FROM matrx_relations.prefetch_related('videos', ARRAY[1], 'comments');
-- unregistering an arm takes its reverse along
SELECT matrx_relations.unregister_relation('comments', 'commentable_photo');
SELECT * FROM matrx_relations.prefetch_related('photos', ARRAY[1], 'comments');
\set VERBOSITY default
SELECT count(*) AS reverses FROM matrx_relations.relations WHERE target = 'comments'::regclass AND origin = 'registered';

DROP SCHEMA polyr CASCADE;
