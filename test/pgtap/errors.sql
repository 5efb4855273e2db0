-- errors.sql: the error contract of SPEC §4 for the functions that exist
-- today (fetch_related, fetch_related_array, explain_related,
-- register_relation, unregister_relation, the view relations), with a few
-- happy paths next to the errors.
--
-- Tests marked "-- SPEC MISMATCH:" are written to the SPEC and fail against
-- the current build; the comment says what the build does instead.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION matrx_relations;

SELECT plan(126);

-- ---------------------------------------------------------------------------
-- Fixture (own schema, so it cannot collide with other test files)
-- ---------------------------------------------------------------------------
CREATE SCHEMA errtap;
SET LOCAL search_path = errtap, public;

CREATE TABLE users (id bigint PRIMARY KEY, name text);
-- two FKs to users: the ifks of users are named by constraint name
CREATE TABLE messages (
    id           int PRIMARY KEY,
    sender_id    bigint REFERENCES users,
    recipient_id bigint REFERENCES users,
    body         text
);
-- authors gets ifk "books" (books has exactly one FK to authors) AND m2m
-- "books" (through authorships): the name "books" is ambiguous (42P09)
CREATE TABLE authors (id int PRIMARY KEY, name text);
CREATE TABLE books (id int PRIMARY KEY, author_id int REFERENCES authors, title text);
CREATE TABLE authorships (
    author_id int REFERENCES authors,
    book_id   int REFERENCES books,
    PRIMARY KEY (author_id, book_id)
);
-- a source with a two-column primary key, and one with none
CREATE TABLE pairs (a int, b int, v text, PRIMARY KEY (a, b));
CREATE TABLE pair_notes (id int PRIMARY KEY, a int, b int, FOREIGN KEY (a, b) REFERENCES pairs);
CREATE TABLE nopk (x int, author_id int REFERENCES authors);
-- a uuid primary key (int keys cannot be cast to it)
CREATE TABLE tokens (id uuid PRIMARY KEY);
CREATE TABLE token_uses (id int PRIMARY KEY, token_id uuid REFERENCES tokens);
-- non-tables
CREATE VIEW author_view AS SELECT id, name FROM authors;
CREATE TYPE pair_type AS (a int);
CREATE SEQUENCE a_seq;
CREATE INDEX books_title_idx ON books (title);
-- the OID of a relation that no longer exists
CREATE TABLE doomed (id int PRIMARY KEY);
CREATE TEMP TABLE doomed_oid AS SELECT 'doomed'::regclass::oid AS oid;
DROP TABLE doomed;

INSERT INTO users VALUES (1, 'ann'), (2, 'bob');
INSERT INTO messages VALUES (10, 1, 2, 'hi'), (11, 2, 1, 're'), (12, 1, 1, 'note');
INSERT INTO authors VALUES (1, 'le guin'), (2, 'pratchett');
INSERT INTO books VALUES (100, 1, 'earthsea'), (101, 2, 'mort'), (102, NULL, 'omens');
INSERT INTO authorships VALUES (1, 100), (2, 101), (2, 102), (1, 102);

-- error_of(sql): the SQLSTATE, message, detail and hint sql raises
CREATE FUNCTION pg_temp.error_of(q text, OUT code text, OUT msg text, OUT det text, OUT hnt text)
LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE q;
    code := '00000';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
END
$f$;

-- ===========================================================================
-- 42P01: an OID of no relation
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::users, '999999'::regclass, 'sender', ARRAY[1])$$,
    '42P01', NULL, 'fetch_related: source 999999 -> 42P01');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related_array(NULL::users, '999999'::regclass, 'sender', ARRAY[1])$$,
    '42P01', NULL, 'fetch_related_array: source 999999 -> 42P01');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('999999'::regclass, 'sender')$$,
    '42P01', NULL, 'explain_related: source 999999 -> 42P01');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related((SELECT oid FROM doomed_oid)::regclass, 'x')$$,
    '42P01', NULL, 'explain_related: OID of a dropped table -> 42P01');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::users, (SELECT oid FROM doomed_oid)::regclass, 'x', ARRAY[1])$$,
    '42P01', NULL, 'fetch_related: OID of a dropped table -> 42P01');
