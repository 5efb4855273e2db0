/*-------------------------------------------------------------------------
 *
 * model.h
 *		Registered relations with options (a fixed filter, a default order,
 *		output columns, key casts) and published relation sets: what
 *		register.c (the config table), model.c (options) and publish.c
 *		(relation sets) share.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_MODEL_H
#define MX_MODEL_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "catalog.h"

/* One registration: a row of the config table, as validated */
typedef struct MxRegistration
{
	Oid			source;
	char	   *name;
	Oid			target;
	Oid			via;			/* InvalidOid: none */
	List	   *source_columns; /* C strings */
	List	   *target_columns;
	List	   *via_source_columns;	/* NIL when no via */
	List	   *via_target_columns;
	Jsonb	   *options;		/* normalized, or NULL when none */
	char	   *relation_set;	/* NULL: registered one by one */
	MxRelKind	kind;			/* as built */
} MxRegistration;

/* register.c */
extern List *MxRegisteredRows(void);
extern void MxCheckOwner(Oid source);
extern void MxInsertRegistration(MxRegistration *reg);
extern int	MxDeleteRelationSet(const char *relation_set);
extern void MxLockRegistrations(void);

/* model.c */
extern Jsonb *MxNormalizeOptions(Jsonb *options, const char *name, int ncasts[2],
								 MxKeyCasts *casts, bool raise, bool *ok);
extern Jsonb *MxOptionDefaults(Jsonb *options);
extern void MxCheckDefaults(MxRelation *rel, const char *name);
extern bool MxCastKey(MxHop *hop, int i, Oid cast, bool raise, MxTable *deps);
extern void MxValidateRegistration(MxRegistration *reg);
extern bool MxIsObjectValue(JsonbValue *v);
extern bool MxIsArrayValue(JsonbValue *v);
extern JsonbValue *MxObjectKey(Jsonb *doc, const char *key);
extern void MxPushKey(JsonbParseState **state, const char *key);

/* reverse.c */
extern char *MxReverseName(const MxRegistration *reg);
extern void MxReadPolymorphicOption(JsonbValue *v, const char *name, JsonbParseState **state);
extern MxRegistration *MxReverseOf(const MxRegistration *arm);
extern List *MxWithReverses(List *rows);
extern void MxValidateReverse(MxRegistration *arm);
extern bool MxNamesClash(const MxRegistration *a, const MxRegistration *b, const char **name,
						 Oid *source);
extern MxRegistration *MxRegisteredClash(const MxRegistration *reg, const char **name, Oid *source);
extern void MxInvalidateRegistration(const MxRegistration *reg);

/* polymorphic.c */
extern void MxReadPolymorphic(JsonbValue *v, const char *name, JsonbParseState **state);
extern void MxValidatePolymorphic(MxRegistration *reg);
extern bool MxSetPolymorphic(MxRelation *rel, Jsonb *options, MxTable *t);

#endif							/* MX_MODEL_H */
