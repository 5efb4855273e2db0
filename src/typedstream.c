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

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "loader.h"
#include "matrx_relations.h"
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

/* Runs a typed load of reqs into the SRF's tuplestore */
void
MxTypedLoad(List *reqs, ReturnSetInfo *rsinfo, bool batch)
{
	MxTypedSink sink;
	ListCell   *lc;

	MxKeptTuplestore(rsinfo);
	memset(&sink, 0, sizeof(sink));
	sink.rsinfo = rsinfo;
	sink.batch = batch;
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
