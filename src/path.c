/*-------------------------------------------------------------------------
 *
 * path.c
 *		Parsing relation paths and planning a load.
 *
 *		path    := segment ('.' segment)*
 *		segment := name | alias ':' name
 *		name    := relation | junction '::' [fk]	(junction.c)
 *
 *		Paths become a tree rooted at the source; paths that share a prefix
 *		share its nodes ("items" and "items.product" load items once).  The
 *		alias, else the name, is the output key; one equal to a column of
 *		the row it is added to, or produced twice at one level by different
 *		relations, is 42701.  A segment naming a polymorphic relation adds
 *		one node per arm under its key; the path goes on below each arm whose
 *		target has its next segment (polymorphic.c).
 *
 *		The plan walks the tree breadth-first.  At each depth, edges that
 *		read the same table on the same key columns (DataLoader grouping:
 *		billing_address and shipping_address -> addresses) form one group,
 *		served by one statement that returns every column the next depth is
 *		keyed on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "path.h"

static List *MxSplitPath(const char *path, int index);
static void MxAddSegments(MxPathNode *node, List *segments, int i);
static bool MxHasRelation(MxTable *from, const char *name);
static List *MxAddPolyPath(MxPathNode *node, void *segment, List *arms);
static void MxAddBelowArms(List *armnodes, List *segments, int i);
static bool MxSameEdge(MxRelation *a, MxRelation *b);
static void MxAddExtra(List **extra, MxPathNode *node);
static void MxFinishGroup(MxEdgeGroup *g, MxTable *target, bool typed);

/* A child of parent under key, its relation resolved and locked */
MxPathNode *
MxAddChild(MxPathNode *parent, const char *key, const char *relname, const char *path)
{
	MxPathNode *node = palloc0(sizeof(MxPathNode));
	MxTable    *from = MxGetRelations(parent->table);
	AttrNumber	clash = get_attnum(parent->table, key);

	/* system columns are not in to_jsonb(row): only output user columns clash */
	if (clash > 0 && MxOptsOutputs(parent->opts, clash) &&
		!MxNameReplacesColumn(from, key, relname))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_COLUMN),
				 errmsg("output key \"%s\" of path \"%s\" is also a column of %s",
						key, path, format_type_be_qualified(from->rowtype)),
				 errhint("Give the relation another output key with an alias: \"alias:%s\".",
						 relname)));
	node->key = pstrdup(key);
	node->relname = pstrdup(relname);
	node->path = pstrdup(path);
	if (MxPolyArms(from, relname) != NIL && !MxHasRelation(from, relname))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("polymorphic relation \"%s\" cannot be loaded from a spec", relname),
				 errhint("Name it in a relation path (\"%s\" or \"alias:%s\").", relname, relname)));
	node->rel = MxLookupRelation(from, relname);
	MxLockRelation(node->rel);
	node->table = node->rel->target;
	node->depth = parent->depth + 1;
	node->parent = parent;
	parent->children = lappend(parent->children, node);
	/* a registered relation's options (a spec's replace them) */
	node->opts = MxDefaultOpts(node);
	return node;
}

/* one parsed segment of a path */
typedef struct MxSegment
{
	char	   *key;
	char	   *name;
	char	   *prefix;			/* the path up to and including it */
} MxSegment;

/* Splits one path into segments, checking only its syntax (22023) */
static List *
MxSplitPath(const char *path, int index)
{
	char	   *copy = pstrdup(path);
	char	   *seg = copy;
	List	   *segments = NIL;
	StringInfoData prefix;

	initStringInfo(&prefix);
	if (path[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relation path %d is empty", index)));
	for (;;)
	{
		char	   *dot = strchr(seg, '.');
		char	   *colon;
		MxSegment  *sg = palloc(sizeof(MxSegment));

		CHECK_FOR_INTERRUPTS();
		if (dot != NULL)
			*dot = '\0';
		if (list_length(segments) >= MX_MAX_PATH_DEPTH)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("relation path %d has more than %d segments", index,
							MX_MAX_PATH_DEPTH)));
		colon = strchr(seg, ':');
		if (colon != NULL && colon == strstr(seg, "::"))
		{
			/* junction::fk without an alias: keyed by its target, once resolved */
			sg->key = NULL;
			sg->name = seg;
			colon = NULL;
		}
		else if (colon != NULL)
		{
			*colon = '\0';
			sg->key = seg;
			sg->name = colon + 1;
		}
		else
			sg->key = sg->name = seg;
		if (*seg == '\0' || *sg->name == '\0' ||
			(strchr(sg->name, ':') != NULL && !MxIsJunctionName(sg->name)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("relation path \"%s\" is malformed", path),
					 errdetail("A path is segments separated by \".\"; a segment is \"name\" or \"alias:name\", neither empty, where a name may be \"junction::fk\".")));
		if (prefix.len > 0)
			appendStringInfoChar(&prefix, '.');
		if (colon != NULL)
			appendStringInfo(&prefix, "%s:", sg->key);
		appendStringInfoString(&prefix, sg->name);
		sg->prefix = pstrdup(prefix.data);
		segments = lappend(segments, sg);
		if (dot == NULL)
			break;
		seg = dot + 1;
	}
	return segments;
}

