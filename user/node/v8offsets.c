// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Where V8 keeps what a profiler reads. Unlike CPython and Ruby, V8 publishes its layout: a node
 * binary exports one int per frame slot, field offset, type and string tag (v8dbg_*, made by
 * deps/v8/tools/gen-postmortem-metadata.py), so nothing here is a table per version. Only
 * ScopeInfo's slot indices are heuristic (v8interp.c), as in the OpenTelemetry profiler.
 */
#include <errno.h>
#include <stddef.h>
#include "node/v8offsets.h"

struct field {
	const char *name;
	size_t off;		/* in struct v8_offsets */
	int32_t min, max;
	int bits;		/* 16: a __u16 field, -16: a __s16 one */
};

#define U16(sym, member) { "v8dbg_" sym, offsetof(struct v8_offsets, member), 0, 0xffff, 16 }
#define S16(sym, member) { "v8dbg_" sym, offsetof(struct v8_offsets, member), -256, 256, -16 }

static const struct field fields[] = {
	S16("off_fp_function", bpf.fp_function),
	S16("off_fp_context", bpf.fp_context),
	U16("class_JSFunction__shared__SharedFunctionInfo", bpf.function_shared),
	U16("class_HeapObject__map__Map", heap_map),
	U16("class_Map__instance_type__uint16_t", map_type),
	U16("type_SharedFunctionInfo__SHARED_FUNCTION_INFO_TYPE", type_sfi),
	U16("type_ScopeInfo__SCOPE_INFO_TYPE", type_scope_info),
	U16("type_Script__SCRIPT_TYPE", type_script),
	U16("FirstNonstringType", first_nonstring),
	U16("class_SharedFunctionInfo__name_or_scope_info__Object", sfi_name),
	U16("class_SharedFunctionInfo__script_or_debug_info__HeapObject", sfi_script),
	U16("class_Script__name__Object", script_name),
	U16("class_Script__source__Object", script_source),
	U16("class_String__length__int32_t", string_length),
	U16("class_SeqOneByteString__chars__char", seq_one_chars),
	U16("class_SeqTwoByteString__chars__char", seq_two_chars),
	U16("class_ConsString__first__String", cons_first),
	U16("class_ConsString__second__String", cons_second),
	U16("class_ThinString__actual__String", thin_actual),
	U16("StringRepresentationMask", repr_mask),
	U16("StringEncodingMask", encoding_mask),
	U16("OneByteStringTag", one_byte_tag),
	U16("SeqStringTag", seq_tag),
	U16("ConsStringTag", cons_tag),
	U16("ThinStringTag", thin_tag),
	U16("scopeinfo_idx_first_vars", scope_first_vars),
	U16("scopeinfo_idx_ncontextlocals", scope_ncontext_locals),
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

int v8_offsets__parse(v8_sym_fn lookup, void *ctx, struct v8_offsets *out)
{
	*out = (struct v8_offsets){ 0 };
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &fields[i];
		char *p = (char *)out + f->off;
		int32_t v;

		if (lookup(f->name, &v, ctx) || v < f->min || v > f->max)
			return -ENOTSUP;
		if (f->bits < 0)
			*(int16_t *)p = (int16_t)v;
		else
			*(uint16_t *)p = (uint16_t)v;
	}
	/* the walker reads a function and a context below the frame pointer, a shared info above the function */
	if (out->bpf.fp_function >= 0 || out->bpf.fp_context >= 0 || out->scope_first_vars >= 16 ||
	    out->scope_ncontext_locals >= 16)
		return -ENOTSUP;
	return 0;
}
