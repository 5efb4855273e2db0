/*-------------------------------------------------------------------------
 *
 * execute.c
 *		Running statements.
 *
 *		Statements run, from the plans plancache.c keeps, through a cursor
 *		in batches, so SPI never holds more than one batch of rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
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
