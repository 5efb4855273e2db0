/*-------------------------------------------------------------------------
 *
 * citusmatch.c
 *		Composite keys led by a Citus distribution column, matched on the
 *		coordinator.
 *
 *		A nested load's second level (customers -> orders -> items, all
 *		distributed on customer_id) has composite keys: 10,000 orders'
 *		(customer_id, id) pairs for 1,000 customers.  Zipped from arrays,
 *		they cost Citus dearly: it writes parameter values into the text
 *		of every shard task, so each of the 32 tasks carries both
 *		10,000-element arrays, and each worker parses them and probes its
 *		shard with all 10,000 pairs, of which 1/32 can match.
 *
 *		When every parent row set that gives a statement its keys holds
 *		all the rows of its table whose column c has one of the values its
 *		own statement matched (a one-hop relation keyed on c, no "where",
 *		no "limit", no polymorphic arm), and the child's key column on c
 *		is the child table's distribution column, the statement filters
 *		the child by that column alone, "dist = ANY (distinct values)"
 *		(1,000 values, pruned to their shards), and returns the child's
 *		own key columns: the loader keeps only the rows whose key it asked
 *		for (MxCollectSlot drops the others).  The rows it reads beyond
 *		those are the children of no parent row: a child row with one of
 *		those distribution values that references an existing parent row
 *		references one that was loaded.  Elsewhere (a filtered parent, a
 *		parent read through a junction, a tenant of whose rows only some
 *		were asked for) this would read every row of each tenant, so the
 *		keys stay zipped.
 *
 *		Only for Citus distributed tables, which the relation cache never
 *		keeps (so every key of the statement is fetched by it).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

#include "citus.h"
#include "keys.h"
#include "matrx_relations.h"
#include "path.h"
#include "sqlgen.h"

static bool MxWholeParents(const MxPathNode *node, int d);

/*
 * True when node's parent rows are all the rows of their table whose
 * column feeding node's key column d had one of the values the parent's
 * statement matched: the parent's relation is one hop keyed on that one
 * column, without a condition, a limit or a polymorphic arm.
 */
static bool
MxWholeParents(const MxPathNode *node, int d)
{
	const MxPathNode *parent = node->parent;
	const MxRelation *prel = parent->rel;

	if (node->rel->poly_col != 0 || prel == NULL || prel->nhops != 1 ||
		prel->poly_col != 0 || prel->defaults != NULL || prel->hops[0].nkeys != 1)
		return false;
	if (parent->opts != NULL && (parent->opts->nquals > 0 || parent->opts->limit >= 0))
		return false;
	return prel->hops[0].inner_cols[0] == node->rel->hops[0].outer_cols[d];
}

/*
 * For a group's statement (its nodes, the relation of the first): 1 + the
 * key column by whose distinct values alone the statement may filter
 * (see above), or 0: its keys are zipped and matched in full.  The
 * statement's writer (MxBuildStmt) may still decline the shape.
 */
int
MxCitusDistOnly(List *nodes, const MxRelation *rel)
{
	const MxHop *hop0;
	AttrNumber	dist;
	ListCell   *lc;
	int			d;

	if (rel == NULL || rel->nhops != 1 || rel->hops[0].nkeys < 2)
		return 0;
	hop0 = &rel->hops[0];
	dist = MxCitusDistColumn(hop0->inner_rel);
	if (dist == InvalidAttrNumber)
		return 0;
	for (d = 0; d < hop0->nkeys && hop0->inner_cols[d] != dist; d++)
		;
	if (d == hop0->nkeys)
		return 0;
	foreach(lc, nodes)
		if (!MxWholeParents((MxPathNode *) lfirst(lc), d))
			return 0;
	return d + 1;
}

/*
 * The array of the distinct values of key column d among keys
 * which[0..n-1] of set (the statement's only filter, see above)
 */
Datum
MxDistinctKeyArray(const MxStmt *stmt, MxKeySet *set, const int *which, int n, int d)
{
	MxKeySet   *values = MxKeySetCreate(CurrentMemoryContext, 1, &stmt->key_types[d],
										&stmt->key_collations[d]);
	Datum	   *col;
	int			nvalues;
	int			k;
	int16		len;
	bool		byval;
	char		align;
	bool		isnew;

	for (k = 0; k < n; k++)
	{
		CHECK_FOR_INTERRUPTS();
		(void) MxKeySetAdd(values, &MxKeySetKey(set, which[k])[d], &isnew);
	}
	nvalues = MxKeySetCount(values);
	col = MxAllocArray(nvalues, sizeof(Datum), false);
	for (k = 0; k < nvalues; k++)
		col[k] = MxKeySetKey(values, k)[0];
	get_typlenbyvalalign(stmt->key_types[d], &len, &byval, &align);
	return PointerGetDatum(construct_array(col, nvalues, stmt->key_types[d], len, byval, align));
}
