-- Keys of every shape match exactly as the foreign key does: with the
-- key's own equality operator (operands cast to its input types), under
-- the referenced column's collation, across types, and for char(n).
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA ky;
SET search_path = ky;
\set VERBOSITY terse

-- a text FK referencing a char(3) key: the FK compares as bpchar, so
-- 'cd  ' references 'cd'
CREATE TABLE codes (code char(3) PRIMARY KEY);
CREATE TABLE coded (id int PRIMARY KEY, code_ref text REFERENCES codes);
INSERT INTO codes VALUES ('ab'), ('cd');
INSERT INTO coded VALUES (1, 'ab'), (2, 'cd'), (3, 'ab'), (4, 'cd  ');
SELECT * FROM matrx_relations.fetch_related(NULL::coded, 'codes', 'coded', ARRAY['ab', 'cd']::bpchar[]);
SELECT * FROM matrx_relations.fetch_related(NULL::codes, 'coded', 'coded_code_ref_fkey', ARRAY[1, 2, 4]);
SELECT * FROM matrx_relations.explain_related('codes', 'coded');

-- bit(4) referenced from varbit
CREATE TABLE flags (f bit(4) PRIMARY KEY, label text);
CREATE TABLE flagged (id int PRIMARY KEY, f varbit REFERENCES flags);
INSERT INTO flags VALUES (B'1010', 'ten'), (B'0001', 'one');
INSERT INTO flagged VALUES (1, B'1010'), (2, B'0001'), (3, B'1010');
SELECT * FROM matrx_relations.fetch_related(NULL::flagged, 'flags', 'flagged', ARRAY[B'1010', B'0001']::bit(4)[]);

-- int FK to a bigint key, both directions
CREATE TABLE big (id bigint PRIMARY KEY);
CREATE TABLE small (id int PRIMARY KEY, big_id int REFERENCES big);
INSERT INTO big VALUES (1), (5000000000);
INSERT INTO small VALUES (1, 1), (2, 1);
SELECT * FROM matrx_relations.fetch_related(NULL::small, 'big', 'small', ARRAY[1, 5000000000]);
SELECT * FROM matrx_relations.fetch_related(NULL::big, 'small', 'big', ARRAY[2, 1]);

-- a case-insensitive key: children match under the key's collation, and
-- keys that the key's collation calls equal are one key
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE ci_parent (code text COLLATE ci PRIMARY KEY);
CREATE TABLE ci_child (id int PRIMARY KEY, code text COLLATE ci REFERENCES ci_parent);
INSERT INTO ci_parent VALUES ('Abc');
INSERT INTO ci_child VALUES (1, 'abc'), (2, 'ABC'), (3, 'Abc');
SELECT * FROM matrx_relations.fetch_related(NULL::ci_child, 'ci_parent', 'ci_child', ARRAY['Abc']);
SELECT * FROM matrx_relations.fetch_related(NULL::ci_child, 'ci_parent', 'ci_child', ARRAY['abc', 'ABC']);
SELECT * FROM matrx_relations.explain_related('ci_parent', 'ci_child');
-- a child column of the default collation (PostgreSQL 18 refuses such a
-- foreign key to a nondeterministic key; a registered relation may still
-- link them): it matches under the key's collation too
CREATE TABLE ci_note (id int PRIMARY KEY, code text);
INSERT INTO ci_note VALUES (1, 'abc'), (2, 'ABC'), (3, 'xyz');
SELECT matrx_relations.register_relation('ci_parent', 'notes', 'ci_note', '{code}', '{code}');
SELECT * FROM matrx_relations.fetch_related(NULL::ci_note, 'ci_parent', 'notes', ARRAY['aBC']);
SELECT * FROM matrx_relations.explain_related('ci_parent', 'notes');
SELECT matrx_relations.unregister_relation('ci_parent', 'notes');

