-- model_rails.sql: a schema shaped like the tables Rails migrations make
-- (bigint ids; a polymorphic belongs_to, commentable_type + commentable_id,
-- and its has_many ... as: :commentable; has_many :through a join model
-- with its own id; has_one) where one published relation model makes
-- every relation loadable under the ORM's own names; each load compared
-- with plain SQL.
CREATE SCHEMA rails;
SET search_path = rails, public;
CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE TABLE photos (id bigint PRIMARY KEY, url text);
-- belongs_to :commentable, polymorphic: true
CREATE TABLE comments (id bigint PRIMARY KEY, body text, commentable_type varchar, commentable_id bigint);
-- Physician has_many :patients, through: :appointments
CREATE TABLE physicians (id bigint PRIMARY KEY, name text);
CREATE TABLE patients (id bigint PRIMARY KEY, name text);
CREATE TABLE appointments (id bigint PRIMARY KEY, physician_id bigint REFERENCES physicians,
                           patient_id bigint REFERENCES patients, appointment_date date);
-- Supplier has_one :account
CREATE TABLE suppliers (id bigint PRIMARY KEY, name text);
CREATE TABLE accounts (id bigint PRIMARY KEY, supplier_id bigint UNIQUE REFERENCES suppliers, account_number text);
INSERT INTO posts VALUES (1, 'p1'), (2, 'p2'), (3, 'p3');
INSERT INTO photos VALUES (1, 'ph1'), (2, 'ph2');
INSERT INTO comments VALUES (1, 'c1', 'Post', 1), (2, 'c2', 'Photo', 1), (3, 'c3', 'Post', 1),
    (4, 'c4', 'Post', 2), (5, 'c5', 'Video', 1), (6, 'c6', NULL, NULL), (7, 'c7', 'Photo', 2);
INSERT INTO physicians VALUES (1, 'dr b'), (2, 'dr a'), (3, 'dr c');
INSERT INTO patients VALUES (1, 'zoe'), (2, 'al'), (3, 'mo');
INSERT INTO appointments VALUES (1, 1, 1, '2026-01-01'), (2, 1, 2, '2026-01-02'), (3, 2, 2, '2026-01-03'),
    (4, 2, 3, '2026-01-04');
INSERT INTO suppliers VALUES (1, 's1'), (2, 's2');
INSERT INTO accounts VALUES (10, 1, 'A-1');

-- the ORM publishes its model once, under its own names
SELECT matrx_relations.publish_relations('rails_app', $$[
  {"source": "rails.comments", "name": "commentable_post", "target": "rails.posts",
   "source_columns": ["commentable_id"], "target_columns": ["id"],
   "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Post"}},
  {"source": "rails.comments", "name": "commentable_photo", "target": "rails.photos",
   "source_columns": ["commentable_id"], "target_columns": ["id"],
   "polymorphic": {"name": "commentable", "type_column": "commentable_type", "type_value": "Photo"}},
  {"source": "rails.posts", "name": "comments", "kind": "ifk", "target": "rails.comments",
   "source_columns": ["id"], "target_columns": ["commentable_id"], "where": {"commentable_type": "Post"}},
  {"source": "rails.photos", "name": "comments", "kind": "ifk", "target": "rails.comments",
   "source_columns": ["id"], "target_columns": ["commentable_id"], "where": {"commentable_type": "Photo"}},
  {"source": "rails.physicians", "name": "patients", "kind": "m2m", "target": "rails.patients",
   "via": "rails.appointments", "source_columns": ["id"], "via_source_columns": ["physician_id"],
   "target_columns": ["id"], "via_target_columns": ["patient_id"], "order_by": ["name"]},
  {"source": "rails.patients", "name": "physicians", "kind": "m2m", "target": "rails.physicians",
   "via": "rails.appointments", "source_columns": ["id"], "via_source_columns": ["patient_id"],
   "target_columns": ["id"], "via_target_columns": ["physician_id"]},
  {"source": "rails.physicians", "name": "appointments", "kind": "ifk", "target": "rails.appointments",
   "source_columns": ["id"], "target_columns": ["physician_id"], "order_by": ["appointment_date desc"]},
  {"source": "rails.suppliers", "name": "account", "target": "rails.accounts",
   "source_columns": ["id"], "target_columns": ["supplier_id"]},
  {"source": "rails.accounts", "name": "supplier", "kind": "fk", "target": "rails.suppliers",
   "source_columns": ["supplier_id"], "target_columns": ["id"]}
]$$);
SELECT r.source, r.name, r.kind, r.cardinality, r.target, r.via, r.options->'polymorphic'->>'type_value' AS type_value
FROM matrx_relations.relations r WHERE r.relation_set = 'rails_app' ORDER BY r.name, r.source::text;

