/* SPDX-License-Identifier: MIT */
/*
 * keygen, export, id / config show: this node's identity, its WireGuard key
 * and mesh addresses.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "clock.h"
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
static int refuse_existing(const struct cli_ctx *ctx, const char *key_path)
{
	struct trust_identity id;
	char err[TRUST_ERR_LEN + PATH_MAX], text[TRUST_KEY_TEXT_LEN + 1];

	if (!mg_path_exists(key_path))
		return cli_fail("%s/identity.pub exists without identity.key; move it away, or "
				"replace it with 'meshguard keygen --force'", ctx->config_dir);

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
		return refuse_existing(ctx, path);
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
	sodium_memzero(wg_priv, sizeof(wg_priv));
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

/* node.cert, if present: what it says and whether it is valid here. */
static void print_node_cert(const struct cli_ctx *ctx, const struct trust_store *s,
			    const uint8_t pk[TRUST_KEY_LEN])
{
	char path[PATH_MAX], err[TRUST_ERR_LEN + PATH_MAX], text[256];
	uint8_t buf[TRUST_CERT_LEN], own_wg[TRUST_KEY_LEN];
	struct trust_verdict v;
	size_t len;

	if (cli_path(path, ctx->config_dir, "node.cert") || !mg_path_exists(path))
		return;
	if (trust_cert_read(path, buf, &len, err, sizeof(err)) != 0) {
		printf("%-15s %s\n", "node.cert:", err);
		return;
	}
	trust_check_cert(s, buf, len, mg_now_unix(), &v);
	if (v.reason == TRUST_R_OK && memcmp(v.identity, pk, TRUST_KEY_LEN) != 0) {
		printf("%-15s INVALID: issued for another identity\n", "node.cert:");
		return;
	}
	trust_verdict_format(&v, text, sizeof(text));
	printf("%-15s %s\n", "node.cert:", text);
	/* A v2 certificate must bind this node's own WireGuard key, or peers
	 * will refuse the tunnel. */
	if (v.reason == TRUST_R_OK && v.wg_bound &&
	    (trust_wg_public_from_identity(pk, own_wg) != 0 || memcmp(own_wg, v.wg, TRUST_KEY_LEN) != 0))
		printf("%-15s warning: it binds another WireGuard key than this node's\n", "");
}

static void print_trust_summary(const struct cli_ctx *ctx, const uint8_t pk[TRUST_KEY_LEN])
{
	char err[TRUST_ERR_LEN + PATH_MAX], text[TRUST_KEY_TEXT_LEN + 1], dom[TRUST_DOMAIN_LEN + 1];
	struct trust_store_counts n;
	struct trust_store *s;
	uint8_t org[TRUST_KEY_LEN];

	if (trust_store_load(ctx->config_dir, &s, err, sizeof(err)) != 0) {
		printf("%-15s error: %s\n", "trust store:", err);
		return;
	}
	trust_store_counts(s, &n);
	printf("%-15s %zu peer(s), %zu org(s); %zu revocation(s), %zu vouch(es), %zu alias(es)\n",
	       "trusted:", n.keys, n.orgs, n.revocations, n.vouches, n.aliases);
	if (n.keys == 0 && n.orgs == 0)
		printf("%-15s nothing is trusted yet: this node admits no peer\n", "");
	print_node_cert(ctx, s, pk);
	if (trust_org_key_load_public(ctx->config_dir, org, err, sizeof(err)) == 0) {
		trust_key_to_text(org, text);
		trust_org_domain(org, dom);
		printf("%-15s %s (domain %s.mesh)\n", "org admin key:", text, dom);
	}
	trust_store_free(s);
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
	print_trust_summary(ctx, pk);
	return CLI_OK;
}

int cmd_config(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "show") != 0)
		return cli_usage_error("usage: meshguard config show");
	return cmd_id(ctx, argc - 1, argv + 1);
}
