// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One line per entity that a person can act on: what holds it back, where, and who released it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include "model/memgrowth.h"
#include "model/spangroups.h"
#include "report/query.h"
#include "model/spans.h"
#include "report/verdict.h"

#define VERDICT_FRAMES 3	/* user frames shown, leaf first */

static const char *const labels[NR_CATEGORIES] = {
	[CAT_CPU] = "cpu-bound", [CAT_RUNQ] = "waiting for a CPU", [CAT_LOCK] = "lock-bound",
	[CAT_NET] = "network-bound", [CAT_DISK] = "disk-bound", [CAT_SLEEP] = "sleeping",
	[CAT_IDLE] = "idle", [CAT_OTHER] = "blocked",
	[CAT_QUEUE] = "queued",
};

static const struct {
	int nr;
	const char *name;
} syscalls[] = {
	{ SYS_futex, "futex wait" }, { SYS_futex_waitv, "futex wait" }, { SYS_read, "read" },
	{ SYS_write, "write" }, { SYS_pread64, "pread" }, { SYS_pwrite64, "pwrite" }, { SYS_readv, "readv" },
	{ SYS_writev, "writev" }, { SYS_recvfrom, "recv" }, { SYS_recvmsg, "recvmsg" },
	{ SYS_sendto, "send" }, { SYS_sendmsg, "sendmsg" }, { SYS_connect, "connect" },
	{ SYS_accept, "accept" }, { SYS_accept4, "accept" }, { SYS_poll, "poll" }, { SYS_ppoll, "poll" },
	{ SYS_select, "select" }, { SYS_pselect6, "select" }, { SYS_epoll_wait, "epoll_wait" },
	{ SYS_epoll_pwait, "epoll_wait" }, { SYS_epoll_pwait2, "epoll_wait" }, { SYS_fsync, "fsync" },
	{ SYS_fdatasync, "fdatasync" }, { SYS_nanosleep, "nanosleep" },
	{ SYS_clock_nanosleep, "nanosleep" }, { SYS_wait4, "wait for a child" },
	{ SYS_rt_sigtimedwait, "wait for a signal" },
};

static const char *const fd_words[] = {
	[FD_SOCKET] = " on a socket", [FD_LISTEN] = " on a listening socket", [FD_FILE] = " on a file",
	[FD_BLOCK] = " on a block device", [FD_PIPE] = " on a pipe",
};

/* "futex wait", "recv on a socket", "I/O wait"...; "" for CPU samples. */
static void describe_wait(const struct sample *s, char *buf, size_t len)
{
	const char *name = NULL, *fd = "";

	buf[0] = '\0';
	if (s->category == CAT_CPU || s->category == CAT_RUNQ)
		return;
	if (!(s->wait.flags & WAIT_IN_SYSCALL)) {
		snprintf(buf, len, "%s ", s->wait.flags & WAIT_IOWAIT ? "I/O wait" : "wait");
		return;
	}
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
		if (syscalls[i].nr == s->wait.syscall)
			name = syscalls[i].name;
	if (s->wait.fd_kind < sizeof(fd_words) / sizeof(fd_words[0]) && fd_words[s->wait.fd_kind])
		fd = fd_words[s->wait.fd_kind];
	if (name)
		snprintf(buf, len, "%s%s ", name, fd);
	else
		snprintf(buf, len, "syscall %d%s ", s->wait.syscall, fd);
}

/* Which samples speak for the entity (as profile__sample_of). */
struct entity {
	uint32_t tid;			/* a thread, or 0 */
	const char *span_name;		/* spans of this name, or NULL */
};

/* The heaviest stack of category c among the entity's samples. */
static const struct sample *top_sample(const struct profile *p, enum category c, const struct entity *e)
{
	const struct sample_set *set = c == CAT_CPU ? &p->oncpu : &p->offcpu;
	const struct sample *best = NULL;

	for (size_t i = 0; i < set->n; i++) {
		const struct sample *s = &set->v[i];

		if (s->category != c || !profile__sample_of(p, s, e->tid, e->span_name))
			continue;
		if (!best || s->count > best->count)
			best = s;
	}
	return best;
}

static const char *thread_name(const struct profile *p, uint32_t tid)
{
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].tid == tid)
			return p->threads[i].comm;
	return NULL;
}

/* "in leaf <- caller <- caller": user frames only, kernel frames say nothing a user can change. */
static size_t describe_stack(const struct sample *s, char *buf, size_t len)
{
	size_t at = 0;
	int shown = 0;

	for (uint32_t i = s->nframes; i-- > 0 && shown < VERDICT_FRAMES && at < len;) {
		const char *f = s->frames[i];
		size_t flen = strlen(f);

		if (flen > 4 && !strcmp(f + flen - 4, "_[k]"))
			continue;
		at += snprintf(buf + at, len - at, "%s%s", shown ? " <- " : "in ", f);
		shown++;
	}
	return at < len ? at : len;
}

