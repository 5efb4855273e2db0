"""The value round trip: every core type (and user types: enum, domain,
composite, arrays of them, extension types) through load() equals what the
driver returns for the same columns, under unusual session settings."""

import json
import math

import pytest

import matrx_relations as mx

SETTINGS = [
    {"TimeZone": "UTC", "DateStyle": "ISO, MDY", "IntervalStyle": "postgres"},
    {"TimeZone": "Asia/Kathmandu", "DateStyle": "SQL, DMY", "IntervalStyle": "sql_standard"},
    {"TimeZone": "America/St_Johns", "DateStyle": "German", "IntervalStyle": "iso_8601"},
    {"TimeZone": "Pacific/Chatham", "DateStyle": "Postgres, YMD", "IntervalStyle": "postgres_verbose",
     "extra_float_digits": "-15", "bytea_output": "escape", "lc_monetary": "C"},
]


def same(a, b):
    """Equal, NaN equal to NaN (in lists too)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if a != a and b != b:          # Decimal NaN
        return True
    return type(a) is type(b) and a == b or (a == b and str(type(a)) == str(type(b)))


def diff(want, got):
    """Column names whose values differ."""
    return [(k, want[k], got.get(k)) for k in want if not same(want[k], got.get(k))]


async def set_session(conn, settings):
    """SET every setting (asyncpg or psycopg)."""
    for k, v in settings.items():
        if hasattr(conn, "fetch"):
            await conn.execute(f"SET {k} = '{v}'")
        else:
            await conn.execute(f"SET {k} = '{v}'")


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: s["TimeZone"])
async def test_every_type_asyncpg(conn, settings):
    await set_session(conn, settings)
    want = [dict(r) for r in await conn.fetch("SELECT * FROM typed_values ORDER BY id")]
    holders = await mx.load(conn, "holders", [1, 2, 3], "typed_values")
    got = [v for h in holders for v in h["typed_values"]]
    assert [g["id"] for g in got] == [w["id"] for w in want]
    for w, g in zip(want, got):
        assert diff(w, g) == []
    # the same rows as the source (node 0) and through the instances form
    got0 = await mx.load(conn, "typed_values", [1, 2, 3])
    for w, g in zip(want, got0):
        assert diff(w, g) == []
    inst = [{"id": 1}, {"id": 2}]
    await mx.load(conn, "holders", inst, "typed_values")
    assert all(diff(w, g) == [] for w, g in zip(want, inst[0]["typed_values"] + inst[1]["typed_values"]))


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: s["TimeZone"])
async def test_binary_only_node(conn, settings):
    """A node of types decoded in binary (no text path): jsonb, timestamptz, interval, date."""
    await set_session(conn, settings)
    want = [dict(r) for r in await conn.fetch("SELECT * FROM notes ORDER BY id")]
    got = [n for h in await mx.load(conn, "holders", [1, 2], "notes") for n in h["notes"]]
    assert [diff(w, g) for w, g in zip(want, got)] == [[], [], []]


async def test_custom_codec_falls_back(conn):
    """A user's text-format codec cannot decode binary record fields: the load
    retries on the text path, and from then on uses it for that load."""
    await conn.set_type_codec("jsonb", schema="pg_catalog", encoder=json.dumps, decoder=json.loads)
    want = [dict(r) for r in await conn.fetch("SELECT * FROM notes ORDER BY id")]
    assert want[0]["body"] == {"k": [1, 2.5]}
    got = [n for h in await mx.load(conn, "holders", [1, 2], "notes") for n in h["notes"]]
    assert [diff(w, g) for w, g in zip(want, got)] == [[], [], []]
    got = [n for h in await mx.load(conn, "holders", [1, 2], "notes") for n in h["notes"]]
    assert [diff(w, g) for w, g in zip(want, got)] == [[], [], []]


async def test_spec_columns_text_path(conn):
    """A spec's columns (an anonymous record) holding types that take the text path."""
    cols = ["id", "c_money", "c_macaddr", "c_tsvector", "c_mood", "c_posint", "c_pair", "c_hstore", "c_email"]
    want = [dict(r) for r in await conn.fetch(f"SELECT {', '.join(cols)} FROM typed_values ORDER BY id")]
    got = await mx.load(conn, "holders", [1, 2], {"typed_values": {"columns": cols}})
    rows = [v for h in got for v in h["typed_values"]]
    assert [diff(w, g) for w, g in zip(want, rows)] == [[], [], []]


# psycopg's text loaders read ISO dates and postgres intervals only, and no
# infinite timestamps: nothing to compare with under the other settings (and
# with extra_float_digits < 1 its text columns lose digits the load keeps)
PSYCOPG_SETTINGS = [{"TimeZone": "UTC", "DateStyle": "ISO, MDY", "IntervalStyle": "postgres"},
                    {"TimeZone": "Pacific/Chatham", "DateStyle": "ISO, DMY", "IntervalStyle": "postgres",
                     "bytea_output": "escape"}]


@pytest.mark.parametrize("settings", PSYCOPG_SETTINGS, ids=lambda s: s["TimeZone"])
async def test_every_type_psycopg(pconn, settings):
    await set_session(pconn, settings)
    async with pconn.cursor() as cur:
        await cur.execute("SELECT * FROM typed_values WHERE false")
        # psycopg cannot load the infinite timestamps of c_ts_arr, or row 2's
        cols = [d.name for d in cur.description if d.name != "c_ts_arr"]
        await cur.execute(f"SELECT {', '.join(cols)} FROM typed_values WHERE id <> 2 ORDER BY id")
        want = [dict(zip(cols, r)) for r in await cur.fetchall()]
    spec = {"typed_values": {"where": {"id": {"ne": 2}}, "columns": cols}}
    got = [v for h in await mx.load(pconn, "holders", [1, 2, 3], spec) for v in h["typed_values"]]
    assert len(got) == len(want) == 2
    for w, g in zip(want, got):
        assert diff(w, g) == []
