/*-------------------------------------------------------------------------
 *
 * spec.c
 *		The spec jsonb forms: per-relation options parsed into the path
 *		tree, and the SQL fragments they add to an edge's statement.
 *
 *		spec := { "<output name>": edge, ... }
 *		edge := { "relation": name, "columns": [col, ...],
 *				  "where": { col: value | { op: value, ... }, ... },
 *				  "order_by": ["col [asc|desc] [nulls first|last]", ...],
 *				  "limit": n, "include": spec }
 *		op   := eq | ne | lt | lte | gt | gte | in | is_null | like | ilike
 *
 *		A spec builds the same tree as relation paths (MxAddChild), with
 *		the options of each edge on its node; edges whose options differ
 *		never share a statement (MxSameOpts).  Values in "where" are
 *		converted with the column type's input function and travel as
 *		$n parameters after the key arrays; comparison operators come from
 *		the type's default btree operator family, LIKE operators from
 *		pg_catalog or the type's own schema, all written OPERATOR(schema.op).
 *
 *		Errors: an unknown option or operator, or a malformed value, is
 *		22023; a column the target lacks is 42703; both name the path.
 *		The SQL the options add is written in sqlgen.c (MxOpts*).
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
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "assemble.h"
#include "path.h"
#include "spec.h"
#include "sqlgen.h"

/* an edge's fields, as found in its object */
typedef struct MxEdgeFields
{
	JsonbValue *relation;
	JsonbValue *columns;
	JsonbValue *where;
	JsonbValue *order_by;
	JsonbValue *limit;
	JsonbValue *include;
} MxEdgeFields;

static void MxParseLevel(MxPathNode *parent, JsonbValue *spec);
static void MxEdgeFieldsOf(JsonbValue *edge, const char *path, MxEdgeFields *f);
static MxEdgeOpts *MxParseOpts(MxPathNode *node, MxEdgeFields *f);
static void MxMergeDefaults(MxPathNode *node, MxEdgeFields *f, JsonbValue **fixed);
static void MxAddWhere(MxPathNode *node, MxEdgeOpts *o, JsonbValue *where, StringInfo sig);
static AttrNumber MxSpecColumn(MxPathNode *node, const char *option, const char *name, int len);
static void MxParseWhere(MxPathNode *node, MxEdgeOpts *o, JsonbValue *where, StringInfo sig);
static void MxAddQual(MxPathNode *node, MxEdgeOpts *o, AttrNumber attnum, const char *op,
					  JsonbValue *v, StringInfo sig);
static void MxParseOrder(MxPathNode *node, MxEdgeOpts *o, JsonbValue *order_by, StringInfo sig);
static int64 MxParseLimit(MxPathNode *node, JsonbValue *limit);
static Oid	MxCompareOp(MxPathNode *node, AttrNumber attnum, Oid coltype, const char *op);
static Oid	MxLikeOp(MxPathNode *node, AttrNumber attnum, Oid coltype, bool ilike);
static void MxValueSig(StringInfo sig, JsonbValue *v);
static void MxValueContext(void *arg);
static Datum MxWhereValue(MxPathNode *node, const char *col, JsonbValue *v, Oid typid, bool *isnull);

/* 22023 (the message names the path) */
#define MX_SPEC_ERROR(path, ...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), \
			 errmsg(__VA_ARGS__)))

/* True when v is a jsonb object (a container) */
static bool
MxIsObject(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

/* True when v is a jsonb array (a container) */
static bool
MxIsArray(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
		!JsonContainerIsScalar(v->val.binary.data);
}

/*
 * Parses a spec into a path tree rooted at source (which the caller has
 * opened).  NULL: no relations.
 */
MxPathNode *
MxParseSpec(Oid source, Jsonb *spec)
{
	MxPathNode *root = MxParsePaths(source, NULL, NULL, 0);
	JsonbValue	v;

	if (spec == NULL)
		return root;
	if (JB_ROOT_IS_SCALAR(spec) || !JB_ROOT_IS_OBJECT(spec))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("spec must be a jsonb object"),
				 errdetail("A spec maps each output name to its relation's options, such as {\"orders\": {\"limit\": 3}}.")));
	v.type = jbvBinary;
	v.val.binary.data = &spec->root;
	v.val.binary.len = VARSIZE(spec) - VARHDRSZ;
	MxParseLevel(root, &v);
	return root;
}

