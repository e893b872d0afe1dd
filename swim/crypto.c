/* SPDX-License-Identifier: MIT */
/* Key derivation, AEAD, mac1 and signatures for the gossip (libsodium). */
#include "crypto.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

static const char LBL_PAIR[] = "meshguard swim v1 pair";
static const char LBL_KEY[] = "meshguard swim v1 key";
static const char LBL_ID[] = "meshguard swim v1 id";
static const char LBL_INIT_ID[] = "meshguard swim v1 init id";
static const char LBL_INIT[] = "meshguard swim v1 init";
static const char LBL_MAC1[] = "meshguard swim v1 mac1";

/* ---- Simulation memo: open-addressing table of 32-byte digests -> 32-byte values. */

struct memo_slot {
	uint8_t key[32];
	uint8_t val[32];
	uint8_t used;
};

struct memo {
	struct memo_slot *slots;
	size_t cap, count;
};

static bool memo_on;
static struct memo memo_x, memo_pair, memo_sig;
static uint64_t memo_hits, memo_misses;

void swc_memo_enable(bool on)
{
	memo_on = on;
}

void swc_memo_stats(uint64_t *hits, uint64_t *misses)
{
	*hits = memo_hits;
	*misses = memo_misses;
}

static struct memo_slot *memo_find(struct memo *t, const uint8_t key[32])
{
	if (!t->cap)
		return NULL;
	for (size_t i = mg_load_le64(key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!t->slots[i].used)
			return NULL;
		if (memcmp(t->slots[i].key, key, 32) == 0)
			return &t->slots[i];
	}
}

static void memo_put(struct memo *t, const uint8_t key[32], const uint8_t val[32])
{
	if ((t->count + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 1024;
		struct memo_slot *ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return; /* memo is an optimization only */
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slots[i].used)
				continue;
			size_t j = mg_load_le64(t->slots[i].key) & (ncap - 1);
			while (ns[j].used)
				j = (j + 1) & (ncap - 1);
			ns[j] = t->slots[i];
		}
		free(t->slots);
		t->slots = ns;
		t->cap = ncap;
	}
	size_t i = mg_load_le64(key) & (t->cap - 1);
	while (t->slots[i].used)
		i = (i + 1) & (t->cap - 1);
	memcpy(t->slots[i].key, key, 32);
	memcpy(t->slots[i].val, val, 32);
	t->slots[i].used = 1;
	t->count++;
}

/* ---- Hash helpers. */

void swc_hash32(uint8_t out[32], const uint8_t *msg, size_t len)
{
	crypto_generichash(out, 32, msg, len, NULL, 0);
}

uint64_t swc_hash64(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	crypto_generichash_state st;
	uint8_t h[8];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, a, alen);
	if (blen)
		crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, h, sizeof(h));
	return mg_load_le64(h);
}

/* BLAKE2b-256(key, label || parts...) */
static void kdf(uint8_t *out, const uint8_t *key, size_t keylen, const char *label,
		const uint8_t *const *parts, const size_t *lens, size_t n, size_t outlen)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, key, keylen, outlen);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	for (size_t i = 0; i < n; i++)
		crypto_generichash_update(&st, parts[i], lens[i]);
	crypto_generichash_final(&st, out, outlen);
	sodium_memzero(&st, sizeof(st));
}

/* ---- Public-key operations. */

int swc_ed_to_x(const uint8_t ed[32], uint8_t x[32])
{
	uint8_t mk[32];
	struct memo_slot *hit;

	if (memo_on) {
		swc_hash32(mk, ed, 32);
		if ((hit = memo_find(&memo_x, mk))) {
			memo_hits++;
			memcpy(x, hit->val, 32);
			return sodium_is_zero(x, 32) ? -1 : 0;
		}
		memo_misses++;
	}
	int rc = crypto_sign_ed25519_pk_to_curve25519(x, ed);
	if (rc != 0)
		memset(x, 0, 32);
	if (memo_on)
		memo_put(&memo_x, mk, x);
	return rc == 0 ? 0 : -1;
}

int swc_dh(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32])
{
	return crypto_scalarmult(out, sk, pk) == 0 ? 0 : -1;
}

void swc_ephemeral_pub(uint8_t pub[32], const uint8_t sk[32])
{
	crypto_scalarmult_base(pub, sk);
}

int swc_pair_master(uint8_t m[32], const uint8_t own_xsk[32], const uint8_t own_ed[32],
		    const uint8_t peer_x[32], const uint8_t peer_ed[32])
{
	const uint8_t *lo = own_ed, *hi = peer_ed;
	uint8_t dh[32], mk[32];
	struct memo_slot *hit;
	int rc = 0;

	if (memcmp(lo, hi, 32) > 0)
		lo = peer_ed, hi = own_ed;
	if (memo_on) {
		/* Both ends of a pair compute the same M; the memo key is the unordered pair. */
		uint8_t both[64];
		memcpy(both, lo, 32);
		memcpy(both + 32, hi, 32);
		swc_hash32(mk, both, 64);
		if ((hit = memo_find(&memo_pair, mk))) {
			memo_hits++;
			memcpy(m, hit->val, 32);
			return 0;
		}
		memo_misses++;
	}
	if (swc_dh(dh, own_xsk, peer_x) < 0) {
		rc = -1;
	} else {
		const uint8_t *parts[] = { lo, hi };
		const size_t lens[] = { 32, 32 };
		kdf(m, dh, 32, LBL_PAIR, parts, lens, 2, 32);
		if (memo_on)
			memo_put(&memo_pair, mk, m);
	}
	sodium_memzero(dh, sizeof(dh));
	return rc;
}

