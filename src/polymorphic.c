/*-------------------------------------------------------------------------
 *
 * polymorphic.c
 *		Polymorphic to-one relations (Rails' polymorphic belongs_to,
 *		Django's GenericForeignKey): a (type column, id column) pair of the
 *		source pointing at one of several target tables, chosen per row by
 *		the type column's value.
 *
 *		A polymorphic relation is a set of registered fk relations, its
 *		arms, one per type value, each with the option
 *		"polymorphic": {"name": ..., "type_column": ..., "type_value": ...}
 *		(and any registered option: a "cast" of the varchar id to the
 *		target's integer key, a "where", "columns").  An arm loads like any
 *		fk, except that only parent rows whose type column equals its type
 *		value give it a key: a key is only converted (cast) for its own
 *		target.  Loaded under the polymorphic name, the arms are children
 *		of one output key: the first arm with a row gives the object, which
 *		is marked with the table it came from.  Arms with different targets
 *		are different edge groups: one statement per target table.  In the
 *		typed forms each arm is a node of its own under the one name.  A path
 *		going on below the name goes on below each arm whose target has the
 *		next relation (path.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

#include "assemble.h"
#include "loader.h"
#include "matrx_relations.h"
#include "model.h"
#include "path.h"

/* the key the object's table is given under, unless the registration names one */
#define MX_POLY_MARKER "__table"

static char *MxPolyString(Jsonb *poly, const char *key, const char *name, bool required);

/* A string member of a "polymorphic" option (22023 when malformed or missing) */
static char *
MxPolyString(Jsonb *poly, const char *key, const char *name, bool required)
{
	JsonbValue *v = MxObjectKey(poly, key);

	if (v == NULL && !required)
		return NULL;
	if (v == NULL || v->type != jbvString || v->val.string.len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"polymorphic\" of registered relation \"%s\" needs a non-empty string \"%s\"",
						name, key),
				 errhint("Write {\"name\": \"commentable\", \"type_column\": \"commentable_type\", \"type_value\": \"Post\"}.")));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * Checks the shape of a registration's "polymorphic" option (an object of
 * "name", "type_column", "type_value" and optionally "marker", all
 * non-empty strings; 22023 otherwise) and adds it to the normalized options
 */
void
MxReadPolymorphic(JsonbValue *v, const char *name, JsonbParseState **state)
{
	Jsonb	   *poly;
	int			n = 3;

	if (!MxIsObjectValue(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"polymorphic\" of registered relation \"%s\" must be an object", name)));
	poly = MxContainerToJsonb(v);
	(void) MxPolyString(poly, "name", name, true);
	(void) MxPolyString(poly, "type_column", name, true);
	(void) MxPolyString(poly, "type_value", name, true);
	if (MxPolyString(poly, "marker", name, false) != NULL)
		n++;
	if (JB_ROOT_COUNT(poly) != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"polymorphic\" of registered relation \"%s\" has an unknown key", name),
				 errhint("Its keys are \"name\", \"type_column\", \"type_value\" and \"marker\".")));
	(void) pushJsonbValue(state, WJB_VALUE, v);
}

/*
 * Validates a registration's "polymorphic" option against its tables: the
 * relation must be an fk (22023) and the type column a column of the
 * source (42703)
 */
void
MxValidatePolymorphic(MxRegistration *reg)
{
	JsonbValue *v = reg->options ? MxObjectKey(reg->options, "polymorphic") : NULL;
	Jsonb	   *poly;
	char	   *column;

	if (v == NULL)
		return;
	poly = MxContainerToJsonb(v);
	if (reg->kind != MX_KIND_FK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("polymorphic relation \"%s\" must be an fk", reg->name),
				 errdetail("Its target columns are no unique key of the target, or it has a junction."),
				 errhint("Each arm of a polymorphic relation points at a primary or unique key of one target table.")));
	column = MxPolyString(poly, "type_column", reg->name, true);
	if (get_attnum(reg->source, column) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("type column \"%s\" of polymorphic relation \"%s\" does not exist in %s",
						column, reg->name, format_type_be_qualified(get_rel_type_id(reg->source)))));
	if (get_attnum(reg->source, MxPolyString(poly, "name", reg->name, true)) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_COLUMN),
				 errmsg("polymorphic relation name \"%s\" is also a column of %s",
						MxPolyString(poly, "name", reg->name, true),
						format_type_be_qualified(get_rel_type_id(reg->source)))));
}

/*
 * Makes rel (built from a registration with options) an arm when they say
 * "polymorphic", its strings in t's context; false when its type column is
 * gone (the registration is then skipped, as one whose table is gone)
 */
