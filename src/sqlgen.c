/*-------------------------------------------------------------------------
 *
 * sqlgen.c
 *		The batched engine's statements (one per edge group: the rows one
 *		relation yields for a set of keys) and the SQL of a spec's options,
 *		written from deparse.c's shapes:
 *
 *		source rows:	SELECT t.pk, .., <value> FROM source t
 *						WHERE t.pk OPERATOR(s.=) ANY ($1)
 *		one hop:		SELECT <keys>, .., <value> FROM <key match> [AND <where>]
 *		two hops:		SELECT q.k1, .., <value> FROM <junction rows> q
 *						JOIN target t ON t.c OPERATOR(s.=) q.v1 [WHERE <where>]
 *
 *		then the rows of to-many relations in their order, or a per-parent
 *		limit as row_number() OVER (PARTITION BY key ORDER BY ...).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "sqlgen.h"

static char *MxOperand(const char *expr, Oid type, Oid declared);

/* ---- the batched engine's statements ---- */

/* MxBuildStmt's state: the statement and what its parts share */
typedef struct MxStmtBuilder
{
	MxSqlBuilder b;				/* the text and the options' parameters */
	MxStmt	   *stmt;
	Oid			rels[3];		/* the tables it reads (aliases avoid their columns) */
	int			nrels;
	char	   *t;				/* the target's alias */
	bool		via_source;		/* keys map to the relation through the source */
	StringInfoData from;		/* the key match: FROM items ... */
	StringInfoData where;		/* ... and condition (may be empty) */
	char	   *key_exprs[MX_MAX_KEYS]; /* the key each row matched, there */
	char	  **part;			/* the key in the select list (PARTITION BY) */
	int			sel_end;		/* where the select list ends in the text */
	char	   *quals;			/* the spec's conditions, or NULL */
	char	   *q;				/* m2m: the junction rows' alias, or NULL */
} MxStmtBuilder;

static char *MxPickAlias(MxStmtBuilder *sb, const char *base);
static void MxSelectList(MxStmtBuilder *sb, char **keys, const AttrNumber *plain_keys);
static void MxStmtKeyTypes(MxStmtBuilder *sb);
static bool MxDistOnlyFits(MxStmtBuilder *sb);
static void MxStmtKeyMatch(MxStmtBuilder *sb, const char *ia);
static void MxStmtSourceRows(MxStmtBuilder *sb);
static void MxStmtOneHop(MxStmtBuilder *sb);
static void MxStmtJunctionHop(MxStmtBuilder *sb);
static void MxWindowLimit(MxStmtBuilder *sb);
static void MxStmtParams(MxStmtBuilder *sb);

/*
 * An alias that is no column name of the tables read, so that a bare
 * alias in the select list means the whole row, never a column.
 */
static char *
MxPickAlias(MxStmtBuilder *sb, const char *base)
{
	int			n;

	for (n = 0;; n++)
	{
		char	   *alias = n == 0 ? pstrdup(base) : psprintf("%s_%d", base, n);
		bool		clash = false;
		int			i;

		for (i = 0; i < sb->nrels && !clash; i++)
			clash = get_attnum(sb->rels[i], alias) != InvalidAttrNumber;
		if (!clash)
			return alias;
	}
}

/*
 * "SELECT key, .., extra, .., payload": the extra columns follow the keys
 * except those that a key column already returns as the same, uncast
 * column (plain_keys[k] is that column's attnum, or 0): the loader reads
 * those from the key.
 */
static void
MxSelectList(MxStmtBuilder *sb, char **keys, const AttrNumber *plain_keys)
{
	MxStmt	   *stmt = sb->stmt;
	StringInfo	buf = &sb->b.sql;
	int			i;

	appendStringInfoString(buf, "SELECT ");
	for (i = 0; i < stmt->nkeys; i++)
		appendStringInfo(buf, "%s%s", i > 0 ? ", " : "", keys[i]);
	stmt->extra_key = palloc(sizeof(int) * Max(stmt->nextra, 1));
	for (i = 0; i < stmt->nextra; i++)
	{
		int			k;

		stmt->extra_key[i] = -1;
		for (k = 0; k < stmt->nkeys; k++)
			if (plain_keys[k] != 0 && plain_keys[k] == stmt->extra[i])
				stmt->extra_key[i] = k;
		if (stmt->extra_key[i] < 0)
			appendStringInfo(buf, ", %s.%s", sb->t,
							 MxQuoteCol(stmt->target->relid, stmt->extra[i]));
	}
	if (stmt->row_columns)
		appendStringInfoString(buf, MxRowColumns(stmt->opts, stmt->target->relid, sb->t));
	else
		appendStringInfo(buf, ", %s", MxPayload(stmt->typed, stmt->opts, stmt->target->relid, sb->t));
	sb->sel_end = buf->len;
	sb->part = keys;
}

