-- The reference benchmark's data: a small shop (shared/BENCH.md),
-- deterministic, generated in SQL.  psql variable :scale (default 1.0)
-- shrinks every table for a quick run (BENCH_SCALE).
\set ON_ERROR_STOP 1
\if :{?scale}
\else
\set scale 1.0
\endif
SELECT setseed(0.42);

CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL);
CREATE TABLE addresses (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers,
    street text NOT NULL, city text NOT NULL);
CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL);
CREATE TABLE tags (id int PRIMARY KEY, label text NOT NULL);
CREATE TABLE product_tags (product_id bigint NOT NULL REFERENCES products, tag_id int NOT NULL REFERENCES tags,
    PRIMARY KEY (product_id, tag_id));
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers,
    billing_address_id bigint NOT NULL REFERENCES addresses, shipping_address_id bigint NOT NULL REFERENCES addresses,
    placed_at timestamptz NOT NULL, total numeric(12,2) NOT NULL);
CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders,
    product_id bigint NOT NULL REFERENCES products, qty int NOT NULL, price numeric(10,2) NOT NULL);

SELECT (100000 * :scale)::int AS n_customers, (150000 * :scale)::int AS n_addresses,
       (10000 * :scale)::int AS n_products, 500 AS n_tags,
       (1000000 * :scale)::int AS n_orders, (3000000 * :scale)::int AS n_items \gset

INSERT INTO customers SELECT g, 'customer ' || g, 'c' || g || '@example.com' FROM generate_series(1::bigint, :n_customers) g;
INSERT INTO addresses SELECT g, 1 + (g * 7919) % :n_customers, g || ' Main Street', 'city ' || (g % 977)
    FROM generate_series(1::bigint, :n_addresses) g;
INSERT INTO products SELECT g, 'product ' || g, (1 + (g * 31) % 9999) / 100.0 FROM generate_series(1::bigint, :n_products) g;
INSERT INTO tags SELECT g, 'tag ' || g FROM generate_series(1::bigint, :n_tags) g;
-- about three tags per product
INSERT INTO product_tags SELECT DISTINCT p, 1 + (p * s * 131) % :n_tags
    FROM generate_series(1::bigint, :n_products) p, generate_series(1, 3) s;
-- 2% of orders have no customer
INSERT INTO orders SELECT g,
    CASE WHEN g % 50 = 0 THEN NULL ELSE 1 + (g * 104729) % :n_customers END,
    1 + (g * 15485863) % :n_addresses, 1 + (g * 32452843) % :n_addresses,
    timestamptz '2026-01-01' + (g % 100000) * interval '5 minutes', ((g * 37) % 100000) / 100.0
    FROM generate_series(1::bigint, :n_orders) g;
INSERT INTO order_items SELECT g, 1 + (g * 2654435761) % :n_orders, 1 + (g * 40503) % :n_products,
    1 + g % 5, (1 + (g * 17) % 9999) / 100.0
    FROM generate_series(1::bigint, :n_items) g;

CREATE INDEX ON addresses (customer_id);
CREATE INDEX ON product_tags (tag_id);
CREATE INDEX ON orders (customer_id);
CREATE INDEX ON orders (billing_address_id);
CREATE INDEX ON orders (shipping_address_id);
CREATE INDEX ON order_items (order_id);
CREATE INDEX ON order_items (product_id);
-- synchronous_commit is off in the throwaway cluster: flush the WAL first,
-- or VACUUM cannot set hint bits and the visibility map (index-only scans
-- would then visit the heap, for every competitor)
CHECKPOINT;
VACUUM ANALYZE;
