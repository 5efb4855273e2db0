/*-------------------------------------------------------------------------
 *
 * typedfuncs.c
 *		The SQL functions of the typed form: load (keys or instances, paths
 *		or a spec), load_batch and load_nodes, the nodes a client attaches
 *		load's rows by.  The output itself is written in typed.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "keys.h"
#include "loader.h"
#include "matrx_relations.h"
#include "path.h"
#include "spec.h"
#include "typed.h"

#define LOAD_NODES_COLS 9

/* the forms of load and load_batch */
typedef enum MxLoadForm
{
	MX_LOAD_KEYS,
	MX_LOAD_KEYS_SPEC,
	MX_LOAD_INSTANCES,
	MX_LOAD_INSTANCES_SPEC,
	MX_LOAD_BATCH,
	MX_LOAD_FLAT = 16			/* or'ed in: load_flat, load_batch_flat */
} MxLoadForm;

/*
 * Whether the call streams its rows, a value per call: load in a SELECT
 * list (ProjectSet).  In FROM the executor prefers a tuplestore, which it
 * would fill with whatever came: the rows are written into one at once.
 */
static bool
MxStreamed(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	return rsinfo != NULL && IsA(rsinfo, ReturnSetInfo) &&
		(rsinfo->allowedModes & SFRM_ValuePerCall) != 0 &&
		(rsinfo->allowedModes & SFRM_Materialize_Preferred) == 0 &&
		rsinfo->expectedDesc != NULL;
}

/*
 * The requests of a call of load or load_batch, with the call's start
 * (checks, bookkeeping, a materialize-mode SRF unless streamed); NIL when
 * the instances are NULL
 */
static List *
MxLoadRequests(FunctionCallInfo fcinfo, int form, bool stream)
{
	bool		spec_form = form == MX_LOAD_KEYS_SPEC || form == MX_LOAD_INSTANCES_SPEC;

	if (form == MX_LOAD_BATCH)
	{
		Jsonb	   *requests = PG_GETARG_JSONB_P(0);

		if (!JB_ROOT_IS_ARRAY(requests) || JB_ROOT_IS_SCALAR(requests))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("requests must be a jsonb array of objects")));
		if (!stream)
			InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
		MxEnterCall();
		mx_counters.calls++;
		return MxBatchRequests(requests);
	}
	if (form == MX_LOAD_INSTANCES || form == MX_LOAD_INSTANCES_SPEC)
	{
		MxRequest  *req = MxInstancesFormCall(fcinfo, spec_form, !stream);

		return req != NULL ? list_make1(req) : NIL;
	}
	return list_make1(MxKeysFormCall(fcinfo, spec_form, !stream));
}

/*
 * A call of load or load_batch: in FROM, every row into the call's
 * tuplestore; in a SELECT list, a row per call (MxTypedStreamStart), the
 * first call starting the load in the SRF's multi-call memory
 */
static Datum
MxLoadCall(FunctionCallInfo fcinfo, int form)
{
	FuncCallContext *funcctx;
	MxTypedStream *st;
	Datum		row;
	bool		done;
	bool		flat = (form & MX_LOAD_FLAT) != 0;

	form &= ~MX_LOAD_FLAT;
	/* (load_flat returns record: PostgreSQL calls it in FROM only) */
	if (flat || !MxStreamed(fcinfo))
	{
		List	   *reqs = MxLoadRequests(fcinfo, form, false);

		if (reqs != NIL)
			MxTypedLoad(reqs, (ReturnSetInfo *) fcinfo->resultinfo, form == MX_LOAD_BATCH, flat);
		MxLeaveCall();
		return (Datum) 0;
	}
	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		List	   *reqs;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		reqs = MxLoadRequests(fcinfo, form, true);
		funcctx->user_fctx = reqs == NIL ? NULL :
			MxTypedStreamStart(reqs, ((ReturnSetInfo *) fcinfo->resultinfo)->expectedDesc,
							   form == MX_LOAD_BATCH);
		MxLeaveCall();
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	st = (MxTypedStream *) funcctx->user_fctx;
	if (st == NULL)
		SRF_RETURN_DONE(funcctx);
	MxEnterCall();
	row = MxTypedStreamNext(st, &done);
	MxLeaveCall();
	if (done)
		SRF_RETURN_DONE(funcctx);
	SRF_RETURN_NEXT(funcctx, row);
}

/* load(source regclass, keys anyarray, VARIADIC relations text[]) */
PG_FUNCTION_INFO_V1(load_keys);
Datum
load_keys(PG_FUNCTION_ARGS)
{
	return MxLoadCall(fcinfo, MX_LOAD_KEYS);
}

/* load(source regclass, keys anyarray, spec jsonb) */
PG_FUNCTION_INFO_V1(load_keys_spec);
Datum
load_keys_spec(PG_FUNCTION_ARGS)
{
	return MxLoadCall(fcinfo, MX_LOAD_KEYS_SPEC);
}

/* load(source regclass, instances jsonb, VARIADIC relations text[]) */
PG_FUNCTION_INFO_V1(load_instances);
Datum
load_instances(PG_FUNCTION_ARGS)
{
	return MxLoadCall(fcinfo, MX_LOAD_INSTANCES);
}

/* load(source regclass, instances jsonb, spec jsonb) */
PG_FUNCTION_INFO_V1(load_instances_spec);
Datum
load_instances_spec(PG_FUNCTION_ARGS)
{
	return MxLoadCall(fcinfo, MX_LOAD_INSTANCES_SPEC);
}

