/*-------------------------------------------------------------------------
 *
 * execute.c
 *		Running statements and assembling typed results.
 *
 *		Statements run, from the plans plancache.c keeps, through a cursor
 *		in batches, so SPI never holds more than one batch of rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "cache.h"
#include "catalog.h"
#include "execute.h"
#include "keys.h"
#include "matrx_relations.h"
#include "sqlgen.h"

/* rows of a typed load, in arrival order, before they are grouped per key */
typedef struct MxTypedRows
{
	MemoryContext cxt;
	MxKeySet   *keys;
	int			count;
	int			capacity;
	int		   *key_index;
	Datum	   *rows;
} MxTypedRows;

static void MxCollectTyped(void *arg, HeapTuple tuple, TupleDesc desc);

/*
 * Runs a plan through a read-only cursor, handing each row to callback;
 * returns the number of rows.  Counts one statement.  SPI calls leave
 * CurrentMemoryContext on SPI's procedure context, which SPI_finish
 * deletes: the caller's context is restored before returning and around
 * each callback.
 */
uint64
MxRunPlan(SPIPlanPtr plan, Datum *values, const char *nulls,
		  MxRowCallback callback, void *arg)
{
	MemoryContext caller = CurrentMemoryContext;
	Portal		portal;
	uint64		total = 0;

	portal = SPI_cursor_open(NULL, plan, values, nulls, true);
	mx_counters.statements++;
	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, MX_FETCH_BATCH);
		if (SPI_processed == 0)
			break;
		MemoryContextSwitchTo(caller);
		for (i = 0; i < SPI_processed; i++)
		{
			CHECK_FOR_INTERRUPTS();
			callback(arg, SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
		}
		total += SPI_processed;
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	MemoryContextSwitchTo(caller);
	mx_counters.rows_fetched += total;
	return total;
}

/* Row callback of the typed loaders: remember (key number, row) */
static void
MxCollectTyped(void *arg, HeapTuple tuple, TupleDesc desc)
{
	MxTypedRows *acc = (MxTypedRows *) arg;
	bool		isnull;
	Datum		key = SPI_getbinval(tuple, desc, 1, &isnull);
	Datum		row;
	int			index;
	MemoryContext old;

	if (isnull)
		return;
	index = MxKeySetFind(acc->keys, &key);
	if (index < 0)
		return;
	row = SPI_getbinval(tuple, desc, 2, &isnull);
	if (isnull)
		return;

	old = MemoryContextSwitchTo(acc->cxt);
	if (acc->count >= acc->capacity)
	{
		acc->capacity *= 2;
		if ((Size) acc->capacity * sizeof(Datum) > MaxAllocHugeSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many related rows")));
		acc->key_index = repalloc_huge(acc->key_index, sizeof(int) * acc->capacity);
		acc->rows = repalloc_huge(acc->rows, sizeof(Datum) * acc->capacity);
	}
	acc->key_index[acc->count] = index;
	acc->rows[acc->count] = datumCopy(row, false, -1);
	acc->count++;
	MemoryContextSwitchTo(old);
}

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
				 errmsg("relation \"%s\" is not a one-segment path", name),
				 errdetail("fetch_related and fetch_related_array load one relation of the source, named without \".\"."),
				 errhint("Load nested relations with prefetch_related.")));
	colon = strchr(name, ':');
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

/*
 * fetch_related / fetch_related_array: the rows one relation yields for
 * the given source primary key values, as the target's row type, paired
 * with the key each belongs to (as_array: aggregated per distinct key).
 * One statement.
 */
