/*-------------------------------------------------------------------------
 *
 * batch.c
 *		The requests of a batch call (prefetch_batch): a jsonb array of
 *		objects
 *
 *			{"source": "regclass text",
 *			 "keys": [...] | "instances": [...],
 *			 "relations": ["path", ...] | "spec": {...}}
 *
 *		checked for shape first (every request, before any name is looked
 *		up), then opened into MxRequests with their rows, for any entry
 *		point that takes this format.  Requests are numbered from 1 in
 *		messages.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

#include "assemble.h"
#include "catalog.h"
#include "path.h"
#include "request.h"

/*
 * Requests of one shape (source and relations or spec, byte for byte) are
 * opened once per batch: a DataLoader sends many requests of one shape,
 * and each would otherwise be parsed, its names resolved and locked, again.
 * The last MX_BATCH_SHAPES shapes are remembered.
 */
#define MX_BATCH_SHAPES 16

typedef struct MxBatchShapeCache
{
	int			nshapes;
	int			next;			/* the slot the next new shape takes */
	JsonbValue *source[MX_BATCH_SHAPES];
	JsonbValue *rels[MX_BATCH_SHAPES];	/* "relations" or "spec", or NULL */
	JsonbValue	source_buf[MX_BATCH_SHAPES];	/* (where they are held) */
	JsonbValue	rels_buf[MX_BATCH_SHAPES];
	bool		spec[MX_BATCH_SHAPES];
	bool		keys[MX_BATCH_SHAPES];	/* the keys form (else instances) */
	MxRequest  *req[MX_BATCH_SHAPES];	/* the request opened from it */
} MxBatchShapeCache;

/* the type a batch's requests' keys are read as, for the source read last */
typedef struct MxBatchKeyType
{
	Oid			source;
	Oid			type;			/* its primary key's type */
	int32		typmod;
} MxBatchKeyType;

static JsonbValue *MxBatchField(Jsonb *obj, const char *key, JsonbValue *buf);
static List *MxBatchShapes(Jsonb *requests);
static void MxBatchShape(Jsonb *obj, int n);
static void MxBatchPaths(Jsonb *obj, int n, Datum **paths, bool **nulls, int *npaths);
static MxRequest *MxBatchOpen(Jsonb *obj, int n);
static bool MxSameField(JsonbValue *a, JsonbValue *b);
static JsonbValue *MxShapeRels(Jsonb *obj, bool *spec, JsonbValue *buf);
static MxRequest *MxShapeRequest(MxBatchShapeCache *cache, Jsonb *obj);
static void MxShapeRemember(MxBatchShapeCache *cache, Jsonb *obj, MxRequest *req);
static bool MxBatchOneKey(MxBatchKeyType *kt, MxRequest *req, JsonbValue *keys);
static void MxBatchRows(MxBatchKeyType *kt, Jsonb *obj, int n, MxRequest *req);

/*
 * The value of key in a request object (into buf: a batch's many requests
 * allocate nothing for it), or NULL
 */
static JsonbValue *
MxBatchField(Jsonb *obj, const char *key, JsonbValue *buf)
{
	return getKeyJsonValueFromContainer(&obj->root, key, strlen(key), buf);
}

/* Checks the shape of request number n (1-based), names aside */
static void
MxBatchShape(Jsonb *obj, int n)
{
	JsonbValue	buf;
	JsonbValue	buf2;
	JsonbValue *f = MxBatchField(obj, "source", &buf);
	bool		has_keys = MxBatchField(obj, "keys", &buf2) != NULL;
	bool		has_instances = MxBatchField(obj, "instances", &buf2) != NULL;

	if (f == NULL || f->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("request %d has no \"source\" string", n)));
	if (has_keys == has_instances)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("request %d must have either \"keys\" or \"instances\"", n)));
	f = MxBatchField(obj, "spec", &buf);
	if (f != NULL && MxBatchField(obj, "relations", &buf2) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("request %d has both \"relations\" and \"spec\"", n),
				 errhint("Give the relations either as paths or as a spec.")));
	if (f != NULL && f->type != jbvNull &&
		(f->type != jbvBinary || !JsonContainerIsObject(f->val.binary.data)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"spec\" of request %d must be an object", n)));
	f = MxBatchField(obj, "relations", &buf);
	if (f != NULL && f->type != jbvNull &&
		(f->type != jbvBinary || !JsonContainerIsArray(f->val.binary.data)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"relations\" of request %d must be an array of strings", n)));
}

