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
	MX_QUAL_NOT_NULL			/* col IS NOT NULL */
} MxQualKind;

/* one condition on a target column */
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
	MxQualSpec *quals;
	int			nparams;		/* quals that take a parameter */
	int			norder;			/* the full order, primary key tie-breakers included */
	MxOrderItem *order;
	int64		limit;			/* per parent; -1: none */
	char	   *sig;			/* canonical text: equal options, equal text */
} MxEdgeOpts;

struct MxPathNode;

/* spec.c */
extern struct MxPathNode *MxParseSpec(Oid source, Jsonb *spec);
extern MxEdgeOpts *MxDefaultOpts(struct MxPathNode *node);

/* sqlgen.c: the SQL the options add */
extern bool MxSameOpts(const MxEdgeOpts *a, const MxEdgeOpts *b);
extern bool MxOptsOutputs(const MxEdgeOpts *opts, AttrNumber attnum);
extern char *MxOptsQuals(const MxEdgeOpts *opts, Oid relid, const char *alias, int first_param);
extern void MxOptsOrder(StringInfo buf, const MxEdgeOpts *opts, MxTable *target,
						const char *alias);
extern int	MxOptsParams(const MxEdgeOpts *opts, Datum *values, Oid *types);

#endif							/* MX_SPEC_H */
