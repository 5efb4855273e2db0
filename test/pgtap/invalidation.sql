-- invalidation.sql: kept plans and metadata are dropped per dependency.
-- 1,000 CREATE TEMP TABLE / DROP / ANALYZE of unrelated tables (and DDL
-- on other tables) between loads prepare no plan again and read no
-- metadata again (stats(): plans_prepared, metadata_loads), while DDL on a
-- table a load involves takes effect at the next call.  The other session's
-- side is test/specs/invalidation.spec.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(14);

CREATE SCHEMA invtap;
SET LOCAL search_path = invtap, public;

CREATE TABLE customers (id int PRIMARY KEY, name text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, total int);
CREATE TABLE items (id int PRIMARY KEY, order_id int REFERENCES orders, qty int);
CREATE TABLE unrelated (id int PRIMARY KEY, v int);
CREATE TABLE other_parent (id int PRIMARY KEY);
INSERT INTO customers VALUES (1, 'ann'), (2, 'bob');
INSERT INTO orders VALUES (10, 1, 5), (11, 2, 7);
INSERT INTO items VALUES (100, 10, 1), (101, 10, 2), (102, 11, 3);
INSERT INTO unrelated SELECT g, g FROM generate_series(1, 100) g;
-- analyzed before the first load: a table's first statistics can turn a
-- generic plan from an index scan into a sequential one, after which the
-- statement runs the plan cache's own choice, prepared then (plancache.c);
-- what 5-6 check is that a later ANALYZE prepares nothing again
ANALYZE customers, orders, items;

CREATE FUNCTION load() RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_agg(d ORDER BY d ->> 'id')
      FROM matrx_relations.prefetch_related('invtap.orders', ARRAY[10, 11], 'customer', 'items') d
$$;
CREATE FUNCTION counters(OUT prepared bigint, OUT loads bigint) LANGUAGE sql AS $$
    SELECT plans_prepared, metadata_loads FROM matrx_relations.stats()
$$;

-- 1: a first load prepares its plans and reads its metadata
SELECT is(load() -> 0 -> 'customer' ->> 'name', 'ann', 'first load');
SELECT set_config('inv.prepared', prepared::text, true), set_config('inv.loads', loads::text, true)
  FROM counters();

-- 2-4: 1,000 rounds of unrelated DDL, each followed by a load
DO $$
DECLARE
    i int;
    expected jsonb := invtap.load();
BEGIN
    FOR i IN 1 .. 1000 LOOP
        CREATE TEMP TABLE inv_scratch (id int PRIMARY KEY, p int);
        INSERT INTO inv_scratch VALUES (i, i);
        ANALYZE inv_scratch;
        DROP TABLE inv_scratch;
        ANALYZE invtap.unrelated;
        IF i % 100 = 0 THEN
            -- DDL on other tables, even one with an FK of its own
            CREATE TABLE invtap.other_child (id int PRIMARY KEY, parent_id int REFERENCES invtap.other_parent);
            ALTER TABLE invtap.unrelated ADD COLUMN w int;
            ALTER TABLE invtap.unrelated DROP COLUMN w;
            DROP TABLE invtap.other_child;
        END IF;
        IF invtap.load() IS DISTINCT FROM expected THEN
            RAISE EXCEPTION 'round %: the load changed', i;
        END IF;
    END LOOP;
END $$;
SELECT pass('1,000 rounds of unrelated DDL: every load the same');
SELECT is((SELECT prepared FROM counters()), current_setting('inv.prepared')::bigint,
    'unrelated DDL, temporary tables and ANALYZE: no plan prepared again');
SELECT is((SELECT loads FROM counters()), current_setting('inv.loads')::bigint,
    'unrelated DDL, temporary tables and ANALYZE: no metadata read again');

-- 5-6: ANALYZE of an involved table: PostgreSQL revalidates its plans;
-- the loads stay the same
ANALYZE orders;
SELECT is(load() -> 0 -> 'customer' ->> 'name', 'ann', 'after ANALYZE of an involved table');
SELECT is((SELECT prepared FROM counters()), current_setting('inv.prepared')::bigint,
    'ANALYZE of an involved table: no plan prepared again');

-- 7-8: a renamed column of an involved table takes effect at the next call
ALTER TABLE customers RENAME COLUMN name TO full_name;
SELECT is(load() -> 0 -> 'customer' ->> 'full_name', 'ann', 'a renamed target column shows at the next call');
SELECT cmp_ok((SELECT loads FROM counters()), '>', current_setting('inv.loads')::bigint,
    'a renamed column: metadata read again');

-- 9: a dropped FK takes effect (42704: the relation is gone)
ALTER TABLE items DROP CONSTRAINT items_order_id_fkey;
SELECT throws_ok($$SELECT load()$$, '42704', NULL, 'a dropped FK shows at the next call');

-- 10: a new FK to the source takes effect
ALTER TABLE items ADD CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders;
SELECT is(jsonb_array_length(load() -> 0 -> 'items'), 2, 'a new FK shows at the next call');

-- 11: a renamed FK column on the source: the relation takes its new name
ALTER TABLE orders RENAME COLUMN customer_id TO buyer_id;
SELECT is((SELECT d -> 'buyer' ->> 'full_name' FROM matrx_relations.prefetch_related('orders', ARRAY[10], 'buyer') d),
    'ann', 'a renamed FK column names the relation at the next call');

-- 12: a renamed child table names the ifk relation
ALTER TABLE items RENAME TO lines;
SELECT is((SELECT jsonb_array_length(d -> 'lines') FROM matrx_relations.prefetch_related('orders', ARRAY[10], 'lines') d),
    2, 'a renamed child table names the relation at the next call');

-- 13: a changed column type shows in the documents
ALTER TABLE lines ALTER COLUMN qty TYPE text USING qty::text;
SELECT is((SELECT d -> 'lines' -> 0 -> 'qty' FROM matrx_relations.prefetch_related('orders', ARRAY[10], 'lines') d),
    '"1"'::jsonb, 'a changed column type shows at the next call');

-- 14: a registered relation takes effect, and so does its removal
SELECT matrx_relations.register_relation('orders', 'same_customer', 'orders', '{buyer_id}', '{buyer_id}');
SELECT is((SELECT jsonb_array_length(d -> 'same_customer') FROM matrx_relations.prefetch_related('orders', ARRAY[10], 'same_customer') d),
    1, 'a registered relation shows at the next call');

SELECT * FROM finish();
ROLLBACK;
