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
 *		then assemble documents bottom-up: each row's to_jsonb plus its
 *		children, built once per node and embedded into every parent.
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
 * A node whose rows each belong to one parent row (an ifk edge: rows are
 * matched on a key of the parent) has its documents built while its
 * parent's are, and not kept: they are embedded once and dropped, which
 * keeps the biggest level of a load (order items, say) out of memory.
 * Other nodes' rows can be shared by many parents (an fk target, an m2m
 * target), so their documents are built once and kept.
 */
#define MX_LAZY(node) ((node)->rel != NULL && (node)->rel->kind == MX_KIND_IFK)

static MemoryContext mx_load_cxt;
static MemoryContext mx_scratch_cxt;	/* one document's parse tree, reset per row */

static MxRowSet *MxNewRowSet(Oid relid, int nextra, AttrNumber *extra_cols);
static void MxRowSetGrow(MxRowSet *rs);
static void MxCollectRow(void *arg, HeapTuple tuple, TupleDesc desc);
static void MxChainRows(MxRowSet *rs);
static void MxCachedRows(MxRowSet *rs, int k, MxCacheRows *rows);
static void MxCacheKeyRows(MxCacheSpace *space, MxRowSet *rs, int k);
static void MxInstanceRows(MxRequest *req);
static void MxRunGroup(MxEdgeGroup *g, List *requests);
static void MxReach(MxPathNode *node);
static bool MxParentKey(MxPathNode *node, int pr, Datum *key);
static Jsonb *MxAssemble(MxPathNode *node, int row, MemoryContext result_cxt);
static void MxAssembleNode(MxPathNode *node);
static void MxLoadInner(List *requests);
static void MxEmitResult(MxRequest *req, MemoryContext caller, int *nout, Jsonb *doc);

/*
 * An array of n elements of size bytes (zeroed or not) in the current
 * context, allowed past 1 GB; too large for PostgreSQL's limits is 54000.
 */
