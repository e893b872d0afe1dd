/* SPDX-License-Identifier: MIT */
/*
 * Two lookup tables, both chained hash tables that double as they fill so a
 * lookup stays O(1) with thousands of peers:
 *
 *   - the receiver-index table: a random 32-bit index we chose for each
 *     handshake in flight and each keypair, carried in every message the
 *     peer sends us (whitepaper §5.4.2: "receiver");
 *   - the public-key table: static public key -> peer, for initiations.
 *
 * Entries are intrusive (embedded in handshakes, keypairs and peers), so
 * lookups and removals never allocate; only growth does (control path).
 */
#ifndef MG_CORE_INDEX_H
#define MG_CORE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "messages.h"

struct wg_peer;

enum index_type {
	INDEX_HANDSHAKE = 1 << 0,
	INDEX_KEYPAIR = 1 << 1,
};

struct index_entry {
	struct index_entry *next;
	struct wg_peer *peer;
	uint32_t index;
	uint8_t type; /* enum index_type */
	bool linked;
};

struct index_table {
	struct index_entry **buckets;
	size_t mask; /* bucket count - 1 */
	size_t count;
};

int index_table_init(struct index_table *t);
void index_table_free(struct index_table *t);
/*
 * Links `entry` under a fresh random index drawn from rnd(ctx, ...), retrying
 * on collision; a linked entry is moved to a new index. 0 or -ENOMEM.
 */
int index_table_insert(struct index_table *t, struct index_entry *entry,
		       void (*rnd)(void *ctx, void *buf, size_t len), void *ctx);
/* `to` takes over the index of `from`, which is unlinked. */
void index_table_replace(struct index_table *t, struct index_entry *from, struct index_entry *to);
void index_table_remove(struct index_table *t, struct index_entry *entry);
/* The entry with this index if its type is in `types`, else NULL. */
struct index_entry *index_table_lookup(const struct index_table *t, uint32_t index,
				       unsigned types);

struct pubkey_entry {
	struct pubkey_entry *next;
	const uint8_t *key; /* NOISE_PUBLIC_KEY_LEN bytes, owned by the embedding peer */
};

struct pubkey_table {
	struct pubkey_entry **buckets;
	size_t mask;
	size_t count;
	uint8_t hash_key[WG_SHORTHASH_KEY_LEN];
};

int pubkey_table_init(struct pubkey_table *t, const uint8_t hash_key[WG_SHORTHASH_KEY_LEN]);
void pubkey_table_free(struct pubkey_table *t);
/* 0 or -ENOMEM. The key must not be present already. */
int pubkey_table_insert(struct pubkey_table *t, struct pubkey_entry *entry);
void pubkey_table_remove(struct pubkey_table *t, struct pubkey_entry *entry);
struct pubkey_entry *pubkey_table_lookup(const struct pubkey_table *t,
					 const uint8_t key[NOISE_PUBLIC_KEY_LEN]);

#endif
