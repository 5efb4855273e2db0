/*-------------------------------------------------------------------------
 *
 * catalog.h
 *		Relation discovery: what matrx_relations knows about tables, their
 *		keys and the named relations (fk, ifk, m2m) between them.
 *
 *		Metadata lives in a backend-local cache (metacache.c): a table's
 *		entry is dropped when an invalidation hits a table, constraint,
 *		operator, type or operator family member it was read from, so DDL
 *		is seen by the next call.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_CATALOG_H
#define MX_CATALOG_H

#include "postgres.h"

#include "access/attnum.h"
#include "nodes/pg_list.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "pg_config_manual.h"

#define MX_MAX_KEYS INDEX_MAX_KEYS

typedef enum MxRelKind
{
	MX_KIND_FK,					/* to one: FK on the source */
	MX_KIND_IFK,				/* to many: FK on the target pointing back */
	MX_KIND_M2M					/* to many: through a junction table */
} MxRelKind;

/*
 * One join step: columns of the outer table (nearer to the source) matched
 * column by column to columns of the inner table, as "inner OP outer".
 */
typedef struct MxHop
{
	Oid			outer_rel;
	Oid			inner_rel;
	int			nkeys;
	AttrNumber	outer_cols[MX_MAX_KEYS];
	AttrNumber	inner_cols[MX_MAX_KEYS];
	Oid			outer_types[MX_MAX_KEYS];
	Oid			inner_types[MX_MAX_KEYS];
	Oid			outer_collations[MX_MAX_KEYS];
	Oid			inner_collations[MX_MAX_KEYS];
	Oid			collations[MX_MAX_KEYS];	/* compare under these: the key side's */
	Oid			eqops[MX_MAX_KEYS]; /* operator(inner type, outer type) */
} MxHop;

/* A named, directed relation from a source table to a target table */
typedef struct MxRelation
{
	char	   *name;			/* name under the naming rules */
	MxRelKind	kind;
	bool		registered;		/* from register_relation, not a constraint */
	Oid			source;
	Oid			target;
	Oid			via;			/* junction (m2m), else InvalidOid */
	Oid			conoid;			/* FK constraint (fk, ifk), else InvalidOid */
	char	   *conname;		/* its name, or NULL */
	int			nhops;			/* 1, or 2 for m2m */
	MxHop		hops[2];
	bool		via_unique;		/* m2m: junction pairs are unique */
	bool		target_unique;	/* fk, m2m: the last hop reads a unique key of the
								 * target (one index probe per lookup) */
	bool		reverse_unique; /* ifk: the child's FK columns cover its primary
								 * key or a unique constraint (to one) */
	/* registered relations (register.c): their options, in the table's context */
	Jsonb	   *options;		/* as registered (the view shows them), or NULL */
	Jsonb	   *defaults;		/* "where", "order_by", "columns" as a spec edge, or NULL */
	char	   *relation_set;	/* the published set it belongs to, or NULL */
	/* a polymorphic arm (option "polymorphic", polymorphic.c), else poly_col 0 */
	char	   *poly_name;		/* the polymorphic relation it is an arm of */
	AttrNumber	poly_col;		/* the source's type column */
	char	   *poly_value;		/* the type value (as text) choosing this arm */
	char	   *poly_marker;	/* the key its objects' table goes under */
} MxRelation;

/* key casts of a registered relation: per hop and key column, a type or InvalidOid */
typedef struct MxKeyCasts
{
	Oid			types[2][MX_MAX_KEYS];
} MxKeyCasts;

/* Whether a relation loads one row or null (fk, unique ifk), not a list */
static inline bool
MxRelToOne(const MxRelation *rel)
{
	return rel->kind == MX_KIND_FK || rel->reverse_unique;
}

/*
 * a catalog entry a table's metadata was read from: a syscache and hash
 * value (CONSTROID, OPEROID, TYPEOID, AMOPSTRATEGY)
 */
typedef struct MxDependency
{
	int			cacheid;
	uint32		hashvalue;
} MxDependency;

/* What matrx_relations knows about one table, view or foreign table */
typedef struct MxTable
{
	Oid			relid;
	MemoryContext cxt;			/* holds this struct and all it points to */
	bool		stale;			/* an invalidation hit what it depends on */
	int			ninvolved;		/* tables it was read from, relid first */
	int			maxinvolved;
	Oid		   *involved;
	int			ndeps;			/* constraints, operators and types it was read from */
	int			maxdeps;
	MxDependency *deps;
	char		relkind;
	Oid			rowtype;
	int			pk_nkeys;		/* 0 when no primary key */
	AttrNumber	pk_cols[MX_MAX_KEYS];
	Oid			pk_types[MX_MAX_KEYS];
	Oid			pk_collations[MX_MAX_KEYS];
	Oid			pk_eqops[MX_MAX_KEYS];
	int			order_ncols;	/* ORDER BY of to-many arrays */
	AttrNumber *order_cols;
	bool		rels_loaded;
	int			nrels;
	MxRelation *rels;			/* sorted by name, then kind */
} MxTable;

/* metacache.c */
extern HTAB *MxCreateBackendHash(const char *name, Size keysize, Size entrysize,
								 MemoryContext *cxt);
extern void MxCatalogInit(void);
extern void MxCatalogBeginCall(void);
extern bool MxCatalogIsStale(void);
extern uint64 MxCatalogGeneration(void);
extern void MxNoteInvolved(MxTable *t, Oid relid);
extern void MxNoteDependency(MxTable *t, int cacheid, Oid oid);
extern void MxNoteOpfamilyMember(MxTable *t, Oid family, Oid lefttype, Oid righttype,
								 int16 strategy);
extern void MxNoteEqualityLookup(MxTable *t, Oid inner_type, Oid outer_type);
extern MxTable *MxGetTable(Oid relid);

/* catalog.c */
extern void MxLoadTable(MxTable *t);
extern MxTable *MxOpenTable(Oid relid, const char *role);
extern MxTable *MxGetRelations(Oid relid);
extern MxRelation *MxLookupRelation(MxTable *source, const char *name);
extern void MxLockRelation(MxRelation *rel);
extern List *MxAllSources(void);
extern const char *MxKindName(MxRelKind kind);
extern void MxRequireSinglePrimaryKey(MxTable *source);
extern bool MxFindEqualityOp(Oid inner_type, Oid outer_type, Oid *eqop);
extern bool MxColumnsCoverUnique(Oid relid, int ncols, const AttrNumber *cols, bool exact);

/* junction.c */
extern bool MxIsJunctionName(const char *name);
extern MxRelation *MxJunctionRelation(MxTable *source, const char *name);

/* retry.c */
extern void MxRetryDefineGucs(void);
extern bool MxRetryStale(int *attempt);

/* register.c */
extern List *MxLoadRegistered(MxTable *t);
extern List *MxRegisteredSources(void);
extern bool MxBuildRegistered(MxRelation *rel, Oid source, Oid target, Oid via,
							  List *source_cols, List *target_cols,
							  List *via_source_cols, List *via_target_cols,
							  const MxKeyCasts *casts, bool raise, MxTable *deps);

/* model.c */
extern bool MxNameReplacesColumn(MxTable *from, const char *key, const char *relname);

#endif							/* MX_CATALOG_H */