void *
MxAllocArray(Size n, Size size, bool zero)
{
	Size		total = Max(n, 1) * size;

	if (total / size != Max(n, 1) || total > MaxAllocHugeSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many related rows")));
	return MemoryContextAllocExtended(CurrentMemoryContext, total,
									  MCXT_ALLOC_HUGE | (zero ? MCXT_ALLOC_ZERO : 0));
}

/* An empty row set for rows of relid carrying the given extra columns */
static MxRowSet *
MxNewRowSet(Oid relid, int nextra, AttrNumber *extra_cols)
{
	MxRowSet   *rs = palloc0(sizeof(MxRowSet));
	int			i;

	rs->nextra = nextra;
	rs->extra_cols = extra_cols;
	rs->extra_len = palloc(sizeof(int16) * Max(nextra, 1));
	rs->extra_byval = palloc(sizeof(bool) * Max(nextra, 1));
	for (i = 0; i < nextra; i++)
		get_typlenbyval(get_atttype(relid, extra_cols[i]), &rs->extra_len[i], &rs->extra_byval[i]);
	rs->cap = 64;
	rs->docs = palloc(sizeof(Jsonb *) * rs->cap);
	rs->row_key = palloc(sizeof(int) * rs->cap);
	rs->extras = palloc(sizeof(Datum) * rs->cap * Max(nextra, 1));
	rs->extra_nulls = palloc(sizeof(bool) * rs->cap * Max(nextra, 1));
	return rs;
}

/* Makes room for one more row */
static void
MxRowSetGrow(MxRowSet *rs)
{
	Size		per = Max(rs->nextra, 1);

	if (rs->nrows < rs->cap)
		return;
	if ((Size) rs->cap * 2 * per * sizeof(Datum) > MaxAllocHugeSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many related rows")));
	rs->cap *= 2;
	rs->docs = repalloc_huge(rs->docs, sizeof(Jsonb *) * rs->cap);
	rs->row_key = repalloc_huge(rs->row_key, sizeof(int) * rs->cap);
	rs->extras = repalloc_huge(rs->extras, sizeof(Datum) * rs->cap * per);
	rs->extra_nulls = repalloc_huge(rs->extra_nulls, sizeof(bool) * rs->cap * per);
}

/* Row callback: keys, extra columns and the document of one row */
static void
MxCollectRow(void *arg, HeapTuple tuple, TupleDesc desc)
{
	MxRowSet   *rs = (MxRowSet *) arg;
	MemoryContext old = MemoryContextSwitchTo(mx_load_cxt);
	Datum		key[MX_MAX_KEYS];
	bool		isnull;
	int			ki;
	int			i;
	int			r;
	int			col;

	for (i = 0; i < rs->nkeycols; i++)
	{
		key[i] = SPI_getbinval(tuple, desc, i + 1, &isnull);
		if (isnull)
		{
			MemoryContextSwitchTo(old);
			return;
		}
	}
	ki = MxKeySetFind(rs->keys, key);
	if (ki < 0)
	{
		MemoryContextSwitchTo(old);
		return;
	}
	MxRowSetGrow(rs);
	r = rs->nrows++;
	rs->row_key[r] = ki;
	for (i = 0, col = rs->nkeycols + 1; i < rs->nextra; i++)
	{
		Datum		d;
		Size		at = (Size) r * rs->nextra + i;

		if (rs->extra_key[i] >= 0)
			d = key[rs->extra_key[i]], isnull = false;
		else
			d = SPI_getbinval(tuple, desc, col++, &isnull);

		rs->extra_nulls[at] = isnull;
		rs->extras[at] = isnull ? (Datum) 0 :
			datumCopy(d, rs->extra_byval[i], rs->extra_len[i]);
	}
	rs->docs[r] = DatumGetJsonbPCopy(SPI_getbinval(tuple, desc, col, &isnull));
	MemoryContextSwitchTo(old);
}

/* Chains each key's rows in arrival order */
static void
MxChainRows(MxRowSet *rs)
{
	int			nkeys = MxKeySetCount(rs->keys);
	int		   *last = MxAllocArray(nkeys, sizeof(int), false);
	int			r;

	rs->key_first = MxAllocArray(nkeys, sizeof(int), false);
	rs->row_next = MxAllocArray(rs->nrows, sizeof(int), false);
	for (r = 0; r < nkeys; r++)
		rs->key_first[r] = last[r] = -1;
	for (r = 0; r < rs->nrows; r++)
	{
		int			k = rs->row_key[r];

		rs->row_next[r] = -1;
		if (last[k] < 0)
			rs->key_first[k] = r;
		else
			rs->row_next[last[k]] = r;
		last[k] = r;
	}
	pfree(last);
}

/* Appends the cached rows of key number k (used in place, not copied) */
static void
MxCachedRows(MxRowSet *rs, int k, MxCacheRows *rows)
{
	int			i;

	for (i = 0; i < rows->nrows; i++)
	{
		int			r;

		MxRowSetGrow(rs);
		r = rs->nrows++;
		rs->row_key[r] = k;
		rs->docs[r] = (Jsonb *) DatumGetPointer(rows->values[i]);
		memcpy(&rs->extras[(Size) r * rs->nextra], &rows->extras[(Size) i * rs->nextra],
			   sizeof(Datum) * rs->nextra);
		memcpy(&rs->extra_nulls[(Size) r * rs->nextra], &rows->extra_nulls[(Size) i * rs->nextra],
			   sizeof(bool) * rs->nextra);
	}
}

/* Caches the rows the statement returned for key number k (chained) */
static void
MxCacheKeyRows(MxCacheSpace *space, MxRowSet *rs, int k)
{
	int			n = 0;
	int			r;
	Datum	   *values;
	Datum	   *extras;
	bool	   *nulls;

	for (r = rs->key_first[k]; r >= 0; r = rs->row_next[r])
		n++;
	values = palloc(sizeof(Datum) * Max(n, 1));
	extras = palloc(sizeof(Datum) * Max(n * rs->nextra, 1));
	nulls = palloc(sizeof(bool) * Max(n * rs->nextra, 1));
	n = 0;
	for (r = rs->key_first[k]; r >= 0; r = rs->row_next[r])
	{
		values[n] = PointerGetDatum(rs->docs[r]);
		memcpy(&extras[(Size) n * rs->nextra], &rs->extras[(Size) r * rs->nextra],
			   sizeof(Datum) * rs->nextra);
		memcpy(&nulls[(Size) n * rs->nextra], &rs->extra_nulls[(Size) r * rs->nextra],
			   sizeof(bool) * rs->nextra);
		n++;
	}
	MxCachePut(space, MxKeySetKey(rs->keys, k), n, values, extras, nulls);
	pfree(values);
	pfree(extras);
	pfree(nulls);
}

/*
 * The rows of an instances request: its objects, with the columns its
 * relations are keyed on read out of each (22023 when one is missing).
 */
static void
MxInstanceRows(MxRequest *req)
{
	MxPathNode *root = req->root;
	MxNodeState *st = palloc0(sizeof(MxNodeState));
	AttrNumber *cols;
	int			ncols;
	MxRowSet   *rs;
	int			r;
	int			c;
	char	  **names;
	Oid		   *typids;
	int32	   *typmods;

	MxNeededColumns(root, &ncols, &cols);
	rs = MxNewRowSet(req->source, ncols, cols);
	st->rows = rs;
	/* the key columns' names and types, looked up once */
	names = palloc(sizeof(char *) * Max(ncols, 1));
	typids = palloc(sizeof(Oid) * Max(ncols, 1));
	typmods = palloc(sizeof(int32) * Max(ncols, 1));
	for (c = 0; c < ncols; c++)
	{
		Oid			collid;

		names[c] = get_attname(req->source, cols[c], false);
		get_atttypetypmodcoll(req->source, cols[c], &typids[c], &typmods[c], &collid);
	}
	st->reach = MxAllocArray(req->ninstances, sizeof(int), false);
	for (r = 0; r < req->ninstances; r++)
	{
		Jsonb	   *doc = req->instance_docs[r];

		CHECK_FOR_INTERRUPTS();
		MxRowSetGrow(rs);
		rs->docs[r] = doc;
		for (c = 0; c < ncols; c++)
		{
			char	   *name = names[c];
			JsonbValue *v = getKeyJsonValueFromContainer(&doc->root, name, strlen(name), NULL);
			Size		at = (Size) r * ncols + c;

			if (v == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("instance %d has no key \"%s\"", r, name),
						 errdetail("The relations asked for are keyed on column \"%s\" of %s.",
								   name, format_type_be_qualified(get_rel_type_id(req->source)))));
			rs->extras[at] = MxJsonbToDatum(v, typids[c], typmods[c], &rs->extra_nulls[at]);
		}
		rs->nrows++;
		st->reach[st->nreach++] = r;
	}
	root->exec = st;
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
	int		   *missing;
	int			nmissing = 0;
	int			i;
	int			k;

	rs->nkeycols = stmt->nkeys;
	rs->extra_key = stmt->extra_key;
	rs->keys = MxKeySetCreate(mx_load_cxt, stmt->nkeys, stmt->key_types, stmt->key_collations);
	g->exec = rs;

	foreach(lc, g->nodes)
	{
		MxPathNode *node = (MxPathNode *) lfirst(lc);

		if (node->depth == 0)
		{
			/* a source group: the requests' keys */
			ListCell   *lc2;

			foreach(lc2, requests)
			{
				MxRequest  *req = (MxRequest *) lfirst(lc2);
				bool		isnew;

				if (req->root != node)
					continue;
				for (i = 0; i < req->nfetch; i++)
				{
					CHECK_FOR_INTERRUPTS();
					(void) MxKeySetAdd(rs->keys, &req->fetch[i], &isnew);
				}
			}
		}
		else
		{
			MxNodeState *ps = (MxNodeState *) node->parent->exec;
			MxHop	   *hop = &node->rel->hops[0];
			MxNodeState *st = palloc0(sizeof(MxNodeState));
			int			r;

			node->exec = st;
			for (i = 0; i < hop->nkeys; i++)
			{
				int			e;

				st->keypos[i] = -1;
				for (e = 0; e < ps->rows->nextra; e++)
					if (ps->rows->extra_cols[e] == hop->outer_cols[i])
						st->keypos[i] = e;
				if (st->keypos[i] < 0)
					elog(ERROR, "key column %d missing from the parent's statement",
						 hop->outer_cols[i]);
				if (!MxCoercionInit(&st->co[i], hop->outer_types[i], stmt->key_types[i], true))
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("cannot convert %s to %s to match relation \"%s\"",
									format_type_be(hop->outer_types[i]),
									format_type_be(stmt->key_types[i]), node->rel->name)));
			}
			/* each parent row's key number, kept for MxReach and assembly */
			st->parent_key = MxAllocArray(ps->rows->nrows, sizeof(int), false);
			for (r = 0; r < ps->rows->nrows; r++)
				st->parent_key[r] = -1;
			for (r = 0; r < ps->nreach; r++)
			{
				Datum		key[MX_MAX_KEYS];
				bool		isnew;

				CHECK_FOR_INTERRUPTS();
				if (MxParentKey(node, ps->reach[r], key))
					st->parent_key[ps->reach[r]] = MxKeySetAdd(rs->keys, key, &isnew);
			}
		}
	}

	/* the keys the cache holds are served from it; the others go in the statement */
	nkeys = MxKeySetCount(rs->keys);
	missing = MxAllocArray(nkeys, sizeof(int), false);
	if (nkeys > 0)
	{
		Oid			relids[3];

		space = MxCacheOpen(stmt->cache_id, stmt->nkeys, stmt->key_types, stmt->key_collations,
							rs->nextra, rs->extra_cols, rs->extra_len, rs->extra_byval,
							MxStmtRelids(stmt, relids), relids);
	}
	for (k = 0; k < nkeys; k++)
	{
		MxCacheRows *cached = space ? MxCacheGet(space, MxKeySetKey(rs->keys, k)) : NULL;

		CHECK_FOR_INTERRUPTS();
		if (cached != NULL)
			MxCachedRows(rs, k, cached);
		else
			missing[nmissing++] = k;
	}

	/* no keys to fetch, no statement (and with no keys at all, none below) */
	if (nmissing > 0)
	{
		for (i = 0; i < stmt->nkeys; i++)
		{
			Datum	   *col = MxAllocArray(nmissing, sizeof(Datum), false);
			int16		len;
			bool		byval;
			char		align;

			for (k = 0; k < nmissing; k++)
				col[k] = MxKeySetKey(rs->keys, missing[k])[i];
			get_typlenbyvalalign(stmt->key_types[i], &len, &byval, &align);
			params[i] = PointerGetDatum(construct_array(col, nmissing, stmt->key_types[i],
														len, byval, align));
		}
		memcpy(&params[stmt->nkeys], stmt->opt_params, sizeof(Datum) * (stmt->nparams - stmt->nkeys));
		MxRunPlan(MxChoosePlan(stmt->sql, stmt->nparams, stmt->all_param_types, nmissing), params, NULL,
				  MxCollectRow, rs);
	}
	MxChainRows(rs);
	/* every row of the statement is in: its keys' entries are whole */
	if (space != NULL)
		for (k = 0; k < nmissing; k++)
		{
			CHECK_FOR_INTERRUPTS();
			MxCacheKeyRows(space, rs, missing[k]);
		}

	foreach(lc, g->nodes)
		MxReach((MxPathNode *) lfirst(lc));
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

