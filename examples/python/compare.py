"""N+1 against one call, from an async ORM's point of view.

Runs on the demo schema (test/demo/00-setup.sql plus examples/data.sql) in
the database the PG* environment names. Loads every order with its customer
and its items' products' tags five ways, checks that all five give equal
objects, and asserts how many statements each sent: the client's own count,
and pg_stat_statements' count of top-level statements (what reached the
server) and of statements run inside the extension's functions.
Exits non-zero on any failed check.
"""

import asyncio
import statistics
import sys
import time

from matrx_orm import DataLoader, Model, Session

PATHS = ("customer", "items.product.tags")
REPEAT = 5
ORDER_IDS = []
failures = 0


class Customer(Model):
    table = "public.customers"


class Order(Model):
    table = "public.orders"


class Item(Model):
    table = "public.items"


class Product(Model):
    table = "public.products"


class Tag(Model):
    table = "public.tags"


class Profile(Model):
    table = "public.customer_profiles"


def check(ok, what):
    """A TAP line; a failure makes the script exit non-zero."""
    global failures
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failures += 1


async def n_plus_1(s):
    """What lazy ORM code does: one load per object and relation."""
    orders = await s.all(Order)
    for order in orders:
        await s.fetch_fk(order, "customer")
        await s.fetch_ifk(order, "items")
        for item in order.items:
            await s.fetch_fk(item, "product")
            await s.fetch_m2m(item.product, "tags")
    return orders


async def per_relation(s):
    """Client-side batching: one typed-rows statement per relation."""
    orders = await s.all(Order)
    await s.fetch_fk(orders, "customer")
    await s.fetch_ifk(orders, "items")
    items = [i for o in orders for i in o.items]
    await s.fetch_fk(items, "product")
    await s.fetch_m2m([i.product for i in items], "tags")
    return orders


async def prefetch(s):
    """The objects held, then every relation in one call (instances form)."""
    orders = await s.all(Order)
    return await s.prefetch_related(orders, *PATHS)


async def select_related(s):
    """Objects by key (known beforehand) and relations: exactly one statement."""
    return await s.select_related(Order, ORDER_IDS, *PATHS)


async def dataloader(s):
    """GraphQL-style resolvers: each asks for one relation of one object;
    the loader answers each event-loop tick's loads with one prefetch_batch."""
    loader = DataLoader(s)

    async def resolve_item(item):
        product = await loader.load(item, "product")
        await loader.load(product, "tags")

    async def resolve_order(order):
        _, items = await asyncio.gather(loader.load(order, "customer"), loader.load(order, "items"))
        await asyncio.gather(*(resolve_item(i) for i in items))

    orders = await s.all(Order)
    await asyncio.gather(*(resolve_order(o) for o in orders))
    s.loader_calls = loader.calls
    return orders


async def client_load(s):
    """The client library's typed form: orders by key with their relations, one statement."""
    return await s.load(Order, ORDER_IDS, *PATHS)


async def client_dataloader(s):
    """The same resolvers on the client library's DataLoader: one load_batch per tick."""
    loader = s.client_loader()

    async def resolve_item(item):
        await loader.load("public.items", item, "product")
        await loader.load("public.products", item.product, "tags")

    async def resolve_order(order):
        await loader.load(Order.table, order, "customer", "items")
        await asyncio.gather(*(resolve_item(i) for i in order.items))

    orders = await s.all(Order)
    await asyncio.gather(*(resolve_order(o) for o in orders))
    s.statements += loader.calls
    s.client_loader_calls = loader.calls
    return orders


async def server_counts(conn):
    """(top-level, nested) statements pg_stat_statements saw in this database."""
    row = await conn.fetchrow(
        """SELECT coalesce(sum(calls) FILTER (WHERE toplevel), 0)::bigint AS top,
                  coalesce(sum(calls) FILTER (WHERE NOT toplevel), 0)::bigint AS nested
           FROM pg_stat_statements
           WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND query NOT LIKE '%pg_stat_statements%'""")
    return row["top"], row["nested"]


async def measure(s, fn):
    """Statements of one run (client and server), then the median of REPEAT runs."""
    await fn(s)  # warm-up: metadata, asyncpg's type introspection, the backend's caches
    await s.conn.execute("SELECT pg_stat_statements_reset()")
    s.statements = 0
    result = await fn(s)
    client = s.statements
    top, nested = await server_counts(s.conn)
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        await fn(s)
        times.append((time.perf_counter() - t0) * 1000)
    return result, client, top, nested, statistics.median(times)


