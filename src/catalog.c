/*-------------------------------------------------------------------------
 *
 * catalog.c
 *		Discovering relations: foreign keys read from pg_constraint become
 *		fk, ifk and m2m relations, registered ones are merged in, each gets
 *		its deterministic name, and names are resolved (with the 42704 and
 *		42P09 errors).
 *
 *		What is discovered is kept by the metadata cache (metacache.c),
 *		with the tables, constraints, operators and types it was read from
 *		(MxNoteInvolved, MxNoteDependency): DDL on those, and only on those,
 *		drops it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "citus.h"
#include "matrx_relations.h"

/* an FK constraint as read from pg_constraint */
typedef struct MxFk
{
	Oid			conoid;
	char	   *conname;
	Oid			conrelid;		/* referencing table */
	Oid			confrelid;		/* referenced table */
	int			nkeys;
	AttrNumber	conkey[MX_MAX_KEYS];
	AttrNumber	confkey[MX_MAX_KEYS];
	Oid			pfeqop[MX_MAX_KEYS];	/* operator(referenced, referencing) */
} MxFk;

static List *MxReadFks(Oid relid, bool referenced, List **uniques);
static bool MxColumnsInUniques(List *uniques, int ncols, const AttrNumber *cols, bool exact);
static void MxFkHop(MxHop *hop, MxFk *fk, bool forward);
static void MxDiscover(MxTable *t);
static List *MxDiscoverM2M(MxTable *t, List *ifks, List *rels);
static void MxNoteRelationDependencies(MxTable *t, MxRelation *r);
static int	MxRelationCmp(const void *a, const void *b);
static char *MxDescribeRelation(MxRelation *rel);

/* Name of a relation kind as the SPEC spells it */
const char *
MxKindName(MxRelKind kind)
{
	switch (kind)
	{
		case MX_KIND_FK:
			return "fk";
		case MX_KIND_IFK:
			return "ifk";
		case MX_KIND_M2M:
			return "m2m";
	}
	return "?";
}

/*
 * Locks relid for reading, checks that it exists and is something rows can
 * be read from, and returns its metadata.  role names the argument in
 * errors ("source", "target").
 */
MxTable *
MxOpenTable(Oid relid, const char *role)
{
	char		relkind;

	LockRelationOid(relid, AccessShareLock);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
	{
		UnlockRelationOid(relid, AccessShareLock);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	}
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_VIEW && relkind != RELKIND_MATVIEW &&
		relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table, view, materialized view or foreign table",
						get_rel_name(relid)),
				 strcmp(role, "junction") == 0 ?
				 errdetail("The junction of a relation must be a table, partitioned table, view, materialized view or foreign table.") :
				 strcmp(role, "target") == 0 ?
				 errdetail("The target of a relation must be a table, partitioned table, view, materialized view or foreign table.") :
				 errdetail("The source of a relation must be a table, partitioned table, view, materialized view or foreign table.")));
	return MxGetTable(relid);
}