/* load_batch(requests jsonb): prefetch_batch's requests, typed and normalized */
PG_FUNCTION_INFO_V1(load_batch);
Datum
load_batch(PG_FUNCTION_ARGS)
{
	return MxLoadCall(fcinfo, MX_LOAD_BATCH);
}

/*
 * load_flat(...) and load_batch_flat(requests jsonb), RETURNS SETOF record:
 * load's and load_batch's rows with each row's fields as columns of their
 * own (a group per table and set of columns, in load_nodes order), which
 * drivers decode as plain columns; the caller's column list gives them
 */
PG_FUNCTION_INFO_V1(load_flat_keys);
Datum
load_flat_keys(PG_FUNCTION_ARGS)
{
	return MxLoadCall(fcinfo, MX_LOAD_KEYS | MX_LOAD_FLAT);
}

/* load_flat(source regclass, keys anyarray, spec jsonb) */
PG_FUNCTION_INFO_V1(load_flat_keys_spec);
Datum
load_flat_keys_spec(PG_FUNCTION_ARGS)
{
	return MxLoadCall(fcinfo, MX_LOAD_KEYS_SPEC | MX_LOAD_FLAT);
}

/* load_flat(source regclass, instances jsonb, VARIADIC relations text[]) */
PG_FUNCTION_INFO_V1(load_flat_instances);
Datum
load_flat_instances(PG_FUNCTION_ARGS)
{
	return MxLoadCall(fcinfo, MX_LOAD_INSTANCES | MX_LOAD_FLAT);
}

/* load_flat(source regclass, instances jsonb, spec jsonb) */
PG_FUNCTION_INFO_V1(load_flat_instances_spec);
Datum
load_flat_instances_spec(PG_FUNCTION_ARGS)
{
	return MxLoadCall(fcinfo, MX_LOAD_INSTANCES_SPEC | MX_LOAD_FLAT);
}

/* load_batch_flat(requests jsonb) */
PG_FUNCTION_INFO_V1(load_batch_flat);
Datum
load_batch_flat(PG_FUNCTION_ARGS)
{
	return MxLoadCall(fcinfo, MX_LOAD_BATCH | MX_LOAD_FLAT);
}

/* The output columns of a node's rows and their types, as arrays */
static void
MxNodeColumns(MxPathNode *node, Datum *names, Datum *types)
{
	TupleDesc	desc = lookup_rowtype_tupdesc(get_rel_type_id(node->table), -1);
	bool		all = node->opts == NULL || node->opts->ncolumns < 0;
	int			ncols = all ? desc->natts : node->opts->ncolumns;
	Datum	   *nv = palloc(sizeof(Datum) * Max(ncols, 1));
	Datum	   *tv = palloc(sizeof(Datum) * Max(ncols, 1));
	int			n = 0;
	int			i;

	for (i = 0; i < ncols; i++)
	{
		AttrNumber	attnum = all ? i + 1 : node->opts->columns[i];
		Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
		Name		name;

		if (att->attisdropped)
			continue;
		name = palloc0(NAMEDATALEN);
		namestrcpy(name, NameStr(att->attname));
		nv[n] = NameGetDatum(name);
		tv[n] = ObjectIdGetDatum(att->atttypid);
		n++;
	}
	ReleaseTupleDesc(desc);
	*names = PointerGetDatum(construct_array(nv, n, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR));
	*types = PointerGetDatum(construct_array(tv, n, REGTYPEOID, sizeof(Oid), true, TYPALIGN_INT));
}

/*
 * load_nodes(source regclass, VARIADIC relations text[] or spec jsonb):
 * the nodes of load's output, node 0 the source, in their numbering
 */
static Datum
MxLoadNodes(FunctionCallInfo fcinfo, bool spec_form)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MxRequest  *req;
	List	   *nodes;
	ListCell   *lc;

	MxStartCall(fcinfo, true, false);
	req = MxOpenRequest(fcinfo, 1, spec_form);
	nodes = MxNodesInOrder(req->root);
	foreach(lc, nodes)
	{
		MxPathNode *node = (MxPathNode *) lfirst(lc);
		Datum		values[LOAD_NODES_COLS];
		bool		nulls[LOAD_NODES_COLS];
		bool		root = node->rel == NULL;

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(foreach_current_index(lc));
		nulls[1] = nulls[2] = nulls[3] = nulls[4] = nulls[5] = root;
		if (!root)
		{
			values[1] = Int32GetDatum(MxNodeNumber(nodes, node->parent));
			values[2] = CStringGetTextDatum(node->key);
			values[3] = CStringGetTextDatum(node->rel->name);
			values[4] = CStringGetTextDatum(MxKindName(node->rel->kind));
			values[5] = BoolGetDatum(!MxRelToOne(node->rel));
		}
		values[6] = ObjectIdGetDatum(node->table);
		MxNodeColumns(node, &values[7], &values[8]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MxLeaveCall();
	return (Datum) 0;
}

/* load_nodes(source regclass, VARIADIC relations text[]) */
PG_FUNCTION_INFO_V1(load_nodes);
Datum
load_nodes(PG_FUNCTION_ARGS)
{
	return MxLoadNodes(fcinfo, false);
}

/* load_nodes(source regclass, spec jsonb) */
PG_FUNCTION_INFO_V1(load_nodes_spec);
Datum
load_nodes_spec(PG_FUNCTION_ARGS)
{
	return MxLoadNodes(fcinfo, true);
}
