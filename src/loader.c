/*-------------------------------------------------------------------------
 *
 * loader.c
 *		The batched loading engine.
 *
 *		A load is one or more requests (a source, its relation paths, and
 *		its rows given by primary key or as the caller's jsonb instances).
 *		MxPlanLoad turns their path trees into edge groups; here each group
 *		runs once, depth by depth:
 *
 *		1. gather the keys every node of the group needs from its parent's
 *		   rows (NULL parts: no lookup), deduplicated in a key set hashed
 *		   with the type cache's functions;
 *		2. take the keys the relation cache holds from it (cache.c), and run
 *		   the group's one statement with the others as array parameters
 *		   (none at all when there are none); then cache what it returned;
 *		3. chain the returned rows per key, in arrival order (the statement
 *		   orders them by the target's primary key), and mark for every node
 *		   the rows its parents reach;
 *
 *		then the documents (documents.c) or the typed output (typed.c).
 *		The row sets are rowset.c's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "assemble.h"
#include "cache.h"
#include "catalog.h"
#include "execute.h"
#include "keys.h"
#include "loader.h"
#include "matrx_relations.h"
#include "typed.h"


/*
 * The key numbers of a parent row set's rows in a group, shared by the
 * group's nodes that read the same parent rows on the same columns (in a
 * batch of R one-key requests, R nodes share one): each parent row's key
 * is computed once, and no node holds an array of all parent rows.
 */
typedef struct MxKeyMap
{
	MxRowSet   *parents;
	int			nkeys;
	int			keypos[MX_MAX_KEYS];	/* hop columns within the parents' extras */
	MxCoercion	co[MX_MAX_KEYS];
	int		   *keys;			/* per parent row: key number, -1 none, -2 not asked */
} MxKeyMap;

MemoryContext mx_load_cxt;
MemoryContext mx_scratch_cxt;

static void MxRunGroup(MxEdgeGroup *g, List *requests);
static void MxNodeKeys(MxPathNode *node, List **maps, MxKeySet *keys);
static MxKeyMap *MxNodeKeyMap(MxPathNode *node, List **maps);
static void MxReach(MxPathNode *node, int *seen, int stamp);
static bool MxParentKey(MxPathNode *node, int pr, Datum *key);
static void MxLoadInner(List *requests);
static void MxRootRows(MxEdgeGroup *g, List *requests);
static List *MxMergeRequests(List *requests);
static void MxMergeKeys(MxRequest *m, MxRequest *req);

/*
 * Adds the keys of node's parent rows (converted to the statement's key
 * types) to its group's key set, remembering each reached parent row's key
 * number in the key map it shares with nodes that read those rows alike
 */
static void
MxNodeKeys(MxPathNode *node, List **maps, MxKeySet *keys)
{
	MxNodeState *ps = (MxNodeState *) node->parent->exec;
	MxNodeState *st = palloc0(sizeof(MxNodeState));
	MxKeyMap   *map;
	int			r;

	node->exec = st;
	map = MxNodeKeyMap(node, maps);
	st->parent_key = map->keys;
	st->keypos = map->keypos;
	st->co = map->co;
	for (r = 0; r < ps->nreach; r++)
	{
		Datum		key[MX_MAX_KEYS];
		bool		isnew;
		int			pr = ps->reach[r];

		CHECK_FOR_INTERRUPTS();
		/* a polymorphic arm's key only from rows of its type: cast for its target only */
		if (map->keys[pr] == -2)
			map->keys[pr] = (node->rel->poly_col == 0 || MxPolyKeep(node, pr)) &&
				MxParentKey(node, pr, key) ? MxKeySetAdd(keys, key, &isnew) : -1;
	}
}

/*
 * Runs one group: gathers its keys (from requests for a source group,
 * from the parents' rows otherwise), runs its statement, chains the rows.
 */
