-- loaders.sql: every loader on Citus tables (lab) returns what it returns on
-- the same rows in plain PostgreSQL tables (ref), and what plain SQL returns
-- on the Citus tables: distributed co-located and not, reference and local
-- tables, composite keys led by the distribution column.
BEGIN;
SELECT plan(32);
SET LOCAL search_path = public;
-- helpers in pg_temp: Citus warns that it does not propagate them
SET LOCAL client_min_messages = error;

\ir include/same.psql

-- keys forms
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers',
    ARRAY[1, 2, 3, 17, 34, 191, 195, 999, 2, NULL]::bigint[],
    'orders.items.product.tags', 'region', 'orders.status', 'reviews', 'local_notes')$q$,
    'prefetch_related keys: co-located, reference, non-co-located, m2m, local, nested');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers',
    (SELECT array_agg(g ORDER BY g DESC) FROM generate_series(1, 200) g), 'orders.items', 'reviews')$q$,
    'prefetch_related keys: 200 keys, every shard');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers', ARRAY[5]::bigint[], 'orders.items.product')$q$,
    'prefetch_related keys: one key');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.products',
    ARRAY[1, 2, 3, 51, 60]::bigint[], 'tags', 'items.order.customer', 'product_tags.tag')$q$,
    'prefetch_related keys: m2m through a distributed junction to a reference table, registered ifk');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.regions', ARRAY[1, 2]::int[], 'customers.orders')$q$,
    'prefetch_related keys: from a reference table to distributed ones');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.local_notes', ARRAY[1, 2, 3]::bigint[])$q$,
    'prefetch_related keys: a local table');

-- instances forms: composite keys led by the distribution column (the
-- instances are read from ref: a statement whose other tables are all in
-- one Citus shard is delegated whole, loader call included, to that
-- shard's worker; see the end)
SELECT pg_temp.same($q$SELECT matrx_relations.prefetch_related('%1$s.orders',
    (SELECT jsonb_agg(to_jsonb(o) ORDER BY o.customer_id, o.id) FROM ref.orders o WHERE o.customer_id IN (1, 2, 3)),
    'items.product', 'customer.region', 'status')$q$,
    'prefetch_related instances: composite keys');
SELECT pg_temp.same($q$SELECT matrx_relations.prefetch_related('%1$s.items',
    '[{"customer_id": 12, "order_id": 11, "product_id": 12}, {"customer_id": 12, "order_id": 11, "product_id": null},
      {"customer_id": 99, "order_id": 5, "product_id": 3}]'::jsonb, 'order.customer', 'product.tags')$q$,
    'prefetch_related instances: composite FK, missing parent, non-co-located fk');

-- select_related: one statement
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.select_related('%1$s.customers',
    ARRAY[1, 2, 3, 17, 34, 191, 999]::bigint[], 'orders.items', 'region', 'orders.status')$q$,
    'select_related: co-located and reference tables');
SELECT is(pg_temp.rows_of($q$SELECT x FROM matrx_relations.select_related('%1$s.customers',
              ARRAY[1, 2, 3, 17]::bigint[], 'orders.items', 'region') x$q$, 'lab'),
          pg_temp.rows_of($q$SELECT x FROM matrx_relations.prefetch_related('%1$s.customers',
              ARRAY[1, 2, 3, 17]::bigint[], 'orders.items', 'region') x$q$, 'lab'),
          'select_related equals prefetch_related on Citus tables');

-- spec forms
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.prefetch_related('%1$s.customers', ARRAY[1, 2, 3, 4, 17]::bigint[],
    '{"orders": {"where": {"status_code": {"in": ["paid", "sent"]}}, "order_by": ["total desc"], "limit": 2,
                 "include": {"items": {"columns": ["id", "qty"], "include": {"product": {"columns": ["name"]}}}}},
      "region": {"columns": ["name"]}, "reviews": {"where": {"stars": {"gte": 3}}}}'::jsonb)$q$,
    'prefetch_related spec: where, order_by, limit per parent, columns, nested');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.select_related('%1$s.customers', ARRAY[1, 2, 3, 4, 17]::bigint[],
    '{"orders": {"where": {"status_code": "paid"}, "order_by": ["total desc"], "limit": 2,
                 "include": {"items": {"columns": ["id", "qty"]}}}, "region": {}}'::jsonb)$q$,
    'select_related spec: co-located');
