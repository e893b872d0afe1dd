/* SPDX-License-Identifier: MIT */
/*
 * Static peer files (wg-quick [Peer] syntax) and the endpoint / prefix text
 * forms they use: what parses, what each field becomes, and that every
 * mistake is an error naming the file and the line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "wg.h"

/* Two keys in base64 and the bytes they stand for. */
#define KEY_A "IMZ7ldkxLyG3OUQONmjXe2fOO0O43okY81rZwCNX51U="
#define KEY_B "QDg38D3CM0ymXKjFf5a+Ke0DiXaQ92yZLgUyHT/Ve0M="

static void key_bytes(const char *b64, uint8_t out[32])
{
	/* Independent of the parser: decode with the standard alphabet by hand. */
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (const char *p = b64; *p && *p != '='; p++) {
		acc = acc << 6 | (uint32_t)(strchr(alpha, *p) - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	assert_int_equal(n, 32);
}

static int parse(struct wg_conf *c, const char *text, char *err, size_t errlen)
{
	return wg_conf_parse(c, text, strlen(text), "peers/test.conf", err, errlen);
}

/* ---- Good files ---------------------------------------------------------------- */

static void test_full_peer(void **state)
{
	struct wg_conf c;
	char err[256] = "";
	uint8_t a[32], b[32];
	const char *text = "# phone\n"
			   "[Peer]\n"
			   "PublicKey = " KEY_A "\n"
			   "PresharedKey=" KEY_B "   # trailing comment\n"
			   "Endpoint = 192.0.2.7:51820\n"
			   "AllowedIPs = 10.99.1.2/32, fd99:6d67::1/128\n"
			   "AllowedIPs = 192.168.7.9/24\n"
			   "PersistentKeepalive = 25\n";

	(void)state;
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_int_equal(c.n_peers, 1);
	key_bytes(KEY_A, a);
	key_bytes(KEY_B, b);
	assert_memory_equal(c.peers[0].cfg.public_key, a, 32);
	assert_memory_equal(c.peers[0].cfg.preshared_key, b, 32);
	assert_true(c.peers[0].cfg.flags & WG_PEER_SET_PSK);
	assert_true(c.peers[0].cfg.flags & WG_PEER_SET_ENDPOINT);
	assert_int_equal(c.peers[0].cfg.endpoint.sa.sa_family, AF_INET);
	assert_int_equal(ntohs(c.peers[0].cfg.endpoint.in4.sin_port), 51820);
	assert_int_equal(ntohl(c.peers[0].cfg.endpoint.in4.sin_addr.s_addr), 0xC0000207);
	assert_true(c.peers[0].cfg.flags & WG_PEER_SET_KEEPALIVE);
	assert_int_equal(c.peers[0].cfg.keepalive_s, 25);
	assert_int_equal(c.peers[0].line, 2);
	/* Lines accumulate; host bits of an allowed IP are cleared (192.168.7.9/24). */
	assert_int_equal(c.peers[0].cfg.n_allowed_ips, 3);
	assert_int_equal(c.peers[0].cfg.allowed_ips[0].family, AF_INET);
	assert_int_equal(c.peers[0].cfg.allowed_ips[0].cidr, 32);
	assert_int_equal(c.peers[0].cfg.allowed_ips[1].family, AF_INET6);
	assert_int_equal(c.peers[0].cfg.allowed_ips[1].cidr, 128);
	assert_memory_equal(c.peers[0].cfg.allowed_ips[2].addr, ((uint8_t[]){ 192, 168, 7, 0 }), 4);
	assert_int_equal(c.peers[0].cfg.allowed_ips[2].cidr, 24);
	wg_conf_free(&c);
	assert_null(c.peers);
}

static void test_two_peers_minimal_case_insensitive(void **state)
{
	struct wg_conf c;
	char err[256] = "";
	const char *text = "[peer]\npublickey = " KEY_A "\n\n"
			   "[PEER]\r\nPUBLICKEY = " KEY_B "\r\nENDPOINT = [fd00::9]:7\r\n"
			   "persistentkeepalive = off\r\n";

	(void)state;
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_int_equal(c.n_peers, 2);
	assert_int_equal(c.peers[0].cfg.flags, 0); /* nothing but the key: nothing else set */
	assert_int_equal(c.peers[0].cfg.n_allowed_ips, 0);
	assert_int_equal(c.peers[1].line, 4);
	assert_int_equal(c.peers[1].cfg.endpoint.sa.sa_family, AF_INET6);
	assert_int_equal(ntohs(c.peers[1].cfg.endpoint.in6.sin6_port), 7);
	assert_true(c.peers[1].cfg.flags & WG_PEER_SET_KEEPALIVE);
	assert_int_equal(c.peers[1].cfg.keepalive_s, 0);
	wg_conf_free(&c);
}

/* ---- Bad files: each names file and line ------------------------------------------ */

struct bad_case {
	const char *text;
	const char *expect; /* substring of the message, starting with the location */
};

static const struct bad_case bad_cases[] = {
	{ "[Interface]\nPrivateKey = " KEY_A "\n", "peers/test.conf:1: [Interface] is not allowed" },
	{ "[Peer]\nPublicKey = " KEY_A "\nPublicKy = x\n", "peers/test.conf:3: unknown key 'PublicKy'" },
	{ "PublicKey = " KEY_A "\n", "peers/test.conf:1: 'PublicKey' outside a [Peer] section" },
	{ "[Peer]\nPublicKey = " KEY_A "\nPublicKey = " KEY_B "\n",
	  "peers/test.conf:3: PublicKey given twice" },
	{ "[Peer]\nPublicKey = abc\n", "peers/test.conf:2: PublicKey: not a base64 WireGuard key" },
	{ "[Peer]\nPublicKey = " KEY_A "\nPresharedKey = " KEY_A "x\n",
	  "peers/test.conf:3: PresharedKey: not a base64" },
	{ "[Peer]\nEndpoint = 1.2.3.4:5\n", "peers/test.conf:1: [Peer] section without a PublicKey" },
	{ "# only\n[Peer]\nPublicKey = " KEY_A "\n[Peer]\nAllowedIPs = 10.0.0.1\n",
	  "peers/test.conf:4: [Peer] section without a PublicKey" },
	{ "[Peer]\nPublicKey = " KEY_A "\nEndpoint = vpn.example.com:51820\n",
	  "peers/test.conf:3: Endpoint: 'vpn.example.com:51820' is not IP:port" },
	{ "[Peer]\nPublicKey = " KEY_A "\nEndpoint = 1.2.3.4\n", "peers/test.conf:3: Endpoint" },
	{ "[Peer]\nPublicKey = " KEY_A "\nEndpoint = 1.2.3.4:70000\n", "peers/test.conf:3: Endpoint" },
	{ "[Peer]\nPublicKey = " KEY_A "\nEndpoint = fd00::1:80\n", "peers/test.conf:3: Endpoint" },
	{ "[Peer]\nPublicKey = " KEY_A "\nAllowedIPs = 10.0.0.0/33\n",
	  "peers/test.conf:3: AllowedIPs: '10.0.0.0/33'" },
	{ "[Peer]\nPublicKey = " KEY_A "\nAllowedIPs = 10.0.0.0/8,\n",
	  "peers/test.conf:3: AllowedIPs: trailing comma" },
	{ "[Peer]\nPublicKey = " KEY_A "\nAllowedIPs = 10.0.0.0/8,,10.1.0.0/16\n",
	  "peers/test.conf:3: AllowedIPs: empty entry" },
	{ "[Peer]\nPublicKey = " KEY_A "\nPersistentKeepalive = 65536\n",
	  "peers/test.conf:3: PersistentKeepalive" },
	{ "[Peer]\nPublicKey = " KEY_A "\nPersistentKeepalive = -1\n",
	  "peers/test.conf:3: PersistentKeepalive" },
	{ "[Peer]\nPublicKey = " KEY_A "\nnonsense\n", "peers/test.conf:3: expected 'Key = Value'" },
	{ "[Peer]\nPublicKey = " KEY_A "\n[Peer]\nPublicKey = " KEY_A "\n",
	  "peers/test.conf:3: the same PublicKey as the [Peer] at line 1" },
	{ "[Peers]\n", "peers/test.conf:1: unknown section [Peers]" },
	{ "# nothing here\n\n", "peers/test.conf: no [Peer] section" },
};

static void test_bad_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct wg_conf c = { (void *)1, 99 };
		char err[256] = "";
		int ret = parse(&c, bad_cases[i].text, err, sizeof(err));
		if (ret == 0 || !strstr(err, bad_cases[i].expect))
			fail_msg("case %zu: ret %d, message '%s', expected '%s'", i, ret, err,
				 bad_cases[i].expect);
		/* Nothing is returned from a file that does not parse. */
		assert_null(c.peers);
		assert_int_equal(c.n_peers, 0);
	}
}

