/*-------------------------------------------------------------------------
 *
 * where.c
 *		A spec edge's "where": its conditions parsed, in the order written,
 *		into the edge's options (MxQualSpec), with "or", "and" and "not"
 *		groups bracketing theirs; values converted with the column type's
 *		input function (they travel as $n parameters), operators taken
 *		from the column type's default btree family, or LIKE's from
 *		pg_catalog or the type's schema.
 *
 *		where := { col: value | { op: value, ... }, "or": [where, ...],
 *				   "and": [where, ...], "not": where, ... }
 *
 *		sqlgen.c writes them (MxOptsQuals).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/stratnum.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "assemble.h"
#include "path.h"
#include "spec.h"
#include "sqlgen.h"

/* how deep "or", "and" and "not" groups may nest in one "where" */
#define MX_MAX_WHERE_DEPTH 32

static void MxParseWhereObject(MxPathNode *node, MxEdgeOpts *o, JsonbValue *where,
							   StringInfo sig, int depth);
static void MxParseWhereList(MxPathNode *node, MxEdgeOpts *o, JsonbValue *list,
							 StringInfo sig, int depth, bool any);
static void MxParseColumnConds(MxPathNode *node, MxEdgeOpts *o, AttrNumber a, JsonbValue *v,
							   StringInfo sig);
static MxQualSpec *MxNextQual(MxEdgeOpts *o);
static void MxAddGroupMark(MxEdgeOpts *o, MxQualKind kind, StringInfo sig);
static AttrNumber MxWhereColumn(MxPathNode *node, const char *key, int len);
static void MxAddQual(MxPathNode *node, MxEdgeOpts *o, AttrNumber attnum, const char *op,
					  JsonbValue *v, StringInfo sig);
static Oid	MxCompareOp(MxPathNode *node, AttrNumber attnum, Oid coltype, const char *op);
static Oid	MxLikeOp(MxPathNode *node, AttrNumber attnum, Oid coltype, bool ilike);
static void MxValueSig(StringInfo sig, JsonbValue *v);
static void MxValueContext(void *arg);
static Datum MxWhereValue(MxPathNode *node, const char *col, JsonbValue *v, Oid typid, bool *isnull);

/* The next free condition of o (the array grows as needed) */
static MxQualSpec *
MxNextQual(MxEdgeOpts *o)
{
	if (o->nquals == o->maxquals)
	{
		o->maxquals = Max(8, o->maxquals * 2);
		o->quals = o->quals == NULL ? palloc0(sizeof(MxQualSpec) * o->maxquals) :
			repalloc(o->quals, sizeof(MxQualSpec) * o->maxquals);
	}
	memset(&o->quals[o->nquals], 0, sizeof(MxQualSpec));
	return &o->quals[o->nquals];
}

/* Adds a group's opening or closing to o's conditions */
static void
MxAddGroupMark(MxEdgeOpts *o, MxQualKind kind, StringInfo sig)
{
	MxNextQual(o)->kind = kind;
	o->nquals++;
	appendStringInfoString(sig, kind == MX_QUAL_CLOSE ? " )" :
						   kind == MX_QUAL_OPEN_OR ? " (or" :
						   kind == MX_QUAL_OPEN_NOT ? " (not" : " (and");
}

/*
 * The column a "where" key names: a key in double quotes is always a
 * column ("\"or\"" is the column or), with "" for a double quote inside
 */
static AttrNumber
MxWhereColumn(MxPathNode *node, const char *key, int len)
{
	StringInfoData name;
	int			i;

	if (len < 2 || key[0] != '"' || key[len - 1] != '"')
		return MxSpecColumn(node, "where", key, len);
	initStringInfo(&name);
	for (i = 1; i < len - 1; i++)
	{
		if (key[i] == '"' && i + 1 < len - 1 && key[i + 1] == '"')
			i++;
		appendStringInfoChar(&name, key[i]);
	}
	return MxSpecColumn(node, "where", name.data, name.len);
}

/*
 * One "where" object, all of whose entries hold (AND): { col: value |
 * { op: value, ... }, "or": [where, ...], "and": [where, ...],
 * "not": where, ... }
 */