SELECT pg_temp.same($q$SELECT matrx_relations.prefetch_related('%1$s.orders',
    (SELECT jsonb_agg(to_jsonb(o) ORDER BY o.customer_id, o.id) FROM ref.orders o WHERE o.customer_id IN (4, 5)),
    '{"items": {"order_by": ["qty desc", "id"], "limit": 1, "include": {"product": {}}}, "status": {}}'::jsonb)$q$,
    'prefetch_related instances spec');

-- prefetch_batch: keys and instances requests grouped across requests
SELECT pg_temp.same($q$SELECT matrx_relations.prefetch_batch(jsonb_build_array(
    jsonb_build_object('source', '%1$s.customers', 'keys', '[1, 2, 3]'::jsonb, 'relations', '["orders.items", "region"]'::jsonb),
    jsonb_build_object('source', '%1$s.customers', 'keys', '[3, 4, 999]'::jsonb, 'relations', '["orders", "reviews"]'::jsonb),
    jsonb_build_object('source', '%1$s.orders', 'instances',
        (SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id) FROM ref.orders o WHERE o.customer_id = 7), 'relations', '["items.product.tags"]'::jsonb),
    jsonb_build_object('source', '%1$s.products', 'keys', '[1, 2]'::jsonb,
        'spec', '{"tags": {"order_by": ["name desc"]}}'::jsonb)))$q$,
    'prefetch_batch: keys, instances and spec requests');

-- typed forms
SELECT pg_temp.same($q$SELECT source_key, to_jsonb(related) FROM matrx_relations.fetch_related(NULL::%1$s.orders,
    '%1$s.customers', 'orders', ARRAY[3, 1, 2, 3, 999]::bigint[])$q$, 'fetch_related: co-located ifk');
SELECT pg_temp.same($q$SELECT source_key, to_jsonb(related) FROM matrx_relations.fetch_related(NULL::%1$s.tags,
    '%1$s.products', 'tags', ARRAY[1, 2, 60]::bigint[])$q$, 'fetch_related: m2m');
SELECT pg_temp.same($q$SELECT source_key, to_jsonb(related) FROM matrx_relations.fetch_related_array(NULL::%1$s.reviews,
    '%1$s.customers', 'reviews', ARRAY[1, 2, 160]::bigint[])$q$, 'fetch_related_array: non-co-located');
SELECT pg_temp.same($q$SELECT node, id, parent, to_jsonb(r) FROM matrx_relations.load('%1$s.customers',
    ARRAY[1, 2, 3, 17]::bigint[], 'orders.items.product.tags', 'region', 'local_notes')$q$, 'load keys');
-- a spec's columns: the statement selects plain columns and the loader
-- forms the records on the coordinator (Citus cannot move anonymous
-- records from the workers: they have no input function)
SELECT pg_temp.same($q$SELECT node, id, parent, to_jsonb(r) FROM matrx_relations.load('%1$s.customers',
    ARRAY[1, 2, 3]::bigint[], '{"orders": {"columns": ["id", "total"], "limit": 1, "order_by": ["total desc"]}}'::jsonb)$q$,
    'load keys spec');
SELECT pg_temp.same($q$SELECT node, id, parent, to_jsonb(r) FROM matrx_relations.load('%1$s.orders',
    (SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id) FROM ref.orders o WHERE o.customer_id IN (8, 9)), 'items.product', 'customer')$q$,
    'load instances: composite keys');
SELECT pg_temp.same($q$SELECT node, id, parent, to_jsonb(r) FROM matrx_relations.load('%1$s.orders',
    (SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id) FROM ref.orders o WHERE o.customer_id IN (8, 9)),
    '{"items": {"where": {"qty": {"gt": 1}}}}'::jsonb)$q$, 'load instances spec');
SELECT pg_temp.same($q$SELECT request, node, id, parent, to_jsonb(r) FROM matrx_relations.load_batch(jsonb_build_array(
    jsonb_build_object('source', '%1$s.customers', 'keys', '[1, 2]'::jsonb, 'relations', '["orders.items"]'::jsonb),
    jsonb_build_object('source', '%1$s.products', 'keys', '[1, 3]'::jsonb, 'relations', '["tags", "items"]'::jsonb)))$q$,
    'load_batch');

