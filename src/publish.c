/*-------------------------------------------------------------------------
 *
 * publish.c
 *		Published relation models: publish_relations(relation_set,
 *		relations) replaces a named set of registered relations with those
 *		of one jsonb document, atomically.  Every relation is validated as
 *		register_relation validates it (register.c, model.c), and the set's
 *		rows are replaced only when they differ: publishing the same
 *		document twice writes nothing, invalidates no table's metadata and
 *		flushes no cache.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

#include "citus.h"
#include "matrx_relations.h"
#include "model.h"
#include "regsync.h"

/* the keys of a published relation, and which are options */
static const struct
{
	const char *key;
	bool		option;
}			mx_model_keys[] = {
	{"source", false}, {"name", false}, {"target", false}, {"kind", false},
	{"source_columns", false}, {"target_columns", false}, {"via", false},
	{"via_source_columns", false}, {"via_target_columns", false},
	{"where", true}, {"order_by", true}, {"columns", true}, {"cast", true},
	{"via_cast", true}, {"duplicates", true}, {"polymorphic", true}
};

/* what publish_relations' error context says: which relation of which set */
typedef struct MxModelContext
{
	const char *relation_set;
	int			index;
	const char *name;
} MxModelContext;

static void MxModelContextCallback(void *arg);
static char *MxModelString(JsonbValue *v, const char *key, bool required);
static List *MxModelNames(JsonbValue *v, const char *key, bool required);
static Oid	MxModelTable(JsonbValue *v, const char *key, bool required);
static MxRegistration *MxReadModelRelation(JsonbValue *elem, const char *relation_set);
static List *MxReadModel(Jsonb *doc, const char *relation_set);
static bool MxSameNames(List *a, List *b);
static bool MxSameRegistration(const MxRegistration *a, const MxRegistration *b);
static void MxSetRows(const char *relation_set, List *regs, List **old);
static bool MxSameSet(List *old, List *regs);
static bool MxReplaceSet(const char *relation_set, List *regs);
static char *MxSetArg(FunctionCallInfo fcinfo);
static void MxForwardPublish(const char *relation_set, Jsonb *doc, List *regs);

/* True when two name lists are equal */
static bool
MxSameNames(List *a, List *b)
{
	ListCell   *la;
	ListCell   *lb;

	if (list_length(a) != list_length(b))
		return false;
	forboth(la, a, lb, b)
		if (strcmp((char *) lfirst(la), (char *) lfirst(lb)) != 0)
		return false;
	return true;
}

/* True when two registrations would store the same row */
static bool
MxSameRegistration(const MxRegistration *a, const MxRegistration *b)
{
	if (a->source != b->source || a->target != b->target || a->via != b->via ||
		strcmp(a->name, b->name) != 0 ||
		!MxSameNames(a->source_columns, b->source_columns) ||
		!MxSameNames(a->target_columns, b->target_columns) ||
		!MxSameNames(a->via_source_columns, b->via_source_columns) ||
		!MxSameNames(a->via_target_columns, b->via_target_columns))
		return false;
	if ((a->relation_set == NULL) != (b->relation_set == NULL) ||
		(a->relation_set != NULL && strcmp(a->relation_set, b->relation_set) != 0))
		return false;
	if (a->options == NULL || b->options == NULL)
		return a->options == b->options;
	return compareJsonbContainers(&a->options->root, &b->options->root) == 0;
}

/* Error context of publish_relations: the relation being read */
static void
MxModelContextCallback(void *arg)
{
	MxModelContext *c = (MxModelContext *) arg;

	if (c->name != NULL)
		errcontext("relation %d (\"%s\") of relation set \"%s\"", c->index, c->name,
				   c->relation_set);
	else
		errcontext("relation %d of relation set \"%s\"", c->index, c->relation_set);
}

