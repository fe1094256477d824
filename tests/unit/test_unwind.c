// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of unwind.c: the test process samples itself the way the BPF sampler does (registers,
 * then its stack's top pages) and unwinds that; hostile samples end bounded, never crash.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "symbols/symbolize.h"
#include "capture/unwind.h"

static struct unwinder *u;
static struct user_stack_event *e;

static void setup(void)
{
	u = unwinder__new();
	e = calloc(1, sizeof(*e));
	cr_assert(u && e);
	e->key.pid = getpid();
	e->key.tid = gettid();
}

static void teardown(void)
{
	unwinder__free(u);
	free(e);
}

TestSuite(unwind, .init = setup, .fini = teardown);

/* The stack's pages from sp's page up, as the sampler copies them: up to the first unreadable one. */
static void copy_own_stack(void)
{
	e->base = e->sp & ~4095ull;
	e->size = 0;
	for (int i = 0; i < USER_STACK_PAGES; i++) {
		struct iovec local = { e->data + i * 4096, 4096 };
		struct iovec remote = { (void *)(uintptr_t)(e->base + i * 4096), 4096 };

		if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != 4096)
			break;
		e->size += 4096;
	}
}

/* Samples itself here; returns where it will return to. */
static __attribute__((noinline)) uint64_t sample_self(void)
{
	__asm__ volatile("lea 0(%%rip), %%rax\n\t"
			 "mov %%rax, %0\n\t"
			 "mov %%rsp, %1\n\t"
			 "mov %%rbp, %2\n\t"
			 "mov %%rbx, %3\n\t"
			 "mov %%r12, %4\n\t"
			 "mov %%r13, %5\n\t"
			 "mov %%r14, %6\n\t"
			 "mov %%r15, %7\n\t"
			 : "=m"(e->ip), "=m"(e->sp), "=m"(e->bp), "=m"(e->bx), "=m"(e->r12), "=m"(e->r13),
			   "=m"(e->r14), "=m"(e->r15)
			 :
			 : "rax");
	copy_own_stack();
	return (uint64_t)__builtin_return_address(0);
}

Test(unwind, own_stack_to_its_callers)
{
	uint64_t ips[MAX_STACK_DEPTH], ret = sample_self();
	size_t n = unwinder__unwind(u, e, ips, MAX_STACK_DEPTH);

	cr_assert_geq(n, 3, "only %zu frames", n);
	cr_assert_eq(ips[0], e->ip);
	cr_assert_eq(ips[1], ret, "frame 1 %#lx, the caller's return address %#lx", ips[1], ret);
	/* called again, the cached Dwfl gives the same stack */
	cr_assert_eq(unwinder__unwind(u, e, ips, MAX_STACK_DEPTH), n);
	cr_assert_eq(ips[1], ret);
}

Test(unwind, cut_short_by_max_frames)
{
	uint64_t ips[2];

	sample_self();
	cr_assert_eq(unwinder__unwind(u, e, ips, 2), 2);
	cr_assert_eq(ips[0], e->ip);
	cr_assert_eq(ips[1], TRUNCATED_FRAME);
}

Test(unwind, nothing_copied)
{
	uint64_t ips[MAX_STACK_DEPTH];
	size_t n;

	sample_self();
	e->size = 0;
	n = unwinder__unwind(u, e, ips, MAX_STACK_DEPTH);
	cr_assert(n >= 1 && n <= 2, "%zu frames", n);
	cr_assert_eq(ips[0], e->ip);
}

/* Garbage registers and stack: bounded by max, never a crash or a loop. */
Test(unwind, hostile_samples)
{
	uint64_t ips[MAX_STACK_DEPTH], ret = sample_self();

	srandom(1);
	for (int round = 0; round < 200; round++) {
		uint64_t *words = (uint64_t *)e->data;
		size_t n;

		for (size_t i = 0; i < USER_STACK_BYTES / 8; i++)	/* return addresses, and noise */
			words[i] = random() % 3 ? ((uint64_t)random() << 32 | random()) : ret + random() % 64;
		e->sp = e->base + (random() % USER_STACK_BYTES & ~7ul);
		e->bp = e->base + random() % USER_STACK_BYTES;
		e->ip = round % 2 ? ret : (uint64_t)random();
		n = unwinder__unwind(u, e, ips, MAX_STACK_DEPTH);
		cr_assert(n >= 1 && n <= MAX_STACK_DEPTH);
		cr_assert_eq(ips[0], e->ip);
	}
}

Test(unwind, process_gone)
{
	uint64_t ips[8];

	sample_self();
	e->key.pid = e->key.tid = 0x7ffffff0;	/* no such process */
	cr_assert_eq(unwinder__unwind(u, e, ips, 8), 1);
	cr_assert_eq(ips[0], e->ip);
}

Test(unwind, forgets_a_process)
{
	uint64_t ips[MAX_STACK_DEPTH], ret = sample_self();

	cr_assert_geq(unwinder__unwind(u, e, ips, MAX_STACK_DEPTH), 3);
	unwinder__forget(u, e->key.pid);
	cr_assert_geq(unwinder__unwind(u, e, ips, MAX_STACK_DEPTH), 3, "set up again after forget");
	cr_assert_eq(ips[1], ret);
}
