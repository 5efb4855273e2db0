/*-------------------------------------------------------------------------
 *
 * regsync.c
 *		Registered relations on every Citus node.  The config table is a
 *		plain table on each node, so on a Citus coordinator
 *		register_relation, unregister_relation, publish_relations and
 *		unpublish_relations send the same call to every worker with
 *		metadata, through Citus's own transactional connections
 *		(SendCommandToWorkersWithMetadata: as the current user, committed or
 *		rolled back with the coordinator's transaction by two-phase commit).
 *		A loader that Citus runs on a worker then finds the same relations.
 *
 *		Only relations between Citus tables are sent: a worker has no copy
 *		of the coordinator's plain tables (nor could it read them).  A worker
 *		added later gets them from sync_relations(), which sends every set
 *		and every relation registered on its own again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "catalog.h"
#include "citus.h"
#include "matrx_relations.h"
#include "model.h"
#include "regsync.h"

/* Citus's SendCommandToWorkersWithMetadata(const char *command) */
typedef void (*MxCitusSendFn) (const char *command);

static bool MxCitusCoordinator(void);
static void MxAppendRel(StringInfo buf, Oid relid);
static void MxAppendNames(StringInfo buf, List *names);
static Datum MxQualifiedName(Oid relid, char *null);

/* Whether this node is a Citus coordinator (local group 0) */
static bool
MxCitusCoordinator(void)
{
	bool		result = false;
	bool		isnull;

	if (!MxCitusPresent())
		return false;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT groupid FROM pg_catalog.pg_dist_local_group", true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
		result = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
											 1, &isnull)) == 0 && !isnull;
	SPI_finish();
	return result;
}

/*
 * Sends a command to every worker with metadata in the current
 * transaction, when this node is a Citus coordinator; false when not
 * (or when this Citus has no SendCommandToWorkersWithMetadata).
 */
bool
MxCitusForward(const char *command)
{
	MxCitusSendFn send;

	if (!MxCitusCoordinator())
		return false;
	send = (MxCitusSendFn) load_external_function("$libdir/citus",
												  "SendCommandToWorkersWithMetadata",
												  false, NULL);
	if (send == NULL)
	{
		ereport(WARNING,
				(errmsg("registered relations are not sent to the Citus workers"),
				 errdetail("This Citus has no SendCommandToWorkersWithMetadata.")));
		return false;
	}
	send(command);
	return true;
}

/* Whether every table of reg exists on the workers too (all are Citus tables) */
bool
MxCitusRegistrationShared(const MxRegistration *reg)
{
	return MxCitusTable(reg->source) && MxCitusTable(reg->target) &&
		(!OidIsValid(reg->via) || MxCitusTable(reg->via));
}

/* Appends a table as a quoted literal cast to regclass */
static void
MxAppendRel(StringInfo buf, Oid relid)
{
	if (!OidIsValid(relid))
	{
		appendStringInfoString(buf, "NULL");
		return;
	}
	appendStringInfo(buf, "%s::pg_catalog.regclass",
					 quote_literal_cstr(quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
																   get_rel_name(relid))));
}

/* Appends a list of names as a text[] constructor (NULL when empty) */
static void
MxAppendNames(StringInfo buf, List *names)
{
	ListCell   *lc;

	if (names == NIL)
	{
		appendStringInfoString(buf, "NULL");
		return;
	}
	appendStringInfoString(buf, "ARRAY[");
	foreach(lc, names)
		appendStringInfo(buf, "%s%s", foreach_current_index(lc) > 0 ? ", " : "",
						 quote_literal_cstr((char *) lfirst(lc)));
	appendStringInfoString(buf, "]::pg_catalog.text[]");
}

/*
 * The call that makes a worker hold reg as this node does: any row of the
 * same source and name removed first, then registered
 */
char *
MxRegistrationCommand(const MxRegistration *reg)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "SELECT matrx_relations.register_relation(");
	MxAppendRel(&buf, reg->source);
	appendStringInfo(&buf, ", %s, ", quote_literal_cstr(reg->name));
	MxAppendRel(&buf, reg->target);
	appendStringInfoString(&buf, ", ");
	MxAppendNames(&buf, reg->source_columns);
	appendStringInfoString(&buf, ", ");
	MxAppendNames(&buf, reg->target_columns);
	appendStringInfoString(&buf, ", ");
	MxAppendRel(&buf, reg->via);
	appendStringInfoString(&buf, ", ");
	MxAppendNames(&buf, reg->via_source_columns);
	appendStringInfoString(&buf, ", ");
	MxAppendNames(&buf, reg->via_target_columns);
	if (reg->options != NULL)
		appendStringInfo(&buf, ", %s::pg_catalog.jsonb",
						 quote_literal_cstr(JsonbToCString(NULL, &reg->options->root,
														   VARSIZE(reg->options))));
	else
		appendStringInfoString(&buf, ", NULL");
	/* one statement (Citus sends no lists): the removal in a subquery run first */
	appendStringInfoString(&buf, ") FROM (SELECT matrx_relations.unregister_relation(");
	MxAppendRel(&buf, reg->source);
	appendStringInfo(&buf, ", %s) OFFSET 0) AS removed", quote_literal_cstr(reg->name));
	return buf.data;
}

