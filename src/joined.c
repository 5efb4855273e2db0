/*-------------------------------------------------------------------------
 *
 * joined.c
 *		select_related: the same documents as prefetch_related's keys form,
 *		computed by exactly one statement.
 *
 *		SELECT k.k1, <document of s>
 *		FROM ROWS FROM (pg_catalog.unnest($1)) WITH ORDINALITY AS k(k1, n)
 *		JOIN source s ON s.pk = k.k1
 *		LEFT JOIN target f1 ON f1.key = s.fk				-- per fk edge
 *		LEFT JOIN LATERAL (SELECT pg_catalog.jsonb_agg(<document of c>
 *							  ORDER BY c.pk) AS d
 *						   FROM child c ... WHERE c.fk = s.pk) l2 ON true
 *															-- per ifk edge
 *		LEFT JOIN LATERAL (... FROM (SELECT [DISTINCT] j.b AS v1
 *								FROM junction j WHERE j.a = s.pk) q
 *							  CROSS JOIN LATERAL (SELECT x.* FROM target x
 *								WHERE x.pk = q.v1 OFFSET 0) t ...) l3 ON true
 *															-- per m2m edge
 *
 *		Inside the LATERAL aggregates, fk targets are probed the same way
 *		(MxProbe).
 *		ORDER BY k.n
 *
 *		where a document is to_jsonb(row) || jsonb_build_object(key, child,
 *		...), nested as the paths need.  On Citus, each co-located level is
 *		also filtered by the source keys on its distribution column (so that
 *		Citus prunes), and a table Citus cannot join to its parent's row is
 *		read apart: aggregated per parent key in a subquery joined by key
 *		(MxCorrelated, MxToManyGrouped, MxApart).  Keys arrive distinct, in first-
 *		occurrence order, as one array parameter.  The key match, the hops,
 *		the junction rows, the documents and the spec's conditions are
 *		written by deparse.c's functions, as the batched engine's are.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "parser/parse_coerce.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "citus.h"
#include "execute.h"
#include "keys.h"
#include "loader.h"
#include "matrx_relations.h"
#include "sqlgen.h"

static int	MxRootKeyHop(MxPathNode *node);
static char *MxRootKeyPrune(MxPathNode *child, const char *ia);
static char *MxChildQuals(MxPathNode *child, const char *alias, const char *inner_alias);
static bool MxCorrelated(MxPathNode *node);
static char *MxApart(MxSqlBuilder *b, Oid relid, MxPathNode *child);
static char *MxToManyGrouped(MxSqlBuilder *b, MxPathNode *child, const char *alias,
							 StringInfo from);
static char *MxProbe(Oid relid, const char *alias, const char *quals_alias, const char *quals);
static char *MxDocExpr(MxSqlBuilder *b, MxPathNode *node, const char *alias, StringInfo from,
					   bool nested);
static char *MxToOneJoin(MxSqlBuilder *b, MxPathNode *child, const char *alias,
						 StringInfo from, bool nested, char **found);
static char *MxToOneValue(MxSqlBuilder *b, MxPathNode *child, const char *alias,
						  StringInfo from, bool nested);
static char *MxPolyValue(MxSqlBuilder *b, List *children, int *i, const char *alias,
						 StringInfo from, bool nested);
static char *MxToManyValue(MxSqlBuilder *b, MxPathNode *child, const char *alias,
						   StringInfo from);
static char *MxArmGuard(const MxRelation *rel, const char *alias);
static char *MxHopQuals(MxPathNode *child, const char *outer_alias, const char *inner_alias);
static char *MxEdgeQuals(MxSqlBuilder *b, MxPathNode *node, const char *alias, char *quals);
static int	MxCountParams(MxPathNode *node);
static char *MxBuildJoinedSQL(MxTable *source, MxPathNode *root, int *nparams, Datum **params,
							  Oid **types);
static void MxCollectJoinedRow(void *arg, HeapTuple tuple, TupleDesc desc);

/* select_related's documents by key, as its statement returns them */
typedef struct MxJoinedRows
{
	MxKeySet   *keys;			/* the keys fetched, in order */
	Jsonb	  **docs;			/* per key: its document, or NULL */
	MemoryContext cxt;
} MxJoinedRows;

/*
 * quals, AND the spec's conditions of node's edge on alias (their values
 * become the builder's next parameters)
 */
