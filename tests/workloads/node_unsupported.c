// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test workload: a process that looks like a node of a V8 agentprof does not read (a file named
 * node*, exporting v8dbg_off_fp_function and V8's Version::major_ and minor_ as 8.4, Node 14's),
 * burning CPU in work(). Prints its PID; runs argv[1] seconds (default 30).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

__attribute__((visibility("default"), used)) int v8dbg_off_fp_function = -16;
__attribute__((visibility("default"), used)) int v8_major __asm__("_ZN2v88internal7Version6major_E") = 8;
__attribute__((visibility("default"), used)) int v8_minor __asm__("_ZN2v88internal7Version6minor_E") = 4;

static __attribute__((noinline)) unsigned long work(unsigned long x)
{
	for (int i = 0; i < 1000000; i++)
		x = x * 2654435761u + 1;
	return x;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 30;
	struct timespec start, now;
	volatile unsigned long x = 1;

	printf("%d\n", (int)getpid());
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		x = work(x);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
	return 0;
}
