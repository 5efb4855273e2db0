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
#include "fmgr.h"

#include "plancache.h"

/* rows fetched per cursor round trip: bounds SPI's memory per batch */
#define MX_FETCH_BATCH 10000

typedef void (*MxRowCallback) (void *arg, HeapTuple tuple, TupleDesc desc);

extern uint64 MxRunPlan(SPIPlanPtr plan, Datum *values, const char *nulls,
						MxRowCallback callback, void *arg);

/* fetch.c */
extern void MxFetchTyped(FunctionCallInfo fcinfo, bool as_array);

#endif							/* MX_EXECUTE_H */
