"""What the other test files leave out: a relation registered to a view
(keyless target rows, the instances form from a view), the remaining
SQLSTATEs (42P09 and 42809 from real loads; every mapped SQLSTATE as the
server raises it, with detail and hint, through both drivers), and the
DataLoader's one call per tick with keys and rows of several shapes mixed,
counted on the wire."""

import asyncio

import pytest

import matrx_relations as mx
from matrx_relations import errors
from matrx_relations._drivers import driver_for


async def plain(conn, sql, *args):
    """Rows of sql as dicts."""
    return [dict(r) for r in await conn.fetch(sql, *args)]


@pytest.fixture
async def view_relations(conn):
    """A view of orders, registered as customers' "big_orders" (ifk) and as
    the view's "customer" (fk); dropped afterwards."""
    await conn.execute("""
        CREATE VIEW mx_big_orders AS SELECT id, customer_id, total FROM orders WHERE total >= 20;
        SELECT matrx_relations.register_relation('customers', 'big_orders', 'mx_big_orders',
                                                 ARRAY['id'], ARRAY['customer_id']);
        SELECT matrx_relations.register_relation('mx_big_orders', 'customer', 'customers',
                                                 ARRAY['customer_id'], ARRAY['id'])""")
    try:
        yield
    finally:
        await conn.execute("""
            SELECT matrx_relations.unregister_relation('customers', 'big_orders');
            SELECT matrx_relations.unregister_relation('mx_big_orders', 'customer');
            DROP VIEW mx_big_orders""")
        mx.forget(conn)


async def test_registered_relation_to_a_view(conn, view_relations):
    customers = await mx.load(conn, "customers", [1, 2, 3], "big_orders")
    for c in customers:
        want = await plain(conn, "SELECT * FROM mx_big_orders WHERE customer_id = $1 ORDER BY id", c["id"])
        assert sorted(c["big_orders"], key=lambda o: o["id"]) == want
    assert any(c["big_orders"] for c in customers) and customers[2]["big_orders"] == []
    # the view as the source: no primary key, so the caller's rows (instances form)
    rows = await plain(conn, "SELECT * FROM mx_big_orders ORDER BY id")
    await mx.load(conn, "mx_big_orders", rows, "customer")
    for r in rows:
        assert r["customer"] == (await plain(conn, "SELECT * FROM customers WHERE id = $1", r["customer_id"]))[0]
    with pytest.raises(mx.KeysFormUnsupported):
        await mx.load(conn, "mx_big_orders", [101], "customer")
    # and through the DataLoader, both forms in one call
    loader = mx.DataLoader(conn)
    c1, r0 = await asyncio.gather(loader.load("customers", 1, "big_orders"),
                                  loader.load("mx_big_orders", dict(rows[0]), "customer"))
    assert loader.calls == 1
    assert c1["big_orders"] == [o for o in customers[0]["big_orders"]]
    assert r0["customer"]["id"] == rows[0]["customer_id"]


async def test_ambiguous_and_wrong_object(conn):
    await conn.execute("""
        CREATE TABLE mx_zp (id int PRIMARY KEY); CREATE TABLE mx_zt (id int PRIMARY KEY);
        CREATE TABLE mx_zj1 (p_id int REFERENCES mx_zp, t_id int REFERENCES mx_zt, PRIMARY KEY (p_id, t_id));
        CREATE TABLE mx_zj2 (p_id int REFERENCES mx_zp, t_id int REFERENCES mx_zt, PRIMARY KEY (p_id, t_id))""")
    try:
        with pytest.raises(mx.AmbiguousRelation) as e:          # two junctions: two m2m named mx_zt
            await mx.load(conn, "mx_zp", [1], "mx_zt")
        assert e.value.sqlstate == "42P09" and "mx_zj1" in e.value.detail and "mx_zj2" in e.value.detail
        assert e.value.hint and isinstance(e.value, LookupError)
        loader = mx.DataLoader(conn)
        got = await asyncio.gather(loader.load("mx_zp", 1, "mx_zt"), return_exceptions=True)
        assert isinstance(got[0], mx.AmbiguousRelation)
    finally:
        await conn.execute("DROP TABLE mx_zj1, mx_zj2, mx_zp, mx_zt")
        mx.forget(conn)
    with pytest.raises(mx.WrongObjectType) as e:                 # an index as the source
        await mx.load(conn, "orders_pkey", [1], "customer")
    assert e.value.sqlstate == "42809" and isinstance(e.value, TypeError)