/* Whether from has a relation of exactly that name */
static bool
MxHasRelation(MxTable *from, const char *name)
{
	int			i;

	for (i = 0; i < from->nrels; i++)
		if (strcmp(from->rels[i].name, name) == 0)
			return true;
	return false;
}

/*
 * Adds a polymorphic relation's arms (a segment naming it) under node,
 * all under the segment's output key, once; returns the arm nodes
 */
static List *
MxAddPolyPath(MxPathNode *node, void *segment, List *arms)
{
	MxSegment  *sg = (MxSegment *) segment;
	List	   *nodes = NIL;
	ListCell   *lc;

	foreach(lc, node->children)
	{
		MxPathNode *c = (MxPathNode *) lfirst(lc);

		if (strcmp(c->key, sg->key) != 0)
			continue;
		if (c->poly_arm && strcmp(c->rel->poly_name, sg->name) == 0)
		{
			nodes = lappend(nodes, c);	/* named twice: loaded once */
			continue;
		}
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_COLUMN),
				 errmsg("output key \"%s\" is produced twice at one level, by \"%s\" and \"%s\"",
						sg->key, c->path, sg->prefix),
				 errhint("Give one of them another output key with an alias: \"alias:name\".")));
	}
	if (nodes != NIL)
		return nodes;
	foreach(lc, arms)
	{
		MxPathNode *arm = MxAddChild(node, sg->key, ((MxRelation *) lfirst(lc))->name,
									 sg->prefix);

		arm->poly_arm = true;
		nodes = lappend(nodes, arm);
	}
	return nodes;
}

/*
 * Continues a path below a polymorphic relation's arm nodes: segment i is
 * resolved on each arm's target that has such a relation, and the arms
 * without one skip it; when no arm has it, the first arm's lookup gives
 * the error (42704)
 */
static void
MxAddBelowArms(List *armnodes, List *segments, int i)
{
	MxSegment  *sg = (MxSegment *) list_nth(segments, i);
	ListCell   *lc;
	bool		any = false;

	foreach(lc, armnodes)
	{
		MxPathNode *arm = (MxPathNode *) lfirst(lc);

		if (MxPolyArmHas(MxGetRelations(arm->table), sg->name))
		{
			MxAddSegments(arm, segments, i);
			any = true;
		}
	}
	if (!any)
		MxAddSegments((MxPathNode *) linitial(armnodes), segments, i);
}

/* Merges a parsed path's segments from the i-th on into the tree below node */
static void
MxAddSegments(MxPathNode *node, List *segments, int i)
{
	check_stack_depth();
	for (; i < list_length(segments); i++)
	{
		MxSegment  *sg = (MxSegment *) list_nth(segments, i);
		MxPathNode *child = NULL;
		const char *key = sg->key;
		ListCell   *lc2;
		List	   *arms = NIL;

		if (key != NULL && !MxHasRelation(MxGetRelations(node->table), sg->name))
			arms = MxPolyArms(MxGetRelations(node->table), sg->name);
		if (arms != NIL)
		{
			List	   *armnodes = MxAddPolyPath(node, sg, arms);

			if (i + 1 < list_length(segments))
				MxAddBelowArms(armnodes, segments, i + 1);
			return;
		}
		if (key == NULL)
		{
			/* an unaliased junction::fk is keyed by its target's name */
			MxRelation *rel = MxLookupRelation(MxGetRelations(node->table), sg->name);

			key = get_rel_name(rel->target);
		}
		foreach(lc2, node->children)
		{
			MxPathNode *c = (MxPathNode *) lfirst(lc2);

			CHECK_FOR_INTERRUPTS();
			if (strcmp(c->key, key) == 0)
			{
				child = c;
				break;
			}
		}
		if (child != NULL && (child->poly_arm || strcmp(child->relname, sg->name) != 0))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("output key \"%s\" is produced twice at one level, by \"%s\" and \"%s\"",
							key, child->path, sg->prefix),
					 errhint("Give one of them another output key with an alias: \"alias:name\".")));
		if (child == NULL)
			child = MxAddChild(node, key, sg->name, sg->prefix);
		node = child;
	}
}

