-- one_to_one.sql: an ifk whose FK columns on the child are unique (Django's
-- OneToOneField, a multi-table inheritance parent link, Rails' has_one) is
-- to one: an object or null in every loader (keys, instances, spec forms,
-- select_related, prefetch_batch, load/load_batch/load_nodes), through the
-- relation cache, composite keys included, compared with naive SQL; the
-- relations view says its cardinality.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE EXTENSION matrx_relations;

SELECT plan(31);

CREATE SCHEMA o2o;
SET LOCAL search_path = o2o, public;
SET LOCAL client_min_messages = warning;

-- Django: multi-table inheritance (restaurant's parent link is its primary key)
CREATE TABLE place (id int PRIMARY KEY, name text);
CREATE TABLE restaurant (place_ptr_id int PRIMARY KEY REFERENCES place, serves_pizza boolean);
CREATE TABLE waiter (id int PRIMARY KEY, restaurant_id int REFERENCES restaurant, name text);
-- Django: OneToOneField (a unique FK column beside its own id)
CREATE TABLE users (id int PRIMARY KEY, name text);
CREATE TABLE profile (id int PRIMARY KEY, user_id int UNIQUE REFERENCES users, bio text);
-- a plain FK to users stays to many
CREATE TABLE post (id int PRIMARY KEY, user_id int REFERENCES users, title text);
-- composite: the child's two FK columns are its unique key
CREATE TABLE account (region text, num int, owner text, PRIMARY KEY (region, num));
CREATE TABLE account_settings (id int PRIMARY KEY, region text, num int, theme text,
    UNIQUE (num, region), FOREIGN KEY (region, num) REFERENCES account);
-- a unique key inside the FK columns is enough (at most one child per key)
CREATE TABLE account_note (region text, num int, note text, UNIQUE (region),
    FOREIGN KEY (region, num) REFERENCES account);

INSERT INTO place SELECT g, 'place' || g FROM generate_series(1, 10) g;
INSERT INTO restaurant SELECT g, g % 2 = 0 FROM generate_series(1, 10) g WHERE g % 3 <> 0;
INSERT INTO waiter SELECT g, (ARRAY[1, 2, 4, 5, 7, 8])[1 + g % 6], 'w' || g FROM generate_series(1, 15) g;
INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 8) g;
INSERT INTO profile SELECT 100 + g, g, 'bio' || g FROM generate_series(1, 8) g WHERE g % 2 = 1;
INSERT INTO post SELECT g, 1 + g % 8, 't' || g FROM generate_series(1, 20) g;
INSERT INTO account SELECT r, n, r || n FROM unnest(ARRAY['eu', 'us']) r, generate_series(1, 3) n;
INSERT INTO account_settings VALUES (1, 'eu', 1, 'dark'), (2, 'us', 2, 'light'), (3, 'us', 3, 'dark');
INSERT INTO account_note VALUES ('eu', 2, 'n1');

-- a client's reassembly of load's output (named, nodes, links ...)
\ir include/reassemble.psql

SET LOCAL matrx_relations.cache = off;

-- naive SQL: places with their restaurant (an object or null) and its waiters
CREATE FUNCTION naive_places(ids int[]) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_agg(to_jsonb(p) || jsonb_build_object('restaurant',
        (SELECT to_jsonb(r) || jsonb_build_object('waiter',
                 coalesce((SELECT jsonb_agg(to_jsonb(w) ORDER BY w.id) FROM waiter w WHERE w.restaurant_id = r.place_ptr_id), '[]'))
         FROM restaurant r WHERE r.place_ptr_id = p.id)) ORDER BY k.n)
    FROM unnest(ids) WITH ORDINALITY k(id, n) JOIN place p ON p.id = k.id $$;
CREATE FUNCTION naive_users(ids int[]) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_agg(to_jsonb(u) || jsonb_build_object(
        'profile', (SELECT to_jsonb(x) FROM profile x WHERE x.user_id = u.id),
        'post', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.id) FROM post x WHERE x.user_id = u.id), '[]')) ORDER BY k.n)
    FROM unnest(ids) WITH ORDINALITY k(id, n) JOIN users u ON u.id = k.id $$;

