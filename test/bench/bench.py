#!/usr/bin/python3
"""The reference benchmark (shared/BENCH.md): matrx_relations against the
ways ORMs load relations today, side by side on one server, over loopback
TCP.  Prints medians, min-max and ratios to prefetch_related per workload,
and writes out/results.csv and out/scale.png.

Environment: PGHOST (127.0.0.1), PGPORT, PGUSER, PGDATABASE; BENCH_SCALE
(data scale, default 1.0); BENCH_BATCHES (batches per competitor, default
200); BENCH_NPLUS1_BATCHES (default 10: N+1 is slow by design);
BENCH_WORKLOADS (comma-separated: fk, nested, grouped, cache, scale, limit,
churn, e2e; default all). e2e is the end-to-end benchmark of
test/bench/e2e.py (asyncpg, the client library, round-trip times through a
delay proxy).
Statements are reported as "client+inner": sent by the client, and run
inside the server by the call (pg_stat_statements, track = all).
"""
import copy
import csv
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import zlib
from decimal import Decimal

import psycopg2
import psycopg2.extras

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
BATCHES = int(os.environ.get("BENCH_BATCHES", "200"))
NPLUS1_BATCHES = int(os.environ.get("BENCH_NPLUS1_BATCHES", "10"))
N_ORDERS = int(1000000 * SCALE)
N_CUSTOMERS = int(100000 * SCALE)
WORKLOADS = set(os.environ.get("BENCH_WORKLOADS", "fk,nested,grouped,cache,scale,limit,churn,e2e").split(","))

# jsonb -> Python with exact numbers, the same way for every competitor
psycopg2.extras.register_default_jsonb(loads=lambda s: json.loads(s, parse_float=Decimal), globally=True)

NESTED = ("customer", "items:order_items.product.tags")
GROUPED = ("billing_address", "shipping_address")

LATERAL_NESTED = """
SELECT to_jsonb(o) || jsonb_build_object('customer', c.doc, 'items', COALESCE(i.docs, '[]'::jsonb))
FROM orders o
LEFT JOIN LATERAL (SELECT to_jsonb(c) AS doc FROM customers c WHERE c.id = o.customer_id) c ON true
LEFT JOIN LATERAL (
    SELECT jsonb_agg(to_jsonb(it) || jsonb_build_object('product', p.doc) ORDER BY it.id) AS docs
    FROM order_items it
    LEFT JOIN LATERAL (
        SELECT to_jsonb(p) || jsonb_build_object('tags', COALESCE(
            (SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM tags t
             WHERE EXISTS (SELECT 1 FROM product_tags pt WHERE pt.product_id = p.id AND pt.tag_id = t.id)),
            '[]'::jsonb)) AS doc
        FROM products p WHERE p.id = it.product_id) p ON true
    WHERE it.order_id = o.id) i ON true
WHERE o.id = ANY(%s)"""

CTE_NESTED = """
WITH o AS (SELECT * FROM orders WHERE id = ANY(%s)),
c AS (SELECT c.id, to_jsonb(c) AS doc FROM customers c WHERE c.id IN (SELECT customer_id FROM o)),
it AS (SELECT * FROM order_items WHERE order_id IN (SELECT id FROM o)),
p AS (SELECT * FROM products WHERE id IN (SELECT product_id FROM it)),
pt AS (SELECT pt.product_id, jsonb_agg(to_jsonb(t) ORDER BY t.id) AS docs
       FROM product_tags pt JOIN tags t ON t.id = pt.tag_id
       WHERE pt.product_id IN (SELECT id FROM p) GROUP BY pt.product_id),
pd AS (SELECT p.id, to_jsonb(p) || jsonb_build_object('tags', COALESCE(pt.docs, '[]'::jsonb)) AS doc
       FROM p LEFT JOIN pt ON pt.product_id = p.id),
itd AS (SELECT it.order_id, jsonb_agg(to_jsonb(it) || jsonb_build_object('product', pd.doc) ORDER BY it.id) AS docs
        FROM it LEFT JOIN pd ON pd.id = it.product_id GROUP BY it.order_id)
SELECT to_jsonb(o) || jsonb_build_object('customer', c.doc, 'items', COALESCE(itd.docs, '[]'::jsonb))
FROM o LEFT JOIN c ON c.id = o.customer_id LEFT JOIN itd ON itd.order_id = o.id"""

