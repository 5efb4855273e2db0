/*-------------------------------------------------------------------------
 *
 * deparse.c
 *		The pieces every statement is written from, in the spirit of
 *		postgres_fdw's deparse.c: names from the catalog through
 *		quote_identifier / quote_qualified_identifier, operators as
 *		OPERATOR(schema.op), functions as pg_catalog.fn, and key values only
 *		as array parameters.  The batched engine (sqlgen.c) and
 *		select_related (joined.c) write each SQL shape through these:
 *
 *		key match, one column:  inner OPERATOR(s.=) ANY ($1)
 *		key match, composite:   ROWS FROM (pg_catalog.unnest($1),
 *								pg_catalog.unnest($2)) AS k(k1, k2)
 *								JOIN inner ON inner_i OPERATOR(s.=) k.ki
 *		a hop:					inner_i OPERATOR(s.=) outer_i AND ...
 *		junction rows:			(SELECT [DISTINCT] j.c AS v1 FROM junction j
 *								WHERE ...) q
 *		a row's value:			to_jsonb(t.*), jsonb_build_object(...) of
 *								its "columns", or the row itself (typed)
 *		a spec's conditions:	their values as the next $n parameters
 *		on Citus, beside a key join: inner.dist OPERATOR(s.=) ANY ($i)
 *
 *		so no search_path and no object of another user can change what
 *		runs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "citus.h"
#include "sqlgen.h"

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

/*
 * The schema and name of a catalog object found by OID in syscache
 * cacheid, from its namespace and name attributes; what names the kind of
 * object for the can't-happen error.
 */
static void
MxCatalogName(int cacheid, Oid oid, AttrNumber nsp_att, AttrNumber name_att,
			  const char *what, char **nsp, char **name)
{
	HeapTuple	tup = SearchSysCache1(cacheid, ObjectIdGetDatum(oid));
	bool		isnull;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for %s %u", what, oid);
	*nsp = get_namespace_name(DatumGetObjectId(SysCacheGetAttr(cacheid, tup, nsp_att, &isnull)));
	*name = pstrdup(NameStr(*DatumGetName(SysCacheGetAttr(cacheid, tup, name_att, &isnull))));
	ReleaseSysCache(tup);
}

/* OPERATOR("schema".=) for an operator */
char *
MxQuoteOp(Oid opno)
{
	char	   *nsp;
	char	   *name;

	MxCatalogName(OPEROID, opno, Anum_pg_operator_oprnamespace, Anum_pg_operator_oprname,
				  "operator", &nsp, &name);
	return psprintf("OPERATOR(%s.%s)", quote_identifier(nsp), name);
}

/*
 * A schema-qualified type name from pg_type, without any length or
 * precision (format_type_be_qualified would write "character", which SQL
 * reads as character(1)).
 */
char *
MxQuoteType(Oid typid)
{
	char	   *nsp;
	char	   *name;

	MxCatalogName(TYPEOID, typid, Anum_pg_type_typnamespace, Anum_pg_type_typname, "type",
				  &nsp, &name);
	return quote_qualified_identifier(nsp, name);
}

