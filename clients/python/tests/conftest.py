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