/* The request objects of a batch, each checked for shape */
static List *
MxBatchShapes(Jsonb *requests)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *objs = NIL;
	int			n = 0;

	if (!JB_ROOT_IS_ARRAY(requests) || JB_ROOT_IS_SCALAR(requests))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("requests must be a jsonb array of objects")));
	it = JsonbIteratorInit(&requests->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		Jsonb	   *obj;

		CHECK_FOR_INTERRUPTS();
		if (tok != WJB_ELEM)
			continue;
		n++;
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("request %d is not an object", n)));
		obj = MxContainerToJsonb(&v);
		MxBatchShape(obj, n);
		objs = lappend(objs, obj);
	}
	return objs;
}

/* The "relations" of request n as text datums (NULL elements kept as NULL) */
static void
MxBatchPaths(Jsonb *obj, int n, Datum **paths, bool **nulls, int *npaths)
{
	JsonbValue	buf;
	JsonbValue *f = MxBatchField(obj, "relations", &buf);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			size;

	*paths = NULL;
	*nulls = NULL;
	*npaths = 0;
	if (f == NULL || f->type == jbvNull)
		return;
	size = Max(JsonContainerSize(f->val.binary.data), 1);
	*paths = palloc(sizeof(Datum) * size);
	*nulls = palloc(sizeof(bool) * size);
	it = JsonbIteratorInit(f->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (v.type != jbvNull && v.type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"relations\" of request %d must be an array of strings", n)));
		(*nulls)[*npaths] = v.type == jbvNull;
		(*paths)[(*npaths)++] = v.type == jbvNull ? (Datum) 0 :
			PointerGetDatum(cstring_to_text_with_len(v.val.string.val, v.val.string.len));
	}
}

/* Request n opened: its source looked up, its paths or spec parsed */
static MxRequest *
MxBatchOpen(Jsonb *obj, int n)
{
	JsonbValue	buf;
	JsonbValue *f = MxBatchField(obj, "source", &buf);
	char	   *name = pnstrdup(f->val.string.val, f->val.string.len);
	Oid			source = DatumGetObjectId(DirectFunctionCall1(regclassin,
															  CStringGetDatum(name)));
	Datum	   *paths;
	bool	   *nulls;
	int			npaths;

	MxBatchPaths(obj, n, &paths, &nulls, &npaths);
	f = MxBatchField(obj, "spec", &buf);
	return MxNewRequest(source, paths, nulls, npaths, f != NULL,
						f != NULL && f->type != jbvNull ? MxContainerToJsonb(f) : NULL);
}

/*
 * The one key of a request like an earlier one of its shape (whose keys
 * were read in full: its source has a one-column primary key) when its
 * "keys" is an array of one scalar, read as MxRequestKeysJson would
 * (a DataLoader's many requests, without a copy, an iterator or a
 * catalog lookup each); false when keys is anything else
 */
static bool
MxBatchOneKey(MxBatchKeyType *kt, MxRequest *req, JsonbValue *keys)
{
	JsonbValue *v;
	bool		isnull;
	Datum		k;

	if (req->shape == NULL || req->shape == req ||
		!JsonContainerIsArray(keys->val.binary.data) ||
		JsonContainerIsScalar(keys->val.binary.data) ||
		JsonContainerSize(keys->val.binary.data) != 1)
		return false;
	v = getIthJsonbValueFromContainer(keys->val.binary.data, 0);
	if (v == NULL || v->type == jbvBinary)
		return false;
	if (kt->source != req->source)
	{
		MxTable    *src = MxGetTable(req->source);
		Oid			typid;
		Oid			collid;

		kt->type = src->pk_types[0];
		get_atttypetypmodcoll(req->source, src->pk_cols[0], &typid, &kt->typmod, &collid);
		kt->source = req->source;
	}
	k = MxJsonbToDatum(v, kt->type, kt->typmod, &isnull);
	req->keys = palloc(sizeof(Datum));
	req->nkeys = 0;
	if (!isnull)
		req->keys[req->nkeys++] = k;
	return true;
}

/* The rows of request n: its "keys" or its "instances" */
static void
MxBatchRows(MxBatchKeyType *kt, Jsonb *obj, int n, MxRequest *req)
{
	JsonbValue	buf;
	JsonbValue *f = MxBatchField(obj, "keys", &buf);

	if (f != NULL)
	{
		if (f->type != jbvBinary)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"keys\" of request %d must be an array", n)));
		if (!MxBatchOneKey(kt, req, f))
			MxRequestKeysJson(req, MxContainerToJsonb(f), n);
		return;
	}
	f = MxBatchField(obj, "instances", &buf);
	if (f->type != jbvBinary)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"instances\" of request %d must be an array of objects", n)));
	MxRequestInstances(req, MxContainerToJsonb(f));
}