/* Marks the rows of its group that node's parents reach (by their key numbers) */
static void
MxReach(MxPathNode *node)
{
	MxRowSet   *rs = (MxRowSet *) node->group->exec;
	bool	   *seen = MxAllocArray(rs->nrows, sizeof(bool), true);
	int			r;

	if (node->depth == 0)
	{
		/* a root: rows in the order of its request's keys; set by MxLoad */
		pfree(seen);
		return;
	}
	{
		MxNodeState *st = (MxNodeState *) node->exec;
		MxNodeState *ps = (MxNodeState *) node->parent->exec;

		st->rows = rs;
		st->reach = MxAllocArray(rs->nrows, sizeof(int), false);
		for (r = 0; r < ps->nreach; r++)
		{
			int			ki = st->parent_key[ps->reach[r]];
			int			row;

			CHECK_FOR_INTERRUPTS();
			for (row = ki < 0 ? -1 : rs->key_first[ki]; row >= 0; row = rs->row_next[row])
			{
				if (!seen[row])
				{
					seen[row] = true;
					st->reach[st->nreach++] = row;
				}
			}
		}
	}
	pfree(seen);
}

/*
 * The document of one row of node, with its children, serialised into
 * result_cxt (a row without children is its statement's document as it
 * is).  Scratch memory goes to the current context.
 */
