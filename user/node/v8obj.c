// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Decoders of V8 object contents. The ScopeInfo heuristic follows the OpenTelemetry profiler's
 * (interpreter/nodev8): its variable-length part is not described by the metadata, so the name is
 * the first string after the context locals, and the positions the first increasing Smi pair.
 */
#include <errno.h>
#include <string.h>
#include "node/v8obj.h"

int v8_scope_parse(const uint64_t *slots, size_t n, unsigned int first_vars, unsigned int ncl_index,
		   bool (*is_string)(uint64_t tagged, void *ctx), void *ctx, struct v8_scope *out)
{
	uint64_t prev = 1;	/* not a Smi */
	size_t i;
	int32_t ncl;

	out->name_slot = -1;
	out->start = out->end = 0;
	if (ncl_index >= n || !v8_is_smi(slots[ncl_index]))
		return -EINVAL;
	ncl = v8_smi(slots[ncl_index]);
	if (ncl < 0 || first_vars + 2 * (size_t)ncl > n)
		return -EINVAL;
	for (i = first_vars + 2 * (size_t)ncl; i < n; i++) {
		uint64_t cur = slots[i];

		if (out->name_slot < 0 && (cur & 1) && is_string(cur, ctx))
			out->name_slot = (int)i;
		if (v8_is_smi(cur) && v8_is_smi(prev) && v8_smi(prev) >= 0 && v8_smi(prev) < v8_smi(cur)) {
			out->start = v8_smi(prev);
			out->end = v8_smi(cur);
			return 0;
		}
		prev = cur;
	}
	return 0;
}

uint32_t v8_line_of(const char *src, size_t len, uint32_t pos)
{
	uint32_t line = 1;

	for (size_t i = 0; i < len && i < pos; i++)
		line += src[i] == '\n';
	return line;
}

const char *v8_script_base(const char *name)
{
	const char *slash = strrchr(name, '/');

	return slash && slash[1] ? slash + 1 : name;
}