/* Adds the edges of one spec object as children of parent, recursively */
static void
MxParseLevel(MxPathNode *parent, JsonbValue *spec)
{
	JsonbIterator *it = JsonbIteratorInit(spec->val.binary.data);
	JsonbValue	k;
	JsonbValue	v;
	JsonbIteratorToken tok;

	check_stack_depth();
	if (parent->depth >= MX_MAX_PATH_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("spec nests more than %d relations deep", MX_MAX_PATH_DEPTH)));
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;
		char	   *path;
		const char *relname;
		MxEdgeFields f;
		MxPathNode *node;

		CHECK_FOR_INTERRUPTS();
		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		(void) JsonbIteratorNext(&it, &v, true);
		path = parent->depth == 0 ? key : psprintf("%s.%s", parent->path, key);
		if (key[0] == '\0')
			MX_SPEC_ERROR(path, "spec has an empty output name");
		if (!MxIsObject(&v))
			MX_SPEC_ERROR(path, "spec edge \"%s\" must be an object", path);
		MxEdgeFieldsOf(&v, path, &f);
		relname = key;
		if (f.relation != NULL)
		{
			if (f.relation->type != jbvString || f.relation->val.string.len == 0)
				MX_SPEC_ERROR(path, "\"relation\" of \"%s\" must be a non-empty string", path);
			relname = pnstrdup(f.relation->val.string.val, f.relation->val.string.len);
		}
		/* an output name equal to an output column of its parent's row */
		{
			AttrNumber	clash = get_attnum(parent->table, key);

			if (clash > 0 && MxOptsOutputs(parent->opts, clash) &&
				!MxNameReplacesColumn(MxGetRelations(parent->table), key, relname))
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("output name \"%s\" of spec path \"%s\" is also a column of %s",
								key, path, format_type_be_qualified(get_rel_type_id(parent->table))),
						 errhint("Use another output name, with \"relation\": \"%s\".", relname)));
		}
		node = MxAddChild(parent, key, relname, path);
		node->opts = MxParseOpts(node, &f);
		if (f.include != NULL)
		{
			if (!MxIsObject(f.include))
				MX_SPEC_ERROR(path, "\"include\" of \"%s\" must be an object", path);
			MxParseLevel(node, f.include);
		}
	}
}

/* Reads an edge object's fields; any other key is 22023 */
static void
MxEdgeFieldsOf(JsonbValue *edge, const char *path, MxEdgeFields *f)
{
	JsonbIterator *it = JsonbIteratorInit(edge->val.binary.data);
	JsonbValue	k;
	JsonbIteratorToken tok;

	memset(f, 0, sizeof(MxEdgeFields));
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		JsonbValue *v;
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		v = palloc(sizeof(JsonbValue));
		(void) JsonbIteratorNext(&it, v, true);
		if (strcmp(key, "relation") == 0)
			f->relation = v;
		else if (strcmp(key, "columns") == 0)
			f->columns = v;
		else if (strcmp(key, "where") == 0)
			f->where = v;
		else if (strcmp(key, "order_by") == 0)
			f->order_by = v;
		else if (strcmp(key, "limit") == 0)
			f->limit = v;
		else if (strcmp(key, "include") == 0)
			f->include = v;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\" in spec edge \"%s\"", key, path),
					 errhint("The options are \"relation\", \"columns\", \"where\", \"order_by\", \"limit\" and \"include\".")));
	}
}

