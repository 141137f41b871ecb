/* Cache-line round trip between two threads pinned to two CPUs (benchmarks/core_pair.py).

   usage: core_pair CPU_A CPU_B [BLOCKS [PER_BLOCK [TIMEOUT_MS]]]
   prints: "ok MEDIAN_NS MIN_NS MAX_NS BLOCKS" (nanoseconds per round trip, per block of
   PER_BLOCK round trips), or "error WHAT" (exit status 1).

   The main thread, pinned to CPU_A, writes an odd number to one 64-byte-aligned line; the
   other, pinned to CPU_B, waits for it and writes the next even number; the main thread waits
   for that. Each round trip moves the line's ownership there and back: two coherence misses,
   whose cost depends on where the two CPUs are (one L3 / CCX, or two dies / sockets). Blocks
   are timed, not single round trips (clock_gettime costs ~20 ns, a same-CCX round trip ~60);
   the median of the blocks ignores blocks in which a thread was preempted. Every wait gives
   up at the deadline, so a CPU busy with other (e.g. real-time) work cannot hang the probe. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Atomic long flag __attribute__((aligned(64)));
static _Atomic int stop __attribute__((aligned(64)));   /* on its own line: no false sharing */
static double deadline;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int pin(int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    return pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

/* Spin until flag == want; 0, or -1 when told to stop or past the deadline (the clock is read
   once every 4096 spins only: a read in every spin would slow the round trip it measures). */
static int wait_for(long want) {
    for (unsigned long spins = 1; atomic_load_explicit(&flag, memory_order_acquire) != want;
         spins++) {
        if ((spins & 4095) == 0 && (atomic_load(&stop) || now() > deadline))
            return -1;
    }
    return 0;
}

static void *partner(void *unused) {
    (void)unused;
    for (long i = 1; wait_for(i) == 0; i += 2)
        atomic_store_explicit(&flag, i + 1, memory_order_release);
    return NULL;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        printf("error usage: core_pair CPU_A CPU_B [BLOCKS [PER_BLOCK [TIMEOUT_MS]]]\n");
        return 1;
    }
    int a = atoi(argv[1]), b = atoi(argv[2]);
    int blocks = argc > 3 ? atoi(argv[3]) : 41;
    int per_block = argc > 4 ? atoi(argv[4]) : 100;
    double timeout = (argc > 5 ? atof(argv[5]) : 500) * 1e-3;
    if (blocks < 1 || blocks > 100000 || per_block < 1) {
        printf("error bad BLOCKS or PER_BLOCK\n");
        return 1;
    }
    double *t = malloc(blocks * sizeof *t);
    if (pin(a) != 0) {
        printf("error cannot pin to CPU %d\n", a);
        return 1;
    }
    deadline = now() + timeout;
    /* The partner starts on CPU_B: created on CPU_A, where the main thread spins, at the same
       real-time priority (chrt -f) it would never run to move itself. */
    pthread_t th;
    pthread_attr_t attr;
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(b, &s);
    pthread_attr_init(&attr);
    pthread_attr_setaffinity_np(&attr, sizeof s, &s);
    if (pthread_create(&th, &attr, partner, NULL) != 0) {
        printf("error cannot start a thread on CPU %d\n", b);
        return 1;
    }
    long i = 0;
    int done, failed = 0;
    for (int k = 0; k < 2 * per_block && !failed; k++, i += 2) {   /* warm-up, untimed */
        atomic_store_explicit(&flag, i + 1, memory_order_release);
        failed = wait_for(i + 2);
    }
    for (done = 0; done < blocks && !failed; done++) {
        double t0 = now();
        for (int k = 0; k < per_block && !failed; k++, i += 2) {
            atomic_store_explicit(&flag, i + 1, memory_order_release);
            failed = wait_for(i + 2);
        }
        t[done] = (now() - t0) / per_block * 1e9;
    }
    atomic_store(&stop, 1);
    pthread_join(th, NULL);
    if (failed) {
        printf("error timeout: no answer within %.0f ms (CPU %d or %d busy with other work?)\n",
               timeout * 1e3, a, b);
        return 1;
    }
    qsort(t, blocks, sizeof *t, cmp);
    printf("ok %.1f %.1f %.1f %d\n", t[blocks / 2], t[0], t[blocks - 1], blocks);
    return 0;
}
