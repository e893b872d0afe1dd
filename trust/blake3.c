/* SPDX-License-Identifier: MIT */
/*
 * BLAKE3, hash mode only, written from the BLAKE3 specification
 * (Aumasson, Neves, O'Connor, Wilcox-O'Hearn, 2020). Section numbers refer
 * to that document.
 */
#include "blake3.h"

#include <string.h>

#include "bytes.h"

/* §2.1: flags of the compression function's `d` input. */
enum {
	CHUNK_START = 1 << 0,
	CHUNK_END = 1 << 1,
	PARENT = 1 << 2,
	ROOT = 1 << 3,
};

/* §2.2: the IV is SHA-256's. */
static const uint32_t IV[8] = {
	0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
	0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
};

/* §2.2: message word permutation applied between rounds. */
static const uint8_t MSG_PERMUTATION[16] = { 2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8 };

/* The output of one compression: everything needed to produce the chaining
 * value or, at the root, any number of output blocks (§2.6). */
struct output {
	uint32_t cv[8];
	uint32_t block[16];
	uint64_t counter;
	uint32_t block_len;
	uint32_t flags;
};

static inline uint32_t rotr32(uint32_t w, unsigned c)
{
	return (w >> c) | (w << (32 - c));
}

/* §2.2: the quarter-round G. */
static void g(uint32_t v[16], int a, int b, int c, int d, uint32_t mx, uint32_t my)
{
	v[a] = v[a] + v[b] + mx;
	v[d] = rotr32(v[d] ^ v[a], 16);
	v[c] = v[c] + v[d];
	v[b] = rotr32(v[b] ^ v[c], 12);
	v[a] = v[a] + v[b] + my;
	v[d] = rotr32(v[d] ^ v[a], 8);
	v[c] = v[c] + v[d];
	v[b] = rotr32(v[b] ^ v[c], 7);
}

static void round_fn(uint32_t v[16], const uint32_t m[16])
{
	/* columns */
	g(v, 0, 4, 8, 12, m[0], m[1]);
	g(v, 1, 5, 9, 13, m[2], m[3]);
	g(v, 2, 6, 10, 14, m[4], m[5]);
	g(v, 3, 7, 11, 15, m[6], m[7]);
	/* diagonals */
	g(v, 0, 5, 10, 15, m[8], m[9]);
	g(v, 1, 6, 11, 12, m[10], m[11]);
	g(v, 2, 7, 8, 13, m[12], m[13]);
	g(v, 3, 4, 9, 14, m[14], m[15]);
}

/* §2.2: the compression function, full 16-word output. */
static void compress(const uint32_t cv[8], const uint32_t block[16], uint64_t counter,
		     uint32_t block_len, uint32_t flags, uint32_t out[16])
{
	uint32_t v[16], m[16], tmp[16];

	memcpy(v, cv, 8 * sizeof(uint32_t));
	memcpy(v + 8, IV, 4 * sizeof(uint32_t));
	v[12] = (uint32_t)counter;
	v[13] = (uint32_t)(counter >> 32);
	v[14] = block_len;
	v[15] = flags;
	memcpy(m, block, sizeof(m));
	for (int r = 0; r < 7; r++) {
		round_fn(v, m);
		if (r == 6)
			break;
		for (int i = 0; i < 16; i++)
			tmp[i] = m[MSG_PERMUTATION[i]];
		memcpy(m, tmp, sizeof(m));
	}
	for (int i = 0; i < 8; i++) {
		out[i] = v[i] ^ v[i + 8];
		out[i + 8] = v[i + 8] ^ cv[i];
	}
}

static void words_from_block(const uint8_t block[BLAKE3_BLOCK_LEN], uint32_t words[16])
{
	for (int i = 0; i < 16; i++)
		words[i] = mg_load_le32(block + 4 * i);
}

static void output_cv(const struct output *o, uint32_t cv[8])
{
	uint32_t full[16];

	compress(o->cv, o->block, o->counter, o->block_len, o->flags, full);
	memcpy(cv, full, 8 * sizeof(uint32_t));
}

/* §2.6: the root output, block by block with an incrementing counter. */
static void output_root_bytes(const struct output *o, uint8_t *out, size_t out_len)
{
	uint64_t counter = 0;

	while (out_len > 0) {
		uint32_t words[16];
		uint8_t block[BLAKE3_BLOCK_LEN];
		size_t n = out_len < sizeof(block) ? out_len : sizeof(block);

		compress(o->cv, o->block, counter++, o->block_len, o->flags | ROOT, words);
		for (int i = 0; i < 16; i++)
			mg_store_le32(block + 4 * i, words[i]);
		memcpy(out, block, n);
		out += n;
		out_len -= n;
	}
}