static void test_nul_and_long_line(void **state)
{
	struct wg_conf c;
	char err[256] = "", *big;
	const char nul[] = "[Peer]\nPublicKey = " KEY_A "\0\n";

	(void)state;
	assert_int_not_equal(wg_conf_parse(&c, nul, sizeof(nul) - 1, "f.conf", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "f.conf:2: NUL byte"));
	big = malloc(10000);
	assert_non_null(big);
	memset(big, '#', 9999);
	big[9999] = '\0';
	assert_int_not_equal(parse(&c, big, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "peers/test.conf:1: line longer than"));
	free(big);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/mgio-conf-XXXXXX", path[128], err[256] = "";
	struct wg_conf c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/phone.conf", dir);
	assert_int_not_equal(wg_conf_load(&c, path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "phone.conf"));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[Peer]\nPublicKey = " KEY_A "\nAllowedIPs = 10.99.3.4/32\n", f);
	fclose(f);
	assert_int_equal(wg_conf_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.n_peers, 1);
	assert_int_equal(c.peers[0].cfg.n_allowed_ips, 1);
	wg_conf_free(&c);
	unlink(path);
	rmdir(dir);
}

/* ---- Text forms ---------------------------------------------------------------------- */

static void test_endpoint_text(void **state)
{
	union wg_endpoint ep;
	char text[WG_DEVICE_ENDPOINT_STRLEN];

	(void)state;
	assert_int_equal(wg_endpoint_parse(&ep, "10.0.0.1:1"), 0);
	wg_endpoint_format(&ep, text);
	assert_string_equal(text, "10.0.0.1:1");
	assert_int_equal(wg_endpoint_parse(&ep, "[fd00::a:1]:65535"), 0);
	wg_endpoint_format(&ep, text);
	assert_string_equal(text, "[fd00::a:1]:65535");
	assert_int_equal(wg_endpoint_parse(&ep, "[fe80::1%1]:9"), 0);
	assert_int_equal(ep.in6.sin6_scope_id, 1);
	/* An IPv4-mapped address is the IPv4 endpoint it means. */
	assert_int_equal(wg_endpoint_parse(&ep, "[::ffff:192.0.2.1]:5"), 0);
	assert_int_equal(ep.sa.sa_family, AF_INET);
	wg_endpoint_format(&ep, text);
	assert_string_equal(text, "192.0.2.1:5");
	memset(&ep, 0, sizeof(ep));
	wg_endpoint_format(&ep, text);
	assert_string_equal(text, "(none)");
	static const char *const bad[] = { "", ":1", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:+5",
					   "1.2.3.4: 5", "[fd00::1]5", "[fd00::1", "fd00::1:5",
					   "[1.2.3.4]:5", "1.2.3.4:123456", "[]:5",
					   "[fe80::1%nosuchif0]:9" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (wg_endpoint_parse(&ep, bad[i]) == 0)
			fail_msg("'%s' parsed as an endpoint", bad[i]);
	}
}

static void test_prefix_text(void **state)
{
	struct wg_prefix p;
	char text[WG_DEVICE_PREFIX_STRLEN];

	(void)state;
	assert_int_equal(wg_prefix_parse(&p, "10.99.3.4/16"), 0);
	wg_prefix_format(&p, text);
	assert_string_equal(text, "10.99.3.4/16"); /* parse keeps host bits (addresses) */
	assert_int_equal(wg_prefix_parse(&p, "fd99:6d67::1"), 0);
	assert_int_equal(p.cidr, 128);
	assert_int_equal(wg_prefix_parse(&p, "0.0.0.0/0"), 0);
	assert_int_equal(p.cidr, 0);
	static const char *const bad[] = { "", "/8", "10.0.0.0/", "10.0.0.0/33", "fd00::/129",
					   "10.0.0.0/8/8", "10.0.0.0/-1", "10.0.0.0/ 8", "x/8" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (wg_prefix_parse(&p, bad[i]) == 0)
			fail_msg("'%s' parsed as a prefix", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_peer),
		cmocka_unit_test(test_two_peers_minimal_case_insensitive),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_nul_and_long_line),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_endpoint_text),
		cmocka_unit_test(test_prefix_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
