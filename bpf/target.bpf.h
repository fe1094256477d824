/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Target filter shared by every program: the first thing each one checks. */
#ifndef TARGET_BPF_H
#define TARGET_BPF_H

/* Set by the loader before load; the verifier then prunes the untaken branch. */
const volatile __u32 targ_tgid = 0;

static __always_inline bool is_target(__u32 tgid)
{
	return tgid == targ_tgid;
}

#endif /* TARGET_BPF_H */
