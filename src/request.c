/*-------------------------------------------------------------------------
 *
 * request.c
 *		What a load is asked for: a request is a source, its relation paths
 *		and its rows, given as primary key values (converted by implicit
 *		cast, deduplicated in first-occurrence order) or as the caller's
 *		jsonb instances; and, for the keys form, the whole documents the
 *		relation cache already holds, so only the other keys are loaded.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "assemble.h"
#include "cache.h"
#include "catalog.h"
#include "keys.h"
#include "matrx_relations.h"
#include "request.h"

static void MxAddRequestKey(MxRequest *req, MxKeySet *set, Datum k);
static int	MxNodeKeyCmp(const ListCell *a, const ListCell *b);
static void MxTreeSignature(MxPathNode *node, StringInfo buf, List **relids);

/*
 * Opens source and parses its paths, or with spec_form its spec (NULL:
 * none), into a request (the caller retries on staleness)
 */
MxRequest *
MxNewRequest(Oid source, Datum *paths, bool *path_nulls, int npaths, bool spec_form, Jsonb *spec)
{
	MxRequest  *req = palloc0(sizeof(MxRequest));

	(void) MxOpenTable(source, "source");
	req->source = source;
	req->root = spec_form ? MxParseSpec(source, spec) :
		MxParsePaths(source, paths, path_nulls, npaths);
	return req;
}

/*
 * Adds one key (already of the key type) unless seen; set is NULL when
 * the request has at most one key (a DataLoader's many one-key requests
 * then pay for no hash table each)
 */
static void
MxAddRequestKey(MxRequest *req, MxKeySet *set, Datum k)
{
	bool		isnew;

	if (set == NULL)
	{
		Assert(req->nkeys == 0);
		req->keys[req->nkeys++] = k;
		return;
	}
	(void) MxKeySetAdd(set, &k, &isnew);
	if (isnew)
		req->keys[req->nkeys++] = MxKeySetKey(set, MxKeySetCount(set) - 1)[0];
}

/*
 * The keys form: values of elemtype converted to the source's primary key
 * type by implicit cast (42804 when there is none), NULLs dropped,
 * duplicates collapsed.
 */
void
MxRequestKeys(MxRequest *req, Datum *values, bool *nulls, int n, Oid elemtype)
{
	MxTable    *src = MxGetTable(req->source);
	MxCoercion	co;
	MxKeySet   *set;
	int			i;

	MxRequireSinglePrimaryKey(src);
	MxKeyCoercion(&co, src, elemtype);
	set = n <= 1 ? NULL :
		MxKeySetCreate(CurrentMemoryContext, 1, &src->pk_types[0], &src->pk_collations[0]);
	req->keys = MxAllocArray(n, sizeof(Datum), false);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!nulls[i])
			MxAddRequestKey(req, set, MxCoerce(&co, values[i]));
	}
}

/* The keys form with keys as a jsonb array (request number request of a batch) */
void
MxRequestKeysJson(MxRequest *req, Jsonb *keys, int request)
{
	MxTable    *src = MxGetTable(req->source);
	MxKeySet   *set;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	Oid			typid;
	int32		typmod;
	Oid			collid;

	MxRequireSinglePrimaryKey(src);
	get_atttypetypmodcoll(req->source, src->pk_cols[0], &typid, &typmod, &collid);
	if (!JB_ROOT_IS_ARRAY(keys) || JB_ROOT_IS_SCALAR(keys))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"keys\" of request %d must be an array", request)));
	set = JB_ROOT_COUNT(keys) <= 1 ? NULL :
		MxKeySetCreate(CurrentMemoryContext, 1, &src->pk_types[0], &src->pk_collations[0]);
	req->keys = palloc(sizeof(Datum) * Max(JB_ROOT_COUNT(keys), 1));
	it = JsonbIteratorInit(&keys->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		bool		isnull;
		Datum		k;

		CHECK_FOR_INTERRUPTS();
		if (tok != WJB_ELEM)
			continue;
		k = MxJsonbToDatum(&v, src->pk_types[0], typmod, &isnull);
		if (!isnull)
			MxAddRequestKey(req, set, k);
	}
}

