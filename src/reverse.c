/*-------------------------------------------------------------------------
 *
 * reverse.c
 *		Reverse relations of polymorphic arms: an arm registered with
 *		"polymorphic": {..., "reverse": "comments"} gives its target an ifk
 *		of that name back to the arm's source (posts -> comments), filtered
 *		by the arm's type value and with the arm's key cast turned round:
 *		the registered ifk a user would otherwise write by hand,
 *
 *		{"where": {"commentable_type": "Post"}, "cast": ["character varying"]}
 *
 *		It is not stored: it is derived from the arm's row of the config
 *		table wherever registered rows are read (MxWithReverses), so it is
 *		listed, dumped, restored, published and removed with its arm.  A
 *		name an arm or its reverse claims on a table is claimed once
 *		(MxNamesClash: 42710).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

#include "assemble.h"
#include "matrx_relations.h"
#include "model.h"

static char *MxPolyMember(Jsonb *options, const char *key);
static void MxReverseContext(void *arg);

/* A string member of the "polymorphic" option of options, or NULL */
static char *
MxPolyMember(Jsonb *options, const char *key)
{
	JsonbValue *pv = options != NULL ? MxObjectKey(options, "polymorphic") : NULL;
	JsonbValue *v;

	if (pv == NULL || !MxIsObjectValue(pv))
		return NULL;
	v = MxObjectKey(MxContainerToJsonb(pv), key);
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* The name of the reverse relation a registration's arm asks for, or NULL */
char *
MxReverseName(const MxRegistration *reg)
{
	return MxPolyMember(reg->options, "reverse");
}

/*
 * Reads a registration's "polymorphic" option: its "reverse", when given,
 * a non-empty string (22023); the rest checked by polymorphic.c
 * (MxReadPolymorphic); the whole option pushed as given
 */
void
MxReadPolymorphicOption(JsonbValue *v, const char *name, JsonbParseState **state)
{
	JsonbParseState *scratch = NULL;
	JsonbParseState *rest = NULL;
	JsonbIterator *it;
	JsonbValue	k;
	JsonbValue	e;
	JsonbIteratorToken tok;
	JsonbValue	copy;
	Jsonb	   *without;

	if (!MxIsObjectValue(v))
	{
		MxReadPolymorphic(v, name, state);	/* its error */
		return;
	}
	/* the option without "reverse", for polymorphic.c's checks */
	(void) pushJsonbValue(&rest, WJB_BEGIN_OBJECT, NULL);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		if (tok != WJB_KEY)
			continue;
		(void) JsonbIteratorNext(&it, &e, true);
		if (k.val.string.len == 7 && strncmp(k.val.string.val, "reverse", 7) == 0)
		{
			if (e.type != jbvString || e.val.string.len == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"polymorphic\" of registered relation \"%s\" needs a non-empty string \"reverse\"",
								name),
						 errhint("\"reverse\" names the relation from the target back to the arm's source, such as \"comments\".")));
			continue;
		}
		(void) pushJsonbValue(&rest, WJB_KEY, &k);
		(void) pushJsonbValue(&rest, WJB_VALUE, &e);
	}
	without = JsonbValueToJsonb(pushJsonbValue(&rest, WJB_END_OBJECT, NULL));
	copy.type = jbvBinary;
	copy.val.binary.data = &without->root;
	copy.val.binary.len = VARSIZE(without) - VARHDRSZ;
	(void) pushJsonbValue(&scratch, WJB_BEGIN_OBJECT, NULL);
	MxPushKey(&scratch, "polymorphic");
	MxReadPolymorphic(&copy, name, &scratch);
	(void) pushJsonbValue(state, WJB_VALUE, v);
}

/*
 * The reverse relation arm (a registered row) asks for, as a registration
 * of its own: from the arm's target back to its source on the same
 * columns, its options a "where" of the type column equal to the type
 * value and, for each key column the arm casts, a "cast" to the arm's
 * source column's type (the id column: a key of another type never
 * meets the target's key type, and the column's index serves).  NULL
 * when the arm asks for none or its columns are gone.
 */
