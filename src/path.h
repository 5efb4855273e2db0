/*-------------------------------------------------------------------------
 *
 * path.h
 *		Relation paths ("items.product.tags", "buyer:customer") parsed into
 *		a tree whose shared prefixes are loaded once, and the breadth-first
 *		plan of a load: per depth, the edge groups that share a statement.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_PATH_H
#define MX_PATH_H

#include "postgres.h"

#include "nodes/pg_list.h"

#include "catalog.h"
#include "sqlgen.h"

/* deepest path accepted (segments) */
#define MX_MAX_PATH_DEPTH 64

struct MxNodeState;
struct MxRowSet;

/* One node of the path tree: an edge from its parent's table */
typedef struct MxPathNode
{
	char	   *key;			/* output key: the alias, else the name */
	char	   *relname;		/* relation name as written */
	char	   *path;			/* the path up to here, for errors */
	MxRelation *rel;			/* NULL for the root */
	Oid			table;			/* the table whose rows this node holds */
	int			depth;			/* 0 for the root */
	struct MxPathNode *parent;
	List	   *children;
	struct MxEdgeGroup *group;	/* the group whose statement loads it */
	bool		instances;		/* root: rows come from the caller's jsonb */
	bool		typed;			/* root: a typed load (rows, not documents) */
	MxEdgeOpts *opts;			/* spec options of its edge, or NULL */
	bool		poly_arm;		/* one arm of a polymorphic relation's output key */
	struct MxNodeState *exec;	/* the loader's state for this node */
} MxPathNode;

/* Edges of one depth that read the same table on the same key columns */
typedef struct MxEdgeGroup
{
	int			depth;
	List	   *nodes;			/* MxPathNode, in path order */
	MxStmt		stmt;			/* its statement */
	struct MxRowSet *exec;		/* the loader's state for this group */
} MxEdgeGroup;

extern MxPathNode *MxAddChild(MxPathNode *parent, const char *key, const char *relname,
							  const char *path);
extern MxPathNode *MxParsePaths(Oid source, Datum *paths, bool *nulls, int npaths);
extern MxPathNode *MxCopyPaths(MxPathNode *node, MxPathNode *parent);
extern List *MxPlanLoad(List *roots);
extern void MxNeededColumns(MxPathNode *node, int *ncols, AttrNumber **cols);

/* polymorphic.c */
extern List *MxPolyArms(MxTable *source, const char *name);
extern bool MxPolyArmHas(MxTable *t, const char *name);
extern void MxRejectPolymorphic(MxPathNode *node, const char *loader);
extern bool MxPolyKeep(MxPathNode *node, int pr);
extern Jsonb *MxPolyMarked(MxPathNode *node, Jsonb *doc);

#endif							/* MX_PATH_H */
