/*-------------------------------------------------------------------------
 *
 * sqlgen.h
 *		Building the statements the loaders run: every table, column, type,
 *		function and operator quoted and schema-qualified from the catalog,
 *		key values only as array parameters.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_SQLGEN_H
#define MX_SQLGEN_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "catalog.h"
#include "spec.h"

/*
 * A statement that reads the rows one relation yields for a set of keys.
 * Its result columns: the key columns (the values each row was matched
 * on, typed like the keys), then the extra target columns, then the row
 * (typed: the whole row, or with row_columns its columns; else to_jsonb
 * of it).
 */
typedef struct MxStmt
{
	/* input */
	MxRelation *rel;			/* NULL: read the source rows themselves */
	MxTable    *source;			/* keys are its primary key values */
	MxTable    *target;
	bool		keys_are_source_pk; /* else the relation's source columns */
	bool		typed;
	bool		row_columns;	/* typed: the row as its columns (the loader forms it) */
	int			nextra;
	AttrNumber *extra;
	MxEdgeOpts *opts;			/* spec options (where, order, limit), or NULL */
	int			dist_only;		/* 1 + the key column whose distinct values alone
								 * filter the rows (citusmatch.c), or 0 */
	/* output */
	char	   *sql;
	int		   *extra_key;		/* per extra column: the key column holding it, or -1 */
	int			nkeys;
	Oid			key_types[MX_MAX_KEYS];
	Oid			key_collations[MX_MAX_KEYS];
	Oid			param_types[MX_MAX_KEYS];	/* array types, one per key column */
	int			nparams;		/* nkeys, then the options' parameters */
	Oid		   *all_param_types;
	Datum	   *opt_params;		/* values of the options' parameters */
	char	   *cache_id;		/* the relation cache's name for it: sql and values */
} MxStmt;

/* jsonb_build_object takes at most this many key/value pairs per call */
#define MX_PAIRS_PER_CALL 40

/*
 * A statement being written: its text, and the values and types of the
 * spec's parameters it takes (numbered from first_param on, after the key
 * arrays).
 */
typedef struct MxSqlBuilder
{
	StringInfoData sql;
	int			first_param;
	int			nparams;
	Datum	   *params;
	Oid		   *param_types;
	int			naliases;		/* aliases handed out by MxBuilderAlias */
} MxSqlBuilder;

/* deparse.c: names, operators and the shapes statements are written from */
extern char *MxQuoteRel(Oid relid);
extern char *MxQuoteCol(Oid relid, AttrNumber attnum);
extern char *MxQuoteOp(Oid opno);
extern char *MxQuoteType(Oid typid);
extern char *MxQual(const char *inner, Oid inner_type, Oid inner_coll, Oid op,
					const char *outer, Oid outer_type, Oid coll, bool any);
extern void MxBuilderInit(MxSqlBuilder *b, int first_param, int maxparams);
extern char *MxBuilderAlias(MxSqlBuilder *b);
extern char *MxBuilderQuals(MxSqlBuilder *b, const MxEdgeOpts *opts, Oid relid,
							const char *alias);
extern char *MxPayload(bool typed, const MxEdgeOpts *opts, Oid relid, const char *alias);
extern char *MxRowColumns(const MxEdgeOpts *opts, Oid relid, const char *alias);
extern void MxAppendPairSep(StringInfo buf, int i);
extern char **MxColumnRefs(const char *alias, Oid relid, int n, const AttrNumber *cols);
extern char **MxNumberedRefs(const char *alias, const char *name, int n);
extern void MxAppendHopMatch(StringInfo buf, const MxHop *hop, const char *inner_alias,
							 char **outer, const Oid *outer_types);
extern void MxAppendKeyJoin(StringInfo buf, const MxHop *hop, const Oid *key_types,
							int first_param, const char *k, bool ordinality, const char *ia);
extern void MxAppendJunctionRows(StringInfo buf, const MxRelation *rel, bool distinct,
								 int nkeys, char **key_exprs, const char *j,
								 const char *from, const char *where, const char *q,
								 bool keep);
extern void MxPkHop(const MxTable *t, MxHop *hop);
extern char *MxCitusPrune(const MxHop *hop, int i, const char *ia, const char *param,
						  Oid key_type);

/* sqlgen.c: the batched engine's statements */
extern void MxBuildStmt(MxStmt *stmt);
extern int	MxStmtRelids(const MxStmt *stmt, Oid *relids);

/* citusmatch.c */
struct MxKeySet;
extern int	MxCitusDistOnly(List *nodes, const MxRelation *rel);
extern Datum MxDistinctKeyArray(const MxStmt *stmt, struct MxKeySet *set, const int *which,
								int n, int d);

#endif							/* MX_SQLGEN_H */
