'use strict';
// Client for the matrx_relations PostgreSQL extension on node-postgres (pg).
//
//   const mx = require('matrx-relations');
//   const orders = await mx.load(client, 'orders', [101, 102], 'customer', 'items.product.tags');
//   const loader = new mx.DataLoader(client);              // one load_batch per event-loop turn
//   const order = await loader.load('orders', 101, 'customer');
//
// The server (matrx_relations.load / load_batch) sends each distinct row once
// with its links (node, id, parent); this module builds one object per row
// and attaches relations: an fk as the object or null, an ifk or m2m as an
// array ([] when empty) in the server's order.
//
// Values: pg has no binary format and no decoder for anonymous records; the
// record column arrives in text. Each field of it is exactly the text the
// column's output function writes (record_out calls it), so the client splits
// the record (quotes and backslashes undone) and runs pg's own type parser
// for the field's type: pg.types.getTypeParser(oid), with the OIDs load_nodes
// gives (a domain mapped to its base type, as PostgreSQL reports a domain
// column). A field thus gets the value pg gives the same column, custom
// parsers (setTypeParser) included, under any session settings.

// pg itself is needed only for the default type parsers of a connection
// that carries none of its own (see typesOf): a Client brings its pg's
let pgModule = null;
function pgTypes() {
  if (!pgModule) pgModule = require('pg');
  return pgModule.types;
}

// ---- errors ---------------------------------------------------------------

// An error raised by matrx_relations in the server (SPEC §4).
class MatrxError extends Error {
  constructor(err, name) {
    super(err.message);
    this.name = name || 'MatrxError';
    this.code = err.code;
    this.sqlstate = err.code;
    this.detail = err.detail;
    this.hint = err.hint;
    this.cause = err;
  }
}

const ERRORS = {
  '42704': 'UnknownRelation', '42P09': 'AmbiguousRelation', '22023': 'InvalidArgument',
  '22004': 'NullArgument', '42701': 'DuplicateOutputKey', '42P01': 'UndefinedTable',
  '42703': 'UndefinedColumn', '42809': 'WrongObjectType', '0A000': 'KeysFormUnsupported',
  '42804': 'KeyTypeMismatch', '22P02': 'InvalidKeyValue', '42501': 'InsufficientPrivilege',
  '57014': 'QueryCanceled', '54000': 'ProgramLimitExceeded', '42883': 'UndefinedFunction',
  '42846': 'CannotCoerce', '55000': 'ObjectNotInPrerequisiteState',
};
// 40001 (table definitions kept changing while a load read them) passes
// through as pg's own error, which a transaction's retry loop looks for
const errorClasses = {};
for (const name of Object.values(ERRORS)) {
  errorClasses[name] = { [name]: class extends MatrxError { constructor(err) { super(err, name); } } }[name];
}

// The typed error for a pg error, or the error itself.
function translate(err) {
  const code = err && err.code;
  if (typeof code !== 'string') return err;
  let name = ERRORS[code];
  if (!name && code.startsWith('22')) name = 'InvalidKeyValue';
  return name ? new errorClasses[name](err) : err;
}

// A query through a pg Client or Pool, with errors translated.
async function query(conn, text, values) {
  try {
    return await conn.query({ text, values, rowMode: 'array' });
  } catch (err) {
    throw translate(err);
  }
}

// ---- records -------------------------------------------------------------

// The fields of a record's text '(a,"b c",,...)' as strings, null for NULL.
function splitRecord(text, ncolumns) {
  const end = text.length - 1;
  if (end === 1) return new Array(ncolumns).fill(null);
  const fields = [];
  let i = 1;
  for (;;) {
    if (text.charCodeAt(i) === 34) { // "
      i++;
      let buf = '';
      let start = i;
      for (;;) {
        const c = text.charCodeAt(i);
        if (c === 34) {
          if (text.charCodeAt(i + 1) === 34) { buf += text.slice(start, i + 1); i += 2; start = i; continue; }
          buf += text.slice(start, i);
          i++;
          break;
        }
        if (c === 92) { buf += text.slice(start, i) + text[i + 1]; i += 2; start = i; continue; }
        i++;
      }
      fields.push(buf);
    } else {
      let j = text.indexOf(',', i);
      if (j < 0 || j > end) j = end;
      fields.push(j > i ? text.slice(i, j) : null);
      i = j;
    }
    if (i >= end) break;
    i++;
    if (i === end) { fields.push(null); break; }
  }
  return fields;
}

