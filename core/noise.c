/* SPDX-License-Identifier: MIT */
/*
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s, as WireGuard uses it:
 *
 *   <- s
 *   ******
 *   -> e, es, s, ss, {t}
 *   <- e, ee, se, psk, {}
 *
 * Notation follows the whitepaper: C is the chaining key, H the hash, k the
 * temporary key. Every step below is labelled with its token. Stack copies
 * of C, H and k are wiped on every exit path.
 */
#include "noise.h"

#include <string.h>

#include "bytes.h"
#include "crypto.h"

static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

/* C = HASH(construction); H = HASH(C || identifier); H = HASH(H || S_pub_responder) */
static void handshake_start(uint8_t ck[NOISE_HASH_LEN], uint8_t h[NOISE_HASH_LEN],
			    const uint8_t responder_static[NOISE_PUBLIC_KEY_LEN])
{
	wg_crypto_hash2(ck, construction, sizeof(construction) - 1, NULL, 0);
	wg_crypto_hash2(h, ck, NOISE_HASH_LEN, identifier, sizeof(identifier) - 1);
	wg_crypto_hash2(h, h, NOISE_HASH_LEN, responder_static, NOISE_PUBLIC_KEY_LEN);
}

static void mix_hash(uint8_t h[NOISE_HASH_LEN], const uint8_t *in, size_t len)
{
	wg_crypto_hash2(h, h, NOISE_HASH_LEN, in, len);
}

/* (C, k) = KDF2(C, DH(priv, pub)); k may be NULL (KDF1). */
static bool mix_dh(uint8_t ck[NOISE_HASH_LEN], uint8_t *k, const uint8_t priv[NOISE_PUBLIC_KEY_LEN],
		   const uint8_t pub[NOISE_PUBLIC_KEY_LEN])
{
	uint8_t dh[NOISE_PUBLIC_KEY_LEN];
	bool ok = wg_crypto_dh(dh, priv, pub);

	if (ok)
		wg_crypto_kdf(ck, k, NULL, ck, NOISE_HASH_LEN, dh, sizeof(dh));
	wg_crypto_wipe(dh, sizeof(dh));
	return ok;
}

/* Same with the precomputed static-static DH; all zero means "none". */
static bool mix_precomputed_dh(uint8_t ck[NOISE_HASH_LEN], uint8_t k[NOISE_SYMMETRIC_KEY_LEN],
			       const uint8_t dh[NOISE_PUBLIC_KEY_LEN])
{
	if (wg_crypto_is_zero(dh, NOISE_PUBLIC_KEY_LEN))
		return false;
	wg_crypto_kdf(ck, k, NULL, ck, NOISE_HASH_LEN, dh, NOISE_PUBLIC_KEY_LEN);
	return true;
}

/* (C, τ, k) = KDF3(C, Q); H = HASH(H || τ) */
static void mix_psk(uint8_t ck[NOISE_HASH_LEN], uint8_t h[NOISE_HASH_LEN],
		    uint8_t k[NOISE_SYMMETRIC_KEY_LEN], const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN])
{
	uint8_t tau[NOISE_HASH_LEN];

	wg_crypto_kdf(ck, tau, k, ck, NOISE_HASH_LEN, psk, NOISE_SYMMETRIC_KEY_LEN);
	mix_hash(h, tau, sizeof(tau));
	wg_crypto_wipe(tau, sizeof(tau));
}

/* H = HASH(H || e); C = KDF1(C, e) */
static void mix_ephemeral(uint8_t ck[NOISE_HASH_LEN], uint8_t h[NOISE_HASH_LEN],
			  const uint8_t e[NOISE_PUBLIC_KEY_LEN])
{
	mix_hash(h, e, NOISE_PUBLIC_KEY_LEN);
	wg_crypto_kdf(ck, NULL, NULL, ck, NOISE_HASH_LEN, e, NOISE_PUBLIC_KEY_LEN);
}

/* dst = AEAD(k, 0, src, H); H = HASH(H || dst). The nonce is always 0 in Noise_IK. */
static void encrypt_and_hash(uint8_t *dst, const uint8_t *src, size_t len,
			     const uint8_t k[NOISE_SYMMETRIC_KEY_LEN], uint8_t h[NOISE_HASH_LEN])
{
	wg_crypto_aead_encrypt(dst, src, len, h, NOISE_HASH_LEN, 0, k);
	mix_hash(h, dst, noise_encrypted_len(len));
}

