// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc/PID/maps: parse the executable mappings of a process and find the one holding an address. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "target/procfs.h"
#include "target/procmaps.h"
#include "base/util.h"
#include "base/vec.h"

#define MAPS_MAX_BYTES	(64u << 20)	/* the target controls its maps; do not read without bound */

/* Parses a hex number ending at `stop`; advances *p past it. */
static int parse_hex(const char **p, char stop, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;

	for (; *s && *s != stop; s++, digits++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		if (digits >= 16)
			return -EINVAL;
		v = v << 4 | d;
	}
	if (!digits || *s != stop)
		return -EINVAL;
	*p = s + 1;
	*out = v;
	return 0;
}

static int parse_dec(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

/* One line without its '\n': "start-end perms offset maj:min inode   path". */
static int parse_line(const char *s, struct map_entry *e, int *exec)
{
	uint64_t maj, min;
	const char *path;
	size_t len;

	memset(e, 0, sizeof(*e));
	if (parse_hex(&s, '-', &e->start) || parse_hex(&s, ' ', &e->end) || e->end <= e->start)
		return -EINVAL;
	if (strlen(s) < 5 || s[4] != ' ')
		return -EINVAL;
	*exec = s[2] == 'x';
	s += 5;
	if (parse_hex(&s, ' ', &e->offset) || parse_hex(&s, ':', &maj) || parse_hex(&s, ' ', &min))
		return -EINVAL;
	if (maj > UINT32_MAX || min > UINT32_MAX || parse_dec(&s, &e->inode))
		return -EINVAL;
	e->dev_major = maj;
	e->dev_minor = min;
	while (*s == ' ')
		s++;
	path = s;
	len = strlen(path);
	if (len > 10 && !strcmp(path + len - 10, " (deleted)")) {
		e->deleted = 1;
		len -= 10;
	}
	e->path = strndup(path, len);
	return e->path ? 0 : -ENOMEM;
}

int proc_maps__parse(const char *text, struct proc_maps *out)
{
	struct proc_maps maps = {};
	size_t cap = 0;
	char *line = NULL;
	int err = 0;

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		struct map_entry e;
		int exec;

		free(line);
		line = strndup(text, len);
		if (!line) {
			err = -ENOMEM;
			goto fail;
		}
		text += len + (nl != NULL);
		if (!len)
			continue;
		err = parse_line(line, &e, &exec);
		if (err)
			goto fail;
		if (!exec || (maps.n && e.start < maps.v[maps.n - 1].end)) {
			/* the kernel emits sorted, disjoint ranges; anything else is not worth trusting */
			free(e.path);
			if (exec) {
				err = -EINVAL;
				goto fail;
			}
			continue;
		}
		if (VEC_GROW(maps.v, maps.n, cap)) {
			free(e.path);
			err = -ENOMEM;
			goto fail;
		}
		maps.v[maps.n++] = e;
	}
	free(line);
	*out = maps;
	return 0;
fail:
	free(line);
	proc_maps__free(&maps);
	return err;
}

int proc_maps__read(pid_t pid, struct proc_maps *out)
{
	char path[4200], *text;
	ssize_t n;
	int err;

	err = proc_path(path, sizeof(path), pid, "maps");
	if (err)
		return err;
	n = read_file(path, MAPS_MAX_BYTES, &text);
	if (n < 0)
		return n;
	err = proc_maps__parse(text, out);
	free(text);
	return err;
}

static bool named(const char *path, const char *const *prefixes)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (; *prefixes; prefixes++)
		if (!strncmp(base, *prefixes, strlen(*prefixes)))
			return true;
	return false;
}

size_t proc_maps__next_named(const struct proc_maps *maps, size_t from, const char *const *prefixes)
{
	for (size_t i = from; i < maps->n; i++)
		if (named(maps->v[i].path, prefixes) && !(i && !strcmp(maps->v[i - 1].path, maps->v[i].path)))
			return i;
	return maps->n;
}

const struct map_entry *proc_maps__find(const struct proc_maps *maps, uint64_t addr)
{
	size_t lo = 0, hi = maps->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct map_entry *e = &maps->v[mid];

		if (addr < e->start)
			hi = mid;
		else if (addr >= e->end)
			lo = mid + 1;
		else
			return e;
	}
	return NULL;
}

void proc_maps__free(struct proc_maps *maps)
{
	for (size_t i = 0; i < maps->n; i++)
		free(maps->v[i].path);
	free(maps->v);
	maps->v = NULL;
	maps->n = 0;
}
