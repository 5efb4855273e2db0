-- junction.sql: many-to-many named by its junction table in a path
-- ("alias:junction::fk"), without registering it: junctions with a
-- surrogate key and no unique constraint (Django's explicit through=,
-- Rails' has_many :through), an m2m beside a reverse FK to the same target
-- (Django's Book.authors beside Author.first_book), self-m2m in both
-- directions; every loader against naive SQL; the errors.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE EXTENSION matrx_relations;

SELECT plan(54);

CREATE SCHEMA jtap;
SET LOCAL search_path = jtap, public;
SET LOCAL client_min_messages = warning;

-- Django: Book.authors (auto junction: surrogate id and a unique pair) beside Author.first_book
CREATE TABLE book (id int PRIMARY KEY, title text);
CREATE TABLE author (id int PRIMARY KEY, name text, first_book_id int REFERENCES book);
CREATE TABLE book_authors (id serial PRIMARY KEY, book_id int NOT NULL REFERENCES book,
    author_id int NOT NULL REFERENCES author, UNIQUE (book_id, author_id));
-- Django explicit through= / Rails has_many :through: surrogate key, no unique pair
CREATE TABLE person (id int PRIMARY KEY, name text);
CREATE TABLE grp (id int PRIMARY KEY, name text);
CREATE TABLE membership (id int PRIMARY KEY, person_id int REFERENCES person, group_id int REFERENCES grp,
    invite_reason text);
-- self-m2m, asymmetric (Django symmetrical=False): friends one way, idols the other
CREATE TABLE person_friends (id serial PRIMARY KEY, from_person_id int REFERENCES person,
    to_person_id int REFERENCES person, UNIQUE (from_person_id, to_person_id));
-- composite keys through a junction with a surrogate key
CREATE TABLE shelf (site text, num int, PRIMARY KEY (site, num));
CREATE TABLE shelving (id int PRIMARY KEY, site text, num int, book_id int REFERENCES book,
    FOREIGN KEY (site, num) REFERENCES shelf);

INSERT INTO book SELECT g, 'b' || g FROM generate_series(1, 6) g;
INSERT INTO author SELECT g, 'a' || g, CASE WHEN g < 5 THEN g END FROM generate_series(1, 6) g;
INSERT INTO book_authors (book_id, author_id) SELECT b, a FROM generate_series(1, 6) b, generate_series(1, 6) a WHERE (a + b) % 3 = 0;
INSERT INTO person SELECT g, 'p' || g FROM generate_series(1, 6) g;
INSERT INTO grp SELECT g, 'g' || g FROM generate_series(1, 4) g;
INSERT INTO membership VALUES (1, 1, 3, 'x'), (2, 1, 2, 'y'), (3, 1, 2, 'again'), (4, 2, 1, NULL), (5, 3, 3, NULL), (6, 3, 1, NULL);
INSERT INTO person_friends (from_person_id, to_person_id) VALUES (1, 2), (1, 3), (2, 1), (4, 1), (5, 1), (3, 6);
INSERT INTO shelf SELECT s, n FROM unnest(ARRAY['a', 'b']) s, generate_series(1, 2) n;
INSERT INTO shelving VALUES (1, 'a', 1, 3), (2, 'a', 1, 1), (3, 'b', 2, 3), (4, 'a', 1, 3), (5, 'b', 1, 6);

-- a client's reassembly of load's output (named, nodes, links ...)
\ir include/reassemble.psql

SET LOCAL matrx_relations.cache = off;

-- naive SQL: each source row with the distinct targets its junction rows link it to, by target key
CREATE FUNCTION naive_m2m(src regclass, ids int[], key text, junction regclass, jin text, jout text, target regclass)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE result jsonb;
BEGIN
    EXECUTE format($q$SELECT jsonb_agg(to_jsonb(s) || jsonb_build_object(%L,
        coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM %s t
                  WHERE t.id IN (SELECT j.%I FROM %s j WHERE j.%I = s.id)), '[]')) ORDER BY k.n)
        FROM unnest($1) WITH ORDINALITY k(id, n) JOIN %s s ON s.id = k.id$q$,
        key, target, jout, junction, jin, src) USING ids INTO result;
    RETURN result;
