/* SPDX-License-Identifier: MIT */
/*
 * Org messages: upstream byte layouts (§9.2.4 vectors, reproduced by our
 * signing), the §9.1 signed-bytes vector, strict decoding, tampering, the
 * signature-reuse rules (W-9) and the revocation reasons.
 */
#include "fixtures.h"

#include "upstream_vectors.h"

static struct trust_identity S2;

static int setup(void **state)
{
	uint8_t seed[32];

	(void)state;
	hex(seed, 32, "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
	trust_identity_from_seed(seed, &S2);
	return 0;
}

static void check_vector(const char *h, size_t len, uint8_t type)
{
	uint8_t wire[TRUST_MSG_MAX_LEN], again[TRUST_MSG_MAX_LEN];
	struct trust_msg m, mine;

	hex(wire, len, h);
	assert_int_equal(trust_msg_decode(wire, len, &m, NULL), TRUST_R_OK);
	assert_int_equal(m.type, type);
	assert_memory_equal(m.org, S2.public_key, 32);
	assert_int_equal(trust_msg_verify(&m, NULL), TRUST_R_OK);
	assert_int_equal(trust_msg_encode(&m, again), len);
	assert_memory_equal(again, wire, len);
	/* Our signing reproduces upstream's bytes. */
	mine = m;
	memset(mine.signature, 0, 64);
	assert_int_equal(trust_msg_sign(&mine, &S2), 0);
	assert_memory_equal(mine.signature, m.signature, 64);
}

static void test_vectors(void **state)
{
	struct trust_msg m;
	uint8_t wire[TRUST_MSG_MAX_LEN];
	char alias[TRUST_NAME_MAX + 1];

	(void)state;
	check_vector(MSG_REVOKE_HEX, TRUST_MSG_REVOKE_LEN, TRUST_MSG_REVOKE);
	check_vector(MSG_VOUCH_HEX, TRUST_MSG_VOUCH_LEN, TRUST_MSG_VOUCH);
	check_vector(MSG_ALIAS_HEX, TRUST_MSG_ALIAS_LEN, TRUST_MSG_ALIAS);
	hex(wire, TRUST_MSG_REVOKE_LEN, MSG_REVOKE_HEX);
	trust_msg_decode(wire, TRUST_MSG_REVOKE_LEN, &m, NULL);
	assert_int_equal(m.reason, TRUST_REVOKE_ADMIN_REMOVED);
	assert_int_equal(m.lamport, 1700000000);
	hex(wire, TRUST_MSG_ALIAS_LEN, MSG_ALIAS_HEX);
	trust_msg_decode(wire, TRUST_MSG_ALIAS_LEN, &m, NULL);
	trust_msg_alias(&m, alias);
	assert_string_equal(alias, "eosrio");
	assert_int_equal(m.lamport, 100);
}

/* upstream identity/org.zig "org revoke signing uses canonical payload". */
static void test_revoke_signed_bytes(void **state)
{
	struct trust_msg m = { .type = TRUST_MSG_REVOKE, .reason = 1, .lamport = 0x0102030405060708 };
	uint8_t out[41], want[41];

	(void)state;
	memset(m.subject, 0x42, 32);
	memset(want, 0x42, 32);
	want[32] = 1;
	hex(want + 33, 8, "0807060504030201");
	assert_int_equal(trust_msg_signed_bytes(&m, out), 41);
	assert_memory_equal(out, want, 41);
	m.type = TRUST_MSG_VOUCH;
	assert_int_equal(trust_msg_signed_bytes(&m, out), 40);
}

static void test_legacy_vouch_file(void **state)
{
	uint8_t wire[TRUST_MSG_VOUCH_LEN];
	struct trust_msg a, b;

	(void)state;
	hex(wire, sizeof(wire), MSG_VOUCH_HEX);
	/* vouched/<hex16>.vouch upstream = the message without its type byte */
	assert_int_equal(trust_msg_decode_file(wire + 1, TRUST_MSG_VOUCH_FILE_LEGACY_LEN, &a, NULL),
			 TRUST_R_OK);
	/* ...but never as a datagram */
	assert_int_equal(trust_msg_decode(wire + 1, TRUST_MSG_VOUCH_FILE_LEGACY_LEN, &b, NULL),
			 TRUST_R_MALFORMED);
	assert_int_equal(trust_msg_decode(wire, sizeof(wire), &b, NULL), TRUST_R_OK);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(trust_msg_verify(&a, NULL), TRUST_R_OK);
}

static void test_malformed(void **state)
{
	uint8_t wire[TRUST_MSG_MAX_LEN + 1] = { 0 };
	struct trust_msg m;
	const char *why;

	(void)state;
	hex(wire, TRUST_MSG_REVOKE_LEN, MSG_REVOKE_HEX);
	for (size_t len = 0; len <= sizeof(wire); len++) {
		enum trust_reason r = trust_msg_decode(wire, len, &m, &why);
		assert_int_equal(r, len == TRUST_MSG_REVOKE_LEN ? TRUST_R_OK : TRUST_R_MALFORMED);
	}
	wire[0] = 0x44;
	assert_int_equal(trust_msg_decode(wire, TRUST_MSG_REVOKE_LEN, &m, &why), TRUST_R_MALFORMED);
	assert_non_null(strstr(why, "type"));
}

/* Every bit of every message matters. */
static void test_every_bit_tampered(void **state)
{
	const char *vectors[] = { MSG_REVOKE_HEX, MSG_VOUCH_HEX, MSG_ALIAS_HEX };
	const size_t lens[] = { TRUST_MSG_REVOKE_LEN, TRUST_MSG_VOUCH_LEN, TRUST_MSG_ALIAS_LEN };

	(void)state;
	for (size_t v = 0; v < 3; v++) {
		uint8_t wire[TRUST_MSG_MAX_LEN];

		hex(wire, lens[v], vectors[v]);
		for (size_t i = 0; i < lens[v]; i++) {
			struct trust_msg m;

			wire[i] ^= 0x10;
			if (trust_msg_decode(wire, lens[v], &m, NULL) == TRUST_R_OK &&
			    trust_msg_verify(&m, NULL) == TRUST_R_OK)
				fail_msg("message %zu: byte %zu tampered, still accepted", v, i);
			wire[i] ^= 0x10;
		}
	}
}

/*
 * W-9: alias and vouch sign the same shape (32 bytes || lamport). An alias
 * signature replayed as a vouch (for the "key" spelled by the alias) and a
 * vouch replayed as an alias are both refused, and we never sign either.
 */
static void test_signature_reuse(void **state)
{
	uint8_t wire[TRUST_MSG_MAX_LEN];
	struct trust_msg alias, vouch, forged;
	const char *why;
	struct trust_identity node = fx_key(7);

	(void)state;
	hex(wire, TRUST_MSG_ALIAS_LEN, MSG_ALIAS_HEX);
	trust_msg_decode(wire, TRUST_MSG_ALIAS_LEN, &alias, NULL);
	forged = alias;
	forged.type = TRUST_MSG_VOUCH;
	assert_int_equal(trust_msg_verify(&forged, &why), TRUST_R_MALFORMED);

	hex(wire, TRUST_MSG_VOUCH_LEN, MSG_VOUCH_HEX);
	trust_msg_decode(wire, TRUST_MSG_VOUCH_LEN, &vouch, NULL);
	forged = vouch;
	forged.type = TRUST_MSG_ALIAS;
	assert_int_equal(trust_msg_verify(&forged, &why), TRUST_R_MALFORMED);
	assert_non_null(strstr(why, "alias"));

	/* The signer refuses both shapes, whatever the caller asks. */
	memset(&forged, 0, sizeof(forged));
	forged.type = TRUST_MSG_ALIAS;
	memcpy(forged.subject, node.public_key, 32);
	assert_int_equal(trust_msg_sign(&forged, &S2), -EINVAL);
	memset(&forged, 0, sizeof(forged));
	forged.type = TRUST_MSG_VOUCH;
	memcpy(forged.subject, "acme", 4);
	assert_int_equal(trust_msg_sign(&forged, &S2), -EINVAL);
	/* Aliases that are not names: path-like, hidden, empty. */
	memset(&forged, 0, sizeof(forged));
	forged.type = TRUST_MSG_ALIAS;
	assert_int_equal(trust_msg_sign(&forged, &S2), -EINVAL);
	memcpy(forged.subject, "../x", 4);
	assert_int_equal(trust_msg_sign(&forged, &S2), -EINVAL);
}

static void test_lamport_bound(void **state)
{
	struct trust_msg m = { .type = TRUST_MSG_VOUCH };
	struct trust_identity node = fx_key(9);
	const char *why;

	(void)state;
	memcpy(m.subject, node.public_key, 32);
	m.lamport = (UINT64_C(1) << 62) - 1;
	assert_int_equal(trust_msg_sign(&m, &S2), 0);
	assert_int_equal(trust_msg_verify(&m, NULL), TRUST_R_OK);
	m.lamport = UINT64_C(1) << 62;
	assert_int_equal(trust_msg_sign(&m, &S2), -EINVAL);
	assert_int_equal(trust_msg_verify(&m, &why), TRUST_R_MALFORMED);
}

/* upstream identity/org.zig "org revoke reason parser" + our spellings. */
static void test_reasons(void **state)
{
	uint8_t r;

	(void)state;
	assert_int_equal(trust_revoke_reason_parse("unspecified", &r), 0);
	assert_int_equal(r, 0);
	assert_int_equal(trust_revoke_reason_parse("key-compromised", &r), 0);
	assert_int_equal(r, 1);
	assert_int_equal(trust_revoke_reason_parse("1", &r), 0);
	assert_int_equal(r, 1);
	assert_int_equal(trust_revoke_reason_parse("admin_removed", &r), 0);
	assert_int_equal(r, 2);
	assert_int_equal(trust_revoke_reason_parse("mystery", &r), -EINVAL);
	assert_int_equal(trust_revoke_reason_parse("3", &r), -EINVAL);
	assert_string_equal(trust_revoke_reason_str(2), "admin-removed");
	assert_string_equal(trust_revoke_reason_str(9), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_revoke_signed_bytes),
		cmocka_unit_test(test_legacy_vouch_file),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_every_bit_tampered),
		cmocka_unit_test(test_signature_reuse),
		cmocka_unit_test(test_lamport_bound),
		cmocka_unit_test(test_reasons),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, NULL);
}
