"""load() and DataLoader on matrx_relations.load / load_batch / load_nodes.

The server sends each distinct row once, as a typed record the driver decodes
in binary with its own codecs, plus links (node, id, parent); this module
turns them into objects (plain dicts, or the caller's through a factory),
one object per distinct row, with relations attached: an fk as the object or
None, an ifk or m2m as a list ([] when empty) in the server's order.
"""

import asyncio
import json
import weakref
from itertools import groupby
from operator import itemgetter

from . import errors
from ._drivers import driver_for
from ._record import split_record


class Node:
    """One row of load_nodes: where a path node hangs and what its rows hold."""

    __slots__ = ("node", "parent_node", "name", "relation", "kind", "to_many", "target", "qualified",
                 "columns", "type_oids", "type_names", "text_path", "make", "shared", "flat_at", "makers",
                 "once")

    def __init__(self, row):
        """From (node, parent_node, name, relation, kind, to_many, target, qualified,
        columns, oids, names): target as regclass writes it (schema-qualified only
        off the search_path), qualified always schema-qualified."""
        (self.node, self.parent_node, self.name, self.relation, self.kind, self.to_many,
         self.target, self.qualified, columns, oids, names) = row
        self.columns = tuple(columns)
        self.type_oids = tuple(oids)
        self.type_names = tuple(names)
        self.text_path = False
        self.make = None
        self.shared = False      # another arm of a polymorphic relation set its default
        self.flat_at = None      # load_flat: the column of its first field (0-based, after the links)
        self.makers = {}         # (flat, at) -> a function result row -> dict
        self.once = False        # each of its rows comes once in a load (see _Plan)

    def __repr__(self):
        """For debugging."""
        return f"Node({self.node}, {self.name!r} <- {self.parent_node}, {self.target})"


class _Plan:
    """The nodes of one (source, paths/spec) and how their rows are decoded."""

    def __init__(self, nodes):
        """Nodes indexed by number."""
        self.nodes = nodes
        self.text_nodes = [n.node for n in nodes if n.text_path]
        # a polymorphic relation's arms: nodes of one parent node under one
        # name, each its own table; a parent is linked under one of them
        seen = set()
        depth = [0] * len(nodes)
        for n in nodes[1:]:
            n.shared = (n.parent_node, n.name) in seen
            seen.add((n.parent_node, n.name))
            depth[n.node] = depth[n.parent_node] + 1
        # statements at two depths or more: streamed, the first levels' rows
        # decoded while the server runs the deeper levels' statements
        self.stream = max(depth) >= 2
        # load_flat's column groups: one per table and set of columns, in
        # node order; each node's fields start at its group's first column
        groups, cols = {}, []
        for n in nodes:
            key = (n.target, n.columns)
            if key not in groups:
                groups[key] = len(cols)
                cols += n.type_names
            n.flat_at = groups[key]
        self.flat_types = cols
        # an ifk leaf whose table (and columns) no other node loads: each of
        # its rows comes once (one parent row each), and nothing looks it up
        # again, so the assembly need not remember it by id
        spaces = {}
        for n in nodes:
            spaces[(n.target, n.columns)] = spaces.get((n.target, n.columns), 0) + 1
        inner = {n.parent_node for n in nodes[1:]}
        for n in nodes[1:]:
            n.once = n.kind == "ifk" and n.node not in inner and spaces[(n.target, n.columns)] == 1


NODES_SQL = ("SELECT node, parent_node, name, relation, kind, to_many, target::text, "
             "(SELECT pg_catalog.quote_ident(s.nspname) || '.' || pg_catalog.quote_ident(c.relname) "
             "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace "
             "WHERE c.oid = target), "
             "columns::text[], types::oid[], types::text[] FROM matrx_relations.load_nodes($1::regclass, {})")

TYPES_SQL = """
WITH RECURSIVE t(oid) AS (
    SELECT unnest($1::oid[])
  UNION
    SELECT d.oid FROM t JOIN pg_catalog.pg_type ty ON ty.oid = t.oid,
    LATERAL (SELECT ty.typbasetype WHERE ty.typtype = 'd'
             UNION ALL SELECT ty.typelem WHERE ty.typelem <> 0 AND ty.typlen = -1
             UNION ALL SELECT a.atttypid FROM pg_catalog.pg_attribute a
                       WHERE a.attrelid = ty.typrelid AND ty.typtype = 'c' AND a.attnum > 0 AND NOT a.attisdropped
             UNION ALL SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = ty.oid
             UNION ALL SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngmultitypid = ty.oid) d(oid)
)
SELECT ty.oid, ty.typtype::text, pg_catalog.format_type(ty.oid, NULL),
       (ty.typelem <> 0 AND ty.typlen = -1 AND ty.typtype = 'b'),
       ARRAY(SELECT x FROM (
           SELECT ty.typbasetype WHERE ty.typtype = 'd'
           UNION ALL SELECT ty.typelem WHERE ty.typelem <> 0 AND ty.typlen = -1 AND ty.typtype = 'b'
           UNION ALL SELECT a.atttypid FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid = ty.typrelid AND ty.typtype = 'c' AND a.attnum > 0 AND NOT a.attisdropped
           UNION ALL SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = ty.oid
           UNION ALL SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngmultitypid = ty.oid) s(x))::oid[]
FROM t JOIN pg_catalog.pg_type ty ON ty.oid = t.oid"""

