-- cache.sql: the relation cache (SPEC §3) never returns what a fresh load
-- would not.  pgTAP itself writes between statements (which empties the
-- cache), so every check runs its loads inside one helper function, where
-- a repeated load is served from the cache (test 1 shows it).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(13);

CREATE SCHEMA ctap;
SET LOCAL search_path = ctap, public;
CREATE TABLE customers (id bigint PRIMARY KEY, name text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, note text);
CREATE TABLE secrets (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers, owner_role name);
INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 20) g;
INSERT INTO orders SELECT g, 1 + g % 20, 'o' || g FROM generate_series(1, 60) g;
INSERT INTO secrets SELECT g, 1 + g % 20, CASE WHEN g % 2 = 0 THEN 'ctap_reader' ELSE 'someone' END
    FROM generate_series(1, 40) g;
ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON secrets FOR SELECT USING (owner_role = current_user);

CREATE ROLE ctap_reader;
GRANT USAGE ON SCHEMA ctap TO ctap_reader;
GRANT SELECT ON customers, secrets TO ctap_reader;

-- statements the loaders ran so far in this backend
CREATE FUNCTION stmts() RETURNS bigint LANGUAGE sql AS $$ SELECT statements FROM matrx_relations.stats() $$;

-- runs q twice, as the owner, then as ctap_reader; returns the statements
-- the second run ran (the first run raises if the role may not read)
CREATE FUNCTION owner_then(q text, as_reader boolean) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE before bigint;
BEGIN
    EXECUTE q;
    IF as_reader THEN
        PERFORM set_config('role', 'ctap_reader', true);
    END IF;
    before := stmts();
    EXECUTE q;
    RETURN stmts() - before;
END $$;
GRANT EXECUTE ON FUNCTION owner_then(text, boolean), stmts() TO ctap_reader;

-- 1: the cache is in use here: the owner's second load runs no statement
SELECT is(owner_then($$SELECT count(*) FROM matrx_relations.prefetch_related('ctap.customers', ARRAY[1, 2, 3], 'orders')$$, false),
          0::bigint, 'a repeated load inside one function is served from the cache');

-- 2-5: a role without SELECT on orders gets 42501 from every loader, never the owner's cached rows
SELECT throws_ok($$SELECT owner_then('SELECT count(*) FROM matrx_relations.prefetch_related(''ctap.customers'', ARRAY[1, 2, 3], ''orders'')', true)$$,
                 '42501', NULL, 'prefetch_related (keys): 42501 after the owner''s load');
SELECT throws_ok($$SELECT owner_then('SELECT matrx_relations.prefetch_related(''ctap.customers'', ''[{"id": 1}, {"id": 2}]''::jsonb, ''orders'')', true)$$,
                 '42501', NULL, 'prefetch_related (instances): 42501 after the owner''s load');
SELECT throws_ok($$SELECT owner_then('SELECT count(*) FROM matrx_relations.select_related(''ctap.customers'', ARRAY[1, 2, 3], ''orders'')', true)$$,
                 '42501', NULL, 'select_related: 42501 after the owner''s load');
SELECT throws_ok($$SELECT owner_then('SELECT count(*) FROM matrx_relations.fetch_related(NULL::ctap.orders, ''ctap.customers'', ''orders'', ARRAY[1, 2, 3])', true)$$,
                 '42501', NULL, 'fetch_related: 42501 after the owner''s load');

-- 6: a table with row-level security: the role sees its own rows, and its repeated load still reads the table
SELECT results_eq(
    $$SELECT jsonb_array_length(d -> 'secrets')::int FROM matrx_relations.prefetch_related('ctap.customers', ARRAY[1, 2], 'secrets') d$$,
    $$VALUES (2), (2)$$, 'the owner (exempt from the policy as table owner) sees every secret');