static char *
MxEdgeQuals(MxSqlBuilder *b, MxPathNode *node, const char *alias, char *quals)
{
	char	   *opt = MxBuilderQuals(b, node->opts, node->table, alias);

	if (opt == NULL)
		return quals;
	return strcmp(quals, "true") == 0 ? opt : psprintf("%s AND %s", quals, opt);
}

/* How many parameters the spec's conditions of a tree take */
static int
MxCountParams(MxPathNode *node)
{
	ListCell   *lc;
	int			n = node->opts ? node->opts->nparams : 0;

	foreach(lc, node->children)
		n += MxCountParams((MxPathNode *) lfirst(lc));
	return n;
}

/*
 * Whether the row under alias has polymorphic arm rel's type value: its
 * type column's text (as its output function writes it, which is what
 * prefetch_related compares; a cast to text differs for bool or char(n))
 * equal to the type value byte for byte (collation "C")
 */
static char *
MxArmGuard(const MxRelation *rel, const char *alias)
{
	Oid			type = getBaseType(get_atttype(rel->source, rel->poly_col));
	char	   *col = psprintf("%s.%s", alias, MxQuoteCol(rel->source, rel->poly_col));
	char	   *text = col;
	Oid			func;

	if (type != TEXTOID)
	{
		CoercionPathType path = find_coercion_pathway(TEXTOID, type, COERCION_EXPLICIT, &func);

		text = path == COERCION_PATH_RELABELTYPE || path == COERCION_PATH_COERCEVIAIO ?
			psprintf("CAST(%s AS pg_catalog.text)", col) :
			psprintf("pg_catalog.format('%%s'::pg_catalog.text, %s)", col);
	}
	return psprintf("%s COLLATE pg_catalog.\"C\" OPERATOR(pg_catalog.=) %s::pg_catalog.text",
					text, quote_literal_cstr(rel->poly_value));
}

/*
 * "inner.c1 OP outer.c1 AND ..." for child's first hop from the outer row
 * under outer_alias.  For a polymorphic arm each outer column is NULL
 * unless the row has the arm's type value, so that only its own rows'
 * keys reach the arm's key cast ('abc' of a Link never meets integer)
 */
static char *
MxHopQuals(MxPathNode *child, const char *outer_alias, const char *inner_alias)
{
	const MxHop *hop = &child->rel->hops[0];
	char	  **outer = MxColumnRefs(outer_alias, hop->outer_rel, hop->nkeys, hop->outer_cols);
	StringInfoData buf;
	int			i;

	if (child->rel->poly_col > 0)
	{
		char	   *guard = MxArmGuard(child->rel, outer_alias);

		for (i = 0; i < hop->nkeys; i++)
			outer[i] = psprintf("CASE WHEN %s THEN %s END", guard, outer[i]);
	}
	initStringInfo(&buf);
	MxAppendHopMatch(&buf, hop, inner_alias, outer, hop->outer_types);
	return buf.data;
}

/*
 * The column of hops[0] of node's edge whose outer side holds the source
 * key node's parent was reached by (through the key's own equality
 * operator and collation at every hop), or -1.
 */
static int
MxRootKeyHop(MxPathNode *node)
{
	MxPathNode *root = node;
	MxTable    *src;
	const MxHop *hop = &node->rel->hops[0];
	AttrNumber	parent_col;
	int			i;

	while (root->parent != NULL)
		root = root->parent;
	src = MxGetTable(root->table);
	if (node->parent == root)
		parent_col = src->pk_cols[0];
	else if (node->parent->rel->nhops == 1 && (i = MxRootKeyHop(node->parent)) >= 0)
		parent_col = node->parent->rel->hops[0].inner_cols[i];
	else
		return -1;
	for (i = 0; i < hop->nkeys; i++)
		if (hop->outer_cols[i] == parent_col && hop->eqops[i] == src->pk_eqops[0] &&
			hop->collations[i] == src->pk_collations[0])
			return i;
	return -1;
}

/*
 * On Citus, "ia.col OP ANY ($1)": the source keys filtering the
 * distribution column of the table child's first hop reaches (under ia),
 * when the hop equates that column to the source key (MxCitusPrune); else
 * NULL.  Citus routes a co-located subquery to the keys' shards only when
 * it is filtered so.
 */
