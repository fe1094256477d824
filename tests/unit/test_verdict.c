// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Verdict lines: what holds an entity back, where, and who released it, from a built profile. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include "classify/llm.h"
#include "report/query.h"
#include "report/verdict.h"

static struct profile p;

static void add(struct sample_set *set, uint32_t tid, enum category c, uint64_t count, struct wait_sig w,
		uint32_t waker, const char *const *frames, uint32_t n)
{
	struct sample s = { .tid = tid, .category = c, .count = count, .wait = w, .waker_tid = waker };
	struct sample *added;

	cr_assert_eq(profile__add(set, &s, NULL, 0, NULL, 0), 0);
	added = &set->v[set->n - 1];
	added->frames = calloc(n, sizeof(char *));
	for (uint32_t i = 0; i < n; i++)
		added->frames[i] = strdup(frames[i]);
	added->nframes = n;
}

static void thread(uint32_t tid, const char *comm, uint64_t wall)
{
	struct thread_info *t = profile__thread(&p, tid);

	strcpy(t->comm, comm);
	t->wall_ns = wall;
}

static void setup(void)
{
	static const char *const lock_stack[] = { "start_thread", "worker", "cache_get", "__lll_lock_wait",
						  "entry_SYSCALL_64_[k]", "__schedule_[k]" };
	static const char *const cpu_stack[] = { "main", "run_tool", "tokenize" };
	struct wait_sig futex = { .syscall = SYS_futex, .flags = WAIT_IN_SYSCALL };
	struct wait_sig none = { .syscall = -1 };

	profile__init(&p);
	p.duration_ns = 1000;
	thread(10, "cache-worker", 1000);
	thread(11, "holder", 1000);
	thread(12, "tool-runner", 1000);
	thread(13, "pool", 1000);
	p.threads[0].ns[CAT_CPU] = 280;
	add(&p.offcpu, 10, CAT_LOCK, 700, futex, 11, lock_stack, 6);
	add(&p.offcpu, 10, CAT_LOCK, 20, futex, 0, lock_stack, 4);
	p.threads[1].ns[CAT_SLEEP] = 1000;
	add(&p.oncpu, 12, CAT_CPU, 99, none, 0, cpu_stack, 3);
	p.threads[2].ns[CAT_CPU] = 1000;
	p.threads[3].ns[CAT_IDLE] = 1000;
	profile__finish(&p, NULL);
}

static void teardown(void)
{
	profile__free(&p);
}

TestSuite(verdict, .init = setup, .fini = teardown);

Test(verdict, lock_names_the_wait_the_callers_and_the_releaser)
{
	char buf[256];

	verdict(&p, &p.threads[0], buf, sizeof(buf));
	cr_assert_str_eq(buf, "lock-bound 72%: futex wait in __lll_lock_wait <- cache_get <- worker "
			      "(released by holder)");
}

Test(verdict, cpu_shows_the_hot_path)
{
	char buf[256];

	verdict(&p, &p.threads[2], buf, sizeof(buf));
	cr_assert_str_eq(buf, "cpu-bound 100%: in tokenize <- run_tool <- main");
}

Test(verdict, idle_and_no_stack)
{
	char buf[256];

	verdict(&p, &p.threads[3], buf, sizeof(buf));
	cr_assert_str_eq(buf, "idle 100%");
	verdict(&p, &p.threads[1], buf, sizeof(buf));
	cr_assert_str_eq(buf, "sleeping 100%", "no stack recorded: the share alone");
}

Test(verdict, process_and_truncation)
{
	char buf[256], small[12];

	verdict(&p, NULL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "cpu-bound 32%: in tokenize <- run_tool <- main");
	verdict(&p, &p.threads[0], small, sizeof(small));
	cr_assert_str_eq(small, "lock-bound ");
}

Test(verdict, net_names_the_peer_waited_on_most)
{
	static const char *const recv_stack[] = { "main", "call_api", "__recv" };
	struct wait_sig recv = { .syscall = SYS_recvfrom, .fd_kind = FD_SOCKET, .flags = WAIT_IN_SYSCALL };
	struct net_peer db = { .addr = { 10, 0, 0, 9 }, .port = 5432, .family = 2 /* AF_INET */ };
	struct net_peer api = { .addr = { 10, 0, 0, 7 }, .port = 443, .family = 2 };
	struct llm_endpoints llm = { .v = &api, .n = 1 };
	struct peer_wait *v;
	char buf[256];

	profile__free(&p);
	profile__init(&p);
	p.duration_ns = 1000;
	thread(20, "agent", 1000);
	add(&p.offcpu, 20, CAT_NET, 600, recv, 0, recv_stack, 3);
	p.offcpu.v[0].peer = api;
	add(&p.offcpu, 20, CAT_NET, 300, recv, 0, recv_stack, 3);
	p.offcpu.v[1].peer = db;
	profile__finish(&p, NULL);
	verdict(&p, &p.threads[0], buf, sizeof(buf));
	cr_assert_str_eq(buf, "network-bound 100%: waiting on 10.0.0.7:443: recv on a socket in __recv <- call_api <- main");
	p.llm = &llm;
	verdict(&p, &p.threads[0], buf, sizeof(buf));
	cr_assert_str_eq(buf, "network-bound 100%: waiting on LLM API 10.0.0.7:443: recv on a socket in __recv <- call_api "
			      "<- main");
	cr_assert_eq(profile__peer_waits(&p, 0, NULL, &v), 2);
	cr_assert_eq(v[0].ns, 600);
	cr_assert(v[0].llm);
	cr_assert_eq(v[1].ns, 300);
	cr_assert(!v[1].llm);
	free(v);
}
