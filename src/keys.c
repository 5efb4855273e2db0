/*-------------------------------------------------------------------------
 *
 * keys.c
 *		Key sets: distinct key tuples numbered in order of first occurrence,
 *		in a simplehash table whose hash and equality come from the type
 *		cache (the same equality the generated SQL uses for built-in key
 *		types), and implicit-cast conversion of key values.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "keys.h"

/* one distinct key: its number and hash */
typedef struct MxKeyEntry
{
	int			index;			/* position in first-occurrence order */
	uint32		hash;
	char		status;			/* used by simplehash */
} MxKeyEntry;

/* the column functions and the stored keys */
struct MxKeySet
{
	MemoryContext cxt;
	int			nkeys;
	MxKeyFuncs	f;
	Datum	   *keys;			/* count * nkeys values */
	int			count;
	int			capacity;
	const Datum *probe;			/* key being looked up */
	struct mxkeys_hash *table;
};


/* the probe key is index -1; stored keys are found by number */
#define MX_KEY_VALUES(set, i) ((i) < 0 ? (set)->probe : (set)->keys + (Size) (i) * (set)->nkeys)

#define SH_PREFIX mxkeys
#define SH_ELEMENT_TYPE MxKeyEntry
#define SH_KEY_TYPE int
#define SH_KEY index
#define SH_HASH_KEY(tb, key) MxKeyHash(&((MxKeySet *) (tb)->private_data)->f, MX_KEY_VALUES((MxKeySet *) (tb)->private_data, key))
#define SH_EQUAL(tb, a, b) MxKeyEqual(&((MxKeySet *) (tb)->private_data)->f, \
	MX_KEY_VALUES((MxKeySet *) (tb)->private_data, a), MX_KEY_VALUES((MxKeySet *) (tb)->private_data, b))
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static char MxFastKind(Oid hash_fn, Oid eq_fn);

/*
 * Looks up the type cache's hash and equality functions of each key
 * column (FmgrInfos in cxt); 42883 when a type has no equality.
 */
void
MxKeyFuncsInit(MxKeyFuncs *f, MemoryContext cxt, int nkeys, const Oid *types,
			   const Oid *collations)
{
	int			i;

	f->nkeys = nkeys;
	for (i = 0; i < nkeys; i++)
	{
		TypeCacheEntry *tc = lookup_type_cache(types[i],
											   TYPECACHE_HASH_PROC_FINFO | TYPECACHE_EQ_OPR_FINFO);

		if (!OidIsValid(tc->eq_opr_finfo.fn_oid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("could not identify an equality operator for type %s",
							format_type_be(types[i]))));
		fmgr_info_cxt(tc->eq_opr_finfo.fn_oid, &f->eq_fn[i], cxt);
		/* without a hash function every key hashes alike: slower, still exact */
		f->has_hash[i] = OidIsValid(tc->hash_proc_finfo.fn_oid);
		if (f->has_hash[i])
			fmgr_info_cxt(tc->hash_proc_finfo.fn_oid, &f->hash_fn[i], cxt);
		f->collations[i] = collations ? collations[i] : InvalidOid;
		if (!OidIsValid(f->collations[i]) && type_is_collatable(types[i]))
			f->collations[i] = DEFAULT_COLLATION_OID;
		f->byval[i] = tc->typbyval;
		f->typlen[i] = tc->typlen;
		f->fast[i] = MxFastKind(f->has_hash[i] ? f->hash_fn[i].fn_oid : InvalidOid,
								f->eq_fn[i].fn_oid);
	}
}

/*
 * 8, 4 or 2 when hash_fn and eq_fn are hashint8/int8eq, hashint4/int4eq or
 * hashint2/int2eq (MxKeyHash and MxKeyEqual then compute them in place,
 * with the same results), else 0
 */
static char
MxFastKind(Oid hash_fn, Oid eq_fn)
{
	if (hash_fn == F_HASHINT8 && eq_fn == F_INT8EQ)
		return 8;
	if (hash_fn == F_HASHINT4 && eq_fn == F_INT4EQ)
		return 4;
	if (hash_fn == F_HASHINT2 && eq_fn == F_INT2EQ)
		return 2;
	return 0;
}

/* hashint8's value for v */
static inline uint32
MxHashInt8(int64 v)
{
	uint32		lohalf = (uint32) v;
	uint32		hihalf = (uint32) (v >> 32);

	lohalf ^= (v >= 0) ? hihalf : ~hihalf;
	return hash_bytes_uint32(lohalf);
}

/* Creates an empty key set for keys of the given column types */
MxKeySet *
MxKeySetCreate(MemoryContext cxt, int nkeys, const Oid *types, const Oid *collations)
{
	MxKeySet   *set = MemoryContextAllocZero(cxt, sizeof(MxKeySet));

	set->cxt = cxt;
	set->nkeys = nkeys;
	MxKeyFuncsInit(&set->f, cxt, nkeys, types, collations);
	set->capacity = 64;
	set->keys = MemoryContextAlloc(cxt, sizeof(Datum) * set->capacity * nkeys);
	set->table = mxkeys_create(cxt, 64, set);
	return set;
}