static char *
MxRootKeyPrune(MxPathNode *child, const char *ia)
{
	int			i = MxRootKeyHop(child);
	MxPathNode *root = child;

	if (i < 0)
		return NULL;
	while (root->parent != NULL)
		root = root->parent;
	/* $1: the source keys, of the primary key's type */
	return MxCitusPrune(&child->rel->hops[0], i, ia, "$1", MxGetTable(root->table)->pk_types[0]);
}

/*
 * The match of child's first hop from the row under alias to the hop's
 * inner table under inner_alias, AND the source keys' filter of
 * MxRootKeyPrune when there is one.
 */
static char *
MxChildQuals(MxPathNode *child, const char *alias, const char *inner_alias)
{
	char	   *quals = MxHopQuals(child, alias, inner_alias);
	char	   *prune = MxRootKeyPrune(child, inner_alias);

	return prune == NULL ? quals : psprintf("%s AND %s", quals, prune);
}

/*
 * Whether node's rows can be read correlated to its parent's row (a join,
 * a probe, a LATERAL aggregate) in select_related's statement.  Citus joins
 * distributed tables in one statement only when they are co-located and
 * joined on their distribution columns: a hash-distributed table is read
 * so only when it is in the source's co-location group, its distribution
 * column equated to the source key by the edge's first hop, under
 * ancestors read so.  A plain table (Citus has no join of one with a
 * distributed table) is read so only under a source that is no Citus
 * table.  Without Citus, and reference tables: always.
 */
static bool
MxCorrelated(MxPathNode *node)
{
	MxRelation *rel = node->rel;
	MxPathNode *p;
	Oid			inner;
	int32		group;
	int			i;

	if (node->parent == NULL || !MxCitusPresent())
		return true;
	for (p = node->parent; p->parent != NULL; p = p->parent)
		;
	inner = rel->nhops == 1 ? node->table : rel->via;
	if (MxCitusTable(p->table) && (!MxCitusTable(inner) || !MxCitusTable(node->table)))
		return false;
	if (MxCitusDistColumn(inner) == InvalidAttrNumber &&
		MxCitusDistColumn(node->table) == InvalidAttrNumber)
		return true;
	for (p = node->parent; p->parent != NULL; p = p->parent)
		if (!MxCorrelated(p))
			return false;
	/* p is the root; an m2m target is not reached by the source key */
	group = MxCitusColocation(inner);
	if (rel->nhops == 2 && MxCitusDistColumn(node->table) != InvalidAttrNumber)
		return false;
	i = MxRootKeyHop(node);
	return i >= 0 && group != 0 && group == MxCitusColocation(p->table) &&
		rel->hops[0].inner_cols[i] == MxCitusDistColumn(inner);
}

/*
 * "(SELECT x.* FROM relid x [WHERE prune])": a table Citus cannot join to
 * the statement's other tables, as a subquery it plans apart (its rows
 * become an intermediate result joined in); for the target of child's
 * first hop, filtered by the source keys when MxRootKeyPrune can.
 */
static char *
MxApart(MxSqlBuilder *b, Oid relid, MxPathNode *child)
{
	char	   *x = MxBuilderAlias(b);
	char	   *prune = child != NULL ? MxRootKeyPrune(child, x) : NULL;

	return psprintf("(SELECT %s.* FROM %s %s%s%s)", x, MxQuoteRel(relid), x,
					prune != NULL ? " WHERE " : "", prune != NULL ? prune : "");
}

/*
 * "LATERAL (SELECT x.* FROM relid x WHERE quals OFFSET 0) alias": a row
 * looked up by a unique key once per outer row.  quals name the target as
 * quals_alias.  OFFSET 0 keeps the planner from flattening it into a join:
 * inside a LATERAL aggregate, which runs once per parent row, a flattened
 * join of a small target is planned as a hash join that reads the whole
 * target each time (500 tags, once per product: 3x slower than the
 * LATERAL + json_agg shape it is meant to beat), where an index probe per
 * row is what the statement needs.
 */
static char *
MxProbe(Oid relid, const char *alias, const char *quals_alias, const char *quals)
{
	return psprintf("LATERAL (SELECT %s.* FROM %s %s WHERE %s OFFSET 0) %s",
					quals_alias, MxQuoteRel(relid), quals_alias, quals, alias);
}

/*
 * A to-one (fk) child of the row under alias: its target LEFT JOINed into
 * from (probed row by row when nested).  Returns the child's document;
 * *found: the condition that it has a row (the joined key column is not
 * null).
 */