static Jsonb *
MxAssemble(MxPathNode *node, int row, MemoryContext result_cxt)
{
	MxNodeState *st = (MxNodeState *) node->exec;
	int			nchildren = list_length(node->children);
	MxChildValue *children;
	ListCell   *lc;
	int			c = 0;

	if (nchildren == 0)
		return st->rows->docs[row];
	children = palloc(sizeof(MxChildValue) * nchildren);
	foreach(lc, node->children)
	{
		MxPathNode *child = (MxPathNode *) lfirst(lc);
		MxNodeState *cs = (MxNodeState *) child->exec;
		MxChildValue *cv = &children[c++];
		int			ki = cs->parent_key[row];
		int			r;

		cv->key = child->key;
		cv->to_many = (child->rel->kind != MX_KIND_FK);
		cv->n = 0;
		cv->docs = NULL;
		if (ki < 0)
			continue;
		for (r = cs->rows->key_first[ki]; r >= 0; r = cs->rows->row_next[r])
			cv->n++;
		if (!cv->to_many && cv->n > 1)
			cv->n = 1;
		cv->docs = palloc(sizeof(Jsonb *) * Max(cv->n, 1));
		cv->n = 0;
		for (r = cs->rows->key_first[ki]; r >= 0; r = cs->rows->row_next[r])
		{
			/* a lazy child's documents are built here, into scratch memory */
			cv->docs[cv->n++] = MX_LAZY(child) ?
				MxAssemble(child, r, CurrentMemoryContext) : cs->final[r];
			if (!cv->to_many)
				break;
		}
	}
	return MxDocWithChildren(st->rows->docs[row], nchildren, children, result_cxt);
}

