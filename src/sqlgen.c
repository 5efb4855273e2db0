/*-------------------------------------------------------------------------
 *
 * sqlgen.c
 *		Building statements from relation metadata.  Names come from the
 *		catalog through quote_identifier / quote_qualified_identifier,
 *		operators are written OPERATOR(schema.op), functions pg_catalog.fn,
 *		and key values travel only as array parameters:
 *
 *		one key column:   inner OPERATOR(s.=) ANY ($1)
 *		composite keys:   ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2))
 *						  AS k(k1, k2)
 *						  joined on inner_i OPERATOR(s.=) k.ki
 *
 *		so no search_path and no object of another user can change what
 *		runs.  A spec's options add their conditions (values as $n after
 *		the key arrays), their order, and a per-parent limit as
 *		row_number() OVER (PARTITION BY key ORDER BY ...) (MxOpts*).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "sqlgen.h"

static char *MxPickAlias(const char *base, Oid *rels, int nrels);
static void MxAppendUnnest(StringInfo from, int n, int first_param, const char *alias);
static void MxWindowLimit(MxStmt *stmt, StringInfo buf, int sel_end, char **part, const char *t,
						  const char *rn);
static void MxAppendExtras(StringInfo buf, MxStmt *stmt, const char *alias, const AttrNumber *plain_keys);
static char *MxOperand(const char *expr, Oid type, Oid declared);

/* "schema"."table" for a relation */
char *
MxQuoteRel(Oid relid)
{
	char	   *nsp = get_namespace_name(get_rel_namespace(relid));
	char	   *rel = get_rel_name(relid);

	if (nsp == NULL || rel == NULL)
		elog(ERROR, "cache lookup failed for relation %u", relid);
	return quote_qualified_identifier(nsp, rel);
}

/* "column" for a column of a relation */
char *
MxQuoteCol(Oid relid, AttrNumber attnum)
{
	return pstrdup(quote_identifier(get_attname(relid, attnum, false)));
}

/* OPERATOR("schema".=) for an operator */
char *
MxQuoteOp(Oid opno)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	Form_pg_operator op;
	char	   *result;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	op = (Form_pg_operator) GETSTRUCT(tup);
	result = psprintf("OPERATOR(%s.%s)",
					  quote_identifier(get_namespace_name(op->oprnamespace)),
					  NameStr(op->oprname));
	ReleaseSysCache(tup);
	return result;
}

/*
 * A schema-qualified type name from pg_type, without any length or
 * precision (format_type_be_qualified would write "character", which SQL
 * reads as character(1)).
 */
char *
MxQuoteType(Oid typid)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Form_pg_type typ;
	char	   *result;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for type %u", typid);
	typ = (Form_pg_type) GETSTRUCT(tup);
	result = quote_qualified_identifier(get_namespace_name(typ->typnamespace),
										NameStr(typ->typname));
	ReleaseSysCache(tup);
	return result;
}

/* A schema-qualified collation name */
static char *
MxQuoteCollation(Oid collid)
{
	HeapTuple	tup = SearchSysCache1(COLLOID, ObjectIdGetDatum(collid));
	Form_pg_collation coll;
	char	   *result;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for collation %u", collid);
	coll = (Form_pg_collation) GETSTRUCT(tup);
	result = quote_qualified_identifier(get_namespace_name(coll->collnamespace),
										NameStr(coll->collname));
	ReleaseSysCache(tup);
	return result;
}

/* expr, cast to type "to" when it is of another type */
static char *
MxCast(const char *expr, Oid from, Oid to)
{
	if (from == to)
		return pstrdup(expr);
	return psprintf("CAST(%s AS %s)", expr, MxQuoteType(to));
}

/*
 * "inner OP outer", or with any "inner OP ANY (outer)" where outer is an
 * array parameter of outer_type elements.  As ri_triggers.c does, operands
 * are cast to the operator's declared input types, so that exactly that
 * operator runs, and the comparison uses collation coll (the key side's),
 * which the inner column may not share.
 */
