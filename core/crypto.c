/* SPDX-License-Identifier: MIT */
/*
 * WireGuard's primitives over libsodium (X25519, ChaCha20-Poly1305,
 * XChaCha20-Poly1305, SipHash, RNG, wiping) and libb2 (BLAKE2s). HMAC and
 * HKDF are written here because neither library offers them over BLAKE2s;
 * tests/core/test_crypto.c checks them against published vectors and
 * Python's hashlib.
 */
#include "crypto.h"

#include <blake2.h>
#include <sodium.h>
#include <string.h>

#include "bytes.h"

_Static_assert((int)WG_HASH_LEN == (int)BLAKE2S_OUTBYTES, "BLAKE2s-256");
_Static_assert((int)WG_BLAKE2S_BLOCK_LEN == (int)BLAKE2S_BLOCKBYTES, "BLAKE2s block");
_Static_assert(WG_AEAD_TAG_LEN == crypto_aead_chacha20poly1305_ietf_ABYTES, "tag");
_Static_assert(WG_XAEAD_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "xnonce");
_Static_assert(WG_SHORTHASH_KEY_LEN == crypto_shorthash_siphash24_KEYBYTES, "siphash key");

bool wg_crypto_init(void)
{
	return sodium_init() >= 0;
}

void wg_crypto_hash2(uint8_t out[WG_HASH_LEN], const void *a, size_t alen, const void *b,
		     size_t blen)
{
	blake2s_state s;

	blake2s_init(&s, WG_HASH_LEN);
	blake2s_update(&s, a, alen);
	blake2s_update(&s, b, blen);
	blake2s_final(&s, out, WG_HASH_LEN);
	sodium_memzero(&s, sizeof(s));
}

void wg_crypto_mac(uint8_t out[WG_MAC_LEN], const uint8_t *key, size_t keylen, const void *in,
		   size_t inlen)
{
	blake2s_state s;

	blake2s_init_key(&s, WG_MAC_LEN, key, keylen);
	blake2s_update(&s, in, inlen);
	blake2s_final(&s, out, WG_MAC_LEN);
	sodium_memzero(&s, sizeof(s));
}

void wg_crypto_hmac(uint8_t out[WG_HASH_LEN], const uint8_t *key, size_t keylen, const void *in,
		    size_t inlen)
{
	uint8_t pad[WG_BLAKE2S_BLOCK_LEN] = { 0 };
	uint8_t inner[WG_HASH_LEN];
	size_t i;

	/* A key longer than one block is hashed first (RFC 2104). */
	if (keylen > WG_BLAKE2S_BLOCK_LEN)
		wg_crypto_hash2(pad, key, keylen, NULL, 0);
	else
		memcpy(pad, key, keylen);

	for (i = 0; i < sizeof(pad); ++i)
		pad[i] ^= 0x36;
	wg_crypto_hash2(inner, pad, sizeof(pad), in, inlen);

	for (i = 0; i < sizeof(pad); ++i)
		pad[i] ^= 0x36 ^ 0x5c;
	wg_crypto_hash2(out, pad, sizeof(pad), inner, sizeof(inner));

	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}

void wg_crypto_kdf(uint8_t *t1, uint8_t *t2, uint8_t *t3, const uint8_t *key, size_t keylen,
		   const void *in, size_t inlen)
{
	uint8_t secret[WG_HASH_LEN];
	uint8_t block[WG_HASH_LEN + 1];

	/* Extract: secret = HMAC(key, in) */
	wg_crypto_hmac(secret, key, keylen, in, inlen);

	/* Expand: t1 = HMAC(secret, 0x1) */
	block[0] = 1;
	wg_crypto_hmac(block, secret, sizeof(secret), block, 1);
	memcpy(t1, block, WG_HASH_LEN);
	if (!t2)
		goto out;

	/* t2 = HMAC(secret, t1 || 0x2) */
	block[WG_HASH_LEN] = 2;
	wg_crypto_hmac(block, secret, sizeof(secret), block, sizeof(block));
	memcpy(t2, block, WG_HASH_LEN);
	if (!t3)
		goto out;

	/* t3 = HMAC(secret, t2 || 0x3) */
	block[WG_HASH_LEN] = 3;
	wg_crypto_hmac(block, secret, sizeof(secret), block, sizeof(block));
	memcpy(t3, block, WG_HASH_LEN);

out:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(block, sizeof(block));
}

void wg_crypto_clamp(uint8_t key[WG_DH_LEN])
{
	key[0] &= 248;
	key[31] = (uint8_t)((key[31] & 127) | 64);
}

bool wg_crypto_dh_public(uint8_t pub[WG_DH_LEN], const uint8_t priv[WG_DH_LEN])
{
	return crypto_scalarmult_curve25519_base(pub, priv) == 0;
}

bool wg_crypto_dh(uint8_t out[WG_DH_LEN], const uint8_t priv[WG_DH_LEN],
		  const uint8_t pub[WG_DH_LEN])
{
	/* libsodium refuses (returns -1) when the shared point is all zero. */
	if (crypto_scalarmult_curve25519(out, priv, pub) != 0) {
		sodium_memzero(out, WG_DH_LEN);
		return false;
	}
	return true;
}

static void aead_nonce(uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES], uint64_t counter)
{
	/* 32 bits of zeros followed by the 64-bit little-endian counter */
	memset(nonce, 0, 4);
	mg_store_le64(nonce + 4, counter);
}

void wg_crypto_aead_encrypt(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
			    size_t adlen, uint64_t counter, const uint8_t key[WG_AEAD_KEY_LEN])
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

	aead_nonce(nonce, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(dst, dst + len, NULL, src, len, ad,
							   adlen, NULL, nonce, key);
}

bool wg_crypto_aead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
			    size_t adlen, uint64_t counter, const uint8_t key[WG_AEAD_KEY_LEN])
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	uint8_t empty;

	if (srclen < WG_AEAD_TAG_LEN)
		return false;
	aead_nonce(nonce, counter);
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		       dst ? dst : &empty, NULL, src, srclen - WG_AEAD_TAG_LEN,
		       src + srclen - WG_AEAD_TAG_LEN, ad, adlen, nonce, key) == 0;
}

void wg_crypto_xaead_encrypt(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *ad,
			     size_t adlen, const uint8_t nonce[WG_XAEAD_NONCE_LEN],
			     const uint8_t key[WG_AEAD_KEY_LEN])
{
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(dst, dst + len, NULL, src, len, ad,
							    adlen, NULL, nonce, key);
}

bool wg_crypto_xaead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen, const uint8_t *ad,
			     size_t adlen, const uint8_t nonce[WG_XAEAD_NONCE_LEN],
			     const uint8_t key[WG_AEAD_KEY_LEN])
{
	if (srclen < WG_AEAD_TAG_LEN)
		return false;
	return crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
		       dst, NULL, src, srclen - WG_AEAD_TAG_LEN, src + srclen - WG_AEAD_TAG_LEN, ad,
		       adlen, nonce, key) == 0;
}

uint64_t wg_crypto_shorthash(const uint8_t key[WG_SHORTHASH_KEY_LEN], const void *in, size_t len)
{
	uint8_t out[crypto_shorthash_siphash24_BYTES];

	crypto_shorthash_siphash24(out, in, len, key);
	return mg_load_le64(out);
}

void wg_crypto_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	randombytes_buf(buf, len);
}

void wg_crypto_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

bool wg_crypto_equal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

bool wg_crypto_is_zero(const void *p, size_t len)
{
	return sodium_is_zero(p, len) == 1;
}