// ---- metadata ----------------------------------------------------------------

const NODES_SQL = 'SELECT node, parent_node, name, relation, kind, to_many, target::text, columns::text[], ' +
  'types::oid[], types::text[] FROM matrx_relations.load_nodes($1::regclass, ';

// each type's OID as PostgreSQL reports it for a column: a domain's base type
const TYPES_SQL = `
WITH RECURSIVE d(oid, base) AS (
    SELECT t.oid, t.oid FROM pg_catalog.pg_type t WHERE t.oid = ANY($1::oid[])
  UNION ALL
    SELECT d.oid, t.typbasetype FROM d JOIN pg_catalog.pg_type t ON t.oid = d.base WHERE t.typtype = 'd')
SELECT d.oid::int, d.base::int FROM d JOIN pg_catalog.pg_type t ON t.oid = d.base WHERE t.typtype <> 'd'`;

const SOURCE_SQL = `
SELECT (SELECT pg_catalog.format_type(a.atttypid, NULL) FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = $1::regclass AND i.indisprimary AND i.indnatts = 1),
       (SELECT a.attname::text FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = $1::regclass AND i.indisprimary AND i.indnatts = 1),
       ARRAY(SELECT pg_catalog.json_build_array(r.name, r.constraint_name, r.source_columns,
                                                r.options->'polymorphic'->>'name',
                                                r.options->'polymorphic'->>'type_column')::text
             FROM matrx_relations.relations r WHERE r.source = $1::regclass)`;

const metas = new WeakMap();

// What the client has learnt on one connection (or pool).
function meta(conn) {
  let m = metas.get(conn);
  if (!m) { m = { plans: new Map(), sources: new Map() }; metas.set(conn, m); }
  return m;
}

// Drops what the client cached for a connection (after DDL, say).
function forget(conn) { metas.delete(conn); }

// (paths, spec) from load()'s arguments.
function splitArgs(args) {
  if (args.length === 1 && args[0] !== null && typeof args[0] === 'object' && !Array.isArray(args[0])) {
    return { paths: [], spec: args[0] };
  }
  for (const p of args) if (typeof p !== 'string') throw new TypeError(`a relation path is a string, or the only argument is a spec object: ${p}`);
  return { paths: args, spec: null };
}

// A spec as canonical JSON (a cache key).
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

function planKey(source, paths, spec) {
  return `${source}\u0000${spec ? canonical(spec) : paths.join('\u0000')}`;
}

