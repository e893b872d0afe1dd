/* SPDX-License-Identifier: MIT */
/*
 * Token bucket with the burst folded into the bucket size: a bucket holds at
 * most PACKET_COST * BURSTABLE nanoseconds of credit, earns one nanosecond
 * per nanosecond, and a packet costs PACKET_COST.
 */
#include "ratelimiter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	NSEC_PER_SEC = 1000000000,
	PACKET_COST = NSEC_PER_SEC / RATELIMITER_PACKETS_PER_SECOND,
	TOKEN_MAX = PACKET_COST * RATELIMITER_PACKETS_BURSTABLE,
	GC_INTERVAL = NSEC_PER_SEC,
	IDLE_TIMEOUT = NSEC_PER_SEC,
};

struct ratelimiter_entry {
	uint64_t ip; /* IPv4 address or the /64 of an IPv6 address */
	uint64_t last_time;
	uint64_t tokens;
	uint32_t next; /* entry number + 1 in the chain or free list */
	uint8_t family;
};

int ratelimiter_init(struct ratelimiter *rl, const uint8_t key[WG_SHORTHASH_KEY_LEN])
{
	memset(rl, 0, sizeof(*rl));
	rl->entries = calloc(RATELIMITER_MAX_ENTRIES, sizeof(*rl->entries));
	rl->buckets = calloc(RATELIMITER_TABLE_SIZE, sizeof(*rl->buckets));
	if (!rl->entries || !rl->buckets) {
		ratelimiter_free(rl);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < RATELIMITER_MAX_ENTRIES; ++i)
		rl->entries[i].next = i + 2 <= RATELIMITER_MAX_ENTRIES ? i + 2 : 0;
	rl->free_head = 1;
	rl->next_gc = UINT64_MAX;
	memcpy(rl->key, key, sizeof(rl->key));
	return 0;
}

void ratelimiter_free(struct ratelimiter *rl)
{
	free(rl->entries);
	free(rl->buckets);
	wg_crypto_wipe(rl, sizeof(*rl));
}

/* The bucket key: the address for IPv4, the first 64 bits for IPv6. */
static bool source_key(const union wg_sockaddr *src, uint8_t *family, uint64_t *ip)
{
	*ip = 0;
	if (src->sa.sa_family == AF_INET) {
		memcpy(ip, &src->in4.sin_addr, 4);
	} else if (src->sa.sa_family == AF_INET6) {
		memcpy(ip, &src->in6.sin6_addr, 8);
	} else {
		return false;
	}
	*family = (uint8_t)src->sa.sa_family;
	return true;
}

static uint32_t *bucket_of(struct ratelimiter *rl, uint8_t family, uint64_t ip)
{
	uint8_t in[9];

	in[0] = family;
	memcpy(in + 1, &ip, 8);
	return &rl->buckets[wg_crypto_shorthash(rl->key, in, sizeof(in)) &
			    (RATELIMITER_TABLE_SIZE - 1)];
}

bool ratelimiter_allow(struct ratelimiter *rl, const union wg_sockaddr *src, uint64_t now)
{
	struct ratelimiter_entry *e;
	uint32_t *head, n;
	uint64_t ip, tokens;
	uint8_t family;

	if (!source_key(src, &family, &ip))
		return false;
	head = bucket_of(rl, family, ip);
	for (n = *head; n; n = e->next) {
		e = &rl->entries[n - 1];
		if (e->family != family || e->ip != ip)
			continue;
		tokens = e->tokens + (now > e->last_time ? now - e->last_time : 0);
		if (tokens > TOKEN_MAX)
			tokens = TOKEN_MAX;
		e->last_time = now;
		if (tokens < PACKET_COST) {
			e->tokens = tokens;
			return false;
		}
		e->tokens = tokens - PACKET_COST;
		return true;
	}

	/* A new source: take an entry from the pool, or refuse when it is empty. */
	if (!rl->free_head)
		return false;
	n = rl->free_head;
	e = &rl->entries[n - 1];
	rl->free_head = e->next;
	e->family = family;
	e->ip = ip;
	e->last_time = now;
	e->tokens = TOKEN_MAX - PACKET_COST;
	e->next = *head;
	*head = n;
	if (rl->count++ == 0)
		rl->next_gc = now + GC_INTERVAL;
	return true;
}

void ratelimiter_gc(struct ratelimiter *rl, uint64_t now)
{
	for (size_t b = 0; b < RATELIMITER_TABLE_SIZE && rl->count; ++b) {
		uint32_t *link = &rl->buckets[b];

		while (*link) {
			uint32_t n = *link;
			struct ratelimiter_entry *e = &rl->entries[n - 1];

			if (now > e->last_time + IDLE_TIMEOUT) {
				*link = e->next;
				memset(e, 0, sizeof(*e));
				e->next = rl->free_head;
				rl->free_head = n;
				--rl->count;
			} else {
				link = &e->next;
			}
		}
	}
	rl->next_gc = rl->count ? now + GC_INTERVAL : UINT64_MAX;
}

uint64_t ratelimiter_next_gc(const struct ratelimiter *rl)
{
	return rl->next_gc;
}

size_t ratelimiter_count(const struct ratelimiter *rl)
{
	return rl->count;
}