MxRegistration *
MxReverseOf(const MxRegistration *arm)
{
	char	   *rname = MxReverseName(arm);
	char	   *type_column = MxPolyMember(arm->options, "type_column");
	char	   *type_value = MxPolyMember(arm->options, "type_value");
	JsonbValue *cast;
	JsonbParseState *state = NULL;
	JsonbValue	s;
	MxRegistration *rev;

	if (rname == NULL || type_column == NULL || type_value == NULL || OidIsValid(arm->via))
		return NULL;
	rev = palloc0(sizeof(MxRegistration));
	rev->source = arm->target;
	rev->name = rname;
	rev->target = arm->source;
	rev->source_columns = arm->target_columns;
	rev->target_columns = arm->source_columns;
	rev->relation_set = arm->relation_set;
	rev->kind = MX_KIND_IFK;
	s.type = jbvString;
	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	cast = MxObjectKey(arm->options, "cast");
	if (cast != NULL)
	{
		ListCell   *lc;
		int			i = 0;

		MxPushKey(&state, "cast");
		(void) pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		foreach(lc, arm->source_columns)
		{
			JsonbValue *c = cast->type == jbvString ? cast :
				MxIsArrayValue(cast) ? getIthJsonbValueFromContainer(cast->val.binary.data, i) : NULL;
			AttrNumber	attnum = get_attnum(arm->source, (char *) lfirst(lc));

			i++;
			if (attnum <= 0)
				return NULL;
			if (c == NULL || c->type != jbvString)
			{
				s.type = jbvNull;
				(void) pushJsonbValue(&state, WJB_ELEM, &s);
				s.type = jbvString;
				continue;
			}
			s.val.string.val = format_type_be_qualified(get_atttype(arm->source, attnum));
			s.val.string.len = strlen(s.val.string.val);
			(void) pushJsonbValue(&state, WJB_ELEM, &s);
		}
		(void) pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	}
	MxPushKey(&state, "where");
	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	MxPushKey(&state, type_column);
	s.val.string.val = type_value;
	s.val.string.len = strlen(type_value);
	(void) pushJsonbValue(&state, WJB_VALUE, &s);
	(void) pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	rev->options = JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
	return rev;
}

/* Registered rows, each arm asking for a reverse followed by that reverse */
List *
MxWithReverses(List *rows)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, rows)
	{
		MxRegistration *row = (MxRegistration *) lfirst(lc);
		MxRegistration *rev = MxReverseOf(row);

		result = lappend(result, row);
		if (rev != NULL)
			result = lappend(result, rev);
	}
	return result;
}

/* Error context of a reverse relation's validation: whose it is */
static void
MxReverseContext(void *arg)
{
	const MxRegistration *arm = (const MxRegistration *) arg;

	errcontext("reverse \"%s\" of polymorphic arm \"%s\"", MxReverseName(arm), arm->name);
}

/*
 * Validates the reverse an arm (validated) asks for, as a registration of
 * its own (the caller owning the arm's target: 42501; its type value the
 * type column's input: 22P02, ...); a name equal to a column of the
 * arm's target: 42701
 */
void
MxValidateReverse(MxRegistration *arm)
{
	MxRegistration *rev = MxReverseOf(arm);
	ErrorContextCallback cb;

	if (rev == NULL)
		return;
	cb.callback = MxReverseContext;
	cb.arg = arm;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	if (get_attnum(rev->source, rev->name) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_COLUMN),
				 errmsg("reverse relation name \"%s\" is also a column of %s", rev->name,
						format_type_be_qualified(get_rel_type_id(rev->source)))));
	MxValidateRegistration(rev);
	error_context_stack = cb.previous;
}

/*
 * Whether registrations a and b claim one name of one table: each claims
 * its own name on its source and its reverse's on its target.  The name
 * and table into *name and *source.
 */
bool
MxNamesClash(const MxRegistration *a, const MxRegistration *b, const char **name, Oid *source)
{
	Oid			as[2] = {a->source, a->target};
	Oid			bs[2] = {b->source, b->target};
	const char *an[2] = {a->name, MxReverseName(a)};
	const char *bn[2] = {b->name, MxReverseName(b)};
	int			i;
	int			j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			if (an[i] != NULL && bn[j] != NULL && as[i] == bs[j] && strcmp(an[i], bn[j]) == 0)
			{
				*name = an[i];
				*source = as[i];
				return true;
			}
	return false;
}

/* The registered row whose names clash with reg's (MxNamesClash), or NULL */
MxRegistration *
MxRegisteredClash(const MxRegistration *reg, const char **name, Oid *source)
{
	ListCell   *lc;

	foreach(lc, MxRegisteredRows())
	{
		MxRegistration *row = (MxRegistration *) lfirst(lc);

		if (MxNamesClash(reg, row, name, source))
			return row;
	}
	return NULL;
}

/*
 * Invalidates the metadata a registration's row changes: its source's,
 * and its target's when it asks for a reverse (the target does not read
 * the arm's source until it has the reverse)
 */
void
MxInvalidateRegistration(const MxRegistration *reg)
{
	CacheInvalidateRelcacheByRelid(reg->source);
	if (MxReverseName(reg) != NULL)
		CacheInvalidateRelcacheByRelid(reg->target);
}
