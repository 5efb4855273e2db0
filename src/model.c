/*-------------------------------------------------------------------------
 *
 * model.c
 *		Options of registered relations: validated at registration, read
 *		on every load of their relation.
 *
 *		options := { "where": ..., "order_by": [...], "columns": [...],
 *					 "duplicates": "keep" | "collapse",
 *					 "cast": type | [type | null, ...],
 *					 "via_cast": type | [type | null, ...] }
 *
 *		"where", "order_by" and "columns" have a spec edge's grammar and are
 *		parsed by spec.c, at registration (to validate them) and on every
 *		load of the relation: "where" is a fixed filter, ANDed with a
 *		load's own; "order_by", "columns" and (an m2m's) "duplicates" are
 *		defaults a load's spec replaces.  "cast" names the type the key columns of the first hop
 *		(source to target, or source to junction) are compared as, one for
 *		all of them or one per column; "via_cast" the same for a junction's
 *		second hop.  Type names are stored as format_type_be_qualified
 *		writes them (SQL's own names for built-in types, schema-qualified
 *		otherwise), so that the search_path of a later load cannot change
 *		them.
 *
 *		Publishing relation sets is publish.c's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "parser/parse_coerce.h"
#include "miscadmin.h"
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "matrx_relations.h"
#include "model.h"
#include "path.h"
#include "spec.h"

static Oid	MxCastType(const char *name, bool raise);
static bool MxReadCasts(JsonbValue *v, const char *what, const char *name, int n, Oid *types,
						JsonbParseState **state, bool raise);
static void MxDefaultsContext(void *arg);

/* True when v is a jsonb object (a container) */
bool
MxIsObjectValue(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

/* True when v is a jsonb array (a container) */
bool
MxIsArrayValue(JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
		!JsonContainerIsScalar(v->val.binary.data);
}

/* The type a cast names (42704 when raising), InvalidOid when there is none */
static Oid
MxCastType(const char *name, bool raise)
{
	Oid			typid = InvalidOid;
	int32		typmod;

#if PG_VERSION_NUM >= 160000
	ErrorSaveContext escontext = {T_ErrorSaveContext};

	if (!parseTypeString(name, &typid, &typmod, raise ? NULL : (Node *) &escontext))
		return InvalidOid;
#else
	parseTypeString(name, &typid, &typmod, !raise);
#endif
	if (OidIsValid(typid) && get_typtype(typid) == TYPTYPE_PSEUDO)
	{
		if (!raise)
			return InvalidOid;
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("key cast type %s is a pseudo-type", format_type_be(typid))));
	}
	return typid;
}

/*
 * A "cast" or "via_cast" value: one type name for all n key columns, or
 * an array of n type names or nulls.  Fills types, and pushes the value
 * with schema-qualified names onto state.  False (when not raising) when
 * malformed or a type is gone.
 */
static bool
MxReadCasts(JsonbValue *v, const char *what, const char *name, int n, Oid *types,
			JsonbParseState **state, bool raise)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	JsonbValue	out;
	int			i = 0;

	if (v->type == jbvString)
	{
		Oid			t = MxCastType(pnstrdup(v->val.string.val, v->val.string.len), raise);

		if (!OidIsValid(t))
			return false;
		for (i = 0; i < n; i++)
			types[i] = t;
		out.type = jbvString;
		out.val.string.val = format_type_be_qualified(t);
		out.val.string.len = strlen(out.val.string.val);
		(void) pushJsonbValue(state, WJB_VALUE, &out);
		return true;
	}
	if (!MxIsArrayValue(v) || JsonContainerSize(v->val.binary.data) != n)
	{
		if (!raise)
			return false;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" of registered relation \"%s\" must be a type name or an array of %d type names or nulls",
						what, name, n),
				 errdetail("One entry per key column of the hop it casts.")));
	}
	(void) pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (e.type == jbvNull)
			types[i] = InvalidOid;
		else if (e.type == jbvString)
		{
			types[i] = MxCastType(pnstrdup(e.val.string.val, e.val.string.len), raise);
			if (!OidIsValid(types[i]))
				return false;
			e.val.string.val = format_type_be_qualified(types[i]);
			e.val.string.len = strlen(e.val.string.val);
		}
		else
		{
			if (!raise)
				return false;
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" of registered relation \"%s\" must hold type names or nulls",
							what, name)));
		}
		(void) pushJsonbValue(state, WJB_ELEM, &e);
		i++;
	}
	(void) pushJsonbValue(state, WJB_END_ARRAY, NULL);
	return true;
}

/* Pushes an object key */
void
MxPushKey(JsonbParseState **state, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	(void) pushJsonbValue(state, WJB_KEY, &k);
}

/*
 * Checks a registration's options and reads its key casts (ncasts: key
 * columns per hop, 0 for a hop it does not have).  Returns them
 * normalized (type names schema-qualified), NULL when there are none.
 * Not raising (a load reading stored options), *ok is false when they no
 * longer resolve.
 */
