/* SPDX-License-Identifier: MIT */
/*
 * trust, trust --org, trust list, untrust (and upstream's `revoke`): the
 * files authorized_keys/<name>.pub and trusted_orgs/<name>.org.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "cli.h"
#include "cli_util.h"
#include "fsutil.h"
#include "trust.h"

/* The two kinds of trusted key, told apart by directory and extension. */
struct trust_kind {
	const char *dir, *ext, *noun, *Noun;
	bool org;
};

static const struct trust_kind PEER = { "authorized_keys", ".pub", "peer", "Peer", false };
static const struct trust_kind ORG = { "trusted_orgs", ".org", "org", "Org", true };

static const char *store_name(const struct trust_store *s, const struct trust_kind *k,
			      const uint8_t key[TRUST_KEY_LEN])
{
	return k->org ? trust_store_org_name(s, key) : trust_store_key_name(s, key);
}

/* --name, else the key file's stem, else a name made from the key. */
static int choose_name(const struct trust_kind *k, const char *arg, bool from_file,
		       const char *given, const uint8_t key[TRUST_KEY_LEN], char out[TRUST_NAME_MAX + 1])
{
	char stem[NAME_MAX + 1], hex[17];
	const char *bad;

	if (given) {
		if ((bad = trust_name_check(given)))
			return cli_usage_error("--name '%s': %s", given, bad);
		snprintf(out, TRUST_NAME_MAX + 1, "%.*s", TRUST_NAME_MAX, given);
		return 0;
	}
	if (from_file) {
		cli_file_stem(arg, stem, sizeof(stem));
		if ((bad = trust_name_check(stem)))
			return cli_usage_error("cannot name the %s after '%s' (%s); pass --name",
					       k->noun, arg, bad);
		snprintf(out, TRUST_NAME_MAX + 1, "%.*s", TRUST_NAME_MAX, stem);
		return 0;
	}
	if (k->org) {
		trust_org_domain(key, out);
		return 0;
	}
	trust_key_hex16(key, hex);
	snprintf(out, TRUST_NAME_MAX + 1, "peer-%.8s", hex);
	return 0;
}

static int key_file_path(const struct cli_ctx *ctx, const struct trust_kind *k, const char *name,
			 char path[PATH_MAX])
{
	char file[NAME_MAX + 1];

	snprintf(file, sizeof(file), "%s%s", name, k->ext);
	return cli_path_in(path, ctx->config_dir, k->dir, file);
}

static void print_added(const struct trust_kind *k, const char *name,
			const uint8_t key[TRUST_KEY_LEN])
{
	char a[TRUST_ADDR_STR_LEN], b[TRUST_ADDR_STR_LEN];

	if (k->org) {
		trust_org_domain(key, a);
		printf("Org '%s' trusted (domain: %s.mesh).\n", name, a);
		printf("Certificates and vouches signed by this org are now accepted.\n");
		return;
	}
	trust_mesh_ipv4_str(key, a);
	trust_mesh_ipv6_str(key, b);
	printf("Peer '%s' trusted (mesh %s, %s).\n", name, a, b);
}

/* The key is already trusted under `old`: nothing to do, or rename. */
static int already_trusted(const struct cli_ctx *ctx, const struct trust_kind *k, const char *old,
			   const char *name, bool named, const uint8_t key[TRUST_KEY_LEN])
{
	char text[TRUST_KEY_TEXT_LEN + 2], from[PATH_MAX], to[PATH_MAX];
	int ret;

	if (!named || strcmp(old, name) == 0) {
		printf("%s '%s' is already trusted.\n", k->Noun, old);
		return CLI_OK;
	}
	if ((ret = key_file_path(ctx, k, old, from)) || (ret = key_file_path(ctx, k, name, to)))
		return ret;
	if (mg_path_exists(to))
		return cli_fail("cannot rename %s '%s' to '%s': %s exists", k->noun, old, name, to);
	trust_key_to_text(key, text);
	strcat(text, "\n");
	if ((ret = cli_write_file(to, text, strlen(text), 0644, false)))
		return ret;
	if (unlink(from) < 0)
		return cli_fail("renamed, but cannot remove %s: %s", from, strerror(errno));
	printf("%s renamed from '%s' to '%s'.\n", k->Noun, old, name);
	return CLI_OK;
}

