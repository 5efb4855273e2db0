-- hardening_citext.sql: search_path capture on a key type whose equality
-- lives outside pg_catalog (SPEC §5): citext installed in its own schema,
-- keys, foreign keys, a junction and a composite key of citext, and a
-- hostile =, <>, <, ~~, ~~* for (citext, citext) plus unnest, to_jsonb,
-- jsonb_agg and array_agg in pg_temp and in public, each first on
-- search_path in turn.  Every loader, in its plain and its spec form, must
-- return what it returned before they existed, which is what plain SQL
-- with citext's own operators returns ('ANN' matches the key 'ann').
-- The relation cache is off, so every load runs its statement.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(35);
SET LOCAL matrx_relations.cache = off;

CREATE SCHEMA ci_ext;
CREATE EXTENSION citext WITH SCHEMA ci_ext;
CREATE SCHEMA ci;
SET LOCAL search_path = ci, ci_ext, public;
CREATE TABLE users (name citext PRIMARY KEY, note text);
CREATE TABLE posts (id int PRIMARY KEY, author citext CONSTRAINT writer REFERENCES users, title citext);
CREATE TABLE tags (label citext PRIMARY KEY);
CREATE TABLE user_tags (name citext REFERENCES users, label citext REFERENCES tags, PRIMARY KEY (name, label));
CREATE TABLE pairs (a citext, b int, v text, PRIMARY KEY (a, b));
CREATE TABLE pair_notes (id int PRIMARY KEY, a citext, b int, note text,
    CONSTRAINT pair FOREIGN KEY (a, b) REFERENCES pairs);
INSERT INTO users VALUES ('Ann', 'a'), ('bob', 'b'), ('Cy', 'c'), ('dee', 'd');
-- the FK values differ in case from the keys they reference: only citext's = matches them
INSERT INTO posts VALUES (1, 'ANN', 'Tea'), (2, 'ann', 'toast'), (3, 'Bob', 'Jam'), (4, 'BOB', 'tart'),
    (5, 'cy', 'Tin'), (6, NULL, 'Tux'), (7, 'Ann', 'milk');
INSERT INTO tags VALUES ('Blue'), ('green'), ('Red');
INSERT INTO user_tags VALUES ('ANN', 'blue'), ('ann', 'RED'), ('BOB', 'Green'), ('cy', 'red');
INSERT INTO pairs VALUES ('X', 1, 'x1'), ('x', 2, 'x2'), ('Y', 1, 'y1');
INSERT INTO pair_notes VALUES (1, 'x', 1, 'n1'), (2, 'X', 2, 'n2'), (3, 'y', 1, 'n3'), (4, 'X', 1, 'n4'), (5, NULL, 1, 'n5');

