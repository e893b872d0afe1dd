/* SPDX-License-Identifier: MIT */
/* Placeholder: implemented by its owning issue. */
#include "cli.h"

int cmd_keygen(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	return cli_fail("%s: not implemented yet", argv[0]);
}

int cmd_export(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	return cli_fail("%s: not implemented yet", argv[0]);
}

int cmd_id(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	return cli_fail("%s: not implemented yet", argv[0]);
}

int cmd_config(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	return cli_fail("%s: not implemented yet", argv[0]);
}