SOURCE_SQL = """
SELECT (SELECT pg_catalog.format_type(a.atttypid, NULL) FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = $1::regclass AND i.indisprimary AND i.indnatts = 1),
       (SELECT a.attname::text FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = $1::regclass AND i.indisprimary AND i.indnatts = 1),
       ARRAY(SELECT pg_catalog.json_build_array(r.name, r.constraint_name, r.source_columns,
                                                r.options->'polymorphic'->>'name',
                                                r.options->'polymorphic'->>'type_column')::text
             FROM matrx_relations.relations r WHERE r.source = $1::regclass)"""


class _Meta:
    """What one connection has learnt: plans per (source, paths), sources, types."""

    def __init__(self):
        """Empty caches."""
        self.plans = {}
        self.sources = {}
        self.types = {}
        self.tables = {}
        self.force_text = set()


_META = weakref.WeakKeyDictionary()
_META_STRONG = {}


def _meta(conn):
    """The metadata cache of a connection."""
    key = getattr(conn, "_con", None) or conn          # a pool's proxy: its connection
    try:
        m = _META.get(key)
        if m is None:
            m = _META[key] = _Meta()
    except TypeError:
        m = _META_STRONG.setdefault(id(key), _Meta())
    return m


def _split_args(paths_or_spec, spec):
    """(paths tuple, spec dict or None) from load()'s arguments."""
    if len(paths_or_spec) == 1 and isinstance(paths_or_spec[0], dict):
        if spec is not None:
            raise TypeError("give the spec once")
        return (), paths_or_spec[0]
    for p in paths_or_spec:
        if not isinstance(p, str):
            raise TypeError(f"a relation path is a string, or the only argument is a spec dict: {p!r}")
    return tuple(paths_or_spec), spec


def _spec_text(spec):
    """A spec as jsonb text, canonical (a cache key)."""
    return json.dumps(spec, sort_keys=True, default=str)


async def _plan(driver, source, paths, spec, text_types=()):
    """The cached nodes of (source, paths/spec), with the decoding of each decided."""
    meta = _meta(driver.conn)
    key = _plan_key(source, paths, spec)
    plan = meta.plans.get(key)
    if plan is not None:
        return plan
    if spec is not None:
        rows = await driver.fetch(NODES_SQL.format("$2::text::jsonb"), (source, _spec_text(spec)))
    else:
        rows = await driver.fetch(NODES_SQL.format("VARIADIC $2::text[]"), (source, list(paths)))
    nodes = [Node(tuple(r)) for r in rows]
    nodes.sort(key=lambda n: n.node)
    oids = sorted({o for n in nodes for o in n.type_oids})
    missing = [o for o in oids if o not in meta.types]
    if missing:
        for oid, typtype, name, is_array, deps in await driver.fetch(TYPES_SQL, (missing,)):
            meta.types[oid] = {"typtype": typtype, "name": name, "is_array": is_array, "deps": list(deps)}
    await driver.prepare_types(sorted(meta.types), meta.types)
    force = key in meta.force_text
    for n in nodes:
        n.text_path = force or any(not driver.binary_ok(o, meta.types) or meta.types[o]["name"] in text_types
                          for o in n.type_oids)
    plan = meta.plans[key] = _Plan(nodes)
    return plan


async def _source(driver, source):
    """(key type, key column, {relation name: source columns}) of a source, cached."""
    meta = _meta(driver.conn)
    info = meta.sources.get(source)
    if info is None:
        (keytype, keycol, rels), = await driver.fetch(SOURCE_SQL, (source,))
        columns = {}
        for text in rels:
            name, constraint, cols, poly, type_column = json.loads(text)
            if poly:             # a polymorphic arm (and its name) read the type column too
                cols = cols + [type_column]
                pcols = columns.setdefault(poly, [])
                pcols.extend(c for c in cols if c not in pcols)
            columns[name] = cols
            if constraint:
                columns.setdefault(constraint, cols)
        info = meta.sources[source] = (keytype, keycol, columns)
    return info


def forget(conn):
    """Drops what the client has cached for a connection (after DDL, say)."""
    key = getattr(conn, "_con", None) or conn
    try:
        _META.pop(key, None)
    except TypeError:
        _META_STRONG.pop(id(key), None)


