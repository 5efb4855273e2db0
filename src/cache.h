/*-------------------------------------------------------------------------
 *
 * cache.h
 *		The relation cache: per statement and key tuple, the rows a load
 *		fetched, reused within the transaction only while a fresh load
 *		would return exactly the same rows (see cache.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_CACHE_H
#define MX_CACHE_H

#include "postgres.h"

/* matrx_relations.cache and matrx_relations.cache_size (kB) */
#define MX_CACHE_DEFAULT		true
#define MX_CACHE_SIZE_DEFAULT	(64 * 1024)
#define MX_CACHE_SIZE_MIN		64
#define MX_CACHE_SIZE_MAX		(MAX_KILOBYTES)

extern bool mx_cache_enabled;
extern int	mx_cache_size_kb;

/* the entries of one statement (its text and key types) */
typedef struct MxCacheSpace MxCacheSpace;

/* what one key's statement returned: rows of a value plus extra columns */
typedef struct MxCacheRows
{
	int			nrows;
	Datum	   *values;			/* a varlena per row: jsonb, or a composite */
	Datum	   *extras;			/* nrows * nextra */
	bool	   *extra_nulls;
} MxCacheRows;

extern void MxCacheDefineGucs(void);
extern bool MxCacheActive(void);
extern MxCacheSpace *MxCacheOpen(const char *sql, int nkeys, const Oid *key_types,
								 const Oid *key_collations, int nextra,
								 const AttrNumber *extra_cols,
								 const int16 *extra_len, const bool *extra_byval,
								 int nrelids, const Oid *relids);
extern MxCacheRows *MxCacheGet(MxCacheSpace *space, const Datum *key);
extern void MxCachePut(MxCacheSpace *space, const Datum *key, int nrows,
					   const Datum *values, const Datum *extras, const bool *extra_nulls);
extern void MxCacheReset(void);
extern void MxCacheFlush(void);
extern void MxCacheCallsEnded(void);
extern int64 MxCacheEntries(void);
extern int64 MxCacheBytes(void);

#endif							/* MX_CACHE_H */
