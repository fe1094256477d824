// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* demo-agent: a multi-threaded stand-in for an AI agent that gives agentprof one bottleneck of each kind. */

/*
 * Each role exists to show one kind of bottleneck a profiler should reveal:
 *   llm-server     the fake model: answers each chat completion after 150-300 ms of "inference"
 *   llm-client     network wait: blocks in recv() on that slow LLM, then plans briefly on CPU
 *   tool-runner    cpu: tool_tokenize() takes ~70% of each tool call, tool_rank_documents() ~30%
 *   cache-worker   lock contention: three threads per instance share one mutex and sleep holding it
 *   memory-writer  disk: 64 KiB writes to an unlinked temp file, fdatasync() after each
 *   idle-worker    idle: parked on a condition variable that main signals every 2 s
 * Thread names and the noinline function names are what a profile should show; tool calls, LLM
 * calls and cache lookups are spans (sdk/agentprof_span.h), so time is also shown per span.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "agentprof_span.h"
#include "base/util.h"	/* parse_long: the project's one strict number parser */

/* noclone too, or GCC specialises them into names like tool_tokenize.constprop.0 */
#ifdef __clang__
#define NOINLINE		__attribute__((noinline))
#else
#define NOINLINE		__attribute__((noinline, noclone))
#endif
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define pr_err(err, fmt, ...)	fprintf(stderr, "demo-agent: " fmt ": %s\n", ##__VA_ARGS__, strerror(-(err)))
#define USAGE			"usage: demo-agent [-d SECONDS] [-t THREADS_PER_ROLE]"
#define MAX_DURATION_S		86400
#define MAX_PER_ROLE		16
#define CACHE_WORKERS		3		/* per role instance: contention needs at least two */
#define TOKENIZE_NS		3500000ull	/* CPU per tool call: 70% tokenizing ... */
#define RANK_NS			1500000ull	/* ... and 30% ranking */
#define PLAN_NS			3000000ull
#define REBUILD_NS		2000000ull
#define CHUNK_SIZE		(64 * 1024)
#define MAX_FILE_SIZE		(16 * 1024 * 1024)

struct worker {
	pthread_t tid;
	const char *name;
	void *(*run)(void *);
	int fd;			/* memory-writer's temp file, -1 for the other roles */
	uint32_t seed;
	bool started;
};

static atomic_bool stop, failed;
static int listen_fd = -1;
static struct sockaddr_in llm_addr;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t cache_table[4096];	/* guarded by cache_lock */
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;
static unsigned int idle_jobs;		/* guarded by idle_lock; a count, so no wake-up is lost */
/* Per thread, so the stores that keep the work from being optimised away are not a data race. */
static __thread volatile uint64_t sink;

/*
 * Budgets CPU work; each loop does microseconds of work per call so the clock's syscall stays a
 * small part of the profile. A failing clock reads as "far future", so the budget still ends.
 */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return UINT64_MAX;
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };

	while (nanosleep(&ts, &ts))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	for (const char *p = buf; len;) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0) {
			p += n;
			len -= n;
		}
	}
	return 0;
}

