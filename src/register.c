/*-------------------------------------------------------------------------
 *
 * register.c
 *		Registered relations: the ones no FK constraint declares (views,
 *		partitioned tables, logical links).  They are stored in the
 *		extension config table matrx_relations.registered_relations, so they
 *		survive pg_dump/restore.
 *
 *		Nobody but the owner of a source table may add or remove its
 *		relations: a registered name wins over the catalog's, so it must not
 *		be anyone's to plant.  Users have no write privilege on the config
 *		table; register_relation checks ownership, then writes as the
 *		table's owner (the extension's owner), the way ri_triggers.c switches
 *		identity for its checks.
 *
 *		A registration may carry options (model.c validates them): a fixed
 *		filter, a default order, output columns and key casts; and may
 *		belong to a published relation set (publish_relations), whose rows
 *		are replaced together.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "citus.h"
#include "matrx_relations.h"
#include "model.h"
#include "regsync.h"

#define MX_CONFIG_SCHEMA "matrx_relations"
#define MX_CONFIG_TABLE "registered_relations"

/* the config table's columns, by attribute number */
#define Anum_mx_registered_source				1
#define Anum_mx_registered_name					2
#define Anum_mx_registered_target				3
#define Anum_mx_registered_source_columns		4
#define Anum_mx_registered_target_columns		5
#define Anum_mx_registered_via					6
#define Anum_mx_registered_via_source_columns	7
#define Anum_mx_registered_via_target_columns	8
#define Anum_mx_registered_options				9
#define Anum_mx_registered_relation_set			10
#define Natts_mx_registered						10

/* the columns of 0.2.0's config table, which this module still reads (no options, no sets) */
#define Natts_mx_registered_0_2					8

/* the config table's INSERT: one parameter per column */
#define MX_INSERT_NARGS 10

/* the shape this module reads the config table in: name and type per column */
typedef struct MxConfigColumn
{
	AttrNumber	attnum;
	const char *name;
	Oid			type;
} MxConfigColumn;

static const MxConfigColumn mx_config_columns[] = {
	{Anum_mx_registered_source, "source", REGCLASSOID},
	{Anum_mx_registered_name, "name", TEXTOID},
	{Anum_mx_registered_target, "target", REGCLASSOID},
	{Anum_mx_registered_source_columns, "source_columns", NAMEARRAYOID},
	{Anum_mx_registered_target_columns, "target_columns", NAMEARRAYOID},
	{Anum_mx_registered_via, "via", REGCLASSOID},
	{Anum_mx_registered_via_source_columns, "via_source_columns", NAMEARRAYOID},
	{Anum_mx_registered_via_target_columns, "via_target_columns", NAMEARRAYOID},
	{Anum_mx_registered_options, "options", JSONBOID},
	{Anum_mx_registered_relation_set, "relation_set", TEXTOID},
};

static Oid	MxConfigTable(void);
static int	MxCheckConfigShape(Relation rel);
static Oid MxConfigOid(HeapTuple tup, TupleDesc desc, AttrNumber attnum);
static List *MxConfigNames(HeapTuple tup, TupleDesc desc, AttrNumber attnum);
static MxRegistration *MxReadConfigRow(HeapTuple tup, TupleDesc desc);
static char *MxConfigText(HeapTuple tup, TupleDesc desc, AttrNumber attnum);
static List *MxNameArray(Datum array);
static List *MxTextArrayArg(ArrayType *arr, const char *what);
static bool MxResolveColumns(Oid relid, List *names, AttrNumber *cols, bool raise);
static bool MxFillHop(MxHop *hop, Oid outer_rel, Oid inner_rel, int n,
					  AttrNumber *outer_cols, AttrNumber *inner_cols, bool key_inner,
					  const Oid *casts, bool raise, MxTable *deps);
static int	MxRunAsOwner(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls);
static Datum MxTextArrayDatum(List *names);
static int	MxConfigColumns(bool needs_options);
static void MxKeepConvertedTables(void);

/* The config table's OID, or InvalidOid when the extension is not installed */
static Oid
MxConfigTable(void)
{
	Oid			nsp = get_namespace_oid(MX_CONFIG_SCHEMA, true);

	if (!OidIsValid(nsp))
		return InvalidOid;
	return get_relname_relid(MX_CONFIG_TABLE, nsp);
}

