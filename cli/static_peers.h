/* SPDX-License-Identifier: MIT */
/*
 * Static WireGuard peers: <config_dir>/peers/<name>.conf, one or more
 * wg-quick [Peer] sections per file. They let plain WireGuard devices
 * (phones, routers) be members with or without gossip.
 */
#ifndef MG_CLI_STATIC_PEERS_H
#define MG_CLI_STATIC_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "wg.h"

struct static_peer_file {
	char name[64]; /* file name without ".conf" */
	struct wg_conf conf;
};

struct static_peers {
	struct static_peer_file *files;
	size_t n_files;
};

/*
 * Load every peers/<name>.conf in name order. A missing directory means no
 * peers. Any bad file, or one public key in two places, is an error naming
 * the file and line; then nothing is returned.
 */
int static_peers_load(const char *config_dir, struct static_peers *out, char *err, size_t errlen);
void static_peers_free(struct static_peers *sp);
/* Name of the file that declares this peer, or NULL. */
const char *static_peers_name(const struct static_peers *sp, const uint8_t pub[WG_DEVICE_KEY_LEN]);

#endif