/* Appends what one recv() returns and keeps buf NUL-terminated: bytes read (0 at EOF) or -errno. */
static ssize_t recv_some(int fd, char *buf, size_t size, size_t *len)
{
	ssize_t n;

	if (*len + 1 >= size)
		return -EMSGSIZE;
	do
		n = recv(fd, buf + *len, size - 1 - *len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	*len += n;
	buf[*len] = '\0';
	return n;
}

/* A role that cannot go on ends the whole run: the pending SIGTERM wakes main's sigtimedwait(). */
static void *role_fail(const char *role, const char *what, int err)
{
	if (!atomic_load(&stop)) {
		pr_err(err, "%s: %s", role, what);
		atomic_store(&failed, true);
		kill(getpid(), SIGTERM);
	}
	return NULL;
}

/* tool-runner: cpu */

static NOINLINE void tool_tokenize(const char *text, size_t len, uint64_t budget_ns)
{
	uint64_t end = thread_cpu_ns() + budget_ns, h = 14695981039346656037ull, tokens = 0;

	do {
		for (size_t i = 0; i < len; i++) {
			if (text[i] == ' ')
				h ^= ++tokens;
			h = (h ^ (unsigned char)text[i]) * 1099511628211ull;
		}
	} while (thread_cpu_ns() < end);
	sink = h;
}

static NOINLINE void tool_rank_documents(uint32_t *seed, uint64_t budget_ns)
{
	uint64_t end = thread_cpu_ns() + budget_ns, scores[256], best = 0;

	do {
		for (size_t i = 0; i < ARRAY_SIZE(scores); i++)
			scores[i] = (uint64_t)next_rand(seed) << 32 | i;
		/* Sorted here, not by qsort(): glibc lacks frame pointers, so FP unwinding would lose this frame. */
		for (size_t i = 1; i < ARRAY_SIZE(scores); i++) {
			uint64_t v = scores[i];
			size_t j = i;

			for (; j > 0 && scores[j - 1] < v; j--)	/* best first */
				scores[j] = scores[j - 1];
			scores[j] = v;
		}
		best += scores[0];
	} while (thread_cpu_ns() < end);
	sink = best;
}

/* Spans: each tool call, LLM call and cache lookup is a root span of its own trace. */
struct span {
	unsigned char trace_id[16], span_id[8];
};

static void span_begin(struct span *s, uint32_t *seed, const char *name)
{
	for (size_t i = 0; i < sizeof(s->trace_id); i++)
		s->trace_id[i] = next_rand(seed);
	for (size_t i = 0; i < sizeof(s->span_id); i++)
		s->span_id[i] = next_rand(seed);
	s->trace_id[0] |= 1;	/* W3C: never all zero */
	s->span_id[0] |= 1;
	agentprof_span_begin(s->trace_id, s->span_id, NULL, name);
}

static void span_end(const struct span *s)
{
	agentprof_span_end(s->trace_id, s->span_id);
}

static void *tool_runner(void *arg)
{
	static const char *const words[] = { "the", "agent", "calls", "a", "tool", "and", "reads",
					     "its", "result", "into", "context" };
	struct worker *w = arg;
	char text[16384];
	size_t len = 0;

	while (len < sizeof(text) - 16)
		len += snprintf(text + len, sizeof(text) - len, "%s ",
				words[next_rand(&w->seed) % ARRAY_SIZE(words)]);
	while (!atomic_load(&stop)) {
		struct span s;

		span_begin(&s, &w->seed, "tool.call");
		tool_tokenize(text, len, TOKENIZE_NS);
		tool_rank_documents(&w->seed, RANK_NS);
		span_end(&s);
	}
	return NULL;
}

/* llm-server and llm-client: network wait */

/* Reads the whole request, body included: closing with unread bytes would send the client an RST. */
static int read_request(int fd, char *req, size_t size)
{
	size_t len = 0, need;
	char *end, *cl;
	long body = 0;
	ssize_t n;

	while (!(end = memmem(req, len, "\r\n\r\n", 4)))
		if ((n = recv_some(fd, req, size, &len)) <= 0)
			return n ? n : -ECONNRESET;
	need = end + 4 - req;
	*end = '\0';
	cl = strcasestr(req, "\r\nContent-Length:");
	if (cl) {
		cl += strlen("\r\nContent-Length:");
		cl += strspn(cl, " \t");
		cl[strcspn(cl, " \t\r")] = '\0';
		if (parse_long(cl, 0, size, &body))
			return -EBADMSG;
	}
	for (need += body; len < need;)
		if ((n = recv_some(fd, req, size, &len)) <= 0)
			return n ? n : -ECONNRESET;
	return 0;
}

static int serve_completion(int fd, uint32_t *seed)
{
	static const char body[] =
		"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"call search_docs\"}}]}";
	struct timeval tv = { .tv_sec = 1 };	/* a stalled client must not wedge the only server thread */
	char req[4096], resp[512];
	int n, err;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return -errno;
	err = read_request(fd, req, sizeof(req));
	if (!err)
		err = sleep_ms(150 + next_rand(seed) % 151);	/* "inference" */
	if (err)
		return err;
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", sizeof(body) - 1, body);
	return write_all(fd, resp, n);
}

static void *llm_server(void *arg)
{
	struct worker *w = arg;

	/* Sequential on purpose: concurrent clients queue for the model as they would behind a rate limit. */
	while (!atomic_load(&stop)) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC), err;

		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0)
			return role_fail(w->name, "accept", -errno);	/* EINVAL after shutdown() */
		err = serve_completion(fd, &w->seed);
		if (err && !atomic_load(&stop))
			pr_err(err, "%s: dropped a request", w->name);
		close(fd);
	}
	return NULL;
}