/*
 * Parses paths into a tree rooted at source (which the caller has opened).
 * Every path's syntax is checked before any name is resolved: NULL
 * elements are 22004, malformed paths 22023.
 */
MxPathNode *
MxParsePaths(Oid source, Datum *paths, bool *nulls, int npaths)
{
	MxPathNode *root = palloc0(sizeof(MxPathNode));
	List	  **parsed = palloc(sizeof(List *) * Max(npaths, 1));
	int			i;

	root->table = source;
	root->key = "";
	root->path = "";
	for (i = 0; i < npaths; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("relation path %d is null", i + 1)));
		parsed[i] = MxSplitPath(TextDatumGetCString(paths[i]), i + 1);
	}
	for (i = 0; i < npaths; i++)
		MxAddSegments(root, parsed[i], 0);
	return root;
}

/*
 * A copy of a parsed tree (under parent) for another request of the same
 * shape: its own nodes, sharing the resolved relations, names and options
 */
MxPathNode *
MxCopyPaths(MxPathNode *node, MxPathNode *parent)
{
	MxPathNode *copy = palloc(sizeof(MxPathNode));
	ListCell   *lc;

	check_stack_depth();
	memcpy(copy, node, sizeof(MxPathNode));
	copy->parent = parent;
	copy->children = NIL;
	copy->group = NULL;
	copy->exec = NULL;
	foreach(lc, node->children)
		copy->children = lappend(copy->children, MxCopyPaths((MxPathNode *) lfirst(lc), copy));
	return copy;
}

/* True when two edges read the same rows the same way (one statement) */
static bool
MxSameEdge(MxRelation *a, MxRelation *b)
{
	int			h;

	if (a == b)
		return true;
	if (a->target != b->target || a->via != b->via || a->nhops != b->nhops ||
		MxRelToOne(a) != MxRelToOne(b) ||
		(a->nhops == 2 && a->via_unique != b->via_unique))
		return false;
	for (h = 0; h < a->nhops; h++)
	{
		MxHop	   *x = &a->hops[h];
		MxHop	   *y = &b->hops[h];
		int			i;

		if (x->nkeys != y->nkeys)
			return false;
		for (i = 0; i < x->nkeys; i++)
		{
			if (x->inner_cols[i] != y->inner_cols[i] || x->eqops[i] != y->eqops[i] ||
				x->outer_types[i] != y->outer_types[i] ||
				x->collations[i] != y->collations[i])
				return false;
			/* past the first hop, the outer side is the junction itself */
			if (h > 0 && x->outer_cols[i] != y->outer_cols[i])
				return false;
		}
	}
	return true;
}

/* Adds the columns node's children are keyed on to a group's extra columns */
static void
MxAddExtra(List **extra, MxPathNode *node)
{
	ListCell   *lc;

	foreach(lc, node->children)
	{
		MxHop	   *h = &((MxPathNode *) lfirst(lc))->rel->hops[0];
		int			i;

		for (i = 0; i < h->nkeys; i++)
			*extra = list_append_unique_int(*extra, h->outer_cols[i]);
		/* an arm of a polymorphic relation reads its parents' type column */
		if (((MxPathNode *) lfirst(lc))->rel->poly_col > 0)
			*extra = list_append_unique_int(*extra,
											((MxPathNode *) lfirst(lc))->rel->poly_col);
	}
}

/* The columns of node's rows that its children are keyed on */
void
MxNeededColumns(MxPathNode *node, int *ncols, AttrNumber **cols)
{
	List	   *extra = NIL;
	ListCell   *lc;
	int			n = 0;

	MxAddExtra(&extra, node);
	*cols = palloc(sizeof(AttrNumber) * Max(list_length(extra), 1));
	foreach(lc, extra)
		(*cols)[n++] = (AttrNumber) lfirst_int(lc);
	*ncols = n;
}