static void
MxParseWhereObject(MxPathNode *node, MxEdgeOpts *o, JsonbValue *where, StringInfo sig,
				   int depth)
{
	JsonbIterator *it;
	JsonbValue	k;
	JsonbIteratorToken tok;

	check_stack_depth();
	if (depth > MX_MAX_WHERE_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("\"where\" of spec edge \"%s\" nests groups more than %d deep",
						node->path, MX_MAX_WHERE_DEPTH)));
	it = JsonbIteratorInit(where->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		JsonbValue	v;
		char	   *key;
		int			len;

		CHECK_FOR_INTERRUPTS();
		if (tok != WJB_KEY)
			continue;
		key = k.val.string.val;
		len = k.val.string.len;
		(void) JsonbIteratorNext(&it, &v, true);
		if ((len == 2 && strncmp(key, "or", 2) == 0) || (len == 3 && strncmp(key, "and", 3) == 0))
			MxParseWhereList(node, o, &v, sig, depth, key[0] == 'o');
		else if (len == 3 && strncmp(key, "not", 3) == 0)
		{
			if (!MxIsObject(&v) || JsonContainerSize(v.val.binary.data) == 0)
				MX_SPEC_ERROR(node->path, "\"not\" in \"where\" of \"%s\" takes a non-empty object of conditions",
							  node->path);
			MxAddGroupMark(o, MX_QUAL_OPEN_NOT, sig);
			MxParseWhereObject(node, o, &v, sig, depth + 1);
			MxAddGroupMark(o, MX_QUAL_CLOSE, sig);
		}
		else
			MxParseColumnConds(node, o, MxWhereColumn(node, key, len), &v, sig);
	}
}

/*
 * "or": [where, ...] (any = true: one of them holds) or "and": [where,
 * ...] (all hold), each element an object of conditions
 */
static void
MxParseWhereList(MxPathNode *node, MxEdgeOpts *o, JsonbValue *list, StringInfo sig, int depth,
				 bool any)
{
	const char *name = any ? "or" : "and";
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;

	if (!MxIsArray(list) || JsonContainerSize(list->val.binary.data) == 0)
		MX_SPEC_ERROR(node->path, "\"%s\" in \"where\" of \"%s\" takes a non-empty array of objects",
					  name, node->path);
	MxAddGroupMark(o, any ? MX_QUAL_OPEN_OR : MX_QUAL_OPEN_AND, sig);
	it = JsonbIteratorInit(list->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (!MxIsObject(&e) || JsonContainerSize(e.val.binary.data) == 0)
			MX_SPEC_ERROR(node->path, "\"%s\" in \"where\" of \"%s\" takes a non-empty array of objects",
						  name, node->path);
		MxAddGroupMark(o, MX_QUAL_OPEN_AND, sig);
		MxParseWhereObject(node, o, &e, sig, depth + 1);
		MxAddGroupMark(o, MX_QUAL_CLOSE, sig);
	}
	MxAddGroupMark(o, MX_QUAL_CLOSE, sig);
}

/* The conditions on one column: a bare value (eq), or { op: value, ... } */
static void
MxParseColumnConds(MxPathNode *node, MxEdgeOpts *o, AttrNumber a, JsonbValue *v,
				   StringInfo sig)
{
	JsonbIterator *oit;
	JsonbValue	op;
	JsonbIteratorToken tok;
	int			n = 0;

	if (!MxIsObject(v))
	{
		MxAddQual(node, o, a, "eq", v, sig);
		return;
	}
	oit = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&oit, &op, true)) != WJB_DONE)
	{
		JsonbValue	ov;

		if (tok != WJB_KEY)
			continue;
		(void) JsonbIteratorNext(&oit, &ov, true);
		MxAddQual(node, o, a, pnstrdup(op.val.string.val, op.val.string.len), &ov, sig);
		n++;
	}
	if (n == 0)
		MX_SPEC_ERROR(node->path, "condition on column \"%s\" in \"where\" of \"%s\" is empty",
					  get_attname(node->table, a, false), node->path);
}

/* "where": the conditions of one edge, all of which hold */
void
MxParseWhere(MxPathNode *node, MxEdgeOpts *o, JsonbValue *where, StringInfo sig)
{
	if (!MxIsObject(where))
		MX_SPEC_ERROR(node->path, "\"where\" of \"%s\" must be an object", node->path);
	appendStringInfoString(sig, "w");
	MxParseWhereObject(node, o, where, sig, 0);
	appendStringInfoChar(sig, ';');
}