/* Fills in a table's keys and ordering columns (for the metadata cache) */
void
MxLoadTable(MxTable *t)
{
	Oid			relid = t->relid;
	Relation	rel;
	TupleDesc	desc;
	MemoryContext old;
	Oid			pkindex = InvalidOid;
	ListCell   *lc;
	List	   *indexes;

	MxNoteInvolved(t, relid);
	rel = relation_open(relid, NoLock);
	desc = RelationGetDescr(rel);
	t->relkind = rel->rd_rel->relkind;
	t->rowtype = rel->rd_rel->reltype;
	t->pk_nkeys = 0;
	t->rels_loaded = false;
	t->nrels = 0;
	t->rels = NULL;

	/* the primary key, from the index flagged indisprimary */
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Oid			indexoid = lfirst_oid(lc);
		HeapTuple	itup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
		Form_pg_index index;

		if (!HeapTupleIsValid(itup))
			elog(ERROR, "cache lookup failed for index %u", indexoid);
		index = (Form_pg_index) GETSTRUCT(itup);
		if (index->indisprimary)
		{
			bool		isnull;
			Datum		d = SysCacheGetAttr(INDEXRELID, itup, Anum_pg_index_indclass, &isnull);
			oidvector  *indclass = (oidvector *) DatumGetPointer(d);
			int			i;

			pkindex = indexoid;
			t->pk_nkeys = index->indnkeyatts;
			for (i = 0; i < index->indnkeyatts; i++)
			{
				AttrNumber	att = index->indkey.values[i];
				Form_pg_attribute a = TupleDescAttr(desc, att - 1);
				Oid			family = get_opclass_family(indclass->values[i]);
				Oid			optype = get_opclass_input_type(indclass->values[i]);

				t->pk_cols[i] = att;
				t->pk_types[i] = a->atttypid;
				t->pk_collations[i] = a->attcollation;
				t->pk_eqops[i] = get_opfamily_member(family, optype, optype,
													 BTEqualStrategyNumber);
				if (!OidIsValid(t->pk_eqops[i]))
					elog(ERROR, "no equality operator in operator family %u", family);
				MxNoteOpfamilyMember(t, family, optype, optype, BTEqualStrategyNumber);
				MxNoteDependency(t, OPEROID, t->pk_eqops[i]);
				MxNoteDependency(t, TYPEOID, t->pk_types[i]);
			}
		}
		ReleaseSysCache(itup);
	}
	list_free(indexes);

	/* to-many arrays are ordered by the primary key, else every orderable column */
	old = MemoryContextSwitchTo(t->cxt);
	if (OidIsValid(pkindex))
	{
		t->order_ncols = t->pk_nkeys;
		t->order_cols = palloc(sizeof(AttrNumber) * t->pk_nkeys);
		memcpy(t->order_cols, t->pk_cols, sizeof(AttrNumber) * t->pk_nkeys);
	}
	else
	{
		int			i;

		t->order_ncols = 0;
		t->order_cols = palloc(sizeof(AttrNumber) * Max(desc->natts, 1));
		for (i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute a = TupleDescAttr(desc, i);

			if (a->attisdropped)
				continue;
			if (OidIsValid(lookup_type_cache(a->atttypid, TYPECACHE_LT_OPR)->lt_opr))
				t->order_cols[t->order_ncols++] = a->attnum;
		}
	}
	MemoryContextSwitchTo(old);
	relation_close(rel, NoLock);
}

/*
 * Reads the FK constraints of relid (referenced = false: those declared on
 * it) or pointing at it (referenced = true).  Constraints that partitioning
 * clones for the partitions of a referenced table are left out: the parent
 * constraint stands for them.  With uniques, also returns relid's primary
 * key and unique constraints as a list of int2vector-like AttrNumber lists.
 */
static List *
MxReadFks(Oid relid, bool referenced, List **uniques)
{
	Relation	conrel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	List	   *result = NIL;

	conrel = table_open(ConstraintRelationId, AccessShareLock);
	if (referenced)
		scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
	else
	{
		ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(relid));
		scan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true,
								  NULL, 1, &key);
	}

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
		MxFk	   *fk;
		int			nkeys;

		CHECK_FOR_INTERRUPTS();
		if (uniques != NULL && !referenced && con->conrelid == relid &&
			(con->contype == CONSTRAINT_PRIMARY || con->contype == CONSTRAINT_UNIQUE))
		{
			bool		isnull;
			Datum		d = heap_getattr(tup, Anum_pg_constraint_conkey,
										 RelationGetDescr(conrel), &isnull);
			ArrayType  *arr = DatumGetArrayTypeP(d);
			int			n = ARR_DIMS(arr)[0];
			List	   *cols = NIL;
			int			i;

			for (i = 0; i < n; i++)
				cols = lappend_int(cols, ((int16 *) ARR_DATA_PTR(arr))[i]);
			*uniques = lappend(*uniques, cols);
			continue;
		}
		if (con->contype != CONSTRAINT_FOREIGN)
			continue;
		if (referenced ? con->confrelid != relid : con->conrelid != relid)
			continue;
		if (OidIsValid(con->conparentid))
		{
			HeapTuple	ptup;
			bool		clone_of_referenced;

			/* on the referenced side only the parent constraint counts */
			if (referenced)
				continue;
			ptup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(con->conparentid));
			if (!HeapTupleIsValid(ptup))
				continue;
			clone_of_referenced =
				((Form_pg_constraint) GETSTRUCT(ptup))->conrelid == con->conrelid;
			ReleaseSysCache(ptup);
			if (clone_of_referenced)
				continue;
		}

		fk = palloc0(sizeof(MxFk));
		fk->conoid = con->oid;
		fk->conname = pstrdup(NameStr(con->conname));
		fk->conrelid = con->conrelid;
		fk->confrelid = con->confrelid;
		DeconstructFkConstraintRow(tup, &nkeys, fk->conkey, fk->confkey,
								   fk->pfeqop, NULL, NULL, NULL, NULL);
		fk->nkeys = nkeys;
		result = lappend(result, fk);
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return result;
}

