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

#define RELATIONS_COLS 11

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
	int			attempt;
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

	for (attempt = 0; attempt < 5; attempt++)
	{
		MxCatalogBeginCall();
		src = MxOpenTable(source_oid, "source");
		root = MxParsePaths(source_oid, elems, nulls, n);
		if (!MxCatalogIsStale())
			break;
	}
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
	int			attempt;

	if (!spec_form)
		MxPathsArg(fcinfo, argno, &paths, &nulls, &n);
	else if (!PG_ARGISNULL(argno))
		spec = PG_GETARG_JSONB_P(argno);
	for (attempt = 0; attempt < 5; attempt++)
	{
		MxCatalogBeginCall();
		req = MxNewRequest(PG_GETARG_OID(0), paths, nulls, n, spec_form, spec);
		if (!MxCatalogIsStale())
			break;
	}
	return req;
}

/*
 * The start of a keys-form call (source regclass, keys anyarray, VARIADIC
 * relations text[] or spec jsonb): argument checks, a materialize-mode
 * SRF, call bookkeeping, and the request with its distinct keys.
 */
MxRequest *
MxKeysFormCall(FunctionCallInfo fcinfo, bool spec_form)
{
	MxRequest  *req;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be null")));
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	MxEnterCall();
	mx_counters.calls++;
	req = MxOpenRequest(fcinfo, 2, spec_form);
	MxKeysArg(fcinfo, 1, req);
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
	MxRequest  *req = MxKeysFormCall(fcinfo, spec_form);

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
	MxRequest  *req;
	Jsonb	   *result;
	MxArrayWriter writer;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be null")));
	MxEnterCall();
	mx_counters.calls++;
	req = MxOpenRequest(fcinfo, 2, spec_form);
	if (PG_ARGISNULL(1))
	{
		MxLeaveCall();
		PG_RETURN_NULL();
	}
	MxRequestInstances(req, PG_GETARG_JSONB_P(1));
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

/* The value of key in a request object, or NULL */
static JsonbValue *
MxRequestField(Jsonb *obj, const char *key)
{
	return getKeyJsonValueFromContainer(&obj->root, key, strlen(key), NULL);
}

/*
 * The requests of a prefetch_batch (or load_batch) argument: shape checks
 * first, then names resolved (retried while invalidations arrive), then
 * each request's keys or instances.  requests is a jsonb array.
 */
List *
MxBatchRequests(Jsonb *requests)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *objs = NIL;
	List	   *reqs = NIL;
	ListCell   *lc;
	ListCell   *lc2;
	int			attempt;
	int			n;

	/* shape checks first, names after */
	it = JsonbIteratorInit(&requests->root);
	n = 0;
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		Jsonb	   *obj;
		JsonbValue *f;
		bool		has_keys;
		bool		has_inst;

		if (tok != WJB_ELEM)
			continue;
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("request %d is not an object", n)));
		obj = MxContainerToJsonb(&v);
		f = MxRequestField(obj, "source");
		if (f == NULL || f->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("request %d has no \"source\" string", n)));
		has_keys = MxRequestField(obj, "keys") != NULL;
		has_inst = MxRequestField(obj, "instances") != NULL;
		if (has_keys == has_inst)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("request %d must have either \"keys\" or \"instances\"", n)));
		f = MxRequestField(obj, "spec");
		if (f != NULL && MxRequestField(obj, "relations") != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("request %d has both \"relations\" and \"spec\"", n),
					 errhint("Give the relations either as paths or as a spec.")));
		if (f != NULL && f->type != jbvNull &&
			(f->type != jbvBinary || !JsonContainerIsObject(f->val.binary.data)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("request %d: \"spec\" must be an object", n)));
		f = MxRequestField(obj, "relations");
		if (f != NULL && f->type != jbvNull &&
			(f->type != jbvBinary || !JsonContainerIsArray(f->val.binary.data)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("request %d: \"relations\" must be an array of strings", n)));
		objs = lappend(objs, obj);
		n++;
	}

	for (attempt = 0; attempt < 5; attempt++)
	{
		MxCatalogBeginCall();
		reqs = NIL;
		n = 0;
		foreach(lc, objs)
		{
			Jsonb	   *obj = (Jsonb *) lfirst(lc);
			JsonbValue *f = MxRequestField(obj, "source");
			Oid			source = DatumGetObjectId(DirectFunctionCall1(regclassin,
																	  CStringGetDatum(pnstrdup(f->val.string.val, f->val.string.len))));
			int			npaths = 0;
			Datum	   *paths = NULL;
			bool	   *pnulls = NULL;

			f = MxRequestField(obj, "relations");
			if (f != NULL && f->type != jbvNull)
			{
				JsonbIterator *pit = JsonbIteratorInit(f->val.binary.data);
				JsonbValue	pv;

				paths = palloc(sizeof(Datum) * Max(JsonContainerSize(f->val.binary.data), 1));
				pnulls = palloc(sizeof(bool) * Max(JsonContainerSize(f->val.binary.data), 1));
				while ((tok = JsonbIteratorNext(&pit, &pv, true)) != WJB_DONE)
				{
					if (tok != WJB_ELEM)
						continue;
					if (pv.type == jbvNull)
					{
						pnulls[npaths] = true;
						paths[npaths++] = (Datum) 0;
						continue;
					}
					if (pv.type != jbvString)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("request %d: \"relations\" must be an array of strings", n)));
					pnulls[npaths] = false;
					paths[npaths++] = PointerGetDatum(cstring_to_text_with_len(pv.val.string.val,
																			   pv.val.string.len));
				}
			}
			f = MxRequestField(obj, "spec");
			reqs = lappend(reqs, MxNewRequest(source, paths, pnulls, npaths, f != NULL,
											  f != NULL && f->type != jbvNull ?
											  MxContainerToJsonb(f) : NULL));
			n++;
		}
		if (!MxCatalogIsStale())
			break;
	}

	n = 0;
	forboth(lc, objs, lc2, reqs)
	{
		Jsonb	   *obj = (Jsonb *) lfirst(lc);
		MxRequest  *req = (MxRequest *) lfirst(lc2);
		JsonbValue *f = MxRequestField(obj, "keys");
		char	   *what = psprintf("request %d:", n++);

		if (f != NULL)
		{
			if (f->type != jbvBinary)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s \"keys\" must be an array", what)));
			MxRequestKeysJson(req, MxContainerToJsonb(f), what);
		}
		else
		{
			f = MxRequestField(obj, "instances");
			if (f->type != jbvBinary)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s \"instances\" must be an array of objects", what)));
			MxRequestInstances(req, MxContainerToJsonb(f));
		}
	}

	return reqs;
}