# the limit workload: the latest 5 orders of each customer with their items,
# as a spec, and in the LATERAL + ORDER BY + LIMIT shape PostgREST generates
# for an embed with order and limit (?select=*,orders(*,order_items(*))
# &orders.order=placed_at.desc&orders.limit=5)
LIMIT_SPEC = json.dumps({"orders": {"order_by": ["placed_at desc"], "limit": 5,
                                    "include": {"order_items": {}}}})

LATERAL_LIMIT = """
SELECT to_jsonb(c) || jsonb_build_object('orders', COALESCE(o.docs, '[]'::jsonb))
FROM customers c
LEFT JOIN LATERAL (
    SELECT jsonb_agg(to_jsonb(o1) || jsonb_build_object('order_items', COALESCE(i.docs, '[]'::jsonb))
                     ORDER BY o1.placed_at DESC, o1.id) AS docs
    FROM (SELECT * FROM orders o WHERE o.customer_id = c.id ORDER BY o.placed_at DESC, o.id LIMIT 5) o1
    LEFT JOIN LATERAL (
        SELECT jsonb_agg(to_jsonb(it) ORDER BY it.id) AS docs FROM order_items it WHERE it.order_id = o1.id) i ON true
) o ON true
WHERE c.id = ANY(%s)"""

LATERAL_FK = """
SELECT to_jsonb(o) || jsonb_build_object('customer', c.doc) FROM orders o
LEFT JOIN LATERAL (SELECT to_jsonb(c) AS doc FROM customers c WHERE c.id = o.customer_id) c ON true
WHERE o.id = ANY(%s)"""

LATERAL_GROUPED = """
SELECT to_jsonb(o) || jsonb_build_object('billing_address', b.doc, 'shipping_address', s.doc) FROM orders o
LEFT JOIN LATERAL (SELECT to_jsonb(a) AS doc FROM addresses a WHERE a.id = o.billing_address_id) b ON true
LEFT JOIN LATERAL (SELECT to_jsonb(a) AS doc FROM addresses a WHERE a.id = o.shipping_address_id) s ON true
WHERE o.id = ANY(%s)"""


def connect():
    conn = psycopg2.connect(host=os.environ.get("PGHOST", "127.0.0.1"), port=os.environ["PGPORT"],
                            user=os.environ.get("PGUSER", "postgres"),
                            dbname=os.environ.get("PGDATABASE", "bench"))
    conn.autocommit = True
    return conn


def rows(cur, sql, *params):
    cur.execute(sql, params)
    return [r[0] for r in cur.fetchall()]


# ---- competitors: each takes (cur, keys, instances) and returns documents ----

def nplus1(paths):
    """One statement per order and per relation, from the client."""
    def run(cur, keys, instances):
        docs = []
        for k in keys:
            cur.execute("SELECT to_jsonb(o) FROM orders o WHERE o.id = %s", (k,))
            r = cur.fetchone()
            if r is None:
                continue
            d = r[0]
            if "customer" in paths:
                d["customer"] = None
                if d["customer_id"] is not None:
                    cur.execute("SELECT to_jsonb(c) FROM customers c WHERE c.id = %s", (d["customer_id"],))
                    d["customer"] = cur.fetchone()[0]
            for rel in ("billing_address", "shipping_address"):
                if rel in paths:
                    cur.execute("SELECT to_jsonb(a) FROM addresses a WHERE a.id = %s", (d[rel + "_id"],))
                    d[rel] = cur.fetchone()[0]
            if "items:order_items.product.tags" in paths:
                d["items"] = rows(cur, "SELECT to_jsonb(i) FROM order_items i WHERE i.order_id = %s ORDER BY i.id", k)
                for it in d["items"]:
                    cur.execute("SELECT to_jsonb(p) FROM products p WHERE p.id = %s", (it["product_id"],))
                    p = cur.fetchone()[0]
                    p["tags"] = rows(cur, "SELECT to_jsonb(t) FROM tags t JOIN product_tags pt ON pt.tag_id = t.id "
                                          "WHERE pt.product_id = %s ORDER BY t.id", p["id"])
                    it["product"] = p
            docs.append(d)
        return docs
    return run


