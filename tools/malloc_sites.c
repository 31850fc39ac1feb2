/*
 * Where do the allocations that outlive a stretch of work come from?
 *
 * Preloaded (LD_PRELOAD) into a process, this library wraps glibc's malloc
 * family. Between mt_start() and mt_stop() it records each allocation with its
 * call stack; frees remove it, whenever they come. mt_dump(path) writes what is
 * still allocated, grouped by stack: the allocations made in the window that
 * nothing has freed since. heaptrack would answer the same question, but the
 * kiosk aborts under it on our machines (std::bad_alloc) or runs 50 times
 * slower; this costs a backtrace per allocation, only while recording.
 *
 * Build: gcc -O2 -fPIC -shared -o malloc_sites.so malloc_sites.c -lpthread
 * Use from Python: tools/malloc_sites.py (it builds, loads and reads it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

#define DEPTH 20               /* frames kept per stack */
#define BUCKETS (1u << 22)     /* live allocations' hash */
#define NODES (1u << 23)       /* live allocations recorded at most */
#define STACK_BUCKETS (1u << 20)
#define STACKS (1u << 20)      /* distinct stacks at most */

typedef struct { void *ptr; size_t size; uint32_t stack; uint32_t next; } Node;
typedef struct { uint64_t hash; uint32_t depth; uint32_t next; void *frames[DEPTH]; uint64_t count, bytes; } Stack;

static volatile int recording;
static __thread int inside;  /* this thread is in the tracker: its own allocations pass */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t *buckets, *stack_buckets;
static Node *nodes;
static uint32_t used_nodes = 1, free_nodes;  /* index 0 means "none" */
static Stack *stacks;
static uint32_t used_stacks = 1;
static long live_bytes, live_count;

/* Tables come from mmap, never from malloc: they must not record themselves. */
static void *reserve(size_t n) {
  void *p = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? 0 : p;
}

__attribute__((constructor)) static void set_up(void) {
  inside = 1;
  buckets = reserve(sizeof(uint32_t) * BUCKETS);
  stack_buckets = reserve(sizeof(uint32_t) * STACK_BUCKETS);
  nodes = reserve(sizeof(Node) * NODES);
  stacks = reserve(sizeof(Stack) * STACKS);
  void *frames[2];
  backtrace(frames, 2);  /* the first backtrace loads libgcc_s, which allocates */
  inside = 0;
}

static uint32_t bucket_of(void *ptr) {
  uint64_t x = (uint64_t)ptr;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (uint32_t)x & (BUCKETS - 1);
}

static uint32_t this_stack(void) {
  void *frames[DEPTH + 2];
  int n = backtrace(frames, DEPTH + 2);
  int skip = n < 2 ? n : 2;  /* this function and the wrapper */
  uint64_t hash = 1469598103934665603ULL;
  for (int i = skip; i < n; i++) {
    hash ^= (uint64_t)frames[i];
    hash *= 1099511628211ULL;
  }
  uint32_t b = hash & (STACK_BUCKETS - 1);
  for (uint32_t s = stack_buckets[b]; s; s = stacks[s].next)
    if (stacks[s].hash == hash) return s;
  if (used_stacks >= STACKS) return 0;
  uint32_t s = used_stacks++;
  stacks[s].hash = hash;
  stacks[s].depth = n - skip;
  memcpy(stacks[s].frames, frames + skip, sizeof(void *) * (n - skip));
  stacks[s].next = stack_buckets[b];
  stack_buckets[b] = s;
  return s;
}

static void note(void *ptr, size_t size) {
  if (!ptr || !recording || inside || !nodes) return;
  inside = 1;
  pthread_mutex_lock(&lock);
  uint32_t stack = this_stack();
  uint32_t id = free_nodes;
  if (id) free_nodes = nodes[id].next;
  else if (used_nodes < NODES) id = used_nodes++;
  if (id) {
    uint32_t b = bucket_of(ptr);
    nodes[id] = (Node){ptr, size, stack, buckets[b]};
    buckets[b] = id;
    live_bytes += size;
    live_count++;
  }
  pthread_mutex_unlock(&lock);
  inside = 0;
}

static void forget(void *ptr) {
  if (!ptr || inside || used_nodes == 1) return;
  pthread_mutex_lock(&lock);
  for (uint32_t *link = &buckets[bucket_of(ptr)]; *link; link = &nodes[*link].next) {
    uint32_t id = *link;
    if (nodes[id].ptr == ptr) {
      live_bytes -= nodes[id].size;
      live_count--;
      *link = nodes[id].next;
      nodes[id].next = free_nodes;
      free_nodes = id;
      break;
    }
  }
  pthread_mutex_unlock(&lock);
}

void *malloc(size_t n) { void *p = __libc_malloc(n); note(p, n); return p; }
void *calloc(size_t a, size_t b) { void *p = __libc_calloc(a, b); note(p, a * b); return p; }
void free(void *p) { forget(p); __libc_free(p); }
void *realloc(void *old, size_t n) {
  forget(old);
  void *p = __libc_realloc(old, n);
  if (p) note(p, n);
  return p;
}
void *memalign(size_t a, size_t n) { void *p = __libc_memalign(a, n); note(p, n); return p; }
void *aligned_alloc(size_t a, size_t n) { return memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
  void *p = __libc_memalign(a, n);
  if (!p) return ENOMEM;
  *out = p;
  note(p, n);
  return 0;
}
void *valloc(size_t n) { return memalign(4096, n); }
void *pvalloc(size_t n) { return memalign(4096, (n + 4095) & ~(size_t)4095); }

void mt_start(void) { recording = 1; }
void mt_stop(void) { recording = 0; }
long mt_live_bytes(void) { return live_bytes; }
long mt_live_count(void) { return live_count; }

/* "STACK <id> <count> <bytes>" then the stack's frames (backtrace_symbols_fd), per stack. */
int mt_dump(const char *path) {
  inside = 1;
  pthread_mutex_lock(&lock);
  for (uint32_t s = 1; s < used_stacks; s++) stacks[s].count = stacks[s].bytes = 0;
  for (uint32_t b = 0; b < BUCKETS; b++)
    for (uint32_t id = buckets[b]; id; id = nodes[id].next) {
      stacks[nodes[id].stack].count++;
      stacks[nodes[id].stack].bytes += nodes[id].size;
    }
  FILE *out = fopen(path, "w");
  int status = out ? 0 : -1;
  for (uint32_t s = 1; out && s < used_stacks; s++) {
    if (!stacks[s].count) continue;
    fprintf(out, "STACK %u %lu %lu\n", s, (unsigned long)stacks[s].count, (unsigned long)stacks[s].bytes);
    fflush(out);
    backtrace_symbols_fd(stacks[s].frames, (int)stacks[s].depth, fileno(out));
  }
  if (out) fclose(out);
  pthread_mutex_unlock(&lock);
  inside = 0;
  return status;
}
