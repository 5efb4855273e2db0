/*-------------------------------------------------------------------------
 *
 * assemble.c
 *		Building the output documents.  A row's document is to_jsonb(row)
 *		as the statement returned it, plus one key per relation: an object
 *		or null (fk), an array (ifk, m2m).  Child documents are embedded as
 *		jbvBinary values, which pushJsonbValue copies token by token: no
 *		text in between.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "assemble.h"

static void MxPushDoc(JsonbParseState **state, JsonbIteratorToken tok, Jsonb *doc);

/* Pushes a whole document as one value or element */
static void
MxPushDoc(JsonbParseState **state, JsonbIteratorToken tok, Jsonb *doc)
{
	JsonbValue	v;

	v.type = jbvBinary;
	v.val.binary.data = &doc->root;
	v.val.binary.len = VARSIZE(doc) - VARHDRSZ;
	(void) pushJsonbValue(state, tok, &v);
}

/*
 * doc (an object) with the children's keys added.  The parse tree is built
 * in the current (scratch) context; the result is serialised into
 * result_cxt, so the caller can reset the scratch context per document.
 */
Jsonb *
MxDocWithChildren(Jsonb *doc, int nchildren, MxChildValue *children,
				  MemoryContext result_cxt)
{
	MemoryContext old;
	Jsonb	   *result;
	JsonbParseState *state = NULL;
	JsonbIterator *it = JsonbIteratorInit(&doc->root);
	JsonbIteratorToken tok;
	JsonbValue	v;
	JsonbValue *res = NULL;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_END_OBJECT)
		{
			int			c;

			for (c = 0; c < nchildren; c++)
			{
				MxChildValue *ch = &children[c];
				JsonbValue	k;
				int			i;

				k.type = jbvString;
				k.val.string.val = (char *) ch->key;
				k.val.string.len = strlen(ch->key);
				(void) pushJsonbValue(&state, WJB_KEY, &k);
				if (ch->to_many)
				{
					(void) pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
					for (i = 0; i < ch->n; i++)
					{
						CHECK_FOR_INTERRUPTS();
						MxPushDoc(&state, WJB_ELEM, ch->docs[i]);
					}
					(void) pushJsonbValue(&state, WJB_END_ARRAY, NULL);
				}
				else if (ch->n > 0)
					MxPushDoc(&state, WJB_VALUE, ch->docs[0]);
				else
				{
					JsonbValue	null;

					null.type = jbvNull;
					(void) pushJsonbValue(&state, WJB_VALUE, &null);
				}
			}
		}
		res = pushJsonbValue(&state, tok,
							 tok == WJB_BEGIN_OBJECT || tok == WJB_END_OBJECT ||
							 tok == WJB_BEGIN_ARRAY || tok == WJB_END_ARRAY ? NULL : &v);
	}
	old = MemoryContextSwitchTo(result_cxt);
	result = JsonbValueToJsonb(res);
	MemoryContextSwitchTo(old);
	return result;
}

/*
 * A jsonb array of documents (each an object or array), written directly
 * in jsonb's binary layout, the way convertJsonbArray lays it out: the
 * header, one JEntry per element (every JB_OFFSET_STRIDE'th holding the end
 * offset instead of the length), then each element's container, padded to
 * a 4-byte boundary (the padding counting as part of the element).  Going
 * through pushJsonbValue would unpack every document into a JsonbValue
 * tree only to serialise it again.
 */
Jsonb *
MxJsonbArray(int n, Jsonb **docs)
{
	StringInfoData buf;
	uint32		header = (uint32) n | JB_FARRAY;
	int			jentries;
	uint32		totallen = 0;
	int			i;

	if ((uint32) n > JB_CMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("number of jsonb array elements exceeds the maximum allowed (%u)",
						JB_CMASK)));
	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	appendBinaryStringInfo(&buf, (char *) &header, sizeof(uint32));
	jentries = buf.len;
	enlargeStringInfo(&buf, sizeof(JEntry) * n);
	buf.len += sizeof(JEntry) * n;

	for (i = 0; i < n; i++)
	{
		int			start = buf.len;
		uint32		len;
		JEntry		meta;

		CHECK_FOR_INTERRUPTS();
		Assert(!JB_ROOT_IS_SCALAR(docs[i]));
		while (buf.len % sizeof(uint32) != 0)
			appendStringInfoChar(&buf, '\0');
		appendBinaryStringInfo(&buf, (char *) &docs[i]->root, VARSIZE(docs[i]) - VARHDRSZ);
		len = buf.len - start;
		totallen += len;
		if (totallen > JENTRY_OFFLENMASK)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("total size of jsonb array elements exceeds the maximum of %u bytes",
							JENTRY_OFFLENMASK)));
		meta = JENTRY_ISCONTAINER | len;
		if (i % JB_OFFSET_STRIDE == 0)
			meta = JENTRY_ISCONTAINER | totallen | JENTRY_HAS_OFF;
		memcpy(buf.data + jentries + sizeof(JEntry) * i, &meta, sizeof(JEntry));
	}
	SET_VARSIZE(buf.data, buf.len);
	return (Jsonb *) buf.data;
}

/* A container value (an element or object member) as a Jsonb of its own */
Jsonb *
MxContainerToJsonb(JsonbValue *v)
{
	return JsonbValueToJsonb(v);
}

/*
 * A JSON value as a value of typid: the type's input function applied to
 * its text (a string's contents, a number's or boolean's literal); JSON
 * null is SQL NULL.
 */
Datum
MxJsonbToDatum(JsonbValue *v, Oid typid, int32 typmod, bool *isnull)
{
	Oid			infunc;
	Oid			ioparam;
	char	   *str;

	*isnull = false;
	switch (v->type)
	{
		case jbvNull:
			*isnull = true;
			return (Datum) 0;
		case jbvString:
			str = pnstrdup(v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			str = DatumGetCString(DirectFunctionCall1(numeric_out,
													  NumericGetDatum(v->val.numeric)));
			break;
		case jbvBool:
			str = v->val.boolean ? "true" : "false";
			break;
		case jbvBinary:
			str = JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
	getTypeInputInfo(typid, &infunc, &ioparam);
	return OidInputFunctionCall(infunc, str, ioparam, typmod);
}
