/*-------------------------------------------------------------------------
 *
 * spec.c
 *		The spec jsonb forms: per-relation options parsed into the path
 *		tree, and the SQL fragments they add to an edge's statement.
 *
 *		spec := { "<output name>": edge, ... }
 *		edge := { "relation": name, "columns": [col, ...],
 *				  "where": where,
 *				  "order_by": ["col [asc|desc] [nulls first|last]", ...],
 *				  "limit": n, "include": spec,
 *				  "arms": { "<arm name>": edge, ... } }	-- polymorphic only
 *		where := { col: value | { op: value, ... }, "or": [where, ...],
 *				   "and": [where, ...], "not": where, ... }
 *		op   := eq | ne | lt | lte | gt | gte | in | is_null | like | ilike
 *				| is_distinct_from | is_not_distinct_from
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
 *		"where" is parsed in where.c; the SQL the options add is written in
 *		sqlgen.c (MxOpts*).
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
	JsonbValue *duplicates;
	JsonbValue *arms;			/* a polymorphic edge's per-arm options */
} MxEdgeFields;

static void MxCheckSpecDepth(MxPathNode *parent);
static void MxParseLevel(MxPathNode *parent, JsonbValue *spec);
static void MxParseEdge(MxPathNode *parent, char *key, JsonbValue *v);
static void MxParsePolyEdge(MxPathNode *parent, const char *key, const char *relname,
							const char *path, MxEdgeFields *f);
static void MxArmFields(MxEdgeFields *f, const char *arm, const char *path, List *arms);
static void MxParseBelowArms(List *nodes, JsonbValue *include);
static bool MxPolyArmIsRelation(MxTable *from, const char *name);
static char *MxArmNames(List *arms);
static void MxEdgeFieldsOf(JsonbValue *edge, const char *path, MxEdgeFields *f);
static MxEdgeOpts *MxParseOpts(MxPathNode *node, MxEdgeFields *f);
static void MxMergeDefaults(MxPathNode *node, MxEdgeFields *f, JsonbValue **fixed);
static void MxParseOrder(MxPathNode *node, MxEdgeOpts *o, JsonbValue *order_by, StringInfo sig);
static int64 MxParseLimit(MxPathNode *node, JsonbValue *limit);
static bool MxParseDuplicates(MxPathNode *node, JsonbValue *v, StringInfo sig);

/* True when v is a jsonb object (a container) */
bool
MxIsObject(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

/* True when v is a jsonb array (a container) */
bool
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

/* 54001 when edges below parent would nest deeper than MX_MAX_PATH_DEPTH */
static void
MxCheckSpecDepth(MxPathNode *parent)
{
	check_stack_depth();
	if (parent->depth >= MX_MAX_PATH_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("spec nests more than %d relations deep", MX_MAX_PATH_DEPTH)));
}

/* Adds the edges of one spec object as children of parent, recursively */
static void
MxParseLevel(MxPathNode *parent, JsonbValue *spec)
{
	JsonbIterator *it = JsonbIteratorInit(spec->val.binary.data);
	JsonbValue	k;
	JsonbValue	v;
	JsonbIteratorToken tok;

	MxCheckSpecDepth(parent);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		CHECK_FOR_INTERRUPTS();
		if (tok != WJB_KEY)
			continue;
		(void) JsonbIteratorNext(&it, &v, true);
		MxParseEdge(parent, pnstrdup(k.val.string.val, k.val.string.len), &v);
	}
}

/* Whether from has a relation of exactly that name (an arm's own name) */
static bool
MxPolyArmIsRelation(MxTable *from, const char *name)
{
	int			i;

	for (i = 0; i < from->nrels; i++)
		if (strcmp(from->rels[i].name, name) == 0)
			return true;
	return false;
}

/* The arms' names, quoted and comma-separated, for a hint */
static char *
MxArmNames(List *arms)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, arms)
		appendStringInfo(&buf, "%s\"%s\"", foreach_current_index(lc) > 0 ? ", " : "",
						 ((MxRelation *) lfirst(lc))->name);
	return buf.data;
}

