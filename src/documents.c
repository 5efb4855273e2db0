/*-------------------------------------------------------------------------
 *
 * documents.c
 *		The jsonb documents of a finished load, bottom-up: each row's
 *		to_jsonb plus its children, built once per node (once for all
 *		nodes alike) and embedded into every parent; then each request's
 *		result documents, emitted or kept in the caller's memory.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "assemble.h"
#include "keys.h"
#include "loader.h"
#include "matrx_relations.h"

/*
 * A node whose rows each belong to one parent row (an ifk edge: rows are
 * matched on a key of the parent) has its documents built while its
 * parent's are, and not kept: they are embedded once and dropped, which
 * keeps the biggest level of a load (order items, say) out of memory.
 * Other nodes' rows can be shared by many parents (an fk target, an m2m
 * target), so their documents are built once and kept.
 */
#define MX_LAZY(node) ((node)->rel != NULL && (node)->rel->kind == MX_KIND_IFK)

/*
 * Documents of one group's rows, shared by its nodes whose subtrees are
 * alike (same children under the same keys, recursively): each built once
 */
typedef struct MxDocClass
{
	MxPathNode *node;			/* the first node of the class */
	Jsonb	  **final;			/* per row of the group: its document, or NULL */
} MxDocClass;

static Jsonb *MxAssemble(MxPathNode *node, int row, MemoryContext result_cxt);
static bool MxSameSubtree(MxPathNode *a, MxPathNode *b);
static void MxAssembleNode(MxPathNode *node, List **classes);
static Jsonb *MxEmitResult(MxRequest *req, MemoryContext caller, int *nout, Jsonb *doc);
static void MxMergedResults(MxRequest *req, MemoryContext caller);
static void MxRequestResults(MxRequest *req, MemoryContext caller);

/*
 * The document of one row of node, with its children, serialised into
 * result_cxt (a row without children is its statement's document as it
 * is).  Scratch memory goes to the current context.
 */
static Jsonb *
MxAssemble(MxPathNode *node, int row, MemoryContext result_cxt)
{
	MxNodeState *st = (MxNodeState *) node->exec;
	int			nchildren = list_length(node->children);
	MxChildValue *children;
	ListCell   *lc;
	int			c = 0;
	bool		prev_arm = false;

	if (nchildren == 0)
		return st->rows->docs[row];
	children = palloc(sizeof(MxChildValue) * nchildren);
	foreach(lc, node->children)
	{
		MxPathNode *child = (MxPathNode *) lfirst(lc);
		MxNodeState *cs = (MxNodeState *) child->exec;
		MxChildValue *cv;
		int			ki = cs->parent_key[row];
		int			r;

		/* a polymorphic relation's arms share one key: the first with a row gives it */
		if (child->poly_arm && c > 0 && prev_arm && strcmp(children[c - 1].key, child->key) == 0)
		{
			cv = &children[c - 1];
			if (cv->n > 0)
				continue;
		}
		else
			cv = &children[c++];
		prev_arm = child->poly_arm;
		cv->key = child->key;
		cv->to_many = !MxRelToOne(child->rel);
		cv->n = 0;
		cv->docs = NULL;
		if (ki < 0)
			continue;
		for (r = cs->rows->key_first[ki]; r >= 0; r = cs->rows->row_next[r])
			cv->n++;
		if (!cv->to_many && cv->n > 1)
			cv->n = 1;
		cv->docs = palloc(sizeof(Jsonb *) * Max(cv->n, 1));
		cv->n = 0;
		for (r = cs->rows->key_first[ki]; r >= 0; r = cs->rows->row_next[r])
		{
			/* a lazy child's documents are built here, into scratch memory */
			cv->docs[cv->n++] = MX_LAZY(child) ?
				MxAssemble(child, r, CurrentMemoryContext) : cs->final[r];
			if (!cv->to_many)
				break;
		}
		if (child->poly_arm && cv->n == 1)
			cv->docs[0] = MxPolyMarked(child, cv->docs[0]);
	}
	return MxDocWithChildren(st->rows->docs[row], c, children, result_cxt);
}

/* Whether two nodes' rows get the same documents: same group, same children under the same keys */
static bool
MxSameSubtree(MxPathNode *a, MxPathNode *b)
{
	ListCell   *la;
	ListCell   *lb;

	check_stack_depth();
	if (a->group != b->group || list_length(a->children) != list_length(b->children))
		return false;
	forboth(la, a->children, lb, b->children)
	{
		MxPathNode *ca = (MxPathNode *) lfirst(la);
		MxPathNode *cb = (MxPathNode *) lfirst(lb);

		if (strcmp(ca->key, cb->key) != 0 || !MxSameSubtree(ca, cb))
			return false;
	}
	return true;
}

/*
 * Builds the documents of every row node reaches, into the array of its
 * class (nodes alike share it: a row's document is built once for all)
 */
