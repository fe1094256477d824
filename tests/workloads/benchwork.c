// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fixed amount of work for overhead benchmarks: `cpu N` (N million LCG steps on one thread),
 * `switch N` (N round trips between two threads over pipes: two context switches each) or
 * `switch1 N` (the same with both threads on CPU 0: every round trip is two switches on one CPU,
 * with no idle-state or IPI latency in the measure, so a cost per switch shows undiluted),
 * `tcp1 N` (switch1 over one TCP loopback connection: every wait is a net wait with a peer), or
 * `spans N` (N spans through the SDK, each around ~50 us of CPU: about 10k spans a second).
 * Prints its PID, waits DELAY seconds (argv[3], default 2) for a profiler to attach, does the
 * work, then prints the elapsed nanoseconds of the work alone.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "agentprof_span.h"

static long rounds;
static int ping[2], pong[2];
static volatile unsigned long sink;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static __attribute__((noinline)) void cpu_work_units(long thousands)
{
	unsigned long x = sink | 1;

	for (long i = 0; i < thousands * 1000; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	sink = x;
}

static __attribute__((noinline)) void cpu_work(long millions)
{
	cpu_work_units(millions * 1000);
}

static void *echo(void *arg)
{
	char c;

	(void)arg;
	for (long i = 0; i < rounds; i++)
		if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
			exit(1);
	return NULL;
}

/* ping and pong over the two ends of one TCP connection on loopback. */
static void tcp_pipes(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s;

	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&addr, len) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&addr, &len) || connect(c, (struct sockaddr *)&addr, len) ||
	    (s = accept(l, NULL, NULL)) < 0)
		exit(1);
	close(l);
	ping[1] = pong[0] = c;
	ping[0] = pong[1] = s;
}

static __attribute__((noinline)) void switch_work(bool tcp)
{
	pthread_t t;
	char c = 'x';

	if (tcp)
		tcp_pipes();
	else if (pipe(ping) || pipe(pong))
		exit(1);
	if (pthread_create(&t, NULL, echo, NULL))
		exit(1);
	for (long i = 0; i < rounds; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			exit(1);
	pthread_join(t, NULL);
}

static __attribute__((noinline)) void span_work(void)
{
	unsigned char trace[16] = { 1 }, span[8] = { 1 };

	for (long i = 0; i < rounds; i++) {
		memcpy(span, &i, sizeof(i));
		span[7] = 1;
		agentprof_span_begin(trace, span, NULL, "work");
		cpu_work_units(50);
		agentprof_span_end(trace, span);
	}
}

int main(int argc, char **argv)
{
	long long start;

	if (argc < 3 || (strcmp(argv[1], "cpu") && strcmp(argv[1], "switch") && strcmp(argv[1], "switch1") &&
			 strcmp(argv[1], "tcp1") && strcmp(argv[1], "spans"))) {
		fprintf(stderr, "usage: benchwork cpu|switch|switch1|tcp1|spans N [DELAY]\n");
		return 2;
	}
	if (!strcmp(argv[1], "switch1") || !strcmp(argv[1], "tcp1")) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(0, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			return 1;
	}
	rounds = atol(argv[2]);
	printf("%d\n", (int)getpid());
	fflush(stdout);
	usleep((useconds_t)((argc > 3 ? atof(argv[3]) : 2) * 1e6));
	start = now_ns();
	if (!strcmp(argv[1], "cpu"))
		cpu_work(rounds);
	else if (!strcmp(argv[1], "spans"))
		span_work();
	else
		switch_work(!strcmp(argv[1], "tcp1"));
	printf("%lld\n", now_ns() - start);
	return 0;
}
