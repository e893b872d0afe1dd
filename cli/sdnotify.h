/* SPDX-License-Identifier: MIT */
/*
 * The systemd service notification protocol (sd_notify(3)): newline-separated
 * "KEY=value" assignments in one datagram to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace). The daemon
 * uses READY=1, RELOADING=1 + MONOTONIC_USEC=, STOPPING=1, STATUS=, MAINPID=
 * and WATCHDOG=1. Without $NOTIFY_SOCKET every call is a no-op.
 */
#ifndef MG_CLI_SDNOTIFY_H
#define MG_CLI_SDNOTIFY_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct sdnotify {
	int fd; /* -1: not under a service manager (or a bad $NOTIFY_SOCKET) */
	struct sockaddr_un addr;
	socklen_t addr_len;
	uint64_t watchdog_usec; /* $WATCHDOG_USEC meant for us; 0: no watchdog */
};

/*
 * Read $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID, then remove them from
 * the environment (nothing we might start must talk to systemd in our name).
 * A malformed value is logged and leaves notifications off; never fails.
 */
void sdnotify_open(struct sdnotify *n);

/*
 * Send one message (printf-style, e.g. "READY=1\nSTATUS=%s"). Returns 0 (also
 * when notifications are off) or a negative errno; a failure is logged once.
 */
__attribute__((format(printf, 2, 3))) int sdnotify_send(struct sdnotify *n, const char *fmt,
							 ...);

/* CLOCK_MONOTONIC in microseconds, for "MONOTONIC_USEC=" with RELOADING=1. */
uint64_t sdnotify_monotonic_usec(void);

void sdnotify_close(struct sdnotify *n);

#endif