END $$;

-- ---------------------------------------------------------------------------
-- The ambiguities of the issue, and the junction form that resolves them
-- ---------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('book', ARRAY[1], 'author')$$, '42P09', NULL,
          'book: m2m "author" beside the reverse FK "author" is ambiguous');
SELECT is(docs('book', ARRAY[3, 1, 2], 'authors:book_authors::author'),
          naive_m2m('book', ARRAY[3, 1, 2], 'authors', 'book_authors', 'book_id', 'author_id', 'author'),
          'book: authors:book_authors::author');
SELECT is(docs('book', ARRAY[3, 1, 2], 'authors:book_authors::'),
          naive_m2m('book', ARRAY[3, 1, 2], 'authors', 'book_authors', 'book_id', 'author_id', 'author'),
          'junction:: without fk: its one other foreign key');
SELECT is(docs('book', ARRAY[3, 1], 'book_authors::book_authors_author_id_fkey'),
          docs('book', ARRAY[3, 1], 'author:book_authors::author'),
          'the fk by its constraint name; without alias, the output key is the target table');
SELECT is(docs('person', ARRAY[1, 2, 3, 4], 'friends:person_friends::to_person', 'idols:person_friends::from_person'),
          (SELECT jsonb_agg(a || jsonb_build_object('idols', b->'idols')) FROM
              jsonb_array_elements(naive_m2m('person', ARRAY[1, 2, 3, 4], 'friends', 'person_friends', 'from_person_id', 'to_person_id', 'person')) WITH ORDINALITY x(a, i)
              JOIN jsonb_array_elements(naive_m2m('person', ARRAY[1, 2, 3, 4], 'idols', 'person_friends', 'to_person_id', 'from_person_id', 'person')) WITH ORDINALITY y(b, i2) ON i = i2),
          'self-m2m: both directions by naming the way out');

-- ---------------------------------------------------------------------------
-- A through model with a surrogate key and no unique pair
-- ---------------------------------------------------------------------------
SELECT is(docs('person', ARRAY[1, 2, 3, 5], 'groups:membership::group'),
          naive_m2m('person', ARRAY[1, 2, 3, 5], 'groups', 'membership', 'person_id', 'group_id', 'grp'),
          'surrogate-key junction: accepted, duplicate links collapse');
SELECT is(docs('grp', ARRAY[1, 2, 3, 4], 'members:membership::person.groups:membership::group'),
          (SELECT jsonb_agg(g || jsonb_build_object('members', (SELECT coalesce(jsonb_agg(m || jsonb_build_object('groups',
                  naive_m2m('person', ARRAY[(m->>'id')::int], 'groups', 'membership', 'person_id', 'group_id', 'grp')->0->'groups')), '[]')
              FROM jsonb_array_elements(g->'members') m)))
           FROM jsonb_array_elements(naive_m2m('grp', ARRAY[1, 2, 3, 4], 'members', 'membership', 'group_id', 'person_id', 'person')) g),
          'nested junction segments');
SELECT is(matrx_relations.prefetch_related('person', '[{"id": 1}, {"id": 3}, {"id": 1}]'::jsonb, 'groups:membership::group'),
          (SELECT jsonb_agg(jsonb_build_object('id', e->'id', 'groups', e->'groups'))
           FROM jsonb_array_elements(naive_m2m('person', ARRAY[1, 3, 1], 'groups', 'membership', 'person_id', 'group_id', 'grp')) e),
          'instances form');
