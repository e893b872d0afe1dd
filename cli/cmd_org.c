/* SPDX-License-Identifier: MIT */
/*
 * Org administration: org-keygen, org-sign (v1, v2, delegated leaves),
 * org-delegate (grants), org-revoke, org-vouch, org-alias.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "clock.h"
#include "cli.h"
#include "cli_util.h"
#include "fsutil.h"
#include "trust.h"

static int load_org_key(const struct cli_ctx *ctx, struct trust_identity *org)
{
	char err[TRUST_ERR_LEN + PATH_MAX];

	if (trust_org_key_load(ctx->config_dir, org, err, sizeof(err)) != 0)
		return cli_fail("%s", err);
	return 0;
}

static void print_org(const uint8_t org[TRUST_KEY_LEN])
{
	char dom[TRUST_DOMAIN_LEN + 1], text[TRUST_DOMAIN_LEN + 8];

	cli_print_key("org key:", org);
	trust_org_domain(org, dom);
	snprintf(text, sizeof(text), "%s.mesh", dom);
	cli_print_field("domain:", text);
}

int cmd_org_keygen(struct cli_ctx *ctx, int argc, char **argv)
{
	bool force = false;
	const struct cli_opt opts[] = { { "--force", NULL, &force } };
	char err[TRUST_ERR_LEN + PATH_MAX], key[PATH_MAX], pub[PATH_MAX];
	struct trust_identity org;
	int ret;

	if ((ret = cli_parse(argc, argv, opts, 1, NULL, 0, 0, NULL)) ||
	    (ret = cli_ensure_config_dir(ctx)) || (ret = cli_path(key, ctx->config_dir, "org/org.key")) ||
	    (ret = cli_path(pub, ctx->config_dir, "org/org.pub")))
		return ret;
	if (!force && (mg_path_exists(key) || mg_path_exists(pub))) {
		if (trust_org_key_load(ctx->config_dir, &org, err, sizeof(err)) == 0) {
			trust_identity_wipe(&org);
			return cli_fail("an org key already exists in %s/org; use 'meshguard "
					"org-keygen --force' to replace it (certificates signed with "
					"it stop being valid once nodes stop trusting it)",
					ctx->config_dir);
		}
		return cli_fail("an org key file exists but cannot be used: %s; move it away, or "
				"replace it with 'meshguard org-keygen --force'", err);
	}
	trust_identity_generate(&org);
	ret = trust_org_key_save(ctx->config_dir, &org, force, err, sizeof(err));
	if (ret) {
		trust_identity_wipe(&org);
		return cli_fail("%s", err);
	}
	printf("Org key pair generated.\n");
	print_org(org.public_key);
	cli_print_field("saved to:", key);
	printf("\nNodes trust this org with: meshguard trust --org %s\n", pub);
	printf("Sign a node with:          meshguard org-sign <node.pub> --name <name> "
	       "[--wg-pubkey <key>] [--expires 90d]\n");
	trust_identity_wipe(&org);
	return CLI_OK;
}

/* --out, else <config dir>/issued/<file>. */
static int output_path(const struct cli_ctx *ctx, const char *out, const char *file,
		       char path[PATH_MAX])
{
	if (!out)
		return cli_path_in(path, ctx->config_dir, "issued", file);
	if (strlen(out) >= PATH_MAX)
		return cli_usage_error("--out: path too long");
	snprintf(path, PATH_MAX, "%s", out);
	return 0;
}

/* ---- org-sign ---- */

struct sign_args {
	const char *node, *name, *expires, *wg, *grant, *out;
	bool force;
};

static int default_cert_name(const struct sign_args *a, bool from_file, char out[TRUST_NAME_MAX + 1])
{
	char stem[NAME_MAX + 1];
	const char *bad;

	if (a->name) {
		if ((bad = trust_name_check(a->name)))
			return cli_usage_error("--name '%s': %s", a->name, bad);
		snprintf(out, TRUST_NAME_MAX + 1, "%.*s", TRUST_NAME_MAX, a->name);
		return 0;
	}
	cli_file_stem(a->node, stem, sizeof(stem));
	if (!from_file || trust_name_check(stem) || strcmp(stem, "identity") == 0)
		snprintf(stem, sizeof(stem), "node");
	snprintf(out, TRUST_NAME_MAX + 1, "%.*s", TRUST_NAME_MAX, stem);
	return 0;
}