char *
MxQual(const char *inner, Oid inner_type, Oid inner_coll, Oid op,
	   const char *outer, Oid outer_type, Oid coll, bool any)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(op));
	Oid			left;
	Oid			right;
	char	   *l;
	char	   *r;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", op);
	left = ((Form_pg_operator) GETSTRUCT(tup))->oprleft;
	right = ((Form_pg_operator) GETSTRUCT(tup))->oprright;
	ReleaseSysCache(tup);

	l = MxCast(inner, inner_type, left);
	/* a cast keeps its input's collation: only a different one needs COLLATE */
	if (OidIsValid(coll) && type_is_collatable(left) && coll != inner_coll)
		l = psprintf("%s COLLATE %s", l, MxQuoteCollation(coll));
	if (any)
	{
		r = MxCast(outer, get_array_type(outer_type), get_array_type(right));
		return psprintf("%s %s ANY (%s)", l, MxQuoteOp(op), r);
	}
	r = MxCast(outer, outer_type, right);
	return psprintf("%s %s %s", l, MxQuoteOp(op), r);
}

/*
 * An alias that is no column name of any of rels, so that a bare alias in
 * the select list means the whole row, never a column.
 */
static char *
MxPickAlias(const char *base, Oid *rels, int nrels)
{
	int			n;

	for (n = 0;; n++)
	{
		char	   *alias = n == 0 ? pstrdup(base) : psprintf("%s_%d", base, n);
		bool		clash = false;
		int			i;

		for (i = 0; i < nrels && !clash; i++)
			clash = get_attnum(rels[i], alias) != InvalidAttrNumber;
		if (!clash)
			return alias;
	}
}

/*
 * ROWS FROM (pg_catalog.unnest($1), ..., pg_catalog.unnest($n)) AS
 * alias(k1, ..., kn): the arrays zipped.  (The multi-argument unnest($1,
 * $2) is parser syntax for the unqualified name only, so it cannot be
 * schema-qualified.)
 */
static void
MxAppendUnnest(StringInfo from, int n, int first_param, const char *alias)
{
	int			i;

	appendStringInfoString(from, "ROWS FROM (");
	for (i = 0; i < n; i++)
		appendStringInfo(from, "%spg_catalog.unnest($%d)", i > 0 ? ", " : "", first_param + i);
	appendStringInfo(from, ") AS %s(", alias);
	for (i = 0; i < n; i++)
		appendStringInfo(from, "%sk%d", i > 0 ? ", " : "", i + 1);
	appendStringInfoChar(from, ')');
}

/*
 * Appends the extra columns to the select list, except those that a key
 * column already returns as the same, uncast column (plain_keys[k] is
 * that column's attnum, or 0): the loader reads those from the key.
 */
static void
MxAppendExtras(StringInfo buf, MxStmt *stmt, const char *alias, const AttrNumber *plain_keys)
{
	int			i;

	stmt->extra_key = palloc(sizeof(int) * Max(stmt->nextra, 1));
	for (i = 0; i < stmt->nextra; i++)
	{
		int			k;

		stmt->extra_key[i] = -1;
		for (k = 0; k < stmt->nkeys; k++)
			if (plain_keys[k] != 0 && plain_keys[k] == stmt->extra[i])
				stmt->extra_key[i] = k;
		if (stmt->extra_key[i] < 0)
			appendStringInfo(buf, ", %s.%s", alias,
							 MxQuoteCol(stmt->target->relid, stmt->extra[i]));
	}
}

static void MxOperTypes(Oid op, Oid *left, Oid *right);

/*
 * True when the inner column's values are themselves key values: the
 * operator compares two values of one type, of which the column's type is
 * binary-coercible.  Then a row can be matched to its key by the inner
 * value; otherwise the statement returns the key it matched.
 */
static bool
MxInnerIsKey(MxHop *hop, int i)
{
	Oid			left;
	Oid			right;

	MxOperTypes(hop->eqops[i], &left, &right);
	return left == right && IsBinaryCoercible(hop->inner_types[i], left);
}

