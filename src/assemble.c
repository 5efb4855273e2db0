/*-------------------------------------------------------------------------
 *
 * assemble.c
 *		Building the output documents.  A row's document is to_jsonb(row)
 *		as the statement returned it, plus one key per relation: an object
 *		or null (fk), an array (ifk, m2m).  Documents are written directly
 *		in jsonb's binary layout, children embedded byte for byte: no text
 *		in between, and no JsonbValue tree.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "assemble.h"

/* one member of an object being written: a source member or a child */
typedef struct MxMember
{
	const char *key;
	int			keylen;
	JEntry		type;			/* a source member's type bits */
	const char *data;			/* its value's bytes, without padding */
	uint32		len;
	MxChildValue *child;		/* or the relation value to write */
} MxMember;

static void MxPad(StringInfo buf);
static void MxInitBuffer(StringInfo buf, Size bound, MemoryContext cxt);
static Size MxDocsBound(int n, Jsonb **docs);
static JEntry MxAppendContainer(StringInfo buf, const JsonbContainer *jc, Size len);
static JEntry MxAppendArray(StringInfo buf, int n, Jsonb **docs);
static JEntry MxAppendValue(StringInfo buf, MxMember *m);
static void MxCheckLength(uint32 totallen);
static int	MxKeyCmp(const char *a, int alen, const char *b, int blen);
static int	MxChildCmp(const void *a, const void *b);

/* Pads buf with zeros to a 4-byte boundary, as jsonb aligns containers and numerics */
static void
MxPad(StringInfo buf)
{
	while (buf->len % sizeof(uint32) != 0)
		appendStringInfoChar(buf, '\0');
}

/*
 * A buffer of bound bytes in cxt (a bound past MaxAllocSize: a default
 * one, which grows until StringInfo's own limit, 54000).  Sized once, the
 * document is written without a repalloc.
 */
static void
MxInitBuffer(StringInfo buf, Size bound, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);

	if (bound < MaxAllocSize)
	{
		buf->data = palloc(bound + 1);
		buf->maxlen = bound + 1;
		resetStringInfo(buf);
	}
	else
		initStringInfo(buf);
	MemoryContextSwitchTo(old);
}

/* At most how many bytes an array of docs takes as a value (padding included) */
static Size
MxDocsBound(int n, Jsonb **docs)
{
	Size		bound = 2 * sizeof(uint32) + sizeof(JEntry) * (Size) n;
	int			i;

	for (i = 0; i < n; i++)
		bound += VARSIZE(docs[i]) - VARHDRSZ + sizeof(uint32);
	return bound;
}

/* A container too large for a jsonb offset is 54000, as jsonb itself says */
static void
MxCheckLength(uint32 totallen)
{
	if (totallen > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("total size of jsonb object elements exceeds the maximum of %u bytes",
						JENTRY_OFFLENMASK)));
}

/*
 * Appends a whole container (len bytes) as a value; the JEntry's length
 * counts the padding before it.
 */
static JEntry
MxAppendContainer(StringInfo buf, const JsonbContainer *jc, Size len)
{
	int			start = buf->len;

	MxPad(buf);
	appendBinaryStringInfo(buf, (const char *) jc, len);
	MxCheckLength(buf->len - start);
	return JENTRY_ISCONTAINER | (buf->len - start);
}

/*
 * Appends an array of documents (objects or arrays) as a value, laid out
 * as convertJsonbArray lays it out: the header, one JEntry per element
 * (every JB_OFFSET_STRIDE'th holding the end offset instead of the
 * length), then each element's container, padded to a 4-byte boundary
 * (the padding counting as part of the element).
 */
static JEntry
MxAppendArray(StringInfo buf, int n, Jsonb **docs)
{
	int			start = buf->len;
	uint32		header = (uint32) n | JB_FARRAY;
	int			jentries;
	uint32		totallen = 0;
	int			i;

	if ((uint32) n > JB_CMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("number of jsonb array elements exceeds the maximum allowed (%u)",
						JB_CMASK)));
	MxPad(buf);
	appendBinaryStringInfo(buf, (char *) &header, sizeof(uint32));
	jentries = buf->len;
	enlargeStringInfo(buf, sizeof(JEntry) * n);
	buf->len += sizeof(JEntry) * n;
	for (i = 0; i < n; i++)
	{
		JEntry		meta;

		CHECK_FOR_INTERRUPTS();
		Assert(!JB_ROOT_IS_SCALAR(docs[i]));
		meta = MxAppendContainer(buf, &docs[i]->root, VARSIZE(docs[i]) - VARHDRSZ);
		totallen += JBE_OFFLENFLD(meta);
		MxCheckLength(totallen);
		if (i % JB_OFFSET_STRIDE == 0)
			meta = JENTRY_ISCONTAINER | totallen | JENTRY_HAS_OFF;
		memcpy(buf->data + jentries + sizeof(JEntry) * i, &meta, sizeof(JEntry));
	}
	MxCheckLength(buf->len - start);
	return JENTRY_ISCONTAINER | (buf->len - start);
}

