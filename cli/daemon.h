/* SPDX-License-Identifier: MIT */
/*
 * The meshguard daemon (`meshguard up`): identity -> WireGuard device ->
 * addresses, routes and static peers -> control socket -> libuv loop, until
 * SIGINT, SIGTERM or `meshguard down`.
 */
#ifndef MG_CLI_DAEMON_H
#define MG_CLI_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

struct daemon_opts {
	const char *config_dir;
	const char *ifname;     /* default "mg0" */
	uint16_t listen_port;   /* default 51821 */
	bool gossip_only;       /* no TUN: the UDP port only */
	uint32_t time_scale;    /* test only ($MESHGUARD_TEST_TIME_SCALE) */
};

/*
 * Interface names become path components (/run/meshguard/<name>.sock):
 * 1..15 characters of [A-Za-z0-9_.-], not "." or "..".
 */
bool daemon_valid_ifname(const char *name);

/* Runs in the foreground; returns the process exit code. */
int daemon_run(const struct daemon_opts *opts);

#endif
