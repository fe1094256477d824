/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where threads block, and the stacks seen there: a thread that blocks again at a place where
 * it blocked before takes that place's stacks without walking them.
 *
 * A place: the thread, its process's image (generation), the wait's signature, and its user
 * registers and innermost return addresses (place_hash, ustack.bpf.h: ip, sp, the words of its
 * top 256 bytes of stack that point into code). The same place is taken to be the same kernel
 * and user stacks, and the rule is checked: every SITE_CHECK-th block at a place walks its
 * stacks again, and a place where a walk finds other stacks than the ones kept walks them at
 * every block from then on (as a place never seen does).
 */
#ifndef SITES_BPF_H
#define SITES_BPF_H

#include "maps.bpf.h"
#include "stacks.bpf.h"
#include "ustack.bpf.h"

#define SITE_CHECK	32	/* blocks at a place between two walks of its stacks */

struct block_site {
	__s32 user_stack_id;	/* a copy's token (DWARF), or a frame-pointer stack's id */
	__s32 kern_stack_id;
	__u32 uses;		/* blocks here since its stacks were last walked */
	__u32 varies;		/* a walk here found other stacks: walked at every block */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u64);
	__type(value, struct block_site);
	__uint(max_entries, DEFAULT_OFFCPU_ENTRIES);
} block_sites SEC(".maps") __weak;

/* A stack id worth keeping: a stack, or none of that kind (not a loss, which must be counted again). */
static __always_inline bool site_id_ok(__s32 id)
{
	return id >= 0 || id == -EFAULT;
}

/* The place where the current thread (tid, of a process in generation gen) blocks in wait w; 0: unknown. */
static __always_inline __u64 site_hash(__u32 tid, __u32 gen, const struct wait_sig *w)
{
	/* the wait's signature as same_wait() compares it (offcpu.bpf.c): GVL and runq are found later */
	__u64 sig = (__u16)w->syscall | (__u64)w->fd_kind << 16 | (__u64)w->futex_op << 24 |
		    (__u64)(w->flags & ~(WAIT_RUNQ | WAIT_GVL)) << 32;

	return place_hash((((0xcbf29ce484222325ull ^ tid) * 0x100000001b3ull ^ gen) * 0x100000001b3ull ^ sig) *
			  0x100000001b3ull);
}

/* Whether site's stacks are to be taken as they are (into *user, *kern), without a walk. */
static __always_inline bool site_reuse(struct block_site *site, __s32 *user, __s32 *kern)
{
	if (!site || site->varies || ++site->uses >= SITE_CHECK)
		return false;
	*user = site->user_stack_id;
	*kern = site->kern_stack_id;
	return true;
}

/*
 * The stacks just walked at place h, kept for the next block there. Looked up again, not kept
 * from before the walks: the verifier would explore the walks twice, with an entry and without.
 */
static __always_inline void site_keep(__u64 h, __s32 user, __s32 kern)
{
	struct block_site *site, fresh = { .user_stack_id = user, .kern_stack_id = kern };

	if (!h || !site_id_ok(user) || !site_id_ok(kern))
		return;	/* a loss is counted at each walk: walk again */
	site = bpf_map_lookup_elem(&block_sites, &h);
	if (!site) {
		bpf_map_update_elem(&block_sites, &h, &fresh, BPF_ANY);
		return;
	}
	/* a copy's token for a frame-pointer stack kept (the credit was spent then) is no difference */
	if (site->kern_stack_id != kern || (site->user_stack_id != user &&
	    (site->user_stack_id >= USER_STACK_TOKEN_BASE) == (user >= USER_STACK_TOKEN_BASE)))
		site->varies = 1;
	site->user_stack_id = user;
	site->kern_stack_id = kern;
	site->uses = 0;
}

#endif /* SITES_BPF_H */
