// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The memory ledger: releases charged to whoever mapped or faulted the memory in, from events built by hand. */
#include <criterion/criterion.h>
#include "model/memledger.h"

#define PID 100
#define KiB 1024ull
#define MiB (1024 * KiB)

static struct mem_ledger *l;

static void setup(void)
{
	l = mem_ledger__new();
	cr_assert(l);
}

static void teardown(void)
{
	mem_ledger__free(l);
}

/* An event of thread tid (its stack: stack). */
static void ev(uint32_t tid, int32_t stack, enum mem_kind kind, uint64_t addr, uint64_t len, uint64_t addr2,
	       uint64_t len2)
{
	static uint64_t ts;
	struct mem_event e = {
		.key = { .pid = PID, .tid = tid, .user_stack_id = stack }, .kind = kind, .ts = ++ts,
		.addr = addr, .len = len, .addr2 = addr2, .len2 = len2,
	};

	cr_assert_eq(mem_ledger__add(l, &e), 0);
}

static const struct mem_account *account(uint32_t tid, int32_t stack)
{
	size_t n;
	const struct mem_account *a = mem_ledger__accounts(l, &n);

	for (size_t i = 0; i < n; i++)
		if (a[i].key.tid == tid && a[i].key.user_stack_id == stack)
			return &a[i];
	cr_assert_fail("no account for tid %u stack %d", tid, stack);
	return NULL;
}

/* Faults every 64 KiB of [addr, addr + len), each standing for 64 KiB. */
static void touch(uint32_t tid, int32_t stack, uint64_t addr, uint64_t len)
{
	for (uint64_t a = addr; a < addr + len; a += 64 * KiB)
		ev(tid, stack, MEM_FAULT, a + 100, 64 * KiB, 0, 0);
}

TestSuite(memledger, .init = setup, .fini = teardown);

Test(memledger, a_churned_mapping_keeps_nothing_a_grown_one_keeps_all)
{
	for (int round = 0; round < 3000; round++) {	/* past the unsorted pages, merged several times */
		ev(2, 20, MEM_MMAP, 0x7f0000000000, MiB, 0, 0);
		touch(2, 21, 0x7f0000000000, MiB);
		ev(2, 0, MEM_MUNMAP, 0x7f0000000000, MiB, 0, 0);
		if (round % 100 == 0) {
			ev(1, 10, MEM_BRK, 0x1000000 + round * 10 * KiB, 0, 0x1000000 + (round + 1) * 10 * KiB, 0);
			touch(1, 11, 0x1000000 + round * 10 * KiB, 64 * KiB);
		}
	}
	cr_assert_eq(account(2, 20)->mapped, 3000 * MiB);
	cr_assert_eq(account(2, 20)->unmapped, 3000 * MiB);
	cr_assert_eq(account(2, 21)->faulted, 3000 * MiB);
	cr_assert_eq(account(2, 21)->released, 3000 * MiB, "released %llu", (unsigned long long)account(2, 21)->released);
	cr_assert_eq(account(1, 11)->faulted, 30 * 64 * KiB);
	cr_assert_eq(account(1, 11)->released, 0);
	cr_assert_eq(account(1, 10)->mapped, 30 * 10 * KiB);
	cr_assert_eq(mem_ledger__unknown_released(l), 0);
}

Test(memledger, a_heap_that_shrinks_gives_back_its_top_to_whoever_grew_it)
{
	ev(1, 10, MEM_BRK, 0x100000, 0, 0x200000, 0);	/* 1 MiB by stack 10 */
	ev(2, 20, MEM_BRK, 0x200000, 0, 0x300000, 0);	/* 1 MiB by stack 20 */
	touch(1, 11, 0x100000, MiB);
	touch(2, 21, 0x200000, MiB);
	ev(3, 30, MEM_BRK, 0x300000, 0, 0x280000, 0);	/* thread 3 trims the top 512 KiB */
	cr_assert_eq(account(2, 20)->unmapped, 512 * KiB);
	cr_assert_eq(account(2, 21)->released, 512 * KiB);
	cr_assert_eq(account(1, 10)->unmapped, 0);
	cr_assert_eq(account(1, 11)->released, 0);
}

Test(memledger, a_hole_unmapped_in_a_mapping_splits_it)
{
	ev(1, 10, MEM_MMAP, 0x10000000, 4 * MiB, 0, 0);
	ev(2, 0, MEM_MUNMAP, 0x10000000 + MiB, MiB, 0, 0);
	ev(2, 0, MEM_MUNMAP, 0x10000000, 4 * MiB, 0, 0);
	cr_assert_eq(account(1, 10)->unmapped, 4 * MiB);
	cr_assert_eq(mem_ledger__unknown_released(l), MiB, "the hole was unmapped twice");
}

Test(memledger, madvise_releases_pages_and_keeps_the_mapping)
{
	ev(1, 10, MEM_MMAP, 0x10000000, MiB, 0, 0);
	touch(1, 11, 0x10000000, MiB);
	ev(2, 0, MEM_MADVISE, 0x10000000, 512 * KiB, 0, 0);
	cr_assert_eq(account(1, 11)->released, 512 * KiB);
	cr_assert_eq(account(1, 10)->unmapped, 0);
}

Test(memledger, mremap_moves_the_pages_and_gives_the_mapping_to_its_caller)
{
	ev(1, 10, MEM_MMAP, 0x10000000, MiB, 0, 0);
	touch(1, 11, 0x10000000, MiB);
	ev(2, 20, MEM_MREMAP, 0x10000000, MiB, 0x20000000, 2 * MiB);
	cr_assert_eq(account(1, 10)->unmapped, MiB);
	cr_assert_eq(account(2, 20)->mapped, 2 * MiB);
	cr_assert_eq(account(1, 11)->released, 0, "moved, not released");
	ev(3, 0, MEM_MUNMAP, 0x20000000, 2 * MiB, 0, 0);
	cr_assert_eq(account(1, 11)->released, MiB, "released where they moved to");
	cr_assert_eq(account(2, 20)->unmapped, 2 * MiB);
}

Test(memledger, a_child_that_exits_gives_back_all_it_had_and_nothing_of_others)
{
	struct mem_event e = { .key = { .pid = PID + 1, .tid = PID + 1, .user_stack_id = 90 }, .kind = MEM_MMAP,
			       .ts = 1, .addr = 0x10000000, .len = MiB };

	cr_assert_eq(mem_ledger__add(l, &e), 0);
	e.kind = MEM_FAULT;
	e.addr += 100;
	e.len = 64 * KiB;
	cr_assert_eq(mem_ledger__add(l, &e), 0);
	ev(1, 10, MEM_MMAP, 0x10000000, MiB, 0, 0);	/* the same addresses in the parent */
	touch(1, 11, 0x10000000, MiB);
	e.kind = MEM_EXIT;
	e.key.user_stack_id = -14;
	cr_assert_eq(mem_ledger__add(l, &e), 0);
	cr_assert_eq(account(PID + 1, 90)->unmapped, MiB);
	cr_assert_eq(account(PID + 1, 90)->released, 64 * KiB);
	cr_assert_eq(account(1, 10)->unmapped, 0);
	cr_assert_eq(account(1, 11)->released, 0);
}