static int add_trusted(struct cli_ctx *ctx, const struct trust_kind *k, const char *arg,
		       const char *given_name, bool force)
{
	char name[TRUST_NAME_MAX + 1], path[PATH_MAX], text[TRUST_KEY_TEXT_LEN + 2];
	struct trust_store *store = NULL;
	uint8_t key[TRUST_KEY_LEN];
	const char *old;
	bool from_file;
	int ret;

	if ((ret = cli_read_key_arg(arg, false, key, &from_file)) ||
	    (ret = choose_name(k, arg, from_file, given_name, key, name)) ||
	    (ret = cli_ensure_config_dir(ctx)) || (ret = cli_load_store(ctx, &store)))
		return ret;
	old = store_name(store, k, key);
	if (old) {
		ret = already_trusted(ctx, k, old, name, given_name != NULL, key);
		trust_store_free(store);
		return ret;
	}
	trust_store_free(store);
	if ((ret = key_file_path(ctx, k, name, path)))
		return ret;
	if (mg_path_exists(path) && !force)
		return cli_fail("the %s name '%s' is already used by another key (%s); choose "
				"another --name, or replace it with --force",
				k->noun, name, path);
	trust_key_to_text(key, text);
	strcat(text, "\n");
	if ((ret = cli_write_file(path, text, strlen(text), 0644, force)))
		return ret;
	print_added(k, name, key);
	return CLI_OK;
}

/* ---- trust list ---- */

struct list_row {
	char name[TRUST_NAME_MAX + 1];
	uint8_t key[TRUST_KEY_LEN];
};

struct list_ctx {
	struct list_row *rows;
	size_t n, cap;
	bool oom;
};

static void collect(void *p, const char *name, const uint8_t key[TRUST_KEY_LEN])
{
	struct list_ctx *c = p;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct list_row *rows = realloc(c->rows, cap * sizeof(*rows));
		if (!rows) {
			c->oom = true;
			return;
		}
		c->rows = rows;
		c->cap = cap;
	}
	snprintf(c->rows[c->n].name, sizeof(c->rows[c->n].name), "%s", name);
	memcpy(c->rows[c->n].key, key, TRUST_KEY_LEN);
	c->n++;
}

static int by_ipv4(const void *a, const void *b)
{
	uint8_t x[4], y[4];

	trust_mesh_ipv4(((const struct list_row *)a)->key, x);
	trust_mesh_ipv4(((const struct list_row *)b)->key, y);
	return memcmp(x, y, 4);
}

/* Two peers with one IPv4 address cannot both be routed (upstream W-10). */
static void warn_ipv4_collisions(struct list_row *rows, size_t n)
{
	enum { SHOW = 5 };
	char ip[TRUST_ADDR_STR_LEN];
	size_t shared = 0;

	if (n < 2)
		return;
	qsort(rows, n, sizeof(*rows), by_ipv4);
	for (size_t i = 1; i < n; i++) {
		if (by_ipv4(&rows[i - 1], &rows[i]) != 0 || shared++ >= SHOW)
			continue;
		trust_mesh_ipv4_str(rows[i].key, ip);
		fprintf(stderr, "warning: peers '%s' and '%s' share the mesh address %s\n",
			rows[i - 1].name, rows[i].name, ip);
	}
	if (shared > SHOW)
		fprintf(stderr, "warning: ... and %zu more shared IPv4 addresses (the 16-bit "
			"10.99.0.0/16 space; IPv6 addresses stay distinct)\n", shared - SHOW);
}

static void list_peers(const struct trust_store *s)
{
	struct list_ctx c = { 0 };
	char text[TRUST_KEY_TEXT_LEN + 1], v4[TRUST_ADDR_STR_LEN], v6[TRUST_ADDR_STR_LEN];

	trust_store_foreach_key(s, collect, &c);
	printf("Trusted peers (%zu):\n", c.n);
	for (size_t i = 0; i < c.n; i++) {
		trust_key_to_text(c.rows[i].key, text);
		trust_mesh_ipv4_str(c.rows[i].key, v4);
		trust_mesh_ipv6_str(c.rows[i].key, v6);
		printf("  %-16s %s  %-15s %s\n", c.rows[i].name, text, v4, v6);
	}
	if (c.oom)
		fprintf(stderr, "warning: out of memory, list incomplete\n");
	warn_ipv4_collisions(c.rows, c.n);
	free(c.rows);
}

