/*-------------------------------------------------------------------------
 *
 * junction.c
 *		Many-to-many relations named by their junction table, without
 *		registering them:
 *
 *		name := junction '::' [fk]
 *
 *		"book_authors::author" is the m2m from a book through the table
 *		book_authors (one of the source's children, by its unqualified
 *		name) out along that table's fk relation "author" (its name under
 *		the naming rules, or its constraint name).  Without fk
 *		("book_authors::") the junction's one foreign key that does not
 *		point back at the source is taken.  The junction's other foreign
 *		key to the source is the way in.  Any junction works, with a
 *		surrogate key or without: duplicate links collapse unless a spec
 *		asks to keep them ("duplicates").
 *
 *		Names containing "::" were never valid path segments, and an exact
 *		relation name (registered, catalog or constraint name) is tried
 *		first, so this form cannot shadow a name that worked before.
 *
 *		Errors: no such junction or fk, 42704; more than one candidate (two
 *		junctions of that name in different schemas, two foreign keys to
 *		choose from), 42P09 with the candidates.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "catalog.h"
#include "sqlgen.h"

static MxRelation *MxJunctionWayIn(MxTable *source, Oid junction, const MxRelation *out,
								   const char *name);
static MxRelation *MxJunctionWayOut(MxTable *source, MxTable *jt, const char *fk,
									const char *name);

/* Whether a relation name is of the form junction::[fk] */
bool
MxIsJunctionName(const char *name)
{
	const char *dc = strstr(name, "::");

	return dc != NULL && dc != name && strchr(dc + 2, ':') == NULL &&
		memchr(name, ':', dc - name) == NULL;
}

/* The qualified name of a table, for messages */
static char *
MxTableName(Oid relid)
{
	return format_type_be_qualified(get_rel_type_id(relid));
}

/*
 * The junction the name's first part denotes: a table with a foreign key
 * to source whose unqualified name it is
 */
static Oid
MxFindJunction(MxTable *source, const char *jname, const char *name)
{
	Oid			found = InvalidOid;
	StringInfoData cands;
	int			i;

	initStringInfo(&cands);
	for (i = 0; i < source->nrels; i++)
	{
		MxRelation *r = &source->rels[i];

		if (r->kind != MX_KIND_IFK || r->registered || r->target == found)
			continue;
		if (strcmp(get_rel_name(r->target), jname) != 0)
			continue;
		appendStringInfo(&cands, "%s%s", cands.len > 0 ? ", " : "", MxTableName(r->target));
		if (OidIsValid(found))
			ereport(ERROR,
					(errcode(ERRCODE_AMBIGUOUS_ALIAS),
					 errmsg("more than one table named \"%s\" has a foreign key to %s",
							jname, MxTableName(source->relid)),
					 errdetail("The candidates are: %s.", cands.data),
					 errhint("Register the relation with matrx_relations.register_relation, naming the junction by its qualified name.")));
		found = r->target;
	}
	if (!OidIsValid(found))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("%s has no junction table named \"%s\" for relation \"%s\"",
						MxTableName(source->relid), jname, name),
				 errdetail("A junction named in a path must have a foreign key to the source.")));
	return found;
}

/*
 * The junction's way out: its fk relation named fk, else (fk empty) its
 * one fk relation that is not a foreign key to source
 */
static MxRelation *
MxJunctionWayOut(MxTable *source, MxTable *jt, const char *fk, const char *name)
{
	MxRelation *match = NULL;
	StringInfoData cands;
	int			n = 0;
	int			i;

	if (fk[0] != '\0')
	{
		match = MxLookupRelation(jt, fk);
		if (match->kind != MX_KIND_FK)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("relation \"%s\" of junction %s is not a foreign key of it",
							fk, MxTableName(jt->relid)),
					 errdetail("In \"%s\", the part after \"::\" names the junction's foreign key to the target.",
							   name)));
		return match;
	}
	initStringInfo(&cands);
	for (i = 0; i < jt->nrels; i++)
	{
		MxRelation *r = &jt->rels[i];

		if (r->kind != MX_KIND_FK || r->registered || r->target == source->relid)
			continue;
		appendStringInfo(&cands, "%s\"%s::%s\"", n > 0 ? ", " : "",
						 get_rel_name(jt->relid), r->name);
		match = r;
		n++;
	}
	if (n == 1)
		return match;
	ereport(ERROR,
			(n == 0 ? errcode(ERRCODE_UNDEFINED_OBJECT) : errcode(ERRCODE_AMBIGUOUS_ALIAS),
			 n == 0 ?
			 errmsg("junction %s of relation \"%s\" has no foreign key to another table",
					MxTableName(jt->relid), name) :
			 errmsg("junction %s of relation \"%s\" has more than one foreign key to choose from",
					MxTableName(jt->relid), name),
			 n == 0 ?
			 errhint("Name the junction's foreign key after \"::\" (\"%s::fk\").",
					 get_rel_name(jt->relid)) :
			 errhint("Name one after \"::\": %s.", cands.data)));
	return NULL;				/* keep compiler quiet */
}