def client_batching(paths):
    """One = ANY($1) statement per edge, rows assembled client-side."""
    def by_id(cur, sql, ids):
        return {d["id"]: d for d in rows(cur, sql, list(ids))} if ids else {}

    def run(cur, keys, instances):
        found = by_id(cur, "SELECT to_jsonb(o) FROM orders o WHERE o.id = ANY(%s)", keys)
        docs = [found[k] for k in keys if k in found]
        if "customer" in paths:
            cs = by_id(cur, "SELECT to_jsonb(c) FROM customers c WHERE c.id = ANY(%s)",
                       {d["customer_id"] for d in docs if d["customer_id"] is not None})
            for d in docs:
                d["customer"] = cs.get(d["customer_id"])
        if "billing_address" in paths:
            ads = by_id(cur, "SELECT to_jsonb(a) FROM addresses a WHERE a.id = ANY(%s)",
                        {d[c] for d in docs for c in ("billing_address_id", "shipping_address_id")})
            for d in docs:
                d["billing_address"] = ads.get(d["billing_address_id"])
                d["shipping_address"] = ads.get(d["shipping_address_id"])
        if "items:order_items.product.tags" in paths:
            items = rows(cur, "SELECT to_jsonb(i) FROM order_items i WHERE i.order_id = ANY(%s) ORDER BY i.id",
                         [d["id"] for d in docs])
            ps = by_id(cur, "SELECT to_jsonb(p) FROM products p WHERE p.id = ANY(%s)", {i["product_id"] for i in items})
            tags = {}
            if ps:
                cur.execute("SELECT pt.product_id, to_jsonb(t) FROM product_tags pt JOIN tags t ON t.id = pt.tag_id "
                            "WHERE pt.product_id = ANY(%s) ORDER BY t.id", (list(ps),))
                for pid, t in cur.fetchall():
                    tags.setdefault(pid, []).append(t)
            for p in ps.values():
                p["tags"] = tags.get(p["id"], [])
            per_order = {}
            for i in items:
                i["product"] = ps.get(i["product_id"])
                per_order.setdefault(i["order_id"], []).append(i)
            for d in docs:
                d["items"] = per_order.get(d["id"], [])
        return docs
    return run


def sql_competitor(sql):
    def run(cur, keys, instances):
        return rows(cur, sql, keys)
    return run


def keys_call(function, paths):
    """SQL calling a keys-form loader on orders with the paths: %s for the keys, then each path."""
    return f"SELECT d FROM matrx_relations.{function}('orders', %s::bigint[]" + "".join(", %s" for _ in paths) + ") d"


def keys_loader(function, paths):
    sql = keys_call(function, paths)

    def run(cur, keys, instances):
        return rows(cur, sql, keys, *paths)
    return run


def prefetch_keys(paths):
    return keys_loader("prefetch_related", paths)


# the columns each first-level relation of orders reads: what an ORM's model
# metadata tells it to send in the instances form
KEY_COLUMNS = {"customer": ["customer_id"], "billing_address": ["billing_address_id"],
               "shipping_address": ["shipping_address_id"], "items": ["id"]}


def prefetch_instances(paths):
    """The instances form as an ORM's prefetch_related(instances, ...) uses it:
    send the key columns of the objects it holds, attach what comes back."""
    sql = "SELECT matrx_relations.prefetch_related('orders', %s::jsonb" + "".join(", %s" for _ in paths) + ")"
    outkeys = [p.split(".")[0].split(":")[0] for p in paths]
    cols = sorted({c for k in outkeys for c in KEY_COLUMNS[k]})

    def run(cur, keys, instances):
        held = instances[0]
        cur.execute(sql, (json.dumps([{c: o[c] for c in cols} for o in held]), *paths))
        for o, r in zip(held, cur.fetchone()[0]):
            for k in outkeys:
                o[k] = r[k]
        return held
    return run


def select_related(paths):
    return keys_loader("select_related", paths)


def spec_loader(function, spec):
    """A keys-form loader on customers with a spec."""
    sql = f"SELECT d FROM matrx_relations.{function}('customers', %s::bigint[], %s::jsonb) d"

    def run(cur, keys, instances):
        return rows(cur, sql, keys, spec)
    return run


