/*-------------------------------------------------------------------------
 *
 * cache.c
 *		The relation cache: per statement and key tuple, the rows a load
 *		fetched (a varlena per row plus its extra columns), so that a later
 *		load of the same key in the same transaction runs no statement for
 *		it.
 *
 *		Exactness is the rule: a hit returns what a fresh load would return
 *		at that moment, or the cache is not used.  A statement's rows are a
 *		function of the tables' contents as the snapshot sees them, of who
 *		reads them, and of the settings that shape to_jsonb's text.  So the
 *		cache is filled under one "epoch", compared on every use, and
 *		emptied when anything in it differs:
 *
 *		- the transaction (entries also die at commit, abort and prepare,
 *		  and at any subtransaction abort, which can undo rows they hold);
 *		- the active snapshot's xmin, xmax and in-progress xids: two
 *		  snapshots with the same ones see the same committed transactions
 *		  (a READ COMMITTED statement's new snapshot keeps them until some
 *		  transaction with an xid ends; REPEATABLE READ keeps its own), and
 *		  its command id, which this transaction's own writes advance;
 *		- the current user and row_security;
 *		- TimeZone, DateStyle, IntervalStyle, extra_float_digits,
 *		  bytea_output and lc_monetary (column values' text in documents),
 *		  search_path (a spec's regclass, regtype ... values resolve through it);
 *		- the metadata generation (DDL seen by metacache.c).
 *
 *		Invalidations empty it as well, per dependency as in metacache.c:
 *		the relcache of a table entries were read from, or of the row type
 *		of a composite column of one (DDL, GRANT/REVOKE, policies, RLS
 *		switched on), by relid; the type of a column read, or a type it is
 *		built on (domain base, array element, range subtype), by syscache
 *		hash value.  Other sessions' temporary tables and ANALYZE of
 *		unrelated tables (new relids, new pg_type rows) leave it alone.
 *		Changes to roles and memberships, schemas, functions, operators and
 *		enum labels empty it whole: a statement calls functions and
 *		operators that its text names (built-in ones, a spec's "where"
 *		operators) and that this file does not see, privileges a fresh load
 *		would check, and such DDL is rare (neither temporary tables nor
 *		ANALYZE make any).  Tables with row-level security enabled, views
 *		and foreign tables are never cached: their rows depend on more than
 *		the snapshot.
 *
 *		Spaces and the rows of hits are used in place until the call ends,
 *		so memory is never freed under a running call: while any are held,
 *		an invalidation only dooms the cache (no more hits or entries), and
 *		it is emptied when the outermost call ends.
 *
 *		Memory is one context, bounded by cache_size: an entry that could
 *		take it past the limit is not added (caching stops; loads go on).
 *		Each entry is one allocation, added whole once its statement has
 *		returned every row: a failed or cancelled load leaves none half
 *		filled.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "storage/proc.h"
#include "utils/bytea.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_locale.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "cache.h"
#include "citus.h"
#include "catalog.h"
#include "keys.h"
#include "matrx_relations.h"

/* the cache context's largest block: what one allocation can add beyond its size */
#define MX_CACHE_BLOCK (16 * 1024)

bool		mx_cache_enabled = MX_CACHE_DEFAULT;
int			mx_cache_size_kb = MX_CACHE_SIZE_DEFAULT;

/* what the entries were loaded under (see the file header) */
typedef struct MxCacheEpoch
{
	LocalTransactionId lxid;
	Oid			userid;
	bool		row_security;
	uint64		generation;
	TransactionId xmin;
	TransactionId xmax;
	uint32		xcnt;
	TransactionId *xip;			/* sorted */
	int32		subxcnt;
	TransactionId *subxip;		/* sorted */
	bool		suboverflowed;
	bool		recovery;
	CommandId	curcid;
	pg_tz	   *timezone;
	int			datestyle;
	int			dateorder;
	int			intervalstyle;
	int			float_digits;
	int			bytea_output;
	char	   *lc_monetary;
	char	   *search_path;	/* a spec's regclass/regtype... values resolve through it */
} MxCacheEpoch;