/* The options of node's edge (NULL when it has none), validated against its target */
static MxEdgeOpts *
MxParseOpts(MxPathNode *node, MxEdgeFields *f)
{
	MxEdgeOpts *o;
	MxTable    *target;
	StringInfoData sig;
	bool		to_many = node->rel->kind != MX_KIND_FK;
	JsonbValue *fixed;
	int			i;

	MxMergeDefaults(node, f, &fixed);
	if (f->columns == NULL && f->where == NULL && f->order_by == NULL && f->limit == NULL &&
		fixed == NULL)
		return NULL;
	if (!to_many && (f->order_by != NULL || f->limit != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 f->limit != NULL ?
				 errmsg("\"limit\" on spec edge \"%s\", which is to one", node->path) :
				 errmsg("\"order_by\" on spec edge \"%s\", which is to one", node->path),
				 errdetail("Relation \"%s\" of %s is an fk: it gives one row or null.",
						   node->rel->name, format_type_be_qualified(get_rel_type_id(node->rel->source)))));
	o = palloc0(sizeof(MxEdgeOpts));
	target = MxGetTable(node->table);
	initStringInfo(&sig);
	o->ncolumns = -1;
	o->limit = -1;
	if (f->columns != NULL)
	{
		JsonbIterator *it;
		JsonbValue	v;
		JsonbIteratorToken tok;

		if (!MxIsArray(f->columns))
			MX_SPEC_ERROR(node->path, "\"columns\" of \"%s\" must be an array of column names",
						  node->path);
		o->columns = palloc(sizeof(AttrNumber) * Max(JsonContainerSize(f->columns->val.binary.data), 1));
		o->ncolumns = 0;
		it = JsonbIteratorInit(f->columns->val.binary.data);
		appendStringInfoString(&sig, "c");
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			AttrNumber	a;

			CHECK_FOR_INTERRUPTS();
			if (tok != WJB_ELEM)
				continue;
			if (v.type != jbvString)
				MX_SPEC_ERROR(node->path, "\"columns\" of \"%s\" must be an array of column names",
							  node->path);
			a = MxSpecColumn(node, "columns", v.val.string.val, v.val.string.len);
			for (i = 0; i < o->ncolumns; i++)
				if (o->columns[i] == a)
					MX_SPEC_ERROR(node->path, "column \"%.*s\" is listed twice in \"columns\" of \"%s\"",
								  v.val.string.len, v.val.string.val, node->path);
			o->columns[o->ncolumns++] = a;
			appendStringInfo(&sig, " %d", a);
		}
		appendStringInfoChar(&sig, ';');
	}
	if (fixed != NULL)
		MxParseWhere(node, o, fixed, &sig);
	if (f->where != NULL)
		MxAddWhere(node, o, f->where, &sig);
	if (f->order_by != NULL)
		MxParseOrder(node, o, f->order_by, &sig);
	if (o->ncolumns < 0 && o->nquals == 0 && o->norder == 0 && f->limit == NULL)
		return NULL;			/* {"where": {}} or "order_by": [] change nothing */
	if (to_many && o->norder == 0 && target->order_ncols > 0)
	{
		/* default order: the target's primary key, as without options */
		o->order = palloc0(sizeof(MxOrderItem) * target->order_ncols);
		for (i = 0; i < target->order_ncols; i++)
			o->order[o->norder++].attnum = target->order_cols[i];
	}
	if (f->limit != NULL)
	{
		o->limit = MxParseLimit(node, f->limit);
		appendStringInfo(&sig, "l " INT64_FORMAT ";", o->limit);
	}
	o->sig = sig.data;
	return o;
}

/* The attnum of a column of node's target, 42703 when it has none */
static AttrNumber
MxSpecColumn(MxPathNode *node, const char *option, const char *name, int len)
{
	char	   *col = pnstrdup(name, len);
	AttrNumber	a = get_attnum(node->table, col);

	if (a <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" in \"%s\" of spec edge \"%s\" does not exist", col, option,
						node->path),
				 errdetail("Relation \"%s\" of %s reads %s.", node->rel->name,
						   format_type_be_qualified(get_rel_type_id(node->rel->source)),
						   format_type_be_qualified(get_rel_type_id(node->table)))));
	return a;
}