static void
MxRunGroup(MxEdgeGroup *g, List *requests)
{
	MxStmt	   *stmt = &g->stmt;
	MxRowSet   *rs = MxNewRowSet(stmt->target->relid, stmt->nextra, stmt->extra);
	ListCell   *lc;
	int			nkeys;
	Datum	   *params = palloc(sizeof(Datum) * Max(stmt->nparams, 1));
	MxCacheSpace *space = NULL;
	MxCacheRows **cached;
	List	   *maps = NIL;
	int		   *missing;
	int		   *seen;
	int			nmissing;
	int			i;
	int			k;

	rs->nkeycols = stmt->nkeys;
	rs->extra_key = stmt->extra_key;
	if (stmt->row_columns)
	{
		MxRowSetRecords(rs, stmt->target->relid, stmt->opts);
		MxRowSetRuns(rs, stmt->target->relid);
	}
	rs->keys = MxKeySetCreate(mx_load_cxt, stmt->nkeys, stmt->key_types, stmt->key_collations);
	g->exec = rs;

	if (g->depth == 0)
	{
		/* a source group: the keys of the requests it serves, in one pass */
		foreach(lc, requests)
		{
			MxRequest  *req = (MxRequest *) lfirst(lc);
			bool		isnew;

			if (req->root->group != g)
				continue;
			for (i = 0; i < req->nfetch; i++)
			{
				CHECK_FOR_INTERRUPTS();
				(void) MxKeySetAdd(rs->keys, &req->fetch[i], &isnew);
			}
		}
	}
	else
		foreach(lc, g->nodes)
			MxNodeKeys((MxPathNode *) lfirst(lc), &maps, rs->keys);

	/* the keys the cache holds are served from it; the others go in the statement */
	nkeys = MxKeySetCount(rs->keys);
	missing = MxAllocArray(nkeys, sizeof(int), false);
	cached = MxAllocArray(nkeys, sizeof(MxCacheRows *), false);
	if (nkeys > 0)
	{
		Oid			relids[3];

		space = MxCacheOpen(stmt->cache_id, stmt->nkeys, stmt->key_types, stmt->key_collations,
							rs->nextra, rs->extra_cols, rs->extra_len, rs->extra_byval,
							MxStmtRelids(stmt, relids), relids);
	}
	nmissing = MxKeysCached(space, rs->keys, cached, missing);
	/* a dist_only statement would return cached keys' rows again (Citus tables are never cached) */
	if (stmt->dist_only > 0 && nmissing < nkeys)
		elog(ERROR, "a statement filtered by distribution column found cached keys");
	for (k = 0; k < nkeys; k++)
		if (cached[k] != NULL)
			MxCachedRows(rs, k, cached[k]);

	/* no keys to fetch, no statement (and with no keys at all, none below) */
	if (nmissing > 0)
	{
		MxKeyParams(stmt, rs->keys, missing, nmissing, params);
		MxRunPlanSlots(MxChoosePlan(stmt->sql, stmt->nparams, stmt->all_param_types, nmissing),
					   params, NULL, MxCollectSlot, rs);
	}
	MxChainRowSet(rs);
	/* every row of the statement is in: its keys' entries are whole */
	if (space != NULL)
		for (k = 0; k < nmissing; k++)
		{
			CHECK_FOR_INTERRUPTS();
			MxCacheKeyRows(space, rs, missing[k]);
		}

	/* (a source group's roots are reached in MxLoadInner) */
	seen = MxAllocArray(rs->nrows, sizeof(int), true);
	if (g->depth > 0)
		foreach(lc, g->nodes)
			MxReach((MxPathNode *) lfirst(lc), seen, foreach_current_index(lc) + 1);
	pfree(seen);
}

/*
 * The key map node reads its parent rows with (one of maps, or a new one
 * added there): its hop's columns located in the parent's extras, and
 * their conversion to the group's key types
 */
