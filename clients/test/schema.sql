-- The clients' test schema, on top of test/demo/00-setup.sql and
-- examples/data.sql: every core type (and user types) in rows of a relation
-- target, and a composite-key many-to-many. Deterministic.
\set ON_ERROR_STOP 1
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS citext;

-- xml needs a server built with libxml (Debian's is; a server built without
-- it has no xml values at all): there the column is text, said here
DO $$
BEGIN
    PERFORM '<a/>'::xml;
    PERFORM pg_catalog.set_config('matrx_clients.xml_type', 'xml', false);
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this server has no xml support (built without libxml): c_xml is text';
    PERFORM pg_catalog.set_config('matrx_clients.xml_type', 'text', false);
END $$;
SELECT pg_catalog.current_setting('matrx_clients.xml_type') AS xml_type \gset

CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE DOMAIN email AS citext;
CREATE TYPE pair AS (a integer, b text, m mood);

CREATE TABLE holders (id integer PRIMARY KEY, label text);
INSERT INTO holders VALUES (1, 'one'), (2, 'two'), (3, 'none');

CREATE TABLE typed_values (
    id integer PRIMARY KEY,
    holder_id integer REFERENCES holders,
    c_int2 smallint, c_int4 integer, c_int8 bigint, c_numeric numeric, c_num82 numeric(8,2),
    c_float4 real, c_float8 double precision, c_money money,
    c_text text, c_varchar varchar(10), c_char "char", c_bpchar char(4), c_name name,
    c_bytea bytea, c_bool boolean,
    c_date date, c_time time, c_timetz timetz, c_timestamp timestamp, c_timestamptz timestamptz,
    c_interval interval, c_uuid uuid, c_json json, c_jsonb jsonb, c_jsonpath jsonpath, c_xml :xml_type,
    c_inet inet, c_cidr cidr, c_macaddr macaddr, c_macaddr8 macaddr8,
    c_point point, c_line line, c_lseg lseg, c_box box, c_path path, c_polygon polygon, c_circle circle,
    c_bit bit(4), c_varbit varbit, c_tsvector tsvector, c_tsquery tsquery,
    c_int4range int4range, c_numrange numrange, c_tstzrange tstzrange, c_daterange daterange,
    c_int4multirange int4multirange,
    c_oid oid, c_regclass regclass, c_regtype regtype, c_pg_lsn pg_lsn, c_xid8 xid8,
    c_int4_arr integer[], c_text_arr text[], c_ts_arr timestamptz[], c_interval_arr interval[],
    c_mood mood, c_mood_arr mood[], c_posint posint, c_email email, c_pair pair, c_pair_arr pair[],
    c_hstore hstore, c_citext citext
);

INSERT INTO typed_values VALUES
(1, 1, -32768, 2147483647, 9223372036854775807, 12345678901234567890.000100, 123456.78,
 1.5, -1.0e-300, 12.34,
 'hé "quoted" \ back', 'ab', 'x', 'ab', 'name',
 '\x00ff10', true,
 '2024-02-29', '23:59:59.999999', '12:34:56+05:30', '2020-02-29 23:59:59.999999', '2020-06-01 12:00:00+02',
 '1 year 2 mons -3 days 04:05:06.7', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": 1, "a": [1.0, 2]}',
 '{"b": 1, "a": [1.0, 2], "c": null}', '$.a[*] ? (@ > 1)', '<a x="1">t</a>',
 '10.1.2.3/8', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05',
 '(1,2)', '{1,2,3}', '[(1,2),(3,4)]', '(3,4),(1,2)', '[(1,2),(3,4)]', '((1,2),(3,4),(5,6))', '<(1,2),3>',
 '1010', '110', 'a:1 fat:2B cat', 'fat & (rat | !cat)',
 '[1,5)', '[1.5,2.5]', '[2020-01-01 00:00+00,)', '[2020-01-01,2021-01-01)',
 '{[1,2),[5,9)}',
 4000000000, 'pg_class', 'integer', '16/B374D848', '12345678901',
 '{{1,2},{3,NULL}}', '{"a b",NULL,"\"",""}', '{infinity,2020-01-01 00:00+00}', '{"1 day","-00:00:01"}',
 'happy', '{sad,ok}', 7, 'Someone@Example.com', '(1,"x y",ok)', ARRAY['(2,z,sad)'::pair, NULL],
 'a=>1, "b c"=>NULL', 'MiXeD'),