/* A string field of a published relation (22023 when missing but required) */
static char *
MxModelString(JsonbValue *v, const char *key, bool required)
{
	if (v == NULL)
	{
		if (required)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a published relation needs \"%s\"", key)));
		return NULL;
	}
	if (v->type != jbvString || v->val.string.len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" of a published relation must be a non-empty string", key)));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* A column-list field of a published relation: an array of strings */
static List *
MxModelNames(JsonbValue *v, const char *key, bool required)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	List	   *result = NIL;

	if (v == NULL && !required)
		return NIL;
	if (v == NULL || !MxIsArrayValue(v) || JsonContainerSize(v->val.binary.data) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" of a published relation must be a non-empty array of column names",
						key)));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (e.type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" of a published relation must be an array of column names", key)));
		result = lappend(result, pnstrdup(e.val.string.val, e.val.string.len));
	}
	return result;
}

/* A table name of a published relation, resolved as regclass input does (42P01) */
static Oid
MxModelTable(JsonbValue *v, const char *key, bool required)
{
	char	   *s = MxModelString(v, key, required);

	if (s == NULL)
		return InvalidOid;
	return DatumGetObjectId(DirectFunctionCall1(regclassin, CStringGetDatum(s)));
}

/* One relation of a published document, validated as register_relation does */
static MxRegistration *
MxReadModelRelation(JsonbValue *elem, const char *relation_set)
{
	MxRegistration *reg = palloc0(sizeof(MxRegistration));
	Jsonb	   *obj;
	JsonbParseState *state = NULL;
	JsonbIterator *it;
	JsonbValue	k;
	JsonbIteratorToken tok;
	JsonbValue *f[lengthof(mx_model_keys)];
	int			noptions = 0;
	char	   *kind;
	int			i;

	if (!MxIsObjectValue(elem))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a published relation must be a jsonb object")));
	obj = JsonbValueToJsonb(elem);
	memset(f, 0, sizeof(f));
	it = JsonbIteratorInit(&obj->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		if (tok != WJB_KEY)
			continue;
		for (i = 0; i < lengthof(mx_model_keys); i++)
			if (strlen(mx_model_keys[i].key) == k.val.string.len &&
				strncmp(mx_model_keys[i].key, k.val.string.val, k.val.string.len) == 0)
				break;
		if (i == lengthof(mx_model_keys))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown key \"%.*s\" in a published relation",
							k.val.string.len, k.val.string.val),
					 errhint("The keys are source, name, target, kind, source_columns, target_columns, via, via_source_columns, via_target_columns, where, order_by, columns, cast, via_cast, duplicates and polymorphic.")));
		f[i] = palloc(sizeof(JsonbValue));
		(void) JsonbIteratorNext(&it, f[i], true);
	}
	reg->name = MxModelString(f[1], "name", true);
	reg->source = MxModelTable(f[0], "source", true);
	reg->target = MxModelTable(f[2], "target", true);
	kind = MxModelString(f[3], "kind", false);
	reg->source_columns = MxModelNames(f[4], "source_columns", true);
	reg->target_columns = MxModelNames(f[5], "target_columns", true);
	reg->via = MxModelTable(f[6], "via", false);
	reg->via_source_columns = MxModelNames(f[7], "via_source_columns", OidIsValid(reg->via));
	reg->via_target_columns = MxModelNames(f[8], "via_target_columns", OidIsValid(reg->via));
	if (!OidIsValid(reg->via) && (f[7] != NULL || f[8] != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("via_source_columns and via_target_columns need via")));
	/* the options, as register_relation's options argument */
	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < lengthof(mx_model_keys); i++)
		if (mx_model_keys[i].option && f[i] != NULL)
		{
			MxPushKey(&state, mx_model_keys[i].key);
			(void) pushJsonbValue(&state, WJB_VALUE, f[i]);
			noptions++;
		}
	reg->options = noptions > 0 ?
		JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL)) : NULL;
	reg->relation_set = pstrdup(relation_set);
	MxValidateRegistration(reg);
	if (kind != NULL && strcmp(kind, MxKindName(reg->kind)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relation \"%s\" is declared \"%s\" but its columns make it \"%s\"",
						reg->name, kind, MxKindName(reg->kind)),
				 errdetail("A relation with via is m2m; else fk when target_columns are a primary key or unique key of the target; else ifk.")));
	return reg;
}

