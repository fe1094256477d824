// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * CPU-bound test workload: one thread splits its CPU time 80/20 between hot_eighty() and
 * hot_twenty(), measured on the thread's own CPU clock so the split holds however busy the
 * machine is. Prints its PID, runs for argv[1] seconds (default 30) or until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Spins for ms of CPU time; noinline so each hot function is its own frame. */
static __attribute__((noinline)) void spin(double ms)
{
	double end = thread_cpu_ms() + ms;
	unsigned long x = sink;

	while (thread_cpu_ms() < end)
		for (int i = 0; i < 100000; i++)	/* few clock reads: they are syscalls */
			x = x * 6364136223846793005ul + 1442695040888963407ul;
	sink = x;
}

/* The increments after spin() keep it a call, not a tail jump that would hide the caller. */
__attribute__((noinline)) void hot_eighty(double scale)
{
	spin(40.0 * scale);
	sink++;
}

__attribute__((noinline)) void hot_twenty(double scale)
{
	spin(10.0 * scale);
	sink++;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 30;
	struct timespec start, now;

	printf("%d\n", (int)getpid());
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		/* a varying cycle: a fixed one could alias with the sampling period and skew the split */
		double scale = 0.5 + (double)rand() / RAND_MAX;

		hot_eighty(scale);
		hot_twenty(scale);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
	return 0;
}