/* Appends one member's value; returns its JEntry (type and length) */
static JEntry
MxAppendValue(StringInfo buf, MxMember *m)
{
	MxChildValue *ch = m->child;
	int			start = buf->len;

	if (ch == NULL)
	{
		/* a source member, copied as it is (numerics realigned) */
		if (m->type == JENTRY_ISNUMERIC || m->type == JENTRY_ISCONTAINER)
			MxPad(buf);
		appendBinaryStringInfo(buf, m->data, m->len);
		return m->type | (buf->len - start);
	}
	if (ch->to_many)
		return MxAppendArray(buf, ch->n, ch->docs);
	if (ch->n > 0)
		return MxAppendContainer(buf, &ch->docs[0]->root, VARSIZE(ch->docs[0]) - VARHDRSZ);
	return JENTRY_ISNULL;
}

/* jsonb's order of object keys: shorter first, then bytewise */
static int
MxKeyCmp(const char *a, int alen, const char *b, int blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

/* qsort comparator of children by key, in jsonb's key order */
static int
MxChildCmp(const void *a, const void *b)
{
	const MxChildValue *ca = *(MxChildValue *const *) a;
	const MxChildValue *cb = *(MxChildValue *const *) b;

	return MxKeyCmp(ca->key, strlen(ca->key), cb->key, strlen(cb->key));
}

/*
 * doc (an object) with the children's keys added, written directly in
 * jsonb's binary layout into result_cxt, as convertJsonbObject lays an
 * object out: the header, the keys' JEntries then the values', the keys'
 * bytes then the values'.  doc's members are copied byte for byte and the
 * children's documents embedded whole: nothing is unpacked into a
 * JsonbValue tree and serialised again, so nesting costs what copying
 * costs.  A child key equal to one of doc's keys replaces that member.
 * Scratch memory goes to the current context.
 */
Jsonb *
MxDocWithChildren(Jsonb *doc, int nchildren, MxChildValue *children,
				  MemoryContext result_cxt)
{
	JsonbContainer *jc = &doc->root;
	int			nsrc = JsonContainerSize(jc);
	char	   *base = (char *) &jc->children[nsrc * 2];
	MxChildValue **sorted = palloc(sizeof(MxChildValue *) * Max(nchildren, 1));
	MxMember   *members = palloc(sizeof(MxMember) * (nsrc + nchildren));
	int			nmembers = 0;
	int			s = 0;
	int			c = 0;
	Size		bound;
	StringInfoData buf;
	uint32		header;
	int			jentries;
	uint32		totallen = 0;
	int			i;

	Assert(JsonContainerIsObject(jc));
	for (i = 0; i < nchildren; i++)
		sorted[i] = &children[i];
	qsort(sorted, nchildren, sizeof(MxChildValue *), MxChildCmp);

	/* merge doc's members (already in key order) with the children */
	while (s < nsrc || c < nchildren)
	{
		MxMember   *m = &members[nmembers++];
		const char *skey = NULL;
		int			skeylen = 0;
		int			cmp;

		if (s < nsrc)
		{
			skey = base + getJsonbOffset(jc, s);
			skeylen = getJsonbLength(jc, s);
		}
		if (s >= nsrc)
			cmp = 1;
		else if (c >= nchildren)
			cmp = -1;
		else
			cmp = MxKeyCmp(skey, skeylen, sorted[c]->key, strlen(sorted[c]->key));
		if (cmp < 0)
		{
			JEntry		je = jc->children[nsrc + s];
			uint32		off = getJsonbOffset(jc, nsrc + s);
			uint32		len = getJsonbLength(jc, nsrc + s);

			m->key = skey;
			m->keylen = skeylen;
			m->type = je & JENTRY_TYPEMASK;
			if (m->type == JENTRY_ISNUMERIC || m->type == JENTRY_ISCONTAINER)
			{
				len -= INTALIGN(off) - off;
				off = INTALIGN(off);
			}
			m->data = base + off;
			m->len = len;
			m->child = NULL;
			s++;
		}
		else
		{
			m->key = sorted[c]->key;
			m->keylen = strlen(sorted[c]->key);
			m->child = sorted[c];
			c++;
			if (cmp == 0)
				s++;			/* the relation replaces doc's member */
		}
	}

	/* room for doc, the children and their keys, entries and padding */
	bound = VARSIZE(doc) + sizeof(uint32) + 2 * sizeof(JEntry) * (Size) nmembers;
	for (i = 0; i < nchildren; i++)
		bound += strlen(children[i].key) + sizeof(uint32) +
			(children[i].to_many ? MxDocsBound(children[i].n, children[i].docs) :
			 children[i].n > 0 ? VARSIZE(children[i].docs[0]) : 0);
	MxInitBuffer(&buf, bound, result_cxt);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	header = (uint32) nmembers | JB_FOBJECT;
	appendBinaryStringInfo(&buf, (char *) &header, sizeof(uint32));
	jentries = buf.len;
	enlargeStringInfo(&buf, sizeof(JEntry) * nmembers * 2);
	buf.len += sizeof(JEntry) * nmembers * 2;
	for (i = 0; i < nmembers * 2; i++)
	{
		MxMember   *m = &members[i % nmembers];
		JEntry		meta;

		if (i < nmembers)
		{
			appendBinaryStringInfo(&buf, m->key, m->keylen);
			meta = JENTRY_ISSTRING | m->keylen;
		}
		else
			meta = MxAppendValue(&buf, m);
		totallen += JBE_OFFLENFLD(meta);
		MxCheckLength(totallen);
		if (i % JB_OFFSET_STRIDE == 0)
			meta = (meta & JENTRY_TYPEMASK) | totallen | JENTRY_HAS_OFF;
		memcpy(buf.data + jentries + sizeof(JEntry) * i, &meta, sizeof(JEntry));
	}
	SET_VARSIZE(buf.data, buf.len);
	return (Jsonb *) buf.data;
}

/*
 * A jsonb array of documents (each an object or array), written directly
 * in jsonb's binary layout (MxAppendArray).  Going through pushJsonbValue
 * would unpack every document into a JsonbValue tree only to serialise it
 * again.
 */
Jsonb *
MxJsonbArray(int n, Jsonb **docs)
{
	StringInfoData buf;

	MxInitBuffer(&buf, VARHDRSZ + MxDocsBound(n, docs), CurrentMemoryContext);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	(void) MxAppendArray(&buf, n, docs);
	SET_VARSIZE(buf.data, buf.len);
	return (Jsonb *) buf.data;
}

/*
 * A jsonb array of n arrays of documents (the i-th: counts[i] of them,
 * docs[i]), written as MxJsonbArray would write the array of the
 * MxJsonbArray of each, in one buffer: the documents are copied once
 */
Jsonb *
MxJsonbArrays(int n, const int *counts, Jsonb ***docs)
{
	StringInfoData buf;
	Size		bound = 2 * sizeof(uint32) + sizeof(JEntry) * (Size) n;
	uint32		header = (uint32) n | JB_FARRAY;
	uint32		totallen = 0;
	int			jentries;
	int			i;

	if ((uint32) n > JB_CMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("number of jsonb array elements exceeds the maximum allowed (%u)",
						JB_CMASK)));
	for (i = 0; i < n; i++)
		bound += MxDocsBound(counts[i], docs[i]) + sizeof(uint32);
	MxInitBuffer(&buf, VARHDRSZ + bound, CurrentMemoryContext);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	appendBinaryStringInfo(&buf, (char *) &header, sizeof(uint32));
	jentries = buf.len;
	enlargeStringInfo(&buf, sizeof(JEntry) * n);
	buf.len += sizeof(JEntry) * n;
	for (i = 0; i < n; i++)
	{
		JEntry		meta = MxAppendArray(&buf, counts[i], docs[i]);

		totallen += JBE_OFFLENFLD(meta);
		MxCheckLength(totallen);
		if (i % JB_OFFSET_STRIDE == 0)
			meta = JENTRY_ISCONTAINER | totallen | JENTRY_HAS_OFF;
		memcpy(buf.data + jentries + sizeof(JEntry) * i, &meta, sizeof(JEntry));
	}
	SET_VARSIZE(buf.data, buf.len);
	return (Jsonb *) buf.data;
}

