/*-------------------------------------------------------------------------
 *
 * joined.c
 *		select_related: the same documents as prefetch_related's keys form,
 *		computed by exactly one statement.
 *
 *		SELECT k.v, <document of s>
 *		FROM ROWS FROM (pg_catalog.unnest($1)) WITH ORDINALITY AS k(v, n)
 *		JOIN source s ON s.pk = k.v
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
 *		...), nested as the paths need.  Keys arrive distinct, in first-
 *		occurrence order, as one array parameter; names and operators come
 *		from the catalog exactly as in sqlgen.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "path.h"
#include "sqlgen.h"

/* jsonb_build_object takes at most this many key/value pairs per call */
#define MX_PAIRS_PER_CALL 40

static int	mx_alias_counter;

/* the spec's parameters, $2 on, as the statement numbers them */
static int	mx_nparams;
static Datum *mx_params;
static Oid *mx_param_types;

static char *MxNewAlias(void);
static char *MxHopQuals(MxHop *hop, const char *outer_alias, const char *inner_alias);
static char *MxProbe(Oid relid, const char *alias, const char *quals_alias, const char *quals);
static char *MxDocExpr(MxPathNode *node, const char *alias, StringInfo from, bool nested);
static char *MxEdgeQuals(MxPathNode *node, const char *alias, const char *quals);
static int	MxCountParams(MxPathNode *node);

/*
 * quals, AND the spec's conditions of node's edge on alias (their values
 * become the next parameters)
 */
static char *
MxEdgeQuals(MxPathNode *node, const char *alias, const char *quals)
{
	char	   *opt = MxOptsQuals(node->opts, node->table, alias, mx_nparams + 2);

	if (opt == NULL)
		return pstrdup(quals);
	mx_nparams += MxOptsParams(node->opts, &mx_params[mx_nparams], &mx_param_types[mx_nparams]);
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

/* A fresh table alias for this statement */
static char *
MxNewAlias(void)
{
	return psprintf("mx_%d", ++mx_alias_counter);
}

/* "inner.c1 OP outer.c1 AND ..." for one hop */
static char *
MxHopQuals(MxHop *hop, const char *outer_alias, const char *inner_alias)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < hop->nkeys; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? " AND " : "",
						 MxQual(psprintf("%s.%s", inner_alias, MxQuoteCol(hop->inner_rel, hop->inner_cols[i])),
								hop->inner_types[i], hop->inner_collations[i], hop->eqops[i],
								psprintf("%s.%s", outer_alias, MxQuoteCol(hop->outer_rel, hop->outer_cols[i])),
								hop->outer_types[i], hop->collations[i], false));
	return buf.data;
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
 * The document expression of node's row under alias: to_jsonb(row) plus
 * one key per child.  fk children join into from (the FROM clause of the
 * query level that holds alias); to-many children become LATERAL
 * aggregates there.  nested: from is such an aggregate's, run once per
 * parent row, where unique targets are probed row by row (MxProbe).
 */