static MxKeyMap *
MxNodeKeyMap(MxPathNode *node, List **maps)
{
	MxNodeState *ps = (MxNodeState *) node->parent->exec;
	MxStmt	   *stmt = &node->group->stmt;
	MxHop	   *hop = &node->rel->hops[0];
	int			keypos[MX_MAX_KEYS];
	MxKeyMap   *map;
	ListCell   *lc;
	int			i;
	int			r;

	for (i = 0; i < hop->nkeys; i++)
	{
		int			e;

		keypos[i] = -1;
		for (e = 0; e < ps->rows->nextra; e++)
			if (ps->rows->extra_cols[e] == hop->outer_cols[i])
				keypos[i] = e;
		if (keypos[i] < 0)
			elog(ERROR, "key column %d missing from the parent's statement", hop->outer_cols[i]);
	}
	/* the same columns of the same rows: the same types, the same keys (arms filter: their own) */
	foreach(lc, node->rel->poly_col > 0 ? NIL : *maps)
	{
		map = (MxKeyMap *) lfirst(lc);
		if (map->parents == ps->rows && map->nkeys == hop->nkeys &&
			memcmp(map->keypos, keypos, sizeof(int) * hop->nkeys) == 0)
			return map;
	}
	map = palloc0(sizeof(MxKeyMap));
	map->parents = ps->rows;
	map->nkeys = hop->nkeys;
	memcpy(map->keypos, keypos, sizeof(int) * hop->nkeys);
	for (i = 0; i < hop->nkeys; i++)
		if (!MxCoercionInit(&map->co[i], hop->outer_types[i], stmt->key_types[i], true))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("cannot convert %s to %s to match relation \"%s\" of %s",
							format_type_be(hop->outer_types[i]),
							format_type_be(stmt->key_types[i]), node->rel->name,
							format_type_be_qualified(get_rel_type_id(node->rel->source)))));
	map->keys = MxAllocArray(ps->rows->nrows, sizeof(int), false);
	for (r = 0; r < ps->rows->nrows; r++)
		map->keys[r] = -2;
	if (node->rel->poly_col == 0)
		*maps = lappend(*maps, map);
	return map;
}

/*
 * The key of parent row pr for node, converted to the group's key types;
 * false when a part is NULL (no lookup).
 */
static bool
MxParentKey(MxPathNode *node, int pr, Datum *key)
{
	MxNodeState *st = (MxNodeState *) node->exec;
	MxNodeState *ps = (MxNodeState *) node->parent->exec;
	MxHop	   *hop = &node->rel->hops[0];
	Size		base = (Size) pr * ps->rows->nextra;
	int			i;

	for (i = 0; i < hop->nkeys; i++)
	{
		if (ps->rows->extra_nulls[base + st->keypos[i]])
			return false;
		key[i] = MxCoerce(&st->co[i], ps->rows->extras[base + st->keypos[i]]);
	}
	return true;
}

/*
 * Marks the rows of its group that node's parents reach (by their key
 * numbers), in order of first reach.  seen is the group's, one int per
 * row, holding the stamp of the last node that reached the row: no node
 * clears or allocates an array of all the group's rows.
 */
static void
MxReach(MxPathNode *node, int *seen, int stamp)
{
	MxRowSet   *rs = (MxRowSet *) node->group->exec;
	MxNodeState *st = (MxNodeState *) node->exec;
	MxNodeState *ps = (MxNodeState *) node->parent->exec;
	int			cap = 16;
	int			r;

	st->rows = rs;
	st->reach = palloc(sizeof(int) * cap);
	for (r = 0; r < ps->nreach; r++)
	{
		int			ki = st->parent_key[ps->reach[r]];
		int			row;

		CHECK_FOR_INTERRUPTS();
		for (row = ki < 0 ? -1 : rs->key_first[ki]; row >= 0; row = rs->row_next[row])
		{
			if (seen[row] == stamp)
				continue;
			seen[row] = stamp;
			if (st->nreach >= cap)
			{
				cap *= 2;
				st->reach = repalloc_huge(st->reach, sizeof(int) * cap);
			}
			st->reach[st->nreach++] = row;
		}
	}
}

