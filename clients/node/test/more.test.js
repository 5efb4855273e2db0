'use strict';
// What client.test.js leaves out: keys order, duplicates and misses; one
// statement per edge group and one round trip per load (counted on the
// wire); instances as class objects; odd column names and values that need
// every kind of quoting in a record's text; a relation registered to a view;
// refreshed metadata after ALTER TABLE; transactions, privileges and
// cancellation for load(); every mapped SQLSTATE; the DataLoader's keys
// matched by text, one call per turn with keys and rows of several shapes.
const test = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const pg = require('pg');
const mx = require('..');

async function connect(options) {
  const c = new pg.Client(options);
  await c.connect();
  return c;
}

async function rows(c, sql, values) { return (await c.query(sql, values)).rows; }

// A pass-through proxy that counts round trips: each time the client sends
// after the server has answered is one.
async function turnCounter() {
  const counter = { turns: 0, serverSpoke: true };
  const server = net.createServer((client) => {
    const host = process.env.PGHOST || '/var/run/postgresql';
    const port = Number(process.env.PGPORT || 5432);
    const upstream = host.startsWith('/') ? net.connect(`${host}/.s.PGSQL.${port}`) : net.connect(port, host);
    client.on('data', (d) => { if (counter.serverSpoke) counter.turns++; counter.serverSpoke = false; upstream.write(d); });
    upstream.on('data', (d) => { counter.serverSpoke = true; client.write(d); });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  counter.port = server.address().port;
  counter.close = () => server.close();
  return counter;
}

async function statements(c) {
  const [{ top, inner }] = await rows(c, `SELECT coalesce(sum(calls) FILTER (WHERE toplevel), 0)::int AS top,
      coalesce(sum(calls) FILTER (WHERE NOT toplevel), 0)::int AS inner FROM pg_stat_statements
      WHERE query NOT LIKE '%pg_stat_statements%' AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`);
  return [top, inner];
}

test('keys: order of first occurrence, duplicates once, missing and null skipped', async () => {
  const c = await connect();
  try {
    const got = await mx.load(c, 'orders', [104, 101, 104, 999999, null], 'customer');
    assert.deepStrictEqual(got.map((o) => o.id), [104, 101]);
    assert.deepStrictEqual(await mx.load(c, 'orders', [], 'customer'), []);
  } finally { await c.end(); }
});

test('one statement per edge group, one round trip per load and per DataLoader turn', async () => {
  const counter = await turnCounter();
  const c = await connect({ host: '127.0.0.1', port: counter.port });
  try {
    await mx.load(c, 'orders', [101], 'customer', 'items.product.tags');       // metadata cached
    await mx.load(c, 'customers', [1], 'orders');
    await c.query('SELECT pg_stat_statements_reset()');
    counter.turns = 0;
    await mx.load(c, 'orders', [101, 102, 103], 'customer', 'items.product.tags');
    assert.strictEqual(counter.turns, 1);
    assert.deepStrictEqual(await statements(c), [1, 5]);   // one call: orders + one per edge group
    counter.turns = 0;
    for (const keys of [[101, 102], [103], [104, 101]]) await mx.load(c, 'orders', keys, 'customer', 'items.product.tags');
    await mx.load(c, 'customers', [1, 2], 'orders');
    assert.strictEqual(counter.turns, 4);
    const loader = new mx.DataLoader(c);
    await loader.load('orders', 101, 'customer');
    counter.turns = 0;
    await Promise.all([101, 102, 103].map((k) => loader.load('orders', k, 'customer')));
    await Promise.all([loader.load('orders', 104, 'customer'), loader.load('customers', 1, 'orders')]);
    assert.strictEqual(counter.turns, 2);
    assert.strictEqual(loader.calls, 3);
  } finally { await c.end(); counter.close(); }
});

test('instances as class objects, attached once when repeated', async () => {
  const c = await connect();
  try {
    class Order { constructor(f) { Object.assign(this, f); } }
    const objs = (await rows(c, 'SELECT * FROM orders WHERE id IN (101, 104) ORDER BY id')).map((r) => new Order(r));
    const out = await mx.load(c, 'orders', [objs[0], objs[1], objs[0]], 'customer', 'ship:shipping_address', 'items');
    assert.strictEqual(out[0], objs[0]);
    assert.strictEqual(objs[0].customer.id, 1);
    assert.strictEqual(objs[1].ship, null);
    assert.deepStrictEqual(objs[0].items.map((i) => i.id), [1, 2]);
  } finally { await c.end(); }
});

test('odd column names and values needing every kind of quoting', async () => {
  const c = await connect();
  try {
    const want = await rows(c, 'SELECT * FROM odd_names ORDER BY id');
    const holders = await mx.load(c, 'holders', [1, 2], 'odd_names');
    const got = holders.flatMap((h) => h.odd_names);
    assert.strictEqual(got.length, 5);
    for (let i = 0; i < want.length; i++) {
      assert.deepStrictEqual(Object.keys(got[i]), Object.keys(want[i]));
      for (const k of Object.keys(want[i])) assert.strictEqual(got[i][k], want[i][k], k);
      assert.strictEqual(Object.getPrototypeOf(got[i]), Object.prototype);
      assert.ok(Object.prototype.hasOwnProperty.call(got[i], '__proto__'));
    }
    const spec = { odd_names: { columns: ['__proto__', 'q"uote', 'x,y'] } };
    const [h] = await mx.load(c, 'holders', [1], spec);
    assert.deepStrictEqual(h.odd_names.map((o) => o['x,y']), want.filter((w) => w.holder_id === 1).map((w) => w['x,y']));
    assert.deepStrictEqual(Object.keys(h.odd_names[0]), ['__proto__', 'q"uote', 'x,y']);
  } finally { await c.end(); }
});

test('a relation registered to a view: keyless rows, the view as an instances source', async () => {
  const c = await connect();
  try {
    await c.query(`CREATE VIEW mx_big_orders_js AS SELECT id, customer_id, total FROM orders WHERE total >= 20;
      SELECT matrx_relations.register_relation('customers', 'big_orders_js', 'mx_big_orders_js', ARRAY['id'], ARRAY['customer_id']);
      SELECT matrx_relations.register_relation('mx_big_orders_js', 'customer', 'customers', ARRAY['customer_id'], ARRAY['id'])`);
    try {
      const customers = await mx.load(c, 'customers', [1, 2, 3], 'big_orders_js');
      for (const cu of customers) {
        const want = await rows(c, 'SELECT * FROM mx_big_orders_js WHERE customer_id = $1 ORDER BY id', [cu.id]);
        assert.deepStrictEqual([...cu.big_orders_js].sort((a, b) => a.id - b.id), want);
      }
      assert.ok(customers.some((cu) => cu.big_orders_js.length));
      const held = await rows(c, 'SELECT * FROM mx_big_orders_js ORDER BY id');
      await mx.load(c, 'mx_big_orders_js', held, 'customer');
      assert.ok(held.every((o) => o.customer.id === o.customer_id));
      await assert.rejects(mx.load(c, 'mx_big_orders_js', [101], 'customer'), mx.KeysFormUnsupported);
    } finally {
      await c.query(`SELECT matrx_relations.unregister_relation('customers', 'big_orders_js');
        SELECT matrx_relations.unregister_relation('mx_big_orders_js', 'customer'); DROP VIEW mx_big_orders_js`);
      mx.forget(c);
    }
  } finally { await c.end(); }
});

test('metadata refreshed after ALTER TABLE (wider and narrower rows)', async () => {
  const c = await connect();
  try {
    await c.query(`CREATE TABLE mx_js_parent (id int PRIMARY KEY);
      CREATE TABLE mx_js_child (id int PRIMARY KEY, parent_id int REFERENCES mx_js_parent);
      INSERT INTO mx_js_parent VALUES (1); INSERT INTO mx_js_child VALUES (1, 1)`);
    try {
      let [p] = await mx.load(c, 'mx_js_parent', [1], 'mx_js_child');
      assert.deepStrictEqual(p.mx_js_child, [{ id: 1, parent_id: 1 }]);
      await c.query("ALTER TABLE mx_js_child ADD COLUMN extra text DEFAULT 'x'");
      [p] = await mx.load(c, 'mx_js_parent', [1], 'mx_js_child');
      assert.deepStrictEqual(p.mx_js_child, [{ id: 1, parent_id: 1, extra: 'x' }]);
      await c.query('ALTER TABLE mx_js_child DROP COLUMN extra; ALTER TABLE mx_js_parent ADD COLUMN n int DEFAULT 7');
      [p] = await mx.load(c, 'mx_js_parent', [1], 'mx_js_child');
      assert.deepStrictEqual(p, { id: 1, n: 7, mx_js_child: [{ id: 1, parent_id: 1 }] });
      await c.query('ALTER TABLE mx_js_parent DROP COLUMN n');
      p = await new mx.DataLoader(c).load('mx_js_parent', 1, 'mx_js_child');
      assert.deepStrictEqual(p, { id: 1, mx_js_child: [{ id: 1, parent_id: 1 }] });
    } finally { await c.query('DROP TABLE mx_js_child, mx_js_parent'); }
  } finally { await c.end(); }
});

test('load() in a transaction, without privilege, cancelled', async () => {
  const c = await connect();
  const other = await connect();
  try {
    await c.query('BEGIN');
    try {
      await c.query("INSERT INTO customers VALUES (9201, 'in tx'); INSERT INTO orders VALUES (9201, 9201, 1, NULL, 1)");
      const [o] = await mx.load(c, 'orders', [9201], 'customer');
      assert.strictEqual(o.customer.name, 'in tx');
    } finally { await c.query('ROLLBACK'); }
    assert.deepStrictEqual(await mx.load(c, 'orders', [9201], 'customer'), []);
    await c.query('DROP ROLE IF EXISTS mx_js_nopriv; CREATE ROLE mx_js_nopriv');
    try {
      await c.query('GRANT SELECT ON orders TO mx_js_nopriv; GRANT USAGE ON SCHEMA matrx_relations TO mx_js_nopriv');
      await c.query('BEGIN; SET LOCAL ROLE mx_js_nopriv');
      await assert.rejects(mx.load(c, 'orders', [101], 'customer'), (e) => e instanceof mx.InsufficientPrivilege && e.code === '42501');
      await c.query('ROLLBACK');
    } finally {
      await c.query('REVOKE ALL ON orders FROM mx_js_nopriv; REVOKE ALL ON SCHEMA matrx_relations FROM mx_js_nopriv; DROP ROLE mx_js_nopriv');
    }
    await other.query('BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
    try {
      await c.query("BEGIN; SET LOCAL statement_timeout = '200ms'");
      await assert.rejects(mx.load(c, 'orders', [101], 'customer'), mx.QueryCanceled);
      await c.query('ROLLBACK');
    } finally { await other.query('ROLLBACK'); }
  } finally { await c.end(); await other.end(); }
});

test('ambiguous names, non-tables, every mapped SQLSTATE', async () => {
  const c = await connect();
  try {
    await c.query(`CREATE TABLE mx_js_zp (id int PRIMARY KEY); CREATE TABLE mx_js_zt (id int PRIMARY KEY);
      CREATE TABLE mx_js_zj1 (p_id int REFERENCES mx_js_zp, t_id int REFERENCES mx_js_zt, PRIMARY KEY (p_id, t_id));
      CREATE TABLE mx_js_zj2 (p_id int REFERENCES mx_js_zp, t_id int REFERENCES mx_js_zt, PRIMARY KEY (p_id, t_id))`);
    try {
      await assert.rejects(mx.load(c, 'mx_js_zp', [1], 'mx_js_zt'),
        (e) => e instanceof mx.AmbiguousRelation && e.code === '42P09' && /mx_js_zj1/.test(e.detail) && !!e.hint);
    } finally { await c.query('DROP TABLE mx_js_zj1, mx_js_zj2, mx_js_zp, mx_js_zt'); mx.forget(c); }
    await assert.rejects(mx.load(c, 'orders_pkey', [1], 'customer'), (e) => e instanceof mx.WrongObjectType && e.code === '42809');
    await c.query(`CREATE FUNCTION pg_temp.mx_raise(code text) RETURNS int LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'raised %', code USING ERRCODE = code, DETAIL = 'the detail', HINT = 'the hint'; END $$`);
    const codes = { '42704': 'UnknownRelation', '42P09': 'AmbiguousRelation', '22023': 'InvalidArgument',
      '22004': 'NullArgument', '42701': 'DuplicateOutputKey', '42P01': 'UndefinedTable', '42703': 'UndefinedColumn',
      '42809': 'WrongObjectType', '0A000': 'KeysFormUnsupported', '42804': 'KeyTypeMismatch', '22P02': 'InvalidKeyValue',
      '22003': 'InvalidKeyValue', '42501': 'InsufficientPrivilege', '57014': 'QueryCanceled', '54000': 'ProgramLimitExceeded' };
    for (const [code, name] of Object.entries(codes)) {
      const err = await c.query('SELECT pg_temp.mx_raise($1)', [code]).then(() => null, (e) => e);
      const typed = mx.translate(err);
      assert.ok(typed instanceof mx[name] && typed instanceof mx.MatrxError, code);
      assert.deepStrictEqual([typed.code, typed.message, typed.detail, typed.hint, typed.cause],
        [code, `raised ${code}`, 'the detail', 'the hint', err]);
    }
    const other = await c.query('SELECT pg_temp.mx_raise($1)', ['23505']).then(() => null, (e) => e);
    assert.strictEqual(mx.translate(other), other);
  } finally { await c.end(); }
});

test('DataLoader: keys matched by text, one call for a turn of mixed shapes', async () => {
  const c = await connect();
  try {
    const loader = new mx.DataLoader(c);
    const [a, b, missing, nul] = await Promise.all([loader.load('orders', 101, 'customer'), loader.load('orders', '101', 'customer'),
      loader.load('orders', 999999, 'customer'), loader.load('orders', null, 'customer')]);
    assert.strictEqual(a.id, 101);
    assert.strictEqual(b, a);
    assert.strictEqual(missing, null);
    assert.strictEqual(nul, null);
    loader.calls = 0;
    const spec = { tags: { columns: ['name'] } };
    const got = await Promise.all([
      loader.load('orders', 101, 'customer'), loader.load('orders', 101, 'customer'),
      loader.load('customers', 1, 'orders'), loader.load('orders', { id: 102, customer_id: 1 }, 'items'),
      loader.load('products', 1, spec), loader.load('products', 1, { tags: { columns: ['name'] } })]);
    assert.strictEqual(loader.calls, 1);
    const [o1, o1b, c1, inst, p1, p1b] = got;
    assert.strictEqual(o1, o1b);
    assert.strictEqual(c1.orders[0], o1);
    assert.strictEqual(o1.customer, c1);
    assert.deepStrictEqual(inst.items.map((i) => i.id), [3, 4]);
    assert.strictEqual(p1, p1b);                           // equal specs: one request
    const tags = await rows(c, 'SELECT t.name FROM tags t JOIN product_tags pt ON pt.tag_id = t.id WHERE pt.product_id = 1 ORDER BY t.id');
    assert.deepStrictEqual(p1.tags, tags);
  } finally { await c.end(); }
});
