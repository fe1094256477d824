// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Drains what the kernel aggregated (sample counts, stacks, counters) into the profile model. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "log.h"

/* Reads stack id into ips (leaf first); returns the depth, 0 when the id is an error or gone. */
static size_t read_stack(int fd, __s32 id, uint64_t *ips)
{
	size_t n = 0;

	if (id < 0 || bpf_map_lookup_elem(fd, &id, ips))
		return 0;
	while (n < MAX_STACK_DEPTH && ips[n])
		n++;
	return n;
}

static int read_counters(int fd, struct profile *prof)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpus <= 0)
		return ncpus ?: -EINVAL;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 c = 0; c < NR_COUNTERS; c++) {
		if (bpf_map_lookup_elem(fd, &c, vals))
			continue;
		for (int cpu = 0; cpu < ncpus; cpu++)
			prof->counters[c] += vals[cpu];
	}
	free(vals);
	return 0;
}

int collect_oncpu(const struct oncpu_maps *maps, struct profile *prof)
{
	uint64_t user[MAX_STACK_DEPTH], kern[MAX_STACK_DEPTH], count;
	struct sample_key key, next, *prev = NULL;
	int err;

	while (bpf_map_get_next_key(maps->samples_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(maps->samples_fd, &key, &count) || key.pid != (__u32)prof->pid)
			continue;
		err = profile__add(prof, &key, user, read_stack(maps->stacks_fd, key.user_stack_id, user),
				   kern, read_stack(maps->stacks_fd, key.kern_stack_id, kern), count);
		if (err)
			return err;
	}
	return read_counters(maps->counters_fd, prof);
}
