/* SPDX-License-Identifier: MIT */
/*
 * meshguard: entry point. Takes out the global options, resolves the
 * configuration directory and dispatches to the subcommand.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "mg_version.h"

struct command {
	const char *name;
	cli_cmd_fn fn;
	const char *args;
	const char *help;
};

static const struct command commands[] = {
	{ "keygen", cmd_keygen, "[--force]", "create this node's identity key" },
	{ "export", cmd_export, "[--wg]", "print the identity (or WireGuard) public key" },
	{ "id", cmd_id, "", "show identity, WireGuard key, mesh addresses, trust summary" },
	{ "config", cmd_config, "show", "same as `id`" },
	{ "trust", cmd_trust, "<key|file.pub> [--name N] [--force] | --org <key|file> [--name N] | list",
	  "trust a peer key or an org; list what is trusted" },
	{ "untrust", cmd_untrust, "<name|key> [--org]", "remove a trusted peer (or org)" },
	{ "revoke", cmd_untrust, "<name|key>", "alias of `untrust` (upstream spelling)" },
	{ "org-keygen", cmd_org_keygen, "[--force]", "create the org signing key" },
	{ "org-sign", cmd_org_sign,
	  "<node> [--name N] [--expires T] [--wg-pubkey K] [--grant F] [--out F] [--force]",
	  "sign a node certificate (v1; v2 with --wg-pubkey; delegated with --grant)" },
	{ "org-delegate", cmd_org_delegate, "<issuer> --expires T [--name N] [--out F]",
	  "grant another org key the right to sign v2 certificates for this org" },
	{ "org-revoke", cmd_org_revoke, "<node|issuer> [--reason R]", "sign a revocation" },
	{ "org-vouch", cmd_org_vouch, "<node>", "vouch for an external node" },
	{ "org-alias", cmd_org_alias, "<name>", "announce an alias for the org" },
	{ "cert", cmd_cert, "show|verify <file> [--at T]",
	  "inspect a certificate, grant or org message / verify a certificate" },
	{ "up", cmd_up, "[options]", "run the mesh daemon in the foreground" },
	{ "down", cmd_down, "[--interface NAME]", "stop a running daemon" },
	{ "status", cmd_status, "[--interface NAME] [--json]", "show the daemon's state" },
	{ "ping", cmd_ping,
	  "<name|ip|identity-prefix> [--count N] [--interval S] [--timeout S] [-4|-6] "
	  "[--interface NAME] [--json]",
	  "round-trip time to a member through the tunnel; says whether the path is direct" },
};

static void usage(FILE *out)
{
	fprintf(out, "meshguard %s: serverless mesh VPN\n\n", MESHGUARD_VERSION);
	fprintf(out, "usage: meshguard [--config-dir DIR] [-v|-q] <command> [args]\n\n");
	fprintf(out, "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-11s %s\n  %-11s   %s\n", commands[i].name, commands[i].args, "",
			commands[i].help);
	fprintf(out, "  %-11s\n  %-11s   %s\n", "version", "", "print the version");
	fprintf(out, "  %-11s\n  %-11s   %s\n", "help", "", "this text");
	fprintf(out, "\nconfig directory: --config-dir, else $MESHGUARD_CONFIG_DIR, else\n"
		     "/etc/meshguard for root, else $XDG_CONFIG_HOME/meshguard or ~/.config/meshguard\n");
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_FAIL;
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(see 'meshguard help')\n", stderr);
	return CLI_USAGE;
}

/* --config-dir, else MESHGUARD_CONFIG_DIR, else /etc/meshguard for root, else XDG. */
static int resolve_config_dir(struct cli_ctx *ctx, const char *flag, char *buf, size_t cap)
{
	const char *env = getenv("MESHGUARD_CONFIG_DIR");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	if (flag || (env && *env)) {
		ctx->config_dir = flag ? flag : env;
		ctx->config_dir_explicit = true;
		return 0;
	}
	if (getuid() == 0) {
		ctx->config_dir = "/etc/meshguard";
		return 0;
	}
	if (xdg && *xdg == '/')
		n = snprintf(buf, cap, "%s/meshguard", xdg);
	else if (home && *home)
		n = snprintf(buf, cap, "%s/.config/meshguard", home);
	else
		return cli_fail("cannot find a config directory: set HOME, XDG_CONFIG_HOME, "
				"MESHGUARD_CONFIG_DIR or pass --config-dir");
	if (n < 0 || (size_t)n >= cap)
		return cli_fail("config directory path too long");
	ctx->config_dir = buf;
	return 0;
}

/*
 * Remove the global options from argv wherever they appear, so that both
 * `meshguard --config-dir D trust K` and `meshguard trust K --config-dir D` work.
 */
static int take_global_options(int *argc, char **argv, const char **config_dir, int *verbosity)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--config-dir") == 0) {
			if (i + 1 >= *argc || argv[i + 1][0] == '\0')
				return cli_usage_error("--config-dir requires a directory");
			*config_dir = argv[++i];
		} else if (strncmp(a, "--config-dir=", 13) == 0) {
			if (a[13] == '\0')
				return cli_usage_error("--config-dir requires a directory");
			*config_dir = a + 13;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			(*verbosity)++;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			(*verbosity)--;
		} else {
			argv[out++] = argv[i];
		}
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

int main(int argc, char **argv)
{
	static char dirbuf[PATH_MAX];
	struct cli_ctx ctx = { 0 };
	const char *flag_dir = NULL;
	int ret;

	umask(077);
	if (sodium_init() < 0)
		return cli_fail("libsodium failed to initialise");
	ret = take_global_options(&argc, argv, &flag_dir, &ctx.verbosity);
	if (ret)
		return ret;
	mg_log_set_level(ctx.verbosity > 0   ? MG_LOG_DEBUG
			 : ctx.verbosity < 0 ? MG_LOG_WARN
					     : MG_LOG_INFO);
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("meshguard %s\n", MESHGUARD_VERSION);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		ret = resolve_config_dir(&ctx, flag_dir, dirbuf, sizeof(dirbuf));
		if (ret)
			return ret;
		return commands[i].fn(&ctx, argc - 1, argv + 1);
	}
	fprintf(stderr, "error: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return CLI_USAGE;
}
