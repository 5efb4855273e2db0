#!/usr/bin/python3
"""Server-side ratios of issue 15, quickly (not part of make bench).

  typed     matrx_relations.load at N parents against the same = ANY
            statements run bare (e2e.py's client = ANY), server time from
            pg_stat_statements, for fk, ifk, m2m, five, nested
  batch     prefetch_batch and load_batch: R one-key requests in one call
            against one request of R keys (nested paths)

Runs interleaved, medians.  Two measures: the statements' execution time
from pg_stat_statements (what e2e.py reports), and the backend's CPU time
during the call (/proc/PID/schedstat: the server on this machine), which
other jobs on a shared machine disturb much less.  Besides the median of
the per-run ratios, the ratio of the minimums (interference only adds).  Each database named in SB_DBS (comma-separated,
default "bench") is measured in the same rounds, so a baseline build can be
compared with the current one in one run: give each database's functions
their own library (UPDATE pg_proc SET probin = '/path/x.so' WHERE probin =
'$libdir/matrx_relations'), one connection per database.

Environment: PGHOST, PGPORT, PGUSER; SB_DBS; SB_N (default 10000); SB_RS
(default 1000,10000); SB_RUNS (default 7); SB_WORKLOADS (default
fk,ifk,m2m,five,nested,batch); SB_KEYS=same: the same keys in every run
(data in the buffers; default fresh: new random keys each run);
SB_BACKENDS=own (default): load and the bare statements each on their own
connection, as in e2e.py (a backend that has just run one competitor hands
the next one memory its C library kept: the page faults of a large call
are a good part of its CPU time on this machine), or shared: both on one.
"""
import asyncio
import json
import os
import random
import statistics
import sys
import time
import zlib

import asyncpg

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import e2e  # noqa: E402  (its workloads and its = ANY competitor)

DBS = os.environ.get("SB_DBS", "bench").split(",")
N = int(os.environ.get("SB_N", "10000"))
RS = [int(x) for x in os.environ.get("SB_RS", "1000,10000").split(",")]
RUNS = int(os.environ.get("SB_RUNS", "7"))
WORKLOADS = os.environ.get("SB_WORKLOADS", "fk,ifk,m2m,five,nested,batch").split(",")
SAME = os.environ.get("SB_KEYS", "fresh") == "same"
OWN = os.environ.get("SB_BACKENDS", "own") == "own"

SERVER_MS = ("SELECT coalesce(sum(total_exec_time), 0)::float8 FROM pg_stat_statements "
             "WHERE toplevel AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '%pg_catalog.pg_%'")
LOAD = "SELECT node, id, parent, r FROM matrx_relations.load($1::regclass, $2::bigint[], VARIADIC $3::text[])"


PIDS = {}
BARE = {}  # connection -> the bare statements' own connection (SB_BACKENDS=own)


def cpu_ns(pid):
    """The backend's time on a CPU so far (ns)."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def minflt(pid):
    """The backend's minor page faults so far."""
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[7])


async def timed(conn, fn):
    """(server ms from pg_stat_statements, backend CPU ms, page faults) of one run of fn()."""
    await conn.execute("SELECT pg_stat_statements_reset()")
    pid = PIDS[id(conn)]
    c0, f0 = cpu_ns(pid), minflt(pid)
    await fn()
    cpu, flt = (cpu_ns(pid) - c0) / 1e6, minflt(pid) - f0
    return await conn.fetchval(SERVER_MS), cpu, flt


def line(what, a, b):
    """Medians of a and b ((server ms, cpu ms, page faults) each) and of their ratios b/a."""
    out = []
    for i, name in ((0, "exec"), (1, "cpu")):
        x, y = [p[i] for p in a], [p[i] for p in b]
        r = [v / u for u, v in zip(x, y)]
        out.append(f"{name} {statistics.median(x):7.1f}/{statistics.median(y):7.1f} ms ratio {statistics.median(r):5.2f} "
                   f"({min(r):.2f}-{max(r):.2f}; of minimums {min(y) / min(x):.2f})")
    out.append(f"faults {statistics.median(p[2] for p in a):.0f}/{statistics.median(p[2] for p in b):.0f}")
    print(f"  {what}  " + "  ".join(out), flush=True)