static bool decrypt_and_hash(uint8_t *dst, const uint8_t *src, size_t enc_len,
			     const uint8_t k[NOISE_SYMMETRIC_KEY_LEN], uint8_t h[NOISE_HASH_LEN])
{
	if (!wg_crypto_aead_decrypt(dst, src, enc_len, h, NOISE_HASH_LEN, 0, k))
		return false;
	mix_hash(h, src, enc_len);
	return true;
}

/* A fresh ephemeral from the caller's RNG; X25519 clamps on use. */
static bool generate_ephemeral(uint8_t priv[NOISE_PUBLIC_KEY_LEN], uint8_t pub[NOISE_PUBLIC_KEY_LEN],
			       const struct noise_rng *rng)
{
	rng->fn(rng->ctx, priv, NOISE_PUBLIC_KEY_LEN);
	wg_crypto_clamp(priv);
	return wg_crypto_dh_public(pub, priv);
}

/* ---- Identity and handshake state --------------------------------------- */

void noise_local_set_private(struct noise_local *local, const uint8_t key[NOISE_PUBLIC_KEY_LEN])
{
	memcpy(local->private_key, key, NOISE_PUBLIC_KEY_LEN);
	wg_crypto_clamp(local->private_key);
	local->has_identity = wg_crypto_dh_public(local->public_key, local->private_key);
}

void noise_local_clear(struct noise_local *local)
{
	wg_crypto_wipe(local, sizeof(*local));
}

void noise_handshake_init(struct noise_handshake *hs, struct wg_peer *peer,
			  const uint8_t remote_static[NOISE_PUBLIC_KEY_LEN])
{
	memset(hs, 0, sizeof(*hs));
	hs->entry.type = INDEX_HANDSHAKE;
	hs->entry.peer = peer;
	memcpy(hs->remote_static, remote_static, NOISE_PUBLIC_KEY_LEN);
	hs->state = HANDSHAKE_ZEROED;
}

void noise_handshake_precompute(struct noise_handshake *hs, const struct noise_local *local)
{
	if (!local->has_identity ||
	    !wg_crypto_dh(hs->precomputed_static_static, local->private_key, hs->remote_static))
		wg_crypto_wipe(hs->precomputed_static_static, NOISE_PUBLIC_KEY_LEN);
}

static void handshake_zero(struct noise_handshake *hs)
{
	wg_crypto_wipe(hs->ephemeral_private, sizeof(hs->ephemeral_private));
	wg_crypto_wipe(hs->remote_ephemeral, sizeof(hs->remote_ephemeral));
	wg_crypto_wipe(hs->hash, sizeof(hs->hash));
	wg_crypto_wipe(hs->chaining_key, sizeof(hs->chaining_key));
	hs->remote_index = 0;
	hs->state = HANDSHAKE_ZEROED;
}

void noise_handshake_clear(struct noise_handshake *hs, struct index_table *idx)
{
	index_table_remove(idx, &hs->entry);
	handshake_zero(hs);
}

void noise_tai64n(uint8_t out[NOISE_TIMESTAMP_LEN], int64_t sec, long nsec)
{
	/*
	 * Like the kernel, round the nanoseconds down to a power of two no finer
	 * than the initiation rate limit: the precise clock is nobody's business.
	 */
	const uint32_t grain = 1u << 24; /* 2^24 ns <= 1e9 / INITIATIONS_PER_SECOND */

	_Static_assert((1u << 24) <= 1000000000u / INITIATIONS_PER_SECOND, "whitening grain");
	mg_store_be64(out, UINT64_C(0x400000000000000a) + (uint64_t)sec);
	mg_store_be32(out + 8, (uint32_t)nsec & ~(grain - 1));
}

/* ---- -> e, es, s, ss, {t} ------------------------------------------------ */