/* Whether two request fields are the same JSON (both absent or null, or the same bytes) */
static bool
MxSameField(JsonbValue *a, JsonbValue *b)
{
	bool		anull = a == NULL || a->type == jbvNull;
	bool		bnull = b == NULL || b->type == jbvNull;

	if (anull || bnull)
		return anull == bnull;
	if (a->type == jbvString && b->type == jbvString)
		return a->val.string.len == b->val.string.len &&
			memcmp(a->val.string.val, b->val.string.val, a->val.string.len) == 0;
	return a->type == jbvBinary && b->type == jbvBinary &&
		a->val.binary.len == b->val.binary.len &&
		memcmp(a->val.binary.data, b->val.binary.data, a->val.binary.len) == 0;
}

/* The "spec" of a request, else its "relations" (NULL when neither) */
static JsonbValue *
MxShapeRels(Jsonb *obj, bool *spec, JsonbValue *buf)
{
	JsonbValue *rels = MxBatchField(obj, "spec", buf);

	*spec = rels != NULL;
	return rels != NULL ? rels : MxBatchField(obj, "relations", buf);
}

/*
 * A request like the one opened for a remembered shape equal to obj's (in
 * the same form), or NULL.  Requests of the keys form share its path tree:
 * the loader runs them as one (loader.c); one of the instances form gets
 * a copy.
 */
static MxRequest *
MxShapeRequest(MxBatchShapeCache *cache, Jsonb *obj)
{
	JsonbValue	buf[3];
	JsonbValue *source = MxBatchField(obj, "source", &buf[0]);
	bool		spec;
	JsonbValue *rels = MxShapeRels(obj, &spec, &buf[1]);
	bool		keys = MxBatchField(obj, "keys", &buf[2]) != NULL;
	int			i;

	for (i = 0; i < cache->nshapes; i++)
		if (cache->spec[i] == spec && cache->keys[i] == keys &&
			MxSameField(cache->source[i], source) && MxSameField(cache->rels[i], rels))
		{
			MxRequest  *req = palloc0(sizeof(MxRequest));

			req->source = cache->req[i]->source;
			req->root = keys ? cache->req[i]->root : MxCopyPaths(cache->req[i]->root, NULL);
			req->shape = cache->req[i]->shape;
			return req;
		}
	return NULL;
}

/* Remembers obj's shape and the request opened from it (the oldest makes room) */
static void
MxShapeRemember(MxBatchShapeCache *cache, Jsonb *obj, MxRequest *req)
{
	int			i = cache->next;
	JsonbValue	buf;

	cache->source[i] = MxBatchField(obj, "source", &cache->source_buf[i]);
	cache->rels[i] = MxShapeRels(obj, &cache->spec[i], &cache->rels_buf[i]);
	cache->keys[i] = MxBatchField(obj, "keys", &buf) != NULL;
	cache->req[i] = req;
	req->shape = cache->keys[i] ? req : NULL;
	cache->next = (i + 1) % MX_BATCH_SHAPES;
	cache->nshapes = Max(cache->nshapes, i + 1);
}

/*
 * The requests of a batch, in order, with their rows: every request's
 * shape is checked first, then all are opened (again while invalidations
 * arrive), then their keys and instances are read.
 */
List *
MxBatchRequests(Jsonb *requests)
{
	List	   *objs = MxBatchShapes(requests);
	MxBatchKeyType kt;
	List	   *reqs = NIL;
	ListCell   *lc;
	ListCell   *lc2;
	int			attempt = 0;
	int			n;

	do
	{
		MxBatchShapeCache cache;

		MxCatalogBeginCall();
		memset(&cache, 0, sizeof(cache));
		list_free(reqs);
		reqs = NIL;
		n = 0;
		foreach(lc, objs)
		{
			Jsonb	   *obj = (Jsonb *) lfirst(lc);
			MxRequest  *req = MxShapeRequest(&cache, obj);

			n++;
			if (req == NULL)
			{
				req = MxBatchOpen(obj, n);
				MxShapeRemember(&cache, obj, req);
			}
			reqs = lappend(reqs, req);
		}
	} while (MxRetryStale(&attempt));

	n = 0;
	memset(&kt, 0, sizeof(kt));
	forboth(lc, objs, lc2, reqs)
		MxBatchRows(&kt, (Jsonb *) lfirst(lc), ++n, (MxRequest *) lfirst(lc2));
	return reqs;
}
