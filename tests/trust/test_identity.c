/* SPDX-License-Identifier: MIT */
/*
 * Identity keys, the WireGuard key and the mesh addresses against the
 * reference vectors (upstream-trust-cli.md §9.2.1, §9.2.2), strict key
 * checks, and the identity files on disk.
 */
#include "test_util.h"

#include <errno.h>

#include <sodium.h>

#include "internal.h"
#include "trust.h"

struct id_vector {
	const char *seed, *pk, *key_text, *pub_text, *b3, *ipv4, *ipv6, *domain, *wg_priv, *wg_pub;
};

/* S0 is the zero seed; S1-S3 are the RFC 8032 §7.1 TEST 1-3 secret keys. */
static const struct id_vector S[] = {
	{ "0000000000000000000000000000000000000000000000000000000000000000",
	  "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29",
	  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA7aie8zrakLWKjqNAqbw1zZTIVdx3iQ6Y6wEihi1naKQ==",
	  "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=",
	  "51f1365add907c3dcaead8fae90cfe55902638248377b4dd1db501b11554ac46", "10.99.81.241",
	  "fd996d670000000051f1365add907c3d", "51f136",
	  "5046adc1dba838867b2bbbfdd0c3423e58b57970b5267a90f57960924a87f156",
	  "W/Vcc7guviK+gPNDBmevVw+uJVamQV5rMNQGUwCqlH0=" },
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	  "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2DXWpgBgrEKt9VL/tPJZAc6DuFy89qmIyWvAhpo9wdRGg==",
	  "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	  "6c31041268f471609c79f5f2dbcc38e4a4ab2f4d416109a4e09fcf50fd0f0062", "10.99.108.49",
	  "fd996d67000000006c31041268f47160", "6c3104",
	  "307c83864f2833cb427a2ef1c00a013cfdff2768d980c0a3a520f006904de94f",
	  "2F4H7CKwrYgVN8L0TWYtGhQ8+DDFespDBdhcepD2ti4=" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "TM0Imyj/ltqdtsNG7BFOD1uKMZ81q6Yk2oz27U+4pvs9QBfD6EOJWpK3CqdNG368nJgszy7ElozAzVXxKvRmDA==",
	  "PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=",
	  "1027e035b26b605dc6d4b78d07dc29660fcc3498b598a2e57c4e6b1b673a1e95", "10.99.16.39",
	  "fd996d67000000001027e035b26b605d", "1027e0",
	  "68bd9ed75882d52815a97585caf4790a7f6c6b3b7f821c5e259a24b02e502e51",
	  "JccExZS4ivwAp2tp0e0rmE1+IlUPPtCALQT7zQfTjUc=" },
	{ "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
	  "xaqN9D+fg3vtt0QvMdy3sWbThTUHbwlLhc46LgtEWPf8Uc2OYhiho42kftACMPBYCBbtE7ozA6xd65EVSJCAJQ==",
	  "/FHNjmIYoaONpH7QAjDwWAgW7RO6MwOsXeuRFUiQgCU=",
	  "84606c25c8a5a750079bda4a657cac3bef933197bcd2808879d0dab988621406", "10.99.132.96",
	  "fd996d670000000084606c25c8a5a750", "84606c",
	  "909a8b755ed902849023a55b15c23d11ba4d7f4ec5c2f51b1325a181991ea95c",
	  "y7IvyfeQvT66m4RoDBV8pJUKmJQ2JgFwH4nDxNn9ojo=" },
};

static void test_identity_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < MG_ARRAY_LEN(S); i++) {
		uint8_t seed[32], pk[32], ip6[16], want6[16], wg_priv[32], wg_pub[32], want[32];
		char text[TRUST_SECRET_TEXT_LEN + 1], v4[TRUST_ADDR_STR_LEN], dom[7];
		struct trust_identity id;

		hex(seed, 32, S[i].seed);
		hex(pk, 32, S[i].pk);
		trust_identity_from_seed(seed, &id);
		assert_memory_equal(id.public_key, pk, 32);
		mg_b64_encode(text, id.secret, 64);
		assert_string_equal(text, S[i].key_text);
		trust_key_to_text(id.public_key, text);
		assert_string_equal(text, S[i].pub_text);

		trust_mesh_ipv4_str(pk, v4);
		assert_string_equal(v4, S[i].ipv4);
		trust_mesh_ipv6(pk, ip6);
		hex(want6, 16, S[i].ipv6);
		assert_memory_equal(ip6, want6, 16);
		trust_org_domain(pk, dom);
		assert_string_equal(dom, S[i].domain);

		trust_identity_wg_keypair(&id, wg_priv, wg_pub);
		hex(want, 32, S[i].wg_priv);
		assert_memory_equal(wg_priv, want, 32);
		b64(want, 32, S[i].wg_pub);
		assert_memory_equal(wg_pub, want, 32);
		/* The public-only conversion agrees with the secret-key one. */
		assert_int_equal(trust_wg_public_from_identity(pk, wg_pub), 0);
		assert_memory_equal(wg_pub, want, 32);
		trust_identity_wipe(&id);
		assert_true(trust_is_zero(id.secret, sizeof(id.secret)));
	}
}

