/*-------------------------------------------------------------------------
 *
 * rowset.c
 *		The rows a load holds: a row set per edge group (and per request in
 *		the instances form), filled from its statement's rows, from the
 *		relation cache, or from the caller's instances, with the extra
 *		columns later hops and ids read, chained per key.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "assemble.h"
#include "cache.h"
#include "catalog.h"
#include "keys.h"
#include "loader.h"
#include "matrx_relations.h"

/* the sizes of the blocks rows are copied into: doubling from the first */
#define MX_ARENA_MIN (8 * 1024)
#define MX_ARENA_MAX (1024 * 1024)

/*
 * A block of MX_ARENA_MAX bytes kept between loads: a load's large row sets
 * take their blocks from the backend's pool and give them back when the
 * load's memory goes, so that the pages of a large load are not mapped,
 * faulted in and unmapped again on every call.  The pool keeps up to
 * work_mem of them; the link sits at the start of the block.
 */
typedef struct MxArenaBlock
{
	struct MxArenaBlock *next;
} MxArenaBlock;

/* the kept blocks a row set holds, given back when the load's memory goes */
typedef struct MxArenaUse
{
	MemoryContextCallback cb;
	MxArenaBlock *blocks;
} MxArenaUse;

static MemoryContext mx_arena_cxt = NULL;	/* the kept blocks' */
static MxArenaBlock *mx_arena_pool = NULL;
static Size mx_arena_pooled = 0;	/* bytes in the pool */

/* Gives a row set's kept blocks back to the pool (up to work_mem), or frees them */
static void
MxArenaGiveBack(void *arg)
{
	MxArenaUse *use = (MxArenaUse *) arg;

	while (use->blocks != NULL)
	{
		MxArenaBlock *b = use->blocks;

		use->blocks = b->next;
		if (mx_arena_pooled + MX_ARENA_MAX <= (Size) work_mem * 1024)
		{
			b->next = mx_arena_pool;
			mx_arena_pool = b;
			mx_arena_pooled += MX_ARENA_MAX;
		}
		else
			pfree(b);
	}
}

/*
 * A kept block for rs: from the pool, or new; it goes back when the
 * load's memory is deleted (an error's cleanup too)
 */
static char *
MxArenaKeptBlock(MxRowSet *rs)
{
	MxArenaUse *use = (MxArenaUse *) rs->arena_use;
	MxArenaBlock *b;

	if (use == NULL)
	{
		use = MemoryContextAllocZero(mx_load_cxt, sizeof(MxArenaUse));
		use->cb.func = MxArenaGiveBack;
		use->cb.arg = use;
		MemoryContextRegisterResetCallback(mx_load_cxt, &use->cb);
		rs->arena_use = use;
	}
	if (mx_arena_pool != NULL)
	{
		b = mx_arena_pool;
		mx_arena_pool = b->next;
		mx_arena_pooled -= MX_ARENA_MAX;
	}
	else
	{
		if (mx_arena_cxt == NULL)
			mx_arena_cxt = AllocSetContextCreate(TopMemoryContext, "matrx_relations kept rows",
												 ALLOCSET_DEFAULT_SIZES);
		b = MemoryContextAlloc(mx_arena_cxt, MX_ARENA_MAX);
	}
	b->next = use->blocks;
	use->blocks = b;
	return (char *) b + MAXALIGN(sizeof(MxArenaBlock));
}

/* An empty row set for rows of relid carrying the given extra columns */
MxRowSet *
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
	rs->arena_next = MX_ARENA_MIN;
	rs->cap = 64;
	rs->docs = palloc(sizeof(Jsonb *) * rs->cap);
	rs->row_key = palloc(sizeof(int) * rs->cap);
	rs->extras = palloc(sizeof(Datum) * rs->cap * Max(nextra, 1));
	rs->extra_nulls = palloc(sizeof(bool) * rs->cap * Max(nextra, 1));
	return rs;
}

/* Makes room for one more row */
void
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
	if (rs->canon != NULL)
		rs->canon = repalloc_huge(rs->canon, sizeof(int) * rs->cap);
}