(2, 1, 0, 0, 0, 'NaN', 0.00,
 '-Infinity', 'NaN', -0.01,
 '', '', ' ', '', '',
 '\x', false,
 'infinity', '00:00', '00:00:00-12', '-infinity', 'infinity',
 '-178000000 years', '00000000-0000-0000-0000-000000000000', '[]', '[]', '$', '<a/>',
 '::1', '::/0', '00:00:00:00:00:00', '00:00:00:00:00:00:00:00',
 '(-0,1e-300)', '{1,-1,0}', '[(0,0),(0,0)]', '(0,0),(0,0)', '((0,0))', '((0,0))', '<(0,0),0>',
 '0000', '', '', '!a',
 'empty', '(,)', '(,2020-01-01 00:00+00]', 'empty',
 '{}',
 0, '-', '-', '0/0', '0',
 '{}', '{}', '{-infinity}', '{}',
 'sad', '{}', 1, '', '(,,)', '{}',
 '', ''),
(3, 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

-- a many-to-many between composite keys: regions <-> tags through region_tags
CREATE TABLE region_tags (
    country char(2), code text, tag_id integer REFERENCES tags,
    PRIMARY KEY (country, code, tag_id),
    FOREIGN KEY (country, code) REFERENCES regions
);
INSERT INTO region_tags VALUES ('GB', 'ENG', 1), ('GB', 'ENG', 2), ('US', 'NY', 2), ('GB', 'SCT', 3);
ANALYZE;

-- a relation whose rows hold only types the drivers decode in binary
CREATE TABLE notes (id integer PRIMARY KEY, holder_id integer REFERENCES holders, body jsonb,
                    at timestamptz, span interval, day date);
INSERT INTO notes VALUES (1, 1, '{"k": [1, 2.5]}', '2024-01-01 10:00+00', '1 day -02:00', 'infinity'),
                         (2, 1, 'null', '-infinity', '-1 mons', '2000-02-29'),
                         (3, 2, '"s"', NULL, NULL, NULL);
ANALYZE;

-- column names a generated object maker must quote (and "__proto__", which an
-- object literal would take for the prototype), and text values that need
-- every kind of quoting in a record's text form
CREATE TABLE odd_names (id integer PRIMARY KEY, holder_id integer REFERENCES holders,
                        "__proto__" text, "a b" text, "q""uote" text, "constructor" integer, "x,y" text);
INSERT INTO odd_names VALUES
    (1, 1, 'p', 'a,b', '"', 1, '(x)'),
    (2, 1, '', ' lead', 'back\slash', 2, 'x"y"z'),
    (3, 1, NULL, 'trail ', '"\"', NULL, 'comma, and (paren)'),
    (4, 2, 'NULL', '""', 'ünï ✓', 0, E'tab\there\nnewline'),
    (5, 2, ')', '(', ',', -1, '\\');
ANALYZE;

-- a polymorphic relation (Rails' commentable_type + varchar commentable_id):
-- comments.commentable is a post, a photo or a link; posts and photos have
-- an author, links none
CREATE SCHEMA poly;
CREATE TABLE poly.people (id integer PRIMARY KEY, name text);
CREATE TABLE poly.posts (id integer PRIMARY KEY, title text, author_id integer REFERENCES poly.people);
CREATE TABLE poly.photos (id integer PRIMARY KEY, url text, author_id integer REFERENCES poly.people);
CREATE TABLE poly.links (slug text PRIMARY KEY, href text);
CREATE TABLE poly.comments (id integer PRIMARY KEY, body text,
                            commentable_type varchar(20), commentable_id varchar(20));
INSERT INTO poly.people VALUES (1, 'ann'), (2, 'bob');
INSERT INTO poly.posts VALUES (1, 'p1', 1), (2, 'p2', 2);
INSERT INTO poly.photos VALUES (1, 'ph1', 2);
INSERT INTO poly.links VALUES ('abc', 'https://a');
INSERT INTO poly.comments VALUES (1, 'c1', 'Post', '1'), (2, 'c2', 'Photo', '1'), (3, 'c3', 'Link', 'abc'),
    (4, 'c4', 'Video', '1'), (5, 'c5', NULL, NULL), (6, 'c6', 'Post', '1'), (7, 'c7', 'Post', '2');
SELECT matrx_relations.register_relation('poly.comments', 'commentable_' || lower(t), target,
    '{commentable_id}', ARRAY[key]::name[], options => jsonb_build_object('polymorphic',
        jsonb_build_object('name', 'commentable', 'type_column', 'commentable_type', 'type_value', t))
        || CASE WHEN key = 'id' THEN '{"cast": ["integer"]}'::jsonb ELSE '{}' END)
FROM (VALUES ('Post', 'poly.posts'::regclass, 'id'), ('Photo', 'poly.photos', 'id'),
             ('Link', 'poly.links', 'slug')) m(t, target, key);
ANALYZE;
