/* SPDX-License-Identifier: MIT */
/* Placeholder: implemented by its owning issue. */
#include "cli.h"

int cmd_org_keygen(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	return cli_fail("%s: not implemented yet", argv[0]);
}

int cmd_org_sign(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	return cli_fail("%s: not implemented yet", argv[0]);
}

int cmd_org_revoke(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	return cli_fail("%s: not implemented yet", argv[0]);
}

int cmd_org_vouch(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	return cli_fail("%s: not implemented yet", argv[0]);
}

int cmd_org_alias(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	return cli_fail("%s: not implemented yet", argv[0]);
}

