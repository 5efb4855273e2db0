/*-------------------------------------------------------------------------
 *
 * metacache.c
 *		The backend-local metadata cache and its invalidation, together:
 *		what catalog.c discovers about a table (its keys and relations) is
 *		kept per table, each in its own memory context, with what it was
 *		read from: the tables (its own, its relations' targets and
 *		junctions), constraints, operators, types and the operator family
 *		members its equality operators were looked up as.
 *
 *		Invalidation is per dependency, as in ri_triggers.c: the relcache
 *		callback marks stale the entries that involve the invalidated
 *		relid, the syscache callbacks those that hold the invalidated hash
 *		value; a reset (InvalidOid, hash value 0) marks all.  DDL on any
 *		other object (another session's temporary tables, ANALYZE of an
 *		unrelated table) leaves the entries alone.  Callbacks only mark;
 *		the next call drops the stale entries (or, while a call is still
 *		running in this backend, sets their memory aside until it ends).
 *
 *		Statement plans are not kept here: see plancache.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "miscadmin.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "matrx_relations.h"

/* a table's entry: its metadata lives in the context it points to */
typedef struct MxTableSlot
{
	Oid			relid;			/* hash key */
	MxTable    *table;
} MxTableSlot;

static MemoryContext mx_cxt = NULL; /* parent of the tables' contexts */
static HTAB *mx_tables = NULL;	/* relid -> MxTableSlot */
static uint64 mx_generation = 1;
static bool mx_stale = false;	/* some entry is stale */
static List *mx_zombies = NIL;	/* contexts of dropped entries, in mx_cxt */

static void MxCatalogSetup(void);
static void MxMarkStale(MxTable *t);
static void MxMarkAllStale(void);
static void MxMarkMatching(Oid relid, int cacheid, uint32 hashvalue);
static void MxRelcacheCallback(Datum arg, Oid relid);
static void MxSyscacheCallback(Datum arg, int cacheid, uint32 hashvalue);
static void MxDropStale(void);
static void MxFreeZombies(void);
static void MxNoteHashValue(MxTable *t, int cacheid, uint32 hashvalue);

