/*-------------------------------------------------------------------------
 *
 * keys.h
 *		Key tuples in C: a set that deduplicates them and numbers each
 *		distinct key in order of first occurrence, hashing and comparing
 *		with the type cache's functions for each column's type (never by
 *		text), conversion of caller-supplied values to a key type, and
 *		(keyrows.c) one statement's run for a key set as every loader does
 *		it: cached keys split off, the others as typed arrays, the rows
 *		matched to their keys and chained per key.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_KEYS_H
#define MX_KEYS_H

#include "postgres.h"

#include "fmgr.h"
#include "access/htup.h"
#include "access/tupdesc.h"
#include "nodes/execnodes.h"

#include "catalog.h"

typedef struct MxKeySet MxKeySet;

struct MxStmt;
struct MxCacheSpace;
struct MxCacheRows;

/* how to hash and compare key tuples of given column types */
typedef struct MxKeyFuncs
{
	int			nkeys;
	FmgrInfo	hash_fn[MX_MAX_KEYS];
	FmgrInfo	eq_fn[MX_MAX_KEYS];
	Oid			collations[MX_MAX_KEYS];
	bool		byval[MX_MAX_KEYS];
	int16		typlen[MX_MAX_KEYS];
	bool		has_hash[MX_MAX_KEYS];
	char		fast[MX_MAX_KEYS];	/* 8, 4, 2: an integer type's own hash and
									 * equality, computed in place; 0: by fmgr */
} MxKeyFuncs;

/* converts values of one type to another with SQL's implicit cast */
typedef struct MxCoercion
{
	Oid			from_type;
	Oid			to_type;
	ExprState  *expr;			/* NULL: same type, nothing to do */
	ExprContext *econtext;
} MxCoercion;

extern void MxKeyFuncsInit(MxKeyFuncs *f, MemoryContext cxt, int nkeys, const Oid *types,
						   const Oid *collations);
extern uint32 MxKeyHash(const MxKeyFuncs *f, const Datum *values);
extern bool MxKeyEqual(const MxKeyFuncs *f, const Datum *a, const Datum *b);
extern MxKeySet *MxKeySetCreate(MemoryContext cxt, int nkeys, const Oid *types,
								const Oid *collations);
extern int	MxKeySetAdd(MxKeySet *set, const Datum *values, bool *isnew);
extern int	MxKeySetFind(MxKeySet *set, const Datum *values);
extern int	MxKeySetCount(MxKeySet *set);
extern Datum *MxKeySetKey(MxKeySet *set, int index);

extern bool MxCoercionInit(MxCoercion *co, Oid from_type, Oid to_type, bool explicit_cast);
extern Datum MxCoerce(MxCoercion *co, Datum value);
extern void MxKeyCoercion(MxCoercion *co, MxTable *src, Oid elemtype);

/* keyrows.c */
extern int	MxKeysCached(struct MxCacheSpace *space, MxKeySet *set, struct MxCacheRows **cached,
						 int *missing);
extern void MxKeyParams(const struct MxStmt *stmt, MxKeySet *set, const int *which, int n,
						Datum *params);
extern int	MxRowKey(MxKeySet *set, int nkeys, HeapTuple tuple, TupleDesc desc, Datum *key);
extern void MxChainRows(int nkeys, int nrows, const int *row_key, int *key_first,
						int *row_next);

#endif							/* MX_KEYS_H */
