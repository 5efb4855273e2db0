'use strict';
// N+1 against one call, from Node (node-postgres): the same comparison and
// checks as examples/python/compare.py, on the demo schema plus
// examples/data.sql in the database the PG* environment names. Asserts the
// statements each way sent (the client's count and pg_stat_statements') and
// that every way gives equal objects; exits non-zero on a failed check.

const assert = require('node:assert');
const { Model, Session, DataLoader } = require('./matrx_orm');
// clientLoad and clientDataloader go through the client library, clients/node

const PATHS = ['customer', 'items.product.tags'];
const REPEAT = 5;
let failures = 0;
let orderIds = [];

class Customer extends Model {}
Customer.register('public.customers');
class Order extends Model {}
Order.register('public.orders');
class Product extends Model {}
Product.register('public.products');
class Profile extends Model {}
Profile.register('public.customer_profiles');

// A TAP line; a failure makes the script exit non-zero.
function check(ok, what) {
  console.log(`${ok ? 'ok' : 'not ok'} - ${what}`);
  if (!ok) failures += 1;
}

// True when a and b are deeply equal.
function equal(a, b) {
  try { assert.deepStrictEqual(a, b); return true; } catch { return false; }
}

// What lazy ORM code does: one load per object and relation.
async function nPlus1(s) {
  const orders = await s.all(Order);
  for (const order of orders) {
    await s.fetchFk(order, 'customer');
    await s.fetchIfk(order, 'items');
    for (const item of order.items) {
      await s.fetchFk(item, 'product');
      await s.fetchM2m(item.product, 'tags');
    }
  }
  return orders;
}

// Client-side batching: one statement per relation.
async function perRelation(s) {
  const orders = await s.all(Order);
  await s.fetchFk(orders, 'customer');
  await s.fetchIfk(orders, 'items');
  const items = orders.flatMap((o) => o.items);
  await s.fetchFk(items, 'product');
  await s.fetchM2m(items.map((i) => i.product), 'tags');
  return orders;
}

// The objects held, then every relation in one call (instances form).
async function prefetch(s) {
  return s.prefetchRelated(await s.all(Order), ...PATHS);
}

// Objects by key (known beforehand) and relations: exactly one statement.
async function selectRelated(s) {
  return s.selectRelated(Order, orderIds, ...PATHS);
}

// GraphQL-style resolvers, one relation of one object each; the loader
// answers each turn's loads with one prefetch_batch call.
async function dataloader(s) {
  const loader = new DataLoader(s);
  const resolveItem = async (item) => {
    const product = await loader.load(item, 'product');
    await loader.load(product, 'tags');
  };
  const resolveOrder = async (order) => {
    const [, items] = await Promise.all([loader.load(order, 'customer'), loader.load(order, 'items')]);
    await Promise.all(items.map(resolveItem));
  };
  const orders = await s.all(Order);
  await Promise.all(orders.map(resolveOrder));
  s.loaderCalls = loader.calls;
  return orders;
}

// The client library's typed form: orders by key with their relations, one statement.
async function clientLoad(s) {
  return s.load(Order, orderIds, ...PATHS);
}

// The same resolvers on the client library's DataLoader: one load_batch per turn.
async function clientDataloader(s) {
  const loader = s.clientLoader();
  const resolveItem = async (item) => {
    await loader.load('public.items', item, 'product');
    await loader.load('public.products', item.product, 'tags');
  };
  const resolveOrder = async (order) => {
    await loader.load(Order.table, order, 'customer', 'items');
    await Promise.all(order.items.map(resolveItem));
  };
  const orders = await s.all(Order);
  await Promise.all(orders.map(resolveOrder));
  s.statements += loader.calls;
  s.clientLoaderCalls = loader.calls;
  return orders;
}

// [top-level, nested] statements pg_stat_statements saw in this database.
async function serverCounts(s) {
  const { rows: [r] } = await s.client.query(
    `SELECT coalesce(sum(calls) FILTER (WHERE toplevel), 0)::int AS top,
            coalesce(sum(calls) FILTER (WHERE NOT toplevel), 0)::int AS nested
     FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND query NOT LIKE '%pg_stat_statements%'`);
  return [r.top, r.nested];
}

// Statements of one run (client and server), then the median of REPEAT runs.
async function measure(s, fn) {
  await fn(s); // warm-up: metadata and the backend's caches
  await s.client.query('SELECT pg_stat_statements_reset()');
  s.statements = 0;
  const result = await fn(s);
  const client = s.statements;
  const [top, nested] = await serverCounts(s);
  const times = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = process.hrtime.bigint();
    await fn(s);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { result, client, top, nested, ms: times[Math.floor(REPEAT / 2)] };
}

