/*-------------------------------------------------------------------------
 *
 * retry.c
 *		Reading a call's metadata again while concurrent DDL invalidates
 *		it.  A call locks the tables it reads, then checks whether an
 *		invalidation arrived while it was reading their definitions; if
 *		one did, what it read may be stale, and it reads again.  After
 *		MX_METADATA_ATTEMPTS attempts it gives up with 40001
 *		(serialization_failure): the call could not get a consistent view
 *		of the tables because of concurrent changes, and retrying the
 *		transaction is the remedy, which is what 40001 tells clients and
 *		poolers that retry (core raises it for like conflicts, such as
 *		recovery conflicts).
 *
 *		matrx_relations.debug_invalidate_metadata (superuser, hidden) makes
 *		every attempt end with all caches discarded, as concurrent DDL
 *		would, so that the tests reach the error through the real
 *		invalidation callbacks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"
#include "utils/inval.h"

#include "catalog.h"

/* attempts at reading a call's metadata before giving up */
#define MX_METADATA_ATTEMPTS 5

static bool mx_debug_invalidate_metadata = false;

/* Defines the developer setting that forces the retry path */
void
MxRetryDefineGucs(void)
{
	DefineCustomBoolVariable("matrx_relations.debug_invalidate_metadata",
							 "Discards all caches after each read of a call's metadata (developer option).",
							 "Makes every call see its metadata invalidated, as concurrent DDL would, to test the retries.",
							 &mx_debug_invalidate_metadata, false,
							 PGC_SUSET, GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);
}

/*
 * The end of one attempt at reading a call's metadata (begun with
 * MxCatalogBeginCall): false when it is still valid, true when an
 * invalidation arrived meanwhile and the caller should read it again.
 * After the last attempt, 40001.  Use:
 *
 *		int attempt = 0;
 *		do { MxCatalogBeginCall(); ...read and lock... } while (MxRetryStale(&attempt));
 */
bool
MxRetryStale(int *attempt)
{
	if (mx_debug_invalidate_metadata)
		InvalidateSystemCaches();
	if (!MxCatalogIsStale())
		return false;
	if (++(*attempt) < MX_METADATA_ATTEMPTS)
		return true;
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("table definitions kept changing while they were read"),
			 errdetail("Concurrent changes to the tables involved invalidated them %d times in a row.",
					   MX_METADATA_ATTEMPTS),
			 errhint("Retry the transaction.")));
	return false;				/* keep the compiler quiet */
}
