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

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

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
} MxRequest;

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

#endif							/* MX_LOADER_H */
