// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Built with -fomit-frame-pointer: the hot path runs inside glibc's qsort (no frame pointers
 * either), in the comparison callback, so only DWARF unwinding sees compare_keys <- qsort <- main.
 * Prints its PID, runs for argv[1] seconds (default 30) or until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define N 200000

static unsigned int keys[N];

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

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 30;
	struct timespec start, now;
	unsigned int round = 0;

	printf("%d\n", (int)getpid());
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		shuffle(++round);
		qsort(keys, N, sizeof(keys[0]), compare_keys);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
	return keys[0] == 42;
}
