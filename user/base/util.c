// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Small shared helpers: strict number parsing, clocks, whole-file reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "base/util.h"
#include "base/vec.h"

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || *s == ' ' || *s == '\t' || *s == '\n')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

ssize_t read_file(const char *path, size_t max, char **out)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nbuf;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (cap - len < 2) {
			nbuf = vec__reserve(buf, &cap, cap ? cap * 2 : 4096, 1);
			if (!nbuf) {
				err = -ENOMEM;
				goto fail;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
		if (len > max) {
			err = -EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return len;
fail:
	close(fd);
	free(buf);
	return err;
}

int proc_stat_parse(const char *text, char *state, unsigned long *flags, uint64_t *start_ticks)
{
	const char *p = strrchr(text, ')');	/* the comm in field 2 may hold spaces and parens */
	unsigned long long v;
	int field;

	if (state)
		*state = p && p[1] == ' ' ? p[2] : '?';
	for (field = 2; p && field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (field == 8 && flags && (!p || sscanf(p + 1, "%lu", flags) != 1))
			return -EINVAL;
	}
	if (!p || sscanf(p + 1, "%llu", &v) != 1)
		return -EINVAL;
	*start_ticks = v;
	return 0;
}

int proc_stat(const char *path, char *state, uint64_t *start_ticks)
{
	char *text;
	ssize_t n;
	int err;

	n = read_file(path, 1 << 16, &text);
	if (n < 0)
		return n;
	err = proc_stat_parse(text, state, NULL, start_ticks);
	free(text);
	return err;
}
