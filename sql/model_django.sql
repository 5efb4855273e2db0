-- model_django.sql: a schema shaped like Django's generated tables (an
-- explicit through model with a surrogate id, a self-referencing m2m, a
-- GenericForeignKey with varchar object ids, both directions, a OneToOne
-- parent link of multi-table inheritance) where one published relation
-- model makes every relation loadable under the ORM's own names; each load
-- compared with plain SQL.
CREATE SCHEMA dj;
SET search_path = dj, public;
CREATE TABLE django_content_type (id int PRIMARY KEY, app_label text, model text);
CREATE TABLE app_author (id int PRIMARY KEY, name text);
CREATE TABLE app_book (id int PRIMARY KEY, title text, first_author_id int REFERENCES app_author);
-- Book.authors = ManyToManyField(Author, through='Authorship'): a surrogate id, no unique pair
CREATE TABLE app_authorship (id int PRIMARY KEY, book_id int REFERENCES app_book,
                             author_id int REFERENCES app_author, role text);
-- Person.friends = ManyToManyField('self', symmetrical=False, related_name='fans')
CREATE TABLE app_person (id int PRIMARY KEY, name text);
CREATE TABLE app_person_friends (id int PRIMARY KEY, from_person_id int REFERENCES app_person,
                                 to_person_id int REFERENCES app_person, UNIQUE (from_person_id, to_person_id));
-- TaggedItem: content_type + object_id (a TextField) = GenericForeignKey
CREATE TABLE app_taggeditem (id int PRIMARY KEY, tag text, content_type_id int REFERENCES django_content_type,
                             object_id varchar(40));
-- Restaurant(Place): multi-table inheritance, the child's primary key is its parent link
CREATE TABLE app_place (id int PRIMARY KEY, name text);
CREATE TABLE app_restaurant (place_ptr_id int PRIMARY KEY REFERENCES app_place, seats int);
INSERT INTO django_content_type VALUES (1, 'app', 'book'), (2, 'app', 'person');
INSERT INTO app_place VALUES (1, 'diner'), (2, 'park'), (3, 'bistro');
INSERT INTO app_restaurant VALUES (1, 40), (3, 12);
INSERT INTO app_author VALUES (1, 'zed'), (2, 'amy'), (3, 'max');
INSERT INTO app_book VALUES (1, 'b1', 1), (2, 'b2', 2), (3, 'b3', NULL);
INSERT INTO app_authorship VALUES (1, 1, 1, 'main'), (2, 1, 2, 'editor'), (3, 2, 2, 'main'), (4, 2, 3, 'main');
INSERT INTO app_person VALUES (1, 'p1'), (2, 'p2'), (3, 'p3');
INSERT INTO app_person_friends VALUES (1, 1, 2), (2, 1, 3), (3, 2, 3);
INSERT INTO app_taggeditem VALUES (1, 'red', 1, '1'), (2, 'blue', 1, '1'), (3, 'red', 2, '1'), (4, 'green', 1, '2');

-- the ORM publishes its model once, under its own names (Place.restaurant,
-- the reverse of the parent link, has a unique key as its target columns:
-- registered, that makes it kind fk, to-one like a discovered one-to-one ifk)
SELECT matrx_relations.publish_relations('django', $$[
  {"source": "dj.app_book", "name": "authors", "kind": "m2m", "target": "dj.app_author",
   "via": "dj.app_authorship", "source_columns": ["id"], "via_source_columns": ["book_id"],
   "target_columns": ["id"], "via_target_columns": ["author_id"], "order_by": ["name"]},
  {"source": "dj.app_author", "name": "book_set", "kind": "m2m", "target": "dj.app_book",
   "via": "dj.app_authorship", "source_columns": ["id"], "via_source_columns": ["author_id"],
   "target_columns": ["id"], "via_target_columns": ["book_id"]},
  {"source": "dj.app_author", "name": "first_book", "kind": "ifk", "target": "dj.app_book",
   "source_columns": ["id"], "target_columns": ["first_author_id"]},
  {"source": "dj.app_book", "name": "first_author", "kind": "fk", "target": "dj.app_author",
   "source_columns": ["first_author_id"], "target_columns": ["id"]},
  {"source": "dj.app_person", "name": "friends", "kind": "m2m", "target": "dj.app_person",
   "via": "dj.app_person_friends", "source_columns": ["id"], "via_source_columns": ["from_person_id"],
   "target_columns": ["id"], "via_target_columns": ["to_person_id"], "columns": ["id", "name"]},
  {"source": "dj.app_person", "name": "fans", "kind": "m2m", "target": "dj.app_person",
   "via": "dj.app_person_friends", "source_columns": ["id"], "via_source_columns": ["to_person_id"],
   "target_columns": ["id"], "via_target_columns": ["from_person_id"], "columns": ["id", "name"]},
  {"source": "dj.app_book", "name": "tags", "kind": "ifk", "target": "dj.app_taggeditem",
   "source_columns": ["id"], "target_columns": ["object_id"], "cast": "text",
   "where": {"content_type_id": 1}, "order_by": ["tag"], "columns": ["tag"]},
  {"source": "dj.app_person", "name": "tags", "kind": "ifk", "target": "dj.app_taggeditem",
   "source_columns": ["id"], "target_columns": ["object_id"], "cast": "text",
   "where": {"content_type_id": 2}, "columns": ["tag"]},
  {"source": "dj.app_taggeditem", "name": "content_object_book", "target": "dj.app_book",
   "source_columns": ["object_id"], "target_columns": ["id"], "cast": "integer",
   "polymorphic": {"name": "content_object", "type_column": "content_type_id", "type_value": "1"}},
  {"source": "dj.app_taggeditem", "name": "content_object_person", "target": "dj.app_person",
   "source_columns": ["object_id"], "target_columns": ["id"], "cast": "integer",
   "polymorphic": {"name": "content_object", "type_column": "content_type_id", "type_value": "2"}},
  {"source": "dj.app_place", "name": "restaurant", "target": "dj.app_restaurant",
   "source_columns": ["id"], "target_columns": ["place_ptr_id"]},
  {"source": "dj.app_restaurant", "name": "place_ptr", "kind": "fk", "target": "dj.app_place",
   "source_columns": ["place_ptr_id"], "target_columns": ["id"]}
]$$);
SELECT r.source, r.name, r.kind, r.cardinality, r.target, r.via, r.relation_set
FROM matrx_relations.relations r WHERE r.relation_set = 'django' ORDER BY r.name, r.source::text;

