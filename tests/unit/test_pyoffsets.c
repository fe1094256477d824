// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of pyoffsets.c: 3.11's table checked field by field against the installed CPython
 * 3.11 headers (libpython3.11-dev, internal ones with Py_BUILD_CORE), and 3.13's _Py_DebugOffsets
 * parsed from a buffer laid out as 3.13 lays it out, hostile values refused.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include "python/pyoffsets.h"

_Static_assert(PY_MAJOR_VERSION == 3 && PY_MINOR_VERSION == 11, "these are 3.11's headers");

Test(pyoffsets, table_311_matches_the_headers)
{
	struct py_offsets o;

	cr_assert_eq(py_offsets__for_version(PY_VERSION_HEX, &o), 0);
	cr_assert_eq(o.version, PY_VERSION_HEX);
	cr_expect_eq(o.bpf.interpreters_head, offsetof(_PyRuntimeState, interpreters.head));
	cr_expect_eq(o.bpf.threads_head, offsetof(PyInterpreterState, threads.head));
	cr_expect_eq(o.bpf.tstate_next, offsetof(PyThreadState, next));
	cr_expect_eq(o.bpf.tstate_native_tid, offsetof(PyThreadState, native_thread_id));
	cr_expect_eq(o.bpf.tstate_context, offsetof(PyThreadState, context));
	cr_expect_eq(o.bpf.tstate_frame, offsetof(PyThreadState, cframe));
	cr_expect_eq(o.bpf.cframe_frame, offsetof(_PyCFrame, current_frame));
	cr_expect_eq(o.bpf.frame_code, offsetof(_PyInterpreterFrame, f_code));
	cr_expect_eq(o.bpf.frame_previous, offsetof(_PyInterpreterFrame, previous));
	cr_expect_eq(o.bpf.frame_instr, offsetof(_PyInterpreterFrame, prev_instr));
	cr_expect_eq(o.bpf.frame_owner, offsetof(_PyInterpreterFrame, owner));
	cr_expect_eq(o.bpf.frame_is_entry, offsetof(_PyInterpreterFrame, is_entry));
	cr_expect_eq(o.bpf.code_adaptive, offsetof(PyCodeObject, co_code_adaptive));
	cr_expect_eq(o.ob_type, offsetof(PyObject, ob_type));
	cr_expect_eq(o.code_filename, offsetof(PyCodeObject, co_filename));
	cr_expect_eq(o.code_name, offsetof(PyCodeObject, co_name));
	cr_expect_eq(o.code_qualname, offsetof(PyCodeObject, co_qualname));
	cr_expect_eq(o.code_linetable, offsetof(PyCodeObject, co_linetable));
	cr_expect_eq(o.code_firstlineno, offsetof(PyCodeObject, co_firstlineno));
	cr_expect_eq(o.bytes_size, offsetof(PyVarObject, ob_size));
	cr_expect_eq(o.bytes_data, offsetof(PyBytesObject, ob_sval));
	cr_expect_eq(o.str_length, offsetof(PyASCIIObject, length));
	cr_expect_eq(o.str_state, offsetof(PyASCIIObject, state));
	cr_expect_eq(o.str_ascii_data, sizeof(PyASCIIObject));
	cr_expect_eq(o.str_compact_data, sizeof(PyCompactUnicodeObject));
	/* the BPF side reads a frame's fields from its first PY_FRAME_READ bytes, pointers aligned */
	cr_expect_leq(offsetof(_PyInterpreterFrame, owner), PY_FRAME_READ - 1);
	cr_expect_leq(offsetof(_PyInterpreterFrame, prev_instr), PY_FRAME_READ - 8);
	cr_expect_eq(sizeof(((_PyInterpreterFrame *)0)->is_entry), 1);
	cr_expect_eq(sizeof(((PyCodeObject *)0)->co_firstlineno), 4);
}

Test(pyoffsets, str_state_bits_match_the_headers)
{
	PyASCIIObject s;
	uint32_t word;

	memset(&s, 0, sizeof(s));
	s.state.kind = PyUnicode_4BYTE_KIND;
	s.state.compact = 1;
	memcpy(&word, &s.state, sizeof(word));
	cr_expect_eq((word >> 2) & 7, 4);
	cr_expect_eq((word >> 5) & 1, 1);
	cr_expect_eq((word >> 6) & 1, 0);
	memset(&s, 0, sizeof(s));
	s.state.ascii = 1;
	memcpy(&word, &s.state, sizeof(word));
	cr_expect_eq(word, 1u << 6);
}

