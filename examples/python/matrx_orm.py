"""A small asyncpg model layer on top of matrx_relations.

It has the relation API of an async ORM:

    orders = await session.all(Order)
    await session.fetch_fk(orders, "customer")          # one statement (typed rows)
    await session.fetch_ifk(customer, "orders")         # one statement
    await session.fetch_m2m(products, "tags")           # one statement
    await session.prefetch_related(orders, "customer", "items.product.tags")   # one call
    orders = await session.select_related(Order, [101, 102], "customer")       # one statement
    customer = await session.loader().load(order, "customer")   # DataLoader: one call per tick

Results map onto objects the way the extension shapes them: an fk (and a
one-to-one ifk: the view's cardinality 'one') becomes an object or None,
an ifk or m2m a list ([] when empty) ordered by the
target's primary key; nested paths nest the same way. Relation names,
kinds and key columns come from the view matrx_relations.relations.
"""

import asyncio
import json
import os
import sys
from decimal import Decimal

import asyncpg

try:
    import matrx_relations   # the client library, when pip-installed
except ImportError:          # else from this checkout
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
    import matrx_relations

_MODELS = {}


class Model:
    """A row as an object: its columns and the relations loaded onto it."""

    table = None  # schema-qualified, quoted as PostgreSQL prints it

    def __init_subclass__(cls, **kwargs):
        """Registers a subclass as its table's model."""
        super().__init_subclass__(**kwargs)
        if cls.table:
            _MODELS[cls.table] = cls

    def __init__(self, **columns):
        """An object with these columns and no relation loaded yet."""
        self.__dict__.update(columns)
        self._columns = tuple(columns)
        self._relations = []

    def attach(self, name, value):
        """Sets a loaded relation (an object, None or a list) as an attribute."""
        setattr(self, name, value)
        if name not in self._relations:
            self._relations.append(name)

    def to_dict(self):
        """Columns and loaded relations, recursively: what tests compare. A
        relation is any other public attribute: attach() sets them, and so
        does the client library (clients/python), which sets them directly."""
        out = {c: getattr(self, c) for c in self._columns}
        for name in [k for k in vars(self) if not k.startswith("_") and k not in self._columns]:
            value = getattr(self, name)
            if isinstance(value, list):
                out[name] = [v.to_dict() for v in value]
            else:
                out[name] = value.to_dict() if value is not None else None
        return out

    def __repr__(self):
        """Class and columns, for debugging."""
        cols = ", ".join(f"{c}={getattr(self, c)!r}" for c in self._columns)
        return f"{type(self).__name__}({cols})"


def model_for_regclass(name):
    """The model of a table as PostgreSQL prints a regclass (no schema when
    the search_path finds it): what the client library passes its factory."""
    for table, model in _MODELS.items():
        if table == name or table.split(".")[-1] == name:
            return model
    return model_for(name)


def model_factory(target, fields):
    """Model objects for the client library: (target as a regclass, columns)."""
    return model_for_regclass(target)(**fields)


def model_for(table):
    """The Model subclass of a table, or a generic one made on first use."""
    if table not in _MODELS:
        _MODELS[table] = type(table.replace(".", "_").replace('"', ""), (Model,), {"table": table})
    return _MODELS[table]


class Relation:
    """One row of matrx_relations.relations, with the target's model."""

    def __init__(self, row):
        """From a row of the view (target as a qualified name)."""
        self.name = row["name"]
        self.kind = row["kind"]
        # an fk, or an ifk whose FK columns are unique (one-to-one): an object or None
        self.to_one = row["cardinality"] == "one"
        self.target = model_for(row["target"])
        self.source_columns = list(row["source_columns"])
        self.constraint_name = row["constraint_name"]


class Edge:
    """A parsed path segment: output key, relation, and the edges below it."""

    def __init__(self, key, relation, children):
        """An output key, its Relation, and a dict of child Edges."""
        self.key, self.relation, self.children = key, relation, children


def _json_default(value):
    """Values JSON lacks go as text; the column's input function reads them."""
    return str(value)


def _decode_json(text):
    """jsonb numbers as Decimal, as asyncpg returns numeric columns."""
    return json.loads(text, parse_float=Decimal)