# ---- instances ----------------------------------------------------------

def _get(obj, column):
    """A column of a caller's row: a mapping's item or an object's attribute."""
    if isinstance(obj, dict):
        return obj[column]
    try:
        return obj[column]
    except (TypeError, KeyError, IndexError):
        return getattr(obj, column)


def _first_relations(paths, spec):
    """The relation names of the first level (what the instances must carry)."""
    if spec is not None:
        return [edge.get("relation", name) if isinstance(edge, dict) else name for name, edge in spec.items()]
    out = []
    for p in paths:
        seg = p.split(".", 1)[0]
        out.append(seg.rpartition(":")[2])
    return out


def _json_default(value):
    """Key values JSON lacks (Decimal, UUID, dates, ...) go as text: the column's input function reads them."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    return str(value)


def _instance_keys(instances, columns):
    """The key columns of each instance as the JSON objects the server reads."""
    out = []
    for inst in instances:
        d = {}
        for c in columns:
            try:
                d[c] = _get(inst, c)
            except (KeyError, AttributeError):
                pass             # the server names the missing column (22023)
        out.append(d)
    return out


async def _instance_columns(driver, source, paths, spec):
    """The source columns the first-level relations read."""
    _, _, rels = await _source(driver, source)
    cols = []
    for name in _first_relations(paths, spec):
        for c in rels.get(name, ()):
            if c not in cols:
                cols.append(c)
    return cols


# ---- assembly -------------------------------------------------------------

def _maker(factory):
    """A function (node, values tuple) -> object."""
    if factory is None:
        return lambda node, values: dict(zip(node.columns, values))
    if isinstance(factory, dict):
        # a table's key: as regclass writes it ("orders", or "sales.orders" off
        # the search_path) or schema-qualified ("public.orders"), either works
        def make(node, values):
            cls = factory.get(node.target)
            if cls is None:
                cls = factory.get(node.qualified)
            fields = dict(zip(node.columns, values))
            return cls(**fields) if cls is not None else fields
        return make
    return lambda node, values: factory(node.target, dict(zip(node.columns, values)))


def _getter(obj, k):
    """obj's relation k (a list for to-many)."""
    if isinstance(obj, dict):
        return obj[k]
    return getattr(obj, k)


class _Assembler:
    """Objects of one call: one per distinct row id, shared by every request."""

    def __init__(self, plan_of, make):
        """plan_of(request) -> _Plan; make(node, values) -> object."""
        self.plan_of = plan_of
        self.make = make
        self.objs = {}

    def create(self, rows, ri, ni, ii, rowi, text_values):
        """Pass 1: an object for each row sent with its record."""
        objs, make, plan_of = self.objs, self.make, self.plan_of
        for row in rows:
            r = row[rowi]
            if r is None:
                continue
            ident = row[ii]
            if ident in objs:
                continue
            node = plan_of(row[ri] if ri is not None else 0).nodes[row[ni]]
            if len(r) != len(node.columns):
                raise _Stale()
            objs[ident] = make(node, tuple(r))
        for (req, node_no, ident), values in text_values.items():
            if ident not in objs:
                objs[ident] = make(plan_of(req).nodes[node_no], values)

    def link(self, plan, rows, ni, ii, pi, instances):
        """Pass 2 for one request: defaults, then children in result order; returns the roots."""
        objs = self.objs
        nodes = plan.nodes
        members = [dict() for _ in nodes]
        roots = []
        if instances is not None:
            firsts = {}
            m0 = members[0]
            inst_at = []
            for i, inst in enumerate(instances):
                first = firsts.setdefault(id(inst), i)
                inst_at.append(inst if first == i else None)   # a repeated object: linked once
                if first == i:
                    m0[-(i + 1)] = inst
        done = 0                                  # nodes whose defaults are set: 1..done
        nnodes = len(nodes)
        for row in rows:
            n = row[ni]
            ident = row[ii]
            obj = objs[ident]
            if n == 0:
                if ident not in members[0]:
                    members[0][ident] = obj
                    roots.append(obj)
                continue
            if n > done:
                for m in range(done + 1, n + 1):
                    _defaults(nodes[m], members[nodes[m].parent_node])
                done = n
            members[n][ident] = obj
            parent = row[pi]
            if parent > 0:
                pobj = objs[parent]
            else:
                pobj = inst_at[-parent - 1]
                if pobj is None:
                    continue
            node = nodes[n]
            if node.to_many:
                if type(pobj) is dict:
                    pobj[node.name].append(obj)
                else:
                    _getter(pobj, node.name).append(obj)
            elif type(pobj) is dict:
                pobj[node.name] = obj
            else:
                setattr(pobj, node.name, obj)
        for m in range(done + 1, nnodes):
            _defaults(nodes[m], members[nodes[m].parent_node])
        return roots if instances is None else instances


