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
	if (mx_depth == 0)
		MxCacheCallsEnded();
}

/* How many loader calls are running in this backend */
int
MxCallDepth(void)
{
	return mx_depth;
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
		if (mx_depth == 0)
			MxCacheCallsEnded();
		/* it may have undone rows that cache entries hold */
		MxCacheFlush();
	}
}

#if PG_VERSION_NUM < 150000
/* InitMaterializedSRF for servers that lack it */
void
MxInitMaterializedSRF(FunctionCallInfo fcinfo, bits32 flags)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	TupleDesc	desc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if ((flags & MAT_SRF_USE_EXPECTED_DESC) && rsinfo->expectedDesc != NULL)
		desc = rsinfo->expectedDesc;
	else if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("return type must be a row type")));
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = CreateTupleDescCopy(desc);
	MemoryContextSwitchTo(old);
}
#endif
