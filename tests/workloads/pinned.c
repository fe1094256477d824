// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test workload: three CPU-bound threads pinned to one CPU, so each waits for it two thirds of
 * the time (run-queue bound). Prints its PID; runs argv[1] seconds (default 30).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static __attribute__((noinline)) void *spin(void *arg)
{
	volatile unsigned long x = 0;

	(void)arg;
	for (;;)
		x++;
	return NULL;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 30;
	cpu_set_t one;
	pthread_t t;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	/* threads inherit the affinity of the thread that creates them */
	if (sched_setaffinity(0, sizeof(one), &one))
		return 1;
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, spin, NULL))
			return 1;
	printf("%d\n", (int)getpid());
	fflush(stdout);
	usleep((useconds_t)(seconds * 1e6));
	return 0;
}
