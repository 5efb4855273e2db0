#!/usr/bin/python3
"""The end-to-end benchmark (issue 15): relations loaded into the same plain
Python objects (dicts; asyncpg's values: int, Decimal, datetime, ...) by an
async program on asyncpg, five ways:

  N+1                one statement per object and relation
  client = ANY       one `= ANY($1)` statement per relation per level, the
                     independent relations of a level concurrently on a pool
  prefetch_related   one call, jsonb documents, json.loads, then the values
                     converted to asyncpg's types (what an ORM must do)
  typed (client)     matrx_relations.load through clients/python
  DataLoader         N one-key loads in one tick through clients/python's
                     DataLoader: one load_batch call

Workloads: fk (orders -> customer), ifk (customers -> orders), m2m
(products -> tags), five (orders -> customer, billing_address,
shipping_address, items, items.product) and nested (orders -> customer,
items.product.tags), at 100, 1,000 and 10,000 parents (fewer when the table
has fewer rows), each at round-trip times 0 (loopback, direct), 1 ms and
10 ms through test/bench/delayproxy.py, which this script starts and stops.
Plus "batch": R one-key requests against one request of R keys, server side,
for prefetch_batch and load_batch.

The timed runs are interleaved (run i of every competitor, in an order
rotating with i), so that the shared machine's drifting load falls on all.
Prints medians, ratios to client = ANY (of the medians, and paired: the
median over rounds of a competitor's time over = ANY's in the same round,
which the targets read, as a drift between rounds moves both sides of a pair
alike), server ms (pg_stat_statements),
statements and round trips; the targets of issue 15 as
`target NAME measured goal ok|short`; writes out/e2e.csv and out/e2e.png.

Environment: PGHOST (must be 127.0.0.1 or the proxy cannot reach it),
PGPORT, PGUSER, PGDATABASE; E2E_RUNS (timed runs per point, default 25 up to 100 parents, 15 up to 1,000, 9 above),
E2E_SIZES (default 100,1000,10000), E2E_RTTS (ms, default 0,1,10),
E2E_WORKLOADS (default fk,ifk,m2m,five,nested,batch), E2E_NPLUS1_BUDGET
(seconds one N+1 run may take by estimate; default 3).
"""
import asyncio
import csv
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
import zlib
from datetime import datetime
from decimal import Decimal

import asyncpg

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
import matrx_relations as mx  # noqa: E402

OUT = os.path.join(HERE, "out")
RUNS_ENV = os.environ.get("E2E_RUNS")


def runs_for(n):
    """Timed runs per point: E2E_RUNS, else 25 at up to 100 parents, 15 up to
    1,000 and 9 above (a call takes milliseconds at the small sizes, and a
    few of them slowed by the machine moved a median of 9 by 5-10%, enough
    to swing a ratio near its goal)."""
    return int(RUNS_ENV) if RUNS_ENV else (25 if n <= 100 else 15 if n <= 1000 else 9)
SIZES = [int(x) for x in os.environ.get("E2E_SIZES", "100,1000,10000").split(",")]
RTTS = [float(x) for x in os.environ.get("E2E_RTTS", "0,1,10").split(",")]
WORKLOADS = os.environ.get("E2E_WORKLOADS", "fk,ifk,m2m,five,nested,batch").split(",")
NPLUS1_BUDGET = float(os.environ.get("E2E_NPLUS1_BUDGET", "3"))
POOL = 4

# workload: (source table, paths)
PATHS = {
    "fk": ("orders", ("customer",)),
    "ifk": ("customers", ("orders",)),
    "m2m": ("products", ("tags",)),
    "five": ("orders", ("customer", "billing_address", "shipping_address", "items:order_items", "items:order_items.product")),
    "nested": ("orders", ("customer", "items:order_items.product.tags")),
}

# the relation tree of each workload: (output key, kind, target, parent column, target column)
# kind fk: parent[pcol] = target[tcol]; ifk: target[tcol] = parent[pcol];
# m2m: through product_tags (product_id, tag_id)
REL = {
    ("orders", "customer"): ("fk", "customers", "customer_id", "id"),
    ("orders", "billing_address"): ("fk", "addresses", "billing_address_id", "id"),
    ("orders", "shipping_address"): ("fk", "addresses", "shipping_address_id", "id"),
    ("orders", "items"): ("ifk", "order_items", "id", "order_id"),
    ("customers", "orders"): ("ifk", "orders", "id", "customer_id"),
    ("order_items", "product"): ("fk", "products", "product_id", "id"),
    ("products", "tags"): ("m2m", "tags", "id", "id"),
}


