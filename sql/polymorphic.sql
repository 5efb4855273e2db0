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

-- the typed forms: each arm is a node of its own (its table's row type),
-- all under the one name and parent node; a parent row is linked only
-- under the arm of its type
SELECT node, parent_node, name, relation, kind, to_many, target
FROM matrx_relations.load_nodes('comments', 'commentable');
SELECT * FROM matrx_relations.load('comments', ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9], 'commentable');
-- a client's reassembly (a parent's link under the arm node of its type,
-- the object marked with that node's target) gives the documents of
-- prefetch_related and of plain SQL
CREATE FUNCTION qualified(t regclass) RETURNS text LANGUAGE sql AS $$
    SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = t $$;
CREATE FUNCTION typed_docs(keys int[]) RETURNS jsonb LANGUAGE sql AS $$
    WITH l AS (SELECT * FROM matrx_relations.load('comments', keys, 'commentable')
                   WITH ORDINALITY AS x(node, id, parent, r, ord)),
         sent AS (SELECT id, to_jsonb(r) AS j FROM l WHERE to_jsonb(r) IS NOT NULL),
         n AS (SELECT * FROM matrx_relations.load_nodes('comments', 'commentable'))
    SELECT jsonb_agg(s.j || jsonb_build_object('commentable',
               (SELECT t.j || jsonb_build_object('__table', qualified(n.target))
                FROM l c JOIN sent t ON t.id = c.id JOIN n ON n.node = c.node
                WHERE c.parent = src.id AND n.name = 'commentable')) ORDER BY src.ord)
    FROM l src JOIN sent s ON s.id = src.id WHERE src.node = 0 $$;
SELECT typed_docs(ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9])
     = (SELECT jsonb_agg(d ORDER BY id) FROM naive) AS typed_equal,
       typed_docs(ARRAY[9, 2, 4])
     = (SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('comments', ARRAY[9, 2, 4], 'commentable') d)
       AS typed_equal_prefetch;
-- the instances form: the same links, parents -i
SELECT * FROM matrx_relations.load('comments',
    (SELECT jsonb_agg(to_jsonb(c) ORDER BY id) FROM comments c WHERE id IN (1, 2, 4, 5)), 'commentable');
-- load_batch: arms of both requests share one statement per table
SELECT * FROM matrx_relations.load_batch('[{"source": "poly.comments", "keys": [2, 4], "relations": ["commentable"]},
                                         {"source": "poly.comments", "keys": [1, 5], "relations": ["c:commentable"]}]');
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.load('comments', ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9], 'commentable');
SELECT sum(calls) AS statements FROM public.pg_stat_statements WHERE NOT toplevel;

-- below a polymorphic relation: each arm's target's relation of that name;
-- links has no author, its arm skips it
CREATE TABLE people (id int PRIMARY KEY, name text);
INSERT INTO people VALUES (1, 'ann'), (2, 'bob');
ALTER TABLE posts ADD COLUMN author_id int REFERENCES people;
ALTER TABLE photos ADD COLUMN author_id int REFERENCES people;
UPDATE posts SET author_id = id;
UPDATE photos SET author_id = 3 - id;
CREATE VIEW naive_nested AS
SELECT c.id, to_jsonb(c) || jsonb_build_object('commentable', CASE
    WHEN c.commentable_type IN ('Post', 'Article') THEN (SELECT to_jsonb(p) || jsonb_build_object('__table', 'poly.posts',
        'author', (SELECT to_jsonb(a) FROM people a WHERE a.id = p.author_id)) FROM posts p WHERE p.id::text = c.commentable_id)
    WHEN c.commentable_type = 'Photo' THEN (SELECT to_jsonb(p) || jsonb_build_object('__table', 'poly.photos',
        'author', (SELECT to_jsonb(a) FROM people a WHERE a.id = p.author_id)) FROM photos p WHERE p.id::text = c.commentable_id)
    WHEN c.commentable_type = 'Link' THEN (SELECT to_jsonb(l) || '{"__table": "poly.links"}' FROM links l WHERE l.slug = c.commentable_id)
    END) AS d
FROM comments c;
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1, 2, 4], 'commentable.author');
SELECT array_agg(d) = (SELECT array_agg(d ORDER BY id) FROM naive_nested) AS nested_equal
FROM matrx_relations.prefetch_related('comments', ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9], 'commentable.author') d;
SELECT matrx_relations.prefetch_related('comments',
           (SELECT jsonb_agg(to_jsonb(c) ORDER BY id DESC) FROM comments c), 'commentable', 'commentable.author')
     = (SELECT jsonb_agg(d ORDER BY id DESC) FROM naive_nested) AS nested_instances_equal;