-- registered links between types that only compare after a cast
CREATE TABLE vkeys (code varchar(10) PRIMARY KEY);
CREATE TABLE tvals (id int PRIMARY KEY, code text, amount numeric);
INSERT INTO vkeys VALUES ('x'), ('y');
INSERT INTO tvals VALUES (1, 'x', 1), (2, 'y', 2), (3, 'x', 3);
SELECT matrx_relations.register_relation('tvals', 'vkey', 'vkeys', '{code}', '{code}');
SELECT matrx_relations.register_relation('vkeys', 'tvals', 'tvals', '{code}', '{code}');
SELECT * FROM matrx_relations.fetch_related(NULL::vkeys, 'tvals', 'vkey', ARRAY[1, 2, 3]);
SELECT * FROM matrx_relations.fetch_related(NULL::tvals, 'vkeys', 'tvals', ARRAY['x']);
SELECT matrx_relations.register_relation('tvals', 'by_amount', 'small', '{amount}', '{id}');
SELECT * FROM matrx_relations.fetch_related(NULL::small, 'tvals', 'by_amount', ARRAY[1, 2, 3]);
-- fetch_related keys its statement as the relation's operator does (type
-- and collation), as prefetch_related does: primary keys in "C" that a
-- case-insensitive target key calls equal both reach the target row
-- (fetch_related used to match rows to keys under the primary key's
-- collation and type, and found none for 'ABC')
CREATE TABLE ci_users (id text COLLATE ci PRIMARY KEY, n int);
CREATE TABLE c_profiles (user_id varchar COLLATE "C" PRIMARY KEY);
INSERT INTO ci_users VALUES ('abc', 1);
INSERT INTO c_profiles VALUES ('abc'), ('ABC');
SELECT matrx_relations.register_relation('c_profiles', 'usr', 'ci_users', '{user_id}', '{id}');
SELECT * FROM matrx_relations.fetch_related(NULL::ci_users, 'c_profiles', 'usr', ARRAY['abc', 'ABC', 'abc']);
SELECT * FROM matrx_relations.fetch_related_array(NULL::ci_users, 'c_profiles', 'usr', ARRAY['ABC', 'abc']);
SELECT * FROM matrx_relations.prefetch_related('c_profiles', ARRAY['abc', 'ABC'], 'usr');
DROP TABLE c_profiles, ci_users;

-- dropping a table forgets the relations registered on it or to it
SELECT count(*) FROM matrx_relations.registered_relations WHERE source = 'tvals'::regclass OR target = 'tvals'::regclass;
DROP TABLE tvals;
SELECT count(*) FROM matrx_relations.registered_relations;

-- the FK's operator decides which rows belong together, in C as in SQL:
-- a citext FK to a text key keeps 'abc' and 'ABC' apart (text equality) ...
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
CREATE TABLE tkeys (k text PRIMARY KEY, n int);
CREATE TABLE ckeys (id int PRIMARY KEY, k public.citext REFERENCES tkeys);
INSERT INTO tkeys VALUES ('abc', 1), ('ABC', 2);
INSERT INTO ckeys VALUES (1, 'abc'), (2, 'ABC');
SELECT * FROM matrx_relations.prefetch_related('ckeys', ARRAY[1, 2], 'p:ckeys_k_fkey');
SELECT * FROM matrx_relations.prefetch_related('tkeys', ARRAY['abc', 'ABC'], 'ckeys');
SELECT * FROM matrx_relations.fetch_related(NULL::tkeys, 'ckeys', 'ckeys_k_fkey', ARRAY[1, 2]);
-- ... and a text FK to a char key matches 'ab ' and 'ab' alike (bpchar equality)
CREATE TABLE bkeys (c char(3) PRIMARY KEY, n int);
CREATE TABLE tvalues (id int PRIMARY KEY, c text REFERENCES bkeys);
INSERT INTO bkeys VALUES ('ab', 1);
INSERT INTO tvalues VALUES (2, 'ab '), (3, 'ab');
SELECT * FROM matrx_relations.prefetch_related('tvalues', ARRAY[2, 3], 'f:tvalues_c_fkey');
SELECT * FROM matrx_relations.prefetch_related('bkeys', ARRAY['ab'], 'tvalues');
SELECT (SELECT array_agg(d) FROM matrx_relations.prefetch_related('ckeys', ARRAY[1, 2], 'p:ckeys_k_fkey') d)
     = (SELECT array_agg(d) FROM matrx_relations.select_related('ckeys', ARRAY[1, 2], 'p:ckeys_k_fkey') d)
   AND (SELECT array_agg(d) FROM matrx_relations.prefetch_related('tvalues', ARRAY[2, 3], 'f:tvalues_c_fkey') d)
     = (SELECT array_agg(d) FROM matrx_relations.select_related('tvalues', ARRAY[2, 3], 'f:tvalues_c_fkey') d) AS same;

-- path syntax is checked before names; system columns are no clash
SELECT * FROM matrx_relations.explain_related('codes', 'nope..x');
SELECT * FROM matrx_relations.explain_related('codes', 'ctid:coded');

RESET search_path;
DROP SCHEMA ky CASCADE;
DROP EXTENSION citext;
