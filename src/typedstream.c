/*-------------------------------------------------------------------------
 *
 * typedstream.c
 *		Where a typed load's rows go (typed.c writes them): into the call's
 *		tuplestore, kept between calls (load in FROM, load_batch), or one
 *		per call of a streamed load (in a SELECT list), whose statements
 *		run level by level as its rows are asked for.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"
#include "utils/tuplestore.h"

#include "loader.h"
#include "matrx_relations.h"
#include "path.h"
#include "spec.h"
#include "typed.h"

/*
 * The results' tuplestores are kept in memory that stays between calls
 * (their tuples are freed one by one when the executor ends them, and
 * reused by the next call: not mapped and faulted in again); when the
 * last query using it is done with it and it holds more than twice
 * work_mem (a tuplestore keeps up to work_mem of tuples in memory, in
 * blocks of doubling sizes), it is given back.
 */
static MemoryContext mx_result_cxt = NULL;
static int	mx_result_users = 0;	/* queries with a tuplestore in it */

/* A query that had a tuplestore in the results' memory is done with it (its memory goes) */
static void
MxResultsDone(void *arg)
{
	if (--mx_result_users == 0 &&
		MemoryContextMemAllocated(mx_result_cxt, true) > (Size) work_mem * 2048)
		MemoryContextReset(mx_result_cxt);
}

/*
 * Replaces the call's (empty) tuplestore by one in the results' kept
 * memory, counted as used until the query's memory goes
 */
static void
MxKeptTuplestore(ReturnSetInfo *rsinfo)
{
	MemoryContext per_query = rsinfo->econtext->ecxt_per_query_memory;
	MemoryContextCallback *cb;
	MemoryContext old;

	if (mx_result_cxt == NULL)
		mx_result_cxt = AllocSetContextCreate(TopMemoryContext, "matrx_relations results",
											  ALLOCSET_DEFAULT_SIZES);
	cb = MemoryContextAlloc(per_query, sizeof(MemoryContextCallback));
	cb->func = MxResultsDone;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(per_query, cb);
	mx_result_users++;
	tuplestore_end(rsinfo->setResult);
	old = MemoryContextSwitchTo(mx_result_cxt);
	rsinfo->setResult = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
											  false, work_mem);
	MemoryContextSwitchTo(old);
}

/*
 * load_flat's columns of one table and set of output columns: each row's
 * fields go there, the other groups' columns NULL
 */
typedef struct MxFlatGroup
{
	Oid			table;
	const MxEdgeOpts *opts;
	int			at;				/* its first column */
} MxFlatGroup;

/* The types of a node's output columns (its table's, or its spec's "columns") */
static List *
MxFlatTypes(MxPathNode *node)
{
	List	   *types = NIL;
	int			i;

	if (node->opts != NULL && node->opts->ncolumns >= 0)
	{
		for (i = 0; i < node->opts->ncolumns; i++)
			types = lappend_oid(types, get_atttype(node->table, node->opts->columns[i]));
	}
	else
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(get_rel_type_id(node->table), -1);

		for (i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped)
				types = lappend_oid(types, TupleDescAttr(desc, i)->atttypid);
		ReleaseTupleDesc(desc);
	}
	return types;
}

/* The caller's column list does not match column at of the load's: 42804 */
static void
MxFlatMismatch(int at, Oid want, Oid have, MxPathNode *node)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column definition list does not match the columns of load_flat"),
			 errdetail(have == InvalidOid ?
					   "Column %d should be %s (of %s); the list ends before it." :
					   "Column %d should be %s (of %s), not %s.",
					   at + 1, format_type_be(want),
					   node != NULL ? format_type_be(get_rel_type_id(node->table)) : "the links",
					   have == InvalidOid ? "" : format_type_be(have)),
			 errhint("List node, id and parent as integer (request first for load_batch_flat), then "
					 "the columns of each table that load_nodes lists, in its order, once per table "
					 "and set of columns.")));
}

/*
 * load_flat's column groups, checked against the caller's column list:
 * the link columns, then each table's (and set of columns') in the order
 * of their first node, over every request
 */