def _defaults(node, parents):
    """[] or None under node's name on every parent object of the node
    (once for a polymorphic relation's arms: the first arm's node sets it)."""
    if node.shared:
        return
    name = node.name
    for p in parents.values():
        if type(p) is dict:
            p[name] = [] if node.to_many else None
        else:
            setattr(p, name, [] if node.to_many else None)


class _Stale(Exception):
    """A record whose width differs from load_nodes' columns: the cached plan is out of date."""


async def _text_values(driver, plan_of, rows, ri, ni, ii, ti):
    """Values of the rows that took the text path, decoded by the driver as columns:
    one statement per node. A whole-row node casts the row's text to the
    table's row type (each field read by its type's input function); a node
    of a spec's columns casts each field from text."""
    groups = {}
    for row in rows:
        t = row[ti]
        if t is None:
            continue
        req = row[ri] if ri is not None else 0
        node = plan_of(req).nodes[row[ni]]
        groups.setdefault(id(node), (node, []))[1].append((req, row[ni], row[ii], t))
    out = {}
    meta = _meta(driver.conn)
    for node, items in groups.values():
        table = meta.tables.get(node.target)
        if table is None:
            rows_ = await driver.fetch(
                "SELECT attname::text, pg_catalog.format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute "
                "WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum", (node.target,))
            table = meta.tables[node.target] = (tuple(r[0] for r in rows_), {r[0]: r[1] for r in rows_})
        whole, declared = table
        if whole == node.columns:
            cols = ", ".join(f"(s.t).{_ident(c)}" for c in node.columns)
            sql = (f"SELECT {cols} FROM (SELECT x::{node.target} AS t, n FROM pg_catalog.unnest($1::text[]) "
                   "WITH ORDINALITY AS u(x, n)) s ORDER BY s.n")
            arg = [t for *_, t in items]
        else:
            fields = [split_record(t, len(node.columns)) for *_, t in items]
            if any(len(f) != len(node.columns) for f in fields):
                raise _Stale()
            # each field as its column is declared (char(4), not character)
            cols = ", ".join(f"(e->>{i})::{declared.get(c, name)}"
                             for i, (c, name) in enumerate(zip(node.columns, node.type_names)))
            sql = (f"SELECT {cols or 'NULL'} FROM pg_catalog.jsonb_array_elements($1::text::jsonb) "
                   "WITH ORDINALITY AS a(e, n) ORDER BY n")
            arg = json.dumps(fields)
        decoded = await driver.fetch(sql, (arg,))
        for (req, node_no, ident, _), values in zip(items, decoded):
            out[(req, node_no, ident)] = tuple(values)[:len(node.columns)]
    return out


LOSSLESS = {"DateStyle": "ISO, MDY", "IntervalStyle": "postgres", "extra_float_digits": "3"}


class _LosslessText:
    """Around a load with text-path nodes: the session settings under which a
    row's text reads back as the same values (ISO dates, postgres intervals,
    shortest exact floats), the caller's restored afterwards. Outside that
    case no statement is sent."""

    def __init__(self, driver, needed):
        """needed: whether the load has text-path nodes."""
        self.driver, self.needed, self.saved = driver, needed, None

    async def __aenter__(self):
        """Reads the settings; changes those that differ."""
        if not self.needed:
            return self
        (cur,), = await self.driver.fetch(
            "SELECT ARRAY[pg_catalog.current_setting('DateStyle'), pg_catalog.current_setting('IntervalStyle'), "
            "pg_catalog.current_setting('extra_float_digits')]", ())
        old = dict(zip(LOSSLESS, cur))
        change = {k: v for k, v in LOSSLESS.items() if old[k] != v}
        if change:
            await self._set(change)
            self.saved = {k: old[k] for k in change}
        return self

    async def _set(self, values):
        """set_config for each."""
        names, vals = list(values), list(values.values())
        await self.driver.fetch("SELECT pg_catalog.set_config(n, v, false) FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) AS u(n, v)",
                                (names, vals))

    async def __aexit__(self, *exc):
        """Restores what was changed (an aborted transaction's rollback restores it anyway)."""
        if self.saved:
            try:
                await self._set(self.saved)
            except errors.MatrxError:
                pass
        return False


def _ident(name):
    """A column name quoted for SQL."""
    return '"' + name.replace('"', '""') + '"'