-- comments.commentable: the post or photo its type names; null for another type, a NULL type or id
CREATE FUNCTION naive_comments(ids bigint[]) RETURNS SETOF jsonb LANGUAGE sql AS $$
  SELECT to_jsonb(c) || jsonb_build_object('commentable', CASE c.commentable_type
    WHEN 'Post' THEN (SELECT to_jsonb(p) || '{"__table": "rails.posts"}' FROM posts p WHERE p.id = c.commentable_id)
    WHEN 'Photo' THEN (SELECT to_jsonb(p) || '{"__table": "rails.photos"}' FROM photos p WHERE p.id = c.commentable_id) END)
  FROM comments c JOIN unnest(ids) WITH ORDINALITY k(id, n) ON k.id = c.id ORDER BY k.n $$;
SELECT (SELECT array_agg(d) FROM matrx_relations.prefetch_related('comments', ARRAY[7, 6, 5, 4, 3, 2, 1], 'commentable') d)
     = (SELECT array_agg(d) FROM naive_comments(ARRAY[7, 6, 5, 4, 3, 2, 1]) d) AS prefetch_same,
       matrx_relations.prefetch_related('comments', (SELECT jsonb_agg(to_jsonb(c) ORDER BY c.id DESC) FROM comments c),
          'commentable')
     = (SELECT jsonb_agg(d) FROM naive_comments(ARRAY[7, 6, 5, 4, 3, 2, 1]) d) AS instances_same,
       matrx_relations.prefetch_batch('[{"source": "rails.comments", "keys": [7, 6, 5, 4, 3, 2, 1], "relations": ["commentable"]}]')
     = (SELECT jsonb_build_array(jsonb_agg(d)) FROM naive_comments(ARRAY[7, 6, 5, 4, 3, 2, 1]) d) AS batch_same;
SELECT d FROM matrx_relations.prefetch_related('comments', ARRAY[1, 2, 5, 6], 'commentable') d;

-- posts.comments and photos.comments (has_many as: :commentable), physicians.patients
-- (has_many :through), physicians.appointments, suppliers.account (has_one)
CREATE FUNCTION naive_posts(ids bigint[]) RETURNS SETOF jsonb LANGUAGE sql AS $$
  SELECT to_jsonb(p) || jsonb_build_object('comments', coalesce((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.id)
    FROM comments c WHERE c.commentable_type = 'Post' AND c.commentable_id = p.id), '[]'))
  FROM posts p JOIN unnest(ids) WITH ORDINALITY k(id, n) ON k.id = p.id ORDER BY k.n $$;
CREATE FUNCTION naive_physicians(ids bigint[]) RETURNS SETOF jsonb LANGUAGE sql AS $$
  SELECT to_jsonb(h) || jsonb_build_object(
    'patients', coalesce((SELECT jsonb_agg(to_jsonb(t) || jsonb_build_object('physicians',
        (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.id) FROM physicians x
         WHERE x.id IN (SELECT a.physician_id FROM appointments a WHERE a.patient_id = t.id))) ORDER BY t.name, t.id)
      FROM patients t WHERE t.id IN (SELECT a.patient_id FROM appointments a WHERE a.physician_id = h.id)), '[]'),
    'appointments', coalesce((SELECT jsonb_agg(to_jsonb(a) ORDER BY a.appointment_date DESC, a.id)
      FROM appointments a WHERE a.physician_id = h.id), '[]'))
  FROM physicians h JOIN unnest(ids) WITH ORDINALITY k(id, n) ON k.id = h.id ORDER BY k.n $$;
