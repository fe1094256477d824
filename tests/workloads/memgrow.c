// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test workload for --memory: the main thread grows a history (a list of 4 KiB nodes, kept
 * forever) in grow_history(), inside spans "tool.grow"; a second thread allocates and frees the
 * same amount in churn_buffers(), inside spans "tool.churn": 1 MiB buffers that glibc maps and
 * unmaps (M_MMAP_THRESHOLD fixed at 512 KiB). argv[2] MiB grown per second (default 8).
 * Prints its PID; runs argv[1] seconds (default 30), or until SIGTERM.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "agentprof_span.h"

#define NODE_BYTES	4096
#define CHUNK_BYTES	(1 << 20)	/* grown, and churned, per round */

struct node {
	struct node *next;
	char data[NODE_BYTES - sizeof(struct node *)];
};

static volatile int stop;
static struct node *history;
static long rounds_per_s = 8;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void span(unsigned char trace[16], unsigned char id[8], const char *name)
{
	if (getrandom(trace, 16, 0) != 16 || getrandom(id, 8, 0) != 8)
		exit(1);
	trace[0] |= 1;
	id[0] |= 1;
	agentprof_span_begin(trace, id, NULL, name);
}

static __attribute__((noinline)) void grow_history(void)
{
	for (size_t i = 0; i < CHUNK_BYTES / NODE_BYTES; i++) {
		struct node *n = malloc(sizeof(*n));

		if (!n)
			exit(1);
		memset(n->data, (int)i, sizeof(n->data));	/* resident, not only mapped */
		n->next = history;
		history = n;
	}
}

static __attribute__((noinline)) void churn_buffers(void)
{
	char *buf = malloc(CHUNK_BYTES);

	if (!buf)
		exit(1);
	memset(buf, 1, CHUNK_BYTES);
	__asm__ volatile("" : : "r"(buf) : "memory");	/* the stores happen: free() does not make them dead */
	free(buf);
}

static void *churner(void *arg)
{
	unsigned char trace[16], id[8];

	(void)arg;
	while (!stop) {
		span(trace, id, "tool.churn");
		churn_buffers();
		agentprof_span_end(trace, id);
		sleep_ms(1000 / rounds_per_s);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long seconds = argc > 1 ? atol(argv[1]) : 30;
	unsigned char trace[16], id[8];
	pthread_t t;
	time_t end;

	if (argc > 2)
		rounds_per_s = atol(argv[2]);
	if (seconds <= 0 || rounds_per_s <= 0 || rounds_per_s > 1000)
		return 2;
	mallopt(M_MMAP_THRESHOLD, 512 << 10);	/* fixed: glibc's own would move to the first buffer freed */
	signal(SIGTERM, on_term);
	printf("%d\n", getpid());
	fflush(stdout);
	end = time(NULL) + seconds;
	if (pthread_create(&t, NULL, churner, NULL))
		return 1;
	while (!stop && time(NULL) < end) {
		span(trace, id, "tool.grow");
		grow_history();
		agentprof_span_end(trace, id);
		sleep_ms(1000 / rounds_per_s);
	}
	stop = 1;
	pthread_join(t, NULL);
	return 0;
}
