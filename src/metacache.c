/*-------------------------------------------------------------------------
 *
 * metacache.c
 *		The backend-local metadata cache and its invalidation, together:
 *		discovered tables and relations (catalog.c) and the SPI plans built
 *		from them (execute.c) live in one "generation" with its own memory
 *		context.  Relcache and syscache callbacks only mark the generation
 *		stale; the next call throws it away (or, while a call is still
 *		running in this backend, sets it aside until that call ends), as
 *		ri_triggers.c and postgres_fdw's connection.c do.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "matrx_relations.h"

/* a superseded generation, freed when no call is running any more */
typedef struct MxZombie
{
	MemoryContext cxt;
	List	   *plans;
} MxZombie;

static MemoryContext mx_cxt = NULL; /* the current generation */
static HTAB *mx_tables = NULL;	/* relid -> MxTable */
static HTAB *mx_involved = NULL;	/* relids the generation depends on */
static List *mx_plans = NIL;	/* SPI plans kept in this generation */
static uint64 mx_generation = 0;
static bool mx_stale = false;
static List *mx_zombies = NIL;	/* in TopMemoryContext */

static void MxResetGeneration(void);
static void MxRelcacheCallback(Datum arg, Oid relid);
static void MxSyscacheCallback(Datum arg, int cacheid, uint32 hashvalue);

/* Registers the invalidation callbacks, once per backend */
void
MxCatalogInit(void)
{
	CacheRegisterRelcacheCallback(MxRelcacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(CONSTROID, MxSyscacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, MxSyscacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(OPEROID, MxSyscacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(RELNAMENSP, MxSyscacheCallback, (Datum) 0);
}

/* Relcache callback: a table we depend on changed (or all did) */
static void
MxRelcacheCallback(Datum arg, Oid relid)
{
	if (mx_cxt == NULL)
		return;
	if (!OidIsValid(relid) || mx_involved == NULL ||
		hash_search(mx_involved, &relid, HASH_FIND, NULL) != NULL)
		mx_stale = true;
}

/* Syscache callback: constraints, schemas, operators or names changed */
static void
MxSyscacheCallback(Datum arg, int cacheid, uint32 hashvalue)
{
	if (mx_cxt != NULL)
		mx_stale = true;
}

/* Frees superseded generations once no call of ours is running */
static void
MxFreeZombies(void)
{
	while (mx_zombies != NIL)
	{
		MxZombie   *z = (MxZombie *) linitial(mx_zombies);
		ListCell   *lc;

		mx_zombies = list_delete_first(mx_zombies);
		foreach(lc, z->plans)
			SPI_freeplan((SPIPlanPtr) lfirst(lc));
		MemoryContextDelete(z->cxt);
		pfree(z);
	}
}

/* Drops the current generation (or sets it aside) and starts a new one */
static void
MxResetGeneration(void)
{
	HASHCTL		ctl;

	if (mx_cxt != NULL)
	{
		MxZombie   *z = MemoryContextAlloc(TopMemoryContext, sizeof(MxZombie));

		z->cxt = mx_cxt;
		z->plans = NIL;
		/* the plan list lives in mx_cxt: copy it out before moving on */
		if (mx_plans != NIL)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			z->plans = list_copy(mx_plans);
			MemoryContextSwitchTo(old);
		}
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			mx_zombies = lappend(mx_zombies, z);
			MemoryContextSwitchTo(old);
		}
	}
	mx_cxt = AllocSetContextCreate(CacheMemoryContext,
								   "matrx_relations metadata",
								   ALLOCSET_DEFAULT_SIZES);
	mx_plans = NIL;
	mx_generation++;
	mx_stale = false;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(MxTable);
	ctl.hcxt = mx_cxt;
	mx_tables = hash_create("matrx_relations tables", 64, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.entrysize = sizeof(Oid);
	mx_involved = hash_create("matrx_relations involved", 64, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	if (MxCallDepth() <= 1)
		MxFreeZombies();
}

/* Called at the start of each loader call: a stale generation is replaced */
void
MxCatalogBeginCall(void)
{
	if (mx_cxt == NULL || mx_stale)
		MxResetGeneration();
	else if (MxCallDepth() <= 1 && mx_zombies != NIL)
		MxFreeZombies();
}

/* True when an invalidation arrived since the generation began */
bool
MxCatalogIsStale(void)
{
	return mx_stale;
}

/* A number that changes whenever the generation does */
uint64
MxCatalogGeneration(void)
{
	return mx_generation;
}

/* The current generation's memory context */
MemoryContext
MxCatalogContext(void)
{
	Assert(mx_cxt != NULL);
	return mx_cxt;
}

/* Remembers a kept SPI plan so that it dies with the generation */
void
MxCatalogKeepPlan(void *plan)
{
	MemoryContext old = MemoryContextSwitchTo(mx_cxt);

	mx_plans = lappend(mx_plans, plan);
	MemoryContextSwitchTo(old);
}

/* Records that the generation depends on relid */
void
MxNoteInvolved(Oid relid)
{
	hash_search(mx_involved, &relid, HASH_ENTER, NULL);
}

/* The cached metadata of relid (which the caller has locked) */
MxTable *
MxGetTable(Oid relid)
{
	MxTable    *t;
	bool		found;

	if (mx_cxt == NULL)
		MxResetGeneration();
	t = (MxTable *) hash_search(mx_tables, &relid, HASH_ENTER, &found);
	if (!found)
	{
		PG_TRY();
		{
			mx_counters.metadata_loads++;
			MxLoadTable(t);
		}
		PG_CATCH();
		{
			hash_search(mx_tables, &relid, HASH_REMOVE, NULL);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	return t;
}
