// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test workload of short-lived child processes, for --follow-children. Prints its PID, then:
 *   forker life SECONDS N LIFE_MS   forks N children, one after the other; each spins ~0.1 ms in
 *     child_spin(), then sleeps LIFE_MS and exits; the parent waits for each, then sleeps.
 *   forker churn SECONDS RATE      forks RATE children a second for SECONDS; each spins ~0.1 ms
 *     and sleeps 20 ms before it exits; the parent sleeps in between and reaps them.
 * With FORKER_LOG=FILE in the environment, each child appends "child PID START_NS END_NS ONCPU_NS"
 * to FILE: its real life (CLOCK_MONOTONIC, from just before the fork to just before its exit) and
 * the kernel's own count of its time on CPU until then (/proc/self/schedstat), so that a test can
 * check its breakdown against both.
 * Both wait for SIGUSR1 first (at most WAIT_GO_S, however short SECONDS is: the verifier of a loaded
 * machine can take longer than a churn lasts), so that the test starts them once record is attached.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_GO_S 120.0

static volatile unsigned long sink;
static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts))
		;
}

static __attribute__((noinline)) void child_spin(void)
{
	double end = now_s() + 0.0001;
	unsigned long x = sink;

	while (now_s() < end)
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005ul + 1442695040888963407ul;
	sink = x + 1;
}

/* The kernel's count of this thread's time on CPU (sum_exec_runtime), 0 if unreadable. */
static long long oncpu_ns(void)
{
	char buf[96] = "";
	int fd = open("/proc/thread-self/schedstat", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 ? atoll(buf) : 0;
}

/*
 * A child, forked at fork_at: a little CPU, then a sleep, then exit; says how long it lived and
 * ran in FORKER_LOG.
 */
static void child(const struct timespec *fork_at, double life_s)
{
	const char *log = getenv("FORKER_LOG");
	const struct timespec a = *fork_at;
	struct timespec b;
	long long cpu;
	char line[128];
	int fd, n;

	child_spin();
	sleep_s(life_s);
	clock_gettime(CLOCK_MONOTONIC, &b);
	cpu = oncpu_ns();
	fd = log ? open(log, O_WRONLY | O_APPEND | O_CREAT, 0600) : -1;
	if (fd >= 0) {
		n = snprintf(line, sizeof(line), "child %d %lld %lld %lld\n", (int)getpid(),
			     a.tv_sec * 1000000000ll + a.tv_nsec, b.tv_sec * 1000000000ll + b.tv_nsec, cpu);
		if (write(fd, line, n) != n)
			_exit(1);
		close(fd);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	double start = now_s(), seconds;
	long n;

	if (argc < 4 || (strcmp(argv[1], "life") && strcmp(argv[1], "churn")) || (!strcmp(argv[1], "life") && argc < 5)) {
		fprintf(stderr, "usage: forker life SECONDS N LIFE_MS | churn SECONDS RATE\n");
		return 2;
	}
	seconds = atof(argv[2]);
	n = atol(argv[3]);
	signal(SIGUSR1, on_usr1);
	printf("%d\n", (int)getpid());
	fflush(stdout);
	while (!go && now_s() < start + WAIT_GO_S)
		usleep(10000);
	start = now_s();
	if (!strcmp(argv[1], "life")) {
		double life = atol(argv[4]) / 1000.0;

		for (long i = 0; i < n; i++) {
			struct timespec at;
			pid_t pid;

			clock_gettime(CLOCK_MONOTONIC, &at);
			pid = fork();
			if (pid == 0)
				child(&at, life);
			if (pid > 0)
				waitpid(pid, NULL, 0);
		}
		while (now_s() < start + seconds)
			sleep_s(0.05);
		return 0;
	}
	for (long i = 0; n > 0 && now_s() < start + seconds; i++) {
		double due = start + (double)i / n;
		struct timespec at;

		if (due > now_s())
			sleep_s(due - now_s());
		clock_gettime(CLOCK_MONOTONIC, &at);
		if (fork() == 0)
			child(&at, 0.02);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