-- SPEC MISMATCH: OID 0 ('-') is "another OID of no relation" (§4: 42P01);
-- the build treats InvalidOid like NULL and raises 22004 "source must not be null".
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::users, '0'::regclass, 'sender', ARRAY[1])$$,
    '42P01', NULL, 'fetch_related: source OID 0 -> 42P01');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('999999'::regclass, 'r', 'books', ARRAY['id'], ARRAY['author_id'])$$,
    '42P01', NULL, 'register_relation: source 999999 -> 42P01');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', '999999'::regclass, ARRAY['id'], ARRAY['author_id'])$$,
    '42P01', NULL, 'register_relation: target 999999 -> 42P01');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', ARRAY['id'], ARRAY['id'],
                                                '999999'::regclass, ARRAY['author_id'], ARRAY['book_id'])$$,
    '42P01', NULL, 'register_relation: via 999999 -> 42P01');
SELECT throws_ok(
    $$SELECT matrx_relations.unregister_relation('999999'::regclass, 'r')$$,
    '42P01', NULL, 'unregister_relation: source 999999 -> 42P01');

-- ===========================================================================
-- 42809: index, sequence, composite type, TOAST table as source / target
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::users, 'books_title_idx', 'x', ARRAY[1])$$,
    '42809', NULL, 'fetch_related: index as source -> 42809');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::users, 'a_seq', 'x', ARRAY[1])$$,
    '42809', NULL, 'fetch_related: sequence as source -> 42809');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::users, 'pair_type', 'x', ARRAY[1])$$,
    '42809', NULL, 'fetch_related: composite type as source -> 42809');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related_array(NULL::users, 'books_title_idx', 'x', ARRAY[1])$$,
    '42809', NULL, 'fetch_related_array: index as source -> 42809');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related_array(NULL::users, 'a_seq', 'x', ARRAY[1])$$,
    '42809', NULL, 'fetch_related_array: sequence as source -> 42809');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related_array(NULL::users, 'pair_type', 'x', ARRAY[1])$$,
    '42809', NULL, 'fetch_related_array: composite type as source -> 42809');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('books_title_idx', 'x')$$,
    '42809', NULL, 'explain_related: index as source -> 42809');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('a_seq', 'x')$$,
    '42809', NULL, 'explain_related: sequence as source -> 42809');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('pair_type', 'x')$$,
    '42809', NULL, 'explain_related: composite type as source -> 42809');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related(
          (SELECT reltoastrelid::regclass FROM pg_class WHERE oid = 'errtap.users'::regclass), 'x')$$,
    '42809', NULL, 'explain_related: TOAST table as source -> 42809');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('books_title_idx', 'r', 'books', ARRAY['title'], ARRAY['title'])$$,
    '42809', NULL, 'register_relation: index as source -> 42809');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('a_seq', 'r', 'books', ARRAY['last_value'], ARRAY['id'])$$,
    '42809', NULL, 'register_relation: sequence as source -> 42809');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('pair_type', 'r', 'books', ARRAY['a'], ARRAY['id'])$$,
    '42809', NULL, 'register_relation: composite type as source -> 42809');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books_title_idx', ARRAY['name'], ARRAY['title'])$$,
    '42809', NULL, 'register_relation: index as target -> 42809');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'a_seq', ARRAY['id'], ARRAY['last_value'])$$,
    '42809', NULL, 'register_relation: sequence as target -> 42809');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'pair_type', ARRAY['id'], ARRAY['a'])$$,
    '42809', NULL, 'register_relation: composite type as target -> 42809');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', ARRAY['id'], ARRAY['id'],
                                                'a_seq', ARRAY['last_value'], ARRAY['last_value'])$$,
    '42809', NULL, 'register_relation: sequence as via -> 42809');