-- every relation under its published name, against plain SQL
CREATE FUNCTION naive_books(ids int[]) RETURNS SETOF jsonb LANGUAGE sql AS $$
  SELECT to_jsonb(b) || jsonb_build_object(
    'authors', coalesce((SELECT jsonb_agg(to_jsonb(a) ORDER BY a.name, a.id) FROM app_author a
                         WHERE a.id IN (SELECT s.author_id FROM app_authorship s WHERE s.book_id = b.id)), '[]'),
    'first_author', (SELECT to_jsonb(a) FROM app_author a WHERE a.id = b.first_author_id),
    'tags', coalesce((SELECT jsonb_agg(jsonb_build_object('tag', t.tag) ORDER BY t.tag, t.id) FROM app_taggeditem t
                      WHERE t.object_id = b.id::text AND t.content_type_id = 1), '[]'))
  FROM app_book b JOIN unnest(ids) WITH ORDINALITY k(id, n) ON k.id = b.id ORDER BY k.n $$;
SELECT (SELECT array_agg(d) FROM matrx_relations.prefetch_related('app_book', ARRAY[2, 1, 3],
          'authors', 'first_author', 'tags') d)
     = (SELECT array_agg(d) FROM naive_books(ARRAY[2, 1, 3]) d) AS prefetch_same,
       (SELECT array_agg(d) FROM matrx_relations.select_related('app_book', ARRAY[2, 1, 3],
          'authors', 'first_author', 'tags') d)
     = (SELECT array_agg(d) FROM naive_books(ARRAY[2, 1, 3]) d) AS select_same,
       matrx_relations.prefetch_related('app_book', '[{"id": 2, "first_author_id": 2}, {"id": 1, "first_author_id": 1}, {"id": 3, "first_author_id": null}]'::jsonb,
          'authors', 'first_author', 'tags')
     = (SELECT jsonb_agg(d - 'title') FROM naive_books(ARRAY[2, 1, 3]) d) AS instances_same,
       matrx_relations.prefetch_batch('[{"source": "dj.app_book", "keys": [2, 1, 3], "relations": ["authors", "first_author", "tags"]}]')
     = (SELECT jsonb_build_array(jsonb_agg(d)) FROM naive_books(ARRAY[2, 1, 3]) d) AS batch_same;
SELECT d FROM matrx_relations.prefetch_related('app_book', ARRAY[1, 2, 3], 'authors', 'first_author', 'tags') d;
SELECT d FROM matrx_relations.prefetch_related('app_author', ARRAY[1, 2, 3], 'book_set', 'first_book') d;
SELECT d FROM matrx_relations.prefetch_related('app_person', ARRAY[1, 2, 3], 'friends', 'fans', 'tags') d;
SELECT d FROM matrx_relations.select_related('app_person', ARRAY[1, 2, 3], 'friends.fans') d;
SELECT p.id,
  (SELECT jsonb_agg(jsonb_build_object('id', f.id, 'name', f.name) ORDER BY f.id) FROM app_person f
   JOIN app_person_friends x ON x.to_person_id = f.id WHERE x.from_person_id = p.id) AS friends,
  (SELECT jsonb_agg(jsonb_build_object('id', f.id, 'name', f.name) ORDER BY f.id) FROM app_person f
   JOIN app_person_friends x ON x.from_person_id = f.id WHERE x.to_person_id = p.id) AS fans