/*
 * The way in: the source's one ifk from the junction other than the way
 * out (a self-m2m's other foreign key)
 */
static MxRelation *
MxJunctionWayIn(MxTable *source, Oid junction, const MxRelation *out, const char *name)
{
	MxRelation *match = NULL;
	StringInfoData cands;
	int			n = 0;
	int			i;

	initStringInfo(&cands);
	for (i = 0; i < source->nrels; i++)
	{
		MxRelation *r = &source->rels[i];

		if (r->kind != MX_KIND_IFK || r->registered || r->target != junction ||
			r->conoid == out->conoid)
			continue;
		appendStringInfo(&cands, "%s\"%s\"", n > 0 ? ", " : "", r->conname);
		match = r;
		n++;
	}
	if (n == 1)
		return match;
	ereport(ERROR,
			(n == 0 ? errcode(ERRCODE_UNDEFINED_OBJECT) : errcode(ERRCODE_AMBIGUOUS_ALIAS),
			 n == 0 ?
			 errmsg("junction %s of relation \"%s\" has no other foreign key to %s",
					MxTableName(junction), name, MxTableName(source->relid)) :
			 errmsg("junction %s of relation \"%s\" has more than one foreign key to %s",
					MxTableName(junction), name, MxTableName(source->relid)),
			 n == 0 ?
			 errdetail("The junction's foreign key named after \"::\" leads out; another one must lead in from the source.") :
			 errdetail("The candidates are the constraints %s.", cands.data),
			 errhint("Register the relation with matrx_relations.register_relation to choose.")));
	return NULL;				/* keep compiler quiet */
}

/*
 * The m2m relation of source that name (junction::[fk]) denotes, built for
 * this call (in the current memory context)
 */
MxRelation *
MxJunctionRelation(MxTable *source, const char *name)
{
	const char *dc = strstr(name, "::");
	char	   *jname = pnstrdup(name, dc - name);
	Oid			junction = MxFindJunction(source, jname, name);
	MxTable    *jt = MxGetRelations(junction);
	MxRelation *out = MxJunctionWayOut(source, jt, dc + 2, name);
	MxRelation *in;
	MxRelation *r = palloc0(sizeof(MxRelation));
	AttrNumber	cols[2 * MX_MAX_KEYS];
	int			n = 0;
	int			i;

	/* jt may be read again by the lookups below: copy what we keep first */
	out = memcpy(palloc(sizeof(MxRelation)), out, sizeof(MxRelation));
	in = MxJunctionWayIn(source, junction, out, name);
	r->name = pstrdup(name);
	r->kind = MX_KIND_M2M;
	r->source = source->relid;
	r->target = out->target;
	r->via = junction;
	r->nhops = 2;
	r->hops[0] = in->hops[0];
	r->hops[1] = out->hops[0];
	r->target_unique = out->target_unique;
	for (i = 0; i < r->hops[0].nkeys; i++)
		cols[n++] = r->hops[0].inner_cols[i];
	for (i = 0; i < r->hops[1].nkeys; i++)
		cols[n++] = r->hops[1].outer_cols[i];
	r->via_unique = MxColumnsCoverUnique(junction, n, cols, false);
	return r;
}

/* Whether an edge keeps one entry per junction row (an m2m with "duplicates": "keep") */
bool
MxKeepsDuplicates(const MxEdgeOpts *opts, const MxRelation *rel)
{
	return opts != NULL && opts->keep_duplicates && rel != NULL && rel->nhops == 2;
}

/* ", j.c AS o1, ..": the junction's order columns (its primary key, else all orderable ones) */
void
MxAppendJunctionOrderCols(StringInfo buf, const MxRelation *rel, const char *j)
{
	MxTable    *jt = MxGetTable(rel->via);
	int			i;

	for (i = 0; i < jt->order_ncols; i++)
		appendStringInfo(buf, ", %s.%s AS o%d", j, MxQuoteCol(rel->via, jt->order_cols[i]),
						 i + 1);
}

/*
 * " ORDER BY ..." of a to-many edge on alias: the options' order (else the
 * target's primary key); when the edge keeps duplicate links, the
 * "order_by" given (if any) and then the junction's order, from the
 * junction rows' derived table q (MxAppendJunctionRows with keep)
 */
void
MxEdgeOrder(StringInfo buf, const MxEdgeOpts *opts, MxTable *target, const char *alias,
			const MxRelation *rel, const char *q)
{
	MxTable    *jt;
	int			i;

	if (!MxKeepsDuplicates(opts, rel) || q == NULL)
	{
		MxOptsOrder(buf, opts, target, alias);
		return;
	}
	if (opts->norder > 0)
		MxOptsOrder(buf, opts, target, alias);
	jt = MxGetTable(rel->via);
	for (i = 0; i < jt->order_ncols; i++)
		appendStringInfo(buf, "%s%s.o%d", i == 0 && opts->norder == 0 ? " ORDER BY " : ", ",
						 q, i + 1);
}
