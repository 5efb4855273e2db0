/*-------------------------------------------------------------------------
 *
 * functions.c
 *		The SQL-callable entry points, kept thin: argument checks, call
 *		bookkeeping, and a hand-off to the loaders.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "execute.h"
#include "matrx_relations.h"
#include "path.h"
#include "sqlgen.h"

#define RELATIONS_COLS 11

static Datum MxNameArrayDatum(Oid relid, int n, const AttrNumber *cols);
static void MxEmitRelations(ReturnSetInfo *rsinfo, MxTable *t);

/* fetch_related(target anyelement, source regclass, relation text, keys anycompatiblearray) */
PG_FUNCTION_INFO_V1(fetch_related);
Datum
fetch_related(PG_FUNCTION_ARGS)
{
	MxEnterCall();
	MxFetchTyped(fcinfo, false);
	MxLeaveCall();
	return (Datum) 0;
}

/* fetch_related_array(target anyelement, source regclass, relation text, keys anycompatiblearray) */
PG_FUNCTION_INFO_V1(fetch_related_array);
Datum
fetch_related_array(PG_FUNCTION_ARGS)
{
	MxEnterCall();
	MxFetchTyped(fcinfo, true);
	MxLeaveCall();
	return (Datum) 0;
}

/* A name[] of columns of relid */
static Datum
MxNameArrayDatum(Oid relid, int n, const AttrNumber *cols)
{
	Datum	   *names = palloc(sizeof(Datum) * n);
	int			i;

	for (i = 0; i < n; i++)
		names[i] = DirectFunctionCall1(namein,
									   CStringGetDatum(get_attname(relid, cols[i], false)));
	return PointerGetDatum(construct_array(names, n, NAMEOID, NAMEDATALEN, false,
										   TYPALIGN_CHAR));
}

/* Adds the view rows of one source's relations */
static void
MxEmitRelations(ReturnSetInfo *rsinfo, MxTable *t)
{
	int			i;

	for (i = 0; i < t->nrels; i++)
	{
		MxRelation *r = &t->rels[i];
		Datum		values[RELATIONS_COLS];
		bool		nulls[RELATIONS_COLS];
		MxHop	   *h0 = &r->hops[0];

		memset(nulls, 0, sizeof(nulls));
		values[0] = ObjectIdGetDatum(r->source);
		values[1] = CStringGetTextDatum(r->name);
		values[2] = CStringGetTextDatum(MxKindName(r->kind));
		values[3] = ObjectIdGetDatum(r->target);
		values[4] = MxNameArrayDatum(r->source, h0->nkeys, h0->outer_cols);
		if (r->nhops == 2)
		{
			MxHop	   *h1 = &r->hops[1];

			values[5] = MxNameArrayDatum(r->target, h1->nkeys, h1->inner_cols);
			values[6] = ObjectIdGetDatum(r->via);
			values[7] = MxNameArrayDatum(r->via, h0->nkeys, h0->inner_cols);
			values[8] = MxNameArrayDatum(r->via, h1->nkeys, h1->outer_cols);
		}
		else
		{
			values[5] = MxNameArrayDatum(r->target, h0->nkeys, h0->inner_cols);
			nulls[6] = nulls[7] = nulls[8] = true;
		}
		if (r->conname != NULL)
			values[9] = DirectFunctionCall1(namein, CStringGetDatum(r->conname));
		else
			nulls[9] = true;
		values[10] = CStringGetTextDatum(r->registered ? "registered" : "catalog");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * relations_all(): every relation of every table, the rows of the view
 * matrx_relations.relations.  Each table is locked only while it is read.
 */
PG_FUNCTION_INFO_V1(relations_all);
Datum
relations_all(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *sources;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	MxEnterCall();
	MxCatalogBeginCall();
	sources = list_concat_unique_oid(MxAllSources(), MxRegisteredSources());
	foreach(lc, sources)
	{
		Oid			relid = lfirst_oid(lc);
		bool		held;

		CHECK_FOR_INTERRUPTS();
		held = CheckRelationOidLockedByMe(relid, AccessShareLock, true);
		LockRelationOid(relid, AccessShareLock);
		if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
			MxEmitRelations(rsinfo, MxGetRelations(relid));
		if (!held)
			UnlockRelationOid(relid, AccessShareLock);
	}
	MxLeaveCall();
	return (Datum) 0;
}

/*
 * explain_related(source, VARIADIC relations): the statements the keys
 * form of prefetch_related runs, in order: the source rows, then one per
 * edge group, depth by depth.
 */
PG_FUNCTION_INFO_V1(explain_related);
Datum
explain_related(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			source_oid;
	ArrayType  *paths;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			attempt;
	MxTable    *src = NULL;
	MxPathNode *root = NULL;
	MxEdgeGroup *source_group;
	List	   *groups;
	ListCell   *lc;
	Datum		v;
	bool		isnull = false;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be null")));
	source_oid = PG_GETARG_OID(0);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	MxEnterCall();

	paths = PG_ARGISNULL(1) ? construct_empty_array(TEXTOID) : PG_GETARG_ARRAYTYPE_P(1);
	deconstruct_array(paths, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);

	for (attempt = 0; attempt < 5; attempt++)
	{
		MxCatalogBeginCall();
		src = MxOpenTable(source_oid, "source");
		root = MxParsePaths(source_oid, elems, nulls, n);
		if (!MxCatalogIsStale())
			break;
	}
	MxRequireSinglePrimaryKey(src);

	groups = MxPlanLoad(root, &source_group);
	v = CStringGetTextDatum(source_group->stmt.sql);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &v, &isnull);
	foreach(lc, groups)
	{
		v = CStringGetTextDatum(((MxEdgeGroup *) lfirst(lc))->stmt.sql);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &v, &isnull);
	}
	MxLeaveCall();
	return (Datum) 0;
}
