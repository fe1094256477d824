// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A small protocol-buffers writer: the wire format of varints, strings and nested messages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report/pb.h"
#include "base/vec.h"

enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2 };

void pb__init(struct pb *b)
{
	memset(b, 0, sizeof(*b));
}

void pb__free(struct pb *b)
{
	free(b->buf);
	pb__init(b);
}

static int reserve(struct pb *b, size_t n)
{
	uint8_t *v;

	if (b->err)
		return b->err;
	if (b->len + n <= b->cap)
		return 0;
	v = vec__reserve(b->buf, &b->cap, b->len + n, 1);
	if (!v)
		return b->err = -ENOMEM;
	b->buf = v;
	return 0;
}

static size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void put_varint(uint8_t *p, uint64_t v)
{
	for (; v >= 0x80; v >>= 7)
		*p++ = (uint8_t)(v | 0x80);
	*p = (uint8_t)v;
}

void pb__varint(struct pb *b, uint64_t v)
{
	size_t n = varint_size(v);

	if (reserve(b, n))
		return;
	put_varint(b->buf + b->len, v);
	b->len += n;
}

static void key(struct pb *b, uint32_t field, int wire)
{
	pb__varint(b, (uint64_t)field << 3 | wire);
}

void pb__uint(struct pb *b, uint32_t field, uint64_t v)
{
	if (!v)
		return;
	key(b, field, WIRE_VARINT);
	pb__varint(b, v);
}

void pb__int(struct pb *b, uint32_t field, int64_t v)
{
	pb__uint(b, field, (uint64_t)v);
}

void pb__fixed64(struct pb *b, uint32_t field, uint64_t v)
{
	if (!v)
		return;
	key(b, field, WIRE_I64);
	if (reserve(b, 8))
		return;
	for (int i = 0; i < 8; i++)
		b->buf[b->len++] = (uint8_t)(v >> (8 * i));
}

void pb__oneof_uint(struct pb *b, uint32_t field, uint64_t v)
{
	key(b, field, WIRE_VARINT);
	pb__varint(b, v);
}

void pb__bytes(struct pb *b, uint32_t field, const void *data, size_t len)
{
	key(b, field, WIRE_LEN);
	pb__varint(b, len);
	if (!len || reserve(b, len))
		return;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
}

void pb__string(struct pb *b, uint32_t field, const char *s)
{
	pb__bytes(b, field, s, strlen(s));
}

/* One byte is kept for the length: most messages are shorter than 128 bytes. */
size_t pb__begin(struct pb *b, uint32_t field)
{
	key(b, field, WIRE_LEN);
	if (reserve(b, 1))
		return 0;
	b->buf[b->len] = 0;
	return b->len++;
}

void pb__end(struct pb *b, size_t mark)
{
	size_t body, n;

	if (b->err)
		return;
	body = b->len - mark - 1;
	n = varint_size(body);
	if (n > 1) {
		if (reserve(b, n - 1))
			return;
		memmove(b->buf + mark + n, b->buf + mark + 1, body);
		b->len += n - 1;
	}
	put_varint(b->buf + mark, body);
}