def _select(fn_args, text_nodes, nparams, batch=False, stream=False):
    """The SELECT over load/load_batch; text-path nodes get r as text in column t.
    stream: load called in the SELECT list, where it streams (the rows of the
    first levels are sent, and decoded by the driver, while the server still
    runs the deeper levels' statements); in FROM the server writes the whole
    result before sending its first row, which costs it less CPU (its writes
    do not wake a waiting reader) and is the better choice for one level."""
    cols = ["request", "node", "id", "parent"] if batch else ["node", "id", "parent"]
    fn = "load_batch" if batch else "load"
    if stream:
        lead = ", ".join(f"(l).{c}" for c in cols)
        r, src = "(l).r", f"(SELECT matrx_relations.{fn}({fn_args}) AS l) s"
        node = "(l).node"
    else:
        lead, r, src, node = ", ".join(cols), "r", f"matrx_relations.{fn}({fn_args})", "node"
    if not text_nodes:
        return f"SELECT {lead}, {r} FROM {src}"
    p = f"${nparams + 1}::int[]"
    return (f"SELECT {lead}, CASE WHEN {node} = ANY({p}) THEN NULL ELSE {r} END AS r, "
            f"CASE WHEN {node} = ANY({p}) THEN {r}::text END AS t FROM {src}")


async def _fetch_flat(driver, sql, args):
    """The rows of a load_flat / load_batch_flat statement; its column list
    refused (42804: the plan's columns are not the table's now, after ALTER
    TABLE) is _Stale, which refreshes the plan and retries once."""
    try:
        return await driver.fetch(sql, args, binary=True)
    except errors.MatrxError as exc:
        if exc.sqlstate == "42804" and "load_flat" in str(exc):
            raise _Stale() from exc
        raise


def _select_flat(fn_args, plan, batch=False):
    """The SELECT over load_flat/load_batch_flat: the links, then the plan's
    column groups (one per table and set of columns) as the column list."""
    lead = "request int, node int, id int, parent int" if batch else "node int, id int, parent int"
    cols = ", ".join(f"c{i} {t}" for i, t in enumerate(plan.flat_types))
    fn = "load_batch_flat" if batch else "load_flat"
    return f"SELECT * FROM matrx_relations.{fn}({fn_args}) AS t({lead}{', ' if cols else ''}{cols})"


# ---- load() -----------------------------------------------------------------

def _is_instance(x):
    """A caller's row (mapping or object) rather than a key value."""
    if isinstance(x, (str, bytes, int, float)) or x is None:
        return False
    if isinstance(x, dict):
        return True
    return hasattr(x, "__dict__") or hasattr(x, "__getitem__") and hasattr(x, "keys")


def _check_attachable(row):
    """Relations are set on the caller's rows: a dict or an object with attributes."""
    if not isinstance(row, dict) and not hasattr(row, "__dict__"):
        raise TypeError(f"cannot attach relations to a {type(row).__name__}: pass dicts (dict(record)) or objects")


async def load(conn, source, keys_or_rows, *paths_or_spec, spec=None, factory=None, text_types=()):
    """Loads source rows (by key) or the caller's rows, with relation paths (or one spec).

    keys_or_rows: key values of the source's primary key (one object per
    distinct found key, in first-occurrence order, is returned), or the
    caller's rows (dicts or objects holding the columns the first-level
    relations read; they are returned, with the relations attached).
    factory: None (plain dicts), a {target table: class} mapping (tables
    named as regclass writes them or schema-qualified; classes called
    with the columns as keyword arguments) or a callable(target, fields).
    Each distinct row becomes one object, shared by every parent it has."""
    paths, spec = _split_args(paths_or_spec, spec)
    driver = driver_for(conn)
    items = list(keys_or_rows)
    for attempt in (0, 1):
        try:
            return await _load_once(driver, source, items, paths, spec, factory, text_types)
        except _Stale as stale:
            if attempt:
                raise stale.__cause__ or stale
            forget(conn)
        except Exception as exc:
            if attempt or not _decode_failure(exc):
                raise
            # a record field the driver could not decode (a type with a custom
            # text codec, say): this load's nodes take the text path from now on
            _force_text(conn, [_plan_key(source, paths, spec)])


def _force_text(conn, keys):
    """Every node of these plans takes the text path on this connection from now on."""
    meta = _meta(conn)
    for key in keys:
        meta.force_text.add(key)
        meta.plans.pop(key, None)


def _decode_failure(exc):
    """An exception the client raised while decoding rows, not an error from the server."""
    if isinstance(exc, (errors.MatrxError, asyncio.CancelledError, ConnectionError, OSError, TypeError)):
        return False
    return errors.sqlstate_of(exc) is None


def _plan_key(source, paths, spec):
    """The cache key of a plan."""
    return (source, paths, _spec_text(spec) if spec is not None else None)


