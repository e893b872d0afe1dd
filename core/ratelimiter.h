/* SPDX-License-Identifier: MIT */
/*
 * Per-source token bucket for handshake messages that carry a valid mac2
 * while we are under load (whitepaper §5.3; the kernel's ratelimiter.c):
 * 20 handshakes per second, bursts of 5, per IPv4 address or IPv6 /64.
 *
 * Memory is bounded: a fixed pool of entries, preallocated; a source that
 * finds the pool full is refused. Entries idle for a second are collected by
 * ratelimiter_gc(), which the engine's timer runs once a second while the
 * table is not empty.
 */
#ifndef MG_CORE_RATELIMITER_H
#define MG_CORE_RATELIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "engine.h"

enum ratelimiter_values {
	RATELIMITER_PACKETS_PER_SECOND = 20,
	RATELIMITER_PACKETS_BURSTABLE = 5,
	RATELIMITER_TABLE_SIZE = 4096,  /* buckets, a power of two */
	RATELIMITER_MAX_ENTRIES = 16384, /* bounded memory: about 0.5 MiB */
};

struct ratelimiter_entry;

struct ratelimiter {
	struct ratelimiter_entry *entries; /* the pool */
	uint32_t *buckets;                 /* entry number + 1, 0 = empty */
	uint32_t free_head;                /* entry number + 1 of the first free entry */
	size_t count;
	uint64_t next_gc;
	uint8_t key[WG_SHORTHASH_KEY_LEN];
};

int ratelimiter_init(struct ratelimiter *rl, const uint8_t key[WG_SHORTHASH_KEY_LEN]);
void ratelimiter_free(struct ratelimiter *rl);
/* Spends one token of the source's bucket; false if it has none (or the pool is full). */
bool ratelimiter_allow(struct ratelimiter *rl, const union wg_sockaddr *src, uint64_t now);
/* Drops entries idle for more than a second. */
void ratelimiter_gc(struct ratelimiter *rl, uint64_t now);
/* When ratelimiter_gc() should run next; UINT64_MAX while the table is empty. */
uint64_t ratelimiter_next_gc(const struct ratelimiter *rl);
size_t ratelimiter_count(const struct ratelimiter *rl);

#endif
