#!/usr/bin/python3
"""The citus workload (BENCH_WORKLOADS=citus make bench): loaders on a Citus
coordinator with two workers (test/citus.sh starts them and runs this with
CITUS_NODE_DIRS set), against the LATERAL + jsonb_agg statement and plain
= ANY, as the CPU of all nodes per call: the user+system time of every
process of the three servers (backends on the coordinator and the workers,
Citus's connections included, and those that exited: each postmaster's
reaped children's time), read from /proc before and after each
batch, and the wall time.  Rounds interleave the competitors; medians of
the rounds, and ratios to prefetch_related in the same run.

Environment: PGHOST, PGPORT, PGUSER (the coordinator); CITUS_NODE_DIRS
(the nodes' directories, space-separated); BENCH_CITUS_SCALE (default 1.0:
10,000 customers, 100,000 orders, 200,000 items, 32 shards);
BENCH_CITUS_ROUNDS (default 7); BENCH_CITUS_CALLS (calls per batch, default 10).
"""
import os
import random
import statistics
import time

import psycopg2

SCALE = float(os.environ.get("BENCH_CITUS_SCALE", "1.0"))
ROUNDS = int(os.environ.get("BENCH_CITUS_ROUNDS", "7"))
CALLS = int(os.environ.get("BENCH_CITUS_CALLS", "10"))
N_CUSTOMERS = int(10000 * SCALE)
TICK = os.sysconf("SC_CLK_TCK")

SCHEMA = """
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS matrx_relations;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;
CREATE TABLE bench.regions (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE bench.customers (id bigint PRIMARY KEY, name text NOT NULL, region_id int, since date, score float8);
CREATE TABLE bench.orders (customer_id bigint, id bigint, status text, total numeric(10,2), note text,
                           PRIMARY KEY (customer_id, id));
CREATE TABLE bench.items (customer_id bigint, order_id bigint, id bigint, sku text, qty int,
                          PRIMARY KEY (customer_id, order_id, id));
SELECT create_distributed_table('bench.customers', 'id', shard_count => 32);
SELECT create_distributed_table('bench.orders', 'customer_id', colocate_with => 'bench.customers');
SELECT create_distributed_table('bench.items', 'customer_id', colocate_with => 'bench.customers');
SELECT create_reference_table('bench.regions');
ALTER TABLE bench.customers ADD FOREIGN KEY (region_id) REFERENCES bench.regions;
ALTER TABLE bench.orders ADD FOREIGN KEY (customer_id) REFERENCES bench.customers;
ALTER TABLE bench.items ADD CONSTRAINT "order" FOREIGN KEY (customer_id, order_id) REFERENCES bench.orders;
INSERT INTO bench.regions SELECT g, 'region ' || g FROM generate_series(1, 20) g;
INSERT INTO bench.customers SELECT g, 'customer ' || g, 1 + g % 20, date '2020-01-01' + g % 1000, g / 7.0
    FROM generate_series(1, {n}) g;
INSERT INTO bench.orders SELECT 1 + g % {n}, g, (ARRAY['new', 'paid', 'sent'])[1 + g % 3], g % 1000 * 1.25,
    CASE WHEN g % 3 = 0 THEN 'note ' || g END FROM generate_series(1, {n} * 10) g;
INSERT INTO bench.items SELECT 1 + (g / 2) % {n}, g / 2, g, 'sku-' || g % 997, 1 + g % 4
    FROM generate_series(2, {n} * 20 + 1) g;
ANALYZE;
"""

ONE_LATERAL = """
SELECT to_jsonb(c) || jsonb_build_object('orders', COALESCE(o.d, '[]'::jsonb))
FROM bench.customers c
LEFT JOIN LATERAL (SELECT jsonb_agg(to_jsonb(o) ORDER BY o.customer_id, o.id) AS d
                   FROM bench.orders o WHERE o.customer_id = c.id) o ON true
WHERE c.id = ANY(%s)"""

NESTED_LATERAL = """
SELECT to_jsonb(c) || jsonb_build_object('orders', COALESCE(o.d, '[]'::jsonb), 'region', to_jsonb(r))
FROM bench.customers c
LEFT JOIN bench.regions r ON r.id = c.region_id
LEFT JOIN LATERAL (
    SELECT jsonb_agg(to_jsonb(o) || jsonb_build_object('items', COALESCE(i.d, '[]'::jsonb))
                     ORDER BY o.customer_id, o.id) AS d
    FROM bench.orders o
    LEFT JOIN LATERAL (SELECT jsonb_agg(to_jsonb(i) ORDER BY i.customer_id, i.order_id, i.id) AS d
                       FROM bench.items i WHERE i.customer_id = o.customer_id AND i.order_id = o.id) i ON true
    WHERE o.customer_id = c.id) o ON true
WHERE c.id = ANY(%s)"""

