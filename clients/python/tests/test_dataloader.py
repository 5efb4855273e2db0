"""DataLoader: every load of one event-loop tick in one load_batch call
(counted by the loader and by pg_stat_statements), keys and instances,
several sources, transactions, errors."""

import asyncio

import pytest

import matrx_relations as mx

from conftest import count_statements


async def test_one_call_per_tick(conn):
    loader = mx.DataLoader(conn)
    await loader.load("orders", 101, "customer")               # metadata cached
    await conn.execute("SELECT pg_stat_statements_reset()")
    loader.calls = 0
    ids = [r["id"] for r in await conn.fetch("SELECT id FROM orders ORDER BY id")]
    got = await asyncio.gather(*(loader.load("orders", i, "customer") for i in ids))
    assert loader.calls == 1
    top, _ = await count_statements(conn)
    assert top == 2                   # the ids query and one load_batch
    assert [o["id"] for o in got] == ids
    assert all(o["customer"]["id"] == o["customer_id"] for o in got)


async def test_one_level_tick_equals_load(conn):
    # a tick of one one-level request reads load_batch_flat: the same objects
    # as load() for keys (with repeats and a missing one), a spec's columns,
    # and an m2m, whose shared tags stay one object per row
    ids = [r["id"] for r in await conn.fetch("SELECT id FROM orders ORDER BY id")]
    spec = {"customer": {"columns": ["name"]}, "items": {"order_by": ["id desc"]}}
    for source, keys, rel in (("orders", ids + ids[:2] + [999999], ("customer",)),
                              ("orders", ids, (spec,)),
                              ("products", [r["id"] for r in await conn.fetch("SELECT id FROM products")], ("tags",))):
        loader = mx.DataLoader(conn)
        got = await asyncio.gather(*(loader.load(source, k, *rel) for k in keys))
        assert loader.calls == 1
        want = {o["id"]: o for o in await mx.load(conn, source, keys, *rel)}
        assert got == [want.get(k) for k in keys]
        if source == "products":
            tags = [t for p in got for t in p["tags"]]
            assert len({id(t) for t in tags}) == len({t["id"] for t in tags})


async def test_keys_as_text_and_missing(conn):
    # a key given as its text finds the same object; absent keys get None
    loader = mx.DataLoader(conn)
    a, b, c, d = await asyncio.gather(loader.load("orders", 101, "customer"), loader.load("orders", "101", "customer"),
                                      loader.load("orders", 999999, "customer"), loader.load("orders", None, "customer"))
    assert a["id"] == 101 and b is a
    assert c is None and d is None


async def test_resolvers_three_ticks(conn):
    """GraphQL-style resolvers: one level per tick, one call per level."""
    loader = mx.DataLoader(conn)
    orders = [dict(r) for r in await conn.fetch("SELECT * FROM orders ORDER BY id")]

    async def resolve_item(item):
        await loader.load("items", item, "product")
        await loader.load("products", item["product"], "tags")

    async def resolve_order(order):
        await loader.load("orders", order, "customer", "items")
        await asyncio.gather(*(resolve_item(i) for i in order["items"]))

    await asyncio.gather(*(resolve_order(o) for o in orders))
    assert loader.calls == 3
    want = await mx.load(conn, "orders", [o["id"] for o in orders], "customer", "items.product.tags")
    strip = lambda o: {**o, "customer": dict(o["customer"]), "items": [  # noqa: E731
        {**i, "product": {**i["product"], "tags": list(i["product"]["tags"])}} for i in o["items"]]}
    assert [strip(o) for o in orders] == [strip(o) for o in want]


async def test_many_sources_one_call(conn):
    loader = mx.DataLoader(conn)
    got = await asyncio.gather(
        loader.load("orders", 101, "customer"), loader.load("orders", 102, "customer"),
        loader.load("customers", 1, "orders"), loader.load("products", 1, "tags"),
        loader.load("orders", {"id": 103, "customer_id": 2}, "items"),
        loader.load("orders", 999999, "customer"),
        loader.load("orders", 103, {"customer": {"columns": ["name"]}}))
    assert loader.calls == 1
    o101, o102, c1, p1, inst, missing, spec = got
    assert o101["customer"] is o102["customer"]          # one object per row in the call
    assert [o["id"] for o in c1["orders"]] == [101, 102]
    assert c1["orders"][0] is o101
    assert [t["id"] for t in p1["tags"]] == [1, 3]
    assert [i["id"] for i in inst["items"]] == [5]
    assert missing is None
    assert spec["customer"] == {"name": "Alan Turing"}       # a spec's columns: its own objects


async def test_inside_transaction(conn):
    """The loader's call runs in the connection's open transaction: it sees its uncommitted rows."""
    loader = mx.DataLoader(conn)
    tr = conn.transaction()
    await tr.start()
    try:
        await conn.execute("INSERT INTO customers VALUES (9002, 'tx'); INSERT INTO orders VALUES (9002, 9002, 1, NULL, 1)")
        a, b = await asyncio.gather(loader.load("orders", 9002, "customer"), loader.load("customers", 9002, "orders"))
        assert loader.calls == 1
        assert a["customer"]["name"] == "tx" and b["orders"][0] is a
    finally:
        await tr.rollback()
    assert await loader.load("orders", 9002, "customer") is None


async def test_calls_never_overlap(conn):
    """Loads of consecutive ticks on one connection wait for each other (asyncpg refuses overlap)."""
    loader = mx.DataLoader(conn)

    async def later(i):
        for _ in range(i):
            await asyncio.sleep(0)
        return await loader.load("orders", 101 + i % 4, "customer", "items.product.tags")

    got = await asyncio.gather(*(later(i) for i in range(6)))
    assert all(o["customer"] is not None for o in got)
    assert loader.calls >= 2


async def test_errors_reach_every_waiter(conn):
    loader = mx.DataLoader(conn)
    results = await asyncio.gather(loader.load("orders", 101, "nope"), loader.load("orders", 102, "customer"),
                                   return_exceptions=True)
    assert all(isinstance(r, mx.UnknownRelation) for r in results)
    assert (await loader.load("orders", 101, "customer"))["customer"]["id"] == 1   # usable afterwards


async def test_psycopg_dataloader(pconn):
    loader = mx.DataLoader(pconn)
    a, b = await asyncio.gather(loader.load("orders", 101, "customer"), loader.load("customers", 2, "orders"))
    assert loader.calls == 1 and a["customer"]["id"] == 1 and [o["id"] for o in b["orders"]] == [103, 104]
    # one request of one level: load_batch_flat, read by psycopg too
    got = await asyncio.gather(*(loader.load("customers", k, "orders") for k in (1, 2, 999)))
    assert loader.calls == 2 and got[2] is None
    assert got[:2] == await mx.load(pconn, "customers", [1, 2], "orders")