def spec_instances(spec, outkey):
    """The instances form with a spec, used as an ORM would: send the key
    column of the customers it holds, attach what comes back."""
    sql = "SELECT matrx_relations.prefetch_related('customers', %s::jsonb, %s::jsonb)"

    def run(cur, keys, instances):
        held = instances[0]
        cur.execute(sql, (json.dumps([{"id": o["id"]} for o in held]), spec))
        for o, r in zip(held, cur.fetchone()[0]):
            o[outkey] = r[outkey]
        return held
    return run


def fetch_related_fk(cur, keys, instances):
    cur.execute("SELECT source_key, to_jsonb(related) FROM matrx_relations.fetch_related("
                "NULL::customers, 'orders', 'customer', %s::bigint[])", (keys,))
    return cur.fetchall()


def handwritten_fk(cur, keys, instances):
    """The best a client can do for one fk edge: one = ANY statement for the
    distinct keys of the objects it holds, then attach."""
    held = instances[0]
    ids = list({o["customer_id"] for o in held if o["customer_id"] is not None})
    found = {d["id"]: d for d in rows(cur, "SELECT to_jsonb(c) FROM customers c WHERE c.id = ANY(%s)", ids)}
    for o in held:
        o["customer"] = found.get(o["customer_id"])
    return held


# ---- measurement ----

def batches(n, count, seed, upto=None):
    rng = random.Random(seed)
    return [rng.sample(range(1, (upto or N_ORDERS) + 1), n) for _ in range(count)]


def instances_for(cur, keys, table="orders"):
    """The rows a client holds (loaded before timing), as parsed objects."""
    cur.execute("SELECT coalesce(jsonb_agg(to_jsonb(o) ORDER BY k.n), '[]')::text "
                f"FROM unnest(%s::bigint[]) WITH ORDINALITY k(id, n) JOIN {table} o ON o.id = k.id", (keys,))
    return (json.loads(cur.fetchone()[0], parse_float=Decimal),)


def statements_counted(cur):
    """Statements since the last reset (pg_stat_statements): sent by the client, and run inside the server."""
    cur.execute("SELECT coalesce(sum(calls) FILTER (WHERE toplevel), 0), coalesce(sum(calls) FILTER (WHERE NOT toplevel), 0) "
                "FROM pg_stat_statements WHERE query NOT LIKE '%%pg_stat_statements%%'")
    top, inner = cur.fetchone()
    return "%d+%d" % (top, inner)


def rss_anon_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


def with_peak_memory(fn, keys, instances):
    """Runs fn on a fresh connection while sampling its backend's anonymous
    memory (RssAnon in /proc, every millisecond: the server is local);
    returns fn's result and the peak growth over the backend's baseline, in kB."""
    conn = connect()
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    base = rss_anon_kb(pid)
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_anon_kb(pid))
            time.sleep(0.001)
    t = threading.Thread(target=sample)
    t.start()
    try:
        docs = fn(cur, keys, instances)
    finally:
        done.set()
        t.join()
    peak[0] = max(peak[0], rss_anon_kb(pid))
    conn.close()
    return docs, peak[0] - base


def canonical(docs):
    return sorted(json.dumps(d, sort_keys=True, default=str) for d in docs)