bool noise_handshake_create_initiation(uint8_t dst[INIT_LEN], struct noise_handshake *hs,
				       const struct noise_local *local, struct index_table *idx,
				       const struct noise_rng *rng,
				       const uint8_t timestamp[NOISE_TIMESTAMP_LEN])
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	bool ret = false;

	if (!local->has_identity)
		goto out;

	mg_store_le32(dst + MSG_TYPE, MESSAGE_HANDSHAKE_INITIATION);
	handshake_start(hs->chaining_key, hs->hash, hs->remote_static);

	/* e */
	if (!generate_ephemeral(hs->ephemeral_private, dst + INIT_EPHEMERAL, rng))
		goto out;
	mix_ephemeral(hs->chaining_key, hs->hash, dst + INIT_EPHEMERAL);

	/* es */
	if (!mix_dh(hs->chaining_key, key, hs->ephemeral_private, hs->remote_static))
		goto out;

	/* s */
	encrypt_and_hash(dst + INIT_STATIC, local->public_key, NOISE_PUBLIC_KEY_LEN, key, hs->hash);

	/* ss */
	if (!mix_precomputed_dh(hs->chaining_key, key, hs->precomputed_static_static))
		goto out;

	/* {t} */
	encrypt_and_hash(dst + INIT_TIMESTAMP, timestamp, NOISE_TIMESTAMP_LEN, key, hs->hash);

	index_table_insert(idx, &hs->entry, rng->fn, rng->ctx);
	mg_store_le32(dst + INIT_SENDER, hs->entry.index);
	hs->state = HANDSHAKE_CREATED_INITIATION;
	ret = true;

out:
	if (!ret)
		handshake_zero(hs);
	wg_crypto_wipe(key, sizeof(key));
	return ret;
}

bool noise_consume_initiation_static(struct noise_initiation_scratch *st, const uint8_t src[INIT_LEN],
				     const struct noise_local *local)
{
	if (!local->has_identity)
		goto fail;
	handshake_start(st->chaining_key, st->hash, local->public_key);

	/* e */
	memcpy(st->e, src + INIT_EPHEMERAL, NOISE_PUBLIC_KEY_LEN);
	mix_ephemeral(st->chaining_key, st->hash, st->e);

	/* es */
	if (!mix_dh(st->chaining_key, st->key, local->private_key, st->e))
		goto fail;

	/* s */
	if (!decrypt_and_hash(st->s, src + INIT_STATIC, noise_encrypted_len(NOISE_PUBLIC_KEY_LEN),
			      st->key, st->hash))
		goto fail;
	return true;

fail:
	wg_crypto_wipe(st, sizeof(*st));
	return false;
}

enum noise_verdict noise_consume_initiation_finish(struct noise_initiation_scratch *st,
						   const uint8_t src[INIT_LEN],
						   struct noise_handshake *hs, uint64_t now,
						   uint64_t min_interval_ns)
{
	enum noise_verdict ret = NOISE_INVALID;
	uint8_t t[NOISE_TIMESTAMP_LEN];
	bool replay, flood;

	/* ss */
	if (!mix_precomputed_dh(st->chaining_key, st->key, hs->precomputed_static_static))
		goto out;

	/* {t} */
	if (!decrypt_and_hash(t, src + INIT_TIMESTAMP, noise_encrypted_len(NOISE_TIMESTAMP_LEN),
			      st->key, st->hash))
		goto out;

	/*
	 * A replayed initiation carries an old timestamp; a flood of fresh ones
	 * from a compromised key is limited to INITIATIONS_PER_SECOND.
	 */
	replay = memcmp(t, hs->latest_timestamp, NOISE_TIMESTAMP_LEN) <= 0;
	flood = hs->has_consumed_initiation && now < hs->last_initiation_consumption + min_interval_ns;
	if (replay || flood) {
		ret = NOISE_REPLAY;
		goto out;
	}

	/* Success: the handshake state now belongs to this initiation. */
	memcpy(hs->remote_ephemeral, st->e, NOISE_PUBLIC_KEY_LEN);
	memcpy(hs->latest_timestamp, t, NOISE_TIMESTAMP_LEN);
	memcpy(hs->hash, st->hash, NOISE_HASH_LEN);
	memcpy(hs->chaining_key, st->chaining_key, NOISE_HASH_LEN);
	hs->remote_index = mg_load_le32(src + INIT_SENDER);
	hs->has_consumed_initiation = true;
	hs->last_initiation_consumption = now;
	hs->state = HANDSHAKE_CONSUMED_INITIATION;
	ret = NOISE_OK;

out:
	wg_crypto_wipe(st, sizeof(*st));
	wg_crypto_wipe(t, sizeof(t));
	return ret;
}