Jsonb *
MxNormalizeOptions(Jsonb *options, const char *name, int ncasts[2], MxKeyCasts *casts,
				   bool raise, bool *ok)
{
	JsonbParseState *state = NULL;
	JsonbIterator *it;
	JsonbValue	k;
	JsonbValue	v;
	JsonbIteratorToken tok;
	JsonbValue *res;
	int			nkeys = 0;

	*ok = true;
	if (JB_ROOT_IS_SCALAR(options) || !JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options of registered relation \"%s\" must be a jsonb object", name)));
	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(k.val.string.val, k.val.string.len);
		(void) JsonbIteratorNext(&it, &v, true);
		MxPushKey(&state, key);
		nkeys++;
		if (strcmp(key, "cast") == 0 || strcmp(key, "via_cast") == 0)
		{
			int			h = key[0] == 'v' ? 1 : 0;

			if (ncasts[h] == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("\"via_cast\" of registered relation \"%s\" needs a junction (via)",
								name)));
			if (!MxReadCasts(&v, key, name, ncasts[h], casts->types[h], &state, raise))
			{
				*ok = false;
				return NULL;
			}
		}
		else if (strcmp(key, "where") == 0 || strcmp(key, "order_by") == 0 ||
				 strcmp(key, "columns") == 0)
			(void) pushJsonbValue(&state, WJB_VALUE, &v);
		else if (strcmp(key, "duplicates") == 0)
		{
			if (v.type != jbvString ||
				!((v.val.string.len == 4 && strncmp(v.val.string.val, "keep", 4) == 0) ||
				  (v.val.string.len == 8 && strncmp(v.val.string.val, "collapse", 8) == 0)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("\"duplicates\" of registered relation \"%s\" must be \"keep\" or \"collapse\"",
								name)));
			if (ncasts[1] == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("registered relation \"%s\" has \"duplicates\" but no junction (via)", name),
						 errdetail("Only a many-to-many relation's junction rows can link a target twice.")));
			(void) pushJsonbValue(&state, WJB_VALUE, &v);
		}
		else if (strcmp(key, "polymorphic") == 0)
			MxReadPolymorphicOption(&v, name, &state);
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\" of registered relation \"%s\"", key, name),
					 errhint("The options are \"where\", \"order_by\", \"columns\", \"duplicates\", \"cast\", \"via_cast\" and \"polymorphic\".")));
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return nkeys == 0 ? NULL : JsonbValueToJsonb(res);
}

/* The value of a key of a jsonb object, or NULL */
JsonbValue *
MxObjectKey(Jsonb *doc, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(&doc->root, JB_FOBJECT, &k);
}

/*
 * The spec edge a registration's options give its loads ("where",
 * "order_by", "columns", "duplicates"), NULL when they give none.
 */
Jsonb *
MxOptionDefaults(Jsonb *options)
{
	static const char *const keys[] = {"columns", "duplicates", "order_by", "where"};
	JsonbParseState *state = NULL;
	JsonbValue *res;
	int			n = 0;
	int			i;

	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < lengthof(keys); i++)
	{
		JsonbValue *v = MxObjectKey(options, keys[i]);

		if (v == NULL)
			continue;
		MxPushKey(&state, keys[i]);
		(void) pushJsonbValue(&state, WJB_VALUE, v);
		n++;
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return n == 0 ? NULL : JsonbValueToJsonb(res);
}

/* Error context of a registration's options: whose they are */
static void
MxDefaultsContext(void *arg)
{
	errcontext("options of registered relation \"%s\"", (const char *) arg);
}

/*
 * Validates a registered relation's defaults against its target, as a
 * load would parse them (spec.c: 22023, 42703, a value's input error).
 * "order_by" on an fk: 22023.
 */
void
MxCheckDefaults(MxRelation *rel, const char *name)
{
	ErrorContextCallback cb;

	if (rel->defaults == NULL)
		return;
	if (rel->kind == MX_KIND_FK && MxObjectKey(rel->defaults, "order_by") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"order_by\" of registered relation \"%s\", which is to one", name),
				 errdetail("Its target columns are a unique key of the target: it gives one row or null.")));
	cb.callback = MxDefaultsContext;
	cb.arg = (void *) name;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	(void) MxRegisteredOpts(rel, name);
	error_context_stack = cb.previous;
}

/*
 * True when output key "key" of a relation of from may replace the
 * parent row's column of that name: the relation is a registered fk named
 * exactly like one of its own FK columns and loaded under that name (not
 * aliased to it).  An ORM that names the association like its key column
 * (TypeORM's @JoinColumn({name: "author"}) author) wants the object where
 * the key was, and the key's value stays in the object (its target
 * columns); any other column a relation is named like stays 42701.
 */
