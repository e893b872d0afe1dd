/* SPDX-License-Identifier: MIT */
/*
 * The cryptographic primitives of WireGuard (whitepaper §5.4), named after
 * the whitepaper's functions. This file and crypto.c are the only users of
 * libsodium and libb2 in core/; everything else calls these.
 *
 *   HASH(in)          BLAKE2s-256                       (libb2)
 *   MAC(key, in)      keyed BLAKE2s-128                 (libb2)
 *   HMAC(key, in)     HMAC-BLAKE2s-256, RFC 2104        (here, over libb2)
 *   KDFn(key, in)     HKDF with HMAC-BLAKE2s, n = 1..3  (here)
 *   DH, DH-GENERATE   X25519                            (libsodium)
 *   AEAD              ChaCha20-Poly1305 IETF, nonce = 32 zero bits || le64 counter (libsodium)
 *   XAEAD             XChaCha20-Poly1305, 24-byte nonce (libsodium)
 */
#ifndef MG_CORE_CRYPTO_H
#define MG_CORE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum crypto_lengths {
	WG_HASH_LEN = 32,
	WG_MAC_LEN = 16,
	WG_DH_LEN = 32,
	WG_AEAD_KEY_LEN = 32,
	WG_AEAD_TAG_LEN = 16,
	WG_XAEAD_NONCE_LEN = 24,
	WG_SHORTHASH_KEY_LEN = 16,
	WG_BLAKE2S_BLOCK_LEN = 64,
};

/* Initializes libsodium once; false if it cannot be used. */
bool wg_crypto_init(void);

/* out = HASH(a || b); either part may be empty. */
void wg_crypto_hash2(uint8_t out[WG_HASH_LEN], const void *a, size_t alen, const void *b,
		     size_t blen);
/* out = MAC(key, in): keyed BLAKE2s with a 16-byte output. */
void wg_crypto_mac(uint8_t out[WG_MAC_LEN], const uint8_t *key, size_t keylen, const void *in,
		   size_t inlen);
/* out = HMAC(key, in) with BLAKE2s-256 as the hash (block size 64). */
void wg_crypto_hmac(uint8_t out[WG_HASH_LEN], const uint8_t *key, size_t keylen, const void *in,
		    size_t inlen);
/*
 * (t1, t2, t3) = KDF(key, in): HKDF-Extract with HMAC, then Expand. t2 and t3
 * may be NULL for KDF1/KDF2. Outputs may alias `key` (the chaining key is
 * usually replaced by t1).
 */
void wg_crypto_kdf(uint8_t *t1, uint8_t *t2, uint8_t *t3, const uint8_t *key, size_t keylen,
		   const void *in, size_t inlen);

/* X25519 clamp of a private key, in place. */
void wg_crypto_clamp(uint8_t key[WG_DH_LEN]);
/* pub = DH-PUBKEY(priv). False for a degenerate key. */
bool wg_crypto_dh_public(uint8_t pub[WG_DH_LEN], const uint8_t priv[WG_DH_LEN]);
/* out = DH(priv, pub). False if the result is the all-zero point (small-order input). */
bool wg_crypto_dh(uint8_t out[WG_DH_LEN], const uint8_t priv[WG_DH_LEN],
		  const uint8_t pub[WG_DH_LEN]);

/* dst (len + 16 bytes) = AEAD(key, counter, src, ad). dst may equal src. */
void wg_crypto_aead_encrypt(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
			    size_t adlen, uint64_t counter, const uint8_t key[WG_AEAD_KEY_LEN]);
/* dst (srclen - 16 bytes) = open src (ciphertext||tag). dst may equal src or be NULL when empty. */
bool wg_crypto_aead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
			    size_t adlen, uint64_t counter, const uint8_t key[WG_AEAD_KEY_LEN]);
void wg_crypto_xaead_encrypt(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
			     size_t adlen, const uint8_t nonce[WG_XAEAD_NONCE_LEN],
			     const uint8_t key[WG_AEAD_KEY_LEN]);
bool wg_crypto_xaead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
			     size_t adlen, const uint8_t nonce[WG_XAEAD_NONCE_LEN],
			     const uint8_t key[WG_AEAD_KEY_LEN]);

/* SipHash-2-4 for hash tables whose keys an attacker may influence. */
uint64_t wg_crypto_shorthash(const uint8_t key[WG_SHORTHASH_KEY_LEN], const void *in, size_t len);

/* The OS CSPRNG (the default for wg_engine_ops.random). */
void wg_crypto_random(void *ctx, void *buf, size_t len);

/* Secret hygiene. */
void wg_crypto_wipe(void *p, size_t len);
bool wg_crypto_equal(const void *a, const void *b, size_t len); /* constant time */
bool wg_crypto_is_zero(const void *p, size_t len);              /* constant time */

#endif
