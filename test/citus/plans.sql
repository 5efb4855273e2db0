-- plans.sql: the loaders' statements on Citus tables under every
-- plan_cache_mode, repeated past the five custom plans after which
-- PostgreSQL may switch to a generic one, and with more keys than the
-- loaders' own generic-plan threshold (MX_GENERIC_PLAN_KEYS).  Citus cannot
-- run a generic plan of "= ANY ($1)" on its tables: the loaders open their
-- statements under auto when the user forces generic plans.
BEGIN;
SET LOCAL client_min_messages = error;
SELECT plan(14);

-- q run n times returns on lab what it returns on ref each time
CREATE FUNCTION pg_temp.same_n(q text, n int) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE l jsonb; r jsonb; i int;
BEGIN
    FOR i IN 1 .. n LOOP
        EXECUTE 'SELECT coalesce(jsonb_agg(to_jsonb(x)), ''[]'') FROM (' || format(q, 'lab') || ') x' INTO l;
        EXECUTE 'SELECT coalesce(jsonb_agg(to_jsonb(x)), ''[]'') FROM (' || format(q, 'ref') || ') x' INTO r;
        IF l IS DISTINCT FROM r OR r = '[]' THEN
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END $$;

CREATE TEMP TABLE loads(what text, q text);
INSERT INTO loads VALUES
    ('prefetch_related', $q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers', ARRAY[5, 6]::bigint[], 'orders.items.product.tags', 'region', 'reviews')$q$),
    ('prefetch_related instances', $q$SELECT matrx_relations.prefetch_related('%1$s.orders', '[{"customer_id": 5, "id": 4, "status_code": "new"}]'::jsonb, 'items', 'customer')$q$),
    ('select_related', $q$SELECT * FROM matrx_relations.select_related('%1$s.customers', ARRAY[5, 6]::bigint[], 'orders.items', 'region')$q$),
    ('fetch_related', $q$SELECT source_key, to_jsonb(related) FROM matrx_relations.fetch_related(NULL::%1$s.orders, '%1$s.customers', 'orders', ARRAY[5, 6]::bigint[])$q$),
    ('load spec', $q$SELECT node, id, parent FROM matrx_relations.load('%1$s.customers', ARRAY[5, 6]::bigint[], '{"orders": {"where": {"total": {"gt": 10}}, "include": {"items": {}}}}'::jsonb)$q$);

SET LOCAL plan_cache_mode = force_generic_plan;
SELECT ok(pg_temp.same_n(q, 7), 'force_generic_plan: ' || what) FROM loads ORDER BY what;
SELECT is(current_setting('plan_cache_mode'), 'force_generic_plan', 'the user''s setting is left as it was');
SET LOCAL plan_cache_mode = auto;
SELECT ok(pg_temp.same_n(q, 7), 'auto, seven times: ' || what) FROM loads ORDER BY what;
SET LOCAL plan_cache_mode = force_custom_plan;
SELECT ok(pg_temp.same_n(q, 2), 'force_custom_plan: ' || what) FROM loads WHERE what IN ('prefetch_related', 'select_related') ORDER BY what;

-- more keys than the loaders' generic-plan threshold (10,000)
SET LOCAL plan_cache_mode = auto;
SELECT ok(pg_temp.same_n($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers',
    (SELECT array_agg(g) FROM generate_series(-12000, 200) g), 'orders', 'region')$q$, 1),
    '12,201 keys');

SELECT * FROM finish();
ROLLBACK;
