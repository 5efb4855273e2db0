/*-------------------------------------------------------------------------
 *
 * execute.c
 *		Running statements.
 *
 *		Plans are prepared once (SPI_prepare + SPI_keepplan) and kept in a
 *		hash keyed by statement text and parameter types; they belong to the
 *		catalog's metadata generation and die with it, so DDL that changes
 *		names never meets a stale plan.  Statements run through a cursor in
 *		batches, so SPI never holds more than one batch of rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "cache.h"
#include "catalog.h"
#include "execute.h"
#include "keys.h"
#include "matrx_relations.h"
#include "sqlgen.h"

/* plans kept per catalog generation; past this, statements are prepared per call */
#define MX_MAX_KEPT_PLANS 1024

/* a kept plan, found by the hash of its text and parameter types */
typedef struct MxPlanEntry
{
	uint64		hash;			/* hash key */
	char	   *sql;
	int			nargs;
	Oid		   *argtypes;		/* nargs: keys and a spec's values, unbounded */
	int			options;		/* cursor options it was prepared with */
	SPIPlanPtr	plan;
} MxPlanEntry;

static HTAB *mx_plan_hash = NULL;
static uint64 mx_plan_generation = 0;

static uint64 MxPlanHash(const char *sql, int nargs, Oid *argtypes, int options);
static SPIPlanPtr MxGetPlanWith(const char *sql, int nargs, Oid *argtypes, int options);
static bool MxArrayQual(Node *node, void *context);
static bool MxPlanFiltersArrays(PlannedStmt *ps, Plan *plan, bool *indexed);

/* Hash of a statement's text, parameter types and cursor options */
static uint64
MxPlanHash(const char *sql, int nargs, Oid *argtypes, int options)
{
	uint64		h = hash_bytes_extended((const unsigned char *) sql, strlen(sql), 0);

	h = hash_bytes_extended((const unsigned char *) &options, sizeof(int), h);
	return hash_bytes_extended((const unsigned char *) argtypes, sizeof(Oid) * nargs, h);
}

/*
 * The kept plan of a statement, prepared on first use.  The caller is
 * connected to SPI; its memory context is current again on return.
 */
SPIPlanPtr
MxGetPlan(const char *sql, int nargs, Oid *argtypes)
{
	return MxGetPlanWith(sql, nargs, argtypes, 0);
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
	SPIPlanPtr	generic;
	CachedPlan *cplan;
	ListCell   *lc;
	bool		filters = false;
	bool		indexed = false;

	if (nkeys < MX_GENERIC_PLAN_KEYS)
		return MxGetPlan(sql, nargs, argtypes);
	generic = MxGetPlanWith(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);
	cplan = SPI_plan_get_cached_plan(generic);
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
	ReleaseCachedPlan(cplan, CurrentResourceOwner);
	return indexed && !filters ? generic : MxGetPlan(sql, nargs, argtypes);
}

/* MxGetPlan for the given cursor options */
static SPIPlanPtr
MxGetPlanWith(const char *sql, int nargs, Oid *argtypes, int options)
{
	MemoryContext caller = CurrentMemoryContext;
	uint64		h;
	MxPlanEntry *e;
	SPIPlanPtr	plan;
	bool		found;

	if (mx_plan_hash == NULL || mx_plan_generation != MxCatalogGeneration())
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(uint64);
		ctl.entrysize = sizeof(MxPlanEntry);
		ctl.hcxt = MxCatalogContext();
		mx_plan_hash = hash_create("matrx_relations plans", 64, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		mx_plan_generation = MxCatalogGeneration();
	}

	h = MxPlanHash(sql, nargs, argtypes, options);
	e = (MxPlanEntry *) hash_search(mx_plan_hash, &h, HASH_FIND, NULL);
	if (e != NULL && e->nargs == nargs && e->options == options && strcmp(e->sql, sql) == 0 &&
		memcmp(e->argtypes, argtypes, sizeof(Oid) * nargs) == 0)
		return e->plan;

	plan = SPI_prepare_cursor(sql, nargs, argtypes, options);
	MemoryContextSwitchTo(caller);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	/*
	 * A hash collision, or the plans kept are at their bound (a spec's
	 * columns, order and limit are in the text, so a caller varying them
	 * would otherwise keep a plan per variant for the session): use it
	 * once, unkept (SPI_finish frees it).
	 */
	if (e != NULL || hash_get_num_entries(mx_plan_hash) >= MX_MAX_KEPT_PLANS)
		return plan;

	SPI_keepplan(plan);
	MemoryContextSwitchTo(caller);
	MxCatalogKeepPlan(plan);
	e = (MxPlanEntry *) hash_search(mx_plan_hash, &h, HASH_ENTER, &found);
	e->sql = MemoryContextStrdup(MxCatalogContext(), sql);
	e->nargs = nargs;
	e->options = options;
	e->argtypes = MemoryContextAlloc(MxCatalogContext(), sizeof(Oid) * Max(nargs, 1));
	memcpy(e->argtypes, argtypes, sizeof(Oid) * nargs);
	e->plan = plan;
	return plan;
}

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

	portal = SPI_cursor_open(NULL, plan, values, nulls, true);
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
