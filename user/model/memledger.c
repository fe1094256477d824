// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The memory ledger: the kernel's memory events replayed, each release charged to whoever made that memory. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "base/vec.h"
#include "model/memledger.h"

#define PAGE_BYTES	4096ull
#define RECENT_MAX	1024	/* sampled pages kept unsorted before they are merged into the sorted ones */

/* A mapping, or a part of the heap, that one account made: [start, end) of process pid. */
struct region {
	uint32_t pid;
	uint32_t account;
	uint64_t start, end;
};

/* A sampled fault: the page at addr of process pid, standing for weight bytes made resident. */
struct page {
	uint32_t pid;
	uint32_t account;
	uint64_t addr;
	uint64_t weight;	/* 0: released (a tombstone until the next merge) */
};

struct mem_ledger {
	struct mem_account *acc;
	size_t nacc, acc_cap;
	uint32_t *slots;	/* open addressing by key: account index + 1, 0: empty */
	size_t nslots;		/* a power of two, at least twice nacc */
	struct region *regions;	/* sorted by (pid, start), never overlapping within a pid */
	size_t nregions, regions_cap;
	struct page *pages;	/* sorted by (pid, addr) */
	size_t npages, pages_cap;
	struct page *recent;	/* not sorted yet */
	size_t nrecent;
	uint64_t unknown_released;
};

struct mem_ledger *mem_ledger__new(void)
{
	struct mem_ledger *l = calloc(1, sizeof(*l));

	if (l && !(l->recent = malloc(RECENT_MAX * sizeof(*l->recent)))) {
		free(l);
		return NULL;
	}
	return l;
}

void mem_ledger__free(struct mem_ledger *l)
{
	if (!l)
		return;
	free(l->acc);
	free(l->slots);
	free(l->regions);
	free(l->pages);
	free(l->recent);
	free(l);
}

const struct mem_account *mem_ledger__accounts(const struct mem_ledger *l, size_t *n)
{
	*n = l->nacc;
	return l->acc;
}

uint64_t mem_ledger__unknown_released(const struct mem_ledger *l)
{
	return l->unknown_released;
}