-- every loader over these tables, each result as one jsonb; written without
-- any unqualified function or operator, so that only the loaders can be captured
CREATE FUNCTION ci.loads() RETURNS TABLE(what text, result jsonb) LANGUAGE sql AS $f$
    SELECT 'prefetch_related keys', pg_catalog.jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related('ci.users',
        ARRAY['ann', 'BOB', 'zed', 'Cy', 'dee']::ci_ext.citext[], 'posts', 'tags', 'user_tags') WITH ORDINALITY r(d, n)
    UNION ALL
    SELECT 'prefetch_related keys, fk', pg_catalog.jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related('ci.posts',
        ARRAY[1, 2, 3, 4, 5, 6, 7], 'writer') WITH ORDINALITY r(d, n)
    UNION ALL
    SELECT 'prefetch_related keys, composite fk', pg_catalog.jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related(
        'ci.pair_notes', ARRAY[1, 2, 3, 4, 5], 'pair') WITH ORDINALITY r(d, n)
    UNION ALL
    SELECT 'prefetch_related instances', matrx_relations.prefetch_related('ci.users',
        '[{"name": "aNN"}, {"name": "bob"}, {"name": "CY"}]'::jsonb, 'posts', 'tags')
    UNION ALL
    SELECT 'prefetch_related instances, composite ifk', matrx_relations.prefetch_related('ci.pairs',
        '[{"a": "x", "b": 1}, {"a": "X", "b": 2}, {"a": "y", "b": 1}]'::jsonb, 'pair_notes')
    UNION ALL
    SELECT 'prefetch_related keys, spec', pg_catalog.jsonb_agg(d ORDER BY n) FROM matrx_relations.prefetch_related('ci.users',
        ARRAY['ann', 'BOB', 'Cy']::ci_ext.citext[], '{
            "posts": {"where": {"title": {"like": "T%"}, "author": {"ne": "bob"}}, "order_by": ["title desc"], "limit": 2},
            "low_tags": {"relation": "tags", "where": {"label": {"lt": "GREEN"}}},
            "ann_tags": {"relation": "user_tags", "where": {"name": "ANN", "label": {"in": ["BLUE", "red"]}}}}'::jsonb)
        WITH ORDINALITY r(d, n)
    UNION ALL
    SELECT 'prefetch_related instances, spec', matrx_relations.prefetch_related('ci.users',
        '[{"name": "aNN"}, {"name": "bob"}]'::jsonb, '{
            "posts": {"where": {"title": {"ilike": "t%"}}, "order_by": ["title"], "include": {"writer": {"columns": ["name"]}}}}'::jsonb)
    UNION ALL
    SELECT 'select_related keys', pg_catalog.jsonb_agg(d ORDER BY n) FROM matrx_relations.select_related('ci.users',
        ARRAY['ann', 'BOB', 'zed', 'Cy']::ci_ext.citext[], 'posts', 'tags') WITH ORDINALITY r(d, n)
    UNION ALL
    SELECT 'select_related keys, spec', pg_catalog.jsonb_agg(d ORDER BY n) FROM matrx_relations.select_related('ci.users',
        ARRAY['ann', 'BOB', 'Cy']::ci_ext.citext[], '{
            "posts": {"where": {"title": {"like": "T%"}, "author": {"ne": "bob"}}, "order_by": ["title desc"], "limit": 2}}'::jsonb)
        WITH ORDINALITY r(d, n)
    UNION ALL
    SELECT 'fetch_related', pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(source_key, related) ORDER BY (related).id)
        FROM matrx_relations.fetch_related(NULL::ci.posts, 'ci.users', 'posts', ARRAY['ann', 'BOB', 'zed']::ci_ext.citext[])
    UNION ALL
    SELECT 'fetch_related_array', pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(source_key, related) ORDER BY source_key)
        FROM matrx_relations.fetch_related_array(NULL::ci.tags, 'ci.users', 'tags', ARRAY['ann', 'BOB', 'Cy']::ci_ext.citext[])
    UNION ALL
    SELECT 'prefetch_batch', matrx_relations.prefetch_batch('[
        {"source": "ci.users", "keys": ["ann", "BOB"], "relations": ["posts", "tags"]},
        {"source": "ci.users", "keys": ["cy"], "spec": {"posts": {"where": {"title": {"gte": "T"}}}}},
        {"source": "ci.pairs", "instances": [{"a": "x", "b": 1}], "relations": ["pair_notes"]}]'::jsonb)
$f$;

-- before any hostile object, the loaders agree with plain SQL under citext's =
SELECT is((SELECT result FROM ci.loads() WHERE what = 'prefetch_related keys'),
    (SELECT jsonb_agg(to_jsonb(u) || jsonb_build_object(
        'posts', coalesce((SELECT jsonb_agg(to_jsonb(p) ORDER BY p.id) FROM posts p WHERE p.author = u.name), '[]'),
        'tags', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.label) FROM tags t
                          WHERE EXISTS (SELECT FROM user_tags j WHERE j.name = u.name AND j.label = t.label)), '[]'),
        'user_tags', coalesce((SELECT jsonb_agg(to_jsonb(j) ORDER BY j.name, j.label) FROM user_tags j WHERE j.name = u.name), '[]'))
        ORDER BY k.n)
     FROM unnest(ARRAY['ann', 'BOB', 'zed', 'Cy', 'dee']::citext[]) WITH ORDINALITY k(v, n) JOIN users u ON u.name = k.v),
    'baseline: citext keys match case-insensitively, as the foreign keys do');
