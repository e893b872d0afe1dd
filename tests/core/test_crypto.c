/* SPDX-License-Identifier: MIT */
/*
 * Known-answer tests of the primitives: BLAKE2s (RFC 7693 appendix B and
 * the appendix E self-test, keyed KATs of the BLAKE2 reference), HMAC and
 * HKDF (wireguard-go's KDF vectors), X25519 (RFC 7748 section 6.1), and
 * randomized cross-checks of HMAC/KDF, AEAD and XAEAD against Python.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <blake2.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "oracle.h"

static size_t unhex(uint8_t *out, const char *hex)
{
	size_t n = 0;

	for (; hex[0] && hex[1]; hex += 2) {
		unsigned v;

		sscanf(hex, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void assert_hex(const uint8_t *got, const char *want_hex)
{
	uint8_t want[256];
	size_t n = unhex(want, want_hex);

	assert_memory_equal(got, want, n);
}

static void test_blake2s_rfc7693(void **state)
{
	uint8_t out[32];

	(void)state;
	/* Appendix B: BLAKE2s-256("abc") */
	wg_crypto_hash2(out, "ab", 2, "c", 1);
	assert_hex(out, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
}

/* RFC 7693 appendix E: deterministic inputs, a hash of all the hashes. */
static void selftest_seq(uint8_t *out, size_t len, uint32_t seed)
{
	uint32_t a = 0xDEAD4BAD * seed, b = 1, t;

	for (size_t i = 0; i < len; ++i) {
		t = a + b;
		a = b;
		b = t;
		out[i] = (uint8_t)(t >> 24);
	}
}

static void test_blake2s_rfc7693_selftest(void **state)
{
	static const size_t md_len[4] = { 16, 20, 28, 32 };
	static const size_t in_len[6] = { 0, 3, 64, 65, 255, 1024 };
	uint8_t in[1024], md[32], key[32];
	blake2s_state grand;

	(void)state;
	blake2s_init(&grand, 32);
	for (size_t i = 0; i < 4; ++i) {
		for (size_t j = 0; j < 6; ++j) {
			selftest_seq(in, in_len[j], (uint32_t)in_len[j]);
			blake2s(md, in, NULL, md_len[i], in_len[j], 0);
			blake2s_update(&grand, md, md_len[i]);
			selftest_seq(key, md_len[i], (uint32_t)md_len[i]);
			blake2s(md, in, key, md_len[i], in_len[j], md_len[i]);
			blake2s_update(&grand, md, md_len[i]);
		}
	}
	blake2s_final(&grand, md, 32);
	assert_hex(md, "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe");
}