/* The declared input types of an operator */
static void
MxOperTypes(Oid op, Oid *left, Oid *right)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(op));

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", op);
	*left = ((Form_pg_operator) GETSTRUCT(tup))->oprleft;
	*right = ((Form_pg_operator) GETSTRUCT(tup))->oprright;
	ReleaseSysCache(tup);
}

/*
 * Builds stmt->sql and the key and parameter types.  Three shapes:
 *
 * - the source rows (rel == NULL): keys are the source's primary key;
 * - one hop (fk, ifk): the target filtered on its key columns;
 * - two hops (m2m): the junction filtered on its source-side columns, made
 *   distinct per (key, target key) unless a unique constraint already
 *   says so, joined to the target.
 *
 * With keys_are_source_pk, when the relation's source columns are not the
 * source's primary key, the source table is joined in to map one to the
 * other (fetch_related's keys are primary key values).
 */
void
MxBuildStmt(MxStmt *stmt)
{
	StringInfoData sel;
	StringInfoData from;
	StringInfoData where;
	StringInfoData buf;
	MxRelation *rel = stmt->rel;
	MxTable    *target = stmt->target;
	Oid			fromrels[3];
	int			nfromrels = 0;
	char	   *t;
	char	   *payload;
	bool		via_source;
	MxHop	   *hop0;
	AttrNumber	plain_keys[MX_MAX_KEYS];
	char	   *part[MX_MAX_KEYS];	/* the key expressions, for PARTITION BY */
	int			sel_end = 0;	/* where the select list ends in buf */
	char	   *quals;
	int			i;

	initStringInfo(&sel);
	initStringInfo(&from);
	initStringInfo(&where);
	initStringInfo(&buf);

	fromrels[nfromrels++] = target->relid;
	if (rel != NULL && OidIsValid(rel->via))
		fromrels[nfromrels++] = rel->via;
	if (stmt->source != NULL)
		fromrels[nfromrels++] = stmt->source->relid;
	t = MxPickAlias("t", fromrels, nfromrels);
	payload = stmt->typed ? MxOptsRowPayload(stmt->opts, target->relid, t) :
		MxOptsPayload(stmt->opts, target->relid, t);

	/* the source rows themselves, by primary key */
	if (rel == NULL)
	{
		MxTable    *src = stmt->target;

		stmt->nkeys = 1;
		stmt->key_types[0] = src->pk_types[0];
		stmt->key_collations[0] = src->pk_collations[0];
		appendStringInfo(&buf, "SELECT %s.%s", t, MxQuoteCol(src->relid, src->pk_cols[0]));
		plain_keys[0] = src->pk_cols[0];
		MxAppendExtras(&buf, stmt, t, plain_keys);
		appendStringInfo(&buf, ", %s FROM %s %s WHERE %s",
						 payload, MxQuoteRel(src->relid), t,
						 MxQual(psprintf("%s.%s", t, MxQuoteCol(src->relid, src->pk_cols[0])),
								src->pk_types[0], src->pk_collations[0], src->pk_eqops[0],
								"$1", src->pk_types[0], src->pk_collations[0], true));
		goto done;
	}

	hop0 = &rel->hops[0];
	via_source = false;
	if (stmt->keys_are_source_pk)
	{
		Oid			left;
		Oid			right;

		/* the keys are primary key values: usable directly only as key values */
		MxOperTypes(hop0->eqops[0], &left, &right);
		via_source = !(hop0->nkeys == 1 && stmt->source->pk_nkeys == 1 &&
					   hop0->outer_cols[0] == stmt->source->pk_cols[0] &&
					   IsBinaryCoercible(stmt->source->pk_types[0], right));
	}

	/* key columns: the source's primary key, or the relation's source columns */
	if (via_source)
	{
		stmt->nkeys = 1;
		stmt->key_types[0] = stmt->source->pk_types[0];
		stmt->key_collations[0] = stmt->source->pk_collations[0];
	}
	else
	{
		/*
		 * Keys are values of the matching operator's own input type on the
		 * key side, compared (here and in C) as that operator compares.
		 */
		stmt->nkeys = hop0->nkeys;
		for (i = 0; i < hop0->nkeys; i++)
		{
			Oid			left;

			MxOperTypes(hop0->eqops[i], &left, &stmt->key_types[i]);
			stmt->key_collations[i] = hop0->collations[i];
		}
	}

	/* the spec's conditions, their values after the keys' arrays */
	quals = MxOptsQuals(stmt->opts, target->relid, t, stmt->nkeys + 1);

	/*
	 * The first hop's inner table (the target, or the junction) and how its
	 * rows are matched to the keys.
	 */
	{
		Oid			inner = hop0->inner_rel;
		const char *ia = rel->nhops == 2 ? "j" : t;
		char	   *s = MxPickAlias("s", fromrels, nfromrels);
		char	   *k = MxPickAlias("k", fromrels, nfromrels);
		char	   *key_exprs[MX_MAX_KEYS];

		if (via_source)
		{
			MxTable    *src = stmt->source;

			key_exprs[0] = psprintf("%s.%s", s, MxQuoteCol(src->relid, src->pk_cols[0]));
			appendStringInfo(&from, "%s %s JOIN %s %s ON ", MxQuoteRel(src->relid), s,
							 MxQuoteRel(inner), ia);
			for (i = 0; i < hop0->nkeys; i++)
				appendStringInfo(&from, "%s%s", i > 0 ? " AND " : "",
								 MxQual(psprintf("%s.%s", ia, MxQuoteCol(inner, hop0->inner_cols[i])),
										hop0->inner_types[i], hop0->inner_collations[i],
										hop0->eqops[i],
										psprintf("%s.%s", s, MxQuoteCol(src->relid, hop0->outer_cols[i])),
										hop0->outer_types[i], hop0->collations[i], false));
			appendStringInfoString(&where,
								   MxQual(key_exprs[0], src->pk_types[0], src->pk_collations[0],
										  src->pk_eqops[0], "$1", src->pk_types[0],
										  src->pk_collations[0], true));
		}
		else if (hop0->nkeys == 1 && MxInnerIsKey(hop0, 0))
		{
			/* the inner column holds key values: filter with ANY, return it */
			char	   *col = psprintf("%s.%s", ia, MxQuoteCol(inner, hop0->inner_cols[0]));

			key_exprs[0] = col;
			appendStringInfo(&from, "%s %s", MxQuoteRel(inner), ia);
			appendStringInfoString(&where,
								   MxQual(col, hop0->inner_types[0], hop0->inner_collations[0],
										  hop0->eqops[0], "$1", stmt->key_types[0],
										  hop0->collations[0], true));
		}
		else
		{
			/* join the keys themselves, and return the key each row matched */
			MxAppendUnnest(&from, hop0->nkeys, 1, k);
			appendStringInfo(&from, " JOIN %s %s ON ", MxQuoteRel(inner), ia);
			for (i = 0; i < hop0->nkeys; i++)
			{
				key_exprs[i] = psprintf("%s.k%d", k, i + 1);
				appendStringInfo(&from, "%s%s", i > 0 ? " AND " : "",
								 MxQual(psprintf("%s.%s", ia, MxQuoteCol(inner, hop0->inner_cols[i])),
										hop0->inner_types[i], hop0->inner_collations[i],
										hop0->eqops[i], key_exprs[i], stmt->key_types[i],
										hop0->collations[i], false));
			}
		}

		if (rel->nhops == 1)
		{
			/* a key read straight from a target column needs no second copy */
			memset(plain_keys, 0, sizeof(plain_keys));
			if (!via_source && hop0->nkeys == 1 && MxInnerIsKey(hop0, 0) &&
				hop0->inner_types[0] == stmt->key_types[0])
				plain_keys[0] = hop0->inner_cols[0];
			appendStringInfoString(&buf, "SELECT ");
			for (i = 0; i < stmt->nkeys; i++)
				appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", key_exprs[i]);
			MxAppendExtras(&buf, stmt, t, plain_keys);
			appendStringInfo(&buf, ", %s", payload);
			sel_end = buf.len;
			appendStringInfo(&buf, " FROM %s", from.data);
			if (where.len > 0)
				appendStringInfo(&buf, " WHERE %s", where.data);
			if (quals != NULL)
				appendStringInfo(&buf, " %s %s", where.len > 0 ? "AND" : "WHERE", quals);
			for (i = 0; i < stmt->nkeys; i++)
				part[i] = key_exprs[i];
		}
		else
		{
			MxHop	   *hop1 = &rel->hops[1];
			char	   *q = MxPickAlias("q", fromrels, nfromrels);

			/* (SELECT [DISTINCT] keys AS k1.., j.vt AS v1.. FROM ...) q JOIN target */
			appendStringInfo(&buf, "SELECT ");
			for (i = 0; i < stmt->nkeys; i++)
				appendStringInfo(&buf, "%s%s.k%d", i > 0 ? ", " : "", q, i + 1);
			memset(plain_keys, 0, sizeof(plain_keys));
			MxAppendExtras(&buf, stmt, t, plain_keys);
			appendStringInfo(&buf, ", %s", payload);
			sel_end = buf.len;
			appendStringInfo(&buf, " FROM (SELECT %s",
							 rel->via_unique && !via_source ? "" : "DISTINCT ");
			for (i = 0; i < stmt->nkeys; i++)
				appendStringInfo(&buf, "%s%s AS k%d", i > 0 ? ", " : "", key_exprs[i], i + 1);
			for (i = 0; i < hop1->nkeys; i++)
				appendStringInfo(&buf, ", j.%s AS v%d", MxQuoteCol(rel->via, hop1->outer_cols[i]),
								 i + 1);
			appendStringInfo(&buf, " FROM %s", from.data);
			if (where.len > 0)
				appendStringInfo(&buf, " WHERE %s", where.data);
			appendStringInfo(&buf, ") %s JOIN %s %s ON ", q, MxQuoteRel(target->relid), t);
			for (i = 0; i < hop1->nkeys; i++)
				appendStringInfo(&buf, "%s%s", i > 0 ? " AND " : "",
								 MxQual(psprintf("%s.%s", t, MxQuoteCol(target->relid, hop1->inner_cols[i])),
										hop1->inner_types[i], hop1->inner_collations[i],
										hop1->eqops[i], psprintf("%s.v%d", q, i + 1),
										hop1->outer_types[i], hop1->collations[i], false));
			if (quals != NULL)
				appendStringInfo(&buf, " WHERE %s", quals);
			for (i = 0; i < stmt->nkeys; i++)
				part[i] = psprintf("%s.k%d", q, i + 1);
		}
	}

	if (stmt->opts != NULL && stmt->opts->limit >= 0)
		MxWindowLimit(stmt, &buf, sel_end, part, t, MxPickAlias("mx_rn", fromrels, nfromrels));
	else if (rel->kind != MX_KIND_FK)
		MxOptsOrder(&buf, stmt->opts, target, t);

done:
	for (i = 0; i < stmt->nkeys; i++)
	{
		stmt->param_types[i] = get_array_type(stmt->key_types[i]);
		if (!OidIsValid(stmt->param_types[i]))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("key type %s has no array type", format_type_be(stmt->key_types[i]))));
	}
	stmt->sql = buf.data;
	stmt->all_param_types = palloc(sizeof(Oid) * (stmt->nkeys + (stmt->opts ? stmt->opts->nparams : 0)));
	stmt->opt_params = palloc(sizeof(Datum) * Max(stmt->opts ? stmt->opts->nparams : 0, 1));
	memcpy(stmt->all_param_types, stmt->param_types, sizeof(Oid) * stmt->nkeys);
	stmt->nparams = stmt->nkeys + MxOptsParams(stmt->opts, stmt->opt_params,
											   stmt->all_param_types + stmt->nkeys);
	/* the values are parameters: entries are per statement and values */
	stmt->cache_id = stmt->nparams > stmt->nkeys ?
		psprintf("%s\n-- %s", stmt->sql, stmt->opts->sig) : stmt->sql;
}

