/* SPDX-License-Identifier: MIT */
/*
 * The gossip's cryptography (private to swim/): key derivation, the pairwise
 * AEAD, mac1, signatures. Everything is libsodium; this file only fixes the
 * labels and the order of the inputs (docs/protocol-swim.md, "Keys").
 */
#ifndef MG_SWIM_CRYPTO_H
#define MG_SWIM_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { SWC_KEY = 32, SWC_SALT = 16, SWC_MAC = 16, SWC_TAG = 16 };

/* Ed25519 public key -> X25519 public key. 0, or -1 if not a valid point. */
int swc_ed_to_x(const uint8_t ed[32], uint8_t x[32]);

/* X25519; -1 if the result is all zero (low-order peer key). */
int swc_dh(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32]);
/* Ephemeral key pair from 32 random bytes (sk is clamped by X25519 itself). */
void swc_ephemeral_pub(uint8_t pub[32], const uint8_t sk[32]);

/*
 * Pair master key M = BLAKE2b(key = X25519(own, peer), "meshguard swim v1 pair" || lo || hi)
 * where lo/hi are the two Ed25519 identities in memcmp order, so both sides
 * derive the same M. 0 or -1.
 */
int swc_pair_master(uint8_t m[32], const uint8_t own_xsk[32], const uint8_t own_ed[32],
		    const uint8_t peer_x[32], const uint8_t peer_ed[32]);

/* Direction key and pair id for src -> dst, bound to both boot salts. */
void swc_direction(const uint8_t m[32], const uint8_t src_ed[32], const uint8_t src_salt[16],
		   const uint8_t dst_ed[32], const uint8_t dst_salt[16], uint8_t key[32],
		   uint64_t *pair_id);

/* Handshake keys: k_id hides the sender identity; k_init protects the payload. */
void swc_init_id_key(uint8_t k[32], const uint8_t es[32], const uint8_t e_pub[32],
		     const uint8_t dst_ed[32]);
void swc_init_payload_key(uint8_t k[32], const uint8_t m[32], const uint8_t es[32],
			  const uint8_t e_pub[32], const uint8_t src_ed[32],
			  const uint8_t dst_ed[32]);

/* mac1: keyed BLAKE2b-128 with key = BLAKE2b("meshguard swim v1 mac1" || receiver Ed25519). */
void swc_mac1_key(uint8_t key[32], const uint8_t ed[32]);
void swc_mac1(uint8_t out[16], const uint8_t key[32], const uint8_t *msg, size_t len);

/* ChaCha20-Poly1305 (IETF) with nonce = 0^4 || LE64(ctr). out gets len + 16 bytes. */
void swc_seal(uint8_t *out, const uint8_t *pt, size_t len, const uint8_t *ad, size_t adlen,
	      uint64_t ctr, const uint8_t key[32]);
int swc_open(uint8_t *out, const uint8_t *ct, size_t ctlen, const uint8_t *ad, size_t adlen,
	     uint64_t ctr, const uint8_t key[32]);

/* Ed25519 over ctx || msg. */
void swc_sign(uint8_t sig[64], const char *ctx, const uint8_t *msg, size_t len,
	      const uint8_t sk[64]);
bool swc_verify(const uint8_t sig[64], const char *ctx, const uint8_t *msg, size_t len,
		const uint8_t pk[32]);

/* 8-byte id and 64-bit hash helpers (BLAKE2b). */
void swc_hash32(uint8_t out[32], const uint8_t *msg, size_t len);
uint64_t swc_hash64(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/*
 * Simulation only (bench/swim-sim): memoize the deterministic public-key
 * operations (Ed25519->X25519, pair master keys, signature verifications)
 * in process-wide tables, so that N in-process nodes do not each redo the
 * same work. A memo returns exactly what the operation would: nothing that
 * is checked is skipped. Not thread-safe; never enabled by the daemon.
 */
void swc_memo_enable(bool on);
void swc_memo_stats(uint64_t *hits, uint64_t *misses);

#endif