/* "where": { col: value | { op: value, ... }, ... } */
static void
MxParseWhere(MxPathNode *node, MxEdgeOpts *o, JsonbValue *where, StringInfo sig)
{
	JsonbIterator *it;
	JsonbValue	k;
	JsonbIteratorToken tok;
	int			max = 0;

	if (!MxIsObject(where))
		MX_SPEC_ERROR(node->path, "\"where\" of \"%s\" must be an object", node->path);
	/* at most one condition per operator per column */
	it = JsonbIteratorInit(where->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
		if (tok == WJB_VALUE)
			max += MxIsObject(&k) ? JsonContainerSize(k.val.binary.data) : 1;
	o->quals = palloc0(sizeof(MxQualSpec) * Max(max, 1));
	appendStringInfoString(sig, "w");
	it = JsonbIteratorInit(where->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		JsonbValue	v;
		AttrNumber	a;

		CHECK_FOR_INTERRUPTS();
		if (tok != WJB_KEY)
			continue;
		a = MxSpecColumn(node, "where", k.val.string.val, k.val.string.len);
		(void) JsonbIteratorNext(&it, &v, true);
		if (MxIsObject(&v))
		{
			JsonbIterator *oit = JsonbIteratorInit(v.val.binary.data);
			JsonbValue	op;
			int			n = 0;

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
		else
			MxAddQual(node, o, a, "eq", &v, sig);
	}
	appendStringInfoChar(sig, ';');
}

/* One condition: column a, operator op (eq ... ilike), value v */
static void
MxAddQual(MxPathNode *node, MxEdgeOpts *o, AttrNumber a, const char *op, JsonbValue *v,
		  StringInfo sig)
{
	MxQualSpec *q = &o->quals[o->nquals];
	char	   *col = get_attname(node->table, a, false);
	int32		typmod;
	bool		isnull;

	get_atttypetypmodcoll(node->table, a, &q->coltype, &typmod, &q->colcoll);
	q->attnum = a;
	appendStringInfo(sig, " %d %s", a, op);
	if (strcmp(op, "is_null") == 0 ||
		(v->type == jbvNull && (strcmp(op, "eq") == 0 || strcmp(op, "ne") == 0)))
	{
		bool		want_null;

		if (strcmp(op, "is_null") == 0)
		{
			if (v->type != jbvBool)
				MX_SPEC_ERROR(node->path, "\"is_null\" on column \"%s\" of \"%s\" takes true or false",
							  col, node->path);
			want_null = v->val.boolean;
		}
		else
			want_null = strcmp(op, "eq") == 0;	/* {"col": null} is IS NULL */
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
		q->opno = MxCompareOp(node, a, q->coltype, op);
		if (v->type == jbvBinary)
			MX_SPEC_ERROR(node->path, "\"%s\" on column \"%s\" of \"%s\" takes a scalar value", op,
						  col, node->path);
		if (v->type == jbvNull)
			MX_SPEC_ERROR(node->path, "\"%s\" on column \"%s\" of \"%s\" cannot take null", op, col,
						  node->path);
	}
	q->kind = MX_QUAL_OP;
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
				 errhint("The operators are eq, ne, lt, lte, gt, gte, in, is_null, like and ilike.")));
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

/* "order_by": ["col [asc|desc] [nulls first|last]", ...], then the primary key */
static void
MxParseOrder(MxPathNode *node, MxEdgeOpts *o, JsonbValue *order_by, StringInfo sig)
{
	MxTable    *target = MxGetTable(node->table);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			i;

	if (!MxIsArray(order_by))
		MX_SPEC_ERROR(node->path, "\"order_by\" of \"%s\" must be an array of strings", node->path);
	o->order = palloc0(sizeof(MxOrderItem) *
					   (JsonContainerSize(order_by->val.binary.data) + target->order_ncols + 1));
	appendStringInfoString(sig, "o");
	it = JsonbIteratorInit(order_by->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		MxOrderItem *item = &o->order[o->norder];
		char	   *s;
		int			len;
		bool		nulls_given = false;

		CHECK_FOR_INTERRUPTS();
		if (tok != WJB_ELEM)
			continue;
		if (v.type != jbvString)
			MX_SPEC_ERROR(node->path, "\"order_by\" of \"%s\" must be an array of strings",
						  node->path);
		s = pnstrdup(v.val.string.val, v.val.string.len);
		len = strlen(s);
		/* the item minus a trailing "nulls first|last", then "asc|desc" */
#define MX_ENDS_WITH(word) \
		(len > (int) strlen(word) && pg_strcasecmp(s + len - strlen(word), (word)) == 0 && \
		 s[len - strlen(word) - 1] == ' ')
		if (MX_ENDS_WITH("nulls first") || MX_ENDS_WITH("nulls last"))
		{
			item->nulls_first = MX_ENDS_WITH("nulls first");
			len -= item->nulls_first ? strlen(" nulls first") : strlen(" nulls last");
			while (len > 0 && s[len - 1] == ' ')
				len--;
			s[len] = '\0';
			nulls_given = true;	/* nulls given: keep it apart from the default */
		}
		else
			item->nulls_first = false;
		if (MX_ENDS_WITH("desc") || MX_ENDS_WITH("asc"))
		{
			bool		desc = MX_ENDS_WITH("desc");

			len -= desc ? strlen(" desc") : strlen(" asc");
			while (len > 0 && s[len - 1] == ' ')
				len--;
			s[len] = '\0';
			item->desc = desc;
			/* SQL's default: NULLS FIRST for DESC unless nulls were given */
			if (desc && !nulls_given)
				item->nulls_first = true;
		}
#undef MX_ENDS_WITH
		item->attnum = MxSpecColumn(node, "order_by", s, strlen(s));
		if (!OidIsValid(lookup_type_cache(getBaseType(get_atttype(node->table, item->attnum)),
										  TYPECACHE_LT_OPR)->lt_opr))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("column \"%s\" in \"order_by\" of spec edge \"%s\" has no ordering",
							s, node->path)));
		for (i = 0; i < o->norder; i++)
			if (o->order[i].attnum == item->attnum)
				MX_SPEC_ERROR(node->path, "column \"%s\" is in \"order_by\" of \"%s\" twice", s,
							  node->path);
		appendStringInfo(sig, " %d%s%s", item->attnum, item->desc ? "d" : "a",
						 item->nulls_first ? "f" : "l");
		o->norder++;
	}
	appendStringInfoChar(sig, ';');
	/* ties broken by the primary key, so that a limit cuts deterministically */
	for (i = 0; i < target->order_ncols; i++)
	{
		int			j;
		bool		seen = false;

		for (j = 0; j < o->norder && !seen; j++)
			seen = o->order[j].attnum == target->order_cols[i];
		if (!seen)
		{
			o->order[o->norder].attnum = target->order_cols[i];
			o->order[o->norder].desc = false;
			o->order[o->norder].nulls_first = false;
			o->norder++;
		}
	}
}

