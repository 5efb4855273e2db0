/*-------------------------------------------------------------------------
 *
 * plancache.c
 *		The kept-plan cache and its bounds, together: SPI plans of the
 *		built statements, prepared once (SPI_prepare_cursor + SPI_keepplan)
 *		and found again by their text, parameter types and cursor options.
 *
 *		A statement's text names every table, column and operator it uses,
 *		so the text is all a plan depends on of our metadata: when DDL
 *		changes a name, the metadata cache (metacache.c) builds another text
 *		and the old plan is simply no longer asked for.  Whatever else a
 *		plan depends on (a table's columns, indexes, statistics, functions,
 *		the search_path, the role) PostgreSQL's plan cache revalidates
 *		itself, by relcache and syscache invalidation of exactly those
 *		objects: this cache has no invalidation callbacks of its own.
 *
 *		The cache is bounded in count (MX_PLAN_CACHE_MAX_PLANS) and in the
 *		memory of the plans' contexts (matrx_relations.plan_cache_size,
 *		measured again whenever a plan is used, since its generic plan is
 *		built on demand); past either bound the least recently used plans
 *		are evicted.  Every plan handed out is kept, so every reference to
 *		one is taken and released under the same resource owner.  A plan
 *		evicted while a call of ours is running may still be in use by an
 *		outer call's open cursor: it is freed once no call is running.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "executor/spi_priv.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/resowner.h"

#include "catalog.h"
#include "matrx_relations.h"
#include "plancache.h"

/* a kept plan, found by the hash of its text, parameter types and options */
typedef struct MxPlanEntry
{
	uint64		hash;			/* hash key */
	char	   *sql;
	int			nargs;
	Oid		   *argtypes;		/* nargs: keys and a spec's values, unbounded */
	int			options;		/* cursor options it was prepared with */
	SPIPlanPtr	plan;
	Size		bytes;			/* its contexts' memory when last measured */
	dlist_node	lru;			/* most recently used first */
} MxPlanEntry;

int			mx_plan_cache_size_kb = MX_PLAN_CACHE_SIZE_DEFAULT;

static MemoryContext mx_plan_cxt = NULL;
static HTAB *mx_plan_hash = NULL;
static dlist_head mx_plan_lru = DLIST_STATIC_INIT(mx_plan_lru);
static int64 mx_plan_count = 0;
static Size mx_plan_bytes = 0;
static List *mx_plan_evicted = NIL;	/* evicted, freed once no call runs */

static uint64 MxPlanHash(const char *sql, int nargs, Oid *argtypes, int options);
static void MxPlanCacheSetup(void);
static Size MxPlanMeasure(SPIPlanPtr plan);
static void MxPlanRemeasure(MxPlanEntry *e);
static void MxPlanEvict(MxPlanEntry *e);
static void MxPlanTrim(MxPlanEntry *keep);
static void MxPlanFreeEvicted(void);
static MxPlanEntry *MxGetPlanWith(const char *sql, int nargs, Oid *argtypes, int options);
static bool MxArrayQual(Node *node, void *context);
static bool MxPlanFiltersArrays(PlannedStmt *ps, Plan *plan, bool *indexed);

