/*-------------------------------------------------------------------------
 *
 * typed.c
 *		The typed, normalized form of the batched engine: the output of
 *		load (keys or instances, paths or a spec) and load_batch, its rows
 *		and links, written a link at a time (MxTypedIterNext) into a sink
 *		(typedstream.c: a tuplestore, or a streamed call's next row; the SQL
 *		functions are in typedfuncs.c).
 *
 *		The loads run on the engine of prefetch_related and prefetch_batch
 *		(same plan, edge groups, statements, relation cache), with the
 *		statements selecting the row's columns, of which the loader forms
 *		its record (the table's row type, or a record of a spec's
 *		"columns": rowset.c), and the target's primary key among the extra
 *		columns.  Instead of documents, the
 *		rows and their links are written out, one result row per link:
 *
 *		node	the path node: 0 the source, then breadth-first, as
 *				load_nodes lists them
 *		id		the row's identity within the call: one per distinct row of
 *				a table (same primary key; whole row for a keyless one)
 *				and output columns, across nodes and requests
 *		parent	the parent row's id; -i for the caller's i-th instance;
 *				NULL for the keys form's source rows
 *		r		the row, in the first result row with its id; NULL after
 *
 *		so that a row shared by many parents is sent once, and the client
 *		decodes it in binary with its driver's codecs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "keys.h"
#include "loader.h"
#include "matrx_relations.h"
#include "path.h"
#include "spec.h"
#include "typed.h"

/*
 * The records of a node's rows are read in link order, far apart in
 * memory: the one a few links ahead is asked for early, so that it is in
 * the cache when written out
 */
#define MX_AHEAD 8
#if defined(__GNUC__)
#define MX_PREFETCH(p) __builtin_prefetch(p)
#else
#define MX_PREFETCH(p) ((void) 0)
#endif


/* rows of one table with one set of output columns: their ids by identity */
typedef struct MxIdSpace
{
	Oid			table;
	const MxEdgeOpts *opts;		/* its output columns: NULL (or -1) for all */
	bool		keyless;		/* no primary key: the identity is the whole row */
	int			nrowsets;		/* row sets of the call whose rows it holds */
	MxKeySet   *set;
	int			cap;
	int		   *ids;			/* per entry of set: its id */
} MxIdSpace;

/* the ids of a row set's rows */
typedef struct MxRowIds
{
	MxRowSet   *rows;
	MxIdSpace  *space;
	int			npk;
	int			pkpos[MX_MAX_KEYS]; /* the primary key among the extra columns */
	bool		distinct;		/* each of its rows a different table row */
	int		   *ids;			/* per row: its id, 0 until asked */
	int			flat_at;		/* load_flat: its fields' first column */
} MxRowIds;

/* per id: whether its row was sent, and the last node that linked to it as parent */
typedef struct MxIdState
{
	bool		sent;
	int			stamp;
} MxIdState;

/* a path tree's nodes, as its output reads them */
typedef struct MxTreeOut
{
	int			nnodes;
	MxPathNode **nodes;			/* in their numbering: the root first */
	int		   *parent;			/* per node: its parent's number */
	MxRowIds  **ids;			/* per node: its rows' ids */
} MxTreeOut;

/* one call's output */
typedef struct MxTypedOut
{
	MxTypedSink *sink;
	MemoryContext cxt;			/* the ids' (the load's) */
	List	   *spaces;			/* MxIdSpace */
	List	   *rowids;			/* MxRowIds */
	MxRowIds   *last;
	int			nids;
	int			cap;
	MxIdState  *state;			/* index: id */
	int			stamp;
	List	   *rowsets;		/* every row set of the call, with ... */
	List	   *rowset_nodes;	/* ... a node holding it */
	MxTreeOut  *tree;			/* the last request's tree */
	char	   *tuple;			/* where MxTypedTuple forms a result row */
	Size		tuple_cap;
} MxTypedOut;

