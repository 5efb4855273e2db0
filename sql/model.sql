-- model.sql: registered relations with options (a fixed filter, a default
-- order, output columns, key casts) through every loader, compared with
-- plain SQL; published relation sets (publish_relations).
CREATE SCHEMA model;
SET search_path = model, public;

-- Django-like: a generic relation with varchar object ids
CREATE TABLE post (id int PRIMARY KEY, title text);
CREATE TABLE comment (id int PRIMARY KEY, object_type text NOT NULL, object_id varchar(20) NOT NULL,
                      body text, stars int, hidden boolean DEFAULT false);
CREATE INDEX ON comment (object_id);
INSERT INTO post VALUES (1, 'one'), (2, 'two'), (3, 'three');
INSERT INTO comment VALUES
  (10, 'post', '1', 'first', 3, false), (11, 'post', '1', 'second', 5, false),
  (12, 'post', '2', 'third', 1, false), (13, 'photo', '1', 'photo comment', 4, false),
  (14, 'post', '1', 'hidden one', 2, true), (15, 'post', '3', 'fourth', NULL, false);

-- post -> its comments: key cast to text, fixed filter, default order and columns
SELECT matrx_relations.register_relation('post', 'comments', 'comment', '{id}', '{object_id}',
  options => '{"cast": "text", "where": {"object_type": "post", "hidden": false},
               "order_by": ["stars desc nulls last"], "columns": ["id", "body", "stars"]}');
-- comment -> post: varchar to integer
SELECT matrx_relations.register_relation('comment', 'post', 'post', '{object_id}', '{id}',
  options => '{"cast": "int4"}');

SELECT r.source, r.name, r.kind, r.target, r.origin, r.relation_set, r.options
FROM matrx_relations.relations r JOIN pg_class c ON c.oid = r.source
WHERE c.relnamespace = 'model'::regnamespace AND r.origin = 'registered' ORDER BY r.name, r.source::text;

-- keys form
SELECT d FROM matrx_relations.prefetch_related('post', ARRAY[1, 2, 3], 'comments') d;
-- the same from plain SQL
SELECT p.id, (SELECT jsonb_agg(jsonb_build_object('id', c.id, 'body', c.body, 'stars', c.stars)
                              ORDER BY c.stars DESC NULLS LAST, c.id)
              FROM comment c WHERE c.object_id = p.id::text AND c.object_type = 'post' AND NOT c.hidden)
FROM post p ORDER BY p.id;
-- select_related: the same documents in one statement
SELECT (SELECT array_agg(d) FROM matrx_relations.prefetch_related('post', ARRAY[1, 2, 3], 'comments') d)
     = (SELECT array_agg(d) FROM matrx_relations.select_related('post', ARRAY[1, 2, 3], 'comments') d)
  AS select_related_same;
-- instances form
SELECT matrx_relations.prefetch_related('post', '[{"id": 2}, {"id": 1}, {"id": 9}]'::jsonb, 'comments');
-- the fk with a cast: varchar keys matched to integer ids, nested back
SELECT d FROM matrx_relations.prefetch_related('comment', ARRAY[10, 12, 13], 'post') d;
SELECT d FROM matrx_relations.select_related('comment', ARRAY[10, 12, 13], 'post') d;
SELECT d FROM matrx_relations.prefetch_related('comment', ARRAY[12], 'post.comments') d;
-- a spec's options: "where" is ANDed with the fixed filter, "order_by" and "columns" replace
SELECT d FROM matrx_relations.prefetch_related('post', ARRAY[1],
  '{"comments": {"where": {"stars": {"gte": 3}}, "order_by": ["id"], "columns": ["id"]}}'::jsonb) d;
SELECT d FROM matrx_relations.select_related('post', ARRAY[1],
  '{"comments": {"where": {"stars": {"gte": 3}}, "order_by": ["id"], "columns": ["id"]}}'::jsonb) d;
SELECT d FROM matrx_relations.prefetch_related('post', ARRAY[1],
  '{"comments": {"limit": 1}}'::jsonb) d;
