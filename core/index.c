/* SPDX-License-Identifier: MIT */
/*
 * Receiver-index and public-key tables. Both keep the load factor at or
 * below 1 by doubling the bucket array; a failed doubling is harmless (the
 * chains just get longer), so only the first allocation can fail.
 */
#include "index.h"

#include <errno.h>
#include <stdlib.h>

#include "bytes.h"

enum { INITIAL_BUCKETS = 64 };

/* ---- Receiver indices ---------------------------------------------------- */

/* Indices are uniformly random, so their low bits are a fine hash. */
static size_t index_bucket(const struct index_table *t, uint32_t index)
{
	return (size_t)index & t->mask;
}

int index_table_init(struct index_table *t)
{
	t->buckets = calloc(INITIAL_BUCKETS, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->mask = INITIAL_BUCKETS - 1;
	t->count = 0;
	return 0;
}

void index_table_free(struct index_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->count = 0;
}

static void index_grow(struct index_table *t)
{
	size_t n = (t->mask + 1) * 2, i;
	struct index_entry **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (i = 0; i <= t->mask; ++i) {
		struct index_entry *e = t->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->index & (n - 1)];
			b[e->index & (n - 1)] = e;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->mask = n - 1;
}

static void index_link(struct index_table *t, struct index_entry *entry, uint32_t index)
{
	struct index_entry **head = &t->buckets[index_bucket(t, index)];

	entry->index = index;
	entry->next = *head;
	*head = entry;
	entry->linked = true;
	++t->count;
}

void index_table_remove(struct index_table *t, struct index_entry *entry)
{
	struct index_entry **p;

	if (!entry->linked)
		return;
	for (p = &t->buckets[index_bucket(t, entry->index)]; *p; p = &(*p)->next) {
		if (*p == entry) {
			*p = entry->next;
			--t->count;
			break;
		}
	}
	entry->next = NULL;
	entry->linked = false;
}

int index_table_insert(struct index_table *t, struct index_entry *entry,
		       void (*rnd)(void *ctx, void *buf, size_t len), void *ctx)
{
	uint8_t buf[4];
	uint32_t index;

	index_table_remove(t, entry);
	if (t->count >= t->mask + 1)
		index_grow(t);
	/* Collisions are rare (2^32 space, a few entries per peer): just draw again. */
	do {
		rnd(ctx, buf, sizeof(buf));
		index = mg_load_le32(buf);
	} while (index_table_lookup(t, index, INDEX_HANDSHAKE | INDEX_KEYPAIR));
	index_link(t, entry, index);
	return 0;
}

void index_table_replace(struct index_table *t, struct index_entry *from, struct index_entry *to)
{
	uint32_t index = from->index;

	if (!from->linked)
		return;
	index_table_remove(t, to);
	index_table_remove(t, from);
	index_link(t, to, index);
}

struct index_entry *index_table_lookup(const struct index_table *t, uint32_t index,
				       unsigned types)
{
	struct index_entry *e;

	for (e = t->buckets[index_bucket(t, index)]; e; e = e->next) {
		if (e->index == index)
			return (e->type & types) ? e : NULL;
	}
	return NULL;
}

/* ---- Public keys ---------------------------------------------------------- */

static size_t pubkey_bucket(const struct pubkey_table *t, const uint8_t *key)
{
	/* Keyed: a configured key set cannot be chosen to pile into one chain. */
	return (size_t)wg_crypto_shorthash(t->hash_key, key, NOISE_PUBLIC_KEY_LEN) & t->mask;
}

int pubkey_table_init(struct pubkey_table *t, const uint8_t hash_key[WG_SHORTHASH_KEY_LEN])
{
	t->buckets = calloc(INITIAL_BUCKETS, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->mask = INITIAL_BUCKETS - 1;
	t->count = 0;
	for (size_t i = 0; i < WG_SHORTHASH_KEY_LEN; ++i)
		t->hash_key[i] = hash_key[i];
	return 0;
}

void pubkey_table_free(struct pubkey_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->count = 0;
	wg_crypto_wipe(t->hash_key, sizeof(t->hash_key));
}

static void pubkey_grow(struct pubkey_table *t)
{
	size_t n = (t->mask + 1) * 2, i, old_mask = t->mask;
	struct pubkey_entry **old = t->buckets, **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	t->buckets = b;
	t->mask = n - 1;
	for (i = 0; i <= old_mask; ++i) {
		struct pubkey_entry *e = old[i], *next;

		for (; e; e = next) {
			size_t h = pubkey_bucket(t, e->key);

			next = e->next;
			e->next = b[h];
			b[h] = e;
		}
	}
	free(old);
}

int pubkey_table_insert(struct pubkey_table *t, struct pubkey_entry *entry)
{
	struct pubkey_entry **head;

	if (t->count >= t->mask + 1)
		pubkey_grow(t);
	head = &t->buckets[pubkey_bucket(t, entry->key)];
	entry->next = *head;
	*head = entry;
	++t->count;
	return 0;
}

void pubkey_table_remove(struct pubkey_table *t, struct pubkey_entry *entry)
{
	struct pubkey_entry **p;

	for (p = &t->buckets[pubkey_bucket(t, entry->key)]; *p; p = &(*p)->next) {
		if (*p == entry) {
			*p = entry->next;
			entry->next = NULL;
			--t->count;
			return;
		}
	}
}

struct pubkey_entry *pubkey_table_lookup(const struct pubkey_table *t,
					 const uint8_t key[NOISE_PUBLIC_KEY_LEN])
{
	struct pubkey_entry *e;

	for (e = t->buckets[pubkey_bucket(t, key)]; e; e = e->next) {
		if (wg_crypto_equal(e->key, key, NOISE_PUBLIC_KEY_LEN))
			return e;
	}
	return NULL;
}