async def _load_once(driver, source, items, paths, spec, factory, text_types):
    """One load: plan, the load call (and the text-path statements), assembly."""
    if not items:
        return []
    plan = await _plan(driver, source, paths, spec, text_types)
    rel = ("$3::text::jsonb" if spec is not None else "VARIADIC $3::text[]")
    relarg = _spec_text(spec) if spec is not None else list(paths)
    instances = None
    if _is_instance(items[0]):
        instances = items
        _check_attachable(items[0])
        cols = await _instance_columns(driver, source, paths, spec)
        arg = json.dumps(_instance_keys(items, cols), default=_json_default)
        fn_args = f"$1::regclass, $2::text::jsonb, {rel}"
    else:
        keytype, _, _ = await _source(driver, source)
        # no single-column primary key: text keys, the server says 0A000
        arg = items if keytype else [None if k is None else str(k) for k in items]
        fn_args = f"$1::regclass, $2::{keytype or 'text'}[], {rel}"
    args = [source, arg, relarg]
    if factory is None and not plan.text_nodes and not plan.stream:
        # one level, plain dicts: each row's fields as columns of their own
        # (load_flat), which the driver decodes faster than a record
        rows = await _fetch_flat(driver, _select_flat(fn_args, plan), args)
        return _assemble_dicts(plan.nodes, rows, instances, flat=True)
    if plan.text_nodes:
        args.append(plan.text_nodes)
    async with _LosslessText(driver, bool(plan.text_nodes)):
        rows = await driver.fetch(_select(fn_args, plan.text_nodes, 3, stream=plan.stream), args, binary=True)
        tv = await _text_values(driver, lambda req: plan, rows, None, 0, 1, 4) if plan.text_nodes else {}
    if factory is None and not tv:
        return _assemble_dicts(plan.nodes, rows, instances)
    asm = _Assembler(lambda req: plan, _maker(factory))
    asm.create(rows, None, 0, 1, 3, tv)
    return asm.link(plan, rows, 0, 1, 2, instances)


def _dict_maker(columns, at=None, flat=False):
    """A function -> dict of the columns, generated for these names: a dict
    display (about twice as fast as dict(zip(columns, r))). Without at, of a
    record (a record of another width raises ValueError); with at, of a result
    row: the record in column at, or (flat) the fields from column at on."""
    names = [f"_{i}" for i in range(len(columns))]
    if flat:
        body = ", ".join(f"{c!r}: row[{at + i}]" for i, c in enumerate(columns))
        src = f"def make(row):\n    return {{{body}}}\n"
    else:
        arg, rec = ("r", "r") if at is None else ("row", f"row[{at}]")
        body = ", ".join(f"{c!r}: {a}" for c, a in zip(columns, names))
        if not names:
            src = f"def make({arg}):\n    () = {rec}\n    return {{}}\n"
        else:
            src = f"def make({arg}):\n    {', '.join(names)}, = {rec}\n    return {{{body}}}\n"
    scope = {}
    exec(src, scope)                  # noqa: S102 - names are repr()'d literals
    return scope["make"]


def _node_maker(node, at, flat):
    """The node's cached dict maker of a result row (its record in column at,
    or flat: its fields from column at on)."""
    key = (flat, at)
    make = node.makers.get(key)
    if make is None:
        make = node.makers[key] = _dict_maker(node.columns, at, flat)
    return make


def _assemble_dicts(nodes, rows, instances, batch=False, flat=False):
    """The common case: plain dicts, every record decoded by the driver, rows
    in the server's order (node by node; a row's record, or with flat its
    fields, come with the first row of its id: ids are numbered as rows are
    first sent, so a row is new when its id is above every id before it).
    Same result as _Assembler, in one pass with a loop per node: a generated
    dict maker per node, parents looked up by id, only the nodes that have
    child nodes remember their objects (for the defaults), and an ifk leaf
    whose rows each come once (Node.once) not even by id."""
    try:
        return _assemble_pass(nodes, rows, instances, batch, flat)
    except _Again:
        # a row of a node taken to send each row once came twice (an ifk
        # whose source columns are not unique): every node remembers its rows
        for nd in nodes:
            nd.once = False
        return _assemble_pass(nodes, rows, instances, batch, flat)


class _Again(Exception):
    """_assemble_pass met a row again in a node it took to send each once."""