static int read_grant(const char *path, const struct trust_identity *issuer, int64_t now,
		      struct trust_grant *g)
{
	uint8_t buf[TRUST_GRANT_FILE_LEN];
	const char *why;
	char when[32];
	size_t len;
	int ret;

	if ((ret = mg_read_file(path, buf, sizeof(buf), &len)) == -EFBIG)
		return cli_fail("%s: not a delegation grant: wrong size (a grant file is 138 bytes)",
				path);
	if (ret)
		return cli_fail("cannot read %s: %s", path, strerror(-ret));
	if (trust_grant_decode(buf, len, g, &why) != TRUST_R_OK)
		return cli_fail("%s: not a delegation grant: %s", path, why);
	if (!trust_grant_verify(g))
		return cli_fail("%s: the grant's signature does not verify (not signed by its org)", path);
	if (memcmp(g->issuer, issuer->public_key, TRUST_KEY_LEN) != 0)
		return cli_fail("%s delegates to another key, not to this config dir's org key "
				"(org/org.pub)", path);
	if (now >= g->expires_at) {
		trust_format_time(g->expires_at, when);
		return cli_fail("%s: the grant expired on %s", path, when);
	}
	return 0;
}

/* Never overwrite a certificate of another node by accident. */
static int check_cert_target(const char *path, const uint8_t node[TRUST_KEY_LEN], bool force)
{
	uint8_t buf[TRUST_CERT_LEN];
	struct trust_cert old;
	size_t len;

	if (force || !mg_path_exists(path))
		return 0;
	if (mg_read_file(path, buf, sizeof(buf), &len) == 0 &&
	    trust_cert_decode(buf, len, &old, NULL) == TRUST_R_OK &&
	    memcmp(old.node, node, TRUST_KEY_LEN) == 0)
		return 0; /* renewing the same node's certificate */
	return cli_fail("%s exists and is not a certificate for this node; choose another "
			"--name or --out, or replace it with --force", path);
}

static int build_cert(const struct sign_args *a, const struct trust_identity *key, int64_t now,
		      struct trust_cert *c, char name[TRUST_NAME_MAX + 1])
{
	struct trust_grant g;
	bool from_file;
	int ret;

	memset(c, 0, sizeof(*c));
	if ((ret = cli_read_key_arg(a->node, false, c->node, &from_file)) ||
	    (ret = default_cert_name(a, from_file, name)))
		return ret;
	memcpy(c->name, name, strlen(name));
	c->issued_at = now;
	if (a->wg && (ret = cli_read_key_arg(a->wg, true, c->wg, NULL)))
		return ret;
	c->version = a->wg ? 2 : 1;
	if (a->grant) {
		if ((ret = read_grant(a->grant, key, now, &g)))
			return ret;
		return trust_cert_sign_delegated(c, &g, key) ? cli_fail("cannot sign with this grant") : 0;
	}
	if (a->expires) {
		if ((ret = cli_parse_time("--expires", a->expires, now, &c->expires_at)))
			return ret;
		if (c->expires_at != 0 && c->expires_at <= now)
			return cli_usage_error("--expires '%s' is in the past", a->expires);
	}
	memcpy(c->org, key->public_key, TRUST_KEY_LEN);
	return trust_cert_sign(c, key) ? cli_fail("cannot sign the certificate") : 0;
}

static void print_cert_summary(const struct trust_cert *c, const char *name, const char *path)
{
	char dom[TRUST_DOMAIN_LEN + 1], text[128], when[32];
	bool delegated = c->flags & TRUST_CERT_DELEGATED;

	trust_org_domain(c->org, dom);
	printf("Certificate signed for '%s'.\n", name);
	snprintf(text, sizeof(text), "v%u%s", c->version,
		 delegated ? " (delegated: signed by this issuer under the org's grant)"
			   : c->version == 2 ? " (binds a WireGuard key)" : "");
	cli_print_field("version:", text);
	cli_print_key("node:", c->node);
	if (c->version == 2)
		cli_print_key("WireGuard key:", c->wg);
	cli_print_key("org:", c->org);
	snprintf(text, sizeof(text), "%s.%s.mesh", name, dom);
	cli_print_field("mesh name:", text);
	trust_format_time(c->expires_at, when);
	cli_print_field("expires:", when);
	cli_print_field("saved to:", path);
	printf("\nCopy it to the node as <config dir>/node.cert\n");
}