/* ---- <- e, ee, se, psk, {} ----------------------------------------------- */

bool noise_handshake_create_response(uint8_t dst[RESP_LEN], struct noise_handshake *hs,
				     struct index_table *idx, const struct noise_rng *rng)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	bool ret = false;

	if (hs->state != HANDSHAKE_CONSUMED_INITIATION)
		goto out;

	mg_store_le32(dst + MSG_TYPE, MESSAGE_HANDSHAKE_RESPONSE);
	mg_store_le32(dst + RESP_RECEIVER, hs->remote_index);

	/* e */
	if (!generate_ephemeral(hs->ephemeral_private, dst + RESP_EPHEMERAL, rng))
		goto out;
	mix_ephemeral(hs->chaining_key, hs->hash, dst + RESP_EPHEMERAL);

	/* ee */
	if (!mix_dh(hs->chaining_key, NULL, hs->ephemeral_private, hs->remote_ephemeral))
		goto out;

	/* se */
	if (!mix_dh(hs->chaining_key, NULL, hs->ephemeral_private, hs->remote_static))
		goto out;

	/* psk */
	mix_psk(hs->chaining_key, hs->hash, key, hs->preshared_key);

	/* {} */
	encrypt_and_hash(dst + RESP_EMPTY, NULL, 0, key, hs->hash);

	index_table_insert(idx, &hs->entry, rng->fn, rng->ctx);
	mg_store_le32(dst + RESP_SENDER, hs->entry.index);
	hs->state = HANDSHAKE_CREATED_RESPONSE;
	ret = true;

out:
	if (!ret)
		handshake_zero(hs);
	wg_crypto_wipe(key, sizeof(key));
	return ret;
}

bool noise_handshake_consume_response(const uint8_t src[RESP_LEN], struct noise_handshake *hs,
				      const struct noise_local *local)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t hash[NOISE_HASH_LEN];
	uint8_t ck[NOISE_HASH_LEN];
	uint8_t e[NOISE_PUBLIC_KEY_LEN];
	bool ret = false;

	if (!local->has_identity || hs->state != HANDSHAKE_CREATED_INITIATION)
		return false;

	/* Work on copies: a forged response must not damage the state in flight. */
	memcpy(hash, hs->hash, NOISE_HASH_LEN);
	memcpy(ck, hs->chaining_key, NOISE_HASH_LEN);

	/* e */
	memcpy(e, src + RESP_EPHEMERAL, NOISE_PUBLIC_KEY_LEN);
	mix_ephemeral(ck, hash, e);

	/* ee */
	if (!mix_dh(ck, NULL, hs->ephemeral_private, e))
		goto out;

	/* se */
	if (!mix_dh(ck, NULL, local->private_key, e))
		goto out;

	/* psk */
	mix_psk(ck, hash, key, hs->preshared_key);

	/* {} */
	if (!decrypt_and_hash(NULL, src + RESP_EMPTY, noise_encrypted_len(0), key, hash))
		goto out;

	memcpy(hs->remote_ephemeral, e, NOISE_PUBLIC_KEY_LEN);
	memcpy(hs->hash, hash, NOISE_HASH_LEN);
	memcpy(hs->chaining_key, ck, NOISE_HASH_LEN);
	hs->remote_index = mg_load_le32(src + RESP_SENDER);
	hs->state = HANDSHAKE_CONSUMED_RESPONSE;
	ret = true;

out:
	wg_crypto_wipe(key, sizeof(key));
	wg_crypto_wipe(hash, sizeof(hash));
	wg_crypto_wipe(ck, sizeof(ck));
	return ret;
}

/* ---- Keypairs ------------------------------------------------------------ */

void noise_keypairs_init(struct noise_keypairs *kps, struct wg_peer *peer)
{
	memset(kps, 0, sizeof(*kps));
	for (size_t i = 0; i < MG_ARRAY_LEN(kps->slot); ++i) {
		kps->slot[i].entry.type = INDEX_KEYPAIR;
		kps->slot[i].entry.peer = peer;
	}
}