def tree(source, paths):
    """Paths as a nested dict {key: (table, subtree)}."""
    t = {}
    for p in paths:
        level, table = t, source
        for seg in p.split("."):
            key, _, name = seg.rpartition(":")
            key = key or name
            target = REL[(table, key)][1]
            level = level.setdefault(key, (target, {}))[1]
            table = target
    return t


# ---- competitors: async fn(ctx, keys) -> list of parent dicts ---------------

class Ctx:
    """Connections of one round-trip setting, and the client's counters.

    Every competitor has its own connection(s): a backend that has just read
    a batch's pages for one competitor would hand the next one on the same
    backend a head start (its first touch of a shared buffer costs a page
    fault; see warm_backend)."""

    def __init__(self, conns, pool):
        """conns: competitor name -> connection; a pool (for concurrent = ANY);
        counters of statements and round trips."""
        self.conns, self.pool = conns, pool
        self.pids = {}                 # competitor -> its backends' pids (CPU time)
        self.statements = 0
        self.round_trips = 0


async def nplus1(ctx, source, t, keys):
    """One statement per object and relation, sequentially."""
    c = ctx.conns["N+1"]
    out = []
    for k in keys:
        ctx.statements += 1
        r = await c.fetchrow(f"SELECT * FROM {source} WHERE id = $1", k)
        if r is None:
            continue
        d = dict(r)
        await nplus1_attach(ctx, source, t, [d])
        out.append(d)
    ctx.round_trips = ctx.statements
    return out


async def nplus1_attach(ctx, table, t, objs):
    """The relations of t onto each of objs, one statement each."""
    c = ctx.conns["N+1"]
    for o in objs:
        for key, (target, sub) in t.items():
            kind, _, pcol, tcol = REL[(table, key)]
            ctx.statements += 1
            if kind == "fk":
                if o[pcol] is None:
                    o[key] = None
                    continue
                r = await c.fetchrow(f"SELECT * FROM {target} WHERE {tcol} = $1", o[pcol])
                o[key] = dict(r) if r else None
                children = [o[key]] if o[key] else []
            elif kind == "ifk":
                o[key] = [dict(r) for r in await c.fetch(f"SELECT * FROM {target} WHERE {tcol} = $1 ORDER BY id", o[pcol])]
                children = o[key]
            else:
                o[key] = [dict(r) for r in await c.fetch(
                    "SELECT t.* FROM tags t JOIN product_tags pt ON pt.tag_id = t.id WHERE pt.product_id = $1 ORDER BY t.id",
                    o["id"])]
                children = o[key]
            if sub and children:
                await nplus1_attach(ctx, target, sub, children)


async def any_batching(ctx, source, t, keys):
    """One = ANY statement per relation per level; a level's relations concurrently on the pool."""
    ctx.statements += 1
    ctx.round_trips += 1
    found = {r["id"]: dict(r) for r in await ctx.conns["client = ANY"].fetch(f"SELECT * FROM {source} WHERE id = ANY($1::bigint[])", keys)}
    out, seen = [], set()
    for k in keys:
        if k in found and k not in seen:
            seen.add(k)
            out.append(found[k])
    await any_level(ctx, [(source, t, out)])
    return out


class Pool:
    """A fixed set of connections, handed out in turn. asyncpg's own pool
    sends a reset query (RESET ALL, UNLISTEN *, ...) on every release: a
    round trip per statement that no ORM's pool pays."""

    def __init__(self, conns):
        """Wraps open connections."""
        self.conns = conns
        self.seen = {}
        self.free = asyncio.Queue()
        for c in conns:
            self.free.put_nowait(c)

    async def fetch(self, sql, arg):
        """One statement on a free connection."""
        self.seen.setdefault(sql, arg)
        c = await self.free.get()
        try:
            return await c.fetch(sql, arg)
        finally:
            self.free.put_nowait(c)

    async def warm(self):
        """Every statement seen so far prepared on every connection (asyncpg
        prepares per connection: a cold one costs a round trip more)."""
        for c in self.conns:
            for sql, arg in self.seen.items():
                await c.fetch(sql, arg)

    async def close(self):
        """Closes every connection."""
        for c in self.conns:
            await c.close()


async def any_fetch(ctx, sql, arg):
    """One statement on a pooled connection."""
    return await ctx.pool.fetch(sql, arg)


