// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test workload for agentprof diff: the same program with known regressions switched on by flags.
 *   worker  parse_input() and compute() take 5 ms of thread CPU time each, in turn; --slow makes
 *           parse_input() 30% slower (6.5 ms). With --lock, every second round it also takes a
 *           mutex the holder thread keeps 20 ms at a time: a lock wait that was not there.
 *   holder  takes that mutex, sleeps 20 ms holding it, lets go (in both versions)
 *   agent   spans: "plan" (sleeps 4 ms), then "llm" (sleeps 20 ms; 24 ms with --slow-span)
 *   tooler  spans "tool": sleeps 5 ms, one in ten 20 ms (24 ms with --slow-tail): its p95 grows
 *           20% and its median does not move
 * Prints its PID; runs SECONDS (default 30). CPU work is measured on the thread's own clock, so
 * the split holds however busy the machine is.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "agentprof_span.h"

static volatile int stop;
static volatile unsigned long sink;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int slow, with_lock, slow_span, slow_tail;

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)((ms - (time_t)(ms / 1000) * 1000) * 1e6) };

	nanosleep(&ts, NULL);
}

/* Each hot function spins in its own body, so that it is the leaf of its samples. */
#define SPIN(ms)                                                                          \
	do {                                                                              \
		double __end = thread_cpu_ms() + (ms);                                    \
		unsigned long __x = sink;                                                 \
		while (thread_cpu_ms() < __end)                                           \
			for (int __i = 0; __i < 200000; __i++)  /* few clock reads: syscalls */ \
				__x = __x * 6364136223846793005ul + 1442695040888963407ul; \
		sink = __x;                                                               \
	} while (0)

__attribute__((noinline)) void parse_input(void)
{
	SPIN(slow ? 6.5 : 5.0);
	sink++;
}

__attribute__((noinline)) void compute(void)
{
	SPIN(5.0);
	sink++;
}

__attribute__((noinline)) void take_lock(void)
{
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
}

static void *worker(void *arg)
{
	(void)arg;
	for (unsigned long round = 0; !stop; round++) {
		parse_input();
		compute();
		if (with_lock && round % 2 == 0)
			take_lock();
	}
	return NULL;
}

static void *holder(void *arg)
{
	(void)arg;
	while (!stop) {
		pthread_mutex_lock(&lock);
		sleep_ms(20);
		pthread_mutex_unlock(&lock);
		sleep_ms(1);
	}
	return NULL;
}

static void new_id(unsigned char *id, size_t n)
{
	if (getrandom(id, n, 0) != (ssize_t)n)
		exit(1);
	id[0] |= 1;	/* never all zero */
}

static void span(const unsigned char *trace, const char *name, double ms)
{
	unsigned char id[8];

	new_id(id, sizeof(id));
	agentprof_span_begin(trace, id, NULL, name);
	sleep_ms(ms);
	agentprof_span_end(trace, id);
}

static void *agent(void *arg)
{
	unsigned char trace[16];

	(void)arg;
	while (!stop) {
		new_id(trace, sizeof(trace));
		span(trace, "plan", 4);
		span(trace, "llm", slow_span ? 24 : 20);
	}
	return NULL;
}

static void *tooler(void *arg)
{
	unsigned char trace[16];

	(void)arg;
	for (unsigned long i = 0; !stop; i++) {
		new_id(trace, sizeof(trace));
		span(trace, "tool", i % 10 == 9 ? (slow_tail ? 24 : 20) : 5);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	double seconds = 30;
	pthread_t w, h, a, t;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--slow"))
			slow = 1;
		else if (!strcmp(argv[i], "--lock"))
			with_lock = 1;
		else if (!strcmp(argv[i], "--slow-span"))
			slow_span = 1;
		else if (!strcmp(argv[i], "--slow-tail"))
			slow_tail = 1;
		else if ((seconds = atof(argv[i])) <= 0) {
			fprintf(stderr, "usage: diffwork [SECONDS] [--slow] [--lock] [--slow-span] [--slow-tail]\n");
			return 2;
		}
	}
	pthread_create(&w, NULL, worker, NULL);
	pthread_setname_np(w, "worker");
	pthread_create(&h, NULL, holder, NULL);
	pthread_setname_np(h, "holder");
	pthread_create(&a, NULL, agent, NULL);
	pthread_setname_np(a, "agent");
	pthread_create(&t, NULL, tooler, NULL);
	pthread_setname_np(t, "tooler");
	printf("%d\n", (int)getpid());
	fflush(stdout);
	sleep_ms(seconds * 1000);
	stop = 1;
	pthread_join(w, NULL);
	return 0;
}