/*
 * Raises 55000 unless the config table has the columns this module reads,
 * by number, name and type (an upgrade script that changed it without this
 * module, or this module loaded for another version of the extension).
 * 0.2.0's table, without options and relation_set, is read as it is (a
 * database not yet updated keeps loading); returns how many of the
 * columns it has.
 */
static int
MxCheckConfigShape(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			ncols = lengthof(mx_config_columns);
	int			i;

	if (desc->natts == Natts_mx_registered_0_2)
		ncols = Natts_mx_registered_0_2;
	for (i = 0; i < ncols; i++)
	{
		const MxConfigColumn *c = &mx_config_columns[i];
		Form_pg_attribute a = c->attnum <= desc->natts ? TupleDescAttr(desc, c->attnum - 1) : NULL;

		if (a == NULL || a->attisdropped || a->atttypid != c->type ||
			strcmp(NameStr(a->attname), c->name) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("table %s.%s does not have the columns this module expects",
							MX_CONFIG_SCHEMA, MX_CONFIG_TABLE),
					 errdetail("Column %d should be \"%s\" of type %s.",
							   c->attnum, c->name, format_type_be(c->type)),
					 errhint("Update the extension with ALTER EXTENSION matrx_relations UPDATE, or install the module of the extension's version.")));
	}
	for (i = ncols; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("table %s.%s does not have the columns this module expects",
							MX_CONFIG_SCHEMA, MX_CONFIG_TABLE),
					 errdetail("It has %d columns; this module reads %d.",
							   desc->natts, Natts_mx_registered),
					 errhint("Update the extension with ALTER EXTENSION matrx_relations UPDATE, or install the module of the extension's version.")));
	return ncols;
}

/* A regclass column of a config row, InvalidOid when null */
static Oid
MxConfigOid(HeapTuple tup, TupleDesc desc, AttrNumber attnum)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, attnum, desc, &isnull);

	return isnull ? InvalidOid : DatumGetObjectId(d);
}

/* A name[] column of a config row, NIL when null */
static List *
MxConfigNames(HeapTuple tup, TupleDesc desc, AttrNumber attnum)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, attnum, desc, &isnull);

	return isnull ? NIL : MxNameArray(d);
}

/* A text column of a config row, NULL when null */
static char *
MxConfigText(HeapTuple tup, TupleDesc desc, AttrNumber attnum)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, attnum, desc, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* One row of the config table, its columns read by attribute number */
static MxRegistration *
MxReadConfigRow(HeapTuple tup, TupleDesc desc)
{
	MxRegistration *row = palloc0(sizeof(MxRegistration));
	bool		isnull;
	Datum		d;

	row->source = MxConfigOid(tup, desc, Anum_mx_registered_source);
	row->name = MxConfigText(tup, desc, Anum_mx_registered_name);
	if (row->name == NULL)
		row->name = pstrdup("");
	if (desc->natts >= Anum_mx_registered_relation_set)
	{
		d = heap_getattr(tup, Anum_mx_registered_options, desc, &isnull);
		row->options = isnull ? NULL : DatumGetJsonbPCopy(d);
		row->relation_set = MxConfigText(tup, desc, Anum_mx_registered_relation_set);
	}
	row->target = MxConfigOid(tup, desc, Anum_mx_registered_target);
	row->source_columns = MxConfigNames(tup, desc, Anum_mx_registered_source_columns);
	row->target_columns = MxConfigNames(tup, desc, Anum_mx_registered_target_columns);
	row->via = MxConfigOid(tup, desc, Anum_mx_registered_via);
	row->via_source_columns = MxConfigNames(tup, desc, Anum_mx_registered_via_source_columns);
	row->via_target_columns = MxConfigNames(tup, desc, Anum_mx_registered_via_target_columns);
	return row;
}

/* Every row of the config table (a small table), read out of the scan */
List *
MxRegisteredRows(void)
{
	Oid			cfg = MxConfigTable();
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *rows = NIL;

	if (!OidIsValid(cfg))
		return NIL;
	rel = table_open(cfg, AccessShareLock);
	(void) MxCheckConfigShape(rel);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		CHECK_FOR_INTERRUPTS();
		rows = lappend(rows, MxReadConfigRow(tup, RelationGetDescr(rel)));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return rows;
}