SELECT is((SELECT jsonb_agg(d) FROM matrx_relations.select_related('person', ARRAY[1, 2, 3, 5], 'groups:membership::group', 'friends:person_friends::to_person') d),
          docs('person', ARRAY[1, 2, 3, 5], 'groups:membership::group', 'friends:person_friends::to_person'), 'select_related');
SELECT is(matrx_relations.prefetch_batch('[{"source": "jtap.person", "keys": [1, 2], "relations": ["groups:membership::group"]},
                                           {"source": "jtap.person", "instances": [{"id": 3}], "relations": ["groups:membership::group"]}]'),
          jsonb_build_array(docs('person', ARRAY[1, 2], 'groups:membership::group'),
                            matrx_relations.prefetch_related('person', '[{"id": 3}]'::jsonb, 'groups:membership::group')),
          'prefetch_batch');
SELECT is(docs_spec('person', ARRAY[1, 3], '{"groups": {"relation": "membership::group", "where": {"name": {"ne": "g1"}}, "order_by": ["name desc"]}}'),
          (SELECT jsonb_agg(jsonb_set(e, '{groups}', coalesce((SELECT jsonb_agg(x ORDER BY x->>'name' DESC) FROM jsonb_array_elements(e->'groups') x WHERE x->>'name' <> 'g1'), '[]')))
           FROM jsonb_array_elements(naive_m2m('person', ARRAY[1, 3], 'groups', 'membership', 'person_id', 'group_id', 'grp')) e),
          'spec: "relation" in the junction form, with where and order_by');
SELECT is(typed('person', ARRAY[1, 2, 3, 5], 'groups:membership::group', 'friends:person_friends::to_person.groups:membership::group'),
          docs('person', ARRAY[1, 2, 3, 5], 'groups:membership::group', 'friends:person_friends::to_person.groups:membership::group'),
          'load: rebuilt documents');
SELECT results_eq($$SELECT name, relation, kind, to_many, target FROM matrx_relations.load_nodes('person', 'groups:membership::group') WHERE node = 1$$,
          $$VALUES ('groups', 'membership::group', 'm2m', true, 'jtap.grp'::regclass)$$, 'load_nodes: an m2m');
SELECT results_eq($$SELECT source_key, (related).id FROM matrx_relations.fetch_related(NULL::grp, 'person', 'membership::group', ARRAY[1, 3])$$,
          $$VALUES (1, 2), (1, 3), (3, 1), (3, 3)$$, 'fetch_related');
SELECT results_eq($$SELECT source_key, (related).id FROM matrx_relations.fetch_related(NULL::grp, 'person', 'g:membership::group', ARRAY[1])$$,
          $$VALUES (1, 2), (1, 3)$$, 'fetch_related: an alias is ignored');
SELECT is((SELECT count(*) FROM matrx_relations.explain_related('person', 'groups:membership::group') s WHERE s LIKE '%DISTINCT%' AND s LIKE '%jtap.membership%'), 1::bigint,
          'explain_related: one statement through the junction, DISTINCT (no unique pair)');
SELECT is(matrx_relations.prefetch_related('shelf', (SELECT jsonb_agg(to_jsonb(s) ORDER BY site, num) FROM shelf s), 'books:shelving::book'),
          (SELECT jsonb_agg(to_jsonb(s) || jsonb_build_object('books', coalesce((SELECT jsonb_agg(to_jsonb(b) ORDER BY b.id) FROM book b
               WHERE b.id IN (SELECT v.book_id FROM shelving v WHERE (v.site, v.num) = (s.site, s.num))), '[]')) ORDER BY site, num) FROM shelf s),
          'composite keys: a two-column way in through a surrogate-key junction');

-- statements: one per edge group, as any m2m
CREATE FUNCTION statements() RETURNS int LANGUAGE sql AS $$
    SELECT coalesce(sum(calls), 0)::int FROM public.pg_stat_statements WHERE NOT toplevel
        AND query NOT LIKE '%pg_stat_statements%' $$;
