/* SPDX-License-Identifier: MIT */
/*
 * MAC1/MAC2 and cookie replies. The cookie is bound to the source address
 * and port of the datagram, so a spoofing flooder never sees its cookie and
 * cannot produce a valid mac2.
 */
#include "cookie.h"

#include <string.h>

#include "bytes.h"
#include "crypto.h"

static const char mac1_label[8] = { 'm', 'a', 'c', '1', '-', '-', '-', '-' };
static const char cookie_label[8] = { 'c', 'o', 'o', 'k', 'i', 'e', '-', '-' };

/* key = HASH(label || public key) */
static void precompute_key(uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
			   const uint8_t pub[NOISE_PUBLIC_KEY_LEN], const char label[8])
{
	wg_crypto_hash2(key, label, 8, pub, NOISE_PUBLIC_KEY_LEN);
}

/* mac1 covers the message up to mac1; mac2 up to mac2. */
static void compute_mac1(uint8_t mac[COOKIE_LEN], const uint8_t *msg, size_t len,
			 const uint8_t key[NOISE_SYMMETRIC_KEY_LEN])
{
	wg_crypto_mac(mac, key, NOISE_SYMMETRIC_KEY_LEN, msg, len - MACS_LEN);
}

static void compute_mac2(uint8_t mac[COOKIE_LEN], const uint8_t *msg, size_t len,
			 const uint8_t cookie[COOKIE_LEN])
{
	wg_crypto_mac(mac, cookie, COOKIE_LEN, msg, len - COOKIE_LEN);
}

void cookie_checker_init(struct cookie_checker *checker)
{
	memset(checker, 0, sizeof(*checker));
}

void cookie_checker_precompute_keys(struct cookie_checker *checker, const struct noise_local *local)
{
	if (local->has_identity) {
		precompute_key(checker->cookie_encryption_key, local->public_key, cookie_label);
		precompute_key(checker->message_mac1_key, local->public_key, mac1_label);
	} else {
		wg_crypto_wipe(checker->cookie_encryption_key, NOISE_SYMMETRIC_KEY_LEN);
		wg_crypto_wipe(checker->message_mac1_key, NOISE_SYMMETRIC_KEY_LEN);
	}
}

void cookie_checker_expire_secret(struct cookie_checker *checker, uint64_t now,
				  const struct cookie_times *t)
{
	if (checker->has_secret && now >= checker->secret_birthdate + t->secret_max_age) {
		wg_crypto_wipe(checker->secret, sizeof(checker->secret));
		checker->has_secret = false;
	}
}

void cookie_checker_clear(struct cookie_checker *checker)
{
	wg_crypto_wipe(checker, sizeof(*checker));
}

void cookie_init(struct cookie *cookie, const uint8_t remote_static[NOISE_PUBLIC_KEY_LEN])
{
	memset(cookie, 0, sizeof(*cookie));
	precompute_key(cookie->cookie_decryption_key, remote_static, cookie_label);
	precompute_key(cookie->message_mac1_key, remote_static, mac1_label);
}

void cookie_clear(struct cookie *cookie)
{
	wg_crypto_wipe(cookie, sizeof(*cookie));
}

/* τ = MAC(R_secret, A): A is the source IP address and UDP port, network order. */
static void make_cookie(uint8_t cookie[COOKIE_LEN], struct cookie_checker *checker,
			const union wg_sockaddr *src, uint64_t now, const struct noise_rng *rng,
			const struct cookie_times *t)
{
	uint8_t a[16 + 2];
	size_t alen = 0;

	if (!checker->has_secret || now >= checker->secret_birthdate + t->secret_max_age) {
		rng->fn(rng->ctx, checker->secret, sizeof(checker->secret));
		checker->secret_birthdate = now;
		checker->has_secret = true;
	}
	if (src->sa.sa_family == AF_INET) {
		memcpy(a, &src->in4.sin_addr, 4);
		memcpy(a + 4, &src->in4.sin_port, 2);
		alen = 6;
	} else if (src->sa.sa_family == AF_INET6) {
		memcpy(a, &src->in6.sin6_addr, 16);
		memcpy(a + 16, &src->in6.sin6_port, 2);
		alen = 18;
	}
	wg_crypto_mac(cookie, checker->secret, sizeof(checker->secret), a, alen);
}