/*
 * A per-parent limit as a window: the statement in buf (its select list
 * ending at sel_end) numbers each key's rows in the edge's order, and
 * only the first n of each key are kept, in that order.  (Measured
 * against a LATERAL (... ORDER BY ... LIMIT n) per key on the benchmark's
 * latest 5 orders of 1,000 customers: 30 ms against 40 ms.)
 */
static void
MxWindowLimit(MxStmt *stmt, StringInfo buf, int sel_end, char **part, const char *t,
			  const char *rn)
{
	StringInfoData w;
	int			i;

	initStringInfo(&w);
	appendStringInfoString(&w, "SELECT * FROM (");
	appendBinaryStringInfo(&w, buf->data, sel_end);
	appendStringInfoString(&w, ", pg_catalog.row_number() OVER (PARTITION BY ");
	for (i = 0; i < stmt->nkeys; i++)
		appendStringInfo(&w, "%s%s", i > 0 ? ", " : "", part[i]);
	MxOptsOrder(&w, stmt->opts, stmt->target, t);
	/* rn is no column of the tables read: the select list's names are theirs */
	appendStringInfo(&w, ") AS %s%s) mx_w WHERE mx_w.%s OPERATOR(pg_catalog.<=) "
					 "CAST(" INT64_FORMAT " AS pg_catalog.int8) ORDER BY mx_w.%s",
					 rn, buf->data + sel_end, rn, stmt->opts->limit, rn);
	resetStringInfo(buf);
	appendBinaryStringInfo(buf, w.data, w.len);
}