-- prefetch_batch
SELECT matrx_relations.prefetch_batch('[{"source": "model.post", "keys": [3, 1], "relations": ["comments"]},
  {"source": "model.comment", "instances": [{"id": 99, "object_id": "2"}], "relations": ["post"]}]');
-- typed: load, load_nodes, fetch_related
SELECT node, id, parent, r FROM matrx_relations.load('post', ARRAY[1, 2], 'comments') ORDER BY node, id;
SELECT node, name, kind, columns, types FROM matrx_relations.load_nodes('post', 'comments');
SELECT source_key, related FROM matrx_relations.fetch_related(NULL::post, 'comment', 'post', ARRAY[10, 13, 15]);
-- the statements
SELECT * FROM matrx_relations.explain_related('post', 'comments');
SELECT * FROM matrx_relations.explain_related('comment', 'post');

-- composite keys, one cast per column
CREATE TABLE ledger (acct int, yr int, total numeric, PRIMARY KEY (acct, yr));
CREATE TABLE note (id int PRIMARY KEY, acct_code text, yr int, body text);
INSERT INTO ledger VALUES (1, 2020, 10), (1, 2021, 20), (2, 2020, 30);
INSERT INTO note VALUES (1, '1', 2020, 'a'), (2, '01', 2021, 'b'), (3, '2', 2020, 'c'), (4, '2', 2021, 'orphan');
SELECT matrx_relations.register_relation('note', 'ledger', 'ledger', '{acct_code, yr}', '{acct, yr}',
  options => '{"cast": ["integer", null]}');
SELECT matrx_relations.register_relation('ledger', 'notes', 'note', '{acct, yr}', '{acct_code, yr}',
  options => '{"cast": ["integer", null], "order_by": ["body desc"]}');
SELECT matrx_relations.prefetch_related('note', '[{"id": 1, "acct_code": "1", "yr": 2020}, {"id": 2, "acct_code": "01", "yr": 2021}, {"id": 4, "acct_code": "2", "yr": 2021}]'::jsonb, 'ledger');
SELECT d FROM matrx_relations.select_related('note', ARRAY[1, 2, 3, 4], 'ledger') d;
SELECT matrx_relations.prefetch_related('ledger', '[{"acct": 1, "yr": 2020}, {"acct": 1, "yr": 2021}, {"acct": 2, "yr": 2021}]'::jsonb, 'notes');
SELECT l.acct, l.yr, (SELECT jsonb_agg(n.body ORDER BY n.body DESC) FROM note n WHERE n.acct_code::int = l.acct AND n.yr = l.yr)
FROM ledger l ORDER BY 1, 2;

-- m2m with a junction cast and a default order
CREATE TABLE tag (id int PRIMARY KEY, label text);
CREATE TABLE tagged (tag_id int REFERENCES tag, object_id text, PRIMARY KEY (tag_id, object_id));
INSERT INTO tag VALUES (1, 'z'), (2, 'a'), (3, 'm');
INSERT INTO tagged VALUES (1, '1'), (2, '1'), (3, '2'), (3, '1');
SELECT matrx_relations.register_relation('post', 'tags', 'tag', '{id}', '{id}', 'tagged', '{object_id}', '{tag_id}',
  options => '{"cast": "text", "order_by": ["label"]}');
SELECT d FROM matrx_relations.prefetch_related('post', ARRAY[1, 2, 3], 'tags') d;
SELECT d FROM matrx_relations.select_related('post', ARRAY[1, 2, 3], 'tags') d;

-- errors, checked at registration
SELECT matrx_relations.register_relation('post', 'bad', 'comment', '{id}', '{object_id}',
  options => '{"cast": "text", "where": {"nope": 1}}');
SELECT matrx_relations.register_relation('post', 'bad', 'comment', '{id}', '{object_id}',
  options => '{"cast": "text", "where": {"stars": "many"}}');
SELECT matrx_relations.register_relation('post', 'bad', 'comment', '{id}', '{object_id}',
  options => '{"cast": "nosuchtype"}');
SELECT matrx_relations.register_relation('post', 'bad', 'comment', '{id}', '{object_id}',
  options => '{"cast": "uuid"}');
SELECT matrx_relations.register_relation('post', 'bad', 'comment', '{id}', '{object_id}',
  options => '{"cast": "point"}');
