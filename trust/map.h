/* SPDX-License-Identifier: MIT */
/*
 * An open-addressing hash table from fixed 64-byte keys (one 32-byte key
 * zero-padded, or an (org, subject) pair) to 32-bit values, private to
 * trust/. Keys are hashed with SipHash under a random per-table key, so
 * peers who choose their own public keys cannot aim for collisions.
 * Entries are never removed: the store is rebuilt on reload.
 */
#ifndef MG_TRUST_MAP_H
#define MG_TRUST_MAP_H

#include <stddef.h>
#include <stdint.h>

enum { MAP_KEY_LEN = 64, MAP_NONE = UINT32_MAX };

struct map_slot {
	uint8_t key[MAP_KEY_LEN];
	uint32_t value; /* MAP_NONE = empty slot */
};

struct map {
	struct map_slot *slots;
	size_t cap;   /* power of two, or 0 */
	size_t count;
	uint8_t hash_key[16];
};

void map_init(struct map *m);
void map_free(struct map *m);
/* The value for key, or MAP_NONE. */
uint32_t map_get(const struct map *m, const uint8_t key[MAP_KEY_LEN]);
/* Insert or overwrite. 0 or -ENOMEM. */
int map_put(struct map *m, const uint8_t key[MAP_KEY_LEN], uint32_t value);

/* Build a 64-byte key from one or two 32-byte halves (b may be NULL). */
void map_key(uint8_t out[MAP_KEY_LEN], const uint8_t a[32], const uint8_t *b);
/* map_get() of map_key(a, b). */
uint32_t map_find(const struct map *m, const uint8_t a[32], const uint8_t *b);

#endif