/* Collects the nodes of a tree by depth (index: depth) */
static void
MxNodesByDepth(MxPathNode *node, List **bydepth)
{
	ListCell   *lc;

	bydepth[node->depth] = lappend(bydepth[node->depth], node);
	foreach(lc, node->children)
		MxNodesByDepth((MxPathNode *) lfirst(lc), bydepth);
}

/*
 * Runs a load: every request's result documents are filled in, allocated
 * in the caller's memory context.  The caller is not connected to SPI.
 *
 * A load can run inside another (a view or function read by one load may
 * call a loader itself): the outer load's contexts are saved and restored
 * on every exit, errors included.
 */
void
MxLoad(List *requests)
{
	MemoryContext saved_load = mx_load_cxt;
	MemoryContext saved_scratch = mx_scratch_cxt;

	PG_TRY();
	{
		MxLoadInner(requests);
	}
	PG_FINALLY();
	{
		mx_load_cxt = saved_load;
		mx_scratch_cxt = saved_scratch;
	}
	PG_END_TRY();
}

/* The rows of a source group's requests in the keys form, in the order of their keys */
static void
MxRootRows(MxEdgeGroup *g, List *requests)
{
	MxRowSet   *rs = g->exec;
	ListCell   *lc;

	foreach(lc, requests)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);
		MxNodeState *st;
		int			i;

		if (req->root->group != g)
			continue;
		st = palloc0(sizeof(MxNodeState));
		st->rows = rs;
		st->reach = MxAllocArray(req->nfetch, sizeof(int), false);
		req->fetch_row = MxAllocArray(req->nfetch, sizeof(int), false);
		for (i = 0; i < req->nfetch; i++)
		{
			int			ki = MxKeySetFind(rs->keys, &req->fetch[i]);

			req->fetch_row[i] = -1;
			if (ki >= 0 && rs->key_first[ki] >= 0)
				st->reach[st->nreach++] = req->fetch_row[i] = rs->key_first[ki];
		}
		req->root->exec = st;
	}
}


/*
 * The rows of a request run as part of another (its merged one), in the
 * order of its keys: the source rows found; their count into *n
 */
int *
MxMergedRoots(MxRequest *req, int *n)
{
	MxRowSet   *rs = ((MxNodeState *) req->merged->root->exec)->rows;
	int		   *rows = MxAllocArray(req->nkeys, sizeof(int), false);
	int			i;

	*n = 0;
	for (i = 0; i < req->nkeys; i++)
	{
		int			ki = MxKeySetFind(rs->keys, &req->keys[i]);

		if (ki >= 0 && rs->key_first[ki] >= 0)
			rows[(*n)++] = rs->key_first[ki];
	}
	return rows;
}

/* Adds req's keys to m's (room made for all), each once, in first-occurrence order */
static void
MxMergeKeys(MxRequest *m, MxRequest *req)
{
	int			i;

	for (i = 0; i < req->nkeys; i++)
	{
		bool		isnew;

		CHECK_FOR_INTERRUPTS();
		(void) MxKeySetAdd(m->keyset, &req->keys[i], &isnew);
		if (isnew)
			m->keys[m->nkeys++] = MxKeySetKey(m->keyset, MxKeySetCount(m->keyset) - 1)[0];
	}
}

/*
 * The requests to run: a batch's requests of one shape in the keys form
 * (a DataLoader sends many, of one key each) run as one request with all
 * their keys, planned and assembled once; each keeps its own keys and
 * takes its rows (MxMergedRoots) or documents from that one at output.
 * Other requests run as they are.
 */
