-- The relation cache: a repeated load in one transaction runs no statement
-- for the keys it holds, and returns exactly what a fresh load would.
CREATE EXTENSION IF NOT EXISTS matrx_relations;
-- set before the library is loaded: kept when it loads
SET matrx_relations.cache_size = '32MB';
CREATE SCHEMA rc;
SET search_path = rc;
\set VERBOSITY terse

CREATE TABLE customers (id int PRIMARY KEY, name text, seen timestamptz);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, note text);
INSERT INTO customers SELECT g, 'c' || g, timestamptz '2026-01-01 12:00+00' FROM generate_series(1, 3000) g;
INSERT INTO orders SELECT g, 1 + g % 3000, 'o' || g FROM generate_series(1, 6000) g;

-- statements run and cache hits since the last mark (mark: NULL)
CREATE FUNCTION delta(mark boolean DEFAULT false) RETURNS TABLE(statements bigint, hits bigint)
LANGUAGE plpgsql AS $$
DECLARE s record;
BEGIN
    SELECT * INTO s FROM matrx_relations.stats();
    statements := s.statements - coalesce(current_setting('rc.s', true), '0')::bigint;
    hits := s.cache_hits - coalesce(current_setting('rc.h', true), '0')::bigint;
    PERFORM set_config('rc.s', s.statements::text, false), set_config('rc.h', s.cache_hits::text, false);
    RETURN NEXT;
END $$;
-- the load these tests repeat
CREATE FUNCTION load(VARIADIC ids int[]) RETURNS SETOF jsonb LANGUAGE sql AS $$
    SELECT d FROM matrx_relations.prefetch_related('rc.customers', ids, 'orders') d $$;

-- twice in a transaction: the second load runs no statement
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT FROM delta();
SELECT load(1, 2);
SELECT * FROM delta();
SELECT load(1, 2);
SELECT * FROM delta();
-- a key more: only it is fetched (one statement per group, for the missing keys)
SELECT load(2, 1, 3);
SELECT * FROM delta();
SELECT cache_entries > 0 AS has_entries, cache_bytes > 0 AS has_bytes FROM matrx_relations.stats();
COMMIT;
-- the transaction's end emptied it
SELECT cache_entries, cache_bytes > 0 AS has_bytes FROM matrx_relations.stats();

SHOW matrx_relations.cache_size;
RESET matrx_relations.cache_size;

-- a statement outside a transaction block is its own transaction: nothing to reuse, nothing cached
SELECT FROM delta();
SELECT count(*) FROM load(1, 2);
SELECT count(*) FROM load(1, 2);
SELECT * FROM delta();
SELECT cache_entries FROM matrx_relations.stats();

-- this transaction's own writes between two loads are seen
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT load(1);
UPDATE customers SET name = 'renamed' WHERE id = 1;
SELECT load(1);
INSERT INTO orders VALUES (7000, 1, 'new');
DELETE FROM orders WHERE id = 3000;
SELECT load(1);
ROLLBACK;
BEGIN;
SELECT load(1);
UPDATE customers SET name = 'renamed' WHERE id = 1;
SELECT load(1);
ROLLBACK;

-- ROLLBACK TO SAVEPOINT: what it undid is gone from the next load
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT load(2);
SAVEPOINT s;
UPDATE customers SET name = 'undone' WHERE id = 2;
SELECT load(2);
ROLLBACK TO SAVEPOINT s;
SELECT load(2);
COMMIT;

-- ALTER TABLE between two loads
BEGIN;
SELECT load(3);
ALTER TABLE customers ADD COLUMN tier int DEFAULT 7;
SELECT load(3);
ROLLBACK;

-- settings that shape the documents' text: TimeZone
BEGIN;
SET LOCAL TimeZone = 'UTC';
SELECT d -> 'customer' -> 'seen' FROM matrx_relations.prefetch_related('rc.orders', ARRAY[1], 'customer') d;
SET LOCAL TimeZone = 'Asia/Tokyo';
SELECT d -> 'customer' -> 'seen' FROM matrx_relations.prefetch_related('rc.orders', ARRAY[1], 'customer') d;
ROLLBACK;

-- a role with fewer rights never gets the owner's cached rows
CREATE ROLE rc_reader;
GRANT USAGE ON SCHEMA rc TO rc_reader;
GRANT SELECT ON customers TO rc_reader;
GRANT EXECUTE ON FUNCTION load(int[]) TO rc_reader;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT load(1);
SET LOCAL ROLE rc_reader;
SELECT load(1);
ROLLBACK;
-- ... nor, with SELECT on both, any rows once a grant is revoked mid-transaction
GRANT SELECT ON orders TO rc_reader;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SET LOCAL ROLE rc_reader;
SELECT load(1);
RESET ROLE;
REVOKE SELECT ON orders FROM rc_reader;
SET LOCAL ROLE rc_reader;
SELECT load(1);
ROLLBACK;

