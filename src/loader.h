/*-------------------------------------------------------------------------
 *
 * loader.h
 *		The batched loading engine behind prefetch_related and
 *		prefetch_batch: breadth-first over the planned edge groups, one
 *		statement per group with all its keys as array parameters, rows
 *		distributed to their parents in C, documents assembled bottom-up
 *		(or the typed form's rows and links written).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_LOADER_H
#define MX_LOADER_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "nodes/pg_list.h"

#include "request.h"
#include "keys.h"
#include "path.h"

/* rows a group's statement returned (or a request's instances); typed.c reads them too */
typedef struct MxRowSet
{
	int			nrows;
	int			cap;
	Jsonb	  **docs;			/* per row: to_jsonb, or (typed) the row composite */
	int			nextra;
	AttrNumber *extra_cols;
	int		   *extra_key;		/* NULL, or per extra: key column holding it */
	int16	   *extra_len;
	bool	   *extra_byval;
	Datum	   *extras;			/* nrows * nextra */
	bool	   *extra_nulls;
	/* by key (depth >= 1 and source groups) */
	MxKeySet   *keys;
	int			nkeycols;
	int		   *row_key;
	int		   *key_first;
	int		   *row_next;
	/* typed rows selected as columns: the record they form (MxRowSetRecords) */
	TupleDesc	row_desc;
	Datum	   *row_values;
	bool	   *row_nulls;
	bool	   *row_fetched;	/* per column: fetched from the toast table */
	/*
	 * typed rows with their primary key among the extras (npk > 0): a row
	 * whose key equals the previous row's shares its record, and canon
	 * gives per row the first row of its run (a tag of many products in an
	 * m2m statement ordered by the tag's key: one record, one id lookup)
	 */
	int			npk;
	int			pkpos[MX_MAX_KEYS];
	int		   *canon;
	/* the block rows are being copied into (rowset.c) */
	char	   *arena;
	Size		arena_left;
	Size		arena_next;		/* the size of the next block */
	void	   *arena_use;		/* the kept blocks it holds (rowset.c) */
} MxRowSet;

/* what a node holds: rows of a row set, and per parent row its key */
typedef struct MxNodeState
{
	MxRowSet   *rows;
	int			nreach;
	int		   *reach;			/* row numbers, in order of first reach */
	int		   *parent_key;		/* per parent row: key number, or -1 */
	int		   *keypos;			/* hop columns within parent's extras */
	MxCoercion *co;				/* parent's column type -> key type */
	Jsonb	  **final;			/* per row: document with children */
} MxNodeState;

/*
 * A load under way: its groups run depth by depth as the rows are asked for
 * (MxLoadRunTo), in memory of its own that outlives one call of a streamed
 * load (typed.c)
 */
typedef struct MxLoadRun
{
	List	   *requests;
	List	   *units;			/* the requests run (a batch's merged ones) */
	List	   *groups;			/* MxEdgeGroup, by depth */
	int			next_group;		/* the first not run yet */
	List	   *bydepth[MX_MAX_PATH_DEPTH + 1];	/* path nodes by depth */
	MemoryContext load_cxt;
	MemoryContext scratch_cxt;
} MxLoadRun;

/* loader.c */
extern void MxLoad(List *requests);
extern MxLoadRun *MxLoadStart(List *requests);
extern void MxLoadRunTo(MxLoadRun *run, int depth);
extern int *MxMergedRoots(MxRequest *req, int *n);
extern MemoryContext mx_load_cxt;	/* the running load's memory */
extern MemoryContext mx_scratch_cxt;	/* one document's parse tree, reset per row */

/* rowset.c */
extern MxRowSet *MxNewRowSet(Oid relid, int nextra, AttrNumber *extra_cols);
extern void MxRowSetGrow(MxRowSet *rs);
extern void MxRowSetRecords(MxRowSet *rs, Oid relid, const struct MxEdgeOpts *opts);
extern void MxRowSetRuns(MxRowSet *rs, Oid relid);
extern void MxCollectSlot(void *arg, TupleTableSlot *slot);
extern void MxChainRowSet(MxRowSet *rs);
extern void MxCachedRows(MxRowSet *rs, int k, MxCacheRows *rows);
extern void MxCacheKeyRows(MxCacheSpace *space, MxRowSet *rs, int k);
extern void MxInstanceRows(MxRequest *req);

/* documents.c */
extern void MxLoadDocuments(List **bydepth, List *requests, MemoryContext caller);

/* joined.c: select_related's one statement */
extern void MxJoinedLoad(MxRequest *req);

/* functions.c: requests from a call's arguments */
extern MxRequest *MxOpenRequest(FunctionCallInfo fcinfo, int argno, bool spec_form);
extern void MxStartCall(FunctionCallInfo fcinfo, bool srf, bool count);
extern MxRequest *MxKeysFormCall(FunctionCallInfo fcinfo, bool spec_form, bool srf);
extern MxRequest *MxInstancesFormCall(FunctionCallInfo fcinfo, bool spec_form, bool srf);

#endif							/* MX_LOADER_H */
