/*-------------------------------------------------------------------------
 *
 * keys.h
 *		Key tuples in C: a set that deduplicates them and numbers each
 *		distinct key in order of first occurrence, hashing and comparing
 *		with the type cache's functions for each column's type (never by
 *		text), and conversion of caller-supplied values to a key type.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_KEYS_H
#define MX_KEYS_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/execnodes.h"

#include "catalog.h"

typedef struct MxKeySet MxKeySet;

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

#endif							/* MX_KEYS_H */
