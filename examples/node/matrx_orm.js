'use strict';
// A small node-postgres model layer on top of matrx_relations: the same
// relation API as examples/python/matrx_orm.py.
//
//   const orders = await session.all(Order);
//   await session.fetchFk(orders, 'customer');                 // one statement
//   await session.prefetchRelated(orders, 'customer', 'items.product.tags');   // one call
//   const byKey = await session.selectRelated(Order, [101, 102], 'customer'); // one statement
//   const customer = await session.loader().load(order, 'customer');          // one call per tick
//
// An fk (and a one-to-one ifk: the view's cardinality 'one') becomes an
// object or null, an ifk or m2m an array ([] when empty)
// ordered by the target's primary key; nested paths nest the same way.

const pg = require('pg');
const mx = require('../../clients/node');  // the client library (its pg: the Client's own)

// numeric as a JavaScript number, as JSON.parse reads jsonb numbers, so a
// column reads the same from a row and from a document (exact decimals
// would need a decimal library on both paths)
pg.types.setTypeParser(pg.types.builtins.NUMERIC, parseFloat);

const models = new Map();

// A row as an object: its columns and the relations loaded onto it.
class Model {
  constructor(columns) {
    Object.assign(this, columns);
    Object.defineProperty(this, '_columns', { value: Object.keys(columns) });
    Object.defineProperty(this, '_relations', { value: [] });
  }

  // Registers a subclass as its table's model.
  static register(table) {
    this.table = table;
    models.set(table, this);
    return this;
  }

  // Sets a loaded relation (an object, null or an array) as a property.
  attach(name, value) {
    this[name] = value;
    if (!this._relations.includes(name)) this._relations.push(name);
  }

  // Columns and loaded relations, recursively: what tests compare. A
  // relation is any other own property: attach() sets them, and so does the
  // client library (clients/node), which assigns them directly.
  toPlain() {
    const out = {};
    for (const c of this._columns) out[c] = this[c];
    for (const r of Object.keys(this)) {
      if (this._columns.includes(r)) continue;
      const v = this[r];
      out[r] = Array.isArray(v) ? v.map((x) => x.toPlain()) : v === null ? null : v.toPlain();
    }
    return out;
  }
}

// The Model of a table as PostgreSQL prints a regclass (no schema when the
// search_path finds it): what the client library passes its factory.
function modelForRegclass(name) {
  for (const [table, model] of models) {
    if (table === name || table.split('.').pop() === name) return model;
  }
  return modelFor(name);
}

// The Model subclass of a table, or a generic one made on first use.
function modelFor(table) {
  if (!models.has(table)) models.set(table, class extends Model {}.register(table));
  return models.get(table);
}

// A connection plus the relation metadata it has read; counts statements.
class Session {
  constructor(client) {
    this.client = client;
    this.statements = 0;
    this.relationsOf = new Map();
    this.pkOf = new Map();
  }

  // Connects with the PG* environment (or the config given).
  static async connect(config) {
    const client = new pg.Client(config);
    await client.connect();
    return new Session(client);
  }

  // Closes the connection.
  async close() {
    await this.client.end();
  }

  // Every statement this layer sends goes through here and is counted.
  async query(sql, params) {
    this.statements += 1;
    return (await this.client.query(sql, params)).rows;
  }

  // The source's relations by name and constraint name (read once, not counted).
  async relations(model) {
    if (!this.relationsOf.has(model.table)) {
      const { rows } = await this.client.query(
        `SELECT r.name, r.kind, r.cardinality, r.source_columns::text[] AS source_columns,
                r.constraint_name::text AS constraint_name,
                pg_catalog.format('%I.%I', n.nspname, c.relname) AS target
         FROM matrx_relations.relations r
         JOIN pg_catalog.pg_class c ON c.oid = r.target
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE r.source = $1::regclass`, [model.table]);
      const byName = new Map();
      // toOne: an fk, or an ifk whose FK columns are unique (one-to-one)
      for (const r of rows) byName.set(r.name, { ...r, toOne: r.cardinality === 'one', target: modelFor(r.target) });
      for (const r of [...byName.values()].sort((a, b) => (a.kind !== 'fk') - (b.kind !== 'fk'))) {
        if (r.constraint_name && !byName.has(r.constraint_name)) byName.set(r.constraint_name, r);
      }
      this.relationsOf.set(model.table, byName);
    }
    return this.relationsOf.get(model.table);
  }