def _assemble_pass(nodes, rows, instances, batch, flat):
    """_assemble_dicts' one pass."""
    objs = {}
    nnodes = len(nodes)
    inner = [False] * nnodes                   # nodes with child nodes
    for nd in nodes[1:]:
        inner[nd.parent_node] = True
    members = [{} if inner[i] else None for i in range(nnodes)]
    roots = []
    inst_at = None
    if instances is not None:
        members[0] = m0 = members[0] if members[0] is not None else {}
        firsts = {}
        inst_at = []
        for i, inst in enumerate(instances):
            first = firsts.setdefault(id(inst), i)
            inst_at.append(inst if first == i else None)   # a repeated object: linked once
            if first == i:
                m0[-(i + 1)] = inst
    o = 1 if batch else 0                      # load_batch: request first
    i_id, i_par, i_r = o + 1, o + 2, o + 3
    done = 0                                   # nodes whose defaults are set: 1..done
    top = 0                                    # the highest id so far
    try:
        for n, group in groupby(rows, itemgetter(o)):
            if n > done:
                for k in range(done + 1, n + 1):
                    _defaults(nodes[k], members[nodes[k].parent_node])
                done = n
            node = nodes[n]
            make = _node_maker(node, i_r + node.flat_at if flat else i_r, flat)
            m = members[n]
            if n == 0:
                seen = set()
                for row in group:
                    ident = row[i_id]
                    if ident > top:
                        top = ident
                        obj = objs[ident] = make(row)
                    else:
                        obj = objs[ident]
                    if ident not in seen:
                        seen.add(ident)
                        roots.append(obj)
                        if m is not None:
                            m[ident] = obj
                continue
            name = node.name
            if inst_at is not None and node.parent_node == 0:
                top = _link_general(group, objs, make, m, name, node.to_many, inst_at, i_id, i_par, top)
            elif node.to_many and node.once and not batch:
                last = lst = None
                for row in group:
                    ident = row[i_id]
                    if ident <= top:
                        raise _Again()
                    top = ident
                    p = row[i_par]
                    if p != last:              # a parent's children are contiguous
                        lst = objs[p][name]
                        last = p
                    lst.append(make(row))
            elif node.to_many:
                last = lst = None
                for row in group:
                    ident = row[i_id]
                    if ident > top:
                        top = ident
                        obj = objs[ident] = make(row)
                    else:
                        obj = objs[ident]
                    if m is not None:
                        m[ident] = obj
                    p = row[i_par]
                    if p != last:              # a parent's children are contiguous
                        lst = objs[p][name]
                        last = p
                    lst.append(obj)
            else:
                for row in group:
                    ident = row[i_id]
                    if ident > top:
                        top = ident
                        obj = objs[ident] = make(row)
                    else:
                        obj = objs[ident]
                    if m is not None:
                        m[ident] = obj
                    objs[row[i_par]][name] = obj
    except ValueError:
        raise _Stale() from None               # a record of another width than load_nodes said
    for k in range(done + 1, nnodes):
        _defaults(nodes[k], members[nodes[k].parent_node])
    return roots if instances is None else instances


def _link_general(group, objs, make, m, name, to_many, inst_at, i_id, i_par, top):
    """The links of a first-level node in the instances form: parents are the
    caller's rows (dicts or objects), −i for the i-th. Returns the highest id."""
    for row in group:
        ident = row[i_id]
        if ident > top:
            top = ident
            obj = objs[ident] = make(row)
        else:
            obj = objs[ident]
        if m is not None:
            m[ident] = obj
        parent = row[i_par]
        if parent > 0:
            pobj = objs[parent]
        else:
            pobj = inst_at[-parent - 1]
            if pobj is None:
                continue
        if type(pobj) is dict:
            if to_many:
                pobj[name].append(obj)
            else:
                pobj[name] = obj
        elif to_many:
            _getter(pobj, name).append(obj)
        else:
            setattr(pobj, name, obj)
    return top


# ---- DataLoader ------------------------------------------------------------