/*
 * An array of n documents written one by one (for results too big to hold
 * twice): the header and the n JEntries first, each document appended as
 * it comes, in the context current at MxArrayBegin.
 */
void
MxArrayBegin(MxArrayWriter *w, int n)
{
	uint32		header = (uint32) n | JB_FARRAY;

	if ((uint32) n > JB_CMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("number of jsonb array elements exceeds the maximum allowed (%u)",
						JB_CMASK)));
	w->n = n;
	w->i = 0;
	w->totallen = 0;
	initStringInfo(&w->buf);
	appendStringInfoSpaces(&w->buf, VARHDRSZ);
	appendBinaryStringInfo(&w->buf, (char *) &header, sizeof(uint32));
	w->jentries = w->buf.len;
	enlargeStringInfo(&w->buf, sizeof(JEntry) * n);
	w->buf.len += sizeof(JEntry) * n;
}

/* Appends the next document (copied) */
void
MxArrayAdd(MxArrayWriter *w, Jsonb *doc)
{
	JEntry		meta;

	Assert(w->i < w->n && !JB_ROOT_IS_SCALAR(doc));
	meta = MxAppendContainer(&w->buf, &doc->root, VARSIZE(doc) - VARHDRSZ);
	w->totallen += JBE_OFFLENFLD(meta);
	MxCheckLength(w->totallen);
	if (w->i % JB_OFFSET_STRIDE == 0)
		meta = JENTRY_ISCONTAINER | w->totallen | JENTRY_HAS_OFF;
	memcpy(w->buf.data + w->jentries + sizeof(JEntry) * w->i, &meta, sizeof(JEntry));
	w->i++;
}

/* The array, once its n documents are in */
Jsonb *
MxArrayEnd(MxArrayWriter *w)
{
	if (w->i != w->n)
		elog(ERROR, "jsonb array writer got %d documents, not %d", w->i, w->n);
	SET_VARSIZE(w->buf.data, w->buf.len);
	return (Jsonb *) w->buf.data;
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