// The nodes of (source, paths/spec), each with its fields' parsers; cached.
async function plan(conn, source, paths, spec) {
  const m = meta(conn);
  const key = planKey(source, paths, spec);
  let p = m.plans.get(key);
  if (p) return p;
  const res = spec
    ? await query(conn, `${NODES_SQL}$2::text::jsonb)`, [source, JSON.stringify(spec)])
    : await query(conn, `${NODES_SQL}VARIADIC $2::text[])`, [source, paths]);
  const rows = res.rows.slice().sort((a, b) => a[0] - b[0]);
  // a polymorphic relation's arms: nodes of one parent node under one name,
  // each its own table; a parent is linked under one of them
  const seen = new Set();
  const oids = [...new Set(rows.flatMap((r) => r[8].map(Number)))];
  const base = new Map();
  const info = (await query(conn, TYPES_SQL, [oids])).rows;
  for (const [oid, basetype] of info) base.set(oid, basetype || oid);
  // domains over arrays / arrays of domains: the base type's own OID
  const nodes = rows.map((r) => {
    const arm = `${r[1]}\u0000${r[2]}`;
    const shared = r[0] > 0 && seen.has(arm);
    seen.add(arm);
    const typeOids = r[8].map(Number).map((o) => base.get(o) || o);
    return {
      node: r[0], parentNode: r[1], name: r[2], relation: r[3], kind: r[4], toMany: r[5], target: r[6],
      columns: r[7], typeOids, parsers: typeOids.map((o) => typesOf(conn).getTypeParser(o, 'text')),
      typeNames: r[9], shared, flatAt: 0,
    };
  });
  // statements at two depths or more: streamed (see loadSelect)
  const depth = new Map([[0, 0]]);
  for (const n of nodes) if (n.node > 0) depth.set(n.node, depth.get(n.parentNode) + 1);
  // load_flat's column groups: one per table and set of columns, in node
  // order; each node's fields start at its group's first column
  const groups = new Map();
  const flatTypes = [];
  for (const n of nodes) {
    const key = `${n.target}\u0000${n.columns.join('\u0000')}`;
    if (!groups.has(key)) { groups.set(key, flatTypes.length); flatTypes.push(...n.typeNames); }
    n.flatAt = groups.get(key);
  }
  p = { nodes, stream: Math.max(...depth.values()) >= 2, flatTypes };
  m.plans.set(key, p);
  return p;
}

// The SELECT over load/load_batch. stream: the function in the SELECT list,
// where it streams: the rows of the first levels are sent (and parsed by the
// driver) while the server still runs the deeper levels' statements; in FROM
// it writes its whole result first, which costs the server less CPU (its
// writes do not wake a waiting reader) and suits one level.
function loadSelect(call, batch, stream) {
  const cols = batch ? ['request', 'node', 'id', 'parent', 'r'] : ['node', 'id', 'parent', 'r'];
  if (!stream) return `SELECT ${cols.join(', ')} FROM matrx_relations.${call}`;
  return `SELECT ${cols.map((c) => `(l).${c}`).join(', ')} FROM (SELECT matrx_relations.${call} AS l) s`;
}

// The type parsers the connection's columns go through: a Client's own
// (setTypeParser on it, over the pg module it was made with), a Pool's
// `types` option, else this module's pg.types.
function typesOf(conn) {
  if (conn._types && typeof conn._types.getTypeParser === 'function') return conn._types;
  if (conn.options && conn.options.types && typeof conn.options.types.getTypeParser === 'function') return conn.options.types;
  return pgTypes();
}

// (key type, key column, {relation: source columns}) of a source; cached.
async function sourceInfo(conn, source) {
  const m = meta(conn);
  let s = m.sources.get(source);
  if (!s) {
    const [[keyType, keyColumn, rels]] = (await query(conn, SOURCE_SQL, [source])).rows;
    const columns = new Map();
    for (const text of rels) {
      let [name, constraint, cols, poly, typeColumn] = JSON.parse(text);
      if (poly) {                 // a polymorphic arm (and its name) read the type column too
        cols = [...cols, typeColumn];
        const pcols = columns.get(poly) || [];
        for (const c of cols) if (!pcols.includes(c)) pcols.push(c);
        columns.set(poly, pcols);
      }
      columns.set(name, cols);
      if (constraint && !columns.has(constraint)) columns.set(constraint, cols);
    }
    s = { keyType, keyColumn, columns };
    m.sources.set(source, s);
  }
  return s;
}

// The relation names of the first level.
function firstRelations(paths, spec) {
  if (spec) return Object.entries(spec).map(([k, e]) => (e && e.relation) || k);
  return paths.map((p) => p.split('.')[0].split(':').pop());
}

// The source columns the first-level relations read.
async function instanceColumns(conn, source, paths, spec) {
  const { columns } = await sourceInfo(conn, source);
  const out = [];
  for (const name of firstRelations(paths, spec)) {
    for (const c of columns.get(name) || []) if (!out.includes(c)) out.push(c);
  }
  return out;
}