/*
 * True when the inner column's values are themselves key values: the
 * operator compares two values of one type, of which the column's type is
 * binary-coercible.  Then a row can be matched to its key by the inner
 * value; otherwise the statement returns the key it matched.
 */
static bool
MxInnerIsKey(const MxHop *hop, int i)
{
	Oid			left;
	Oid			right;

	op_input_types(hop->eqops[i], &left, &right);
	return left == right && IsBinaryCoercible(hop->inner_types[i], left);
}

/*
 * Whether the statement can take the dist_only shape (citusmatch.c) that
 * its group asked for: one hop whose inner columns are the keys
 * themselves, of the key types (a returned row's key is its own columns)
 */
static bool
MxDistOnlyFits(MxStmtBuilder *sb)
{
	MxStmt	   *stmt = sb->stmt;
	const MxHop *hop0 = &stmt->rel->hops[0];
	int			i;

	if (stmt->dist_only <= 0 || sb->via_source || stmt->rel->nhops != 1 ||
		stmt->nkeys != hop0->nkeys)
		return false;
	for (i = 0; i < hop0->nkeys; i++)
		if (!MxInnerIsKey(hop0, i) || hop0->inner_types[i] != stmt->key_types[i])
			return false;
	return true;
}

/*
 * The key columns: the source's primary key (when the relation's columns
 * on the source side are not usable as its values), else values of the
 * matching operators' own input types on the key side, compared (in SQL
 * and in C) as those operators compare.
 */
static void
MxStmtKeyTypes(MxStmtBuilder *sb)
{
	MxStmt	   *stmt = sb->stmt;
	const MxHop *hop0 = &stmt->rel->hops[0];
	Oid			left;
	Oid			right;
	int			i;

	sb->via_source = false;
	if (stmt->keys_are_source_pk)
	{
		/* the keys are primary key values: usable directly only as key values */
		op_input_types(hop0->eqops[0], &left, &right);
		sb->via_source = !(hop0->nkeys == 1 && stmt->source->pk_nkeys == 1 &&
						   hop0->outer_cols[0] == stmt->source->pk_cols[0] &&
						   IsBinaryCoercible(stmt->source->pk_types[0], right));
	}
	if (sb->via_source)
	{
		stmt->nkeys = 1;
		stmt->key_types[0] = stmt->source->pk_types[0];
		stmt->key_collations[0] = stmt->source->pk_collations[0];
		return;
	}
	stmt->nkeys = hop0->nkeys;
	for (i = 0; i < hop0->nkeys; i++)
	{
		op_input_types(hop0->eqops[i], &left, &stmt->key_types[i]);
		stmt->key_collations[i] = hop0->collations[i];
	}
}

/*
 * How the first hop's inner table (the target, or the junction), aliased
 * ia, is matched to the keys: the source joined in by primary key; the
 * inner column itself filtered with = ANY ($1) when it holds key values;
 * with dist_only, the Citus distribution column alone filtered with = ANY
 * of its distinct values, the inner columns returned as the keys;
 * else the keys zipped and joined (composite keys, keys of another type).
 */