SELECT count(*) FROM matrx_relations.prefetch_related('person', ARRAY[1], 'groups:membership::group', 'g2:membership::group');
SELECT public.pg_stat_statements_reset();
SELECT count(*) FROM matrx_relations.prefetch_related('person', ARRAY[1, 2, 3], 'groups:membership::group', 'g2:membership::group');
SELECT is(statements(), 2, 'statements: 1 + one group for two aliases of one junction relation');

-- ---------------------------------------------------------------------------
-- "duplicates": "keep": one entry per junction row, in the junction's order
-- (Django's [3, 2, 2]) or after a given order_by; "collapse" is the default
-- ---------------------------------------------------------------------------
-- naive SQL: person's groups, one per membership row, ordered by ord, the first lim
CREATE FUNCTION naive_keep(ids int[], ord text, lim int, cond text DEFAULT 'true') RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE result jsonb;
BEGIN
    EXECUTE format($q$SELECT jsonb_agg(to_jsonb(p) || jsonb_build_object('groups',
        coalesce((SELECT jsonb_agg(x.g ORDER BY x.rn) FROM (SELECT to_jsonb(g) AS g, row_number() OVER (ORDER BY %s) AS rn
                  FROM membership m JOIN grp g ON g.id = m.group_id WHERE m.person_id = p.id AND (%s)) x WHERE x.rn <= %s), '[]')) ORDER BY k.n)
        FROM unnest($1) WITH ORDINALITY k(id, n) JOIN person p ON p.id = k.id$q$, ord, cond, lim) USING ids INTO result;
    RETURN result;
END $$;
CREATE FUNCTION keep(extra jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('groups', jsonb_build_object('relation', 'membership::group', 'duplicates', 'keep') || extra) $$;
SELECT is(docs_spec('person', ARRAY[1, 2, 3, 4], keep()), naive_keep(ARRAY[1, 2, 3, 4], 'm.id', 1000),
          'keep: one entry per junction row, in junction order');
SELECT is((SELECT jsonb_agg(x->'id') FROM jsonb_array_elements(docs_spec('person', ARRAY[1], keep())->0->'groups') x), '[3, 2, 2]'::jsonb,
          'keep: Django''s [3, 2, 2]');
SELECT is(docs_spec('person', ARRAY[1, 2, 3], '{"groups": {"relation": "membership::group", "duplicates": "collapse"}}'),
          docs('person', ARRAY[1, 2, 3], 'groups:membership::group'), 'collapse: the default');
SELECT is(docs_spec('person', ARRAY[1, 2, 3, 4], keep('{"order_by": ["name desc"]}')), naive_keep(ARRAY[1, 2, 3, 4], 'g.name DESC, g.id, m.id', 1000),
          'keep with order_by: that order, then the junction''s');
SELECT is(docs_spec('person', ARRAY[1, 2, 3, 4], keep('{"limit": 2}')), naive_keep(ARRAY[1, 2, 3, 4], 'm.id', 2), 'keep with a per-parent limit');
SELECT is(docs_spec('person', ARRAY[1, 2, 3, 4], keep('{"where": {"name": {"ne": "g3"}}, "columns": ["name"]}')),
          (SELECT jsonb_agg(jsonb_set(e, '{groups}', (SELECT coalesce(jsonb_agg(jsonb_build_object('name', x->'name')), '[]') FROM jsonb_array_elements(e->'groups') x)))
           FROM jsonb_array_elements(naive_keep(ARRAY[1, 2, 3, 4], 'm.id', 1000, $$g.name <> 'g3'$$)) e),
          'keep with where and columns');
SELECT is(matrx_relations.prefetch_related('person', '[{"id": 3}, {"id": 1}]'::jsonb, keep()),
          (SELECT jsonb_agg(jsonb_build_object('id', e->'id', 'groups', e->'groups')) FROM jsonb_array_elements(naive_keep(ARRAY[3, 1], 'm.id', 1000)) e),
          'keep: instances form');
SELECT is((SELECT jsonb_agg(d) FROM matrx_relations.select_related('person', ARRAY[1, 2, 3, 4], keep()) d), naive_keep(ARRAY[1, 2, 3, 4], 'm.id', 1000),
          'keep: select_related');
SELECT is((SELECT jsonb_agg(d) FROM matrx_relations.select_related('person', ARRAY[1, 2, 3, 4], keep('{"limit": 2, "order_by": ["name"]}')) d),
          naive_keep(ARRAY[1, 2, 3, 4], 'g.name, g.id, m.id', 2), 'keep: select_related with limit and order_by');
SELECT is((SELECT jsonb_agg(d) FROM matrx_relations.select_related('grp', ARRAY[2, 3],
              '{"members": {"relation": "membership::person", "include": {"groups": {"relation": "membership::group", "duplicates": "keep", "limit": 2}}}}'::jsonb) d),
          docs_spec('grp', ARRAY[2, 3], '{"members": {"relation": "membership::person", "include": {"groups": {"relation": "membership::group", "duplicates": "keep", "limit": 2}}}}'),
          'keep: nested, with a limit, select_related equals prefetch_related');
SELECT is(matrx_relations.prefetch_batch(jsonb_build_array(jsonb_build_object('source', 'jtap.person', 'keys', '[1, 2]'::jsonb, 'spec', keep()),
                                                           jsonb_build_object('source', 'jtap.person', 'keys', '[1, 3]'::jsonb, 'relations', '["groups:membership::group"]'::jsonb))),
          jsonb_build_array(naive_keep(ARRAY[1, 2], 'm.id', 1000), docs('person', ARRAY[1, 3], 'groups:membership::group')),
          'keep: prefetch_batch, beside a collapsing request');
SELECT is(typed_spec('person', ARRAY[1, 2, 3, 4], keep()), naive_keep(ARRAY[1, 2, 3, 4], 'm.id', 1000), 'keep: load, rebuilt');
SELECT is((SELECT count(*) FROM matrx_relations.load('person', ARRAY[1], keep()) WHERE node = 1), 3::bigint, 'keep: load links once per junction row');
SELECT is((SELECT count(DISTINCT id) FROM matrx_relations.load('person', ARRAY[1], keep()) WHERE node = 1), 2::bigint, 'keep: each row still sent once');
SELECT is((SELECT jsonb_agg(x->'id') FROM jsonb_array_elements(docs_spec('book', ARRAY[3],
              '{"authors": {"relation": "book_authors::author", "duplicates": "keep"}}')->0->'authors') x),
          (SELECT jsonb_agg(author_id ORDER BY id) FROM book_authors WHERE book_id = 3), 'keep on a unique junction: junction order');
SELECT public.pg_stat_statements_reset();
SELECT count(*) FROM matrx_relations.prefetch_related('person', ARRAY[1, 2], '{"a": {"relation": "membership::group"}, "b": {"relation": "membership::group", "duplicates": "keep"}}'::jsonb);
SELECT is(statements(), 3, 'keep and collapse edges are two groups');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('grp', ARRAY[1], '{"membership": {"duplicates": "keep"}}'::jsonb)$$, '22023', NULL,
          'duplicates on an ifk: 22023');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('person', ARRAY[1], '{"g": {"relation": "membership::group", "duplicates": true}}'::jsonb)$$, '22023', NULL,
          'duplicates neither keep nor collapse: 22023');

