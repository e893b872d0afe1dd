/* SPDX-License-Identifier: MIT */
/*
 * MAC1/MAC2 and cookie replies (whitepaper §5.3 and §5.4.7).
 *
 * Every handshake message ends with mac1 = MAC(HASH("mac1----" || S_pub_receiver), msg_α)
 * and mac2 = MAC(cookie, msg_β), or zeros without a cookie. A responder under
 * load answers handshakes lacking a valid mac2 with a cookie reply instead of
 * doing any Diffie-Hellman; the cookie is MAC(R_secret, source IP || port),
 * with R_secret rotated every COOKIE_SECRET_MAX_AGE seconds.
 *
 * Two halves: the checker (our side as a receiver, one per engine) and the
 * cookie (per peer, our side as a sender).
 */
#ifndef MG_CORE_COOKIE_H
#define MG_CORE_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "messages.h"
#include "noise.h"

struct cookie_checker {
	uint8_t secret[NOISE_HASH_LEN]; /* R_secret */
	uint64_t secret_birthdate;
	bool has_secret;
	uint8_t cookie_encryption_key[NOISE_SYMMETRIC_KEY_LEN]; /* HASH("cookie--" || S_pub) */
	uint8_t message_mac1_key[NOISE_SYMMETRIC_KEY_LEN];      /* HASH("mac1----" || S_pub) */
};

struct cookie {
	uint64_t birthdate;
	bool is_valid;
	uint8_t cookie[COOKIE_LEN];
	bool have_sent_mac1;
	uint8_t last_mac1_sent[COOKIE_LEN];
	uint8_t cookie_decryption_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t message_mac1_key[NOISE_SYMMETRIC_KEY_LEN];
};

enum cookie_mac_state {
	INVALID_MAC,
	VALID_MAC_BUT_NO_COOKIE,
	VALID_MAC_WITH_COOKIE,
};

/* Times in nanoseconds (already divided by the engine's time scale). */
struct cookie_times {
	uint64_t secret_max_age; /* COOKIE_SECRET_MAX_AGE */
	uint64_t cookie_usable;  /* COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY */
};

void cookie_checker_init(struct cookie_checker *checker);
/* Derives the mac1 and cookie keys from our public key (zero without identity). */
void cookie_checker_precompute_keys(struct cookie_checker *checker, const struct noise_local *local);
/* Wipes R_secret if it outlived its age, so an idle engine holds no stale secret. */
void cookie_checker_expire_secret(struct cookie_checker *checker, uint64_t now,
				  const struct cookie_times *t);
void cookie_checker_clear(struct cookie_checker *checker);

void cookie_init(struct cookie *cookie, const uint8_t remote_static[NOISE_PUBLIC_KEY_LEN]);
void cookie_clear(struct cookie *cookie);

/*
 * Checks mac1 of a handshake message of `len` bytes; if `check_cookie`, also
 * mac2 against the cookie this source should hold.
 */
enum cookie_mac_state cookie_validate_packet(struct cookie_checker *checker, const uint8_t *msg,
					     size_t len, const union wg_sockaddr *src,
					     bool check_cookie, uint64_t now,
					     const struct noise_rng *rng,
					     const struct cookie_times *t);

/* Writes mac1 (and mac2 if we hold a fresh cookie) into an outgoing handshake message. */
void cookie_add_mac_to_packet(struct cookie *cookie, uint8_t *msg, size_t len, uint64_t now,
			      const struct cookie_times *t);

/* Builds the cookie reply to handshake message `msg` (len bytes) from `src`. */
void cookie_message_create(uint8_t dst[COOKIE_MSG_LEN], const uint8_t *msg, size_t len,
			   const union wg_sockaddr *src, struct cookie_checker *checker,
			   uint64_t now, const struct noise_rng *rng, const struct cookie_times *t);
/* Decrypts a cookie reply for our last handshake message; true if the cookie was stored. */
bool cookie_message_consume(struct cookie *cookie, const uint8_t src[COOKIE_MSG_LEN], uint64_t now);

#endif
