/* SPDX-License-Identifier: MIT */
/* Keys and certificates for the trust/ unit tests. */
#ifndef MG_TEST_TRUST_FIXTURES_H
#define MG_TEST_TRUST_FIXTURES_H

#include "test_util.h"

#include <errno.h>

#include <sodium.h>

#include "internal.h"
#include "trust.h"

/* A deterministic key pair: the seed is `n` repeated. */
static inline struct trust_identity fx_key(uint8_t n)
{
	struct trust_identity id;
	uint8_t seed[32];

	memset(seed, n, sizeof(seed));
	trust_identity_from_seed(seed, &id);
	return id;
}

/* A direct certificate (v1, or v2 if wg != NULL) signed by `org`. */
static inline void fx_cert(uint8_t out[TRUST_CERT_LEN], const struct trust_identity *org,
			   const uint8_t node[32], const uint8_t *wg, int64_t issued, int64_t expires)
{
	struct trust_cert c = { 0 };

	c.version = wg ? 2 : 1;
	memcpy(c.org, org->public_key, 32);
	memcpy(c.node, node, 32);
	memcpy(c.name, "node-1", 6);
	c.issued_at = issued;
	c.expires_at = expires;
	if (wg)
		memcpy(c.wg, wg, 32);
	assert_int_equal(trust_cert_sign(&c, org), 0);
	trust_cert_encode(&c, out);
}

/* A delegated leaf: org grants `issuer`, which signs the node. */
static inline void fx_delegated(uint8_t out[TRUST_CERT_LEN], const struct trust_identity *org,
				const struct trust_identity *issuer, const uint8_t node[32],
				const uint8_t wg[32], int64_t expires)
{
	struct trust_grant g = { 0 };
	struct trust_cert c = { 0 };

	memcpy(g.org, org->public_key, 32);
	memcpy(g.issuer, issuer->public_key, 32);
	g.expires_at = expires;
	g.flags = TRUST_CERT_DELEGATED;
	assert_int_equal(trust_grant_sign(&g, org), 0);
	memcpy(c.node, node, 32);
	memcpy(c.name, "leaf", 4);
	c.issued_at = 1000;
	memcpy(c.wg, wg, 32);
	assert_int_equal(trust_cert_sign_delegated(&c, &g, issuer), 0);
	trust_cert_encode(&c, out);
}

/* A signed org message, wire form; returns its length. */
static inline size_t fx_msg(uint8_t out[TRUST_MSG_MAX_LEN], const struct trust_identity *org,
			    uint8_t type, const void *subject, uint8_t reason, uint64_t lamport)
{
	struct trust_msg m = { 0 };

	m.type = type;
	if (type == TRUST_MSG_ALIAS)
		memcpy(m.subject, subject, strlen(subject));
	else
		memcpy(m.subject, subject, 32);
	m.reason = reason;
	m.lamport = lamport;
	assert_int_equal(trust_msg_sign(&m, org), 0);
	return trust_msg_encode(&m, out);
}

#endif