static NOINLINE int llm_call(char *reply, size_t size)
{
	static const char body[] =
		"{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"which tool next?\"}]}";
	/* Generous because -t 16 clients queue for seconds; it only guards against a wedged server. */
	struct timeval tv = { .tv_sec = 30 };
	size_t len = 0;
	char req[512];
	int fd, err;
	ssize_t n;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&llm_addr, sizeof(llm_addr))) {
		err = -errno;
		goto out;
	}
	n = snprintf(req, sizeof(req), "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		     ntohs(llm_addr.sin_port), sizeof(body) - 1, body);
	err = write_all(fd, req, n);
	if (err)
		goto out;
	/* The server closes after one response, so EOF marks its end. */
	while ((n = recv_some(fd, reply, size, &len)) > 0)
		;
	if (n < 0)
		err = n;
	else if (strncmp(reply, "HTTP/1.1 200 ", 13))
		err = -EBADMSG;
out:
	close(fd);
	return err;
}

static NOINLINE void plan_next_step(const char *reply, uint64_t budget_ns)
{
	uint64_t end = thread_cpu_ns() + budget_ns, h = 0x9e3779b97f4a7c15ull;

	do {
		for (int pass = 0; pass < 64; pass++)
			for (const char *p = reply; *p; p++)
				h = (h ^ (unsigned char)*p) * 0xff51afd7ed558ccdull;
	} while (thread_cpu_ns() < end);
	sink = h;
}

static void *llm_client(void *arg)
{
	struct worker *w = arg;
	char reply[1024];

	while (!atomic_load(&stop)) {
		struct span s;
		int err;

		span_begin(&s, &w->seed, "llm.call");
		err = llm_call(reply, sizeof(reply));
		span_end(&s);
		if (err)
			return role_fail(w->name, "llm_call", err);
		plan_next_step(reply, PLAN_NS);
	}
	return NULL;
}

/* cache-worker: lock contention */

static NOINLINE void cache_rebuild_entry(uint64_t key, uint64_t budget_ns)
{
	uint64_t end = thread_cpu_ns() + budget_ns;

	do {
		for (size_t i = 0; i < ARRAY_SIZE(cache_table); i++) {
			key = (cache_table[i] ^ key) * 0xbf58476d1ce4e5b9ull;
			cache_table[i] = key ^ key >> 31;
		}
	} while (thread_cpu_ns() < end);
	sink = key;
}

static NOINLINE int cache_get(uint64_t key, unsigned long call)
{
	int err = pthread_mutex_lock(&cache_lock);

	if (err)
		return -err;
	cache_rebuild_entry(key, REBUILD_NS);
	if (call % 5 == 4)
		err = sleep_ms(5);	/* sleeping with the lock held is the bug this role exists to show */
	pthread_mutex_unlock(&cache_lock);
	return err;
}

static void *cache_worker(void *arg)
{
	struct worker *w = arg;

	for (unsigned long call = 0; !atomic_load(&stop); call++) {
		struct span s;
		int err;

		span_begin(&s, &w->seed, "cache.get");
		err = cache_get(next_rand(&w->seed), call);
		span_end(&s);
		if (err)
			return role_fail(w->name, "cache_get", err);
	}
	return NULL;
}

/* memory-writer: disk */

static NOINLINE int store_memory(int fd, const char *chunk, off_t *size)
{
	int err = write_all(fd, chunk, CHUNK_SIZE);

	if (err)
		return err;
	*size += CHUNK_SIZE;
	if (fdatasync(fd))
		return -errno;
	if (*size >= MAX_FILE_SIZE) {
		if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET) < 0)
			return -errno;
		*size = 0;
	}
	return 0;
}

