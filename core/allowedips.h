/* SPDX-License-Identifier: MIT */
/*
 * Cryptokey routing (whitepaper §2): a longest-prefix-match trie per address
 * family, mapping an address to the peer whose allowed IPs contain it.
 *
 * The trie is path-compressed: a node exists only for a configured prefix or
 * where two prefixes branch, so a lookup visits at most prefix-length + 1
 * nodes and never allocates. Inserting and removing prefixes (control path)
 * may allocate.
 *
 * This file knows no peer: it stores a `struct aip_owner`, which the peer
 * embeds; lookups return that owner and the caller gets back to its peer.
 */
#ifndef MG_CORE_ALLOWEDIPS_H
#define MG_CORE_ALLOWEDIPS_H

#include <stddef.h>
#include <stdint.h>

struct aip_node;

/* Embedded in whatever owns prefixes (a peer): the list of its trie nodes. */
struct aip_owner {
	struct aip_node *first;
	size_t count;
};

struct allowedips {
	struct aip_node *root4;
	struct aip_node *root6;
};

void allowedips_init(struct allowedips *t);
/* Frees every node. Owners are left dangling: call only when all owners go too. */
void allowedips_free(struct allowedips *t);

/*
 * Adds addr/cidr (host bits are masked off) for `owner`, or moves an existing
 * identical prefix to `owner`. family is AF_INET or AF_INET6.
 * Returns 0, -EINVAL (bad family or cidr) or -ENOMEM.
 */
int allowedips_insert(struct allowedips *t, int family, const void *addr, uint8_t cidr,
		      struct aip_owner *owner);
/* Removes addr/cidr if `owner` holds exactly that prefix. 0, -EINVAL or -ENOENT. */
int allowedips_remove(struct allowedips *t, int family, const void *addr, uint8_t cidr,
		      struct aip_owner *owner);
/* Removes every prefix of `owner`. */
void allowedips_remove_owner(struct allowedips *t, struct aip_owner *owner);

/* Longest-prefix match; `addr` is 4 (AF_INET) or 16 (AF_INET6) bytes. NULL if none. */
struct aip_owner *allowedips_lookup(const struct allowedips *t, int family, const uint8_t *addr);

void allowedips_foreach(const struct aip_owner *owner,
			void (*fn)(void *arg, int family, const uint8_t *addr, uint8_t cidr),
			void *arg);

#endif