/* Combined hash of a key tuple */
uint32
MxKeyHash(const MxKeyFuncs *f, const Datum *values)
{
	uint32		h = 0;
	int			i;

	for (i = 0; i < f->nkeys; i++)
	{
		uint32		hi = 0;

		if (f->fast[i] == 8)
			hi = MxHashInt8(DatumGetInt64(values[i]));
		else if (f->fast[i] == 4)
			hi = hash_bytes_uint32((uint32) DatumGetInt32(values[i]));
		else if (f->fast[i] == 2)
			hi = hash_bytes_uint32((uint32) (int32) DatumGetInt16(values[i]));
		else if (f->has_hash[i])
			hi = DatumGetUInt32(FunctionCall1Coll((FmgrInfo *) &f->hash_fn[i], f->collations[i], values[i]));
		h = hash_combine(h, hi);
	}
	return h;
}

/* Equality of two key tuples, column by column */
bool
MxKeyEqual(const MxKeyFuncs *f, const Datum *a, const Datum *b)
{
	int			i;

	for (i = 0; i < f->nkeys; i++)
	{
		if (f->fast[i] == 8)
		{
			if (DatumGetInt64(a[i]) != DatumGetInt64(b[i]))
				return false;
		}
		else if (f->fast[i] == 4)
		{
			if (DatumGetInt32(a[i]) != DatumGetInt32(b[i]))
				return false;
		}
		else if (f->fast[i] == 2)
		{
			if (DatumGetInt16(a[i]) != DatumGetInt16(b[i]))
				return false;
		}
		else if (!DatumGetBool(FunctionCall2Coll((FmgrInfo *) &f->eq_fn[i], f->collations[i],
												 a[i], b[i])))
			return false;
	}
	return true;
}

/*
 * Adds a key (no NULL parts: callers skip those) and returns its number;
 * *isnew tells whether it was not there yet.  Values are copied.
 */
int
MxKeySetAdd(MxKeySet *set, const Datum *values, bool *isnew)
{
	MxKeyEntry *e;
	bool		found;
	int			i;

	set->probe = values;
	e = mxkeys_insert(set->table, -1, &found);
	if (found)
	{
		*isnew = false;
		return e->index;
	}
	if (set->count >= set->capacity)
	{
		if ((Size) set->capacity * 2 * set->nkeys * sizeof(Datum) > MaxAllocHugeSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many distinct keys")));
		set->capacity *= 2;
		set->keys = repalloc_huge(set->keys, sizeof(Datum) * set->capacity * set->nkeys);
	}
	for (i = 0; i < set->nkeys; i++)
		set->keys[(Size) set->count * set->nkeys + i] =
			datumCopy(values[i], set->f.byval[i], set->f.typlen[i]);
	/* the entry now stands for the stored copy, under the same hash */
	e->index = set->count++;
	*isnew = true;
	return e->index;
}

/* The number of key, or -1 when it is not in the set */
int
MxKeySetFind(MxKeySet *set, const Datum *values)
{
	MxKeyEntry *e;

	set->probe = values;
	e = mxkeys_lookup(set->table, -1);
	return e ? e->index : -1;
}

/* How many distinct keys the set holds */
int
MxKeySetCount(MxKeySet *set)
{
	return set->count;
}

/* The values of key number index */
Datum *
MxKeySetKey(MxKeySet *set, int index)
{
	return set->keys + (Size) index * set->nkeys;
}

/*
 * Prepares conversion from from_type to to_type with SQL's implicit cast
 * (or, with explicit_cast, any cast); false when there is none.
 */
bool
MxCoercionInit(MxCoercion *co, Oid from_type, Oid to_type, bool explicit_cast)
{
	CoercionContext ccontext = explicit_cast ? COERCION_EXPLICIT : COERCION_IMPLICIT;

	CaseTestExpr *ctest;
	Node	   *expr;

	co->from_type = from_type;
	co->to_type = to_type;
	co->expr = NULL;
	co->econtext = NULL;
	if (from_type == to_type || IsBinaryCoercible(from_type, to_type))
		return true;
	if (!can_coerce_type(1, &from_type, &to_type, ccontext))
		return false;
	ctest = makeNode(CaseTestExpr);
	ctest->typeId = from_type;
	ctest->typeMod = -1;
	ctest->collation = get_typcollation(from_type);
	expr = coerce_to_target_type(NULL, (Node *) ctest, from_type, to_type, -1,
								 ccontext, COERCE_IMPLICIT_CAST, -1);
	if (expr == NULL)
		return false;
	co->expr = ExecInitExpr(expression_planner((Expr *) expr), NULL);
	co->econtext = CreateStandaloneExprContext();
	return true;
}

/* Converts one non-NULL value */
Datum
MxCoerce(MxCoercion *co, Datum value)
{
	bool		isnull;

	if (co->expr == NULL)
		return value;
	co->econtext->caseValue_datum = value;
	co->econtext->caseValue_isNull = false;
	return ExecEvalExpr(co->expr, co->econtext, &isnull);
}

/*
 * Prepares conversion of caller-supplied keys of elemtype to the primary
 * key type of src by implicit cast; 42804 when there is none.
 */
void
MxKeyCoercion(MxCoercion *co, MxTable *src, Oid elemtype)
{
	if (!MxCoercionInit(co, elemtype, src->pk_types[0], false))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("keys of type %s cannot be matched to the primary key of %s",
						format_type_be(elemtype), format_type_be_qualified(src->rowtype)),
				 errdetail("The primary key column is of type %s, and there is no implicit cast from %s to it.",
						   format_type_be(src->pk_types[0]), format_type_be(elemtype))));
}