SELECT is((SELECT result FROM ci.loads() WHERE what = 'prefetch_related keys, composite fk'),
    (SELECT jsonb_agg(to_jsonb(pn) || jsonb_build_object('pair',
        (SELECT to_jsonb(p) FROM pairs p WHERE p.a = pn.a AND p.b = pn.b)) ORDER BY pn.id) FROM pair_notes pn),
    'baseline: a composite citext foreign key');
SELECT is((SELECT result FROM ci.loads() WHERE what = 'prefetch_related keys, spec'),
    (SELECT jsonb_agg(to_jsonb(u) || jsonb_build_object(
        'posts', coalesce((SELECT jsonb_agg(x.d ORDER BY x.title DESC, x.id) FROM (SELECT to_jsonb(p) d, p.title, p.id FROM posts p
                           WHERE p.author = u.name AND p.title LIKE 'T%' AND p.author <> 'bob' ORDER BY p.title DESC, p.id LIMIT 2) x), '[]'),
        'low_tags', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.label) FROM tags t WHERE t.label < 'GREEN'
                              AND EXISTS (SELECT FROM user_tags j WHERE j.name = u.name AND j.label = t.label)), '[]'),
        'ann_tags', coalesce((SELECT jsonb_agg(to_jsonb(j) ORDER BY j.name, j.label) FROM user_tags j
                              WHERE j.name = u.name AND j.name = 'ANN' AND j.label IN ('BLUE', 'red')), '[]'))
        ORDER BY k.n)
     FROM unnest(ARRAY['ann', 'BOB', 'Cy']::citext[]) WITH ORDINALITY k(v, n) JOIN users u ON u.name = k.v),
    'baseline: a spec''s where, order_by and limit on citext columns use citext''s =, <>, <, ~~');
CREATE TABLE ci.expected AS SELECT * FROM ci.loads();
SELECT is((SELECT count(*) FROM ci.expected WHERE result IS NOT NULL AND result <> '[]'), 12::bigint,
    'baseline: all twelve loads returned documents');

-- the generated SQL names citext's operators by their schema
SELECT ok(EXISTS (SELECT FROM matrx_relations.explain_related('ci.users', 'posts') s WHERE s ~ 'OPERATOR\(ci_ext\.=\) ANY \(\$1\)'),
    'explain_related (ifk): OPERATOR(ci_ext.=)');
SELECT ok(NOT EXISTS (SELECT FROM matrx_relations.explain_related('ci.users', 'posts', 'tags', 'user_tags') s
                      WHERE s ~ 'OPERATOR\(pg_catalog\.=\)' OR s ~ '[^.)"]=' OR s !~ 'OPERATOR\(ci_ext\.=\)'),
    'explain_related (ifk, m2m): every key comparison is OPERATOR(ci_ext.=), none unqualified');
SELECT ok(EXISTS (SELECT FROM matrx_relations.explain_related('ci.pair_notes', 'pair') s
                  WHERE s ~ 'ROWS FROM \(pg_catalog\.unnest\(\$1\), pg_catalog\.unnest\(\$2\)\) AS k\(k1, k2\) JOIN ci\.pairs t ON t\.a OPERATOR\(ci_ext\.=\) k\.k1 AND t\.b OPERATOR\(pg_catalog\.=\) k\.k2'),
    'explain_related (composite fk): pg_catalog.unnest, citext by OPERATOR(ci_ext.=), int by OPERATOR(pg_catalog.=)');

