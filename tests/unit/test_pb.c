// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The protobuf writer against the byte sequences of the protocol-buffers encoding guide. */
#include <criterion/criterion.h>
#include <string.h>
#include "report/pb.h"

static struct pb b;

static void setup(void)
{
	pb__init(&b);
}

static void teardown(void)
{
	pb__free(&b);
}

TestSuite(pb, .init = setup, .fini = teardown);

static void assert_bytes(const uint8_t *want, size_t n)
{
	cr_assert_eq(b.err, 0);
	cr_assert_eq(b.len, n, "wrote %zu bytes, want %zu", b.len, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(b.buf[i], want[i], "byte %zu is %02x, want %02x", i, b.buf[i], want[i]);
}

Test(pb, varint_field_150)
{
	pb__uint(&b, 1, 150);
	assert_bytes((const uint8_t[]){ 0x08, 0x96, 0x01 }, 3);
}

Test(pb, string_field)
{
	pb__string(&b, 2, "testing");
	assert_bytes((const uint8_t[]){ 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g' }, 9);
}

Test(pb, empty_string_is_written_and_zero_scalars_are_not)
{
	pb__string(&b, 6, "");
	pb__uint(&b, 1, 0);
	pb__int(&b, 2, 0);
	assert_bytes((const uint8_t[]){ 0x32, 0x00 }, 2);
}

Test(pb, nested_message)
{
	size_t m = pb__begin(&b, 3);

	pb__uint(&b, 1, 150);
	pb__end(&b, m);
	assert_bytes((const uint8_t[]){ 0x1a, 0x03, 0x08, 0x96, 0x01 }, 5);
}

Test(pb, packed_repeated)
{
	size_t m = pb__begin(&b, 4);

	pb__varint(&b, 3);
	pb__varint(&b, 270);
	pb__varint(&b, 86942);
	pb__end(&b, m);
	assert_bytes((const uint8_t[]){ 0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05 }, 8);
}

Test(pb, negative_int64_takes_ten_bytes)
{
	pb__int(&b, 1, -2);
	assert_bytes((const uint8_t[]){ 0x08, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 11);
}

Test(pb, largest_uint64_and_large_field_number)
{
	pb__uint(&b, 1000, UINT64_MAX);
	/* key 1000 << 3 = 8000: 0xc0 0x3e */
	assert_bytes((const uint8_t[]){ 0xc0, 0x3e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 },
		     12);
}

/* A body of 200 bytes needs a two-byte length: the body moves one byte, nested messages with it. */
Test(pb, long_nested_messages_move_their_bodies)
{
	char text[190];
	size_t outer, inner;

	memset(text, 'x', sizeof(text));
	outer = pb__begin(&b, 1);
	inner = pb__begin(&b, 2);
	pb__bytes(&b, 3, text, sizeof(text));	/* 1 + 2 + 190 = 193 bytes */
	pb__end(&b, inner);			/* 1 + 2 + 193 = 196 */
	pb__uint(&b, 4, 1);			/* + 2 = 198 */
	pb__end(&b, outer);
	cr_assert_eq(b.err, 0);
	cr_assert_eq(b.len, 1 + 2 + 198);
	cr_assert_eq(b.buf[0], 0x0a);
	cr_assert_eq(b.buf[1], 0xc6);	/* 198 = 0x46 | 0x80, 0x01 */
	cr_assert_eq(b.buf[2], 0x01);
	cr_assert_eq(b.buf[3], 0x12);
	cr_assert_eq(b.buf[4], 0xc1);	/* 193 */
	cr_assert_eq(b.buf[5], 0x01);
	cr_assert_eq(b.buf[6], 0x1a);
	cr_assert_eq(b.buf[7], 0xbe);	/* 190 */
	cr_assert_eq(b.buf[8], 0x01);
	cr_assert_eq(b.buf[9], 'x');
	cr_assert_eq(b.buf[9 + 189], 'x');
	cr_assert_eq(b.buf[9 + 190], 0x20);
	cr_assert_eq(b.buf[9 + 191], 0x01);
}

/* OTLP's times: fixed64 little-endian, key with wire type 1 (field 7: 0x39) */
Test(pb, fixed64_little_endian_and_zero_left_out)
{
	pb__fixed64(&b, 7, 0x0102030405060708ull);
	pb__fixed64(&b, 8, 0);
	assert_bytes((const uint8_t[]){ 0x39, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 }, 9);
}

/* AnyValue{int_value: 0} must say int_value: a oneof member at 0 is still written */
Test(pb, oneof_member_at_zero_is_written)
{
	pb__oneof_uint(&b, 3, 0);
	assert_bytes((const uint8_t[]){ 0x18, 0x00 }, 2);
}