/*
 * True when the columns cols of relid cover one of its unique constraints
 * (exact = false: some unique constraint lies inside cols) or lie inside
 * one (exact = true: cols lie inside a unique constraint).
 */
bool
MxColumnsCoverUnique(Oid relid, int ncols, const AttrNumber *cols, bool exact)
{
	List	   *uniques = NIL;

	(void) MxReadFks(relid, false, &uniques);
	return MxColumnsInUniques(uniques, ncols, cols, exact);
}

/* MxColumnsCoverUnique for unique constraints already read (MxReadFks) */
static bool
MxColumnsInUniques(List *uniques, int ncols, const AttrNumber *cols, bool exact)
{
	ListCell   *lc;
	bool		result = false;

	foreach(lc, uniques)
	{
		List	   *ucols = (List *) lfirst(lc);
		bool		ok = true;
		int			i;
		ListCell   *lc2;

		if (exact)
		{
			/* every column of cols lies inside the unique constraint */
			for (i = 0; i < ncols && ok; i++)
				ok = list_member_int(ucols, cols[i]);
		}
		else
		{
			/* every column of the unique constraint lies inside cols */
			foreach(lc2, ucols)
			{
				bool		hit = false;

				for (i = 0; i < ncols && !hit; i++)
					hit = (cols[i] == lfirst_int(lc2));
				if (!hit)
				{
					ok = false;
					break;
				}
			}
		}
		if (ok)
		{
			result = true;
			break;
		}
	}
	return result;
}

/*
 * Fills a hop from an FK: forward goes from the referencing table to the
 * referenced one (fk), backward from the referenced table to the
 * referencing one (ifk, and the first hop of m2m).
 */
static void
MxFkHop(MxHop *hop, MxFk *fk, bool forward)
{
	int			i;

	hop->nkeys = fk->nkeys;
	hop->outer_rel = forward ? fk->conrelid : fk->confrelid;
	hop->inner_rel = forward ? fk->confrelid : fk->conrelid;
	for (i = 0; i < fk->nkeys; i++)
	{
		Oid			op = fk->pfeqop[i]; /* operator(referenced, referencing) */

		hop->outer_cols[i] = forward ? fk->conkey[i] : fk->confkey[i];
		hop->inner_cols[i] = forward ? fk->confkey[i] : fk->conkey[i];
		get_atttypetypmodcoll(hop->outer_rel, hop->outer_cols[i],
							  &hop->outer_types[i], &(int32){0},
							  &hop->outer_collations[i]);
		get_atttypetypmodcoll(hop->inner_rel, hop->inner_cols[i],
							  &hop->inner_types[i], &(int32){0},
							  &hop->inner_collations[i]);
		/* the FK is checked under the referenced column's collation */
		hop->collations[i] = forward ? hop->inner_collations[i] : hop->outer_collations[i];
		if (!forward)
		{
			/* we need operator(referencing, referenced) */
			Oid			comm = get_commutator(op);

			if (!OidIsValid(comm))
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("equality operator %u of foreign key \"%s\" has no commutator",
								op, fk->conname)));
			op = comm;
		}
		hop->eqops[i] = op;
	}
}

/*
 * Appends to rels the m2m relations of relid: a child J (the junction)
 * with one FK to relid (one of ifks) and another FK to a target, all of
 * whose columns lie inside J's primary key or one of its unique
 * constraints.
 */