/* The relation a spec edge names: its "relation", else its output name */
static const char *
MxEdgeRelname(const char *key, JsonbValue *v)
{
	JsonbValue *rel;

	if (!MxIsObject(v))
		return key;
	rel = getKeyJsonValueFromContainer(v->val.binary.data, "relation", strlen("relation"), NULL);
	if (rel == NULL || rel->type != jbvString || rel->val.string.len == 0)
		return key;
	return pnstrdup(rel->val.string.val, rel->val.string.len);
}

/* Adds one spec edge (output name key, object v) as a child of parent, recursively */
static void
MxParseEdge(MxPathNode *parent, char *key, JsonbValue *v)
{
	char	   *path;
	const char *relname;
	MxEdgeFields f;
	MxPathNode *node;
	MxTable    *from = MxGetRelations(parent->table);

	MxCheckSpecDepth(parent);
	path = parent->depth == 0 ? key : psprintf("%s.%s", parent->path, key);
	if (key[0] == '\0')
		MX_SPEC_ERROR(path, "spec has an empty output name");
	if (!MxIsObject(v))
		MX_SPEC_ERROR(path, "spec edge \"%s\" must be an object", path);
	MxEdgeFieldsOf(v, path, &f);
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
			!MxNameReplacesColumn(from, key, relname))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("output name \"%s\" of spec path \"%s\" is also a column of %s",
							key, path, format_type_be_qualified(get_rel_type_id(parent->table))),
					 errhint("Use another output name, with \"relation\": \"%s\".", relname)));
	}
	if (MxPolyArms(from, relname) != NIL && !MxPolyArmIsRelation(from, relname))
	{
		MxParsePolyEdge(parent, key, relname, path, &f);
		return;
	}
	if (f.arms != NULL)
		MX_SPEC_ERROR(path, "\"arms\" on spec edge \"%s\", which is not polymorphic", path);
	node = MxAddChild(parent, key, relname, path);
	node->opts = MxParseOpts(node, &f);
	if (f.include != NULL)
	{
		if (!MxIsObject(f.include))
			MX_SPEC_ERROR(path, "\"include\" of \"%s\" must be an object", path);
		MxParseLevel(node, f.include);
	}
}

/*
 * A spec edge naming a polymorphic relation: one node per arm under the
 * edge's output name, each with the edge's options, or those its entry in
 * "arms" gives field by field, validated against the arm's own target.
 * A shared "include" goes on below each arm whose target has its
 * relations (MxParseBelowArms); an arm's own "include" below that arm.
 */
static void
MxParsePolyEdge(MxPathNode *parent, const char *key, const char *relname,
				const char *path, MxEdgeFields *f)
{
	List	   *arms = MxPolyArms(MxGetRelations(parent->table), relname);
	List	   *shared = NIL;
	ListCell   *lc;

	if (f->arms != NULL && !MxIsObject(f->arms))
		MX_SPEC_ERROR(path, "\"arms\" of \"%s\" must be an object of arm names", path);
	if (f->include != NULL && !MxIsObject(f->include))
		MX_SPEC_ERROR(path, "\"include\" of \"%s\" must be an object", path);
	MxArmFields(f, NULL, path, arms);	/* every name in "arms" is an arm's */
	foreach(lc, arms)
	{
		MxRelation *arm = (MxRelation *) lfirst(lc);
		MxEdgeFields af = *f;
		MxPathNode *node;

		CHECK_FOR_INTERRUPTS();
		MxArmFields(&af, arm->name, path, arms);
		node = MxAddChild(parent, key, arm->name, path);
		node->poly_arm = true;
		node->opts = MxParseOpts(node, &af);
		if (af.include == f->include && f->include != NULL)
			shared = lappend(shared, node);
		else if (af.include != NULL)
		{
			if (!MxIsObject(af.include))
				MX_SPEC_ERROR(path, "\"include\" of \"%s\" must be an object", path);
			MxParseLevel(node, af.include);
		}
	}
	if (shared != NIL)
		MxParseBelowArms(shared, f->include);
}

