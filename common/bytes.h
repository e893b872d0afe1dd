/* SPDX-License-Identifier: MIT */
/*
 * Explicit-endian loads and stores for wire formats. Every multi-byte integer
 * that crosses a wire or a file goes through one of these, never through a
 * cast of a struct pointer: the compiler turns them into single moves on x86,
 * and they are correct on any alignment and any host byte order.
 */
#ifndef MG_BYTES_H
#define MG_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint16_t mg_load_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t mg_load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t mg_load_le64(const uint8_t *p)
{
	return (uint64_t)mg_load_le32(p) | (uint64_t)mg_load_le32(p + 4) << 32;
}

static inline void mg_store_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void mg_store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void mg_store_le64(uint8_t *p, uint64_t v)
{
	mg_store_le32(p, (uint32_t)v);
	mg_store_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t mg_load_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t mg_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t mg_load_be64(const uint8_t *p)
{
	return (uint64_t)mg_load_be32(p) << 32 | (uint64_t)mg_load_be32(p + 4);
}

static inline void mg_store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void mg_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void mg_store_be64(uint8_t *p, uint64_t v)
{
	mg_store_be32(p, (uint32_t)(v >> 32));
	mg_store_be32(p + 4, (uint32_t)v);
}

#define MG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