WORKLOADS = {
    "one level (orders of 1,000 customers)": {
        "paths": ("orders",),
        "lateral": ONE_LATERAL,
        "plain = ANY": "SELECT * FROM bench.orders WHERE customer_id = ANY(%s)",
    },
    "nested (orders.items and region of 1,000 customers)": {
        "paths": ("orders.items", "region"),
        "lateral": NESTED_LATERAL,
        "plain = ANY": "SELECT * FROM bench.items WHERE customer_id = ANY(%s)",
    },
}


def postmasters():
    """The nodes' postmaster PIDs."""
    pms = []
    for d in os.environ["CITUS_NODE_DIRS"].split():
        with open(os.path.join(d, "data", "postmaster.pid")) as f:
            pms.append(f.readline().strip())
    return pms


def proc_stat(pid):
    """The fields of /proc/PID/stat after the command name (state first); None when gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def nodes_cpu_ms():
    """User+system CPU of all the nodes' processes so far, in ms: each
    postmaster's own and its reaped children's (cutime, cstime: a backend or
    Citus connection that exited, between two readings too), plus every
    live child's. A child that exits between two readings moves from the
    second sum to the first, so nothing is lost or counted twice."""
    pms = postmasters()
    total = 0
    for pm in pms:
        fields = proc_stat(pm)
        if fields is not None:
            total += sum(int(x) for x in fields[11:15])   # utime, stime, cutime, cstime
    for p in os.listdir("/proc"):
        if p.isdigit():
            fields = proc_stat(p)
            if fields is not None and fields[1] in pms:
                total += int(fields[11]) + int(fields[12])
    return total * 1000.0 / TICK


def run_batch(cur, sql, keys_list):
    cpu0 = nodes_cpu_ms()
    t0 = time.perf_counter()
    for keys in keys_list:
        cur.execute(sql, (keys,))
        cur.fetchall()
    wall = (time.perf_counter() - t0) * 1000 / len(keys_list)
    return wall, (nodes_cpu_ms() - cpu0) / len(keys_list)


def main():
    conn = psycopg2.connect()
    conn.autocommit = True
    cur = conn.cursor()
    t0 = time.time()
    for stmt in SCHEMA.replace("{n}", str(N_CUSTOMERS)).split(";\n"):
        if stmt.strip():
            cur.execute(stmt)
    print(f"citus bench: {N_CUSTOMERS} customers, {N_CUSTOMERS * 10} orders, {N_CUSTOMERS * 20} items "
          f"in 32 shards, loaded in {time.time() - t0:.0f} s; {ROUNDS} rounds x {CALLS} calls")
    rnd = random.Random(17)
    for name, w in WORKLOADS.items():
        rels = ", ".join(f"'{p}'" for p in w["paths"])
        competitors = {
            "prefetch_related": f"SELECT matrx_relations.prefetch_related('bench.customers', %s::bigint[], {rels})",
            "select_related": f"SELECT matrx_relations.select_related('bench.customers', %s::bigint[], {rels})",
            "LATERAL + jsonb_agg": w["lateral"],
            "plain = ANY": w["plain = ANY"],
        }
        keys_list = [rnd.sample(range(1, N_CUSTOMERS + 1), 1000) for _ in range(CALLS)]
        # the same documents (the plain statement returns rows, not documents)
        docs = {}
        for c in ("prefetch_related", "select_related", "LATERAL + jsonb_agg"):
            cur.execute(competitors[c], (keys_list[0],))
            docs[c] = sorted(str(r[0]) for r in cur.fetchall())
        same = docs["prefetch_related"] == docs["select_related"] == docs["LATERAL + jsonb_agg"]
        for sql in competitors.values():  # warm: plans, connections, caches
            run_batch(cur, sql, keys_list[:2])
        res = {c: ([], []) for c in competitors}
        for r in range(ROUNDS):
            order = list(competitors)
            rnd.shuffle(order)
            for c in order:
                wall, cpu = run_batch(cur, competitors[c], keys_list)
                res[c][0].append(wall)
                res[c][1].append(cpu)
        print(f"\n{name}: documents equal: {'yes' if same else 'NO'}")
        print(f"  {'':22} {'wall ms/call':>14} {'(min-max)':>14} {'CPU all nodes ms/call':>22} {'(min-max)':>14} {'CPU ratio':>10}")
        base = statistics.median(res["prefetch_related"][1])
        for c, (walls, cpus) in res.items():
            print(f"  {c:22} {statistics.median(walls):14.1f} {min(walls):6.1f}-{max(walls):<7.1f}"
                  f" {statistics.median(cpus):22.1f} {min(cpus):6.1f}-{max(cpus):<7.1f}"
                  f" {statistics.median(cpus) / base:10.2f}")


if __name__ == "__main__":
    main()
