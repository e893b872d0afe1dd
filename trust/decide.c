/* SPDX-License-Identifier: MIT */
/*
 * The trust decision: may this identity be a peer, and with which
 * WireGuard key? Pure: reads the store and its arguments, nothing else.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"
#include "store.h"

static bool revoked_by(const struct trust_store *s, const uint8_t org[TRUST_KEY_LEN],
		       const uint8_t who[TRUST_KEY_LEN])
{
	const struct slot *sl = slots_find(&s->d.slots, org, who);
	return sl && sl->msg.type == TRUST_MSG_REVOKE;
}

/*
 * A presented certificate, upstream §5.3 plus our stricter decoding. Fills
 * the certificate fields of the verdict even when the certificate fails,
 * so that logs can say whose certificate it was.
 */
static enum trust_reason check_cert(const struct trust_store *s, const uint8_t *buf, size_t len,
				    int64_t now, struct trust_verdict *v)
{
	struct trust_cert c;
	enum trust_reason r;

	if ((r = trust_cert_decode(buf, len, &c, NULL)) != TRUST_R_OK)
		return r;
	v->has_cert = true;
	v->cert_version = c.version;
	memcpy(v->org, c.org, TRUST_KEY_LEN);
	memcpy(v->issuer, c.issuer, TRUST_KEY_LEN);
	trust_cert_name(&c, v->name);
	v->expires_at = c.expires_at;
	if (memcmp(c.node, v->identity, TRUST_KEY_LEN) != 0)
		return TRUST_R_WRONG_NODE;
	/* Trust before signatures: certificates of strangers cost no crypto. */
	if (!keyset_find(&s->d.orgs, c.org))
		return TRUST_R_ORG_NOT_TRUSTED;
	if ((r = trust_cert_check_signatures(&c)) != TRUST_R_OK ||
	    (r = trust_cert_check_time(&c, now)) != TRUST_R_OK)
		return r;
	if (revoked_by(s, c.org, c.node))
		return TRUST_R_REVOKED;
	if ((c.flags & TRUST_CERT_DELEGATED) && revoked_by(s, c.org, c.issuer))
		return TRUST_R_ISSUER_REVOKED;
	if (c.version == 2) {
		memcpy(v->wg, c.wg, TRUST_KEY_LEN);
		v->wg_bound = true;
	}
	return TRUST_R_OK;
}

/* A vouch for `id` from a trusted org, or *revoked if a trusted org revoked it. */
static const struct slot *find_vouch(const struct trust_store *s, const uint8_t id[TRUST_KEY_LEN],
				     bool *revoked)
{
	*revoked = false;
	for (const struct slot *sl = slots_first(&s->d.slots, id); sl; sl = slots_next(&s->d.slots, sl)) {
		if (!keyset_find(&s->d.orgs, sl->msg.org))
			continue;
		if (sl->msg.type == TRUST_MSG_VOUCH)
			return sl;
		if (sl->msg.type == TRUST_MSG_REVOKE)
			*revoked = true;
	}
	return NULL;
}

/*
 * Admitted by another path while the presented certificate failed: forget
 * what the failed certificate said (its org, issuer, name and expiry), so
 * that nothing downstream takes its expiry as a re-check deadline or its
 * org as the peer's. has_cert and cert_version stay: one was presented.
 */
static void forget_failed_cert(struct trust_verdict *v)
{
	memset(v->org, 0, TRUST_KEY_LEN);
	memset(v->issuer, 0, TRUST_KEY_LEN);
	v->name[0] = '\0';
	v->expires_at = 0;
}

/* Admitted by a vouch: the verdict's org is the voucher. */
static void set_vouch(struct trust_verdict *v, const struct slot *sl)
{
	forget_failed_cert(v);
	v->kind = TRUST_VOUCH;
	memcpy(v->org, sl->msg.org, TRUST_KEY_LEN);
}

enum trust_verdict_kind trust_decide(const struct trust_store *s,
				     const uint8_t identity[TRUST_KEY_LEN], const uint8_t *cert,
				     size_t cert_len, const uint8_t *wg, int64_t now,
				     struct trust_verdict *v)
{
	enum trust_reason cert_r = TRUST_R_UNKNOWN;
	const struct named_key *ak;
	const struct slot *vouch;
	bool revoked;

	memset(v, 0, sizeof(*v));
	memcpy(v->identity, identity, TRUST_KEY_LEN);
	v->kind = TRUST_DENIED;
	if (trust_wg_public_from_identity(identity, v->wg) != 0) {
		v->reason = TRUST_R_INVALID_KEY;
		return v->kind;
	}
	if (cert && cert_len)
		cert_r = check_cert(s, cert, cert_len, now, v);
	vouch = find_vouch(s, identity, &revoked);
	/* First match wins. */
	if ((ak = keyset_find(&s->d.keys, identity))) {
		/* A valid certificate still counts (a v2 one binds the WireGuard
		 * key until it expires); a failed one says nothing. */
		if (cert_r != TRUST_R_OK)
			forget_failed_cert(v);
		v->kind = TRUST_AUTHORIZED_KEY;
		snprintf(v->name, sizeof(v->name), "%s", ak->name);
	} else if (cert_r == TRUST_R_OK) {
		v->kind = TRUST_ORG_CERT;
	} else if (vouch) {
		set_vouch(v, vouch);
	} else {
		v->reason = cert && cert_len ? cert_r : revoked ? TRUST_R_REVOKED : TRUST_R_UNKNOWN;
		return v->kind;
	}
	/* The converted identity key, unless a valid v2 certificate binds another. */
	if (wg && sodium_memcmp(wg, v->wg, TRUST_KEY_LEN) != 0) {
		v->kind = TRUST_DENIED;
		v->reason = TRUST_R_WG_MISMATCH;
	}
	return v->kind;
}

