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

/* doc (an object) with the children's keys added */
Jsonb *
MxDocWithChildren(Jsonb *doc, int nchildren, MxChildValue *children)
{
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
	return JsonbValueToJsonb(res);
}

/* A jsonb array of documents */
Jsonb *
MxJsonbArray(int n, Jsonb **docs)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;
	int			i;

	(void) pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		MxPushDoc(&state, WJB_ELEM, docs[i]);
	}
	res = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(res);
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