SELECT throws_ok(
    $$SELECT matrx_relations.unregister_relation('books_title_idx', 'r')$$,
    '42809', NULL, 'unregister_relation: index as source -> 42809');

-- ===========================================================================
-- 42704: relation name unknown for that source (hint lists its relations)
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::users, 'messages', 'nope', ARRAY[10])$$,
    '42704', NULL, 'fetch_related: unknown relation name -> 42704');
SELECT ok(
    (SELECT e.code = '42704' AND coalesce(e.hnt, '') LIKE '%recipient%' AND coalesce(e.hnt, '') LIKE '%sender%'
       FROM pg_temp.error_of($$SELECT * FROM matrx_relations.fetch_related(NULL::users, 'messages', 'nope', ARRAY[10])$$) e),
    'fetch_related: the 42704 hint lists the relations of messages (recipient, sender)');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::messages, 'users', 'sender', ARRAY[1])$$,
    '42704', NULL, 'fetch_related: a relation of another source (messages.sender on users) -> 42704');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related_array(NULL::users, 'messages', 'nope', ARRAY[10])$$,
    '42704', NULL, 'fetch_related_array: unknown relation name -> 42704');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('messages', 'sender', 'nope')$$,
    '42704', NULL, 'explain_related: unknown relation name -> 42704');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('pg_catalog.pg_class', 'x')$$,
    '42704', NULL, 'explain_related: a table with no relations at all -> 42704');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('messages', 'sender.nope')$$,
    '42704', NULL, 'explain_related: unknown name in a second path segment -> 42704');
-- SPEC MISMATCH: paths are not split into segments yet; 'sender.nope' is
-- looked up as one name of messages, so the hint lists messages' relations
-- instead of those of users (the source of the segment "nope").
SELECT ok(
    (SELECT coalesce(e.hnt, '') LIKE '%messages_sender_id_fkey%'
       FROM pg_temp.error_of($$SELECT * FROM matrx_relations.explain_related('messages', 'sender.nope')$$) e),
    'explain_related: the 42704 hint for sender.nope lists the relations of users');

-- ===========================================================================
-- 42P09: ambiguous name (detail lists the candidates and how to name them)
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::books, 'authors', 'books', ARRAY[1])$$,
    '42P09', NULL, 'fetch_related: "books" of authors is both an ifk and an m2m -> 42P09');
SELECT ok(
    (SELECT e.code = '42P09' AND coalesce(e.det, '') LIKE '%books_author_id_fkey%'
                             AND coalesce(e.det, '') LIKE '%authorships%'
       FROM pg_temp.error_of($$SELECT * FROM matrx_relations.fetch_related(NULL::books, 'authors', 'books', ARRAY[1])$$) e),
    'fetch_related: the 42P09 detail names both candidates (constraint books_author_id_fkey, junction authorships)');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related_array(NULL::books, 'authors', 'books', ARRAY[1])$$,
    '42P09', NULL, 'fetch_related_array: ambiguous name -> 42P09');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('authors', 'books')$$,
    '42P09', NULL, 'explain_related: ambiguous name -> 42P09');
-- the constraint name still denotes the ifk unambiguously
SELECT results_eq(
    $$SELECT source_key, (related).id FROM matrx_relations.fetch_related(NULL::books, 'authors', 'books_author_id_fkey', ARRAY[2, 1])$$,
    $$VALUES (2, 101), (1, 100)$$,
    'fetch_related: the FK constraint name resolves the ambiguity');

-- ===========================================================================
-- 22023 / 22004: malformed path, NULL arguments
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('messages', '')$$,
    '22023', NULL, 'explain_related: empty path -> 22023');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('messages', VARIADIC ARRAY['sender', NULL])$$,
    '22004', NULL, 'explain_related: NULL path element -> 22004');
-- SPEC MISMATCH: explain_related does not parse paths yet; 'sender..x' is
-- looked up as one relation name and raises 42704.
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('messages', 'sender..x')$$,
    '22023', NULL, 'explain_related: path a..b -> 22023');