// The key columns of each instance, as the JSON objects the server reads.
function instanceKeys(instances, cols) {
  return instances.map((inst) => {
    const d = {};
    for (const c of cols) if (inst[c] !== undefined) d[c] = inst[c];
    return d;
  });
}

// JSON of key values: Buffers as bytea text, bigints as numbers' text, Dates as ISO.
function toJSON(v) {
  return JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x.toString()
    : (x && x.type === 'Buffer' && Array.isArray(x.data)) ? `\\x${Buffer.from(x.data).toString('hex')}` : x));
}

function isInstance(x) {
  return x !== null && typeof x === 'object' && !(x instanceof Date) && !Buffer.isBuffer(x);
}

// ---- assembly ---------------------------------------------------------------
//
// One pass over the rows, which come node by node (a node's rows for one
// parent contiguous), as in clients/python: per node a generated function
// that splits a record and builds the object with a literal of the node's
// columns (every object of a node gets one hidden class), objects in an
// array indexed by row id (ids are 1, 2, ... in the order rows are first
// sent), parents found by id, and only the nodes that have child nodes
// remember their members (for the [] / null defaults).

class StaleMetadata extends Error {}

// A property key in an object literal ("__proto__" only as a computed key,
// which defines a property instead of setting the prototype).
function literalKey(name) {
  const k = JSON.stringify(name);
  return name === '__proto__' ? `[${k}]` : k;
}

// Reads one field of a record's text starting at i: the field's string (quotes
// and backslashes undone) or null (an empty unquoted field is NULL); sets
// cursor.at to the start of the next field. record_out quotes a field that
// is empty or holds a quote, backslash, parenthesis, comma or space, so an
// unquoted field ends at the next comma (or the closing parenthesis).
const cursor = { at: 0 };
function field(text, i) {
  const c = text.charCodeAt(i);
  if (c === 34) { // "
    i++;
    const q = text.indexOf('"', i);
    const b = text.indexOf('\\', i);
    if (q >= 0 && (b < 0 || b > q) && text.charCodeAt(q + 1) !== 34) {
      cursor.at = q + 2;
      return text.slice(i, q);
    }
    let buf = '';
    let start = i;
    for (;;) {
      const ch = text.charCodeAt(i);
      if (ch === 34) {
        if (text.charCodeAt(i + 1) === 34) { buf += text.slice(start, i + 1); i += 2; start = i; continue; }
        cursor.at = i + 2;
        return buf + text.slice(start, i);
      }
      if (ch === 92) { buf += text.slice(start, i) + text[i + 1]; i += 2; start = i; continue; }
      if (i >= text.length) { cursor.at = -1; return null; }
      i++;
    }
  }
  if (c === 44 || c === 41 || i >= text.length) { cursor.at = i + 1; return null; } // , )
  let j = text.indexOf(',', i);
  if (j < 0) j = text.length - 1;
  cursor.at = j + 1;
  return text.slice(i, j);
}

// node.make(text): the record's fields parsed as pg parses the columns, as
// an object of the node's columns (read straight from the text, no array of
// fields); generated once per node. A record of another width throws
// StaleMetadata.
function makerOf(node) {
  if (node.make) return node.make;
  const n = node.columns.length;
  const args = node.parsers.map((_, i) => `p${i}`);
  const reads = node.columns.map((_, i) =>
    `  v = field(text, at); at = cursor.at; const c${i} = v === null ? null : p${i}(v);`);
  const props = node.columns.map((c, i) => `${literalKey(c)}: c${i}`);
  const body = `return function make(text) {
  let v;
  let at = 1;
${reads.join('\n')}
  if (${n ? 'at !== text.length' : "text !== '()'"}) throw new Stale();
  return { ${props.join(', ')} };
};`;
  // eslint-disable-next-line no-new-func -- the names are JSON string literals
  node.make = new Function('field', 'cursor', 'Stale', ...args, body)(field, cursor, StaleMetadata, ...node.parsers);
  return node.make;
}