struct MxCacheSpace
{
	uint64		hash;			/* of the text, key types and extra columns */
	char	   *sql;
	Oid			key_types[MX_MAX_KEYS];
	AttrNumber *extra_cols;		/* which column each extra is */
	bool		cacheable;		/* false: a table it reads is never cached */
	uint32		seed;			/* mixed into its keys' hashes */
	MxKeyFuncs	f;
	int			nextra;
	int16	   *extra_len;
	bool	   *extra_byval;
};

/* one key's rows, in one allocation */
typedef struct MxCacheEntry
{
	MxCacheSpace *space;
	uint32		hash;
	Datum		key[MX_MAX_KEYS];
	MxCacheRows rows;
} MxCacheEntry;

/* the index: entries by space and key */
typedef struct MxCacheSlot
{
	MxCacheEntry *entry;
	uint32		hash;
	char		status;
} MxCacheSlot;

static bool MxCacheKeyEqual(MxCacheEntry *a, MxCacheEntry *b);

#define SH_PREFIX mxcache
#define SH_ELEMENT_TYPE MxCacheSlot
#define SH_KEY_TYPE MxCacheEntry *
#define SH_KEY entry
#define SH_HASH_KEY(tb, key) ((key)->hash)
#define SH_EQUAL(tb, a, b) MxCacheKeyEqual((a), (b))
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static MemoryContext mx_cache_cxt = NULL;
static MxCacheEpoch *mx_epoch = NULL;	/* NULL: no entries yet */
static List *mx_spaces = NIL;	/* few: one per statement */
static struct mxcache_hash *mx_index = NULL;
static int64 mx_nentries = 0;
static int	mx_pins = 0;		/* hits handed out to running calls */
static bool mx_doomed = false;	/* invalid, emptied when the calls end */
static int	mx_nrelids = 0;		/* the tables entries were read from */
static Oid *mx_relids = NULL;
static int	mx_relids_cap = 0;
static int	mx_ntypes = 0;		/* the types of their columns, and below */
static Oid *mx_types = NULL;
static uint32 *mx_type_hashes = NULL;	/* their TYPEOID hash values */
static int	mx_types_cap = 0;

static void MxCacheRelcacheCallback(Datum arg, Oid relid);
static void MxCacheSyscacheCallback(Datum arg, int cacheid, uint32 hashvalue);
static bool MxCacheUsable(void);
static void MxEpochTake(MxCacheEpoch *e, Snapshot snap, bool copy);
static bool MxEpochEqual(MxCacheEpoch *a, MxCacheEpoch *b);
static int	MxXidCmp(const void *a, const void *b);
static bool MxRelCacheable(Oid relid);
static void *MxGrow(void *array, int *cap, int n, Size size);
static void MxNoteRelation(Oid relid);
static void MxNoteType(Oid typid);

/* Entries are equal when they belong to one space and their keys are equal */
static bool
MxCacheKeyEqual(MxCacheEntry *a, MxCacheEntry *b)
{
	return a->space == b->space && MxKeyEqual(&a->space->f, a->key, b->key);
}

