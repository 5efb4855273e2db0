/*-------------------------------------------------------------------------
 *
 * execute.h
 *		Running the built statements: a cursor loop over a kept plan
 *		(plancache.h) that hands rows to a callback,
 *		and the typed loaders (fetch_related, fetch_related_array).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_EXECUTE_H
#define MX_EXECUTE_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"

#include "plancache.h"

/* rows fetched per cursor round trip: bounds SPI's memory per batch */
#define MX_FETCH_BATCH 10000

typedef void (*MxRowCallback) (void *arg, HeapTuple tuple, TupleDesc desc);
typedef void (*MxSlotCallback) (void *arg, TupleTableSlot *slot);

extern uint64 MxRunPlan(SPIPlanPtr plan, Datum *values, const char *nulls,
						MxRowCallback callback, void *arg);
extern uint64 MxRunPlanSlots(SPIPlanPtr plan, Datum *values, const char *nulls,
							 MxSlotCallback callback, void *arg);

/* fetch.c */
extern void MxFetchTyped(FunctionCallInfo fcinfo, bool as_array);

#endif							/* MX_EXECUTE_H */