-- SPEC MISMATCH: same, '.sender' raises 42704.
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('messages', '.sender')$$,
    '22023', NULL, 'explain_related: path with an empty first segment -> 22023');
-- SPEC MISMATCH: same, ':sender' (empty alias) raises 42704.
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('messages', ':sender')$$,
    '22023', NULL, 'explain_related: empty alias -> 22023');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related(NULL, 'sender')$$,
    '22004', NULL, 'explain_related: NULL source -> 22004');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::users, NULL, 'sender', ARRAY[10])$$,
    '22004', NULL, 'fetch_related: NULL source -> 22004');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::users, 'messages', NULL, ARRAY[10])$$,
    '22004', NULL, 'fetch_related: NULL relation -> 22004');
-- SPEC MISMATCH: fetch_related's relation is "a one-segment path"; an empty
-- path is malformed (§4: 22023, as explain_related does), but fetch_related
-- looks '' up as a name and raises 42704.
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::users, 'messages', '', ARRAY[10])$$,
    '22023', NULL, 'fetch_related: empty relation path -> 22023');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related_array(NULL::users, NULL, 'sender', ARRAY[10])$$,
    '22004', NULL, 'fetch_related_array: NULL source -> 22004');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related_array(NULL::users, 'messages', NULL, ARRAY[10])$$,
    '22004', NULL, 'fetch_related_array: NULL relation -> 22004');
-- not a §4 row, but must be a clean error rather than a crash
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::users, 'messages', 'sender', ARRAY[[10, 11], [12, 13]])$$,
    '22023', NULL, 'fetch_related: two-dimensional keys -> 22023');
SELECT is(
    (SELECT count(*) FROM matrx_relations.fetch_related(NULL::users, 'messages', 'sender', NULL::int[])),
    0::bigint, 'fetch_related: NULL keys give no rows (no error)');
SELECT is(
    (SELECT count(*) FROM matrx_relations.fetch_related_array(NULL::users, 'messages', 'sender', ARRAY[NULL::int])),
    0::bigint, 'fetch_related_array: all-NULL keys give no rows (no error)');

-- ===========================================================================
-- 42701: output key equal to a column of its row, or produced twice
-- ===========================================================================
-- SPEC MISMATCH: explain_related does not parse aliases yet; 'body:sender'
-- raises 42704 (unknown name) instead of 42701.
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('messages', 'body:sender')$$,
    '42701', NULL, 'explain_related: alias equal to a column of messages -> 42701');
-- SPEC MISMATCH: same, 'x:sender', 'x:recipient' raises 42704 instead of 42701.
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('messages', 'x:sender', 'x:recipient')$$,
    '42701', NULL, 'explain_related: output key produced twice at one level -> 42701');
SELECT lives_ok(
    $$SELECT matrx_relations.register_relation('messages', 'body', 'users', ARRAY['recipient_id'], ARRAY['id'])$$,
    'register_relation: a relation named like a column of its source (body) can be registered');
-- SPEC MISMATCH: the build explains the load (two statements) instead of
-- raising 42701 for the output key "body", which is a column of messages.
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('messages', 'body')$$,
    '42701', NULL, 'explain_related: relation name equal to a column of messages -> 42701');
SELECT is(matrx_relations.unregister_relation('messages', 'body'), true,
    'unregister_relation: removes the relation "body" again');

-- ===========================================================================
-- 0A000: keys form on a source without a single-column primary key
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::pair_notes, 'pairs', 'pair_notes', ARRAY[1])$$,
    '0A000', NULL, 'fetch_related: source with a two-column primary key -> 0A000');