def any_ctx(conn):
    """e2e.py's context for its client = ANY competitor, on conn alone."""
    return e2e.Ctx({"client = ANY": conn}, e2e.Pool([conn]))


async def typed_rounds(conns, workload, pool):
    """Load against bare = ANY statements, per database: medians of server ms."""
    source, paths = e2e.PATHS[workload]
    t = e2e.tree(source, paths)
    rng = random.Random(zlib.crc32(workload.encode()))
    acc = {db: ([], []) for db in conns}
    for i in range(RUNS + 1):
        keys = (random.Random(1) if SAME else rng).sample(pool[source], N)
        order = list(conns.items())
        for db, conn in order[i % len(order):] + order[:i % len(order)]:
            bare = BARE.get(id(conn), conn)
            ctx = any_ctx(bare)
            pairs = [("load", conn, lambda: conn.fetch(LOAD, source, keys, list(paths))),
                     ("bare", bare, lambda: e2e.any_batching(ctx, source, t, keys))]
            if i % 2:
                pairs.reverse()
            got = {}
            for name, c, fn in pairs:
                got[name] = await timed(c, fn)
            if i:
                acc[db][0].append(got["bare"])
                acc[db][1].append(got["load"])
    for db, (bare, load) in acc.items():
        line(f"{workload:<7} {db:<12} N={N:<6} bare/load", bare, load)


async def batch_rounds(conns, pool):
    """R one-key requests against one request of R keys, per function and database."""
    source, paths = e2e.PATHS["nested"]
    for fn in ("prefetch_batch", "load_batch"):
        sql = (f"SELECT count(*) FROM matrx_relations.{fn}($1::text::jsonb)" if fn == "load_batch" else
               f"SELECT jsonb_array_length(matrx_relations.{fn}($1::text::jsonb))")
        for r in RS:
            rng = random.Random(r)
            acc = {db: ([], []) for db in conns}
            for i in range(RUNS + 1):
                keys = (random.Random(1) if SAME else rng).sample(pool["orders"], r)
                one = json.dumps([{"source": source, "keys": keys, "relations": list(paths)}])
                many = json.dumps([{"source": source, "keys": [k], "relations": list(paths)} for k in keys])
                order = list(conns.items())
                for db, conn in order[i % len(order):] + order[:i % len(order)]:
                    pairs = [(0, one), (1, many)]
                    if i % 2:
                        pairs.reverse()
                    for k, reqs in pairs:
                        got = await timed(conn, lambda: conn.fetchval(sql, reqs))
                        if i:
                            acc[db][k].append(got)
            for db, (a, b) in acc.items():
                line(f"{fn:<14} {db:<12} R={r:<6} one/R requests", a, b)


async def main():
    """Every workload, every database, interleaved."""
    kw = dict(host=os.environ.get("PGHOST", "127.0.0.1"), port=int(os.environ.get("PGPORT", "5432")),
              user=os.environ.get("PGUSER", "postgres"))
    conns = {db: await asyncpg.connect(database=db, **kw) for db in DBS}
    for db, c in conns.items():
        PIDS[id(c)] = await c.fetchval("SELECT pg_backend_pid()")
        if OWN:
            b = BARE[id(c)] = await asyncpg.connect(database=db, **kw)
            PIDS[id(b)] = await b.fetchval("SELECT pg_backend_pid()")
    first = next(iter(conns.values()))
    pool = {t: [r[0] for r in await first.fetch(f"SELECT id FROM {t} ORDER BY id")]
            for t in ("orders", "customers", "products")}
    print(f"serverbench: {RUNS} runs, medians; databases {', '.join(DBS)}", flush=True)
    for w in WORKLOADS:
        if w == "batch":
            await batch_rounds(conns, pool)
        else:
            await typed_rounds(conns, w, pool)
    for c in conns.values():
        if id(c) in BARE:
            await BARE[id(c)].close()
        await c.close()


if __name__ == "__main__":
    asyncio.run(main())
