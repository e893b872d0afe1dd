/* SPDX-License-Identifier: MIT */
/*
 * The WireGuard cross-platform userspace API (core-internal header): the
 * text protocol that wg(8) speaks over /var/run/wireguard/<iface>.sock.
 *
 *   request   "get=1\n\n"  or  "set=1\n" ("key=value\n")* "\n"
 *   reply     ("key=value\n")* "errno=N\n\n"     (N = 0 or a negative errno)
 *
 * An unknown operation gets no reply: the server closes the connection.
 * A `set` is parsed and validated completely before anything changes, so a
 * bad line leaves the device as it was.
 *
 * The protocol half (this file's functions) works on the engine plus a few
 * device callbacks, so tests drive it without sockets.
 */
#ifndef MG_CORE_UAPI_H
#define MG_CORE_UAPI_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "wg.h"

struct wg_engine;

/* Device-level settings the protocol reads and writes. */
struct wg_uapi_ops {
	uint16_t (*get_listen_port)(void *ctx);
	int (*set_listen_port)(void *ctx, uint16_t port); /* 0 or -errno (-EADDRINUSE...) */
	uint32_t (*get_fwmark)(void *ctx);
	int (*set_fwmark)(void *ctx, uint32_t mark);
};

/* A growable output buffer; wiped before it is freed (replies carry private keys). */
struct wg_uapi_buf {
	char *data;
	size_t len, cap;
	bool oom;
};
void wg_uapi_buf_free(struct wg_uapi_buf *b);

enum wg_uapi_result {
	WG_UAPI_REPLY = 0,      /* `reply` holds the answer */
	WG_UAPI_CLOSE = -1,     /* unknown operation: close without a reply */
};

/*
 * Handle one complete request (`req` ends with the blank line). `now` is the
 * monotonic time for the engine (keepalives start at once).
 */
enum wg_uapi_result wg_uapi_handle(struct wg_engine *e, const struct wg_uapi_ops *ops, void *ctx,
				   const char *req, size_t len, uint64_t now,
				   struct wg_uapi_buf *reply);

/*
 * Apply one peer's settings to the engine (shared by `set=1` and the public
 * wg_device_peer_set). Validate with wg_uapi_peer_check first: after it,
 * this fails only for lack of memory.
 */
int wg_uapi_peer_check(const struct wg_peer_config *cfg);
int wg_uapi_peer_apply(struct wg_engine *e, const struct wg_peer_config *cfg, uint64_t now);

/* ---- The socket ---------------------------------------------------------- */

struct wg_uapi_server;

/*
 * Serve `<dir>/<ifname>.sock` (dir created mode 0700). A stale socket left by
 * a dead process is replaced; a live one is an error (-EADDRINUSE): another
 * daemon owns that interface name.
 */
int wg_uapi_server_start(struct wg_uapi_server **out, uv_loop_t *loop, const char *dir,
			 const char *ifname, struct wg_engine *e, const struct wg_uapi_ops *ops,
			 void *ctx, void (*after)(void *ctx), char *err, size_t errlen);
/* Unlink the socket at once, close every connection; memory goes with the loop. */
void wg_uapi_server_close(struct wg_uapi_server *s);
const char *wg_uapi_server_path(const struct wg_uapi_server *s);

#endif