FROM app_person p ORDER BY p.id;
-- Place.restaurant (the reverse of a OneToOne parent link): an object or null in every loader
CREATE FUNCTION naive_places(ids int[]) RETURNS SETOF jsonb LANGUAGE sql AS $$
  SELECT to_jsonb(p) || jsonb_build_object('restaurant',
    (SELECT to_jsonb(r) || jsonb_build_object('place_ptr', to_jsonb(p)) FROM app_restaurant r WHERE r.place_ptr_id = p.id))
  FROM app_place p JOIN unnest(ids) WITH ORDINALITY k(id, n) ON k.id = p.id ORDER BY k.n $$;
SELECT (SELECT array_agg(d) FROM matrx_relations.prefetch_related('app_place', ARRAY[3, 2, 1], 'restaurant.place_ptr') d)
     = (SELECT array_agg(d) FROM naive_places(ARRAY[3, 2, 1]) d) AS prefetch_same,
       (SELECT array_agg(d) FROM matrx_relations.select_related('app_place', ARRAY[3, 2, 1], 'restaurant.place_ptr') d)
     = (SELECT array_agg(d) FROM naive_places(ARRAY[3, 2, 1]) d) AS select_same,
       matrx_relations.prefetch_related('app_place', '[{"id": 3}, {"id": 2}, {"id": 1}]'::jsonb, 'restaurant.place_ptr')
     = (SELECT jsonb_agg(d - 'name') FROM naive_places(ARRAY[3, 2, 1]) d) AS instances_same,
       matrx_relations.prefetch_batch('[{"source": "dj.app_place", "keys": [3, 2, 1], "relations": ["restaurant.place_ptr"]}]')
     = (SELECT jsonb_build_array(jsonb_agg(d)) FROM naive_places(ARRAY[3, 2, 1]) d) AS batch_same;
SELECT d FROM matrx_relations.prefetch_related('app_place', ARRAY[1, 2, 3], 'restaurant') d;
SELECT node, name, kind, to_many FROM matrx_relations.load_nodes('app_place', 'restaurant');
SELECT node, id, parent, r FROM matrx_relations.load('app_place', ARRAY[1, 2, 3], 'restaurant.place_ptr') ORDER BY node, id, parent;
-- TaggedItem.content_object (GenericForeignKey): the book or person its content type names
CREATE FUNCTION naive_taggeditems(ids int[]) RETURNS SETOF jsonb LANGUAGE sql AS $$
  SELECT to_jsonb(t) || jsonb_build_object('content_object', CASE t.content_type_id
    WHEN 1 THEN (SELECT to_jsonb(b) || '{"__table": "dj.app_book"}' FROM app_book b WHERE b.id = t.object_id::int)
    WHEN 2 THEN (SELECT to_jsonb(p) || '{"__table": "dj.app_person"}' FROM app_person p WHERE p.id = t.object_id::int) END)
  FROM app_taggeditem t JOIN unnest(ids) WITH ORDINALITY k(id, n) ON k.id = t.id ORDER BY k.n $$;
SELECT (SELECT array_agg(d) FROM matrx_relations.prefetch_related('app_taggeditem', ARRAY[4, 3, 2, 1], 'content_object') d)
     = (SELECT array_agg(d) FROM naive_taggeditems(ARRAY[4, 3, 2, 1]) d) AS prefetch_same,
       matrx_relations.prefetch_related('app_taggeditem', (SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id DESC) FROM app_taggeditem t),
          'content_object')
     = (SELECT jsonb_agg(d) FROM naive_taggeditems(ARRAY[4, 3, 2, 1]) d) AS instances_same,
       matrx_relations.prefetch_batch('[{"source": "dj.app_taggeditem", "keys": [4, 3, 2, 1], "relations": ["content_object"]}]')
     = (SELECT jsonb_build_array(jsonb_agg(d)) FROM naive_taggeditems(ARRAY[4, 3, 2, 1]) d) AS batch_same;
SELECT d FROM matrx_relations.prefetch_related('app_taggeditem', ARRAY[1, 3, 4], 'content_object') d;
SELECT node, id, parent, r FROM matrx_relations.load('app_taggeditem', ARRAY[1, 3, 4], 'content_object') ORDER BY node, parent, id;
-- typed
SELECT node, name, relation, kind, columns FROM matrx_relations.load_nodes('app_book', 'authors', 'tags');
SELECT node, id, parent, r FROM matrx_relations.load('app_book', ARRAY[1], 'authors', 'tags') ORDER BY node, id;
SELECT * FROM matrx_relations.load_batch('[{"source": "dj.app_person", "keys": [1], "relations": ["friends"]}]') ORDER BY node, id;
-- the statements: one per edge group
SELECT * FROM matrx_relations.explain_related('app_book', 'authors', 'tags');