/* Defines the cache's settings and registers its invalidation callbacks (from _PG_init) */
void
MxCacheDefineGucs(void)
{
	DefineCustomBoolVariable("matrx_relations.cache",
							 "Reuses rows loaded earlier in the same transaction when a fresh load would return exactly the same rows.",
							 NULL, &mx_cache_enabled, MX_CACHE_DEFAULT,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("matrx_relations.cache_size",
							"Memory limit of this backend's relation cache.",
							"Past it, no more entries are added until the cache is emptied.",
							&mx_cache_size_kb, MX_CACHE_SIZE_DEFAULT,
							MX_CACHE_SIZE_MIN, MX_CACHE_SIZE_MAX,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	CacheRegisterRelcacheCallback(MxCacheRelcacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, MxCacheSyscacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, MxCacheSyscacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, MxCacheSyscacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, MxCacheSyscacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(OPEROID, MxCacheSyscacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(TYPEOID, MxCacheSyscacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(ENUMOID, MxCacheSyscacheCallback, (Datum) 0);
}

/* A relcache invalidation: empties the cache if it holds rows of relid (any, for InvalidOid) */
static void
MxCacheRelcacheCallback(Datum arg, Oid relid)
{
	int			i;

	if (mx_epoch == NULL)
		return;
	if (!OidIsValid(relid))
	{
		MxCacheFlush();
		return;
	}
	for (i = 0; i < mx_nrelids; i++)
		if (mx_relids[i] == relid)
		{
			MxCacheFlush();
			return;
		}
}

/*
 * A syscache invalidation: of a type, empties the cache when it holds
 * that type's hash value (all, for 0); of roles, memberships, schemas,
 * functions, operators or enum labels, always (see the file header).
 */
static void
MxCacheSyscacheCallback(Datum arg, int cacheid, uint32 hashvalue)
{
	int			i;

	if (mx_epoch == NULL)
		return;
	if (cacheid != TYPEOID || hashvalue == 0)
	{
		MxCacheFlush();
		return;
	}
	for (i = 0; i < mx_ntypes; i++)
		if (mx_type_hashes[i] == hashvalue)
		{
			MxCacheFlush();
			return;
		}
}

/*
 * Empties the cache, or, while running calls use rows from it, dooms it
 * (emptied when they end).  Counted as an invalidation when it held
 * entries.
 */
void
MxCacheFlush(void)
{
	if (mx_epoch != NULL && mx_nentries > 0 && !mx_doomed)
		mx_counters.cache_invalidations++;
	if (mx_pins > 0)
		mx_doomed = true;
	else
		MxCacheReset();
}

/* Frees every entry, now (no call may be using one) */
void
MxCacheReset(void)
{
	if (mx_cache_cxt != NULL)
		MemoryContextReset(mx_cache_cxt);
	mx_epoch = NULL;
	mx_spaces = NIL;
	mx_index = NULL;
	mx_nentries = 0;
	mx_relids = NULL;
	mx_nrelids = mx_relids_cap = 0;
	mx_types = NULL;
	mx_type_hashes = NULL;
	mx_ntypes = mx_types_cap = 0;
	mx_pins = 0;
	mx_doomed = false;
}

/* The outermost call ended (or a transaction did): hits are no longer in use */
void
MxCacheCallsEnded(void)
{
	mx_pins = 0;
	if (mx_doomed)
		MxCacheReset();
}

/* Ascending TransactionIds, for qsort */
static int
MxXidCmp(const void *a, const void *b)
{
	TransactionId xa = *(const TransactionId *) a;
	TransactionId xb = *(const TransactionId *) b;

	return xa < xb ? -1 : (xa > xb ? 1 : 0);
}

/*
 * The epoch of now under snap.  copy: its arrays and strings are copied
 * into the cache's context (else the caller frees them).
 */
static void
MxEpochTake(MxCacheEpoch *e, Snapshot snap, bool copy)
{
	MemoryContext old = MemoryContextSwitchTo(copy ? mx_cache_cxt : CurrentMemoryContext);

#if PG_VERSION_NUM >= 170000
	e->lxid = MyProc->vxid.lxid;
#else
	e->lxid = MyProc->lxid;
#endif
	e->userid = GetUserId();
	e->row_security = row_security;
	e->generation = MxCatalogGeneration();
	e->xmin = snap->xmin;
	e->xmax = snap->xmax;
	e->xcnt = snap->xcnt;
	e->xip = palloc(sizeof(TransactionId) * Max(snap->xcnt, 1));
	memcpy(e->xip, snap->xip, sizeof(TransactionId) * snap->xcnt);
	qsort(e->xip, snap->xcnt, sizeof(TransactionId), MxXidCmp);
	e->subxcnt = snap->subxcnt;
	e->subxip = palloc(sizeof(TransactionId) * Max(snap->subxcnt, 1));
	memcpy(e->subxip, snap->subxip, sizeof(TransactionId) * Max(snap->subxcnt, 0));
	qsort(e->subxip, Max(snap->subxcnt, 0), sizeof(TransactionId), MxXidCmp);
	e->suboverflowed = snap->suboverflowed;
	e->recovery = snap->takenDuringRecovery;
	e->curcid = snap->curcid;
	e->timezone = session_timezone;
	e->datestyle = DateStyle;
	e->dateorder = DateOrder;
	e->intervalstyle = IntervalStyle;
	e->float_digits = extra_float_digits;
	e->bytea_output = bytea_output;
	e->lc_monetary = pstrdup(locale_monetary ? locale_monetary : "");
	e->search_path = pstrdup(namespace_search_path ? namespace_search_path : "");
	MemoryContextSwitchTo(old);
}

/* Whether two epochs see the same rows the same way */
static bool
MxEpochEqual(MxCacheEpoch *a, MxCacheEpoch *b)
{
	return a->lxid == b->lxid && a->userid == b->userid &&
		a->row_security == b->row_security && a->generation == b->generation &&
		a->xmin == b->xmin && a->xmax == b->xmax && a->xcnt == b->xcnt &&
		memcmp(a->xip, b->xip, sizeof(TransactionId) * a->xcnt) == 0 &&
		a->subxcnt == b->subxcnt &&
		memcmp(a->subxip, b->subxip, sizeof(TransactionId) * Max(a->subxcnt, 0)) == 0 &&
		a->suboverflowed == b->suboverflowed && a->recovery == b->recovery &&
		a->curcid == b->curcid && a->timezone == b->timezone &&
		a->datestyle == b->datestyle && a->dateorder == b->dateorder &&
		a->intervalstyle == b->intervalstyle && a->float_digits == b->float_digits &&
		a->bytea_output == b->bytea_output &&
		strcmp(a->lc_monetary, locale_monetary ? locale_monetary : "") == 0 &&
		strcmp(a->search_path, namespace_search_path ? namespace_search_path : "") == 0;
}

/*
 * Whether the cache is in use for this statement: it is on, and the
 * statement runs in a transaction block.  A statement outside one is its
 * own transaction: what it cached would die with it, unused, so filling
 * the cache would only cost.
 */
bool
MxCacheActive(void)
{
	return mx_cache_enabled && IsTransactionBlock();
}

/*
 * Whether the cache can serve the current statement: it is on, the
 * statement runs in a transaction block, the active snapshot is an MVCC
 * one, and the cache is not doomed.  An epoch other
 * than the entries' empties the cache first (or dooms it, when hits are
 * in use) and starts the new one.
 */
static bool
MxCacheUsable(void)
{
	Snapshot	snap;
	MxCacheEpoch now;

	if (!MxCacheActive() || !ActiveSnapshotSet())
		return false;
	snap = GetActiveSnapshot();
	if (snap->snapshot_type != SNAPSHOT_MVCC)
		return false;
	if (mx_cache_cxt == NULL)
		mx_cache_cxt = AllocSetContextCreate(TopMemoryContext, "matrx_relations cache",
											 0, ALLOCSET_SMALL_INITSIZE, MX_CACHE_BLOCK);
	/* cache_size lowered below what the cache holds */
	if (mx_epoch != NULL &&
		MemoryContextMemAllocated(mx_cache_cxt, true) > (Size) mx_cache_size_kb * 1024)
		MxCacheFlush();
	if (mx_doomed)
		return false;
	if (mx_epoch != NULL)
	{
		bool		same;

		MxEpochTake(&now, snap, false);
		same = MxEpochEqual(mx_epoch, &now);
		pfree(now.xip);
		pfree(now.subxip);
		pfree(now.lc_monetary);
		pfree(now.search_path);
		if (same)
			return true;
		MxCacheFlush();
		if (mx_doomed)
			return false;
	}
	mx_epoch = MemoryContextAllocZero(mx_cache_cxt, sizeof(MxCacheEpoch));
	MxEpochTake(mx_epoch, snap, true);
	return true;
}

/* Whether rows of relid may be cached: a table or materialized view without row-level security */
static bool
MxRelCacheable(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		ok = false;

	if (HeapTupleIsValid(tup))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tup);

		ok = (form->relkind == RELKIND_RELATION || form->relkind == RELKIND_PARTITIONED_TABLE ||
			  form->relkind == RELKIND_MATVIEW) && !form->relrowsecurity;
		ReleaseSysCache(tup);
		ok = ok && !MxCitusTable(relid);	/* rows on other nodes */
	}
	return ok;
}

/* Grows an array of the cache's context to hold n elements of size */
static void *
MxGrow(void *array, int *cap, int n, Size size)
{
	if (n < *cap)
		return array;
	*cap = Max(16, *cap * 2);
	return array == NULL ? MemoryContextAlloc(mx_cache_cxt, size * *cap) :
		repalloc(array, size * *cap);
}

/*
 * Records a table entries are read from, for the relcache callback, and
 * the types of its columns, for the syscache callback.
 */
static void
MxNoteRelation(Oid relid)
{
	HeapTuple	tup;
	int			natts;
	int			i;

	for (i = 0; i < mx_nrelids; i++)
		if (mx_relids[i] == relid)
			return;
	mx_relids = MxGrow(mx_relids, &mx_relids_cap, mx_nrelids, sizeof(Oid));
	mx_relids[mx_nrelids++] = relid;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return;
	natts = ((Form_pg_class) GETSTRUCT(tup))->relnatts;
	ReleaseSysCache(tup);
	for (i = 1; i <= natts; i++)
	{
		Oid			typid = InvalidOid;

		tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(i));
		if (!HeapTupleIsValid(tup))
			continue;
		if (!((Form_pg_attribute) GETSTRUCT(tup))->attisdropped)
			typid = ((Form_pg_attribute) GETSTRUCT(tup))->atttypid;
		ReleaseSysCache(tup);
		if (OidIsValid(typid))
			MxNoteType(typid);
	}
}

/*
 * Records a type whose values entries hold, by its syscache hash value,
 * and what its values' text is built from: a domain's base type, an
 * array's element type, a range's subtype, a composite type's attributes
 * (its relid, for the relcache callback).
 */
static void
MxNoteType(Oid typid)
{
	HeapTuple	tup;
	Form_pg_type form;
	Oid			below = InvalidOid;
	Oid			relid = InvalidOid;
	int			i;

	check_stack_depth();
	for (i = 0; i < mx_ntypes; i++)
		if (mx_types[i] == typid)
			return;
	if (mx_ntypes == mx_types_cap)
	{
		int			cap = mx_types_cap;

		mx_types = MxGrow(mx_types, &mx_types_cap, mx_ntypes, sizeof(Oid));
		mx_type_hashes = MxGrow(mx_type_hashes, &cap, mx_ntypes, sizeof(uint32));
	}
	mx_types[mx_ntypes] = typid;
	mx_type_hashes[mx_ntypes] = GetSysCacheHashValue1(TYPEOID, ObjectIdGetDatum(typid));
	mx_ntypes++;

	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
		return;
	form = (Form_pg_type) GETSTRUCT(tup);
	if (form->typtype == TYPTYPE_DOMAIN)
		below = form->typbasetype;
	else if (IsTrueArrayType(form))
		below = form->typelem;
	else if (form->typtype == TYPTYPE_COMPOSITE)
		relid = form->typrelid;
	else if (form->typtype == TYPTYPE_RANGE)
		below = get_range_subtype(typid);
	else if (form->typtype == TYPTYPE_MULTIRANGE)
		below = get_multirange_range(typid);
	ReleaseSysCache(tup);
	if (OidIsValid(below))
		MxNoteType(below);
	if (OidIsValid(relid))
		MxNoteRelation(relid);
}

/*
 * The cache's entries for one statement (its text, key types, extra
 * columns, and the tables it reads), to look keys up in before running
 * it; NULL when the cache cannot serve it now.  The extra columns are
 * part of its identity: one text can return them in another order (a
 * key column is returned once, whatever its place among the extras).  Called inside a loader
 * call, connected or not to SPI.  The space stays valid until the
 * outermost call ends: invalidations meanwhile (the statement itself may
 * process some, when it locks a table) only doom the cache.
 */
MxCacheSpace *
MxCacheOpen(const char *sql, int nkeys, const Oid *key_types, const Oid *key_collations,
			int nextra, const AttrNumber *extra_cols, const int16 *extra_len, const bool *extra_byval,
			int nrelids, const Oid *relids)
{
	MemoryContext old;
	MxCacheSpace *space;
	uint64		h;
	ListCell   *lc;
	int			i;

	if (!MxCacheUsable())
		return NULL;
	if (mx_index == NULL)
		mx_index = mxcache_create(mx_cache_cxt, 16, NULL);
	h = hash_bytes_extended((const unsigned char *) sql, strlen(sql), 0);
	h = hash_bytes_extended((const unsigned char *) key_types, sizeof(Oid) * nkeys, h);
	if (nextra > 0)
		h = hash_bytes_extended((const unsigned char *) extra_cols, sizeof(AttrNumber) * nextra, h);
	foreach(lc, mx_spaces)
	{
		space = (MxCacheSpace *) lfirst(lc);
		if (space->hash == h && strcmp(space->sql, sql) == 0)
		{
			/* other key types or extra columns under one hash: a collision, not cached */
			if (!space->cacheable || space->f.nkeys != nkeys || space->nextra != nextra ||
				memcmp(space->key_types, key_types, sizeof(Oid) * nkeys) != 0 ||
				(nextra > 0 && memcmp(space->extra_cols, extra_cols, sizeof(AttrNumber) * nextra) != 0))
				return NULL;
			mx_pins++;			/* held by the call until it ends */
			return space;
		}
	}
	/* catalog lookups below may process invalidations: pinned, they only doom the cache */
	mx_pins++;
	old = MemoryContextSwitchTo(mx_cache_cxt);
	space = palloc0(sizeof(MxCacheSpace));
	space->hash = h;
	mx_spaces = lappend(mx_spaces, space);
	space->sql = pstrdup(sql);
	space->seed = (uint32) h;
	memcpy(space->key_types, key_types, sizeof(Oid) * nkeys);
	space->nextra = nextra;
	space->extra_cols = palloc(sizeof(AttrNumber) * Max(nextra, 1));
	if (nextra > 0)
		memcpy(space->extra_cols, extra_cols, sizeof(AttrNumber) * nextra);
	space->extra_len = palloc(sizeof(int16) * Max(nextra, 1));
	space->extra_byval = palloc(sizeof(bool) * Max(nextra, 1));
	memcpy(space->extra_len, extra_len, sizeof(int16) * nextra);
	memcpy(space->extra_byval, extra_byval, sizeof(bool) * nextra);
	MemoryContextSwitchTo(old);
	MxKeyFuncsInit(&space->f, mx_cache_cxt, nkeys, key_types, key_collations);
	space->cacheable = true;
	for (i = 0; i < nrelids; i++)
		space->cacheable &= MxRelCacheable(relids[i]);
	if (space->cacheable)
		for (i = 0; i < nrelids; i++)
			MxNoteRelation(relids[i]);
	if (mx_doomed || !space->cacheable)
	{
		mx_pins--;
		return NULL;
	}
	return space;				/* still pinned: held by the call until it ends */
}

/*
 * The rows cached for key, or NULL.  They stay valid until the outermost
 * loader call ends.
 */
MxCacheRows *
MxCacheGet(MxCacheSpace *space, const Datum *key)
{
	MxCacheEntry probe;
	MxCacheSlot *slot;

	if (mx_doomed)
		return NULL;
	/* pinned first: the type's functions may process invalidations */
	mx_pins++;
	probe.space = space;
	probe.hash = hash_combine(space->seed, MxKeyHash(&space->f, key));
	memcpy(probe.key, key, sizeof(Datum) * space->f.nkeys);
	slot = mxcache_lookup(mx_index, &probe);
	if (slot == NULL || mx_doomed)
	{
		mx_pins--;
		mx_counters.cache_misses++;
		return NULL;
	}
	mx_counters.cache_hits++;
	return &slot->entry->rows;
}

/* Bytes a datum takes in an entry (by reference: MAXALIGNed) */
static inline Size
MxDatumSpace(Datum d, bool byval, int16 len)
{
	return byval ? 0 : MAXALIGN(datumGetSize(d, byval, len));
}

/* Copies a datum into an entry at *at (by reference), advancing *at */
static inline Datum
MxDatumPlace(Datum d, bool byval, int16 len, char **at)
{
	Size		size;

	if (byval)
		return d;
	size = datumGetSize(d, byval, len);
	memcpy(*at, DatumGetPointer(d), size);
	d = PointerGetDatum(*at);
	*at += MAXALIGN(size);
	return d;
}

/*
 * Adds key's rows, when they fit within cache_size; values are varlenas.
 * Everything is copied into one allocation.
 */
void
MxCachePut(MxCacheSpace *space, const Datum *key, int nrows, const Datum *values,
		   const Datum *extras, const bool *extra_nulls)
{
	int			nkeys = space->f.nkeys;
	int			nextra = space->nextra;
	Size		size = MAXALIGN(sizeof(MxCacheEntry));
	Size		need;
	MxCacheEntry *e;
	MxCacheSlot *slot PG_USED_FOR_ASSERTS_ONLY;
	char	   *at;
	bool		found;
	int			i;
	int			r;

	if (mx_doomed || !space->cacheable)
		return;
	size += MAXALIGN(sizeof(Datum) * nrows) + MAXALIGN(sizeof(Datum) * nrows * nextra) +
		MAXALIGN(sizeof(bool) * nrows * nextra);
	for (i = 0; i < nkeys; i++)
		size += MxDatumSpace(key[i], space->f.byval[i], space->f.typlen[i]);
	for (r = 0; r < nrows; r++)
	{
		size += MAXALIGN(VARSIZE_ANY(DatumGetPointer(values[r])));
		for (i = 0; i < nextra; i++)
			if (!extra_nulls[r * nextra + i])
				size += MxDatumSpace(extras[r * nextra + i], space->extra_byval[i], space->extra_len[i]);
	}

	/* the entry, a possible new block, and the index doubling when it is due */
	need = size + MX_CACHE_BLOCK;
	if (mx_index->members + 1 > mx_index->grow_threshold)
		need += sizeof(MxCacheSlot) * mx_index->size * 2;
	if (MemoryContextMemAllocated(mx_cache_cxt, true) + need > (Size) mx_cache_size_kb * 1024)
		return;

	e = MemoryContextAllocExtended(mx_cache_cxt, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	if (e == NULL)
		return;
	at = (char *) e + MAXALIGN(sizeof(MxCacheEntry));
	e->space = space;
	e->rows.nrows = nrows;
	e->rows.values = (Datum *) at;
	at += MAXALIGN(sizeof(Datum) * nrows);
	e->rows.extras = (Datum *) at;
	at += MAXALIGN(sizeof(Datum) * nrows * nextra);
	e->rows.extra_nulls = (bool *) at;
	at += MAXALIGN(sizeof(bool) * nrows * nextra);
	for (i = 0; i < nkeys; i++)
		e->key[i] = MxDatumPlace(key[i], space->f.byval[i], space->f.typlen[i], &at);
	for (r = 0; r < nrows; r++)
	{
		e->rows.values[r] = MxDatumPlace(values[r], false, -1, &at);
		for (i = 0; i < nextra; i++)
		{
			Size		k = (Size) r * nextra + i;

			e->rows.extra_nulls[k] = extra_nulls[k];
			e->rows.extras[k] = extra_nulls[k] ? (Datum) 0 :
				MxDatumPlace(extras[k], space->extra_byval[i], space->extra_len[i], &at);
		}
	}
	Assert(at <= (char *) e + size);
	mx_pins++;
	e->hash = hash_combine(space->seed, MxKeyHash(&space->f, e->key));
	mx_pins--;
	if (mx_doomed)
		return;
	slot = mxcache_insert(mx_index, e, &found);
	if (found)
	{
		pfree(e);				/* the same statement twice in one load */
		return;
	}
	Assert(slot->entry == e);
	mx_nentries++;
}

/* How many keys the cache holds */
int64
MxCacheEntries(void)
{
	return mx_doomed ? 0 : mx_nentries;
}

/* The memory the cache holds, in bytes */
int64
MxCacheBytes(void)
{
	return mx_cache_cxt ? (int64) MemoryContextMemAllocated(mx_cache_cxt, true) : 0;
}