bool
MxNameReplacesColumn(MxTable *from, const char *key, const char *relname)
{
	int			i;

	if (strcmp(key, relname) != 0)
		return false;
	for (i = 0; i < from->nrels; i++)
	{
		MxRelation *r = &from->rels[i];
		int			c;

		if (!r->registered || r->kind != MX_KIND_FK || strcmp(r->name, relname) != 0)
			continue;
		for (c = 0; c < r->hops[0].nkeys; c++)
			if (strcmp(get_attname(from->relid, r->hops[0].outer_cols[c], false), key) == 0)
				return true;
	}
	return false;
}

/*
 * Key column pair i of hop compared as type cast: both columns cast to it
 * (each by some cast, explicit ones included: varchar to integer goes
 * through the types' text forms), matched by its default equality.  The
 * outer side's values are converted to it in C (the loaders' key
 * coercion) or in SQL, the inner column cast in SQL when it is of another
 * type.  42846 when a column cannot be cast, 42883 when the type has no
 * equality.
 */
bool
MxCastKey(MxHop *hop, int i, Oid cast, bool raise, MxTable *deps)
{
	Oid			from[2] = {hop->outer_types[i], hop->inner_types[i]};
	Oid			rels[2] = {hop->outer_rel, hop->inner_rel};
	AttrNumber	cols[2] = {hop->outer_cols[i], hop->inner_cols[i]};
	int			s;

	for (s = 0; s < 2; s++)
		if (from[s] != cast && !can_coerce_type(1, &from[s], &cast, COERCION_EXPLICIT))
		{
			if (!raise)
				return false;
			ereport(ERROR,
					(errcode(ERRCODE_CANNOT_COERCE),
					 errmsg("column \"%s\" of %s cannot be cast to %s",
							get_attname(rels[s], cols[s], false),
							format_type_be_qualified(get_rel_type_id(rels[s])),
							format_type_be(cast)),
					 errdetail("There is no cast from %s to %s.", format_type_be(from[s]),
							   format_type_be(cast))));
		}
	if (deps != NULL)
	{
		MxNoteDependency(deps, TYPEOID, cast);	/* a dropped type drops the relation */
		MxNoteEqualityLookup(deps, cast, cast);
	}
	hop->eqops[i] = lookup_type_cache(cast, TYPECACHE_EQ_OPR)->eq_opr;
	if (!OidIsValid(hop->eqops[i]))
	{
		if (!raise)
			return false;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("key cast type %s has no equality operator", format_type_be(cast)),
				 errdetail("Columns \"%s\" and \"%s\" are matched by the equality of the type they are cast to.",
						   get_attname(rels[0], cols[0], false),
						   get_attname(rels[1], cols[1], false))));
	}
	/* a collatable type compares under a column's collation, else its own */
	if (!type_is_collatable(cast))
		hop->collations[i] = InvalidOid;
	else if (!OidIsValid(hop->collations[i]))
		hop->collations[i] = OidIsValid(hop->inner_collations[i]) ? hop->inner_collations[i] :
			OidIsValid(hop->outer_collations[i]) ? hop->outer_collations[i] :
			get_typcollation(cast);
	return true;
}

/*
 * Checks a registration and completes it: its tables opened (42P01,
 * 42809), the caller owning its source (42501), its columns and key
 * matches (22023, 42703, 42804), its options (model.c: 22023, 42703,
 * 42704, 42846, 42883).  Sets its normalized options and its kind.
 */
void
MxValidateRegistration(MxRegistration *reg)
{
	MxRelation	rel;
	MxKeyCasts	casts;
	int			ncasts[2];
	bool		ok;

	if (reg->name == NULL || reg->name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relation name must not be empty")));
	(void) MxOpenTable(reg->source, "source");
	(void) MxOpenTable(reg->target, "target");
	if (OidIsValid(reg->via))
		(void) MxOpenTable(reg->via, "junction");
	MxCheckOwner(reg->source);

	ncasts[0] = list_length(reg->source_columns);
	ncasts[1] = OidIsValid(reg->via) ? list_length(reg->target_columns) : 0;
	memset(&casts, 0, sizeof(casts));
	if (reg->options != NULL)
		reg->options = MxNormalizeOptions(reg->options, reg->name, ncasts, &casts, true, &ok);

	memset(&rel, 0, sizeof(rel));
	rel.name = reg->name;
	(void) MxBuildRegistered(&rel, reg->source, reg->target, reg->via,
							 reg->source_columns, reg->target_columns,
							 reg->via_source_columns, reg->via_target_columns, &casts,
							 true, NULL);
	reg->kind = rel.kind;
	MxValidatePolymorphic(reg);
	MxValidateReverse(reg);
	rel.defaults = reg->options ? MxOptionDefaults(reg->options) : NULL;
	MxCheckDefaults(&rel, reg->name);
}