/* A name[] datum as a list of C strings */
static List *
MxNameArray(Datum array)
{
	ArrayType  *arr = DatumGetArrayTypeP(array);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *result = NIL;

	deconstruct_array(arr, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR,
					  &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		result = lappend(result, nulls[i] ? NULL : pstrdup(NameStr(*DatumGetName(elems[i]))));
	return result;
}

/*
 * The registered relations of t, resolved against the catalog as it is
 * now.  Rows whose tables or columns no longer match are left out; the
 * operator family members their equalities were looked up as are noted
 * in t either way.
 */
List *
MxLoadRegistered(MxTable *t)
{
	Oid			source = t->relid;
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, MxWithReverses(MxRegisteredRows()))
	{
		MxRegistration *row = (MxRegistration *) lfirst(lc);
		MxRelation *r;
		Oid			target;
		Oid			via;
		MxKeyCasts	casts;
		int			ncasts[2];
		bool		ok = true;

		if (row->source != source)
			continue;
		target = row->target;
		via = row->via;
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(target)) ||
			(OidIsValid(via) && !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(via))))
			continue;
		ncasts[0] = list_length(row->source_columns);
		ncasts[1] = OidIsValid(via) ? list_length(row->target_columns) : 0;
		memset(&casts, 0, sizeof(casts));
		if (row->options != NULL)
			(void) MxNormalizeOptions(row->options, row->name, ncasts, &casts, false, &ok);
		if (!ok)
			continue;			/* a cast type that is gone */
		r = palloc0(sizeof(MxRelation));
		r->name = row->name;
		if (MxBuildRegistered(r, source, target, via,
							  row->source_columns, row->target_columns,
							  row->via_source_columns, row->via_target_columns, &casts,
							  false, t) &&
			MxSetPolymorphic(r, row->options, t))
		{
			Jsonb	   *defaults = row->options ? MxOptionDefaults(row->options) : NULL;

			/* catalog.c copies the struct into t's context: these go there now */
			if (defaults != NULL)
			{
				r->defaults = MemoryContextAlloc(t->cxt, VARSIZE(defaults));
				memcpy(r->defaults, defaults, VARSIZE(defaults));
			}
			if (row->options != NULL)
			{
				r->options = MemoryContextAlloc(t->cxt, VARSIZE(row->options));
				memcpy(r->options, row->options, VARSIZE(row->options));
			}
			if (row->relation_set != NULL)
				r->relation_set = MemoryContextStrdup(t->cxt, row->relation_set);
			result = lappend(result, r);
		}
	}
	return result;
}

/* Every source table with registered relations (existing ones only) */
List *
MxRegisteredSources(void)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, MxWithReverses(MxRegisteredRows()))
	{
		MxRegistration *row = (MxRegistration *) lfirst(lc);

		if (OidIsValid(row->source) &&
			SearchSysCacheExists1(RELOID, ObjectIdGetDatum(row->source)))
			result = list_append_unique_oid(result, row->source);
	}
	return result;
}

/* Resolves column names of relid to attribute numbers (42703 when raising) */
static bool
MxResolveColumns(Oid relid, List *names, AttrNumber *cols, bool raise)
{
	ListCell   *lc;
	int			i = 0;

	foreach(lc, names)
	{
		const char *name = (const char *) lfirst(lc);
		AttrNumber	att = name ? get_attnum(relid, name) : InvalidAttrNumber;

		if (att <= 0)
		{
			if (!raise)
				return false;
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							name ? name : "", get_rel_name(relid))));
		}
		cols[i++] = att;
	}
	return true;
}

/*
 * Fills a hop between two tables' columns, finding each pair's equality;
 * key_inner: the inner side is the key (as a referenced column is), whose
 * collation comparisons use.
 */
