/* SPDX-License-Identifier: MIT */
/*
 * Helper for the oracle scripts (b3sum, Python `cryptography`): exposes
 * trust/ internals on the command line.
 *
 *   trust_tool b3 FILE          BLAKE3 of the file, hex
 *   trust_tool derive SEEDHEX   pk, WG private/public key, addresses, domain
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "blake3.h"
#include "fsutil.h"
#include "keytext.h"
#include "trust.h"

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
	char out[2 * 64 + 1];

	mg_hex_encode(out, p, n);
	printf("%s %s\n", label, out);
}

static int cmd_b3(const char *path)
{
	static uint8_t buf[1 << 22];
	uint8_t h[BLAKE3_OUT_LEN];
	size_t len;

	if (mg_read_file(path, buf, sizeof(buf), &len) != 0)
		return 1;
	blake3_hash(buf, len, h);
	print_hex("b3", h, sizeof(h));
	return 0;
}

static int cmd_derive(const char *seed_hex)
{
	uint8_t seed[32], wg_priv[32], wg_pub[32];
	char v4[TRUST_ADDR_STR_LEN], v6[TRUST_ADDR_STR_LEN], dom[TRUST_DOMAIN_LEN + 1];
	struct trust_identity id;

	if (mg_hex_decode_exact(seed, 32, seed_hex, strlen(seed_hex)) != 0)
		return 2;
	trust_identity_from_seed(seed, &id);
	trust_identity_wg_keypair(&id, wg_priv, wg_pub);
	trust_mesh_ipv4_str(id.public_key, v4);
	trust_mesh_ipv6_str(id.public_key, v6);
	trust_org_domain(id.public_key, dom);
	print_hex("pk", id.public_key, 32);
	print_hex("wg_priv", wg_priv, 32);
	print_hex("wg_pub", wg_pub, 32);
	printf("ipv4 %s\nipv6 %s\ndomain %s\n", v4, v6, dom);
	trust_identity_wipe(&id);
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc == 3 && strcmp(argv[1], "b3") == 0)
		return cmd_b3(argv[2]);
	if (argc == 3 && strcmp(argv[1], "derive") == 0)
		return cmd_derive(argv[2]);
	fprintf(stderr, "usage: trust_tool b3 FILE | derive SEEDHEX\n");
	return 2;
}