static void keypair_release(struct noise_keypair *kp, struct index_table *idx)
{
	struct wg_peer *peer;

	if (!kp)
		return;
	index_table_remove(idx, &kp->entry);
	peer = kp->entry.peer;
	wg_crypto_wipe(kp, sizeof(*kp));
	kp->entry.type = INDEX_KEYPAIR;
	kp->entry.peer = peer;
}

static struct noise_keypair *keypair_free_slot(struct noise_keypairs *kps)
{
	for (size_t i = 0; i < MG_ARRAY_LEN(kps->slot); ++i) {
		if (!kps->slot[i].in_use)
			return &kps->slot[i];
	}
	return NULL;
}

/*
 * Slot rotation. The initiator has received the response, so the peer holds
 * the keys too: the new keypair becomes current at once. The responder must
 * wait for the first data packet (key confirmation) and parks it in `next`.
 */
static void rotate_for_new(struct noise_keypairs *kps, bool initiator, struct index_table *idx)
{
	if (initiator) {
		if (kps->next) {
			/* An unconfirmed next exists: it becomes previous, current goes. */
			keypair_release(kps->previous, idx);
			keypair_release(kps->current, idx);
			kps->previous = kps->next;
			kps->next = NULL;
		} else {
			keypair_release(kps->previous, idx);
			kps->previous = kps->current;
		}
		kps->current = NULL;
	} else {
		keypair_release(kps->next, idx);
		keypair_release(kps->previous, idx);
		kps->next = NULL;
		kps->previous = NULL;
	}
}

struct noise_keypair *noise_handshake_begin_session(struct noise_handshake *hs,
						    struct noise_keypairs *kps,
						    struct index_table *idx, uint64_t now)
{
	uint8_t t_first[NOISE_SYMMETRIC_KEY_LEN], t_second[NOISE_SYMMETRIC_KEY_LEN];
	struct noise_keypair *kp;
	bool initiator;

	if (hs->state != HANDSHAKE_CREATED_RESPONSE && hs->state != HANDSHAKE_CONSUMED_RESPONSE)
		return NULL;
	initiator = hs->state == HANDSHAKE_CONSUMED_RESPONSE;

	/* (T_i->r, T_r->i) = KDF2(C, ε) */
	wg_crypto_kdf(t_first, t_second, NULL, hs->chaining_key, NOISE_HASH_LEN, NULL, 0);

	rotate_for_new(kps, initiator, idx);
	kp = keypair_free_slot(kps); /* rotation leaves at most one slot in use */
	kp->in_use = true;
	kp->i_am_the_initiator = initiator;
	kp->remote_index = hs->remote_index;
	memcpy(kp->sending.key, initiator ? t_first : t_second, NOISE_SYMMETRIC_KEY_LEN);
	memcpy(kp->receiving.key, initiator ? t_second : t_first, NOISE_SYMMETRIC_KEY_LEN);
	kp->sending.birthdate = kp->receiving.birthdate = now;
	kp->sending.is_valid = kp->receiving.is_valid = true;
	kp->sending_counter = 0;
	replay_counter_init(&kp->receiving_counter);
	if (initiator)
		kps->current = kp;
	else
		kps->next = kp;

	/* Our sender index of the handshake becomes the session's receiver index. */
	index_table_replace(idx, &hs->entry, &kp->entry);
	handshake_zero(hs);

	wg_crypto_wipe(t_first, sizeof(t_first));
	wg_crypto_wipe(t_second, sizeof(t_second));
	return kp;
}

bool noise_received_with_keypair(struct noise_keypairs *kps, struct noise_keypair *kp,
				 struct index_table *idx)
{
	if (kp != kps->next)
		return false;
	/* Confirmed: next -> current -> previous, old previous goes. */
	keypair_release(kps->previous, idx);
	kps->previous = kps->current;
	kps->current = kp;
	kps->next = NULL;
	return true;
}

void noise_keypairs_clear(struct noise_keypairs *kps, struct index_table *idx)
{
	keypair_release(kps->next, idx);
	keypair_release(kps->previous, idx);
	keypair_release(kps->current, idx);
	kps->next = kps->previous = kps->current = NULL;
}

void noise_expire_current_keypairs(struct noise_keypairs *kps)
{
	if (kps->next)
		kps->next->sending.is_valid = false;
	if (kps->current)
		kps->current->sending.is_valid = false;
}
