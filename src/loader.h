/*-------------------------------------------------------------------------
 *
 * loader.h
 *		The batched loading engine behind prefetch_related and
 *		prefetch_batch: breadth-first over the planned edge groups, one
 *		statement per group with all its keys as array parameters, rows
 *		distributed to their parents in C, documents assembled bottom-up.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_LOADER_H
#define MX_LOADER_H

#include "postgres.h"

#include "nodes/pg_list.h"

#include "request.h"

/* loader.c */
extern void MxLoad(List *requests);

/* joined.c: select_related's one statement */
extern void MxJoinedLoad(MxRequest *req);

#endif							/* MX_LOADER_H */