-- statements: the source, posts, photos, links, then people once for both arms
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.prefetch_related('comments', ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9], 'commentable.author');
SELECT sum(calls) AS statements FROM public.pg_stat_statements WHERE NOT toplevel;
SELECT public.pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM matrx_relations.load('comments', ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9], 'commentable.author');
SELECT sum(calls) AS statements FROM public.pg_stat_statements WHERE NOT toplevel;
-- typed: an author node under each arm that has one
SELECT node, parent_node, name, relation, kind, to_many, target
FROM matrx_relations.load_nodes('comments', 'commentable.author');
SELECT * FROM matrx_relations.load('comments', ARRAY[1, 2, 4, 8], 'commentable.author');
SELECT * FROM matrx_relations.explain_related('comments', 'commentable.author');
-- a polymorphic relation below an arm: photos.subject is a person or a post
ALTER TABLE photos ADD COLUMN subject_type text, ADD COLUMN subject_id text;
UPDATE photos SET subject_type = 'Person', subject_id = '2' WHERE id = 1;
UPDATE photos SET subject_type = 'Post', subject_id = '1' WHERE id = 2;
SELECT matrx_relations.register_relation('photos', 'subject_' || lower(t), target,
    '{subject_id}', '{id}', options => jsonb_build_object('cast', '["integer"]'::jsonb, 'polymorphic',
        jsonb_build_object('name', 'subject', 'type_column', 'subject_type', 'type_value', t)))
FROM (VALUES ('Person', 'people'::regclass), ('Post', 'posts')) m(t, target);
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[2, 8, 1], 'commentable.subject.author');
SELECT node, parent_node, name, relation, target
FROM matrx_relations.load_nodes('comments', 'commentable.subject.author');
SELECT * FROM matrx_relations.load('comments', ARRAY[2, 8, 1], 'commentable.subject.author');

-- composite keys: an arm whose target's key has two columns, beside a one-column arm
CREATE TABLE shelves (site text, num int, label text, PRIMARY KEY (site, num));
INSERT INTO shelves VALUES ('a', 1, 'top'), ('a', 2, 'low'), ('b', 1, 'mid');
CREATE TABLE notes (id int PRIMARY KEY, on_type text, on_site text, on_num int, on_id int);
INSERT INTO notes VALUES (1, 'Shelf', 'a', 2, NULL), (2, 'Post', NULL, NULL, 1), (3, 'Shelf', 'b', 1, NULL),
    (4, 'Shelf', 'b', 9, NULL),     -- no such shelf: null
    (5, 'Post', 'a', 1, 2),         -- a post: its shelf columns are not followed
    (6, 'Shelf', 'a', NULL, NULL);  -- half a key: null
SELECT matrx_relations.register_relation('notes', 'on_shelf', 'shelves', '{on_site,on_num}', '{site,num}',
    options => '{"polymorphic": {"name": "on", "type_column": "on_type", "type_value": "Shelf"}}');
SELECT matrx_relations.register_relation('notes', 'on_post', 'posts', '{on_id}', '{id}',
    options => '{"polymorphic": {"name": "on", "type_column": "on_type", "type_value": "Post"}}');
CREATE FUNCTION naive_notes(ids int[]) RETURNS SETOF jsonb LANGUAGE sql AS $$
  SELECT to_jsonb(n) || jsonb_build_object('on', CASE n.on_type
    WHEN 'Shelf' THEN (SELECT to_jsonb(s) || '{"__table": "poly.shelves"}' FROM shelves s WHERE (s.site, s.num) = (n.on_site, n.on_num))
    WHEN 'Post' THEN (SELECT to_jsonb(p) || '{"__table": "poly.posts"}' FROM posts p WHERE p.id = n.on_id) END)
  FROM notes n JOIN unnest(ids) WITH ORDINALITY k(id, o) ON k.id = n.id ORDER BY k.o $$;
SELECT (SELECT array_agg(d) FROM matrx_relations.prefetch_related('notes', ARRAY[6, 5, 4, 3, 2, 1], 'on') d)
     = (SELECT array_agg(d) FROM naive_notes(ARRAY[6, 5, 4, 3, 2, 1]) d) AS prefetch_same,
       matrx_relations.prefetch_related('notes', (SELECT jsonb_agg(to_jsonb(n) ORDER BY n.id DESC) FROM notes n), 'on')
     = (SELECT jsonb_agg(d) FROM naive_notes(ARRAY[6, 5, 4, 3, 2, 1]) d) AS instances_same,
       matrx_relations.prefetch_batch('[{"source": "poly.notes", "keys": [6, 5, 4, 3, 2, 1], "relations": ["on"]}]')
     = (SELECT jsonb_build_array(jsonb_agg(d)) FROM naive_notes(ARRAY[6, 5, 4, 3, 2, 1]) d) AS batch_same,
       (SELECT array_agg(d) FROM matrx_relations.select_related('notes', ARRAY[6, 5, 4, 3, 2, 1], 'on') d)
     = (SELECT array_agg(d) FROM naive_notes(ARRAY[6, 5, 4, 3, 2, 1]) d) AS select_related_same;
