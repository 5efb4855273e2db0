/*-------------------------------------------------------------------------
 *
 * plancache.h
 *		The kept-plan cache: SPI plans of the built statements, prepared
 *		once and kept per backend, bounded in count and in memory, least
 *		recently used evicted first (see plancache.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_PLANCACHE_H
#define MX_PLANCACHE_H

#include "postgres.h"

#include "executor/spi.h"

/* matrx_relations.plan_cache_size (kB): memory of the kept plans' contexts */
#define MX_PLAN_CACHE_SIZE_DEFAULT	(4 * 1024)
#define MX_PLAN_CACHE_SIZE_MIN		64
#define MX_PLAN_CACHE_SIZE_MAX		(MAX_KILOBYTES)

/* plans kept at most, whatever their size */
#define MX_PLAN_CACHE_MAX_PLANS		1024

/* keys from which a bitmap recheck of the key array also keeps a statement
 * off its generic plan, and an Append does not (MxChoosePlan) */
#define MX_GENERIC_PLAN_KEYS 10000

extern int	mx_plan_cache_size_kb;

extern void MxPlanCacheInit(void);
extern SPIPlanPtr MxGetPlan(const char *sql, int nargs, Oid *argtypes);
extern SPIPlanPtr MxChoosePlan(const char *sql, int nargs, Oid *argtypes, Size nkeys);
extern int64 MxPlanCacheBytes(void);

#endif							/* MX_PLANCACHE_H */