def measure(cur, workload, n, competitors, reference, count, results, memory=False, source="orders"):
    bs = batches(n, count, seed=zlib.crc32(f"{workload}/{n}".encode()),
                 upto=N_CUSTOMERS if source == "customers" else N_ORDERS)
    inst = [instances_for(cur, b, source) for b in bs]
    ref_docs = canonical(reference(cur, bs[0], inst[0]))
    table = []
    for name, fn, runs, check in competitors:
        # one untimed call warms up, is checked, and has its statements counted
        # (with memory: on a fresh backend, its peak memory sampled)
        cur.execute("SELECT pg_stat_statements_reset()")
        if memory:
            docs, peak_kb = with_peak_memory(fn, bs[0], copy.deepcopy(inst[0]))
        else:
            docs, peak_kb = fn(cur, bs[0], copy.deepcopy(inst[0])), None
        stmts = statements_counted(cur)
        if check and canonical(docs) != ref_docs:
            print(f"  !! {name}: result differs from prefetch_related", file=sys.stderr)
            results.append(dict(workload=workload, n=n, competitor=name, error="result differs"))
            continue
        # timed runs, with Python's garbage collector off as timeit does (its
        # full collections while a big result is decoded would be timed as the
        # competitor's); the server's own time per call from pg_stat_statements
        times = []
        cur.execute("SELECT pg_stat_statements_reset()")
        gc.collect()
        gc.disable()
        try:
            for i in range(min(runs, len(bs))):
                t0 = time.perf_counter()
                fn(cur, bs[i], inst[i])
                times.append((time.perf_counter() - t0) * 1000)
        finally:
            gc.enable()
        cur.execute("SELECT coalesce(sum(total_exec_time), 0) FROM pg_stat_statements "
                    "WHERE toplevel AND query NOT LIKE '%%pg_stat_statements%%'")
        server = cur.fetchone()[0] / len(times)
        table.append((name, statistics.median(times), min(times), max(times), stmts, len(times), peak_kb, server))
    base = next(t[1] for t in table if t[0] == "prefetch_related (keys)")
    print(f"\n{workload}, N = {n}")
    print(f"  {'competitor':<34} {'median ms':>10} {'min-max ms':>19} {'ratio':>7} {'server ms':>10} {'statements':>11} {'runs':>5}"
          + (f" {'backend peak MB':>16}" if memory else ""))
    for name, med, lo, hi, stmts, k, peak_kb, server in table:
        print(f"  {name:<34} {med:10.2f} {lo:9.2f}-{hi:<9.2f} {med / base:7.2f} {server:10.2f} {stmts:>11} {k:5d}"
              + (f" {peak_kb / 1024:16.1f}" if memory else ""))
        results.append(dict(workload=workload, n=n, competitor=name, median_ms=round(med, 3),
                            min_ms=round(lo, 3), max_ms=round(hi, 3), ratio=round(med / base, 3),
                            server_ms=round(server, 3), statements=stmts, runs=k, backend_peak_kb=peak_kb))


def measure_cache(cur, n, count, results):
    """The cache workload: the nested load twice in one REPEATABLE READ
    transaction, both calls timed; the second should run no statement.
    Two forms: the documents to the client as text (not decoded), and the
    load alone (count(d): no text conversion)."""
    bs = batches(n, count, seed=zlib.crc32(f"cache/{n}".encode()))
    sql = keys_call("prefetch_related", NESTED)
    forms = [("documents to the client", sql.replace("SELECT d ", "SELECT d::text ", 1)),
             ("load only (count)", sql.replace("SELECT d ", "SELECT count(d) ", 1))]
    print(f"\ncache, N = {n} (twice in one REPEATABLE READ transaction)")
    print(f"  {'form':<26} {'first ms':>10} {'second ms':>10} {'ratio':>7} {'statements (1st/2nd)':>21} {'runs':>5}")
    for form, sql in forms:
        first, second, stmts = [], [], set()
        for i, b in enumerate(bs):
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            counts = []
            for times in (first, second):
                cur.execute("SELECT statements FROM matrx_relations.stats()")
                before = cur.fetchone()[0]
                t0 = time.perf_counter()
                cur.execute(sql, (b, *NESTED))
                cur.fetchall()
                if i > 0:           # the first transaction warms up
                    times.append((time.perf_counter() - t0) * 1000)
                cur.execute("SELECT statements FROM matrx_relations.stats()")
                counts.append(cur.fetchone()[0] - before)
            cur.execute("COMMIT")
            stmts.add(tuple(counts))
        f, s2 = statistics.median(first), statistics.median(second)
        label = ", ".join("%d/%d" % c for c in sorted(stmts))
        print(f"  {form:<26} {f:10.2f} {s2:10.2f} {f / s2:7.1f} {label:>21} {len(second):5d}")
        results.append(dict(workload="cache", n=n, competitor=form + " (first)", median_ms=round(f, 3),
                            min_ms=round(min(first), 3), max_ms=round(max(first), 3), runs=len(first),
                            statements=label.split("/")[0]))
        results.append(dict(workload="cache", n=n, competitor=form + " (second)", median_ms=round(s2, 3),
                            min_ms=round(min(second), 3), max_ms=round(max(second), 3),
                            ratio=round(s2 / f, 4), runs=len(second), statements=label))