static void chunk_init(struct blake3_chunk *c, uint64_t counter)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->cv, IV, sizeof(c->cv));
	c->counter = counter;
}

static size_t chunk_len(const struct blake3_chunk *c)
{
	return (size_t)BLAKE3_BLOCK_LEN * c->blocks_compressed + c->block_len;
}

static uint32_t chunk_start_flag(const struct blake3_chunk *c)
{
	return c->blocks_compressed == 0 ? CHUNK_START : 0;
}

/* §2.4: absorb into the current chunk; the last block is kept back because
 * only the final block of a chunk carries CHUNK_END. */
static void chunk_update(struct blake3_chunk *c, const uint8_t *in, size_t len)
{
	while (len > 0) {
		size_t take;

		if (c->block_len == BLAKE3_BLOCK_LEN) {
			uint32_t words[16], out[16];

			words_from_block(c->block, words);
			compress(c->cv, words, c->counter, BLAKE3_BLOCK_LEN, chunk_start_flag(c), out);
			memcpy(c->cv, out, sizeof(c->cv));
			c->blocks_compressed++;
			memset(c->block, 0, sizeof(c->block));
			c->block_len = 0;
		}
		take = BLAKE3_BLOCK_LEN - c->block_len;
		if (take > len)
			take = len;
		memcpy(c->block + c->block_len, in, take);
		c->block_len = (uint8_t)(c->block_len + take);
		in += take;
		len -= take;
	}
}

static void chunk_output(const struct blake3_chunk *c, struct output *o)
{
	memcpy(o->cv, c->cv, sizeof(o->cv));
	words_from_block(c->block, o->block);
	o->counter = c->counter;
	o->block_len = c->block_len;
	o->flags = chunk_start_flag(c) | CHUNK_END;
}

/* §2.5: a parent node compresses the two children's chaining values. */
static void parent_output(const uint32_t left[8], const uint32_t right[8], struct output *o)
{
	memcpy(o->cv, IV, sizeof(o->cv));
	memcpy(o->block, left, 8 * sizeof(uint32_t));
	memcpy(o->block + 8, right, 8 * sizeof(uint32_t));
	o->counter = 0;
	o->block_len = BLAKE3_BLOCK_LEN;
	o->flags = PARENT;
}

void blake3_init(struct blake3 *h)
{
	chunk_init(&h->chunk, 0);
	h->cv_stack_len = 0;
}

/* §5.1.2: merge completed subtrees; the number of trailing zero bits of the
 * chunk count says how many merges a new chunk completes. */
static void push_chunk_cv(struct blake3 *h, uint32_t cv[8], uint64_t total_chunks)
{
	while ((total_chunks & 1) == 0) {
		struct output parent;

		parent_output(h->cv_stack[--h->cv_stack_len], cv, &parent);
		output_cv(&parent, cv);
		total_chunks >>= 1;
	}
	memcpy(h->cv_stack[h->cv_stack_len++], cv, 8 * sizeof(uint32_t));
}

void blake3_update(struct blake3 *h, const void *input, size_t len)
{
	const uint8_t *in = input;

	while (len > 0) {
		size_t take;

		/* A full chunk is finalized only once more input arrives: the last
		 * chunk must stay open because it may be the root. */
		if (chunk_len(&h->chunk) == BLAKE3_CHUNK_LEN) {
			struct output o;
			uint32_t cv[8];
			uint64_t total = h->chunk.counter + 1;

			chunk_output(&h->chunk, &o);
			output_cv(&o, cv);
			push_chunk_cv(h, cv, total);
			chunk_init(&h->chunk, total);
		}
		take = BLAKE3_CHUNK_LEN - chunk_len(&h->chunk);
		if (take > len)
			take = len;
		chunk_update(&h->chunk, in, take);
		in += take;
		len -= take;
	}
}

void blake3_final(const struct blake3 *h, uint8_t *out, size_t out_len)
{
	struct output o;
	size_t remaining = h->cv_stack_len;

	chunk_output(&h->chunk, &o);
	while (remaining > 0) {
		uint32_t cv[8];

		output_cv(&o, cv);
		parent_output(h->cv_stack[--remaining], cv, &o);
	}
	output_root_bytes(&o, out, out_len);
}

void blake3_hash(const void *input, size_t len, uint8_t out[BLAKE3_OUT_LEN])
{
	struct blake3 h;

	blake3_init(&h);
	blake3_update(&h, input, len);
	blake3_final(&h, out, BLAKE3_OUT_LEN);
}