/* §9.2.2: the IPv4 octet adjustments; seed = the integer, 32 bytes LE. */
static void test_ipv4_adjustments(void **state)
{
	static const struct {
		unsigned seed;
		const char *pk, *ipv4, *ipv6;
	} cases[] = {
		{ 207, "6f74d3c487497a0b5b2045fa85d8f4148d46a90c968dbc16cfb213ab1615d85d",
		  "10.99.1.117", "fd99:6d67::75:2429:e778:730b" },   /* o3 0 -> 1 */
		{ 340, "d60adbcf17e6a961ad073e5a7ac1571301348a68f64b9d4b22e90bf03e1615bc",
		  "10.99.60.1", "fd99:6d67::3c00:d2bb:388d:32f0" },  /* o4 0 -> 1 */
		{ 319, "ef3af579e7158454560c39ecc4160fa81a97f329bd44eccfb30ca65d8b5d603d",
		  "10.99.105.254", "fd99:6d67::69ff:f61:a643:65" }, /* o4 255 -> 254 */
		{ 132, "d9b43ec965d03c08bcd57c5ed3bc56f9333d2b6f03b6ac8bbae7b96eb910f3e9",
		  "10.99.255.170", "fd99:6d67::ffaa:7ec3:5d66:f757" }, /* o3 = 255 kept */
	};

	(void)state;
	for (size_t i = 0; i < MG_ARRAY_LEN(cases); i++) {
		uint8_t seed[32] = { 0 }, pk[32];
		char v4[TRUST_ADDR_STR_LEN], v6[TRUST_ADDR_STR_LEN];
		struct trust_identity id;

		mg_store_le32(seed, cases[i].seed);
		trust_identity_from_seed(seed, &id);
		hex(pk, 32, cases[i].pk);
		assert_memory_equal(id.public_key, pk, 32);
		trust_mesh_ipv4_str(pk, v4);
		assert_string_equal(v4, cases[i].ipv4);
		trust_mesh_ipv6_str(pk, v6);
		assert_string_equal(v6, cases[i].ipv6);
		trust_identity_wipe(&id);
	}
}

struct key_case {
	const char *hex;
	enum trust_key_status want;
};

static void check_key_cases(const struct key_case *cases, size_t n,
			    enum trust_key_status (*check)(const uint8_t *))
{
	uint8_t k[32];

	for (size_t i = 0; i < n; i++) {
		hex(k, 32, cases[i].hex);
		if (check(k) != cases[i].want)
			fail_msg("%s: got %s, want %s", cases[i].hex, trust_key_strerror(check(k)),
				 trust_key_strerror(cases[i].want));
	}
}

/* Small-order encodings (libsodium's blocklist, RFC 8032 and the Ed25519
 * malleability literature), non-canonical and off-curve ones. */