CHURN_SETUP = """
CREATE TABLE IF NOT EXISTS bench_churn_unrelated (id int PRIMARY KEY, v int);
INSERT INTO bench_churn_unrelated SELECT g, g FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING;
CREATE OR REPLACE PROCEDURE bench_churn(per_second int) LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz;
BEGIN
    LOOP
        t := clock_timestamp();
        CREATE TEMP TABLE bench_churn_tmp (id int PRIMARY KEY, v text);
        DROP TABLE bench_churn_tmp;
        ANALYZE bench_churn_unrelated;
        COMMIT;
        PERFORM pg_sleep(greatest(0, 1.0 / per_second - extract(epoch FROM clock_timestamp() - t)));
    END LOOP;
END $$"""


class Churn:
    """Another session creating and dropping a temporary table and analyzing
    an unrelated table, each committed, per_second times a second (in the
    server: a procedure, stopped by a cancel)."""

    def __init__(self, per_second):
        self.conn = connect()
        self.cur = self.conn.cursor()
        self.cur.execute("SELECT pg_backend_pid()")
        self.pid = self.cur.fetchone()[0]
        self.per_second = per_second
        self.rounds = 0

    def __enter__(self):
        self.thread = threading.Thread(target=self.run)
        self.thread.start()
        time.sleep(0.2)
        return self

    def run(self):
        try:
            self.cur.execute("CALL bench_churn(%s)", (self.per_second,))
        except psycopg2.extensions.QueryCanceledError:
            pass

    def __exit__(self, *exc):
        c = connect()
        c.cursor().execute("SELECT pg_cancel_backend(%s)", (self.pid,))
        c.close()
        self.thread.join()
        self.conn.close()


