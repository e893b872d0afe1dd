/* SPDX-License-Identifier: MIT */
/*
 * The daemon's control socket: /run/meshguard/<iface>.sock, a unix stream
 * socket owned by root, mode 0660. One JSON object per line in each
 * direction (protocol in docs/daemon.md):
 *
 *   -> {"cmd":"status"}
 *   <- {"ok":true, ...}            or   {"ok":false,"error":"..."}
 *
 * Commands are registered by name, so the mesh layer can add its own
 * (members, trust...) without touching this file.
 */
#ifndef MG_CLI_CTL_SERVER_H
#define MG_CLI_CTL_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>
#include <uv.h>

#define CTL_DEFAULT_DIR "/run/meshguard"

struct ctl_server;

struct ctl_request {
	const char *cmd;
	json_t *msg; /* the whole request object (borrowed) */
	uid_t uid;   /* of the connected process (SO_PEERCRED) */
	pid_t pid;
};

enum ctl_flags {
	CTL_PRIVILEGED = 1 << 0, /* only root or the daemon's own uid */
};

/*
 * Fill `reply` (already {"ok":true}) and return 0, or return a negative
 * errno and optionally set "error" in `reply` (default: strerror).
 */
typedef int (*ctl_handler_fn)(void *ctx, const struct ctl_request *req, json_t *reply);

/* Listen on `path`; its directory is created root-only-writable (0755). */
int ctl_server_start(struct ctl_server **out, uv_loop_t *loop, const char *path, char *err,
		     size_t errlen);
int ctl_server_register(struct ctl_server *s, const char *cmd, unsigned flags, ctl_handler_fn fn,
			void *ctx);
/* Unlink the socket at once; memory goes with the loop's close callbacks. */
void ctl_server_close(struct ctl_server *s);

/* "<dir>/<ifname>.sock" with dir = $MESHGUARD_RUNTIME_DIR (tests) or /run/meshguard. */
int ctl_socket_path(char *out, size_t cap, const char *ifname);

#endif
