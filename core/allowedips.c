/* SPDX-License-Identifier: MIT */
/*
 * A path-compressed binary trie (a PATRICIA tree with prefixes on inner
 * nodes), one per address family.
 *
 * Invariants:
 *   - every node's `bits` are masked to its `cidr`;
 *   - a child has a strictly longer cidr than its parent, and agrees with the
 *     parent on the parent's first `cidr` bits; it hangs on the side given by
 *     its bit number `parent->cidr` (bit 0 is the most significant);
 *   - a node without an owner has exactly two children (a branching point);
 *     removals collapse any node that stops being one.
 */
#include "allowedips.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct aip_node {
	struct aip_node *child[2];
	struct aip_node *parent;
	struct aip_owner *owner; /* NULL for a branching node */
	struct aip_node *owner_next, *owner_prev;
	uint8_t bits[16];
	uint8_t cidr;
	uint8_t family_bits; /* 32 or 128 */
};

static int family_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

static struct aip_node **root_of(struct allowedips *t, int family)
{
	return family == AF_INET ? &t->root4 : &t->root6;
}

static unsigned bit_at(const uint8_t *key, unsigned bit)
{
	return (key[bit / 8] >> (7 - bit % 8)) & 1;
}

/* Copies the first `cidr` bits of src, zeroing the rest of a `len`-byte key. */
static void mask_copy(uint8_t *dst, const uint8_t *src, unsigned cidr, size_t len)
{
	size_t full = cidr / 8;

	memset(dst, 0, 16);
	memcpy(dst, src, full);
	if (cidr % 8 && full < len)
		dst[full] = (uint8_t)(src[full] & (0xff << (8 - cidr % 8)));
}

/* Number of leading bits a and b share, at most `limit`. */
static unsigned common_bits(const uint8_t *a, const uint8_t *b, unsigned limit)
{
	unsigned i;

	for (i = 0; i < limit / 8; ++i) {
		if (a[i] != b[i])
			return i * 8 + (unsigned)__builtin_clz((unsigned)(a[i] ^ b[i]) << 24);
	}
	for (i = limit & ~7u; i < limit; ++i) {
		if (bit_at(a, i) != bit_at(b, i))
			return i;
	}
	return limit;
}

static bool prefix_matches(const struct aip_node *n, const uint8_t *key)
{
	return common_bits(n->bits, key, n->cidr) == n->cidr;
}

static void owner_link(struct aip_node *n, struct aip_owner *owner)
{
	n->owner = owner;
	n->owner_prev = NULL;
	n->owner_next = owner->first;
	if (owner->first)
		owner->first->owner_prev = n;
	owner->first = n;
	++owner->count;
}

static void owner_unlink(struct aip_node *n)
{
	struct aip_owner *owner = n->owner;

	if (n->owner_prev)
		n->owner_prev->owner_next = n->owner_next;
	else
		owner->first = n->owner_next;
	if (n->owner_next)
		n->owner_next->owner_prev = n->owner_prev;
	--owner->count;
	n->owner = NULL;
	n->owner_next = n->owner_prev = NULL;
}

static struct aip_node *node_new(const uint8_t *key, unsigned cidr, unsigned bits,
				 struct aip_node *parent)
{
	struct aip_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	mask_copy(n->bits, key, cidr, bits / 8);
	n->cidr = (uint8_t)cidr;
	n->family_bits = (uint8_t)bits;
	n->parent = parent;
	return n;
}

static void set_child(struct aip_node *parent, struct aip_node *child)
{
	parent->child[bit_at(child->bits, parent->cidr)] = child;
	child->parent = parent;
}

void allowedips_init(struct allowedips *t)
{
	t->root4 = t->root6 = NULL;
}

static void free_subtree(struct aip_node *n)
{
	/* Iterative post-order: a pathological trie is at most 129 deep, but stay simple. */
	while (n) {
		if (n->child[0]) {
			n = n->child[0];
		} else if (n->child[1]) {
			n = n->child[1];
		} else {
			struct aip_node *parent = n->parent;

			if (parent)
				parent->child[parent->child[1] == n] = NULL;
			free(n);
			n = parent;
		}
	}
}

void allowedips_free(struct allowedips *t)
{
	free_subtree(t->root4);
	free_subtree(t->root6);
	t->root4 = t->root6 = NULL;
}