-- ---------------------------------------------------------------------------
-- The view
-- ---------------------------------------------------------------------------
SELECT results_eq($$SELECT source::text, name, kind, cardinality FROM matrx_relations.relations
                    WHERE source::text IN ('place', 'restaurant', 'users', 'account') ORDER BY 1, 2$$,
    $$VALUES ('account', 'account_note', 'ifk', 'one'), ('account', 'account_settings', 'ifk', 'one'),
             ('place', 'restaurant', 'ifk', 'one'), ('restaurant', 'place_ptr', 'fk', 'one'),
             ('restaurant', 'waiter', 'ifk', 'many'), ('users', 'post', 'ifk', 'many'),
             ('users', 'profile', 'ifk', 'one')$$,
    'relations view: cardinality one for fk and unique ifk, many otherwise');

-- ---------------------------------------------------------------------------
-- Every loader: an object or null
-- ---------------------------------------------------------------------------
SELECT is(docs('place', ARRAY[1, 3, 2, 9, 4], 'restaurant.waiter'), naive_places(ARRAY[1, 3, 2, 9, 4]),
          'prefetch_related keys: parent link as object or null, nested to-many below it');
SELECT is((SELECT d->'restaurant' FROM matrx_relations.prefetch_related('place', ARRAY[3], 'restaurant') d), 'null'::jsonb,
          'no child: null, not []');
SELECT is(docs('users', ARRAY[1, 2, 3, 4, 5, 6, 7, 8], 'profile', 'post'), naive_users(ARRAY[1, 2, 3, 4, 5, 6, 7, 8]),
          'OneToOneField reverse is an object, the plain reverse FK beside it a list');
SELECT is(matrx_relations.prefetch_related('place', '[{"id": 2}, {"id": 3}, {"id": 2}]'::jsonb, 'restaurant.waiter'),
          (SELECT jsonb_agg(e - 'name') FROM jsonb_array_elements(naive_places(ARRAY[2, 3, 2])) e),
          'prefetch_related instances');
SELECT is((SELECT jsonb_agg(d) FROM matrx_relations.select_related('place', ARRAY[1, 3, 2, 9, 4], 'restaurant.waiter') d),
          naive_places(ARRAY[1, 3, 2, 9, 4]), 'select_related');
SELECT is((SELECT jsonb_agg(d) FROM matrx_relations.select_related('users', ARRAY[1, 2, 3, 4, 5, 6, 7, 8], 'profile', 'post') d),
          naive_users(ARRAY[1, 2, 3, 4, 5, 6, 7, 8]), 'select_related: to-one ifk beside a to-many one');
SELECT is((SELECT jsonb_agg(d) FROM matrx_relations.select_related('waiter', ARRAY[1, 2, 3], 'restaurant.place_ptr.restaurant') d),
          (SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('waiter', ARRAY[1, 2, 3], 'restaurant.place_ptr.restaurant') d),
          'select_related: a to-one ifk nested inside an fk chain (probed)');
SELECT is((SELECT jsonb_agg(d) FROM matrx_relations.select_related('restaurant', ARRAY[1, 2], '{"waiter": {"include": {"restaurant": {"include": {"place_ptr": {"include": {"restaurant": {}}}}}}}}'::jsonb) d),
          (SELECT jsonb_agg(d) FROM matrx_relations.prefetch_related('restaurant', ARRAY[1, 2], '{"waiter": {"include": {"restaurant": {"include": {"place_ptr": {"include": {"restaurant": {}}}}}}}}'::jsonb) d),
          'select_related: a to-one ifk inside a to-many aggregate');
SELECT is(matrx_relations.prefetch_batch('[{"source": "o2o.place", "keys": [1, 3], "relations": ["restaurant.waiter"]},
                                           {"source": "o2o.place", "instances": [{"id": 4}], "relations": ["restaurant"]}]'),
          jsonb_build_array(naive_places(ARRAY[1, 3]),
                            (SELECT jsonb_agg(jsonb_build_object('id', 4, 'restaurant', (e->'restaurant') - 'waiter')) FROM jsonb_array_elements(naive_places(ARRAY[4])) e)),
          'prefetch_batch: keys and instances requests');

