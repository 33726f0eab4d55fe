/*
 * Intra-op threads for the native engine: one process-wide team of helper
 * threads that a large kernel call is split across (addon.c). The calling
 * thread computes part 0 and returns when every part is done. Kernels write
 * disjoint outputs by the same arithmetic whatever the split, so the bits do
 * not depend on the thread count (DESIGN.md §3).
 */
#ifndef TESSERA_PARALLEL_H
#define TESSERA_PARALLEL_H

/* Computes part `part` of `parts` of the job described by `ctx`. */
typedef void (*PartFn)(const void *ctx, int part, int parts);

/*
 * Runs fn(ctx, i, parts) for i in [0, parts) on the calling thread and
 * parts − 1 helpers, with `mem` as each helper's engine memory (tessera_mem).
 * Runs everything on the calling thread when parts ≤ 1, when another thread's
 * job holds the team, or when helpers cannot be started.
 */
void tessera_parallel(int parts, PartFn fn, const void *ctx, char *mem);

/* Helper threads started so far (they live as long as the process). */
int tessera_parallel_helpers(void);

/* Jobs split across helpers so far (tests: that a kernel family splits at all). */
double tessera_parallel_jobs(void);

#endif
