'use strict';
// clients/node against the database clients/run.sh prepares (PG* environment):
// relation kinds, composite keys, nested paths, aliases, spec options,
// instances, DataLoader batching, transactions, every core type under
// unusual settings, errors.
const test = require('node:test');
const assert = require('node:assert');
const util = require('node:util');
const pg = require('pg');
const mx = require('..');

async function connect() {
  const c = new pg.Client();
  await c.connect();
  return c;
}

async function rows(c, sql, values) { return (await c.query(sql, values)).rows; }

test('fk, ifk, m2m, nested, one object per row', async () => {
  const c = await connect();
  try {
    const got = await mx.load(c, 'orders', [101, 102, 104, 999999], 'customer', 'items.product.tags');
    assert.deepStrictEqual(got.map((o) => o.id), [101, 102, 104]);
    for (const o of got) {
      const { customer, items, ...cols } = o;
      assert.deepStrictEqual(cols, (await rows(c, 'SELECT * FROM orders WHERE id = $1', [o.id]))[0]);
      assert.deepStrictEqual(customer, (await rows(c, 'SELECT * FROM customers WHERE id = $1', [o.customer_id]))[0]);
      const want = await rows(c, 'SELECT * FROM items WHERE order_id = $1 ORDER BY id', [o.id]);
      assert.deepStrictEqual(items.map(({ product, ...i }) => i), want);
      for (const i of items) {
        const tags = await rows(c, 'SELECT t.* FROM tags t JOIN product_tags pt ON pt.tag_id = t.id WHERE pt.product_id = $1 ORDER BY t.id', [i.product_id]);
        assert.deepStrictEqual(i.product.tags, tags);
      }
    }
    assert.strictEqual(got[0].customer, got[1].customer);
  } finally { await c.end(); }
});

test('null fk, empty lists, aliases, composite keys, self reference', async () => {
  const c = await connect();
  try {
    const [o] = await mx.load(c, 'orders', [104], 'ship:shipping_address', 'lines:items');
    assert.strictEqual(o.ship, null);
    assert.deepStrictEqual(o.lines.map((i) => i.id), [6]);
    const [cust] = await mx.load(c, 'customers', [3], 'orders');
    assert.deepStrictEqual(cust.orders, []);
    const stores = await mx.load(c, 'stores', [1, 4], 'region:stores_country_region_code_fkey');
    assert.deepStrictEqual(stores[0].region, { country: 'GB', code: 'ENG', name: 'England' });
    assert.strictEqual(stores[1].region, null);
    const regions = await mx.load(c, 'regions', [{ country: 'GB', code: 'ENG' }, { country: 'US', code: 'WA' }], 'stores', 'tags');
    assert.deepStrictEqual(regions[0].tags.map((t) => t.id), [1, 2]);
    assert.deepStrictEqual(regions[1].stores, []);
    const [e] = await mx.load(c, 'employees', [4], 'manager.manager');
    assert.strictEqual(e.manager.manager.name, 'Margaret');
  } finally { await c.end(); }
});

test('instances, duplicates, factory, spec options', async () => {
  const c = await connect();
  try {
    const held = await rows(c, 'SELECT * FROM orders WHERE id IN (101, 103) ORDER BY id');
    const out = await mx.load(c, 'orders', [...held, held[0]], 'customer', 'items');
    assert.strictEqual(out[2], held[0]);
    assert.strictEqual(held[0].items.length, 2);
    class Customer { constructor(f) { Object.assign(this, f); } }
    const got = await mx.load(c, 'orders', [101], 'customer', { factory: (t, f) => (t === 'customers' ? new Customer(f) : f) });
    assert.ok(got[0].customer instanceof Customer);
    const spec = { customer: { columns: ['name'] },
      items: { order_by: ['qty desc'], limit: 1, include: { product: { columns: ['id', 'price'] } } } };
    const [a] = await mx.load(c, 'orders', [101], spec);
    assert.deepStrictEqual(a.customer, { name: 'Ada Lovelace' });
    assert.deepStrictEqual(a.items.map((i) => i.id), [1]);
    assert.deepStrictEqual(Object.keys(a.items[0].product), ['id', 'price']);
  } finally { await c.end(); }
});