CREATE FUNCTION reader_secrets() RETURNS TABLE(n int, statements_second bigint) LANGUAGE plpgsql AS $$
DECLARE before bigint;
BEGIN
    PERFORM count(*) FROM matrx_relations.prefetch_related('ctap.customers', ARRAY[1, 2], 'secrets');
    PERFORM set_config('role', 'ctap_reader', true);
    before := stmts();
    FOR n IN SELECT jsonb_array_length(d -> 'secrets')
             FROM matrx_relations.prefetch_related('ctap.customers', ARRAY[1, 2], 'secrets') d LOOP
        statements_second := NULL;
        RETURN NEXT;
    END LOOP;
    n := NULL;
    statements_second := stmts() - before;
    PERFORM set_config('role', 'none', true);
    RETURN NEXT;
END $$;
SELECT results_eq($$SELECT n, statements_second FROM reader_secrets()$$,
    $$VALUES (2, NULL::bigint), (0, NULL), (NULL, 2::bigint)$$,
    'after the owner''s load, the role sees only its own secrets (2 of customer 1, none of customer 2), from 2 statements');

-- 7: own writes between two loads are seen
CREATE FUNCTION write_between() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM count(*) FROM matrx_relations.prefetch_related('ctap.orders', ARRAY[5], 'customer');
    UPDATE customers SET name = 'written' WHERE id = 6;
    RETURN (SELECT d -> 'customer' ->> 'name' FROM matrx_relations.prefetch_related('ctap.orders', ARRAY[5], 'customer') d);
END $$;
SELECT is(write_between(), 'written', 'an UPDATE between two loads is seen by the second');
-- 8: a write undone by a subtransaction abort is gone from the next load
CREATE FUNCTION undone_between() RETURNS text LANGUAGE plpgsql AS $$
DECLARE seen text;
BEGIN
    PERFORM count(*) FROM matrx_relations.prefetch_related('ctap.orders', ARRAY[7], 'customer');
    BEGIN
        UPDATE customers SET name = 'undone' WHERE id = 8;
        seen := (SELECT d -> 'customer' ->> 'name' FROM matrx_relations.prefetch_related('ctap.orders', ARRAY[7], 'customer') d);
        RAISE EXCEPTION 'roll back to here';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN seen || ' then ' || (SELECT d -> 'customer' ->> 'name' FROM matrx_relations.prefetch_related('ctap.orders', ARRAY[7], 'customer') d);
END $$;
SELECT is(undone_between(), 'undone then c8', 'inside the subtransaction the write is seen; after its abort it is gone');
-- 9: a DELETE and an INSERT of children between two loads
CREATE FUNCTION children_between() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM count(*) FROM matrx_relations.prefetch_related('ctap.customers', ARRAY[3], 'orders');
    DELETE FROM orders WHERE id = 2;
    INSERT INTO orders VALUES (100, 3, 'new');
    RETURN (SELECT string_agg(o ->> 'id', ',') FROM matrx_relations.prefetch_related('ctap.customers', ARRAY[3], 'orders') d,
            jsonb_array_elements(d -> 'orders') o);
END $$;
SELECT is(children_between(), '22,42,100', 'a deleted child is gone and an inserted one is there');

-- 10-11: cache_size and the cache setting
SELECT throws_ok($$SET LOCAL matrx_relations.cache_size = '32kB'$$, '22023', NULL, 'cache_size below 64kB is refused');
SET LOCAL matrx_relations.cache = off;
SELECT is(owner_then($$SELECT count(*) FROM matrx_relations.prefetch_related('ctap.customers', ARRAY[1, 2, 3], 'orders')$$, false),
          2::bigint, 'with the cache off, the repeated load runs its statements again');
SET LOCAL matrx_relations.cache = on;
-- 12: and stats() reports it
SELECT ok((SELECT cache_hits > 0 AND cache_misses > 0 FROM matrx_relations.stats()), 'stats() counts hits and misses');

SELECT * FROM finish();
ROLLBACK;