// node.makeFlat(row): the object of a load_flat row, its fields (parsed by
// pg, as any column) from column at on; generated once per node.
function flatMakerOf(node, at) {
  if (node.makeFlat && node.makeFlatAt === at) return node.makeFlat;
  const props = node.columns.map((c, i) => `${literalKey(c)}: row[${at + i}]`);
  // eslint-disable-next-line no-new-func -- the names are JSON string literals
  node.makeFlat = new Function('row', `return { ${props.join(', ')} };`);
  node.makeFlatAt = at;
  return node.makeFlat;
}

// The object of a record: the generated maker, through the factory if any.
function makeObject(node, text, factory) {
  const fields = makerOf(node)(text);
  return factory ? factory(node.target, fields) : fields;
}

// Objects for every row sent with its record, before any linking: a batch
// whose requests share rows (the record comes with the first request that
// links it, in any row order).
function createAll(rows, col, planOf, objs, factory) {
  const ci = col.id;
  const cr = col.r;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const r = row[cr];
    if (r === null || objs[row[ci]] !== undefined) continue;
    objs[row[ci]] = makeObject(planOf(row[col.req]).nodes[row[col.node]], r, factory);
  }
}

// [] or null under node's name on each of its parent node's members.
// (Once for a polymorphic relation's arms: the first arm's node sets it.)
function setDefaults(node, parents) {
  if (!parents || node.shared) return;
  const name = node.name;
  for (let i = 0; i < parents.length; i++) parents[i][name] = node.toMany ? [] : null;
}

// One request's rows into objects: the roots (keys form) or the instances.
function assemble(p, rows, col, objs, instances, factory) {
  const { nodes } = p;
  const nn = nodes.length;
  const inner = new Array(nn).fill(false);
  for (let k = 1; k < nn; k++) inner[nodes[k].parentNode] = true;
  const members = nodes.map((_, k) => (inner[k] ? [] : null));
  const mark = [];                          // id -> 1 + the last node it was recorded a member of
  let instAt = null;
  if (instances) {
    const firsts = new Set();
    instAt = instances.map((inst) => {
      if (firsts.has(inst)) return null;    // a repeated object: linked once
      firsts.add(inst);
      if (members[0]) members[0].push(inst);
      return inst;
    });
  }
  const roots = [];
  const cn = col.node;
  const ci = col.id;
  const cp = col.parent;
  const cr = col.r;
  let done = 0;                             // nodes whose defaults are set: 1..done
  let i = 0;
  const len = rows.length;
  while (i < len) {
    const n = rows[i][cn];
    const node = nodes[n];
    if (n > done) {
      for (let k = done + 1; k <= n; k++) setDefaults(nodes[k], members[nodes[k].parentNode]);
      done = n;
    }
    const m = members[n];
    const name = node.name;
    const toMany = node.toMany;
    const make = col.flat ? flatMakerOf(node, col.r + node.flatAt) : (factory ? null : makerOf(node));
    const fromRow = col.flat;
    let last = 0;
    let list = null;
    for (; i < len; i++) {
      const row = rows[i];
      if (row[cn] !== n) break;
      const ident = row[ci];
      let obj = objs[ident];
      if (obj === undefined) {
        if (fromRow) obj = objs[ident] = factory ? factory(node.target, make(row)) : make(row);
        else obj = objs[ident] = make ? make(row[cr]) : makeObject(node, row[cr], factory);
      }
      if (mark[ident] !== n + 1) {          // first time in this node: a member (a root once)
        mark[ident] = n + 1;
        if (m !== null) m.push(obj);
        if (n === 0 && !instances) roots.push(obj);
      }
      if (n === 0) continue;
      const parent = row[cp];
      if (toMany) {
        if (parent !== last) {              // a parent's children are contiguous
          const pobj = parent > 0 ? objs[parent] : instAt[-parent - 1];
          list = pobj ? pobj[name] : null;
          last = parent;
        }
        if (list) list.push(obj);
      } else {
        const pobj = parent > 0 ? objs[parent] : instAt[-parent - 1];
        if (pobj) pobj[name] = obj;
      }
    }
  }
  for (let k = done + 1; k < nn; k++) setDefaults(nodes[k], members[nodes[k].parentNode]);
  return instances || roots;
}