static char *
MxToOneJoin(MxSqlBuilder *b, MxPathNode *child, const char *alias, StringInfo from,
			bool nested, char **found)
{
	MxRelation *rel = child->rel;
	char	   *a = MxBuilderAlias(b);

	if (!MxCorrelated(child))
		appendStringInfo(from, " LEFT JOIN %s %s ON %s", MxApart(b, child->table, child), a,
						 MxEdgeQuals(b, child, a, MxHopQuals(child, alias, a)));
	else if (nested && rel->target_unique)
	{
		char	   *x = MxBuilderAlias(b);

		appendStringInfo(from, " LEFT JOIN %s ON true",
						 MxProbe(child->table, a, x,
								 MxEdgeQuals(b, child, x, MxChildQuals(child, alias, x))));
	}
	else
		appendStringInfo(from, " LEFT JOIN %s %s ON %s", MxQuoteRel(child->table), a,
						 MxEdgeQuals(b, child, a, MxChildQuals(child, alias, a)));
	*found = psprintf("%s.%s IS NOT NULL", a,
					  MxQuoteCol(child->table, rel->hops[0].inner_cols[0]));
	return MxDocExpr(b, child, a, from, nested);
}

/* A to-one child's value: its document when it has a row, else null */
static char *
MxToOneValue(MxSqlBuilder *b, MxPathNode *child, const char *alias, StringInfo from,
			 bool nested)
{
	char	   *found;
	char	   *doc = MxToOneJoin(b, child, alias, from, nested, &found);

	return psprintf("CASE WHEN %s THEN %s END", found, doc);
}

/*
 * The value of a polymorphic relation: the arms children[*i] onwards
 * that share its output key (consecutive, in name order), each joined
 * with its type filter (MxHopQuals); the first arm with a row gives the
 * object, marked with its table as MxPolyMarked marks it, else null.
 * *i is left on the last arm.
 */
static char *
MxPolyValue(MxSqlBuilder *b, List *children, int *i, const char *alias, StringInfo from,
			bool nested)
{
	const char *key = ((MxPathNode *) list_nth(children, *i))->key;
	StringInfoData value;

	initStringInfo(&value);
	appendStringInfoString(&value, "CASE");
	for (; *i < list_length(children); (*i)++)
	{
		MxPathNode *arm = (MxPathNode *) list_nth(children, *i);
		Oid			relid = arm->table;
		char	   *found;
		char	   *doc;

		if (!arm->poly_arm || strcmp(arm->key, key) != 0)
			break;
		doc = MxToOneJoin(b, arm, alias, from, nested, &found);
		appendStringInfo(&value, " WHEN %s THEN %s OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(%s::pg_catalog.text, %s::pg_catalog.text)",
						 found, doc, quote_literal_cstr(arm->rel->poly_marker),
						 quote_literal_cstr(quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
																	   get_rel_name(relid))));
	}
	(*i)--;
	appendStringInfoString(&value, " END");
	return value.data;
}

/*
 * A to-many (ifk, m2m) child of the row under alias: a LATERAL aggregate
 * over its rows joined into from, in the edge's order (default: primary
 * key order), and its value: that array, or [] for none.  With a limit,
 * the rows are first cut to the parent's first n in that order.
 */
