/* SPDX-License-Identifier: MIT */
/*
 * Certificates and grants: the upstream byte layouts (§9.2.3 vectors,
 * signing reproduces them byte for byte), strict decoding, and every field
 * tampered.
 */
#include "fixtures.h"

#include "upstream_vectors.h"

static struct trust_identity S1, S2, S3;

static int setup(void **state)
{
	static const char *seeds[] = {
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	};
	struct trust_identity *ids[] = { &S1, &S2, &S3 };
	uint8_t seed[32];

	(void)state;
	for (int i = 0; i < 3; i++) {
		hex(seed, 32, seeds[i]);
		trust_identity_from_seed(seed, ids[i]);
	}
	return 0;
}

static void load_hex(uint8_t *out, size_t len, const char *h)
{
	hex(out, len, h);
}

static void base_cert(struct trust_cert *c, uint8_t version)
{
	memset(c, 0, sizeof(*c));
	c->version = version;
	memcpy(c->org, S2.public_key, 32);
	memcpy(c->node, S1.public_key, 32);
	memcpy(c->name, "node-1", 6);
	c->issued_at = 1700000000;
	if (version == 2)
		assert_int_equal(trust_wg_public_from_identity(S1.public_key, c->wg), 0);
}

static void test_v1_vector(void **state)
{
	uint8_t v1[TRUST_CERT_V1_LEN], wire[TRUST_CERT_LEN], sha[32], want_sha[32];
	struct trust_cert c, mine;

	(void)state;
	load_hex(v1, sizeof(v1), CERT_V1_HEX);
	assert_int_equal(trust_cert_decode(v1, sizeof(v1), &c, NULL), TRUST_R_OK);
	assert_int_equal(c.version, 1);
	assert_memory_equal(c.org, S2.public_key, 32);
	assert_memory_equal(c.node, S1.public_key, 32);
	assert_string_equal((char *)c.name, "node-1");
	assert_int_equal(c.issued_at, 1700000000);
	assert_int_equal(c.expires_at, 0);
	assert_int_equal(trust_cert_check_signatures(&c), TRUST_R_OK);
	/* We write 314 bytes: the 186 plus 128 zero bytes (sha256 from §9.2.3). */
	trust_cert_encode(&c, wire);
	assert_memory_equal(wire, v1, sizeof(v1));
	crypto_hash_sha256(sha, wire, sizeof(wire));
	hex(want_sha, 32, "95f12fe01bc6228d516d91fa58fb8322a0bbac39c97a26a62b5287558a5e7876");
	assert_memory_equal(sha, want_sha, 32);
	/* Signing the same fields reproduces the signature (RFC 8032 is deterministic). */
	base_cert(&mine, 1);
	assert_int_equal(trust_cert_sign(&mine, &S2), 0);
	assert_memory_equal(mine.signature, c.signature, 64);
}

