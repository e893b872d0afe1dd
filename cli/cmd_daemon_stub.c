/* SPDX-License-Identifier: MIT */
/*
 * TEMPORARY: built instead of the daemon (cmd_up.c, cmd_ctl.c, daemon.c...)
 * while this branch does not have trust/'s identity functions yet; see the
 * daemon section of cli/meson.build. Delete once trust/ is merged.
 */
#include "cli.h"

static int unavailable(const char *verb)
{
	return cli_fail("%s: this build has no identity support yet (trust/ is not merged)", verb);
}

int cmd_up(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx, (void)argc;
	return unavailable(argv[0]);
}

int cmd_down(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx, (void)argc;
	return unavailable(argv[0]);
}

int cmd_status(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx, (void)argc;
	return unavailable(argv[0]);
}

int cmd_ping(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx, (void)argc;
	return cli_fail("%s: not implemented yet", argv[0]);
}