static char *
MxToManyValue(MxSqlBuilder *b, MxPathNode *child, const char *alias, StringInfo from)
{
	MxRelation *rel = child->rel;
	MxTable    *target = MxGetTable(child->table);
	char	   *a = MxBuilderAlias(b);
	char	   *l = MxBuilderAlias(b);
	bool		limited = child->opts != NULL && child->opts->limit >= 0;
	char	   *ta = limited ? MxBuilderAlias(b) : a;
	StringInfoData sub;
	char	   *where;
	char	   *cdoc;
	char	   *jq = NULL;		/* kept duplicate links: the junction rows' alias */

	initStringInfo(&sub);
	if (rel->nhops == 1)
	{
		appendStringInfo(&sub, "%s %s", MxQuoteRel(child->table), ta);
		where = MxChildQuals(child, alias, ta);
	}
	else
	{
		/*
		 * The parent's junction rows joined to the target: the junction's
		 * index drives, each target appears once.
		 */
		const MxHop *h1 = &rel->hops[1];
		char	   *j = MxBuilderAlias(b);
		char	   *q = MxBuilderAlias(b);
		char	   *x = rel->target_unique ? MxBuilderAlias(b) : ta;
		StringInfoData quals;

		initStringInfo(&quals);
		MxAppendHopMatch(&quals, h1, x, MxNumberedRefs(q, "v", h1->nkeys), h1->outer_types);
		MxAppendJunctionRows(&sub, rel, !rel->via_unique, 0, NULL, j,
							 psprintf("%s %s", MxQuoteRel(rel->via), j),
							 MxChildQuals(child, alias, j), q,
							 MxKeepsDuplicates(child->opts, rel));
		if (MxKeepsDuplicates(child->opts, rel))
			jq = q;
		if (rel->target_unique)
			appendStringInfo(&sub, " CROSS JOIN %s", MxProbe(child->table, ta, x, quals.data));
		else
			appendStringInfo(&sub, " JOIN %s %s ON %s", MxQuoteRel(child->table), ta, quals.data);
		where = "true";
	}
	where = MxEdgeQuals(b, child, ta, where);
	if (limited)
	{
		StringInfoData cut;

		initStringInfo(&cut);
		if (jq == NULL)
			appendStringInfo(&cut, "(SELECT %s.* FROM %s WHERE %s", ta, sub.data, where);
		else
		{
			int			o;

			/* the junction's order goes along, beside the row, not in it */
			appendStringInfo(&cut, "(SELECT CAST(ROW(%s.*) AS %s) AS r", ta,
							 MxQuoteType(get_rel_type_id(child->table)));
			for (o = 1; o <= MxGetTable(rel->via)->order_ncols; o++)
				appendStringInfo(&cut, ", %s.o%d AS o%d", jq, o, o);
			appendStringInfo(&cut, " FROM %s WHERE %s", sub.data, where);
		}
		MxEdgeOrder(&cut, child->opts, target, ta, rel, jq);
		if (jq == NULL)
			appendStringInfo(&cut, " LIMIT " INT64_FORMAT ") %s", child->opts->limit, a);
		else
		{
			char	   *c = MxBuilderAlias(b);

			appendStringInfo(&cut, " LIMIT " INT64_FORMAT ") %s CROSS JOIN LATERAL (SELECT (%s.r).*) %s",
							 child->opts->limit, c, c, a);
			jq = c;
		}
		sub = cut;
		where = "true";
	}
	cdoc = MxDocExpr(b, child, a, &sub, true);
	appendStringInfo(from, " LEFT JOIN LATERAL (SELECT pg_catalog.jsonb_agg(%s", cdoc);
	MxEdgeOrder(from, child->opts, target, a, rel, jq);
	appendStringInfo(from, ") AS d FROM %s WHERE %s) %s ON true", sub.data, where, l);
	return psprintf("COALESCE(%s.d, '[]'::pg_catalog.jsonb)", l);
}

/*
 * A to-many child that Citus cannot join to its parent's row
 * (MxCorrelated): its documents aggregated per parent key in a subquery
 * Citus plans apart, filtered by the source keys when its first hop
 * reaches them, joined to the parent by key:
 *
 *   LEFT JOIN (SELECT c.fk AS g1, jsonb_agg(<document of c> ORDER BY ..) AS d
 *              FROM child c ... WHERE ... GROUP BY c.fk) l ON l.g1 OP parent.col
 *
 * (m2m: the junction rows keyed by their first hop's columns, joined to
 * the target).  A per-parent limit has no such shape: an error.
 */