Test(pyoffsets, other_versions_have_no_table)
{
	struct py_offsets o;

	cr_expect_eq(py_offsets__for_version(0x030a0cf0, &o), -ENOTSUP);
	cr_expect_eq(py_offsets__for_version(0x030d00f0, &o), -ENOTSUP);
	cr_expect_eq(py_offsets__for_version(0x020718f0, &o), -ENOTSUP);
	cr_expect_eq(py_offsets__for_version(0x030c01f0, &o), 0);
	cr_expect_eq(o.bpf.frame_is_entry, PY_NO_FIELD);
}

/* 3.13.0's _Py_DebugOffsets, as its pycore_runtime.h initialises it on x86-64 */
static void debug_313(uint64_t *v)
{
	memset(v, 0, PY_DEBUG_OFFSETS_LEN);
	memcpy(v, "xdebugpy", 8);
	v[1] = 0x030d00f0;
	v[5] = 632;			/* runtime_state.interpreters_head */
	v[9] = 7344;			/* interpreter_state.threads_head */
	v[21] = 8, v[23] = 72, v[25] = 160;	/* thread_state next, current_frame, native_thread_id */
	v[29] = 8, v[30] = 0, v[31] = 56, v[33] = 70;	/* frame previous, executable, instr_ptr, owner */
	v[35] = 112, v[36] = 120, v[37] = 128, v[38] = 136, v[39] = 68, v[43] = 200;
	v[45] = 8;			/* ob_type */
	v[65] = 16, v[66] = 32;		/* bytes ob_size, ob_sval */
	v[68] = 32, v[69] = 16, v[70] = 40;	/* unicode state, length, asciiobject_size */
}

Test(pyoffsets, debug_offsets_of_313)
{
	uint64_t v[PY_DEBUG_OFFSETS_LEN / 8];
	struct py_offsets o;

	debug_313(v);
	cr_assert_eq(py_offsets__from_debug(v, sizeof(v), &o), 0);
	cr_expect_eq(o.version, 0x030d00f0);
	cr_expect_eq(o.bpf.interpreters_head, 632);
	cr_expect_eq(o.bpf.threads_head, 7344);
	cr_expect_eq(o.bpf.tstate_frame, 72);
	cr_expect_eq(o.bpf.cframe_frame, PY_NO_FIELD);
	cr_expect_eq(o.bpf.frame_is_entry, PY_NO_FIELD);
	cr_expect_eq(o.bpf.frame_owner, 70);
	cr_expect_eq(o.bpf.code_adaptive, 200);
	cr_expect_eq(o.code_firstlineno, 68);
	cr_expect_eq(o.str_ascii_data, 40);
	cr_expect_eq(o.str_compact_data, 56);
}

Test(pyoffsets, debug_offsets_refused_when_wrong)
{
	uint64_t v[PY_DEBUG_OFFSETS_LEN / 8];
	struct py_offsets o;

	debug_313(v);
	cr_expect_eq(py_offsets__from_debug(v, sizeof(v) - 1, &o), -EINVAL);
	memcpy(v, "xdebugpz", 8);
	cr_expect_eq(py_offsets__from_debug(v, sizeof(v), &o), -EINVAL);
	debug_313(v);
	v[1] = 0x030e00a0;	/* 3.14 laid the struct out differently */
	cr_expect_eq(py_offsets__from_debug(v, sizeof(v), &o), -ENOTSUP);
	debug_313(v);
	v[2] = 1;		/* free-threaded */
	cr_expect_eq(py_offsets__from_debug(v, sizeof(v), &o), -ENOTSUP);
	debug_313(v);
	v[31] = PY_FRAME_READ;	/* past what the BPF side reads of a frame */
	cr_expect_eq(py_offsets__from_debug(v, sizeof(v), &o), -EINVAL);
	debug_313(v);
	v[29] = 12;		/* a misaligned pointer */
	cr_expect_eq(py_offsets__from_debug(v, sizeof(v), &o), -EINVAL);
	debug_313(v);
	v[9] = 1ull << 40;
	cr_expect_eq(py_offsets__from_debug(v, sizeof(v), &o), -EINVAL);
}
