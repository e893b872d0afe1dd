/* SPDX-License-Identifier: MIT */
#include "cli_util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fsutil.h"
#include "trust.h"

enum { LABEL_WIDTH = 14 };

static const struct cli_opt *find_opt(const struct cli_opt *opts, size_t n, const char *a,
				      size_t alen)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(opts[i].name) == alen && strncmp(opts[i].name, a, alen) == 0)
			return &opts[i];
	return NULL;
}

static int take_option(const struct cli_opt *o, const char *a, const char *eq, int *i, int argc,
		       char **argv)
{
	if (o->flag) {
		if (eq)
			return cli_usage_error("%s takes no value", o->name);
		*o->flag = true;
		return 0;
	}
	if (eq) {
		*o->value = eq + 1;
	} else if (*i + 1 < argc) {
		*o->value = argv[++*i];
	} else {
		return cli_usage_error("%s requires a value", a);
	}
	if (**o->value == '\0')
		return cli_usage_error("%s requires a value", o->name);
	return 0;
}

int cli_parse(int argc, char **argv, const struct cli_opt *opts, size_t nopts, const char **pos,
	      size_t minpos, size_t maxpos, size_t *npos)
{
	bool only_pos = false;
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!only_pos && strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (!only_pos && a[0] == '-' && a[1] != '\0') {
			const char *eq = strchr(a, '=');
			const struct cli_opt *o = find_opt(opts, nopts, a, eq ? (size_t)(eq - a) : strlen(a));
			int ret;

			if (!o)
				return cli_usage_error("%s: unknown option '%s'", argv[0], a);
			if ((ret = take_option(o, a, eq, &i, argc, argv)))
				return ret;
			continue;
		}
		if (n >= maxpos)
			return cli_usage_error("%s: unexpected argument '%s'", argv[0], a);
		pos[n++] = a;
	}
	if (n < minpos)
		return cli_usage_error("%s: missing argument (see 'meshguard help')", argv[0]);
	if (npos)
		*npos = n;
	return 0;
}

static bool looks_like_key_text(const char *arg)
{
	size_t n = strlen(arg);

	if (n == 0 || n > 64 || strchr(arg, '.'))
		return false;
	return strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == n;
}

int cli_read_key_arg(const char *arg, bool wg, uint8_t key[32], bool *from_file)
{
	char err[TRUST_ERR_LEN + PATH_MAX];
	enum trust_key_status st;

	if (from_file)
		*from_file = false;
	/* A 44-character base64 string is a key; so is anything base64-looking
	 * that is not an existing file (then the key error is the useful one). */
	if (strlen(arg) == TRUST_KEY_TEXT_LEN || (looks_like_key_text(arg) && !mg_path_exists(arg))) {
		st = wg ? trust_wg_key_from_text(arg, strlen(arg), key)
			: trust_key_from_text(arg, strlen(arg), key);
		if (st == TRUST_KEY_OK)
			return 0;
		if (!mg_path_exists(arg))
			return cli_fail("invalid %s key '%s': %s", wg ? "WireGuard" : "public", arg,
					trust_key_strerror(st));
	}
	if (trust_keyfile_read(arg, wg, key, err, sizeof(err)) != 0)
		return cli_fail("%s", err);
	if (from_file)
		*from_file = true;
	return 0;
}

void cli_file_stem(const char *path, char *out, size_t cap)
{
	const char *base = strrchr(path, '/');
	const char *dot;
	size_t n;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, base, n);
	out[n] = '\0';
}

int cli_ensure_config_dir(const struct cli_ctx *ctx)
{
	int ret = mg_mkdir_p(ctx->config_dir, 0700);

	if (ret)
		return cli_fail("cannot create config directory %s: %s", ctx->config_dir,
				strerror(-ret));
	return 0;
}

int cli_path(char *out, const char *dir, const char *name)
{
	if (mg_path_join(out, PATH_MAX, dir, name) < 0)
		return cli_fail("%s/%s: path too long", dir, name);
	return 0;
}

int cli_path_in(char *out, const char *dir, const char *sub, const char *name)
{
	char d[PATH_MAX];
	int ret;

	if ((ret = cli_path(d, dir, sub)))
		return ret;
	if ((ret = mg_mkdir_p(d, 0700)))
		return cli_fail("cannot create %s: %s", d, strerror(-ret));
	return cli_path(out, d, name);
}

int cli_load_store(const struct cli_ctx *ctx, struct trust_store **out)
{
	char err[TRUST_ERR_LEN + PATH_MAX];

	if (trust_store_load(ctx->config_dir, out, err, sizeof(err)) != 0)
		return cli_fail("trust store: %s", err);
	return 0;
}

int cli_write_file(const char *path, const void *data, size_t len, unsigned mode, bool replace)
{
	int ret = mg_write_file_atomic(path, data, len, (mode_t)mode,
				       replace ? MG_WRITE_REPLACE : MG_WRITE_EXCL);

	if (ret == -EEXIST)
		return cli_fail("%s already exists", path);
	if (ret)
		return cli_fail("cannot write %s: %s", path, strerror(-ret));
	return 0;
}

void cli_print_field(const char *label, const char *value)
{
	printf("  %-*s %s\n", LABEL_WIDTH, label, value);
}

void cli_print_key(const char *label, const uint8_t key[32])
{
	char text[TRUST_KEY_TEXT_LEN + 1];

	trust_key_to_text(key, text);
	cli_print_field(label, text);
}

int cli_parse_time(const char *opt, const char *text, int64_t now, int64_t *out)
{
	int ret = trust_parse_time(text, now, out);

	if (ret == -ERANGE)
		return cli_usage_error("%s '%s': out of range", opt, text);
	if (ret)
		return cli_usage_error("%s '%s': not a time (use e.g. 90d, 12h, 2030-01-31, "
				       "2030-01-31T12:00:00Z, unix seconds, or never)",
				       opt, text);
	return 0;
}
