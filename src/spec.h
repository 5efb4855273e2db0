/*-------------------------------------------------------------------------
 *
 * spec.h
 *		Per-relation options of the spec jsonb forms ("columns", "where",
 *		"order_by", "limit", "include"): parsed per path node, validated
 *		against the target's catalog entries, and written into the
 *		statements as quoted names, OPERATOR(schema.op) and $n parameters.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_SPEC_H
#define MX_SPEC_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "catalog.h"

/* the comparisons a "where" can make */
typedef enum MxQualKind
{
	MX_QUAL_OP,					/* col OPERATOR(op) $n */
	MX_QUAL_ANY,				/* col OPERATOR(=) ANY ($n) */
	MX_QUAL_NULL,				/* col IS NULL */
	MX_QUAL_NOT_NULL,			/* col IS NOT NULL */
	MX_QUAL_NOT_DISTINCT,		/* (col OPERATOR(=) $n AND col IS NOT NULL) */
	MX_QUAL_DISTINCT,			/* NOT (col OPERATOR(=) $n AND col IS NOT NULL) */
	MX_QUAL_OPEN_AND,			/* "(": what follows up to its close, all of it */
	MX_QUAL_OPEN_OR,			/* "(": what follows up to its close, any of it */
	MX_QUAL_OPEN_NOT,			/* "NOT (": what follows up to its close, not all */
	MX_QUAL_CLOSE				/* ")" */
} MxQualKind;

/* Whether a condition takes a parameter (its value) */
#define MX_QUAL_HAS_PARAM(kind) \
	((kind) == MX_QUAL_OP || (kind) == MX_QUAL_ANY || \
	 (kind) == MX_QUAL_NOT_DISTINCT || (kind) == MX_QUAL_DISTINCT)

/*
 * one condition on a target column, or a group's opening or closing: a
 * "where" is the sequence of its conditions in the order written, groups
 * ("or", "and", "not") bracketing theirs, so the parameters' order is the
 * text's
 */
typedef struct MxQualSpec
{
	MxQualKind	kind;
	AttrNumber	attnum;
	Oid			coltype;
	Oid			colcoll;
	Oid			opno;			/* MX_QUAL_OP, MX_QUAL_ANY */
	Oid			param_type;		/* the column type, or its array type */
	Datum		value;
} MxQualSpec;

/* one ORDER BY item */
typedef struct MxOrderItem
{
	AttrNumber	attnum;
	bool		desc;
	bool		nulls_first;
} MxOrderItem;

/* the options of one edge; NULL on a node means none (all, unfiltered) */
typedef struct MxEdgeOpts
{
	int			ncolumns;		/* -1: every column */
	AttrNumber *columns;
	int			nquals;
	int			maxquals;		/* allocated */
	MxQualSpec *quals;
	int			nparams;		/* quals that take a parameter */
	int			norder;			/* the full order, primary key tie-breakers included */
	MxOrderItem *order;
	int64		limit;			/* per parent; -1: none */
	bool		keep_duplicates;	/* m2m: one entry per junction row, in the
									 * junction's order (after order_by's) */
	char	   *sig;			/* canonical text: equal options, equal text */
} MxEdgeOpts;

struct MxPathNode;

/* 22023 (the message names the path) */
#define MX_SPEC_ERROR(path, ...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), \
			 errmsg(__VA_ARGS__)))

/* spec.c */
extern struct MxPathNode *MxParseSpec(Oid source, Jsonb *spec);
extern bool MxIsObject(JsonbValue *v);
extern bool MxIsArray(JsonbValue *v);
extern AttrNumber MxSpecColumn(struct MxPathNode *node, const char *option, const char *name,
							   int len);

/* where.c */
extern void MxParseWhere(struct MxPathNode *node, MxEdgeOpts *o, JsonbValue *where,
						 StringInfo sig);

/* junction.c: kept duplicate links of an m2m, in the junction's order */
extern bool MxKeepsDuplicates(const MxEdgeOpts *opts, const MxRelation *rel);
extern void MxAppendJunctionOrderCols(StringInfo buf, const MxRelation *rel, const char *j);
extern void MxEdgeOrder(StringInfo buf, const MxEdgeOpts *opts, MxTable *target,
						const char *alias, const MxRelation *rel, const char *q);
extern MxEdgeOpts *MxDefaultOpts(struct MxPathNode *node);
extern MxEdgeOpts *MxRegisteredOpts(MxRelation *rel, const char *name);

/* sqlgen.c: the SQL the options add */
extern bool MxSameOpts(const MxEdgeOpts *a, const MxEdgeOpts *b);
extern bool MxOptsOutputs(const MxEdgeOpts *opts, AttrNumber attnum);
extern char *MxOptsQuals(const MxEdgeOpts *opts, Oid relid, const char *alias, int first_param);
extern void MxOptsOrder(StringInfo buf, const MxEdgeOpts *opts, MxTable *target,
						const char *alias);
extern int	MxOptsParams(const MxEdgeOpts *opts, Datum *values, Oid *types);

#endif							/* MX_SPEC_H */