/*
 * len bytes of the row set's memory: rows are copied one after another
 * into blocks (no allocation per value, no chunk headers or rounding),
 * freed only with the load
 */
static void *
MxRowSetAlloc(MxRowSet *rs, Size len)
{
	void	   *p;

	len = MAXALIGN(len);
	if (len > rs->arena_left)
	{
		Size		size = Max(len, rs->arena_next);
		Size		kept = MX_ARENA_MAX - MAXALIGN(sizeof(MxArenaBlock));

		/* a full-sized block, or any while the pool has one: a kept block */
		if (len <= kept && (size >= MX_ARENA_MAX || mx_arena_pool != NULL))
		{
			rs->arena = MxArenaKeptBlock(rs);
			rs->arena_left = kept;
		}
		else
		{
			rs->arena = MemoryContextAllocHuge(mx_load_cxt, size);
			rs->arena_left = size;
		}
		rs->arena_next = Min(rs->arena_next * 2, MX_ARENA_MAX);
	}
	p = rs->arena;
	rs->arena += len;
	rs->arena_left -= len;
	return p;
}

/* A copy of len bytes at data in the row set's memory */
static void *
MxRowSetCopy(MxRowSet *rs, const void *data, Size len)
{
	return memcpy(MxRowSetAlloc(rs, len), data, len);
}

/* A copy of a datum of a column of the row set (see MxRowSetCopy) */
static Datum
MxRowSetDatum(MxRowSet *rs, Datum d, bool byval, int16 len)
{
	if (byval)
		return d;
	if (len == -1)
	{
		struct varlena *v = (struct varlena *) DatumGetPointer(d);

		/* toasted or expanded values: datumCopy's way (flattened, not detoasted) */
		if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
			return datumCopy(d, byval, len);
		return PointerGetDatum(MxRowSetCopy(rs, v, VARSIZE_ANY(v)));
	}
	return PointerGetDatum(MxRowSetCopy(rs, DatumGetPointer(d), datumGetSize(d, byval, len)));
}

/*
 * A copy of a row's document (or record) with a 4-byte header, as readers
 * of jsonb and of records expect (a sort stores a small one with a 1-byte
 * header)
 */
static Jsonb *
MxRowSetDoc(MxRowSet *rs, Datum d)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	struct varlena *copy;
	Size		len;

	if (!VARATT_IS_EXTENDED(v))
		return (Jsonb *) MxRowSetCopy(rs, v, VARSIZE(v));
	if (!VARATT_IS_SHORT(v))
		return (Jsonb *) PG_DETOAST_DATUM_COPY(d);
	len = VARSIZE_SHORT(v) - VARHDRSZ_SHORT;
	copy = MxRowSetAlloc(rs, len + VARHDRSZ);
	SET_VARSIZE(copy, len + VARHDRSZ);
	memcpy(VARDATA(copy), VARDATA_SHORT(v), len);
	return (Jsonb *) copy;
}

/*
 * The row set's rows come as their columns (a typed load's statement,
 * MxRowColumns): the records they form, of relid's row type or, with the
 * spec's "columns", an anonymous record of those (as ROW(..) would be)
 */
void
MxRowSetRecords(MxRowSet *rs, Oid relid, const MxEdgeOpts *opts)
{
	TupleDesc	desc;
	int			i;

	if (opts != NULL && opts->ncolumns >= 0)
	{
		desc = CreateTemplateTupleDesc(opts->ncolumns);
		for (i = 0; i < opts->ncolumns; i++)
		{
			Oid			typid;
			int32		typmod;
			Oid			collid;
			char		name[NAMEDATALEN];

			get_atttypetypmodcoll(relid, opts->columns[i], &typid, &typmod, &collid);
			snprintf(name, sizeof(name), "f%d", i + 1);
			TupleDescInitEntry(desc, i + 1, name, typid, typmod, 0);
			TupleDescInitEntryCollation(desc, i + 1, collid);
		}
		desc = BlessTupleDesc(desc);
	}
	else
		desc = lookup_rowtype_tupdesc_copy(get_rel_type_id(relid), -1);
	rs->row_desc = desc;
	rs->row_values = palloc(sizeof(Datum) * Max(desc->natts, 1));
	rs->row_nulls = palloc(sizeof(bool) * Max(desc->natts, 1));
	rs->row_fetched = palloc0(sizeof(bool) * Max(desc->natts, 1));
}

