/*-------------------------------------------------------------------------
 *
 * assemble.h
 *		jsonb in and out of the loader: documents written directly in
 *		jsonb's binary layout, children embedded as binary containers (never
 *		serialised to text and parsed again), and key values read out of
 *		the caller's jsonb with the column type's input function.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_ASSEMBLE_H
#define MX_ASSEMBLE_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* what one relation key adds to a document */
typedef struct MxChildValue
{
	const char *key;
	bool		to_many;
	int			n;				/* to one: 0 (null) or 1 */
	Jsonb	  **docs;
} MxChildValue;

/* an array of documents written as they come */
typedef struct MxArrayWriter
{
	StringInfoData buf;
	int			n;
	int			i;
	int			jentries;
	uint32		totallen;
} MxArrayWriter;

extern void MxArrayBegin(MxArrayWriter *w, int n);
extern void MxArrayAdd(MxArrayWriter *w, Jsonb *doc);
extern Jsonb *MxArrayEnd(MxArrayWriter *w);
extern Jsonb *MxDocWithChildren(Jsonb *doc, int nchildren, MxChildValue *children,
								 MemoryContext result_cxt);
extern Jsonb *MxJsonbArray(int n, Jsonb **docs);
extern Jsonb *MxJsonbArrays(int n, const int *counts, Jsonb ***docs);
extern Datum MxJsonbToDatum(JsonbValue *v, Oid typid, int32 typmod, bool *isnull);
extern Jsonb *MxContainerToJsonb(JsonbValue *v);

#endif							/* MX_ASSEMBLE_H */
