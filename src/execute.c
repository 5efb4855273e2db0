/*-------------------------------------------------------------------------
 *
 * execute.c
 *		Running statements.
 *
 *		Statements run from the plans plancache.c keeps: through a cursor
 *		in batches, so SPI never holds more than one batch of rows; or,
 *		for the batched loader, with each row handed from the executor's
 *		slot to the caller as it is produced (no copy held by SPI at all).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "nodes/params.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "cache.h"
#include "catalog.h"
#include "citus.h"
#include "execute.h"
#include "keys.h"
#include "matrx_relations.h"
#include "sqlgen.h"

/*
 * Runs a plan through a read-only cursor, handing each row to callback;
 * returns the number of rows.  Counts one statement.  SPI calls leave
 * CurrentMemoryContext on SPI's procedure context, which SPI_finish
 * deletes: the caller's context is restored before returning and around
 * each callback.
 */
uint64
MxRunPlan(SPIPlanPtr plan, Datum *values, const char *nulls,
		  MxRowCallback callback, void *arg)
{
	MemoryContext caller = CurrentMemoryContext;
	Portal		portal;
	uint64		total = 0;

	portal = MxCitusCursorOpen(plan, values, nulls);	/* SPI_cursor_open, read-only */
	mx_counters.statements++;
	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, MX_FETCH_BATCH);
		if (SPI_processed == 0)
			break;
		MemoryContextSwitchTo(caller);
		for (i = 0; i < SPI_processed; i++)
		{
			CHECK_FOR_INTERRUPTS();
			callback(arg, SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
		}
		total += SPI_processed;
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	MemoryContextSwitchTo(caller);
	mx_counters.rows_fetched += total;
	return total;
}

/* a statement's destination: each row to a callback, as it comes */
typedef struct MxSlotReceiver
{
	DestReceiver pub;
	MxSlotCallback callback;
	void	   *arg;
	MemoryContext caller;
	uint64		rows;
} MxSlotReceiver;

/* Hands one row to the callback, in the caller's memory context */
static bool
MxReceiveSlot(TupleTableSlot *slot, DestReceiver *self)
{
	MxSlotReceiver *r = (MxSlotReceiver *) self;
	MemoryContext old = MemoryContextSwitchTo(r->caller);

	CHECK_FOR_INTERRUPTS();
	r->callback(r->arg, slot);
	r->rows++;
	MemoryContextSwitchTo(old);
	return true;
}

/* Nothing to set up or tear down */
static void
MxReceiverStartup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

/* Nothing to set up or tear down */
static void
MxReceiverNoop(DestReceiver *self)
{
}

/*
 * Runs a plan read-only, handing each row (the executor's slot, valid
 * during the call) to callback in the caller's memory context as the
 * executor produces it; returns the number of rows.  Counts one statement.
 */
uint64
MxRunPlanSlots(SPIPlanPtr plan, Datum *values, const char *nulls,
			   MxSlotCallback callback, void *arg)
{
	MemoryContext caller = CurrentMemoryContext;
	int			nargs = SPI_getargcount(plan);
	ParamListInfo params = makeParamList(nargs);
	SPIExecuteOptions options;
	MxSlotReceiver receiver;
	int			i;
	int			rc;
	int			nest;

	for (i = 0; i < nargs; i++)
	{
		ParamExternData *prm = &params->params[i];

		prm->value = values[i];
		prm->isnull = nulls != NULL && nulls[i] == 'n';
		prm->pflags = PARAM_FLAG_CONST;
		prm->ptype = SPI_getargtypeid(plan, i);
	}
	memset(&receiver, 0, sizeof(receiver));
	receiver.pub.receiveSlot = MxReceiveSlot;
	receiver.pub.rStartup = MxReceiverStartup;
	receiver.pub.rShutdown = MxReceiverNoop;
	receiver.pub.rDestroy = MxReceiverNoop;
	receiver.pub.mydest = DestNone;
	receiver.callback = callback;
	receiver.arg = arg;
	receiver.caller = caller;
	memset(&options, 0, sizeof(options));
	options.params = params;
	options.read_only = true;
	options.dest = (DestReceiver *) &receiver;
	mx_counters.statements++;
	nest = MxCitusPlanModeBegin();
	rc = SPI_execute_plan_extended(plan, &options);
	MxCitusPlanModeEnd(nest);
	MemoryContextSwitchTo(caller);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan_extended failed: %s", SPI_result_code_string(rc));
	mx_counters.rows_fetched += receiver.rows;
	return receiver.rows;
}
