// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test workload for spans: an "agent" thread serves requests, each a root span "request" of a new
 * trace with three children: "tool" burns ~15 ms of CPU, "llm" waits ~30 ms on a slow server
 * thread over loopback, "lock" waits for a mutex a holder thread keeps ~10 ms at a time; then it
 * begins a "handoff" span that a "finisher" thread ends. A "stuck" thread has "long" spans of
 * 2 s back to back, so one is always open when a recording stops.
 * Prints its PID; runs argv[1] seconds (default 30), or until SIGTERM. With argv[2], writes there
 * one line per span the agent ended: "span_id_hex start_ns end_ns" (CLOCK_MONOTONIC).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "agentprof_span.h"

static volatile int stop;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int listen_fd;
static volatile unsigned long sink;
static unsigned long spans_ended;
static FILE *log_file;
static int handoff[2];	/* agent -> finisher: the ids of a span to end */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void new_id(unsigned char *id, size_t n)
{
	if (getrandom(id, n, 0) != (ssize_t)n)
		exit(1);
	id[0] |= 1;	/* never all zero */
}

struct span {
	unsigned char span_id[8];
	long long start_ns;
};

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void begin(const unsigned char *trace, struct span *s, const struct span *parent, const char *name)
{
	new_id(s->span_id, sizeof(s->span_id));
	s->start_ns = mono_ns();
	agentprof_span_begin(trace, s->span_id, parent ? parent->span_id : NULL, name);
}

static void end(const unsigned char *trace, struct span *s)
{
	agentprof_span_end(trace, s->span_id);
	spans_ended++;
	if (log_file) {
		for (int i = 0; i < 8; i++)
			fprintf(log_file, "%02x", s->span_id[i]);
		fprintf(log_file, " %lld %lld\n", s->start_ns, mono_ns());
	}
}

static __attribute__((noinline)) void tool_work(void)
{
	double until = cpu_ms() + 15;
	unsigned long x = sink;

	while (cpu_ms() < until)
		for (int i = 0; i < 20000; i++)
			x = x * 6364136223846793005ul + 1;
	sink = x;
}

static __attribute__((noinline)) void llm_call(int fd)
{
	char buf[16];

	if (write(fd, "prompt", 6) != 6 || recv(fd, buf, sizeof(buf), 0) <= 0)
		exit(1);
}

static __attribute__((noinline)) void lock_wait(void)
{
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
}

static void *agent(void *arg)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	unsigned char trace[16];
	struct span req, child;
	int fd;

	(void)arg;
	if (getsockname(listen_fd, (struct sockaddr *)&addr, &len))
		exit(1);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, len))
		exit(1);
	while (!stop) {
		new_id(trace, sizeof(trace));
		begin(trace, &req, NULL, "request");
		begin(trace, &child, &req, "tool");
		tool_work();
		end(trace, &child);
		begin(trace, &child, &req, "llm");
		llm_call(fd);
		end(trace, &child);
		begin(trace, &child, &req, "lock");
		lock_wait();
		end(trace, &child);
		end(trace, &req);
		/* a span another thread ends */
		begin(trace, &child, NULL, "handoff");
		if (write(handoff[1], trace, 16) != 16 || write(handoff[1], child.span_id, 8) != 8)
			exit(1);
	}
	close(fd);
	return NULL;
}

static void *llm_server(void *arg)
{
	char buf[16];
	int fd;

	(void)arg;
	fd = accept(listen_fd, NULL, NULL);
	while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0) {
		sleep_ms(30);	/* inference */
		if (write(fd, "answer", 6) != 6)
			break;
	}
	return NULL;
}

static void *finisher(void *arg)
{
	unsigned char ids[24];

	(void)arg;
	while (read(handoff[0], ids, 16) == 16 && read(handoff[0], ids + 16, 8) == 8)
		agentprof_span_end(ids, ids + 16);
	return NULL;
}

static void *stuck(void *arg)
{
	unsigned char trace[16];
	struct span s;

	(void)arg;
	while (!stop) {
		new_id(trace, sizeof(trace));
		begin(trace, &s, NULL, "long");
		sleep_ms(2000);
		agentprof_span_end(trace, s.span_id);
	}
	return NULL;
}

static void *holder(void *arg)
{
	(void)arg;
	while (!stop) {
		pthread_mutex_lock(&lock);
		sleep_ms(10);
		pthread_mutex_unlock(&lock);
		sleep_ms(1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	double seconds = argc > 1 ? atof(argv[1]) : 30;
	struct timespec run = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
	pthread_t a, s, h, f, k;
	sigset_t term;

	if (argc > 2 && !(log_file = fopen(argv[2], "w")))
		return 1;
	if (pipe(handoff))
		return 1;
	/* SIGTERM ends the run early, log written: blocked in every thread, the main one waits for it */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(listen_fd, 1))
		return 1;
	pthread_create(&s, NULL, llm_server, NULL);
	pthread_setname_np(s, "llm-server");
	pthread_create(&h, NULL, holder, NULL);
	pthread_setname_np(h, "holder");
	pthread_create(&f, NULL, finisher, NULL);
	pthread_setname_np(f, "finisher");
	pthread_create(&k, NULL, stuck, NULL);
	pthread_setname_np(k, "stuck");
	pthread_create(&a, NULL, agent, NULL);
	pthread_setname_np(a, "agent");
	printf("%d\n", (int)getpid());
	fflush(stdout);
	sigtimedwait(&term, NULL, &run);
	stop = 1;
	pthread_join(a, NULL);
	if (log_file)
		fclose(log_file);
	printf("%lu spans\n", spans_ended);
	return 0;
}
