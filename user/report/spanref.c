// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The span a sample was taken in, as the outputs name it (see spanref.h). */
#include "report/spanref.h"
#include "model/spans.h"

bool sample_span(const struct profile *p, const struct sample *s, struct span_ref *out)
{
	const struct span_info *info = profile__span(p, s->span);

	if (!info)
		return false;
	hex_id(info->rec->trace_id, sizeof(info->rec->trace_id), out->trace_id);
	hex_id(info->rec->span_id, sizeof(info->rec->span_id), out->span_id);
	out->name = info->rec->name;
	return true;
}