/* a load's output being written, a link at a time */
struct MxTypedIter
{
	MxTypedOut	out;
	MxLoadRun  *run;
	int			request;		/* the current request's number (from 1) */
	MxRequest  *req;			/* it, NULL before the first */
	MxTreeOut  *tree;			/* its nodes */
	int		  **linked;			/* per node written: the rows it linked, in order */
	int		   *nlinked;
	int			node;			/* the node being written */
	int		   *rows;			/* its links: the rows ... */
	int		   *parents;		/* ... and their parents (NULL: the source's, none) */
	int			n;
	int			at;				/* the next link to write */
	MemoryContext req_cxt;		/* the request's own lists */
};

static MxRowIds *MxRowIdsFor(MxTypedOut *out, MxPathNode *node);
static Datum MxRowImage(Jsonb *row);
static int	MxRowId(MxTypedOut *out, MxRowIds *ri, int row);
static int	MxNewId(MxTypedOut *out);
static void MxCollectRowSets(MxTypedOut *out, MxPathNode *node);
static int	MxSpaceRowSets(MxTypedOut *out, MxPathNode *node);
static void MxTypedTuple(MxTypedOut *out, int nints, const int32 *ints, const bool *nulls,
						 Jsonb *record);
static void MxTypedEmit(MxTypedOut *out, int request, int node, int id, bool has_parent,
						int parent, MxRowSet *rs, int row, int flat_at);
static void MxTypedLinks(MxTypedIter *it, MxPathNode *node, int p);
static MxTreeOut *MxTreeFor(MxTypedOut *out, MxPathNode *root);
static bool MxTypedIterNode(MxTypedIter *it);

/* Whether two edges output the same columns */
bool
MxSameColumns(const MxEdgeOpts *a, const MxEdgeOpts *b)
{
	int			na = a == NULL ? -1 : a->ncolumns;
	int			nb = b == NULL ? -1 : b->ncolumns;

	return na == nb && (na <= 0 || memcmp(a->columns, b->columns, sizeof(AttrNumber) * na) == 0);
}

/*
 * The ids of the rows node holds (its row set's, shared by the nodes of
 * its group), made on first use
 */
static MxRowIds *
MxRowIdsFor(MxTypedOut *out, MxPathNode *node)
{
	MxRowSet   *rs = ((MxNodeState *) node->exec)->rows;
	MxTable    *t;
	MxRowIds   *ri;
	MxIdSpace  *space = NULL;
	MemoryContext old;
	ListCell   *lc;
	int			i;

	if (out->last != NULL && out->last->rows == rs)
		return out->last;
	foreach(lc, out->rowids)
		if (((MxRowIds *) lfirst(lc))->rows == rs)
			return out->last = (MxRowIds *) lfirst(lc);

	old = MemoryContextSwitchTo(out->cxt);
	t = MxGetTable(node->table);
	foreach(lc, out->spaces)
	{
		MxIdSpace  *s = (MxIdSpace *) lfirst(lc);

		if (s->table == node->table && MxSameColumns(s->opts, node->opts))
			space = s;
	}
	if (space == NULL)
	{
		Oid			bytea_type = BYTEAOID;
		Oid			no_coll = InvalidOid;

		space = palloc0(sizeof(MxIdSpace));
		space->table = node->table;
		space->opts = node->opts;
		space->keyless = t->pk_nkeys == 0;
		space->nrowsets = MxSpaceRowSets(out, node);
		space->set = space->keyless ?
			MxKeySetCreate(CurrentMemoryContext, 1, &bytea_type, &no_coll) :
			MxKeySetCreate(CurrentMemoryContext, t->pk_nkeys, t->pk_types, t->pk_collations);
		space->cap = 64;
		space->ids = palloc(sizeof(int) * space->cap);
		out->spaces = lappend(out->spaces, space);
	}

	ri = palloc0(sizeof(MxRowIds));
	ri->rows = rs;
	ri->space = space;
	/* a source's rows (by primary key) and a one-hop edge's each match one key */
	ri->distinct = node->rel == NULL || node->rel->nhops == 1;
	ri->npk = t->pk_nkeys;
	for (i = 0; i < t->pk_nkeys; i++)
	{
		int			e;

		ri->pkpos[i] = -1;
		for (e = 0; e < rs->nextra; e++)
			if (rs->extra_cols[e] == t->pk_cols[i])
				ri->pkpos[i] = e;
		if (ri->pkpos[i] < 0)
			elog(ERROR, "primary key column %d missing from the statement of %u",
				 t->pk_cols[i], node->table);
	}
	ri->ids = MxAllocArray(rs->nrows, sizeof(int), true);
	ri->flat_at = out->sink->flat ? MxFlatGroupAt(out->sink, node) : -1;
	out->rowids = lappend(out->rowids, ri);
	MemoryContextSwitchTo(old);
	return out->last = ri;
}

