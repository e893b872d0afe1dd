/* SPDX-License-Identifier: MIT */
/* Placeholder: implemented by its owning issue. */
#include "cli.h"

int cmd_trust(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	return cli_fail("%s: not implemented yet", argv[0]);
}

int cmd_untrust(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	return cli_fail("%s: not implemented yet", argv[0]);
}