static List *
MxDiscoverM2M(MxTable *t, List *ifks, List *rels)
{
	Oid			relid = t->relid;
	ListCell   *lc;

	foreach(lc, ifks)
	{
		MxFk	   *fk1 = (MxFk *) lfirst(lc);
		Oid			junction = fk1->conrelid;
		List	   *jfks;
		List	   *juniques = NIL;
		ListCell   *lc2;

		if (junction == relid)
			continue;
		/* its FKs and unique keys read once, not once per FK pair */
		jfks = MxReadFks(junction, false, &juniques);
		foreach(lc2, jfks)
		{
			MxFk	   *fk2 = (MxFk *) lfirst(lc2);
			AttrNumber	cols[2 * MX_MAX_KEYS];
			int			ncols = 0;
			int			i;
			MxRelation *r;

			if (fk2->conoid == fk1->conoid || fk2->confrelid == junction)
				continue;
			for (i = 0; i < fk1->nkeys; i++)
				cols[ncols++] = fk1->conkey[i];
			for (i = 0; i < fk2->nkeys; i++)
				cols[ncols++] = fk2->conkey[i];
			if (!MxColumnsInUniques(juniques, ncols, cols, true))
				continue;

			r = palloc0(sizeof(MxRelation));
			r->kind = MX_KIND_M2M;
			r->target_unique = true;
			r->source = relid;
			r->target = fk2->confrelid;
			r->via = junction;
			r->nhops = 2;
			MxFkHop(&r->hops[0], fk1, false);
			MxFkHop(&r->hops[1], fk2, true);
			r->via_unique = MxColumnsInUniques(juniques, ncols, cols, false);
			r->name = get_rel_name(fk2->confrelid);
			rels = lappend(rels, r);
			MxNoteInvolved(t, junction);
			MxNoteInvolved(t, r->target);
			MxNoteDependency(t, CONSTROID, fk1->conoid);
			MxNoteDependency(t, CONSTROID, fk2->conoid);
		}
		MxNoteInvolved(t, junction);
	}
	return rels;
}

/* Builds the list of relations whose source is t, with their names */
static void
MxDiscover(MxTable *t)
{
	Oid			relid = t->relid;
	List	   *fks;
	List	   *ifks;
	List	   *registered;
	List	   *rels = NIL;
	ListCell   *lc;
	int			n;
	MemoryContext old;

	fks = MxReadFks(relid, false, NULL);
	ifks = MxReadFks(relid, true, NULL);

	/* fk: named by a single "_id" column without the suffix, else the constraint */
	foreach(lc, fks)
	{
		MxFk	   *fk = (MxFk *) lfirst(lc);
		MxRelation *r = palloc0(sizeof(MxRelation));
		char	   *col = get_attname(relid, fk->conkey[0], false);
		size_t		len = strlen(col);

		r->kind = MX_KIND_FK;
		r->target_unique = true;	/* an FK references a unique key */
		r->source = relid;
		r->target = fk->confrelid;
		r->conoid = fk->conoid;
		r->conname = fk->conname;
		r->nhops = 1;
		MxFkHop(&r->hops[0], fk, true);
		if (fk->nkeys == 1 && len > 3 && strcmp(col + len - 3, "_id") == 0)
			r->name = pnstrdup(col, len - 3);
		else
			r->name = fk->conname;
		rels = lappend(rels, r);
		MxNoteInvolved(t, r->target);
	}

	/* ifk: named by the child table when it has one FK to us, else the constraint */
	foreach(lc, ifks)
	{
		MxFk	   *fk = (MxFk *) lfirst(lc);
		MxRelation *r = palloc0(sizeof(MxRelation));
		ListCell   *lc2;
		int			same_child = 0;

		foreach(lc2, ifks)
			if (((MxFk *) lfirst(lc2))->conrelid == fk->conrelid)
				same_child++;
		r->kind = MX_KIND_IFK;
		r->source = relid;
		r->target = fk->conrelid;
		r->conoid = fk->conoid;
		r->conname = fk->conname;
		r->nhops = 1;
		MxFkHop(&r->hops[0], fk, false);
		/* a child whose FK columns are unique is at most one (one-to-one) */
		r->reverse_unique = MxColumnsCoverUnique(fk->conrelid, fk->nkeys, fk->conkey, false);
		r->target_unique = r->reverse_unique;
		r->name = same_child == 1 ? get_rel_name(fk->conrelid) : fk->conname;
		rels = lappend(rels, r);
		MxNoteInvolved(t, r->target);
	}

	rels = MxDiscoverM2M(t, ifks, rels);

	/* registered relations come last; name resolution lets them win */
	registered = MxLoadRegistered(t);
	foreach(lc, registered)
	{
		MxRelation *r = (MxRelation *) lfirst(lc);

		MxNoteInvolved(t, r->target);
		if (OidIsValid(r->via))
			MxNoteInvolved(t, r->via);
		rels = lappend(rels, r);
	}

	/* the result goes into the table's context; the rest was temporary */
	old = MemoryContextSwitchTo(t->cxt);
	t->nrels = list_length(rels);
	t->rels = palloc(sizeof(MxRelation) * Max(t->nrels, 1));
	n = 0;
	foreach(lc, rels)
	{
		MxRelation *r = &t->rels[n++];

		*r = *(MxRelation *) lfirst(lc);
		r->name = pstrdup(r->name);
		if (r->conname != NULL)
			r->conname = pstrdup(r->conname);
	}
	qsort(t->rels, t->nrels, sizeof(MxRelation), MxRelationCmp);
	MemoryContextSwitchTo(old);
	for (n = 0; n < t->nrels; n++)
		MxNoteRelationDependencies(t, &t->rels[n]);
}

