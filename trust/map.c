/* SPDX-License-Identifier: MIT */
#include "map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

void map_init(struct map *m)
{
	memset(m, 0, sizeof(*m));
	randombytes_buf(m->hash_key, sizeof(m->hash_key));
}

void map_free(struct map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}

void map_key(uint8_t out[MAP_KEY_LEN], const uint8_t a[32], const uint8_t *b)
{
	memcpy(out, a, 32);
	if (b)
		memcpy(out + 32, b, 32);
	else
		memset(out + 32, 0, 32);
}

static size_t slot_of(const struct map *m, const uint8_t key[MAP_KEY_LEN])
{
	uint8_t h[crypto_shorthash_siphash24_BYTES];
	uint64_t v = 0;

	crypto_shorthash_siphash24(h, key, MAP_KEY_LEN, m->hash_key);
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)h[i] << (8 * i);
	return (size_t)v & (m->cap - 1);
}

/* Linear probing: the slot holding `key`, or the empty slot where it goes. */
static struct map_slot *probe(const struct map *m, const uint8_t key[MAP_KEY_LEN])
{
	size_t i = slot_of(m, key);

	for (;;) {
		struct map_slot *s = &m->slots[i];
		if (s->value == MAP_NONE || memcmp(s->key, key, MAP_KEY_LEN) == 0)
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

static int grow(struct map *m)
{
	size_t cap = m->cap ? 2 * m->cap : 16;
	struct map_slot *old = m->slots;
	size_t old_cap = m->cap;

	m->slots = malloc(cap * sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i < cap; i++)
		m->slots[i].value = MAP_NONE;
	m->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].value != MAP_NONE)
			*probe(m, old[i].key) = old[i];
	free(old);
	return 0;
}

uint32_t map_get(const struct map *m, const uint8_t key[MAP_KEY_LEN])
{
	if (m->cap == 0)
		return MAP_NONE;
	return probe(m, key)->value;
}

uint32_t map_find(const struct map *m, const uint8_t a[32], const uint8_t *b)
{
	uint8_t key[MAP_KEY_LEN];

	map_key(key, a, b);
	return map_get(m, key);
}

int map_put(struct map *m, const uint8_t key[MAP_KEY_LEN], uint32_t value)
{
	struct map_slot *s;

	/* Keep the load factor at most 1/2: probes stay short. */
	if (2 * (m->count + 1) > m->cap && grow(m) < 0)
		return -ENOMEM;
	s = probe(m, key);
	if (s->value == MAP_NONE) {
		memcpy(s->key, key, MAP_KEY_LEN);
		m->count++;
	}
	s->value = value;
	return 0;
}