SELECT matrx_relations.register_relation('post', 'bad', 'comment', '{id}', '{object_id}');
SELECT matrx_relations.register_relation('post', 'bad', 'comment', '{id}', '{object_id}',
  options => '{"cast": "text", "sort": ["id"]}');
SELECT matrx_relations.register_relation('comment', 'bad', 'post', '{object_id}', '{id}',
  options => '{"cast": "integer", "order_by": ["id"]}');
SELECT matrx_relations.register_relation('post', 'bad', 'comment', '{id}', '{object_id}',
  options => '{"cast": ["text", "text"]}');
SELECT matrx_relations.register_relation('post', 'bad', 'comment', '{id}', '{object_id}',
  options => '{"via_cast": "text"}');

-- the relation cache sees a registration change within a transaction
BEGIN;
SELECT d FROM matrx_relations.prefetch_related('post', ARRAY[2], 'comments') d;
SELECT matrx_relations.unregister_relation('post', 'comments');
SELECT matrx_relations.register_relation('post', 'comments', 'comment', '{id}', '{object_id}',
  options => '{"cast": "text", "columns": ["body"]}');
SELECT d FROM matrx_relations.prefetch_related('post', ARRAY[2], 'comments') d;
ROLLBACK;

-- Published relation sets: a Rails-like model under the ORM's own names
CREATE TABLE author (id int PRIMARY KEY, name text);
CREATE TABLE book (id int PRIMARY KEY, title text, author_id int REFERENCES author, year int);
CREATE TABLE review (id int PRIMARY KEY, reviewable_type varchar(50), reviewable_id varchar(20), score int);
INSERT INTO author VALUES (1, 'ann'), (2, 'bob');
INSERT INTO book VALUES (1, 'b1', 1, 2001), (2, 'b2', 1, 1999), (3, 'b3', 2, 2010);
INSERT INTO review VALUES (1, 'Book', '1', 4), (2, 'Book', '1', 2), (3, 'Author', '1', 5), (4, 'Book', '3', 3);
SELECT matrx_relations.publish_relations('rails', '{"relations": [
  {"source": "model.author", "name": "books", "kind": "ifk", "target": "model.book",
   "source_columns": ["id"], "target_columns": ["author_id"], "order_by": ["year"]},
  {"source": "model.book", "name": "author_id", "target": "model.author", "kind": "fk",
   "source_columns": ["author_id"], "target_columns": ["id"], "columns": ["name"]},
  {"source": "model.book", "name": "reviews", "target": "model.review",
   "source_columns": ["id"], "target_columns": ["reviewable_id"], "cast": "varchar",
   "where": {"reviewable_type": "Book"}, "order_by": ["score desc"], "columns": ["id", "score"]},
  {"source": "model.author", "name": "reviews", "target": "model.review",
   "source_columns": ["id"], "target_columns": ["reviewable_id"], "cast": "text",
   "where": {"reviewable_type": "Author"}}]}');
SELECT r.source, r.name, r.kind, r.target, r.origin, r.relation_set, r.options
FROM matrx_relations.relations r WHERE r.relation_set = 'rails' ORDER BY r.name, r.source::text;
-- the same document again: nothing changes, nothing is flushed
BEGIN;
SELECT d FROM matrx_relations.prefetch_related('author', ARRAY[1, 2], 'books.reviews', 'reviews') d;
SELECT cache_invalidations AS inv, metadata_loads AS loads FROM matrx_relations.stats() \gset
SELECT matrx_relations.publish_relations('rails', '[
  {"source": "model.book", "name": "reviews", "target": "model.review",
   "source_columns": ["id"], "target_columns": ["reviewable_id"], "cast": "character varying",
   "where": {"reviewable_type": "Book"}, "order_by": ["score desc"], "columns": ["id", "score"]},
  {"source": "model.author", "name": "books", "kind": "ifk", "target": "model.book",
   "source_columns": ["id"], "target_columns": ["author_id"], "order_by": ["year"]},
  {"source": "model.book", "name": "author_id", "target": "model.author", "kind": "fk",
   "source_columns": ["author_id"], "target_columns": ["id"], "columns": ["name"]},
  {"source": "model.author", "name": "reviews", "target": "model.review",
   "source_columns": ["id"], "target_columns": ["reviewable_id"], "cast": "pg_catalog.text",
   "where": {"reviewable_type": "Author"}}]') AS changed;
