/* SPDX-License-Identifier: MIT */
/*
 * The WireGuard protocol engine, without I/O (core-internal header).
 *
 * This is the contract between the protocol half of core/ (Noise_IKpsk2,
 * cookies, keypairs, timers, replay window, allowed-IPs) and the I/O half
 * (TUN, UDP port, UAPI socket, libuv loop). The engine never touches a file
 * descriptor, a clock or the OS RNG: it is handed `now` (monotonic ns) and
 * bytes, and it answers through the callbacks in `struct wg_engine_ops`.
 * That makes every protocol rule testable with a fake clock and fake RNG.
 *
 * Threading: an engine and its peers are used from one thread only.
 *
 * Re-entrancy: the callbacks in wg_engine_ops run in the middle of packet
 * processing. They must not call back into the engine (no peer add/remove,
 * no packet function); queue such work and do it after the call returns.
 *
 * Additions since the first contract (all source compatible):
 * wg_engine_config.staged_pool_len, wg_engine_next_deadline(), and the
 * stats fields rx_keepalive, tx_keepalive and drop_no_endpoint.
 *
 * Ownership: the engine owns every `struct wg_peer`; a pointer stays valid
 * until wg_engine_peer_remove() or wg_engine_free().
 *
 * Only core/ and tests/ include this header; the rest of the program sees
 * core/wg.h.
 */
#ifndef MG_CORE_ENGINE_H
#define MG_CORE_ENGINE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

enum wg_engine_limits {
	WG_KEY_LEN = 32,
	WG_MSG_INITIATION = 1,
	WG_MSG_RESPONSE = 2,
	WG_MSG_COOKIE = 3,
	WG_MSG_DATA = 4,
	WG_MSG_INITIATION_LEN = 148,
	WG_MSG_RESPONSE_LEN = 92,
	WG_MSG_COOKIE_LEN = 64,
	WG_DATA_HEADER_LEN = 16, /* type(4) receiver(4) counter(8) */
	WG_AUTHTAG_LEN = 16,
	WG_DEFAULT_MTU = 1420,
	/*
	 * wg_engine_send_ip() encrypts in place: the caller leaves this many
	 * writable bytes before the IP packet (for the data header) and after
	 * it (padding to 16 plus the Poly1305 tag).
	 */
	WG_HEADROOM = WG_DATA_HEADER_LEN,
	WG_TAILROOM = 15 + WG_AUTHTAG_LEN,
};

/* An IPv4 or IPv6 UDP endpoint. Family AF_UNSPEC means "none". */
union wg_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

struct wg_engine;
struct wg_peer;

enum wg_peer_event {
	WG_EVENT_HANDSHAKE_COMPLETE, /* a new session is usable */
	WG_EVENT_SESSION_EXPIRED,    /* all keys of the peer were zeroed (3 x REJECT_AFTER_TIME) */
	WG_EVENT_ENDPOINT_CHANGED,   /* roaming: an authenticated packet came from elsewhere */
};

struct wg_engine_ops {
	/*
	 * Send one UDP datagram. `dgram` is only valid during the call: the
	 * I/O layer copies it into its send batch (sendmmsg) and flushes the
	 * batch when the current event has been processed.
	 */
	void (*send_udp)(void *ctx, const union wg_sockaddr *to, const uint8_t *dgram, size_t len);
	/* Hand one decrypted IP packet to the TUN device. Valid during the call only. */
	void (*deliver_ip)(void *ctx, const uint8_t *pkt, size_t len);
	/* Fill `buf` with cryptographically secure random bytes (NULL: libsodium's RNG). */
	void (*random)(void *ctx, void *buf, size_t len);
	/* Current wall-clock time for TAI64N and last-handshake times (NULL: CLOCK_REALTIME). */
	void (*wall_time)(void *ctx, struct timespec *ts);
	/* Optional notifications for the mesh layer (may be NULL). */
	void (*peer_event)(void *ctx, struct wg_peer *peer, enum wg_peer_event ev);
};

