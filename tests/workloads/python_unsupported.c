// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test workload: a process that looks like a CPython of a version agentprof does not read (a file
 * named python*, exporting _PyRuntime, _PyEval_EvalFrameDefault, PyCode_Type and Py_Version
 * 3.14.0 final, as a static python does), burning CPU in work(). Prints its PID; runs argv[1]
 * seconds (default 30).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

__attribute__((visibility("default"), used)) const unsigned long Py_Version = 0x030e00f0;
__attribute__((visibility("default"), used)) char _PyRuntime[4096];
__attribute__((visibility("default"), used)) char PyCode_Type[256];

__attribute__((visibility("default"), noinline)) unsigned long _PyEval_EvalFrameDefault(unsigned long x)
{
	return x * 2654435761u + 1;
}

static __attribute__((noinline)) unsigned long work(unsigned long x)
{
	for (int i = 0; i < 1000000; i++)
		x = _PyEval_EvalFrameDefault(x);
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