/* One condition: column a, operator op (eq ... ilike), value v */
static void
MxAddQual(MxPathNode *node, MxEdgeOpts *o, AttrNumber a, const char *op, JsonbValue *v,
		  StringInfo sig)
{
	MxQualSpec *q = MxNextQual(o);
	char	   *col = get_attname(node->table, a, false);
	int32		typmod;
	bool		isnull;
	bool		null_safe;

	get_atttypetypmodcoll(node->table, a, &q->coltype, &typmod, &q->colcoll);
	q->attnum = a;
	appendStringInfo(sig, " %d %s", a, op);
	null_safe = strcmp(op, "is_distinct_from") == 0 || strcmp(op, "is_not_distinct_from") == 0;
	if (strcmp(op, "is_null") == 0 ||
		(v->type == jbvNull && (strcmp(op, "eq") == 0 || strcmp(op, "ne") == 0 || null_safe)))
	{
		bool		want_null;

		if (strcmp(op, "is_null") == 0)
		{
			if (v->type != jbvBool)
				MX_SPEC_ERROR(node->path, "\"is_null\" on column \"%s\" of \"%s\" takes true or false",
							  col, node->path);
			want_null = v->val.boolean;
		}
		else					/* {"col": null} is IS NULL */
			want_null = strcmp(op, "eq") == 0 || strcmp(op, "is_not_distinct_from") == 0;
		q->kind = want_null ? MX_QUAL_NULL : MX_QUAL_NOT_NULL;
		appendStringInfoString(sig, want_null ? " t" : " f");
		o->nquals++;
		return;
	}
	if (strcmp(op, "in") == 0)
	{
		JsonbIterator *it;
		JsonbValue	e;
		JsonbIteratorToken tok;
		int			n = 0;
		int			cap;
		Datum	   *elems;
		bool	   *nulls;
		int16		len;
		bool		byval;
		char		align;
		int			dims[1];
		int			lbs[1] = {1};

		if (!MxIsArray(v))
			MX_SPEC_ERROR(node->path, "\"in\" on column \"%s\" of \"%s\" takes an array", col,
						  node->path);
		q->kind = MX_QUAL_ANY;
		q->opno = MxCompareOp(node, a, q->coltype, "eq");
		q->param_type = get_array_type(q->coltype);
		if (!OidIsValid(q->param_type))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("type %s of column \"%s\" has no array type for \"in\"",
							format_type_be(q->coltype), col)));
		cap = Max(JsonContainerSize(v->val.binary.data), 1);
		elems = palloc(sizeof(Datum) * cap);
		nulls = palloc(sizeof(bool) * cap);
		it = JsonbIteratorInit(v->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		{
			CHECK_FOR_INTERRUPTS();
			if (tok != WJB_ELEM)
				continue;
			if (e.type == jbvBinary)
				MX_SPEC_ERROR(node->path, "\"in\" on column \"%s\" of \"%s\" takes an array of scalars",
							  col, node->path);
			elems[n] = MxWhereValue(node, col, &e, q->coltype, &nulls[n]);
			n++;
		}
		get_typlenbyvalalign(q->coltype, &len, &byval, &align);
		dims[0] = n;
		q->value = PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, q->coltype,
													  len, byval, align));
		MxValueSig(sig, v);
		o->nquals++;
		o->nparams++;
		return;
	}
	if (strcmp(op, "like") == 0 || strcmp(op, "ilike") == 0)
	{
		if (v->type != jbvString)
			MX_SPEC_ERROR(node->path, "\"%s\" on column \"%s\" of \"%s\" takes a string", op, col,
						  node->path);
		q->opno = MxLikeOp(node, a, q->coltype, op[0] == 'i');
	}
	else
	{
		/* the comparisons: unknown operators are 22023 there */
		q->opno = MxCompareOp(node, a, q->coltype, null_safe ? "eq" : op);
		if (v->type == jbvBinary)
			MX_SPEC_ERROR(node->path, "\"%s\" on column \"%s\" of \"%s\" takes a scalar value", op,
						  col, node->path);
		if (v->type == jbvNull)
			MX_SPEC_ERROR(node->path, "\"%s\" on column \"%s\" of \"%s\" cannot take null", op, col,
						  node->path);
	}
	q->kind = !null_safe ? MX_QUAL_OP :
		strcmp(op, "is_distinct_from") == 0 ? MX_QUAL_DISTINCT : MX_QUAL_NOT_DISTINCT;
	q->param_type = q->coltype;
	q->value = MxWhereValue(node, col, v, q->coltype, &isnull);
	MxValueSig(sig, v);
	o->nquals++;
	o->nparams++;
}

/* Error context of a value's conversion: where it came from */
static void
MxValueContext(void *arg)
{
	char	  **what = (char **) arg;

	errcontext("value for column \"%s\" in \"where\" of spec edge \"%s\"", what[1], what[0]);
}

/*
 * A "where" value converted with the column type's input function (its
 * errors, such as 22P02, say which value it was)
 */
static Datum
MxWhereValue(MxPathNode *node, const char *col, JsonbValue *v, Oid typid, bool *isnull)
{
	ErrorContextCallback cb;
	char	   *what[2];
	Datum		d;

	what[0] = node->path;
	what[1] = (char *) col;
	cb.callback = MxValueContext;
	cb.arg = what;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	d = MxJsonbToDatum(v, typid, -1, isnull);
	error_context_stack = cb.previous;
	return d;
}

/*
 * The operator op (eq ne lt lte gt gte) of a column type's default btree
 * operator family (equality: its default equality, btree or hash), so
 * that the comparison is the one ORDER BY and indexes use.
 */
