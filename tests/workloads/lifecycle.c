// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test workload of process lifecycles, each phase spinning in its own function so that a profile
 * tells them apart. Prints its PID, then:
 *   lifecycle exec SECONDS PROGRAM [ARGS...]  spins in before_exec(), then execs PROGRAM (same PID)
 *   lifecycle fork SECONDS [PROGRAM ARGS...]  spins in parent_work() throughout; after 3 s forks a
 *     child that spins in child_work() for 1.5 s and exits, and, given PROGRAM, a second child that
 *     execs it
 * Whatever PROGRAM prints goes to /dev/null (the test reads only this PID).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin_until(double end)
{
	unsigned long x = sink;

	while (now_s() < end)
		for (int i = 0; i < 100000; i++)
			x = x * 6364136223846793005ul + 1442695040888963407ul;
	sink = x;
}

/*
 * The increments after spin_until() keep each a call, not a tail jump that would hide it; they
 * differ so that the compiler does not fold the three into one (-fipa-icf).
 */
static __attribute__((noinline)) void before_exec(double end)
{
	spin_until(end);
	sink++;
}

static __attribute__((noinline)) void parent_work(double end)
{
	spin_until(end);
	sink += 2;
}

static __attribute__((noinline)) void child_work(double end)
{
	spin_until(end);
	sink += 3;
}

static void exec_quietly(char **argv)
{
	int null = open("/dev/null", O_WRONLY);

	if (null >= 0)
		dup2(null, 1);
	execv(argv[0], argv);
	perror(argv[0]);
	_exit(127);
}

int main(int argc, char **argv)
{
	double start = now_s(), seconds;

	if (argc < 3 || (strcmp(argv[1], "exec") && strcmp(argv[1], "fork")) || (!strcmp(argv[1], "exec") && argc < 4)) {
		fprintf(stderr, "usage: lifecycle exec SECONDS PROGRAM [ARGS...] | fork SECONDS [PROGRAM ARGS...]\n");
		return 2;
	}
	seconds = atof(argv[2]);
	printf("%d\n", (int)getpid());
	fflush(stdout);
	if (!strcmp(argv[1], "exec")) {
		before_exec(start + seconds);
		exec_quietly(argv + 3);
	}
	parent_work(start + 3);	/* after record has attached */
	if (fork() == 0) {
		child_work(now_s() + 1.5);
		_exit(0);
	}
	if (argc > 3 && fork() == 0)
		exec_quietly(argv + 3);
	parent_work(start + seconds);
	while (wait(NULL) > 0)
		;
	return 0;
}