static void test_ed25519_key_checks(void **state)
{
	static const struct key_case cases[] = {
		{ "0000000000000000000000000000000000000000000000000000000000000000", TRUST_KEY_ZERO },
		{ "0100000000000000000000000000000000000000000000000000000000000000", TRUST_KEY_SMALL_ORDER },
		{ "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", TRUST_KEY_SMALL_ORDER },
		{ "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", TRUST_KEY_SMALL_ORDER },
		{ "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", TRUST_KEY_SMALL_ORDER },
		{ "0000000000000000000000000000000000000000000000000000000000000080", TRUST_KEY_SMALL_ORDER },
		{ "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", TRUST_KEY_NONCANONICAL },
		{ "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", TRUST_KEY_NONCANONICAL },
		{ "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", TRUST_KEY_NONCANONICAL },
		{ "0200000000000000000000000000000000000000000000000000000000000000", TRUST_KEY_NOT_ON_CURVE },
		{ "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", TRUST_KEY_OK },
		{ "5866666666666666666666666666666666666666666666666666666666666666", TRUST_KEY_OK },
	};
	uint8_t k[32], base[32], torsion[32];

	(void)state;
	check_key_cases(cases, MG_ARRAY_LEN(cases), trust_key_check);
	/* Base point plus a point of order 8: on the curve, not small order,
	 * but outside the prime-order subgroup. */
	hex(base, 32, "5866666666666666666666666666666666666666666666666666666666666666");
	hex(k, 32, "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05");
	assert_int_equal(crypto_core_ed25519_add(torsion, base, k), 0);
	assert_int_equal(trust_key_check(torsion), TRUST_KEY_TORSION);
	assert_int_equal(trust_wg_public_from_identity(torsion, k), -1);
}

static void test_x25519_key_checks(void **state)
{
	static const struct key_case cases[] = {
		{ "0000000000000000000000000000000000000000000000000000000000000000", TRUST_KEY_ZERO },
		{ "0100000000000000000000000000000000000000000000000000000000000000", TRUST_KEY_SMALL_ORDER },
		{ "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", TRUST_KEY_SMALL_ORDER },
		{ "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", TRUST_KEY_SMALL_ORDER },
		{ "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", TRUST_KEY_SMALL_ORDER },
		{ "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", TRUST_KEY_NONCANONICAL },
		{ "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", TRUST_KEY_NONCANONICAL },
		{ "d85e07ec22b0ad881537c2f44d662d1a143cf830c57aca4305d85c7a90f6b6ae", TRUST_KEY_NONCANONICAL },
		{ "d85e07ec22b0ad881537c2f44d662d1a143cf830c57aca4305d85c7a90f6b62e", TRUST_KEY_OK },
	};
	(void)state;
	check_key_cases(cases, MG_ARRAY_LEN(cases), trust_wg_key_check);
}