SELECT ok(
    (SELECT e.code = '0A000' AND coalesce(e.hnt, '') ILIKE '%instances%'
       FROM pg_temp.error_of($$SELECT * FROM matrx_relations.fetch_related(NULL::pair_notes, 'pairs', 'pair_notes', ARRAY[1])$$) e),
    'fetch_related: the 0A000 hint points to the instances form');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::authors, 'nopk', 'author', ARRAY[1])$$,
    '0A000', NULL, 'fetch_related: table without a primary key -> 0A000');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related_array(NULL::pair_notes, 'pairs', 'pair_notes', ARRAY[1])$$,
    '0A000', NULL, 'fetch_related_array: source with a two-column primary key -> 0A000');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('pairs', 'pair_notes')$$,
    '0A000', NULL, 'explain_related: source with a two-column primary key -> 0A000');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.explain_related('nopk', 'author')$$,
    '0A000', NULL, 'explain_related: table without a primary key -> 0A000');
-- the composite FK itself works from a source with a single-column key
SELECT results_eq(
    $$SELECT count(*) FROM matrx_relations.fetch_related(NULL::pairs, 'pair_notes', 'pair_notes_a_b_fkey', ARRAY[1])$$,
    $$VALUES (0::bigint)$$,
    'fetch_related: a composite FK from a single-column-key source loads');

-- ===========================================================================
-- 42804: wrong target row type / key type not castable to the key column
-- ===========================================================================
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::books, 'messages', 'sender', ARRAY[10])$$,
    '42804', NULL, 'fetch_related: target of another row type (books for users) -> 42804');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::int, 'messages', 'sender', ARRAY[10])$$,
    '42804', NULL, 'fetch_related: target that is not a row type (int) -> 42804');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related_array(NULL::books, 'messages', 'sender', ARRAY[10])$$,
    '42804', NULL, 'fetch_related_array: target of another row type -> 42804');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::messages, 'users', 'messages_sender_id_fkey', ARRAY['x'])$$,
    '42804', NULL, 'fetch_related: text keys for a bigint primary key -> 42804');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::users, 'messages', 'sender', ARRAY[now()])$$,
    '42804', NULL, 'fetch_related: timestamptz keys for an int primary key -> 42804');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::users, 'messages', 'sender', ARRAY[10.5])$$,
    '42804', NULL, 'fetch_related: numeric keys for an int primary key (no implicit cast) -> 42804');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::token_uses, 'tokens', 'token_uses', ARRAY[1])$$,
    '42804', NULL, 'fetch_related: int keys for a uuid primary key -> 42804');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related_array(NULL::messages, 'users', 'messages_sender_id_fkey', ARRAY['x'])$$,
    '42804', NULL, 'fetch_related_array: text keys for a bigint primary key -> 42804');
-- implicitly castable keys work: int keys for a bigint key, smallint for int
SELECT results_eq(
    $$SELECT source_key, (related).id FROM matrx_relations.fetch_related(NULL::messages, 'users', 'messages_sender_id_fkey', ARRAY[2, 1])$$,
    $$VALUES (2, 11), (1, 10), (1, 12)$$,
    'fetch_related: int keys for a bigint primary key load (ifk, keys order then target key)');
SELECT results_eq(
    $$SELECT source_key::int, (related).id FROM matrx_relations.fetch_related(NULL::users, 'messages', 'sender', ARRAY[11::smallint, 10::smallint])$$,
    $$VALUES (11, 2::bigint), (10, 1::bigint)$$,
    'fetch_related: smallint keys for an int primary key load (fk)');

