/* SPDX-License-Identifier: MIT */
/*
 * struct wg_peer: everything the engine knows about one remote static key.
 * It embeds the Noise handshake and keypair slots, the cookie state, the
 * allowed-IPs owner, the staging queue and the timers, so a peer is one
 * allocation and the hot path follows no pointer but to its keypair slot.
 */
#ifndef MG_CORE_PEER_H
#define MG_CORE_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "allowedips.h"
#include "cookie.h"
#include "engine.h"
#include "index.h"
#include "noise.h"

/* A packet waiting for a session: [WG_HEADROOM][packet][WG_TAILROOM]. */
struct staged_packet {
	struct staged_packet *next;
	uint32_t len; /* 0 for a keepalive */
	uint8_t buf[];
};

struct staged_queue {
	struct staged_packet *head, *tail;
	uint32_t len;
};

/* Deadlines in monotonic ns; WG_TIMER_OFF when not armed. */
#define WG_TIMER_OFF UINT64_MAX

struct wg_timers {
	uint64_t retransmit_handshake;
	uint64_t send_keepalive;
	uint64_t new_handshake;
	uint64_t zero_key_material;
	uint64_t persistent_keepalive;
	uint32_t handshake_attempts;
	bool need_another_keepalive;
	bool sent_lastminute_handshake;
	/* Position in the engine's deadline heap, keyed by (at most) the earliest deadline. */
	uint64_t heap_key;
	size_t heap_pos;
};

struct wg_peer {
	struct wg_engine *engine;
	struct wg_peer *list_prev, *list_next; /* all peers, in insertion order */
	struct pubkey_entry pubkey_entry;

	struct noise_handshake handshake; /* remote_static is the peer's public key */
	struct noise_keypairs keypairs;
	struct cookie latest_cookie;

	union wg_sockaddr endpoint;
	struct aip_owner allowedips;
	struct staged_queue staged;
	struct wg_timers timers;

	/* On the engine's list of initiations to send (never built on the packet path). */
	struct wg_peer *init_prev, *init_next;
	bool init_queued;

	bool has_sent_handshake;
	uint64_t last_sent_handshake;
	uint16_t persistent_keepalive_interval; /* seconds */
	struct timespec walltime_last_handshake;
	uint64_t rx_bytes, tx_bytes;
	void *userdata;
};

struct wg_peer *wg_peer_create(struct wg_engine *e, const uint8_t pub[WG_KEY_LEN]);
void wg_peer_destroy(struct wg_peer *peer);
/* Zeroes the handshake and all keypairs (REJECT_AFTER_TIME * 3 expired, or removal). */
void wg_peer_zero_key_material(struct wg_peer *peer);
/* Roaming: adopt `from` as the endpoint if it differs; reports WG_EVENT_ENDPOINT_CHANGED. */
void wg_peer_set_endpoint_from(struct wg_peer *peer, const union wg_sockaddr *from);
void wg_peer_event(struct wg_peer *peer, enum wg_peer_event ev);

#endif