static void
MxFlatGroups(MxTypedSink *sink, List *reqs, TupleDesc desc)
{
	int			at = sink->batch ? 4 : 3;
	ListCell   *lc;
	int			i;

	for (i = 0; i < at; i++)
		if (i >= desc->natts || TupleDescAttr(desc, i)->atttypid != INT4OID)
			MxFlatMismatch(i, INT4OID, i < desc->natts ? TupleDescAttr(desc, i)->atttypid : InvalidOid,
						   NULL);
	foreach(lc, reqs)
	{
		ListCell   *nc;

		foreach(nc, MxNodesInOrder(((MxRequest *) lfirst(lc))->root))
		{
			MxPathNode *node = (MxPathNode *) lfirst(nc);
			MxFlatGroup *g;
			ListCell   *tc;

			if (MxFlatGroupAt(sink, node) >= 0)
				continue;
			g = palloc(sizeof(MxFlatGroup));
			g->table = node->table;
			g->opts = node->opts;
			g->at = at;
			sink->groups = lappend(sink->groups, g);
			foreach(tc, MxFlatTypes(node))
			{
				Oid			want = lfirst_oid(tc);
				Oid			have = at < desc->natts ? TupleDescAttr(desc, at)->atttypid : InvalidOid;

				if (have != want)
					MxFlatMismatch(at, want, have, node);
				at++;
			}
		}
	}
	if (at != desc->natts)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column definition list does not match the columns of load_flat"),
				 errdetail("The load has %d columns; the list has %d.", at, desc->natts)));
	sink->flat_cxt = CurrentMemoryContext;
	sink->values = palloc(sizeof(Datum) * desc->natts);
	sink->nulls = palloc(sizeof(bool) * desc->natts);
}

/* The first column of the group of node's table and columns, or -1 */
int
MxFlatGroupAt(MxTypedSink *sink, MxPathNode *node)
{
	ListCell   *lc;

	foreach(lc, sink->groups)
	{
		MxFlatGroup *g = (MxFlatGroup *) lfirst(lc);

		if (g->table == node->table && MxSameColumns(g->opts, node->opts))
			return g->at;
	}
	return -1;
}

/*
 * Puts a load_flat result row into the tuplestore: the link columns, and
 * the record's fields (desc: its row type) from column at on
 */
void
MxFlatRow(MxTypedSink *sink, int nints, const int32 *ints, const bool *nulls,
		  HeapTupleHeader record, TupleDesc desc, int at)
{
	ReturnSetInfo *rsinfo = sink->rsinfo;
	int			natts = rsinfo->setDesc->natts;
	int			i;

	memset(sink->nulls, true, sizeof(bool) * natts);
	for (i = 0; i < nints; i++)
	{
		sink->values[i] = Int32GetDatum(ints[i]);
		sink->nulls[i] = nulls[i];
	}
	if (record != NULL)
	{
		HeapTupleData tuple;

		if (desc->natts > sink->nfields)
		{
			/* (in the call's memory: a request's own is reset between requests) */
			if (sink->fields != NULL)
			{
				pfree(sink->fields);
				pfree(sink->field_nulls);
			}
			sink->nfields = desc->natts;
			sink->fields = MemoryContextAlloc(sink->flat_cxt, sizeof(Datum) * desc->natts);
			sink->field_nulls = MemoryContextAlloc(sink->flat_cxt, sizeof(bool) * desc->natts);
		}
		tuple.t_len = HeapTupleHeaderGetDatumLength(record);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = record;
		heap_deform_tuple(&tuple, desc, sink->fields, sink->field_nulls);
		for (i = 0; i < desc->natts; i++)
		{
			if (TupleDescAttr(desc, i)->attisdropped)
				continue;
			sink->values[at] = sink->fields[i];
			sink->nulls[at++] = sink->field_nulls[i];
		}
	}
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, sink->values, sink->nulls);
}

/*
 * Runs a typed load of reqs into the SRF's tuplestore (flat: load_flat's
 * columns, the caller's column list checked first)
 */
