-- Name resolution: the naming rules, constraint names as the long form,
-- ambiguity (42P09) and unknown names (42704).
CREATE EXTENSION IF NOT EXISTS matrx_relations;
CREATE SCHEMA nam;
SET search_path = nam;
\set VERBOSITY default

CREATE TABLE users (id int PRIMARY KEY, name text);
CREATE TABLE messages (
    id int PRIMARY KEY,
    sender_id int REFERENCES users,
    recipient_id int CONSTRAINT messages_to_fkey REFERENCES users,
    body text);
CREATE TABLE books (id int PRIMARY KEY, author_id int REFERENCES users, title text);
CREATE TABLE reviews (users_id int REFERENCES users, books_id int REFERENCES books, PRIMARY KEY (users_id, books_id));
INSERT INTO users VALUES (1, 'ann'), (2, 'bob');
INSERT INTO messages VALUES (1, 1, 2, 'hi bob'), (2, 2, 1, 'hi ann'), (3, 1, 1, 'note to self');
INSERT INTO books VALUES (10, 1, 'A'), (11, 2, 'B');
INSERT INTO reviews VALUES (2, 10), (1, 11), (1, 10);

SELECT name, kind, target, constraint_name FROM matrx_relations.relations
WHERE source = 'users'::regclass ORDER BY name, kind;

-- fk names drop "_id"; both FKs to users load by their own names
SELECT source_key, related FROM matrx_relations.fetch_related(NULL::users, 'messages', 'sender', ARRAY[1, 2, 3]);
SELECT source_key, related FROM matrx_relations.fetch_related(NULL::users, 'messages', 'recipient', ARRAY[1, 2, 3]);
-- the constraint name always works too
SELECT source_key, related FROM matrx_relations.fetch_related(NULL::users, 'messages', 'messages_to_fkey', ARRAY[1]);
-- users has two FKs from messages: each ifk is named by its constraint
SELECT source_key, (related).body FROM matrx_relations.fetch_related(NULL::messages, 'users', 'messages_to_fkey', ARRAY[1, 2]);
SELECT source_key, (related).body FROM matrx_relations.fetch_related(NULL::messages, 'users', 'messages_sender_id_fkey', ARRAY[1, 2]);

-- "books" names both the ifk (books.author_id) and the m2m through reviews
SELECT * FROM matrx_relations.fetch_related(NULL::books, 'users', 'books', ARRAY[1]);
-- the ifk stays reachable by its constraint name
SELECT source_key, (related).title FROM matrx_relations.fetch_related(NULL::books, 'users', 'books_author_id_fkey', ARRAY[1, 2]);
-- a registered name wins over the catalog's, which resolves the ambiguity
SELECT matrx_relations.register_relation('users', 'books', 'books', '{id}', '{id}',
    'reviews', '{users_id}', '{books_id}');
SELECT source_key, (related).title FROM matrx_relations.fetch_related(NULL::books, 'users', 'books', ARRAY[1, 2]);
SELECT name, kind, origin FROM matrx_relations.relations WHERE source = 'users'::regclass AND name = 'books' ORDER BY origin;
SELECT matrx_relations.unregister_relation('users', 'books');

-- unknown names list what there is
SELECT * FROM matrx_relations.fetch_related(NULL::books, 'users', 'bookz', ARRAY[1]);
SELECT * FROM matrx_relations.fetch_related(NULL::users, 'users', 'messages', ARRAY[1]);

RESET search_path;
DROP SCHEMA nam CASCADE;