/* Records the constraint, operators and types a relation of t was read from */
static void
MxNoteRelationDependencies(MxTable *t, MxRelation *r)
{
	int			h;
	int			i;

	MxNoteDependency(t, CONSTROID, r->conoid);
	for (h = 0; h < r->nhops; h++)
		for (i = 0; i < r->hops[h].nkeys; i++)
		{
			MxNoteDependency(t, OPEROID, r->hops[h].eqops[i]);
			MxNoteDependency(t, TYPEOID, r->hops[h].inner_types[i]);
			MxNoteDependency(t, TYPEOID, r->hops[h].outer_types[i]);
		}
}

/* Orders relations by name, then kind, then constraint name */
static int
MxRelationCmp(const void *a, const void *b)
{
	const MxRelation *ra = (const MxRelation *) a;
	const MxRelation *rb = (const MxRelation *) b;
	int			c = strcmp(ra->name, rb->name);

	if (c != 0)
		return c;
	if (ra->registered != rb->registered)
		return ra->registered ? -1 : 1;
	if (ra->kind != rb->kind)
		return (int) ra->kind - (int) rb->kind;
	c = strcmp(ra->conname ? ra->conname : "", rb->conname ? rb->conname : "");
	if (c != 0)
		return c;
	return ra->target < rb->target ? -1 : ra->target > rb->target ? 1 : 0;
}

/* The metadata of relid with its relations discovered */
MxTable *
MxGetRelations(Oid relid)
{
	MxTable    *t = MxGetTable(relid);

	if (!t->rels_loaded)
	{
		MxDiscover(t);
		t->rels_loaded = true;
	}
	return t;
}

/* One line describing a relation, for error details */
static char *
MxDescribeRelation(MxRelation *rel)
{
	StringInfoData buf;
	char	   *target = format_type_be_qualified(get_rel_type_id(rel->target));

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s %s to %s", rel->registered ? "registered" : "catalog",
					 MxKindName(rel->kind), target);
	if (OidIsValid(rel->via))
		appendStringInfo(&buf, " through %s",
						 format_type_be_qualified(get_rel_type_id(rel->via)));
	if (rel->conname != NULL)
		appendStringInfo(&buf, " by constraint \"%s\"", rel->conname);
	return buf.data;
}

/*
 * Resolves a relation name of source: a registered name first, then the
 * names of the naming rules, then FK constraint names (an fk before an ifk,
 * so a self-referencing constraint denotes the fk).
 */