void
MxTypedLoad(List *reqs, ReturnSetInfo *rsinfo, bool batch, bool flat)
{
	MxTypedSink sink;
	ListCell   *lc;

	MxKeptTuplestore(rsinfo);
	memset(&sink, 0, sizeof(sink));
	sink.rsinfo = rsinfo;
	sink.batch = batch;
	sink.flat = flat;
	if (flat)
		MxFlatGroups(&sink, reqs, rsinfo->setDesc);
	else
		sink.direct = MxDirectDesc(rsinfo->setDesc);
	foreach(lc, reqs)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);

		req->typed = true;
		req->emit_arg = &sink;
	}
	MxLoad(reqs);
}

/*
 * A typed load streamed a row per call (a SELECT list's load: no
 * tuplestore), its statements run as the rows that need them are asked
 * for: the rows of the first levels go to the client while the server
 * still works on the deeper ones.  It lives in the SRF's multi-call
 * memory; freeing that ends it (last row, or the query ended early, or
 * an error).
 */
struct MxTypedStream
{
	MxTypedSink sink;
	MxLoadRun  *run;
	MxTypedIter *it;
	uint64		token;			/* MxStreamOpen's */
	MemoryContextCallback cb;
};

/* The stream's memory goes: it is no longer open */
static void
MxTypedStreamEnd(void *arg)
{
	MxStreamClose(((MxTypedStream *) arg)->token);
}

/*
 * Runs fn on a stream with the loader's globals set to its load (restored
 * after, errors included: another load may run between a stream's calls)
 */
static void
MxTypedStreamStep(MxTypedStream *st, List *reqs)
{
	MemoryContext saved_load = mx_load_cxt;
	MemoryContext saved_scratch = mx_scratch_cxt;
	MemoryContext caller = CurrentMemoryContext;

	PG_TRY();
	{
		if (st->run == NULL)
		{
			st->run = MxLoadStart(reqs);
			st->it = MxTypedIterStart(st->run);
		}
		else
		{
			mx_load_cxt = st->run->load_cxt;
			mx_scratch_cxt = st->run->scratch_cxt;
			MemoryContextSwitchTo(st->run->load_cxt);
			st->sink.row = NULL;
			st->sink.call_cxt = caller;
			(void) MxTypedIterNext(st->it);
		}
	}
	PG_FINALLY();
	{
		mx_load_cxt = saved_load;
		mx_scratch_cxt = saved_scratch;
		MemoryContextSwitchTo(caller);
	}
	PG_END_TRY();
}

/*
 * Starts streaming a typed load of reqs, in the current memory context
 * (the SRF's multi-call memory); desc is the result's row type
 */
MxTypedStream *
MxTypedStreamStart(List *reqs, TupleDesc desc, bool batch)
{
	MxTypedStream *st = palloc0(sizeof(MxTypedStream));
	ListCell   *lc;

	st->sink.batch = batch;
	st->sink.stream = true;
	st->sink.desc = BlessTupleDesc(CreateTupleDescCopy(desc));
	st->sink.direct = MxDirectDesc(st->sink.desc);
	foreach(lc, reqs)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);

		req->typed = true;
		req->emit_arg = &st->sink;
	}
	st->token = MxStreamOpen();
	st->cb.func = MxTypedStreamEnd;
	st->cb.arg = st;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &st->cb);
	MxTypedStreamStep(st, reqs);
	return st;
}

/*
 * The next result row of a streamed load, a composite datum valid until
 * the next call (NULL when there is none)
 */
Datum
MxTypedStreamNext(MxTypedStream *st, bool *done)
{
	MxTypedIter *it = st->it;

	/* a link of the node being written: no statement to run, no globals to set */
	if (MxTypedIterInNode(it))
	{
		MemoryContext caller = MemoryContextSwitchTo(st->run->load_cxt);

		st->sink.call_cxt = caller;
		(void) MxTypedIterNext(it);
		MemoryContextSwitchTo(caller);
		*done = false;
		return PointerGetDatum(st->sink.row);
	}
	MxTypedStreamStep(st, NIL);
	*done = st->sink.row == NULL;
	return PointerGetDatum(st->sink.row);
}
