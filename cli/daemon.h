/* SPDX-License-Identifier: MIT */
/*
 * The meshguard daemon (`meshguard up`): identity -> trust store -> WireGuard
 * device -> addresses, routes and static peers -> gossip (mesh.h) -> control
 * socket -> libuv loop, until SIGINT, SIGTERM or `meshguard down`.
 */
#ifndef MG_CLI_DAEMON_H
#define MG_CLI_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon_opts {
	const char *config_dir;
	const char *ifname;     /* default "mg0" */
	uint16_t listen_port;   /* default 51821 */
	bool gossip_only;       /* no TUN: the UDP port only */
	uint32_t time_scale;    /* test only ($MESHGUARD_TEST_TIME_SCALE) */
	bool open;              /* --open: admit any identity */
	bool wan;               /* --wan: SWIM's WAN timing */
	const char *user;       /* --user: drop privileges after setup (NULL: stay) */
	char **seeds;           /* --seed */
	size_t n_seeds;
	char **advertise;       /* --advertise */
	size_t n_advertise;
};

/*
 * Interface names become path components (/run/meshguard/<name>.sock):
 * 1..15 characters of [A-Za-z0-9_.-], not "." or "..".
 */
bool daemon_valid_ifname(const char *name);

/* Runs in the foreground; returns the process exit code. */
int daemon_run(const struct daemon_opts *opts);

#endif