/*
 * arm NULL: checks that every name in f's "arms" is one of arms' (22023).
 * Else replaces f's options with those arm's entry in "arms" gives.
 */
static void
MxArmFields(MxEdgeFields *f, const char *arm, const char *path, List *arms)
{
	JsonbIterator *it;
	JsonbValue	k;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (f->arms == NULL)
		return;
	it = JsonbIteratorInit(f->arms->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *name;
		MxEdgeFields sub;
		ListCell   *lc;
		bool		found = false;

		if (tok != WJB_KEY)
			continue;
		name = pnstrdup(k.val.string.val, k.val.string.len);
		(void) JsonbIteratorNext(&it, &v, true);
		if (arm == NULL)
		{
			foreach(lc, arms)
				found = found || strcmp(((MxRelation *) lfirst(lc))->name, name) == 0;
			if (!found)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("\"arms\" of spec edge \"%s\" names \"%s\", which is not one of its arms",
								path, name),
						 errhint("Its arms are %s.", MxArmNames(arms))));
			continue;
		}
		if (strcmp(name, arm) != 0)
			continue;
		if (!MxIsObject(&v))
			MX_SPEC_ERROR(path, "arm \"%s\" in \"arms\" of \"%s\" must be an object", name, path);
		MxEdgeFieldsOf(&v, path, &sub);
		if (sub.relation != NULL || sub.arms != NULL)
			MX_SPEC_ERROR(path, "arm \"%s\" in \"arms\" of \"%s\" cannot have \"relation\" or \"arms\"",
						  name, path);
		if (sub.columns != NULL)
			f->columns = sub.columns;
		if (sub.where != NULL)
			f->where = sub.where;
		if (sub.order_by != NULL)
			f->order_by = sub.order_by;
		if (sub.limit != NULL)
			f->limit = sub.limit;
		if (sub.duplicates != NULL)
			f->duplicates = sub.duplicates;
		if (sub.include != NULL)
			f->include = sub.include;
	}
}

/*
 * A polymorphic edge's shared "include": each of its edges below every
 * arm whose target has that relation; when no arm has it, below the first
 * arm, whose lookup gives the error (42704), as for a path
 */
static void
MxParseBelowArms(List *nodes, JsonbValue *include)
{
	JsonbIterator *it = JsonbIteratorInit(include->val.binary.data);
	JsonbValue	k;
	JsonbValue	v;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;
		const char *relname;
		bool		any = false;
		ListCell   *lc;

		CHECK_FOR_INTERRUPTS();
		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		(void) JsonbIteratorNext(&it, &v, true);
		relname = MxEdgeRelname(key, &v);
		foreach(lc, nodes)
		{
			MxPathNode *arm = (MxPathNode *) lfirst(lc);

			if (MxPolyArmHas(MxGetRelations(arm->table), relname))
			{
				MxParseEdge(arm, key, &v);
				any = true;
			}
		}
		if (!any)
			MxParseEdge((MxPathNode *) linitial(nodes), key, &v);
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
		else if (strcmp(key, "duplicates") == 0)
			f->duplicates = v;
		else if (strcmp(key, "arms") == 0)
			f->arms = v;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\" in spec edge \"%s\"", key, path),
					 errhint("The options are \"relation\", \"columns\", \"where\", \"order_by\", \"limit\", \"duplicates\", \"include\" and, on a polymorphic relation, \"arms\".")));
	}
}

