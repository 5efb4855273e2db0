/*-------------------------------------------------------------------------
 *
 * citus.h
 *		Citus awareness: which relations are Citus tables (their rows live
 *		on other nodes, or are read through other connections) and which
 *		are Citus's shards, found through Citus's own catalog when the
 *		citus extension exists in the database (see citus.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_CITUS_H
#define MX_CITUS_H

#include "postgres.h"

extern bool MxCitusTable(Oid relid);
extern bool MxCitusShard(Oid relid);

#endif							/* MX_CITUS_H */