class Session:
    """A connection plus the relation metadata it has read; counts statements."""

    def __init__(self, conn):
        """Wraps an open connection whose jsonb codec is set (see connect)."""
        self.conn = conn
        self.statements = 0
        self._relations = {}
        self._pk = {}

    @classmethod
    async def connect(cls, **kwargs):
        """asyncpg.connect (PG* environment by default), jsonb as Python values."""
        conn = await asyncpg.connect(**kwargs)
        await conn.set_type_codec("jsonb", schema="pg_catalog", format="text",
                                  encoder=lambda v: json.dumps(v, default=_json_default),
                                  decoder=_decode_json)
        return cls(conn)

    async def close(self):
        """Closes the connection."""
        await self.conn.close()

    async def fetch(self, sql, *args):
        """Every statement this layer sends goes through here and is counted."""
        self.statements += 1
        return await self.conn.fetch(sql, *args)

    async def fetchval(self, sql, *args):
        """One value of one counted statement."""
        self.statements += 1
        return await self.conn.fetchval(sql, *args)

    # -- metadata (read once per source table, not counted as loads) --------

    async def relations(self, model):
        """The source's relations by name (and by constraint name)."""
        if model.table not in self._relations:
            rows = await self.conn.fetch(
                """SELECT r.name, r.kind, r.cardinality, r.source_columns, r.constraint_name,
                          pg_catalog.format('%I.%I', n.nspname, c.relname) AS target
                   FROM matrx_relations.relations r
                   JOIN pg_catalog.pg_class c ON c.oid = r.target
                   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                   WHERE r.source = $1::regclass""", model.table)
            by_name = {r["name"]: Relation(r) for r in rows}
            for rel in sorted(by_name.values(), key=lambda r: r.kind != "fk"):
                if rel.constraint_name:
                    by_name.setdefault(rel.constraint_name, rel)
            self._relations[model.table] = by_name
        return self._relations[model.table]

    async def primary_key(self, model):
        """(column, type) of a single-column primary key; None otherwise."""
        if model.table not in self._pk:
            rows = await self.conn.fetch(
                """SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
                   FROM pg_catalog.pg_index i
                   JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid
                    AND a.attnum = ANY (i.indkey)
                   WHERE i.indrelid = $1::regclass AND i.indisprimary""", model.table)
            self._pk[model.table] = (rows[0]["attname"], rows[0]["type"]) if len(rows) == 1 else None
        return self._pk[model.table]

    async def _relation(self, model, name, kinds=None):
        """The named relation, checked to be of one of the kinds given."""
        rel = (await self.relations(model)).get(name)
        if rel is None:
            raise LookupError(f"{model.table} has no relation {name!r}")
        if kinds and rel.kind not in kinds:
            raise TypeError(f"{model.table}.{name} is an {rel.kind}, not {' or '.join(kinds)}")
        return rel

    async def parse(self, model, paths):
        """Relation paths ('alias:name.name') as a tree of Edges."""
        tree = {}
        for path in paths:
            level, source = tree, model
            for segment in path.split("."):
                key, _, name = segment.rpartition(":")
                key = key or name
                if key not in level:
                    level[key] = Edge(key, await self._relation(source, name), {})
                edge = level[key]
                level, source = edge.children, edge.relation.target
        return tree

    # -- turning documents into objects ----------------------------------

    def build(self, model, doc, tree):
        """An object from a document: columns, then its edges' values."""
        obj = model(**{k: v for k, v in doc.items() if k not in tree})
        self.attach_doc(obj, doc, tree)
        return obj

    def attach_doc(self, obj, doc, tree):
        """Sets each edge of the tree from the document onto obj."""
        for key, edge in tree.items():
            obj.attach(key, self.value(edge, doc[key]))

    def value(self, edge, v):
        """To-one (fk, one-to-one ifk): an object or None; to-many: a list, in the document's order."""
        target = edge.relation.target
        if edge.relation.to_one:
            return None if v is None else self.build(target, v, edge.children)
        return [self.build(target, d, edge.children) for d in v]

    # -- loading -----------------------------------------------------------

    async def all(self, model):
        """Every row of a table as objects, ordered by the whole row (one statement)."""
        rows = await self.fetch(f"SELECT * FROM {model.table} t ORDER BY t")
        return [model(**dict(r)) for r in rows]

    async def _fetch_typed(self, instances, name, kinds):
        """One relation for many objects, typed rows: fetch_related for a
        to-one relation (fk, one-to-one ifk), else fetch_related_array."""
        instances = instances if isinstance(instances, list) else [instances]
        if not instances:
            return
        model = type(instances[0])
        rel = await self._relation(model, name, kinds)
        pk = await self.primary_key(model)
        if pk is None:
            raise TypeError(f"{model.table} has no single-column primary key: use prefetch_related")
        function = "fetch_related" if rel.to_one else "fetch_related_array"
        rows = await self.fetch(
            f"SELECT source_key, related FROM matrx_relations.{function}("
            f"NULL::{rel.target.table}, $1::regclass, $2, $3::{pk[1]}[])",
            model.table, name, [getattr(i, pk[0]) for i in instances])
        by_key = {}
        for r in rows:
            related = r["related"]
            by_key[r["source_key"]] = ([rel.target(**dict(x)) for x in related]
                                       if isinstance(related, list) else rel.target(**dict(related)))
        empty = None if rel.to_one else []
        for i in instances:
            i.attach(name, by_key.get(getattr(i, pk[0]), empty))

    async def fetch_fk(self, instances, name):
        """The fk's target object (or None) onto each object: one statement."""
        await self._fetch_typed(instances, name, ("fk",))

    async def fetch_ifk(self, instances, name):
        """The inverse fk's child list onto each object (one-to-one: the child
        or None): one statement."""
        await self._fetch_typed(instances, name, ("ifk",))

    async def fetch_m2m(self, instances, name):
        """The many-to-many list onto each object: one statement."""
        await self._fetch_typed(instances, name, ("m2m",))

    def key_objects(self, instances, tree):
        """The key columns the first-level edges read, once per distinct key.

        Returns the objects to send and, per instance, its index among them."""
        columns = []
        for edge in tree.values():
            columns += [c for c in edge.relation.source_columns if c not in columns]
        keys, index, positions = [], {}, []
        for inst in instances:
            obj = {c: getattr(inst, c) for c in columns}
            ident = json.dumps(obj, default=_json_default, sort_keys=True)
            if ident not in index:
                index[ident] = len(keys)
                keys.append(obj)
            positions.append(index[ident])
        return keys, positions

    async def prefetch_related(self, instances, *paths):
        """Loads the paths onto objects already held, in one call (instances form)."""
        if not instances or not paths:
            return instances
        tree = await self.parse(type(instances[0]), paths)
        keys, positions = self.key_objects(instances, tree)
        docs = await self.fetchval(
            "SELECT matrx_relations.prefetch_related($1::regclass, $2::jsonb, VARIADIC $3::text[])",
            type(instances[0]).table, keys, list(paths))
        for inst, pos in zip(instances, positions):
            self.attach_doc(inst, docs[pos], tree)
        return instances

    async def select_related(self, model, keys, *paths):
        """Objects by primary key with their relations: exactly one statement."""
        tree = await self.parse(model, paths)
        pk = await self.primary_key(model)
        rows = await self.fetch(
            f"SELECT d FROM matrx_relations.select_related($1::regclass, $2::{pk[1]}[], "
            "VARIADIC $3::text[]) d", model.table, list(keys), list(paths))
        return [self.build(model, r["d"], tree) for r in rows]

    def loader(self):
        """A DataLoader on this session."""
        return DataLoader(self)

    async def load(self, model, keys_or_objects, *paths):
        """Objects by key, or objects held, with their relations through the
        client library (clients/python): the typed, normalized form, one
        statement, one Model object per distinct row."""
        self.statements += 1
        return await matrx_relations.load(self.conn, model.table, keys_or_objects, *paths, factory=model_factory)

    def client_loader(self):
        """The client library's DataLoader on this session's connection (one
        load_batch per event-loop tick), building Model objects."""
        return matrx_relations.DataLoader(self.conn, factory=model_factory)


