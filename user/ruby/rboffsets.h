/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Where the Ruby VM keeps what a profiler reads, per version: 3.1 from a table, the version read from the binary. */
#ifndef RBOFFSETS_H
#define RBOFFSETS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "agentprof.h"

#define RB_VERSION(major, minor, teeny) ((uint32_t)(major) << 16 | (uint32_t)(minor) << 8 | (teeny))

struct rb_offsets {
	uint32_t version;		/* RB_VERSION(3, 1, 2) */
	struct rb_config bpf;		/* what the BPF side walks (vm_ptr left 0 here) */
	uint16_t iseq_body;		/* rb_iseq_t.body */
	uint16_t body_size;		/* rb_iseq_constant_body.iseq_size (VALUEs), iseq_encoded */
	uint16_t body_encoded;
	uint16_t body_pathobj;		/* .location.pathobj, .label, .first_lineno (a Fixnum) */
	uint16_t body_label;
	uint16_t body_first_lineno;
	uint16_t body_insns;		/* .insns_info.body, .size, .succ_index_table */
	uint16_t body_insns_size;
	uint16_t body_succ;
	uint16_t body_read;		/* bytes of a body that hold all of the above */
	uint16_t insn_entry_size;	/* sizeof(struct iseq_insn_info_entry); line_no at 0 */
};

/*
 * The version in a libruby's `ruby_version` ("3.1.2", the target's bytes: untrusted): 0 and *out,
 * or -EINVAL when it is no version.
 */
int rb_version_parse(const char *s, size_t len, uint32_t *out);
/* The table's offsets for a version: 0, or -ENOTSUP for one the table does not know (3.1 only). */
int rb_offsets__for_version(uint32_t version, struct rb_offsets *out);

#endif /* RBOFFSETS_H */
