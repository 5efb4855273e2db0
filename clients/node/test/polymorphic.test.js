'use strict';
// Polymorphic relations (poly.comments.commentable: a post, a photo or a
// link by commentable_type): the object of the arm's table under the name,
// null when no arm matched; nested relations per arm; one statement per
// target table; keys, instances, factories, DataLoader.
const test = require('node:test');
const assert = require('node:assert');
const pg = require('pg');
const mx = require('..');

async function connect() {
  const c = new pg.Client();
  await c.connect();
  return c;
}

const TARGET = { Post: ['poly.posts', 'id'], Photo: ['poly.photos', 'id'], Link: ['poly.links', 'slug'] };

// What plain SQL gives for a comment's commentable (null when no arm matches).
async function expected(c, comment, author = false) {
  const target = TARGET[comment.commentable_type];
  if (!target || comment.commentable_id === null) return null;
  const [table, key] = target;
  const [row] = (await c.query(`SELECT * FROM ${table} WHERE ${key}::text = $1`, [comment.commentable_id])).rows;
  if (!row) return null;
  if (author && 'author_id' in row) {
    row.author = (await c.query('SELECT * FROM poly.people WHERE id = $1', [row.author_id])).rows[0] || null;
  }
  return row;
}

test('polymorphic: keys form, null when no arm matches, one object per row', async () => {
  const c = await connect();
  try {
    const got = await mx.load(c, 'poly.comments', [1, 2, 3, 4, 5, 6, 7], 'commentable');
    assert.deepStrictEqual(got.map((x) => x.id), [1, 2, 3, 4, 5, 6, 7]);
    for (const x of got) assert.deepStrictEqual(x.commentable, await expected(c, x));
    assert.strictEqual(got[3].commentable, null);
    assert.strictEqual(got[4].commentable, null);
    assert.strictEqual(got[0].commentable, got[5].commentable);
  } finally { await c.end(); }
});

test('polymorphic: nested per arm, one statement per target table', async () => {
  const c = await connect();
  try {
    await mx.load(c, 'poly.comments', [1], 'commentable.author');
    await c.query('SELECT pg_stat_statements_reset()');
    const got = await mx.load(c, 'poly.comments', [1, 2, 3, 4, 5, 6, 7], 'commentable.author');
    const [{ nested }] = (await c.query(`SELECT sum(calls)::int AS nested FROM pg_stat_statements
      WHERE NOT toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`)).rows;
    assert.strictEqual(nested, 5);            // comments, posts, photos, links, people
    for (const x of got) assert.deepStrictEqual(x.commentable, await expected(c, x, true));
    assert.ok(!('author' in got[2].commentable));   // links has no author: its arm skips it
  } finally { await c.end(); }
});

test('polymorphic: factory per table, instances, DataLoader', async () => {
  const c = await connect();
  try {
    class Model { constructor(f) { Object.assign(this, f); } }
    class Post extends Model {}
    class Photo extends Model {}
    class Link extends Model {}
    const classes = { 'poly.posts': Post, 'poly.photos': Photo, 'poly.links': Link };
    const factory = (t, f) => new (classes[t] || Model)(f);
    const got = await mx.load(c, 'poly.comments', [1, 2, 3, 4], 'commentable.author', { factory });
    assert.deepStrictEqual(got.map((x) => x.commentable && x.commentable.constructor), [Post, Photo, Link, null]);
    assert.strictEqual(got[0].commentable.author.name, 'ann');

    const rows = (await c.query('SELECT * FROM poly.comments ORDER BY id DESC')).rows;
    await mx.load(c, 'poly.comments', rows, 'commentable');
    for (const x of rows) assert.deepStrictEqual(x.commentable, await expected(c, x));

    const loader = new mx.DataLoader(c);
    const viaLoader = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => loader.load('poly.comments', i, 'commentable.author')));
    assert.strictEqual(loader.calls, 1);
    for (const x of viaLoader) assert.deepStrictEqual(x.commentable, await expected(c, x, true));
  } finally { await c.end(); }
});
