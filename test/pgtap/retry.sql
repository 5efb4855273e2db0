-- retry.sql: every path that reads a call's metadata again while
-- invalidations arrive gives up after its last attempt with 40001, not
-- silently.  The hidden, superuser-only setting
-- matrx_relations.debug_invalidate_metadata discards all caches after each
-- attempt, as concurrent DDL would, so each call sees its metadata
-- invalidated through the real callbacks every time.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION matrx_relations;

SELECT plan(17);

CREATE SCHEMA retrytap;
SET LOCAL search_path = retrytap, public;
CREATE TABLE parents (id int PRIMARY KEY, name text);
CREATE TABLE children (id int PRIMARY KEY, parent_id int REFERENCES parents);
INSERT INTO parents VALUES (1, 'a');
INSERT INTO children VALUES (10, 1), (11, 1);

-- ---------------------------------------------------------------------------
-- without the setting every path works
-- ---------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM matrx_relations.fetch_related(NULL::children, 'parents', 'children', ARRAY[1])),
          2::bigint, 'fetch_related loads');
SELECT is((SELECT count(*) FROM matrx_relations.explain_related('parents', 'children')),
          2::bigint, 'explain_related explains');
SELECT is((SELECT count(*) FROM matrx_relations.prefetch_related('parents', ARRAY[1], 'children')),
          1::bigint, 'prefetch_related loads');
SELECT is(matrx_relations.prefetch_batch('[{"source": "retrytap.parents", "keys": [1], "relations": ["children"]}]') -> 0 -> 0 -> 'children' -> 1 ->> 'id',
          '11', 'prefetch_batch loads');

-- ---------------------------------------------------------------------------
-- with every attempt invalidated, each path ends in 40001
-- ---------------------------------------------------------------------------
SET LOCAL matrx_relations.debug_invalidate_metadata = on;
SELECT throws_ok($$SELECT * FROM matrx_relations.fetch_related(NULL::children, 'parents', 'children', ARRAY[1])$$,
                 '40001', 'table definitions kept changing while they were read',
                 'fetch_related gives up with 40001');
SELECT throws_ok($$SELECT * FROM matrx_relations.fetch_related_array(NULL::children, 'parents', 'children', ARRAY[1])$$,
                 '40001', NULL, 'fetch_related_array gives up with 40001');
SELECT throws_ok($$SELECT * FROM matrx_relations.explain_related('parents', 'children')$$,
                 '40001', NULL, 'explain_related gives up with 40001');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('parents', ARRAY[1], 'children')$$,
                 '40001', NULL, 'prefetch_related (keys, paths) gives up with 40001');
SELECT throws_ok($$SELECT * FROM matrx_relations.prefetch_related('parents', ARRAY[1], '{"children": {}}'::jsonb)$$,
                 '40001', NULL, 'prefetch_related (keys, spec) gives up with 40001');
SELECT throws_ok($$SELECT matrx_relations.prefetch_related('parents', '[{"id": 1}]'::jsonb, 'children')$$,
                 '40001', NULL, 'prefetch_related (instances) gives up with 40001');
SELECT throws_ok($$SELECT * FROM matrx_relations.select_related('parents', ARRAY[1], 'children')$$,
                 '40001', NULL, 'select_related gives up with 40001');
SELECT throws_ok($$SELECT matrx_relations.prefetch_batch('[{"source": "retrytap.parents", "keys": [1], "relations": ["children"]}]')$$,
                 '40001', NULL, 'prefetch_batch gives up with 40001');

-- the error says what to do
CREATE FUNCTION retry_hint() RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
    PERFORM * FROM matrx_relations.prefetch_related('parents', ARRAY[1], 'children');
    RETURN NULL;
EXCEPTION WHEN serialization_failure THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN h;
END $$;
SELECT is(retry_hint(), 'Retry the transaction.', 'the hint says to retry');

-- ---------------------------------------------------------------------------
-- off again, every path works again; the setting is superuser-only and hidden
-- ---------------------------------------------------------------------------
SET LOCAL matrx_relations.debug_invalidate_metadata = off;
SELECT is((SELECT count(*) FROM matrx_relations.fetch_related(NULL::children, 'parents', 'children', ARRAY[1])),
          2::bigint, 'fetch_related loads again');
SELECT is((SELECT count(*) FROM pg_settings WHERE name = 'matrx_relations.debug_invalidate_metadata'),
          0::bigint, 'the setting is not listed');
CREATE ROLE retrytap_user;
SET LOCAL ROLE retrytap_user;
SELECT throws_ok($$SET matrx_relations.debug_invalidate_metadata = on$$,
                 '42501', NULL, 'only a superuser can set it');
RESET ROLE;
SELECT is(current_setting('matrx_relations.debug_invalidate_metadata'), 'off', 'it stayed off');

SELECT * FROM finish();
ROLLBACK;