SELECT d FROM matrx_relations.prefetch_related('author', ARRAY[1, 2], 'books.reviews', 'reviews') d;
SELECT cache_invalidations = :inv AS no_flush, metadata_loads = :loads AS no_reload,
       cache_hits > 0 AS hits FROM matrx_relations.stats();
COMMIT;
-- a name equal to the FK column: the object replaces the key's value
SELECT d FROM matrx_relations.prefetch_related('book', ARRAY[1, 3], 'author_id') d;
SELECT d FROM matrx_relations.select_related('book', ARRAY[1, 3], 'author_id') d;
SELECT matrx_relations.prefetch_related('book', '[{"id": 2, "author_id": 1}]'::jsonb, 'author_id.books');
-- an alias is still no column
SELECT d FROM matrx_relations.prefetch_related('book', ARRAY[1], 'title:author_id') d;
-- nor a registered relation named like another column than its own FK column
SELECT matrx_relations.register_relation('book', 'title', 'author', '{author_id}', '{id}');
SELECT d FROM matrx_relations.prefetch_related('book', ARRAY[1], 'title') d;
SELECT matrx_relations.unregister_relation('book', 'title');
-- the catalog name still loads the whole author
SELECT d FROM matrx_relations.prefetch_related('book', ARRAY[3], 'author') d;
SELECT node, id, parent, r FROM matrx_relations.load('author', ARRAY[2], 'books.reviews') ORDER BY node, id;

-- replacing the set: a relation dropped from the document is gone
SELECT matrx_relations.publish_relations('rails', '[
  {"source": "model.author", "name": "books", "target": "model.book",
   "source_columns": ["id"], "target_columns": ["author_id"], "order_by": ["year desc"]}]') AS changed;
SELECT name, relation_set, options FROM matrx_relations.relations WHERE relation_set = 'rails';
SELECT d FROM matrx_relations.prefetch_related('author', ARRAY[1], 'books') d;
SELECT d FROM matrx_relations.prefetch_related('book', ARRAY[1], 'author_id') d;

-- errors: the set stays as it was
SELECT matrx_relations.publish_relations('rails', '[
  {"source": "model.author", "name": "books", "target": "model.book", "source_columns": ["id"], "target_columns": ["author_id"]},
  {"source": "model.author", "name": "books", "target": "model.book", "source_columns": ["id"], "target_columns": ["author_id"]}]');
SELECT matrx_relations.publish_relations('rails', '[
  {"source": "model.author", "name": "x", "target": "model.book", "source_columns": ["id"], "target_columns": ["nope"]}]');
SELECT matrx_relations.publish_relations('rails', '[
  {"source": "model.author", "name": "x", "target": "model.book", "kind": "fk", "source_columns": ["id"], "target_columns": ["author_id"]}]');
SELECT matrx_relations.publish_relations('rails', '[
  {"source": "model.nosuch", "name": "x", "target": "model.book", "source_columns": ["id"], "target_columns": ["author_id"]}]');
SELECT matrx_relations.publish_relations('rails', '[{"source": "model.author", "name": "x", "target": "model.book",
  "source_columns": ["id"], "target_columns": ["author_id"], "colour": "red"}]');
SELECT matrx_relations.publish_relations('rails', '[{"source": "model.post", "name": "comments", "target": "model.comment",
  "source_columns": ["id"], "target_columns": ["object_id"], "cast": "text"}]');
SELECT matrx_relations.publish_relations('rails', '{"relation": []}');
SELECT matrx_relations.publish_relations('', '[]');
SELECT name FROM matrx_relations.relations WHERE relation_set = 'rails';
SELECT matrx_relations.register_relation('author', 'books', 'book', '{id}', '{author_id}');
SELECT matrx_relations.unpublish_relations('rails'), matrx_relations.unpublish_relations('rails');
SELECT count(*) FROM matrx_relations.registered_relations WHERE relation_set IS NOT NULL;
