// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness of the text hygiene of target names: utf8_sanitize and term_sanitize
 * (text.c), and folded__add / folded__write (folded.c) on the same bytes as frame names.
 * Input: one byte of output buffer size, then the name (frames split on NUL for folded).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/folded.h"
#include "base/text.h"

#define MAX_FRAMES 64

static void check_sanitized(const char *in, const char *out, size_t len, int term)
{
	char again[256];
	size_t n = strlen(out);

	if (n >= len || n > strlen(in))
		abort();
	/* valid UTF-8 is a fixed point */
	utf8_sanitize(out, again, sizeof(again));
	if (strcmp(again, out))
		abort();
	if (!term)
		return;
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			abort();
}

static void check_folded(const char *text, size_t size)
{
	const char *frames[MAX_FRAMES];
	struct folded *f = folded__new();
	char *out = NULL, *nl;
	size_t n = 0, outlen = 0;
	FILE *mem;

	if (!f)
		return;
	/* nothing added yet: no line at all */
	mem = open_memstream(&out, &outlen);
	if (!mem || folded__write(f, mem) || fclose(mem) || outlen)
		abort();
	free(out);
	out = NULL;
	for (size_t at = 0; at <= size && n < MAX_FRAMES; at += strlen(text + at) + 1)
		frames[n++] = text + at;
	/* the same stack twice: one line, the counts merged, the frames still n */
	if (folded__add(f, frames, n, 1) || folded__add(f, frames, n, 2))
		abort();
	mem = open_memstream(&out, &outlen);
	if (!mem || folded__write(f, mem) || fclose(mem))
		abort();
	nl = strchr(out, '\n');
	if (!nl || nl[1] || outlen < 3 || strcmp(nl - 2, " 3\n") || folded__total(f) != 3)
		abort();
	for (size_t i = 0, semis = 0; i < outlen; i++) {
		unsigned char c = out[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f)
			abort();
		if (c == ';' && ++semis >= n)
			abort();
	}
	free(out);
	folded__free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[256], *text;
	size_t len;

	if (!size)
		return 0;
	len = data[0];
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	memset(out, 'X', sizeof(out));
	utf8_sanitize(text, out, len);
	if (len)
		check_sanitized(text, out, len, 0);
	memset(out, 'X', sizeof(out));
	term_sanitize(text, out, len);
	if (len)
		check_sanitized(text, out, len, 1);
	else if (out[0] != 'X')
		abort();	/* a zero-size buffer is not written */
	check_folded(text, size - 1);
	free(text);
	return 0;
}