class DataLoader:
    """Gathers the loads requested in one event-loop tick into one prefetch_batch.

    load(obj, path) returns what the path gives for obj (object, None or
    list) and attaches it; every load requested before the loop runs its
    next callbacks goes out in the same call."""

    def __init__(self, session):
        """A loader sending through session (and counted by it)."""
        self.session = session
        self.pending = []
        self.calls = 0
        self.lock = asyncio.Lock()  # one connection: one call at a time

    def load(self, instance, path):
        """A future of the path's value for instance, answered with its tick."""
        future = asyncio.get_running_loop().create_future()
        if not self.pending:
            # runs after every task already scheduled in this tick
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self._dispatch()))
        self.pending.append((instance, path, future))
        return future

    async def _dispatch(self):
        """Takes this tick's loads; the lock keeps calls off each other."""
        pending, self.pending = self.pending, []
        async with self.lock:
            await self._answer(pending)

    async def _answer(self, pending):
        """One prefetch_batch call for the pending loads; resolves their futures."""
        try:
            # one request per (table, path); the server groups across them
            groups = {}
            for inst, path, future in pending:
                groups.setdefault((type(inst), path), []).append((inst, future))
            requests, plans = [], []
            for (model, path), loads in groups.items():
                tree = await self.session.parse(model, [path])
                keys, positions = self.session.key_objects([i for i, _ in loads], tree)
                requests.append({"source": model.table, "instances": keys, "relations": [path]})
                plans.append((tree, loads, positions))
            self.calls += 1
            results = await self.session.fetchval(
                "SELECT matrx_relations.prefetch_batch($1::jsonb)", requests)
            for docs, (tree, loads, positions) in zip(results, plans):
                (edge,) = tree.values()
                for (inst, future), pos in zip(loads, positions):
                    self.session.attach_doc(inst, docs[pos], tree)
                    future.set_result(getattr(inst, edge.key))
        except Exception as exc:  # every waiter sees the failure
            for _, _, future in pending:
                if not future.done():
                    future.set_exception(exc)