/* The call that removes source's relation name on a worker */
char *
MxUnregistrationCommand(Oid source, const char *name)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "SELECT matrx_relations.unregister_relation(");
	MxAppendRel(&buf, source);
	appendStringInfo(&buf, ", %s)", quote_literal_cstr(name));
	return buf.data;
}

/* A table's schema-qualified name as text (NULL datum flagged when none) */
static Datum
MxQualifiedName(Oid relid, char *null)
{
	*null = OidIsValid(relid) ? ' ' : 'n';
	if (!OidIsValid(relid))
		return (Datum) 0;
	return CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
														  get_rel_name(relid)));
}

/*
 * The publish_relations call that gives a worker the set regs (read from
 * doc, in its order): doc's relations with their tables schema-qualified,
 * so that a worker's search_path does not matter; NULL when a table of
 * the set is not a Citus table (the workers do not have it).
 */
char *
MxPublishCommand(const char *relation_set, Jsonb *doc, List *regs)
{
	int			n = list_length(regs);
	Datum	   *names[3];
	bool	   *nulls[3];
	Oid			types[4] = {JSONBOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[4];
	char	   *canonical = NULL;
	ListCell   *lc;
	int			k;

	for (k = 0; k < 3; k++)
	{
		names[k] = palloc0(sizeof(Datum) * Max(n, 1));
		nulls[k] = palloc0(sizeof(bool) * Max(n, 1));
	}
	foreach(lc, regs)
	{
		MxRegistration *reg = (MxRegistration *) lfirst(lc);
		int			i = foreach_current_index(lc);
		Oid			rels[3] = {reg->source, reg->target, reg->via};
		char		null;

		if (!MxCitusRegistrationShared(reg))
			return NULL;
		for (k = 0; k < 3; k++)
		{
			names[k][i] = MxQualifiedName(rels[k], &null);
			nulls[k][i] = (null == 'n');
		}
	}
	values[0] = JsonbPGetDatum(doc);
	for (k = 0; k < 3; k++)
	{
		int			dims[1] = {n};
		int			lbs[1] = {1};

		values[k + 1] = PointerGetDatum(construct_md_array(names[k], nulls[k], 1, dims, lbs,
														   TEXTOID, -1, false, TYPALIGN_INT));
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT pg_catalog.format('SELECT matrx_relations.publish_relations(%L, %L::pg_catalog.jsonb)', $5,"
							  " COALESCE(pg_catalog.jsonb_agg(e.v OPERATOR(pg_catalog.||)"
							  "  pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('source', s.src, 'target', s.tgt, 'via', s.via))"
							  "  ORDER BY e.i), '[]'::pg_catalog.jsonb))"
							  " FROM pg_catalog.jsonb_array_elements(CASE pg_catalog.jsonb_typeof($1) WHEN 'object'"
							  "   THEN $1 OPERATOR(pg_catalog.->) 'relations' ELSE $1 END) WITH ORDINALITY e(v, i)"
							  " JOIN ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) WITH ORDINALITY s(src, tgt, via, i) ON s.i OPERATOR(pg_catalog.=) e.i",
							  5, (Oid[]) {types[0], types[1], types[2], types[3], TEXTOID},
							  (Datum[]) {values[0], values[1], values[2], values[3], CStringGetTextDatum(relation_set)},
							  NULL, true, 1) == SPI_OK_SELECT && SPI_processed == 1)
	{
		char	   *s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (s != NULL)
		{
			canonical = SPI_palloc(strlen(s) + 1);
			strcpy(canonical, s);
		}
	}
	SPI_finish();
	return canonical;
}

/* The unpublish_relations call of a set, for the workers */
char *
MxUnpublishCommand(const char *relation_set)
{
	return psprintf("SELECT matrx_relations.unpublish_relations(%s)", quote_literal_cstr(relation_set));
}

/*
 * In the sql_drop trigger, on a Citus database: the tables dropped by a
 * Citus table conversion (alter_distributed_table, undistribute_table ...),
 * which builds the new table under a temporary name (MxCitusConversionName),
 * drops the old one and renames the new one to the old name, keeping the
 * new table's OID.  Sets *pairs to (dropped, new) OID pairs and returns
 * their number.  A plain DROP TABLE has no such table beside it.
 */
int
MxConvertedTables(Oid **pairs)
{
	int			npairs = 0;
	uint64		i;

	*pairs = NULL;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT objid, schema_name, object_name"
					" FROM pg_catalog.pg_event_trigger_dropped_objects()"
					" WHERE classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
					" AND objsubid OPERATOR(pg_catalog.=) 0"
					" AND object_type OPERATOR(pg_catalog.=) ANY ('{table,\"foreign table\"}')",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading the dropped objects failed");
	if (SPI_processed > 0)
		*pairs = SPI_palloc(sizeof(Oid) * 2 * SPI_processed);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *nspname = SPI_getvalue(tup, desc, 2);
		char	   *relname = SPI_getvalue(tup, desc, 3);
		bool		isnull;
		Oid			old = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		Oid			nsp;
		Oid			renamed;

		CHECK_FOR_INTERRUPTS();
		if (nspname == NULL || relname == NULL)
			continue;
		nsp = get_namespace_oid(nspname, true);
		renamed = OidIsValid(nsp) ? get_relname_relid(MxCitusConversionName(relname), nsp) : InvalidOid;
		if (!OidIsValid(renamed) || renamed == old)
			continue;
		(*pairs)[2 * npairs] = old;
		(*pairs)[2 * npairs + 1] = renamed;
		npairs++;
	}
	SPI_finish();
	return npairs;
}