int cmd_org_sign(struct cli_ctx *ctx, int argc, char **argv)
{
	struct sign_args a = { 0 };
	const struct cli_opt opts[] = {
		{ "--name", &a.name, NULL },     { "--expires", &a.expires, NULL },
		{ "--wg-pubkey", &a.wg, NULL },  { "--grant", &a.grant, NULL },
		{ "--out", &a.out, NULL },       { "--force", NULL, &a.force },
	};
	char name[TRUST_NAME_MAX + 1], file[TRUST_NAME_MAX + 8], path[PATH_MAX];
	uint8_t wire[TRUST_CERT_LEN];
	struct trust_identity key;
	struct trust_cert c;
	int64_t now = mg_now_unix();
	int ret;

	if ((ret = cli_parse(argc, argv, opts, MG_ARRAY_LEN(opts), &a.node, 1, 1, NULL)))
		return ret;
	if (a.grant && a.expires)
		return cli_usage_error("a delegated certificate expires with its grant: drop --expires");
	if (a.grant && !a.wg)
		return cli_usage_error("a delegated certificate is v2: --wg-pubkey is required");
	if ((ret = load_org_key(ctx, &key)))
		return ret;
	ret = build_cert(&a, &key, now, &c, name);
	trust_identity_wipe(&key);
	if (ret)
		return ret;
	snprintf(file, sizeof(file), "%s.cert", name);
	if ((ret = output_path(ctx, a.out, file, path)) || (ret = check_cert_target(path, c.node, a.force)))
		return ret;
	trust_cert_encode(&c, wire);
	if ((ret = cli_write_file(path, wire, sizeof(wire), 0644, true)))
		return ret;
	print_cert_summary(&c, name, path);
	return CLI_OK;
}

/* ---- org-delegate ---- */

int cmd_org_delegate(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *issuer_arg, *name_opt = NULL, *expires = NULL, *out = NULL;
	const struct cli_opt opts[] = {
		{ "--name", &name_opt, NULL }, { "--expires", &expires, NULL }, { "--out", &out, NULL },
	};
	char name[TRUST_NAME_MAX + 1], file[TRUST_NAME_MAX + 8], path[PATH_MAX], when[32];
	uint8_t wire[TRUST_GRANT_FILE_LEN];
	struct trust_identity org;
	struct trust_grant g = { 0 };
	int64_t now = mg_now_unix();
	const char *bad;
	int ret;

	if ((ret = cli_parse(argc, argv, opts, MG_ARRAY_LEN(opts), &issuer_arg, 1, 1, NULL)))
		return ret;
	/* Upstream W-11: a grant lets the issuer mint any number of leaves; one
	 * that never expires could only be stopped by revoking the issuer. */
	if (!expires)
		return cli_usage_error("a delegation must expire: pass --expires (e.g. 90d)");
	if ((ret = cli_parse_time("--expires", expires, now, &g.expires_at)))
		return ret;
	if (g.expires_at == 0)
		return cli_usage_error("a delegation must expire: --expires never is not allowed");
	if (g.expires_at <= now)
		return cli_usage_error("--expires '%s' is in the past", expires);
	snprintf(name, sizeof(name), "%s", name_opt ? name_opt : "issuer");
	if ((bad = trust_name_check(name)))
		return cli_usage_error("--name '%s': %s", name, bad);
	if ((ret = cli_read_key_arg(issuer_arg, false, g.issuer, NULL)) || (ret = load_org_key(ctx, &org)))
		return ret;
	memcpy(g.org, org.public_key, TRUST_KEY_LEN);
	g.flags = TRUST_CERT_DELEGATED;
	ret = trust_grant_sign(&g, &org);
	trust_identity_wipe(&org);
	if (ret)
		return cli_fail("cannot sign the grant");
	snprintf(file, sizeof(file), "%s.grant", name);
	if ((ret = output_path(ctx, out, file, path)))
		return ret;
	trust_grant_encode(&g, wire);
	if ((ret = cli_write_file(path, wire, sizeof(wire), 0644, true)))
		return ret;
	trust_format_time(g.expires_at, when);
	printf("Delegation granted.\n");
	cli_print_key("issuer:", g.issuer);
	print_org(g.org);
	cli_print_field("expires:", when);
	cli_print_field("saved to:", path);
	printf("\nThe issuer signs nodes with: meshguard org-sign <node.pub> --grant %s "
	       "--wg-pubkey <key>\n(its own org/org.key signs; every leaf expires with the grant)\n",
	       path);
	return CLI_OK;
}

/* ---- org messages ---- */

/*
 * Sign an org message with the next Lamport value and write it to
 * <dir>/<file>. The clock is loaded with every message this node knows
 * (issued and learned), so the new message supersedes all of them.
 */