static void list_orgs(const struct trust_store *s)
{
	struct list_ctx c = { 0 };
	char text[TRUST_KEY_TEXT_LEN + 1], dom[TRUST_DOMAIN_LEN + 1], alias[TRUST_NAME_MAX + 1];

	trust_store_foreach_org(s, collect, &c);
	printf("Trusted orgs (%zu):\n", c.n);
	for (size_t i = 0; i < c.n; i++) {
		trust_key_to_text(c.rows[i].key, text);
		trust_org_domain(c.rows[i].key, dom);
		printf("  %-16s %s  %s.mesh", c.rows[i].name, text, dom);
		if (trust_store_org_alias(s, c.rows[i].key, alias))
			printf("  alias '%s'", alias);
		printf("\n");
	}
	free(c.rows);
}

static int list_trusted(struct cli_ctx *ctx)
{
	struct trust_store *s;
	struct trust_store_counts n;
	int ret;

	if ((ret = cli_load_store(ctx, &s)))
		return ret;
	list_peers(s);
	list_orgs(s);
	trust_store_counts(s, &n);
	printf("Org messages: %zu revocation(s), %zu vouch(es), %zu alias(es).\n", n.revocations,
	       n.vouches, n.aliases);
	if (n.keys == 0 && n.orgs == 0)
		printf("Nothing is trusted yet: this node admits no peer. Add one with "
		       "'meshguard trust <key|file.pub>'.\n");
	trust_store_free(s);
	return CLI_OK;
}

int cmd_trust(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *name = NULL, *pos[1];
	bool org = false, force = false;
	const struct cli_opt opts[] = {
		{ "--name", &name, NULL },
		{ "--org", NULL, &org },
		{ "--force", NULL, &force },
	};
	size_t n;
	int ret;

	if ((ret = cli_parse(argc, argv, opts, MG_ARRAY_LEN(opts), pos, 1, 1, &n)))
		return ret;
	if (strcmp(pos[0], "list") == 0) {
		if (name || org || force)
			return cli_usage_error("'trust list' takes no options");
		return list_trusted(ctx);
	}
	return add_trusted(ctx, org ? &ORG : &PEER, pos[0], name, force);
}

/* ---- untrust ---- */

int cmd_untrust(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[1], *name = NULL;
	const struct trust_kind *k;
	struct trust_store *store = NULL;
	uint8_t key[TRUST_KEY_LEN];
	char path[PATH_MAX];
	bool org = false;
	const struct cli_opt opts[] = { { "--org", NULL, &org } };
	int ret;

	if ((ret = cli_parse(argc, argv, opts, MG_ARRAY_LEN(opts), pos, 1, 1, NULL)))
		return ret;
	k = org ? &ORG : &PEER;
	/* A name (never a path: names are checked) needs no store, so a broken
	 * file can always be untrusted by its name; a key is looked up. */
	if (!trust_name_check(pos[0]) && (ret = key_file_path(ctx, k, pos[0], path)) == 0 &&
	    mg_path_exists(path)) {
		name = pos[0];
	} else if (trust_key_from_text(pos[0], strlen(pos[0]), key) == TRUST_KEY_OK) {
		if ((ret = cli_load_store(ctx, &store)))
			return ret;
		name = store_name(store, k, key);
	}
	if (!name) {
		trust_store_free(store);
		return cli_fail("no trusted %s with the name or key '%s' (see 'meshguard trust list')",
				k->noun, pos[0]);
	}
	ret = key_file_path(ctx, k, name, path);
	if (!ret && unlink(path) < 0)
		ret = cli_fail("cannot remove %s: %s", path, strerror(errno));
	if (!ret)
		printf("%s '%s' is no longer trusted.\n", k->Noun, name);
	trust_store_free(store);
	return ret;
}