  // [column, type] of a single-column primary key, or null.
  async primaryKey(model) {
    if (!this.pkOf.has(model.table)) {
      const { rows } = await this.client.query(
        `SELECT a.attname::text AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
         FROM pg_catalog.pg_index i
         JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
         WHERE i.indrelid = $1::regclass AND i.indisprimary`, [model.table]);
      this.pkOf.set(model.table, rows.length === 1 ? [rows[0].name, rows[0].type] : null);
    }
    return this.pkOf.get(model.table);
  }

  // The named relation, checked to be of one of the kinds given.
  async relation(model, name, kinds) {
    const rel = (await this.relations(model)).get(name);
    if (!rel) throw new Error(`${model.table} has no relation ${name}`);
    if (kinds && !kinds.includes(rel.kind)) throw new Error(`${model.table}.${name} is an ${rel.kind}`);
    return rel;
  }

  // Relation paths ('alias:name.name') as a tree: key -> {relation, children}.
  async parse(model, paths) {
    const tree = new Map();
    for (const path of paths) {
      let level = tree;
      let source = model;
      for (const segment of path.split('.')) {
        const colon = segment.lastIndexOf(':');
        const name = segment.slice(colon + 1);
        const key = colon >= 0 ? segment.slice(0, colon) : name;
        if (!level.has(key)) level.set(key, { relation: await this.relation(source, name), children: new Map() });
        const edge = level.get(key);
        level = edge.children;
        source = edge.relation.target;
      }
    }
    return tree;
  }

  // An object from a document: columns, then its edges' values.
  build(model, doc, tree) {
    const columns = {};
    for (const [k, v] of Object.entries(doc)) if (!tree.has(k)) columns[k] = v;
    const obj = new model(columns);
    this.attachDoc(obj, doc, tree);
    return obj;
  }

  // Sets each edge of the tree from the document onto obj: to-one (fk,
  // one-to-one ifk) -> object or null, to-many -> array in the document's order.
  attachDoc(obj, doc, tree) {
    for (const [key, edge] of tree) {
      const v = doc[key];
      const target = edge.relation.target;
      obj.attach(key, edge.relation.toOne
        ? (v === null ? null : this.build(target, v, edge.children))
        : v.map((d) => this.build(target, d, edge.children)));
    }
  }

  // Every row of a table as objects, ordered by the whole row (one statement).
  async all(model) {
    const rows = await this.query(`SELECT * FROM ${model.table} t ORDER BY t`);
    return rows.map((r) => new model(r));
  }

  // One relation for many objects, one statement: fetch_related for a to-one
  // relation (fk, one-to-one ifk), else fetch_related_array (rows as jsonb:
  // node-postgres does not parse composite types).
  async fetchTyped(instances, name, kind) {
    const list = Array.isArray(instances) ? instances : [instances];
    if (list.length === 0) return;
    const model = list[0].constructor;
    const rel = await this.relation(model, name, [kind]);
    const pk = await this.primaryKey(model);
    if (!pk) throw new Error(`${model.table} has no single-column primary key: use prefetchRelated`);
    const fn = rel.toOne ? 'fetch_related' : 'fetch_related_array';
    const rows = await this.query(
      `SELECT source_key, pg_catalog.to_jsonb(related) AS related FROM matrx_relations.${fn}(` +
      `NULL::${rel.target.table}, $1::regclass, $2, $3::${pk[1]}[])`,
      [model.table, name, list.map((i) => i[pk[0]])]);
    const byKey = new Map();
    for (const r of rows) {
      byKey.set(r.source_key, Array.isArray(r.related)
        ? r.related.map((x) => new rel.target(x)) : new rel.target(r.related));
    }
    for (const i of list) i.attach(name, byKey.has(i[pk[0]]) ? byKey.get(i[pk[0]]) : rel.toOne ? null : []);
  }

  // The fk's target object (or null) onto each object: one statement.
  fetchFk(instances, name) { return this.fetchTyped(instances, name, 'fk'); }

  // The inverse fk's child array (one-to-one: the child or null) onto each
  // object: one statement.
  fetchIfk(instances, name) { return this.fetchTyped(instances, name, 'ifk'); }

  // The many-to-many array onto each object: one statement.
  fetchM2m(instances, name) { return this.fetchTyped(instances, name, 'm2m'); }

