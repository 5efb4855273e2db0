-- opfamily.sql: ALTER OPERATOR FAMILY is tracked by the metadata cache per
-- operator family member (pg_amop, syscache AMOPSTRATEGY by family, types
-- and strategy).  A registered relation's equality is looked up in the
-- columns' types' btree families: adding or dropping that member takes
-- effect at the next call, while members of other families, or other
-- members of the same family, leave the metadata alone (stats():
-- metadata_loads).  A primary key's equality is its index's family member.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(9);

CREATE SCHEMA oftap;
SET LOCAL search_path = oftap, public;

CREATE TABLE labels (id int PRIMARY KEY, num text);
CREATE TABLE things (id int PRIMARY KEY, n int);
INSERT INTO labels VALUES (1, '10'), (2, '20');
INSERT INTO things VALUES (100, 10), (101, 10), (102, 20);

-- int = text, as a member of text's btree family (cross-type)
CREATE FUNCTION int_text_eq(int, text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT $1::text = $2 $$;
CREATE OPERATOR oftap.= (LEFTARG = int, RIGHTARG = text, FUNCTION = int_text_eq);
CREATE FUNCTION bigint_text_eq(bigint, text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT $1::text = $2 $$;
CREATE OPERATOR oftap.= (LEFTARG = bigint, RIGHTARG = text, FUNCTION = bigint_text_eq);
ALTER OPERATOR FAMILY pg_catalog.text_ops USING btree ADD OPERATOR 3 oftap.= (int, text);
SELECT matrx_relations.register_relation('oftap.labels', 'things', 'oftap.things', '{num}', '{n}');

CREATE FUNCTION load() RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_agg(jsonb_array_length(d -> 'things') ORDER BY d ->> 'id')
      FROM matrx_relations.prefetch_related('oftap.labels', ARRAY[1, 2], 'things') d
$$;
CREATE FUNCTION mark() RETURNS void LANGUAGE sql AS $$
    SELECT set_config('oftap.loads', metadata_loads::text, true) FROM matrx_relations.stats()
$$;
CREATE FUNCTION loads_since() RETURNS bigint LANGUAGE sql AS $$
    SELECT metadata_loads - current_setting('oftap.loads')::bigint FROM matrx_relations.stats()
$$;

-- 1: the registered relation matches int to text through the family member
SELECT is(load(), '[2, 1]', 'labels load their things through int = text');
SELECT mark();

-- 2-3: another family, and another member of the same family: nothing read again
CREATE OPERATOR FAMILY oftap.other USING btree;
ALTER OPERATOR FAMILY oftap.other USING btree ADD OPERATOR 3 oftap.= (int, text);
ALTER OPERATOR FAMILY pg_catalog.text_ops USING btree ADD OPERATOR 3 oftap.= (bigint, text);
SELECT is(load(), '[2, 1]', 'the same after unrelated ALTER OPERATOR FAMILY');
SELECT is(loads_since(), 0::bigint, 'no metadata read again after changes to other family members');

-- 4-5: the member dropped: the next call reads the metadata again, and the
-- relation no longer resolves (its columns cannot be matched)
ALTER OPERATOR FAMILY pg_catalog.text_ops USING btree DROP OPERATOR 3 (int, text);
SELECT throws_ok('SELECT oftap.load()', '42704', NULL,
                 'the member dropped: the relation no longer resolves at the next call');
SELECT cmp_ok(loads_since(), '>', 0::bigint, 'the metadata was read again');

-- 6-7: added back: the next call finds it again (a lookup that found
-- nothing is tracked too)
SELECT mark();
ALTER OPERATOR FAMILY pg_catalog.text_ops USING btree ADD OPERATOR 3 oftap.= (int, text);
SELECT is(load(), '[2, 1]', 'the member added back: the relation resolves again');
SELECT cmp_ok(loads_since(), '>', 0::bigint, 'the metadata was read again');

-- 8-9: another member of the same family dropped: nothing read again
SELECT mark();
ALTER OPERATOR FAMILY pg_catalog.text_ops USING btree DROP OPERATOR 3 (bigint, text);
SELECT is(load(), '[2, 1]', 'the same after dropping another member of the family');
SELECT is(loads_since(), 0::bigint, 'no metadata read again');

SELECT * FROM finish();
ROLLBACK;