-- a registered m2m's "duplicates": the default of its loads, a spec's own overrides it
SELECT matrx_relations.register_relation('person', 'kept', 'grp', '{id}', '{id}', 'membership', '{person_id}', '{group_id}',
    options => '{"duplicates": "keep"}');
SELECT is(docs('person', ARRAY[1, 2, 3, 4], 'groups:kept'), naive_keep(ARRAY[1, 2, 3, 4], 'm.id', 1000),
          'registered "duplicates": "keep": one entry per junction row');
SELECT is((SELECT jsonb_agg(d) FROM matrx_relations.select_related('person', ARRAY[1, 2, 3, 4], 'groups:kept') d),
          naive_keep(ARRAY[1, 2, 3, 4], 'm.id', 1000), 'registered "duplicates": "keep": select_related');
SELECT is(typed('person', ARRAY[1, 2, 3, 4], 'groups:kept'), naive_keep(ARRAY[1, 2, 3, 4], 'm.id', 1000),
          'registered "duplicates": "keep": load, rebuilt');
SELECT is(docs_spec('person', ARRAY[1, 2, 3], '{"groups": {"relation": "kept", "duplicates": "collapse"}}'),
          docs('person', ARRAY[1, 2, 3], 'groups:membership::group'), 'a spec''s "collapse" overrides the registered "keep"');