void swc_direction(const uint8_t m[32], const uint8_t src_ed[32], const uint8_t src_salt[16],
		   const uint8_t dst_ed[32], const uint8_t dst_salt[16], uint8_t key[32],
		   uint64_t *pair_id)
{
	const uint8_t *parts[] = { src_ed, src_salt, dst_ed, dst_salt };
	const size_t lens[] = { 32, 16, 32, 16 };
	uint8_t id[8];

	kdf(key, m, 32, LBL_KEY, parts, lens, 4, 32);
	kdf(id, m, 32, LBL_ID, parts, lens, 4, 8);
	*pair_id = mg_load_le64(id);
}

void swc_init_id_key(uint8_t k[32], const uint8_t es[32], const uint8_t e_pub[32],
		     const uint8_t dst_ed[32])
{
	const uint8_t *parts[] = { e_pub, dst_ed };
	const size_t lens[] = { 32, 32 };
	kdf(k, es, 32, LBL_INIT_ID, parts, lens, 2, 32);
}

void swc_init_payload_key(uint8_t k[32], const uint8_t m[32], const uint8_t es[32],
			  const uint8_t e_pub[32], const uint8_t src_ed[32],
			  const uint8_t dst_ed[32])
{
	const uint8_t *parts[] = { es, e_pub, src_ed, dst_ed };
	const size_t lens[] = { 32, 32, 32, 32 };
	kdf(k, m, 32, LBL_INIT, parts, lens, 4, 32);
}

void swc_mac1_key(uint8_t key[32], const uint8_t ed[32])
{
	const uint8_t *parts[] = { ed };
	const size_t lens[] = { 32 };
	kdf(key, NULL, 0, LBL_MAC1, parts, lens, 1, 32);
}

void swc_mac1(uint8_t out[16], const uint8_t key[32], const uint8_t *msg, size_t len)
{
	crypto_generichash(out, 16, msg, len, key, 32);
}

/* ---- AEAD. */

static void nonce_of(uint8_t n[12], uint64_t ctr)
{
	memset(n, 0, 4);
	mg_store_le64(n + 4, ctr);
}

void swc_seal(uint8_t *out, const uint8_t *pt, size_t len, const uint8_t *ad, size_t adlen,
	      uint64_t ctr, const uint8_t key[32])
{
	uint8_t n[12];
	nonce_of(n, ctr);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, len, ad, adlen, NULL, n, key);
}

int swc_open(uint8_t *out, const uint8_t *ct, size_t ctlen, const uint8_t *ad, size_t adlen,
	     uint64_t ctr, const uint8_t key[32])
{
	uint8_t n[12];
	if (ctlen < SWC_TAG)
		return -1;
	nonce_of(n, ctr);
	return crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, ctlen, ad, adlen, n,
							 key) == 0
		       ? 0
		       : -1;
}

/* ---- Signatures over ctx || msg. */

enum { SIGNED_MAX = 2048 + 64 };

void swc_sign(uint8_t sig[64], const char *ctx, const uint8_t *msg, size_t len,
	      const uint8_t sk[64])
{
	uint8_t buf[SIGNED_MAX];
	size_t cl = strlen(ctx);

	if (cl + len > sizeof(buf)) { /* callers never get here: records are bounded */
		memset(sig, 0, 64);
		return;
	}
	memcpy(buf, ctx, cl);
	memcpy(buf + cl, msg, len);
	crypto_sign_detached(sig, NULL, buf, cl + len, sk);
}

bool swc_verify(const uint8_t sig[64], const char *ctx, const uint8_t *msg, size_t len,
		const uint8_t pk[32])
{
	uint8_t buf[SIGNED_MAX], mk[32], ok[32] = { 0 };
	size_t cl = strlen(ctx);
	struct memo_slot *hit;
	bool good;

	if (cl + len > sizeof(buf))
		return false;
	memcpy(buf, ctx, cl);
	memcpy(buf + cl, msg, len);
	if (memo_on) {
		crypto_generichash_state st;
		crypto_generichash_init(&st, NULL, 0, 32);
		crypto_generichash_update(&st, buf, cl + len);
		crypto_generichash_update(&st, sig, 64);
		crypto_generichash_update(&st, pk, 32);
		crypto_generichash_final(&st, mk, 32);
		if ((hit = memo_find(&memo_sig, mk))) {
			memo_hits++;
			return hit->val[0] == 1;
		}
		memo_misses++;
	}
	good = crypto_sign_verify_detached(sig, buf, cl + len, pk) == 0;
	if (memo_on) {
		ok[0] = good ? 1 : 2;
		memo_put(&memo_sig, mk, ok);
	}
	return good;
}