-- ===========================================================================
-- register_relation: 22023 / 22004 / 42703 / 42710
-- ===========================================================================
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', NULL, ARRAY['author_id'])$$,
    '22023', NULL, 'register_relation: NULL source_columns -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', ARRAY['id'], NULL)$$,
    '22023', NULL, 'register_relation: NULL target_columns -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', '{}', '{}')$$,
    '22023', NULL, 'register_relation: empty column arrays -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', ARRAY['id'], '{}')$$,
    '22023', NULL, 'register_relation: empty target_columns -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', ARRAY['id'], ARRAY['author_id', 'id'])$$,
    '22023', NULL, 'register_relation: source/target columns of unequal length -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', ARRAY[NULL], ARRAY['author_id'])$$,
    '22023', NULL, 'register_relation: NULL column name -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', ARRAY['id'], ARRAY['id'],
                                                'authorships', NULL, ARRAY['book_id'])$$,
    '22023', NULL, 'register_relation: via with NULL via_source_columns -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', ARRAY['id'], ARRAY['id'],
                                                'authorships', ARRAY['author_id'], '{}')$$,
    '22023', NULL, 'register_relation: via with empty via_target_columns -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', ARRAY['id'], ARRAY['id'],
                                                'authorships', ARRAY['author_id'], ARRAY['book_id', 'author_id'])$$,
    '22023', NULL, 'register_relation: via columns of unequal length -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', ARRAY['id'], ARRAY['author_id'],
                                                NULL, ARRAY['author_id'], ARRAY['book_id'])$$,
    '22023', NULL, 'register_relation: via_*_columns without via -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', '', 'books', ARRAY['id'], ARRAY['author_id'])$$,
    '22023', NULL, 'register_relation: empty name -> 22023');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', NULL, 'books', ARRAY['id'], ARRAY['author_id'])$$,
    '22004', NULL, 'register_relation: NULL name -> 22004');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation(NULL, 'r', 'books', ARRAY['id'], ARRAY['author_id'])$$,
    '22004', NULL, 'register_relation: NULL source -> 22004');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', NULL, ARRAY['id'], ARRAY['author_id'])$$,
    '22004', NULL, 'register_relation: NULL target -> 22004');
SELECT is(matrx_relations.unregister_relation(NULL, 'r'), NULL,
    'unregister_relation: NULL source gives NULL (STRICT)');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', ARRAY['nope'], ARRAY['author_id'])$$,
    '42703', NULL, 'register_relation: source column the table lacks -> 42703');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', ARRAY['id'], ARRAY['nope'])$$,
    '42703', NULL, 'register_relation: target column the table lacks -> 42703');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'r', 'books', ARRAY['id'], ARRAY['id'],
                                                'authorships', ARRAY['author_id'], ARRAY['nope'])$$,
    '42703', NULL, 'register_relation: junction column the table lacks -> 42703');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('author_view', 'r', 'books', ARRAY['nope'], ARRAY['author_id'])$$,
    '42703', NULL, 'register_relation: column a view lacks -> 42703');

-- a name only the catalog has may be registered and shadows the catalog's
SELECT lives_ok(
    $$SELECT matrx_relations.register_relation('authors', 'books', 'books', ARRAY['id'], ARRAY['id'],
                                                'authorships', ARRAY['author_id'], ARRAY['book_id'])$$,
    'register_relation: registering the ambiguous catalog name "books" of authors');
SELECT throws_ok(
    $$SELECT matrx_relations.register_relation('authors', 'books', 'books', ARRAY['id'], ARRAY['author_id'])$$,
    '42710', NULL, 'register_relation: the same name twice for one source -> 42710');
SELECT results_eq(
    $$SELECT source_key, (related).id FROM matrx_relations.fetch_related(NULL::books, 'authors', 'books', ARRAY[2, 1])$$,
    $$VALUES (2, 101), (2, 102), (1, 100), (1, 102)$$,
    'fetch_related: the registered m2m wins over the catalog relations (no more 42P09)');
-- the same name may be registered for another source
SELECT lives_ok(
    $$SELECT matrx_relations.register_relation('author_view', 'books', 'books', ARRAY['id'], ARRAY['author_id'])$$,
    'register_relation: a name registered for authors can be registered for author_view');
-- a view source is accepted by register_relation, but the keys form needs a key
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::books, 'author_view', 'books', ARRAY[1])$$,
    '0A000', NULL, 'fetch_related: view source (no primary key) with a registered relation -> 0A000');
-- a view as target works
SELECT lives_ok(
    $$SELECT matrx_relations.register_relation('messages', 'writer', 'author_view', ARRAY['sender_id'], ARRAY['id'])$$,
    'register_relation: a view as target');
