"""load(): relation kinds, composite keys, nested paths, aliases, spec options,
instances, factories, identity, errors (asyncpg)."""

import asyncio
import json

import pytest

import matrx_relations as mx

from conftest import count_statements


async def plain(conn, sql, *args):
    """Rows of sql as dicts (what the driver returns for the columns)."""
    return [dict(r) for r in await conn.fetch(sql, *args)]


async def test_fk_ifk_m2m_nested(conn):
    got = await mx.load(conn, "orders", [101, 102, 104], "customer", "items.product.tags")
    assert [o["id"] for o in got] == [101, 102, 104]
    for o in got:
        want = (await plain(conn, "SELECT * FROM orders WHERE id = $1", o["id"]))[0]
        assert {k: o[k] for k in want} == want
        assert o["customer"] == (await plain(conn, "SELECT * FROM customers WHERE id = $1", o["customer_id"]))[0]
        items = await plain(conn, "SELECT * FROM items WHERE order_id = $1 ORDER BY id", o["id"])
        assert [{k: i[k] for k in items[0]} for i in o["items"]] == items
        for i in o["items"]:
            assert i["product"]["id"] == i["product_id"]
            tags = await plain(conn, "SELECT t.* FROM tags t JOIN product_tags pt ON pt.tag_id = t.id "
                                     "WHERE pt.product_id = $1 ORDER BY t.id", i["product_id"])
            assert i["product"]["tags"] == tags


async def test_one_object_per_distinct_row(conn):
    got = await mx.load(conn, "orders", [101, 102], "customer", "items.product")
    assert got[0]["customer"] is got[1]["customer"]          # both orders of customer 1
    notebooks = [i["product"] for o in got for i in o["items"] if i["product_id"] == 1]
    assert len(notebooks) == 2 and notebooks[0] is notebooks[1]


async def test_keys_order_duplicates_missing(conn):
    got = await mx.load(conn, "orders", [104, 101, 104, 999999, None], "customer")
    assert [o["id"] for o in got] == [104, 101]
    assert await mx.load(conn, "orders", [], "customer") == []


async def test_fk_null_and_empty_lists(conn):
    got = await mx.load(conn, "orders", [104], "ship:shipping_address", "items")
    assert got[0]["ship"] is None and got[0]["shipping_address_id"] is None
    customers = await mx.load(conn, "customers", [3], "orders")
    assert customers[0]["orders"] == []


async def test_aliases_and_shared_prefix(conn):
    got = await mx.load(conn, "orders", [101], "buyer:customer", "lines:items.product", "lines:items.product.tags")
    o = got[0]
    assert "buyer" in o and "customer" not in o
    assert all("tags" in line["product"] for line in o["lines"])


async def test_composite_keys(conn):
    stores = await mx.load(conn, "stores", [1, 2, 4], "region:stores_country_region_code_fkey")
    assert stores[0]["region"] == {"country": "GB", "code": "ENG", "name": "England"}
    assert stores[2]["region"] is None
    regions = await mx.load(conn, "regions", [{"country": "GB", "code": "ENG"}, {"country": "US", "code": "NY"},
                                               {"country": "US", "code": "WA"}], "stores", "tags")
    assert [s["id"] for s in regions[0]["stores"]] == [1]
    assert [t["id"] for t in regions[0]["tags"]] == [1, 2]
    assert [t["id"] for t in regions[1]["tags"]] == [2]
    assert regions[2]["stores"] == [] and regions[2]["tags"] == []


async def test_self_reference(conn):
    got = await mx.load(conn, "employees", [4], "manager.manager")
    assert got[0]["manager"]["name"] == "Dennis"
    assert got[0]["manager"]["manager"]["name"] == "Margaret"


async def test_instances_in(conn):
    rows = await plain(conn, "SELECT * FROM orders WHERE id IN (101, 103) ORDER BY id")
    dup = rows + [rows[0]]
    out = await mx.load(conn, "orders", dup, "customer", "items")
    assert out is not dup and out == dup and out[2] is rows[0]
    assert rows[0]["customer"]["id"] == 1 and len(rows[0]["items"]) == 2   # attached once, not twice
    assert [i["id"] for i in rows[1]["items"]] == [5]