/*
 * A typed row set's rows of one table row in a run share one record: when
 * relid's primary key is among the extras, a row whose key is the
 * previous row's takes its record (MxCollectSlot) and is marked as a copy
 * of the run's first row (canon), which the typed output gives the same
 * id without a look-up.  An m2m statement, ordered by the target's key,
 * returns a tag once per product that has it: one record instead of many.
 */
void
MxRowSetRuns(MxRowSet *rs, Oid relid)
{
	MxTable    *t = MxGetTable(relid);
	int			i;
	int			e;

	if (t->pk_nkeys == 0)
		return;
	for (i = 0; i < t->pk_nkeys; i++)
	{
		rs->pkpos[i] = -1;
		for (e = 0; e < rs->nextra; e++)
			if (rs->extra_cols[e] == t->pk_cols[i])
				rs->pkpos[i] = e;
		if (rs->pkpos[i] < 0)
			return;
	}
	rs->npk = t->pk_nkeys;
	rs->canon = palloc(sizeof(int) * rs->cap);
}

/* Whether row r's primary key is row r - 1's (same bytes: the same table row) */
static inline bool
MxRowSetSameKey(MxRowSet *rs, int r)
{
	int			i;

	for (i = 0; i < rs->npk; i++)
	{
		int			e = rs->pkpos[i];
		Size		at = (Size) r * rs->nextra + e;

		if (rs->extra_nulls[at] || rs->extra_nulls[at - rs->nextra] ||
			!datumIsEqual(rs->extras[at], rs->extras[at - rs->nextra],
						  rs->extra_byval[e], rs->extra_len[e]))
			return false;
	}
	return true;
}

/*
 * The record of a row whose columns start at slot column col, formed in
 * the row set's memory as a whole-row value would be (external values
 * fetched: the record stands alone)
 */
static HeapTupleHeader
MxRowSetRecord(MxRowSet *rs, TupleTableSlot *slot, int col)
{
	TupleDesc	desc = rs->row_desc;
	Datum	   *values = rs->row_values;
	bool	   *nulls = rs->row_nulls;
	bool		hasnull = false;
	bool		fetched = false;
	Size		hoff;
	Size		len;
	HeapTupleHeader td;
	int			a;

	for (a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		rs->row_fetched[a] = false;
		if (att->attisdropped)
		{
			values[a] = (Datum) 0;
			nulls[a] = true;
		}
		else
		{
			values[a] = slot->tts_values[col];
			nulls[a] = slot->tts_isnull[col++];
			if (!nulls[a] && att->attlen == -1 &&
				VARATT_IS_EXTERNAL(DatumGetPointer(values[a])))
			{
				values[a] = PointerGetDatum(detoast_external_attr((struct varlena *)
																  DatumGetPointer(values[a])));
				rs->row_fetched[a] = fetched = true;
			}
		}
		hasnull |= nulls[a];
	}
	hoff = SizeofHeapTupleHeader;
	if (hasnull)
		hoff += BITMAPLEN(desc->natts);
	hoff = MAXALIGN(hoff);
	len = hoff + heap_compute_data_size(desc, values, nulls);
	td = (HeapTupleHeader) MxRowSetAlloc(rs, len);
	memset(td, 0, len);
	HeapTupleHeaderSetNatts(td, desc->natts);
	td->t_hoff = hoff;
	heap_fill_tuple(desc, values, nulls, (char *) td + hoff, len - hoff,
					&td->t_infomask, hasnull ? td->t_bits : NULL);
#ifdef HEAP_IS_DATUM
	/* a server whose datums carry their row type's version: its own way */
	heap_tuple_set_datum(td, desc, len);
#else
	HeapTupleHeaderSetDatumLength(td, len);
	HeapTupleHeaderSetTypeId(td, desc->tdtypeid);
	HeapTupleHeaderSetTypMod(td, desc->tdtypmod);
#endif
	/* the fetched values were copied into the record */
	for (a = 0; fetched && a < desc->natts; a++)
		if (rs->row_fetched[a])
			pfree(DatumGetPointer(values[a]));
	return td;
}