def measure_churn(cur, n, count, results, per_second=50, rounds=20):
    """The churn workload: the nested load while another session churns the
    catalogs (Churn), against the same load on a quiet server, in alternating
    rounds; the ratio of the medians, and how many plans, table metadata and
    relation cache contents the loading session prepared, read and emptied
    again while churned.  The same = ANY statements run bare from the client
    (client-side batching), interleaved with the load in the same rounds,
    show what the churn costs plain SQL on the same machine at the same
    time: the load's ratio over theirs is what the churn costs the
    extension."""
    cur.execute(CHURN_SETUP)
    bs = batches(n, count, seed=zlib.crc32(f"churn/{n}".encode()))
    fns = {"ours": prefetch_keys(NESTED), "bare": client_batching(NESTED)}
    for fn in fns.values():
        fn(cur, bs[0], None)            # warm up: plans prepared, metadata read
    times = {(f, c): [] for f in fns for c in ("quiet", "churn")}
    cpu = {(f, c): [] for f in fns for c in ("quiet", "churn")}
    ratios = {f: [] for f in fns}
    cpu_ratios = {f: [] for f in fns}
    again = [0, 0, 0]
    counters = "SELECT plans_prepared, metadata_loads, cache_invalidations FROM matrx_relations.stats()"
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    per_round = max(1, count // rounds)

    def run_both(part, cond, r):
        # alternate which runs first, so neither always follows the other
        for f in (("ours", "bare") if r % 2 == 0 else ("bare", "ours")):
            c0 = backend_cpu_ms(pid)
            ts = timed_runs(fns[f], cur, part)
            c1 = backend_cpu_ms(pid)
            times[(f, cond)].append(statistics.median(ts))
            cpu[(f, cond)].append((c1 - c0) / len(part))

    for r in range(rounds):
        part = bs[r * per_round:(r + 1) * per_round] or bs[:per_round]
        for cond in ("quiet", "churn"):
            cur.execute(counters)
            before = cur.fetchone()
            if cond == "churn":
                with Churn(per_second):
                    run_both(part, cond, r)
            else:
                run_both(part, cond, r)
            cur.execute(counters)
            after = cur.fetchone()
            if cond == "churn":
                again = [a + x - b for a, x, b in zip(again, after, before)]
        for f in fns:
            ratios[f].append(times[(f, "churn")][-1] / times[(f, "quiet")][-1])
            cpu_ratios[f].append(cpu[(f, "churn")][-1] / cpu[(f, "quiet")][-1])
    med = statistics.median
    print(f"\nchurn, N = {n} (nested; another session: temp table + ANALYZE of an unrelated table, {per_second}/s; "
          f"{rounds} alternating rounds of {per_round} calls)")
    print(f"  {'':<38} {'quiet ms':>9} {'churned ms':>11} {'ratio':>7} {'CPU quiet':>10} {'CPU churned':>12} {'CPU ratio':>10}")
    labels = {"ours": "prefetch_related (keys)", "bare": "the same = ANY statements, bare"}
    for f in fns:
        q, c = med(times[(f, "quiet")]), med(times[(f, "churn")])
        print(f"  {labels[f]:<38} {q:9.2f} {c:11.2f} {med(ratios[f]):7.3f} {med(cpu[(f, 'quiet')]):10.2f} "
              f"{med(cpu[(f, 'churn')]):12.2f} {med(cpu_ratios[f]):10.3f}")
        results.append(dict(workload="churn", n=n, competitor=labels[f] + ", quiet", median_ms=round(q, 3),
                            runs=len(times[(f, "quiet")])))
        results.append(dict(workload="churn", n=n, competitor=labels[f] + ", churned", median_ms=round(c, 3),
                            runs=len(times[(f, "churn")])))
        results.append(dict(workload="churn", n=n, competitor=labels[f] + ", churned / quiet (paired rounds)",
                            ratio=round(med(ratios[f]), 3), runs=len(ratios[f])))
        results.append(dict(workload="churn", n=n, competitor=labels[f] + ", backend CPU churned / quiet",
                            ratio=round(med(cpu_ratios[f]), 3), runs=len(cpu_ratios[f])))
    excess = [a / b for a, b in zip(ratios["ours"], ratios["bare"])]
    print(f"  churned / quiet: prefetch_related {med(ratios['ours']):.3f}x, bare statements {med(ratios['bare']):.3f}x "
          f"(medians of paired rounds); prefetch_related's over the bare statements' {med(excess):.3f}x")
    print(f"  while churned the loading session prepared {again[0]} plans, read {again[1]} tables' metadata "
          f"and emptied its relation cache {again[2]} times again")
    results.append(dict(workload="churn", n=n, competitor="prefetch_related's ratio / bare statements' ratio",
                        ratio=round(med(excess), 3), runs=len(excess)))


def backend_cpu_ms(pid):
    """CPU time a local backend has run, in ms (/proc/PID/schedstat, ns)."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0]) / 1e6


def timed_runs(fn, cur, keys_list):
    """Milliseconds per call of fn over keys_list, garbage collector off."""
    times = []
    gc.collect()
    gc.disable()
    try:
        for keys in keys_list:
            t0 = time.perf_counter()
            fn(cur, keys, None)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        gc.enable()
    return times


def main():
    os.makedirs(OUT, exist_ok=True)
    conn = connect()
    cur = conn.cursor()
    cur.execute("SHOW server_version")
    version = cur.fetchone()[0]
    print(f"machine: {os.cpu_count()} cores, PostgreSQL {version}, scale {SCALE}, "
          f"{BATCHES} batches per competitor ({NPLUS1_BATCHES} for N+1)")
    results = []

    def nested_competitors(paths, lateral, cte):
        c = [("N+1 from a client", nplus1(paths), NPLUS1_BATCHES, True),
             ("client-side batching", client_batching(paths), BATCHES, True),
             ("LATERAL + json_agg", sql_competitor(lateral), BATCHES, True)]
        if cte:
            c.append(("hand-written set-based CTE", sql_competitor(cte), BATCHES, True))
        c += [("prefetch_related (keys)", prefetch_keys(paths), BATCHES, True),
              ("prefetch_related (instances)", prefetch_instances(paths), BATCHES, True),
              ("select_related", select_related(paths), BATCHES, True)]
        return c

    fk = nested_competitors(("customer",), LATERAL_FK, None)
    fk += [("fetch_related (typed rows)", fetch_related_fk, BATCHES, False),
           ("hand-written = ANY + attach", handwritten_fk, BATCHES, True)]
    if "fk" in WORKLOADS:
        measure(cur, "fk", 1000, fk, prefetch_keys(("customer",)), BATCHES, results)
    if "nested" in WORKLOADS:
        measure(cur, "nested", 1000, nested_competitors(NESTED, LATERAL_NESTED, CTE_NESTED),
                prefetch_keys(NESTED), BATCHES, results)
    if "grouped" in WORKLOADS:
        measure(cur, "grouped", 1000, nested_competitors(GROUPED, LATERAL_GROUPED, None),
                prefetch_keys(GROUPED), BATCHES, results)
    if "cache" in WORKLOADS:
        measure_cache(cur, 1000, max(3, BATCHES // 4), results)
    if "limit" in WORKLOADS:
        # the latest 5 orders of 1,000 customers, with their items (a per-parent limit)
        limit = [("LATERAL + ORDER BY + LIMIT", sql_competitor(LATERAL_LIMIT), BATCHES, True),
                 ("prefetch_related (keys)", spec_loader("prefetch_related", LIMIT_SPEC), BATCHES, True),
                 ("prefetch_related (instances)", spec_instances(LIMIT_SPEC, "orders"), BATCHES, True),
                 ("select_related", spec_loader("select_related", LIMIT_SPEC), BATCHES, True)]
        measure(cur, "limit", 1000, limit, spec_loader("prefetch_related", LIMIT_SPEC), BATCHES, results,
                source="customers")
    if "churn" in WORKLOADS:
        measure_churn(cur, 100, max(10, BATCHES), results)
    for n in (100, 1000, 10000, 100000) if "scale" in WORKLOADS else ():
        if n > N_ORDERS:
            continue
        count = max(3, min(BATCHES, 2000000 // (n * 50)))
        comps = [c for c in nested_competitors(NESTED, LATERAL_NESTED, CTE_NESTED)
                 if not (c[0] == "N+1 from a client" and n > 1000)]
        comps = [(name, fn, min(runs, count), check) for name, fn, runs, check in comps]
        measure(cur, "scale", n, comps, prefetch_keys(NESTED), count, results, memory=(n == 100000))

    # the per-key cost of prefetch_related across the scale workload
    per = sorted((r["n"], r["median_ms"] / r["n"], r["server_ms"] / r["n"]) for r in results
                 if r["workload"] == "scale" and r["competitor"] == "prefetch_related (keys)" and "median_ms" in r)
    if per:
        print("\nprefetch_related (keys), per key: " +
              ", ".join(f"{n}: {c:.4f} ms ({s:.4f} in the server)" for n, c, s in per))
        by_n = {n: (c, s) for n, c, s in per}
        if 1000 in by_n and 100000 in by_n:
            print(f"growth from 1,000 to 100,000 keys: {by_n[100000][0] / by_n[1000][0]:.2f}x "
                  f"({by_n[100000][1] / by_n[1000][1]:.2f}x in the server)")

    with open(os.path.join(OUT, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["workload", "n", "competitor", "median_ms", "min_ms", "max_ms",
                                          "ratio", "server_ms", "statements", "runs", "backend_peak_kb", "error"])
        w.writeheader()
        w.writerows(results)
    if any(r["workload"] == "scale" for r in results):
        plot(results)
    print(f"\nwritten: {OUT}/results.csv, {OUT}/scale.png")
    if "e2e" in WORKLOADS:
        import asyncio
        import e2e
        asyncio.run(e2e.main())


def plot(results):
    """Time against number of keys for the scale workload (gnuplot)."""
    scale = [r for r in results if r["workload"] == "scale" and "median_ms" in r]
    names = sorted({r["competitor"] for r in scale})
    dat = os.path.join(OUT, "scale.dat")
    with open(dat, "w") as f:
        for i, name in enumerate(names):
            f.write(f'"{name}"\n')
            for r in sorted((r for r in scale if r["competitor"] == name), key=lambda r: r["n"]):
                f.write(f'{r["n"]} {r["median_ms"]}\n')
            f.write("\n\n")
    script = (f'set terminal pngcairo size 900,600 noenhanced; set output "{OUT}/scale.png";'
              'set logscale xy; set xlabel "keys (orders)"; set ylabel "median ms";'
              'set title "nested workload: customer, items.product.tags"; set key left top;'
              f'plot for [i=0:{len(names) - 1}] "{dat}" index i using 1:2 with linespoints title columnheader(1)')
    try:
        subprocess.run(["gnuplot", "-e", script], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"no plot: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
