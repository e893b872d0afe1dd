/* SPDX-License-Identifier: MIT */
/*
 * keygen, export, id / config show: this node's identity, its WireGuard key
 * and mesh addresses.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_util.h"
#include "fsutil.h"
#include "trust.h"

static void print_key_line(const char *label, const uint8_t key[TRUST_KEY_LEN])
{
	char text[TRUST_KEY_TEXT_LEN + 1];

	trust_key_to_text(key, text);
	printf("%-15s %s\n", label, text);
}

static void print_addresses(const uint8_t pk[TRUST_KEY_LEN])
{
	char v4[TRUST_ADDR_STR_LEN], v6[TRUST_ADDR_STR_LEN];

	trust_mesh_ipv4_str(pk, v4);
	trust_mesh_ipv6_str(pk, v6);
	printf("%-15s %s\n%-15s %s\n", "mesh IPv4:", v4, "mesh IPv6:", v6);
}

/* An identity file exists: explain why keygen will not touch it. */
static int refuse_existing(const struct cli_ctx *ctx)
{
	struct trust_identity id;
	char err[TRUST_ERR_LEN], text[TRUST_KEY_TEXT_LEN + 1];

	if (trust_identity_load(ctx->config_dir, &id, err, sizeof(err)) == 0) {
		trust_key_to_text(id.public_key, text);
		trust_identity_wipe(&id);
		return cli_fail("an identity already exists in %s (public key %s); "
				"use 'meshguard keygen --force' to replace it",
				ctx->config_dir, text);
	}
	return cli_fail("an identity file exists in %s but cannot be used: %s; "
			"move it away, or replace it with 'meshguard keygen --force'",
			ctx->config_dir, err);
}

int cmd_keygen(struct cli_ctx *ctx, int argc, char **argv)
{
	bool force = false;
	const struct cli_opt opts[] = { { "--force", NULL, &force } };
	char path[PATH_MAX], pub[PATH_MAX], err[TRUST_ERR_LEN + PATH_MAX];
	uint8_t wg_priv[TRUST_KEY_LEN], wg_pub[TRUST_KEY_LEN];
	struct trust_identity id;
	int ret;

	if ((ret = cli_parse(argc, argv, opts, 1, NULL, 0, 0, NULL)))
		return ret;
	if ((ret = cli_ensure_config_dir(ctx)) || (ret = cli_path(path, ctx->config_dir, "identity.key")) ||
	    (ret = cli_path(pub, ctx->config_dir, "identity.pub")))
		return ret;
	if (!force && (mg_path_exists(path) || mg_path_exists(pub)))
		return refuse_existing(ctx);
	trust_identity_generate(&id);
	ret = trust_identity_save(ctx->config_dir, &id, force, err, sizeof(err));
	if (ret) {
		trust_identity_wipe(&id);
		return cli_fail("%s", err);
	}
	trust_identity_wg_keypair(&id, wg_priv, wg_pub);
	printf("Identity key pair generated.\n");
	print_key_line("public key:", id.public_key);
	print_key_line("WireGuard key:", wg_pub);
	print_addresses(id.public_key);
	printf("%-15s %s/\n", "saved to:", ctx->config_dir);
	trust_identity_wipe(&id);
	memset(wg_priv, 0, sizeof(wg_priv));
	return CLI_OK;
}

/*
 * The public key, checked against the secret when we may read it. A user
 * without access to a root-owned identity.key still gets identity.pub.
 */
static int load_public_identity(const struct cli_ctx *ctx, uint8_t pk[TRUST_KEY_LEN])
{
	struct trust_identity id;
	char err[TRUST_ERR_LEN + PATH_MAX];
	int ret;

	ret = trust_identity_load(ctx->config_dir, &id, err, sizeof(err));
	if (ret == 0) {
		memcpy(pk, id.public_key, TRUST_KEY_LEN);
		trust_identity_wipe(&id);
		return 0;
	}
	if (ret == -EACCES && trust_identity_load_public(ctx->config_dir, pk, err, sizeof(err)) == 0)
		return 0;
	return cli_fail("%s", err);
}

int cmd_export(struct cli_ctx *ctx, int argc, char **argv)
{
	bool wg = false;
	const struct cli_opt opts[] = { { "--wg", NULL, &wg } };
	uint8_t pk[TRUST_KEY_LEN], wg_pub[TRUST_KEY_LEN];
	char text[TRUST_KEY_TEXT_LEN + 1];
	int ret;

	if ((ret = cli_parse(argc, argv, opts, 1, NULL, 0, 0, NULL)) || (ret = load_public_identity(ctx, pk)))
		return ret;
	if (wg) {
		if (trust_wg_public_from_identity(pk, wg_pub) != 0)
			return cli_fail("the identity key is not a valid Ed25519 key");
		memcpy(pk, wg_pub, TRUST_KEY_LEN);
	}
	trust_key_to_text(pk, text);
	printf("%s\n", text);
	return CLI_OK;
}

int cmd_id(struct cli_ctx *ctx, int argc, char **argv)
{
	uint8_t pk[TRUST_KEY_LEN], wg_pub[TRUST_KEY_LEN];
	int ret;

	if ((ret = cli_parse(argc, argv, NULL, 0, NULL, 0, 0, NULL)) || (ret = load_public_identity(ctx, pk)))
		return ret;
	printf("%-15s %s\n", "config dir:", ctx->config_dir);
	print_key_line("public key:", pk);
	if (trust_wg_public_from_identity(pk, wg_pub) == 0)
		print_key_line("WireGuard key:", wg_pub);
	print_addresses(pk);
	return CLI_OK;
}

int cmd_config(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "show") != 0)
		return cli_usage_error("usage: meshguard config show");
	return cmd_id(ctx, argc - 1, argv + 1);
}