/* Defines matrx_relations.plan_cache_size (from _PG_init) */
void
MxPlanCacheInit(void)
{
	DefineCustomIntVariable("matrx_relations.plan_cache_size",
							"Memory limit of this backend's kept statement plans.",
							"Past it, the least recently used plans are freed.",
							&mx_plan_cache_size_kb, MX_PLAN_CACHE_SIZE_DEFAULT,
							MX_PLAN_CACHE_SIZE_MIN, MX_PLAN_CACHE_SIZE_MAX,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
}

/* Creates the cache's context and hash on first use */
static void
MxPlanCacheSetup(void)
{
	if (mx_plan_hash == NULL)
		mx_plan_hash = MxCreateBackendHash("matrx_relations plans", sizeof(uint64),
										   sizeof(MxPlanEntry), &mx_plan_cxt);
}

/* Hash of a statement's text, parameter types and cursor options */
static uint64
MxPlanHash(const char *sql, int nargs, Oid *argtypes, int options)
{
	uint64		h = hash_bytes_extended((const unsigned char *) sql, strlen(sql), 0);

	h = hash_bytes_extended((const unsigned char *) &options, sizeof(int), h);
	return hash_bytes_extended((const unsigned char *) argtypes, sizeof(Oid) * nargs, h);
}

/* Memory of a kept plan: its SPI context, its sources' and their generic plans' */
static Size
MxPlanMeasure(SPIPlanPtr plan)
{
	Size		bytes = MemoryContextMemAllocated(plan->plancxt, true);
	ListCell   *lc;

	foreach(lc, SPI_plan_get_plan_sources(plan))
	{
		CachedPlanSource *ps = (CachedPlanSource *) lfirst(lc);

		bytes += MemoryContextMemAllocated(ps->context, true);
		if (ps->gplan != NULL)
			bytes += MemoryContextMemAllocated(ps->gplan->context, true);
	}
	return bytes;
}

/* Measures an entry again (a generic plan may have been built or freed) */
static void
MxPlanRemeasure(MxPlanEntry *e)
{
	Size		bytes = MxPlanMeasure(e->plan);

	mx_plan_bytes = mx_plan_bytes - e->bytes + bytes;
	e->bytes = bytes;
}

/* Removes an entry; its plan is freed once no call of ours is running */
static void
MxPlanEvict(MxPlanEntry *e)
{
	MemoryContext old = MemoryContextSwitchTo(mx_plan_cxt);

	mx_plan_evicted = lappend(mx_plan_evicted, e->plan);
	MemoryContextSwitchTo(old);
	mx_plan_bytes -= e->bytes;
	mx_plan_count--;
	dlist_delete(&e->lru);
	pfree(e->sql);
	pfree(e->argtypes);
	hash_search(mx_plan_hash, &e->hash, HASH_REMOVE, NULL);
	mx_counters.plans_evicted++;
}

/* Evicts least recently used plans, but never keep, until within bounds */
static void
MxPlanTrim(MxPlanEntry *keep)
{
	Size		limit = (Size) mx_plan_cache_size_kb * 1024;

	while (mx_plan_count > MX_PLAN_CACHE_MAX_PLANS || mx_plan_bytes > limit)
	{
		MxPlanEntry *e = dlist_container(MxPlanEntry, lru, dlist_tail_node(&mx_plan_lru));

		if (e == keep)
			break;
		MxPlanEvict(e);
	}
}

/* Frees evicted plans, when no call of ours can still be running one */
static void
MxPlanFreeEvicted(void)
{
	List	   *plans = mx_plan_evicted;
	ListCell   *lc;

	if (plans == NIL || MxCallDepth() > 1)
		return;
	mx_plan_evicted = NIL;
	foreach(lc, plans)
		SPI_freeplan((SPIPlanPtr) lfirst(lc));
	list_free(plans);
}

/*
 * The kept plan of a statement, prepared on first use.  The caller is
 * connected to SPI; its memory context is current again on return.
 */
SPIPlanPtr
MxGetPlan(const char *sql, int nargs, Oid *argtypes)
{
	return MxGetPlanWith(sql, nargs, argtypes, 0)->plan;
}

/*
 * Whether an expression holds a ScalarArrayOpExpr over a non-constant
 * array: evaluated per row, that is a linear search of the whole array.
 */
static bool
MxArrayQual(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, ScalarArrayOpExpr) &&
		!IsA(lsecond(((ScalarArrayOpExpr *) node)->args), Const))
		return true;
	return expression_tree_walker(node, MxArrayQual, context);
}

/*
 * Whether a plan (or a plan it runs) tests a key array row by row: in a
 * filter, a join filter or a bitmap heap scan's recheck; *indexed is set
 * when one is an index condition.
 */
static bool
MxPlanFiltersArrays(PlannedStmt *ps, Plan *plan, bool *indexed)
{
	ListCell   *lc;

	if (plan == NULL)
		return false;
	check_stack_depth();
	if (MxArrayQual((Node *) plan->qual, NULL))
		return true;
	switch (nodeTag(plan))
	{
		case T_NestLoop:
		case T_MergeJoin:
		case T_HashJoin:
			if (MxArrayQual((Node *) ((Join *) plan)->joinqual, NULL))
				return true;
			break;
		case T_BitmapHeapScan:
			if (MxArrayQual((Node *) ((BitmapHeapScan *) plan)->bitmapqualorig, NULL))
				return true;
			break;
		case T_IndexScan:
			*indexed |= MxArrayQual((Node *) ((IndexScan *) plan)->indexqual, NULL);
			break;
		case T_IndexOnlyScan:
			*indexed |= MxArrayQual((Node *) ((IndexOnlyScan *) plan)->indexqual, NULL);
			break;
		case T_Result:
			if (MxArrayQual(((Result *) plan)->resconstantqual, NULL))
				return true;
			break;
		case T_Append:
			foreach(lc, ((Append *) plan)->appendplans)
				if (MxPlanFiltersArrays(ps, (Plan *) lfirst(lc), indexed))
					return true;
			break;
		case T_MergeAppend:
			foreach(lc, ((MergeAppend *) plan)->mergeplans)
				if (MxPlanFiltersArrays(ps, (Plan *) lfirst(lc), indexed))
					return true;
			break;
		case T_SubqueryScan:
			if (MxPlanFiltersArrays(ps, ((SubqueryScan *) plan)->subplan, indexed))
				return true;
			break;
		case T_CustomScan:
			foreach(lc, ((CustomScan *) plan)->custom_plans)
				if (MxPlanFiltersArrays(ps, (Plan *) lfirst(lc), indexed))
					return true;
			break;
		default:
			break;
	}
	return MxPlanFiltersArrays(ps, plan->lefttree, indexed) ||
		MxPlanFiltersArrays(ps, plan->righttree, indexed);
}