MxRelation *
MxLookupRelation(MxTable *source, const char *name)
{
	MxRelation *match = NULL;
	int			nmatch = 0;
	int			i;
	StringInfoData buf;

	for (i = 0; i < source->nrels; i++)
		if (source->rels[i].registered && strcmp(source->rels[i].name, name) == 0)
			return &source->rels[i];

	for (i = 0; i < source->nrels; i++)
	{
		if (strcmp(source->rels[i].name, name) == 0)
		{
			if (match == NULL)
				match = &source->rels[i];
			nmatch++;
		}
	}
	if (nmatch == 0)
	{
		MxRelKind	kinds[2] = {MX_KIND_FK, MX_KIND_IFK};
		int			k;

		for (k = 0; k < 2 && nmatch == 0; k++)
			for (i = 0; i < source->nrels; i++)
			{
				MxRelation *r = &source->rels[i];

				if (r->kind == kinds[k] && !r->registered && r->conname != NULL &&
					strcmp(r->conname, name) == 0)
				{
					if (match == NULL)
						match = r;
					nmatch++;
				}
			}
	}
	if (nmatch == 1)
		return match;
	if (nmatch == 0 && MxIsJunctionName(name))
		return MxJunctionRelation(source, name);

	initStringInfo(&buf);
	if (nmatch > 1)
	{
		for (i = 0; i < source->nrels; i++)
		{
			MxRelation *r = &source->rels[i];

			if (strcmp(r->name, name) == 0 ||
				(r->conname != NULL && strcmp(r->conname, name) == 0))
				appendStringInfo(&buf, "%s%s", buf.len > 0 ? "; " : "",
								 MxDescribeRelation(r));
		}
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_ALIAS),
				 errmsg("%s has more than one relation named \"%s\"",
						format_type_be_qualified(source->rowtype), name),
				 errdetail("The candidates are: %s.", buf.data),
				 errhint("Name a foreign key's relation by the constraint's name, or register a relation under another name with matrx_relations.register_relation.")));
	}

	for (i = 0; i < source->nrels; i++)
		if (i == 0 || strcmp(source->rels[i].name, source->rels[i - 1].name) != 0)
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
							 quote_identifier(source->rels[i].name));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("%s has no relation named \"%s\"",
					format_type_be_qualified(source->rowtype), name),
			 buf.len > 0 ?
			 errhint("Relations of %s: %s.", format_type_be_qualified(source->rowtype), buf.data) :
			 errhint("%s has no relations: declare a foreign key or use matrx_relations.register_relation.",
					 format_type_be_qualified(source->rowtype))));
	return NULL;				/* keep compiler quiet */
}

/* Locks the target and junction of a relation for reading */
void
MxLockRelation(MxRelation *rel)
{
	(void) MxOpenTable(rel->target, "target");
	if (OidIsValid(rel->via))
		(void) MxOpenTable(rel->via, "junction");
}

/* Raises 0A000 unless source has a single-column primary key */
void
MxRequireSinglePrimaryKey(MxTable *source)
{
	if (source->pk_nkeys != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s has no single-column primary key",
						format_type_be_qualified(source->rowtype)),
				 source->pk_nkeys == 0 ?
				 errdetail("It has no primary key.") :
				 errdetail("Its primary key has %d columns.", source->pk_nkeys),
				 errhint("Use the instances form, which takes the rows' key columns as jsonb objects.")));
}

/*
 * The equality operator(inner_type, outer_type) to match two key columns:
 * the type's own equality, else a cross-type member of a btree family.
 */
bool
MxFindEqualityOp(Oid inner_type, Oid outer_type, Oid *eqop)
{
	Oid			types[2] = {inner_type, outer_type};
	int			i;

	if (inner_type == outer_type)
	{
		*eqop = lookup_type_cache(inner_type, TYPECACHE_EQ_OPR)->eq_opr;
		return OidIsValid(*eqop);
	}
	/* a cross-type member of either type's btree family */
	for (i = 0; i < 2; i++)
	{
		TypeCacheEntry *tc = lookup_type_cache(types[i], TYPECACHE_BTREE_OPFAMILY);

		if (OidIsValid(tc->btree_opf))
		{
			*eqop = get_opfamily_member(tc->btree_opf, inner_type, outer_type,
										BTEqualStrategyNumber);
			if (OidIsValid(*eqop))
				return true;
		}
	}
	/* else the equality of the type the other one implicitly coerces to */
	for (i = 0; i < 2; i++)
	{
		Oid			from = types[1 - i];
		Oid			to = types[i];

		if (can_coerce_type(1, &from, &to, COERCION_IMPLICIT))
		{
			*eqop = lookup_type_cache(to, TYPECACHE_EQ_OPR)->eq_opr;
			if (OidIsValid(*eqop))
				return true;
		}
	}
	return false;
}

/* Every table that is the source of at least one relation, for the view */
List *
MxAllSources(void)
{
	Relation	conrel;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *result = NIL;

	conrel = table_open(ConstraintRelationId, AccessShareLock);
	scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);

		CHECK_FOR_INTERRUPTS();
		if (con->contype != CONSTRAINT_FOREIGN || MxCitusShard(con->conrelid))
			continue;
		result = list_append_unique_oid(result, con->conrelid);
		result = list_append_unique_oid(result, con->confrelid);
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return result;
}