/* "limit": a whole number from 0 up */
static int64
MxParseLimit(MxPathNode *node, JsonbValue *limit)
{
	char	   *s;
	int64		n;
	char	   *end;

	if (limit->type != jbvNumeric)
		MX_SPEC_ERROR(node->path, "\"limit\" of \"%s\" must be a number", node->path);
	s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(limit->val.numeric)));
	errno = 0;
	n = strtoi64(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0)
		MX_SPEC_ERROR(node->path, "\"limit\" of \"%s\" must be a whole number from 0 up, not %s",
					  node->path, s);
	return n;
}

/* ---- registered relations' options (register.c stores them) ---- */

/*
 * The registered options of node's relation merged under the spec's
 * fields: the spec's "columns" and "order_by" replace the registered ones;
 * the registered "where" (*fixed) is a fixed filter, ANDed with the
 * spec's.  An "order_by" is ignored on a relation that has become to-one.
 */
static void
MxMergeDefaults(MxPathNode *node, MxEdgeFields *f, JsonbValue **fixed)
{
	Jsonb	   *defaults = node->rel != NULL ? node->rel->defaults : NULL;
	MxEdgeFields d;
	JsonbValue	v;

	*fixed = NULL;
	if (defaults == NULL)
		return;
	v.type = jbvBinary;
	v.val.binary.data = &defaults->root;
	v.val.binary.len = VARSIZE(defaults) - VARHDRSZ;
	MxEdgeFieldsOf(&v, node->path, &d);
	if (f->columns == NULL)
		f->columns = d.columns;
	if (f->order_by == NULL && node->rel->kind != MX_KIND_FK)
		f->order_by = d.order_by;
	*fixed = d.where;
}

/* Adds the conditions of a "where" after those o already has (ANDed) */
static void
MxAddWhere(MxPathNode *node, MxEdgeOpts *o, JsonbValue *where, StringInfo sig)
{
	MxEdgeOpts	more;

	if (o->nquals == 0)
	{
		MxParseWhere(node, o, where, sig);
		return;
	}
	memset(&more, 0, sizeof(more));
	MxParseWhere(node, &more, where, sig);
	o->quals = repalloc(o->quals, sizeof(MxQualSpec) * (o->nquals + more.nquals));
	memcpy(o->quals + o->nquals, more.quals, sizeof(MxQualSpec) * more.nquals);
	o->nquals += more.nquals;
	o->nparams += more.nparams;
}

/*
 * The options a path node gets without a spec: its registered relation's
 * (NULL when it has none).  Raises as a spec's options would.
 */
MxEdgeOpts *
MxDefaultOpts(MxPathNode *node)
{
	MxEdgeFields f;

	if (node->rel == NULL || node->rel->defaults == NULL)
		return NULL;
	memset(&f, 0, sizeof(f));
	return MxParseOpts(node, &f);
}