static int issue_msg(struct cli_ctx *ctx, struct trust_store *store, struct trust_msg *m,
		     const struct trust_identity *org, const char *dir, const char *file,
		     char path[PATH_MAX])
{
	char err[TRUST_ERR_LEN + PATH_MAX];
	uint8_t wire[TRUST_MSG_MAX_LEN];
	size_t len;
	int ret;

	if ((ret = cli_path_in(path, ctx->config_dir, dir, file)))
		return ret;
	if (trust_store_lamport_next(store, &m->lamport, err, sizeof(err)) != 0)
		return cli_fail("%s", err);
	if (trust_msg_sign(m, org) != 0)
		return cli_fail("refusing to sign this message (see docs/trust.md, signature reuse)");
	len = trust_msg_encode(m, wire);
	return cli_write_file(path, wire, len, 0644, true);
}

struct msg_cmd {
	struct trust_store *store;
	struct trust_identity org;
	struct trust_msg m;
	char path[PATH_MAX];
};

/* The existing file for this slot must be about the same subject (hex16 file
 * names could collide for crafted keys). */
static int check_msg_target(const char *dir, const char *file, const struct cli_ctx *ctx,
			    const uint8_t subject[TRUST_KEY_LEN])
{
	char path[PATH_MAX];
	uint8_t buf[TRUST_MSG_MAX_LEN];
	struct trust_msg old;
	size_t len;
	int ret;

	if ((ret = cli_path_in(path, ctx->config_dir, dir, file)))
		return ret;
	if (!mg_path_exists(path))
		return 0;
	if (mg_read_file(path, buf, sizeof(buf), &len) != 0 ||
	    trust_msg_decode_file(buf, len, &old, NULL) != TRUST_R_OK)
		return cli_fail("%s exists and is not a valid org message; move it away first",
				path);
	if (memcmp(old.subject, subject, TRUST_KEY_LEN) != 0)
		return cli_fail("%s exists for another key; move it away first", path);
	return 0;
}

/* The org's current word on `key` is a key-compromised revocation: final. */
static bool final_revocation(const struct msg_cmd *mc, const uint8_t key[TRUST_KEY_LEN],
			     struct trust_msg *cur)
{
	return trust_store_slot(mc->store, mc->org.public_key, key, cur) &&
	       cur->type == TRUST_MSG_REVOKE && cur->reason == TRUST_REVOKE_KEY_COMPROMISED;
}

static int msg_cmd_open(struct cli_ctx *ctx, struct msg_cmd *mc)
{
	int ret;

	memset(mc, 0, sizeof(*mc));
	if ((ret = load_org_key(ctx, &mc->org)))
		return ret;
	if ((ret = cli_load_store(ctx, &mc->store)))
		trust_identity_wipe(&mc->org);
	return ret;
}

static void msg_cmd_close(struct msg_cmd *mc)
{
	trust_identity_wipe(&mc->org);
	trust_store_free(mc->store);
}

static void print_lamport(const struct msg_cmd *mc)
{
	char text[32];

	snprintf(text, sizeof(text), "%llu", (unsigned long long)mc->m.lamport);
	cli_print_field("lamport:", text);
	cli_print_field("saved to:", mc->path);
}

