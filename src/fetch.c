/*-------------------------------------------------------------------------
 *
 * fetch.c
 *		The typed loaders, fetch_related and fetch_related_array: the rows
 *		one relation yields for some source primary key values, as the
 *		target's row type, paired with the key each belongs to.
 *
 *		The caller's keys are converted to the primary key type and made
 *		distinct under its equality (one result group per distinct key, in
 *		order of first occurrence); each is then converted to the
 *		statement's key type and added to the statement's key set, whose
 *		type and collation are the relation's operator's, exactly as the
 *		batched engine keys a group (two primary key values that the
 *		relation's operator deems equal share one key and its rows).  The
 *		keys the relation cache holds come from it; one statement fetches
 *		the others (keyrows.c), its rows chained per key.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"

#include "cache.h"
#include "catalog.h"
#include "execute.h"
#include "keys.h"
#include "matrx_relations.h"
#include "spec.h"
#include "sqlgen.h"

/* a typed load: its statement, its keys and the rows fetched per key */
typedef struct MxTypedLoad
{
	MemoryContext cxt;			/* where rows are kept */
	MxStmt		stmt;
	MxKeySet   *keys;			/* the statement's keys */
	MxCacheSpace *space;		/* the relation cache's entries, or NULL */
	MxCacheRows **cached;		/* per key: its cached rows, or NULL */
	int			nrows;
	int			cap;
	int		   *row_key;		/* per row: its key number */
	Datum	   *rows;			/* per row: the target row (a composite) */
	int		   *key_first;		/* chains of rows per key (MxChainRows) */
	int		   *row_next;
} MxTypedLoad;

static MxRelation *MxLookupOneSegment(MxTable *src, const char *name);
static MxRelation *MxTypedOpen(Oid source, const char *name, MxTable **src);
static void MxTypedCheckTarget(Oid target_type, MxTable *src, MxTable *target,
							   const char *name);
static int	MxTypedKeys(ArrayType *keys, MxTable *src, Datum **orig, Datum **pkeys);
static void MxTypedFetch(MxTypedLoad *tl, MxTable *src, int n, Datum *pkeys, int *key_of);
static void MxCollectTyped(void *arg, HeapTuple tuple, TupleDesc desc);
static Datum *MxTypedRows(MxTypedLoad *tl, int k, int *n);
static MxEdgeOpts *MxFetchOpts(MxRelation *rel, const char *name);
static void MxTypedEmit(ReturnSetInfo *rsinfo, Oid rowtype, Datum key, Datum *rows, int n,
						bool as_array);

/*
 * The relation a one-segment path names: an exact relation name first (a
 * registered name may contain "." or ":"), else the path's one segment.
 */
static MxRelation *
MxLookupOneSegment(MxTable *src, const char *name)
{
	const char *colon;
	int			i;

	for (i = 0; i < src->nrels; i++)
		if (strcmp(src->rels[i].name, name) == 0)
			return MxLookupRelation(src, name);
	if (name[0] == '\0' || strchr(name, '.') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a one-segment relation path", name),
				 errdetail("Functions fetch_related and fetch_related_array load one relation of the source, named without \".\"."),
				 errhint("Load nested relations with prefetch_related.")));
	colon = strchr(name, ':');
	if (colon != NULL && strstr(name, "::") != NULL)
		return MxLookupRelation(src, colon == strstr(name, "::") ? name : colon + 1);	/* junction */
	if (colon != NULL)
	{
		if (colon == name || colon[1] == '\0' || strchr(colon + 1, ':') != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("relation path \"%s\" is malformed", name)));
		name = colon + 1;
	}
	return MxLookupRelation(src, name);
}

/* The source and its relation, locked; read again while invalidations arrive */
static MxRelation *
MxTypedOpen(Oid source, const char *name, MxTable **src)
{
	MxRelation *rel;
	int			attempt = 0;

	do
	{
		MxCatalogBeginCall();
		(void) MxOpenTable(source, "source");
		*src = MxGetRelations(source);
		rel = MxLookupOneSegment(*src, name);
		if (rel->poly_col > 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("polymorphic relation \"%s\" cannot be loaded by fetch_related", rel->poly_name),
					 errdetail("Relation \"%s\" is an arm of it, chosen by a type column.", rel->name)));
		MxLockRelation(rel);
	} while (MxRetryStale(&attempt));
	return rel;
}

/*
 * A registered relation's options as a typed fetch applies them: its fixed
 * filter, order and duplicates; not "columns", since the rows are the
 * target's row type.  NULL when it has none.
 */
static MxEdgeOpts *
MxFetchOpts(MxRelation *rel, const char *name)
{
	MxEdgeOpts *opts = MxRegisteredOpts(rel, name);

	if (opts != NULL)
	{
		opts->ncolumns = -1;
		opts->columns = NULL;
	}
	return opts;
}