static void test_blake2s_keyed_kat(void **state)
{
	uint8_t key[32], in[255], out[32], mac[16];

	(void)state;
	for (size_t i = 0; i < sizeof(key); ++i)
		key[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(in); ++i)
		in[i] = (uint8_t)i;
	/* blake2s-kat.txt of the BLAKE2 reference: key 00..1f, inputs 00..(n-1) */
	blake2s(out, in, key, 32, 0, 32);
	assert_hex(out, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49");
	blake2s(out, in, key, 32, 1, 32);
	assert_hex(out, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1");
	blake2s(out, in, key, 32, 255, 32);
	assert_hex(out, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd");
	/* MAC() is keyed BLAKE2s with a 16-byte digest (not a truncation). */
	wg_crypto_mac(mac, key, 32, in, 0);
	blake2s(out, in, key, 16, 0, 32);
	assert_memory_equal(mac, out, 16);
}

static void test_kdf_wireguard_go_vectors(void **state)
{
	static const struct {
		const char *key, *input, *t0, *t1, *t2;
	} v[] = {
		{ "746573742d6b6579", "746573742d696e707574",
		  "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633",
		  "df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a",
		  "fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24" },
		{ "776972656775617264", "776972656775617264",
		  "491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8",
		  "1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f",
		  "31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160" },
		{ "", "", "8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0",
		  "58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e",
		  "0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); ++i) {
		uint8_t key[64], in[64], t0[32], t1[32], t2[32];
		size_t kl = unhex(key, v[i].key), il = unhex(in, v[i].input);

		wg_crypto_kdf(t0, t1, t2, key, kl, in, il); /* KDF3 */
		assert_hex(t0, v[i].t0);
		assert_hex(t1, v[i].t1);
		assert_hex(t2, v[i].t2);
		memset(t1, 0, 32);
		wg_crypto_kdf(t0, t1, NULL, key, kl, in, il); /* KDF2 */
		assert_hex(t0, v[i].t0);
		assert_hex(t1, v[i].t1);
		wg_crypto_kdf(t0, NULL, NULL, key, kl, in, il); /* KDF1 */
		assert_hex(t0, v[i].t0);
	}
}

/* The chaining key is usually replaced by the first output: (C, k) = KDF2(C, x). */
static void test_kdf_aliasing(void **state)
{
	uint8_t ck[32], copy[32], t1[32], t2[32], k[32];

	(void)state;
	for (size_t i = 0; i < 32; ++i)
		ck[i] = copy[i] = (uint8_t)(i * 9);
	wg_crypto_kdf(t1, t2, NULL, copy, 32, "x", 1);
	wg_crypto_kdf(ck, k, NULL, ck, 32, "x", 1);
	assert_memory_equal(ck, t1, 32);
	assert_memory_equal(k, t2, 32);
}

/*
 * HMAC with keys shorter than, equal to and longer than the block, and the
 * KDF chain, against Python's hmac/hashlib. One input length per key length
 * (cycling through them): each case costs a Python run.
 */
static void test_hmac_kdf_vs_python(void **state)
{
	static const size_t key_len[] = { 0, 1, 32, 63, 64, 65, 100 };
	static const size_t in_len[] = { 0, 1, 33, 64, 65, 200 };

	(void)state;
	for (size_t i = 0; i < sizeof(key_len) / sizeof(key_len[0]); ++i) {
		const size_t kl = key_len[i], il = in_len[i % 6];
		uint8_t key[100], in[200], out[32], t1[32], t2[32], t3[32], mac[16];
		char args[1024] = "";
		struct oracle_out o;

		for (size_t k = 0; k < kl; ++k)
			key[k] = (uint8_t)(k * 13 + i);
		for (size_t k = 0; k < il; ++k)
			in[k] = (uint8_t)(k * 7 + i);
		oracle_arg_hex(args, sizeof(args), "key", key, kl);
		oracle_arg_hex(args, sizeof(args), "input", in, il);
		assert_true(oracle_run(&o, "kdf", args));

		wg_crypto_hmac(out, key, kl, in, il);
		assert_memory_equal(out, oracle_get(&o, "hmac", NULL), 32);
		wg_crypto_kdf(t1, t2, t3, key, kl, in, il);
		assert_memory_equal(t1, oracle_get(&o, "t1", NULL), 32);
		assert_memory_equal(t2, oracle_get(&o, "t2", NULL), 32);
		assert_memory_equal(t3, oracle_get(&o, "t3", NULL), 32);
		/* HASH(a || b) over a split input */
		wg_crypto_hash2(out, in, il / 2, in + il / 2, il - il / 2);
		assert_memory_equal(out, oracle_get(&o, "hash", NULL), 32);
		if (kl >= 1 && kl <= 32) {
			wg_crypto_mac(mac, key, kl, in, il);
			assert_memory_equal(mac, oracle_get(&o, "mac", NULL), 16);
		}
	}
}

static void test_x25519_rfc7748(void **state)
{
	uint8_t a[32], b[32], pub[32], shared[32], zero[32] = { 0 };

	(void)state;
	unhex(a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	assert_true(wg_crypto_dh_public(pub, a));
	assert_hex(pub, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	assert_true(wg_crypto_dh_public(pub, b));
	assert_hex(pub, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	assert_true(wg_crypto_dh(shared, a, pub));
	assert_hex(shared, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	/* A small-order point gives the all-zero secret: refused. */
	assert_false(wg_crypto_dh(shared, a, zero));
	assert_true(wg_crypto_is_zero(shared, 32));
}

static void test_aead_vs_python(void **state)
{
	static const size_t lens[] = { 0, 1, 16, 63, 64, 65, 1420 };
	static const uint64_t counters[] = { 0, 1, 0x0102030405060708ull, UINT64_MAX - 8193 };

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); ++i) {
		uint8_t key[32], nonce[24], pt[1420], ad[32], ct[1420 + 16], back[1420];
		uint64_t counter = counters[i % 4];
		size_t adlen = i % 3 ? 32 : 0;
		char args[8192] = "";
		struct oracle_out o;

		for (size_t k = 0; k < 32; ++k) {
			key[k] = (uint8_t)(k * 5 + i);
			ad[k] = (uint8_t)(k ^ 0x5a);
		}
		for (size_t k = 0; k < 24; ++k)
			nonce[k] = (uint8_t)(k * 11 + i);
		for (size_t k = 0; k < lens[i]; ++k)
			pt[k] = (uint8_t)(k * 3 + 1);
		oracle_arg_hex(args, sizeof(args), "key", key, 32);
		oracle_arg_hex(args, sizeof(args), "nonce", nonce, 24);
		oracle_arg_hex(args, sizeof(args), "pt", pt, lens[i]);
		oracle_arg_hex(args, sizeof(args), "ad", ad, adlen);
		oracle_arg_int(args, sizeof(args), "counter", counter);
		assert_true(oracle_run(&o, "aead", args));

		wg_crypto_aead_encrypt(ct, pt, lens[i], ad, adlen, counter, key);
		assert_memory_equal(ct, oracle_get(&o, "ct", NULL), lens[i] + 16);
		assert_true(wg_crypto_aead_decrypt(back, ct, lens[i] + 16, ad, adlen, counter, key));
		assert_memory_equal(back, pt, lens[i]);
		ct[lens[i] / 2] ^= 1;
		assert_false(wg_crypto_aead_decrypt(back, ct, lens[i] + 16, ad, adlen, counter, key));

		wg_crypto_xaead_encrypt(ct, pt, lens[i], ad, adlen, nonce, key);
		assert_memory_equal(ct, oracle_get(&o, "xct", NULL), lens[i] + 16);
		assert_true(wg_crypto_xaead_decrypt(back, ct, lens[i] + 16, ad, adlen, nonce, key));
		assert_memory_equal(back, pt, lens[i]);
		nonce[23] ^= 1;
		assert_false(wg_crypto_xaead_decrypt(back, ct, lens[i] + 16, ad, adlen, nonce, key));
	}
}

static void test_oracle_selftest(void **state)
{
	struct oracle_out o;

	(void)state;
	/* The Python side's own known answers (HChaCha20 draft vector, KDF). */
	assert_true(oracle_run(&o, "selftest", ""));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blake2s_rfc7693),
		cmocka_unit_test(test_blake2s_rfc7693_selftest),
		cmocka_unit_test(test_blake2s_keyed_kat),
		cmocka_unit_test(test_kdf_wireguard_go_vectors),
		cmocka_unit_test(test_kdf_aliasing),
		cmocka_unit_test(test_x25519_rfc7748),
		cmocka_unit_test(test_oracle_selftest),
		cmocka_unit_test(test_hmac_kdf_vs_python),
		cmocka_unit_test(test_aead_vs_python),
	};

	if (!oracle_init(argc, argv))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
