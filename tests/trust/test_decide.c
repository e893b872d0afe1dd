/* SPDX-License-Identifier: MIT */
/*
 * The trust decision: every path (authorized key, certificate v1 / v2 /
 * delegated, vouch) and every reason for denial, revocation scope, the
 * WireGuard key binding, and which org messages affect which verdicts.
 */
#include "fixtures.h"

enum { NOW = 1700000000 };

static struct trust_identity org, org2, issuer, node, other;
static uint8_t node_wg[32], other_wg[32];
static struct trust_store *s;

static int setup(void **state)
{
	(void)state;
	org = fx_key(0x10);
	org2 = fx_key(0x11);
	issuer = fx_key(0x12);
	node = fx_key(0x13);
	other = fx_key(0x14);
	assert_int_equal(trust_wg_public_from_identity(node.public_key, node_wg), 0);
	assert_int_equal(trust_wg_public_from_identity(other.public_key, other_wg), 0);
	return 0;
}

static int fresh(void **state)
{
	(void)state;
	s = trust_store_new();
	assert_non_null(s);
	assert_int_equal(trust_store_add_org(s, org.public_key, "acme"), 0);
	assert_int_equal(trust_store_add_org(s, org2.public_key, "beta"), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	trust_store_free(s);
	return 0;
}

static void msg(const struct trust_identity *by, uint8_t type, const uint8_t subject[32],
		uint8_t reason, uint64_t lamport)
{
	uint8_t wire[TRUST_MSG_MAX_LEN];
	struct trust_msg_outcome o;
	size_t len = fx_msg(wire, by, type, subject, reason, lamport);

	trust_store_apply_msg(s, wire, len, &o);
	assert_int_equal(o.result, TRUST_MSG_NEW);
}

static void expect(enum trust_verdict_kind kind, enum trust_reason reason, const uint8_t *cert,
		   size_t len, const uint8_t *wg)
{
	struct trust_verdict v;
	char text[256];

	trust_decide(s, node.public_key, cert, len, wg, NOW, &v);
	trust_verdict_format(&v, text, sizeof(text));
	if (v.kind != kind || v.reason != reason)
		fail_msg("got '%s', want kind %d reason '%s'", text, kind, trust_reason_str(reason));
}

static void test_unknown_and_invalid(void **state)
{
	struct trust_verdict v;
	uint8_t bad[32] = {1}, zero[32] = {0};

	(void)state;
	expect(TRUST_DENIED, TRUST_R_UNKNOWN, NULL, 0, NULL);
	trust_decide(s, bad, NULL, 0, NULL, NOW, &v);
	assert_int_equal(v.reason, TRUST_R_INVALID_KEY);
	/* Upstream W-5 let the all-zero sender key through: here it is no key,
	 * even when someone trusts it by hand. */
	assert_int_equal(trust_store_add_key(s, zero, "zero"), 0);
	trust_decide(s, zero, NULL, 0, NULL, NOW, &v);
	assert_int_equal(v.kind, TRUST_DENIED);
	assert_int_equal(v.reason, TRUST_R_INVALID_KEY);
}

/*
 * Admitted by an authorized key or a vouch while the presented certificate
 * failed: the verdict must not carry the failed certificate's org, name or
 * expiry (a daemon takes expires_at as its next re-check deadline: a past
 * one would make it re-check forever).
 */
static void test_failed_cert_forgotten(void **state)
{
	uint8_t expired[TRUST_CERT_LEN], valid[TRUST_CERT_LEN];
	static const uint8_t zero[32];
	struct trust_verdict v;

	(void)state;
	fx_cert(expired, &org, node.public_key, NULL, NOW - 100, NOW - 10);
	fx_cert(valid, &org, node.public_key, NULL, NOW - 100, NOW + 500);
	assert_int_equal(trust_store_add_key(s, node.public_key, "alice"), 0);
	trust_decide(s, node.public_key, expired, sizeof(expired), node_wg, NOW, &v);
	assert_int_equal(v.kind, TRUST_AUTHORIZED_KEY);
	assert_string_equal(v.name, "alice");
	assert_int_equal(v.expires_at, 0);
	assert_memory_equal(v.org, zero, 32);
	assert_true(v.has_cert);
	/* a valid certificate is still described (it may bind the WireGuard key) */
	trust_decide(s, node.public_key, valid, sizeof(valid), node_wg, NOW, &v);
	assert_int_equal(v.kind, TRUST_AUTHORIZED_KEY);
	assert_int_equal(v.expires_at, NOW + 500);
	assert_memory_equal(v.org, org.public_key, 32);

	trust_store_free(s);
	s = trust_store_new();
	trust_store_add_org(s, org.public_key, "acme");
	trust_store_add_org(s, org2.public_key, "beta");
	msg(&org2, TRUST_MSG_VOUCH, node.public_key, 0, 1);
	trust_decide(s, node.public_key, expired, sizeof(expired), node_wg, NOW, &v);
	assert_int_equal(v.kind, TRUST_VOUCH);
	assert_memory_equal(v.org, org2.public_key, 32);
	assert_string_equal(v.name, "");
	assert_int_equal(v.expires_at, 0);
	/* denied: the failed certificate is described, for the logs */
	msg(&org2, TRUST_MSG_REVOKE, node.public_key, 2, 2);
	trust_decide(s, node.public_key, expired, sizeof(expired), node_wg, NOW, &v);
	assert_int_equal(v.reason, TRUST_R_EXPIRED);
	assert_memory_equal(v.org, org.public_key, 32);
	assert_int_equal(v.expires_at, NOW - 10);
	assert_string_equal(v.name, "node-1");
}

static void test_authorized_key(void **state)
{
	struct trust_verdict v;

	(void)state;
	assert_int_equal(trust_store_add_key(s, node.public_key, "alice"), 0);
	trust_decide(s, node.public_key, NULL, 0, node_wg, NOW, &v);
	assert_int_equal(v.kind, TRUST_AUTHORIZED_KEY);
	assert_string_equal(v.name, "alice");
	assert_memory_equal(v.wg, node_wg, 32);
	/* The WireGuard key must be the converted identity key (W-2). */
	expect(TRUST_DENIED, TRUST_R_WG_MISMATCH, NULL, 0, other_wg);
	/* ...unless a valid v2 certificate binds another. */
	{
		uint8_t cert[TRUST_CERT_LEN];

		fx_cert(cert, &org, node.public_key, other_wg, NOW - 10, 0);
		trust_decide(s, node.public_key, cert, sizeof(cert), other_wg, NOW, &v);
		assert_int_equal(v.kind, TRUST_AUTHORIZED_KEY);
		assert_true(v.wg_bound);
		expect(TRUST_DENIED, TRUST_R_WG_MISMATCH, cert, sizeof(cert), node_wg);
	}
}

static void test_cert_v1_and_v2(void **state)
{
	uint8_t v1[TRUST_CERT_LEN], v2[TRUST_CERT_LEN];
	struct trust_verdict v;

	(void)state;
	fx_cert(v1, &org, node.public_key, NULL, NOW - 10, NOW + 100);
	trust_decide(s, node.public_key, v1, TRUST_CERT_V1_LEN, node_wg, NOW, &v);
	assert_int_equal(v.kind, TRUST_ORG_CERT);
	assert_memory_equal(v.org, org.public_key, 32);
	assert_string_equal(v.name, "node-1");
	assert_int_equal(v.expires_at, NOW + 100);
	assert_false(v.wg_bound);
	expect(TRUST_ORG_CERT, TRUST_R_OK, v1, TRUST_CERT_LEN, NULL);
	expect(TRUST_DENIED, TRUST_R_WG_MISMATCH, v1, TRUST_CERT_LEN, other_wg);

	fx_cert(v2, &org, node.public_key, other_wg, NOW - 10, 0);
	trust_decide(s, node.public_key, v2, sizeof(v2), other_wg, NOW, &v);
	assert_int_equal(v.kind, TRUST_ORG_CERT);
	assert_true(v.wg_bound);
	assert_memory_equal(v.wg, other_wg, 32);
	expect(TRUST_DENIED, TRUST_R_WG_MISMATCH, v2, sizeof(v2), node_wg);
}

static void test_cert_denials(void **state)
{
	struct trust_identity stranger = fx_key(0x20);
	uint8_t cert[TRUST_CERT_LEN];

	(void)state;
	fx_cert(cert, &stranger, node.public_key, NULL, NOW - 10, 0);
	expect(TRUST_DENIED, TRUST_R_ORG_NOT_TRUSTED, cert, sizeof(cert), NULL);
	fx_cert(cert, &org, other.public_key, NULL, NOW - 10, 0);
	expect(TRUST_DENIED, TRUST_R_WRONG_NODE, cert, sizeof(cert), NULL);
	fx_cert(cert, &org, node.public_key, NULL, NOW - 10, NOW);
	expect(TRUST_DENIED, TRUST_R_EXPIRED, cert, sizeof(cert), NULL);
	fx_cert(cert, &org, node.public_key, NULL, NOW + TRUST_CLOCK_SKEW_S + 1, 0);
	expect(TRUST_DENIED, TRUST_R_NOT_YET_VALID, cert, sizeof(cert), NULL);
	fx_cert(cert, &org, node.public_key, NULL, NOW - 10, 0);
	cert[120] ^= 1;
	expect(TRUST_DENIED, TRUST_R_BAD_SIGNATURE, cert, sizeof(cert), NULL);
	cert[120] ^= 1;
	cert[0] = 3;
	expect(TRUST_DENIED, TRUST_R_BAD_VERSION, cert, sizeof(cert), NULL);
	expect(TRUST_DENIED, TRUST_R_MALFORMED, cert, 200, NULL);
	/* ...and the same certificate once its org is no longer trusted */
}

static void test_revocation_scope(void **state)
{
	uint8_t cert[TRUST_CERT_LEN], cert2[TRUST_CERT_LEN];

	(void)state;
	fx_cert(cert, &org, node.public_key, NULL, NOW - 10, 0);
	fx_cert(cert2, &org2, node.public_key, NULL, NOW - 10, 0);
	/* Another org's revocation does not touch acme's certificate. */
	msg(&org2, TRUST_MSG_REVOKE, node.public_key, 2, 1);
	expect(TRUST_ORG_CERT, TRUST_R_OK, cert, sizeof(cert), NULL);
	expect(TRUST_DENIED, TRUST_R_REVOKED, cert2, sizeof(cert2), NULL);
	msg(&org, TRUST_MSG_REVOKE, node.public_key, 2, 2);
	expect(TRUST_DENIED, TRUST_R_REVOKED, cert, sizeof(cert), NULL);
	/* An authorized key is not an org's to revoke. */
	trust_store_add_key(s, node.public_key, "alice");
	expect(TRUST_AUTHORIZED_KEY, TRUST_R_OK, cert, sizeof(cert), NULL);
}

static void test_delegation(void **state)
{
	struct trust_identity fake = fx_key(0x21);
	uint8_t leaf[TRUST_CERT_LEN];
	struct trust_verdict v;

	(void)state;
	fx_delegated(leaf, &org, &issuer, node.public_key, node_wg, NOW + 1000);
	trust_decide(s, node.public_key, leaf, sizeof(leaf), node_wg, NOW, &v);
	assert_int_equal(v.kind, TRUST_ORG_CERT);
	assert_memory_equal(v.issuer, issuer.public_key, 32);
	/* A grant the org never signed (signed by someone else) */
	fx_delegated(leaf, &fake, &issuer, node.public_key, node_wg, NOW + 1000);
	memcpy(leaf + 1, org.public_key, 32); /* claims acme, grant is fake's */
	{
		struct trust_cert c;
		assert_int_equal(trust_cert_decode(leaf, sizeof(leaf), &c, NULL), TRUST_R_OK);
		c.flags = TRUST_CERT_DELEGATED;
		/* re-sign the leaf with the issuer so only the grant is wrong */
		uint8_t signed_bytes[TRUST_CERT_SIGNED_V2_LEN];
		size_t n = trust_cert_signed_bytes(&c, signed_bytes);
		crypto_sign_detached(c.signature, NULL, signed_bytes, n, issuer.secret);
		trust_cert_encode(&c, leaf);
	}
	expect(TRUST_DENIED, TRUST_R_BAD_GRANT, leaf, sizeof(leaf), node_wg);
	/* The grant expiry is the leaf's expiry */
	fx_delegated(leaf, &org, &issuer, node.public_key, node_wg, NOW);
	expect(TRUST_DENIED, TRUST_R_EXPIRED, leaf, sizeof(leaf), node_wg);
	/* Revoking the issuer revokes its leaves. */
	fx_delegated(leaf, &org, &issuer, node.public_key, node_wg, NOW + 1000);
	msg(&org, TRUST_MSG_REVOKE, issuer.public_key, 1, 1);
	trust_decide(s, node.public_key, leaf, sizeof(leaf), node_wg, NOW, &v);
	assert_int_equal(v.reason, TRUST_R_ISSUER_REVOKED);
	{
		struct trust_msg m = { .type = TRUST_MSG_REVOKE, .lamport = 1 };
		memcpy(m.org, org.public_key, 32);
		memcpy(m.subject, issuer.public_key, 32);
		assert_true(trust_msg_affects(&m, &v));
		memcpy(m.org, org2.public_key, 32);
		assert_false(trust_msg_affects(&m, &v));
	}
}

static void test_vouch(void **state)
{
	struct trust_verdict v;

	(void)state;
	msg(&org, TRUST_MSG_VOUCH, node.public_key, 0, 1);
	trust_decide(s, node.public_key, NULL, 0, node_wg, NOW, &v);
	assert_int_equal(v.kind, TRUST_VOUCH);
	assert_memory_equal(v.org, org.public_key, 32);
	expect(TRUST_DENIED, TRUST_R_WG_MISMATCH, NULL, 0, other_wg);
	/* org2 revoking does not cancel acme's vouch */
	msg(&org2, TRUST_MSG_REVOKE, node.public_key, 2, 2);
	expect(TRUST_VOUCH, TRUST_R_OK, NULL, 0, NULL);
	/* acme's later revocation does */
	msg(&org, TRUST_MSG_REVOKE, node.public_key, 2, 3);
	expect(TRUST_DENIED, TRUST_R_REVOKED, NULL, 0, NULL);
	/* a vouch from an org we stop trusting counts for nothing */
	trust_store_free(s);
	s = trust_store_new();
	trust_store_add_org(s, org2.public_key, "beta");
	msg(&org2, TRUST_MSG_VOUCH, node.public_key, 0, 1);
	expect(TRUST_VOUCH, TRUST_R_OK, NULL, 0, NULL);
	trust_store_free(s);
	s = trust_store_new(); /* no orgs trusted */
	expect(TRUST_DENIED, TRUST_R_UNKNOWN, NULL, 0, NULL);
}

static void test_affects(void **state)
{
	struct trust_verdict v = { 0 };
	struct trust_msg m = { 0 };

	(void)state;
	memcpy(v.identity, node.public_key, 32);
	memcpy(v.org, org.public_key, 32);
	memcpy(m.org, org.public_key, 32);
	m.type = TRUST_MSG_VOUCH;
	memcpy(m.subject, node.public_key, 32);
	assert_true(trust_msg_affects(&m, &v));
	memcpy(m.subject, other.public_key, 32);
	assert_false(trust_msg_affects(&m, &v));
	m.type = TRUST_MSG_ALIAS;
	assert_false(trust_msg_affects(&m, &v));
}

static void test_format(void **state)
{
	uint8_t cert[TRUST_CERT_LEN];
	struct trust_verdict v;
	char text[256];

	(void)state;
	fx_cert(cert, &org, node.public_key, NULL, NOW - 10, NOW);
	trust_decide(s, node.public_key, cert, sizeof(cert), NULL, NOW, &v);
	trust_verdict_format(&v, text, sizeof(text));
	assert_string_equal(text, "denied: certificate expired on 2023-11-14 22:13:20 UTC");
	fx_cert(cert, &org, node.public_key, NULL, NOW - 10, 0);
	trust_decide(s, node.public_key, cert, sizeof(cert), NULL, NOW, &v);
	trust_verdict_format(&v, text, sizeof(text));
	assert_non_null(strstr(text, "org certificate 'node-1' from org "));
	assert_non_null(strstr(text, "expires never"));
	for (int r = 0; r < TRUST_R_COUNT; r++)
		assert_string_not_equal(trust_reason_str((enum trust_reason)r), "unknown reason");
}

static void test_check_cert(void **state)
{
	uint8_t cert[TRUST_CERT_LEN];
	struct trust_verdict v;

	(void)state;
	fx_cert(cert, &org, node.public_key, node_wg, NOW - 10, 0);
	assert_int_equal(trust_check_cert(s, cert, sizeof(cert), NOW, &v), TRUST_R_OK);
	assert_memory_equal(v.identity, node.public_key, 32);
	/* authorized keys do not make a certificate valid */
	trust_store_add_key(s, node.public_key, "alice");
	cert[200] ^= 1;
	assert_int_equal(trust_check_cert(s, cert, sizeof(cert), NOW, &v), TRUST_R_BAD_SIGNATURE);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fresh, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_unknown_and_invalid),
	    T(test_failed_cert_forgotten),
	    T(test_authorized_key),
	    T(test_cert_v1_and_v2),
	    T(test_cert_denials),
	    T(test_revocation_scope),
	    T(test_delegation),
	    T(test_vouch),
	    T(test_affects),
	    T(test_format),
	    T(test_check_cert),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, NULL);
}
