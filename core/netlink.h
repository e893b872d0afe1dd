/* SPDX-License-Identifier: MIT */
/*
 * Interface configuration over rtnetlink (core-internal header): link state
 * and MTU, addresses, routes. libmnl builds and parses the messages; every
 * call is one request and its acknowledgement (not a hot path).
 */
#ifndef MG_CORE_NETLINK_H
#define MG_CORE_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "wg.h"

/* Set the MTU and the transmit queue length (0: leave it) and bring the link up. */
int wg_nl_link_up(unsigned ifindex, uint32_t mtu, uint32_t txqlen);
/* Add (or replace) an address; no prefix route is created for it (we add routes ourselves). */
int wg_nl_addr(unsigned ifindex, const struct wg_prefix *p, bool add);
/* Add (or replace) / delete a route to `p` through the interface, in the main table. */
int wg_nl_route(unsigned ifindex, const struct wg_prefix *p, bool add);

#endif
