-- 00-setup: extensions, the example schema and its rows, psql helpers.
-- Prints nothing; every later section relies on what it creates.

\set ON_ERROR_STOP 1
\pset footer off
\pset null ''

CREATE EXTENSION matrx_relations;
CREATE EXTENSION pg_stat_statements;

-- Statement counting, used as
--     :reset_stats
--     SELECT ... load ...;
--     :count_stats
-- reset_stats discards everything recorded so far (its own output hidden);
-- count_stats sums the statements run *inside* the load (not top-level) into
-- :statements and prints it.
\set reset_stats 'SELECT pg_stat_statements_reset() \\g /dev/null'
\set count_stats 'SELECT coalesce(sum(calls), 0) AS statements FROM pg_stat_statements WHERE NOT toplevel \\gset \\echo ''  => statements run by this load:'' :statements'

CREATE TABLE customers (
    id   integer PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE addresses (
    id     integer PRIMARY KEY,
    street text NOT NULL,
    city   text NOT NULL
);

-- two foreign keys to addresses: relations billing_address, shipping_address
CREATE TABLE orders (
    id                  integer PRIMARY KEY,
    customer_id         integer NOT NULL REFERENCES customers,
    billing_address_id  integer NOT NULL REFERENCES addresses,
    shipping_address_id integer REFERENCES addresses,
    total               numeric(8,2) NOT NULL
);

CREATE TABLE products (
    id    integer PRIMARY KEY,
    name  text NOT NULL,
    price numeric(8,2) NOT NULL
);

CREATE TABLE items (
    id         integer PRIMARY KEY,
    order_id   integer NOT NULL REFERENCES orders,
    product_id integer NOT NULL REFERENCES products,
    qty        integer NOT NULL
);

CREATE TABLE tags (
    id   integer PRIMARY KEY,
    name text NOT NULL UNIQUE
);

-- a junction: both foreign keys lie inside its primary key, so products and
-- tags are linked many-to-many
CREATE TABLE product_tags (
    product_id integer REFERENCES products,
    tag_id     integer REFERENCES tags,
    PRIMARY KEY (product_id, tag_id)
);

-- a composite key and a composite foreign key
CREATE TABLE regions (
    country char(2),
    code    text,
    name    text NOT NULL,
    PRIMARY KEY (country, code)
);

CREATE TABLE stores (
    id          integer PRIMARY KEY,
    name        text NOT NULL,
    country     char(2),
    region_code text,
    FOREIGN KEY (country, region_code) REFERENCES regions
);

-- a self-reference
CREATE TABLE employees (
    id         integer PRIMARY KEY,
    name       text NOT NULL,
    manager_id integer REFERENCES employees
);

INSERT INTO customers VALUES
    (1, 'Ada Lovelace'), (2, 'Alan Turing'), (3, 'Grace Hopper');

INSERT INTO addresses VALUES
    (1, '12 St James''s Square', 'London'),
    (2, 'Bletchley Park',        'Milton Keynes'),
    (3, '1 Trinity Street',      'Cambridge');

INSERT INTO orders VALUES
    (101, 1, 1, 1,     31.00),
    (102, 1, 1, 3,    243.50),
    (103, 2, 2, 2,    120.00),
    (104, 2, 2, NULL,   9.00);

INSERT INTO products VALUES
    (1, 'Notebook', 3.50), (2, 'Fountain pen', 24.00),
    (3, 'Slide rule', 60.00), (4, 'Punch cards', 9.00), (5, 'Eraser', 0.80);

INSERT INTO items VALUES
    (1, 101, 1, 2), (2, 101, 2, 1),
    (3, 102, 3, 4), (4, 102, 1, 1),
    (5, 103, 3, 2),
    (6, 104, 4, 1);

INSERT INTO tags VALUES (1, 'stationery'), (2, 'vintage'), (3, 'writing');

INSERT INTO product_tags VALUES
    (1, 1), (1, 3), (2, 1), (2, 3), (3, 2), (4, 1), (4, 2);

INSERT INTO regions VALUES
    ('GB', 'ENG', 'England'), ('GB', 'SCT', 'Scotland'),
    ('US', 'NY',  'New York'), ('US', 'WA', 'Washington');

INSERT INTO stores VALUES
    (1, 'London flagship', 'GB', 'ENG'),
    (2, 'Edinburgh',       'GB', 'SCT'),
    (3, 'Manhattan',       'US', 'NY'),
    (4, 'Online shop',     NULL, NULL);

INSERT INTO employees VALUES
    (1, 'Margaret', NULL), (2, 'Dennis', 1), (3, 'Ken', 1), (4, 'Barbara', 2);

ANALYZE;