/*
 * prefetch_batch(requests jsonb): many loads gathered by a caller answered
 * in one call, grouped across requests at every depth.
 */
PG_FUNCTION_INFO_V1(prefetch_batch);
Datum
prefetch_batch(PG_FUNCTION_ARGS)
{
	Jsonb	   *requests = PG_GETARG_JSONB_P(0);
	List	   *reqs;
	Jsonb	  **arrays;
	ListCell   *lc;
	int			n;
	Jsonb	   *result;

	if (!JB_ROOT_IS_ARRAY(requests) || JB_ROOT_IS_SCALAR(requests))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("requests must be a jsonb array of objects")));
	MxEnterCall();
	mx_counters.calls++;
	reqs = MxBatchRequests(requests);
	MxLoad(reqs);
	arrays = palloc(sizeof(Jsonb *) * Max(list_length(reqs), 1));
	n = 0;
	foreach(lc, reqs)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);

		arrays[n++] = MxJsonbArray(req->nresults, req->results);
	}
	result = MxJsonbArray(n, arrays);
	MxLeaveCall();
	PG_RETURN_JSONB_P(result);
}

/* stats(): this backend's counters since it started */
PG_FUNCTION_INFO_V1(stats);
Datum
stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[8];
	bool		nulls[8];

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

/* select_related's documents by key, as its statement returns them */
typedef struct MxJoinedRows
{
	MxKeySet   *keys;			/* the keys fetched, in order */
	Jsonb	  **docs;			/* per key: its document, or NULL */
	MemoryContext cxt;
} MxJoinedRows;

/* Row callback of select_related: a key and its document */
static void
MxCollectJoinedRow(void *arg, HeapTuple tuple, TupleDesc desc)
{
	MxJoinedRows *jr = (MxJoinedRows *) arg;
	bool		isnull;
	Datum		key = SPI_getbinval(tuple, desc, 1, &isnull);
	Datum		d = SPI_getbinval(tuple, desc, 2, &isnull);
	int			k = MxKeySetFind(jr->keys, &key);

	if (!isnull && k >= 0)
	{
		MemoryContext old = MemoryContextSwitchTo(jr->cxt);

		jr->docs[k] = DatumGetJsonbPCopy(d);
		MemoryContextSwitchTo(old);
	}
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
	MxRequest  *req = MxKeysFormCall(fcinfo, spec_form);
	MxTable    *src;

	MxJoinedRows jr;
	int			f = 0;
	int			i;

	src = MxGetTable(req->source);
	if (req->nkeys == 0)
	{
		MxLeaveCall();
		return (Datum) 0;
	}
	/* documents the relation cache holds; one statement for the others */
	MxRequestCache(req, "select_related");
	jr.cxt = CurrentMemoryContext;
	jr.keys = MxKeySetCreate(jr.cxt, 1, src->pk_types, src->pk_collations);
	jr.docs = palloc0(sizeof(Jsonb *) * Max(req->nfetch, 1));
	for (i = 0; i < req->nfetch; i++)
	{
		bool		isnew;

		CHECK_FOR_INTERRUPTS();
		(void) MxKeySetAdd(jr.keys, &req->fetch[i], &isnew);
	}
	if (req->nfetch > 0)
	{
		int			nopt;
		Datum	   *opt_params;
		Oid		   *opt_types;
		char	   *sql = MxBuildJoinedSQL(src, req->root, &nopt, &opt_params, &opt_types);
		Oid		   *argtypes = palloc(sizeof(Oid) * (nopt + 1));
		Datum	   *params = palloc(sizeof(Datum) * (nopt + 1));
		int16		len;
		bool		byval;
		char		align;

		/* $1 the keys, then the spec's values */
		argtypes[0] = get_array_type(src->pk_types[0]);
		memcpy(&argtypes[1], opt_types, sizeof(Oid) * nopt);
		memcpy(&params[1], opt_params, sizeof(Datum) * nopt);
		get_typlenbyvalalign(src->pk_types[0], &len, &byval, &align);
		params[0] = PointerGetDatum(construct_array(req->fetch, req->nfetch, src->pk_types[0],
													len, byval, align));
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		MxRunPlan(MxChoosePlan(sql, nopt + 1, argtypes, req->nfetch), params, NULL, MxCollectJoinedRow, &jr);
		SPI_finish();
	}
	for (i = 0; i < req->nkeys; i++)
	{
		Jsonb	   *doc;

		CHECK_FOR_INTERRUPTS();
		if (!MxRequestCached(req, i, &doc))
		{
			doc = jr.docs[f++];
			MxRequestRemember(req, i, doc);
		}
		if (doc != NULL)
			MxEmitToTuplestore(rsinfo, doc);
	}
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
