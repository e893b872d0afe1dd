/* SPDX-License-Identifier: MIT */
/*
 * BLAKE3 hash mode (default 32-byte output, extendable), private to trust/.
 *
 * Debian has no BLAKE3 library and libsodium has none, but upstream derives
 * mesh addresses and org domains from BLAKE3 of public keys, so we carry
 * our own. It is the plain tree hash of the BLAKE3 paper (§2, §5): one chunk
 * state, a stack of chaining values, no SIMD. Every input in meshguard is a
 * single 32-byte key, but the full tree lets the tests check it against all
 * of the official vectors and against b3sum on arbitrary files.
 */
#ifndef MG_TRUST_BLAKE3_H
#define MG_TRUST_BLAKE3_H

#include <stddef.h>
#include <stdint.h>

enum {
	BLAKE3_OUT_LEN = 32,
	BLAKE3_BLOCK_LEN = 64,
	BLAKE3_CHUNK_LEN = 1024,
	BLAKE3_MAX_DEPTH = 54, /* 2^54 chunks of 1 KiB = 2^64 bytes */
};

struct blake3_chunk {
	uint32_t cv[8];
	uint64_t counter;
	uint8_t block[BLAKE3_BLOCK_LEN];
	uint8_t block_len;
	uint8_t blocks_compressed;
};

struct blake3 {
	struct blake3_chunk chunk;
	uint32_t cv_stack[BLAKE3_MAX_DEPTH][8];
	uint8_t cv_stack_len;
};

void blake3_init(struct blake3 *h);
void blake3_update(struct blake3 *h, const void *input, size_t len);
/* Any output length (XOF); the hasher is not modified and may keep absorbing. */
void blake3_final(const struct blake3 *h, uint8_t *out, size_t out_len);
/* One-shot 32-byte hash. */
void blake3_hash(const void *input, size_t len, uint8_t out[BLAKE3_OUT_LEN]);

#endif
