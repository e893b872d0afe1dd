/* SPDX-License-Identifier: MIT */
/*
 * sd_notify, written here rather than linked from libsystemd, because:
 *
 *  - the protocol is one datagram of text to one socket, and systemd
 *    documents it as a stable interface meant to be reimplemented
 *    (sd_notify(3), "Notes"; systemd's "Interface Portability and Stability");
 *  - libsystemd would bring its own dependencies (liblzma, liblz4, libzstd,
 *    libgcrypt, libcap) into the address space of a network-facing daemon
 *    that needs none of them: the 2024 xz backdoor reached sshd exactly that
 *    way;
 *  - libsystemd reads $NOTIFY_SOCKET at every call, so the variable would have
 *    to stay in our environment for the daemon's whole life; its
 *    unset_environment flag turns every later call (RELOADING, STOPPING,
 *    WATCHDOG) into a no-op. We read it once, keep the address, and unset it.
 */
#include "sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

enum {
	SDNOTIFY_MAX_MSG = 2048,
	/* systemd reads its socket at once; bound the stall if it does not. */
	SDNOTIFY_SEND_TIMEOUT_S = 2,
};

/* "/path" or "@abstract" -> sockaddr_un; -EINVAL / -ENAMETOOLONG otherwise. */
static int parse_address(const char *text, struct sockaddr_un *addr, socklen_t *len)
{
	size_t n = strlen(text);

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (n < 2 || (text[0] != '/' && text[0] != '@'))
		return -EINVAL;
	if (n >= sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	memcpy(addr->sun_path, text, n);
	if (text[0] == '@')
		addr->sun_path[0] = '\0'; /* abstract: the name is the bytes after it */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (text[0] == '/'));
	return 0;
}

/* $WATCHDOG_USEC applies to us only if $WATCHDOG_PID is unset or our pid. */
static uint64_t parse_watchdog(const char *usec, const char *pid)
{
	char *end;
	unsigned long long v;

	if (!usec || !*usec)
		return 0;
	if (pid && *pid && strtol(pid, &end, 10) != (long)getpid())
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno || *end || v == 0 || usec[0] < '0' || usec[0] > '9') {
		mg_warn("WATCHDOG_USEC: '%s' is not a positive number of microseconds; no watchdog",
			usec);
		return 0;
	}
	return v;
}

static int open_socket(void)
{
	struct timeval tv = { .tv_sec = SDNOTIFY_SEND_TIMEOUT_S };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

void sdnotify_open(struct sdnotify *n)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	int ret;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	n->watchdog_usec = parse_watchdog(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"));
	if (sock && *sock) {
		ret = parse_address(sock, &n->addr, &n->addr_len);
		if (ret)
			mg_warn("NOTIFY_SOCKET: '%s' is not an absolute path or an @abstract name "
				"(at most %zu bytes); not notifying the service manager",
				sock, sizeof(n->addr.sun_path) - 1);
		else if ((n->fd = open_socket()) < 0)
			mg_warn("NOTIFY_SOCKET: cannot create a socket: %s", strerror(-n->fd));
	}
	if (n->fd < 0)
		n->watchdog_usec = 0; /* nobody to ping */
	/* The pointers from getenv() are not used past this point. */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

int sdnotify_send(struct sdnotify *n, const char *fmt, ...)
{
	static bool warned;
	char msg[SDNOTIFY_MAX_MSG];
	va_list ap;
	int len;

	if (n->fd < 0)
		return 0;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A truncated message could cut an assignment in half: send nothing. */
	if (len < 0 || (size_t)len >= sizeof(msg))
		return -EMSGSIZE;
	if (sendto(n->fd, msg, (size_t)len, MSG_NOSIGNAL, (struct sockaddr *)&n->addr,
		   n->addr_len) == len)
		return 0;
	len = -errno;
	if (!warned) {
		warned = true;
		mg_warn("cannot notify the service manager (NOTIFY_SOCKET): %s", strerror(-len));
	}
	return len;
}

uint64_t sdnotify_monotonic_usec(void)
{
	return mg_now_mono_ns() / 1000;
}

void sdnotify_close(struct sdnotify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	n->watchdog_usec = 0;
}
