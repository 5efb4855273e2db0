/*-------------------------------------------------------------------------
 *
 * typed.h
 *		The typed, normalized form of the batched engine (load, load_batch,
 *		load_nodes): each distinct row of each table once, as a composite
 *		value, and the links (node, id, parent) that attach it to its
 *		parents.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MX_TYPED_H
#define MX_TYPED_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/execnodes.h"
#include "nodes/pg_list.h"

/* typed.c */
extern void MxTypedResults(List *requests);
extern List *MxNodesInOrder(struct MxPathNode *root);
extern int	MxNodeNumber(List *nodes, struct MxPathNode *node);
extern void MxTypedLoad(List *reqs, ReturnSetInfo *rsinfo, bool batch);

#endif							/* MX_TYPED_H */
