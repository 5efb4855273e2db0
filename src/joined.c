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
 *		...), nested as the paths need.  Keys arrive distinct, in first-
 *		occurrence order, as one array parameter.  The key match, the hops,
 *		the junction rows, the documents and the spec's conditions are
 *		written by deparse.c's functions, as the batched engine's are.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "execute.h"
#include "keys.h"
#include "loader.h"
#include "matrx_relations.h"
#include "sqlgen.h"

static char *MxProbe(Oid relid, const char *alias, const char *quals_alias, const char *quals);
static char *MxDocExpr(MxSqlBuilder *b, MxPathNode *node, const char *alias, StringInfo from,
					   bool nested);
static char *MxToOneValue(MxSqlBuilder *b, MxPathNode *child, const char *alias,
						  StringInfo from, bool nested);
static char *MxToManyValue(MxSqlBuilder *b, MxPathNode *child, const char *alias,
						   StringInfo from);
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

/* "inner.c1 OP outer.c1 AND ..." for one hop from the outer row under outer_alias */
static char *
MxHopQuals(const MxHop *hop, const char *outer_alias, const char *inner_alias)
{
	StringInfoData buf;

	initStringInfo(&buf);
	MxAppendHopMatch(&buf, hop, inner_alias,
					 MxColumnRefs(outer_alias, hop->outer_rel, hop->nkeys, hop->outer_cols),
					 hop->outer_types);
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
 * A to-one (fk) child of the row under alias: its target LEFT JOINed into
 * from (probed row by row when nested), and its value: the child's
 * document when the joined key column is not null.
 */
static char *
MxToOneValue(MxSqlBuilder *b, MxPathNode *child, const char *alias, StringInfo from,
			 bool nested)
{
	MxRelation *rel = child->rel;
	char	   *a = MxBuilderAlias(b);

	if (nested && rel->target_unique)
	{
		char	   *x = MxBuilderAlias(b);

		appendStringInfo(from, " LEFT JOIN %s ON true",
						 MxProbe(child->table, a, x,
								 MxEdgeQuals(b, child, x, MxHopQuals(&rel->hops[0], alias, x))));
	}
	else
		appendStringInfo(from, " LEFT JOIN %s %s ON %s", MxQuoteRel(child->table), a,
						 MxEdgeQuals(b, child, a, MxHopQuals(&rel->hops[0], alias, a)));
	return psprintf("CASE WHEN %s.%s IS NOT NULL THEN %s END", a,
					MxQuoteCol(child->table, rel->hops[0].inner_cols[0]),
					MxDocExpr(b, child, a, from, nested));
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
		where = MxHopQuals(&rel->hops[0], alias, ta);
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
							 MxHopQuals(&rel->hops[0], alias, j), q,
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
	ListCell   *lc;
	int			pairs = 0;

	check_stack_depth();
	initStringInfo(&doc);
	appendStringInfoString(&doc, MxPayload(false, node->opts, node->table, alias));
	foreach(lc, node->children)
	{
		MxPathNode *child = (MxPathNode *) lfirst(lc);
		char	   *value;

		CHECK_FOR_INTERRUPTS();
		if (MxRelToOne(child->rel))
			value = MxToOneValue(b, child, alias, from, nested);
		else
			value = MxToManyValue(b, child, alias, from);
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
