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
#include "citus.h"
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
	/* a generic plan's MX_SHAPE_ bits (MxPlanShapeOf), as of its plan's generation */
	int			shape_generation;
	int			shape;
} MxPlanEntry;

/* how a generic plan reads its key arrays (MxPlanShapeOf) */
#define MX_SHAPE_INDEXED	0x01	/* an index scan's condition */
#define MX_SHAPE_BITMAP		0x02	/* a bitmap index scan's condition */
#define MX_SHAPE_FILTERS	0x04	/* a filter or join filter, row by row */
#define MX_SHAPE_RECHECKS	0x08	/* a bitmap heap scan's recheck */
#define MX_SHAPE_APPENDS	0x10	/* under an Append or MergeAppend */

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
static void MxPlanShapeWalk(Plan *plan, int *shape);
static void MxPlanShapeWalkList(List *plans, int *shape);
static int	MxPlanShapeOf(MxPlanEntry *generic, bool *planned);

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
 * Adds to *shape how a plan (or a plan it runs) reads a key array (a
 * ScalarArrayOpExpr over a non-constant array): as an index scan's or a
 * bitmap index scan's condition, row by row in a filter, join filter or
 * one-time qual, in a bitmap heap scan's recheck, or under an Append or
 * MergeAppend (partitions, an inheritance tree).
 */
static void
MxPlanShapeWalk(Plan *plan, int *shape)
{
	if (plan == NULL)
		return;
	check_stack_depth();
	if (MxArrayQual((Node *) plan->qual, NULL))
		*shape |= MX_SHAPE_FILTERS;
	switch (nodeTag(plan))
	{
		case T_NestLoop:
		case T_MergeJoin:
		case T_HashJoin:
			if (MxArrayQual((Node *) ((Join *) plan)->joinqual, NULL))
				*shape |= MX_SHAPE_FILTERS;
			break;
		case T_BitmapHeapScan:
			if (MxArrayQual((Node *) ((BitmapHeapScan *) plan)->bitmapqualorig, NULL))
				*shape |= MX_SHAPE_RECHECKS;
			break;
		case T_IndexScan:
			if (MxArrayQual((Node *) ((IndexScan *) plan)->indexqual, NULL))
				*shape |= MX_SHAPE_INDEXED;
			break;
		case T_IndexOnlyScan:
			if (MxArrayQual((Node *) ((IndexOnlyScan *) plan)->indexqual, NULL))
				*shape |= MX_SHAPE_INDEXED;
			break;
		case T_BitmapIndexScan:
			if (MxArrayQual((Node *) ((BitmapIndexScan *) plan)->indexqual, NULL))
				*shape |= MX_SHAPE_BITMAP;
			break;
		case T_BitmapAnd:
			MxPlanShapeWalkList(((BitmapAnd *) plan)->bitmapplans, shape);
			break;
		case T_BitmapOr:
			MxPlanShapeWalkList(((BitmapOr *) plan)->bitmapplans, shape);
			break;
		case T_Result:
			if (MxArrayQual(((Result *) plan)->resconstantqual, NULL))
				*shape |= MX_SHAPE_FILTERS;
			break;
		case T_Append:
			*shape |= MX_SHAPE_APPENDS;
			MxPlanShapeWalkList(((Append *) plan)->appendplans, shape);
			break;
		case T_MergeAppend:
			*shape |= MX_SHAPE_APPENDS;
			MxPlanShapeWalkList(((MergeAppend *) plan)->mergeplans, shape);
			break;
		case T_SubqueryScan:
			MxPlanShapeWalk(((SubqueryScan *) plan)->subplan, shape);
			break;
		case T_CustomScan:
			MxPlanShapeWalkList(((CustomScan *) plan)->custom_plans, shape);
			break;
		default:
			break;
	}
	MxPlanShapeWalk(plan->lefttree, shape);
	MxPlanShapeWalk(plan->righttree, shape);
}