static void
MxAssembleNode(MxPathNode *node, List **classes)
{
	MxNodeState *st = (MxNodeState *) node->exec;
	MxDocClass *class = NULL;
	ListCell   *lc;
	int			r;

	foreach(lc, *classes)
		if (MxSameSubtree(((MxDocClass *) lfirst(lc))->node, node))
		{
			class = (MxDocClass *) lfirst(lc);
			break;
		}
	if (class == NULL)
	{
		class = palloc(sizeof(MxDocClass));
		class->node = node;
		class->final = MxAllocArray(st->rows->nrows, sizeof(Jsonb *), true);
		*classes = lappend(*classes, class);
	}
	st->final = class->final;
	MemoryContextSwitchTo(mx_scratch_cxt);
	for (r = 0; r < st->nreach; r++)
	{
		CHECK_FOR_INTERRUPTS();
		if (st->final[st->reach[r]] != NULL)
			continue;
		st->final[st->reach[r]] = MxAssemble(node, st->reach[r], mx_load_cxt);
		MemoryContextReset(mx_scratch_cxt);
	}
	MemoryContextSwitchTo(mx_load_cxt);
}

/* Hands one result document to the request (emitted, or kept in caller) */
static Jsonb *
MxEmitResult(MxRequest *req, MemoryContext caller, int *nout, Jsonb *doc)
{
	Jsonb	   *copy = NULL;

	if (req->emit != NULL)
		req->emit(req->emit_arg, doc);	/* a tuplestore copies it */
	else
	{
		copy = (Jsonb *) MemoryContextAlloc(caller, VARSIZE(doc));
		memcpy(copy, doc, VARSIZE(doc));
		req->results[*nout] = copy;
	}
	(*nout)++;
	return copy;
}

/*
 * The results of a request run as part of another: that one's documents
 * (made once, kept in caller) of its keys, in their order
 */
static void
MxMergedResults(MxRequest *req, MemoryContext caller)
{
	MxRequest  *m = req->merged;
	int			i;

	if (!m->done)
	{
		m->key_docs = MemoryContextAllocZero(caller, sizeof(Jsonb *) * Max(m->nkeys, 1));
		MxRequestResults(m, caller);
		m->done = true;
	}
	req->results = MemoryContextAlloc(caller, sizeof(Jsonb *) * Max(req->nkeys, 1));
	req->nresults = 0;
	for (i = 0; i < req->nkeys; i++)
	{
		int			k = MxKeySetFind(m->keyset, &req->keys[i]);

		if (m->key_docs[k] != NULL)
			req->results[req->nresults++] = m->key_docs[k];
	}
}

/*
 * A request's result documents, in order (instances; or keys: cached
 * documents, and fetched ones, then cached), emitted or kept in caller
 */
static void
MxRequestResults(MxRequest *req, MemoryContext caller)
{
	MxNodeState *st = req->root->exec;
	int			nout = 0;
	int			f = 0;
	int			r;

	if (req->emit == NULL)
		req->results = MemoryContextAlloc(caller, sizeof(Jsonb *) *
										  Max(req->instances ? st->nreach : req->nkeys, 1));
	MemoryContextSwitchTo(mx_scratch_cxt);
	for (r = 0; r < (req->instances ? st->nreach : req->nkeys); r++)
	{
		Jsonb	   *doc;

		CHECK_FOR_INTERRUPTS();
		if (req->instances)
			doc = MxAssemble(req->root, st->reach[r], mx_scratch_cxt);
		else if (!MxRequestCached(req, r, &doc))
		{
			int			row = req->fetch_row ? req->fetch_row[f] : -1;

			f++;
			doc = row >= 0 ? MxAssemble(req->root, row, mx_scratch_cxt) : NULL;
			MxRequestRemember(req, r, doc);
		}
		if (doc != NULL)
		{
			Jsonb	   *kept = MxEmitResult(req, caller, &nout, doc);

			if (req->key_docs != NULL)
				req->key_docs[r] = kept;
		}
		MemoryContextReset(mx_scratch_cxt);
	}
	MemoryContextSwitchTo(mx_load_cxt);
	req->nresults = nout;
}

/*
 * The documents of a finished load (bydepth: its path nodes by depth),
 * bottom-up, then each request's results, allocated in caller
 */
void
MxLoadDocuments(List **bydepth, List *requests, MemoryContext caller)
{
	List	   *classes = NIL;
	ListCell   *lc;
	int			d;

	for (d = MX_MAX_PATH_DEPTH; d >= 1; d--)
		foreach(lc, bydepth[d])
			if (!MX_LAZY((MxPathNode *) lfirst(lc)))
				MxAssembleNode((MxPathNode *) lfirst(lc), &classes);
	foreach(lc, requests)
	{
		MxRequest  *req = (MxRequest *) lfirst(lc);

		if (req->merged != NULL)
			MxMergedResults(req, caller);
		else
			MxRequestResults(req, caller);
	}
}