SELECT is(docs_spec('person', ARRAY[1, 2, 3, 4], '{"groups": {"relation": "kept", "limit": 2}}'), naive_keep(ARRAY[1, 2, 3, 4], 'm.id', 2),
          'a spec without "duplicates" keeps the registered one');
SELECT is((SELECT options FROM matrx_relations.relations WHERE source = 'person'::regclass AND name = 'kept'),
          '{"duplicates": "keep"}'::jsonb, 'the view shows it');
SELECT lives_ok($$SELECT matrx_relations.publish_relations('jset', '[{"source": "jtap.person", "name": "pub_groups", "target": "jtap.grp",
    "source_columns": ["id"], "target_columns": ["id"], "via": "jtap.membership", "via_source_columns": ["person_id"],
    "via_target_columns": ["group_id"], "duplicates": "keep"}]')$$, 'publish_relations takes "duplicates"');
SELECT is(docs('person', ARRAY[1, 2, 3, 4], 'groups:pub_groups'), naive_keep(ARRAY[1, 2, 3, 4], 'm.id', 1000),
          'a published "duplicates": "keep"');
SELECT throws_ok($$SELECT matrx_relations.register_relation('grp', 'kept_members', 'membership', '{id}', '{group_id}',
    options => '{"duplicates": "keep"}')$$, '22023', 'registered relation "kept_members" has "duplicates" but no junction (via)',
          'a registered "duplicates" on an ifk: 22023');
SELECT throws_ok($$SELECT matrx_relations.register_relation('person', 'kept2', 'grp', '{id}', '{id}', 'membership', '{person_id}', '{group_id}',
    options => '{"duplicates": "all"}')$$, '22023', '"duplicates" of registered relation "kept2" must be "keep" or "collapse"',
          'a registered "duplicates" neither keep nor collapse: 22023');

-- ---------------------------------------------------------------------------
-- Errors
-- ---------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('person', ARRAY[1], 'nosuch::group')$$, '42704', NULL,
          'no junction of that name: 42704');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('person', ARRAY[1], 'membership::nosuch')$$, '42704', NULL,
          'no fk of that name on the junction: 42704');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('person', ARRAY[1], 'person_friends::')$$, '42704', NULL,
          'self-m2m without the fk named: 42704, hint to name it');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('person', ARRAY[1], 'membership::person')$$, '42704', NULL,
          'the way out is the only foreign key to the source: 42704');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('grp', ARRAY[1], 'person_friends::to_person')$$, '42704', NULL,
          'a table that is no junction of the source: 42704');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('person', ARRAY[1], 'a:b:c')$$, '22023', NULL,
          'two single colons stay malformed');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('person', ARRAY[1], 'membership::group::x')$$, '22023', NULL,
          'two double colons: malformed');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('person', ARRAY[1], 'x:membership::group', 'x:person_friends::to_person')$$, '42701', NULL,
          'one output key twice: 42701');

SELECT * FROM finish();
ROLLBACK;