/* MxPlanShapeWalk of each plan of a list (an Append's, a BitmapOr's ...) */
static void
MxPlanShapeWalkList(List *plans, int *shape)
{
	ListCell   *lc;

	foreach(lc, plans)
		MxPlanShapeWalk((Plan *) lfirst(lc), shape);
}

/*
 * The shape of a statement's generic plan (built now if it is not),
 * remembered for that plan's generation; *planned: a generation not seen
 * before (its memory is to be counted)
 */
static int
MxPlanShapeOf(MxPlanEntry *generic, bool *planned)
{
	ResourceOwner owner = CurrentResourceOwner;
	CachedPlan *cplan;
	ListCell   *lc;
	int			shape = 0;

	*planned = false;
	/* a kept plan: the reference is logged in owner, and released from it */
	cplan = SPI_plan_get_cached_plan(generic->plan);
	if (cplan == NULL)
		return -1;
	if (generic->shape >= 0 && generic->shape_generation == cplan->generation)
	{
		ReleaseCachedPlan(cplan, owner);
		return generic->shape;
	}
	foreach(lc, cplan->stmt_list)
	{
		PlannedStmt *ps = lfirst_node(PlannedStmt, lc);
		ListCell   *sp;

		MxPlanShapeWalk(ps->planTree, &shape);
		foreach(sp, ps->subplans)
			MxPlanShapeWalk((Plan *) lfirst(sp), &shape);
	}
	generic->shape_generation = cplan->generation;
	generic->shape = shape;
	ReleaseCachedPlan(cplan, owner);
	*planned = true;
	return shape;
}

/*
 * The plan to run a statement with nkeys keys: its generic plan when that
 * reads the key array through an index, else the plan cache's own choice
 * (a custom plan at first, planned with the keys as a constant).
 *
 * Under MX_GENERIC_PLAN_KEYS keys the generic plan is taken when an index
 * scan or a bitmap index scan matches the keys, no filter tests them row
 * by row, and no Append holds the scan: a custom plan would prune a
 * partitioned table's partitions by the keys, which the generic one cannot
 * (PostgreSQL prunes by a constant array only).  Left to itself, the plan
 * cache plans a statement anew on every call while its custom plans look
 * cheaper than the generic one, which for a few keys is always: a nested
 * load of one order spent a third of its CPU planning its five statements.
 * With Citus present the plan cache chooses (Citus plans its own tables'
 * statements with their keys).
 *
 * From MX_GENERIC_PLAN_KEYS keys the generic plan is used when an index
 * scan matches the key array and nothing tests it row by row, not even a
 * bitmap recheck: a custom plan plans with the key array as a constant,
 * estimating every element on its own, about a microsecond and a few
 * hundred bytes each, without a check for interrupts (a million keys:
 * 0.7 s that a cancel cannot cut short, ten million: 7 s and 3 GB), and a
 * row-by-row test is a linear search of the whole array.
 */
SPIPlanPtr
MxChoosePlan(const char *sql, int nargs, Oid *argtypes, Size nkeys)
{
	MxPlanEntry *generic;
	bool		many = nkeys >= MX_GENERIC_PLAN_KEYS;
	bool		planned;
	int			shape;
	bool		fits;

	if (!many && MxCitusPresent())
		return MxGetPlan(sql, nargs, argtypes);
	generic = MxGetPlanWith(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);
	shape = MxPlanShapeOf(generic, &planned);
	if (planned)
	{
		/* the generic plan now exists: count its memory */
		MxPlanRemeasure(generic);
		MxPlanTrim(generic);
	}
	if (shape < 0)
		return MxGetPlan(sql, nargs, argtypes);
	if (many)
		fits = (shape & MX_SHAPE_INDEXED) &&
			!(shape & (MX_SHAPE_FILTERS | MX_SHAPE_RECHECKS));
	else
		fits = (shape & (MX_SHAPE_INDEXED | MX_SHAPE_BITMAP)) &&
			!(shape & (MX_SHAPE_FILTERS | MX_SHAPE_APPENDS));
	return fits ? generic->plan : MxGetPlan(sql, nargs, argtypes);
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
	e->shape = -1;
	e->shape_generation = 0;
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