class DataLoader:
    """Gathers every load requested during one event-loop tick into one load_batch call.

    load(source, key_or_row, *paths_or_spec) returns the source object (by
    key: None when no row has it) or the caller's row, with the relations
    attached. Loads of the same (source, paths/spec, form) in one tick become
    one request with many keys or instances; the server groups the edges of
    all requests. One DataLoader per connection (it works inside the
    connection's transaction); its calls on the connection never overlap.
    `calls` counts load_batch calls."""

    def __init__(self, conn, factory=None, text_types=()):
        """A loader on conn (asyncpg Connection, or psycopg 3 AsyncConnection)."""
        self.conn = conn
        self.factory = factory
        self.text_types = text_types
        self.calls = 0
        self._pending = []
        self._tick_loop = None
        self._lock = asyncio.Lock()

    def load(self, source, key_or_row, *paths_or_spec, spec=None):
        """A future answered with this tick's batch."""
        paths, spec = _split_args(paths_or_spec, spec)
        pending = self._pending
        if pending:
            loop = self._tick_loop                 # the loop this tick's batch runs on
        else:
            loop = self._tick_loop = asyncio.get_running_loop()
            loop.call_soon(self._start)
        future = loop.create_future()
        pending.append((source, paths, spec, key_or_row, future))
        return future

    def load_many(self, source, keys_or_rows, *paths_or_spec, spec=None):
        """load() for each, gathered."""
        return asyncio.gather(*(self.load(source, k, *paths_or_spec, spec=spec) for k in keys_or_rows))

    def _start(self):
        """Runs after the callbacks already queued in this tick: takes the tick's loads."""
        pending, self._pending = self._pending, []
        asyncio.ensure_future(self._dispatch(pending))

    async def _dispatch(self, pending):
        """One load_batch call for the pending loads; every future gets its answer or the error."""
        try:
            async with self._lock:
                await self._answer(pending)
        except BaseException as exc:
            for *_, future in pending:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise

    async def _answer(self, pending):
        """Groups, the call, the assembly."""
        driver = driver_for(self.conn)
        for attempt in (0, 1):
            try:
                return await self._answer_once(driver, pending)
            except _Stale:
                if attempt:
                    raise
                forget(self.conn)
            except Exception as exc:
                if attempt or not _decode_failure(exc):
                    raise
                _force_text(self.conn, {_plan_key(s, p, sp) for s, p, sp, _, _ in pending})

    async def _answer_once(self, driver, pending):
        """One attempt of _answer."""
        groups = {}
        for source, paths, spec, item, future in pending:
            inst = _is_instance(item)
            key = (source, paths, _spec_text(spec) if spec is not None else None, inst)
            groups.setdefault(key, (source, paths, spec, inst, []))[4].append((item, future))
        requests, plans, group_list = [], [], list(groups.values())
        for source, paths, spec, inst, loads in group_list:
            plan = await _plan(driver, source, paths, spec, self.text_types)
            req = {"source": source}
            if spec is not None:
                req["spec"] = spec
            else:
                req["relations"] = list(paths)
            if inst:
                _check_attachable(loads[0][0])
                cols = await _instance_columns(driver, source, paths, spec)
                req["instances"] = _instance_keys([i for i, _ in loads], cols)
            else:
                seen, keys = set(), []
                for k, _ in loads:
                    if k is not None and k not in seen:
                        seen.add(k)
                        keys.append(k)
                req["keys"] = keys
                await _source(driver, source)
            requests.append(req)
            plans.append(plan)
        text_nodes = sorted({n for p in plans for n in p.text_nodes})
        args = [json.dumps(requests, default=_json_default)]
        if len(group_list) == 1 and self.factory is None and not text_nodes and not plans[0].stream:
            # one request of one level, plain dicts: load_batch_flat, each
            # row's fields as columns of their own (as load() reads load_flat)
            source, paths, spec, inst, loads = group_list[0]
            self.calls += 1
            rows = await _fetch_flat(driver, _select_flat("$1::text::jsonb", plans[0], batch=True), args)
            roots = _assemble_dicts(plans[0].nodes, rows, [i for i, _ in loads] if inst else None,
                                    batch=True, flat=True)
            _, keycol, _ = await _source(driver, source)
            _settle(inst, loads, roots, keycol)
            return
        if text_nodes:
            args.append(text_nodes)
        self.calls += 1
        async with _LosslessText(driver, bool(text_nodes)):
            rows = await driver.fetch(_select("$1::text::jsonb", text_nodes, 1, batch=True,
                                                   stream=any(p.stream for p in plans)), args, binary=True)
            tv = await _text_values(driver, lambda req: plans[req - 1], rows, 0, 1, 2, 5) if text_nodes else {}

        if len(group_list) == 1 and self.factory is None and not tv:
            # one request: the one-pass assembly
            source, paths, spec, inst, loads = group_list[0]
            roots = _assemble_dicts(plans[0].nodes, rows, [i for i, _ in loads] if inst else None, batch=True)
            _, keycol, _ = await _source(driver, source)
            _settle(inst, loads, roots, keycol)
            return

        def plan_of(req):
            return plans[req - 1]
        # rows per request, in result order
        per = [[] for _ in requests]
        for row in rows:
            per[row[0] - 1].append(row)
        asm = _Assembler(plan_of, _maker(self.factory))
        asm.create(rows, 0, 1, 2, 4, tv)
        for (source, paths, spec, inst, loads), plan, prow in zip(group_list, plans, per):
            roots = asm.link(plan, prow, 1, 2, 3, [i for i, _ in loads] if inst else None)
            _, keycol, _ = await _source(driver, source)
            _settle(inst, loads, roots, keycol)


def _settle(inst, loads, roots, keycol):
    """Each load's answer: its row (instances), or the object of its key (None when absent)."""
    if inst:
        for item, future in loads:
            if not future.done():
                future.set_result(item)
        return
    if keycol:
        if roots and type(roots[0]) is dict:
            by_key = {obj[keycol]: obj for obj in roots}
        else:
            by_key = {_get(obj, keycol): obj for obj in roots}
    else:
        by_key = {}
    by_text = None                  # keys given as text (a uuid's str, say): built on the first miss
    get = by_key.get
    for k, future in loads:
        if future.done():
            continue
        obj = get(k) if k is not None else None
        if obj is None and k is not None:
            if by_text is None:
                by_text = {}
                for key, o in by_key.items():
                    by_text.setdefault(str(key), o)
            obj = by_text.get(str(k))
        future.set_result(obj)