static uint64_t key_hash(const struct sample_key *k)
{
	const unsigned char *b = (const unsigned char *)k;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static void slot_put(uint32_t *slots, size_t nslots, const struct sample_key *k, uint32_t idx)
{
	for (size_t i = key_hash(k) & (nslots - 1);; i = (i + 1) & (nslots - 1))
		if (!slots[i]) {
			slots[i] = idx + 1;
			return;
		}
}

/* The account of key, created on first use: its index, or -ENOMEM. */
static long account_of(struct mem_ledger *l, const struct sample_key *k)
{
	struct mem_account *a;

	if (l->nslots) {
		for (size_t i = key_hash(k) & (l->nslots - 1); l->slots[i]; i = (i + 1) & (l->nslots - 1))
			if (!memcmp(&l->acc[l->slots[i] - 1].key, k, sizeof(*k)))
				return l->slots[i] - 1;
	}
	if ((l->nacc + 1) * 2 > l->nslots) {
		size_t n = l->nslots ? l->nslots * 2 : 64;
		uint32_t *slots = calloc(n, sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		for (size_t i = 0; i < l->nacc; i++)
			slot_put(slots, n, &l->acc[i].key, i);
		free(l->slots);
		l->slots = slots;
		l->nslots = n;
	}
	if (VEC_GROW(l->acc, l->nacc, l->acc_cap))
		return -ENOMEM;
	a = &l->acc[l->nacc];
	memset(a, 0, sizeof(*a));
	a->key = *k;
	slot_put(l->slots, l->nslots, k, l->nacc);
	return l->nacc++;
}

static void grew(struct mem_account *a, uint64_t ts)
{
	if (!a->first_ns || ts < a->first_ns)
		a->first_ns = ts;
	if (ts > a->last_ns)
		a->last_ns = ts;
}

static bool before(uint32_t pid_a, uint64_t a, uint32_t pid_b, uint64_t b)
{
	return pid_a < pid_b || (pid_a == pid_b && a < b);
}

/* The first region of pid that may overlap [start, ...): the one before start's position, if it reaches past it. */
static size_t first_region(const struct mem_ledger *l, uint32_t pid, uint64_t start)
{
	size_t lo = 0, hi = l->nregions;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (before(l->regions[mid].pid, l->regions[mid].start, pid, start))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && l->regions[lo - 1].pid == pid && l->regions[lo - 1].end > start)
		lo--;
	return lo;
}

/*
 * [start, end) of pid is no longer mapped: each region's owner is charged its part; with
 * unknown, what no region held counts as released from mappings made before the recording.
 * 0 or -ENOMEM.
 */
static int unmap_range(struct mem_ledger *l, uint32_t pid, uint64_t start, uint64_t end, bool unknown)
{
	uint64_t known = 0;
	size_t i = first_region(l, pid, start);

	while (i < l->nregions && l->regions[i].pid == pid && l->regions[i].start < end) {
		struct region *r = &l->regions[i];
		uint64_t from = r->start > start ? r->start : start, to = r->end < end ? r->end : end;

		l->acc[r->account].unmapped += to - from;
		known += to - from;
		if (r->start < start && r->end > end) {	/* a hole in the middle: two regions */
			struct region tail = *r;

			if (VEC_GROW(l->regions, l->nregions, l->regions_cap))
				return -ENOMEM;
			r = &l->regions[i];
			tail.start = end;
			r->end = start;
			memmove(&l->regions[i + 2], &l->regions[i + 1], (l->nregions - i - 1) * sizeof(*r));
			l->regions[i + 1] = tail;
			l->nregions++;
			break;
		}
		if (r->start < start) {
			r->end = start;
			i++;
		} else if (r->end > end) {
			r->start = end;
			break;
		} else {
			memmove(r, r + 1, (l->nregions - i - 1) * sizeof(*r));
			l->nregions--;
		}
	}
	if (unknown)
		l->unknown_released += end - start - known;
	return 0;
}

static int map_range(struct mem_ledger *l, uint32_t pid, uint64_t start, uint64_t end, uint32_t account)
{
	size_t i;
	int err = unmap_range(l, pid, start, end, false);	/* MAP_FIXED over an older mapping replaces it */

	if (err)
		return err;
	if (VEC_GROW(l->regions, l->nregions, l->regions_cap))
		return -ENOMEM;
	i = first_region(l, pid, start);
	memmove(&l->regions[i + 1], &l->regions[i], (l->nregions - i) * sizeof(*l->regions));
	l->regions[i] = (struct region){ pid, account, start, end };
	l->nregions++;
	l->acc[account].mapped += end - start;
	return 0;
}

static int cmp_page(const void *a, const void *b)
{
	const struct page *x = a, *y = b;

	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return (x->addr > y->addr) - (x->addr < y->addr);
}

/* The recent pages merged into the sorted ones, released ones dropped. 0 or -ENOMEM. */
static int merge_recent(struct mem_ledger *l)
{
	struct page *m;
	size_t i = 0, j = 0, n = 0;

	if (!l->nrecent)
		return 0;
	qsort(l->recent, l->nrecent, sizeof(*l->recent), cmp_page);
	m = malloc((l->npages + l->nrecent) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	while (i < l->npages || j < l->nrecent) {
		const struct page *p = j == l->nrecent || (i < l->npages && cmp_page(&l->pages[i], &l->recent[j]) <= 0) ?
				       &l->pages[i++] : &l->recent[j++];

		if (p->weight)
			m[n++] = *p;
	}
	free(l->pages);
	l->pages = m;
	l->npages = l->pages_cap = n;
	l->nrecent = 0;
	return 0;
}

static int add_page(struct mem_ledger *l, uint32_t pid, uint64_t addr, uint64_t weight, uint32_t account)
{
	if (l->nrecent == RECENT_MAX) {
		int err = merge_recent(l);

		if (err)
			return err;
	}
	l->recent[l->nrecent++] = (struct page){ pid, account, addr, weight };
	return 0;
}

/*
 * The sampled pages of pid in [start, end) are no longer resident: charged to whoever faulted them
 * in. With move, they moved by shift (mremap) instead, and only those past moved_end are released.
 */
static int release_pages(struct mem_ledger *l, uint32_t pid, uint64_t start, uint64_t end, bool move,
			 int64_t shift, uint64_t moved_end)
{
	struct page moved[64];
	size_t lo = 0, hi = l->npages, nmoved = 0;
	int err = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (before(l->pages[mid].pid, l->pages[mid].addr, pid, start))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < l->npages && l->pages[i].pid == pid && l->pages[i].addr < end; i++) {
		struct page *p = &l->pages[i];

		if (!p->weight)
			continue;
		if (move && p->addr < moved_end && nmoved < sizeof(moved) / sizeof(moved[0]))
			moved[nmoved++] = *p;
		else
			l->acc[p->account].released += p->weight;
		p->weight = 0;
	}
	for (size_t i = 0; i < l->nrecent;) {
		struct page *p = &l->recent[i];

		if (p->pid != pid || p->addr < start || p->addr >= end) {
			i++;
			continue;
		}
		if (move && p->addr < moved_end && nmoved < sizeof(moved) / sizeof(moved[0]))
			moved[nmoved++] = *p;
		else
			l->acc[p->account].released += p->weight;
		*p = l->recent[--l->nrecent];
	}
	/* past 64 moved pages (a mapping of MiBs), the others were charged as released above */
	for (size_t i = 0; i < nmoved && !err; i++)
		err = add_page(l, pid, moved[i].addr + shift, moved[i].weight, moved[i].account);
	return err;
}

static uint64_t page_up(uint64_t n)
{
	return (n + PAGE_BYTES - 1) & ~(PAGE_BYTES - 1);
}

int mem_ledger__add(struct mem_ledger *l, const struct mem_event *e)
{
	uint32_t pid = e->key.pid;
	uint64_t len = page_up(e->len);
	long account;
	int err;

	switch (e->kind) {
	case MEM_MUNMAP:
		return unmap_range(l, pid, e->addr, e->addr + len, true) ?: release_pages(l, pid, e->addr, e->addr + len, false, 0, 0);
	case MEM_MADVISE:
		return release_pages(l, pid, e->addr, e->addr + len, false, 0, 0);
	case MEM_EXIT:	/* the whole address space */
		return unmap_range(l, pid, 0, UINT64_MAX, false) ?: release_pages(l, pid, 0, UINT64_MAX, false, 0, 0);
	case MEM_BRK:
		if (e->addr2 < e->addr)	/* the heap shrank: its top pages go back */
			return unmap_range(l, pid, e->addr2, e->addr, true) ?: release_pages(l, pid, e->addr2, e->addr, false, 0, 0);
		break;
	case MEM_MMAP:
	case MEM_MREMAP:
	case MEM_FAULT:
		break;
	default:
		return 0;	/* a kind this build does not know */
	}
	account = account_of(l, &e->key);
	if (account < 0)
		return account;
	switch (e->kind) {
	case MEM_MMAP:
		err = map_range(l, pid, e->addr, e->addr + len, account);
		break;
	case MEM_BRK:
		err = map_range(l, pid, e->addr, e->addr2, account);
		break;
	case MEM_MREMAP:
		/* the pages move with the mapping; the mapping is the caller's from now on */
		err = release_pages(l, pid, e->addr, e->addr + len, true, (int64_t)(e->addr2 - e->addr),
				    e->addr + page_up(e->len2)) ?:
		      unmap_range(l, pid, e->addr, e->addr + len, true) ?:
		      map_range(l, pid, e->addr2, e->addr2 + page_up(e->len2), account);
		break;
	default:	/* MEM_FAULT */
		err = add_page(l, pid, e->addr & ~(PAGE_BYTES - 1), e->len, account);
		if (!err)
			l->acc[account].faulted += e->len;
		break;
	}
	if (!err)
		grew(&l->acc[account], e->ts);
	return err;
}
