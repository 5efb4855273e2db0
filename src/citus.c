/*-------------------------------------------------------------------------
 *
 * citus.c
 *		Citus awareness, without linking to Citus: its catalog tables
 *		pg_catalog.pg_dist_partition and pg_dist_shard are read directly
 *		when they exist (the citus extension is created in the database);
 *		without them every answer is false and nothing else is done.
 *
 *		- A Citus table (distributed, reference, or a Citus local table:
 *		  any relation in pg_dist_partition) keeps its rows in shards that
 *		  other nodes hold, or that Citus reads through its own connections;
 *		  this backend's snapshot does not tell when they change, so the
 *		  relation cache never keeps its rows (cache.c).  The answer is
 *		  cached per relation and dropped by the relation's relcache
 *		  invalidation, which Citus sends whenever pg_dist_partition
 *		  changes for it (create_distributed_table, undistribute_table ...).
 *		- A shard (a table named <table>_<shardid> whose shard id is in
 *		  pg_dist_shard for a table of the same schema) is an implementation
 *		  detail of Citus: discovery does not list it (catalog.c).
 *		- Citus cannot run a generic plan of "= ANY ($1)" on its tables
 *		  ("could not create distributed plan"); it makes such plans look
 *		  costly so that custom plans win, which plan_cache_mode =
 *		  force_generic_plan overrides.  That setting is the user's, for
 *		  their statements: ours are opened under auto when Citus is there.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_namespace.h"
#include "common/hashfn.h"
#include "mb/pg_wchar.h"
#include "nodes/primnodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/rel.h"

#include "catalog.h"
#include "citus.h"

/* columns of Citus's catalog: the first of both is logicalrelid */
#define MX_DIST_PARTITION_LOGICALRELID	1
#define MX_DIST_PARTITION_PARTMETHOD	2
#define MX_DIST_PARTITION_PARTKEY		3
#define MX_DIST_PARTITION_COLOCATIONID	4
#define MX_DIST_SHARD_SHARDID			2

/* one relation's answer */
typedef struct MxCitusEntry
{
	Oid			relid;			/* hash key */
	bool		citus_table;
	AttrNumber	dist_col;		/* hash-distributed: its distribution column, else 0 */
	int32		colocation;		/* hash-distributed: its co-location group */
} MxCitusEntry;

static HTAB *mx_citus_tables = NULL;
static MemoryContext mx_citus_cxt = NULL;

static void MxCitusRelcacheCallback(Datum arg, Oid relid);
static bool MxCitusLookup(const char *catalog, const char *index, AttrNumber attnum,
						  RegProcedure eqproc, Datum value, Oid *logicalrelid,
						  MxCitusEntry *dist);

/* A relcache invalidation: forgets relid's answer (every answer, for InvalidOid) */
static void
MxCitusRelcacheCallback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	MxCitusEntry *e;

	if (mx_citus_tables == NULL)
		return;
	if (OidIsValid(relid))
	{
		hash_search(mx_citus_tables, &relid, HASH_REMOVE, NULL);
		return;
	}
	hash_seq_init(&status, mx_citus_tables);
	while ((e = (MxCitusEntry *) hash_seq_search(&status)) != NULL)
		hash_search(mx_citus_tables, &e->relid, HASH_REMOVE, NULL);
}

/*
 * Looks up the row of Citus's catalog table pg_catalog.<catalog> whose
 * column attnum equals value (through the index when it exists); false when
 * the table does not exist or has no such row.  Sets *logicalrelid to the
 * row's first column (the Citus table it describes), and when dist is not
 * NULL (pg_dist_partition), dist->dist_col to the column a hash-distributed
 * table is distributed on (partkey, a Var node as text) and
 * dist->colocation to its co-location group, else 0.
 */
