"""The two drivers behind one small interface: asyncpg and psycopg 3 (async).

Each wraps a connection and offers fetch(sql, args) -> rows as tuples, with
$n placeholders, the record column decoded in binary by the driver's own
codecs, and says which types it decodes inside an anonymous record exactly as
it decodes them as columns (binary_ok), so that rows holding any other type
take the text path (see _client.py).
"""

from . import errors

# Built-in types asyncpg decodes in binary (inside a record as in a column).
# Left out, found by comparing a column with the same value in a record:
# money, macaddr, macaddr8, tsvector, tsquery, the reg* types and others it
# reads through their text form (their binary form then decodes wrong), and
# aclitem, which has no binary output at all.
ASYNCPG_BINARY = frozenset([
    16, 17, 18, 19, 20, 21, 22, 23, 25, 26, 27, 28, 29, 30,  # bool bytea char name int8 int2 int2vector int4 text oid tid xid cid oidvector
    114, 142, 600, 601, 602, 603, 604, 628, 650, 700, 701, 718, 869,  # json xml point lseg path box polygon line cidr float4 float8 circle inet
    1042, 1043, 1082, 1083, 1114, 1184, 1186, 1266, 1560, 1562, 1700, 1790,  # bpchar varchar date time timestamp timestamptz interval timetz bit varbit numeric refcursor
    2950, 2970, 3220, 3802, 4072, 5038, 5069,  # uuid txid_snapshot pg_lsn jsonb jsonpath pg_snapshot xid8
    2249,  # record
])
FIRST_NORMAL_OID = 16384


class Driver:
    """A connection with fetch() and the per-type decoding knowledge the loader needs."""

    name = None

    def __init__(self, conn):
        """Wraps an open connection."""
        self.conn = conn

    async def fetch(self, sql, args, binary=False):
        """Rows (tuples) of sql with $1.. bound to args; binary: the load's record column
        (drivers that choose a format per statement use binary for it)."""
        raise NotImplementedError

    def binary_ok(self, oid, info):
        """Whether a field of this type decodes in a record as it does as a column."""
        raise NotImplementedError

    async def prepare_types(self, oids, info):
        """Makes the driver able to decode these types inside records."""

    def rows_as_tuples(self, rows):
        """Rows as sequences (identity for tuples)."""
        return rows


class AsyncpgDriver(Driver):
    """asyncpg: records decode through its binary codecs, user types once introspected."""

    name = "asyncpg"

    def __init__(self, conn):
        """Wraps an asyncpg Connection (or a pool's proxy of one)."""
        super().__init__(conn)
        self._domains_ok = True

    async def fetch(self, sql, args, binary=False):
        """asyncpg's fetch (it picks binary where it has a codec); Records index like tuples."""
        try:
            return await self.conn.fetch(sql, *args)
        except Exception as exc:
            typed = errors.translate(exc)
            if typed is not None:
                raise typed from exc
            raise

    def _settings(self):
        """The protocol's codec settings (asyncpg internals, used defensively)."""
        try:
            return self.conn._protocol.get_settings()
        except AttributeError:
            inner = getattr(self.conn, "_con", None)   # a pool's PoolConnectionProxy
            return inner._protocol.get_settings() if inner is not None else None

    async def prepare_types(self, oids, info):
        """Introspects the user-defined types (enums, composites, domains, arrays, ranges)
        that are not yet in the connection's codec cache."""
        settings = self._settings()
        user = [o for o in oids if o >= FIRST_NORMAL_OID]
        if not user:
            return
        if settings is not None:
            missing = [o for o in user if settings.get_data_codec(o) is None]
        else:
            missing = user
        if not missing:
            return
        conn = getattr(self.conn, "_con", None) or self.conn
        try:
            rows, _ = await conn._introspect_types(missing, None)
            settings.register_data_types(rows)
        except Exception:
            # no internal API: a prepared statement introspects what its
            # result columns name (not domains: those then take the text path)
            self._domains_ok = False
            names = [info[o]["name"] for o in missing if info[o]["typtype"] != "d"]
            if names:
                await self.conn.prepare("SELECT " + ", ".join(f"NULL::{n}" for n in names))

    def binary_ok(self, oid, info):
        """Enums, composites, ranges and arrays of types that are ok; built-ins in
        ASYNCPG_BINARY; domains over ok types once registered; nothing else."""
        t = info[oid]
        kind = t["typtype"]
        if kind == "b":
            if t["is_array"]:
                return self.binary_ok(t["deps"][0], info)
            return oid in ASYNCPG_BINARY
        if kind == "e":
            return True
        if kind == "d":
            return self._domains_ok and self.binary_ok(t["deps"][0], info)
        if kind in ("c", "r", "m"):
            return all(self.binary_ok(d, info) for d in t["deps"])
        return False