/* A schema-qualified collation name */
static char *
MxQuoteCollation(Oid collid)
{
	char	   *nsp;
	char	   *name;

	MxCatalogName(COLLOID, collid, Anum_pg_collation_collnamespace, Anum_pg_collation_collname,
				  "collation", &nsp, &name);
	return quote_qualified_identifier(nsp, name);
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
	Oid			left;
	Oid			right;
	char	   *l;
	char	   *r;

	op_input_types(op, &left, &right);

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

/* ---- the shapes every statement is written from ---- */

/* An empty builder; first_param: the first parameter after the key arrays */
void
MxBuilderInit(MxSqlBuilder *b, int first_param, int maxparams)
{
	initStringInfo(&b->sql);
	b->first_param = first_param;
	b->nparams = 0;
	b->params = palloc(sizeof(Datum) * Max(maxparams, 1));
	b->param_types = palloc(sizeof(Oid) * Max(maxparams, 1));
	b->naliases = 0;
}

/* A fresh table alias "mx_N" (for statements that name many levels) */
char *
MxBuilderAlias(MxSqlBuilder *b)
{
	return psprintf("mx_%d", ++b->naliases);
}

/*
 * The spec's conditions of an edge on alias ("cond AND ..."), their values
 * taken as the builder's next parameters; NULL when there are none.
 */
char *
MxBuilderQuals(MxSqlBuilder *b, const MxEdgeOpts *opts, Oid relid, const char *alias)
{
	char	   *quals = MxOptsQuals(opts, relid, alias, b->first_param + b->nparams);

	if (quals != NULL)
		b->nparams += MxOptsParams(opts, &b->params[b->nparams], &b->param_types[b->nparams]);
	return quals;
}

/*
 * The typed load's row as plain columns (", alias.c1, alias.c2 .."): every
 * live column of relid, or the spec's "columns"; the loader forms the
 * record from them (MxRowSetRecords), as the bare statements would select
 */
char *
MxRowColumns(const MxEdgeOpts *opts, Oid relid, const char *alias)
{
	StringInfoData buf;
	TupleDesc	desc;
	int			i;

	initStringInfo(&buf);
	if (opts != NULL && opts->ncolumns >= 0)
	{
		for (i = 0; i < opts->ncolumns; i++)
			appendStringInfo(&buf, ", %s.%s", alias, MxQuoteCol(relid, opts->columns[i]));
		return buf.data;
	}
	desc = lookup_rowtype_tupdesc(get_rel_type_id(relid), -1);
	for (i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			appendStringInfo(&buf, ", %s.%s", alias, MxQuoteCol(relid, i + 1));
	ReleaseTupleDesc(desc);
	return buf.data;
}

/*
 * The value a statement returns for a row of relid under alias.  Typed: the
 * row itself (the table's row type), or with "columns" ROW(those columns),
 * an anonymous record.  Else its document: to_jsonb(alias.*), or with
 * "columns" a jsonb_build_object of those (the same values to_jsonb gives).
 */
char *
MxPayload(bool typed, const MxEdgeOpts *opts, Oid relid, const char *alias)
{
	StringInfoData buf;
	int			i;

	if (typed && (opts == NULL || opts->ncolumns < 0))
		return pstrdup(alias);
	if (typed)
	{
		initStringInfo(&buf);
		appendStringInfoString(&buf, "ROW(");
		for (i = 0; i < opts->ncolumns; i++)
			appendStringInfo(&buf, "%s%s.%s", i > 0 ? ", " : "", alias,
							 MxQuoteCol(relid, opts->columns[i]));
		appendStringInfoChar(&buf, ')');
		return buf.data;
	}
	if (opts == NULL || opts->ncolumns < 0)
		return psprintf("pg_catalog.to_jsonb(%s.*)", alias);
	if (opts->ncolumns == 0)
		return pstrdup("'{}'::pg_catalog.jsonb");
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '(');
	for (i = 0; i < opts->ncolumns; i++)
	{
		char	   *name = get_attname(relid, opts->columns[i], false);

		MxAppendPairSep(&buf, i);
		appendStringInfo(&buf, "%s::pg_catalog.text, %s.%s", quote_literal_cstr(name), alias,
						 quote_identifier(name));
	}
	appendStringInfoString(&buf, "))");
	return buf.data;
}

/*
 * Before the i-th key/value pair of a document: opens a
 * jsonb_build_object call (a new one per MX_PAIRS_PER_CALL pairs, joined
 * with ||) or separates the pair from the one before.
 */
void
MxAppendPairSep(StringInfo buf, int i)
{
	if (i % MX_PAIRS_PER_CALL != 0)
		appendStringInfoString(buf, ", ");
	else if (i == 0)
		appendStringInfoString(buf, "pg_catalog.jsonb_build_object(");
	else
		appendStringInfoString(buf, ") || pg_catalog.jsonb_build_object(");
}

/* "alias.col" for n columns of relid */
char **
MxColumnRefs(const char *alias, Oid relid, int n, const AttrNumber *cols)
{
	char	  **refs = palloc(sizeof(char *) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		refs[i] = psprintf("%s.%s", alias, MxQuoteCol(relid, cols[i]));
	return refs;
}

/* "alias.name1" .. "alias.nameN": the numbered columns of a derived table */
char **
MxNumberedRefs(const char *alias, const char *name, int n)
{
	char	  **refs = palloc(sizeof(char *) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		refs[i] = psprintf("%s.%s%d", alias, name, i + 1);
	return refs;
}

/*
 * A hop's match: "inner.c1 OP outer1 AND ...", where outer[i] is an
 * expression of outer_types[i] (the outer table's columns, a derived
 * table's, or zipped keys).
 */
void
MxAppendHopMatch(StringInfo buf, const MxHop *hop, const char *inner_alias,
				 char **outer, const Oid *outer_types)
{
	char	  **inner = MxColumnRefs(inner_alias, hop->inner_rel, hop->nkeys, hop->inner_cols);
	int			i;

	for (i = 0; i < hop->nkeys; i++)
		appendStringInfo(buf, "%s%s", i > 0 ? " AND " : "",
						 MxQual(inner[i], hop->inner_types[i], hop->inner_collations[i],
								hop->eqops[i], outer[i], outer_types[i], hop->collations[i],
								false));
}

/*
 * Key arrays zipped and joined to the hop's inner table:
 *
 *   ROWS FROM (pg_catalog.unnest($p), ...) [WITH ORDINALITY] AS k(k1, ...[, n])
 *   JOIN inner ia ON ia.c1 OP k.k1 AND ...
 *
 * (The multi-argument unnest($1, $2) is parser syntax for the unqualified
 * name only, so it cannot be schema-qualified.)
 */
void
MxAppendKeyJoin(StringInfo buf, const MxHop *hop, const Oid *key_types, int first_param,
				const char *k, bool ordinality, const char *ia)
{
	int			i;

	appendStringInfoString(buf, "ROWS FROM (");
	for (i = 0; i < hop->nkeys; i++)
		appendStringInfo(buf, "%spg_catalog.unnest($%d)", i > 0 ? ", " : "", first_param + i);
	appendStringInfo(buf, ")%s AS %s(", ordinality ? " WITH ORDINALITY" : "", k);
	for (i = 0; i < hop->nkeys; i++)
		appendStringInfo(buf, "%sk%d", i > 0 ? ", " : "", i + 1);
	appendStringInfo(buf, "%s) JOIN %s %s ON ", ordinality ? ", n" : "",
					 MxQuoteRel(hop->inner_rel), ia);
	MxAppendHopMatch(buf, hop, ia, MxNumberedRefs(k, "k", hop->nkeys), key_types);
	for (i = 0; i < hop->nkeys; i++)
	{
		char	   *prune = MxCitusPrune(hop, i, ia, psprintf("$%d", first_param + i),
										 key_types[i]);

		if (prune != NULL)
		{
			appendStringInfo(buf, " AND %s", prune);
			break;
		}
	}
}

/*
 * Where the hop's inner table is distributed by Citus on its i-th inner
 * column: "ia.col OP ANY (param)", param the array of the key values that
 * column is matched to by the same operator (so it changes no result).
 * Citus routes a statement to the shards of the values its distribution
 * column is filtered with by "= ANY", never by a join to unnest($1): this
 * is what lets keys zipped from arrays (composite keys, select_related)
 * be pruned.  NULL elsewhere (no Citus, another column, a reference,
 * local or plain table): the statement stays as plain PostgreSQL's.
 */
char *
MxCitusPrune(const MxHop *hop, int i, const char *ia, const char *param, Oid key_type)
{
	if (hop->inner_cols[i] == InvalidAttrNumber ||
		hop->inner_cols[i] != MxCitusDistColumn(hop->inner_rel))
		return NULL;
	return MxQual(MxColumnRefs(ia, hop->inner_rel, 1, &hop->inner_cols[i])[0],
				  hop->inner_types[i], hop->inner_collations[i], hop->eqops[i], param,
				  key_type, hop->collations[i], true);
}

/*
 * A junction's rows as a derived table q: the target key columns of its
 * second hop as v1.., after the given key expressions as k1..:
 *
 *   (SELECT [DISTINCT] key AS k1, .., j.c AS v1, .. FROM from [WHERE where]) q
 *
 * DISTINCT unless a unique constraint already makes the pairs distinct.
 * keep: every junction row (no DISTINCT), with the junction's order
 * columns as o1.. (MxJunctionOrder orders by them).
 */
void
MxAppendJunctionRows(StringInfo buf, const MxRelation *rel, bool distinct, int nkeys,
					 char **key_exprs, const char *j, const char *from, const char *where,
					 const char *q, bool keep)
{
	const MxHop *hop1 = &rel->hops[1];
	char	  **v = MxColumnRefs(j, rel->via, hop1->nkeys, hop1->outer_cols);
	int			i;

	appendStringInfo(buf, "(SELECT %s", distinct && !keep ? "DISTINCT " : "");
	for (i = 0; i < nkeys; i++)
		appendStringInfo(buf, "%s AS k%d, ", key_exprs[i], i + 1);
	for (i = 0; i < hop1->nkeys; i++)
		appendStringInfo(buf, "%s%s AS v%d", i > 0 ? ", " : "", v[i], i + 1);
	if (keep)
		MxAppendJunctionOrderCols(buf, rel, j);
	appendStringInfo(buf, " FROM %s", from);
	if (where != NULL && where[0] != '\0')
		appendStringInfo(buf, " WHERE %s", where);
	appendStringInfo(buf, ") %s", q);
}

/* A hop over a table's primary key (keys of its type to its rows) */
void
MxPkHop(const MxTable *t, MxHop *hop)
{
	memset(hop, 0, sizeof(MxHop));
	hop->outer_rel = hop->inner_rel = t->relid;
	hop->nkeys = t->pk_nkeys;
	memcpy(hop->outer_cols, t->pk_cols, sizeof(AttrNumber) * t->pk_nkeys);
	memcpy(hop->inner_cols, t->pk_cols, sizeof(AttrNumber) * t->pk_nkeys);
	memcpy(hop->outer_types, t->pk_types, sizeof(Oid) * t->pk_nkeys);
	memcpy(hop->inner_types, t->pk_types, sizeof(Oid) * t->pk_nkeys);
	memcpy(hop->outer_collations, t->pk_collations, sizeof(Oid) * t->pk_nkeys);
	memcpy(hop->inner_collations, t->pk_collations, sizeof(Oid) * t->pk_nkeys);
	memcpy(hop->collations, t->pk_collations, sizeof(Oid) * t->pk_nkeys);
	memcpy(hop->eqops, t->pk_eqops, sizeof(Oid) * t->pk_nkeys);
}