int cmd_org_revoke(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *node, *reason = NULL;
	const struct cli_opt opts[] = { { "--reason", &reason, NULL } };
	char file[32], hex[17], text[64];
	struct trust_msg cur;
	struct msg_cmd mc;
	uint8_t key[TRUST_KEY_LEN], r = TRUST_REVOKE_ADMIN_REMOVED;
	int ret;

	if ((ret = cli_parse(argc, argv, opts, 1, &node, 1, 1, NULL)))
		return ret;
	if (reason && trust_revoke_reason_parse(reason, &r) != 0)
		return cli_usage_error("--reason '%s': use unspecified, key-compromised or admin-removed",
				       reason);
	if ((ret = cli_read_key_arg(node, false, key, NULL)))
		return ret;
	trust_key_hex16(key, hex);
	snprintf(file, sizeof(file), "%s.revoke", hex);
	if ((ret = check_msg_target("revoked", file, ctx, key)) || (ret = msg_cmd_open(ctx, &mc)))
		return ret;
	/* A key-compromised revocation is final: re-issuing the file with
	 * another reason would drop it here (and let a vouch follow), while
	 * every node that saw it keeps it. */
	if (final_revocation(&mc, key, &cur)) {
		msg_cmd_close(&mc);
		if (r == TRUST_REVOKE_KEY_COMPROMISED) {
			printf(
			    "The org already revoked this node as key-compromised (lamport %llu); "
			    "that is final, nothing to do.\n",
			    (unsigned long long)cur.lamport);
			return CLI_OK;
		}
		return cli_fail(
		    "this org revoked the node as key-compromised (lamport %llu): that is "
		    "final, a revocation with another reason cannot replace it",
		    (unsigned long long)cur.lamport);
	}
	mc.m.type = TRUST_MSG_REVOKE;
	memcpy(mc.m.subject, key, TRUST_KEY_LEN);
	mc.m.reason = r;
	ret = issue_msg(ctx, mc.store, &mc.m, &mc.org, "revoked", file, mc.path);
	if (!ret) {
		printf("Org revocation signed.\n");
		cli_print_key("node:", key);
		snprintf(text, sizeof(text), "%s (%u)%s", trust_revoke_reason_str(r), r,
			 r == TRUST_REVOKE_KEY_COMPROMISED ? ", final" : "");
		cli_print_field("reason:", text);
		print_lamport(&mc);
		printf("\nNodes that trust this org drop the node's certificates and vouches from it "
		       "(delegated leaves too, if it is an issuer) once this message reaches them.\n");
	}
	msg_cmd_close(&mc);
	return ret;
}

int cmd_org_vouch(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *node;
	char file[32], hex[17];
	struct trust_msg cur;
	struct msg_cmd mc;
	uint8_t key[TRUST_KEY_LEN];
	int ret;

	if ((ret = cli_parse(argc, argv, NULL, 0, &node, 1, 1, NULL)) ||
	    (ret = cli_read_key_arg(node, false, key, NULL)))
		return ret;
	trust_key_hex16(key, hex);
	snprintf(file, sizeof(file), "%s.vouch", hex);
	if ((ret = check_msg_target("vouched", file, ctx, key)) || (ret = msg_cmd_open(ctx, &mc)))
		return ret;
	if (final_revocation(&mc, key, &cur)) {
		msg_cmd_close(&mc);
		return cli_fail("this org revoked the node as key-compromised: that is final, a vouch "
				"cannot reinstate it");
	}
	mc.m.type = TRUST_MSG_VOUCH;
	memcpy(mc.m.subject, key, TRUST_KEY_LEN);
	ret = issue_msg(ctx, mc.store, &mc.m, &mc.org, "vouched", file, mc.path);
	if (!ret) {
		printf("Vouch signed.\n");
		cli_print_key("node:", key);
		print_lamport(&mc);
		printf("\nNodes that trust this org accept the node once this message reaches them.\n");
	}
	msg_cmd_close(&mc);
	return ret;
}

int cmd_org_alias(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *alias, *bad;
	char file[32], hex[17], cur_alias[TRUST_NAME_MAX + 1];
	struct trust_msg cur;
	struct msg_cmd mc;
	int ret;

	if ((ret = cli_parse(argc, argv, NULL, 0, &alias, 1, 1, NULL)))
		return ret;
	if ((bad = trust_name_check(alias)))
		return cli_usage_error("alias '%s': %s", alias, bad);
	if ((ret = msg_cmd_open(ctx, &mc)))
		return ret;
	if (trust_store_slot(mc.store, mc.org.public_key, (const uint8_t[TRUST_KEY_LEN]){ 0 }, &cur)) {
		trust_msg_alias(&cur, cur_alias);
		if (strcmp(cur_alias, alias) == 0) {
			printf("The org already announced the alias '%s' (lamport %llu).\n", alias,
			       (unsigned long long)cur.lamport);
			msg_cmd_close(&mc);
			return CLI_OK;
		}
	}
	trust_key_hex16(mc.org.public_key, hex);
	snprintf(file, sizeof(file), "%s.alias", hex);
	mc.m.type = TRUST_MSG_ALIAS;
	memcpy(mc.m.subject, alias, strlen(alias));
	ret = issue_msg(ctx, mc.store, &mc.m, &mc.org, "aliases", file, mc.path);
	if (!ret) {
		printf("Alias '%s' announced for the org.\n", alias);
		print_org(mc.org.public_key);
		print_lamport(&mc);
		printf("\nIf several orgs claim one alias, the earliest claim (lowest Lamport value) "
		       "wins everywhere.\n");
	}
	msg_cmd_close(&mc);
	return ret;
}