static void
MxStmtKeyMatch(MxStmtBuilder *sb, const char *ia)
{
	MxStmt	   *stmt = sb->stmt;
	const MxHop *hop0 = &stmt->rel->hops[0];
	const MxTable *src = stmt->source;
	int			i;

	if (sb->via_source)
	{
		char	   *s = MxPickAlias(sb, "s");

		sb->key_exprs[0] = psprintf("%s.%s", s, MxQuoteCol(src->relid, src->pk_cols[0]));
		appendStringInfo(&sb->from, "%s %s JOIN %s %s ON ", MxQuoteRel(src->relid), s,
						 MxQuoteRel(hop0->inner_rel), ia);
		MxAppendHopMatch(&sb->from, hop0, ia,
						 MxColumnRefs(s, src->relid, hop0->nkeys, hop0->outer_cols),
						 hop0->outer_types);
		appendStringInfoString(&sb->where,
							   MxQual(sb->key_exprs[0], src->pk_types[0], src->pk_collations[0],
									  src->pk_eqops[0], "$1", src->pk_types[0],
									  src->pk_collations[0], true));
	}
	else if (hop0->nkeys == 1 && MxInnerIsKey(hop0, 0))
	{
		sb->key_exprs[0] = MxColumnRefs(ia, hop0->inner_rel, 1, hop0->inner_cols)[0];
		appendStringInfo(&sb->from, "%s %s", MxQuoteRel(hop0->inner_rel), ia);
		appendStringInfoString(&sb->where,
							   MxQual(sb->key_exprs[0], hop0->inner_types[0],
									  hop0->inner_collations[0], hop0->eqops[0], "$1",
									  stmt->key_types[0], hop0->collations[0], true));
	}
	else if (stmt->dist_only > 0)
	{
		/* the distribution column's distinct values; the loader drops other keys' rows */
		int			d = stmt->dist_only - 1;
		char	  **cols = MxColumnRefs(ia, hop0->inner_rel, hop0->nkeys, hop0->inner_cols);

		appendStringInfo(&sb->from, "%s %s", MxQuoteRel(hop0->inner_rel), ia);
		for (i = 0; i < hop0->nkeys; i++)
			sb->key_exprs[i] = cols[i];
		appendStringInfoString(&sb->where,
							   MxQual(cols[d], hop0->inner_types[d], hop0->inner_collations[d],
									  hop0->eqops[d], psprintf("$%d", d + 1),
									  stmt->key_types[d], hop0->collations[d], true));
	}
	else
	{
		char	   *k = MxPickAlias(sb, "k");
		char	  **refs = MxNumberedRefs(k, "k", hop0->nkeys);

		MxAppendKeyJoin(&sb->from, hop0, stmt->key_types, 1, k, false, ia);
		for (i = 0; i < hop0->nkeys; i++)
			sb->key_exprs[i] = refs[i];
	}
}

/*
 * The source rows themselves, by primary key:
 * SELECT t.pk, .., payload FROM source t WHERE t.pk OP ANY ($1)
 */
static void
MxStmtSourceRows(MxStmtBuilder *sb)
{
	MxStmt	   *stmt = sb->stmt;
	MxTable    *src = stmt->target;
	char	  **pk = MxColumnRefs(sb->t, src->relid, 1, src->pk_cols);

	stmt->nkeys = 1;
	stmt->key_types[0] = src->pk_types[0];
	stmt->key_collations[0] = src->pk_collations[0];
	MxSelectList(sb, pk, src->pk_cols);
	appendStringInfo(&sb->b.sql, " FROM %s %s WHERE %s", MxQuoteRel(src->relid), sb->t,
					 MxQual(pk[0], src->pk_types[0], src->pk_collations[0], src->pk_eqops[0],
							"$1", src->pk_types[0], src->pk_collations[0], true));
}

/*
 * One hop (fk, ifk): the target matched to the keys.
 * SELECT key, .., payload FROM <key match> [WHERE match] [AND quals]
 */
static void
MxStmtOneHop(MxStmtBuilder *sb)
{
	MxStmt	   *stmt = sb->stmt;
	const MxHop *hop0 = &stmt->rel->hops[0];
	AttrNumber	plain_keys[MX_MAX_KEYS];
	StringInfo	buf = &sb->b.sql;

	MxStmtKeyMatch(sb, sb->t);
	/* a key read straight from a target column needs no second copy */
	memset(plain_keys, 0, sizeof(plain_keys));
	if (!sb->via_source && hop0->nkeys == 1 && MxInnerIsKey(hop0, 0) &&
		hop0->inner_types[0] == stmt->key_types[0])
		plain_keys[0] = hop0->inner_cols[0];
	if (stmt->dist_only > 0)
		memcpy(plain_keys, hop0->inner_cols, sizeof(AttrNumber) * hop0->nkeys);
	MxSelectList(sb, sb->key_exprs, plain_keys);
	appendStringInfo(buf, " FROM %s", sb->from.data);
	if (sb->where.len > 0)
		appendStringInfo(buf, " WHERE %s", sb->where.data);
	if (sb->quals != NULL)
		appendStringInfo(buf, " %s %s", sb->where.len > 0 ? "AND" : "WHERE", sb->quals);
}

