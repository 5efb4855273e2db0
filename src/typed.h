/*-------------------------------------------------------------------------
 *
 * typed.h
 *		The typed, normalized form of the batched engine (load, load_batch,
 *		load_nodes): each distinct row of each table once, as a composite
 *		value, and the links (node, id, parent) that attach it to its
 *		parents.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_TYPED_H
#define MX_TYPED_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/execnodes.h"
#include "nodes/pg_list.h"

typedef struct MxTypedStream MxTypedStream;
typedef struct MxTypedIter MxTypedIter;

/* where a typed load's result rows go (typed.c writes, typedstream.c reads) */
typedef struct MxTypedSink
{
	ReturnSetInfo *rsinfo;
	bool		batch;			/* load_batch: a leading request column */
	bool		direct;			/* result rows formed here (MxTypedTuple) */
	/* streamed (value per call): the row written, returned by the call */
	bool		stream;
	TupleDesc	desc;			/* the result's row type, blessed */
	MemoryContext call_cxt;		/* the call's (a row formed by heap_form_tuple) */
	HeapTupleHeader row;
	/* load_flat: the rows' fields as columns, a group per table and columns */
	bool		flat;
	List	   *groups;			/* MxFlatGroup (typedstream.c) */
	Datum	   *values;			/* a result row being formed */
	bool	   *nulls;
	MemoryContext flat_cxt;		/* the call's: where values and fields live */
	Datum	   *fields;			/* a record's fields, deformed (room for nfields) */
	bool	   *field_nulls;
	int			nfields;
} MxTypedSink;

/* typed.c */
extern void MxTypedResults(struct MxLoadRun *run);
extern MxTypedIter *MxTypedIterStart(struct MxLoadRun *run);
extern bool MxTypedIterNext(MxTypedIter *it);
extern bool MxTypedIterInNode(MxTypedIter *it);
extern bool MxDirectDesc(TupleDesc desc);
extern bool MxSameColumns(const struct MxEdgeOpts *a, const struct MxEdgeOpts *b);
extern List *MxNodesInOrder(struct MxPathNode *root);
extern int	MxNodeNumber(List *nodes, struct MxPathNode *node);

/* typedstream.c */
extern void MxTypedLoad(List *reqs, ReturnSetInfo *rsinfo, bool batch, bool flat);
extern int	MxFlatGroupAt(MxTypedSink *sink, struct MxPathNode *node);
extern void MxFlatRow(MxTypedSink *sink, int nints, const int32 *ints, const bool *nulls,
					  HeapTupleHeader record, TupleDesc desc, int at);
extern MxTypedStream *MxTypedStreamStart(List *reqs, TupleDesc desc, bool batch);
extern Datum MxTypedStreamNext(MxTypedStream *st, bool *done);

#endif							/* MX_TYPED_H */
