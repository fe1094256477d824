// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test workload: a process that looks like a Ruby VM of a version agentprof does not read (a file
 * named ruby*, exporting ruby_current_vm_ptr, rb_vm_exec and ruby_version "3.2.2", as a static
 * ruby does), burning CPU in work(). Prints its PID; runs argv[1] seconds (default 30).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

__attribute__((visibility("default"), used)) const char ruby_version[] = "3.2.2";
__attribute__((visibility("default"), used)) void *ruby_current_vm_ptr;

__attribute__((visibility("default"), noinline)) unsigned long rb_vm_exec(unsigned long x)
{
	return x * 2654435761u + 1;
}

static __attribute__((noinline)) unsigned long work(unsigned long x)
{
	for (int i = 0; i < 1000000; i++)
		x = rb_vm_exec(x);
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