-- the hostile objects: a case-sensitive = (so that rows the keys match go
-- missing, which no matching in C can repair), an always-false <>, a reversed <, a
-- match-all ~~ and ~~*, and functions returning junk, in pg_temp and public
CREATE FUNCTION public.ci_text_eq(citext, citext) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1::text = $2::text';
CREATE FUNCTION public.ci_true(citext, citext) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE FUNCTION public.ci_false(citext, citext) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT false';
CREATE FUNCTION public.ci_true_t(citext, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE FUNCTION public.ci_gt(citext, citext) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1::text > $2::text';
CREATE OPERATOR public.= (LEFTARG = citext, RIGHTARG = citext, FUNCTION = public.ci_text_eq);
CREATE OPERATOR public.<> (LEFTARG = citext, RIGHTARG = citext, FUNCTION = public.ci_false);
CREATE OPERATOR public.< (LEFTARG = citext, RIGHTARG = citext, FUNCTION = public.ci_gt);
CREATE OPERATOR public.~~ (LEFTARG = citext, RIGHTARG = citext, FUNCTION = public.ci_true);
CREATE OPERATOR public.~~* (LEFTARG = citext, RIGHTARG = citext, FUNCTION = public.ci_true);
CREATE OPERATOR public.~~ (LEFTARG = citext, RIGHTARG = text, FUNCTION = public.ci_true_t);
CREATE OPERATOR pg_temp.= (LEFTARG = citext, RIGHTARG = citext, FUNCTION = public.ci_text_eq);
CREATE OPERATOR pg_temp.<> (LEFTARG = citext, RIGHTARG = citext, FUNCTION = public.ci_false);
CREATE OPERATOR pg_temp.< (LEFTARG = citext, RIGHTARG = citext, FUNCTION = public.ci_gt);
CREATE OPERATOR pg_temp.~~ (LEFTARG = citext, RIGHTARG = citext, FUNCTION = public.ci_true);
CREATE OPERATOR pg_temp.~~* (LEFTARG = citext, RIGHTARG = citext, FUNCTION = public.ci_true);
CREATE FUNCTION public.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE sql AS 'SELECT $1[1]';
CREATE FUNCTION pg_temp.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE sql AS 'SELECT $1[1]';
CREATE FUNCTION public.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql AS $$SELECT '"pwned"'::jsonb$$;
CREATE FUNCTION pg_temp.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql AS $$SELECT '"pwned"'::jsonb$$;
CREATE FUNCTION public.jsonb_agg(anyelement) RETURNS jsonb LANGUAGE sql AS $$SELECT '"pwned"'::jsonb$$;
CREATE FUNCTION public.array_agg(anyelement) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION public.citext(text) RETURNS citext LANGUAGE sql AS $$SELECT 'pwned'::text::citext$$;
CREATE TEMP TABLE posts (id int PRIMARY KEY, author citext, title citext);
INSERT INTO pg_temp.posts VALUES (1, 'ann', 'shadow');

-- pg_temp first: its table would win; its operators and functions are never
-- looked up there (PostgreSQL's rule), so public's come next, before ci_ext's and pg_catalog's
SET LOCAL search_path = pg_temp, public, ci, ci_ext, pg_catalog;
SELECT is(l.result, e.result, 'pg_temp first: ' || l.what) FROM ci.loads() l JOIN ci.expected e USING (what) ORDER BY what;
-- public first (pg_temp last)
SET LOCAL search_path = public, ci, ci_ext, pg_catalog, pg_temp;
SELECT is(l.result, e.result, 'public first: ' || l.what) FROM ci.loads() l JOIN ci.expected e USING (what) ORDER BY what;

-- controls: the hostile operators really are what an unqualified name resolves to
SELECT is((SELECT count(*) FROM ci.posts p, ci.users u WHERE p.author = u.name), 1::bigint,
    'control: an unqualified = on citext here is the hostile one');
SELECT is((SELECT count(*) FROM ci.posts p WHERE p.title ~~ 'zzz'::citext), 7::bigint,
    'control: an unqualified ~~ on citext here is the hostile one');
SET LOCAL search_path = pg_temp, public, ci, ci_ext, pg_catalog;
SELECT is((SELECT count(*) FROM ci.users u WHERE u.name < 'b'::citext), 2::bigint,
    'control: an unqualified < on citext here is the hostile one');
SELECT is((SELECT count(*) FROM posts), 1::bigint, 'control: the temp table shadows ci.posts');
RESET search_path;

SELECT * FROM finish();
ROLLBACK;