static bool
MxFillHop(MxHop *hop, Oid outer_rel, Oid inner_rel, int n,
		  AttrNumber *outer_cols, AttrNumber *inner_cols, bool key_inner,
		  const Oid *casts, bool raise, MxTable *deps)
{
	int			i;

	hop->outer_rel = outer_rel;
	hop->inner_rel = inner_rel;
	hop->nkeys = n;
	for (i = 0; i < n; i++)
	{
		int32		typmod;

		hop->outer_cols[i] = outer_cols[i];
		hop->inner_cols[i] = inner_cols[i];
		get_atttypetypmodcoll(outer_rel, outer_cols[i], &hop->outer_types[i],
							  &typmod, &hop->outer_collations[i]);
		get_atttypetypmodcoll(inner_rel, inner_cols[i], &hop->inner_types[i],
							  &typmod, &hop->inner_collations[i]);
		hop->collations[i] = key_inner ? hop->inner_collations[i] : hop->outer_collations[i];
		if (casts != NULL && OidIsValid(casts[i]))
		{
			if (!MxCastKey(hop, i, casts[i], raise, deps))
				return false;
			continue;
		}
		/* found or not: ALTER OPERATOR FAMILY can change the answer */
		if (deps != NULL)
			MxNoteEqualityLookup(deps, hop->inner_types[i], hop->outer_types[i]);
		if (!MxFindEqualityOp(hop->inner_types[i], hop->outer_types[i], &hop->eqops[i]))
		{
			if (!raise)
				return false;
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("columns \"%s\" and \"%s\" cannot be matched",
							get_attname(outer_rel, outer_cols[i], false),
							get_attname(inner_rel, inner_cols[i], false)),
					 errdetail("There is no equality operator for types %s and %s.",
							   format_type_be(hop->outer_types[i]),
							   format_type_be(hop->inner_types[i]))));
		}
	}
	return true;
}

/*
 * Builds a registered relation from column names.  Kind: m2m when via is
 * given; else fk when target_cols cover a primary key or unique constraint
 * of the target (at most one target row per source row); else ifk.  deps:
 * the table whose metadata is being read, noted with the lookups (NULL
 * when registering).  casts: per hop and key column, a type both columns
 * are compared as, or InvalidOid (NULL: none).
 */
bool
MxBuildRegistered(MxRelation *rel, Oid source, Oid target, Oid via,
				  List *source_cols, List *target_cols,
				  List *via_source_cols, List *via_target_cols,
				  const MxKeyCasts *casts, bool raise, MxTable *deps)
{
	AttrNumber	scols[MX_MAX_KEYS];
	AttrNumber	tcols[MX_MAX_KEYS];
	AttrNumber	vscols[MX_MAX_KEYS];
	AttrNumber	vtcols[MX_MAX_KEYS];
	int			ns = list_length(source_cols);
	int			nt = list_length(target_cols);

	if (ns == 0 || ns > MX_MAX_KEYS || nt == 0 || nt > MX_MAX_KEYS ||
		(!OidIsValid(via) && ns != nt) ||
		(OidIsValid(via) && (list_length(via_source_cols) != ns ||
							 list_length(via_target_cols) != nt)))
	{
		if (!raise)
			return false;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column lists of registered relation \"%s\" do not match", rel->name),
				 errdetail("Without via, source_columns and target_columns must have the same length; with via, via_source_columns must match source_columns and via_target_columns target_columns, each with 1 to %d columns.",
						   MX_MAX_KEYS)));
	}
	if (!MxResolveColumns(source, source_cols, scols, raise) ||
		!MxResolveColumns(target, target_cols, tcols, raise))
		return false;

	rel->registered = true;
	rel->source = source;
	rel->target = target;
	rel->via = via;
	rel->conoid = InvalidOid;
	rel->conname = NULL;
	if (OidIsValid(via))
	{
		AttrNumber	both[2 * MX_MAX_KEYS];

		if (!MxResolveColumns(via, via_source_cols, vscols, raise) ||
			!MxResolveColumns(via, via_target_cols, vtcols, raise))
			return false;
		rel->kind = MX_KIND_M2M;
		rel->nhops = 2;
		if (!MxFillHop(&rel->hops[0], source, via, ns, scols, vscols, false,
					   casts ? casts->types[0] : NULL, raise, deps) ||
			!MxFillHop(&rel->hops[1], via, target, nt, vtcols, tcols, true,
					   casts ? casts->types[1] : NULL, raise, deps))
			return false;
		memcpy(both, vscols, sizeof(AttrNumber) * ns);
		memcpy(both + ns, vtcols, sizeof(AttrNumber) * nt);
		rel->via_unique = MxColumnsCoverUnique(via, ns + nt, both, false);
		rel->target_unique = MxColumnsCoverUnique(target, nt, tcols, false);
	}
	else
	{
		rel->kind = MxColumnsCoverUnique(target, nt, tcols, false) ? MX_KIND_FK : MX_KIND_IFK;
		rel->target_unique = (rel->kind == MX_KIND_FK);
		rel->nhops = 1;
		if (!MxFillHop(&rel->hops[0], source, target, ns, scols, tcols,
					   rel->kind == MX_KIND_FK, casts ? casts->types[0] : NULL, raise, deps))
			return false;
	}
	return true;
}

