/*-------------------------------------------------------------------------
 *
 * request.h
 *		What a load is asked for: a source, its relation paths (or spec),
 *		and its rows as primary key values or as the caller's jsonb
 *		instances; parsed from arguments or from prefetch_batch's requests.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_REQUEST_H
#define MX_REQUEST_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "cache.h"
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
	MxCacheRows **cached;		/* per key: its cached rows, or NULL */
	int		   *fetch_row;		/* per fetched key: its row, or -1 */
	MxCacheSpace *space;		/* the cache of its whole documents, or NULL */
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
	/*
	 * A batch's requests of one shape (source and relations, byte for
	 * byte) in the keys form run as one request with all their keys
	 * (loader.c), each taking its rows from it at output
	 */
	struct MxRequest *shape;	/* the batch's first request of this shape (its path
								 * tree shared), or NULL */
	int			nshaped;		/* (on that one) keys-form requests of its shape */
	int			nshapedkeys;	/* (on that one) and their keys */
	struct MxRequest *unit;		/* (on that one) the request they run as */
	struct MxRequest *merged;	/* the request this one runs as part of, or NULL */
	MxKeySet   *keyset;			/* (merged) its keys, numbered as in keys */
	Jsonb	  **key_docs;		/* (merged, documents) per key: its document, or NULL */
	bool		done;			/* (merged, documents) key_docs filled */
} MxRequest;

/* request.c */
extern MxRequest *MxNewRequest(Oid source, Datum *paths, bool *path_nulls, int npaths,
							   bool spec_form, Jsonb *spec);
extern void MxRequestKeys(MxRequest *req, Datum *values, bool *nulls, int n, Oid elemtype);
extern void MxRequestKeysJson(MxRequest *req, Jsonb *keys, int request);
extern void MxRequestInstances(MxRequest *req, Jsonb *instances);
extern void MxRequestCache(MxRequest *req, const char *what);
extern bool MxRequestCached(MxRequest *req, int i, Jsonb **doc);
extern void MxRequestRemember(MxRequest *req, int i, Jsonb *doc);


/* batch.c */
extern List *MxBatchRequests(Jsonb *requests);

#endif							/* MX_REQUEST_H */