/*
 * Two hops (m2m): the junction matched to the keys, made distinct per
 * (key, target key) unless a unique constraint already says so, joined to
 * the target.
 * SELECT q.k1, .., payload FROM (junction rows) q JOIN target t ON t.c OP q.v1 [WHERE quals]
 */
static void
MxStmtJunctionHop(MxStmtBuilder *sb)
{
	MxStmt	   *stmt = sb->stmt;
	MxRelation *rel = stmt->rel;
	const MxHop *hop1 = &rel->hops[1];
	char	   *q = MxPickAlias(sb, "q");
	AttrNumber	plain_keys[MX_MAX_KEYS];
	StringInfo	buf = &sb->b.sql;

	MxStmtKeyMatch(sb, "j");
	memset(plain_keys, 0, sizeof(plain_keys));
	MxSelectList(sb, MxNumberedRefs(q, "k", stmt->nkeys), plain_keys);
	appendStringInfoString(buf, " FROM ");
	MxAppendJunctionRows(buf, rel, !(rel->via_unique && !sb->via_source), stmt->nkeys,
						 sb->key_exprs, "j", sb->from.data, sb->where.data, q,
						 MxKeepsDuplicates(stmt->opts, rel));
	sb->q = q;
	appendStringInfo(buf, " JOIN %s %s ON ", MxQuoteRel(stmt->target->relid), sb->t);
	MxAppendHopMatch(buf, hop1, sb->t, MxNumberedRefs(q, "v", hop1->nkeys), hop1->outer_types);
	if (sb->quals != NULL)
		appendStringInfo(buf, " WHERE %s", sb->quals);
}

/*
 * Builds stmt->sql and the key and parameter types.  Three shapes: the
 * source rows (rel == NULL), one hop, two hops (MxStmtSourceRows,
 * MxStmtOneHop, MxStmtJunctionHop); then the spec's per-parent limit or
 * the order of to-many rows.
 *
 * With keys_are_source_pk, when the relation's source columns are not the
 * source's primary key, the source table is joined in to map one to the
 * other (fetch_related's keys are primary key values).
 */
void
MxBuildStmt(MxStmt *stmt)
{
	MxStmtBuilder sb;
	MxRelation *rel = stmt->rel;

	memset(&sb, 0, sizeof(sb));
	sb.stmt = stmt;
	sb.rels[sb.nrels++] = stmt->target->relid;
	if (rel != NULL && OidIsValid(rel->via))
		sb.rels[sb.nrels++] = rel->via;
	if (stmt->source != NULL)
		sb.rels[sb.nrels++] = stmt->source->relid;
	sb.t = MxPickAlias(&sb, "t");
	initStringInfo(&sb.from);
	initStringInfo(&sb.where);

	if (rel == NULL)
	{
		MxBuilderInit(&sb.b, 2, 0);
		MxStmtSourceRows(&sb);
	}
	else
	{
		MxStmtKeyTypes(&sb);
		if (!MxDistOnlyFits(&sb))
			stmt->dist_only = 0;
		/* the spec's conditions, their values after the keys' arrays */
		MxBuilderInit(&sb.b, stmt->nkeys + 1, stmt->opts ? stmt->opts->nparams : 0);
		sb.quals = MxBuilderQuals(&sb.b, stmt->opts, stmt->target->relid, sb.t);
		if (rel->nhops == 1)
			MxStmtOneHop(&sb);
		else
			MxStmtJunctionHop(&sb);
		if (stmt->opts != NULL && stmt->opts->limit >= 0)
			MxWindowLimit(&sb);
		else if (!MxRelToOne(rel))
			MxEdgeOrder(&sb.b.sql, stmt->opts, stmt->target, sb.t, rel, sb.q);
	}
	MxStmtParams(&sb);
}

/*
 * The key arrays' types and the options' parameters, and the name the
 * relation cache knows the statement by: its text, and the values of its
 * parameters when it has any (entries are per statement and values).
 */
