/* SPDX-License-Identifier: MIT */
/*
 * The mesh: where SWIM membership (swim/), the trust store (trust/) and the
 * WireGuard device (core/) meet. It owns the SWIM instance and the trust
 * store, feeds SWIM from the shared UDP port, answers SWIM's trust questions
 * with trust_decide(), and turns membership events into WireGuard peers:
 *
 *   alive + trusted member  -> peer (its WireGuard key, mesh /32 and /128,
 *                              endpoint from gossip; the smaller key initiates)
 *   dead / left / untrusted -> peer removed, its keys wiped
 *
 * Design notes: docs/mesh.md.
 */
#ifndef MG_CLI_MESH_H
#define MG_CLI_MESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "wg.h"

struct mesh_opts {
	const char *config_dir;
	bool gossip_only;          /* no TUN: peers get sessions but carry no traffic */
	bool open;                 /* --open: admit any identity */
	bool wan;                  /* SWIM's WAN timing profile */
	char *const *seeds;        /* --seed texts */
	size_t n_seeds;
	char *const *advertise;    /* --advertise ip:port texts (else autodetected) */
	size_t n_advertise;
	/* Peers configured from peers/<name>.conf: the mesh never touches these keys. */
	bool (*is_static)(void *ctx, const uint8_t pub[WG_DEVICE_KEY_LEN]);
	void *static_ctx;
	size_t n_static;           /* how many: a node with only static peers is not "open" */
};

struct mesh;

/*
 * Everything that can fail because of the configuration, before any device
 * exists: the trust store, node.cert, the --open rule, seeds and
 * --advertise. 0, or CLI_FAIL / CLI_USAGE after printing why.
 */
int mesh_prepare(struct mesh **out, const struct mesh_opts *opts);

/*
 * Start gossip on the device's port: SWIM instance (with the identity
 * secret, copied and wiped by SWIM), member cache, seeds, org messages of
 * the config directory, the timer. 0 or CLI_FAIL.
 */
int mesh_start(struct mesh *m, uv_loop_t *loop, struct wg_device *dev,
	       const uint8_t identity_secret[64], const struct wg_prefix *addr4);

/* Re-read the trust store (SIGHUP, inotify). On error the old state stays. */
void mesh_reload(struct mesh *m);

/* Graceful leave: gossip "left", then call done(ctx) after SWIM's linger. */
void mesh_leave(struct mesh *m, void (*done)(void *ctx), void *ctx);

/* Add this node's mesh view to a status reply (members, trust mode...). */
void mesh_status(struct mesh *m, json_t *reply);

/* Trust mode text: "authorized_keys", "org", "authorized_keys+org" or "open". */
const char *mesh_trust_mode(const struct mesh *m);

/* Save the member cache, stop timers, destroy SWIM (wipes its secret). */
void mesh_close(struct mesh *m);
/* Free what is left once the loop has run the close callbacks. */
void mesh_free(struct mesh *m);

#endif
