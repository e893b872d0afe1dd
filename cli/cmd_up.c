/* SPDX-License-Identifier: MIT */
/*
 * meshguard up [--interface NAME] [--listen-port N] [--gossip-only]
 *              [--seed ADDR]... [--advertise IP:PORT]... [--open] [--wan] [--user NAME]
 *
 * Runs the daemon in the foreground (see daemon.c). The environment variable
 * MESHGUARD_TEST_TIME_SCALE=N (test only) divides every WireGuard timer by N
 * so that tests can watch a rekey in seconds.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "wg.h"

static int parse_port(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	if (!s || s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int parse_up(int argc, char **argv, struct daemon_opts *po);

static int parse_time_scale(uint32_t *out)
{
	const char *s = getenv("MESHGUARD_TEST_TIME_SCALE");
	char *end;
	unsigned long v;

	*out = 1;
	if (!s || !*s)
		return 0;
	v = strtoul(s, &end, 10);
	if (*end || v < 1 || v > 1000)
		return cli_usage_error("MESHGUARD_TEST_TIME_SCALE must be 1..1000");
	*out = (uint32_t)v;
	return 0;
}

/* Repeatable options collect into argv-sized arrays (no fixed caps here). */
static void push(char **list, size_t *n, char *v)
{
	list[(*n)++] = v;
}

int cmd_up(struct cli_ctx *ctx, int argc, char **argv)
{
	struct daemon_opts o = {
		.config_dir = ctx->config_dir,
		.ifname = WG_DEVICE_DEFAULT_IFNAME,
		.listen_port = WG_DEVICE_DEFAULT_PORT,
	};
	char **seeds = calloc((size_t)argc + 1, sizeof(char *));
	char **adv = calloc((size_t)argc + 1, sizeof(char *));
	int ret;

	if (!seeds || !adv) {
		free(seeds);
		free(adv);
		return cli_fail("out of memory");
	}
	o.seeds = seeds;
	o.advertise = adv;
	ret = parse_up(argc, argv, &o);
	if (!ret)
		ret = daemon_run(&o);
	free(seeds);
	free(adv);
	return ret;
}

static int parse_up(int argc, char **argv, struct daemon_opts *po)
{
	struct daemon_opts o = *po;
	int ret;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "--interface") || !strcmp(a, "-i")) && i + 1 < argc) {
			o.ifname = argv[++i];
		} else if (!strcmp(a, "--listen-port") && i + 1 < argc) {
			if (parse_port(argv[++i], &o.listen_port))
				return cli_usage_error("--listen-port: '%s' is not 0..65535", argv[i]);
		} else if (!strcmp(a, "--gossip-only") || !strcmp(a, "--no-tun")) {
			o.gossip_only = true;
		} else if (!strcmp(a, "--seed") && i + 1 < argc) {
			push(o.seeds, &o.n_seeds, argv[++i]);
		} else if (!strcmp(a, "--advertise") && i + 1 < argc) {
			push(o.advertise, &o.n_advertise, argv[++i]);
		} else if (!strcmp(a, "--open")) {
			o.open = true;
		} else if (!strcmp(a, "--wan")) {
			o.wan = true;
		} else if (!strcmp(a, "--user") && i + 1 < argc) {
			o.user = argv[++i];
		} else {
			return cli_usage_error("up: unexpected argument '%s'", a);
		}
	}
	if (!daemon_valid_ifname(o.ifname))
		return cli_usage_error("--interface: '%s' is not a valid interface name", o.ifname);
	if ((ret = parse_time_scale(&o.time_scale)))
		return ret;
	*po = o;
	return 0;
}
