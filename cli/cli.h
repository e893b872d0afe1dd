/* SPDX-License-Identifier: MIT */
/*
 * The meshguard command line: one binary, one subcommand per verb. Each
 * subcommand is a `cmd_<verb>(ctx, argc, argv)` whose argv[0] is the verb
 * itself and whose remaining arguments are the verb's own (global options
 * such as --config-dir, -v and -q were already taken out by main.c).
 */
#ifndef MG_CLI_H
#define MG_CLI_H

#include <stdbool.h>

/* Exit codes shared by every subcommand. */
enum cli_exit {
	CLI_OK = 0,
	CLI_FAIL = 1,  /* the operation failed (bad file, invalid certificate, I/O error...) */
	CLI_USAGE = 2, /* the command line itself is wrong */
};

struct cli_ctx {
	const char *config_dir; /* resolved, never NULL */
	bool config_dir_explicit; /* from --config-dir or MESHGUARD_CONFIG_DIR */
	int verbosity;          /* 0 normal, >0 with -v, <0 with -q */
};

typedef int (*cli_cmd_fn)(struct cli_ctx *ctx, int argc, char **argv);

/* Identity (cmd_identity.c) */
int cmd_keygen(struct cli_ctx *ctx, int argc, char **argv);
int cmd_export(struct cli_ctx *ctx, int argc, char **argv);
int cmd_id(struct cli_ctx *ctx, int argc, char **argv);
int cmd_config(struct cli_ctx *ctx, int argc, char **argv);
/* Trust store (cmd_trust.c) */
int cmd_trust(struct cli_ctx *ctx, int argc, char **argv);
int cmd_untrust(struct cli_ctx *ctx, int argc, char **argv);
/* Org administration (cmd_org.c) */
int cmd_org_keygen(struct cli_ctx *ctx, int argc, char **argv);
int cmd_org_sign(struct cli_ctx *ctx, int argc, char **argv);
int cmd_org_delegate(struct cli_ctx *ctx, int argc, char **argv);
int cmd_org_revoke(struct cli_ctx *ctx, int argc, char **argv);
int cmd_org_vouch(struct cli_ctx *ctx, int argc, char **argv);
int cmd_org_alias(struct cli_ctx *ctx, int argc, char **argv);
/* Certificates (cmd_cert.c) */
int cmd_cert(struct cli_ctx *ctx, int argc, char **argv);
/* Daemon (cmd_up.c) and its control clients (cmd_ctl.c) */
int cmd_up(struct cli_ctx *ctx, int argc, char **argv);
int cmd_down(struct cli_ctx *ctx, int argc, char **argv);
int cmd_status(struct cli_ctx *ctx, int argc, char **argv);
int cmd_ping(struct cli_ctx *ctx, int argc, char **argv);

/* Print "error: <fmt>" to stderr; returns CLI_FAIL for `return cli_fail(...)`. */
__attribute__((format(printf, 1, 2))) int cli_fail(const char *fmt, ...);
/* Print "error: <fmt>" and a hint to run `meshguard help`; returns CLI_USAGE. */
__attribute__((format(printf, 1, 2))) int cli_usage_error(const char *fmt, ...);

#endif