static void test_key_text(void **state)
{
	uint8_t k[32];
	char text[45];

	(void)state;
	assert_int_equal(trust_key_from_text("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", 44, k),
			 TRUST_KEY_OK);
	trust_key_to_text(k, text);
	assert_string_equal(text, "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
	/* 43 and 45 characters, an extra space, a padding error, a bad char. */
	assert_int_equal(trust_key_from_text("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo", 43, k),
			 TRUST_KEY_BAD_LENGTH);
	assert_int_equal(trust_key_from_text("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo==", 45, k),
			 TRUST_KEY_BAD_LENGTH);
	assert_int_equal(trust_key_from_text("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUR==", 44, k),
			 TRUST_KEY_BAD_BASE64);
	assert_int_equal(trust_key_from_text("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHU!o=", 44, k),
			 TRUST_KEY_BAD_BASE64);
	/* 'p' instead of 'o' sets a trailing bit that lax decoders ignore: a
	 * second spelling of the same key, refused (libsodium already rejects it
	 * as bad base64; keytext re-encodes to catch any decoder that does not). */
	assert_int_not_equal(trust_key_from_text("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURp=", 44, k),
			     TRUST_KEY_OK);
	/* A base64-valid small-order key. */
	assert_int_equal(trust_key_from_text("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 44, k),
			 TRUST_KEY_SMALL_ORDER);
	assert_true(trust_is_zero(k, 32));
}

static void test_keyfile_parse(void **state)
{
	const char *why = NULL;
	unsigned line;
	uint8_t k[32];

	(void)state;
	assert_int_equal(trust_keyfile_parse("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n", 45,
					     false, k, &line, &why), 0);
	assert_int_equal(line, 1);
	{
		const char *t = "# alice's laptop\n\n11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= \r\n\n";
		assert_int_equal(trust_keyfile_parse(t, strlen(t), false, k, &line, &why), 0);
		assert_int_equal(line, 3);
	}
	{
		const char *t = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\nPUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=\n";
		assert_int_equal(trust_keyfile_parse(t, strlen(t), false, k, &line, &why), -EINVAL);
		assert_int_equal(line, 2);
		assert_non_null(strstr(why, "more than one"));
	}
	{
		const char *t = "# nothing\n\n";
		assert_int_equal(trust_keyfile_parse(t, strlen(t), false, k, &line, &why), -EINVAL);
		assert_int_equal(line, 0);
	}
	{
		const char *t = "\n  11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n";
		assert_int_equal(trust_keyfile_parse(t, strlen(t), false, k, &line, &why), -EINVAL);
		assert_int_equal(line, 2);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_null(trust_name_check("alice"));
	assert_null(trust_name_check("node-1.eu_west+2"));
	assert_null(trust_name_check("01234567890123456789012345678901"));
	assert_non_null(trust_name_check(""));
	assert_non_null(trust_name_check("012345678901234567890123456789012"));
	assert_non_null(trust_name_check("../etc"));
	assert_non_null(trust_name_check("a/b"));
	assert_non_null(trust_name_check("a..b"));
	assert_non_null(trust_name_check(".hidden"));
	assert_non_null(trust_name_check("-rf"));
	assert_non_null(trust_name_check("sp ace"));
	assert_non_null(trust_name_check("tab\t"));
}

/* ---- files ---- */

static void test_identity_files(void **state)
{
	char *dir = tmpdir_new(), err[TRUST_ERR_LEN];
	struct trust_identity id, back;
	uint8_t pk[32];
	struct stat st;
	char path[PATH_MAX];

	(void)state;
	trust_identity_generate(&id);
	assert_int_equal(trust_identity_save(dir, &id, false, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/identity.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 89);
	assert_int_equal(trust_identity_load(dir, &back, err, sizeof(err)), 0);
	assert_memory_equal(back.secret, id.secret, 64);
	assert_int_equal(trust_identity_load_public(dir, pk, err, sizeof(err)), 0);
	assert_memory_equal(pk, id.public_key, 32);

	/* Never clobbered without `replace`. */
	trust_identity_generate(&back);
	assert_int_equal(trust_identity_save(dir, &back, false, err, sizeof(err)), -EEXIST);
	assert_int_equal(trust_identity_load(dir, &back, err, sizeof(err)), 0);
	assert_memory_equal(back.public_key, id.public_key, 32);
	/* Replaced with it. */
	trust_identity_generate(&back);
	assert_int_equal(trust_identity_save(dir, &back, true, err, sizeof(err)), 0);
	assert_int_equal(trust_identity_load(dir, &id, err, sizeof(err)), 0);
	assert_memory_equal(back.public_key, id.public_key, 32);
	assert_int_equal(hidden_files(dir, "."), 0);

	/* Accessible by group or others (read or write): refused, with the fix
	 * in the message, and nothing of the secret is returned. */
	{
		static const mode_t bad[] = {0640, 0604, 0620, 0602, 0660, 0644, 0666, 0700 | 0040};
		char want[64];

		for (size_t i = 0; i < MG_ARRAY_LEN(bad); i++) {
			assert_int_equal(chmod(path, bad[i]), 0);
			memset(&id, 0xa5, sizeof(id));
			assert_int_equal(trust_identity_load(dir, &id, err, sizeof(err)), -EPERM);
			snprintf(want, sizeof(want), "(mode %04o)", (unsigned)bad[i]);
			assert_non_null(strstr(err, want));
			assert_non_null(strstr(err, "chmod 600"));
			assert_non_null(strstr(err, path));
			assert_true(trust_is_zero(id.secret, 64));
		}
		/* owner-only modes are fine */
		assert_int_equal(chmod(path, 0400), 0);
		assert_int_equal(trust_identity_load(dir, &id, err, sizeof(err)), 0);
		assert_int_equal(chmod(path, 0600), 0);
	}
	/* A symbolic link is judged by the file it points to. */
	{
		char target[PATH_MAX], link_path[PATH_MAX];

		snprintf(target, sizeof(target), "%s/elsewhere.key", dir);
		assert_int_equal(rename(path, target), 0);
		assert_int_equal(symlink(target, path), 0);
		assert_int_equal(trust_identity_load(dir, &id, err, sizeof(err)), 0);
		assert_int_equal(chmod(target, 0644), 0);
		assert_int_equal(trust_identity_load(dir, &id, err, sizeof(err)), -EPERM);
		assert_int_equal(unlink(target), 0);
		assert_int_equal(trust_identity_load(dir, &id, err, sizeof(err)), -ENOENT);
		assert_non_null(strstr(err, "symbolic link to a missing file"));
		snprintf(link_path, sizeof(link_path), "%s", path);
		assert_int_equal(unlink(link_path), 0);
	}
	trust_identity_wipe(&id);
	trust_identity_wipe(&back);
	tmpdir_remove(dir);
}

static void test_identity_corrupt(void **state)
{
	static const char *bad[] = {
		"",                                       /* empty */
		"AAAA\n",                                 /* truncated */
		"TM0Imyj/ltqdtsNG7BFOD1uKMZ81q6Yk2oz27U+4pvs9QBfD6EOJWpK3CqdNG368nJgszy7ElozAzVXxKvRmDA==AAAA\n",
		"TM0Imyj/ltqdtsNG7BFOD1uKMZ81q6Yk2oz27U+4pvs9QBfD6EOJWpK3CqdNG368nJgszy7ElozAzVXxKvRmD!==\n",
		NULL, /* S2's seed with S1's public half, built below */
	};
	char err[TRUST_ERR_LEN];
	struct trust_identity id;

	(void)state;
	for (size_t i = 0; i < MG_ARRAY_LEN(bad); i++) {
		char *dir = tmpdir_new(), spliced[TRUST_SECRET_TEXT_LEN + 2];
		uint8_t sk[64];

		if (!bad[i]) {
			b64(sk, 64, S[2].key_text);
			hex(sk + 32, 32, S[1].pk);
			mg_b64_encode(spliced, sk, 64);
			strcat(spliced, "\n");
		}
		put_text(dir, "identity.key", bad[i] ? bad[i] : spliced);
		assert_int_equal(trust_identity_load(dir, &id, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "identity.key: corrupt"));
		tmpdir_remove(dir);
	}
	{
		/* Oversized garbage. */
		char *dir = tmpdir_new();
		char big[2000];

		memset(big, 'A', sizeof(big));
		put_file(dir, "identity.key", big, sizeof(big), 0600);
		assert_int_equal(trust_identity_load(dir, &id, err, sizeof(err)), -EFBIG);
		tmpdir_remove(dir);
	}
	{
		/* A .pub of another key. */
		char *dir = tmpdir_new();

		put_text(dir, "identity.key", "TM0Imyj/ltqdtsNG7BFOD1uKMZ81q6Yk2oz27U+4pvs9QBfD6EOJWpK3CqdNG368nJgszy7ElozAzVXxKvRmDA==\n");
		assert_int_equal(trust_identity_load(dir, &id, err, sizeof(err)), 0);
		put_text(dir, "identity.pub", "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n");
		assert_int_equal(trust_identity_load(dir, &id, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "does not match"));
		tmpdir_remove(dir);
	}
	{
		char *dir = tmpdir_new();

		assert_int_equal(trust_identity_load(dir, &id, err, sizeof(err)), -ENOENT);
		assert_non_null(strstr(err, "meshguard keygen"));
		tmpdir_remove(dir);
	}
}

static void test_org_key_files(void **state)
{
	char *dir = tmpdir_new(), err[TRUST_ERR_LEN];
	struct trust_identity org, back;
	uint8_t pk[32];

	(void)state;
	trust_identity_generate(&org);
	assert_int_equal(trust_org_key_save(dir, &org, false, err, sizeof(err)), 0);
	assert_int_equal(trust_org_key_load(dir, &back, err, sizeof(err)), 0);
	assert_memory_equal(back.public_key, org.public_key, 32);
	assert_int_equal(trust_org_key_load_public(dir, pk, err, sizeof(err)), 0);
	assert_memory_equal(pk, org.public_key, 32);
	assert_int_equal(trust_org_key_save(dir, &org, false, err, sizeof(err)), -EEXIST);
	assert_int_equal(hidden_files(dir, "org"), 0);
	trust_identity_wipe(&org);
	trust_identity_wipe(&back);
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_vectors),
		cmocka_unit_test(test_ipv4_adjustments),
		cmocka_unit_test(test_ed25519_key_checks),
		cmocka_unit_test(test_x25519_key_checks),
		cmocka_unit_test(test_key_text),
		cmocka_unit_test(test_keyfile_parse),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_identity_files),
		cmocka_unit_test(test_identity_corrupt),
		cmocka_unit_test(test_org_key_files),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
