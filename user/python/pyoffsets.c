// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Where CPython keeps what a profiler reads. 3.11 and 3.12 publish nothing, so their offsets are
 * a table, taken from their internal headers (tests/unit/test_pyoffsets.c checks 3.11's against the
 * installed headers with offsetof); 3.13 describes itself in _Py_DebugOffsets, at the start of
 * _PyRuntime, which is read instead (its layout is 3.13's; 3.14 changed it).
 */
#include <errno.h>
#include <string.h>
#include "python/pyoffsets.h"

#define PY_MINOR(v) (((v) >> 16) & 0xff)
#define PY_MAJOR(v) ((v) >> 24)

static const struct py_offsets py311 = {
	.bpf = {
		.interpreters_head = 40, .threads_head = 16, .tstate_next = 8, .tstate_native_tid = 160,
		.tstate_frame = 56, .cframe_frame = 8, .frame_code = 32, .frame_previous = 48,
		.frame_instr = 56, .frame_owner = 69, .frame_is_entry = 68, .code_adaptive = 184,
		.tstate_context = 224,
	},
	.ob_type = 8, .code_filename = 112, .code_name = 120, .code_qualname = 128, .code_linetable = 136,
	.code_firstlineno = 72, .bytes_size = 16, .bytes_data = 32, .str_length = 16, .str_state = 32,
	.str_ascii_data = 48, .str_compact_data = 72,
};

/* 3.12: frames start with f_code and previous; no is_entry (a C-stack shim frame instead); no wstr */
static const struct py_offsets py312 = {
	.bpf = {
		.interpreters_head = 40, .threads_head = 72, .tstate_next = 8, .tstate_native_tid = 144,
		.tstate_frame = 56, .cframe_frame = 0, .frame_code = 0, .frame_previous = 8,
		.frame_instr = 56, .frame_owner = 70, .frame_is_entry = PY_NO_FIELD, .code_adaptive = 192,
		.tstate_context = PY_NO_FIELD,	/* not checked against 3.12's headers yet */
	},
	.ob_type = 8, .code_filename = 112, .code_name = 120, .code_qualname = 128, .code_linetable = 136,
	.code_firstlineno = 68, .bytes_size = 16, .bytes_data = 32, .str_length = 16, .str_state = 32,
	.str_ascii_data = 40, .str_compact_data = 56,
};

int py_offsets__for_version(uint32_t version, struct py_offsets *out)
{
	if (PY_MAJOR(version) != 3 || (PY_MINOR(version) != 11 && PY_MINOR(version) != 12))
		return -ENOTSUP;
	*out = PY_MINOR(version) == 11 ? py311 : py312;
	out->version = version;
	return 0;
}

/* Indexes of the 64-bit fields of 3.13's _Py_DebugOffsets that are used. */
enum {
	DO_VERSION = 1, DO_FREE_THREADED = 2,
	DO_INTERPRETERS_HEAD = 5,
	DO_THREADS_HEAD = 9,
	DO_TSTATE_NEXT = 21, DO_TSTATE_CURRENT_FRAME = 23, DO_TSTATE_NATIVE_TID = 25,
	DO_FRAME_PREVIOUS = 29, DO_FRAME_EXECUTABLE = 30, DO_FRAME_INSTR_PTR = 31, DO_FRAME_OWNER = 33,
	DO_CODE_FILENAME = 35, DO_CODE_NAME = 36, DO_CODE_QUALNAME = 37, DO_CODE_LINETABLE = 38,
	DO_CODE_FIRSTLINENO = 39, DO_CODE_ADAPTIVE = 43,
	DO_OB_TYPE = 45,
	DO_BYTES_SIZE = 65, DO_BYTES_SVAL = 66,
	DO_STR_STATE = 68, DO_STR_LENGTH = 69, DO_STR_ASCII_SIZE = 70,
	DO_NR = 71,
};

_Static_assert(DO_NR * 8 == PY_DEBUG_OFFSETS_LEN, "_Py_DebugOffsets prefix read");

/* An offset that fits the BPF side's reads (a frame field within PY_FRAME_READ, 8-byte aligned). */
static int take(const uint64_t *v, int idx, uint64_t max, uint16_t *out)
{
	if (v[idx] > max)
		return -EINVAL;
	*out = v[idx];
	return 0;
}

static int take_ptr_in_frame(const uint64_t *v, int idx, uint16_t *out)
{
	return v[idx] % 8 ? -EINVAL : take(v, idx, PY_FRAME_READ - 8, out);
}

int py_offsets__from_debug(const void *buf, size_t len, struct py_offsets *out)
{
	uint64_t v[DO_NR];
	struct py_offsets o = {};
	int err;

	if (len < sizeof(v) || memcmp(buf, "xdebugpy", 8))
		return -EINVAL;
	memcpy(v, buf, sizeof(v));
	if (PY_MAJOR(v[DO_VERSION]) != 3 || PY_MINOR(v[DO_VERSION]) != 13)
		return -ENOTSUP;
	if (v[DO_FREE_THREADED])
		return -ENOTSUP;	/* other object layouts */
	o.version = v[DO_VERSION];
	o.bpf.cframe_frame = PY_NO_FIELD;
	o.bpf.frame_is_entry = PY_NO_FIELD;
	o.bpf.tstate_context = PY_NO_FIELD;	/* not in _Py_DebugOffsets */
	err = take(v, DO_INTERPRETERS_HEAD, 0xfff0, &o.bpf.interpreters_head) ?:
	      take(v, DO_THREADS_HEAD, 0xfff0, &o.bpf.threads_head) ?:
	      take(v, DO_TSTATE_NEXT, 0xfff0, &o.bpf.tstate_next) ?:
	      take(v, DO_TSTATE_CURRENT_FRAME, 0xfff0, &o.bpf.tstate_frame) ?:
	      take(v, DO_TSTATE_NATIVE_TID, 0xfff0, &o.bpf.tstate_native_tid) ?:
	      take_ptr_in_frame(v, DO_FRAME_PREVIOUS, &o.bpf.frame_previous) ?:
	      take_ptr_in_frame(v, DO_FRAME_EXECUTABLE, &o.bpf.frame_code) ?:
	      take_ptr_in_frame(v, DO_FRAME_INSTR_PTR, &o.bpf.frame_instr) ?:
	      take(v, DO_FRAME_OWNER, PY_FRAME_READ - 1, &o.bpf.frame_owner) ?:
	      take(v, DO_CODE_ADAPTIVE, 0xfff0, &o.bpf.code_adaptive) ?:
	      take(v, DO_OB_TYPE, 0xfff0, &o.ob_type) ?:
	      take(v, DO_CODE_FILENAME, 0xfff0, &o.code_filename) ?:
	      take(v, DO_CODE_NAME, 0xfff0, &o.code_name) ?:
	      take(v, DO_CODE_QUALNAME, 0xfff0, &o.code_qualname) ?:
	      take(v, DO_CODE_LINETABLE, 0xfff0, &o.code_linetable) ?:
	      take(v, DO_CODE_FIRSTLINENO, 0xfff0, &o.code_firstlineno) ?:
	      take(v, DO_BYTES_SIZE, 0xfff0, &o.bytes_size) ?:
	      take(v, DO_BYTES_SVAL, 0xfff0, &o.bytes_data) ?:
	      take(v, DO_STR_STATE, 0xfff0, &o.str_state) ?:
	      take(v, DO_STR_LENGTH, 0xfff0, &o.str_length) ?:
	      take(v, DO_STR_ASCII_SIZE, 0xffc0, &o.str_ascii_data);
	if (err)
		return err;
	/* PyCompactUnicodeObject is PyASCIIObject, then utf8_length and utf8 (3.12 on) */
	o.str_compact_data = o.str_ascii_data + 16;
	*out = o;
	return 0;
}
