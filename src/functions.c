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
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "execute.h"
#include "assemble.h"
#include "cache.h"
#include "keys.h"
#include "loader.h"
#include "matrx_relations.h"
#include "path.h"
#include "sqlgen.h"

#define RELATIONS_COLS 14

static Datum MxNameArrayDatum(Oid relid, int n, const AttrNumber *cols);
static void MxEmitRelations(ReturnSetInfo *rsinfo, MxTable *t);
static void MxPathsArg(FunctionCallInfo fcinfo, int argno, Datum **elems, bool **nulls, int *n);

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
		values[11] = CStringGetTextDatum(MxRelToOne(r) ? "one" : "many");
		/* registered relations: their published set and options */
		nulls[12] = r->relation_set == NULL;
		values[12] = r->relation_set ? CStringGetTextDatum(r->relation_set) : (Datum) 0;
		nulls[13] = r->options == NULL;
		values[13] = r->options ? JsonbPGetDatum(r->options) : (Datum) 0;
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
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			attempt = 0;
	MxTable    *src = NULL;
	MxPathNode *root = NULL;
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

	MxPathsArg(fcinfo, 1, &elems, &nulls, &n);

	do
	{
		MxCatalogBeginCall();
		src = MxOpenTable(source_oid, "source");
		root = MxParsePaths(source_oid, elems, nulls, n);
	} while (MxRetryStale(&attempt));
	MxRequireSinglePrimaryKey(src);

	groups = MxPlanLoad(list_make1(root));
	foreach(lc, groups)
	{
		v = CStringGetTextDatum(((MxEdgeGroup *) lfirst(lc))->stmt.sql);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &v, &isnull);
	}
	MxLeaveCall();
	return (Datum) 0;
}

/* The paths of a VARIADIC text[] argument (NULL: none) */
static void
MxPathsArg(FunctionCallInfo fcinfo, int argno, Datum **elems, bool **nulls, int *n)
{
	ArrayType  *paths = PG_ARGISNULL(argno) ? construct_empty_array(TEXTOID) :
		PG_GETARG_ARRAYTYPE_P(argno);

	if (ARR_NDIM(paths) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relations must be a one-dimensional array")));
	deconstruct_array(paths, TEXTOID, -1, false, TYPALIGN_INT, elems, nulls, n);
}

/* The keys form's keys argument (anyarray; NULL: none) into req */
static void
MxKeysArg(FunctionCallInfo fcinfo, int argno, MxRequest *req)
{
	ArrayType  *keys;
	Oid			elemtype;
	int16		len;
	bool		byval;
	char		align;
	Datum	   *values;
	bool	   *nulls;
	int			n;

	if (PG_ARGISNULL(argno))
	{
		MxRequestKeys(req, NULL, NULL, 0, MxGetTable(req->source)->pk_types[0]);
		return;
	}
	keys = PG_GETARG_ARRAYTYPE_P(argno);
	elemtype = ARR_ELEMTYPE(keys);
	if (ARR_NDIM(keys) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("keys must be a one-dimensional array")));
	get_typlenbyvalalign(elemtype, &len, &byval, &align);
	deconstruct_array(keys, elemtype, len, byval, align, &values, &nulls, &n);
	MxRequestKeys(req, values, nulls, n, elemtype);
}

/*
 * A request for source and the relations argument at argno (VARIADIC
 * text[] paths, or with spec_form a spec jsonb), retried while
 * invalidations arrive
 */
MxRequest *
MxOpenRequest(FunctionCallInfo fcinfo, int argno, bool spec_form)
{
	MxRequest  *req = NULL;
	Datum	   *paths = NULL;
	bool	   *nulls = NULL;
	int			n = 0;
	Jsonb	   *spec = NULL;
	int			attempt = 0;

	if (!spec_form)
		MxPathsArg(fcinfo, argno, &paths, &nulls, &n);
	else if (!PG_ARGISNULL(argno))
		spec = PG_GETARG_JSONB_P(argno);
	do
	{
		MxCatalogBeginCall();
		req = MxNewRequest(PG_GETARG_OID(0), paths, nulls, n, spec_form, spec);
	} while (MxRetryStale(&attempt));
	return req;
}

