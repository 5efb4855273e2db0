#!/usr/bin/python3
"""Differential fuzzer for matrx_relations (make fuzz, and a short run in make test).

Each seed builds a random schema (key types int/bigint/text/uuid/numeric,
single and composite primary keys, FKs of other but compatible types, FKs
to unique keys, self references, m2m junctions with duplicate links, NULL
and partially NULL FKs, empty and partitioned tables, a view with
registered relations), then calls every loader with random keys (NULLs,
duplicates, missing keys, other spellings, lower bounds other than 1),
instances and relation paths or specs (columns, where, order_by, limit,
include) and compares the result with naive SQL written here, one
correlated subquery per row and edge, following SPEC.md section 2:

  to_jsonb(row) || {output key: fk -> object or null,
                                ifk/m2m -> array ordered by the target's key}

The loaders run twice, in autocommit and inside one transaction that also
writes rows between calls (the relation cache must stay exact). Any error,
crash or difference is a failure: the seed, the schema script, the call and
a diff are printed. Reproduce one seed with --seed N.

Needs Debian's python3-psycopg2 (run with /usr/bin/python3); connects with
the usual PG* environment variables.
"""
import argparse
import difflib
import random
import sys
import time

import psycopg2
import psycopg2.extensions

SCHEMA = 'fz'

# key types: SQL type, FK column types that may reference it
TYPES = {
    'int': ('integer', ['int', 'bigint']),
    'bigint': ('bigint', ['bigint', 'int']),
    'numeric': ('numeric', ['numeric', 'int']),
    'text': ('text', ['text', 'varchar']),
    'uuid': ('uuid', ['uuid']),
}
REF_TYPES = dict(TYPES, varchar=('varchar', ['varchar', 'text']))
# element types of a keys array that may be given for a key of that type
KEY_ARRAY_TYPES = {
    'int': ['int'], 'bigint': ['bigint', 'int'], 'numeric': ['numeric', 'int'],
    'text': ['text', 'varchar'], 'uuid': ['uuid'], 'varchar': ['varchar', 'text'],
}
SQLTYPE = {'int': 'integer', 'bigint': 'bigint', 'numeric': 'numeric',
           'text': 'text', 'varchar': 'varchar', 'uuid': 'uuid'}
NUMERIC = ('int', 'bigint', 'numeric')


def qi(name):
    """a quoted identifier"""
    return '"' + name.replace('"', '""') + '"'


def ql(text):
    """a quoted literal"""
    return "'" + text.replace("'", "''") + "'"


def qt(table):
    return SCHEMA + '.' + qi(table)


