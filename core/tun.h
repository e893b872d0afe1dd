/* SPDX-License-Identifier: MIT */
/*
 * The TUN device (core-internal header): a layer-3 interface whose packets
 * we read and write through a file descriptor. Closing the descriptor
 * removes the interface (it is not made persistent).
 */
#ifndef MG_CORE_TUN_H
#define MG_CORE_TUN_H

#include <stddef.h>

/*
 * Open /dev/net/tun as IFF_TUN|IFF_NO_PI (raw IP packets, no header),
 * non-blocking and close-on-exec, named `name`. The kernel's name for it is
 * copied to `actual` (IFNAMSIZ bytes) and its index to *ifindex.
 * Returns the fd, or a negative errno with a message in `err`.
 */
int wg_tun_open(const char *name, char *actual, unsigned *ifindex, char *err, size_t errlen);

#endif