/*
 * Tunables. Zero in any field means "the protocol default". The timer
 * constants of the whitepaper are not individually tunable: `time_scale`
 * divides all of them (REKEY_AFTER_TIME, REJECT_AFTER_TIME, REKEY_TIMEOUT,
 * KEEPALIVE_TIMEOUT, REKEY_ATTEMPT_TIME, cookie secret lifetime...) for tests
 * that must observe a rekey in seconds rather than minutes. Production uses 1.
 * It scales the persistent-keepalive interval too (25 s at scale 5 is 5 s),
 * but not the handshake rate limiter nor the one-second under-load window.
 */
struct wg_engine_config {
	uint32_t mtu;                 /* padding cap (default 1420) */
	uint32_t handshake_queue_len; /* bounded queue of handshake messages (default 4096) */
	uint32_t max_staged_packets;  /* per peer, while a handshake is in flight (default 128) */
	uint32_t time_scale;          /* test only, see above (default 1) */
	/*
	 * Engine-wide cap on staging buffers (default 4096). Buffers are taken
	 * from a recycled pool that grows up to this cap and never per packet.
	 */
	uint32_t staged_pool_len;
};

struct wg_engine *wg_engine_new(const struct wg_engine_config *cfg, const struct wg_engine_ops *ops,
				void *ctx);
/* Zeroes every secret (static key, handshakes, keypairs, cookie secrets) and frees. */
void wg_engine_free(struct wg_engine *e);

/* Our static X25519 private key. NULL removes it (then no handshake can complete). */
void wg_engine_set_private_key(struct wg_engine *e, const uint8_t key[WG_KEY_LEN]);
/* Copies the private key out; false if none is set. */
bool wg_engine_get_private_key(const struct wg_engine *e, uint8_t key[WG_KEY_LEN]);
bool wg_engine_get_public_key(const struct wg_engine *e, uint8_t key[WG_KEY_LEN]);

/* ---- Packet paths ------------------------------------------------------ */

/* True if `buf` is a WireGuard message (type 1..4 followed by three zero bytes). */
bool wg_is_wireguard_message(const uint8_t *buf, size_t len);

/*
 * An IP packet read from the TUN: route by destination (allowed-IPs), encrypt
 * in place (see WG_HEADROOM/WG_TAILROOM) and send. Without a usable session
 * the packet is copied into the peer's bounded staging queue and a handshake
 * is started. Packets to no peer are dropped. Never allocates per packet.
 */
void wg_engine_send_ip(struct wg_engine *e, uint8_t *pkt, size_t len, uint64_t now);

/*
 * A WireGuard datagram from the UDP port. Data (type 4) is decrypted in place,
 * checked against the replay window and the sending peer's allowed-IPs, and
 * delivered. Handshake messages (types 1 and 2) are MAC-checked and queued
 * (cookie replies under load); wg_engine_process_handshakes() does the
 * public-key work. Cookie replies (type 3) are handled at once.
 */
void wg_engine_recv_udp(struct wg_engine *e, const union wg_sockaddr *from, uint8_t *dgram,
			size_t len, uint64_t now);

/*
 * Process up to `budget` queued handshake messages. Returns how many remain
 * queued. With a non-zero budget it first builds and sends the handshake
 * initiations the packet paths asked for (they never do public-key work
 * themselves); budget 0 only reports the queue length.
 */
size_t wg_engine_process_handshakes(struct wg_engine *e, uint64_t now, size_t budget);

/*
 * Run every timer that is due (rekey, retransmit, keepalives, zeroing, cookie
 * secret rotation) and return the monotonic time of the next deadline
 * (UINT64_MAX if none). The I/O layer arms one timer for that instant.
 */
uint64_t wg_engine_run_timers(struct wg_engine *e, uint64_t now);
/*
 * The next deadline without running anything (O(1)). The packet paths arm
 * timers too, so the I/O layer re-reads this after each batch it fed in.
 * 0 (always in the past) when initiations wait to be built: run the timers
 * (or process handshakes) on the next loop turn.
 */
uint64_t wg_engine_next_deadline(const struct wg_engine *e);

/* ---- Peers ------------------------------------------------------------- */

