/*-------------------------------------------------------------------------
 *
 * typed.c
 *		The typed, normalized form of the batched engine: the output of
 *		load (keys or instances, paths or a spec) and load_batch, its rows
 *		and links (the SQL functions are in typedfuncs.c).
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

/* where a call's result rows go */
typedef struct MxTypedSink
{
	ReturnSetInfo *rsinfo;
	bool		batch;			/* load_batch: a leading request column */
	bool		direct;			/* result rows formed here (MxTypedTuple) */
} MxTypedSink;

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

static bool MxSameColumns(const MxEdgeOpts *a, const MxEdgeOpts *b);
static MxRowIds *MxRowIdsFor(MxTypedOut *out, MxPathNode *node);
static Datum MxRowImage(Jsonb *row);
static int	MxRowId(MxTypedOut *out, MxRowIds *ri, int row);
static int	MxNewId(MxTypedOut *out);
static void MxCollectRowSets(MxTypedOut *out, MxPathNode *node);
static int	MxSpaceRowSets(MxTypedOut *out, MxPathNode *node);
static bool MxDirectDesc(TupleDesc desc);
static void MxTypedTuple(MxTypedOut *out, int nints, const int32 *ints, const bool *nulls,
						 Jsonb *record);
static void MxTypedEmit(MxTypedOut *out, int request, int node, int id, bool has_parent,
						int parent, MxRowSet *rs, int row);
static int	MxTypedLinks(MxTypedOut *out, int request, int number, MxPathNode *node,
						 MxRowIds *pi, int np, const int *prows, int **linked);
static void MxTypedRequest(MxTypedOut *out, MxRequest *req, int request);
static MxTreeOut *MxTreeFor(MxTypedOut *out, MxPathNode *root, bool instances);

/* Whether two edges output the same columns */
static bool
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

/* Collects the row sets of node's tree (one node each) into out */
static void
MxCollectRowSets(MxTypedOut *out, MxPathNode *node)
{
	MxNodeState *st = (MxNodeState *) node->exec;
	ListCell   *lc;

	if (st != NULL && st->rows != NULL && !node->instances &&
		!list_member_ptr(out->rowsets, st->rows))
	{
		out->rowsets = lappend(out->rowsets, st->rows);
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
static bool
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
	tuple.t_len = len;
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	tuplestore_puttuple(rsinfo->setResult, &tuple);
}

/* Writes one result row: a link, with the row itself when its id is new to the output */
static void
MxTypedEmit(MxTypedOut *out, int request, int node, int id, bool has_parent, int parent,
			MxRowSet *rs, int row)
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
	if (out->sink->direct && (record == NULL || !VARATT_IS_EXTENDED(record)))
	{
		MxTypedTuple(out, c, ints, nulls, record);
		return;
	}
	for (i = 0; i < c; i++)
		values[i] = Int32GetDatum(ints[i]);
	nulls[c] = record == NULL;
	values[c] = PointerGetDatum(record);
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
 * Writes the links of one node: for each distinct parent row among the
 * np rows its parent node linked (prows, in their order), its children in
 * the statement's order (an fk: the first).  pi is NULL when the parents
 * are the caller's instances (parent -i).  The rows linked go to *linked,
 * in order, for the node's own children; returns how many.  The links are
 * listed first and written second, so that the rows a few links ahead
 * (far apart in memory: the statement's order is not the links') are
 * asked for early.
 */
static int
MxTypedLinks(MxTypedOut *out, int request, int number, MxPathNode *node,
			 MxRowIds *pi, int np, const int *prows, int **linked)
{
	MxNodeState *st = (MxNodeState *) node->exec;
	MxRowSet   *rs = st->rows;
	MxRowIds   *ci = MxRowIdsFor(out, node);
	bool		to_one = MxRelToOne(node->rel);
	int			stamp = ++out->stamp;
	int			cap = 16;
	int		   *parents = palloc(sizeof(int) * cap);
	int			n = 0;
	int			p;
	int			i;

	*linked = palloc(sizeof(int) * cap);
	for (p = 0; p < np; p++)
	{
		int			ki = st->parent_key[prows[p]];
		int			parent;
		int			row;

		CHECK_FOR_INTERRUPTS();
		if (ki < 0)
			continue;
		if (pi == NULL)
			parent = -(prows[p] + 1);
		else
		{
			/* one parent row reached twice (a tag of two products): linked once */
			parent = MxRowId(out, pi, prows[p]);
			if (out->state[parent].stamp == stamp)
				continue;
			out->state[parent].stamp = stamp;
		}
		for (row = rs->key_first[ki]; row >= 0; row = rs->row_next[row])
		{
			if (n >= cap)
			{
				cap *= 2;
				*linked = repalloc_huge(*linked, sizeof(int) * cap);
				parents = repalloc_huge(parents, sizeof(int) * cap);
			}
			(*linked)[n] = row;
			parents[n++] = parent;
			if (to_one)
				break;
		}
	}
	for (i = 0; i < n; i++)
	{
		int			row = (*linked)[i];

		if ((i & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		if (i + MX_AHEAD < n)
		{
			char	   *ahead = (char *) rs->docs[(*linked)[i + MX_AHEAD]];

			MX_PREFETCH(ahead);
			MX_PREFETCH(ahead + 64);
		}
		MxTypedEmit(out, request, number, MxRowId(out, ci, row), true, parents[i], rs, row);
	}
	pfree(parents);
	return n;
}

/* Writes one request's rows and links, node by node */
static void
MxTypedRequest(MxTypedOut *out, MxRequest *req, int request)
{
	/* (a request run as part of another reads that one's nodes) */
	MxTreeOut  *tree = MxTreeFor(out, req->merged ? req->merged->root : req->root,
								 req->instances);
	int		  **linked = palloc(sizeof(int *) * tree->nnodes);
	int		   *nlinked = palloc(sizeof(int) * tree->nnodes);
	MxNodeState *rst = (MxNodeState *) tree->nodes[0]->exec;
	int			i;

	/* the source rows: the keys form's, in key order (instances are the caller's) */
	if (req->merged)
		linked[0] = MxMergedRoots(req, &nlinked[0]);
	else
	{
		linked[0] = rst->reach;
		nlinked[0] = rst->nreach;
	}
	if (!req->instances)
		for (i = 0; i < nlinked[0]; i++)
		{
			CHECK_FOR_INTERRUPTS();
			MxTypedEmit(out, request, 0, MxRowId(out, tree->ids[0], linked[0][i]), false, 0,
						rst->rows, linked[0][i]);
		}
	for (i = 1; i < tree->nnodes; i++)
	{
		int			p = tree->parent[i];

		nlinked[i] = MxTypedLinks(out, request, i, tree->nodes[i], tree->ids[p], nlinked[p],
								  linked[p], &linked[i]);
	}
}

/*
 * A tree's nodes in their numbering, each with its parent's number and
 * its rows' ids (none for the caller's instances), made once per tree
 * (the last one is kept: a batch's requests of one shape share one)
 */
static MxTreeOut *
MxTreeFor(MxTypedOut *out, MxPathNode *root, bool instances)
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
		if (i > 0 || !instances)
			tree->ids[i] = MxRowIdsFor(out, tree->nodes[i]);
	}
	if (out->tree != NULL)
		pfree(out->tree);
	out->tree = tree;
	MemoryContextSwitchTo(old);
	return tree;
}

/*
 * Writes the typed output of a finished load (from MxLoad, connected to
 * no SPI): every request's rows and links, into the call's tuplestore
 */
void
MxTypedResults(List *requests)
{
	MxTypedOut	out;
	ListCell   *lc;
	int			request = 0;

	MemoryContext req_cxt = AllocSetContextCreate(CurrentMemoryContext,
												  "matrx_relations typed request",
												  ALLOCSET_DEFAULT_SIZES);

	memset(&out, 0, sizeof(out));
	out.sink = (MxTypedSink *) ((MxRequest *) linitial(requests))->emit_arg;
	out.cxt = CurrentMemoryContext;
	out.cap = 1024;
	out.state = palloc(sizeof(MxIdState) * out.cap);
	foreach(lc, requests)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);

		/* (requests run as one: their first's tree stands for all) */
		if (req->merged == NULL || req->shape == req)
			MxCollectRowSets(&out, req->merged ? req->merged->root : req->root);
	}
	/* a request's own lists go with it (a batch may have many small ones) */
	MemoryContextSwitchTo(req_cxt);
	foreach(lc, requests)
	{
		MxTypedRequest(&out, (MxRequest *) lfirst(lc), ++request);
		MemoryContextReset(req_cxt);
	}
	MemoryContextSwitchTo(out.cxt);
	MemoryContextDelete(req_cxt);
}