RAISE = """CREATE FUNCTION pg_temp.mx_raise(code text) RETURNS int LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'raised %', code USING ERRCODE = code, DETAIL = 'the detail', HINT = 'the hint'; END $$"""


def every_code():
    """(SQLSTATE, class) for every SQLSTATE the client maps, and two other data exceptions."""
    return sorted(errors.BY_SQLSTATE.items()) + [("22003", mx.InvalidKeyValue), ("22007", mx.InvalidKeyValue)]


async def test_every_sqlstate_maps_asyncpg(conn):
    # what the server raises reaches the caller typed, message, detail and hint kept
    await conn.execute(RAISE)
    driver = driver_for(conn)
    for code, cls in every_code():
        with pytest.raises(cls) as e:
            await driver.fetch("SELECT pg_temp.mx_raise($1)", (code,))
        assert (e.value.sqlstate, e.value.message, e.value.detail, e.value.hint) == \
            (code, f"raised {code}", "the detail", "the hint")
        assert isinstance(e.value, mx.MatrxError) and e.value.__cause__ is not None
    # other SQLSTATEs pass through as the driver raised them
    import asyncpg
    with pytest.raises(asyncpg.exceptions.UniqueViolationError):
        await driver.fetch("SELECT pg_temp.mx_raise($1)", ("23505",))
    # 40001 too (a load whose tables' definitions kept changing): a retry loop catches it
    with pytest.raises(asyncpg.exceptions.SerializationError):
        await driver.fetch("SELECT pg_temp.mx_raise($1)", ("40001",))


async def test_every_sqlstate_maps_psycopg(pconn):
    await pconn.execute(RAISE)
    driver = driver_for(pconn)
    for code, cls in every_code():
        with pytest.raises(cls) as e:
            await driver.fetch("SELECT pg_temp.mx_raise($1)", (code,))
        assert (e.value.sqlstate, e.value.detail, e.value.hint) == (code, "the detail", "the hint")


async def test_dataloader_mixed_tick_one_round_trip(counted):
    # keys and rows, three sources, a spec, duplicates and a missing key in one
    # tick: one load_batch, one round trip on the wire
    conn, counter = counted
    loader = mx.DataLoader(conn)
    await asyncio.gather(loader.load("orders", 101, "customer"), loader.load("customers", 1, "orders"),
                         loader.load("orders", {"id": 101, "customer_id": 1}, "items"),
                         loader.load("products", 1, {"tags": {"columns": ["name"]}}))
    counter.turns = 0
    loader.calls = 0
    got = await asyncio.gather(
        loader.load("orders", 101, "customer"), loader.load("orders", 101, "customer"),
        loader.load("orders", 999999, "customer"), loader.load("customers", 1, "orders"),
        loader.load("orders", {"id": 102, "customer_id": 1}, "items"),
        loader.load("products", 1, {"tags": {"columns": ["name"]}}))
    assert counter.turns == 1 and loader.calls == 1
    a, b, missing, c1, inst, p1 = got
    assert a is b and missing is None and c1["orders"][0] is a and a["customer"] is c1
    assert [i["id"] for i in inst["items"]] == [3, 4]
    assert p1["tags"] == [{"name": t["name"]} for t in await plain(
        conn, "SELECT t.* FROM tags t JOIN product_tags pt ON pt.tag_id = t.id WHERE pt.product_id = 1 ORDER BY t.id")]


async def test_odd_column_names(conn):
    # names the generated dict maker must quote, values the record's text quotes
    want = await plain(conn, "SELECT * FROM odd_names ORDER BY id")
    got = [o for h in await mx.load(conn, "holders", [1, 2], "odd_names") for o in h["odd_names"]]
    assert got == want and [list(g) for g in got] == [list(w) for w in want]
    got = (await mx.load(conn, "holders", [1], {"odd_names": {"columns": ["q\"uote", "x,y"]}}))[0]["odd_names"]
    assert got == [{"q\"uote": w["q\"uote"], "x,y": w["x,y"]} for w in want if w["holder_id"] == 1]