/*
 * Builds a group's statement: its key columns, then the extra columns
 * (typed: the target's primary key among them, the rows' identity), then
 * the row
 */
static void
MxFinishGroup(MxEdgeGroup *g, MxTable *target, bool typed)
{
	List	   *extra = NIL;
	ListCell   *lc;
	int			n = 0;
	int			i;

	foreach(lc, g->nodes)
		MxAddExtra(&extra, (MxPathNode *) lfirst(lc));
	for (i = 0; typed && i < target->pk_nkeys; i++)
		extra = list_append_unique_int(extra, target->pk_cols[i]);
	memset(&g->stmt, 0, sizeof(MxStmt));
	if (g->depth > 0)
	{
		g->stmt.rel = ((MxPathNode *) linitial(g->nodes))->rel;
		g->stmt.opts = ((MxPathNode *) linitial(g->nodes))->opts;
		g->stmt.dist_only = MxCitusDistOnly(g->nodes, g->stmt.rel);
	}
	g->stmt.target = target;
	g->stmt.typed = typed;
	g->stmt.row_columns = typed;
	g->stmt.nextra = list_length(extra);
	g->stmt.extra = palloc(sizeof(AttrNumber) * Max(g->stmt.nextra, 1));
	foreach(lc, extra)
		g->stmt.extra[n++] = (AttrNumber) lfirst_int(lc);
	MxBuildStmt(&g->stmt);
}

/*
 * Plans a load of one or more roots breadth-first and returns its groups
 * in execution order: first one group per source table of the roots in
 * the keys form (their rows are read by primary key), then depth by depth
 * the edge groups, each with its statement.
 */
List *
MxPlanLoad(List *roots)
{
	List	   *groups = NIL;
	List	   *level = NIL;
	ListCell   *lc;
	bool		typed = roots != NIL && ((MxPathNode *) linitial(roots))->typed;

	foreach(lc, roots)
	{
		MxPathNode *root = (MxPathNode *) lfirst(lc);
		MxEdgeGroup *g = NULL;
		ListCell   *lc2;

		level = lappend(level, root);
		if (root->instances)
			continue;
		foreach(lc2, groups)
			if (((MxPathNode *) linitial(((MxEdgeGroup *) lfirst(lc2))->nodes))->table == root->table)
				g = (MxEdgeGroup *) lfirst(lc2);
		if (g == NULL)
		{
			g = palloc0(sizeof(MxEdgeGroup));
			groups = lappend(groups, g);
		}
		g->nodes = lappend(g->nodes, root);
		root->group = g;
	}
	foreach(lc, groups)
	{
		MxEdgeGroup *g = (MxEdgeGroup *) lfirst(lc);

		MxFinishGroup(g, MxGetTable(((MxPathNode *) linitial(g->nodes))->table), typed);
	}

	while (level != NIL)
	{
		List	   *next = NIL;
		List	   *depth_groups = NIL;

		foreach(lc, level)
		{
			MxPathNode *parent = (MxPathNode *) lfirst(lc);
			ListCell   *lc2;

			foreach(lc2, parent->children)
			{
				MxPathNode *node = (MxPathNode *) lfirst(lc2);
				MxEdgeGroup *g = NULL;
				ListCell   *lc3;

				CHECK_FOR_INTERRUPTS();
				foreach(lc3, depth_groups)
				{
					MxEdgeGroup *cand = (MxEdgeGroup *) lfirst(lc3);

					if (MxSameEdge(((MxPathNode *) linitial(cand->nodes))->rel, node->rel) &&
						MxSameOpts(((MxPathNode *) linitial(cand->nodes))->opts, node->opts))
						g = cand;
				}
				if (g == NULL)
				{
					g = palloc0(sizeof(MxEdgeGroup));
					g->depth = node->depth;
					depth_groups = lappend(depth_groups, g);
				}
				g->nodes = lappend(g->nodes, node);
				node->group = g;
				next = lappend(next, node);
			}
		}
		foreach(lc, depth_groups)
		{
			MxEdgeGroup *g = (MxEdgeGroup *) lfirst(lc);

			MxFinishGroup(g, MxGetTable(((MxPathNode *) linitial(g->nodes))->table), typed);
		}
		groups = list_concat(groups, depth_groups);
		level = next;
	}
	return groups;
}
