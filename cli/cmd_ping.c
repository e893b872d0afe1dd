/* SPDX-License-Identifier: MIT */
/* meshguard ping <name|ip>: round-trip time to a member through the tunnel. */
#include "cli.h"

int cmd_ping(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	return cli_fail("%s: not implemented yet", argv[0]);
}
