/*-------------------------------------------------------------------------
 *
 * citus.h
 *		Citus awareness: which relations are Citus tables (their rows live
 *		on other nodes, or are read through other connections) and which
 *		are Citus's shards, found through Citus's own catalog when the
 *		citus extension exists in the database, and opening our cursors
 *		with plans Citus can run (see citus.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_CITUS_H
#define MX_CITUS_H

#include "postgres.h"

#include "executor/spi.h"

extern bool MxCitusTable(Oid relid);
extern bool MxCitusShard(Oid relid);
extern AttrNumber MxCitusDistColumn(Oid relid);
extern int32 MxCitusColocation(Oid relid);
extern bool MxCitusPresent(void);
extern char *MxCitusConversionName(const char *relname);
extern int	MxCitusPlanModeBegin(void);
extern void MxCitusPlanModeEnd(int nest);
extern Portal MxCitusCursorOpen(SPIPlanPtr plan, Datum *values, const char *nulls);

#endif							/* MX_CITUS_H */