/* Raises 42501 unless the current user owns source (or is superuser) */
void
MxCheckOwner(Oid source)
{
	if (!MxOwnerCheck(source, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of table %s to change its relations",
						get_rel_name(source)),
				 errdetail("A registered relation shadows the catalog's relations of the same name, so only the table's owner may register or unregister them.")));
}

/* Runs one statement on the config table as its owner; returns rows affected */
static int
MxRunAsOwner(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	Oid			cfg = MxConfigTable();
	HeapTuple	tup;
	Oid			owner;
	Oid			save_userid;
	int			save_sec;
	int			rc;
	uint64		processed;

	if (!OidIsValid(cfg))
		elog(ERROR, "matrx_relations config table is missing");
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(cfg));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", cfg);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);

	/* an error resets the identity with the (sub)transaction abort */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_NOFORCE_RLS);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	processed = SPI_processed;
	SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec);
	return (int) processed;
}

/* A text[] argument as a list of C strings (22023 when NULL, empty or NULL-laden) */
static List *
MxTextArrayArg(ArrayType *arr, const char *what)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *result = NIL;

	if (arr == NULL || ARR_NDIM(arr) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a non-empty one-dimensional array of column names", what)));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not contain NULL", what)));
		result = lappend(result, TextDatumGetCString(elems[i]));
	}
	return result;
}

/* A list of C strings as a text[] datum */
static Datum
MxTextArrayDatum(List *names)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(names), 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, names)
		elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Writes a validated registration into the config table */
void
MxInsertRegistration(MxRegistration *reg)
{
	Oid			types[MX_INSERT_NARGS] = {REGCLASSOID, TEXTOID, REGCLASSOID, TEXTARRAYOID,
		TEXTARRAYOID, REGCLASSOID, TEXTARRAYOID, TEXTARRAYOID, JSONBOID, TEXTOID};
	Datum		values[MX_INSERT_NARGS];
	char		nulls[MX_INSERT_NARGS];
	bool		via = OidIsValid(reg->via);

	int			ncols = MxConfigColumns(reg->options != NULL || reg->relation_set != NULL);

	memset(nulls, ' ', sizeof(nulls));
	values[0] = ObjectIdGetDatum(reg->source);
	values[1] = CStringGetTextDatum(reg->name);
	values[2] = ObjectIdGetDatum(reg->target);
	values[3] = MxTextArrayDatum(reg->source_columns);
	values[4] = MxTextArrayDatum(reg->target_columns);
	values[5] = ObjectIdGetDatum(reg->via);
	values[6] = via ? MxTextArrayDatum(reg->via_source_columns) : (Datum) 0;
	values[7] = via ? MxTextArrayDatum(reg->via_target_columns) : (Datum) 0;
	values[8] = reg->options ? JsonbPGetDatum(reg->options) : (Datum) 0;
	values[9] = reg->relation_set ? CStringGetTextDatum(reg->relation_set) : (Datum) 0;
	if (!via)
		nulls[5] = nulls[6] = nulls[7] = 'n';
	if (reg->options == NULL)
		nulls[8] = 'n';
	if (reg->relation_set == NULL)
		nulls[9] = 'n';
	/* 0.2.0's table: its eight columns (no options, no set: checked above) */
	MxRunAsOwner(ncols < Natts_mx_registered ?
				 "INSERT INTO " MX_CONFIG_SCHEMA "." MX_CONFIG_TABLE
				 " (source, name, target, source_columns, target_columns, via,"
				 " via_source_columns, via_target_columns)"
				 " VALUES ($1, $2, $3, $4::pg_catalog.name[], $5::pg_catalog.name[], $6,"
				 " $7::pg_catalog.name[], $8::pg_catalog.name[])" :
				 "INSERT INTO " MX_CONFIG_SCHEMA "." MX_CONFIG_TABLE
				 " (source, name, target, source_columns, target_columns, via,"
				 " via_source_columns, via_target_columns, options, relation_set)"
				 " VALUES ($1, $2, $3, $4::pg_catalog.name[], $5::pg_catalog.name[], $6,"
				 " $7::pg_catalog.name[], $8::pg_catalog.name[], $9, $10)",
				 ncols < Natts_mx_registered ? Natts_mx_registered_0_2 : MX_INSERT_NARGS,
				 types, values, nulls);
}