// ---- load() -----------------------------------------------------------------

// Loads source rows by key, or the caller's rows, with relation paths (or one spec).
// options (a last argument object with a `factory`): factory(target, fields) -> object.
async function load(conn, source, keysOrRows, ...rest) {
  let options = {};
  if (rest.length && rest[rest.length - 1] && typeof rest[rest.length - 1] === 'object' &&
      typeof rest[rest.length - 1].factory === 'function') options = rest.pop();
  const { paths, spec } = splitArgs(rest);
  const items = [...keysOrRows];
  for (let attempt = 0; ; attempt++) {
    try {
      return await loadOnce(conn, source, items, paths, spec, options.factory);
    } catch (err) {
      if (!(err instanceof StaleMetadata)) throw err;
      if (attempt) throw err.cause || err;
      forget(conn);
    }
  }
}

// The rows of load_flat or load_batch_flat (fn: the call) with the plan's
// column groups as the column list; a 42804 from the list (the plan's
// columns are not the table's now: ALTER TABLE) is StaleMetadata, which
// refreshes the plan and retries once.
async function flatQuery(conn, fn, p, batch, params) {
  const cols = p.flatTypes.map((t, i) => `, c${i} ${t}`).join('');
  const lead = batch ? 'request int, node int, id int, parent int' : 'node int, id int, parent int';
  try {
    return (await query(conn, `SELECT * FROM matrx_relations.${fn} AS t(${lead}${cols})`, params)).rows;
  } catch (err) {
    if (err && err.code === '42804' && /load_flat/.test(err.message)) {
      const stale = new StaleMetadata();
      stale.cause = err;
      throw stale;
    }
    throw err;
  }
}

async function loadOnce(conn, source, items, paths, spec, factory) {
  if (!items.length) return [];
  const p = await plan(conn, source, paths, spec);
  const rel = spec ? '$3::text::jsonb' : 'VARIADIC $3::text[]';
  const relArg = spec ? JSON.stringify(spec) : paths;
  let instances = null;
  let sql;
  let arg;
  let call;
  if (isInstance(items[0])) {
    instances = items;
    arg = toJSON(instanceKeys(items, await instanceColumns(conn, source, paths, spec)));
    call = `($1::regclass, $2::text::jsonb, ${rel})`;
  } else {
    const { keyType } = await sourceInfo(conn, source);
    arg = keyType ? items : items.map((k) => (k === null ? null : String(k)));
    call = `($1::regclass, $2::${keyType || 'text'}[], ${rel})`;
  }
  if (!p.stream) {
    // one level: each row's fields as columns of their own (load_flat), each
    // parsed by pg as any column
    const rows = await flatQuery(conn, `load_flat${call}`, p, false, [source, arg, relArg]);
    return assemble(p, rows, { node: 0, id: 1, parent: 2, r: 3, flat: true }, [], instances, factory);
  }
  sql = loadSelect(`load${call}`, false, true);
  const { rows } = await query(conn, sql, [source, arg, relArg]);
  return assemble(p, rows, { node: 0, id: 1, parent: 2, r: 3 }, [], instances, factory);
}

// ---- DataLoader --------------------------------------------------------------

// Gathers every load requested during one turn of the event loop into one
// load_batch call. load(source, keyOrRow, ...pathsOrSpec) resolves to the
// source object (by key: null when no row has it) or the caller's row, with
// the relations attached. Loads of the same (source, paths/spec, form) in one
// turn become one request; `calls` counts load_batch calls.
class DataLoader {
  constructor(conn, options = {}) {
    this.conn = conn;
    this.factory = options.factory;
    this.calls = 0;
    this.groups = new Map();                // this turn's loads: group key -> group
    this.last = null;                       // the group of the previous load (a turn's loads mostly share one)
  }

