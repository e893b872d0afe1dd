/* SPDX-License-Identifier: MIT */
/*
 * The client side of the daemon's control socket (docs/daemon.md): one
 * JSON request line, one JSON reply line. Shared by `status`, `down` and
 * `ping`, which all start by asking the running daemon.
 */
#ifndef MG_CLI_CTL_CLIENT_H
#define MG_CLI_CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * Send {"cmd":cmd} to the daemon of interface `ifname` and return its reply
 * (an object with "ok": true; the caller owns it). On any failure (no
 * daemon, timeout, malformed reply, "ok": false) prints what and where and
 * returns NULL.
 */
json_t *ctl_client_call(const char *ifname, const char *cmd);

/* o[k] as a string, or `dflt` when it is missing or not a string. */
const char *ctl_client_str(json_t *o, const char *k, const char *dflt);

/* o[k] as an integer, 0 when missing. */
int64_t ctl_client_int(json_t *o, const char *k);

/*
 * Copy s (NULL: "") for a terminal: names and trust paths come from other
 * nodes' certificates, so every byte outside printable ASCII becomes '?'
 * (no escape sequences, and one byte is one column for the tables).
 */
void ctl_client_printable(char *out, size_t cap, const char *s);

/* "12s ago", "5m ago", "3h ago", "2d ago" for a Unix time; "never" for 0. */
void ctl_client_ago(char *out, size_t cap, int64_t when, int64_t now);

#endif