/*
 * A keyless row's identity: its attribute count, null bitmap and data as
 * a bytea (the tuple header's other fields, hint bits among them, vary
 * between reads of one row)
 */
static Datum
MxRowImage(Jsonb *row)
{
	HeapTupleHeader th = (HeapTupleHeader) row;
	uint16		natts = HeapTupleHeaderGetNatts(th);
	Size		bitmap = (th->t_infomask & HEAP_HASNULL) ? BITMAPLEN(natts) : 0;
	Size		datalen = HeapTupleHeaderGetDatumLength(th) - th->t_hoff;
	bytea	   *image = palloc(VARHDRSZ + sizeof(uint16) + bitmap + datalen);
	char	   *p = VARDATA(image);

	SET_VARSIZE(image, VARHDRSZ + sizeof(uint16) + bitmap + datalen);
	memcpy(p, &natts, sizeof(uint16));
	memcpy(p + sizeof(uint16), th->t_bits, bitmap);
	memcpy(p + sizeof(uint16) + bitmap, (char *) th + th->t_hoff, datalen);
	return PointerGetDatum(image);
}

/* The id of row number row of a row set, given on first use */
static int
MxRowId(MxTypedOut *out, MxRowIds *ri, int row)
{
	MxRowSet   *rs = ri->rows;
	MxIdSpace  *space = ri->space;
	Datum		key[MX_MAX_KEYS];
	MemoryContext old;
	bool		isnew;
	int			k;
	int			i;

	if (ri->ids[row] != 0)
		return ri->ids[row];
	/* a copy of its run's first row (MxRowSetRuns): that row's id */
	if (rs->canon != NULL && rs->canon[row] != row)
		return ri->ids[row] = MxRowId(out, ri, rs->canon[row]);
	/* the only rows of their table and columns, each once: a new id, nothing to look up */
	if (ri->distinct && space->nrowsets == 1 && !space->keyless)
		return ri->ids[row] = MxNewId(out);
	if (space->keyless)
		key[0] = MxRowImage(rs->docs[row]);
	else
		for (i = 0; i < ri->npk; i++)
			key[i] = rs->extras[(Size) row * rs->nextra + ri->pkpos[i]];
	old = MemoryContextSwitchTo(out->cxt);	/* the set copies the key here */
	k = MxKeySetAdd(space->set, key, &isnew);
	MemoryContextSwitchTo(old);
	if (isnew)
	{
		if (k >= space->cap)
		{
			space->cap *= 2;
			space->ids = repalloc_huge(space->ids, sizeof(int) * space->cap);
		}
		space->ids[k] = MxNewId(out);
	}
	return ri->ids[row] = space->ids[k];
}