static void test_v2_vectors(void **state)
{
	uint8_t direct[TRUST_CERT_LEN], deleg[TRUST_CERT_LEN], wire[TRUST_CERT_LEN];
	uint8_t grant[TRUST_GRANT_LEN], gsig[64], signed_bytes[TRUST_CERT_SIGNED_V2_LEN];
	struct trust_cert c, mine;
	struct trust_grant g = { 0 };

	(void)state;
	load_hex(direct, sizeof(direct), CERT_V2_HEX);
	assert_int_equal(trust_cert_decode(direct, sizeof(direct), &c, NULL), TRUST_R_OK);
	assert_int_equal(trust_cert_check_signatures(&c), TRUST_R_OK);
	assert_int_equal(trust_cert_signed_bytes(&c, signed_bytes), 178);
	assert_memory_equal(signed_bytes, direct, 114);
	assert_memory_equal(signed_bytes + 114, direct + 186, 32);
	assert_true(trust_is_zero(signed_bytes + 146, 32));
	base_cert(&mine, 2);
	assert_int_equal(trust_cert_sign(&mine, &S2), 0);
	trust_cert_encode(&mine, wire);
	assert_memory_equal(wire, direct, sizeof(wire));

	/* Delegated: org S2 grants issuer S3, which signs node S1. */
	load_hex(deleg, sizeof(deleg), CERT_V2_DELEGATED_HEX);
	load_hex(grant, sizeof(grant), GRANT_HEX);
	load_hex(gsig, sizeof(gsig), GRANT_SIG_HEX);
	assert_int_equal(trust_cert_decode(deleg, sizeof(deleg), &c, NULL), TRUST_R_OK);
	assert_int_equal(trust_cert_check_signatures(&c), TRUST_R_OK);
	memcpy(g.org, S2.public_key, 32);
	memcpy(g.issuer, S3.public_key, 32);
	g.expires_at = 1900000000;
	g.flags = TRUST_CERT_DELEGATED;
	{
		uint8_t gb[TRUST_GRANT_LEN];
		trust_grant_signed_bytes(&g, gb);
		assert_memory_equal(gb, grant, sizeof(gb));
	}
	assert_int_equal(trust_grant_sign(&g, &S2), 0);
	assert_memory_equal(g.signature, gsig, 64);
	base_cert(&mine, 2);
	mine.expires_at = 12345; /* overwritten by the grant's expiry */
	assert_int_equal(trust_cert_sign_delegated(&mine, &g, &S3), 0);
	trust_cert_encode(&mine, wire);
	assert_memory_equal(wire, deleg, sizeof(wire));
	/* The issuer must be the grant's. */
	assert_int_equal(trust_cert_sign_delegated(&mine, &g, &S1), -EINVAL);
	/* A grant file round trip. */
	{
		uint8_t file[TRUST_GRANT_FILE_LEN];
		struct trust_grant back;

		trust_grant_encode(&g, file);
		assert_int_equal(trust_grant_decode(file, sizeof(file), &back, NULL), TRUST_R_OK);
		assert_true(trust_grant_verify(&back));
		file[TRUST_GRANT_LEN - 1] = 3;
		assert_int_equal(trust_grant_decode(file, sizeof(file), &back, NULL), TRUST_R_MALFORMED);
		assert_int_equal(trust_grant_decode(file, sizeof(file) - 1, &back, NULL), TRUST_R_MALFORMED);
	}
}

/* Decode, then check signatures: the first reason that is not OK. */
static enum trust_reason full_check(const uint8_t *buf, size_t len)
{
	struct trust_cert c;
	enum trust_reason r = trust_cert_decode(buf, len, &c, NULL);

	return r != TRUST_R_OK ? r : trust_cert_check_signatures(&c);
}

/* Every single-bit change anywhere in a certificate is caught. */
static void test_every_bit_tampered(void **state)
{
	const char *vectors[] = { CERT_V1_HEX, CERT_V2_HEX, CERT_V2_DELEGATED_HEX };
	const size_t lens[] = { TRUST_CERT_V1_LEN, TRUST_CERT_LEN, TRUST_CERT_LEN };

	(void)state;
	for (size_t v = 0; v < 3; v++) {
		uint8_t buf[TRUST_CERT_LEN] = { 0 };

		if (v == 0)
			load_hex(buf, TRUST_CERT_V1_LEN, vectors[v]);
		else
			load_hex(buf, TRUST_CERT_LEN, vectors[v]);
		assert_int_equal(full_check(buf, lens[v]), TRUST_R_OK);
		for (size_t i = 0; i < lens[v]; i++) {
			for (int bit = 0; bit < 8; bit += 3) {
				buf[i] ^= (uint8_t)(1u << bit);
				if (full_check(buf, lens[v]) == TRUST_R_OK)
					fail_msg("vector %zu: flipping byte %zu bit %d went unnoticed", v, i, bit);
				buf[i] ^= (uint8_t)(1u << bit);
			}
		}
	}
}