async def main():
    s = await Session.connect()
    try:
        n_orders = await s.conn.fetchval("SELECT count(*) FROM orders")
        n_items = await s.conn.fetchval("SELECT count(*) FROM items")
        ORDER_IDS.extend(await s.conn.fetchval("SELECT array_agg(id ORDER BY id) FROM orders"))
        print(f"# {n_orders} orders, {n_items} items; paths {', '.join(PATHS)}")
        runs = {}
        for name, fn in [("N+1 (fetch_fk/ifk/m2m per object)", n_plus_1),
                         ("one statement per relation (fetch_* on lists)", per_relation),
                         ("prefetch_related(instances, ...)", prefetch),
                         ("select_related(Order, keys, ...)", select_related),
                         ("DataLoader (prefetch_batch per tick)", dataloader),
                         ("clients/python load(conn, orders, keys, ...)", client_load),
                         ("clients/python DataLoader (load_batch per tick)", client_dataloader)]:
            runs[fn.__name__] = await measure(s, fn)
            _, client, top, nested, ms = runs[fn.__name__]
            print(f"# {name:48s} client {client:5d}  server top-level {top:5d} + nested {nested:5d}"
                  f"  {ms:8.2f} ms")

        # statements: the orders load counts 1 wherever the orders are loaded first
        expected = {
            "n_plus_1": (1 + 2 * n_orders + 2 * n_items, 2 * n_orders + 2 * n_items),
            "per_relation": (1 + 4, 4),
            "prefetch": (1 + 1, 4),          # one call: customers, items, products, tags
            "select_related": (1, 1),        # one call, one statement inside
            "dataloader": (1 + 3, 4),        # one call per tick: (customer, items), product, tags
            "client_load": (1, 5),           # one call: orders, customers, items, products, tags
            "client_dataloader": (1 + 3, 4),
        }
        for key, (client_want, nested_want) in expected.items():
            _, client, top, nested, _ = runs[key]
            check(client == client_want and top == client_want,
                  f"{key}: {client_want} statements sent (client {client}, server {top})")
            check(nested == nested_want,
                  f"{key}: {nested_want} statements inside the extension (server {nested})")
        check(s.loader_calls == 3, f"dataloader: 3 ticks, 3 prefetch_batch calls ({s.loader_calls})")
        check(s.client_loader_calls == 3,
              f"client_dataloader: 3 ticks, 3 load_batch calls ({s.client_loader_calls})")

        reference = [o.to_dict() for o in runs["n_plus_1"][0]]
        for key in expected:
            got = [o.to_dict() for o in runs[key][0]]
            check(got == reference, f"{key}: the same objects as N+1")

        # the mapping itself: fk -> object or None, to-many -> list in key order
        orders = await s.prefetch_related(await s.all(Order), "customer", "ship:shipping_address", "items")
        check(all(isinstance(o.customer, Customer) for o in orders), "fk -> an object")
        check(any(o.ship is None for o in orders) and
              all(o.ship is None for o in orders if o.shipping_address_id is None),
              "fk with a NULL key -> None")
        check(all(isinstance(o.items, list) and [i.id for i in o.items] == sorted(i.id for i in o.items)
                  for o in orders), "ifk -> a list ordered by the target's primary key")
        customers = await s.prefetch_related(await s.all(Customer), "orders")
        check(any(c.orders == [] for c in customers), "ifk without children -> []")
        # one-to-one (customers -> customer_profiles, the FK is the profile's
        # primary key): an object or None in every form, never a list
        profiles = {c.id: c.profile for c in await s.prefetch_related(await s.all(Customer),
                                                                      "profile:customer_profiles")}
        check(all(isinstance(p, Profile) and p.customer_id == k if k % 2 == 0 else p is None
                  for k, p in profiles.items()), "one-to-one ifk -> an object or None")
        plain_of = lambda m: {k: v.to_dict() if v is not None else None for k, v in m.items()}  # noqa: E731
        held = await s.all(Customer)
        await s.fetch_ifk(held, "customer_profiles")
        check(plain_of({c.id: c.customer_profiles for c in held}) == plain_of(profiles),
              "one-to-one ifk: fetch_ifk gives the same object or None")
        loaded = await s.load(Customer, sorted(profiles), "profile:customer_profiles")
        check(plain_of({c.id: c.profile for c in loaded}) == plain_of(profiles),
              "one-to-one ifk: the client library's load gives the same object or None")
        dup = await s.prefetch_related([orders[0], orders[1], orders[0]], "customer")
        check(len(dup) == 3 and dup[0] is dup[2], "instances kept as given, duplicates included")

        # one tick of loads from three tables: one prefetch_batch call, and
        # the values fetch_fk/ifk/m2m give fresh copies of the same objects
        async def five():
            return ((await s.all(Order))[:5], (await s.all(Customer))[:5], (await s.all(Product))[:5])
        o5, c5, p5 = await five()
        loader, s.statements = DataLoader(s), 0
        got = await asyncio.gather(*(loader.load(o, "customer") for o in o5),
                                   *(loader.load(c, "orders") for c in c5),
                                   *(loader.load(p, "tags") for p in p5))
        check(loader.calls == 1 and s.statements == 1,
              f"one tick, three tables: 1 prefetch_batch call ({loader.calls}, {s.statements} statements)")
        o5, c5, p5 = await five()
        await s.fetch_fk(o5, "customer")
        await s.fetch_ifk(c5, "orders")
        await s.fetch_m2m(p5, "tags")
        want = [o.customer for o in o5] + [c.orders for c in c5] + [p.tags for p in p5]
        plain = lambda v: [x.to_dict() for x in v] if isinstance(v, list) else v.to_dict()  # noqa: E731
        check([plain(v) for v in got] == [plain(v) for v in want],
              "one tick, three tables: the values fetch_fk/ifk/m2m give")
    finally:
        await s.close()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    asyncio.run(main())