async def test_instances_objects(conn):
    class Order:
        def __init__(self, **kw):
            self.__dict__.update(kw)
    objs = [Order(**r) for r in await plain(conn, "SELECT * FROM orders WHERE id IN (101, 104) ORDER BY id")]
    await mx.load(conn, "orders", objs, "customer", "ship:shipping_address")
    assert objs[0].customer["id"] == 1 and objs[1].ship is None


async def test_factory_classes(conn):
    class Customer:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    class Order(Customer):
        pass
    got = await mx.load(conn, "orders", [101, 102], "customer", factory={"orders": Order, "customers": Customer})
    assert isinstance(got[0], Order) and isinstance(got[0].customer, Customer)
    assert got[0].customer is got[1].customer
    # the same tables schema-qualified (as a model layer names them), on a
    # search_path where regclass writes them bare
    got = await mx.load(conn, "orders", [101, 102], "customer",
                        factory={"public.orders": Order, "public.customers": Customer})
    assert isinstance(got[0], Order) and isinstance(got[0].customer, Customer)
    made = []

    def factory(target, fields):
        made.append(target)
        return fields
    await mx.load(conn, "orders", [101], "items", factory=factory)
    assert made == ["orders", "items", "items"]


async def test_spec_options(conn):
    spec = {"customer": {"columns": ["name"]},
            "items": {"order_by": ["qty desc"], "limit": 1, "where": {"qty": {"gte": 1}},
                      "include": {"product": {"columns": ["id", "price"]}}}}
    got = await mx.load(conn, "orders", [101, 102], spec)
    assert got[0]["customer"] == {"name": "Ada Lovelace"}
    assert [i["id"] for i in got[0]["items"]] == [1]     # qty 2 before qty 1, one per order
    assert [i["id"] for i in got[1]["items"]] == [3]
    assert set(got[1]["items"][0]["product"]) == {"id", "price"}
    # keyword form, and a where that filters out an fk target
    got = await mx.load(conn, "orders", [101], spec={"customer": {"where": {"name": "nobody"}}})
    assert got[0]["customer"] is None


async def test_spec_instances(conn):
    rows = await plain(conn, "SELECT * FROM customers WHERE id IN (1, 2) ORDER BY id")
    await mx.load(conn, "customers", rows, {"latest": {"relation": "orders", "order_by": ["id desc"], "limit": 1}})
    assert [o["id"] for o in rows[0]["latest"]] == [102]


async def test_statement_counts(conn):
    await mx.load(conn, "orders", [101], "customer", "items.product.tags")       # metadata cached
    await conn.execute("SELECT pg_stat_statements_reset()")
    await mx.load(conn, "orders", [101, 102, 103], "customer", "items.product.tags")
    top, nested = await count_statements(conn)
    assert (top, nested) == (1, 5)        # one call; orders + one statement per edge group


async def test_one_round_trip_per_load(counted):
    # after the first load of a shape: no catalog lookup, no re-prepare, one
    # round trip per call (asyncpg's statement cache holds the load statement)
    conn, counter = counted
    await mx.load(conn, "orders", [101], "customer", "items.product.tags")
    await mx.load(conn, "customers", [1], "orders")
    counter.turns = 0
    for keys in ([101, 102], [103], [104, 101]):
        await mx.load(conn, "orders", keys, "customer", "items.product.tags")
    await mx.load(conn, "customers", [1, 2], "orders")
    assert counter.turns == 4
    loader = mx.DataLoader(conn)
    # a tick of one request of one level reads load_batch_flat, one of
    # several requests load_batch: each statement is prepared once
    await loader.load("orders", 101, "customer")
    await asyncio.gather(loader.load("orders", 101, "customer"), loader.load("customers", 1, "orders"))
    counter.turns = 0
    await asyncio.gather(*(loader.load("orders", k, "customer") for k in (101, 102, 103)))
    await asyncio.gather(loader.load("orders", 104, "customer"), loader.load("customers", 1, "orders"))
    assert counter.turns == 2 and loader.calls == 4