/* The reason for each field, on the delegated vector (it has them all). */
static void test_field_reasons(void **state)
{
	static const struct {
		size_t off;
		uint8_t xor;
		enum trust_reason want;
	} cases[] = {
		{ 0, 0x02, TRUST_R_BAD_VERSION },      /* version 2 -> 0 */
		{ 0, 0x01, TRUST_R_BAD_VERSION },      /* version 2 -> 3 */
		{ 1, 0x01, TRUST_R_BAD_SIGNATURE },    /* org: the grant no longer matches */
		{ 33, 0x01, TRUST_R_BAD_SIGNATURE },   /* node */
		{ 65, 0x01, TRUST_R_BAD_SIGNATURE },   /* name: 'n' -> 'o' */
		{ 70, 0x20, TRUST_R_MALFORMED },       /* name: "1" -> 0x11, a control char */
		{ 80, 0x41, TRUST_R_MALFORMED },       /* name: bytes after the NUL padding */
		{ 97, 0x01, TRUST_R_BAD_SIGNATURE },   /* issued_at */
		{ 105, 0x01, TRUST_R_BAD_SIGNATURE },  /* expires_at */
		{ 113, 0x02, TRUST_R_MALFORMED },      /* unknown flag */
		{ 113, 0x01, TRUST_R_MALFORMED },      /* delegated -> direct with issuer set */
		{ 114, 0x01, TRUST_R_BAD_SIGNATURE },  /* signature */
		{ 180, 0x01, TRUST_R_MALFORMED },      /* padding */
		{ 186, 0x01, TRUST_R_BAD_SIGNATURE },  /* WireGuard key */
		{ 218, 0x01, TRUST_R_BAD_SIGNATURE },  /* issuer */
		{ 250, 0x01, TRUST_R_BAD_GRANT },      /* grant signature */
	};
	uint8_t buf[TRUST_CERT_LEN];

	(void)state;
	for (size_t i = 0; i < MG_ARRAY_LEN(cases); i++) {
		load_hex(buf, sizeof(buf), CERT_V2_DELEGATED_HEX);
		buf[cases[i].off] ^= cases[i].xor;
		if (full_check(buf, sizeof(buf)) != cases[i].want)
			fail_msg("offset %zu: got %s, want %s", cases[i].off,
				 trust_reason_str(full_check(buf, sizeof(buf))),
				 trust_reason_str(cases[i].want));
	}
}

static void test_sizes_and_shapes(void **state)
{
	uint8_t buf[TRUST_CERT_LEN + 1] = { 0 };
	struct trust_cert c;
	const char *why;

	(void)state;
	load_hex(buf, TRUST_CERT_LEN, CERT_V2_HEX);
	for (size_t len = 0; len <= TRUST_CERT_LEN + 1; len++) {
		enum trust_reason r = trust_cert_decode(buf, len, &c, &why);
		if (len == TRUST_CERT_LEN)
			assert_int_equal(r, TRUST_R_OK);
		else
			assert_int_equal(r, TRUST_R_MALFORMED); /* incl. a v2 cut to 186 bytes */
	}
	/* v1 with data after byte 186 */
	memset(buf, 0, sizeof(buf));
	load_hex(buf, TRUST_CERT_V1_LEN, CERT_V1_HEX);
	assert_int_equal(trust_cert_decode(buf, TRUST_CERT_LEN, &c, NULL), TRUST_R_OK);
	buf[300] = 1;
	assert_int_equal(trust_cert_decode(buf, TRUST_CERT_LEN, &c, &why), TRUST_R_MALFORMED);
	/* v1 claiming delegation */
	buf[300] = 0;
	buf[113] = TRUST_CERT_DELEGATED;
	assert_int_equal(trust_cert_decode(buf, TRUST_CERT_LEN, &c, &why), TRUST_R_MALFORMED);
	/* v2 binding a small-order WireGuard key */
	load_hex(buf, TRUST_CERT_LEN, CERT_V2_HEX);
	memset(buf + 186, 0, 32);
	buf[186] = 1;
	assert_int_equal(trust_cert_decode(buf, TRUST_CERT_LEN, &c, &why), TRUST_R_MALFORMED);
	assert_non_null(strstr(why, "WireGuard"));
}