static void *memory_writer(void *arg)
{
	struct worker *w = arg;
	char chunk[CHUNK_SIZE];
	off_t size = 0;

	memset(chunk, 'm', sizeof(chunk));
	while (!atomic_load(&stop)) {
		int err = store_memory(w->fd, chunk, &size);

		if (err)
			return role_fail(w->name, "store_memory", err);
	}
	return NULL;
}

/* idle-worker: idle */

static NOINLINE void idle_tidy_up(uint32_t *seed)
{
	uint64_t h = 0;

	for (int i = 0; i < 10000; i++)
		h += next_rand(seed);
	sink = h;
}

static void *idle_worker(void *arg)
{
	struct worker *w = arg;
	int err = 0;

	while (!err) {
		bool work;

		err = pthread_mutex_lock(&idle_lock);
		if (err)
			break;
		while (!err && !atomic_load(&stop) && !idle_jobs)
			err = pthread_cond_wait(&idle_cond, &idle_lock);
		work = !err && !atomic_load(&stop);
		if (work)
			idle_jobs--;
		pthread_mutex_unlock(&idle_lock);
		if (!work)
			break;
		idle_tidy_up(&w->seed);
	}
	return err ? role_fail(w->name, "wait on idle pool", err) : NULL;
}

static int wake_idle(bool everyone)
{
	int err = pthread_mutex_lock(&idle_lock);

	if (err)
		return -err;
	if (everyone) {
		err = pthread_cond_broadcast(&idle_cond);
	} else {
		idle_jobs++;
		err = pthread_cond_signal(&idle_cond);
	}
	pthread_mutex_unlock(&idle_lock);
	return -err;
}

/* setup and the main thread */

static int llm_listen(void)
{
	socklen_t len = sizeof(llm_addr);
	const char *what;
	int err;

	llm_addr.sin_family = AF_INET;
	llm_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);	/* port 0: the kernel picks a free one */
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		what = "socket";
	else if (bind(listen_fd, (struct sockaddr *)&llm_addr, sizeof(llm_addr)))
		what = "bind 127.0.0.1";
	else if (listen(listen_fd, SOMAXCONN) || getsockname(listen_fd, (struct sockaddr *)&llm_addr, &len))
		what = "listen 127.0.0.1";
	else
		return 0;
	err = -errno;
	pr_err(err, "%s", what);
	return err;
}

/* Returns an fd whose file is already unlinked, so even a killed demo leaves nothing behind. */
static int open_scratch(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd, err;

	if (!dir || !*dir)
		dir = "/tmp";
	if (snprintf(path, sizeof(path), "%s/demo-agent-XXXXXX", dir) >= (int)sizeof(path)) {
		pr_err(-ENAMETOOLONG, "TMPDIR %s", dir);
		return -ENAMETOOLONG;
	}
	fd = mkstemp(path);
	if (fd < 0) {
		err = -errno;
		pr_err(err, "create temp file in %s", dir);	/* path is mangled by now */
		return err;
	}
	if (unlink(path)) {
		err = -errno;
		pr_err(err, "unlink %s", path);
		close(fd);
		return err;
	}
	return fd;
}