/* The next id, its row not yet sent */
static int
MxNewId(MxTypedOut *out)
{
	if (out->nids >= PG_INT32_MAX - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many related rows")));
	++out->nids;
	if (out->nids >= out->cap)
	{
		out->cap *= 2;
		out->state = repalloc_huge(out->state, sizeof(MxIdState) * out->cap);
	}
	out->state[out->nids].sent = false;
	out->state[out->nids].stamp = 0;
	return out->nids;
}

/*
 * Collects the row sets of node's tree (one node each) into out: a group's
 * nodes share its row set, known before its statement runs
 */
static void
MxCollectRowSets(MxTypedOut *out, MxPathNode *node)
{
	ListCell   *lc;

	if (node->group != NULL && !node->instances &&
		!list_member_ptr(out->rowsets, node->group))
	{
		out->rowsets = lappend(out->rowsets, node->group);
		out->rowset_nodes = lappend(out->rowset_nodes, node);
	}
	foreach(lc, node->children)
		MxCollectRowSets(out, (MxPathNode *) lfirst(lc));
}

/* How many row sets of the call hold rows of node's table and output columns */
static int
MxSpaceRowSets(MxTypedOut *out, MxPathNode *node)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, out->rowset_nodes)
	{
		MxPathNode *other = (MxPathNode *) lfirst(lc);

		if (other->table == node->table && MxSameColumns(other->opts, node->opts))
			n++;
	}
	return n;
}

/*
 * Whether result rows of desc can be formed by MxTypedTuple: int4 columns,
 * then the record
 */
bool
MxDirectDesc(TupleDesc desc)
{
	int			i;

	if (desc->natts < 2 || desc->natts > 8)
		return false;
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		bool		last = i == desc->natts - 1;

		if (att->attisdropped ||
			att->atttypid != (last ? RECORDOID : INT4OID) ||
			att->attlen != (last ? -1 : sizeof(int32)) ||
			att->attalign != (last ? TYPALIGN_DOUBLE : TYPALIGN_INT))
			return false;
	}
	return true;
}

/*
 * Puts one result row into the tuplestore: nints int4 columns (nulls
 * for each) and the record (NULL: a null), laid out as heap_fill_tuple
 * would, but with the record kept as it is held (a 4-byte header,
 * aligned: a reader takes it without a copy), formed in one buffer that
 * the tuplestore copies
 */
static void
MxTypedTuple(MxTypedOut *out, int nints, const int32 *ints, const bool *nulls,
			 Jsonb *record)
{
	ReturnSetInfo *rsinfo = out->sink->rsinfo;
	bool		hasnull = record == NULL;
	Size		hoff;
	Size		len;
	Size		at;
	HeapTupleHeader th;
	HeapTupleData tuple;
	int			i;

	for (i = 0; i < nints; i++)
		hasnull |= nulls[i];
	hoff = MAXALIGN(SizeofHeapTupleHeader + (hasnull ? BITMAPLEN(nints + 1) : 0));
	len = hoff + sizeof(int32) * nints;
	if (record != NULL)
		len = TYPEALIGN(ALIGNOF_DOUBLE, len) + VARSIZE(record);
	if (len > out->tuple_cap)
	{
		out->tuple_cap = Max(len, 2 * out->tuple_cap);
		out->tuple = out->tuple == NULL ? MemoryContextAlloc(out->cxt, out->tuple_cap) :
			repalloc(out->tuple, out->tuple_cap);
	}
	th = (HeapTupleHeader) out->tuple;
	memset(th, 0, hoff);
	HeapTupleHeaderSetNatts(th, nints + 1);
	th->t_hoff = hoff;
	if (hasnull)
		th->t_infomask |= HEAP_HASNULL;
	at = hoff;
	for (i = 0; i < nints; i++)
	{
		if (nulls[i])
			continue;
		if (hasnull)
			th->t_bits[i >> 3] |= 1 << (i & 7);
		memcpy(out->tuple + at, &ints[i], sizeof(int32));
		at += sizeof(int32);
	}
	if (record != NULL)
	{
		Size		aligned = TYPEALIGN(ALIGNOF_DOUBLE, at);

		if (hasnull)
			th->t_bits[nints >> 3] |= 1 << (nints & 7);
		th->t_infomask |= HEAP_HASVARWIDTH;
		memset(out->tuple + at, 0, aligned - at);
		memcpy(out->tuple + aligned, record, VARSIZE(record));
	}
	if (out->sink->stream)
	{
		/* a composite datum of the result's row type (valid until the next row) */
		HeapTupleHeaderSetDatumLength(th, len);
		HeapTupleHeaderSetTypeId(th, out->sink->desc->tdtypeid);
		HeapTupleHeaderSetTypMod(th, out->sink->desc->tdtypmod);
		out->sink->row = th;
		return;
	}
	tuple.t_len = len;
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	tuplestore_puttuple(rsinfo->setResult, &tuple);
}