static char *
MxToManyGrouped(MxSqlBuilder *b, MxPathNode *child, const char *alias, StringInfo from)
{
	MxRelation *rel = child->rel;
	const MxHop *h0 = &rel->hops[0];
	char	  **outer = MxColumnRefs(alias, h0->outer_rel, h0->nkeys, h0->outer_cols);
	char	   *a = MxBuilderAlias(b);
	char	   *l = MxBuilderAlias(b);
	char	  **groups;
	char	   *where;
	char	   *cdoc;
	StringInfoData sub;
	int			i;

	if (MxKeepsDuplicates(child->opts, rel))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("select_related cannot keep duplicate links of \"%s\" on Citus", child->path),
				 errdetail("Its table is not co-located with the source, so Citus cannot join it to each parent row."),
				 errhint("Use prefetch_related, which loads it with a statement of its own.")));
	if (child->opts != NULL && child->opts->limit >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("select_related cannot limit \"%s\" per parent on Citus", child->path),
				 errdetail("Its table is not co-located with the source, so Citus cannot join it to each parent row."),
				 errhint("Use prefetch_related, which loads it with a statement of its own.")));
	initStringInfo(&sub);
	if (rel->nhops == 1)
	{
		char	   *prune = MxRootKeyPrune(child, a);

		appendStringInfo(&sub, "%s %s", MxQuoteRel(child->table), a);
		groups = MxColumnRefs(a, child->table, h0->nkeys, h0->inner_cols);
		where = prune != NULL ? prune : "true";
	}
	else
	{
		const MxHop *h1 = &rel->hops[1];
		char	   *j = MxBuilderAlias(b);
		char	   *q = MxBuilderAlias(b);
		bool		apart = MxCitusDistColumn(child->table) != InvalidAttrNumber;

		MxAppendJunctionRows(&sub, rel, !rel->via_unique, h0->nkeys,
							 MxColumnRefs(j, rel->via, h0->nkeys, h0->inner_cols), j,
							 psprintf("%s %s", MxQuoteRel(rel->via), j),
							 MxRootKeyPrune(child, j), q, false);
		appendStringInfo(&sub, " JOIN %s %s ON ",
						 apart ? MxApart(b, child->table, NULL) : MxQuoteRel(child->table), a);
		MxAppendHopMatch(&sub, h1, a, MxNumberedRefs(q, "v", h1->nkeys), h1->outer_types);
		groups = MxNumberedRefs(q, "k", h0->nkeys);
		where = "true";
	}
	where = MxEdgeQuals(b, child, a, where);
	cdoc = MxDocExpr(b, child, a, &sub, true);
	appendStringInfoString(from, " LEFT JOIN (SELECT ");
	for (i = 0; i < h0->nkeys; i++)
		appendStringInfo(from, "%s AS g%d, ", groups[i], i + 1);
	appendStringInfo(from, "pg_catalog.jsonb_agg(%s", cdoc);
	MxOptsOrder(from, child->opts, MxGetTable(child->table), a);
	appendStringInfo(from, ") AS d FROM %s WHERE %s GROUP BY ", sub.data, where);
	for (i = 0; i < h0->nkeys; i++)
		appendStringInfo(from, "%s%s", i > 0 ? ", " : "", groups[i]);
	appendStringInfo(from, ") %s ON ", l);
	for (i = 0; i < h0->nkeys; i++)
		appendStringInfo(from, "%s%s", i > 0 ? " AND " : "",
						 MxQual(psprintf("%s.g%d", l, i + 1), h0->inner_types[i],
								h0->inner_collations[i], h0->eqops[i], outer[i],
								h0->outer_types[i], h0->collations[i], false));
	return psprintf("COALESCE(%s.d, '[]'::pg_catalog.jsonb)", l);
}

/*
 * The document expression of node's row under alias: its value plus one
 * key per child.  fk children join into from (the FROM clause of the
 * query level that holds alias); to-many children become LATERAL
 * aggregates there.  nested: from is such an aggregate's, run once per
 * parent row, where unique targets are probed row by row (MxProbe).
 */
static char *
MxDocExpr(MxSqlBuilder *b, MxPathNode *node, const char *alias, StringInfo from, bool nested)
{
	StringInfoData doc;
	int			pairs = 0;
	int			i;

	check_stack_depth();
	initStringInfo(&doc);
	appendStringInfoString(&doc, MxPayload(false, node->opts, node->table, alias));
	for (i = 0; i < list_length(node->children); i++)
	{
		MxPathNode *child = (MxPathNode *) list_nth(node->children, i);
		char	   *value;

		CHECK_FOR_INTERRUPTS();
		if (child->poly_arm)
			value = MxPolyValue(b, node->children, &i, alias, from, nested);
		else if (MxRelToOne(child->rel))
			value = MxToOneValue(b, child, alias, from, nested);
		else if (MxCorrelated(child))
			value = MxToManyValue(b, child, alias, from);
		else
			value = MxToManyGrouped(b, child, alias, from);
		/* value || jsonb_build_object(k, v, ...) || jsonb_build_object(...) */
		if (pairs == 0)
			appendStringInfoString(&doc, " || ");
		MxAppendPairSep(&doc, pairs++);
		appendStringInfo(&doc, "%s::pg_catalog.text, %s", quote_literal_cstr(child->key), value);
	}
	if (pairs == 0)
		return doc.data;
	appendStringInfoChar(&doc, ')');
	return psprintf("(%s)", doc.data);
}