SELECT * FROM matrx_relations.prefetch_related('notes', ARRAY[1, 2, 3, 4, 5, 6], 'on');
SELECT node, id, parent, r FROM matrx_relations.load('notes', ARRAY[1, 2, 3, 4, 5, 6], 'on') ORDER BY node, parent, id;
SELECT * FROM matrx_relations.explain_related('notes', 'on');

-- in a spec: the edge's options on every arm (each checked against its own
-- table), "arms" giving an arm its own, a shared "include" below each arm
-- that has its relations; every loader with a spec
CREATE FUNCTION spec_docs(keys int[], spec jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('comments', keys, spec) d $$;
CREATE FUNCTION path_docs(keys int[], VARIADIC paths text[]) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('comments', keys, VARIADIC paths) d $$;
SELECT spec_docs(ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9], '{"commentable": {}}')
     = path_docs(ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9], 'commentable') AS empty_spec_same,
       spec_docs(ARRAY[1, 2, 4, 8], '{"on": {"relation": "commentable", "include": {"author": {}}}}')
     = path_docs(ARRAY[1, 2, 4, 8], 'on:commentable.author') AS include_same,
       (SELECT jsonb_agg(d) FROM matrx_relations.select_related('comments', ARRAY[1, 2, 4, 8],
           '{"commentable": {"include": {"author": {}}}}'::jsonb) d)
     = path_docs(ARRAY[1, 2, 4, 8], 'commentable.author') AS select_related_same,
       spec_docs(ARRAY[1, 2, 4, 8], '{"commentable": {"include": {"author": {}}}}')
     = (SELECT jsonb_agg(d ORDER BY array_position(ARRAY[1, 2, 4, 8], id)) FROM naive_nested WHERE id IN (1, 2, 4, 8))
       AS include_naive;
-- columns on every arm, but links (which has no id) its own through "arms"
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1, 2, 4],
    '{"commentable": {"columns": ["id"], "arms": {"commentable_link": {"columns": ["slug"]}}}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1, 2, 4], '{"commentable": {"arms": {
    "commentable_post": {"columns": ["title"]}, "commentable_photo": {"columns": ["id", "url"]}}}}'::jsonb);
-- a filter on one arm: its rows that fail it are null, the other arms untouched
SELECT spec_docs(ARRAY[1, 2, 3, 8], '{"commentable": {"arms": {"commentable_post": {"where": {"title": "p2"}}}}}')
     = (SELECT jsonb_agg(CASE WHEN d->'commentable'->>'title' = 'p1' THEN jsonb_set(d, '{commentable}', 'null') ELSE d END
                         ORDER BY array_position(ARRAY[1, 2, 3, 8], id))
        FROM naive WHERE id IN (1, 2, 3, 8)) AS arm_where_same;
-- the typed forms: each arm node with its own columns
SELECT node, name, relation, target, columns FROM matrx_relations.load_nodes('comments', '{"commentable": {"arms": {
    "commentable_post": {"columns": ["title"]}, "commentable_photo": {"columns": ["id", "url"]}}}}'::jsonb);
SELECT * FROM matrx_relations.load('comments', ARRAY[1, 2, 4], '{"commentable": {"arms": {
    "commentable_post": {"columns": ["title"]}, "commentable_photo": {"columns": ["id", "url"]}}}}'::jsonb);
\set VERBOSITY terse
-- a shared column an arm's table lacks: 42703; an unknown arm, "arms" on another
-- relation, "order_by" on a to-one relation: 22023
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1], '{"commentable": {"columns": ["title"]}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1], '{"commentable": {"arms": {"nope": {}}}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1], '{"commentable_post": {"arms": {}}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1], '{"commentable": {"order_by": ["id"]}}'::jsonb);
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1], '{"commentable": {"include": {"nope": {}}}}'::jsonb);
\set VERBOSITY default

-- the loaders that cannot apply the type filter: 0A000
\set VERBOSITY terse
SELECT * FROM matrx_relations.fetch_related(NULL::posts, 'comments', 'commentable_post', ARRAY[1]);
-- a name below it that no arm has: 42704; a name also an output key of the arm: 42701
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1], 'commentable.comments');
SELECT * FROM matrx_relations.load('comments', ARRAY[1], 'commentable.comments');
SELECT * FROM matrx_relations.prefetch_related('comments', ARRAY[1], 'commentable.title:author');
\set VERBOSITY default
DROP SCHEMA poly CASCADE;