class PsycopgDriver(Driver):
    """psycopg 3 (AsyncConnection): a binary cursor; types its adapters load in binary."""

    name = "psycopg"

    async def fetch(self, sql, args, binary=False):
        """fetchall of a cursor (binary for the load, the driver's default otherwise), $n rewritten."""
        import re
        sql = re.sub(r"\$(\d+)", r"%(p\1)s", sql.replace("%", "%%"))
        params = {f"p{i + 1}": a for i, a in enumerate(args)}
        try:
            async with self.conn.cursor(binary=binary) as cur:
                if binary:
                    cur.adapters.register_loader("record", _record_loader())
                await cur.execute(sql, params)
                return await cur.fetchall()
        except Exception as exc:
            typed = errors.translate(exc)
            if typed is not None:
                raise typed from exc
            raise

    def binary_ok(self, oid, info):
        """A binary loader registered for the type and everything inside it."""
        from psycopg import pq
        t = info[oid]
        if t["typtype"] == "d":
            return False         # fields carry the domain's OID: no loader knows it
        if self.conn.adapters.get_loader(oid, pq.Format.BINARY) is None:
            return False         # unregistered enums, composites and extension types
        return all(self.binary_ok(d, info) for d in t["deps"])


_RECORD_LOADER = None


def _record_loader():
    """A binary loader of anonymous records whose rows may differ in shape.

    psycopg's own fixes the field loaders from the first row it sees; load's r
    column holds customers in some rows and tags in others. This one reads
    each field with the loader of the OID the field carries (the cursor's
    adapters: the same loaders its columns use)."""
    global _RECORD_LOADER
    if _RECORD_LOADER is None:
        import struct

        from psycopg import pq
        from psycopg.adapt import Loader, Transformer

        head = struct.Struct("!Ii").unpack_from
        count = struct.Struct("!i").unpack_from

        class HeterogeneousRecordLoader(Loader):
            """record (2249), binary, field by field."""

            format = pq.Format.BINARY

            def __init__(self, oid, context=None):
                """A transformer on the cursor's adapters."""
                super().__init__(oid, context)
                self._tx = Transformer(context)
                self._loaders = {}

            def load(self, data):
                """The fields as a tuple."""
                data = bytes(data)
                n, = count(data, 0)
                pos, out, loaders = 4, [], self._loaders
                for _ in range(n):
                    oid, length = head(data, pos)
                    pos += 8
                    if length < 0:
                        out.append(None)
                        continue
                    loader = loaders.get(oid)
                    if loader is None:
                        loader = loaders[oid] = self._tx.get_loader(oid, pq.Format.BINARY)
                    out.append(loader.load(data[pos:pos + length]))
                    pos += length
                return tuple(out)

        _RECORD_LOADER = HeterogeneousRecordLoader
    return _RECORD_LOADER


def driver_for(conn):
    """The Driver for an asyncpg or psycopg 3 async connection."""
    module = type(conn).__module__
    if module.startswith("psycopg"):
        return PsycopgDriver(conn)
    return AsyncpgDriver(conn)