static void
MxStmtParams(MxStmtBuilder *sb)
{
	MxStmt	   *stmt = sb->stmt;
	int			i;

	for (i = 0; i < stmt->nkeys; i++)
	{
		stmt->param_types[i] = get_array_type(stmt->key_types[i]);
		if (!OidIsValid(stmt->param_types[i]))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("key type %s has no array type", format_type_be(stmt->key_types[i]))));
	}
	stmt->sql = sb->b.sql.data;
	stmt->nparams = stmt->nkeys + sb->b.nparams;
	stmt->all_param_types = palloc(sizeof(Oid) * Max(stmt->nparams, 1));
	memcpy(stmt->all_param_types, stmt->param_types, sizeof(Oid) * stmt->nkeys);
	memcpy(stmt->all_param_types + stmt->nkeys, sb->b.param_types, sizeof(Oid) * sb->b.nparams);
	stmt->opt_params = sb->b.params;
	stmt->cache_id = sb->b.nparams > 0 ?
		psprintf("%s\n-- %s", stmt->sql, stmt->opts->sig) : stmt->sql;
}

/*
 * A per-parent limit as a window: the statement (its select list ending
 * at sel_end) numbers each key's rows in the edge's order, and only the
 * first n of each key are kept, in that order.  (Measured against a
 * LATERAL (... ORDER BY ... LIMIT n) per key on the benchmark's latest 5
 * orders of 1,000 customers: 30 ms against 40 ms.)
 */
static void
MxWindowLimit(MxStmtBuilder *sb)
{
	MxStmt	   *stmt = sb->stmt;
	StringInfo	buf = &sb->b.sql;
	char	   *rn = MxPickAlias(sb, "mx_rn");
	StringInfoData w;
	int			i;

	initStringInfo(&w);
	appendStringInfoString(&w, "SELECT * FROM (");
	appendBinaryStringInfo(&w, buf->data, sb->sel_end);
	appendStringInfoString(&w, ", pg_catalog.row_number() OVER (PARTITION BY ");
	for (i = 0; i < stmt->nkeys; i++)
		appendStringInfo(&w, "%s%s", i > 0 ? ", " : "", sb->part[i]);
	MxEdgeOrder(&w, stmt->opts, stmt->target, sb->t, stmt->rel, sb->q);
	/* rn is no column of the tables read: the select list's names are theirs */
	appendStringInfo(&w, ") AS %s%s) mx_w WHERE mx_w.%s OPERATOR(pg_catalog.<=) "
					 "CAST(" INT64_FORMAT " AS pg_catalog.int8) ORDER BY mx_w.%s",
					 rn, buf->data + sb->sel_end, rn, stmt->opts->limit, rn);
	resetStringInfo(buf);
	appendBinaryStringInfo(buf, w.data, w.len);
}

/*
 * The tables a statement may read (at most three: the target, the
 * junction, the source), into relids; returns how many.
 */
int
MxStmtRelids(const MxStmt *stmt, Oid *relids)
{
	int			n = 0;

	relids[n++] = stmt->target->relid;
	if (stmt->rel != NULL && OidIsValid(stmt->rel->via))
		relids[n++] = stmt->rel->via;
	if (stmt->rel != NULL && stmt->keys_are_source_pk)
		relids[n++] = stmt->source->relid;
	return n;
}

/* ---- the SQL of spec options (spec.c parses them) ---- */

/* True when two edges' options are the same (both none, or equal text) */
bool
MxSameOpts(const MxEdgeOpts *a, const MxEdgeOpts *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a->sig, b->sig) == 0;
}

/* True when the edge's output includes column attnum */
bool
MxOptsOutputs(const MxEdgeOpts *opts, AttrNumber attnum)
{
	int			i;

	if (opts == NULL || opts->ncolumns < 0)
		return true;
	for (i = 0; i < opts->ncolumns; i++)
		if (opts->columns[i] == attnum)
			return true;
	return false;
}

/*
 * expr, cast to the operator's declared input type when it is another
 * (not pseudo) type, so that exactly that operator runs
 */
static char *
MxOperand(const char *expr, Oid type, Oid declared)
{
	if (type == declared || get_typtype(declared) == TYPTYPE_PSEUDO)
		return pstrdup(expr);
	return psprintf("CAST(%s AS %s)", expr, MxQuoteType(declared));
}

/*
 * The edge's "where" as "cond AND cond ..." on alias, its values as
 * parameters from $first_param on; NULL when it has none.
 */