static void test_time_window(void **state)
{
	struct trust_cert c;

	(void)state;
	base_cert(&c, 1);
	c.expires_at = 2000;
	c.issued_at = 1000;
	assert_int_equal(trust_cert_check_time(&c, 1999), TRUST_R_OK);
	assert_int_equal(trust_cert_check_time(&c, 2000), TRUST_R_EXPIRED);
	c.expires_at = 0;
	assert_int_equal(trust_cert_check_time(&c, INT64_MAX), TRUST_R_OK);
	/* issued in the future: tolerated up to the clock skew allowance */
	assert_int_equal(trust_cert_check_time(&c, 1000 - TRUST_CLOCK_SKEW_S), TRUST_R_OK);
	assert_int_equal(trust_cert_check_time(&c, 999 - TRUST_CLOCK_SKEW_S), TRUST_R_NOT_YET_VALID);
}

/* Upstream W-11: a delegation that never expires lets its issuer mint
 * leaves forever. Such grants are neither signed, decoded nor accepted. */
static void test_delegation_must_expire(void **state)
{
	uint8_t buf[TRUST_CERT_LEN], file[TRUST_GRANT_FILE_LEN], msg[TRUST_CERT_SIGNED_V2_LEN];
	struct trust_grant g = {0}, back;
	struct trust_cert c;
	const char *why = NULL;
	size_t n;

	(void)state;
	memcpy(g.org, S2.public_key, 32);
	memcpy(g.issuer, S3.public_key, 32);
	g.flags = TRUST_CERT_DELEGATED;
	g.expires_at = 0;
	assert_int_equal(trust_grant_sign(&g, &S2), -EINVAL);
	g.expires_at = -5;
	assert_int_equal(trust_grant_sign(&g, &S2), -EINVAL);
	/* a grant signed by hand with expiry 0: refused by the decoder and the leaf signer */
	g.expires_at = 0;
	trust_grant_signed_bytes(&g, file);
	crypto_sign_detached(g.signature, NULL, file, TRUST_GRANT_LEN, S2.secret);
	assert_true(trust_grant_verify(&g));
	trust_grant_encode(&g, file);
	assert_int_equal(trust_grant_decode(file, sizeof(file), &back, &why), TRUST_R_MALFORMED);
	assert_non_null(strstr(why, "never expires"));
	base_cert(&c, 2);
	assert_int_equal(trust_cert_sign_delegated(&c, &g, &S3), -EINVAL);
	/* a leaf built by hand (both signatures valid) that never expires */
	base_cert(&c, 2);
	c.flags = TRUST_CERT_DELEGATED;
	memcpy(c.issuer, S3.public_key, 32);
	memcpy(c.grant_sig, g.signature, 64);
	n = trust_cert_signed_bytes(&c, msg);
	crypto_sign_detached(c.signature, NULL, msg, n, S3.secret);
	assert_int_equal(trust_cert_check_signatures(&c), TRUST_R_OK);
	trust_cert_encode(&c, buf);
	assert_int_equal(trust_cert_decode(buf, sizeof(buf), &c, &why), TRUST_R_MALFORMED);
	assert_non_null(strstr(why, "never expires"));
	/* direct certificates may still never expire */
	load_hex(buf, TRUST_CERT_LEN, CERT_V2_HEX);
	assert_int_equal(trust_cert_decode(buf, sizeof(buf), &c, NULL), TRUST_R_OK);
	assert_int_equal(c.expires_at, 0);
}

static void test_sign_refusals(void **state)
{
	struct trust_cert c;
	struct trust_grant g = { 0 };

	(void)state;
	base_cert(&c, 1);
	assert_int_equal(trust_cert_sign(&c, &S3), -EINVAL); /* c.org is S2 */
	c.flags = TRUST_CERT_DELEGATED;
	assert_int_equal(trust_cert_sign(&c, &S2), -EINVAL);
	memcpy(g.org, S2.public_key, 32);
	g.flags = TRUST_CERT_DELEGATED;
	assert_int_equal(trust_grant_sign(&g, &S2), -EINVAL); /* no issuer */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_v1_vector),
	    cmocka_unit_test(test_v2_vectors),
	    cmocka_unit_test(test_every_bit_tampered),
	    cmocka_unit_test(test_field_reasons),
	    cmocka_unit_test(test_sizes_and_shapes),
	    cmocka_unit_test(test_time_window),
	    cmocka_unit_test(test_delegation_must_expire),
	    cmocka_unit_test(test_sign_refusals),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, NULL);
}
