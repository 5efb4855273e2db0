/*-------------------------------------------------------------------------
 *
 * matrx_relations.h
 *		Definitions shared by every part of matrx_relations: backend-wide
 *		counters, call bookkeeping and version-compatibility macros.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MATRX_RELATIONS_H
#define MATRX_RELATIONS_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/acl.h"

/* version-compatibility macros: PostgreSQL 15 to 18 */
#if PG_VERSION_NUM < 150000
#error "matrx_relations needs PostgreSQL 15 or later"
#endif

#if PG_VERSION_NUM >= 160000
#define MxOwnerCheck(relid, roleid) object_ownercheck(RelationRelationId, (relid), (roleid))
#else
#define MxOwnerCheck(relid, roleid) pg_class_ownercheck((relid), (roleid))
#endif

/* this backend's counters, reported by stats() */
typedef struct MxCounters
{
	int64		calls;			/* loader calls */
	int64		statements;		/* statements the loaders ran */
	int64		rows_fetched;	/* rows those statements returned */
	int64		cache_hits;		/* keys served by the relation cache */
	int64		cache_misses;	/* keys looked up there and not found */
	int64		cache_invalidations;	/* times entries were dropped as no longer exact */
	int64		plans_prepared; /* statements prepared for the plan cache */
	int64		plans_evicted;	/* kept plans freed to stay within its bounds */
	int64		metadata_loads; /* tables whose metadata was read from the catalogs */
} MxCounters;

extern MxCounters mx_counters;

/* matrx_relations.c */
extern void MxEnterCall(void);
extern void MxLeaveCall(void);
extern int	MxCallDepth(void);
extern uint64 MxStreamOpen(void);
extern void MxStreamClose(uint64 token);
extern void *MxAllocArray(Size n, Size size, bool zero);

#endif							/* MATRX_RELATIONS_H */