  // The key columns the first-level edges read, once per distinct key, and
  // each instance's index among them.
  keyObjects(instances, tree) {
    const columns = [];
    for (const edge of tree.values()) {
      for (const c of edge.relation.source_columns) if (!columns.includes(c)) columns.push(c);
    }
    const keys = [];
    const index = new Map();
    const positions = instances.map((inst) => {
      const obj = {};
      for (const c of columns) obj[c] = inst[c];
      const ident = JSON.stringify(columns.map((c) => obj[c]));
      if (!index.has(ident)) { index.set(ident, keys.length); keys.push(obj); }
      return index.get(ident);
    });
    return { keys, positions };
  }

  // Loads the paths onto objects already held, in one call (instances form).
  async prefetchRelated(instances, ...paths) {
    if (instances.length === 0 || paths.length === 0) return instances;
    const tree = await this.parse(instances[0].constructor, paths);
    const { keys, positions } = this.keyObjects(instances, tree);
    const [row] = await this.query(
      'SELECT matrx_relations.prefetch_related($1::regclass, $2::jsonb, VARIADIC $3::text[]) AS docs',
      [instances[0].constructor.table, JSON.stringify(keys), paths]);
    instances.forEach((inst, i) => this.attachDoc(inst, row.docs[positions[i]], tree));
    return instances;
  }

  // Objects by primary key with their relations: exactly one statement.
  async selectRelated(model, keys, ...paths) {
    const tree = await this.parse(model, paths);
    const pk = await this.primaryKey(model);
    const rows = await this.query(
      `SELECT d FROM matrx_relations.select_related($1::regclass, $2::${pk[1]}[], VARIADIC $3::text[]) d`,
      [model.table, keys, paths]);
    return rows.map((r) => this.build(model, r.d, tree));
  }

  // A DataLoader on this session.
  loader() { return new DataLoader(this); }

  // Objects by key, or objects held, with their relations, through the client
  // library (clients/node): the typed, normalized form, one statement, one
  // Model object per distinct row.
  async load(model, keysOrObjects, ...paths) {
    this.statements += 1;
    return mx.load(this.client, model.table, keysOrObjects, ...paths, { factory: modelFactory });
  }

  // The client library's DataLoader on this session's connection (one
  // load_batch per turn of the event loop), building Model objects.
  clientLoader() { return new mx.DataLoader(this.client, { factory: modelFactory }); }
}

// Model objects for the client library: (target as a regclass, columns).
function modelFactory(target, fields) {
  return new (modelForRegclass(target))(fields);
}

// Gathers the loads requested in one turn of the event loop into one
// prefetch_batch call: load(obj, path) resolves to what the path gives for
// obj (object, null or array) and attaches it.
class DataLoader {
  constructor(session) {
    this.session = session;
    this.pending = [];
    this.calls = 0;
    this.previous = Promise.resolve(); // one connection: one call at a time
  }

  // A promise of the path's value for instance, answered with its turn.
  load(instance, path) {
    return new Promise((resolve, reject) => {
      // setImmediate runs once every promise continuation of this turn has
      // run, so loads their resolvers make in this turn join the batch
      if (this.pending.length === 0) setImmediate(() => this.dispatch());
      this.pending.push({ instance, path, resolve, reject });
    });
  }

  // Takes this turn's loads; they are sent once the previous call is done.
  dispatch() {
    const pending = this.pending;
    this.pending = [];
    this.previous = this.previous.then(() => this.answer(pending));
  }

  // One prefetch_batch call for the pending loads; settles their promises.
  async answer(pending) {
    try {
      const groups = new Map();  // one request per (table, path); the server groups across them
      for (const p of pending) {
        const id = `${p.instance.constructor.table}\u0000${p.path}`;
        if (!groups.has(id)) groups.set(id, []);
        groups.get(id).push(p);
      }
      const requests = [];
      const plans = [];
      for (const loads of groups.values()) {
        const model = loads[0].instance.constructor;
        const tree = await this.session.parse(model, [loads[0].path]);
        const { keys, positions } = this.session.keyObjects(loads.map((l) => l.instance), tree);
        requests.push({ source: model.table, instances: keys, relations: [loads[0].path] });
        plans.push({ tree, loads, positions });
      }
      this.calls += 1;
      const [row] = await this.session.query(
        'SELECT matrx_relations.prefetch_batch($1::jsonb) AS results', [JSON.stringify(requests)]);
      plans.forEach(({ tree, loads, positions }, r) => {
        const [key] = tree.keys();
        loads.forEach((l, i) => {
          this.session.attachDoc(l.instance, row.results[r][positions[i]], tree);
          l.resolve(l.instance[key]);
        });
      });
    } catch (err) {
      for (const p of pending) p.reject(err);
    }
  }
}

module.exports = { Model, Session, DataLoader, modelFor };