/* Builds the documents of every row node reaches */
static void
MxAssembleNode(MxPathNode *node)
{
	MxNodeState *st = (MxNodeState *) node->exec;
	int			r;

	st->final = MxAllocArray(st->rows->nrows, sizeof(Jsonb *), true);
	MemoryContextSwitchTo(mx_scratch_cxt);
	for (r = 0; r < st->nreach; r++)
	{
		CHECK_FOR_INTERRUPTS();
		st->final[st->reach[r]] = MxAssemble(node, st->reach[r], mx_load_cxt);
		MemoryContextReset(mx_scratch_cxt);
	}
	MemoryContextSwitchTo(mx_load_cxt);
}

/* Hands one result document to the request (emitted, or kept in caller) */
static void
MxEmitResult(MxRequest *req, MemoryContext caller, int *nout, Jsonb *doc)
{
	if (req->emit != NULL)
		req->emit(req->emit_arg, doc);	/* a tuplestore copies it */
	else
	{
		Jsonb	   *copy = (Jsonb *) MemoryContextAlloc(caller, VARSIZE(doc));

		memcpy(copy, doc, VARSIZE(doc));
		req->results[*nout] = copy;
	}
	(*nout)++;
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

/* MxLoad's work */
static void
MxLoadInner(List *requests)
{
	MemoryContext caller = CurrentMemoryContext;
	List	   *roots = NIL;
	List	   *groups;
	List	   *bydepth[MX_MAX_PATH_DEPTH + 1];
	ListCell   *lc;
	int			d;

	mx_load_cxt = AllocSetContextCreate(CurrentMemoryContext, "matrx_relations load",
										ALLOCSET_DEFAULT_SIZES);
	mx_scratch_cxt = AllocSetContextCreate(mx_load_cxt, "matrx_relations document",
										   ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(mx_load_cxt);
	memset(bydepth, 0, sizeof(bydepth));

	foreach(lc, requests)
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
		MxNodesByDepth(req->root, bydepth);
	}
	groups = MxPlanLoad(roots);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(mx_load_cxt);
	foreach(lc, groups)
	{
		MxEdgeGroup *g = (MxEdgeGroup *) lfirst(lc);

		MxRunGroup(g, requests);
		if (g->depth == 0)
		{
			/* roots in the keys form: their rows in the order of their keys */
			MxRowSet   *rs = (MxRowSet *) g->exec;
			ListCell   *lc2;

			foreach(lc2, requests)
			{
				MxRequest  *req = (MxRequest *) lfirst(lc2);
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
	}
	SPI_finish();
	MemoryContextSwitchTo(mx_load_cxt);

	/* the typed form: rows and links instead of documents */
	if (requests != NIL && ((MxRequest *) linitial(requests))->typed)
	{
		MxTypedResults(requests);
		MemoryContextSwitchTo(caller);
		MemoryContextDelete(mx_load_cxt);
		mx_load_cxt = NULL;
		return;
	}

	/* documents bottom-up, then each request's results */
	for (d = MX_MAX_PATH_DEPTH; d >= 1; d--)
		foreach(lc, bydepth[d])
			if (!MX_LAZY((MxPathNode *) lfirst(lc)))
				MxAssembleNode((MxPathNode *) lfirst(lc));
	foreach(lc, requests)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);
		MxNodeState *st = (MxNodeState *) req->root->exec;
		int			nout = 0;
		int			f = 0;
		int			r;

		if (req->emit == NULL)
			req->results = MemoryContextAlloc(caller, sizeof(Jsonb *) *
											  Max(req->instances ? st->nreach : req->nkeys, 1));
		MemoryContextSwitchTo(mx_scratch_cxt);
		if (req->instances)
		{
			for (r = 0; r < st->nreach; r++)
			{
				CHECK_FOR_INTERRUPTS();
				MxEmitResult(req, caller, &nout, MxAssemble(req->root, st->reach[r], mx_scratch_cxt));
				MemoryContextReset(mx_scratch_cxt);
			}
		}
		else
		{
			/* keys in order: cached documents, and fetched ones (then cached) */
			for (r = 0; r < req->nkeys; r++)
			{
				int			row;
				Jsonb	   *doc;

				CHECK_FOR_INTERRUPTS();
				if (!MxRequestCached(req, r, &doc))
				{
					row = req->fetch_row ? req->fetch_row[f] : -1;
					f++;
					doc = row >= 0 ? MxAssemble(req->root, row, mx_scratch_cxt) : NULL;
					MxRequestRemember(req, r, doc);
				}
				if (doc != NULL)
					MxEmitResult(req, caller, &nout, doc);
				MemoryContextReset(mx_scratch_cxt);
			}
		}
		MemoryContextSwitchTo(mx_load_cxt);
		req->nresults = nout;
	}
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(mx_load_cxt);
	mx_load_cxt = NULL;
}