/*
 * Statement row callback (MxRunPlanSlots): the row's key columns, its
 * extra columns and its document (or, typed, its record), copied out of
 * the executor's slot as it comes
 */
void
MxCollectSlot(void *arg, TupleTableSlot *slot)
{
	MxRowSet   *rs = (MxRowSet *) arg;
	Datum		key[MX_MAX_KEYS];
	int			ki;
	int			i;
	int			r;
	int			col;

	slot_getallattrs(slot);
	for (i = 0; i < rs->nkeycols; i++)
	{
		if (slot->tts_isnull[i])
			return;
		key[i] = slot->tts_values[i];
	}
	ki = MxKeySetFind(rs->keys, key);
	if (ki < 0)
		return;
	MxRowSetGrow(rs);
	r = rs->nrows++;
	rs->row_key[r] = ki;
	for (i = 0, col = rs->nkeycols; i < rs->nextra; i++)
	{
		Size		at = (Size) r * rs->nextra + i;
		Datum		d;
		bool		isnull;

		if (rs->extra_key[i] >= 0)
			d = key[rs->extra_key[i]], isnull = false;
		else
			d = slot->tts_values[col], isnull = slot->tts_isnull[col++];
		rs->extra_nulls[at] = isnull;
		rs->extras[at] = isnull ? (Datum) 0 :
			MxRowSetDatum(rs, d, rs->extra_byval[i], rs->extra_len[i]);
	}
	if (rs->row_desc != NULL)
	{
		if (rs->npk > 0 && r > 0 && MxRowSetSameKey(rs, r))
		{
			rs->canon[r] = rs->canon[r - 1];
			rs->docs[r] = rs->docs[r - 1];
			return;
		}
		if (rs->canon != NULL)
			rs->canon[r] = r;
		rs->docs[r] = (Jsonb *) MxRowSetRecord(rs, slot, col);
		return;
	}
	if (slot->tts_isnull[col])
		elog(ERROR, "a related row's document is null");
	rs->docs[r] = MxRowSetDoc(rs, slot->tts_values[col]);
}

/* Chains each key's rows in arrival order */
void
MxChainRowSet(MxRowSet *rs)
{
	int			nkeys = MxKeySetCount(rs->keys);

	rs->key_first = MxAllocArray(nkeys, sizeof(int), false);
	rs->row_next = MxAllocArray(rs->nrows, sizeof(int), false);
	MxChainRows(nkeys, rs->nrows, rs->row_key, rs->key_first, rs->row_next);
}

/* Appends the cached rows of key number k (used in place, not copied) */
void
MxCachedRows(MxRowSet *rs, int k, MxCacheRows *rows)
{
	int			i;

	for (i = 0; i < rows->nrows; i++)
	{
		int			r;

		MxRowSetGrow(rs);
		r = rs->nrows++;
		rs->row_key[r] = k;
		if (rs->canon != NULL)
			rs->canon[r] = r;
		rs->docs[r] = (Jsonb *) DatumGetPointer(rows->values[i]);
		memcpy(&rs->extras[(Size) r * rs->nextra], &rows->extras[(Size) i * rs->nextra],
			   sizeof(Datum) * rs->nextra);
		memcpy(&rs->extra_nulls[(Size) r * rs->nextra], &rows->extra_nulls[(Size) i * rs->nextra],
			   sizeof(bool) * rs->nextra);
	}
}

/* Caches the rows the statement returned for key number k (chained) */
void
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
void
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
						 errmsg("instance %d has no key \"%s\"", r + 1, name),
						 errdetail("The relations asked for are keyed on column \"%s\" of %s.",
								   name, format_type_be_qualified(get_rel_type_id(req->source)))));
			rs->extras[at] = MxJsonbToDatum(v, typids[c], typmods[c], &rs->extra_nulls[at]);
		}
		rs->nrows++;
		st->reach[st->nreach++] = r;
	}
	root->exec = st;
}
