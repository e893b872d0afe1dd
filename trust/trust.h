/* SPDX-License-Identifier: MIT */
/*
 * trust/: identity keys, mesh addresses, org certificates, org messages and
 * the trust decision. The public header of the module.
 *
 * CONTRACT NOTE (lead): the declarations below are already relied upon by
 * other modules' work in progress (the daemon in cli/ loads the identity and
 * derives the WireGuard key and mesh addresses through them). Keep these
 * exact signatures; add everything else the module needs.
 */
#ifndef MG_TRUST_H
#define MG_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	TRUST_KEY_LEN = 32,      /* Ed25519 public key, X25519 key */
	TRUST_SECRET_LEN = 64,   /* Ed25519 secret key: seed(32) || public key(32) */
	TRUST_ERR_LEN = 256,     /* size of the error buffers below */
};

/* This node's identity, as stored in identity.key / identity.pub. */
struct trust_identity {
	uint8_t secret[TRUST_SECRET_LEN];
	uint8_t public_key[TRUST_KEY_LEN];
};

/*
 * Load <config_dir>/identity.key (and check it against identity.pub).
 * Refuses a key file readable by group or others. Returns 0, or a negative
 * errno with a message for people in `err` (what is wrong and where, and how
 * to fix it; never secret bytes).
 */
int trust_identity_load(const char *config_dir, struct trust_identity *out, char *err,
			size_t errlen);
/* Zero the secret. */
void trust_identity_wipe(struct trust_identity *id);

/*
 * The node's WireGuard static key pair: the Ed25519 -> X25519 conversion of the
 * identity (libsodium's crypto_sign_ed25519_sk_to_curve25519 and
 * crypto_sign_ed25519_pk_to_curve25519), byte-identical to upstream.
 */
void trust_identity_wg_keypair(const struct trust_identity *id, uint8_t wg_private[TRUST_KEY_LEN],
			       uint8_t wg_public[TRUST_KEY_LEN]);
/* X25519 public key of any identity public key; -1 if not a valid Ed25519 point. */
int trust_wg_public_from_identity(const uint8_t identity[TRUST_KEY_LEN],
				  uint8_t wg_public[TRUST_KEY_LEN]);

/* Mesh addresses derived from an identity public key exactly as upstream (BLAKE3). */
void trust_mesh_ipv4(const uint8_t identity[TRUST_KEY_LEN], uint8_t out[4]);
void trust_mesh_ipv6(const uint8_t identity[TRUST_KEY_LEN], uint8_t out[16]);

#endif