-- plain SQL on the Citus tables (joins and GROUP BY: Citus plans no
-- correlated subquery over a reference table)
SELECT is(pg_temp.rows_of($q$SELECT x FROM matrx_relations.prefetch_related('lab.customers', ARRAY[3, 1, 2, 999]::bigint[], 'orders', 'region') x$q$, ''),
          (SELECT jsonb_agg(doc ORDER BY array_position(ARRAY[3, 1, 2]::bigint[], id)) FROM (
              SELECT c.id, to_jsonb(c) || jsonb_build_object(
                  'orders', coalesce(jsonb_agg(to_jsonb(o) ORDER BY o.customer_id, o.id) FILTER (WHERE o.id IS NOT NULL), '[]'),
                  'region', to_jsonb(r)) AS doc
              FROM lab.customers c LEFT JOIN lab.orders o ON o.customer_id = c.id LEFT JOIN lab.regions r ON r.id = c.region_id
              WHERE c.id IN (3, 1, 2, 999) GROUP BY c.id, r.id) s),
          'plain SQL: co-located ifk and reference fk');
SELECT is(pg_temp.rows_of($q$SELECT x FROM matrx_relations.prefetch_related('lab.products', ARRAY[2, 1]::bigint[], 'tags') x$q$, ''),
          (SELECT jsonb_agg(doc ORDER BY id DESC) FROM (
              SELECT p.id, to_jsonb(p) || jsonb_build_object(
                  'tags', coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id) FILTER (WHERE t.id IS NOT NULL), '[]')) AS doc
              FROM lab.products p LEFT JOIN lab.product_tags pt ON pt.product_id = p.id LEFT JOIN lab.tags t ON t.id = pt.tag_id
              WHERE p.id IN (2, 1) GROUP BY p.id) s),
          'plain SQL: m2m through a distributed junction');
SELECT is(pg_temp.rows_of($q$SELECT source_key, to_jsonb(related) AS related FROM matrx_relations.fetch_related(NULL::lab.reviews,
              'lab.customers', 'reviews', ARRAY[2, 1]::bigint[])$q$, ''),
          (SELECT jsonb_agg(jsonb_build_object('source_key', r.customer_id, 'related', to_jsonb(r))
                            ORDER BY r.customer_id DESC, r.id)
           FROM lab.reviews r WHERE r.customer_id IN (1, 2)),
          'plain SQL: non-co-located');

-- a loader call in a statement Citus routes to one shard runs on that
-- shard's worker, which has the registered relations too (regsync.c):
-- items.product is found there; but Citus refuses the loader's own
-- statements from a query on a shard (citus.allow_nested_distributed_execution)
SELECT throws_ok($q$SELECT matrx_relations.prefetch_related('lab.orders',
    (SELECT jsonb_agg(to_jsonb(o)) FROM lab.orders o WHERE o.customer_id = 7), 'items.product')$q$,
    'XX000', 'cannot execute a distributed query from a query on a shard',
    'a loader call in a single-shard statement: the worker knows items.product, Citus refuses nested distributed execution');

-- select_related across co-location groups and with local tables: what
-- Citus cannot join to each parent row is aggregated per parent key in a
-- subquery Citus plans apart (still one statement)
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.select_related('%1$s.customers', ARRAY[1, 2, 3, 17, 191, 999]::bigint[],
    'orders.items.product', 'reviews', 'local_notes', 'region')$q$,
    'select_related: co-located, then another co-location group; non-co-located ifk; a local table');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.select_related('%1$s.customers', ARRAY[1, 2, 3]::bigint[],
    'orders.items.product.tags', 'orders.items.product.items')$q$,
    'select_related: m2m and ifk under a table of another co-location group');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.select_related('%1$s.regions', ARRAY[1, 2]::int[], 'customers.orders.items')$q$,
    'select_related: from a reference table to distributed ones');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.select_related('%1$s.products', ARRAY[1, 2, 3, 51, 60]::bigint[],
    'tags', 'items.order.customer', 'product_tags.tag')$q$,
    'select_related: m2m through a distributed junction, registered ifk to another group');
SELECT pg_temp.same($q$SELECT * FROM matrx_relations.select_related('%1$s.customers', ARRAY[1, 2, 3, 4, 17]::bigint[],
    '{"orders": {"where": {"status_code": {"in": ["paid", "sent"]}}, "include": {"items": {"columns": ["id", "qty"],
      "include": {"product": {"columns": ["name"], "where": {"price": {"gt": 10}}}}}}},
      "reviews": {"where": {"stars": {"gte": 3}}, "order_by": ["stars desc"]}}'::jsonb)$q$,
    'select_related spec across co-location groups: where, columns, order_by');
SELECT throws_ok($q$SELECT * FROM matrx_relations.select_related('lab.customers', ARRAY[1, 2]::bigint[], '{"reviews": {"limit": 1}}'::jsonb)$q$,
    '0A000', 'select_related cannot limit "reviews" per parent on Citus',
    'select_related: a per-parent limit on a table of another co-location group is refused');

SELECT * FROM finish();
ROLLBACK;