/*
 * The number of columns the config table has of those this module writes:
 * fewer when it is 0.2.0's (the extension not yet updated), which has no
 * room for options or relation sets (55000 when needs_options)
 */
static int
MxConfigColumns(bool needs_options)
{
	Relation	rel = table_open(MxConfigTable(), AccessShareLock);
	int			ncols = MxCheckConfigShape(rel);

	table_close(rel, AccessShareLock);
	if (ncols < Natts_mx_registered && needs_options)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table %s.%s has no columns for options and relation sets",
						MX_CONFIG_SCHEMA, MX_CONFIG_TABLE),
				 errhint("Update the extension with ALTER EXTENSION matrx_relations UPDATE.")));
	return ncols;
}

/* Serializes changes of relation sets: the config table locked against other writers */
void
MxLockRegistrations(void)
{
	Oid			cfg = MxConfigTable();

	if (OidIsValid(cfg))
		LockRelationOid(cfg, ShareRowExclusiveLock);
}

/* Deletes the rows of a published set; returns how many */
int
MxDeleteRelationSet(const char *relation_set)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	values[0] = CStringGetTextDatum(relation_set);
	return MxRunAsOwner("DELETE FROM " MX_CONFIG_SCHEMA "." MX_CONFIG_TABLE
						" WHERE relation_set OPERATOR(pg_catalog.=) $1",
						1, types, values, NULL);
}

/*
 * register_relation(source, name, target, source_columns, target_columns,
 * via, via_source_columns, via_target_columns, options)
 */
PG_FUNCTION_INFO_V1(register_relation);
Datum
register_relation(PG_FUNCTION_ARGS)
{
	MxRegistration reg;
	MxRegistration *old;
	MxRegistration sent;
	const char *clash;
	Oid			clash_source;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be null")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation name must not be null")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target must not be null")));
	memset(&reg, 0, sizeof(reg));
	reg.source = PG_GETARG_OID(0);
	reg.name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	reg.target = PG_GETARG_OID(2);
	reg.via = PG_ARGISNULL(5) ? InvalidOid : PG_GETARG_OID(5);
	reg.options = PG_NARGS() > 8 && !PG_ARGISNULL(8) ? PG_GETARG_JSONB_P(8) : NULL;
	if (reg.name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relation name must not be empty")));

	MxEnterCall();
	MxCatalogBeginCall();
	(void) MxOpenTable(reg.source, "source");
	(void) MxOpenTable(reg.target, "target");
	if (OidIsValid(reg.via))
		(void) MxOpenTable(reg.via, "junction");
	MxCheckOwner(reg.source);

	reg.source_columns = MxTextArrayArg(PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3),
										"source_columns");
	reg.target_columns = MxTextArrayArg(PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4),
										"target_columns");
	if (OidIsValid(reg.via))
	{
		reg.via_source_columns = MxTextArrayArg(PG_ARGISNULL(6) ? NULL : PG_GETARG_ARRAYTYPE_P(6),
												"via_source_columns");
		reg.via_target_columns = MxTextArrayArg(PG_ARGISNULL(7) ? NULL : PG_GETARG_ARRAYTYPE_P(7),
												"via_target_columns");
	}
	else if (!PG_ARGISNULL(6) || !PG_ARGISNULL(7))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("via_source_columns and via_target_columns need via")));

	sent = reg;
	MxValidateRegistration(&reg);

	old = MxRegisteredClash(&reg, &clash, &clash_source);
	if (old != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("relation \"%s\" is already registered for %s", clash,
						format_type_be_qualified(get_rel_type_id(clash_source))),
				 old->relation_set != NULL ?
				 errdetail("It belongs to the published relation set \"%s\".", old->relation_set) : 0,
				 old->relation_set != NULL ?
				 errhint("Publish the set \"%s\" without it first.", old->relation_set) :
				 errhint("Unregister it first with matrx_relations.unregister_relation.")));

	MxInsertRegistration(&reg);
	MxInvalidateRegistration(&reg);
	/* the same call on every Citus worker, with the options as given */
	if (MxCitusRegistrationShared(&reg))
		(void) MxCitusForward(MxRegistrationCommand(&sent));
	MxLeaveCall();
	PG_RETURN_VOID();
}