/* The instances form: a jsonb array of objects, kept as they are */
void
MxRequestInstances(MxRequest *req, Jsonb *instances)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;

	if (!JB_ROOT_IS_ARRAY(instances) || JB_ROOT_IS_SCALAR(instances))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("instances must be a jsonb array of objects")));
	req->instances = true;
	req->root->instances = true;
	req->instance_docs = palloc(sizeof(Jsonb *) * Max(JB_ROOT_COUNT(instances), 1));
	it = JsonbIteratorInit(&instances->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		CHECK_FOR_INTERRUPTS();
		if (tok != WJB_ELEM)
			continue;
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("instance %d is not a jsonb object", n + 1),
					 errdetail("Instances are the source rows as objects, such as to_jsonb(row) gives.")));
		req->instance_docs[n++] = MxContainerToJsonb(&v);
	}
	req->ninstances = n;
}

/* Orders path nodes by output key */
static int
MxNodeKeyCmp(const ListCell *a, const ListCell *b)
{
	return strcmp(((MxPathNode *) lfirst(a))->key, ((MxPathNode *) lfirst(b))->key);
}

/*
 * A canonical description of node's subtree (relations by their metadata,
 * output keys, children in key order) into buf, and the tables it reads
 * appended to relids.
 */
static void
MxTreeSignature(MxPathNode *node, StringInfo buf, List **relids)
{
	List	   *sorted = list_copy(node->children);
	ListCell   *lc;

	check_stack_depth();
	appendStringInfo(buf, "%u", node->table);
	*relids = lappend_oid(*relids, node->table);
	if (node->rel != NULL)
	{
		appendStringInfo(buf, "=%p", (void *) node->rel);
		/* options, with the values of their parameters */
		if (node->opts != NULL)
			appendStringInfo(buf, "{%s}", node->opts->sig);
		if (OidIsValid(node->rel->via))
			*relids = lappend_oid(*relids, node->rel->via);
	}
	list_sort(sorted, MxNodeKeyCmp);
	appendStringInfoChar(buf, '(');
	foreach(lc, sorted)
	{
		MxPathNode *child = (MxPathNode *) lfirst(lc);

		appendStringInfo(buf, "%s:", quote_identifier(child->key));
		MxTreeSignature(child, buf, relids);
		appendStringInfoChar(buf, ',');
	}
	appendStringInfoChar(buf, ')');
	list_free(sorted);
}

/*
 * The keys form's whole documents from the relation cache, in the space
 * named what (prefetch_related's, select_related's): the keys it holds
 * are not fetched; the request loads the others (req->fetch).
 */
void
MxRequestCache(MxRequest *req, const char *what)
{
	StringInfoData sig;
	List	   *relids = NIL;
	Oid		   *relid_array;
	ListCell   *lc;
	MxTable    *src = MxGetTable(req->source);
	int			i = 0;

	req->fetch = req->keys;
	req->nfetch = req->nkeys;
	req->cached = NULL;
	req->space = NULL;
	/* (the signature is not worth building when the cache cannot serve) */
	if (req->nkeys == 0 || !MxCacheActive())
		return;
	initStringInfo(&sig);
	appendStringInfo(&sig, "%s documents of ", what);
	MxTreeSignature(req->root, &sig, &relids);
	relid_array = palloc(sizeof(Oid) * list_length(relids));
	foreach(lc, relids)
		relid_array[i++] = lfirst_oid(lc);
	req->space = MxCacheOpen(sig.data, 1, src->pk_types, src->pk_collations, 0, NULL, NULL, NULL,
							 list_length(relids), relid_array);
	if (req->space == NULL)
		return;
	req->cached = palloc(sizeof(MxCacheRows *) * req->nkeys);
	req->fetch = palloc(sizeof(Datum) * req->nkeys);
	req->nfetch = 0;
	for (i = 0; i < req->nkeys; i++)
	{
		CHECK_FOR_INTERRUPTS();
		req->cached[i] = MxCacheGet(req->space, &req->keys[i]);
		if (req->cached[i] == NULL)
			req->fetch[req->nfetch++] = req->keys[i];
	}
}

/*
 * Whether key number i of a keys-form request was served by the cache;
 * then *doc is its document (NULL: the key has no row).
 */
bool
MxRequestCached(MxRequest *req, int i, Jsonb **doc)
{
	MxCacheRows *cached = req->cached ? req->cached[i] : NULL;

	if (cached == NULL)
		return false;
	*doc = cached->nrows > 0 ? (Jsonb *) DatumGetPointer(cached->values[0]) : NULL;
	return true;
}

/* Caches the document loaded for key number i (NULL: no row), when the request can */
void
MxRequestRemember(MxRequest *req, int i, Jsonb *doc)
{
	Datum		value = PointerGetDatum(doc);

	if (req->space != NULL)
		MxCachePut(req->space, &req->keys[i], doc ? 1 : 0, &value, NULL, NULL);
}