static char *
MxDocExpr(MxPathNode *node, const char *alias, StringInfo from, bool nested)
{
	StringInfoData doc;
	ListCell   *lc;
	int			pairs = 0;

	check_stack_depth();
	initStringInfo(&doc);
	appendStringInfoString(&doc, MxOptsPayload(node->opts, node->table, alias));
	foreach(lc, node->children)
	{
		MxPathNode *child = (MxPathNode *) lfirst(lc);
		MxRelation *rel = child->rel;
		MxTable    *target = MxGetTable(child->table);
		char	   *a = MxNewAlias();
		char	   *value;

		CHECK_FOR_INTERRUPTS();
		if (rel->kind == MX_KIND_FK)
		{
			/* a LEFT JOIN: matched exactly when the joined key column is not null */
			char	   *cdoc;

			if (nested && rel->target_unique)
			{
				char	   *x = MxNewAlias();

				appendStringInfo(from, " LEFT JOIN %s ON true",
								 MxProbe(child->table, a, x,
										 MxEdgeQuals(child, x, MxHopQuals(&rel->hops[0], alias, x))));
			}
			else
				appendStringInfo(from, " LEFT JOIN %s %s ON %s", MxQuoteRel(child->table), a,
								 MxEdgeQuals(child, a, MxHopQuals(&rel->hops[0], alias, a)));
			cdoc = MxDocExpr(child, a, from, nested);
			value = psprintf("CASE WHEN %s.%s IS NOT NULL THEN %s END", a,
							 MxQuoteCol(child->table, rel->hops[0].inner_cols[0]), cdoc);
		}
		else
		{
			/*
			 * A LATERAL aggregate over the children, in the edge's order
			 * (default: primary key order).  With a limit, the rows (alias
			 * ta) are first cut to the parent's first n in that order.
			 */
			StringInfoData sub;
			char	   *l = MxNewAlias();
			bool		limited = child->opts != NULL && child->opts->limit >= 0;
			char	   *ta = limited ? MxNewAlias() : a;
			char	   *cdoc;
			char	   *where;
			int			i;

			initStringInfo(&sub);
			if (rel->nhops == 1)
			{
				appendStringInfo(&sub, "%s %s", MxQuoteRel(child->table), ta);
				where = MxHopQuals(&rel->hops[0], alias, ta);
			}
			else
			{
				/*
				 * The parent's junction rows (distinct target keys unless a
				 * unique constraint already says so), joined to the target:
				 * the junction's index drives, each target appears once.
				 */
				MxHop	   *h1 = &rel->hops[1];
				char	   *j = MxNewAlias();
				char	   *q = MxNewAlias();
				char	   *x = rel->target_unique ? MxNewAlias() : ta;
				StringInfoData cols;
				StringInfoData quals;

				initStringInfo(&cols);
				for (i = 0; i < h1->nkeys; i++)
					appendStringInfo(&cols, "%s%s.%s AS v%d", i > 0 ? ", " : "", j,
									 MxQuoteCol(rel->via, h1->outer_cols[i]), i + 1);
				initStringInfo(&quals);
				for (i = 0; i < h1->nkeys; i++)
					appendStringInfo(&quals, "%s%s", i > 0 ? " AND " : "",
									 MxQual(psprintf("%s.%s", x, MxQuoteCol(child->table, h1->inner_cols[i])),
											h1->inner_types[i], h1->inner_collations[i], h1->eqops[i],
											psprintf("%s.v%d", q, i + 1), h1->outer_types[i],
											h1->collations[i], false));
				appendStringInfo(&sub, "(SELECT %s%s FROM %s %s WHERE %s) %s ",
								 rel->via_unique ? "" : "DISTINCT ", cols.data,
								 MxQuoteRel(rel->via), j, MxHopQuals(&rel->hops[0], alias, j), q);
				if (rel->target_unique)
					appendStringInfo(&sub, "CROSS JOIN %s", MxProbe(child->table, ta, x, quals.data));
				else
					appendStringInfo(&sub, "JOIN %s %s ON %s", MxQuoteRel(child->table), ta, quals.data);
				where = "true";
			}
			where = MxEdgeQuals(child, ta, where);
			if (limited)
			{
				StringInfoData cut;

				initStringInfo(&cut);
				appendStringInfo(&cut, "(SELECT %s.* FROM %s WHERE %s", ta, sub.data, where);
				MxOptsOrder(&cut, child->opts, target, ta);
				appendStringInfo(&cut, " LIMIT " INT64_FORMAT ") %s", child->opts->limit, a);
				resetStringInfo(&sub);
				appendStringInfoString(&sub, cut.data);
				where = "true";
			}
			cdoc = MxDocExpr(child, a, &sub, true);
			appendStringInfo(from, " LEFT JOIN LATERAL (SELECT pg_catalog.jsonb_agg(%s", cdoc);
			MxOptsOrder(from, child->opts, target, a);
			appendStringInfo(from, ") AS d FROM %s WHERE %s) %s ON true", sub.data, where, l);
			value = psprintf("COALESCE(%s.d, '[]'::pg_catalog.jsonb)", l);
		}

		/* to_jsonb(row) || jsonb_build_object(k, v, ...) || jsonb_build_object(...) */
		if (pairs % MX_PAIRS_PER_CALL == 0)
			appendStringInfoString(&doc, pairs == 0 ? " || pg_catalog.jsonb_build_object(" :
								   ") || pg_catalog.jsonb_build_object(");
		else
			appendStringInfoString(&doc, ", ");
		appendStringInfo(&doc, "%s::pg_catalog.text, %s", quote_literal_cstr(child->key), value);
		pairs++;
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
char *
MxBuildJoinedSQL(MxTable *source, void *root_arg, int *nparams, Datum **params, Oid **types)
{
	MxPathNode *root = (MxPathNode *) root_arg;
	StringInfoData from;
	char	   *doc;
	int			total = MxCountParams(root);

	mx_alias_counter = 0;
	mx_nparams = 0;
	mx_params = palloc(sizeof(Datum) * Max(total, 1));
	mx_param_types = palloc(sizeof(Oid) * Max(total, 1));
	initStringInfo(&from);
	appendStringInfo(&from, "ROWS FROM (pg_catalog.unnest($1)) WITH ORDINALITY AS mx_k(v, n) JOIN %s mx_s ON %s",
					 MxQuoteRel(source->relid),
					 MxQual(psprintf("mx_s.%s", MxQuoteCol(source->relid, source->pk_cols[0])),
							source->pk_types[0], source->pk_collations[0], source->pk_eqops[0],
							"mx_k.v", source->pk_types[0], source->pk_collations[0], false));
	doc = MxDocExpr(root, "mx_s", &from, false);
	*nparams = mx_nparams;
	*params = mx_params;
	*types = mx_param_types;
	return psprintf("SELECT mx_k.v, %s FROM %s ORDER BY mx_k.n", doc, from.data);
}