void
MxFetchTyped(FunctionCallInfo fcinfo, bool as_array)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			target_type = get_fn_expr_argtype(fcinfo->flinfo, 0);
	Oid			source_oid;
	char	   *name;
	ArrayType  *keys;
	MxTable    *src = NULL;
	MxRelation *rel = NULL;
	MxTable    *target;
	Oid			elemtype;
	int16		elemlen;
	bool		elembyval;
	char		elemalign;
	Datum	   *elems;
	bool	   *elemnulls;
	int			nelems;
	MxCoercion	co;
	MxTypedRows acc;
	Datum	   *orig;
	int			nkeys;
	int			i;
	int			attempt;
	MxStmt		stmt;
	Datum		param;
	int		   *start;
	int		   *fill;
	int		   *order;
	MxCacheSpace *space;
	MxCacheRows **cached;
	Datum	   *missing;
	int			nmissing = 0;
	Oid			relids[3];
	MemoryContext cxt = CurrentMemoryContext;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be null")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation must not be null")));
	source_oid = PG_GETARG_OID(1);
	name = text_to_cstring(PG_GETARG_TEXT_PP(2));

	InitMaterializedSRF(fcinfo, 0);
	mx_counters.calls++;

	/* metadata; retried when an invalidation arrives while locking */
	for (attempt = 0; attempt < 5; attempt++)
	{
		MxCatalogBeginCall();
		src = MxOpenTable(source_oid, "source");
		src = MxGetRelations(source_oid);
		rel = MxLookupOneSegment(src, name);
		MxLockRelation(rel);
		if (!MxCatalogIsStale())
			break;
	}
	target = MxGetTable(rel->target);

	if (target_type != target->rowtype)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("target row type %s does not match relation \"%s\"",
						format_type_be(target_type), name),
				 errdetail("Relation \"%s\" of %s leads to %s.", name,
						   format_type_be_qualified(src->rowtype),
						   format_type_be_qualified(target->rowtype)),
				 errhint("Pass NULL::%s as the first argument.",
						 format_type_be_qualified(target->rowtype))));
	MxRequireSinglePrimaryKey(src);

	if (PG_ARGISNULL(3))
		return;
	keys = PG_GETARG_ARRAYTYPE_P(3);
	if (ARR_NDIM(keys) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("keys must be a one-dimensional array")));
	elemtype = ARR_ELEMTYPE(keys);
	MxKeyCoercion(&co, src, elemtype);

	/* distinct keys, converted to the key type, in order of first occurrence */
	get_typlenbyvalalign(elemtype, &elemlen, &elembyval, &elemalign);
	deconstruct_array(keys, elemtype, elemlen, elembyval, elemalign,
					  &elems, &elemnulls, &nelems);
	acc.cxt = cxt;
	acc.keys = MxKeySetCreate(cxt, 1, &src->pk_types[0], &src->pk_collations[0]);
	orig = palloc(sizeof(Datum) * Max(nelems, 1));
	for (i = 0; i < nelems; i++)
	{
		Datum		k;
		bool		isnew;
		int			index;

		CHECK_FOR_INTERRUPTS();
		if (elemnulls[i])
			continue;
		k = MxCoerce(&co, elems[i]);
		index = MxKeySetAdd(acc.keys, &k, &isnew);
		if (isnew)
			orig[index] = elems[i];
	}
	nkeys = MxKeySetCount(acc.keys);
	if (nkeys == 0)
		return;

	/* one statement for all keys */
	memset(&stmt, 0, sizeof(stmt));
	stmt.rel = rel;
	stmt.source = src;
	stmt.target = target;
	stmt.keys_are_source_pk = true;
	stmt.typed = true;
	MxBuildStmt(&stmt);
	Assert(stmt.nkeys == 1 && stmt.key_types[0] == src->pk_types[0]);

	/* the keys the relation cache holds are served from it */
	space = MxCacheOpen(stmt.sql, 1, stmt.key_types, stmt.key_collations, 0, NULL, NULL, NULL,
						MxStmtRelids(&stmt, relids), relids);
	cached = palloc0(sizeof(MxCacheRows *) * nkeys);
	missing = palloc(sizeof(Datum) * nkeys);
	for (i = 0; i < nkeys; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (space != NULL)
			cached[i] = MxCacheGet(space, MxKeySetKey(acc.keys, i));
		if (cached[i] == NULL)
			missing[nmissing++] = MxKeySetKey(acc.keys, i)[0];
	}

	acc.count = 0;
	acc.capacity = 256;
	acc.key_index = palloc(sizeof(int) * acc.capacity);
	acc.rows = palloc(sizeof(Datum) * acc.capacity);

	/* one statement for the other keys */
	if (nmissing > 0)
	{
		int16		klen;
		bool		kbyval;
		char		kalign;

		get_typlenbyvalalign(stmt.key_types[0], &klen, &kbyval, &kalign);
		param = PointerGetDatum(construct_array(missing, nmissing, stmt.key_types[0],
												klen, kbyval, kalign));
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		MxRunPlan(MxChoosePlan(stmt.sql, 1, stmt.param_types, nmissing), &param, NULL,
				  MxCollectTyped, &acc);
		SPI_finish();
	}

	/* group rows per key, keeping their order (a counting sort) */
	start = palloc0(sizeof(int) * (nkeys + 1));
	fill = palloc0(sizeof(int) * nkeys);
	order = palloc(sizeof(int) * Max(acc.count, 1));
	for (i = 0; i < acc.count; i++)
		start[acc.key_index[i] + 1]++;
	for (i = 0; i < nkeys; i++)
		start[i + 1] += start[i];
	for (i = 0; i < acc.count; i++)
	{
		int			k = acc.key_index[i];

		order[start[k] + fill[k]++] = i;
	}

	for (i = 0; i < nkeys; i++)
	{
		int			n = start[i + 1] - start[i];
		Datum	   *rows;
		int			j;

		CHECK_FOR_INTERRUPTS();
		if (cached[i] != NULL)
		{
			/* a copy: construct_md_array detoasts short varlenas in place */
			n = cached[i]->nrows;
			rows = palloc(sizeof(Datum) * Max(n, 1));
			memcpy(rows, cached[i]->values, sizeof(Datum) * n);
		}
		else
		{
			/* every row of the statement is in: the key's entry is whole */
			rows = palloc(sizeof(Datum) * Max(n, 1));
			for (j = 0; j < n; j++)
				rows[j] = acc.rows[order[start[i] + j]];
			if (space != NULL)
				MxCachePut(space, MxKeySetKey(acc.keys, i), n, rows, NULL, NULL);
		}
		if (as_array)
		{
			Datum		values[2];
			bool		nulls[2] = {false, false};
			int			dims[1] = {n};
			int			lbs[1] = {1};

			values[0] = orig[i];
			values[1] = n == 0 ?
				PointerGetDatum(construct_empty_array(target->rowtype)) :
				PointerGetDatum(construct_md_array(rows, NULL, 1, dims, lbs,
												   target->rowtype, -1, false,
												   TYPALIGN_DOUBLE));
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		else
		{
			for (j = 0; j < n; j++)
			{
				Datum		values[2];
				bool		nulls[2] = {false, false};

				values[0] = orig[i];
				values[1] = rows[j];
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
		}
	}
}