-- a table with row-level security is never served from the cache
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY even ON orders FOR SELECT USING (id % 2 = 0);
GRANT SELECT ON orders TO rc_reader;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SET LOCAL ROLE rc_reader;
SELECT FROM delta();
SELECT load(1);
SELECT load(1);
SELECT * FROM delta();
ROLLBACK;
ALTER TABLE orders DISABLE ROW LEVEL SECURITY;
DROP POLICY even ON orders;

-- an error caught mid-load leaves nothing half filled: the same load then works
CREATE FUNCTION fragile(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN IF $1 = 5999 THEN RAISE EXCEPTION 'boom'; END IF; RETURN $1; END $$;
CREATE VIEW fragile_orders AS SELECT id, fragile(id) AS checked, customer_id FROM orders;
SELECT matrx_relations.register_relation('rc.customers', 'fragile', 'rc.fragile_orders', '{id}', '{customer_id}');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM matrx_relations.prefetch_related('rc.customers', ARRAY(SELECT generate_series(1, 3000)), 'orders');
DO $$
BEGIN
    PERFORM count(*) FROM matrx_relations.prefetch_related('rc.customers', ARRAY(SELECT generate_series(1, 3000)), 'orders', 'fragile');
EXCEPTION WHEN raise_exception THEN
    RAISE NOTICE 'caught: %', SQLERRM;
END $$;
SELECT count(*) = 3000 AS all_there, sum(jsonb_array_length(d -> 'orders')) AS orders
FROM matrx_relations.prefetch_related('rc.customers', ARRAY(SELECT generate_series(1, 3000)), 'orders') d;
ROLLBACK;

-- the cache emptied in the middle of a load (a view read by the load resets
-- it): the load still holds what it took from it, and stays exact
CREATE FUNCTION resetting(int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN PERFORM matrx_relations.cache_reset(); RETURN $1; END $$;
CREATE VIEW resetting_orders AS SELECT id, resetting(id) AS r, customer_id FROM orders;
SELECT matrx_relations.register_relation('rc.customers', 'resetting', 'rc.resetting_orders', '{id}', '{customer_id}');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM matrx_relations.prefetch_related('rc.customers', ARRAY(SELECT generate_series(1, 3000)), 'orders');
SELECT count(*), sum(jsonb_array_length(d -> 'orders')) AS orders, sum(jsonb_array_length(d -> 'resetting')) AS resetting
FROM matrx_relations.prefetch_related('rc.customers', ARRAY(SELECT generate_series(1, 3000)), 'orders', 'resetting') d;
SELECT count(*), sum(jsonb_array_length(d -> 'orders')) AS orders, sum(jsonb_array_length(d -> 'resetting')) AS resetting
FROM matrx_relations.prefetch_related('rc.customers', ARRAY(SELECT generate_series(1, 3000)), 'orders', 'resetting') d;
SELECT count(*) FROM matrx_relations.prefetch_related('rc.customers', ARRAY(SELECT generate_series(1, 3000)), 'orders');
ROLLBACK;

-- cache_size bounds its memory: with the minimum, loads stay exact
BEGIN ISOLATION LEVEL REPEATABLE READ;
SET LOCAL matrx_relations.cache_size = '64kB';
SELECT count(*), sum(jsonb_array_length(d -> 'orders')) FROM matrx_relations.prefetch_related('rc.customers', ARRAY(SELECT generate_series(1, 3000)), 'orders') d;
SELECT cache_bytes <= 64 * 1024 AS within_limit, cache_entries BETWEEN 1 AND 2999 AS some_entries FROM matrx_relations.stats();
SELECT count(*), sum(jsonb_array_length(d -> 'orders')) FROM matrx_relations.prefetch_related('rc.customers', ARRAY(SELECT generate_series(1, 3000)), 'orders') d;
SELECT cache_bytes <= 64 * 1024 AS within_limit FROM matrx_relations.stats();
ROLLBACK;

-- matrx_relations.cache = off: no hits; cache_reset() empties it
BEGIN ISOLATION LEVEL REPEATABLE READ;
SET LOCAL matrx_relations.cache = off;
SELECT FROM delta();
SELECT count(*) FROM load(1, 2);
SELECT count(*) FROM load(1, 2);
SELECT * FROM delta();
SET LOCAL matrx_relations.cache = on;
SELECT count(*) FROM load(1, 2);
SELECT matrx_relations.cache_reset();
SELECT cache_entries FROM matrx_relations.stats();
SELECT count(*) FROM load(1, 2);
SELECT * FROM delta();
ROLLBACK;

-- typed rows and select_related are cached too
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT FROM delta();
SELECT count(*) FROM matrx_relations.fetch_related(NULL::orders, 'rc.customers', 'orders', ARRAY[1, 2]);
SELECT count(*) FROM matrx_relations.fetch_related(NULL::orders, 'rc.customers', 'orders', ARRAY[2, 1]);
SELECT count(*) FROM matrx_relations.select_related('rc.customers', ARRAY[1, 2], 'orders');
SELECT count(*) FROM matrx_relations.select_related('rc.customers', ARRAY[2, 1], 'orders');
SELECT * FROM delta();
ROLLBACK;

RESET search_path;
DROP SCHEMA rc CASCADE;
DROP OWNED BY rc_reader;
DROP ROLE rc_reader;