/* 42804 unless the caller's row type is the relation's target's */
static void
MxTypedCheckTarget(Oid target_type, MxTable *src, MxTable *target, const char *name)
{
	if (target_type != target->rowtype)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("target row type %s does not match relation \"%s\" of %s",
						format_type_be(target_type), name,
						format_type_be_qualified(src->rowtype)),
				 errdetail("Relation \"%s\" of %s leads to %s.", name,
						   format_type_be_qualified(src->rowtype),
						   format_type_be_qualified(target->rowtype)),
				 errhint("Pass NULL::%s as the first argument.",
						 format_type_be_qualified(target->rowtype))));
}

/*
 * The caller's keys converted to the primary key type (42804 without an
 * implicit cast), NULLs dropped, distinct in order of first occurrence:
 * into *pkeys, and each one's first value as given into *orig; returns
 * how many.
 */
static int
MxTypedKeys(ArrayType *keys, MxTable *src, Datum **orig, Datum **pkeys)
{
	Oid			elemtype = ARR_ELEMTYPE(keys);
	int16		elemlen;
	bool		elembyval;
	char		elemalign;
	Datum	   *elems;
	bool	   *elemnulls;
	int			nelems;
	MxCoercion	co;
	MxKeySet   *set;
	int			i;

	if (ARR_NDIM(keys) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("keys must be a one-dimensional array")));
	MxKeyCoercion(&co, src, elemtype);
	get_typlenbyvalalign(elemtype, &elemlen, &elembyval, &elemalign);
	deconstruct_array(keys, elemtype, elemlen, elembyval, elemalign,
					  &elems, &elemnulls, &nelems);
	set = MxKeySetCreate(CurrentMemoryContext, 1, &src->pk_types[0], &src->pk_collations[0]);
	*orig = MxAllocArray(nelems, sizeof(Datum), false);
	for (i = 0; i < nelems; i++)
	{
		Datum		k;
		bool		isnew;
		int			index;

		CHECK_FOR_INTERRUPTS();
		if (elemnulls[i])
			continue;
		k = MxCoerce(&co, elems[i]);
		index = MxKeySetAdd(set, &k, &isnew);
		if (isnew)
			(*orig)[index] = elems[i];
	}
	*pkeys = MxKeySetKey(set, 0);
	return MxKeySetCount(set);
}

