/*-------------------------------------------------------------------------
 *
 * matrx_relations.c
 *		Module entry: _PG_init, the backend's counters, and the bookkeeping
 *		of running calls (so cached metadata is never freed under a call
 *		that is still using it, even when errors unwind calls).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "cache.h"
#include "catalog.h"
#include "matrx_relations.h"
#include "plancache.h"

PG_MODULE_MAGIC;

MxCounters	mx_counters;

/* subtransaction nesting level of each running call, innermost last */
#define MX_MAX_DEPTH 64
static int	mx_depth = 0;
static int	mx_depth_levels[MX_MAX_DEPTH];

/*
 * Streamed loads open (typed.c): between their calls they still hold
 * metadata, plans and cached rows, so they count as running calls until
 * they end; the transaction's end ends them all (epoch: a stream's memory
 * freed after that does not close another)
 */
static int	mx_streams = 0;
static uint64 mx_stream_epoch = 1;

static void MxXactCallback(XactEvent event, void *arg);
static void MxSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
							  SubTransactionId parentSubid, void *arg);

void		_PG_init(void);

/* Module load: callbacks registered once per backend */
void
_PG_init(void)
{
	/* settings first: reserving the prefix drops placeholders not yet defined */
	MxCacheDefineGucs();
	MxRetryDefineGucs();
	MxPlanCacheInit();
	MarkGUCPrefixReserved("matrx_relations");
	MxCatalogInit();
	RegisterXactCallback(MxXactCallback, NULL);
	RegisterSubXactCallback(MxSubXactCallback, NULL);
}

/* Marks the start of a loader call */
void
MxEnterCall(void)
{
	if (mx_depth >= MX_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("matrx_relations calls nested more than %d deep", MX_MAX_DEPTH)));
	mx_depth_levels[mx_depth++] = GetCurrentTransactionNestLevel();
}

/* Marks the normal end of a loader call */
void
MxLeaveCall(void)
{
	if (mx_depth > 0)
		mx_depth--;
	if (mx_depth == 0 && mx_streams == 0)
		MxCacheCallsEnded();
}

/* How many loader calls are running in this backend (an open stream counts as one) */
int
MxCallDepth(void)
{
	return mx_depth + mx_streams;
}

/* A streamed load starts; the token closes it */
uint64
MxStreamOpen(void)
{
	mx_streams++;
	return mx_stream_epoch;
}

/* A streamed load ends (once; none when its transaction has ended since) */
void
MxStreamClose(uint64 token)
{
	if (token != mx_stream_epoch || mx_streams == 0)
		return;
	mx_streams--;
	if (mx_depth == 0 && mx_streams == 0)
		MxCacheCallsEnded();
}

/* Transaction end: no call survives it, and no cache entry either */
static void
MxXactCallback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			mx_depth = 0;
			mx_streams = 0;
			mx_stream_epoch++;
			MxCacheReset();
			break;
		default:
			break;
	}
}

/* Subtransaction abort: calls started inside it are gone, and the cache is no longer exact */
static void
MxSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
				  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		int			level = GetCurrentTransactionNestLevel();

		while (mx_depth > 0 && mx_depth_levels[mx_depth - 1] >= level)
			mx_depth--;
		if (mx_depth == 0 && mx_streams == 0)
			MxCacheCallsEnded();
		/* it may have undone rows that cache entries hold */
		MxCacheFlush();
	}
}

/*
 * An array of n elements of size bytes (zeroed or not) in the current
 * context, allowed past 1 GB; too large for PostgreSQL's limits is 54000.
 */
void *
MxAllocArray(Size n, Size size, bool zero)
{
	Size		total = Max(n, 1) * size;

	if (total / size != Max(n, 1) || total > MaxAllocHugeSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many related rows")));
	return MemoryContextAllocExtended(CurrentMemoryContext, total,
									  MCXT_ALLOC_HUGE | (zero ? MCXT_ALLOC_ZERO : 0));
}