/*
 * The start of a call on a source (argument 0, not NULL): with srf a
 * materialize-mode SRF, call bookkeeping, counted among the loads when
 * count
 */
void
MxStartCall(FunctionCallInfo fcinfo, bool srf, bool count)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be null")));
	if (srf)
		InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	MxEnterCall();
	if (count)
		mx_counters.calls++;
}

/*
 * The start of a keys-form call (source regclass, keys anyarray, VARIADIC
 * relations text[] or spec jsonb): argument checks, a materialize-mode
 * SRF (srf), call bookkeeping, and the request with its distinct keys.
 */
MxRequest *
MxKeysFormCall(FunctionCallInfo fcinfo, bool spec_form, bool srf)
{
	MxRequest  *req;

	MxStartCall(fcinfo, srf, true);
	req = MxOpenRequest(fcinfo, 2, spec_form);
	MxKeysArg(fcinfo, 1, req);
	return req;
}

/*
 * The start of an instances-form call (source regclass, instances jsonb,
 * VARIADIC relations text[] or spec jsonb), as MxKeysFormCall's (srf: a
 * materialize-mode SRF); the request with its instances, or NULL when the
 * instances are NULL
 */
MxRequest *
MxInstancesFormCall(FunctionCallInfo fcinfo, bool spec_form, bool srf)
{
	MxRequest  *req;

	MxStartCall(fcinfo, srf, true);
	req = MxOpenRequest(fcinfo, 2, spec_form);
	if (PG_ARGISNULL(1))
		return NULL;
	MxRequestInstances(req, PG_GETARG_JSONB_P(1));
	return req;
}

/* Puts one document into the SRF's tuplestore */
static void
MxEmitToTuplestore(void *arg, Jsonb *doc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		v = JsonbPGetDatum(doc);
	bool		isnull = false;

	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &v, &isnull);
}

/* Appends one document to a result array being written */
static void
MxEmitToArray(void *arg, Jsonb *doc)
{
	MxArrayAdd((MxArrayWriter *) arg, doc);
}

/* The keys form of prefetch_related, with paths or a spec */
static Datum
MxPrefetchKeys(FunctionCallInfo fcinfo, bool spec_form)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MxRequest  *req = MxKeysFormCall(fcinfo, spec_form, true);

	req->emit = MxEmitToTuplestore;
	req->emit_arg = rsinfo;
	MxLoad(list_make1(req));
	MxLeaveCall();
	return (Datum) 0;
}

/* prefetch_related(source regclass, keys anyarray, VARIADIC relations text[]) */
PG_FUNCTION_INFO_V1(prefetch_related);
Datum
prefetch_related(PG_FUNCTION_ARGS)
{
	return MxPrefetchKeys(fcinfo, false);
}

/* prefetch_related(source regclass, keys anyarray, spec jsonb) */
PG_FUNCTION_INFO_V1(prefetch_related_spec);
Datum
prefetch_related_spec(PG_FUNCTION_ARGS)
{
	return MxPrefetchKeys(fcinfo, true);
}

/* The instances form of prefetch_related, with paths or a spec */
static Datum
MxPrefetchInstances(FunctionCallInfo fcinfo, bool spec_form)
{
	MxRequest  *req = MxInstancesFormCall(fcinfo, spec_form, false);
	Jsonb	   *result;
	MxArrayWriter writer;

	if (req == NULL)
	{
		MxLeaveCall();
		PG_RETURN_NULL();
	}
	/* each document goes straight into the result array: held once, not twice */
	MxArrayBegin(&writer, req->ninstances);
	req->emit = MxEmitToArray;
	req->emit_arg = &writer;
	MxLoad(list_make1(req));
	result = MxArrayEnd(&writer);
	MxLeaveCall();
	PG_RETURN_JSONB_P(result);
}

