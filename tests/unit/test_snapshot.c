// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Retiring exited threads and ended spans from snapshots: what is taken with them, and merging
 * their totals back.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "model/profile.h"
#include "capture/snapshot.h"
#include "model/spans.h"

/* A snapshot built by hand, each array sorted as snapshot__read leaves them. */
static struct snapshot snap;

static void sample(uint32_t pid, uint32_t tid, int32_t stack, uint64_t count)
{
	snap.samples = realloc(snap.samples, (snap.nsamples + 1) * sizeof(*snap.samples));
	snap.samples[snap.nsamples++] = (struct snap_sample){
		.key = { .pid = pid, .tid = tid, .user_stack_id = stack }, .count = count };
}

static void wait_of(uint32_t pid, uint32_t tid, int32_t stack, uint64_t ns)
{
	snap.waits = realloc(snap.waits, (snap.nwaits + 1) * sizeof(*snap.waits));
	snap.waits[snap.nwaits++] = (struct snap_wait){
		.key = { .pid = pid, .tid = tid, .user_stack_id = stack }, .val = { .ns = ns, .count = 1 } };
}

static void thread(uint32_t pid, uint32_t tid, uint64_t exit_ns)
{
	snap.threads = realloc(snap.threads, (snap.nthreads + 1) * sizeof(*snap.threads));
	snap.threads[snap.nthreads++] = (struct snap_thread){ .pid = pid, .tid = tid, .wall_ns = 100,
							      .exited = exit_ns != 0, .exit_ns = exit_ns };
}

/* The target 10 (alive), its children 20 (exited at 500) and 30 (exited at 900), a thread 11 exited at 400. */
static void setup(void)
{
	memset(&snap, 0, sizeof(snap));
	snap.at_ns = 1000;
	sample(10, 10, 1, 5);
	sample(10, 11, 1, 2);
	sample(20, 20, 1, 3);
	sample(30, 30, 2, 4);
	wait_of(10, 10, 3, 700);
	wait_of(20, 20, 3, 90);
	wait_of(30, 30, 3, 80);
	thread(10, 10, 0);
	thread(10, 11, 400);
	thread(20, 20, 500);
	thread(30, 30, 900);
}

static void teardown(void)
{
	snapshot__free(&snap);
}

TestSuite(snapshot, .init = setup, .fini = teardown);

Test(snapshot, takes_the_threads_exited_before_with_what_they_own)
{
	struct snapshot gone;

	cr_assert_eq(snapshot__take_exited(&snap, 600, &gone), 0);
	/* 30 exited after 600: its stacks may still be on their way, it stays */
	cr_assert_eq(gone.nthreads, 2);
	cr_assert_eq(gone.threads[0].tid, 11);
	cr_assert_eq(gone.threads[1].tid, 20);
	cr_assert_eq(gone.nsamples, 2);
	cr_assert_eq(gone.samples[0].key.tid, 11);
	cr_assert_eq(gone.samples[1].key.tid, 20);
	cr_assert_eq(gone.nwaits, 1);
	cr_assert_eq(gone.waits[0].key.tid, 20);
	cr_assert_eq(snap.nthreads, 2);
	cr_assert_eq(snap.threads[0].tid, 10);
	cr_assert_eq(snap.threads[1].tid, 30);
	cr_assert_eq(snap.nsamples, 2);
	cr_assert_eq(snap.samples[0].key.tid, 10);
	cr_assert_eq(snap.samples[1].key.tid, 30);
	cr_assert_eq(snap.nwaits, 2);
	snapshot__free(&gone);
}

Test(snapshot, nothing_exited_takes_nothing)
{
	struct snapshot gone;

	cr_assert_eq(snapshot__take_exited(&snap, 100, &gone), 0);
	cr_assert_eq(gone.nthreads + gone.nsamples + gone.nwaits, 0);
	cr_assert_eq(snap.nthreads, 4);
	cr_assert_eq(snap.nsamples, 4);
	cr_assert_eq(snap.nwaits, 3);
}

/* What was taken, merged back, gives the snapshot it came from: totals kept, in order. */
Test(snapshot, merging_back_restores_every_total)
{
	struct snapshot gone, again;

	cr_assert_eq(snapshot__take_exited(&snap, 2000, &gone), 0);
	cr_assert_eq(gone.nthreads, 3);
	cr_assert_eq(snap.nthreads, 1);
	cr_assert_eq(snapshot__merge(&snap, &gone), 0);
	cr_assert_eq(snap.nthreads, 4);
	cr_assert_eq(snap.nsamples, 4);
	cr_assert_eq(snap.nwaits, 3);
	for (size_t i = 1; i < snap.nsamples; i++)
		cr_assert_lt(memcmp(&snap.samples[i - 1].key, &snap.samples[i].key, sizeof(struct sample_key)), 0);
	for (size_t i = 1; i < snap.nthreads; i++)
		cr_assert_lt(snap.threads[i - 1].tid, snap.threads[i].tid);
	/* the same keys again (a retired thread's late sample): summed, not doubled */
	memset(&again, 0, sizeof(again));
	again.samples = calloc(1, sizeof(*again.samples));
	again.samples[0] = snap.samples[3];
	again.nsamples = 1;
	cr_assert_eq(snapshot__merge(&snap, &again), 0);
	cr_assert_eq(snap.nsamples, 4);
	cr_assert_eq(snap.samples[3].count, 8);
	snapshot__free(&again);
	snapshot__free(&gone);
}

