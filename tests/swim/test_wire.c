/* SPDX-License-Identifier: MIT */
/* Unit tests: byte-exact wire format (records, claims, frames, endpoints, seeds). */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "bytes.h"
#include "crypto.h"
#include "keytext.h"
#include "swim.h"
#include "wire.h"

static const uint8_t PK[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static size_t build(uint8_t *buf, size_t cap, size_t n_eps, size_t cert_len)
{
	struct swim_endpoint eps[2] = { { .family = 4, .addr = { 192, 0, 2, 1 }, .port = 51821 },
					{ .family = 6, .addr = { 0x20, 0x01, 0x0d, 0xb8 }, .port = 1 } };
	uint8_t salt[16], wg[32], cert[400];
	memset(salt, 0x11, sizeof(salt));
	memset(wg, 0x22, sizeof(wg));
	memset(cert, 0x33, sizeof(cert));
	size_t n = wire_record_build(buf, cap, PK, 42, 1800000000, salt, REC_ALIVE, wg, eps, n_eps,
				     cert, cert_len);
	if (n)
		memset(buf + n, 0x44, W_SIG); /* signature bytes: layout only here */
	return n ? n + W_SIG : 0;
}

static void test_record_layout(void **state)
{
	uint8_t buf[W_REC_MAX];
	struct rec_view v;
	(void)state;

	size_t len = build(buf, sizeof(buf), 2, 186);
	/* 99 fixed + 2 * 19 endpoints + 2 cert length + 186 cert + 64 signature */
	assert_int_equal(len, 99 + 38 + 2 + 186 + 64);
	assert_int_equal(buf[0], 1);
	assert_memory_equal(buf + 1, PK, 32);
	assert_int_equal(mg_load_le64(buf + 33), 42);
	assert_int_equal(mg_load_le64(buf + 41), 1800000000);
	assert_int_equal(buf[65], REC_ALIVE);
	assert_int_equal(buf[98], 2);
	assert_int_equal(buf[99], 4);                      /* family */
	assert_int_equal(mg_load_le16(buf + 99 + 17), 51821); /* port LE */
	assert_int_equal(mg_load_le16(buf + 137), 186);
	assert_int_equal(wire_record_parse(buf, len, &v), 0);
	assert_int_equal(v.inc, 42);
	assert_int_equal(v.n_eps, 2);
	assert_int_equal(v.cert_len, 186);
	assert_ptr_equal(v.cert, buf + 139);
	assert_int_equal(v.signed_len, len - 64);
	assert_ptr_equal(v.sig, buf + len - 64);
	/* no endpoints, no certificate: the minimum */
	len = build(buf, sizeof(buf), 0, 0);
	assert_int_equal(len, W_REC_MIN);
	assert_int_equal(wire_record_parse(buf, len, &v), 0);
	assert_null(v.cert);
}

static void test_record_rejects(void **state)
{
	uint8_t buf[W_REC_MAX], bad[W_REC_MAX];
	struct rec_view v;
	(void)state;

	size_t len = build(buf, sizeof(buf), 1, 186);
	/* every truncation and every one-byte extension */
	for (size_t l = 0; l < len; l++)
		assert_int_equal(wire_record_parse(buf, l, &v), -1);
	memcpy(bad, buf, len);
	bad[len] = 0;
	assert_int_equal(wire_record_parse(bad, len + 1, &v), -1);
	/* field by field */
	struct {
		size_t off;
		uint8_t val;
	} cases[] = {
		{ 0, 2 },          /* version */
		{ 65, 2 },         /* status */
		{ 98, 17 },        /* more endpoints than the wire allows */
		{ 98, 2 },         /* count says 2, one present */
		{ 99, 5 },         /* family */
		{ 99 + 17, 0 },    /* port 0 ... */
	};
	for (size_t i = 0; i < MG_ARRAY_LEN(cases); i++) {
		memcpy(bad, buf, len);
		bad[cases[i].off] = cases[i].val;
		if (cases[i].off == 99 + 17)
			bad[99 + 18] = 0;
		assert_int_equal(wire_record_parse(bad, len, &v), -1);
	}
	memcpy(bad, buf, len);
	mg_store_le64(bad + 33, 0); /* incarnation 0 is never valid */
	assert_int_equal(wire_record_parse(bad, len, &v), -1);
	memcpy(bad, buf, len);
	bad[99 + 5] = 1; /* IPv4 with non-zero bytes after the address */
	assert_int_equal(wire_record_parse(bad, len, &v), -1);
	memcpy(bad, buf, len);
	mg_store_le16(bad + 99 + 19, 185); /* cert length off by one */
	assert_int_equal(wire_record_parse(bad, len, &v), -1);
	/* build refuses what it cannot encode */
	struct swim_endpoint eps[SWIM_MAX_ENDPOINTS + 1] = { 0 };
	uint8_t z[32] = { 0 };
	assert_int_equal(wire_record_build(buf, sizeof(buf), PK, 1, 0, z, 0, z, eps,
					   SWIM_MAX_ENDPOINTS + 1, NULL, 0),
			 0);
	assert_int_equal(wire_record_build(buf, 100, PK, 1, 0, z, 0, z, eps, 0, NULL, 0), 0);
}

static void test_claim(void **state)
{
	uint8_t c[W_CLAIM], other[32];
	struct claim_view v;
	(void)state;

	memset(other, 9, 32);
	wire_claim_build(c, PK, 7, other, 1800000001);
	memset(c + W_CLAIM_SIGNED, 0, W_SIG);
	assert_int_equal(W_CLAIM, 144);
	assert_int_equal(wire_claim_parse(c, W_CLAIM, &v), 0);
	assert_int_equal(v.inc, 7);
	assert_int_equal(v.time, 1800000001);
	assert_memory_equal(v.claimer, other, 32);
	assert_int_equal(mg_load_le64(c + 32), 7);
	assert_int_equal(wire_claim_parse(c, W_CLAIM - 1, &v), -1);
	assert_int_equal(wire_claim_parse(c, W_CLAIM + 1, &v), -1);
	wire_claim_build(c, PK, 7, PK, 0); /* nobody suspects itself */
	assert_int_equal(wire_claim_parse(c, W_CLAIM, &v), -1);
	wire_claim_build(c, PK, 0, other, 0);
	assert_int_equal(wire_claim_parse(c, W_CLAIM, &v), -1);
}

static void test_frames(void **state)
{
	uint8_t p[64] = { F_PING, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, F_PAD, 2, 0, 0, 0, 0x7f, 1, 0, 9 };
	struct frame_iter it = { p, 20, 0 };
	uint8_t t;
	const uint8_t *b;
	size_t l;
	(void)state;

	assert_int_equal(frame_next(&it, &t, &b, &l), 1);
	assert_int_equal(t, F_PING);
	assert_int_equal(l, 8);
	assert_true(frame_body_valid(t, b, l));
	assert_int_equal(frame_next(&it, &t, &b, &l), 1);
	assert_int_equal(t, F_PAD);
	assert_int_equal(frame_next(&it, &t, &b, &l), 1);
	assert_int_equal(t, 0x7f); /* unknown type: skipped by the receiver, valid here */
	assert_true(frame_body_valid(t, b, l));
	assert_int_equal(frame_next(&it, &t, &b, &l), 0);
	/* truncated header and truncated body */
	struct frame_iter h = { p, 2, 0 };
	assert_int_equal(frame_next(&h, &t, &b, &l), -1);
	struct frame_iter bd = { p, 10, 0 };
	assert_int_equal(frame_next(&bd, &t, &b, &l), -1);
	/* exact body sizes */
	uint8_t z[64] = { 0 };
	assert_false(frame_body_valid(F_PING, z, 7));
	assert_false(frame_body_valid(F_ACK, z, 9));
	assert_true(frame_body_valid(F_PING_REQ, z, 41));
	assert_false(frame_body_valid(F_PING_REQ, z, 40));
	assert_false(frame_body_valid(F_HEAD, z, 40)); /* incarnation 0 */
	mg_store_le64(z + 32, 1);
	assert_true(frame_body_valid(F_HEAD, z, 40));
	assert_false(frame_body_valid(F_ORG, z, 0));
	assert_false(frame_body_valid(F_WANT_MEMBERS, z, 31));
	assert_false(frame_body_valid(F_WANT_ORGS, z, 0));
	/* digests: power-of-two bucket counts within bounds, exact length */
	uint8_t d[4 + 8 * 144] = { 0 };
	mg_store_le16(d, 4);
	mg_store_le16(d + 2, 1);
	assert_true(frame_body_valid(F_PP_DIGEST, d, 4 + 8 * 5));
	assert_false(frame_body_valid(F_PP_DIGEST, d, 4 + 8 * 5 + 1));
	mg_store_le16(d, 3);
	assert_false(frame_body_valid(F_PP_DIGEST, d, 4 + 8 * 4));
	mg_store_le16(d, 256);
	assert_false(frame_body_valid(F_PP_DIGEST, d, 4 + 8 * 257));
	/* member entries: ranges ordered, valid states, incarnation non-zero */
	uint8_t e[16 + W_PP_ENTRY] = { 0 };
	mg_store_be64(e + 8, 5);
	mg_store_le64(e + 16 + 32, 3);
	assert_true(frame_body_valid(F_PP_MEMBERS, e, sizeof(e)));
	e[16 + 40] = 3;
	assert_false(frame_body_valid(F_PP_MEMBERS, e, sizeof(e)));
	e[16 + 40] = 0;
	mg_store_be64(e, 6); /* lo > hi */
	assert_false(frame_body_valid(F_PP_MEMBERS, e, sizeof(e)));
}

static void test_endpoints_and_seeds(void **state)
{
	struct swim_endpoint ep;
	uint8_t pk[32];
	char buf[64], err[256], text[128];
	bool has;
	(void)state;

	assert_int_equal(swim_endpoint_parse("192.0.2.7:51821", &ep), 0);
	assert_int_equal(ep.family, 4);
	assert_int_equal(ep.port, 51821);
	assert_string_equal(swim_endpoint_format(&ep, buf, sizeof(buf)), "192.0.2.7:51821");
	assert_int_equal(swim_endpoint_parse("[2001:db8::1]:1", &ep), 0);
	assert_int_equal(ep.family, 6);
	assert_string_equal(swim_endpoint_format(&ep, buf, sizeof(buf)), "[2001:db8::1]:1");
	const char *bad[] = { "", "192.0.2.7", "192.0.2.7:", "192.0.2.7:0", "192.0.2.7:65536",
			      "192.0.2.7:12x", "2001:db8::1:5", "[2001:db8::1]5", "host:1",
			      "[]:1", "1.2.3.4:-1" };
	for (size_t i = 0; i < MG_ARRAY_LEN(bad); i++)
		assert_int_equal(swim_endpoint_parse(bad[i], &ep), -EINVAL);

	assert_int_equal(swim_seed_parse("10.0.0.1:51821", &ep, pk, &has, err, sizeof(err)), 0);
	assert_false(has);
	mg_b64_encode(text, PK, 32);
	strcat(text, "@[2001:db8::2]:51821");
	assert_int_equal(swim_seed_parse(text, &ep, pk, &has, err, sizeof(err)), 0);
	assert_true(has);
	assert_memory_equal(pk, PK, 32);
	assert_int_equal(ep.family, 6);
	assert_int_equal(swim_seed_parse("AAAA@10.0.0.1:1", &ep, pk, &has, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "identity key"));
	assert_int_equal(swim_seed_parse("10.0.0.1", &ep, pk, &has, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "10.0.0.1"));
}

static void test_crypto_labels(void **state)
{
	/* Both ends derive the same pair master key, and the direction keys differ by direction. */
	uint8_t pa[32], sa[64], pb[32], sb[64], xa[32], xb[32], xsa[32], xsb[32];
	uint8_t ma[32], mb[32], k1[32], k2[32], k3[32], salt_a[16] = { 1 }, salt_b[16] = { 2 };
	uint64_t id1, id2, id3;
	(void)state;

	crypto_sign_keypair(pa, sa);
	crypto_sign_keypair(pb, sb);
	assert_int_equal(swc_ed_to_x(pa, xa), 0);
	assert_int_equal(swc_ed_to_x(pb, xb), 0);
	assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(xsa, sa), 0);
	assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(xsb, sb), 0);
	assert_int_equal(swc_pair_master(ma, xsa, pa, xb, pb), 0);
	assert_int_equal(swc_pair_master(mb, xsb, pb, xa, pa), 0);
	assert_memory_equal(ma, mb, 32);
	swc_direction(ma, pa, salt_a, pb, salt_b, k1, &id1);
	swc_direction(mb, pa, salt_a, pb, salt_b, k2, &id2);
	swc_direction(ma, pb, salt_b, pa, salt_a, k3, &id3);
	assert_memory_equal(k1, k2, 32);
	assert_int_equal(id1, id2);
	assert_memory_not_equal(k1, k3, 32);
	assert_true(id1 != id3);
	/* a low-order point gives an all-zero DH: refused */
	uint8_t zero[32] = { 0 }, out[32];
	assert_int_equal(swc_dh(out, xsa, zero), -1);
	/* signatures are domain-separated */
	uint8_t sig[64], msg[10] = { 0 };
	swc_sign(sig, WIRE_CTX_SUSPECT, msg, sizeof(msg), sa);
	assert_true(swc_verify(sig, WIRE_CTX_SUSPECT, msg, sizeof(msg), pa));
	assert_false(swc_verify(sig, WIRE_CTX_DEAD, msg, sizeof(msg), pa));
	assert_false(swc_verify(sig, WIRE_CTX_SUSPECT, msg, sizeof(msg), pb));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_layout),
		cmocka_unit_test(test_record_rejects),
		cmocka_unit_test(test_claim),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_endpoints_and_seeds),
		cmocka_unit_test(test_crypto_labels),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
