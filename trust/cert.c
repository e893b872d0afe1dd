/* SPDX-License-Identifier: MIT */
/*
 * Node certificates and delegation grants, byte-exact with upstream
 * (upstream-trust-cli.md §5). Wire layout, 314 bytes (v1 means 0..186):
 *
 *   0 version | 1 org(32) | 33 node(32) | 65 name(32) | 97 issued_at(8 LE)
 *   105 expires_at(8 LE) | 113 flags | 114 signature(64) | 178 padding(8)
 *   186 wg(32) | 218 issuer(32) | 250 grant signature(64) | 314
 *
 * Signed bytes (no domain prefix, see docs/trust.md):
 *   v1:    wire[0..114)
 *   v2:    wire[0..114) || wg || issuer
 *   grant: version(2) || org || issuer || expires_at(LE) || flags
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "bytes.h"
#include "internal.h"

enum {
	OFF_VERSION = 0,
	OFF_ORG = 1,
	OFF_NODE = 33,
	OFF_NAME = 65,
	OFF_ISSUED = 97,
	OFF_EXPIRES = 105,
	OFF_FLAGS = 113,
	OFF_SIG = 114,
	OFF_PAD = 178,
	OFF_WG = 186,
	OFF_ISSUER = 218,
	OFF_GRANT_SIG = 250,
	OFF_END = 314,
};

_Static_assert((int)OFF_SIG == (int)TRUST_CERT_SIGNED_V1_LEN, "v1 signs the bytes before the signature");
_Static_assert((int)OFF_PAD + 8 == (int)TRUST_CERT_V1_LEN, "v1 is 186 bytes");
_Static_assert((int)OFF_END == (int)TRUST_CERT_LEN, "v2 is 314 bytes");
_Static_assert(TRUST_CERT_SIGNED_V1_LEN + 2 * TRUST_KEY_LEN == TRUST_CERT_SIGNED_V2_LEN,
	       "v2 signs v1's bytes, the WireGuard key and the issuer");
_Static_assert(1 + 2 * TRUST_KEY_LEN + 8 + 1 == TRUST_GRANT_LEN, "grant layout");

static void encode_head(const struct trust_cert *c, uint8_t out[TRUST_CERT_SIGNED_V1_LEN])
{
	out[OFF_VERSION] = c->version;
	memcpy(out + OFF_ORG, c->org, TRUST_KEY_LEN);
	memcpy(out + OFF_NODE, c->node, TRUST_KEY_LEN);
	memcpy(out + OFF_NAME, c->name, TRUST_NAME_MAX);
	mg_store_le64(out + OFF_ISSUED, (uint64_t)c->issued_at);
	mg_store_le64(out + OFF_EXPIRES, (uint64_t)c->expires_at);
	out[OFF_FLAGS] = c->flags;
}

void trust_cert_encode(const struct trust_cert *c, uint8_t out[TRUST_CERT_LEN])
{
	memset(out, 0, TRUST_CERT_LEN);
	encode_head(c, out);
	memcpy(out + OFF_SIG, c->signature, TRUST_SIG_LEN);
	if (c->version < 2)
		return;
	memcpy(out + OFF_WG, c->wg, TRUST_KEY_LEN);
	memcpy(out + OFF_ISSUER, c->issuer, TRUST_KEY_LEN);
	memcpy(out + OFF_GRANT_SIG, c->grant_sig, TRUST_SIG_LEN);
}

size_t trust_cert_signed_bytes(const struct trust_cert *c, uint8_t out[TRUST_CERT_SIGNED_V2_LEN])
{
	encode_head(c, out);
	if (c->version < 2)
		return TRUST_CERT_SIGNED_V1_LEN;
	memcpy(out + TRUST_CERT_SIGNED_V1_LEN, c->wg, TRUST_KEY_LEN);
	memcpy(out + TRUST_CERT_SIGNED_V1_LEN + TRUST_KEY_LEN, c->issuer, TRUST_KEY_LEN);
	return TRUST_CERT_SIGNED_V2_LEN;
}

/* Printable bytes, then only NULs: one spelling per name, safe to print. */
static const char *check_name_field(const uint8_t name[TRUST_NAME_MAX])
{
	size_t n = 0;

	while (n < TRUST_NAME_MAX && name[n]) {
		if (name[n] < 0x20 || name[n] == 0x7f)
			return "control character in the node name";
		n++;
	}
	if (!trust_is_zero(name + n, TRUST_NAME_MAX - n))
		return "node name has bytes after its NUL padding";
	return NULL;
}

static const char *check_v2_fields(const struct trust_cert *c)
{
	if (trust_wg_key_check(c->wg) != TRUST_KEY_OK)
		return "v2 certificate without a valid WireGuard key";
	if (c->flags & TRUST_CERT_DELEGATED) {
		if (trust_is_zero(c->issuer, TRUST_KEY_LEN))
			return "delegated certificate without an issuer key";
		/* Upstream W-11: a grant that never expires lets its issuer mint
		 * leaves forever. Upstream has no tool that makes one. */
		if (c->expires_at == 0)
			return "delegated certificate that never expires (a delegation must "
			       "expire)";
	} else if (!trust_is_zero(c->issuer, TRUST_KEY_LEN) ||
		   !trust_is_zero(c->grant_sig, TRUST_SIG_LEN)) {
		return "direct certificate with issuer or grant bytes set";
	}
	return NULL;
}