SELECT results_eq(
    $$SELECT source_key, cardinality(related), (related[1]).name
        FROM matrx_relations.fetch_related_array(NULL::author_view, 'messages', 'writer', ARRAY[11, 10, 99])$$,
    $$VALUES (11, 1, 'pratchett'), (10, 1, 'le guin'), (99, 0, NULL)$$,
    'fetch_related_array: a registered relation to a view loads');
SELECT throws_ok(
    $$SELECT * FROM matrx_relations.fetch_related(NULL::authors, 'messages', 'writer', ARRAY[10])$$,
    '42804', NULL, 'fetch_related: the view''s base table is another row type than the view -> 42804');
SELECT results_eq(
    $$SELECT source::text, name, kind, target::text, origin
        FROM matrx_relations.relations WHERE origin = 'registered' ORDER BY 1, 2$$,
    $$VALUES ('author_view', 'books', 'ifk', 'books', 'registered'),
             ('authors', 'books', 'm2m', 'books', 'registered'),
             ('messages', 'writer', 'ifk', 'author_view', 'registered')$$,
    'relations: registered relations (also on a view source) show origin registered');
SELECT is(matrx_relations.unregister_relation('author_view', 'books'), true,
    'unregister_relation: true when the relation was registered');
SELECT is(matrx_relations.unregister_relation('author_view', 'books'), false,
    'unregister_relation: false the second time');
SELECT is(matrx_relations.unregister_relation('authors', 'authorships'), false,
    'unregister_relation: false for a catalog-only name');

-- ===========================================================================
-- 42501: privileges
-- ===========================================================================
CREATE ROLE matrx_tap_errors_nobody NOLOGIN;
GRANT USAGE ON SCHEMA matrx_relations, errtap TO matrx_tap_errors_nobody;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA matrx_relations TO matrx_tap_errors_nobody;
-- SELECT on users, authors, books only: not on messages nor authorships
GRANT SELECT ON users, authors, books TO matrx_tap_errors_nobody;
-- a table the role owns
CREATE TABLE nobody_notes (id int PRIMARY KEY, user_id bigint REFERENCES users);
ALTER TABLE nobody_notes OWNER TO matrx_tap_errors_nobody;
INSERT INTO nobody_notes VALUES (1, 2);

-- as_nobody(sql): run sql as the role, then switch back.  On an error the
-- enclosing throws_ok/lives_ok subtransaction undoes the SET LOCAL ROLE.
CREATE FUNCTION pg_temp.as_nobody(q text) RETURNS void
LANGUAGE plpgsql AS $f$
BEGIN
    SET LOCAL ROLE matrx_tap_errors_nobody;
    EXECUTE q;
    RESET ROLE;
END
$f$;

SELECT throws_ok(
    $$SELECT pg_temp.as_nobody($q$SELECT * FROM matrx_relations.fetch_related(NULL::errtap.messages, 'errtap.users', 'messages_sender_id_fkey', ARRAY[1])$q$)$$,
    '42501', NULL, 'fetch_related: no SELECT on the target (ifk) -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_nobody($q$SELECT * FROM matrx_relations.fetch_related_array(NULL::errtap.messages, 'errtap.users', 'messages_sender_id_fkey', ARRAY[1])$q$)$$,
    '42501', NULL, 'fetch_related_array: no SELECT on the target (ifk) -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_nobody($q$SELECT * FROM matrx_relations.fetch_related(NULL::errtap.users, 'errtap.messages', 'sender', ARRAY[10])$q$)$$,
    '42501', NULL, 'fetch_related: no SELECT on the source (fk) -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_nobody($q$SELECT * FROM matrx_relations.fetch_related(NULL::errtap.authors, 'errtap.books', 'authors', ARRAY[100])$q$)$$,
    '42501', NULL, 'fetch_related: no SELECT on the junction (m2m) -> 42501');
SELECT lives_ok(
    $$SELECT pg_temp.as_nobody($q$SELECT * FROM matrx_relations.fetch_related(NULL::errtap.users, 'errtap.nobody_notes', 'user', ARRAY[1])$q$)$$,
    'fetch_related: works for the role where it may read every table');
