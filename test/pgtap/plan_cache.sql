-- plan_cache.sql: the kept-plan cache past its bound.  One session fills
-- it with more distinct statements than it holds (1,100 specs that differ
-- in their limit), then loads 15,000 keys through every loader: each takes
-- and releases a reference to a generic plan (past 10,000 keys), and each
-- must do so under the same resource owner whether or not the plan was
-- kept.  Results are compared with plain SQL.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(12);

CREATE SCHEMA pctap;
SET LOCAL search_path = pctap, public;

CREATE TABLE src (id int PRIMARY KEY, name text);
CREATE TABLE child (id int PRIMARY KEY, src_id int REFERENCES src, v int);
CREATE INDEX ON child (src_id);
INSERT INTO src SELECT g, 's' || g FROM generate_series(1, 15000) g;
INSERT INTO child SELECT g, 1 + g % 15000, g % 7 FROM generate_series(1, 30000) g;
ANALYZE src, child;

-- the plain-SQL document of a src row with its children
CREATE FUNCTION doc(s src) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT to_jsonb(s) || jsonb_build_object('child',
        coalesce((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.id) FROM child c WHERE c.src_id = s.id), '[]'))
$$;
CREATE FUNCTION keys() RETURNS int[] LANGUAGE sql STABLE AS $$
    SELECT array_agg(g ORDER BY g) FROM generate_series(1, 15000) g
$$;

-- 1: 1,100 distinct statements, one per limit
SELECT is(
    (SELECT count(*) FROM generate_series(1, 1100) i,
        LATERAL matrx_relations.prefetch_related('src', ARRAY[1], jsonb_build_object('child', jsonb_build_object('limit', i))) d),
    1100::bigint, '1,100 distinct statements prepared');

-- 2-7: 15,000 keys through every loader, the same session
SELECT results_eq(
    $$SELECT d FROM matrx_relations.prefetch_related('src', keys(), 'child') d ORDER BY (d ->> 'id')::int$$,
    $$SELECT doc(s) FROM src s ORDER BY s.id$$,
    'prefetch_related, keys form: 15,000 keys as plain SQL');
SELECT is(
    matrx_relations.prefetch_related('src', (SELECT jsonb_agg(jsonb_build_object('id', g) ORDER BY g) FROM generate_series(1, 15000) g), 'child'),
    (SELECT jsonb_agg(jsonb_build_object('id', s.id, 'child',
        coalesce((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.id) FROM child c WHERE c.src_id = s.id), '[]')) ORDER BY s.id) FROM src s),
    'prefetch_related, instances form: 15,000 instances as plain SQL');
SELECT results_eq(
    $$SELECT d FROM matrx_relations.select_related('src', keys(), 'child') d ORDER BY (d ->> 'id')::int$$,
    $$SELECT doc(s) FROM src s ORDER BY s.id$$,
    'select_related: 15,000 keys as plain SQL');
SELECT results_eq(
    $$SELECT f.source_key, (f.related).* FROM matrx_relations.fetch_related(NULL::child, 'src', 'child', keys()) f
      ORDER BY f.source_key, (f.related).id$$,
    $$SELECT c.src_id, c.* FROM child c ORDER BY c.src_id, c.id$$,
    'fetch_related: 15,000 keys as plain SQL');
SELECT results_eq(
    $$SELECT f.source_key, to_jsonb(f.related) FROM matrx_relations.fetch_related_array(NULL::child, 'src', 'child', keys()) f
      ORDER BY f.source_key$$,
    $$SELECT s.id, coalesce((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.id) FROM child c WHERE c.src_id = s.id), '[]')
      FROM src s ORDER BY s.id$$,
    'fetch_related_array: 15,000 keys as plain SQL');
SELECT is(
    (SELECT array_agg(d ORDER BY (d ->> 'id')::int)
       FROM jsonb_array_elements(matrx_relations.prefetch_batch(jsonb_build_array(
            jsonb_build_object('source', 'pctap.src', 'keys', to_jsonb(keys()), 'relations', jsonb_build_array('child')))) -> 0) d),
    (SELECT array_agg(doc(s) ORDER BY s.id) FROM src s),
    'prefetch_batch: 15,000 keys as plain SQL');

-- 8-12: the cache stays within its bounds and says so
SELECT cmp_ok((SELECT plan_cache_bytes FROM matrx_relations.stats()), '<=',
    pg_size_bytes(current_setting('matrx_relations.plan_cache_size')) + 256 * 1024,
    'the kept plans stay within plan_cache_size');
SELECT cmp_ok((SELECT plans_evicted FROM matrx_relations.stats()), '>', 0::bigint,
    'plans were evicted');
SELECT cmp_ok((SELECT plans_prepared FROM matrx_relations.stats()), '>=', 1100::bigint,
    'every distinct statement was prepared');
SET LOCAL matrx_relations.plan_cache_size = '64kB';
SELECT is(
    (SELECT count(*) FROM matrx_relations.prefetch_related('src', keys(), jsonb_build_object('child', jsonb_build_object('limit', 1))) d
      WHERE jsonb_array_length(d -> 'child') = 1),
    15000::bigint, 'a small plan_cache_size: loads go on');
SELECT cmp_ok((SELECT plan_cache_bytes FROM matrx_relations.stats()), '<=', 256 * 1024::bigint,
    'a smaller plan_cache_size evicts down to it');

SELECT * FROM finish();
ROLLBACK;
