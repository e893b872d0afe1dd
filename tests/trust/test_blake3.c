/* SPDX-License-Identifier: MIT */
/* BLAKE3 against the official test vectors (hash mode, extended output). */
#include "test_util.h"

#include "blake3.h"
#include "blake3_vectors.h"

static uint8_t *pattern(size_t len)
{
	uint8_t *in = malloc(len ? len : 1);

	assert_non_null(in);
	for (size_t i = 0; i < len; i++)
		in[i] = (uint8_t)(i % 251);
	return in;
}

static void test_official_vectors(void **state)
{
	(void)state;
	for (size_t v = 0; v < MG_ARRAY_LEN(blake3_vectors); v++) {
		const struct blake3_vector *tv = &blake3_vectors[v];
		uint8_t want[131], got[131], short_out[BLAKE3_OUT_LEN];
		uint8_t *in = pattern(tv->input_len);
		struct blake3 h;

		hex(want, sizeof(want), tv->hash_hex);
		blake3_init(&h);
		blake3_update(&h, in, tv->input_len);
		blake3_final(&h, got, sizeof(got));
		assert_memory_equal(got, want, sizeof(want));
		blake3_hash(in, tv->input_len, short_out);
		assert_memory_equal(short_out, want, sizeof(short_out));
		free(in);
	}
}

/* Feeding the input in uneven pieces must not change the result (the chunk
 * and block boundaries are where incremental hashers go wrong). */
static void test_incremental_splits(void **state)
{
	static const size_t steps[] = { 1, 7, 63, 64, 65, 1000, 1024, 1025 };
	const size_t len = 9000;
	uint8_t *in = pattern(len);
	uint8_t whole[64], pieces[64];

	(void)state;
	blake3_hash(in, len, whole);
	for (size_t s = 0; s < MG_ARRAY_LEN(steps); s++) {
		struct blake3 h;

		blake3_init(&h);
		for (size_t off = 0; off < len; off += steps[s])
			blake3_update(&h, in + off, off + steps[s] > len ? len - off : steps[s]);
		blake3_final(&h, pieces, BLAKE3_OUT_LEN);
		assert_memory_equal(whole, pieces, BLAKE3_OUT_LEN);
	}
	free(in);
}

/* A one-bit change anywhere changes the hash (guards against a compression
 * function that ignores part of its block). */
static void test_every_byte_matters(void **state)
{
	uint8_t in[200], base[32], flipped[32];

	(void)state;
	memset(in, 0x5a, sizeof(in));
	blake3_hash(in, sizeof(in), base);
	for (size_t i = 0; i < sizeof(in); i++) {
		in[i] ^= 1;
		blake3_hash(in, sizeof(in), flipped);
		assert_memory_not_equal(base, flipped, sizeof(base));
		in[i] ^= 1;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_official_vectors),
		cmocka_unit_test(test_incremental_splits),
		cmocka_unit_test(test_every_byte_matters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