  load(source, keyOrRow, ...rest) {
    const inst = isInstance(keyOrRow);
    let g = this.last;
    if (g === null || g.source !== source || g.inst !== inst || !sameArgs(g.rest, rest)) {
      const { paths, spec } = splitArgs(rest);
      const key = `${planKey(source, paths, spec)}\u0000${inst}`;
      g = this.groups.get(key);
      if (g === undefined) {
        if (this.groups.size === 0) setImmediate(() => this.dispatch());
        g = { source, rest, paths, spec, inst, items: [], resolves: [], rejects: [] };
        this.groups.set(key, g);
      }
      this.last = g;
    }
    return new Promise((resolve, reject) => {
      g.items.push(keyOrRow);
      g.resolves.push(resolve);
      g.rejects.push(reject);
    });
  }

  loadMany(source, keysOrRows, ...rest) {
    return Promise.all([...keysOrRows].map((k) => this.load(source, k, ...rest)));
  }

  async dispatch() {
    const list = [...this.groups.values()];
    this.groups = new Map();
    this.last = null;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.answer(list);
          return;
        } catch (err) {
          if (!(err instanceof StaleMetadata) || attempt) throw err;
          forget(this.conn);
        }
      }
    } catch (err) {
      for (const g of list) for (const reject of g.rejects) reject(err);
    }
  }

  async answer(list) {
    const conn = this.conn;
    const requests = [];
    for (const g of list) {
      g.plan = await plan(conn, g.source, g.paths, g.spec);
      const req = { source: g.source };
      if (g.spec) req.spec = g.spec; else req.relations = g.paths;
      if (g.inst) {
        req.instances = instanceKeys(g.items, await instanceColumns(conn, g.source, g.paths, g.spec));
      } else {
        const keys = new Set(g.items);
        keys.delete(null);
        keys.delete(undefined);
        req.keys = [...keys];
        g.info = await sourceInfo(conn, g.source);
      }
      requests.push(req);
    }
    this.calls++;
    // one request of one level: load_batch_flat, each row's fields as
    // columns of their own (as load() reads load_flat)
    const flat = list.length === 1 && !list[0].plan.stream;
    const rows = flat
      ? await flatQuery(conn, 'load_batch_flat($1::text::jsonb)', list[0].plan, true, [toJSON(requests)])
      : (await query(conn, loadSelect('load_batch($1::text::jsonb)', true, list.some((g) => g.plan.stream)),
        [toJSON(requests)])).rows;
    const objs = [];
    const col = { req: 0, node: 1, id: 2, parent: 3, r: 4, flat };
    let per = [rows];
    if (list.length > 1) {
      per = list.map(() => []);
      for (const row of rows) per[row[0] - 1].push(row);
      createAll(rows, col, (req) => list[req - 1].plan, objs, this.factory);
    }
    list.forEach((g, i) => {
      if (g.inst) {
        assemble(g.plan, per[i], col, objs, g.items, this.factory);
        for (let k = 0; k < g.items.length; k++) g.resolves[k](g.items[k]);
      } else {
        settle(g, assemble(g.plan, per[i], col, objs, null, this.factory));
      }
    });
  }
}

// Whether two loads named the same paths/spec (the same strings, or the same spec object).
function sameArgs(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Each key's answer: the root of that key (null when no row has it). Keys
// are matched as given, else by their text (an int8 key arrives as a
// string, the caller may have given a number).
function settle(g, roots) {
  const keyColumn = g.info.keyColumn;
  const byKey = new Map();
  for (let i = 0; i < roots.length; i++) byKey.set(roots[i][keyColumn], roots[i]);
  let byText = null;
  const { items, resolves } = g;
  for (let k = 0; k < items.length; k++) {
    const item = items[k];
    if (item === null || item === undefined) { resolves[k](null); continue; }
    let obj = byKey.get(item);
    if (obj === undefined) {
      if (byText === null) {
        byText = new Map();
        for (const [key, o] of byKey) byText.set(String(key), o);
      }
      obj = byText.get(String(item));
    }
    resolves[k](obj === undefined ? null : obj);
  }
}

module.exports = { load, DataLoader, forget, splitRecord, translate, MatrxError, ...errorClasses };
