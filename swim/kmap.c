/* SPDX-License-Identifier: MIT */
/*
 * Open-addressing hash map (linear probing, backward-shift deletion) of
 * pointers to structs that carry their own key. Placement uses SipHash with
 * a per-instance random key, so a peer cannot choose keys that collide.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "swim_int.h"

void kmap_init(struct kmap *m, size_t keylen, size_t keyoff, const uint8_t hkey[16])
{
	memset(m, 0, sizeof(*m));
	m->keylen = keylen;
	m->keyoff = keyoff;
	memcpy(m->hkey, hkey, 16);
}

void kmap_free(struct kmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}

static const uint8_t *key_of(const struct kmap *m, const void *v)
{
	return (const uint8_t *)v + m->keyoff;
}

static size_t slot_of(const struct kmap *m, const void *key)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, key, m->keylen, m->hkey);
	return (size_t)mg_load_le64(h) & (m->cap - 1);
}

void *kmap_get(const struct kmap *m, const void *key)
{
	if (!m->count)
		return NULL;
	for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
		void *v = m->slots[i];
		if (!v)
			return NULL;
		if (memcmp(key_of(m, v), key, m->keylen) == 0)
			return v;
	}
}

static void place(struct kmap *m, void *v)
{
	size_t i = slot_of(m, key_of(m, v));
	while (m->slots[i])
		i = (i + 1) & (m->cap - 1);
	m->slots[i] = v;
}

int kmap_put(struct kmap *m, void *v)
{
	if ((m->count + 1) * 4 > m->cap * 3) { /* load factor 3/4 */
		size_t ncap = m->cap ? m->cap * 2 : 16;
		void **old = m->slots;
		size_t ocap = m->cap;
		void **ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		m->slots = ns;
		m->cap = ncap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i])
				place(m, old[i]);
		free(old);
	}
	place(m, v);
	m->count++;
	return 0;
}

void kmap_del(struct kmap *m, const void *key)
{
	size_t i, j;

	if (!m->count)
		return;
	for (i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i])
			return;
		if (memcmp(key_of(m, m->slots[i]), key, m->keylen) == 0)
			break;
	}
	m->slots[i] = NULL;
	m->count--;
	/* Backward shift: move later entries of the run into the hole when allowed. */
	for (j = (i + 1) & (m->cap - 1); m->slots[j]; j = (j + 1) & (m->cap - 1)) {
		size_t home = slot_of(m, key_of(m, m->slots[j]));
		/* can the entry at j live at i? only if home is not cyclically in (i, j] */
		bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!between) {
			m->slots[i] = m->slots[j];
			m->slots[j] = NULL;
			i = j;
		}
	}
}
