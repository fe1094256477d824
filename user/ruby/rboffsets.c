// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Where the Ruby VM keeps what a profiler reads. Ruby publishes no layout and Debian ships no
 * debug information for libruby that we can reach, so the offsets are a table per minor version,
 * taken from its vm_core.h (the same for every 3.1.x: rbspy's bindings of 3.1.0 to 3.1.7 agree),
 * and checked against a live ruby3.1 by tests/unit/test_rboffsets.c and the integration suite.
 * The version is libruby's own `ruby_version` string.
 */
#include <errno.h>
#include <string.h>
#include "ruby/rboffsets.h"

/*
 * 3.1: rb_thread_t starts with its lt_node; tid (Thread#native_thread_id) after thread_id; on
 * glibc the native thread's two condition variables are one (a union), at native_thread_data +
 * 16. rb_control_frame_t has 8 words (pc, sp, iseq, self, ep, block_code, __bp__, jit_return).
 */
static const struct rb_offsets rb31 = {
	.bpf = {
		.vm_main_ractor = 32, .ractor_threads = 304, .thread_node = 0, .thread_tid = 88,
		.thread_ec = 40, .thread_status = 92, .thread_gvl_cond = 120,
		.ec_vm_stack = 0, .ec_vm_stack_size = 8, .ec_cfp = 16,
		.cfp_size = 64, .cfp_pc = 0, .cfp_iseq = 16, .cfp_ep = 32,
	},
	.iseq_body = 16, .body_size = 4, .body_encoded = 8, .body_pathobj = 64, .body_label = 80,
	.body_first_lineno = 88, .body_insns = 120, .body_insns_size = 136, .body_succ = 144, .body_read = 152,
	.insn_entry_size = 12,
};

int rb_version_parse(const char *s, size_t len, uint32_t *out)
{
	unsigned int part[3] = { 0 }, n = 0, digits = 0;

	for (size_t i = 0; i < len && s[i]; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (++digits > 3)
				return -EINVAL;
			part[n] = part[n] * 10 + (s[i] - '0');
		} else if (s[i] == '.' && digits && n < 2) {
			n++;
			digits = 0;
		} else {
			return -EINVAL;
		}
	}
	if (n != 2 || !digits || part[1] > 255 || part[2] > 255)
		return -EINVAL;
	*out = RB_VERSION(part[0], part[1], part[2]);
	return 0;
}

int rb_offsets__for_version(uint32_t version, struct rb_offsets *out)
{
	if ((version >> 8) != (RB_VERSION(3, 1, 0) >> 8))
		return -ENOTSUP;
	*out = rb31;
	out->version = version;
	return 0;
}