async def any_level(ctx, groups):
    """groups: (table, subtree, parent objects); every relation of the level at once."""
    jobs = []
    for table, t, objs in groups:
        for key, (target, sub) in t.items():
            kind, _, pcol, tcol = REL[(table, key)]
            ids = list({o[pcol] for o in objs if o[pcol] is not None})
            if not ids:
                for o in objs:
                    o[key] = None if kind == "fk" else []
                continue
            if kind == "m2m":
                sql = ("SELECT pt.product_id AS _p, t.* FROM product_tags pt JOIN tags t ON t.id = pt.tag_id "
                       "WHERE pt.product_id = ANY($1::bigint[]) ORDER BY t.id")
            elif kind == "ifk":
                sql = f"SELECT * FROM {target} WHERE {tcol} = ANY($1::bigint[]) ORDER BY id"
            else:
                sql = f"SELECT * FROM {target} WHERE {tcol} = ANY($1::bigint[])"
            jobs.append((table, key, kind, pcol, tcol, target, sub, objs, any_fetch(ctx, sql, ids)))
    if not jobs:
        return
    ctx.statements += len(jobs)
    ctx.round_trips += 1
    results = await asyncio.gather(*(j[-1] for j in jobs))
    nxt = []
    for (table, key, kind, pcol, tcol, target, sub, objs, _), rows in zip(jobs, results):
        if kind == "fk":
            by = {}
            for r in rows:
                by[r[tcol]] = dict(r)
            for o in objs:
                o[key] = by.get(o[pcol])
            children = list(by.values())
        elif kind == "ifk":
            by, children = {}, []
            for r in rows:
                d = dict(r)
                children.append(d)
                by.setdefault(d[tcol], []).append(d)
            for o in objs:
                o[key] = by.get(o[pcol], [])
        else:
            by, tags = {}, {}
            for r in rows:
                d = dict(r)
                p = d.pop("_p")
                d = tags.setdefault(d["id"], d)        # one object per tag
                by.setdefault(p, []).append(d)
            for o in objs:
                o[key] = by.get(o["id"], [])
            children = list(tags.values())
        if sub:
            nxt.append((target, sub, children))
    if nxt:
        await any_level(ctx, nxt)


COLUMN_TYPES = {}      # table -> {column: converter} for the jsonb competitor


def converter_for(typename):
    """jsonb value -> asyncpg's value for a column type (the shop's types)."""
    if typename == "timestamp with time zone":
        return datetime.fromisoformat
    if typename.startswith("numeric"):
        return lambda v: v if isinstance(v, Decimal) else Decimal(v)
    return None


def convert(table, t, d):
    """A jsonb document's values as asyncpg returns them, recursively."""
    for col, fn in COLUMN_TYPES[table].items():
        v = d.get(col)
        if v is not None:
            d[col] = fn(v)
    for key, (target, sub) in t.items():
        v = d[key]
        if isinstance(v, list):
            for x in v:
                convert(target, sub, x)
        elif v is not None:
            convert(target, sub, v)


async def prefetch(ctx, source, t, keys, paths):
    """prefetch_related: one call, documents parsed and converted."""
    ctx.statements += 1
    ctx.round_trips += 1
    rows = await ctx.conns["prefetch_related (jsonb)"].fetch(
        f"SELECT d::text FROM matrx_relations.prefetch_related($1::regclass, $2::bigint[], VARIADIC $3::text[]) d",
        source, keys, list(paths))
    out = []
    for (text,) in rows:
        d = json.loads(text, parse_float=Decimal)
        convert(source, t, d)
        out.append(d)
    return out


async def typed(ctx, source, t, keys, paths):
    """matrx_relations.load through the client library."""
    ctx.statements += 1
    ctx.round_trips += 1
    return await mx.load(ctx.conns["typed (client)"], source, keys, *paths)


async def dataloader(ctx, source, t, keys, paths):
    """N one-key loads in one tick: one load_batch call."""
    loader = mx.DataLoader(ctx.conns["DataLoader (client)"])
    got = await asyncio.gather(*(loader.load(source, k, *paths) for k in keys))
    ctx.statements += loader.calls
    ctx.round_trips += loader.calls
    out, seen = [], set()
    for o in got:
        if o is not None and id(o) not in seen:
            seen.add(id(o))
            out.append(o)
    return out


COMPETITORS = ["N+1", "client = ANY", "prefetch_related (jsonb)", "typed (client)", "DataLoader (client)"]


