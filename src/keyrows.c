/*-------------------------------------------------------------------------
 *
 * keyrows.c
 *		One statement for a set of keys, as every loader runs it: the keys
 *		the relation cache holds are taken from it, the others go into the
 *		statement as one typed array per key column, and the rows it
 *		returns are matched to their key numbers (by the key columns it
 *		returns, in the key set's types and collations) and chained per
 *		key in arrival order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

#include "cache.h"
#include "keys.h"
#include "matrx_relations.h"
#include "sqlgen.h"

/*
 * Splits the keys of set into those space holds (*cached[k], NULL for
 * the others) and the others (their numbers into missing); returns how
 * many are missing.  space may be NULL (nothing cached).
 */
int
MxKeysCached(MxCacheSpace *space, MxKeySet *set, MxCacheRows **cached, int *missing)
{
	int			nkeys = MxKeySetCount(set);
	int			nmissing = 0;
	int			k;

	for (k = 0; k < nkeys; k++)
	{
		CHECK_FOR_INTERRUPTS();
		cached[k] = space != NULL ? MxCacheGet(space, MxKeySetKey(set, k)) : NULL;
		if (cached[k] == NULL)
			missing[nmissing++] = k;
	}
	return nmissing;
}

/*
 * A statement's parameter values for keys number which[0..n-1] of set:
 * one array of the key type per key column, then the options' values.
 * (A dist_only statement reads only its distribution column's array, of
 * the distinct values: see citusmatch.c.)
 */
void
MxKeyParams(const MxStmt *stmt, MxKeySet *set, const int *which, int n, Datum *params)
{
	int			i;
	int			k;

	for (i = 0; i < stmt->nkeys; i++)
	{
		Datum	   *col;
		int16		len;
		bool		byval;
		char		align;

		/* dist_only: that column's distinct values, the others unread (empty) */
		if (stmt->dist_only > 0)
		{
			params[i] = i == stmt->dist_only - 1 ?
				MxDistinctKeyArray(stmt, set, which, n, i) :
				PointerGetDatum(construct_empty_array(stmt->key_types[i]));
			continue;
		}
		col = MxAllocArray(n, sizeof(Datum), false);
		for (k = 0; k < n; k++)
			col[k] = MxKeySetKey(set, which[k])[i];
		get_typlenbyvalalign(stmt->key_types[i], &len, &byval, &align);
		params[i] = PointerGetDatum(construct_array(col, n, stmt->key_types[i],
													len, byval, align));
		pfree(col);
	}
	memcpy(&params[stmt->nkeys], stmt->opt_params,
		   sizeof(Datum) * (stmt->nparams - stmt->nkeys));
}

/*
 * The number in set of the key a result row carries in its first nkeys
 * columns (their values into key), or -1: a NULL part, or no such key.
 */
int
MxRowKey(MxKeySet *set, int nkeys, HeapTuple tuple, TupleDesc desc, Datum *key)
{
	bool		isnull;
	int			i;

	for (i = 0; i < nkeys; i++)
	{
		key[i] = SPI_getbinval(tuple, desc, i + 1, &isnull);
		if (isnull)
			return -1;
	}
	return MxKeySetFind(set, key);
}

/*
 * Chains rows per key in arrival order: row_key[r] is row r's key number;
 * key_first[k] becomes key k's first row and row_next[r] the row after r
 * of the same key (-1: none).
 */
void
MxChainRows(int nkeys, int nrows, const int *row_key, int *key_first, int *row_next)
{
	int		   *last = MxAllocArray(nkeys, sizeof(int), false);
	int			r;

	for (r = 0; r < nkeys; r++)
		key_first[r] = last[r] = -1;
	for (r = 0; r < nrows; r++)
	{
		int			k = row_key[r];

		row_next[r] = -1;
		if (last[k] < 0)
			key_first[k] = r;
		else
			row_next[last[k]] = r;
		last[k] = r;
	}
	pfree(last);
}