/* Main takes every stop signal (-d arrives as SIGALRM) and, between them, wakes the idle pool. */
static int wait_for_stop(const sigset_t *sigs, long duration_s)
{
	struct timespec tick = { .tv_sec = 2 };
	int err;

	if (duration_s)
		alarm(duration_s);
	for (;;) {
		if (sigtimedwait(sigs, NULL, &tick) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			err = -errno;
			pr_err(err, "wait for signals");
			return err;
		}
		err = wake_idle(false);
		if (err) {
			pr_err(err, "wake idle pool");
			return err;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct role {
		const char *name;
		void *(*run)(void *);
		int threads;	/* per role instance */
	} roles[] = {
		{ "tool-runner", tool_runner, 1 },
		{ "llm-client", llm_client, 1 },
		{ "cache-worker", cache_worker, CACHE_WORKERS },
		{ "memory-writer", memory_writer, 1 },
		{ "idle-worker", idle_worker, 1 },
	};
	struct sigaction ignore = { .sa_handler = SIG_IGN };
	long duration_s = 0, per_role = 1;
	struct worker *workers = NULL;
	size_t nworkers = 1, i, r;
	int opt, err, ret;
	sigset_t sigs;

	opterr = 0;	/* one line of our own instead of getopt's message and then the usage */
	while ((opt = getopt(argc, argv, ":d:t:h")) != -1) {
		long max = opt == 'd' ? MAX_DURATION_S : MAX_PER_ROLE;

		if (opt == 'h') {
			puts(USAGE);
			return 0;
		}
		if (opt == '?' || opt == ':') {
			fprintf(stderr, "demo-agent: %s -%c; " USAGE "\n",
				opt == ':' ? "missing value for" : "unknown option", optopt);
			return 2;
		}
		if (parse_long(optarg, 1, max, opt == 'd' ? &duration_s : &per_role)) {
			fprintf(stderr, "demo-agent: -%c '%s': expected a whole number from 1 to %ld\n",
				opt, optarg, max);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "demo-agent: unexpected argument '%s'; " USAGE "\n", argv[optind]);
		return 2;
	}

	/* Blocked before any thread exists, so every thread inherits the mask and only main takes them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGALRM);
	err = -pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (err) {
		pr_err(err, "block SIGINT/SIGTERM/SIGALRM");
		goto cleanup;
	}
	/* A peer that resets its connection must surface as EPIPE from write(), not kill the agent. */
	if (sigaction(SIGPIPE, &ignore, NULL)) {
		err = -errno;
		pr_err(err, "ignore SIGPIPE");
		goto cleanup;
	}
	err = llm_listen();
	if (err)
		goto cleanup;

	for (r = 0; r < ARRAY_SIZE(roles); r++)
		nworkers += per_role * roles[r].threads;
	workers = calloc(nworkers, sizeof(*workers));
	if (!workers) {
		err = -ENOMEM;
		pr_err(err, "allocate %zu workers", nworkers);
		goto cleanup;
	}
	/* Every fd is -1 before the first start, so cleanup never closes one it does not own. */
	workers[0] = (struct worker){ .name = "llm-server", .run = llm_server, .fd = -1 };
	for (i = 1, r = 0; r < ARRAY_SIZE(roles); r++)
		for (long k = 0; k < per_role * roles[r].threads; k++, i++)
			workers[i] = (struct worker){ .name = roles[r].name, .run = roles[r].run, .fd = -1 };
	/* The server first: clients connect as soon as they start. */
	for (i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];

		w->seed = 2654435761u * (uint32_t)(i + 1);	/* xorshift needs a non-zero seed */
		if (w->run == memory_writer && (w->fd = open_scratch()) < 0) {
			err = w->fd;
			goto cleanup;
		}
		err = -pthread_create(&w->tid, NULL, w->run, w);
		if (err) {
			pr_err(err, "pthread_create %s", w->name);
			goto cleanup;
		}
		w->started = true;
		err = -pthread_setname_np(w->tid, w->name);
		if (err) {
			pr_err(err, "pthread_setname_np %s", w->name);
			goto cleanup;
		}
	}

	/* Printed once every named thread exists, so a script that reads it can attach right away. */
	printf("demo-agent pid %d\n", (int)getpid());
	if (fflush(stdout)) {
		err = -errno;
		pr_err(err, "write stdout");
		goto cleanup;
	}
	err = wait_for_stop(&sigs, duration_s);

cleanup:
	atomic_store(&stop, true);
	/* shutdown(), unlike close(), wakes a thread blocked in accept() (with EINVAL). */
	if (listen_fd >= 0 && shutdown(listen_fd, SHUT_RDWR))
		pr_err(-errno, "shutdown listen socket");
	ret = wake_idle(true);
	if (ret)
		pr_err(ret, "wake idle pool");
	for (i = 0; workers && i < nworkers; i++) {
		ret = workers[i].started ? pthread_join(workers[i].tid, NULL) : 0;
		if (ret)
			pr_err(-ret, "pthread_join %s", workers[i].name);
		if (workers[i].fd >= 0)
			close(workers[i].fd);
	}
	if (listen_fd >= 0)
		close(listen_fd);
	free(workers);
	return err || atomic_load(&failed) ? 1 : 0;
}
