/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A small protocol-buffers writer: the wire format of varints, strings and nested messages. */
#ifndef PB_H
#define PB_H

#include <stddef.h>
#include <stdint.h>

/* A growing buffer. After a failed allocation err is -ENOMEM and further writes do nothing. */
struct pb {
	uint8_t *buf;
	size_t len, cap;
	int err;
};

void pb__init(struct pb *b);
void pb__free(struct pb *b);

/*
 * Scalar fields, left out at their default 0 as proto3 encodes them (a reader takes a missing
 * field as 0). uint: uint64, uint32 and bool; int: int64 and int32 (negative numbers take 10 bytes).
 */
void pb__uint(struct pb *b, uint32_t field, uint64_t v);
void pb__int(struct pb *b, uint32_t field, int64_t v);
/* A fixed64 field (8 bytes, little-endian: OTLP's times), left out at 0 as well. */
void pb__fixed64(struct pb *b, uint32_t field, uint64_t v);
/*
 * A varint member of a oneof (OTLP's AnyValue int_value, bool_value): written even at 0, since
 * its presence is what says which member is set.
 */
void pb__oneof_uint(struct pb *b, uint32_t field, uint64_t v);
/* A string or bytes field, always written: entries of a repeated string field may be "". */
void pb__bytes(struct pb *b, uint32_t field, const void *data, size_t len);
void pb__string(struct pb *b, uint32_t field, const char *s);

/*
 * A length-delimited field whose length is known only at its end: a nested message, or the
 * elements of a packed repeated field (written with pb__varint). Returns the mark for pb__end.
 */
size_t pb__begin(struct pb *b, uint32_t field);
void pb__end(struct pb *b, size_t mark);
/* A bare varint, as the elements of a packed repeated field. */
void pb__varint(struct pb *b, uint64_t v);

#endif /* PB_H */