/* unregister_relation(source, name): true when a registered relation was removed */
PG_FUNCTION_INFO_V1(unregister_relation);
Datum
unregister_relation(PG_FUNCTION_ARGS)
{
	Oid			source = PG_GETARG_OID(0);
	Oid			types[2] = {REGCLASSOID, TEXTOID};
	Datum		values[2];
	int			n;

	MxEnterCall();
	MxCatalogBeginCall();
	(void) MxOpenTable(source, "source");
	MxCheckOwner(source);
	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	n = MxRunAsOwner("DELETE FROM " MX_CONFIG_SCHEMA "." MX_CONFIG_TABLE
					 " WHERE source OPERATOR(pg_catalog.=) $1"
					 " AND name OPERATOR(pg_catalog.=) $2",
					 2, types, values, NULL);
	if (n > 0)
		CacheInvalidateRelcacheByRelid(source);
	if (MxCitusTable(source))
		(void) MxCitusForward(MxUnregistrationCommand(source, TextDatumGetCString(values[1])));
	MxLeaveCall();
	PG_RETURN_BOOL(n > 0);
}

/*
 * forget_dropped_relations(): sql_drop event trigger.  Removes registered
 * relations whose source, target or junction was dropped, so that no row
 * outlives its table (a dangling OID would otherwise be dumped as a number
 * and could attach to an unrelated table that later gets that OID).
 */
PG_FUNCTION_INFO_V1(forget_dropped_relations);
Datum
forget_dropped_relations(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("forget_dropped_relations() must be called as an event trigger")));
	if (OidIsValid(MxConfigTable()) && MxCitusPresent())
		MxKeepConvertedTables();
	if (OidIsValid(MxConfigTable()))
		(void) MxRunAsOwner("DELETE FROM " MX_CONFIG_SCHEMA "." MX_CONFIG_TABLE " r"
							" WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c"
							"   WHERE c.oid OPERATOR(pg_catalog.=) r.source::pg_catalog.oid)"
							" OR NOT EXISTS (SELECT FROM pg_catalog.pg_class c"
							"   WHERE c.oid OPERATOR(pg_catalog.=) r.target::pg_catalog.oid)"
							" OR (r.via IS NOT NULL AND NOT EXISTS (SELECT FROM pg_catalog.pg_class c"
							"   WHERE c.oid OPERATOR(pg_catalog.=) r.via::pg_catalog.oid))",
							0, NULL, NULL, NULL);
	PG_RETURN_NULL();
}

/*
 * In the sql_drop trigger, on a Citus database: the registrations of
 * tables a Citus table conversion dropped (MxConvertedTables) re-pointed
 * to the tables that replace them (a conversion that fails rolls this back
 * with the rest).
 */
static void
MxKeepConvertedTables(void)
{
	Oid			types[2] = {REGCLASSOID, REGCLASSOID};
	Oid		   *pairs;
	int			npairs = MxConvertedTables(&pairs);
	int			i;

	for (i = 0; i < npairs; i++)
	{
		Datum		values[2];

		CHECK_FOR_INTERRUPTS();
		values[0] = ObjectIdGetDatum(pairs[2 * i]);
		values[1] = ObjectIdGetDatum(pairs[2 * i + 1]);
		if (MxRunAsOwner("UPDATE " MX_CONFIG_SCHEMA "." MX_CONFIG_TABLE " SET"
						 " source = CASE WHEN source OPERATOR(pg_catalog.=) $1 THEN $2 ELSE source END,"
						 " target = CASE WHEN target OPERATOR(pg_catalog.=) $1 THEN $2 ELSE target END,"
						 " via = CASE WHEN via OPERATOR(pg_catalog.=) $1 THEN $2 ELSE via END"
						 " WHERE source OPERATOR(pg_catalog.=) $1 OR target OPERATOR(pg_catalog.=) $1"
						 " OR via OPERATOR(pg_catalog.=) $1",
						 2, types, values, NULL) > 0)
			CacheInvalidateRelcacheByRelid(pairs[2 * i + 1]);
	}
}
