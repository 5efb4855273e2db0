/*-------------------------------------------------------------------------
 *
 * loader.h
 *		The batched loading engine behind prefetch_related and
 *		prefetch_batch: breadth-first over the planned edge groups, one
 *		statement per group with all its keys as array parameters, rows
 *		distributed to their parents in C, documents assembled bottom-up.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_LOADER_H
#define MX_LOADER_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "keys.h"
#include "path.h"

/* One load: a source, its paths, and its rows by key or as instances */
typedef struct MxRequest
{
	Oid			source;
	MxPathNode *root;
	bool		instances;
	/* keys form: distinct primary key values, in first-occurrence order */
	int			nkeys;
	Datum	   *keys;
	/* ... of which the loader fetches these (the others' documents are cached) */
	int			nfetch;
	Datum	   *fetch;
	void	  **cached;			/* per key: its MxCacheRows, or NULL */
	int		   *fetch_row;		/* per fetched key: its row, or -1 */
	void	   *space;			/* the cache of its whole documents, or NULL */
	/* instances form: the caller's objects */
	int			ninstances;
	Jsonb	  **instance_docs;
	/* result: one document per found key, or per instance ... */
	int			nresults;
	Jsonb	  **results;
	/* ... or, when set, handed to emit one by one (valid during the call) */
	void		(*emit) (void *arg, Jsonb *doc);
	void	   *emit_arg;
	/* typed form (typed.c): rows and links handed to MxTypedResults, no documents */
	bool		typed;
} MxRequest;

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
} MxRowSet;

/* what a node holds: rows of a row set, and per parent row its key */
typedef struct MxNodeState
{
	MxRowSet   *rows;
	int			nreach;
	int		   *reach;			/* row numbers, in order of first reach */
	int		   *parent_key;		/* per parent row: key number, or -1 */
	int			keypos[MX_MAX_KEYS];	/* hop columns within parent's extras */
	MxCoercion	co[MX_MAX_KEYS];	/* parent's column type -> key type */
	Jsonb	  **final;			/* per row: document with children */
} MxNodeState;

/* loader.c */
extern void *MxAllocArray(Size n, Size size, bool zero);
extern void MxLoad(List *requests);

/* request.c */
extern MxRequest *MxNewRequest(Oid source, Datum *paths, bool *path_nulls, int npaths,
							   bool spec_form, Jsonb *spec);
extern void MxRequestKeys(MxRequest *req, Datum *values, bool *nulls, int n, Oid elemtype);
extern void MxRequestKeysJson(MxRequest *req, Jsonb *keys, const char *what);
extern void MxRequestInstances(MxRequest *req, Jsonb *instances);
extern void MxRequestCache(MxRequest *req, const char *what);
extern bool MxRequestCached(MxRequest *req, int i, Jsonb **doc);
extern void MxRequestRemember(MxRequest *req, int i, Jsonb *doc);

/* functions.c: requests from a call's arguments */
extern MxRequest *MxOpenRequest(FunctionCallInfo fcinfo, int argno, bool spec_form);
extern MxRequest *MxKeysFormCall(FunctionCallInfo fcinfo, bool spec_form);
extern List *MxBatchRequests(Jsonb *requests);

#endif							/* MX_LOADER_H */