/*
 * The tables a statement may read (at most three: the target, the
 * junction, the source), into relids; returns how many.
 */
int
MxStmtRelids(const MxStmt *stmt, Oid *relids)
{
	int			n = 0;

	relids[n++] = stmt->target->relid;
	if (stmt->rel != NULL && OidIsValid(stmt->rel->via))
		relids[n++] = stmt->rel->via;
	if (stmt->rel != NULL && stmt->keys_are_source_pk)
		relids[n++] = stmt->source->relid;
	return n;
}

/* ---- the SQL of spec options (spec.c parses them) ---- */

/* jsonb_build_object takes at most this many key/value pairs per call */
#define MX_PAIRS_PER_CALL 40

/* True when two edges' options are the same (both none, or equal text) */
bool
MxSameOpts(const MxEdgeOpts *a, const MxEdgeOpts *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a->sig, b->sig) == 0;
}

/* True when the edge's output includes column attnum */
bool
MxOptsOutputs(const MxEdgeOpts *opts, AttrNumber attnum)
{
	int			i;

	if (opts == NULL || opts->ncolumns < 0)
		return true;
	for (i = 0; i < opts->ncolumns; i++)
		if (opts->columns[i] == attnum)
			return true;
	return false;
}

/*
 * The document of a row of relid under alias: to_jsonb(alias.*), or with
 * "columns" a jsonb_build_object of those (the same values to_jsonb gives).
 */