enum cookie_mac_state cookie_validate_packet(struct cookie_checker *checker, const uint8_t *msg,
					     size_t len, const union wg_sockaddr *src,
					     bool check_cookie, uint64_t now,
					     const struct noise_rng *rng,
					     const struct cookie_times *t)
{
	uint8_t computed[COOKIE_LEN];
	uint8_t cookie[COOKIE_LEN];
	enum cookie_mac_state ret = INVALID_MAC;

	compute_mac1(computed, msg, len, checker->message_mac1_key);
	if (!wg_crypto_equal(computed, msg + len - MACS_LEN, COOKIE_LEN))
		goto out;
	ret = VALID_MAC_BUT_NO_COOKIE;
	if (!check_cookie)
		goto out;

	make_cookie(cookie, checker, src, now, rng, t);
	compute_mac2(computed, msg, len, cookie);
	if (wg_crypto_equal(computed, msg + len - COOKIE_LEN, COOKIE_LEN))
		ret = VALID_MAC_WITH_COOKIE;

out:
	wg_crypto_wipe(cookie, sizeof(cookie));
	return ret;
}

void cookie_add_mac_to_packet(struct cookie *cookie, uint8_t *msg, size_t len, uint64_t now,
			      const struct cookie_times *t)
{
	uint8_t *mac1 = msg + len - MACS_LEN, *mac2 = msg + len - COOKIE_LEN;

	compute_mac1(mac1, msg, len, cookie->message_mac1_key);
	memcpy(cookie->last_mac1_sent, mac1, COOKIE_LEN);
	cookie->have_sent_mac1 = true;

	/* A cookie is used a little less than the responder keeps its secret. */
	if (cookie->is_valid && now < cookie->birthdate + t->cookie_usable)
		compute_mac2(mac2, msg, len, cookie->cookie);
	else
		memset(mac2, 0, COOKIE_LEN);
}

void cookie_message_create(uint8_t dst[COOKIE_MSG_LEN], const uint8_t *msg, size_t len,
			   const union wg_sockaddr *src, struct cookie_checker *checker,
			   uint64_t now, const struct noise_rng *rng, const struct cookie_times *t)
{
	uint8_t cookie[COOKIE_LEN];

	/* The sender index sits at offset 4 of both initiation and response. */
	mg_store_le32(dst + MSG_TYPE, MESSAGE_HANDSHAKE_COOKIE);
	memcpy(dst + COOKIE_RECEIVER, msg + 4, 4);
	rng->fn(rng->ctx, dst + COOKIE_NONCE, COOKIE_NONCE_LEN);

	/* msg.cookie = XAEAD(HASH("cookie--" || S_pub), nonce, τ, mac1 of the message) */
	make_cookie(cookie, checker, src, now, rng, t);
	wg_crypto_xaead_encrypt(dst + COOKIE_ENCRYPTED, cookie, COOKIE_LEN, msg + len - MACS_LEN,
				COOKIE_LEN, dst + COOKIE_NONCE, checker->cookie_encryption_key);
	wg_crypto_wipe(cookie, sizeof(cookie));
}

bool cookie_message_consume(struct cookie *cookie, const uint8_t src[COOKIE_MSG_LEN], uint64_t now)
{
	uint8_t value[COOKIE_LEN];
	bool ok;

	if (!cookie->have_sent_mac1)
		return false;
	ok = wg_crypto_xaead_decrypt(value, src + COOKIE_ENCRYPTED, noise_encrypted_len(COOKIE_LEN),
				     cookie->last_mac1_sent, COOKIE_LEN, src + COOKIE_NONCE,
				     cookie->cookie_decryption_key);
	if (ok) {
		memcpy(cookie->cookie, value, COOKIE_LEN);
		cookie->birthdate = now;
		cookie->is_valid = true;
		cookie->have_sent_mac1 = false;
	}
	wg_crypto_wipe(value, sizeof(value));
	return ok;
}