enum trust_reason trust_check_cert(const struct trust_store *s, const uint8_t *cert,
				   size_t cert_len, int64_t now, struct trust_verdict *v)
{
	struct trust_cert c;
	enum trust_reason r;

	memset(v, 0, sizeof(*v));
	v->kind = TRUST_DENIED;
	if ((r = trust_cert_decode(cert, cert_len, &c, NULL)) != TRUST_R_OK) {
		v->reason = r;
		return r;
	}
	memcpy(v->identity, c.node, TRUST_KEY_LEN);
	if (trust_wg_public_from_identity(c.node, v->wg) != 0) {
		v->reason = TRUST_R_INVALID_KEY;
		return v->reason;
	}
	v->reason = check_cert(s, cert, cert_len, now, v);
	if (v->reason == TRUST_R_OK)
		v->kind = TRUST_ORG_CERT;
	return v->reason;
}

bool trust_msg_affects(const struct trust_msg *m, const struct trust_verdict *v)
{
	switch (m->type) {
	case TRUST_MSG_VOUCH:
		return memcmp(m->subject, v->identity, TRUST_KEY_LEN) == 0;
	case TRUST_MSG_REVOKE:
		if (memcmp(m->subject, v->identity, TRUST_KEY_LEN) == 0)
			return true; /* may also un-deny: a newer vouch can follow later */
		return memcmp(m->org, v->org, TRUST_KEY_LEN) == 0 &&
		       memcmp(m->subject, v->issuer, TRUST_KEY_LEN) == 0;
	}
	return false;
}

const char *trust_verdict_kind_str(enum trust_verdict_kind k)
{
	switch (k) {
	case TRUST_DENIED:
		return "denied";
	case TRUST_AUTHORIZED_KEY:
		return "authorized key";
	case TRUST_ORG_CERT:
		return "org certificate";
	case TRUST_VOUCH:
		return "vouched";
	}
	return "?";
}

const char *trust_reason_str(enum trust_reason r)
{
	static const char *const text[TRUST_R_COUNT] = {
		[TRUST_R_OK] = "ok",
		[TRUST_R_UNKNOWN] = "unknown identity (no authorized key, valid certificate or vouch)",
		[TRUST_R_INVALID_KEY] = "invalid identity key",
		[TRUST_R_MALFORMED] = "malformed",
		[TRUST_R_BAD_VERSION] = "unsupported certificate version",
		[TRUST_R_BAD_SIGNATURE] = "bad signature",
		[TRUST_R_BAD_GRANT] = "bad delegation grant (the org did not sign it)",
		[TRUST_R_EXPIRED] = "certificate expired",
		[TRUST_R_NOT_YET_VALID] = "certificate not yet valid (issued in the future)",
		[TRUST_R_REVOKED] = "revoked by the org",
		[TRUST_R_ISSUER_REVOKED] = "delegated issuer revoked by the org",
		[TRUST_R_ORG_NOT_TRUSTED] = "org not trusted",
		[TRUST_R_WRONG_NODE] = "certificate belongs to another identity",
		[TRUST_R_WG_MISMATCH] = "WireGuard key does not match",
		[TRUST_R_STALE] = "superseded by a newer message",
		[TRUST_R_FINAL_REVOCATION] = "node revoked as key-compromised (final)",
		[TRUST_R_NO_MEMORY] = "out of memory",
	};
	return (unsigned)r < TRUST_R_COUNT && text[r] ? text[r] : "unknown reason";
}

int trust_verdict_format(const struct trust_verdict *v, char *buf, size_t len)
{
	char dom[TRUST_DOMAIN_LEN + 1], when[32], issuer[17];

	trust_org_domain(v->org, dom);
	trust_format_time(v->expires_at, when);
	switch (v->kind) {
	case TRUST_AUTHORIZED_KEY:
		return snprintf(buf, len, "authorized key '%s'%s", v->name,
				v->wg_bound ? " (WireGuard key bound by a v2 certificate)" : "");
	case TRUST_ORG_CERT:
		trust_key_hex16(v->issuer, issuer);
		return snprintf(buf, len, "org certificate '%s' from org %s (v%u%s%s, expires %s)",
				v->name, dom, v->cert_version,
				trust_is_zero(v->issuer, TRUST_KEY_LEN) ? "" : ", delegated to ",
				trust_is_zero(v->issuer, TRUST_KEY_LEN) ? "" : issuer, when);
	case TRUST_VOUCH:
		return snprintf(buf, len, "vouched by org %s", dom);
	case TRUST_DENIED:
		break;
	}
	if (v->reason == TRUST_R_EXPIRED)
		return snprintf(buf, len, "denied: certificate expired on %s", when);
	return snprintf(buf, len, "denied: %s", trust_reason_str(v->reason));
}