bool
MxSetPolymorphic(MxRelation *rel, Jsonb *options, MxTable *t)
{
	JsonbValue *v = options ? MxObjectKey(options, "polymorphic") : NULL;
	Jsonb	   *poly;
	char	   *marker;

	if (v == NULL)
		return true;
	poly = MxContainerToJsonb(v);
	rel->poly_col = get_attnum(rel->source, MxPolyString(poly, "type_column", rel->name, true));
	if (rel->poly_col <= 0)
		return false;
	rel->poly_name = MemoryContextStrdup(t->cxt, MxPolyString(poly, "name", rel->name, true));
	rel->poly_value = MemoryContextStrdup(t->cxt,
										  MxPolyString(poly, "type_value", rel->name, true));
	marker = MxPolyString(poly, "marker", rel->name, false);
	rel->poly_marker = MemoryContextStrdup(t->cxt, marker ? marker : MX_POLY_MARKER);
	return true;
}

/* The arms of source's polymorphic relation name (in name order), NIL when none */
List *
MxPolyArms(MxTable *source, const char *name)
{
	List	   *arms = NIL;
	int			i;

	for (i = 0; i < source->nrels; i++)
		if (source->rels[i].poly_name != NULL && strcmp(source->rels[i].poly_name, name) == 0)
			arms = lappend(arms, &source->rels[i]);
	return arms;
}

/*
 * Whether a path segment name resolves on table t without an error: a
 * relation or constraint name, a polymorphic relation's name, or a
 * junction name (whose lookup then says whether it exists); for a path
 * continuing below a polymorphic relation, where arms lacking it skip it
 */
bool
MxPolyArmHas(MxTable *t, const char *name)
{
	int			i;

	if (MxIsJunctionName(name))
		return true;
	for (i = 0; i < t->nrels; i++)
	{
		MxRelation *r = &t->rels[i];

		if (strcmp(r->name, name) == 0 ||
			(r->poly_name != NULL && strcmp(r->poly_name, name) == 0) ||
			(r->conname != NULL && strcmp(r->conname, name) == 0))
			return true;
	}
	return false;
}

/*
 * 0A000 when node's tree has a polymorphic arm: loader cannot apply the
 * type filter (select_related)
 */
void
MxRejectPolymorphic(MxPathNode *node, const char *loader)
{
	ListCell   *lc;

	check_stack_depth();
	if (node->rel != NULL && node->rel->poly_col > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("polymorphic relation \"%s\" cannot be loaded by %s",
						node->rel->poly_name, loader),
				 errdetail("Relation \"%s\" is an arm of it, chosen by a type column.", node->rel->name),
				 errhint("Load it with prefetch_related or prefetch_batch.")));
	foreach(lc, node->children)
		MxRejectPolymorphic((MxPathNode *) lfirst(lc), loader);
}

/* Whether parent row pr of node (an arm) has the arm's type value */
bool
MxPolyKeep(MxPathNode *node, int pr)
{
	MxRowSet   *ps = ((MxNodeState *) node->parent->exec)->rows;
	Size		i = (Size) pr * ps->nextra;
	char	   *value;
	bool		varlena;
	Oid			outfn;
	int			pos = -1;
	int			e;

	for (e = 0; e < ps->nextra; e++)
		if (ps->extra_cols[e] == node->rel->poly_col)
			pos = e;
	if (pos < 0)
		elog(ERROR, "type column %d missing from the parent's statement", node->rel->poly_col);
	if (ps->extra_nulls[i + pos])
		return false;
	getTypeOutputInfo(get_atttype(node->parent->table, node->rel->poly_col), &outfn, &varlena);
	value = OidOutputFunctionCall(outfn, ps->extras[i + pos]);
	return strcmp(value, node->rel->poly_value) == 0;
}

/*
 * doc of an arm's row marked with its table: the marker key (else
 * "__table") with the table's schema-qualified name, as regclass reads it
 */
Jsonb *
MxPolyMarked(MxPathNode *node, Jsonb *doc)
{
	Oid			relid = node->rel->target;
	JsonbParseState *state = NULL;
	JsonbValue	v;
	JsonbValue *res;
	char	   *name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												  get_rel_name(relid));

	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	MxPushKey(&state, node->rel->poly_marker);
	v.type = jbvString;
	v.val.string.val = name;
	v.val.string.len = strlen(name);
	(void) pushJsonbValue(&state, WJB_VALUE, &v);
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(doc),
											  JsonbPGetDatum(JsonbValueToJsonb(res))));
}
