"""Polymorphic relations (poly.comments.commentable: a post, a photo or a
link by commentable_type): the object of the arm's table under the name,
None when no arm matched; nested relations per arm; one statement per
target table; keys, instances, factories, DataLoader, psycopg."""

import asyncio

import matrx_relations as mx

from conftest import count_statements

TARGET = {"Post": ("poly.posts", "id"), "Photo": ("poly.photos", "id"), "Link": ("poly.links", "slug")}


async def expected(conn, comment, author=False):
    """What plain SQL gives for a comment's commentable (None when no arm matches)."""
    target = TARGET.get(comment["commentable_type"])
    if target is None or comment["commentable_id"] is None:
        return None
    table, key = target
    row = await conn.fetchrow(f"SELECT * FROM {table} WHERE {key}::text = $1", comment["commentable_id"])
    if row is None:
        return None
    obj = dict(row)
    if author and "author_id" in obj:
        a = await conn.fetchrow("SELECT * FROM poly.people WHERE id = $1", obj["author_id"])
        obj["author"] = dict(a) if a else None
    return obj


async def test_keys_form(conn):
    got = await mx.load(conn, "poly.comments", [1, 2, 3, 4, 5, 6, 7], "commentable")
    assert [c["id"] for c in got] == [1, 2, 3, 4, 5, 6, 7]
    for c in got:
        assert c["commentable"] == await expected(conn, c)
    assert got[3]["commentable"] is None and got[4]["commentable"] is None     # Video, NULL
    assert got[0]["commentable"] is got[5]["commentable"]                     # post 1 twice: one object


async def test_statements_one_per_target_table(conn):
    await mx.load(conn, "poly.comments", [1], "commentable.author")     # metadata cached
    await conn.execute("SELECT pg_stat_statements_reset()")
    await mx.load(conn, "poly.comments", [1, 2, 3, 4, 5, 6, 7], "commentable.author")
    _, nested = await count_statements(conn)
    assert nested == 5          # comments, posts, photos, links, people (for both arms)


async def test_nested_per_arm(conn):
    got = await mx.load(conn, "poly.comments", [1, 2, 3, 7], "commentable.author")
    for c in got:
        assert c["commentable"] == await expected(conn, c, author=True)
    assert "author" not in got[2]["commentable"]           # links has no author: its arm skips it
    assert got[0]["commentable"]["author"]["name"] == "ann"
    assert got[1]["commentable"]["author"]["name"] == "bob"


async def test_factory_per_table(conn):
    class Model:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    class Comment(Model):
        pass

    class Post(Model):
        pass

    class Photo(Model):
        pass

    class Link(Model):
        pass
    factory = {"poly.comments": Comment, "poly.posts": Post, "poly.photos": Photo, "poly.links": Link,
               "poly.people": Model}
    got = await mx.load(conn, "poly.comments", [1, 2, 3, 4], "commentable.author", factory=factory)
    assert [type(c.commentable) for c in got] == [Post, Photo, Link, type(None)]
    assert got[0].commentable.author.name == "ann"


async def test_instances_form(conn):
    rows = [dict(r) for r in await conn.fetch("SELECT * FROM poly.comments ORDER BY id DESC")]
    await mx.load(conn, "poly.comments", rows, "commentable")
    for c in rows:
        assert c["commentable"] == await expected(conn, c)


async def test_dataloader(conn):
    loader = mx.DataLoader(conn)
    got = await asyncio.gather(*(loader.load("poly.comments", i, "commentable.author") for i in range(1, 8)))
    assert loader.calls == 1
    for c in got:
        assert c["commentable"] == await expected(conn, c, author=True)
    rows = [dict(r) for r in await conn.fetch("SELECT * FROM poly.comments ORDER BY id")]
    got = await asyncio.gather(*(loader.load("poly.comments", r, "commentable") for r in rows))
    for c in got:
        assert c["commentable"] == await expected(conn, c)


async def test_psycopg(pconn, conn):
    got = await mx.load(pconn, "poly.comments", [1, 2, 3, 5], "commentable")
    for c in got:
        assert c["commentable"] == await expected(conn, c)