static void decode_fields(const uint8_t *buf, size_t len, struct trust_cert *c)
{
	memset(c, 0, sizeof(*c));
	c->version = buf[OFF_VERSION];
	memcpy(c->org, buf + OFF_ORG, TRUST_KEY_LEN);
	memcpy(c->node, buf + OFF_NODE, TRUST_KEY_LEN);
	memcpy(c->name, buf + OFF_NAME, TRUST_NAME_MAX);
	c->issued_at = (int64_t)mg_load_le64(buf + OFF_ISSUED);
	c->expires_at = (int64_t)mg_load_le64(buf + OFF_EXPIRES);
	c->flags = buf[OFF_FLAGS];
	memcpy(c->signature, buf + OFF_SIG, TRUST_SIG_LEN);
	if (c->version == 2 && len == TRUST_CERT_LEN) {
		memcpy(c->wg, buf + OFF_WG, TRUST_KEY_LEN);
		memcpy(c->issuer, buf + OFF_ISSUER, TRUST_KEY_LEN);
		memcpy(c->grant_sig, buf + OFF_GRANT_SIG, TRUST_SIG_LEN);
	}
}

static enum trust_reason malformed(const char **why, const char *what)
{
	if (why)
		*why = what;
	return TRUST_R_MALFORMED;
}

enum trust_reason trust_cert_decode(const uint8_t *buf, size_t len, struct trust_cert *c,
				    const char **why)
{
	const char *bad;

	memset(c, 0, sizeof(*c));
	if (why)
		*why = NULL;
	if (len != TRUST_CERT_V1_LEN && len != TRUST_CERT_LEN)
		return malformed(why, "wrong size (a certificate is 186 or 314 bytes)");
	if (buf[OFF_VERSION] != 1 && buf[OFF_VERSION] != 2) {
		if (why)
			*why = "unsupported certificate version (not 1 or 2)";
		return TRUST_R_BAD_VERSION;
	}
	if (buf[OFF_VERSION] == 2 && len != TRUST_CERT_LEN)
		return malformed(why, "v2 certificate truncated to 186 bytes");
	decode_fields(buf, len, c);
	/* Canonical form only: the same signed content has one byte string. */
	if (!trust_is_zero(buf + OFF_PAD, TRUST_CERT_V1_LEN - OFF_PAD))
		return malformed(why, "non-zero padding bytes 178..185");
	if (c->version == 1 && len == TRUST_CERT_LEN &&
	    !trust_is_zero(buf + TRUST_CERT_V1_LEN, TRUST_CERT_LEN - TRUST_CERT_V1_LEN))
		return malformed(why, "v1 certificate with data after byte 186");
	if (c->flags & ~TRUST_CERT_DELEGATED)
		return malformed(why, "unknown flag bits");
	if (c->version == 1 && (c->flags & TRUST_CERT_DELEGATED))
		return malformed(why, "delegated flag on a v1 certificate");
	if ((bad = check_name_field(c->name)))
		return malformed(why, bad);
	if (c->version == 2 && (bad = check_v2_fields(c)))
		return malformed(why, bad);
	return TRUST_R_OK;
}

int trust_cert_sign(struct trust_cert *c, const struct trust_identity *org)
{
	uint8_t msg[TRUST_CERT_SIGNED_V2_LEN];
	size_t len;

	if (memcmp(c->org, org->public_key, TRUST_KEY_LEN) != 0 ||
	    (c->flags & TRUST_CERT_DELEGATED))
		return -EINVAL;
	len = trust_cert_signed_bytes(c, msg);
	crypto_sign_detached(c->signature, NULL, msg, len, org->secret);
	return 0;
}

static void grant_of_cert(const struct trust_cert *c, struct trust_grant *g)
{
	memcpy(g->org, c->org, TRUST_KEY_LEN);
	memcpy(g->issuer, c->issuer, TRUST_KEY_LEN);
	g->expires_at = c->expires_at;
	g->flags = c->flags;
	memcpy(g->signature, c->grant_sig, TRUST_SIG_LEN);
}

int trust_cert_sign_delegated(struct trust_cert *c, const struct trust_grant *grant,
			      const struct trust_identity *issuer)
{
	uint8_t msg[TRUST_CERT_SIGNED_V2_LEN];
	size_t len;

	if (memcmp(grant->issuer, issuer->public_key, TRUST_KEY_LEN) != 0 ||
	    !(grant->flags & TRUST_CERT_DELEGATED) || grant->expires_at <= 0)
		return -EINVAL;
	/* The grant fixes org, issuer, expiry and flags of every leaf (§5.2). */
	c->version = 2;
	memcpy(c->org, grant->org, TRUST_KEY_LEN);
	memcpy(c->issuer, grant->issuer, TRUST_KEY_LEN);
	c->expires_at = grant->expires_at;
	c->flags = grant->flags;
	memcpy(c->grant_sig, grant->signature, TRUST_SIG_LEN);
	len = trust_cert_signed_bytes(c, msg);
	crypto_sign_detached(c->signature, NULL, msg, len, issuer->secret);
	return 0;
}