int allowedips_insert(struct allowedips *t, int family, const void *addr, uint8_t cidr,
		      struct aip_owner *owner)
{
	const unsigned bits = (unsigned)family_bits(family);
	struct aip_node **slot, *parent = NULL, *n, *leaf, *mid;
	uint8_t key[16];
	unsigned common;

	if (!bits || cidr > bits || !owner)
		return -EINVAL;
	mask_copy(key, addr, cidr, bits / 8);
	slot = root_of(t, family);

	for (;;) {
		n = *slot;
		if (!n) {
			leaf = node_new(key, cidr, bits, parent);
			if (!leaf)
				return -ENOMEM;
			owner_link(leaf, owner);
			*slot = leaf;
			return 0;
		}
		common = common_bits(n->bits, key, n->cidr < cidr ? n->cidr : cidr);
		if (common == n->cidr && n->cidr == cidr) {
			/* The prefix exists: (re)assign it. */
			if (n->owner != owner) {
				if (n->owner)
					owner_unlink(n);
				owner_link(n, owner);
			}
			return 0;
		}
		if (common == n->cidr) {
			/* n is a shorter prefix of key: descend. */
			parent = n;
			slot = &n->child[bit_at(key, n->cidr)];
			continue;
		}
		break;
	}

	leaf = node_new(key, cidr, bits, parent);
	if (!leaf)
		return -ENOMEM;
	if (common == cidr) {
		/* The new prefix covers n: it goes above n. */
		set_child(leaf, n);
		owner_link(leaf, owner);
		*slot = leaf;
		return 0;
	}
	/* Key and n diverge at bit `common`: a branching node holds both. */
	mid = node_new(key, common, bits, parent);
	if (!mid) {
		free(leaf);
		return -ENOMEM;
	}
	set_child(mid, n);
	set_child(mid, leaf);
	owner_link(leaf, owner);
	*slot = mid;
	return 0;
}

static struct aip_node *find_exact(struct aip_node *n, const uint8_t *key, unsigned cidr)
{
	while (n && n->cidr <= cidr && prefix_matches(n, key)) {
		if (n->cidr == cidr)
			return n;
		n = n->child[bit_at(key, n->cidr)];
	}
	return NULL;
}

/* Drops n's owner and collapses every node that no longer needs to exist. */
static void remove_node(struct aip_node **root, struct aip_node *n)
{
	owner_unlink(n);
	while (n && !n->owner && !(n->child[0] && n->child[1])) {
		struct aip_node *child = n->child[0] ? n->child[0] : n->child[1];
		struct aip_node *parent = n->parent;
		struct aip_node **slot = parent ? &parent->child[parent->child[1] == n] : root;

		*slot = child;
		if (child)
			child->parent = parent;
		free(n);
		n = parent;
	}
}

int allowedips_remove(struct allowedips *t, int family, const void *addr, uint8_t cidr,
		      struct aip_owner *owner)
{
	const unsigned bits = (unsigned)family_bits(family);
	struct aip_node *n;
	uint8_t key[16];

	if (!bits || cidr > bits)
		return -EINVAL;
	mask_copy(key, addr, cidr, bits / 8);
	n = find_exact(*root_of(t, family), key, cidr);
	if (!n || n->owner != owner)
		return -ENOENT;
	remove_node(root_of(t, family), n);
	return 0;
}

void allowedips_remove_owner(struct allowedips *t, struct aip_owner *owner)
{
	while (owner->first) {
		struct aip_node *n = owner->first;

		remove_node(root_of(t, n->family_bits == 32 ? AF_INET : AF_INET6), n);
	}
}

struct aip_owner *allowedips_lookup(const struct allowedips *t, int family, const uint8_t *addr)
{
	const unsigned bits = (unsigned)family_bits(family);
	struct aip_node *n = family == AF_INET ? t->root4 : t->root6;
	struct aip_owner *best = NULL;

	if (!bits)
		return NULL;
	while (n && prefix_matches(n, addr)) {
		if (n->owner)
			best = n->owner;
		if (n->cidr == bits)
			break;
		n = n->child[bit_at(addr, n->cidr)];
	}
	return best;
}

void allowedips_foreach(const struct aip_owner *owner,
			void (*fn)(void *arg, int family, const uint8_t *addr, uint8_t cidr),
			void *arg)
{
	const struct aip_node *n, *next;

	for (n = owner->first; n; n = next) {
		next = n->owner_next;
		fn(arg, n->family_bits == 32 ? AF_INET : AF_INET6, n->bits, n->cidr);
	}
}
