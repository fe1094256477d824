// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The model's thread and process tables: one entry per id, found again however many there are. */
#include <criterion/criterion.h>
#include "model/profile.h"

#define N 20000

Test(profile, threads_are_found_again_through_growth_and_sorting)
{
	struct profile p;

	profile__init(&p);
	/* descending, with ids that share low bits: the order sorting changes, the collisions probing meets */
	for (uint32_t i = N; i > 0; i--) {
		struct thread_info *t = profile__thread(&p, i << 12);

		cr_assert(t);
		t->pid = i;
		t->wall_ns = i;
	}
	cr_assert_eq(p.nthreads, N);
	for (uint32_t i = 1; i <= N; i++)
		cr_assert_eq(profile__thread(&p, i << 12)->pid, i);
	cr_assert_eq(p.nthreads, N, "a lookup added a thread");
	cr_assert_eq(profile__finish(&p, NULL), 0);	/* sorts threads by tid, processes by pid */
	cr_assert_eq(p.threads[0].tid, 1u << 12);
	cr_assert_eq(p.nprocs, N);
	for (uint32_t i = 1; i <= N; i += 97) {
		cr_assert_eq(profile__thread(&p, i << 12)->wall_ns, i);
		cr_assert_eq(profile__process(&p, i)->nthreads, 1);
	}
	cr_assert_eq(p.nthreads, N);
	cr_assert_eq(p.nprocs, N);
	cr_assert_eq(profile__thread(&p, 7)->tid, 7, "a new one after sorting");
	cr_assert_eq(p.nthreads, N + 1);
	profile__free(&p);
}
