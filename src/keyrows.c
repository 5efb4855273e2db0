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

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"

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
 * Key arrays in ascending order: a btree scan for "= ANY ($1)" sorts its
 * array first (through the opclass's comparison function, an fmgr call per
 * comparison) and skips the sort when the array is already in order.
 * Keys arrive in the order their parents were reached, which for the
 * caller's keys is the caller's.  Measured on the benchmark shop, 10,000
 * random bigint keys cost their statement about 1.3 ms more than the same
 * keys sorted, and a comparison sort here took 1.2 ms of it back; a radix
 * sort on the bytes that differ takes under 0.1 ms.  Only types whose btree
 * order is plain: integers (a Datum holds an int2 or int4 sign-extended)
 * and uuid (byte order).  The order changes nothing else: a statement's
 * rows are matched to their keys by value.
 */
#if SIZEOF_DATUM == 8
#define ST_SORT mx_sort_int64_datums
#define ST_ELEMENT_TYPE Datum
#define ST_COMPARE(a, b) ((int64) *(a) < (int64) *(b) ? -1 : (int64) *(a) > (int64) *(b) ? 1 : 0)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"
#endif

#define ST_SORT mx_sort_uuid_datums
#define ST_ELEMENT_TYPE Datum
#define ST_COMPARE(a, b) memcmp(DatumGetPointer(*(a)), DatumGetPointer(*(b)), UUID_LEN)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/* below this many keys a comparison sort is as quick as the radix sort */
#define MX_RADIX_MIN 64

/*
 * Sorts n integer Datums (int2, int4, int8 by value, sign-extended) in
 * ascending order: a least-significant-byte radix sort over the bytes in
 * which the values differ (ids below 2^24 take three passes), their sign
 * bit flipped so that unsigned byte order is signed order.
 */
static void
MxSortIntDatums(Datum *values, int n)
{
#if SIZEOF_DATUM == 8
	const uint64 flip = UINT64CONST(1) << 63;
	uint64		all = ~UINT64CONST(0);
	uint64		any = 0;
	Datum	   *src = values;
	Datum	   *dst;
	Datum	   *tmp;
	int			shift;
	int			i;

	if (n < MX_RADIX_MIN)
	{
		mx_sort_int64_datums(values, n);
		return;
	}
	for (i = 0; i < n; i++)
	{
		uint64		u = (uint64) values[i] ^ flip;

		all &= u;
		any |= u;
	}
	tmp = dst = MxAllocArray(n, sizeof(Datum), false);
	for (shift = 0; shift < 64; shift += 8)
	{
		int			start[256];
		int			b;
		int			at = 0;
		Datum	   *swap;

		if ((((all ^ any) >> shift) & 0xFF) == 0)
			continue;			/* every value has this byte alike */
		CHECK_FOR_INTERRUPTS();
		memset(start, 0, sizeof(start));
		for (i = 0; i < n; i++)
			start[(((uint64) src[i] ^ flip) >> shift) & 0xFF]++;
		for (b = 0; b < 256; b++)
		{
			int			count = start[b];

			start[b] = at;
			at += count;
		}
		for (i = 0; i < n; i++)
			dst[start[(((uint64) src[i] ^ flip) >> shift) & 0xFF]++] = src[i];
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != values)
		memcpy(values, src, sizeof(Datum) * n);
	pfree(tmp);
#endif
	/* (a 4-byte Datum: left as they are; the scan sorts them) */
}

/* Sorts n key values of type typid in place when its order is plain (above) */
static void
MxSortKeyValues(Datum *values, int n, Oid typid)
{
	if (n < 2)
		return;
	switch (typid)
	{
		case INT8OID:
		case INT4OID:
		case INT2OID:
			MxSortIntDatums(values, n);
			break;
		case UUIDOID:
			mx_sort_uuid_datums(values, n);
			break;
		default:
			break;
	}
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
		/* one key column: "= ANY ($1)", which reads a sorted array faster */
		if (stmt->nkeys == 1)
			MxSortKeyValues(col, n, stmt->key_types[i]);
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