/* The options of node's edge (NULL when it has none), validated against its target */
static MxEdgeOpts *
MxParseOpts(MxPathNode *node, MxEdgeFields *f)
{
	MxEdgeOpts *o;
	MxTable    *target;
	StringInfoData sig;
	bool		to_many = !MxRelToOne(node->rel);
	JsonbValue *fixed;
	int			i;

	MxMergeDefaults(node, f, &fixed);
	if (f->columns == NULL && f->where == NULL && f->order_by == NULL && f->limit == NULL &&
		f->duplicates == NULL && fixed == NULL)
		return NULL;
	if (!to_many && (f->order_by != NULL || f->limit != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 f->limit != NULL ?
				 errmsg("\"limit\" on spec edge \"%s\", which is to one", node->path) :
				 errmsg("\"order_by\" on spec edge \"%s\", which is to one", node->path),
				 node->rel->kind == MX_KIND_FK ?
				 errdetail("Relation \"%s\" of %s is an fk: it gives one row or null.",
						   node->rel->name, format_type_be_qualified(get_rel_type_id(node->rel->source))) :
				 errdetail("Relation \"%s\" of %s is an ifk whose foreign key columns are unique: it gives one row or null.",
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
	/* a registered fixed filter, then the spec's: the top level is ANDed */
	if (fixed != NULL)
		MxParseWhere(node, o, fixed, &sig);
	if (f->where != NULL)
		MxParseWhere(node, o, f->where, &sig);
	if (f->order_by != NULL)
		MxParseOrder(node, o, f->order_by, &sig);
	if (f->duplicates != NULL)
		o->keep_duplicates = MxParseDuplicates(node, f->duplicates, &sig);
	if (o->ncolumns < 0 && o->nquals == 0 && o->norder == 0 && f->limit == NULL &&
		!o->keep_duplicates)
		return NULL;			/* {"where": {}} or "order_by": [] change nothing */
	if (to_many && o->norder == 0 && target->order_ncols > 0 && !o->keep_duplicates)
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

/*
 * "duplicates": "keep" (one entry per junction row) or "collapse" (each
 * target once per parent, the default); only on an m2m edge
 */
static bool
MxParseDuplicates(MxPathNode *node, JsonbValue *v, StringInfo sig)
{
	bool		keep;

	if (v->type == jbvString && v->val.string.len == 4 &&
		strncmp(v->val.string.val, "keep", 4) == 0)
		keep = true;
	else if (v->type == jbvString && v->val.string.len == 8 &&
			 strncmp(v->val.string.val, "collapse", 8) == 0)
		keep = false;
	else
		MX_SPEC_ERROR(node->path, "\"duplicates\" of \"%s\" must be \"keep\" or \"collapse\"",
					  node->path);
	if (node->rel->nhops != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"duplicates\" on spec edge \"%s\", which is no many-to-many", node->path),
				 errdetail("Relation \"%s\" of %s is an %s: only a junction's rows can link a target twice.",
						   node->rel->name, format_type_be_qualified(get_rel_type_id(node->rel->source)),
						   MxKindName(node->rel->kind))));
	if (keep)
		appendStringInfoString(sig, "d;");
	return keep;
}

/* The attnum of a column of node's target, 42703 when it has none */
AttrNumber
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
 * fields: the spec's "columns", "order_by" and "duplicates" replace the
 * registered ones; the registered "where" (*fixed) is a fixed filter,
 * ANDed with the spec's.  An "order_by" is ignored on a relation that is to one.
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
	if (f->order_by == NULL && !MxRelToOne(node->rel))
		f->order_by = d.order_by;
	if (f->duplicates == NULL)
		f->duplicates = d.duplicates;
	*fixed = d.where;
}

/*
 * A registered relation's options parsed on their own, as they would be
 * for a first-level edge named name (NULL when it has none).  Raises as
 * a spec's options would.
 */
MxEdgeOpts *
MxRegisteredOpts(MxRelation *rel, const char *name)
{
	MxPathNode	root;
	MxPathNode	node;

	memset(&root, 0, sizeof(root));
	memset(&node, 0, sizeof(node));
	root.table = rel->source;
	node.key = node.relname = node.path = (char *) name;
	node.rel = rel;
	node.table = rel->target;
	node.depth = 1;
	node.parent = &root;
	return MxDefaultOpts(&node);
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