/* Existing peer with this public key, or NULL. */
struct wg_peer *wg_engine_peer_get(struct wg_engine *e, const uint8_t pub[WG_KEY_LEN]);
/* Existing or new peer. NULL on allocation failure or if `pub` is our own public key. */
struct wg_peer *wg_engine_peer_add(struct wg_engine *e, const uint8_t pub[WG_KEY_LEN]);
/* Removes the peer: zeroes its keys, drops staged packets, forgets its allowed-IPs. */
void wg_engine_peer_remove(struct wg_engine *e, struct wg_peer *peer);
size_t wg_engine_peer_count(const struct wg_engine *e);
/* Iterate: pass NULL for the first peer. Stable while no peer is added or removed. */
struct wg_peer *wg_engine_peer_next(struct wg_engine *e, struct wg_peer *prev);

/* Preshared key; NULL clears it (all-zero PSK, as the protocol defines). */
void wg_peer_set_psk(struct wg_peer *peer, const uint8_t psk[WG_KEY_LEN]);
/* Endpoint to send to until roaming changes it; NULL or AF_UNSPEC clears it. */
void wg_peer_set_endpoint(struct wg_peer *peer, const union wg_sockaddr *ep);
/* Persistent keepalive interval in seconds (0 = off). Sends one at once if turned on. */
void wg_peer_set_keepalive(struct wg_peer *peer, uint16_t interval_s, uint64_t now);

/* Allowed IPs: family AF_INET (addr = 4 bytes) or AF_INET6 (16 bytes). */
int wg_peer_allowedip_add(struct wg_peer *peer, int family, const void *addr, uint8_t cidr);
int wg_peer_allowedip_remove(struct wg_peer *peer, int family, const void *addr, uint8_t cidr);
void wg_peer_allowedips_clear(struct wg_peer *peer);
/* Calls fn for each allowed IP of the peer (in no particular order). */
void wg_peer_allowedips_foreach(const struct wg_peer *peer,
				void (*fn)(void *arg, int family, const uint8_t *addr, uint8_t cidr),
				void *arg);

/* Build and send an initiation now (at most one per REKEY_TIMEOUT still applies). */
void wg_peer_initiate(struct wg_peer *peer, uint64_t now);

struct wg_peer_info {
	uint8_t public_key[WG_KEY_LEN];
	uint8_t preshared_key[WG_KEY_LEN]; /* all zero when none */
	union wg_sockaddr endpoint;        /* sa_family AF_UNSPEC when unknown */
	struct timespec last_handshake;    /* wall time; zero if never */
	uint64_t rx_bytes, tx_bytes;       /* UDP payload bytes, as the kernel counts them */
	uint16_t keepalive_interval_s;
	bool has_session;                  /* a current keypair usable for sending */
};
void wg_peer_get_info(const struct wg_peer *peer, struct wg_peer_info *out);

/* An opaque pointer for the layer above (e.g. the mesh member this peer belongs to). */
void wg_peer_set_userdata(struct wg_peer *peer, void *data);
void *wg_peer_get_userdata(const struct wg_peer *peer);

/* Counters for status output and tests. */
struct wg_engine_stats {
	uint64_t rx_data, tx_data;           /* data packets */
	/* Handshake messages sent, and received ones that were authentic and consumed. */
	uint64_t rx_initiation, tx_initiation;
	uint64_t rx_response, tx_response;
	uint64_t rx_handshake, tx_handshake; /* the sums of the two above (filled by get_stats) */
	uint64_t tx_cookie, rx_cookie;       /* cookie replies sent / accepted */
	uint64_t drop_mac, drop_replay, drop_allowedips, drop_decrypt, drop_no_peer,
		drop_ratelimit, drop_queue_full, drop_malformed;
	uint64_t rx_keepalive, tx_keepalive; /* empty data packets (also counted in rx/tx_data) */
	uint64_t drop_no_endpoint;           /* packets for a peer whose endpoint is unknown */
	uint64_t handshake_queue_len;        /* current */
	bool under_load;
};
void wg_engine_get_stats(const struct wg_engine *e, struct wg_engine_stats *out);

#endif