def canonical(objs):
    """Order-insensitive text of a result (lists of children sorted)."""
    def norm(v):
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return sorted((norm(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True, default=str))
        return v
    return json.dumps([norm(o) for o in objs], sort_keys=True, default=str)


async def warm_backend(conn):
    """Has this connection's backend touch every page of the shop's tables and
    indexes once (pageinspect's get_raw_page, which reads through shared
    buffers). A backend's first access to a shared buffer costs a page fault;
    measured here, a nested load of 100 fresh orders took 15-45 ms on a
    backend that had not touched its pages and 3-6 ms on one that had. A
    long-lived application connection has touched them; a benchmark's new
    ones have not, and a competitor spread over more backends (= ANY's pool)
    would pay more of it. Returns False when pageinspect is missing."""
    try:
        await conn.fetchval(
            "SELECT sum(pg_catalog.length(get_raw_page(c.oid::regclass::text, 'main', b))) "
            "FROM pg_catalog.pg_class c, pg_catalog.generate_series(0, pg_catalog.pg_relation_size(c.oid) / 8192 - 1) b "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')")
        return True
    except asyncpg.PostgresError:
        return False


async def server_ms(conn):
    """Top-level execution time recorded since the last reset (ms)."""
    return await conn.fetchval("SELECT coalesce(sum(total_exec_time), 0)::float8 FROM pg_stat_statements "
                               "WHERE toplevel AND query NOT LIKE '%pg_stat_statements%' "
                               "AND query NOT LIKE '%pg_catalog.pg_%' AND query NOT LIKE '%matrx_relations.load_nodes%'")


def backend_cpu(pids):
    """CPU time (ms) the backends have used so far (/proc/PID/schedstat: the
    server runs on this machine), None when it cannot be read."""
    total = 0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/schedstat") as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total / 1e6


async def counted(conn):
    """Statements since the last reset: 'client+inner'."""
    top, inner = await conn.fetchrow(
        "SELECT coalesce(sum(calls) FILTER (WHERE toplevel), 0)::int, coalesce(sum(calls) FILTER (WHERE NOT toplevel), 0)::int "
        "FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'")
    return f"{top}+{inner}"


def start_proxy(port, rtt):
    """delayproxy.py for rtt ms (rtt/2 each way); returns (process, its port)."""
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "delayproxy.py"), "127.0.0.1", str(port), str(rtt / 2)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return p, int(p.stdout.readline())


def stop_proxy(p):
    """Closes its stdin (it exits), kills it if it lingers."""
    if p is None:
        return
    try:
        p.stdin.close()
        p.wait(5)
    except Exception:
        p.kill()
        p.wait()


async def measure_point(admin, ctx, workload, n, rtt, rows, checks, key_pool):
    """Every competitor on workload at n parents, one round-trip setting."""
    source, paths = PATHS[workload]
    t = tree(source, paths)
    rng = random.Random(zlib.crc32(f"{workload}/{n}".encode()))
    RUNS = runs_for(n)
    batches = [rng.sample(key_pool, n) for _ in range(RUNS + 1)]
    fns = {"N+1": lambda c, k: nplus1(c, source, t, k),
           "client = ANY": lambda c, k: any_batching(c, source, t, k),
           "prefetch_related (jsonb)": lambda c, k: prefetch(c, source, t, k, paths),
           "typed (client)": lambda c, k: typed(c, source, t, k, paths),
           "DataLoader (client)": lambda c, k: dataloader(c, source, t, k, paths)}
    table = {}
    active = {}
    for name in COMPETITORS:
        fn = fns[name]
        # warm-up: metadata, statement caches; then a counted, checked call
        if name != "N+1":
            await fn(ctx, batches[0])
            await ctx.pool.warm()
        ctx.statements = ctx.round_trips = 0
        await admin.execute("SELECT pg_stat_statements_reset()")
        if name == "N+1":
            t0 = time.perf_counter()
            small = batches[0][:max(1, n // 100)]
            await fn(ctx, small)
            per_key = (time.perf_counter() - t0) / len(small)
            est = per_key * n
            if est > NPLUS1_BUDGET:
                table[name] = (name, None, None, None, None, None, None, None, f"skipped (about {est:.0f} s a run)")
                continue
            ctx.statements = ctx.round_trips = 0
            await admin.execute("SELECT pg_stat_statements_reset()")
        docs = await fn(ctx, batches[0])
        stmts = await counted(admin)
        trips = ctx.round_trips
        if rtt == 0:
            c = canonical(docs)
            ref = checks.setdefault((workload, n), c)
            if c != ref:
                print(f"  !! {name}: result differs from N+1/the first competitor", file=sys.stderr)
                table[name] = (name, None, None, None, None, None, None, None, "result differs")
                continue
        runs = RUNS if name != "N+1" else max(1, min(RUNS, int(NPLUS1_BUDGET * 3 / max(est, 1e-3))))
        active[name] = (fn, runs, stmts, trips, {}, [], [])
    # timed runs interleaved, the competitors' order rotating from run to
    # run: the machine's load drifts (it is shared), and every competitor
    # sees the same drift; the server's time of each call from
    # pg_stat_statements (reset before it, read after it)
    order = list(active)
    for i, b in enumerate(batches[1:RUNS + 1]):
        for name in order[i % len(order):] + order[:i % len(order)] if order else ():
            fn, runs, _, _, times, server, cpu = active[name]
            if len(times) >= runs:
                continue
            await admin.execute("SELECT pg_stat_statements_reset()")
            gc.collect()
            gc.disable()
            try:
                c0 = backend_cpu(ctx.pids.get(name, ()))
                t0 = time.perf_counter()
                await fn(ctx, b)
                times[i] = (time.perf_counter() - t0) * 1000
                c1 = backend_cpu(ctx.pids.get(name, ()))
            finally:
                gc.enable()
            server.append(await server_ms(admin))
            if c0 is not None and c1 is not None:
                cpu.append(c1 - c0)
    # each competitor's time over = ANY's in the same round (same keys, one
    # right after the other): the median of these pairs is the ratio the
    # targets read, as a drift of the machine's speed between rounds moves
    # both sides of a pair alike
    base_times = active["client = ANY"][4] if "client = ANY" in active else {}
    paired = {}
    for name, (fn, runs, stmts, trips, times, server, cpu) in active.items():
        both = [times[i] / base_times[i] for i in times if i in base_times]
        paired[name] = statistics.median(both) if both else None
        times = list(times.values())
        table[name] = (name, statistics.median(times), min(times), max(times), statistics.median(server),
                       statistics.median(cpu) if cpu else None, stmts, trips, len(times))
    table = [table[name] for name in COMPETITORS if name in table]
    base = next((r[1] for r in table if r[0] == "client = ANY" and r[1]), None)
    print(f"\ne2e {workload}, N = {n}, RTT {rtt:g} ms")
    print(f"  {'competitor':<26} {'median ms':>10} {'min-max ms':>19} {'vs ANY':>7} {'server ms':>10} "
          f"{'server CPU':>10} {'statements':>11} {'round trips':>12} {'runs':>5} {'paired':>7}")
    for name, med, lo, hi, server, cpu, stmts, trips, k in table:
        if med is None:
            print(f"  {name:<26} {k}")
            rows.append(dict(workload=workload, n=n, rtt=rtt, competitor=name, note=k))
            continue
        ratio = med / base if base else float("nan")
        cpu_cell = f"{cpu:10.2f}" if cpu is not None else f"{'-':>10}"
        pair = paired.get(name)
        pair_cell = f"{pair:7.2f}" if pair is not None else f"{'-':>7}"
        print(f"  {name:<26} {med:10.2f} {lo:9.2f}-{hi:<9.2f} {ratio:7.2f} {server:10.2f} {cpu_cell} {stmts:>11} "
              f"{trips:>12} {k:5d} {pair_cell}")
        rows.append(dict(workload=workload, n=n, rtt=rtt, competitor=name, median_ms=round(med, 3),
                         min_ms=round(lo, 3), max_ms=round(hi, 3), vs_any=round(ratio, 3),
                         paired_vs_any=None if pair is None else round(pair, 3),
                         server_ms=round(server, 3), server_cpu_ms=None if cpu is None else round(cpu, 3),
                         statements=stmts, round_trips=trips, runs=k))


async def measure_batch(admin, rows, key_pool):
    """R one-key requests in one batch against one request with R keys (server side, rtt 0),
    for prefetch_batch and load_batch, nested paths."""
    source, paths = PATHS["nested"]
    print("\ne2e batch: R one-key requests in one call against one request of R keys (nested paths, RTT 0)")
    print(f"  {'function':<14} {'R':>6} {'one request ms':>15} {'R requests ms':>14} {'ratio':>6} {'runs':>5} "
          f"{'paired':>7}")
    rng = random.Random(7)
    for fn in ("prefetch_batch", "load_batch"):
        sql = (f"SELECT count(*) FROM matrx_relations.{fn}($1::text::jsonb)" if fn == "load_batch" else
               f"SELECT jsonb_array_length(matrx_relations.{fn}($1::text::jsonb))")
        for r in [s for s in SIZES if s <= len(key_pool)]:
            runs = 9                  # (4 let one slow call move the ratio by 0.1)
            one, many = [], []
            for i in range(runs + 1):
                keys = rng.sample(key_pool, r)
                reqs_one = json.dumps([{"source": source, "keys": keys, "relations": list(paths)}])
                reqs_many = json.dumps([{"source": source, "keys": [k], "relations": list(paths)} for k in keys])
                pair = ((reqs_one, one), (reqs_many, many))
                for reqs, acc in pair if i % 2 else pair[::-1]:      # who goes first alternates
                    t0 = time.perf_counter()
                    await admin.fetchval(sql, reqs)
                    if i:
                        acc.append((time.perf_counter() - t0) * 1000)
            a, b = statistics.median(one), statistics.median(many)
            pair = statistics.median(y / x for x, y in zip(one, many))     # each round's two calls
            print(f"  {fn:<14} {r:6d} {a:15.2f} {b:14.2f} {b / a:6.2f} {runs:5d} {pair:7.2f}")
            rows.append(dict(workload="batch", n=r, rtt=0, competitor=f"{fn} one request", median_ms=round(a, 3), runs=runs))
            rows.append(dict(workload="batch", n=r, rtt=0, competitor=f"{fn} {r} requests", median_ms=round(b, 3),
                             vs_any=round(b / a, 3), paired_vs_any=round(pair, 3), runs=runs))


def targets(rows):
    """One line per target of issue 15."""
    def med(w, n, rtt, comp):
        for r in rows:
            if (r["workload"], r["n"], r["rtt"], r["competitor"]) == (w, n, rtt, comp) and r.get("median_ms"):
                return r["median_ms"]
        return None

    def paired(w, n, rtt, comp):
        for r in rows:
            if (r["workload"], r["n"], r["rtt"], r["competitor"]) == (w, n, rtt, comp):
                return r.get("paired_vs_any")
        return None

    def server(w, n, comp, field="server_cpu_ms"):
        for r in rows:
            if (r["workload"], r["n"], r["rtt"], r["competitor"]) == (w, n, 0, comp) and r.get(field) is not None:
                return r[field]
        return None
    lines = []
    # 1. rtt 0: typed through the client at least as fast as = ANY, every
    # workload and size.  The ratios of these targets are paired: the median
    # over rounds of typed's time over = ANY's in the same round (same keys,
    # back to back); the ratio of the two medians is printed beside it
    worst = None
    for w in PATHS:
        for n in SIZES:
            ratio = paired(w, n, 0, "typed (client)")
            a, t = med(w, n, 0, "client = ANY"), med(w, n, 0, "typed (client)")
            if ratio is not None and a and t and (worst is None or ratio > worst[0]):
                worst = (ratio, w, n, t / a)
    if worst:
        lines.append(("rtt0-typed-vs-any", f"{worst[0]:.2f}x ({worst[1]} {worst[2]}; worst; medians {worst[3]:.2f}x)",
                      "<=1.00x", worst[0] <= 1.0))
    # 2. nested with round trips: = ANY's time over typed's (paired)
    for n, rtt, goal in ((100, 1, 1.5), (100, 10, 3.0), (1000, 10, 1.5)):
        ratio = paired("nested", n, rtt, "typed (client)")
        a, t = med("nested", n, rtt, "client = ANY"), med("nested", n, rtt, "typed (client)")
        if ratio and a and t:
            lines.append((f"nested-{n}-rtt{rtt}ms-speedup", f"{1 / ratio:.2f}x (medians {a / t:.2f}x)", f">={goal}x",
                          1 / ratio >= goal))
    # 3. the server's cost of the typed form against the same statements bare
    # (= ANY's statements): the backends' CPU time; their execution time
    # (pg_stat_statements) also counts the time a backend waits for the
    # client to read what it sent, so it is printed for information
    for field, name, goal in (("server_cpu_ms", "server-typed-vs-bare", "<=1.30x"),
                              ("server_ms", "server-exec-time-typed-vs-bare", "info")):
        worst = None
        for w in PATHS:
            for n in SIZES:
                a, t = server(w, n, "client = ANY", field), server(w, n, "typed (client)", field)
                if a and t:
                    if worst is None or t / a > worst[0]:
                        worst = (t / a, w, n)
        if worst:
            lines.append((name, f"{worst[0]:.2f}x ({worst[1]} {worst[2]}; worst)", goal,
                          worst[0] <= 1.3 if goal != "info" else None))
    # 4. R one-key requests in one batch against one request of R keys
    for fn in ("prefetch_batch", "load_batch"):
        ratios = [(r["paired_vs_any"], r["n"], r["vs_any"]) for r in rows if r["workload"] == "batch"
                  and r["competitor"].startswith(fn) and r.get("paired_vs_any")]
        if ratios:
            worst = max(ratios)
            lines.append((f"{fn}-one-key-requests", f"{worst[0]:.2f}x (R={worst[1]}; worst; medians {worst[2]:.2f}x)",
                          "<=1.30x", worst[0] <= 1.3))
    # 5. where prefetch_related's jsonb stands (information)
    for w in ("nested",):
        for n in SIZES:
            p, t = med(w, n, 0, "prefetch_related (jsonb)"), med(w, n, 0, "typed (client)")
            if p and t:
                lines.append((f"jsonb-vs-typed-{w}-{n}", f"{p / t:.2f}x", "info", None))
    print()
    for name, measured, goal, ok in lines:
        print(f"target {name} {measured} {goal} {'info' if ok is None else ('ok' if ok else 'short')}")


def readme_tables(rows):
    """The README's tables, in its format (markdown), from this run: nested
    at every size and RTT, every competitor; the flat workloads and nested
    at the largest size and RTT 0 with server time; one table per other RTT
    for the workloads at the largest size."""
    def cell(w, n, rtt, comp, server=False):
        for r in rows:
            if (r["workload"], r["n"], r["rtt"], r["competitor"]) == (w, n, rtt, comp) and r.get("median_ms"):
                return f"{r['median_ms']:.1f}" + (f" ({r['server_cpu_ms']:.1f})" if server and r.get("server_cpu_ms") is not None else "")
        return "—"
    names = {"N+1": "N+1", "client = ANY": "client `= ANY`", "prefetch_related (jsonb)": "`prefetch_related` (jsonb)",
             "typed (client)": "typed (client)", "DataLoader (client)": "DataLoader (client)"}
    out = []
    if any(r["workload"] == "nested" for r in rows):
        out.append("| nested, median ms | RTT | " + " | ".join(names[c] for c in COMPETITORS) + " |")
        out.append("|---|---:|" + "---:|" * len(COMPETITORS))
        for n in SIZES:
            for rtt in RTTS:
                if any(r["workload"] == "nested" and r["n"] == n and r["rtt"] == rtt for r in rows):
                    out.append(f"| {n:,} parents | {rtt:g} ms | " +
                               " | ".join(cell("nested", n, rtt, c) for c in COMPETITORS) + " |")
    flat = [w for w in PATHS if any(r["workload"] == w for r in rows)]
    comps = COMPETITORS[1:]
    for rtt in RTTS:
        n = max((r["n"] for r in rows if r["workload"] in flat and r["rtt"] == rtt), default=None)
        if n is None:
            continue
        out.append("")
        out.append(f"| {n:,} parents, RTT {rtt:g}, median ms (server CPU ms) | " + " | ".join(names[c] for c in comps) + " |")
        out.append("|---|" + "---:|" * len(comps))
        for w in flat:
            if any(r["workload"] == w and r["n"] == n and r["rtt"] == rtt for r in rows):
                out.append(f"| {w} | " + " | ".join(cell(w, n, rtt, c, server=True) for c in comps) + " |")
    if out:
        print("\nREADME tables (markdown):\n")
        print("\n".join(out))


def plot(rows):
    """Median ms against parents, nested workload, one panel per RTT (gnuplot)."""
    data = [r for r in rows if r["workload"] == "nested" and r.get("median_ms")]
    if not data:
        return
    dat = os.path.join(OUT, "e2e.dat")
    blocks = []
    with open(dat, "w") as f:
        for rtt in RTTS:
            for comp in COMPETITORS:
                pts = sorted((r["n"], r["median_ms"]) for r in data if r["rtt"] == rtt and r["competitor"] == comp)
                if not pts:
                    continue
                f.write(f'"{comp}"\n' + "".join(f"{n} {m}\n" for n, m in pts) + "\n\n")
                blocks.append((rtt, COMPETITORS.index(comp) + 1))
    script = [f'set terminal pngcairo size 1500,500 noenhanced; set output "{OUT}/e2e.png"',
              f"set multiplot layout 1,{len(RTTS)}", "set logscale xy", 'set xlabel "parents (orders)"',
              'set ylabel "median ms"', "set key left top"]
    for rtt in RTTS:
        idx = [(i, color) for i, (b, color) in enumerate(blocks) if b == rtt]
        if not idx:
            continue
        script.append(f'set title "nested, RTT {rtt:g} ms"')
        # one colour per competitor in every panel
        script.append("plot " + ", ".join(f'"{dat}" index {i} using 1:2 with linespoints linecolor {color} '
                                          "title columnheader(1)" for i, color in idx))
    script.append("unset multiplot")
    try:
        subprocess.run(["gnuplot", "-e", "; ".join(script)], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"no plot: {e}", file=sys.stderr)


async def main():
    """Every workload at every size and round-trip time; targets, CSV, plot."""
    os.makedirs(OUT, exist_ok=True)
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = int(os.environ["PGPORT"])
    kw = dict(user=os.environ.get("PGUSER", "postgres"), database=os.environ.get("PGDATABASE", "bench"))
    admin = await asyncpg.connect(host=host, port=port, **kw)
    try:
        await admin.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")     # for warm_backend
    except asyncpg.PostgresError as e:
        print(f"e2e: no pageinspect ({e}); backends are not warmed", file=sys.stderr)
    for table in ("orders", "customers", "addresses", "order_items", "products", "tags"):
        COLUMN_TYPES[table] = {r[0]: converter_for(r[1]) for r in await admin.fetch(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass "
            "AND attnum > 0 AND NOT attisdropped", table) if converter_for(r[1])}
    pools = {}
    for table in ("orders", "customers", "products"):
        pools[table] = [r[0] for r in await admin.fetch(f"SELECT id FROM {table} ORDER BY id")]
    rows, checks = [], {}
    print(f"\ne2e: {os.cpu_count()} cores, asyncpg {asyncpg.__version__}, {RUNS_ENV or '25 (up to 100 parents), 15 (up to 1,000) or 9'} runs per point, pool of {POOL} for = ANY")
    proxy = None
    try:
        for rtt in RTTS:
            if rtt > 0:
                proxy, pport = start_proxy(port, rtt)
            else:
                pport = port
            conns = {name: await asyncpg.connect(host="127.0.0.1", port=pport, **kw) for name in COMPETITORS}
            pool = Pool([await asyncpg.connect(host="127.0.0.1", port=pport, **kw) for _ in range(POOL)])
            conn = conns["typed (client)"]
            try:
                t0 = time.perf_counter()
                warmed = [await warm_backend(c) for c in list(conns.values()) + pool.conns]
                print(f"\nRTT {rtt:g} ms: {len(warmed)} connections, " +
                      (f"each backend's pages touched in {time.perf_counter() - t0:.1f} s" if all(warmed)
                       else "pages NOT touched per backend (no pageinspect): small sizes are noisy"))
                probe = []
                for _ in range(20):
                    t0 = time.perf_counter()
                    await conn.fetchval("SELECT 1")
                    probe.append((time.perf_counter() - t0) * 1000)
                print(f"\nRTT {rtt:g} ms: SELECT 1 takes {statistics.median(probe):.2f} ms (median of 20)")
                ctx = Ctx(conns, pool)
                for name, c in conns.items():
                    ctx.pids[name] = [await c.fetchval("SELECT pg_backend_pid()")]
                ctx.pids["client = ANY"] += [await c.fetchval("SELECT pg_backend_pid()") for c in pool.conns]
                for w in WORKLOADS:
                    if w not in PATHS:
                        continue
                    source = PATHS[w][0]
                    for n in SIZES:
                        if n > len(pools[source]):
                            print(f"\ne2e {w}, N = {n}: skipped ({source} has {len(pools[source])} rows at this BENCH_SCALE)")
                            continue
                        await measure_point(admin, ctx, w, n, rtt, rows, checks, pools[source])
            finally:
                await pool.close()
                for c in conns.values():
                    await c.close()
                stop_proxy(proxy)
                proxy = None
        if "batch" in WORKLOADS:
            await warm_backend(admin)
            await measure_batch(admin, rows, pools["orders"])
    finally:
        stop_proxy(proxy)
        await admin.close()
    targets(rows)
    readme_tables(rows)
    with open(os.path.join(OUT, "e2e.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["workload", "n", "rtt", "competitor", "median_ms", "min_ms", "max_ms", "vs_any",
                                          "paired_vs_any", "server_ms", "server_cpu_ms", "statements", "round_trips", "runs", "note"])
        w.writeheader()
        w.writerows(rows)
    plot(rows)
    print(f"\nwritten: {OUT}/e2e.csv, {OUT}/e2e.png")


if __name__ == "__main__":
    asyncio.run(main())