def jstr(s):
    """JSON string literal (for instances and batch keys)"""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append('\\' + ch)
        elif ord(ch) < 0x20:
            out.append('\\u%04x' % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


class Fail(Exception):
    pass


class Table:
    def __init__(self, name):
        self.name = name
        self.cols = []          # [(name, type)]
        self.pk = []            # column names
        self.uniques = []       # [[column names]]
        self.rows = []          # [{col: text or None}]
        self.is_view = False
        self.partitioned = False    # by hash of its first key column, in two partitions
        self.partitions = []

    def coltype(self, c):
        return dict(self.cols)[c]


class Gen:
    """random values, schema and calls for one seed"""

    def __init__(self, seed, weird):
        self.r = random.Random(seed)
        self.r2 = random.Random(seed * 7 + 1)   # for later additions: r's sequence stays
        self.seed = seed
        self.weird = weird
        self.tables = {}
        self.script = []        # every statement that built the schema
        self.uuids = ['%08x-%04x-4%03x-8%03x-%012x' % (
            self.r.getrandbits(32), self.r.getrandbits(16), self.r.getrandbits(12),
            self.r.getrandbits(12), self.r.getrandbits(48)) for _ in range(14)]

    # ---- values
    def value(self, typ, rng=None):
        r = rng or self.r
        if typ in ('int', 'bigint'):
            v = r.randint(-2, 14)
            return str(v * 10000000000 + 7) if typ == 'bigint' and r.random() < 0.2 else str(v)
        if typ == 'numeric':
            return r.choice(['0', '1', '1.5', '2', '2.25', '3', '-4', '10', '0.1', '7', '12', '99.999'])
        if typ in ('text', 'varchar'):
            return r.choice(['a', 'B', 'b', "o'q", 'back\\slash', 'sp ace', 'ü', '', 'a ', '10', '9',
                             'x"y', 'semi;colon', 'Zz', 'ünï', '$$'])
        if typ == 'uuid':
            return r.choice(self.uuids)
        raise AssertionError(typ)

    def spelling(self, typ, v):
        """another text of the same value (numeric scale, uuid case)"""
        if v is None:
            return None
        if typ == 'numeric' and self.r.random() < 0.5:
            return v + ('0' if '.' in v else '.00')
        if typ == 'uuid' and self.r.random() < 0.5:
            return v.upper()
        return v

    def convert(self, v, from_typ, to_typ):
        """v of from_typ as a value of to_typ, or None when it has none"""
        if v is None:
            return None
        if to_typ == 'int':
            if from_typ == 'numeric':
                f = float(v)
                if f != int(f):
                    return None
                v = str(int(f))
            return v if -2**31 <= int(v) < 2**31 else None
        if to_typ == 'bigint' and from_typ == 'numeric':
            f = float(v)
            return str(int(f)) if f == int(f) else None
        return self.spelling(to_typ, v)

    def norm(self, typ, v):
        """a value's identity under its type's equality"""
        if v is None:
            return None
        if typ in NUMERIC:
            from decimal import Decimal
            return Decimal(v).normalize()
        if typ == 'uuid':
            return v.lower()
        return v

    # ---- names
    def tname(self, base):
        if self.weird and self.r.random() < 0.3:
            return self.r.choice(['T ', 'Mix"Q ', "q'", 'Ünï ']) + base
        return base

    def cname(self, base):
        if self.weird and self.r.random() < 0.2:
            return self.r.choice(['C ', "c'", 'K"']) + base
        return base

    # ---- schema
    def build(self):
        r = self.r
        n = r.randint(2, 5)
        tables = []
        for i in range(n):
            t = Table(self.tname('t%d' % i))
            nk = 1 if r.random() < 0.7 else 2
            for j in range(nk):
                t.cols.append((self.cname('k%d' % (j + 1)), r.choice(list(TYPES))))
            t.pk = [c for c, _ in t.cols]
            t.cols.append(('v', 'text'))
            t.partitioned = self.r2.random() < 0.2
            if r.random() < 0.3 and not t.partitioned:
                t.cols.append(('u', r.choice(list(TYPES))))
                t.uniques.append(['u'])
            nrows = r.choice([0, 1, 3, 6, 10, 14])
            seen = set()
            seen_u = set()
            for _ in range(nrows):
                key = tuple(self.value(ty) for c, ty in t.cols[:nk])
                nkey = tuple(self.norm(ty, v) for (c, ty), v in zip(t.cols, key))
                if nkey in seen:
                    continue
                seen.add(nkey)
                row = dict(zip(t.pk, key))
                row['v'] = None if r.random() < 0.3 else self.value('text')
                if 'u' in dict(t.cols):
                    ut = t.coltype('u')
                    u = None if r.random() < 0.3 else self.value(ut)
                    if u is not None and self.norm(ut, u) in seen_u:
                        u = None
                    if u is not None:
                        seen_u.add(self.norm(ut, u))
                    row['u'] = u
                t.rows.append(row)
            tables.append(t)
            self.tables[t.name] = t

        fks = []    # (constraint, child, child cols, parent, parent cols)
        for ci, child in enumerate(tables):
            for fi in range(r.choice([0, 1, 1, 2])):
                parent = r.choice(tables)
                pcols = parent.pk if not parent.uniques or r.random() < 0.6 else parent.uniques[0]
                fks.append(self.add_fk(child, parent, pcols, len(fks)))

        # junctions: a composite key made of two FKs, some with duplicate links
        for ji in range(r.choice([0, 1, 1, 2])):
            a, b = r.choice([t for t in tables if t.pk]), r.choice([t for t in tables if t.pk])
            j = Table(self.tname('j%d' % ji))
            acols = [('a%d_%s' % (i, c), self.r.choice(REF_TYPES[ty][1])) for i, (c, ty) in
                     enumerate((c, a.coltype(c)) for c in a.pk)]
            bcols = [('b%d_%s' % (i, c), self.r.choice(REF_TYPES[ty][1])) for i, (c, ty) in
                     enumerate((c, b.coltype(c)) for c in b.pk)]
            j.cols = acols + bcols
            dup = r.random() < 0.4
            if dup:
                j.cols.append(('seq', 'int'))
            keycols = [c for c, _ in j.cols]
            use_pk = r.random() < 0.7
            if use_pk:
                j.pk = keycols
            else:
                j.uniques.append(keycols)
            seen = set()
            for _ in range(r.choice([0, 3, 8, 14])):
                ra = r.choice(a.rows) if a.rows else None
                rb = r.choice(b.rows) if b.rows else None
                row = {}
                for (jc, jt), pc in zip(acols, a.pk):
                    row[jc] = self.convert(ra[pc], a.coltype(pc), jt) if ra else None
                for (jc, jt), pc in zip(bcols, b.pk):
                    row[jc] = self.convert(rb[pc], b.coltype(pc), jt) if rb else None
                if dup:
                    row['seq'] = str(r.randint(1, 2))
                if use_pk and any(v is None for v in row.values()):
                    continue
                if any(v is None for v in row.values()) and r.random() < 0.5:
                    continue
                nk = tuple(self.norm(t, row[c]) for c, t in j.cols)
                if nk in seen:
                    continue
                seen.add(nk)
                j.rows.append(row)
            tables.append(j)
            self.tables[j.name] = j
            fks.append(('jfa%d' % ji, j, [c for c, _ in acols], a, list(a.pk)))
            fks.append(('jfb%d' % ji, j, [c for c, _ in bcols], b, list(b.pk)))

        for t in tables:
            self.create(t)
        for name, child, ccols, parent, pcols in fks:
            self.exec('ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s)' % (
                qt(child.name), qi(name), ', '.join(map(qi, ccols)), qt(parent.name),
                ', '.join(map(qi, pcols))))
        self.fks = fks
        self.views = []
        self.registered = []
        cand = [fk for fk in fks if fk[3].pk == fk[4] and 'v' in dict(fk[1].cols)]
        if cand and r.random() < 0.7:
            self.add_view(r.choice(cand))
        self.exec('ANALYZE')

    def add_fk(self, child, parent, pcols, idx):
        r = self.r
        single = len(pcols) == 1
        ccols = []
        for i, pc in enumerate(pcols):
            ty = r.choice(REF_TYPES[parent.coltype(pc)][1])
            if single:
                name = self.cname('r%d_id' % idx) if r.random() < 0.7 else self.cname('ref%d' % idx)
            else:
                name = self.cname('r%d_%d' % (idx, i))
            child.cols.append((name, ty))
            ccols.append(name)
        prows = [p for p in parent.rows if all(p[c] is not None for c in pcols)]
        for row in child.rows:
            x = r.random()
            if x < 0.2 or not prows:
                vals = [None] * len(ccols)
            elif x < 0.3 and not single:
                vals = [self.value(child.coltype(c)) for c in ccols]
                vals[r.randrange(len(vals))] = None
            else:
                p = r.choice(prows) if child is not parent or r.random() < 0.8 else row
                if child is parent and any(p.get(c) is None for c in pcols):
                    p = r.choice(prows)
                vals = [self.convert(p[pc], parent.coltype(pc), child.coltype(cc))
                        for pc, cc in zip(pcols, ccols)]
                if any(v is None for v in vals):
                    vals = [None] * len(ccols)
            for c, v in zip(ccols, vals):
                row[c] = v
        return ('fk_%d' % idx, child, ccols, parent, list(pcols))

    def create(self, t):
        defs = ['%s %s' % (qi(c), SQLTYPE[ty]) for c, ty in t.cols]
        if t.pk:
            defs.append('PRIMARY KEY (%s)' % ', '.join(map(qi, t.pk)))
        for u in t.uniques:
            defs.append('UNIQUE (%s)' % ', '.join(map(qi, u)))
        self.exec('CREATE TABLE %s (%s)%s' % (qt(t.name), ', '.join(defs),
                                              ' PARTITION BY HASH (%s)' % qi(t.pk[0]) if t.partitioned else ''))
        for i in range(2 if t.partitioned else 0):
            part = Table(t.name + '_p%d' % i)
            part.cols, part.pk, part.rows = list(t.cols), t.pk, t.rows
            self.exec('CREATE TABLE %s PARTITION OF %s FOR VALUES WITH (MODULUS 2, REMAINDER %d)'
                      % (qt(part.name), qt(t.name), i))
            t.partitions.append(part)
            self.tables[part.name] = part
        rows = list(t.rows)
        self.r.shuffle(rows)
        for row in rows:
            self.exec('INSERT INTO %s (%s) VALUES (%s)' % (
                qt(t.name), ', '.join(qi(c) for c, _ in t.cols),
                ', '.join('NULL' if row.get(c) is None else '%s::%s' % (ql(row[c]), SQLTYPE[ty])
                          for c, ty in t.cols)))

    def add_view(self, fk):
        """a filtered view of an FK's child, registered both ways"""
        name, child, ccols, parent, pcols = fk
        v = Table(self.tname('vw'))
        v.is_view = True
        v.cols = list(child.cols)
        self.exec('CREATE VIEW %s AS SELECT * FROM %s WHERE v IS NOT NULL' % (qt(v.name), qt(child.name)))
        self.tables[v.name] = v
        self.views.append(v)
        # parent -> view (ifk); sometimes under a catalog relation's name, which it shadows
        rname = 'vkids'
        if self.r.random() < 0.4:
            rname = child.name if sum(1 for f in self.fks if f[1] is child and f[3] is parent) == 1 else name
        self.register(parent, rname, v, pcols, ccols)
        # view -> parent (fk, the parent's key)
        self.register(v, 'vparent', parent, ccols, pcols)

    def register(self, source, name, target, scols, tcols, via=None, vs=None, vt=None):
        arr = lambda cols: 'ARRAY[%s]::text[]' % ', '.join(ql(c) for c in cols)
        self.exec('SELECT matrx_relations.register_relation(%s, %s, %s, %s, %s%s)' % (
            ql(qt(source.name)), ql(name), ql(qt(target.name)), arr(scols), arr(tcols),
            '' if via is None else ', %s, %s, %s' % (ql(qt(via.name)), arr(vs), arr(vt))))
        self.registered.append((source.name, name))

    def exec(self, sql):
        self.script.append(sql + ';')
        self.cur.execute(sql)


class Rel:
    """one row of matrx_relations.relations, with the tables resolved"""

    def __init__(self, row, tables):
        (src, self.name, self.kind, tgt, self.scols, self.tcols, via, self.vscols, self.vtcols,
         self.origin, self.conname) = row
        self.source = tables[src]
        self.target = tables[tgt]
        self.via = tables[via] if via else None

    def sig(self):
        return (self.source.name, self.kind, self.target.name, tuple(self.scols), tuple(self.tcols),
                self.via.name if self.via else None, tuple(self.vscols or ()), tuple(self.vtcols or ()))


class Node:
    def __init__(self, rel, key, alias):
        self.rel, self.key, self.alias = rel, key, alias
        self.kids = []
        self.opts = None        # spec forms: columns, where, order, limit


class Fuzzer:
    def __init__(self, conn, seed, args):
        self.conn = conn
        self.cur = conn.cursor()
        self.seed = seed
        self.args = args
        self.g = Gen(seed, weird=seed % 3 == 0)
        self.g.cur = self.cur
        self.r = self.g.r
        self.calls = 0
        self.statements = 0
        self.session = []       # what this session ran besides the reference queries
        self.aliasn = 0

    def fail(self, what, call, detail):
        msg = ['FUZZ FAILURE seed=%d: %s' % (self.seed, what), '-- schema script:']
        msg += self.g.script
        msg += ['-- call:', call, '-- detail:', detail]
        if self.args.replay:
            with open(self.args.replay, 'w') as f:
                f.write('\n'.join(self.g.script + self.session + [call + ';']) + '\n')
            msg.append('-- schema, earlier calls of the session and this call: %s' % self.args.replay)
        raise Fail('\n'.join(msg))

    def q(self, sql, params=None):
        self.statements += 1
        self.cur.execute(sql, params)
        return self.cur.fetchall()

    # ---- setup
    def setup(self):
        self.cur.execute('CREATE EXTENSION IF NOT EXISTS matrx_relations')
        self.cur.execute('DROP SCHEMA IF EXISTS %s CASCADE' % SCHEMA)
        self.cur.execute('DELETE FROM matrx_relations.registered_relations')
        self.cur.execute('CREATE SCHEMA %s' % SCHEMA)
        self.g.build()
        rows = self.q("""
            SELECT cs.relname, r.name, r.kind, ct.relname, r.source_columns::text[], r.target_columns::text[],
                   cv.relname, r.via_source_columns::text[], r.via_target_columns::text[], r.origin,
                   r.constraint_name::text
            FROM matrx_relations.relations r
            JOIN pg_class cs ON cs.oid = r.source JOIN pg_class ct ON ct.oid = r.target
            LEFT JOIN pg_class cv ON cv.oid = r.via
            WHERE cs.relnamespace = %s::regnamespace ORDER BY 1, 2""", (SCHEMA,))
        self.rels = [Rel(row, self.g.tables) for row in rows]
        self.check_discovery()
        # the name each relation is loaded by (SPEC section 1): a registered
        # name first, then the naming rules' names (shared by two: 42P09),
        # then FK constraint names (an fk before an ifk)
        by_src = {}
        for rel in self.rels:
            by_src.setdefault(rel.source.name, []).append(rel)
        self.by_source = {}
        self.ambiguous = []
        for src, rels in by_src.items():
            chosen = []
            for rel in rels:
                if self.resolve(rels, rel.name) == 'ambiguous' and (rel.source, rel.name) not in self.ambiguous:
                    self.ambiguous.append((rel.source, rel.name))
                for name in (rel.name, rel.conname):
                    if name is not None and self.resolve(rels, name) is rel:
                        chosen.append((rel, name))
                        break
            for rel, name in chosen:
                rel.name = name
                self.by_source.setdefault(src, []).append(rel)

    @staticmethod
    def resolve(rels, name):
        """the relation of one source that name loads, 'ambiguous', or None"""
        reg = [r for r in rels if r.origin == 'registered' and r.name == name]
        if reg:
            return reg[0]
        named = [r for r in rels if r.name == name]
        if len(named) > 1:
            return 'ambiguous'
        if named:
            return named[0]
        for kind in ('fk', 'ifk'):
            byc = [r for r in rels if r.kind == kind and r.origin == 'catalog' and r.conname == name]
            if len(byc) > 1:
                return 'ambiguous'
            if byc:
                return byc[0]
        return None

    def check_discovery(self):
        """the view shows the relations the generated FKs and registrations make"""
        g = self.g
        want = set()
        for name, child, ccols, parent, pcols in g.fks:
            want.add((child.name, 'fk', parent.name, tuple(ccols), tuple(pcols), None, (), ()))
            want.add((parent.name, 'ifk', child.name, tuple(pcols), tuple(ccols), None, (), ()))
            # a partition's copy of its table's FK: an fk of the partition, no ifk
            for part in child.partitions:
                want.add((part.name, 'fk', parent.name, tuple(ccols), tuple(pcols), None, (), ()))
        for j in g.tables.values():
            jfks = [f for f in g.fks if f[1] is j]
            for f1 in jfks:
                for f2 in jfks:
                    if f1 is f2 or f2[3] is j:
                        continue
                    cols = set(f1[2]) | set(f2[2])
                    if not any(cols <= set(u) for u in [j.pk] + j.uniques if u):
                        continue
                    want.add((f1[3].name, 'm2m', f2[3].name, tuple(f1[4]), tuple(f2[4]), j.name,
                              tuple(f1[2]), tuple(f2[2])))
        got = {rel.sig(): rel for rel in self.rels}
        extra = [s for s in got if s not in want and got[s].origin == 'catalog']
        shadowed = {s for s, n in g.registered}
        missing = [s for s in want if s not in got and s[0] not in shadowed]
        if extra or missing:
            self.fail('relations view differs from the generated FKs', 'SELECT * FROM matrx_relations.relations',
                      'not expected: %r\nmissing: %r' % (extra, missing))

    # ---- paths
    def tree(self, table, depth, spec=False):
        """random children of a table: nodes with distinct output keys (and options, for a spec)"""
        kids = []
        rels = self.by_source.get(table.name, [])
        if not rels or depth > 2:
            return kids
        used = {c for c, _ in table.cols}
        for _ in range(self.r.choice([1, 1, 2, 3] if depth == 0 else [0, 1, 1, 2])):
            rel = self.r.choice(rels)
            alias = None
            if rel.name in used or self.r.random() < 0.25:
                self.aliasn += 1
                alias = self.r.choice(['x', 'Al', 'a b', 'q"', "o'"]) + str(self.aliasn)
            key = alias or rel.name
            if key in used:
                continue
            used.add(key)
            node = Node(rel, key, alias)
            node.kids = self.tree(rel.target, depth + 1, spec)
            if spec:
                node.opts = self.options(rel)
            kids.append(node)
        return kids

    def options(self, rel):
        """random options of one edge of a spec (SPEC section 2, the spec forms)"""
        r = self.g.r2
        tgt = rel.target
        cols = [c for c, _ in tgt.cols]
        o = {'columns': None, 'where': [], 'order': [], 'limit': None}
        if r.random() < 0.4:
            o['columns'] = r.sample(cols, r.randint(1, len(cols)))
        for _ in range(r.choice([0, 0, 1, 1, 2])):
            c, ty = r.choice(tgt.cols)
            ops = ['eq', 'eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'is_null']
            if ty in ('text', 'varchar'):
                ops += ['like', 'ilike']
            op = r.choice(ops)
            if any(w[0] == c for w in o['where']):
                continue
            if op == 'in':
                val = [self.g.value(ty, r) for _ in range(r.randint(0, 3))]
            elif op == 'is_null':
                val = r.random() < 0.5
            elif op in ('like', 'ilike'):
                val = r.choice(['a%', '%b%', '_', '%', 'O%Q', "%'%", '%\\%'])
            else:
                val = self.g.value(ty, r)
            o['where'].append((c, ty, op, val))
        if rel.kind != 'fk':
            if r.random() < 0.5:
                for c in r.sample(cols, r.randint(1, min(2, len(cols)))):
                    o['order'].append((c, r.choice([None, 'asc', 'desc']), r.choice([None, None, 'first', 'last'])))
            if r.random() < 0.4:
                o['limit'] = r.randint(1, 3)
        return o

    def spec_json(self, kids):
        """the spec of a tree, as jsonb text"""
        out = []
        for k in kids:
            o = k.opts
            e = []
            if k.alias or self.g.r2.random() < 0.5:
                e.append('"relation": %s' % jstr(k.rel.name))
            if o['columns'] is not None:
                e.append('"columns": [%s]' % ', '.join(jstr(c) for c in o['columns']))
            if o['where']:
                conds = []
                for c, ty, op, val in o['where']:
                    jv = lambda x: x if ty in NUMERIC and self.g.r2.random() < 0.8 else jstr(x)  # noqa: E731
                    if op == 'in':
                        v = '[%s]' % ', '.join(jv(x) for x in val)
                    elif op == 'is_null':
                        v = 'true' if val else 'false'
                    elif op in ('like', 'ilike'):
                        v = jstr(val)
                    else:
                        v = jv(val)
                    conds.append('%s: %s' % (jstr(c), v if op == 'eq' and self.g.r2.random() < 0.5
                                             else '{%s: %s}' % (jstr(op), v)))
                e.append('"where": {%s}' % ', '.join(conds))
            if o['order']:
                e.append('"order_by": [%s]' % ', '.join(jstr(c + ('' if d is None else ' ' + d) +
                                                            ('' if n is None else ' nulls ' + n))
                                                       for c, d, n in o['order']))
            if o['limit'] is not None:
                e.append('"limit": %d' % o['limit'])
            if k.kids:
                e.append('"include": ' + self.spec_json(k.kids))
            self.g.r2.shuffle(e)
            out.append('%s: {%s}' % (jstr(k.key), ', '.join(e)))
        return '{' + ', '.join(out) + '}'

    def where_sql(self, o, b):
        out = []
        sqlop = {'eq': '=', 'ne': '<>', 'lt': '<', 'lte': '<=', 'gt': '>', 'gte': '>='}
        for c, ty, op, val in o['where']:
            col = '%s.%s' % (b, qi(c))
            if op in sqlop:
                out.append('%s %s %s::%s' % (col, sqlop[op], ql(val), SQLTYPE[ty]))
            elif op == 'in':
                out.append('%s = ANY(%s::%s[])' % (col, ql('{%s}' % ','.join(
                    '"%s"' % x.replace('\\', '\\\\').replace('"', '\\"') for x in val)), SQLTYPE[ty]))
            elif op == 'is_null':
                out.append('%s IS %sNULL' % (col, '' if val else 'NOT '))
            else:
                out.append('%s %s %s' % (col, op.upper(), ql(val)))
        # (the reference query has parameters: a literal's % doubled)
        return ''.join(' AND ' + w for w in out).replace('%', '%%')

    def spec_order(self, o, table, b):
        """the order_by, then the key (or every column) so that the order is total"""
        items = ['%s.%s%s%s' % (b, qi(c), '' if d is None else ' ' + d.upper(),
                                '' if n is None else ' NULLS ' + n.upper()) for c, d, n in o['order']]
        return ', '.join(items + [self.order(table, b)])

    def paths(self, kids):
        """the path strings of a tree, prefixes sometimes repeated, shuffled"""
        out = []

        def walk(node, prefix):
            seg = (node.alias + ':' if node.alias else '') + node.rel.name
            path = prefix + seg
            if not node.kids or self.r.random() < 0.3:
                out.append(path)
            for k in node.kids:
                walk(k, path + '.')
        for k in kids:
            walk(k, '')
        self.r.shuffle(out)
        return out

    # ---- reference SQL
    def order(self, table, alias):
        cols = table.pk if table.pk else [c for c, _ in table.cols]
        return ', '.join('%s.%s' % (alias, qi(c)) for c in cols)

    def doc(self, table, alias, kids, base=None, depth=0, opts=None):
        if opts and opts['columns'] is not None:
            base = 'jsonb_build_object(%s)' % ', '.join('%s::text, %s.%s' % (ql(c), alias, qi(c))
                                                        for c in opts['columns'])
        base = base or 'to_jsonb(%s)' % alias
        if not kids:
            return base
        parts = ['%s::text, %s' % (ql(k.key), self.edge(k, alias, depth + 1)) for k in kids]
        return '(%s || jsonb_build_object(%s))' % (base, ', '.join(parts))

    def conds(self, rel, a, b):
        if rel.kind == 'm2m':
            j = b + 'j'
            c = ['%s.%s = %s.%s' % (j, qi(vs), a, qi(s)) for vs, s in zip(rel.vscols, rel.scols)]
            c += ['%s.%s = %s.%s' % (j, qi(vt), b, qi(t)) for vt, t in zip(rel.vtcols, rel.tcols)]
            return 'EXISTS (SELECT 1 FROM %s %s WHERE %s)' % (qt(rel.via.name), j, ' AND '.join(c))
        return ' AND '.join('%s.%s = %s.%s' % (b, qi(t), a, qi(s)) for s, t in zip(rel.scols, rel.tcols))

    def edge(self, node, a, depth):
        rel = node.rel
        b = 'b%d' % depth
        inner = self.doc(rel.target, b, node.kids, depth=depth, opts=node.opts)
        where = self.conds(rel, a, b)
        if node.opts:
            o = node.opts
            where += self.where_sql(o, b)
            if rel.kind != 'fk':
                # per parent: the first n in order_by order
                return ("COALESCE((SELECT jsonb_agg(s.d ORDER BY s.n) FROM (SELECT %s AS d, row_number() OVER "
                        "(ORDER BY %s) AS n FROM %s %s WHERE %s) s WHERE s.n <= %d), '[]'::jsonb)"
                        % (inner, self.spec_order(o, rel.target, b), qt(rel.target.name), b, where,
                           o['limit'] or 10 ** 9))
        if rel.kind == 'fk':
            return '(SELECT %s FROM %s %s WHERE %s)' % (inner, qt(rel.target.name), b, where)
        return "COALESCE((SELECT jsonb_agg(%s ORDER BY %s) FROM %s %s WHERE %s), '[]'::jsonb)" % (
            inner, self.order(rel.target, b), qt(rel.target.name), b, where)

    def distinct_keys(self, ktype):
        return ('(SELECT DISTINCT ON (k) k, o FROM unnest(%%s::%s[]) WITH ORDINALITY u(k, o) '
                'WHERE k IS NOT NULL ORDER BY k, o) d' % SQLTYPE[ktype])

    def expect_keys(self, table, kids, ktype):
        """the documents of the keys form, as one jsonb array"""
        return ("COALESCE((SELECT jsonb_agg(%s ORDER BY d.o) FROM %s JOIN %s a ON a.%s = d.k), '[]'::jsonb)"
                % (self.doc(table, 'a', kids), self.distinct_keys(ktype), qt(table.name), qi(table.pk[0])))

    def expect_instances(self, table, kids):
        return ("COALESCE((SELECT jsonb_agg(%s ORDER BY x.o) FROM jsonb_array_elements(%%s::jsonb) "
                "WITH ORDINALITY x(e, o), LATERAL jsonb_populate_record(NULL::%s, x.e) a), '[]'::jsonb)"
                % (self.doc(table, 'a', kids, base='x.e'), qt(table.name)))

    # ---- inputs
    def keys(self, table, ktype=None, as_list=False):
        pk = table.pk[0]
        ptype = table.coltype(pk)
        ktype = ktype or self.r.choice(KEY_ARRAY_TYPES[ptype])
        have = [row[pk] for row in table.rows]
        out = []
        for _ in range(self.r.choice([0, 1, 2, 4, 8, 12])):
            x = self.r.random()
            if x < 0.1:
                out.append(None)
            elif x < 0.7 and have:
                out.append(self.g.spelling(ptype, self.r.choice(have)))
            elif out and x < 0.8:
                out.append(self.r.choice(out))
            else:
                out.append(self.g.value(ptype))
        out = [self.g.convert(v, ptype, ktype) if v is not None else None for v in out]
        if out and not as_list and self.g.r2.random() < 0.2:
            # an array whose lower bound is not 1, as an array literal
            lb = self.g.r2.randint(-3, 5)
            return ktype, '[%d:%d]={%s}' % (lb, lb + len(out) - 1, ','.join(
                'NULL' if v is None else '"%s"' % v.replace('\\', '\\\\').replace('"', '\\"') for v in out))
        return ktype, out

    def json_value(self, typ, v):
        if v is None:
            return 'null'
        if typ in NUMERIC and self.r.random() < 0.8:
            return v
        return jstr(self.g.spelling(typ, v))

    def instances(self, table):
        rows = self.q('SELECT %s FROM %s' % (', '.join('%s::text' % qi(c) for c, _ in table.cols),
                                             qt(table.name)))
        out = []
        for _ in range(self.r.choice([0, 1, 3, 6, 10])):
            if rows and self.r.random() < 0.75:
                vals = list(self.r.choice(rows))
            else:
                vals = [None if self.r.random() < 0.3 else self.g.value(ty) for c, ty in table.cols]
            out.append('{%s}' % ', '.join('%s: %s' % (jstr(c), self.json_value(ty, v))
                                          for (c, ty), v in zip(table.cols, vals)))
            if out and self.r.random() < 0.1:
                out.append(out[-1])
        return '[' + ', '.join(out) + ']'

    # ---- comparing
    def compare(self, what, call, params, expect_sql, eparams, rows_call=False):
        shown = self.cur.mogrify(call, params).decode()
        try:
            expected = self.q(expect_sql, eparams)
        except psycopg2.Error as e:
            self.fail('the reference query failed (a fuzzer bug)', self.cur.mogrify(expect_sql, eparams).decode(),
                      '%s %s' % (e.pgcode, e.pgerror))
        try:
            self.calls += 1
            got = self.q(call, params)
            self.session.append(shown + ';')
        except psycopg2.Error as e:
            self.fail('%s raised %s' % (what, e.pgcode), shown, str(e.pgerror))
        expected = [tuple(x) for x in expected]
        got = [tuple(x) for x in got]
        if expected != got:
            ex = ['\t'.join(str(c) for c in x) for x in expected]
            gt = ['\t'.join(str(c) for c in x) for x in got]
            diff = '\n'.join(difflib.unified_diff(ex, gt, 'naive SQL', what, lineterm=''))
            self.fail('%s differs from the naive SQL' % what, shown, diff)

    def check_ambiguous(self):
        """a name two relations of a source share raises 42P09"""
        for t, name in self.ambiguous:
            call = self.cur.mogrify('SELECT matrx_relations.prefetch_related(%s::regclass, %s::jsonb, %s)',
                                    (qt(t.name), '[]', name)).decode()
            try:
                self.calls += 1
                self.q(call)
            except psycopg2.Error as e:
                if e.pgcode == '42P09':
                    continue
                self.fail('an ambiguous name raised %s, not 42P09' % e.pgcode, call, str(e.pgerror))
            self.fail('an ambiguous name loaded without error', call, '')

    def round(self):
        """random calls of every loader against the current data"""
        g = self.g
        tables = list(g.tables.values())
        for _ in range(self.args.calls):
            t = self.r.choice(tables)
            spec = self.g.r2.random() < 0.35       # the spec forms, with options
            kids = self.tree(t, 0, spec)
            paths = self.paths(kids)
            rels_arg, rels_sql = (self.spec_json(kids), '%s::jsonb') if spec else (paths, 'VARIADIC %s::text[]')
            form = self.r.choice(['keys', 'select', 'instances', 'batch', 'fetch', 'fetch_array'])
            single = len(t.pk) == 1
            if form in ('keys', 'select', 'fetch', 'fetch_array') and not single:
                form = 'instances'
            if form == 'keys' or form == 'select':
                ktype, keys = self.keys(t)
                fn = 'prefetch_related' if form == 'keys' else 'select_related'
                self.compare(fn + (' (spec)' if spec else ''), 'SELECT COALESCE(jsonb_agg(x ORDER BY o), \'[]\')::text '
                             'FROM matrx_relations.%s(%%s::regclass, %%s::%s[], %s) '
                             'WITH ORDINALITY f(x, o)' % (fn, SQLTYPE[ktype], rels_sql),
                             (qt(t.name), keys, rels_arg),
                             'SELECT (%s)::text' % self.expect_keys(t, kids, ktype), (keys,))
            elif form == 'instances':
                inst = self.instances(t)
                self.compare('prefetch_related(instances)' + (' (spec)' if spec else ''),
                             'SELECT matrx_relations.prefetch_related(%%s::regclass, %%s::jsonb, %s)::text' % rels_sql,
                             (qt(t.name), inst, rels_arg),
                             'SELECT (%s)::text' % self.expect_instances(t, kids), (inst,))
            elif form == 'batch':
                self.batch()
            else:
                rels = self.by_source.get(t.name)
                if not rels:
                    continue
                rel = self.r.choice(rels)
                ktype, keys = self.keys(t)
                self.fetch(rel, ktype, keys, form == 'fetch_array')

    def batch(self):
        reqs, exps, eparams = [], [], []
        for _ in range(self.r.choice([0, 1, 2, 3, 4])):
            t = self.r.choice(list(self.g.tables.values()))
            spec = self.g.r2.random() < 0.35
            kids = self.tree(t, 0, spec)
            paths = self.paths(kids)
            req = ['"source": %s' % jstr(qt(t.name))]
            if (paths or self.r.random() < 0.5) and not spec:
                req.append('"relations": [%s]' % ', '.join(jstr(p) for p in paths))
            elif spec:
                req.append('"spec": ' + self.spec_json(kids))
            if len(t.pk) == 1 and self.r.random() < 0.5:
                ptype = t.coltype(t.pk[0])
                _, keys = self.keys(t, ptype, as_list=True)
                req.append('"keys": [%s]' % ', '.join(self.json_value(ptype, k) for k in keys))
                exps.append(self.expect_keys(t, kids, ptype))
                eparams.append(keys)
            else:
                inst = self.instances(t)
                req.append('"instances": ' + inst)
                exps.append(self.expect_instances(t, kids))
                eparams.append(inst)
            self.r.shuffle(req)
            reqs.append('{' + ', '.join(req) + '}')
        self.compare('prefetch_batch', 'SELECT matrx_relations.prefetch_batch(%s::jsonb)::text',
                     ('[' + ', '.join(reqs) + ']',),
                     'SELECT jsonb_build_array(%s)::text' % ', '.join(exps), tuple(eparams))

    def fetch(self, rel, ktype, keys, as_array):
        t, tgt = rel.source, rel.target
        a, b = 'a', 'b1'
        ktab = self.distinct_keys(ktype)
        src = 'JOIN %s a ON a.%s = d.k' % (qt(t.name), qi(t.pk[0]))
        if as_array:
            expect = ("SELECT d.k::text, COALESCE((SELECT array_agg(%s ORDER BY %s) FROM %s %s WHERE %s), '{}')::text "
                      "FROM %s LEFT %s ORDER BY d.o" % (b, self.order(tgt, b), qt(tgt.name), b,
                                                         self.conds(rel, a, b), ktab, src))
            fn = 'fetch_related_array'
        else:
            expect = ("SELECT d.k::text, x.r::text FROM %s %s CROSS JOIN LATERAL (SELECT %s AS r, "
                      "row_number() OVER (ORDER BY %s) AS n FROM %s %s WHERE %s) x ORDER BY d.o, x.n"
                      % (ktab, src, b, self.order(tgt, b), qt(tgt.name), b, self.conds(rel, a, b)))
            fn = 'fetch_related'
        call = ('SELECT source_key::text, related::text FROM matrx_relations.%s(NULL::%s, %%s::regclass, %%s, '
                '%%s::%s[])' % (fn, qt(tgt.name), SQLTYPE[ktype]))
        self.compare(fn, call, (qt(t.name), rel.name, keys), expect, (keys,))

    def mutate(self):
        """own writes inside the transaction: the cache must not serve the old rows"""
        for t in self.r.sample(list(self.g.tables.values()), min(2, len(self.g.tables))):
            if t.is_view or 'v' not in dict(t.cols):
                continue
            sql = 'UPDATE %s SET v = %s WHERE %s IS NOT NULL' % (
                qt(t.name), ql(self.g.value('text')), qi(t.pk[0] if t.pk else 'v'))
            self.cur.execute(sql)
            self.session.append(sql + ';')
            self.statements += 1

    def run(self):
        self.setup()
        self.conn.commit()
        self.conn.autocommit = True
        self.check_ambiguous()
        self.round()                            # one transaction per call: no cache
        self.conn.autocommit = False
        self.session.append('BEGIN;')
        self.round()
        self.round()                            # one transaction: cached entries served
        self.mutate()
        self.round()
        self.conn.rollback()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seed', type=int, help='run this one seed')
    ap.add_argument('--seeds', type=int, default=0, help='run seeds start..start+N-1')
    ap.add_argument('--start', type=int, default=None, help='first seed (default: from the clock)')
    ap.add_argument('--seconds', type=float, default=0, help='run consecutive seeds for this long')
    ap.add_argument('--calls', type=int, default=12, help='calls per round (4 rounds per seed)')
    ap.add_argument('--replay', help='on a failure, write a psql script that replays the session here')
    args = ap.parse_args()
    if args.seed is not None:
        seeds = iter([args.seed])
    else:
        start = args.start if args.start is not None else int(time.time()) % 1000000 * 1000
        print('difffuzz: first seed %d' % start, flush=True)
        if args.seeds:
            seeds = iter(range(start, start + args.seeds))
        else:
            seeds = (start + i for i in range(10 ** 9))
    t0 = time.time()
    total_calls = total_stmts = n = 0
    for seed in seeds:
        if args.seconds and time.time() - t0 > args.seconds and n:
            break
        conn = psycopg2.connect('')
        conn.autocommit = False
        f = Fuzzer(conn, seed, args)
        try:
            f.run()
        except Fail as e:
            print(e, flush=True)
            print('difffuzz: FAILED at seed %d (reproduce: %s --seed %d)' % (seed, sys.argv[0], seed))
            return 1
        except psycopg2.Error as e:
            print('FUZZ FAILURE seed=%d: %s %s\n-- schema script:\n%s' % (
                seed, e.pgcode, e.pgerror, '\n'.join(f.g.script)), flush=True)
            print('difffuzz: FAILED at seed %d (reproduce: %s --seed %d)' % (seed, sys.argv[0], seed))
            return 1
        finally:
            conn.close()
        total_calls += f.calls
        total_stmts += f.statements
        n += 1
    print('difffuzz: %d seeds, %d loader calls compared, %d statements, %.1f s, no difference'
          % (n, total_calls, total_stmts, time.time() - t0))
    return 0


if __name__ == '__main__':
    sys.exit(main())