static List *
MxMergeRequests(List *requests)
{
	List	   *units = NIL;
	ListCell   *lc;

	foreach(lc, requests)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);

		req->merged = NULL;
		if (req->shape != NULL)
		{
			req->shape->nshaped = req->shape->nshapedkeys = 0;
			req->shape->unit = NULL;
		}
	}
	foreach(lc, requests)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);

		if (req->shape != NULL && !req->instances)
		{
			req->shape->nshaped++;
			req->shape->nshapedkeys += req->nkeys;
		}
	}
	foreach(lc, requests)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);
		MxRequest  *shape = req->shape;
		MxRequest  *m;

		if (shape == NULL || req->instances || shape->nshaped < 2)
		{
			units = lappend(units, req);
			continue;
		}
		m = shape->unit;
		if (m == NULL)
		{
			MxTable    *src = MxGetTable(req->source);

			m = palloc0(sizeof(MxRequest));
			m->source = req->source;
			m->root = req->root;
			m->typed = req->typed;
			m->emit_arg = req->emit_arg;
			m->keys = MxAllocArray(shape->nshapedkeys, sizeof(Datum), false);
			m->keyset = MxKeySetCreate(mx_load_cxt, 1, &src->pk_types[0], &src->pk_collations[0]);
			shape->unit = m;
			units = lappend(units, m);
		}
		MxMergeKeys(m, req);
		req->merged = m;
	}
	return units;
}

/*
 * Starts a load in the current memory context: its contexts, requests and
 * plan (edge groups); no statement runs yet.  Leaves its context current
 * and the loader's globals pointing at it.
 */
MxLoadRun *
MxLoadStart(List *requests)
{
	MxLoadRun  *run;
	List	   *roots = NIL;
	ListCell   *lc;

	mx_load_cxt = AllocSetContextCreate(CurrentMemoryContext, "matrx_relations load",
										ALLOCSET_DEFAULT_SIZES);
	mx_scratch_cxt = AllocSetContextCreate(mx_load_cxt, "matrx_relations document",
										   ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(mx_load_cxt);
	run = palloc0(sizeof(MxLoadRun));
	run->load_cxt = mx_load_cxt;
	run->scratch_cxt = mx_scratch_cxt;
	run->requests = requests;

	run->units = MxMergeRequests(requests);
	foreach(lc, run->units)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);

		roots = lappend(roots, req->root);
		req->root->typed = req->typed;
		if (req->instances)
			MxInstanceRows(req);
		else if (req->typed)
		{
			/* no whole documents to cache: the statements' rows are */
			req->fetch = req->keys;
			req->nfetch = req->nkeys;
		}
		else
			MxRequestCache(req, "prefetch_related");
		MxNodesByDepth(req->root, run->bydepth);
	}
	run->groups = MxPlanLoad(roots);
	return run;
}

/*
 * Runs the groups of the load up to the given depth that have not run
 * yet, connected to SPI for them (the caller is not), in the load's memory
 */
void
MxLoadRunTo(MxLoadRun *run, int depth)
{
	bool		connected = false;

	while (run->next_group < list_length(run->groups))
	{
		MxEdgeGroup *g = (MxEdgeGroup *) list_nth(run->groups, run->next_group);

		if (g->depth > depth)
			break;
		if (!connected)
		{
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			connected = true;
		}
		MemoryContextSwitchTo(run->load_cxt);
		MxRunGroup(g, run->units);
		if (g->depth == 0)
			MxRootRows(g, run->units);
		run->next_group++;
	}
	if (connected)
		SPI_finish();
	MemoryContextSwitchTo(run->load_cxt);
}

/* MxLoad's work */
static void
MxLoadInner(List *requests)
{
	MemoryContext caller = CurrentMemoryContext;
	MxLoadRun  *run = MxLoadStart(requests);

	MxLoadRunTo(run, MX_MAX_PATH_DEPTH);

	/* the typed form: rows and links instead of documents */
	if (requests != NIL && ((MxRequest *) linitial(requests))->typed)
		MxTypedResults(run);
	else
		MxLoadDocuments(run->bydepth, requests, caller);
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(run->load_cxt);
	mx_load_cxt = NULL;
}