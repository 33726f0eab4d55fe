/*
 * The helper team of parallel.h. A job is published by bumping `gen`; each
 * helper spins briefly on it (kernel calls of one model run follow each
 * other within microseconds), then sleeps on a condition variable, so an
 * idle team takes no CPU from anything else. Every helper acknowledges every
 * job (computing its part or not), which keeps a slow helper from reading
 * the next job's fields half-written.
 */
#include "parallel.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

extern _Thread_local char *tessera_mem;

/* Most helpers the team starts (a job asks for at most this many + 1 parts). */
#define MAX_HELPERS 63
/*
 * Spin iterations before a helper sleeps (~40 ns each with a pause, and a
 * yield every 16 so that V8's own threads still get the core: ~0.3 ms).
 * Waking a sleeping helper on a VM took up to milliseconds.
 */
#define SPIN 6000

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static struct {
  pthread_mutex_t submit; /* one job at a time; held from publishing until every helper acknowledged */
  pthread_mutex_t m;      /* with cv: sleeping helpers */
  pthread_cond_t cv;
  atomic_uint gen;        /* bumped per job */
  atomic_ullong jobs;     /* jobs split so far */
  atomic_int pending;     /* helpers yet to acknowledge the current job */
  int helpers;            /* started, under `submit` */
  PartFn fn;
  const void *ctx;
  int parts;
  char *mem;
  unsigned born[MAX_HELPERS + 1]; /* the generation current when each helper was started */
} team = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, 0, 0, 0, {0}};

static void *helper_main(void *arg) {
  const int id = (int)(intptr_t)arg; /* 1…MAX_HELPERS: the part it computes */
  /* Started under `submit` before the job that needed it was published: every later generation is its to run. */
  unsigned seen = team.born[id];
  for (;;) {
    unsigned g;
    int spins = 0;
    while ((g = atomic_load_explicit(&team.gen, memory_order_acquire)) == seen) {
      if (++spins < SPIN) {
        if (spins % 16 == 0) sched_yield();
        else relax();
        continue;
      }
      pthread_mutex_lock(&team.m);
      while ((g = atomic_load_explicit(&team.gen, memory_order_acquire)) == seen) pthread_cond_wait(&team.cv, &team.m);
      pthread_mutex_unlock(&team.m);
      break;
    }
    seen = g;
    if (id < team.parts) {
      tessera_mem = team.mem;
      team.fn(team.ctx, id, team.parts);
    }
    atomic_fetch_sub_explicit(&team.pending, 1, memory_order_acq_rel);
  }
  return NULL;
}

/* Starts helpers up to `want` (under `submit`); returns how many there are. */
static int grow(int want) {
  if (want > MAX_HELPERS) want = MAX_HELPERS;
  while (team.helpers < want) {
    pthread_t t;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) break;
    team.born[team.helpers + 1] = atomic_load_explicit(&team.gen, memory_order_relaxed);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    const int ok = pthread_create(&t, &attr, helper_main, (void *)(intptr_t)(team.helpers + 1)) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) break;
    team.helpers++;
  }
  return team.helpers;
}

void tessera_parallel(int parts, PartFn fn, const void *ctx, char *mem) {
  if (parts > 1 && pthread_mutex_trylock(&team.submit) == 0) {
    const int helpers = grow(parts - 1);
    if (parts > helpers + 1) parts = helpers + 1;
    if (parts > 1) {
      team.fn = fn;
      team.ctx = ctx;
      team.parts = parts;
      team.mem = mem;
      atomic_store_explicit(&team.pending, helpers, memory_order_relaxed);
      atomic_fetch_add_explicit(&team.jobs, 1, memory_order_relaxed);
      pthread_mutex_lock(&team.m);
      atomic_fetch_add_explicit(&team.gen, 1, memory_order_release);
      pthread_cond_broadcast(&team.cv);
      pthread_mutex_unlock(&team.m);
      fn(ctx, 0, parts);
      for (int spins = 0; atomic_load_explicit(&team.pending, memory_order_acquire) > 0; spins++) {
        if (spins < 2000) relax();
        else sched_yield();
      }
      pthread_mutex_unlock(&team.submit);
      return;
    }
    pthread_mutex_unlock(&team.submit);
  }
  fn(ctx, 0, 1);
}

int tessera_parallel_helpers(void) {
  pthread_mutex_lock(&team.submit);
  const int n = team.helpers;
  pthread_mutex_unlock(&team.submit);
  return n;
}

double tessera_parallel_jobs(void) { return (double)atomic_load_explicit(&team.jobs, memory_order_relaxed); }
