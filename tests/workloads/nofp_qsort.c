// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Built with -fomit-frame-pointer: the hot path runs inside glibc's qsort (no frame pointers
 * either), in the comparison callback, so only DWARF unwinding sees compare_keys <- qsort <-
 * sort_round <- main.
 * Prints its PID, runs for argv[1] seconds (default 30) or until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define N 200000

static unsigned int keys[N];
static volatile unsigned int first;

/* noinline, and some work per call: most samples land here, called back by qsort */
static __attribute__((noinline)) int compare_keys(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	for (int i = 0; i < 8; i++) {
		x = x * 2654435761u ^ (x >> 13);
		y = y * 2654435761u ^ (y >> 13);
	}
	return (x > y) - (x < y);
}

static __attribute__((noinline)) void shuffle(unsigned int seed)
{
	for (int i = 0; i < N; i++)
		keys[i] = seed = seed * 1103515245u + 12345u;
}

/* One sort: a function that returns once a round, for a test to put a uretprobe on. */
__attribute__((noinline)) void sort_round(unsigned int round)
{
	shuffle(round);
	qsort(keys, N, sizeof(keys[0]), compare_keys);
	first = keys[0];	/* a call, not a tail jump that would take sort_round off the stack */
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 30;
	struct timespec start, now;
	unsigned int round = 0;

	printf("%d\n", (int)getpid());
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		sort_round(++round);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
	return first == 42;
}