/*
 * The one statement of select_related for a parsed path tree rooted at
 * source (which has a single-column primary key); $1 is the array of
 * distinct keys, of the key's type, and the spec's values follow: their
 * number, values and types into *nparams, *params and *types.
 */
static char *
MxBuildJoinedSQL(MxTable *source, MxPathNode *root, int *nparams, Datum **params, Oid **types)
{
	MxSqlBuilder b;
	StringInfoData from;
	MxHop		pk;
	char	   *doc;

	MxBuilderInit(&b, 2, MxCountParams(root));
	MxPkHop(source, &pk);
	initStringInfo(&from);
	MxAppendKeyJoin(&from, &pk, source->pk_types, 1, "mx_k", true, "mx_s");
	doc = MxDocExpr(&b, root, "mx_s", &from, false);
	*nparams = b.nparams;
	*params = b.params;
	*types = b.param_types;
	appendStringInfo(&b.sql, "SELECT mx_k.k1, %s FROM %s ORDER BY mx_k.n", doc, from.data);
	return b.sql.data;
}

/* Row callback of select_related: a key and its document */
static void
MxCollectJoinedRow(void *arg, HeapTuple tuple, TupleDesc desc)
{
	MxJoinedRows *jr = (MxJoinedRows *) arg;
	Datum		key;
	bool		isnull;
	int			k = MxRowKey(jr->keys, 1, tuple, desc, &key);
	Datum		d;
	MemoryContext old;

	if (k < 0)
		return;
	d = SPI_getbinval(tuple, desc, 2, &isnull);
	if (isnull)
		return;
	old = MemoryContextSwitchTo(jr->cxt);
	jr->docs[k] = DatumGetJsonbPCopy(d);
	MemoryContextSwitchTo(old);
}

/*
 * Runs select_related for a keys-form request, its documents handed to
 * req->emit in the order of its keys: those the relation cache holds from
 * it, the others from one statement (then cached).
 */
void
MxJoinedLoad(MxRequest *req)
{
	MxTable    *src = MxGetTable(req->source);
	MxJoinedRows jr;
	int			f = 0;
	int			i;

	if (req->nkeys == 0)
		return;
	MxRequestCache(req, "select_related");
	jr.cxt = CurrentMemoryContext;
	jr.keys = MxKeySetCreate(jr.cxt, 1, src->pk_types, src->pk_collations);
	jr.docs = MxAllocArray(req->nfetch, sizeof(Jsonb *), true);
	for (i = 0; i < req->nfetch; i++)
	{
		bool		isnew;

		CHECK_FOR_INTERRUPTS();
		(void) MxKeySetAdd(jr.keys, &req->fetch[i], &isnew);
	}
	if (req->nfetch > 0)
	{
		int			nopt;
		Datum	   *opt_params;
		Oid		   *opt_types;
		char	   *sql = MxBuildJoinedSQL(src, req->root, &nopt, &opt_params, &opt_types);
		Oid		   *argtypes = palloc(sizeof(Oid) * (nopt + 1));
		Datum	   *params = palloc(sizeof(Datum) * (nopt + 1));
		int16		len;
		bool		byval;
		char		align;

		/* $1 the keys, then the spec's values */
		argtypes[0] = get_array_type(src->pk_types[0]);
		memcpy(&argtypes[1], opt_types, sizeof(Oid) * nopt);
		memcpy(&params[1], opt_params, sizeof(Datum) * nopt);
		get_typlenbyvalalign(src->pk_types[0], &len, &byval, &align);
		params[0] = PointerGetDatum(construct_array(req->fetch, req->nfetch, src->pk_types[0],
													len, byval, align));
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		MxRunPlan(MxChoosePlan(sql, nopt + 1, argtypes, req->nfetch), params, NULL,
				  MxCollectJoinedRow, &jr);
		SPI_finish();
	}
	for (i = 0; i < req->nkeys; i++)
	{
		Jsonb	   *doc;

		CHECK_FOR_INTERRUPTS();
		if (!MxRequestCached(req, i, &doc))
		{
			doc = jr.docs[f++];
			MxRequestRemember(req, i, doc);
		}
		if (doc != NULL)
			req->emit(req->emit_arg, doc);
	}
}