async def test_errors(conn):
    with pytest.raises(mx.UnknownRelation) as e:
        await mx.load(conn, "orders", [101], "nope")
    assert e.value.sqlstate == "42704" and e.value.hint
    with pytest.raises(mx.InvalidArgument):
        await mx.load(conn, "orders", [101], "customer..x")
    with pytest.raises(mx.UndefinedTable):
        await mx.load(conn, "no_such_table", [1], "x")
    with pytest.raises(mx.KeysFormUnsupported):
        await mx.load(conn, "product_tags", [1], "product")
    with pytest.raises(mx.UndefinedColumn):
        await mx.load(conn, "orders", [101], {"customer": {"columns": ["nope"]}})
    with pytest.raises(mx.InvalidArgument):
        await mx.load(conn, "orders", [{"id": 101}], "customer")     # customer_id missing
    with pytest.raises(mx.DuplicateOutputKey):
        await mx.load(conn, "orders", [101], "total:customer")
    with pytest.raises(mx.InvalidKeyValue):
        await mx.load(conn, "orders", [{"customer_id": "x"}], "customer")
    with pytest.raises(mx.UndefinedFunction) as e:                     # integer has no like
        await mx.load(conn, "orders", [101], {"customer": {"where": {"id": {"like": "1%"}}}})
    assert e.value.sqlstate == "42883" and isinstance(e.value, TypeError)
    import asyncpg
    other = await asyncpg.connect()
    try:
        await mx.load(conn, "orders", [101], "customer")                 # metadata cached
        async with other.transaction():
            await other.execute("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(mx.QueryCanceled):
                async with conn.transaction():
                    await conn.execute("SET LOCAL statement_timeout = '200ms'")
                    await mx.load(conn, "orders", [101], "customer")
    finally:
        await other.close()
    with pytest.raises(TypeError):
        await mx.load(conn, "orders", await conn.fetch("SELECT * FROM orders LIMIT 1"), "customer")
    assert issubclass(mx.UnknownRelation, LookupError) and issubclass(mx.InvalidArgument, ValueError)


async def test_privileges(conn):
    await conn.execute("DROP ROLE IF EXISTS mx_client_nopriv; CREATE ROLE mx_client_nopriv")
    try:
        await conn.execute("GRANT SELECT ON orders TO mx_client_nopriv; GRANT USAGE ON SCHEMA matrx_relations TO mx_client_nopriv")
        async with conn.transaction():
            await conn.execute("SET LOCAL ROLE mx_client_nopriv")
            with pytest.raises(mx.InsufficientPrivilege):
                await mx.load(conn, "orders", [101], "customer")
    finally:
        await conn.execute("REVOKE ALL ON orders FROM mx_client_nopriv; "
                           "REVOKE ALL ON SCHEMA matrx_relations FROM mx_client_nopriv; DROP ROLE mx_client_nopriv")


async def test_transaction_sees_own_rows(conn):
    tr = conn.transaction()
    await tr.start()
    try:
        await conn.execute("INSERT INTO customers VALUES (9001, 'in tx'); INSERT INTO orders VALUES (9001, 9001, 1, NULL, 1)")
        got = await mx.load(conn, "orders", [9001], "customer")
        assert got[0]["customer"]["name"] == "in tx"
    finally:
        await tr.rollback()
    assert await mx.load(conn, "orders", [9001], "customer") == []


async def test_stale_metadata_is_refreshed(conn):
    await conn.execute("CREATE TABLE mx_tmp_parent (id int PRIMARY KEY); "
                       "CREATE TABLE mx_tmp_child (id int PRIMARY KEY, parent_id int REFERENCES mx_tmp_parent); "
                       "INSERT INTO mx_tmp_parent VALUES (1); INSERT INTO mx_tmp_child VALUES (1, 1)")
    try:
        got = await mx.load(conn, "mx_tmp_parent", [1], "mx_tmp_child")
        assert got[0]["mx_tmp_child"] == [{"id": 1, "parent_id": 1}]
        await conn.execute("ALTER TABLE mx_tmp_child ADD COLUMN extra text DEFAULT 'x'")
        got = await mx.load(conn, "mx_tmp_parent", [1], "mx_tmp_child")
        assert got[0]["mx_tmp_child"] == [{"id": 1, "parent_id": 1, "extra": "x"}]
        # narrower rows, at the source node and below, through load and the DataLoader
        await conn.execute("ALTER TABLE mx_tmp_child DROP COLUMN extra; ALTER TABLE mx_tmp_parent ADD COLUMN n int DEFAULT 7")
        got = await mx.load(conn, "mx_tmp_parent", [1], "mx_tmp_child")
        assert got == [{"id": 1, "n": 7, "mx_tmp_child": [{"id": 1, "parent_id": 1}]}]
        await conn.execute("ALTER TABLE mx_tmp_parent DROP COLUMN n")
        got = await mx.DataLoader(conn).load("mx_tmp_parent", 1, "mx_tmp_child")
        assert got == {"id": 1, "mx_tmp_child": [{"id": 1, "parent_id": 1}]}
    finally:
        await conn.execute("DROP TABLE mx_tmp_child, mx_tmp_parent")


async def test_dict_assembly_equals_general(conn):
    # the one-pass dict assembly and the factory path build the same graph:
    # same values, same sharing, instances with repeats, every relation kind
    def ident(target, fields):
        return fields

    def shape(objs):
        ids = {}
        def walk(o):
            if isinstance(o, list):
                return [walk(x) for x in o]
            if not isinstance(o, dict):
                return o
            if id(o) in ids:                      # seen (shared, or a cycle)
                return {"#": ids[id(o)]}
            ids[id(o)] = len(ids)
            return {"#": ids[id(o)], **{f: walk(v) for f, v in o.items()}}
        return json.dumps(walk(objs), default=str, sort_keys=True)
    paths = ("customer", "items.product.tags", "buyer:customer.orders")
    keys = [104, 101, 102, 104, 999]
    assert shape(await mx.load(conn, "orders", keys, *paths)) == shape(await mx.load(conn, "orders", keys, *paths, factory=ident))
    rows = [dict(r) for r in await conn.fetch("SELECT * FROM orders WHERE id IN (101, 102) ORDER BY id")]
    a = [dict(r) for r in rows] + [None]
    a[2] = a[0]                                   # one object twice: linked once
    b = [dict(r) for r in rows] + [None]
    b[2] = b[0]
    assert shape(await mx.load(conn, "orders", a, *paths)) == shape(await mx.load(conn, "orders", b, *paths, factory=ident))


async def test_pool_connection(conn):
    import asyncpg
    pool = await asyncpg.create_pool(min_size=1, max_size=2)
    try:
        async with pool.acquire() as c:
            got = await mx.load(c, "orders", [101], "customer")
            assert got[0]["customer"]["id"] == 1
    finally:
        await pool.close()


async def test_psycopg(pconn, conn):
    got = await mx.load(pconn, "orders", [101, 102], "customer", "items.product.tags")
    want = await mx.load(conn, "orders", [101, 102], "customer", "items.product.tags")
    assert json.dumps(got, default=str, sort_keys=True) == json.dumps(want, default=str, sort_keys=True)
    with pytest.raises(mx.UnknownRelation):
        await mx.load(pconn, "orders", [101], "nope")


async def test_ifk_leaf_rows_sent_twice(conn):
    """An ifk leaf is taken to send each of its rows once (the assembly does not
    remember them by id); when its source columns are not unique, two parents
    of one key link the same rows and they come twice: the assembly redoes the
    load remembering every row. The result is what plain SQL gives."""
    from matrx_relations import _client
    tr = conn.transaction()
    await tr.start()
    try:
        await conn.execute("CREATE TABLE twice_a (id int PRIMARY KEY, grp int)")
        await conn.execute("CREATE TABLE twice_b (id int PRIMARY KEY, grp int, label text)")
        await conn.execute("INSERT INTO twice_a VALUES (1, 10), (2, 10), (3, 20), (4, NULL)")
        await conn.execute("INSERT INTO twice_b VALUES (100, 10, 'x'), (101, 10, 'y'), (102, 20, 'z')")
        await conn.execute("SELECT matrx_relations.register_relation('twice_a', 'peers', 'twice_b', '{grp}', '{grp}')")
        got = await mx.load(conn, "twice_a", [1, 2, 3, 4], "peers")
        assert [a["id"] for a in got] == [1, 2, 3, 4]
        for a in got:
            assert a["peers"] == await plain(conn, "SELECT * FROM twice_b WHERE grp = $1 ORDER BY id", a["grp"])
        assert got[0]["peers"][0] is got[1]["peers"][0]        # one object per distinct row
        plan = _client._meta(conn).plans[_client._plan_key("twice_a", ("peers",), None)]
        assert plan.nodes[1].kind == "ifk" and not plan.nodes[1].once   # taken once, then redone
        assert not plan.stream                                   # one level: load_flat
    finally:
        await tr.rollback()
