/* SPDX-License-Identifier: MIT */
/*
 * The receiver-index and public-key tables at the scale of thousands of
 * peers: growth, lookups, collisions on random indices, removal, replace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "index.h"

enum { N = 20000 };

static uint64_t state64;

static void rnd(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;

	(void)ctx;
	for (size_t i = 0; i < len; ++i) {
		state64 = state64 * 6364136223846793005ull + 1442695040888963407ull;
		p[i] = (uint8_t)(state64 >> 56);
	}
}

/* An RNG that repeats itself: every index collides until the table finds a free one. */
static int stuck_calls;
static void stuck_rnd(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	memset(buf, stuck_calls++ < 3 ? 7 : 8, len);
}

static void test_index_table(void **state)
{
	struct index_table t;
	struct index_entry *e = calloc(N, sizeof(*e)), other = { 0 }, third = { 0 };

	(void)state;
	assert_non_null(e);
	assert_int_equal(index_table_init(&t), 0);
	state64 = 1;
	for (size_t i = 0; i < N; ++i) {
		e[i].type = i % 2 ? INDEX_KEYPAIR : INDEX_HANDSHAKE;
		assert_int_equal(index_table_insert(&t, &e[i], rnd, NULL), 0);
	}
	assert_int_equal(t.count, N);
	assert_true(t.mask + 1 >= N); /* grew */
	for (size_t i = 0; i < N; ++i) {
		assert_ptr_equal(index_table_lookup(&t, e[i].index, INDEX_HANDSHAKE | INDEX_KEYPAIR),
				 &e[i]);
		/* The type filter: a keypair index is not a handshake and vice versa. */
		assert_null(index_table_lookup(&t, e[i].index,
					       i % 2 ? INDEX_HANDSHAKE : INDEX_KEYPAIR));
	}
	/* Removing half leaves the other half findable. */
	for (size_t i = 0; i < N; i += 2)
		index_table_remove(&t, &e[i]);
	assert_int_equal(t.count, N / 2);
	for (size_t i = 0; i < N; ++i)
		assert_ptr_equal(index_table_lookup(&t, e[i].index, INDEX_KEYPAIR | INDEX_HANDSHAKE),
				 i % 2 ? &e[i] : NULL);
	/* Re-inserting a linked entry moves it to a new index. */
	{
		uint32_t old = e[1].index;

		index_table_insert(&t, &e[1], rnd, NULL);
		assert_int_not_equal(e[1].index, old);
		assert_null(index_table_lookup(&t, old, INDEX_KEYPAIR));
		assert_int_equal(t.count, N / 2);
	}
	/* Replace: the keypair takes over the handshake's index. */
	other.type = INDEX_KEYPAIR;
	index_table_replace(&t, &e[3], &other);
	assert_ptr_equal(index_table_lookup(&t, other.index, INDEX_KEYPAIR), &other);
	assert_false(e[3].linked);
	index_table_free(&t);

	/* Collisions: the same random index is drawn again until one is free. */
	assert_int_equal(index_table_init(&t), 0);
	stuck_calls = 0;
	index_table_insert(&t, &other, stuck_rnd, NULL);
	index_table_insert(&t, &third, stuck_rnd, NULL);
	assert_int_not_equal(other.index, third.index);
	assert_int_equal(stuck_calls, 4);
	index_table_free(&t);
	free(e);
}

static void test_pubkey_table(void **state)
{
	uint8_t hash_key[16] = { 9 };
	uint8_t (*keys)[32] = calloc(N, 32);
	struct pubkey_entry *e = calloc(N, sizeof(*e));
	struct pubkey_table t;
	uint8_t absent[32] = { 0xff };

	(void)state;
	assert_non_null(keys);
	assert_non_null(e);
	assert_int_equal(pubkey_table_init(&t, hash_key), 0);
	state64 = 2;
	for (size_t i = 0; i < N; ++i) {
		rnd(NULL, keys[i], 32);
		e[i].key = keys[i];
		assert_int_equal(pubkey_table_insert(&t, &e[i]), 0);
	}
	assert_true(t.mask + 1 >= N);
	for (size_t i = 0; i < N; ++i)
		assert_ptr_equal(pubkey_table_lookup(&t, keys[i]), &e[i]);
	assert_null(pubkey_table_lookup(&t, absent));
	for (size_t i = 0; i < N; i += 3)
		pubkey_table_remove(&t, &e[i]);
	for (size_t i = 0; i < N; ++i)
		assert_ptr_equal(pubkey_table_lookup(&t, keys[i]), i % 3 ? &e[i] : NULL);
	pubkey_table_free(&t);
	free(keys);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_table),
		cmocka_unit_test(test_pubkey_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