async function main() {
  const s = await Session.connect();
  try {
    const { rows: [n] } = await s.client.query(
      'SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM items)::int AS items, ' +
      '(SELECT array_agg(id ORDER BY id) FROM orders) AS ids');
    orderIds = n.ids;
    console.log(`# ${n.orders} orders, ${n.items} items; paths ${PATHS.join(', ')}`);
    const ways = [
      ['nPlus1', 'N+1 (fetchFk/Ifk/M2m per object)', nPlus1, 1 + 2 * n.orders + 2 * n.items, 2 * n.orders + 2 * n.items],
      ['perRelation', 'one statement per relation (fetch* on arrays)', perRelation, 1 + 4, 4],
      ['prefetch', 'prefetchRelated(instances, ...)', prefetch, 1 + 1, 4],
      ['selectRelated', 'selectRelated(Order, keys, ...)', selectRelated, 1, 1],
      ['dataloader', 'DataLoader (prefetch_batch per turn)', dataloader, 1 + 3, 4],
      ['clientLoad', 'clients/node load(Order, keys, ...)', clientLoad, 1, 5],
      ['clientDataloader', 'clients/node DataLoader (load_batch per turn)', clientDataloader, 1 + 3, 4],
    ];
    const runs = {};
    for (const [key, label, fn] of ways) {
      const r = runs[key] = await measure(s, fn);
      console.log(`# ${label.padEnd(48)} client ${String(r.client).padStart(5)}  server top-level ` +
        `${String(r.top).padStart(5)} + nested ${String(r.nested).padStart(5)}  ${r.ms.toFixed(2).padStart(8)} ms`);
    }
    for (const [key, , , clientWant, nestedWant] of ways) {
      const r = runs[key];
      check(r.client === clientWant && r.top === clientWant,
        `${key}: ${clientWant} statements sent (client ${r.client}, server ${r.top})`);
      check(r.nested === nestedWant, `${key}: ${nestedWant} statements inside the extension (server ${r.nested})`);
    }
    check(s.loaderCalls === 3, `dataloader: 3 turns, 3 prefetch_batch calls (${s.loaderCalls})`);
    check(s.clientLoaderCalls === 3, `clientDataloader: 3 turns, 3 load_batch calls (${s.clientLoaderCalls})`);

    const reference = runs.nPlus1.result.map((o) => o.toPlain());
    for (const [key] of ways) {
      check(equal(runs[key].result.map((o) => o.toPlain()), reference), `${key}: the same objects as N+1`);
    }

    // the mapping itself: fk -> object or null, to-many -> array in key order
    const orders = await s.prefetchRelated(await s.all(Order), 'customer', 'ship:shipping_address', 'items');
    check(orders.every((o) => o.customer instanceof Customer), 'fk -> an object');
    check(orders.some((o) => o.ship === null) &&
      orders.every((o) => o.shipping_address_id !== null || o.ship === null), 'fk with a NULL key -> null');
    check(orders.every((o) => Array.isArray(o.items) &&
      o.items.every((it, i) => i === 0 || o.items[i - 1].id < it.id)), 'ifk -> an array ordered by the target\'s primary key');
    const customers = await s.prefetchRelated(await s.all(Customer), 'orders');
    check(customers.some((c) => Array.isArray(c.orders) && c.orders.length === 0), 'ifk without children -> []');
    // one-to-one (customers -> customer_profiles, the FK is the profile's
    // primary key): an object or null in every form, never an array
    const byId = (list, key) => new Map(list.map((c) => [c.id, c[key] === null ? null : c[key].toPlain()]));
    const withProfile = await s.prefetchRelated(await s.all(Customer), 'profile:customer_profiles');
    check(withProfile.every((c) => (c.id % 2 === 0
      ? c.profile instanceof Profile && c.profile.customer_id === c.id : c.profile === null)),
    'one-to-one ifk -> an object or null');
    const held = await s.all(Customer);
    await s.fetchIfk(held, 'customer_profiles');
    check(equal(byId(held, 'customer_profiles'), byId(withProfile, 'profile')),
      'one-to-one ifk: fetchIfk gives the same object or null');
    const loaded = await s.load(Customer, withProfile.map((c) => c.id), 'profile:customer_profiles');
    check(equal(byId(loaded, 'profile'), byId(withProfile, 'profile')),
      'one-to-one ifk: the client library\'s load gives the same object or null');
    const dup = await s.prefetchRelated([orders[0], orders[1], orders[0]], 'customer');
    check(dup.length === 3 && dup[0] === dup[2], 'instances kept as given, duplicates included');

    // one turn of loads from three tables: one prefetch_batch call, and the
    // values fetchFk/Ifk/M2m give fresh copies of the same objects
    const five = async () => [(await s.all(Order)).slice(0, 5), (await s.all(Customer)).slice(0, 5),
      (await s.all(Product)).slice(0, 5)];
    let [o5, c5, p5] = await five();
    const loader = new DataLoader(s);
    s.statements = 0;
    const got = await Promise.all([
      ...o5.map((o) => loader.load(o, 'customer')),
      ...c5.map((c) => loader.load(c, 'orders')),
      ...p5.map((p) => loader.load(p, 'tags'))]);
    check(loader.calls === 1 && s.statements === 1,
      `one turn, three tables: 1 prefetch_batch call (${loader.calls}, ${s.statements} statements)`);
    [o5, c5, p5] = await five();
    await s.fetchFk(o5, 'customer');
    await s.fetchIfk(c5, 'orders');
    await s.fetchM2m(p5, 'tags');
    const want = [...o5.map((o) => o.customer), ...c5.map((c) => c.orders), ...p5.map((p) => p.tags)];
    const plain = (v) => (Array.isArray(v) ? v.map((x) => x.toPlain()) : v.toPlain());
    check(equal(got.map(plain), want.map(plain)), 'one turn, three tables: the values fetchFk/Ifk/M2m give');
  } finally {
    await s.close();
  }
  process.exitCode = failures ? 1 : 0;
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