enum trust_reason trust_cert_check_signatures(const struct trust_cert *c)
{
	uint8_t msg[TRUST_CERT_SIGNED_V2_LEN];
	size_t len = trust_cert_signed_bytes(c, msg);
	bool delegated = c->version == 2 && (c->flags & TRUST_CERT_DELEGATED);
	const uint8_t *signer = delegated ? c->issuer : c->org;

	if (crypto_sign_verify_detached(c->signature, msg, len, signer) != 0)
		return TRUST_R_BAD_SIGNATURE;
	if (delegated) {
		struct trust_grant g;

		grant_of_cert(c, &g);
		if (!trust_grant_verify(&g))
			return TRUST_R_BAD_GRANT;
	}
	return TRUST_R_OK;
}

enum trust_reason trust_cert_check_time(const struct trust_cert *c, int64_t now)
{
	if (c->expires_at != 0 && now >= c->expires_at)
		return TRUST_R_EXPIRED;
	if (c->issued_at > now && c->issued_at - now > TRUST_CLOCK_SKEW_S)
		return TRUST_R_NOT_YET_VALID;
	return TRUST_R_OK;
}

void trust_cert_name(const struct trust_cert *c, char out[TRUST_NAME_MAX + 1])
{
	memcpy(out, c->name, TRUST_NAME_MAX);
	out[TRUST_NAME_MAX] = '\0';
}

int trust_cert_read(const char *path, uint8_t buf[TRUST_CERT_LEN], size_t *len, char *err,
		    size_t errlen)
{
	return trust_read_small(path, buf, TRUST_CERT_LEN, len, "certificate", err, errlen);
}

/* ---- delegation grants ---- */

void trust_grant_signed_bytes(const struct trust_grant *g, uint8_t out[TRUST_GRANT_LEN])
{
	out[0] = 2;
	memcpy(out + 1, g->org, TRUST_KEY_LEN);
	memcpy(out + 1 + TRUST_KEY_LEN, g->issuer, TRUST_KEY_LEN);
	mg_store_le64(out + 1 + 2 * TRUST_KEY_LEN, (uint64_t)g->expires_at);
	out[TRUST_GRANT_LEN - 1] = g->flags;
}

int trust_grant_sign(struct trust_grant *g, const struct trust_identity *org)
{
	uint8_t msg[TRUST_GRANT_LEN];

	if (memcmp(g->org, org->public_key, TRUST_KEY_LEN) != 0 ||
	    !(g->flags & TRUST_CERT_DELEGATED) || trust_is_zero(g->issuer, TRUST_KEY_LEN) ||
	    g->expires_at <= 0)
		return -EINVAL;
	trust_grant_signed_bytes(g, msg);
	crypto_sign_detached(g->signature, NULL, msg, sizeof(msg), org->secret);
	return 0;
}

bool trust_grant_verify(const struct trust_grant *g)
{
	uint8_t msg[TRUST_GRANT_LEN];

	trust_grant_signed_bytes(g, msg);
	return crypto_sign_verify_detached(g->signature, msg, sizeof(msg), g->org) == 0;
}

void trust_grant_encode(const struct trust_grant *g, uint8_t out[TRUST_GRANT_FILE_LEN])
{
	trust_grant_signed_bytes(g, out);
	memcpy(out + TRUST_GRANT_LEN, g->signature, TRUST_SIG_LEN);
}

enum trust_reason trust_grant_decode(const uint8_t *buf, size_t len, struct trust_grant *g,
				     const char **why)
{
	memset(g, 0, sizeof(*g));
	if (len != TRUST_GRANT_FILE_LEN)
		return malformed(why, "wrong size (a grant file is 138 bytes)");
	if (buf[0] != 2)
		return malformed(why, "not a delegation grant (version byte is not 2)");
	memcpy(g->org, buf + 1, TRUST_KEY_LEN);
	memcpy(g->issuer, buf + 1 + TRUST_KEY_LEN, TRUST_KEY_LEN);
	g->expires_at = (int64_t)mg_load_le64(buf + 1 + 2 * TRUST_KEY_LEN);
	g->flags = buf[TRUST_GRANT_LEN - 1];
	memcpy(g->signature, buf + TRUST_GRANT_LEN, TRUST_SIG_LEN);
	if (g->flags != TRUST_CERT_DELEGATED)
		return malformed(why, "grant flags are not exactly 'delegated'");
	if (g->expires_at == 0)
		return malformed(why, "grant that never expires (a delegation must expire)");
	if (trust_key_check(g->issuer) != TRUST_KEY_OK)
		return malformed(why, "grant issuer is not a valid key");
	return TRUST_R_OK;
}