-- spec: where filters the object to null; limit and order_by are for to-many edges
SELECT is(docs_spec('place', ARRAY[1, 2, 4], '{"restaurant": {"where": {"serves_pizza": true}, "columns": ["place_ptr_id"]}}'),
          '[{"id": 1, "name": "place1", "restaurant": null}, {"id": 2, "name": "place2", "restaurant": {"place_ptr_id": 2}},
            {"id": 4, "name": "place4", "restaurant": {"place_ptr_id": 4}}]'::jsonb,
          'spec: a where that filters out the child gives null');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('place', ARRAY[1], '{"restaurant": {"limit": 1}}'::jsonb)$$,
          '22023', NULL, 'spec: limit on a to-one ifk is 22023');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('users', ARRAY[1], '{"profile": {"order_by": ["bio"]}}'::jsonb)$$,
          '22023', NULL, 'spec: order_by on a to-one ifk is 22023');

-- composite keys: the child's unique key equals, or lies inside, the FK columns
SELECT is(matrx_relations.prefetch_related('account', (SELECT jsonb_agg(to_jsonb(a) ORDER BY region, num) FROM account a),
                                           'account_settings', 'account_note'),
          (SELECT jsonb_agg(to_jsonb(a) || jsonb_build_object(
               'account_settings', (SELECT to_jsonb(s) FROM account_settings s WHERE (s.region, s.num) = (a.region, a.num)),
               'account_note', (SELECT to_jsonb(s) FROM account_note s WHERE (s.region, s.num) = (a.region, a.num))) ORDER BY region, num)
           FROM account a),
          'composite keys: to-one ifk on two columns (instances)');

-- ---------------------------------------------------------------------------
-- Typed forms: load_nodes says to_many = false, load links one row at most
-- ---------------------------------------------------------------------------
SELECT results_eq($$SELECT name, kind, to_many FROM matrx_relations.load_nodes('place', 'restaurant.waiter') WHERE node > 0$$,
          $$VALUES ('restaurant', 'ifk', false), ('waiter', 'ifk', true)$$, 'load_nodes: to_many false for a unique ifk');
SELECT results_eq($$SELECT name, to_many FROM matrx_relations.load_nodes('users', '{"profile": {}, "post": {}}'::jsonb) WHERE node > 0$$,
          $$VALUES ('post', true), ('profile', false)$$, 'load_nodes, spec form');
SELECT is(typed('place', ARRAY[1, 3, 2, 9, 4], 'restaurant.waiter'), naive_places(ARRAY[1, 3, 2, 9, 4]), 'load: rebuilt documents equal naive SQL');
SELECT is(typed_inst('users', '[{"id": 2}, {"id": 1}, {"id": 1}]', 'profile', 'post'),
          matrx_relations.prefetch_related('users', '[{"id": 2}, {"id": 1}, {"id": 1}]'::jsonb, 'profile', 'post'), 'load instances');
SELECT is(typed_spec('place', ARRAY[1, 2, 4], '{"restaurant": {"where": {"serves_pizza": true}}}'),
          docs_spec('place', ARRAY[1, 2, 4], '{"restaurant": {"where": {"serves_pizza": true}}}'), 'load spec');
