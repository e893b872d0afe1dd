/* SPDX-License-Identifier: MIT */
/*
 * Noise_IKpsk2 handshake (whitepaper §5.4.2–5.4.5) and the per-peer
 * keypair slots (previous / current / next) with key confirmation.
 *
 * Each handshake message has a create/consume pair. The functions fill and
 * read the Noise fields of a message buffer at the offsets of messages.h;
 * they leave the MAC fields to cookie.c. They take `now` and randomness from
 * the caller and never touch a socket or clock.
 */
#ifndef MG_CORE_NOISE_H
#define MG_CORE_NOISE_H

#include <stdbool.h>
#include <stdint.h>

#include "index.h"
#include "messages.h"
#include "replay.h"

struct noise_rng {
	void (*fn)(void *ctx, void *buf, size_t len);
	void *ctx;
};

/* Our static identity. */
struct noise_local {
	bool has_identity;
	uint8_t private_key[NOISE_PUBLIC_KEY_LEN];
	uint8_t public_key[NOISE_PUBLIC_KEY_LEN];
};

enum noise_handshake_state {
	HANDSHAKE_ZEROED,
	HANDSHAKE_CREATED_INITIATION,
	HANDSHAKE_CONSUMED_INITIATION,
	HANDSHAKE_CREATED_RESPONSE,
	HANDSHAKE_CONSUMED_RESPONSE,
};

struct noise_handshake {
	struct index_entry entry; /* our sender index while a handshake is in flight */
	enum noise_handshake_state state;
	uint8_t remote_static[NOISE_PUBLIC_KEY_LEN];
	uint8_t precomputed_static_static[NOISE_PUBLIC_KEY_LEN]; /* DH(S_priv, S_pub_remote) */
	uint8_t preshared_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN];
	uint8_t remote_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t hash[NOISE_HASH_LEN];
	uint8_t chaining_key[NOISE_HASH_LEN];
	/* Replay protection of initiations: survives handshake zeroing on purpose. */
	uint8_t latest_timestamp[NOISE_TIMESTAMP_LEN];
	bool has_consumed_initiation;
	uint64_t last_initiation_consumption;
	uint32_t remote_index;
};

struct noise_symmetric_key {
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	uint64_t birthdate;
	bool is_valid;
};

struct noise_keypair {
	struct index_entry entry; /* our receiver index for this session */
	bool in_use;
	bool i_am_the_initiator;
	uint32_t remote_index;
	struct noise_symmetric_key sending;
	uint64_t sending_counter;
	struct noise_symmetric_key receiving;
	struct replay_counter receiving_counter;
};

struct noise_keypairs {
	struct noise_keypair slot[3];
	struct noise_keypair *previous, *current, *next;
};

/* Clamps and stores the private key, derives the public key. */
void noise_local_set_private(struct noise_local *local, const uint8_t key[NOISE_PUBLIC_KEY_LEN]);
void noise_local_clear(struct noise_local *local);

void noise_handshake_init(struct noise_handshake *hs, struct wg_peer *peer,
			  const uint8_t remote_static[NOISE_PUBLIC_KEY_LEN]);
/* Recomputes DH(S_priv, S_pub_remote); all zero (and handshakes fail) without identity. */
void noise_handshake_precompute(struct noise_handshake *hs, const struct noise_local *local);
/* Forgets the handshake in flight (ephemerals, hash, chaining key, index). */
void noise_handshake_clear(struct noise_handshake *hs, struct index_table *idx);

/*
 * -> e, es, s, ss, {t}
 * Fills type, sender, ephemeral, static and timestamp of `dst` (mac1/mac2
 * untouched). Draws the ephemeral key, then the sender index, from `rng`.
 */
bool noise_handshake_create_initiation(uint8_t dst[INIT_LEN], struct noise_handshake *hs,
				       const struct noise_local *local, struct index_table *idx,
				       const struct noise_rng *rng,
				       const uint8_t timestamp[NOISE_TIMESTAMP_LEN]);

/*
 * Consuming an initiation happens in two steps because the initiator's
 * identity is only known after `s` is decrypted: the caller looks the
 * returned static key up in its peer table between the two.
 */
struct noise_initiation_scratch {
	uint8_t chaining_key[NOISE_HASH_LEN];
	uint8_t hash[NOISE_HASH_LEN];
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t e[NOISE_PUBLIC_KEY_LEN];
	uint8_t s[NOISE_PUBLIC_KEY_LEN]; /* the initiator's static key, once decrypted */
};
/* e, es, s. On false the scratch is wiped. */
bool noise_consume_initiation_static(struct noise_initiation_scratch *st, const uint8_t src[INIT_LEN],
				     const struct noise_local *local);
/*
 * ss, {t}, then the replay check (timestamp strictly greater than the last
 * accepted one of this peer) and the flood check (at most one initiation per
 * `min_interval_ns`). On success the handshake holds the state for the
 * response. Always wipes the scratch.
 */
enum noise_verdict {
	NOISE_OK,
	NOISE_INVALID, /* authentication failed */
	NOISE_REPLAY,  /* authentic, but replayed or too soon after the last one */
};
enum noise_verdict noise_consume_initiation_finish(struct noise_initiation_scratch *st,
						   const uint8_t src[INIT_LEN],
						   struct noise_handshake *hs, uint64_t now,
						   uint64_t min_interval_ns);

/* <- e, ee, se, psk, {}  (needs a consumed initiation). Draws ephemeral, then index. */
bool noise_handshake_create_response(uint8_t dst[RESP_LEN], struct noise_handshake *hs,
				     struct index_table *idx, const struct noise_rng *rng);
/* Needs our own initiation in flight on `hs` (found by the receiver index). */
bool noise_handshake_consume_response(const uint8_t src[RESP_LEN], struct noise_handshake *hs,
				      const struct noise_local *local);

/*
 * Derives the transport keys (T_send, T_recv) = KDF2(C, ε) after a created
 * or consumed response, slots the new keypair (initiator: current at once;
 * responder: next, until confirmed) and moves our index to it. Zeroes the
 * handshake. Returns the new keypair or NULL.
 */
struct noise_keypair *noise_handshake_begin_session(struct noise_handshake *hs,
						    struct noise_keypairs *kps,
						    struct index_table *idx, uint64_t now);

void noise_keypairs_init(struct noise_keypairs *kps, struct wg_peer *peer);
/*
 * Key confirmation: the first packet received with the `next` keypair makes
 * it current. True if that happened.
 */
bool noise_received_with_keypair(struct noise_keypairs *kps, struct noise_keypair *kp,
				 struct index_table *idx);
/* Zeroes and unlinks all keypairs. */
void noise_keypairs_clear(struct noise_keypairs *kps, struct index_table *idx);
/* Stops sending with the current and next keypairs (our identity changed). */
void noise_expire_current_keypairs(struct noise_keypairs *kps);

/* TAI64N of a wall-clock time, nanoseconds rounded down to hide the precise clock. */
void noise_tai64n(uint8_t out[NOISE_TIMESTAMP_LEN], int64_t sec, long nsec);

#endif
