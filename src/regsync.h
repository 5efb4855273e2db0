/*-------------------------------------------------------------------------
 *
 * regsync.h
 *		Registered relations sent to the Citus workers (see regsync.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_REGSYNC_H
#define MX_REGSYNC_H

#include "postgres.h"

#include "model.h"

extern bool MxCitusForward(const char *command);
extern bool MxCitusRegistrationShared(const MxRegistration *reg);
extern char *MxRegistrationCommand(const MxRegistration *reg);
extern char *MxUnregistrationCommand(Oid source, const char *name);
extern char *MxPublishCommand(const char *relation_set, Jsonb *doc, List *regs);
extern char *MxUnpublishCommand(const char *relation_set);
extern int	MxConvertedTables(Oid **pairs);

#endif							/* MX_REGSYNC_H */