/* Appends a key and a list of names as a JSON array (nothing when the list is empty) */
static void
MxAppendJsonNames(StringInfo buf, const char *key, List *names)
{
	ListCell   *lc;

	if (names == NIL)
		return;
	appendStringInfoString(buf, ", ");
	escape_json(buf, key);
	appendStringInfoString(buf, ": [");
	foreach(lc, names)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(buf, ", ");
		escape_json(buf, (char *) lfirst(lc));
	}
	appendStringInfoChar(buf, ']');
}

/*
 * A publish_relations document of regs (in their order): each relation's
 * name, columns and options (MxPublishCommand adds its tables)
 */
static Jsonb *
MxSetDocument(List *regs)
{
	StringInfoData doc;
	ListCell   *lc;

	initStringInfo(&doc);
	appendStringInfoChar(&doc, '[');
	foreach(lc, regs)
	{
		MxRegistration *reg = (MxRegistration *) lfirst(lc);
		StringInfoData one;
		Datum		rel;

		CHECK_FOR_INTERRUPTS();
		initStringInfo(&one);
		appendStringInfoString(&one, "{\"name\": ");
		escape_json(&one, reg->name);
		MxAppendJsonNames(&one, "source_columns", reg->source_columns);
		MxAppendJsonNames(&one, "target_columns", reg->target_columns);
		MxAppendJsonNames(&one, "via_source_columns", reg->via_source_columns);
		MxAppendJsonNames(&one, "via_target_columns", reg->via_target_columns);
		appendStringInfoChar(&one, '}');
		rel = DirectFunctionCall1(jsonb_in, CStringGetDatum(one.data));
		if (reg->options != NULL)	/* the options are top-level keys of a relation */
			rel = DirectFunctionCall2(jsonb_concat, rel, JsonbPGetDatum(reg->options));
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(&doc, ", ");
		appendStringInfoString(&doc, JsonbToCString(NULL, &DatumGetJsonbP(rel)->root, VARSIZE(DatumGetPointer(rel))));
	}
	appendStringInfoChar(&doc, ']');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(doc.data)));
}

/* Sends one published set to the workers; the number of its relations (0: not sent) */
static int
MxSyncSet(const char *relation_set, List *regs)
{
	char	   *command = MxPublishCommand(relation_set, MxSetDocument(regs), regs);

	if (command == NULL)
		return 0;
	(void) MxCitusForward(command);
	return list_length(regs);
}

/*
 * sync_relations(): on a Citus coordinator, every registered relation
 * between Citus tables sent to every worker with metadata again (each
 * published set published, each relation registered on its own registered):
 * what a worker added after the registrations lacks.  Returns the number
 * of relations sent.
 */
PG_FUNCTION_INFO_V1(sync_relations);
Datum
sync_relations(PG_FUNCTION_ARGS)
{
	List	   *rows;
	List	   *sets = NIL;		/* set names, in first-seen order */
	ListCell   *lc;
	int			sent = 0;

	if (!MxCitusCoordinator())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("sync_relations runs only on a Citus coordinator"),
				 errdetail("This database has no Citus metadata, or is a Citus worker."),
				 errhint("Call it on the coordinator after adding a worker.")));
	MxEnterCall();
	MxCatalogBeginCall();
	MxLockRegistrations();
	rows = MxRegisteredRows();
	foreach(lc, rows)
	{
		MxRegistration *reg = (MxRegistration *) lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		if (reg->relation_set != NULL)
		{
			bool		seen = false;
			ListCell   *s;

			foreach(s, sets)
				seen = seen || strcmp((char *) lfirst(s), reg->relation_set) == 0;
			if (!seen)
				sets = lappend(sets, reg->relation_set);
		}
		else if (MxCitusRegistrationShared(reg))
		{
			(void) MxCitusForward(MxRegistrationCommand(reg));
			sent++;
		}
	}
	foreach(lc, sets)
	{
		const char *set = (const char *) lfirst(lc);
		List	   *members = NIL;
		ListCell   *r;

		foreach(r, rows)
		{
			MxRegistration *reg = (MxRegistration *) lfirst(r);

			if (reg->relation_set != NULL && strcmp(reg->relation_set, set) == 0)
				members = lappend(members, reg);
		}
		sent += MxSyncSet(set, members);
	}
	MxLeaveCall();
	PG_RETURN_INT32(sent);
}
