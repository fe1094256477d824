/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Where CPython keeps what a profiler reads, per version: 3.11 and 3.12 from a table, 3.13 from _Py_DebugOffsets. */
#ifndef PYOFFSETS_H
#define PYOFFSETS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "agentprof.h"

struct py_offsets {
	uint32_t version;		/* PY_VERSION_HEX, e.g. 0x030b02f0 */
	struct py_config bpf;		/* what the BPF side walks (runtime left 0 here) */
	uint16_t ob_type;		/* PyObject.ob_type */
	uint16_t code_filename, code_name, code_qualname, code_linetable, code_firstlineno;
	uint16_t bytes_size, bytes_data;	/* PyBytesObject ob_size, ob_sval */
	uint16_t str_length, str_state;	/* PyASCIIObject length, state */
	uint16_t str_ascii_data;	/* sizeof(PyASCIIObject): a compact ASCII string's characters */
	uint16_t str_compact_data;	/* sizeof(PyCompactUnicodeObject): other compact strings' data */
};

/* The table's offsets for a 3.11 or 3.12 interpreter: 0, or -ENOTSUP for any other version. */
int py_offsets__for_version(uint32_t version, struct py_offsets *out);

/* Bytes of _Py_DebugOffsets (3.13) that py_offsets__from_debug reads, from the start of _PyRuntime. */
#define PY_DEBUG_OFFSETS_LEN	(71 * 8)

/*
 * The offsets of a 3.13 interpreter from its _Py_DebugOffsets (the first len bytes of _PyRuntime,
 * the target's memory: untrusted): 0, -EINVAL when the cookie, a size or an offset is wrong,
 * -ENOTSUP when it is not 3.13's layout or a free-threaded build.
 */
int py_offsets__from_debug(const void *buf, size_t len, struct py_offsets *out);

#endif /* PYOFFSETS_H */