/* Writes one result row: a link, with the row itself when its id is new to the output */
static void
MxTypedEmit(MxTypedOut *out, int request, int node, int id, bool has_parent, int parent,
			MxRowSet *rs, int row, int flat_at)
{
	ReturnSetInfo *rsinfo = out->sink->rsinfo;
	Datum		values[5];
	bool		nulls[5];
	int32		ints[4];
	Jsonb	   *record = NULL;
	int			c = 0;
	int			i;

	memset(nulls, 0, sizeof(nulls));
	if (out->sink->batch)
		ints[c++] = request;
	ints[c++] = node;
	ints[c++] = id;
	nulls[c] = !has_parent;
	ints[c++] = has_parent ? parent : 0;
	if (!out->state[id].sent)
	{
		out->state[id].sent = true;
		record = rs->docs[row];
	}
	if (out->sink->flat)
	{
		MxFlatRow(out->sink, c, ints, nulls, (HeapTupleHeader) record, rs->row_desc, flat_at);
		return;
	}
	if (out->sink->direct && (record == NULL || !VARATT_IS_EXTENDED(record)))
	{
		MxTypedTuple(out, c, ints, nulls, record);
		return;
	}
	for (i = 0; i < c; i++)
		values[i] = Int32GetDatum(ints[i]);
	nulls[c] = record == NULL;
	values[c] = PointerGetDatum(record);
	if (out->sink->stream)
	{
		MemoryContext old = MemoryContextSwitchTo(out->sink->call_cxt);

		out->sink->row = heap_form_tuple(out->sink->desc, values, nulls)->t_data;
		MemoryContextSwitchTo(old);
		return;
	}
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* The nodes of a path tree in their numbering: the root, then breadth-first */
List *
MxNodesInOrder(MxPathNode *root)
{
	List	   *nodes = list_make1(root);
	int			i;

	for (i = 0; i < list_length(nodes); i++)
		nodes = list_concat(nodes, ((MxPathNode *) list_nth(nodes, i))->children);
	return nodes;
}

/* The number of node in nodes (MxNodesInOrder's) */
int
MxNodeNumber(List *nodes, MxPathNode *node)
{
	ListCell   *lc;

	foreach(lc, nodes)
		if (lfirst(lc) == node)
			return foreach_current_index(lc);
	elog(ERROR, "path node not in its tree");
	return -1;					/* keep compiler quiet */
}

/*
 * The links of the iterator's next node: for each distinct parent row
 * among the rows its parent node linked (in their order), its children in
 * the statement's order (an fk: the first).  Parents are ids, or -i for
 * the caller's i-th instance.  The node's rows linked, in order, are its
 * own children's parents.  The links are listed here and written one by
 * one (MxTypedIterNext), so that the rows a few links ahead (far apart in
 * memory: the statement's order is not the links') are asked for early.
 */
static void
MxTypedLinks(MxTypedIter *it, MxPathNode *node, int p)
{
	MxTypedOut *out = &it->out;
	MxNodeState *st = (MxNodeState *) node->exec;
	MxRowSet   *rs = st->rows;
	MxRowIds   *pi = it->tree->ids[p];
	bool		to_one = MxRelToOne(node->rel);
	int			stamp = ++out->stamp;
	int			np = it->nlinked[p];
	const int  *prows = it->linked[p];
	int			cap = 16;
	int		   *linked = palloc(sizeof(int) * cap);
	int		   *parents = palloc(sizeof(int) * cap);
	int			n = 0;
	int			i;

	for (i = 0; i < np; i++)
	{
		int			ki = st->parent_key[prows[i]];
		int			parent;
		int			row;

		CHECK_FOR_INTERRUPTS();
		if (ki < 0)
			continue;
		if (pi == NULL)
			parent = -(prows[i] + 1);
		else
		{
			/* one parent row reached twice (a tag of two products): linked once */
			parent = MxRowId(out, pi, prows[i]);
			if (out->state[parent].stamp == stamp)
				continue;
			out->state[parent].stamp = stamp;
		}
		for (row = rs->key_first[ki]; row >= 0; row = rs->row_next[row])
		{
			if (n >= cap)
			{
				cap *= 2;
				linked = repalloc_huge(linked, sizeof(int) * cap);
				parents = repalloc_huge(parents, sizeof(int) * cap);
			}
			linked[n] = row;
			parents[n++] = parent;
			if (to_one)
				break;
		}
	}
	it->linked[it->node] = it->rows = linked;
	it->nlinked[it->node] = it->n = n;
	it->parents = parents;
}

/*
 * A tree's nodes in their numbering, each with its parent's number (its
 * rows' ids are made when the node is reached: its statement may not
 * have run before), made once per tree (the last one is kept: a batch's
 * requests of one shape share one)
 */
static MxTreeOut *
MxTreeFor(MxTypedOut *out, MxPathNode *root)
{
	MxTreeOut  *tree = out->tree;
	MemoryContext old;
	List	   *nodes;
	int			i;

	if (tree != NULL && tree->nodes[0] == root)
		return tree;
	old = MemoryContextSwitchTo(out->cxt);
	nodes = MxNodesInOrder(root);
	tree = palloc(sizeof(MxTreeOut));
	tree->nnodes = list_length(nodes);
	tree->nodes = palloc(sizeof(MxPathNode *) * tree->nnodes);
	tree->parent = palloc(sizeof(int) * tree->nnodes);
	tree->ids = palloc0(sizeof(MxRowIds *) * tree->nnodes);
	for (i = 0; i < tree->nnodes; i++)
	{
		tree->nodes[i] = (MxPathNode *) list_nth(nodes, i);
		tree->parent[i] = i == 0 ? -1 : MxNodeNumber(nodes, tree->nodes[i]->parent);
	}
	if (out->tree != NULL)
		pfree(out->tree);
	out->tree = tree;
	MemoryContextSwitchTo(old);
	return tree;
}

/*
 * Moves the iterator to its next node (the next request's source after a
 * request's last node), running the statements it needs first; false when
 * every request is written
 */
static bool
MxTypedIterNode(MxTypedIter *it)
{
	MxPathNode *node;
	MxRequest  *req;

	if (it->req == NULL || it->node + 1 >= it->tree->nnodes)
	{
		if (it->request >= list_length(it->run->requests))
			return false;
		/* a request's own lists go with it (a batch may have many small ones) */
		MemoryContextReset(it->req_cxt);
		it->req = req = (MxRequest *) list_nth(it->run->requests, it->request++);
		/* (a request run as part of another reads that one's nodes) */
		it->tree = MxTreeFor(&it->out, req->merged ? req->merged->root : req->root);
		MemoryContextSwitchTo(it->req_cxt);
		it->linked = palloc(sizeof(int *) * it->tree->nnodes);
		it->nlinked = palloc(sizeof(int) * it->tree->nnodes);
		it->node = -1;
	}
	req = it->req;
	node = it->tree->nodes[++it->node];
	MxLoadRunTo(it->run, node->depth);
	MemoryContextSwitchTo(it->req_cxt);
	if (it->tree->ids[it->node] == NULL && (it->node > 0 || !req->instances))
		it->tree->ids[it->node] = MxRowIdsFor(&it->out, node);
	it->at = 0;
	if (it->node > 0)
	{
		MxTypedLinks(it, node, it->tree->parent[it->node]);
		return true;
	}
	/* the source rows: the keys form's, in key order (instances are the caller's) */
	it->parents = NULL;
	if (req->merged)
		it->rows = MxMergedRoots(req, &it->n);
	else
	{
		it->rows = ((MxNodeState *) node->exec)->reach;
		it->n = ((MxNodeState *) node->exec)->nreach;
	}
	it->linked[0] = it->rows;
	it->nlinked[0] = it->n;
	if (req->instances)
		it->n = 0;				/* linked, not written */
	return true;
}

/* Writes the next result row into the sink; false when there is none */
bool
MxTypedIterNext(MxTypedIter *it)
{
	MxRowSet   *rs;
	int			row;

	while (it->req == NULL || it->at >= it->n)
		if (!MxTypedIterNode(it))
			return false;
	if ((it->at & 255) == 0)
		CHECK_FOR_INTERRUPTS();
	rs = ((MxNodeState *) it->tree->nodes[it->node]->exec)->rows;
	if (it->parents != NULL && it->at + MX_AHEAD < it->n)
	{
		char	   *ahead = (char *) rs->docs[it->rows[it->at + MX_AHEAD]];

		MX_PREFETCH(ahead);
		MX_PREFETCH(ahead + 64);
	}
	row = it->rows[it->at];
	MxTypedEmit(&it->out, it->request, it->node,
				MxRowId(&it->out, it->tree->ids[it->node], row),
				it->parents != NULL, it->parents != NULL ? it->parents[it->at] : 0, rs, row,
				it->tree->ids[it->node]->flat_at);
	it->at++;
	return true;
}

/*
 * The output of a started load (MxLoadStart, in its memory, connected to
 * no SPI), written from its first row on; its statements run as the nodes
 * that need them are reached
 */
MxTypedIter *
MxTypedIterStart(MxLoadRun *run)
{
	MxTypedIter *it = palloc0(sizeof(MxTypedIter));
	ListCell   *lc;

	it->run = run;
	it->out.sink = (MxTypedSink *) ((MxRequest *) linitial(run->requests))->emit_arg;
	it->out.cxt = CurrentMemoryContext;
	it->out.cap = 1024;
	it->out.state = palloc(sizeof(MxIdState) * it->out.cap);
	foreach(lc, run->requests)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);

		/* (requests run as one: their first's tree stands for all) */
		if (req->merged == NULL || req->shape == req)
			MxCollectRowSets(&it->out, req->merged ? req->merged->root : req->root);
	}
	it->req_cxt = AllocSetContextCreate(CurrentMemoryContext, "matrx_relations typed request",
										ALLOCSET_DEFAULT_SIZES);
	return it;
}

/*
 * Whether the iterator's next row is a link of the node being written (no
 * statement runs for it)
 */
bool
MxTypedIterInNode(MxTypedIter *it)
{
	return it->req != NULL && it->at < it->n;
}

/*
 * Writes the typed output of a load whose statements have run (from
 * MxLoad, connected to no SPI): every request's rows and links, into the
 * call's tuplestore
 */
void
MxTypedResults(MxLoadRun *run)
{
	MxTypedIter *it = MxTypedIterStart(run);
	MemoryContext cxt = CurrentMemoryContext;

	while (MxTypedIterNext(it))
		;
	MemoryContextSwitchTo(cxt);
	MemoryContextDelete(it->req_cxt);
}