/* prefetch_related(source regclass, instances jsonb, VARIADIC relations text[]) */
PG_FUNCTION_INFO_V1(prefetch_related_instances);
Datum
prefetch_related_instances(PG_FUNCTION_ARGS)
{
	return MxPrefetchInstances(fcinfo, false);
}

/* prefetch_related(source regclass, instances jsonb, spec jsonb) */
PG_FUNCTION_INFO_V1(prefetch_related_instances_spec);
Datum
prefetch_related_instances_spec(PG_FUNCTION_ARGS)
{
	return MxPrefetchInstances(fcinfo, true);
}

/*
 * prefetch_batch(requests jsonb): many loads gathered by a caller answered
 * in one call, grouped across requests at every depth (batch.c reads the
 * requests).
 */
PG_FUNCTION_INFO_V1(prefetch_batch);
Datum
prefetch_batch(PG_FUNCTION_ARGS)
{
	List	   *reqs;
	Jsonb	 ***docs;
	int		   *counts;
	ListCell   *lc;
	int			n = 0;
	Jsonb	   *result;

	MxEnterCall();
	mx_counters.calls++;
	reqs = MxBatchRequests(PG_GETARG_JSONB_P(0));
	MxLoad(reqs);
	/* the array of each request's array, written in one piece */
	docs = palloc(sizeof(Jsonb **) * Max(list_length(reqs), 1));
	counts = palloc(sizeof(int) * Max(list_length(reqs), 1));
	foreach(lc, reqs)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);

		counts[n] = req->nresults;
		docs[n++] = req->results;
	}
	result = MxJsonbArrays(n, counts, docs);
	MxLeaveCall();
	PG_RETURN_JSONB_P(result);
}

/* stats(): this backend's counters since it started */
PG_FUNCTION_INFO_V1(stats);
Datum
stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[12];
	bool		nulls[12];

	InitMaterializedSRF(fcinfo, 0);
	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum(mx_counters.calls);
	values[1] = Int64GetDatum(mx_counters.statements);
	values[2] = Int64GetDatum(mx_counters.rows_fetched);
	values[3] = Int64GetDatum(mx_counters.cache_hits);
	values[4] = Int64GetDatum(mx_counters.cache_misses);
	values[5] = Int64GetDatum(MxCacheEntries());
	values[6] = Int64GetDatum(MxCacheBytes());
	values[7] = Int64GetDatum(mx_counters.cache_invalidations);
	values[8] = Int64GetDatum(mx_counters.plans_prepared);
	values[9] = Int64GetDatum(mx_counters.plans_evicted);
	values[10] = Int64GetDatum(MxPlanCacheBytes());
	values[11] = Int64GetDatum(mx_counters.metadata_loads);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/* cache_reset(): empties this backend's relation cache */
PG_FUNCTION_INFO_V1(cache_reset);
Datum
cache_reset(PG_FUNCTION_ARGS)
{
	/* inside a running load (a view calling this), the load's hits stay valid */
	if (MxCallDepth() > 0)
		MxCacheFlush();
	else
		MxCacheReset();
	PG_RETURN_VOID();
}

/*
 * select_related(source regclass, keys anyarray, VARIADIC relations text[]
 * or spec jsonb): prefetch_related's documents from exactly one statement
 * (joined.c).
 */
static Datum
MxSelectRelated(FunctionCallInfo fcinfo, bool spec_form)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MxRequest  *req = MxKeysFormCall(fcinfo, spec_form, true);

	req->emit = MxEmitToTuplestore;
	req->emit_arg = rsinfo;
	MxJoinedLoad(req);
	MxLeaveCall();
	return (Datum) 0;
}

/* select_related(source regclass, keys anyarray, VARIADIC relations text[]) */
PG_FUNCTION_INFO_V1(select_related);
Datum
select_related(PG_FUNCTION_ARGS)
{
	return MxSelectRelated(fcinfo, false);
}

/* select_related(source regclass, keys anyarray, spec jsonb) */
PG_FUNCTION_INFO_V1(select_related_spec);
Datum
select_related_spec(PG_FUNCTION_ARGS)
{
	return MxSelectRelated(fcinfo, true);
}
