// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fixed amount of work for overhead benchmarks: `cpu N` (N million LCG steps on one thread),
 * `switch N` (N round trips between two threads over pipes: two context switches each) or
 * `switch1 N` (the same with both threads on CPU 0: every round trip is two switches on one CPU,
 * with no idle-state or IPI latency in the measure, so a cost per switch shows undiluted),
 * `tcp1 N` (switch1 over one TCP loopback connection: every wait is a net wait with a peer), or
 * `spans N` (N spans through the SDK, each around ~50 us of CPU: about 10k spans a second),
 * `io N` (N 4 KiB writes and reads of a file through the page cache: syscall-heavy I/O; a sync to
 * the disk would measure the shared disk's latency, not the profiler), `threads N T` (N
 * rounds of 20 us of CPU and a 50 us sleep, shared among T threads), `stacks N K` (N rounds of
 * work, each under one of K distinct call stacks), `alloc N` (N rounds of allocation churn that
 * the kernel sees: a 1 MiB buffer mapped, written and unmapped, 64 small blocks written and freed,
 * and 16 KiB kept: page faults, mmap and munmap, heap growth), or `churn SECONDS` (for soaks:
 * threads that start and stop, and 1000 short-lived children over SECONDS).
 * Prints its PID, waits DELAY seconds (the last argument, default 2; "stdin": until a line on
 * stdin) for a profiler to attach, does the work, then prints the elapsed nanoseconds of the
 * work alone.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

static __attribute__((noinline)) void io_work(void)
{
	char path[] = "/var/tmp/benchwork.XXXXXX", block[4096];
	int fd = mkstemp(path);

	if (fd < 0)
		exit(1);
	unlink(path);
	memset(block, 'x', sizeof(block));
	for (long i = 0; i < rounds; i++) {
		off_t at = (i % 2048) * sizeof(block);	/* an 8 MiB file */

		if (pwrite(fd, block, sizeof(block), at) != sizeof(block) ||
		    pread(fd, block, sizeof(block), at) != sizeof(block))
			exit(1);
	}
	close(fd);
}

static long per_thread;

static void *sleeper(void *arg)
{
	struct timespec nap = { 0, 50000 };

	(void)arg;
	for (long i = 0; i < per_thread; i++) {
		cpu_work_units(20);	/* ~20 us */
		nanosleep(&nap, NULL);
	}
	return NULL;
}

static __attribute__((noinline)) void threads_work(long nthreads)
{
	pthread_t *t = calloc(nthreads, sizeof(*t));

	per_thread = rounds / nthreads;
	for (long i = 0; i < nthreads; i++)
		if (!t || pthread_create(&t[i], NULL, sleeper, NULL))
			exit(1);
	for (long i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	free(t);
}

/*
 * Distinct stacks: a path of left() and right() calls, one per bit of the round's number, so that
 * K rounds in a row run under K stacks. The two differ so that the compiler does not fold them.
 */
static __attribute__((noinline)) void walk(unsigned long bits, int depth);

static __attribute__((noinline)) void left(unsigned long bits, int depth)
{
	walk(bits, depth);
	sink += 1;
}

static __attribute__((noinline)) void right(unsigned long bits, int depth)
{
	walk(bits, depth);
	sink += 2;
}

static __attribute__((noinline)) void walk(unsigned long bits, int depth)
{
	if (depth == 0)
		cpu_work_units(20);
	else if (bits & 1)
		left(bits >> 1, depth - 1);
	else
		right(bits >> 1, depth - 1);
}

static __attribute__((noinline)) void stacks_work(long distinct)
{
	int depth = 0;

	while ((1l << depth) < distinct)
		depth++;
	for (long i = 0; i < rounds; i++)
		walk(i % distinct, depth);
}

static void *short_thread(void *arg)
{
	(void)arg;
	cpu_work_units(200);
	usleep(200000);
	return NULL;
}

/* Soak: about 5 threads a second start and stop, and 1000 children come and go over the run. */
static __attribute__((noinline)) void churn_work(long seconds)
{
	long long end = now_ns() + seconds * 1000000000ll, step = seconds * 1000000ll;	/* ns per child */
	long long next_thread = 0;
	int children = 0;

	while (now_ns() < end) {
		if (children < 1000) {
			pid_t pid = fork();

			if (pid == 0) {
				cpu_work_units(2000);	/* ~2 ms */
				_exit(0);
			}
			children += pid > 0;
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (now_ns() >= next_thread) {
			pthread_t t;

			if (pthread_create(&t, NULL, short_thread, NULL) == 0)
				pthread_detach(t);
			next_thread = now_ns() + 200000000ll;
		}
		cpu_work_units(100);
		usleep(step / 1000 > 1000 ? step / 1000 : 1000);
	}
	while (wait(NULL) > 0)
		;
}

/* Allocation-heavy, the worst case of --memory: every round faults in fresh pages and maps and unmaps. */
static __attribute__((noinline)) void alloc_work(void)
{
	static char *kept[1 << 16];

	mallopt(M_MMAP_THRESHOLD, 512 << 10);	/* fixed: the 1 MiB buffer is mapped every round */
	for (long i = 0; i < rounds; i++) {
		char *big = malloc(1 << 20), *small[64];

		if (!big)
			exit(1);
		memset(big, (int)i, 1 << 20);
		__asm__ volatile("" : : "r"(big) : "memory");
		free(big);
		for (int j = 0; j < 64; j++) {
			if (!(small[j] = malloc(1024)))
				exit(1);
			memset(small[j], j, 1024);
		}
		for (int j = 0; j < 64; j++)
			free(small[j]);
		if ((kept[i & 0xffff] = malloc(16 << 10)))
			memset(kept[i & 0xffff], 1, 16 << 10);
	}
}

static const char *const modes[] = { "cpu", "switch", "switch1", "tcp1", "spans", "io", "threads", "stacks", "churn",
				     "alloc" };

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "", *delay;
	bool two = !strcmp(mode, "threads") || !strcmp(mode, "stacks");	/* N and T, or N and K */
	long long start;
	long arg2 = 1;
	bool ok = false;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		ok |= !strcmp(mode, modes[i]);
	if (two && argc >= 4)
		arg2 = atol(argv[3]);
	if (!ok || argc < 3 + two || arg2 < 1) {
		fprintf(stderr, "usage: benchwork cpu|switch|switch1|tcp1|spans|io|churn|alloc N [DELAY], threads N T [DELAY], "
				"stacks N K [DELAY]\n");
		return 2;
	}
	if (!strcmp(mode, "switch1") || !strcmp(mode, "tcp1")) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(0, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			return 1;
	}
	rounds = atol(argv[2]);
	printf("%d\n", (int)getpid());
	fflush(stdout);
	delay = argc > 3 + two ? argv[3 + two] : "2";
	if (!strcmp(delay, "stdin")) {
		char line[16];

		if (!fgets(line, sizeof(line), stdin))
			return 1;
	} else {
		usleep((useconds_t)(atof(delay) * 1e6));
	}
	start = now_ns();
	if (!strcmp(mode, "cpu"))
		cpu_work(rounds);
	else if (!strcmp(mode, "spans"))
		span_work();
	else if (!strcmp(mode, "io"))
		io_work();
	else if (!strcmp(mode, "threads"))
		threads_work(arg2);
	else if (!strcmp(mode, "stacks"))
		stacks_work(arg2);
	else if (!strcmp(mode, "churn"))
		churn_work(rounds);
	else if (!strcmp(mode, "alloc"))
		alloc_work();
	else
		switch_work(!strcmp(mode, "tcp1"));
	printf("%lld\n", now_ns() - start);
	return 0;
}