/* "waiting on LLM API 10.0.0.7:443 (POST /v1/chat/completions)": the peer waited on most. */
static size_t describe_peer(const struct profile *p, const struct entity *e, char *buf, size_t len)
{
	struct peer_wait *v;
	ssize_t n = profile__peer_waits(p, e->tid, e->span_name, &v);
	char peer[PEER_STR_LEN];
	int at = 0;

	if (n <= 0)
		return 0;
	peer_str(&v[0].peer, peer, sizeof(peer));
	if (v[0].call)
		at = snprintf(buf, len, ": waiting on LLM API %s (%s)", peer, v[0].call);
	else
		at = snprintf(buf, len, ": waiting on %s%s", v[0].llm ? "LLM API " : "", peer);
	free(v);
	return at < 0 ? 0 : (size_t)at < len ? (size_t)at : len;
}

#define QUEUE_SAID_PERCENT 5	/* a request's queue is said beside its class from this share on */
#define QUEUE_WORDS "behind other requests on the event loop"

/* Whether spans of this name were served on an event loop (their stacks are the loop's, not theirs). */
static bool on_loop(const struct profile *p, const char *span_name)
{
	for (size_t i = 0; span_name && i < p->nspans; i++)
		if (p->spans[i].on_loop && !strcmp(p->spans[i].rec->name, span_name))
			return true;
	return false;
}

static void say(const struct profile *p, const uint64_t ns[NR_CATEGORIES], enum category c,
		const struct entity *e, char *buf, size_t len)
{
	const struct sample *s;
	uint64_t total = 0;
	char what[64];
	size_t at;

	for (int i = 0; i < NR_CATEGORIES; i++)
		total += ns[i];
	at = snprintf(buf, len, "%s %.0f%%", labels[c], total ? 100.0 * ns[c] / total : 0.0);
	if (c == CAT_NET && at < len)
		at += describe_peer(p, e, buf + at, len - at);
	if (c == CAT_QUEUE && at < len)
		at += snprintf(buf + at, len - at, " " QUEUE_WORDS);
	else if (total && ns[CAT_QUEUE] * 100 >= QUEUE_SAID_PERCENT * total && at < len)
		at += snprintf(buf + at, len - at, ", %.0f%% queued " QUEUE_WORDS, 100.0 * ns[CAT_QUEUE] / total);
	if (at >= len || on_loop(p, e->span_name))
		return;	/* the stacks stamped with a loop's spans are any request's */
	s = c == CAT_IDLE ? NULL : top_sample(p, c, e);
	if (!s || at >= len)
		return;
	describe_wait(s, what, sizeof(what));
	at += snprintf(buf + at, len - at, ": %s", what);
	if (at < len)
		at += describe_stack(s, buf + at, len - at);
	if (at < len && c == CAT_LOCK && s->waker_tid) {
		const char *waker = thread_name(p, s->waker_tid);

		if (waker)
			snprintf(buf + at, len - at, " (released by %s)", waker);
		else
			snprintf(buf + at, len - at, " (released by thread %u)", s->waker_tid);
	}
}

void verdict(const struct profile *p, const struct thread_info *t, char *buf, size_t len)
{
	struct entity e = { .tid = t ? t->tid : 0 };

	say(p, t ? t->ns : p->ns, t ? t->class : p->class, &e, buf, len);
}

void verdict_spans(const struct profile *p, const char *name, const uint64_t ns[NR_CATEGORIES],
		   enum category class, char *buf, size_t len)
{
	struct entity e = { .span_name = name };

	say(p, ns, class, &e, buf, len);
}

/* The span name whose spans (nested ones included) keep the most, and how much; NULL when none. */
static const char *top_mem_span(const struct profile *p, uint64_t *kept)
{
	struct span_group *g;
	const char *name = NULL;
	size_t n;

	*kept = 0;
	if (span_groups__by_name(p, &g, &n))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (mem_kept(&g[i].mem) > *kept) {
			*kept = mem_kept(&g[i].mem);
			name = g[i].name;	/* the profile's storage: outlives g */
		}
	free(g);
	return name;
}

bool verdict_memory(const struct profile *p, char *buf, size_t len)
{
	struct mem_stack *top;
	struct rss_trend t;
	uint64_t total = mem_kept(&p->mem_total), in_span;
	const char *owner = NULL, *span;
	ssize_t n;
	int at;

	buf[0] = '\0';
	mem_rss_trend(p->rss, p->nrss, &t);
	if (!p->memory || !t.steady)
		return false;
	at = snprintf(buf, len, "memory: grew %.1f MB in %.1f s", (t.last_bytes - t.first_bytes) / 1e6, t.span_ns / 1e9);
	n = mem_top_stacks(p, &top);
	if (n > 0)
		owner = mem_owner_frame(p, top[0].s);
	if (n >= 0)
		free(top);
	if (owner && total && at > 0 && (size_t)at < len) {
		at += snprintf(buf + at, len - at, ", %.0f%% under %s", 100.0 * mem_kept_under(p, owner) / total, owner);
	}
	span = top_mem_span(p, &in_span);
	if (span && total && in_span * 2 >= total && at > 0 && (size_t)at < len) {
		snprintf(buf + at, len - at, ", in span %s", span);
	}
	return true;
}