char *
MxOptsQuals(const MxEdgeOpts *opts, Oid relid, const char *alias, int first_param)
{
	StringInfoData buf;
	int			p = first_param;
	int			i;
	int			depth = 0;
	bool	   *any;			/* per open group: OR (else AND) */
	bool		first = true;

	if (opts == NULL || opts->nquals == 0)
		return NULL;
	initStringInfo(&buf);
	any = palloc0(sizeof(bool) * (opts->nquals + 1));
	for (i = 0; i < opts->nquals; i++)
	{
		const MxQualSpec *q = &opts->quals[i];
		char	   *col;
		Oid			left = InvalidOid;
		Oid			right = InvalidOid;
		char	   *param;

		if (q->kind == MX_QUAL_CLOSE)
		{
			appendStringInfoChar(&buf, ')');
			depth--;
			first = false;
			continue;
		}
		if (!first)
			appendStringInfoString(&buf, any[depth] ? " OR " : " AND ");
		first = false;
		if (q->kind == MX_QUAL_OPEN_AND || q->kind == MX_QUAL_OPEN_OR ||
			q->kind == MX_QUAL_OPEN_NOT)
		{
			appendStringInfoString(&buf, q->kind == MX_QUAL_OPEN_NOT ? "NOT (" : "(");
			any[++depth] = q->kind == MX_QUAL_OPEN_OR;
			first = true;
			continue;
		}
		col = psprintf("%s.%s", alias, MxQuoteCol(relid, q->attnum));
		if (q->kind == MX_QUAL_NULL || q->kind == MX_QUAL_NOT_NULL)
		{
			appendStringInfo(&buf, "%s IS %sNULL", col, q->kind == MX_QUAL_NULL ? "" : "NOT ");
			continue;
		}
		op_input_types(q->opno, &left, &right);
		param = psprintf("$%d", p++);
		if (q->kind == MX_QUAL_NOT_DISTINCT || q->kind == MX_QUAL_DISTINCT)
		{
			/* null-safe, two-valued, and the operator still schema-qualified */
			appendStringInfo(&buf, "%s(%s %s %s AND %s IS NOT NULL)",
							 q->kind == MX_QUAL_DISTINCT ? "NOT " : "",
							 MxOperand(col, q->coltype, left), MxQuoteOp(q->opno),
							 MxOperand(param, q->param_type, right), col);
		}
		else if (q->kind == MX_QUAL_ANY)
		{
			Oid			arr = get_typtype(right) == TYPTYPE_PSEUDO ? q->param_type :
				get_array_type(right);

			appendStringInfo(&buf, "%s %s ANY (%s)", MxOperand(col, q->coltype, left),
							 MxQuoteOp(q->opno), MxOperand(param, q->param_type, arr));
		}
		else
			appendStringInfo(&buf, "%s %s %s", MxOperand(col, q->coltype, left),
							 MxQuoteOp(q->opno), MxOperand(param, q->param_type, right));
	}
	return buf.data;
}

/* " ORDER BY ..." on alias: the edge's order, else the target's primary key */
void
MxOptsOrder(StringInfo buf, const MxEdgeOpts *opts, MxTable *target, const char *alias)
{
	int			i;

	if (opts == NULL || opts->norder == 0)
	{
		for (i = 0; i < target->order_ncols; i++)
			appendStringInfo(buf, "%s%s.%s", i == 0 ? " ORDER BY " : ", ", alias,
							 MxQuoteCol(target->relid, target->order_cols[i]));
		return;
	}
	for (i = 0; i < opts->norder; i++)
	{
		const MxOrderItem *item = &opts->order[i];

		appendStringInfo(buf, "%s%s.%s%s%s", i == 0 ? " ORDER BY " : ", ", alias,
						 MxQuoteCol(target->relid, item->attnum), item->desc ? " DESC" : "",
						 item->nulls_first == item->desc ? "" :
						 item->nulls_first ? " NULLS FIRST" : " NULLS LAST");
	}
}

/* The edge's parameter values and types, in $n order; returns how many */
int
MxOptsParams(const MxEdgeOpts *opts, Datum *values, Oid *types)
{
	int			n = 0;
	int			i;

	if (opts == NULL)
		return 0;
	for (i = 0; i < opts->nquals; i++)
	{
		if (!MX_QUAL_HAS_PARAM(opts->quals[i].kind))
			continue;
		values[n] = opts->quals[i].value;
		types[n] = opts->quals[i].param_type;
		n++;
	}
	return n;
}
