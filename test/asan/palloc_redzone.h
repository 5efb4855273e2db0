/*
 * palloc_redzone.h: forced into every file of the ASan build of the module
 * (gcc -include, test/asan/run.sh) so the sanitizer sees overruns of the
 * module's own small palloc chunks.
 *
 * AllocSet carves small chunks out of shared malloc'd blocks: to the sanitizer
 * a whole block is one allocation, so an overrun into the next chunk goes
 * unseen.  A request over ALLOCSET_SEPARATE_THRESHOLD gets a block of its
 * own.  Here every small request the module makes is raised over that
 * threshold and the bytes past the requested size are poisoned: an access
 * one byte past the chunk is reported.  The poison cannot outlive the chunk:
 * the block is malloc'd for it alone, and free() or realloc() (pfree,
 * repalloc, a context reset, from the module or from core) hands it back to
 * the sanitizer, which re-marks it.
 *
 * An assert-enabled server (CLOBBER_FREED_MEMORY) wipes a chunk it frees
 * (wipe_mem: a memset over the whole block), poisoned tail included, which
 * the sanitizer would report: the module's pfree and repalloc unpoison the
 * tail first.
 *
 * Each request then costs a block of over 8 kB, so a backend pads only its
 * first MX_REDZONE_BUDGET bytes and allocates normally after that.  The
 * relation cache's context is never padded: its size limit counts the
 * context's memory, and padding would evict entries the tests expect.
 */
#ifndef MX_PALLOC_REDZONE_H
#define MX_PALLOC_REDZONE_H

#include "postgres.h"
#include "nodes/memnodes.h"
#include "utils/memutils.h"

#include <sanitizer/asan_interface.h>

#define MX_REDZONE_BUDGET ((Size) 256 * 1024 * 1024)

/* one counter for the whole module (weak: every file defines it) */
__attribute__((weak)) Size mx_redzone_used = 0;

/* How much to ask for so the chunk gets its own block, or size as it is */
static inline Size
mx_redzone_size(MemoryContext cxt, Size size)
{
	if (size > ALLOCSET_SEPARATE_THRESHOLD || !IsA(cxt, AllocSetContext) ||
		mx_redzone_used >= MX_REDZONE_BUDGET ||
		strcmp(cxt->name, "matrx_relations cache") == 0)
		return size;
	mx_redzone_used += ALLOCSET_SEPARATE_THRESHOLD + 1;
	return ALLOCSET_SEPARATE_THRESHOLD + 1;
}

/* Poisons what lies between the requested size and the block's end */
static inline void *
mx_redzone_poison(void *p, Size size, Size asked)
{
	if (p != NULL && asked > size)
		ASAN_POISON_MEMORY_REGION((char *) p + size, asked - size);
	return p;
}

/* MemoryContextAllocExtended with a poisoned tail */
static inline void *
mx_redzone_alloc(MemoryContext cxt, Size size, int flags)
{
	Size		asked = mx_redzone_size(cxt, size);

	return mx_redzone_poison(MemoryContextAllocExtended(cxt, asked, flags), size, asked);
}

/*
 * Unpoisons what a padded chunk may hold poisoned, before the allocator
 * frees or moves it.  A padded chunk is one with a block of its own (its
 * size past ALLOCSET_SEPARATE_THRESHOLD, its space less the chunk header,
 * measured once on an 8-byte chunk); any such chunk holds at least the
 * padded size, so unpoisoning that much stays within it.
 */
static inline void
mx_redzone_unpoison(void *pointer)
{
	static Size header = 0;

	if (!IsA(GetMemoryChunkContext(pointer), AllocSetContext))
		return;
	if (header == 0)
	{
		void	   *probe = MemoryContextAlloc(TopMemoryContext, 8);

		header = GetMemoryChunkSpace(probe) - 8;
		pfree(probe);
	}
	if (GetMemoryChunkSpace(pointer) - header > ALLOCSET_SEPARATE_THRESHOLD)
		ASAN_UNPOISON_MEMORY_REGION(pointer, ALLOCSET_SEPARATE_THRESHOLD + 1);
}

/* pfree, the tail unpoisoned first */
static inline void
mx_redzone_free(void *pointer)
{
	mx_redzone_unpoison(pointer);
	pfree(pointer);
}

/* repalloc, or repalloc_huge, with a poisoned tail */
static inline void *
mx_redzone_realloc(void *pointer, Size size, bool huge)
{
	Size		asked = mx_redzone_size(GetMemoryChunkContext(pointer), size);

	mx_redzone_unpoison(pointer);

	return mx_redzone_poison(huge ? repalloc_huge(pointer, asked) : repalloc(pointer, asked),
							 size, asked);
}

#define MemoryContextAlloc(cxt, size) mx_redzone_alloc((cxt), (size), 0)
#define MemoryContextAllocZero(cxt, size) mx_redzone_alloc((cxt), (size), MCXT_ALLOC_ZERO)
#define MemoryContextAllocZeroAligned(cxt, size) mx_redzone_alloc((cxt), (size), MCXT_ALLOC_ZERO)
#define MemoryContextAllocExtended(cxt, size, flags) mx_redzone_alloc((cxt), (size), (flags))
#define MemoryContextAllocHuge(cxt, size) mx_redzone_alloc((cxt), (size), MCXT_ALLOC_HUGE)
#define palloc(size) mx_redzone_alloc(CurrentMemoryContext, (size), 0)
#define palloc0(size) mx_redzone_alloc(CurrentMemoryContext, (size), MCXT_ALLOC_ZERO)
#define palloc_extended(size, flags) mx_redzone_alloc(CurrentMemoryContext, (size), (flags))
#define repalloc(pointer, size) mx_redzone_realloc((pointer), (size), false)
#define repalloc_huge(pointer, size) mx_redzone_realloc((pointer), (size), true)
#define pfree(pointer) mx_redzone_free(pointer)

#endif							/* MX_PALLOC_REDZONE_H */