/*
 * The relations of a published document (an array of relation objects,
 * or an object whose "relations" is one), each validated; two with the
 * same source and name: 42710.
 */
static List *
MxReadModel(Jsonb *doc, const char *relation_set)
{
	JsonbValue *arr = NULL;
	JsonbValue	whole;
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	List	   *regs = NIL;
	MxModelContext ctx;
	ErrorContextCallback cb;

	if (!JB_ROOT_IS_SCALAR(doc) && JB_ROOT_IS_OBJECT(doc))
		arr = MxObjectKey(doc, "relations");
	else if (!JB_ROOT_IS_SCALAR(doc))
	{
		whole.type = jbvBinary;
		whole.val.binary.data = &doc->root;
		whole.val.binary.len = VARSIZE(doc) - VARHDRSZ;
		arr = &whole;
	}
	if (arr == NULL || !MxIsArrayValue(arr))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a relation model must be a jsonb array of relations, or an object with one as \"relations\"")));
	ctx.relation_set = relation_set;
	ctx.index = 0;
	ctx.name = NULL;
	cb.callback = MxModelContextCallback;
	cb.arg = &ctx;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	it = JsonbIteratorInit(arr->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		MxRegistration *reg;
		ListCell   *lc;
		const char *clash;
		Oid			clash_source;

		CHECK_FOR_INTERRUPTS();
		if (tok != WJB_ELEM)
			continue;
		ctx.index++;
		ctx.name = NULL;
		if (MxIsObjectValue(&e))
		{
			Jsonb	   *o = JsonbValueToJsonb(&e);
			JsonbValue *n = MxObjectKey(o, "name");

			if (n != NULL && n->type == jbvString)
				ctx.name = pnstrdup(n->val.string.val, n->val.string.len);
		}
		reg = MxReadModelRelation(&e, relation_set);
		foreach(lc, regs)
		{
			MxRegistration *other = (MxRegistration *) lfirst(lc);

			if (MxNamesClash(other, reg, &clash, &clash_source))
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_OBJECT),
						 errmsg("relation set \"%s\" names relation \"%s\" of %s twice",
								relation_set, clash,
								format_type_be_qualified(get_rel_type_id(clash_source)))));
		}
		regs = lappend(regs, reg);
	}
	error_context_stack = cb.previous;
	return regs;
}

/*
 * The set's stored rows (into *old), checking that no relation of regs
 * is registered outside the set (42710) and that the caller owns the
 * sources of the rows it replaces (42501)
 */
static void
MxSetRows(const char *relation_set, List *regs, List **old)
{
	ListCell   *lc;

	*old = NIL;
	foreach(lc, MxRegisteredRows())
	{
		MxRegistration *row = (MxRegistration *) lfirst(lc);
		ListCell   *lc2;

		if (row->relation_set != NULL && strcmp(row->relation_set, relation_set) == 0)
		{
			MxCheckOwner(row->source);
			*old = lappend(*old, row);
			continue;
		}
		foreach(lc2, regs)
		{
			MxRegistration *reg = (MxRegistration *) lfirst(lc2);
			const char *clash;
			Oid			clash_source;

			if (MxNamesClash(reg, row, &clash, &clash_source))
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_OBJECT),
						 errmsg("relation \"%s\" is already registered for %s", clash,
								format_type_be_qualified(get_rel_type_id(clash_source))),
						 row->relation_set != NULL ?
						 errdetail("It belongs to the relation set \"%s\".", row->relation_set) :
						 errdetail("It was registered with matrx_relations.register_relation."),
						 errhint("A relation belongs to one set, or is registered on its own.")));
		}
	}
}

