"""Fixtures: a connection to the database the PG* environment names, which
holds test/demo/00-setup.sql, examples/data.sql and clients/test/schema.sql
(clients/run.sh creates it)."""

import os
import sys

import pytest

if not os.environ.get("MATRX_CLIENT_INSTALLED"):       # clients/run.sh tests the installed package
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

asyncpg = pytest.importorskip("asyncpg")


@pytest.fixture
async def conn():
    """An asyncpg connection, closed after the test."""
    c = await asyncpg.connect()
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
async def pconn():
    """A psycopg 3 AsyncConnection (autocommit), or the test is skipped."""
    psycopg = pytest.importorskip("psycopg")
    c = await psycopg.AsyncConnection.connect("", autocommit=True)
    try:
        yield c
    finally:
        await c.close()


async def count_statements(conn):
    """(top-level, nested) statements pg_stat_statements recorded in this database."""
    row = await conn.fetchrow(
        """SELECT coalesce(sum(calls) FILTER (WHERE toplevel), 0)::int,
                  coalesce(sum(calls) FILTER (WHERE NOT toplevel), 0)::int
           FROM pg_stat_statements
           WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND query NOT LIKE '%pg_stat_statements%'""")
    return tuple(row)


class TurnCounter:
    """A pass-through proxy between a client and the server that counts round
    trips: each time the client sends after the server has answered is one."""

    def __init__(self):
        """Not listening yet."""
        self.turns = 0
        self._server_spoke = True
        self._server = None

    async def start(self):
        """Listens on 127.0.0.1; returns the port."""
        import asyncio
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def _serve(self, creader, cwriter):
        """One client connection, forwarded to the server the PG* environment names."""
        import asyncio
        host, port = os.environ.get("PGHOST", "/var/run/postgresql"), os.environ.get("PGPORT", "5432")
        if host.startswith("/"):
            sreader, swriter = await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        else:
            sreader, swriter = await asyncio.open_connection(host, int(port))

        async def copy(reader, writer, from_client):
            try:
                while True:
                    data = await reader.read(65536)
                    if not data:
                        break
                    if from_client:
                        if self._server_spoke:
                            self.turns += 1
                        self._server_spoke = False
                    else:
                        self._server_spoke = True
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()
        await asyncio.gather(copy(creader, swriter, True), copy(sreader, cwriter, False))

    def close(self):
        """Stops listening."""
        if self._server is not None:
            self._server.close()


@pytest.fixture
async def counted():
    """(asyncpg connection through a TurnCounter, the counter)."""
    counter = TurnCounter()
    port = await counter.start()
    c = await asyncpg.connect(host="127.0.0.1", port=port)
    try:
        yield c, counter
    finally:
        await c.close()
        counter.close()