/* Row callback: a row and the number of the key it matched */
static void
MxCollectTyped(void *arg, HeapTuple tuple, TupleDesc desc)
{
	MxTypedLoad *tl = (MxTypedLoad *) arg;
	Datum		key[MX_MAX_KEYS];
	bool		isnull;
	int			ki = MxRowKey(tl->keys, tl->stmt.nkeys, tuple, desc, key);
	Datum		row;
	MemoryContext old;

	if (ki < 0)
		return;
	row = SPI_getbinval(tuple, desc, tl->stmt.nkeys + 1, &isnull);
	if (isnull)
		return;
	old = MemoryContextSwitchTo(tl->cxt);
	if (tl->nrows >= tl->cap)
	{
		tl->cap *= 2;
		if ((Size) tl->cap * sizeof(Datum) > MaxAllocHugeSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many related rows")));
		tl->row_key = repalloc_huge(tl->row_key, sizeof(int) * tl->cap);
		tl->rows = repalloc_huge(tl->rows, sizeof(Datum) * tl->cap);
	}
	tl->row_key[tl->nrows] = ki;
	tl->rows[tl->nrows++] = datumCopy(row, false, -1);
	MemoryContextSwitchTo(old);
}

/*
 * The rows of n distinct primary key values: each converted to the
 * statement's key type and numbered in its key set (key_of[i]: the number
 * of pkeys[i]); the numbers the cache holds are taken from it, one
 * statement fetches the others, and their rows are cached whole.
 */
static void
MxTypedFetch(MxTypedLoad *tl, MxTable *src, int n, Datum *pkeys, int *key_of)
{
	MxStmt	   *stmt = &tl->stmt;
	MxCoercion	co;
	Oid			relids[3];
	int		   *missing;
	int			nmissing;
	int			nkeys;
	int			i;

	if (!MxCoercionInit(&co, src->pk_types[0], stmt->key_types[0], true))
		elog(ERROR, "no cast from key type %s to %s",
			 format_type_be(src->pk_types[0]), format_type_be(stmt->key_types[0]));
	tl->keys = MxKeySetCreate(tl->cxt, 1, stmt->key_types, stmt->key_collations);
	for (i = 0; i < n; i++)
	{
		Datum		k = MxCoerce(&co, pkeys[i]);
		bool		isnew;

		CHECK_FOR_INTERRUPTS();
		key_of[i] = MxKeySetAdd(tl->keys, &k, &isnew);
	}
	nkeys = MxKeySetCount(tl->keys);
	tl->space = MxCacheOpen(stmt->cache_id, stmt->nkeys, stmt->key_types, stmt->key_collations,
							0, NULL, NULL, NULL, MxStmtRelids(stmt, relids), relids);
	tl->cached = MxAllocArray(nkeys, sizeof(MxCacheRows *), false);
	missing = MxAllocArray(nkeys, sizeof(int), false);
	nmissing = MxKeysCached(tl->space, tl->keys, tl->cached, missing);
	tl->cap = 256;
	tl->row_key = palloc(sizeof(int) * tl->cap);
	tl->rows = palloc(sizeof(Datum) * tl->cap);
	if (nmissing > 0)
	{
		Datum	   *params = palloc(sizeof(Datum) * Max(stmt->nparams, 1));

		MxKeyParams(stmt, tl->keys, missing, nmissing, params);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		MxRunPlan(MxChoosePlan(stmt->sql, stmt->nparams, stmt->all_param_types, nmissing),
				  params, NULL, MxCollectTyped, tl);
		SPI_finish();
	}
	tl->key_first = MxAllocArray(nkeys, sizeof(int), false);
	tl->row_next = MxAllocArray(tl->nrows, sizeof(int), false);
	MxChainRows(nkeys, tl->nrows, tl->row_key, tl->key_first, tl->row_next);
	/* every row of the statement is in: the keys' entries are whole */
	for (i = 0; tl->space != NULL && i < nmissing; i++)
	{
		int			count;
		Datum	   *rows = MxTypedRows(tl, missing[i], &count);

		MxCachePut(tl->space, MxKeySetKey(tl->keys, missing[i]), count, rows, NULL, NULL);
	}
}

/*
 * The rows of key number k, in order, as a new array (construct_md_array
 * detoasts short varlenas in place: never the cache's own)
 */
static Datum *
MxTypedRows(MxTypedLoad *tl, int k, int *n)
{
	Datum	   *rows;
	int			r;

	if (tl->cached[k] != NULL)
	{
		*n = tl->cached[k]->nrows;
		rows = MxAllocArray(*n, sizeof(Datum), false);
		memcpy(rows, tl->cached[k]->values, sizeof(Datum) * *n);
		return rows;
	}
	*n = 0;
	for (r = tl->key_first[k]; r >= 0; r = tl->row_next[r])
		(*n)++;
	rows = MxAllocArray(*n, sizeof(Datum), false);
	*n = 0;
	for (r = tl->key_first[k]; r >= 0; r = tl->row_next[r])
		rows[(*n)++] = tl->rows[r];
	return rows;
}

/* Puts one key's rows into the result: a row per row, or one array */
static void
MxTypedEmit(ReturnSetInfo *rsinfo, Oid rowtype, Datum key, Datum *rows, int n, bool as_array)
{
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int			j;

	values[0] = key;
	if (as_array)
	{
		int			dims[1] = {n};
		int			lbs[1] = {1};

		values[1] = n == 0 ? PointerGetDatum(construct_empty_array(rowtype)) :
			PointerGetDatum(construct_md_array(rows, NULL, 1, dims, lbs, rowtype, -1, false,
											   TYPALIGN_DOUBLE));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		return;
	}
	for (j = 0; j < n; j++)
	{
		values[1] = rows[j];
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * fetch_related / fetch_related_array(target anyelement, source regclass,
 * relation text, keys anycompatiblearray): as_array, one row per distinct
 * key with its rows aggregated.  One statement.
 */
void
MxFetchTyped(FunctionCallInfo fcinfo, bool as_array)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MxTable    *src;
	MxRelation *rel;
	char	   *name;
	MxTypedLoad tl;
	Datum	   *orig;
	Datum	   *pkeys;
	int		   *key_of;
	int			n;
	int			i;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be null")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation name must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(2));
	InitMaterializedSRF(fcinfo, 0);
	mx_counters.calls++;

	rel = MxTypedOpen(PG_GETARG_OID(1), name, &src);
	memset(&tl, 0, sizeof(tl));
	tl.cxt = CurrentMemoryContext;
	tl.stmt.rel = rel;
	tl.stmt.source = src;
	tl.stmt.target = MxGetTable(rel->target);
	tl.stmt.keys_are_source_pk = true;
	tl.stmt.typed = true;
	tl.stmt.opts = MxFetchOpts(rel, name);
	MxTypedCheckTarget(get_fn_expr_argtype(fcinfo->flinfo, 0), src, tl.stmt.target, name);
	MxRequireSinglePrimaryKey(src);
	if (PG_ARGISNULL(3))
		return;
	n = MxTypedKeys(PG_GETARG_ARRAYTYPE_P(3), src, &orig, &pkeys);
	if (n == 0)
		return;

	MxBuildStmt(&tl.stmt);
	key_of = MxAllocArray(n, sizeof(int), false);
	MxTypedFetch(&tl, src, n, pkeys, key_of);
	for (i = 0; i < n; i++)
	{
		int			count;
		Datum	   *rows = MxTypedRows(&tl, key_of[i], &count);

		CHECK_FOR_INTERRUPTS();
		MxTypedEmit(rsinfo, tl.stmt.target->rowtype, orig[i], rows, count, as_array);
		pfree(rows);
	}
}