char *
MxOptsPayload(const MxEdgeOpts *opts, Oid relid, const char *alias)
{
	StringInfoData buf;
	int			i;

	if (opts == NULL || opts->ncolumns < 0)
		return psprintf("pg_catalog.to_jsonb(%s.*)", alias);
	if (opts->ncolumns == 0)
		return pstrdup("'{}'::pg_catalog.jsonb");
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '(');
	for (i = 0; i < opts->ncolumns; i++)
	{
		char	   *name = get_attname(relid, opts->columns[i], false);

		if (i % MX_PAIRS_PER_CALL == 0)
			appendStringInfoString(&buf, i == 0 ? "pg_catalog.jsonb_build_object(" :
								   ") || pg_catalog.jsonb_build_object(");
		else
			appendStringInfoString(&buf, ", ");
		appendStringInfo(&buf, "%s::pg_catalog.text, %s.%s", quote_literal_cstr(name), alias,
						 quote_identifier(name));
	}
	appendStringInfoString(&buf, "))");
	return buf.data;
}

/*
 * The typed form's row of relid under alias: the whole row (the table's
 * row type), or with "columns" ROW(those columns), an anonymous record
 */
char *
MxOptsRowPayload(const MxEdgeOpts *opts, Oid relid, const char *alias)
{
	StringInfoData buf;
	int			i;

	if (opts == NULL || opts->ncolumns < 0)
		return pstrdup(alias);
	initStringInfo(&buf);
	appendStringInfoString(&buf, "ROW(");
	for (i = 0; i < opts->ncolumns; i++)
		appendStringInfo(&buf, "%s%s.%s", i > 0 ? ", " : "", alias,
						 MxQuoteCol(relid, opts->columns[i]));
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/*
 * expr, cast to the operator's declared input type when it is another
 * (not pseudo) type, so that exactly that operator runs
 */
static char *
MxOperand(const char *expr, Oid type, Oid declared)
{
	if (type == declared || get_typtype(declared) == TYPTYPE_PSEUDO)
		return pstrdup(expr);
	return psprintf("CAST(%s AS %s)", expr, MxQuoteType(declared));
}

/*
 * The edge's "where" as "cond AND cond ..." on alias, its values as
 * parameters from $first_param on; NULL when it has none.
 */
char *
MxOptsQuals(const MxEdgeOpts *opts, Oid relid, const char *alias, int first_param)
{
	StringInfoData buf;
	int			p = first_param;
	int			i;

	if (opts == NULL || opts->nquals == 0)
		return NULL;
	initStringInfo(&buf);
	for (i = 0; i < opts->nquals; i++)
	{
		const MxQualSpec *q = &opts->quals[i];
		char	   *col = psprintf("%s.%s", alias, MxQuoteCol(relid, q->attnum));
		Oid			left = InvalidOid;
		Oid			right = InvalidOid;
		char	   *param;

		if (i > 0)
			appendStringInfoString(&buf, " AND ");
		if (q->kind == MX_QUAL_NULL || q->kind == MX_QUAL_NOT_NULL)
		{
			appendStringInfo(&buf, "%s IS %sNULL", col, q->kind == MX_QUAL_NULL ? "" : "NOT ");
			continue;
		}
		op_input_types(q->opno, &left, &right);
		param = psprintf("$%d", p++);
		if (q->kind == MX_QUAL_ANY)
		{
			Oid			arr = get_typtype(right) == TYPTYPE_PSEUDO ? q->param_type :
				get_array_type(right);

			appendStringInfo(&buf, "%s %s ANY (%s)", MxOperand(col, q->coltype, left),
							 MxQuoteOp(q->opno), MxOperand(param, q->param_type, arr));
		}
		else
			appendStringInfo(&buf, "%s %s %s", MxOperand(col, q->coltype, left),
							 MxQuoteOp(q->opno), MxOperand(param, q->param_type, right));
	}
	return buf.data;
}

/* " ORDER BY ..." on alias: the edge's order, else the target's primary key */
void
MxOptsOrder(StringInfo buf, const MxEdgeOpts *opts, MxTable *target, const char *alias)
{
	int			i;

	if (opts == NULL || opts->norder == 0)
	{
		for (i = 0; i < target->order_ncols; i++)
			appendStringInfo(buf, "%s%s.%s", i == 0 ? " ORDER BY " : ", ", alias,
							 MxQuoteCol(target->relid, target->order_cols[i]));
		return;
	}
	for (i = 0; i < opts->norder; i++)
	{
		const MxOrderItem *item = &opts->order[i];

		appendStringInfo(buf, "%s%s.%s%s%s", i == 0 ? " ORDER BY " : ", ", alias,
						 MxQuoteCol(target->relid, item->attnum), item->desc ? " DESC" : "",
						 item->nulls_first == item->desc ? "" :
						 item->nulls_first ? " NULLS FIRST" : " NULLS LAST");
	}
}

/* The edge's parameter values and types, in $n order; returns how many */
int
MxOptsParams(const MxEdgeOpts *opts, Datum *values, Oid *types)
{
	int			n = 0;
	int			i;

	if (opts == NULL)
		return 0;
	for (i = 0; i < opts->nquals; i++)
	{
		if (opts->quals[i].kind != MX_QUAL_OP && opts->quals[i].kind != MX_QUAL_ANY)
			continue;
		values[n] = opts->quals[i].value;
		types[n] = opts->quals[i].param_type;
		n++;
	}
	return n;
}
