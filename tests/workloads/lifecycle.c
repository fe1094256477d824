// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test workload of process lifecycles, each phase spinning in its own function so that a profile
 * tells them apart. Prints its PID, then:
 *   lifecycle exec SECONDS PROGRAM [ARGS...]  spins in before_exec() until SIGUSR1 (at most SECONDS),
 *     then execs PROGRAM (same PID)
 *   lifecycle fork SECONDS [PROGRAM ARGS...]  spins in parent_work() throughout; at SIGUSR1 forks a
 *     child that spins in child_work() for 1.5 s and exits, and, given PROGRAM, a second child that
 *     execs it
 * The test sends SIGUSR1 once record is attached, however long that took on a loaded machine.
 * Whatever PROGRAM prints goes to /dev/null (the test reads only this PID).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;
static volatile sig_atomic_t next_phase;	/* SIGUSR1 came */

static void on_usr1(int sig)
{
	(void)sig;
	next_phase = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Spins until end, or until SIGUSR1 when until_signal. */
static void spin_until(double end, bool until_signal)
{
	unsigned long x = sink;

	while (now_s() < end && !(until_signal && next_phase))
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
	spin_until(end, true);
	sink++;
}

static __attribute__((noinline)) void parent_work(double end, bool until_signal)
{
	spin_until(end, until_signal);
	sink += 2;
}

static __attribute__((noinline)) void child_work(double end)
{
	spin_until(end, false);
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
	signal(SIGUSR1, on_usr1);
	printf("%d\n", (int)getpid());
	fflush(stdout);
	if (!strcmp(argv[1], "exec")) {
		before_exec(start + seconds);
		exec_quietly(argv + 3);
	}
	parent_work(start + seconds, true);	/* until record has attached */
	if (fork() == 0) {
		child_work(now_s() + 1.5);
		_exit(0);
	}
	if (argc > 3 && fork() == 0)
		exec_quietly(argv + 3);
	parent_work(start + seconds, false);
	while (wait(NULL) > 0)
		;
	return 0;
}