/* top: the retired threads it has shown leave its last snapshot with what they own, no other. */
Test(snapshot, takes_the_owners_of_another_snapshot)
{
	struct snapshot owners = {}, gone;

	owners.threads = calloc(1, sizeof(*owners.threads));
	owners.threads[0] = (struct snap_thread){ .pid = 30, .tid = 30 };
	owners.nthreads = 1;
	cr_assert_eq(snapshot__take_owned(&snap, &owners, &gone), 0);
	cr_assert_eq(gone.nthreads, 1);
	cr_assert_eq(gone.nsamples, 1);
	cr_assert_eq(gone.nwaits, 1);
	cr_assert_eq(gone.samples[0].count, 4);
	cr_assert_eq(snap.nthreads, 3);
	cr_assert_eq(snap.nsamples, 3);
	snapshot__free(&gone);
	snapshot__free(&owners);
}

/* record: a profile from a snapshot with retired children marks them and their process exited. */
Test(snapshot, a_process_whose_threads_all_exited_is_exited)
{
	struct profile p;

	profile__init(&p);
	p.duration_ns = 1000;
	snap.nsamples = snap.nwaits = 0;	/* threads alone: no stack cache to name stacks with */
	cr_assert_eq(snapshot__diff(&snap, NULL, NULL, NULL, &p), 0);
	for (size_t i = 0; i < p.nthreads; i++)
		p.threads[i].ns[CAT_SLEEP] = p.threads[i].wall_ns;
	cr_assert_eq(profile__finish(&p, NULL), 0);
	cr_assert_eq(p.nprocs, 3);
	cr_assert(!p.procs[0].exited, "10 has a live thread");
	cr_assert(p.procs[1].exited);
	cr_assert(p.procs[2].exited);
	profile__free(&p);
}

static void span_event(struct span_table *t, uint32_t type, uint32_t seq, uint64_t ts)
{
	struct span_event e = { .type = type, .seq = seq, .tid = 10, .ts = ts };

	cr_assert_eq(span_table__add(t, &e), 0);
}

static void span_cpu(uint32_t seq, uint64_t ns)
{
	snap.span_cpu = realloc(snap.span_cpu, (snap.nspan_cpu + 1) * sizeof(*snap.span_cpu));
	snap.span_cpu[snap.nspan_cpu++] = (struct span_cpu){ seq, ns };
}

/*
 * Spans 1 (ended at 500), 2 (ended at 900) and 3 (open): what span 1 owns leaves before 600, in
 * every array, and comes back whole, its late CPU time added, when merged.
 */
Test(snapshot, takes_the_spans_ended_before_with_what_they_own)
{
	struct span_table spans = {};
	struct snapshot gone, late = {};

	span_event(&spans, SPAN_BEGIN, 1, 100);
	span_event(&spans, SPAN_END, 1, 500);
	span_event(&spans, SPAN_BEGIN, 2, 200);
	span_event(&spans, SPAN_END, 2, 900);
	span_event(&spans, SPAN_BEGIN, 3, 300);
	cr_assert_eq(spans.last_end_ns, 900);
	snap.samples[0].key.span = 1;
	snap.samples[1].key.span = 2;
	snap.samples[2].key.span = 3;
	snap.waits[0].key.span = 1;
	span_cpu(1, 40);
	span_cpu(2, 50);
	span_cpu(3, 60);
	cr_assert_eq(snapshot__take_spans(&snap, &spans, 600, &gone), 0);
	cr_assert_eq(gone.nsamples, 1);
	cr_assert_eq(gone.samples[0].key.span, 1);
	cr_assert_eq(gone.nwaits, 1);
	cr_assert_eq(gone.waits[0].key.span, 1);
	cr_assert_eq(gone.nspan_cpu, 1);
	cr_assert_eq(gone.span_cpu[0].seq, 1);
	cr_assert_eq(gone.nthreads, 0, "threads are retired when they exit, not with a span");
	cr_assert_eq(snap.nsamples, 3);
	cr_assert_eq(snap.nwaits, 2);
	cr_assert_eq(snap.nspan_cpu, 2);
	/* the span's CPU time charged after it was taken (a late add) sums with what was taken */
	late.span_cpu = calloc(1, sizeof(*late.span_cpu));
	late.span_cpu[0] = (struct span_cpu){ 1, 2 };
	late.nspan_cpu = 1;
	cr_assert_eq(snapshot__merge(&gone, &late), 0);
	cr_assert_eq(snapshot__merge(&snap, &gone), 0);
	cr_assert_eq(snap.nspan_cpu, 3);
	cr_assert_eq(snap.span_cpu[0].seq, 1);
	cr_assert_eq(snap.span_cpu[0].ns, 42);
	cr_assert_eq(snap.nsamples, 4);
	snapshot__free(&late);
	snapshot__free(&gone);
	span_table__free(&spans);
}

/* A span ended on another thread while its owner still waits keyed by it: left until that wait closes. */
Test(snapshot, a_span_a_live_thread_holds_stays)
{
	struct span_table spans = {};
	struct snapshot gone;

	span_event(&spans, SPAN_BEGIN, 1, 100);
	span_event(&spans, SPAN_END, 1, 500);
	span_event(&spans, SPAN_BEGIN, 2, 200);
	span_event(&spans, SPAN_END, 2, 600);
	snap.samples[0].key.span = 1;
	snap.waits[0].key.span = 2;
	span_cpu(2, 50);
	snap.held = calloc(1, sizeof(*snap.held));
	snap.held[0] = 2;
	snap.nheld = 1;
	cr_assert_eq(snapshot__take_spans(&snap, &spans, 2000, &gone), 0);
	cr_assert_eq(gone.nsamples, 1);
	cr_assert_eq(gone.nwaits + gone.nspan_cpu, 0);
	cr_assert_eq(snap.nspan_cpu, 1);
	snapshot__free(&gone);
	span_table__free(&spans);
}