/*
 * The plan to run a statement with nkeys keys.  A custom plan (what
 * SPI's plan cache picks at first) plans with the key array as a
 * constant: the planner then estimates every element on its own, about a
 * microsecond and a few hundred bytes each, without a check for
 * interrupts (a million keys: 0.7 s that a cancel cannot cut short, ten
 * million: 7 s and 3 GB).  Past MX_GENERIC_PLAN_KEYS keys the generic plan
 * is used instead when it matches the key array as an index condition and
 * nowhere tests it row by row (a linear search of the array per row).
 */
SPIPlanPtr
MxChoosePlan(const char *sql, int nargs, Oid *argtypes, Size nkeys)
{
	MxPlanEntry *generic;
	ResourceOwner owner = CurrentResourceOwner;
	CachedPlan *cplan;
	ListCell   *lc;
	bool		filters = false;
	bool		indexed = false;

	if (nkeys < MX_GENERIC_PLAN_KEYS)
		return MxGetPlan(sql, nargs, argtypes);
	generic = MxGetPlanWith(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);
	/* a kept plan: the reference is logged in owner, and released from it */
	cplan = SPI_plan_get_cached_plan(generic->plan);
	if (cplan == NULL)
		return MxGetPlan(sql, nargs, argtypes);
	foreach(lc, cplan->stmt_list)
	{
		PlannedStmt *ps = lfirst_node(PlannedStmt, lc);
		ListCell   *sp;

		filters |= MxPlanFiltersArrays(ps, ps->planTree, &indexed);
		foreach(sp, ps->subplans)
			filters |= MxPlanFiltersArrays(ps, (Plan *) lfirst(sp), &indexed);
	}
	ReleaseCachedPlan(cplan, owner);
	/* the generic plan now exists: count its memory */
	MxPlanRemeasure(generic);
	MxPlanTrim(generic);
	return indexed && !filters ? generic->plan : MxGetPlan(sql, nargs, argtypes);
}

/* The cache entry of a statement prepared with the given cursor options */
static MxPlanEntry *
MxGetPlanWith(const char *sql, int nargs, Oid *argtypes, int options)
{
	MemoryContext caller = CurrentMemoryContext;
	uint64		h;
	MxPlanEntry *e;
	SPIPlanPtr	plan;
	char	   *sql_copy;
	Oid		   *types_copy;

	MxPlanCacheSetup();
	MxPlanFreeEvicted();

	h = MxPlanHash(sql, nargs, argtypes, options);
	e = (MxPlanEntry *) hash_search(mx_plan_hash, &h, HASH_FIND, NULL);
	if (e != NULL && e->nargs == nargs && e->options == options && strcmp(e->sql, sql) == 0 &&
		memcmp(e->argtypes, argtypes, sizeof(Oid) * nargs) == 0)
	{
		dlist_move_head(&mx_plan_lru, &e->lru);
		MxPlanRemeasure(e);
		MxPlanTrim(e);
		return e;
	}
	/* a hash collision: the statement asked for now takes the slot */
	if (e != NULL)
		MxPlanEvict(e);

	plan = SPI_prepare_cursor(sql, nargs, argtypes, options);
	MemoryContextSwitchTo(caller);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	mx_counters.plans_prepared++;

	/* allocated before the plan is kept: an error here leaves SPI to free it */
	sql_copy = MemoryContextStrdup(mx_plan_cxt, sql);
	types_copy = MemoryContextAlloc(mx_plan_cxt, sizeof(Oid) * Max(nargs, 1));
	memcpy(types_copy, argtypes, sizeof(Oid) * nargs);
	e = (MxPlanEntry *) hash_search(mx_plan_hash, &h, HASH_ENTER, NULL);
	SPI_keepplan(plan);
	MemoryContextSwitchTo(caller);

	e->sql = sql_copy;
	e->nargs = nargs;
	e->argtypes = types_copy;
	e->options = options;
	e->plan = plan;
	e->bytes = MxPlanMeasure(plan);
	dlist_push_head(&mx_plan_lru, &e->lru);
	mx_plan_count++;
	mx_plan_bytes += e->bytes;
	MxPlanTrim(e);
	return e;
}

/* Memory of the kept plans' contexts, measured now */
int64
MxPlanCacheBytes(void)
{
	dlist_iter	iter;

	dlist_foreach(iter, &mx_plan_lru)
		MxPlanRemeasure(dlist_container(MxPlanEntry, lru, iter.cur));
	return (int64) mx_plan_bytes;
}
