/* SPDX-License-Identifier: MIT */
/*
 * The engine's state, shared by the engine's own files (engine.c, peer.c,
 * send.c, receive.c, timers.c). Not for the I/O half: it sees engine.h only.
 */
#ifndef MG_CORE_ENGINE_PRIV_H
#define MG_CORE_ENGINE_PRIV_H

#include "allowedips.h"
#include "cookie.h"
#include "engine.h"
#include "index.h"
#include "noise.h"
#include "peer.h"
#include "ratelimiter.h"
#include "timers.h"

enum engine_defaults {
	DEFAULT_STAGED_POOL = 4096,
};

/* A handshake message waiting for wg_engine_process_handshakes(). */
struct handshake_item {
	union wg_sockaddr from;
	uint16_t len;
	uint8_t msg[WG_MSG_INITIATION_LEN];
};

struct handshake_queue {
	struct handshake_item *items; /* preallocated ring */
	size_t head, len, cap;
};

/* Recycled buffers for staged packets: allocated up to `max`, never per packet. */
struct packet_pool {
	struct staged_packet *free;
	size_t total, max, buf_size;
};

struct wg_engine {
	struct wg_engine_ops ops;
	void *ctx;
	struct noise_rng rng;
	uint64_t jitter_state; /* xorshift64*, seeded from rng: jitter needs no syscall per packet */
	struct wg_engine_config cfg; /* defaults filled in */
	struct wg_timing t;
	struct cookie_times cookie_times;

	struct noise_local local;
	struct cookie_checker checker;
	struct ratelimiter ratelimiter;
	struct allowedips allowedips;
	struct index_table index;
	struct pubkey_table pubkeys;

	struct wg_peer *peers_first, *peers_last;
	size_t peer_count;
	struct wg_peer **heap; /* min-heap of peers by timers.heap_key */
	size_t heap_len, heap_cap;

	struct handshake_queue hsq;
	struct wg_peer *init_first, *init_last; /* peers waiting for an initiation to be built */
	bool under_load;
	uint64_t last_under_load; /* valid while under_load */

	struct packet_pool pool;
	struct wg_engine_stats stats;
};

void wg_engine_wall_time(const struct wg_engine *e, struct timespec *ts);

/* send.c */
void wg_packet_send_handshake_initiation(struct wg_peer *peer, uint64_t now);
void wg_packet_send_queued_handshake_initiation(struct wg_peer *peer, bool is_retry, uint64_t now);
void wg_packet_unqueue_handshake_initiation(struct wg_peer *peer);
/* Builds and sends the initiations queued by the packet paths; true if there were any. */
bool wg_packet_flush_handshake_initiations(struct wg_engine *e, uint64_t now);
/* The response goes to the initiation's source, which is not yet the peer's endpoint. */
void wg_packet_send_handshake_response(struct wg_peer *peer, const union wg_sockaddr *to,
				       uint64_t now);
void wg_packet_send_handshake_cookie(struct wg_engine *e, const uint8_t *msg, size_t len,
				     const union wg_sockaddr *to, uint64_t now);
void wg_packet_send_keepalive(struct wg_peer *peer, uint64_t now);
void wg_packet_send_staged_packets(struct wg_peer *peer, uint64_t now);
void wg_packet_purge_staged_packets(struct wg_peer *peer);
void wg_packet_pool_free(struct packet_pool *pool);

#endif