/*
 * The results' tuplestores are kept in memory that stays between calls
 * (their tuples are freed one by one when the executor ends them, and
 * reused by the next call: not mapped and faulted in again); when the
 * last query using it is done with it and it holds more than twice
 * work_mem (a tuplestore keeps up to work_mem of tuples in memory, in
 * blocks of doubling sizes), it is given back.
 */
static MemoryContext mx_result_cxt = NULL;
static int	mx_result_users = 0;	/* queries with a tuplestore in it */

/* A query that had a tuplestore in the results' memory is done with it (its memory goes) */
static void
MxResultsDone(void *arg)
{
	if (--mx_result_users == 0 &&
		MemoryContextMemAllocated(mx_result_cxt, true) > (Size) work_mem * 2048)
		MemoryContextReset(mx_result_cxt);
}

/*
 * Replaces the call's (empty) tuplestore by one in the results' kept
 * memory, counted as used until the query's memory goes
 */
static void
MxKeptTuplestore(ReturnSetInfo *rsinfo)
{
	MemoryContext per_query = rsinfo->econtext->ecxt_per_query_memory;
	MemoryContextCallback *cb;
	MemoryContext old;

	if (mx_result_cxt == NULL)
		mx_result_cxt = AllocSetContextCreate(TopMemoryContext, "matrx_relations results",
											  ALLOCSET_DEFAULT_SIZES);
	cb = MemoryContextAlloc(per_query, sizeof(MemoryContextCallback));
	cb->func = MxResultsDone;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(per_query, cb);
	mx_result_users++;
	tuplestore_end(rsinfo->setResult);
	old = MemoryContextSwitchTo(mx_result_cxt);
	rsinfo->setResult = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
											  false, work_mem);
	MemoryContextSwitchTo(old);
}

/* Runs a typed load of reqs into the SRF's tuplestore */
void
MxTypedLoad(List *reqs, ReturnSetInfo *rsinfo, bool batch)
{
	MxTypedSink sink;
	ListCell   *lc;

	MxKeptTuplestore(rsinfo);
	sink.rsinfo = rsinfo;
	sink.batch = batch;
	sink.direct = MxDirectDesc(rsinfo->setDesc);
	foreach(lc, reqs)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);

		req->typed = true;
		req->emit_arg = &sink;
	}
	MxLoad(reqs);
}