static Oid
MxCompareOp(MxPathNode *node, AttrNumber attnum, Oid coltype, const char *op)
{
	static const struct
	{
		const char *name;
		int			strategy;	/* 0: the negator of equality */
	}			ops[] = {
		{"eq", BTEqualStrategyNumber}, {"ne", 0}, {"lt", BTLessStrategyNumber},
		{"lte", BTLessEqualStrategyNumber}, {"gt", BTGreaterStrategyNumber},
		{"gte", BTGreaterEqualStrategyNumber}
	};
	TypeCacheEntry *tce = lookup_type_cache(getBaseType(coltype),
											TYPECACHE_EQ_OPR | TYPECACHE_BTREE_OPFAMILY);
	Oid			opno = InvalidOid;
	int			i;

	for (i = 0; i < lengthof(ops); i++)
		if (strcmp(ops[i].name, op) == 0)
			break;
	if (i == lengthof(ops))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown operator \"%s\" in \"where\" of spec edge \"%s\"", op, node->path),
				 errhint("The operators are eq, ne, lt, lte, gt, gte, in, is_null, is_distinct_from, is_not_distinct_from, like and ilike.")));
	if (ops[i].strategy == BTEqualStrategyNumber)
		opno = tce->eq_opr;
	else if (ops[i].strategy == 0)
		opno = OidIsValid(tce->eq_opr) ? get_negator(tce->eq_opr) : InvalidOid;
	else if (OidIsValid(tce->btree_opf))
		opno = get_opfamily_member(tce->btree_opf, tce->btree_opintype, tce->btree_opintype,
								   ops[i].strategy);
	if (!OidIsValid(opno))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("type %s of column \"%s\" has no \"%s\" operator",
						format_type_be(coltype), get_attname(node->table, attnum, false), op)));
	return opno;
}

/*
 * The LIKE (~~) or ILIKE (~~*) operator for a column type: one taking the
 * type on the left and the type or text on the right, from pg_catalog or
 * the type's own schema and owned by the type's owner (citext's for a
 * citext column; never one another user planted, say in public, which
 * would run as the caller); else text's, for types binary-coercible to
 * text.
 */
static Oid
MxLikeOp(MxPathNode *node, AttrNumber attnum, Oid coltype, bool ilike)
{
	Oid			base = getBaseType(coltype);
	HeapTuple	typtup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(base));
	Oid			typnsp;
	Oid			typowner;
	CatCList   *list = SearchSysCacheList1(OPERNAMENSP, CStringGetDatum(ilike ? "~~*" : "~~"));
	Oid			best = InvalidOid;
	int			best_rank = 0;
	int			i;

	if (!HeapTupleIsValid(typtup))
		elog(ERROR, "cache lookup failed for type %u", base);
	typnsp = ((Form_pg_type) GETSTRUCT(typtup))->typnamespace;
	typowner = ((Form_pg_type) GETSTRUCT(typtup))->typowner;
	ReleaseSysCache(typtup);
	for (i = 0; i < list->n_members; i++)
	{
		HeapTuple	tup = &list->members[i]->tuple;
		Form_pg_operator op = (Form_pg_operator) GETSTRUCT(tup);
		int			rank;

		if (op->oprkind != 'b' || op->oprleft != base ||
			(op->oprnamespace != PG_CATALOG_NAMESPACE &&
			 (op->oprnamespace != typnsp || op->oprowner != typowner)))
			continue;
		/* the type itself on the right beats text; its own schema beats pg_catalog */
		rank = (op->oprright == base ? 4 : op->oprright == TEXTOID ? 2 : 0);
		if (rank == 0)
			continue;
		rank += (op->oprnamespace == typnsp ? 1 : 0);
		if (rank > best_rank)
		{
			best_rank = rank;
			best = op->oid;
		}
	}
	ReleaseSysCacheList(list);
	if (!OidIsValid(best) && IsBinaryCoercible(base, TEXTOID))
		best = ilike ? OID_TEXT_ICLIKE_OP : OID_TEXT_LIKE_OP;
	if (!OidIsValid(best))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 ilike ?
				 errmsg("type %s of column \"%s\" has no \"ilike\" operator",
						format_type_be(coltype), get_attname(node->table, attnum, false)) :
				 errmsg("type %s of column \"%s\" has no \"like\" operator",
						format_type_be(coltype), get_attname(node->table, attnum, false))));
	return best;
}

/* A value's canonical text in a signature: its JSON text */
static void
MxValueSig(StringInfo sig, JsonbValue *v)
{
	appendStringInfoChar(sig, ' ');
	if (v->type == jbvBinary)
		(void) JsonbToCString(sig, v->val.binary.data, v->val.binary.len);
	else
	{
		Jsonb	   *j = JsonbValueToJsonb(v);

		(void) JsonbToCString(sig, &j->root, VARSIZE(j));
	}
}