/* True when the set's stored rows are exactly regs */
static bool
MxSameSet(List *old, List *regs)
{
	ListCell   *lc;

	if (list_length(old) != list_length(regs))
		return false;
	foreach(lc, regs)
	{
		ListCell   *lc2;
		bool		found = false;

		foreach(lc2, old)
			if (MxSameRegistration((MxRegistration *) lfirst(lc), (MxRegistration *) lfirst(lc2)))
			{
				found = true;
				break;
			}
		if (!found)
			return false;
	}
	return true;
}

/*
 * Replaces a relation set with regs (NIL: removes it); true when
 * anything changed.  Only changed sets are written and their sources'
 * metadata invalidated (and with it the relation cache).
 */
static bool
MxReplaceSet(const char *relation_set, List *regs)
{
	List	   *old;
	List	   *sources = NIL;
	ListCell   *lc;

	MxLockRegistrations();
	MxSetRows(relation_set, regs, &old);
	if (MxSameSet(old, regs))
		return false;
	(void) MxDeleteRelationSet(relation_set);
	foreach(lc, regs)
	{
		MxRegistration *reg = (MxRegistration *) lfirst(lc);

		MxInsertRegistration(reg);
		sources = list_append_unique_oid(sources, reg->source);
		/* a new reverse: its table does not read the arm's source yet */
		if (MxReverseName(reg) != NULL)
			sources = list_append_unique_oid(sources, reg->target);
	}
	foreach(lc, old)
		sources = list_append_unique_oid(sources, ((MxRegistration *) lfirst(lc))->source);
	foreach(lc, sources)
		CacheInvalidateRelcacheByRelid(lfirst_oid(lc));
	return true;
}

/*
 * On a Citus coordinator, the same set published on the workers (tables
 * schema-qualified: regsync.c), when all its tables are Citus tables
 */
static void
MxForwardPublish(const char *relation_set, Jsonb *doc, List *regs)
{
	char	   *command;

	if (!MxCitusPresent())
		return;
	command = MxPublishCommand(relation_set, doc, regs);
	if (command != NULL)
		(void) MxCitusForward(command);
}

/* The relation set argument: not null, not empty */
static char *
MxSetArg(FunctionCallInfo fcinfo)
{
	char	   *relation_set;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation set name must not be null")));
	relation_set = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (relation_set[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relation set name must not be empty")));
	return relation_set;
}

/*
 * publish_relations(relation_set, relations): the set becomes exactly the
 * document's relations; true when that changed anything.
 */
PG_FUNCTION_INFO_V1(publish_relations);
Datum
publish_relations(PG_FUNCTION_ARGS)
{
	char	   *relation_set = MxSetArg(fcinfo);
	List	   *regs;
	bool		changed;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation model must not be null")));
	MxEnterCall();
	MxCatalogBeginCall();
	regs = MxReadModel(PG_GETARG_JSONB_P(1), relation_set);
	changed = MxReplaceSet(relation_set, regs);
	MxForwardPublish(relation_set, PG_GETARG_JSONB_P(1), regs);
	MxLeaveCall();
	PG_RETURN_BOOL(changed);
}

/* unpublish_relations(relation_set): removes the set; true when it had relations */
PG_FUNCTION_INFO_V1(unpublish_relations);
Datum
unpublish_relations(PG_FUNCTION_ARGS)
{
	char	   *relation_set = MxSetArg(fcinfo);
	bool		changed;

	MxEnterCall();
	MxCatalogBeginCall();
	changed = MxReplaceSet(relation_set, NIL);
	if (MxCitusPresent())
		(void) MxCitusForward(MxUnpublishCommand(relation_set));
	MxLeaveCall();
	PG_RETURN_BOOL(changed);
}