test('DataLoader: one load_batch per turn, many sources, transactions', async () => {
  const c = await connect();
  try {
    const loader = new mx.DataLoader(c);
    await loader.load('orders', 101, 'customer');
    await c.query('SELECT pg_stat_statements_reset()');
    loader.calls = 0;
    const ids = (await rows(c, 'SELECT id FROM orders ORDER BY id')).map((r) => r.id);
    const got = await Promise.all(ids.map((i) => loader.load('orders', i, 'customer')));
    assert.strictEqual(loader.calls, 1);
    const [{ top }] = await rows(c, `SELECT sum(calls)::int AS top FROM pg_stat_statements
      WHERE toplevel AND query NOT LIKE '%pg_stat_statements%'
        AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`);
    assert.strictEqual(top, 2);
    assert.ok(got.every((o) => o.customer.id === o.customer_id));
    // three levels of resolvers: three calls
    const l2 = new mx.DataLoader(c);
    const orders = await rows(c, 'SELECT * FROM orders ORDER BY id');
    await Promise.all(orders.map(async (o) => {
      await l2.load('orders', o, 'customer', 'items');
      await Promise.all(o.items.map(async (i) => {
        await l2.load('items', i, 'product');
        await l2.load('products', i.product, 'tags');
      }));
    }));
    assert.strictEqual(l2.calls, 3);
    await c.query('BEGIN');
    try {
      await c.query("INSERT INTO customers VALUES (9101, 'tx'); INSERT INTO orders VALUES (9101, 9101, 1, NULL, 1)");
      const [a, b] = await Promise.all([l2.load('orders', 9101, 'customer'), l2.load('customers', 9101, 'orders')]);
      assert.strictEqual(a.customer.name, 'tx');
      assert.strictEqual(b.orders[0], a);
    } finally { await c.query('ROLLBACK'); }
    assert.strictEqual(await l2.load('orders', 9101, 'customer'), null);
    const errs = await Promise.allSettled([l2.load('orders', 101, 'nope'), l2.load('orders', 102, 'customer')]);
    assert.ok(errs.every((r) => r.status === 'rejected' && r.reason instanceof mx.UnknownRelation));
  } finally { await c.end(); }
});

const SETTINGS = [
  { TimeZone: 'UTC', DateStyle: 'ISO, MDY', IntervalStyle: 'postgres' },
  { TimeZone: 'Asia/Kathmandu', DateStyle: 'SQL, DMY', IntervalStyle: 'sql_standard' },
  { TimeZone: 'America/St_Johns', DateStyle: 'German', IntervalStyle: 'iso_8601', extra_float_digits: '-15', bytea_output: 'escape' },
];

for (const s of SETTINGS) {
  test(`every type as pg returns the columns (${s.TimeZone}, ${s.DateStyle}, ${s.IntervalStyle})`, async () => {
    const c = await connect();
    try {
      for (const [k, v] of Object.entries(s)) await c.query(`SET ${k} = '${v}'`);
      const want = await rows(c, 'SELECT * FROM typed_values ORDER BY id');
      const got = (await mx.load(c, 'holders', [1, 2, 3], 'typed_values')).flatMap((h) => h.typed_values);
      assert.strictEqual(got.length, want.length);
      for (let i = 0; i < want.length; i++) {
        for (const k of Object.keys(want[i])) {
          assert.ok(util.isDeepStrictEqual(want[i][k], got[i][k]) ||
                    (Number.isNaN(want[i][k]) && Number.isNaN(got[i][k])), `${k}: ${util.inspect(want[i][k])} != ${util.inspect(got[i][k])}`);
        }
      }
      const [n0] = await mx.load(c, 'typed_values', [1]);
      assert.ok(util.isDeepStrictEqual(n0, want[0]));
    } finally { await c.end(); }
  });
}

test('a custom type parser applies to record fields too', async () => {
  const c = await connect();
  try {
    const parse = (v) => `num:${v}`;
    c.setTypeParser(1700, parse);
    const [o] = await mx.load(c, 'orders', [101], 'customer');
    assert.strictEqual(o.total, 'num:31.00');
    assert.strictEqual((await rows(c, 'SELECT total FROM orders WHERE id = 101'))[0].total, 'num:31.00');
  } finally { await c.end(); }
});

test('errors are typed by SQLSTATE', async () => {
  const c = await connect();
  try {
    await assert.rejects(mx.load(c, 'orders', [101], 'nope'), (e) => e instanceof mx.UnknownRelation && e.code === '42704' && !!e.hint);
    await assert.rejects(mx.load(c, 'orders', [101], 'customer..x'), mx.InvalidArgument);
    await assert.rejects(mx.load(c, 'no_such_table', [1], 'x'), mx.UndefinedTable);
    await assert.rejects(mx.load(c, 'product_tags', [1], 'product'), mx.KeysFormUnsupported);
    await assert.rejects(mx.load(c, 'orders', [101], { customer: { columns: ['nope'] } }), mx.UndefinedColumn);
    await assert.rejects(mx.load(c, 'orders', [{ id: 101 }], 'customer'), mx.InvalidArgument);
    await assert.rejects(mx.load(c, 'orders', [101], 'total:customer'), mx.DuplicateOutputKey);
    await assert.rejects(mx.load(c, 'orders', [{ customer_id: 'x' }], 'customer'), mx.InvalidKeyValue);
    await assert.rejects(mx.load(c, 'orders', [101], { customer: { where: { id: { like: '1%' } } } }),
      (e) => e instanceof mx.UndefinedFunction && e.code === '42883');
    for (const [code, cls] of [['42846', mx.CannotCoerce], ['55000', mx.ObjectNotInPrerequisiteState]]) {
      assert.ok(mx.translate({ code, message: 'm' }) instanceof cls);
    }
    const retry = { code: '40001', message: 'm' };      // a retry loop's error, as pg raised it
    assert.strictEqual(mx.translate(retry), retry);
  } finally { await c.end(); }
});

test('splitRecord', () => {
  assert.deepStrictEqual(mx.splitRecord('(1,"a ""b"" \\\\c",,"")', 4), ['1', 'a "b" \\c', null, '']);
  assert.deepStrictEqual(mx.splitRecord('()', 1), [null]);
  assert.deepStrictEqual(mx.splitRecord('(1,)', 2), ['1', null]);
});