SELECT throws_ok(
    $$SELECT pg_temp.as_nobody($q$SELECT matrx_relations.register_relation('errtap.users', 'evil', 'errtap.nobody_notes', ARRAY['id'], ARRAY['user_id'])$q$)$$,
    '42501', NULL, 'register_relation: by a non-owner (with SELECT) -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_nobody($q$SELECT matrx_relations.register_relation('errtap.messages', 'evil', 'errtap.users', ARRAY['recipient_id'], ARRAY['id'])$q$)$$,
    '42501', NULL, 'register_relation: by a non-owner (without SELECT) -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_nobody($q$SELECT matrx_relations.unregister_relation('errtap.authors', 'books')$q$)$$,
    '42501', NULL, 'unregister_relation: a registered relation, by a non-owner -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_nobody($q$SELECT matrx_relations.unregister_relation('errtap.users', 'nothing')$q$)$$,
    '42501', NULL, 'unregister_relation: an unregistered name, by a non-owner -> 42501');
SELECT throws_ok(
    $$SELECT pg_temp.as_nobody($q$INSERT INTO matrx_relations.registered_relations
                                  VALUES ('errtap.users', 'evil', 'errtap.messages', '{id}', '{recipient_id}')$q$)$$,
    '42501', NULL, 'registered_relations: direct INSERT for a table the role does not own -> 42501');
-- UPDATE/DELETE: the SPEC allows either a privilege error (42501) or
-- row-level security that hides other owners' rows (no error, no row
-- touched); the results_eq at the end checks that nothing changed.
SELECT ok(
    (SELECT e.code IN ('42501', '00000')
       FROM pg_temp.error_of($$SELECT pg_temp.as_nobody($q$UPDATE matrx_relations.registered_relations
                                     SET target_columns = '{author_id}' WHERE source = 'errtap.authors'::regclass$q$)$$) e),
    'registered_relations: direct UPDATE of another owner''s row is refused (42501) or touches nothing');
SELECT ok(
    (SELECT e.code IN ('42501', '00000')
       FROM pg_temp.error_of($$SELECT pg_temp.as_nobody($q$DELETE FROM matrx_relations.registered_relations$q$)$$) e),
    'registered_relations: direct DELETE is refused (42501) or touches nothing');
-- the owner of a table may register and unregister its relations
SELECT lives_ok(
    $$SELECT pg_temp.as_nobody($q$SELECT matrx_relations.register_relation('errtap.nobody_notes', 'poster', 'errtap.users', ARRAY['user_id'], ARRAY['id'])$q$)$$,
    'register_relation: by the owner of the source (not a superuser)');
SELECT results_eq(
    $$SELECT source_key, (related).name FROM matrx_relations.fetch_related(NULL::users, 'nobody_notes', 'poster', ARRAY[1])$$,
    $$VALUES (1, 'bob')$$,
    'fetch_related: the owner''s registered relation loads');
SELECT lives_ok(
    $$SELECT pg_temp.as_nobody($q$SELECT matrx_relations.unregister_relation('errtap.nobody_notes', 'poster')$q$)$$,
    'unregister_relation: by the owner of the source (not a superuser)');
SELECT is(current_user, session_user, 'the tests switched back to the session role');
SELECT results_eq(
    $$SELECT source::text, name, target::text, array_to_string(target_columns, ',') COLLATE "default"
        FROM matrx_relations.registered_relations ORDER BY 1, 2$$,
    $$VALUES ('authors', 'books', 'books', 'id'),
             ('messages', 'writer', 'author_view', 'id')$$,
    'registered_relations: the role''s failed writes changed nothing');

-- sync_relations is for a Citus coordinator (test/citus/sync.sql runs it there)
SELECT throws_ok($$SELECT matrx_relations.sync_relations()$$, '0A000',
    'sync_relations runs only on a Citus coordinator',
    'sync_relations without Citus: 0A000');

SELECT * FROM finish();
ROLLBACK;