SELECT is((SELECT count(*) FROM matrx_relations.load_batch('[{"source": "o2o.place", "keys": [1, 2, 3], "relations": ["restaurant"]},
                                                              {"source": "o2o.place", "keys": [2], "relations": ["restaurant"]}]') WHERE node = 1),
          3::bigint, 'load_batch: one link per parent with a child');

-- explain_related: no ORDER BY for a to-one edge's statement
SELECT is((SELECT count(*) FROM matrx_relations.explain_related('place', 'restaurant') s WHERE s LIKE '%ORDER BY%'), 0::bigint,
          'explain_related: the to-one statement is not ordered');

-- statement counts: unchanged (one per edge group)
CREATE FUNCTION statements() RETURNS int LANGUAGE sql AS $$
    SELECT coalesce(sum(calls), 0)::int FROM public.pg_stat_statements WHERE NOT toplevel
        AND query NOT LIKE '%pg_stat_statements%' $$;
SELECT count(*) FROM matrx_relations.prefetch_related('place', ARRAY[1], 'restaurant.waiter');
SELECT public.pg_stat_statements_reset();
SELECT count(*) FROM matrx_relations.prefetch_related('place', ARRAY[1, 2, 3, 4, 5, 6], 'restaurant.waiter');
SELECT is(statements(), 3, 'statements: 1 + one per edge');
-- an fk and a to-one ifk reading the same table on the same key columns share a statement
SELECT public.pg_stat_statements_reset();
SELECT jsonb_array_length(matrx_relations.prefetch_batch('[{"source": "o2o.place", "keys": [1, 2, 3], "relations": ["restaurant"]},
                                                           {"source": "o2o.waiter", "keys": [1, 2, 3], "relations": ["restaurant"]}]'));
SELECT is(statements(), 3, 'prefetch_batch: place.restaurant (ifk) and waiter.restaurant (fk) are one group: 2 + 1 statements');
SELECT is(matrx_relations.prefetch_batch('[{"source": "o2o.place", "keys": [1, 2, 3], "relations": ["restaurant"]},
                                           {"source": "o2o.waiter", "keys": [1, 2, 3], "relations": ["restaurant"]}]'),
          jsonb_build_array(docs('place', ARRAY[1, 2, 3], 'restaurant'), docs('waiter', ARRAY[1, 2, 3], 'restaurant')),
          'prefetch_batch: the shared group gives each request its own documents');

-- ---------------------------------------------------------------------------
-- The relation cache: a hit gives the same object
-- ---------------------------------------------------------------------------
SET LOCAL matrx_relations.cache = on;
SELECT is(docs('place', ARRAY[1, 3, 2], 'restaurant.waiter'), naive_places(ARRAY[1, 3, 2]), 'cache on: first load');
CREATE FUNCTION twice(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE before bigint;
BEGIN
    EXECUTE q;
    SELECT statements INTO before FROM matrx_relations.stats();
    EXECUTE q;
    RETURN (SELECT statements FROM matrx_relations.stats()) - before;
END $$;
SELECT is(twice($$SELECT count(*) FROM matrx_relations.prefetch_related('o2o.place', ARRAY[1, 3, 2], 'restaurant.waiter')$$), 0::bigint,
          'cache on: a repeated load runs no statement');
SELECT is(docs('place', ARRAY[1, 3, 2], 'restaurant.waiter'), naive_places(ARRAY[1, 3, 2]), 'cache on: a hit gives the same documents');
SELECT is(matrx_relations.prefetch_related('place', '[{"id": 1}, {"id": 3}]'::jsonb, 'restaurant'),
          matrx_relations.prefetch_related('place', '[{"id": 1}, {"id": 3}]'::jsonb, 'restaurant'), 'cache on: instances twice');
SELECT is((SELECT count(*) FROM matrx_relations.load('place', ARRAY[1, 3], 'restaurant') WHERE node = 1), 1::bigint, 'cache on: load');
SET LOCAL matrx_relations.cache = off;

-- ---------------------------------------------------------------------------
-- DDL: dropping the unique constraint makes it to many again
-- ---------------------------------------------------------------------------
ALTER TABLE profile DROP CONSTRAINT profile_user_id_key;
SELECT is((SELECT d->'profile' FROM matrx_relations.prefetch_related('users', ARRAY[1], 'profile') d),
          (SELECT jsonb_agg(to_jsonb(x)) FROM profile x WHERE user_id = 1), 'without the unique constraint: a list again');
ALTER TABLE profile ADD UNIQUE (user_id);
SELECT is((SELECT cardinality FROM matrx_relations.relations WHERE source = 'users'::regclass AND name = 'profile'), 'one',
          'with it again: one');

SELECT * FROM finish();
ROLLBACK;