CREATE FUNCTION naive_suppliers(ids bigint[]) RETURNS SETOF jsonb LANGUAGE sql AS $$
  SELECT to_jsonb(s) || jsonb_build_object('account', (SELECT to_jsonb(a) || jsonb_build_object('supplier', to_jsonb(s))
    FROM accounts a WHERE a.supplier_id = s.id))
  FROM suppliers s JOIN unnest(ids) WITH ORDINALITY k(id, n) ON k.id = s.id ORDER BY k.n $$;
SELECT (SELECT array_agg(d) FROM matrx_relations.prefetch_related('posts', ARRAY[3, 2, 1], 'comments') d)
     = (SELECT array_agg(d) FROM naive_posts(ARRAY[3, 2, 1]) d) AS posts_prefetch,
       (SELECT array_agg(d) FROM matrx_relations.select_related('posts', ARRAY[3, 2, 1], 'comments') d)
     = (SELECT array_agg(d) FROM naive_posts(ARRAY[3, 2, 1]) d) AS posts_select,
       (SELECT array_agg(d) FROM matrx_relations.prefetch_related('physicians', ARRAY[3, 2, 1],
          'patients.physicians', 'appointments') d)
     = (SELECT array_agg(d) FROM naive_physicians(ARRAY[3, 2, 1]) d) AS physicians_prefetch,
       (SELECT array_agg(d) FROM matrx_relations.select_related('physicians', ARRAY[3, 2, 1],
          'patients.physicians', 'appointments') d)
     = (SELECT array_agg(d) FROM naive_physicians(ARRAY[3, 2, 1]) d) AS physicians_select,
       matrx_relations.prefetch_related('physicians', '[{"id": 3}, {"id": 2}, {"id": 1}]'::jsonb,
          'patients.physicians', 'appointments')
     = (SELECT jsonb_agg(d - 'name') FROM naive_physicians(ARRAY[3, 2, 1]) d) AS physicians_instances,
       matrx_relations.prefetch_batch('[{"source": "rails.suppliers", "keys": [2, 1], "relations": ["account.supplier"]},
                                        {"source": "rails.posts", "keys": [3, 2, 1], "relations": ["comments"]}]')
     = jsonb_build_array((SELECT jsonb_agg(d) FROM naive_suppliers(ARRAY[2, 1]) d),
                         (SELECT jsonb_agg(d) FROM naive_posts(ARRAY[3, 2, 1]) d)) AS batch_same,
       (SELECT array_agg(d) FROM matrx_relations.select_related('suppliers', ARRAY[2, 1], 'account.supplier') d)
     = (SELECT array_agg(d) FROM naive_suppliers(ARRAY[2, 1]) d) AS suppliers_select;
SELECT d FROM matrx_relations.prefetch_related('physicians', ARRAY[1, 2, 3], 'patients', 'appointments') d;
SELECT d FROM matrx_relations.prefetch_related('suppliers', ARRAY[1, 2], 'account') d;
-- typed: the same relations as rows with links
SELECT node, name, relation, kind, to_many, target FROM matrx_relations.load_nodes('physicians', 'patients', 'appointments');
SELECT node, id, parent, r FROM matrx_relations.load('physicians', ARRAY[1, 2], 'patients', 'appointments')
ORDER BY node, parent, id;
SELECT node, id, parent, r FROM matrx_relations.load('suppliers', ARRAY[1, 2], 'account') ORDER BY node, id;
-- the polymorphic belongs_to: one node per arm (target table), a comment linked under its type's arm only
SELECT node, parent_node, name, relation, target FROM matrx_relations.load_nodes('comments', 'commentable');
SELECT node, id, parent, r FROM matrx_relations.load('comments', ARRAY[1, 2, 5, 6, 7], 'commentable') ORDER BY node, parent, id;
-- the statements: one per edge group
SELECT * FROM matrx_relations.explain_related('comments', 'commentable');