static bool
MxCitusLookup(const char *catalog, const char *index, AttrNumber attnum,
			  RegProcedure eqproc, Datum value, Oid *logicalrelid, MxCitusEntry *dist)
{
	Oid			catoid = get_relname_relid(catalog, PG_CATALOG_NAMESPACE);
	Oid			indoid;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	bool		found = false;

	if (dist != NULL)
	{
		dist->dist_col = InvalidAttrNumber;
		dist->colocation = 0;
	}
	if (!OidIsValid(catoid))
		return false;
	indoid = get_relname_relid(index, PG_CATALOG_NAMESPACE);
	rel = table_open(catoid, AccessShareLock);
	ScanKeyInit(&key, attnum, BTEqualStrategyNumber, eqproc, value);
	scan = systable_beginscan(rel, indoid, OidIsValid(indoid), NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		TupleDesc	desc = RelationGetDescr(rel);
		bool		isnull;
		Datum		d = heap_getattr(tup, 1, desc, &isnull);

		found = true;
		*logicalrelid = isnull ? InvalidOid : DatumGetObjectId(d);
		if (dist != NULL && desc->natts >= MX_DIST_PARTITION_COLOCATIONID)
		{
			char		method = DatumGetChar(heap_getattr(tup, MX_DIST_PARTITION_PARTMETHOD,
														   desc, &isnull));

			d = heap_getattr(tup, MX_DIST_PARTITION_PARTKEY, desc, &isnull);
			if (method == 'h' && !isnull)
			{
				Node	   *var = stringToNode(TextDatumGetCString(d));

				if (IsA(var, Var))
					dist->dist_col = ((Var *) var)->varattno;
				d = heap_getattr(tup, MX_DIST_PARTITION_COLOCATIONID, desc, &isnull);
				dist->colocation = isnull ? 0 : DatumGetInt32(d);
			}
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/* relid's entry, looked up in Citus's catalog the first time */
static MxCitusEntry *
MxCitusEntryOf(Oid relid)
{
	MxCitusEntry *e;
	bool		found;
	Oid			logicalrelid;
	MxCitusEntry dist;

	if (mx_citus_tables == NULL)
	{
		mx_citus_tables = MxCreateBackendHash("matrx_relations Citus tables", sizeof(Oid),
											  sizeof(MxCitusEntry), &mx_citus_cxt);
		CacheRegisterRelcacheCallback(MxCitusRelcacheCallback, (Datum) 0);
	}
	e = hash_search(mx_citus_tables, &relid, HASH_FIND, NULL);
	if (e != NULL)
		return e;
	/* looked up before the entry is made: the lookup may process invalidations */
	found = MxCitusLookup("pg_dist_partition", "pg_dist_partition_logical_relid_index",
						  MX_DIST_PARTITION_LOGICALRELID, F_OIDEQ,
						  ObjectIdGetDatum(relid), &logicalrelid, &dist);
	e = hash_search(mx_citus_tables, &relid, HASH_ENTER, NULL);
	e->citus_table = found;
	e->dist_col = dist.dist_col;
	e->colocation = dist.colocation;
	return e;
}

/* Whether relid is a Citus table (in pg_dist_partition): its rows are never cached */
bool
MxCitusTable(Oid relid)
{
	return MxCitusEntryOf(relid)->citus_table;
}

/*
 * The column a hash-distributed Citus table is distributed on, else
 * InvalidAttrNumber (no Citus, a reference or local table, a plain table):
 * a statement that filters that column with "= ANY (keys)" is routed by
 * Citus to the shards holding those keys only.
 */
AttrNumber
MxCitusDistColumn(Oid relid)
{
	return MxCitusEntryOf(relid)->dist_col;
}

/*
 * The co-location group of a hash-distributed Citus table, else 0: Citus
 * joins two distributed tables in one statement only when they are in one
 * group and joined on their distribution columns.
 */
int32
MxCitusColocation(Oid relid)
{
	return MxCitusEntryOf(relid)->colocation;
}

/* Whether relid is one of Citus's shards: <table>_<shardid> beside its Citus table */
bool
MxCitusShard(Oid relid)
{
	char	   *name;
	char	   *digits;
	char	   *end;
	int64		shardid;
	Oid			logicalrelid;

	if (!OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)))
		return false;
	name = get_rel_name(relid);
	if (name == NULL || (digits = strrchr(name, '_')) == NULL || digits[1] == '\0')
		return false;
	errno = 0;
	shardid = strtoi64(digits + 1, &end, 10);
	if (*end != '\0' || errno != 0 || shardid <= 0)
		return false;
	if (!MxCitusLookup("pg_dist_shard", "pg_dist_shard_shardid_index",
					   MX_DIST_SHARD_SHARDID, F_INT8EQ, Int64GetDatum(shardid),
					   &logicalrelid, NULL))
		return false;
	return OidIsValid(logicalrelid) && logicalrelid != relid &&
		get_rel_namespace(logicalrelid) == get_rel_namespace(relid);
}

/*
 * The name Citus's table conversions (alter_distributed_table,
 * undistribute_table, alter_table_set_access_method) give the new table
 * while they build it: the table's name with the hash of the name
 * appended the way Citus appends shard ids (ConvertTable and
 * AppendShardIdToName in Citus 13); palloc'd.
 */
char *
MxCitusConversionName(const char *relname)
{
	int			len = strlen(relname);
	uint32		hash = DatumGetUInt32(hash_any((const unsigned char *) relname, len));
	char		suffix[NAMEDATALEN];
	char		result[NAMEDATALEN];
	int			slen;

	snprintf(suffix, sizeof(suffix), "_" UINT64_FORMAT, (uint64) hash);
	slen = strlen(suffix);
	if (len < NAMEDATALEN - slen)
		snprintf(result, sizeof(result), "%s%s", relname, suffix);
	else
	{
		uint32		longhash = DatumGetUInt32(hash_any((const unsigned char *) relname, len));
		int			clip = pg_mbcliplen(relname, len, NAMEDATALEN - slen - 10);

		snprintf(result, sizeof(result), "%.*s_%.8x%s", clip, relname, longhash, suffix);
	}
	return pstrdup(result);
}

/* Whether Citus's catalog exists in this database (the citus extension) */
bool
MxCitusPresent(void)
{
	return OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE));
}

/*
 * Where the citus extension exists and plan_cache_mode is
 * force_generic_plan (Citus cannot plan our "= ANY($1)" statements
 * generically), sets plan_cache_mode to auto at a new GUC nest level and
 * returns it; otherwise returns -1.  MxCitusPlanModeEnd restores the
 * setting; an error restores it through the (sub)transaction's abort.
 */
int
MxCitusPlanModeBegin(void)
{
	int			nest;

	if (plan_cache_mode != PLAN_CACHE_MODE_FORCE_GENERIC_PLAN || !MxCitusPresent())
		return -1;
	nest = NewGUCNestLevel();
	(void) set_config_option("plan_cache_mode", "auto", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

/* Restores what MxCitusPlanModeBegin changed (nest -1: nothing) */
void
MxCitusPlanModeEnd(int nest)
{
	if (nest >= 0)
		AtEOXact_GUC(true, nest);
}

/* SPI_cursor_open (read-only) of one of our kept plans, in a plan mode Citus can run */
Portal
MxCitusCursorOpen(SPIPlanPtr plan, Datum *values, const char *nulls)
{
	int			nest = MxCitusPlanModeBegin();
	Portal		portal;

	portal = SPI_cursor_open(NULL, plan, values, nulls, true);
	MxCitusPlanModeEnd(nest);
	return portal;
}
