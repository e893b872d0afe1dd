/* SPDX-License-Identifier: MIT */
/* Control socket client: connect, one request line, one reply line, bounded in time. */
#include "ctl_client.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "ctl_server.h"

/* The daemon answers from its event loop: 5 s means it is wedged, not busy. */
enum { CTL_CLIENT_TIMEOUT_MS = 5000, CTL_CLIENT_MAX_REPLY = 4 << 20 };

static int ctl_connect(const char *ifname, char *path, size_t cap)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (ctl_socket_path(path, cap, ifname) || strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Wait until fd is readable or the deadline passes. */
static int wait_readable(int fd, uint64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = mg_now_mono_ns();
		int r;

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)((deadline - now) / 1000000u) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		return r == 0 ? -ETIMEDOUT : 0;
	}
}

/* Grow buf so that at least one more byte and the terminator fit. */
static int grow(char **buf, size_t *cap, size_t len)
{
	char *nb;

	if (len + 1 < *cap)
		return 0;
	if (*cap >= CTL_CLIENT_MAX_REPLY)
		return -EMSGSIZE;
	nb = realloc(*buf, *cap * 2);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap *= 2;
	return 0;
}

/* Read one line (the reply) within the timeout. */
static int read_line(int fd, char **out)
{
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);
	uint64_t deadline = mg_now_mono_ns() + (uint64_t)CTL_CLIENT_TIMEOUT_MS * 1000000u;
	int ret = buf ? 0 : -ENOMEM;

	while (!ret) {
		ssize_t n;

		if ((ret = wait_readable(fd, deadline)) || (ret = grow(&buf, &cap, len)))
			break;
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -ECONNRESET;
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len)) {
			*out = buf;
			return 0;
		}
	}
	free(buf);
	return ret;
}

static int exchange(const char *ifname, const char *cmd, char *path, size_t cap, char **line)
{
	char req[64];
	int fd, ret;

	fd = ctl_connect(ifname, path, cap);
	if (fd < 0) {
		if (fd == -ENOENT || fd == -ECONNREFUSED)
			return cli_fail("no meshguard daemon for interface %s (%s: %s)", ifname,
					path, strerror(-fd));
		return cli_fail("%s: %s", path, strerror(-fd));
	}
	snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}\n", cmd);
	ret = write_all(fd, req, strlen(req));
	if (!ret)
		ret = read_line(fd, line);
	close(fd);
	if (ret)
		return cli_fail("%s: %s", path, strerror(-ret));
	return 0;
}

json_t *ctl_client_call(const char *ifname, const char *cmd)
{
	char path[108], *line = NULL;
	json_error_t jerr;
	json_t *reply;

	if (exchange(ifname, cmd, path, sizeof(path), &line))
		return NULL;
	reply = json_loads(line, JSON_DISABLE_EOF_CHECK, &jerr);
	free(line);
	if (!reply || !json_is_object(reply)) {
		json_decref(reply);
		cli_fail("%s: the daemon's reply is not a JSON object", path);
		return NULL;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *e = json_string_value(json_object_get(reply, "error"));
		cli_fail("%s: %s", cmd, e ? e : "failed");
		json_decref(reply);
		return NULL;
	}
	return reply;
}

const char *ctl_client_str(json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : dflt;
}

int64_t ctl_client_int(json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

void ctl_client_ago(char *out, size_t cap, int64_t when, int64_t now)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 } };
	int64_t left = now - when;

	if (when <= 0) {
		snprintf(out, cap, "never");
		return;
	}
	if (left < 0) /* the clock stepped back since the handshake */
		left = 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (left >= units[i].secs) {
			snprintf(out, cap, "%" PRId64 "%c ago", left / units[i].secs,
				 units[i].unit);
			return;
		}
	}
	snprintf(out, cap, "%" PRId64 "s ago", left);
}

void ctl_client_printable(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	if (!cap)
		return;
	for (; s && *s && n + 1 < cap; s++)
		out[n++] = isprint((unsigned char)*s) ? *s : '?';
	out[n] = '\0';
}