/* Registers the invalidation callbacks, once per backend */
void
MxCatalogInit(void)
{
	CacheRegisterRelcacheCallback(MxRelcacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(CONSTROID, MxSyscacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(OPEROID, MxSyscacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(TYPEOID, MxSyscacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(AMOPSTRATEGY, MxSyscacheCallback, (Datum) 0);
}

/*
 * A backend-local hash table of entries of entrysize with keys of keysize
 * (blobs), in a context of its own under CacheMemoryContext, returned in
 * *cxt: the metadata cache's and the plan cache's
 */
HTAB *
MxCreateBackendHash(const char *name, Size keysize, Size entrysize, MemoryContext *cxt)
{
	HASHCTL		ctl;

	/* name is a literal: it lives as long as the context */
	*cxt = AllocSetContextCreateInternal(CacheMemoryContext, name, ALLOCSET_SMALL_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = *cxt;
	return hash_create(name, 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Creates the cache's context and hash on first use */
static void
MxCatalogSetup(void)
{
	if (mx_tables == NULL)
		mx_tables = MxCreateBackendHash("matrx_relations metadata", sizeof(Oid),
										sizeof(MxTableSlot), &mx_cxt);
}

/* Marks one entry stale: dropped by the next call */
static void
MxMarkStale(MxTable *t)
{
	if (t->stale)
		return;
	t->stale = true;
	mx_stale = true;
	mx_generation++;
}

/* Marks every entry stale (a cache reset) */
static void
MxMarkAllStale(void)
{
	HASH_SEQ_STATUS status;
	MxTableSlot *slot;

	hash_seq_init(&status, mx_tables);
	while ((slot = (MxTableSlot *) hash_seq_search(&status)) != NULL)
		MxMarkStale(slot->table);
}

/*
 * Marks stale the entries that involve relid (when valid), else those read
 * from the syscache entry of cacheid with hashvalue
 */
static void
MxMarkMatching(Oid relid, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS status;
	MxTableSlot *slot;

	hash_seq_init(&status, mx_tables);
	while ((slot = (MxTableSlot *) hash_seq_search(&status)) != NULL)
	{
		MxTable    *t = slot->table;
		int			i;

		if (OidIsValid(relid))
		{
			for (i = 0; i < t->ninvolved && !t->stale; i++)
				if (t->involved[i] == relid)
					MxMarkStale(t);
		}
		else
		{
			for (i = 0; i < t->ndeps && !t->stale; i++)
				if (t->deps[i].cacheid == cacheid && t->deps[i].hashvalue == hashvalue)
					MxMarkStale(t);
		}
	}
}

/* Relcache callback: the entries that involve relid (all, for InvalidOid) */
static void
MxRelcacheCallback(Datum arg, Oid relid)
{
	if (mx_tables == NULL)
		return;
	if (OidIsValid(relid))
		MxMarkMatching(relid, 0, 0);
	else
		MxMarkAllStale();
}

/*
 * Syscache callback: the entries read from the changed constraint,
 * operator, type or operator family member (AMOPSTRATEGY: ALTER OPERATOR
 * FAMILY ... ADD or DROP OPERATOR); all, for hash value 0
 */
static void
MxSyscacheCallback(Datum arg, int cacheid, uint32 hashvalue)
{
	if (mx_tables == NULL)
		return;
	if (hashvalue != 0)
		MxMarkMatching(InvalidOid, cacheid, hashvalue);
	else
		MxMarkAllStale();
}

/* Frees the memory of dropped entries once no call of ours is running */
static void
MxFreeZombies(void)
{
	ListCell   *lc;

	if (MxCallDepth() > 1)
		return;
	foreach(lc, mx_zombies)
		MemoryContextDelete((MemoryContext) lfirst(lc));
	list_free(mx_zombies);
	mx_zombies = NIL;
}

/* Drops the stale entries; their memory waits for running calls to end */
static void
MxDropStale(void)
{
	HASH_SEQ_STATUS status;
	MxTableSlot *slot;
	List	   *dropped = NIL;
	ListCell   *lc;

	hash_seq_init(&status, mx_tables);
	while ((slot = (MxTableSlot *) hash_seq_search(&status)) != NULL)
		if (slot->table->stale)
			dropped = lappend(dropped, slot->table);
	foreach(lc, dropped)
	{
		MxTable    *t = (MxTable *) lfirst(lc);
		MemoryContext old = MemoryContextSwitchTo(mx_cxt);

		hash_search(mx_tables, &t->relid, HASH_REMOVE, NULL);
		mx_zombies = lappend(mx_zombies, t->cxt);
		MemoryContextSwitchTo(old);
	}
	list_free(dropped);
	mx_stale = false;
}

/* Called at the start of each loader call: stale entries are dropped */
void
MxCatalogBeginCall(void)
{
	MxCatalogSetup();
	if (mx_stale)
		MxDropStale();
	if (mx_zombies != NIL)
		MxFreeZombies();
}

/* True when an invalidation hit an entry since the call began */
bool
MxCatalogIsStale(void)
{
	return mx_stale;
}

/* A number that changes whenever an entry goes stale */
uint64
MxCatalogGeneration(void)
{
	return mx_generation;
}

/* Records that t was read from relid (a relcache invalidation of it drops t) */
void
MxNoteInvolved(MxTable *t, Oid relid)
{
	int			i;

	for (i = 0; i < t->ninvolved; i++)
		if (t->involved[i] == relid)
			return;
	if (t->ninvolved == t->maxinvolved)
	{
		t->maxinvolved = Max(8, t->maxinvolved * 2);
		t->involved = t->involved == NULL ?
			MemoryContextAlloc(t->cxt, sizeof(Oid) * t->maxinvolved) :
			repalloc(t->involved, sizeof(Oid) * t->maxinvolved);
	}
	t->involved[t->ninvolved++] = relid;
}

/* Records that t was read from the syscache entry of oid (CONSTROID, OPEROID, TYPEOID) */
void
MxNoteDependency(MxTable *t, int cacheid, Oid oid)
{
	if (OidIsValid(oid))
		MxNoteHashValue(t, cacheid, GetSysCacheHashValue1(cacheid, ObjectIdGetDatum(oid)));
}

/*
 * Records that t was read from an operator family's member for the given
 * types and strategy, found or not: adding or dropping it drops t
 */
void
MxNoteOpfamilyMember(MxTable *t, Oid family, Oid lefttype, Oid righttype, int16 strategy)
{
	if (OidIsValid(family))
		MxNoteHashValue(t, AMOPSTRATEGY,
						GetSysCacheHashValue4(AMOPSTRATEGY, ObjectIdGetDatum(family),
											  ObjectIdGetDatum(lefttype),
											  ObjectIdGetDatum(righttype),
											  Int16GetDatum(strategy)));
}

/* Records that t was read from the syscache entry with this hash value */
static void
MxNoteHashValue(MxTable *t, int cacheid, uint32 hashvalue)
{
	int			i;

	for (i = 0; i < t->ndeps; i++)
		if (t->deps[i].cacheid == cacheid && t->deps[i].hashvalue == hashvalue)
			return;
	if (t->ndeps == t->maxdeps)
	{
		t->maxdeps = Max(8, t->maxdeps * 2);
		t->deps = t->deps == NULL ?
			MemoryContextAlloc(t->cxt, sizeof(MxDependency) * t->maxdeps) :
			repalloc(t->deps, sizeof(MxDependency) * t->maxdeps);
	}
	t->deps[t->ndeps].cacheid = cacheid;
	t->deps[t->ndeps].hashvalue = hashvalue;
	t->ndeps++;
}

/*
 * Records the operator family members MxFindEqualityOp looks an equality
 * of inner_type and outer_type up as: a member added to or dropped from
 * those families changes what it finds
 */
void
MxNoteEqualityLookup(MxTable *t, Oid inner_type, Oid outer_type)
{
	Oid			types[2] = {inner_type, outer_type};
	int			i;

	for (i = 0; i < 2; i++)
	{
		TypeCacheEntry *tc = lookup_type_cache(types[i], TYPECACHE_BTREE_OPFAMILY);

		if (inner_type == outer_type)
			MxNoteOpfamilyMember(t, tc->btree_opf, tc->btree_opintype, tc->btree_opintype,
								 BTEqualStrategyNumber);
		else
			MxNoteOpfamilyMember(t, tc->btree_opf, inner_type, outer_type,
								 BTEqualStrategyNumber);
	}
}

/* The cached metadata of relid (which the caller has locked), read on first use */
MxTable *
MxGetTable(Oid relid)
{
	MxTableSlot *slot;
	MemoryContext cxt;
	MxTable    *t;
	bool		found;

	MxCatalogSetup();
	slot = (MxTableSlot *) hash_search(mx_tables, &relid, HASH_FIND, NULL);
	if (slot != NULL)
		return slot->table;

	cxt = AllocSetContextCreate(mx_cxt, "matrx_relations table", ALLOCSET_SMALL_SIZES);
	t = MemoryContextAllocZero(cxt, sizeof(MxTable));
	t->relid = relid;
	t->cxt = cxt;
	slot = (MxTableSlot *) hash_search(mx_tables, &relid, HASH_ENTER, &found);
	slot->table = t;
	mx_counters.metadata_loads++;
	PG_TRY();
	{
		MxNoteInvolved(t, relid);
		MxLoadTable(t);
	}
	PG_CATCH();
	{
		hash_search(mx_tables, &relid, HASH_REMOVE, NULL);
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return t;
}
