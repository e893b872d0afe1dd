/* SPDX-License-Identifier: MIT */
/*
 * Control clients: `meshguard status` and `meshguard down` talk to a running
 * daemon over its control socket (one JSON line each way, docs/daemon.md).
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "ctl_server.h"
#include "daemon.h"
#include "wg.h"

enum { CTL_CLIENT_TIMEOUT_MS = 5000, CTL_CLIENT_MAX_REPLY = 4 << 20 };

/* ---- Transport ------------------------------------------------------------------ */

static int ctl_connect(const char *ifname, char *path, size_t cap)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (ctl_socket_path(path, cap, ifname))
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

/* Read one line (the reply) within the timeout. */
static int read_line(int fd, char **out)
{
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);
	uint64_t deadline = mg_now_mono_ns() + (uint64_t)CTL_CLIENT_TIMEOUT_MS * 1000000u;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = mg_now_mono_ns();
		ssize_t n;
		int r;

		if (now >= deadline) {
			free(buf);
			return -ETIMEDOUT;
		}
		r = poll(&pfd, 1, (int)((deadline - now) / 1000000u) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			return r < 0 ? -errno : -ETIMEDOUT;
		}
		if (len + 1 == cap) {
			char *nb = cap < CTL_CLIENT_MAX_REPLY ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				free(buf);
				return -EMSGSIZE;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -ECONNRESET;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len)) {
			*out = buf;
			return 0;
		}
	}
}

/* Send {"cmd":cmd}, return the parsed reply object (or NULL after printing why). */
static json_t *ctl_call(const char *ifname, const char *cmd)
{
	char path[108], *line = NULL, req[64];
	json_error_t jerr;
	json_t *reply;
	int fd, ret;

	fd = ctl_connect(ifname, path, sizeof(path));
	if (fd < 0) {
		if (fd == -ENOENT || fd == -ECONNREFUSED)
			cli_fail("no meshguard daemon for interface %s (%s: %s)", ifname, path,
				 strerror(-fd));
		else
			cli_fail("%s: %s", path, strerror(-fd));
		return NULL;
	}
	snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}\n", cmd);
	ret = write_all(fd, req, strlen(req));
	if (!ret)
		ret = read_line(fd, &line);
	close(fd);
	if (ret) {
		cli_fail("%s: %s", path, strerror(-ret));
		return NULL;
	}
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

static int parse_common(int argc, char **argv, const char **ifname, bool *json, bool allow_json)
{
	*ifname = WG_DEVICE_DEFAULT_IFNAME;
	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--interface") || !strcmp(argv[i], "-i")) && i + 1 < argc)
			*ifname = argv[++i];
		else if (allow_json && !strcmp(argv[i], "--json"))
			*json = true;
		else
			return cli_usage_error("%s: unexpected argument '%s'", argv[0], argv[i]);
	}
	if (!daemon_valid_ifname(*ifname))
		return cli_usage_error("--interface: '%s' is not a valid interface name", *ifname);
	return 0;
}

/* ---- status --------------------------------------------------------------------- */

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "(none)";
}

static void print_bytes(uint64_t b)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	unsigned u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		printf("%" PRIu64 " B", b);
	else
		printf("%.2f %s", v, units[u]);
}

static void print_ago(int64_t when)
{
	static const struct {
		const char *name;
		int64_t secs;
	} parts[] = { { "day", 86400 }, { "hour", 3600 }, { "minute", 60 }, { "second", 1 } };
	int64_t left = time(NULL) - when;
	bool first = true;

	if (left <= 0) {
		printf("now");
		return;
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		int64_t n = left / parts[i].secs;
		if (!n)
			continue;
		printf("%s%" PRId64 " %s%s", first ? "" : ", ", n, parts[i].name, n == 1 ? "" : "s");
		left -= n * parts[i].secs;
		first = false;
	}
	printf(" ago");
}

static void print_peer(json_t *p)
{
	json_t *ips = json_object_get(p, "allowed_ips"), *ip;
	json_int_t hs = json_integer_value(json_object_get(p, "last_handshake"));
	json_int_t ka = json_integer_value(json_object_get(p, "persistent_keepalive"));
	const char *name = json_string_value(json_object_get(p, "name"));
	size_t i;

	printf("\npeer: %s%s%s%s\n", str(p, "public_key"), name ? " (" : "", name ? name : "",
	       name ? ")" : "");
	printf("  endpoint: %s\n", str(p, "endpoint"));
	printf("  allowed ips: ");
	if (json_array_size(ips) == 0)
		printf("(none)");
	json_array_foreach(ips, i, ip)
		printf("%s%s", i ? ", " : "", json_string_value(ip));
	printf("\n  latest handshake: ");
	if (hs > 0)
		print_ago(hs);
	else
		printf("never");
	printf("\n  transfer: ");
	print_bytes((uint64_t)json_integer_value(json_object_get(p, "rx_bytes")));
	printf(" received, ");
	print_bytes((uint64_t)json_integer_value(json_object_get(p, "tx_bytes")));
	printf(" sent\n");
	if (ka)
		printf("  persistent keepalive: every %lld seconds\n", (long long)ka);
}

static void print_status(json_t *r)
{
	json_t *peers = json_object_get(r, "peers"), *p;
	size_t i;

	printf("interface: %s%s\n", str(r, "interface"),
	       json_is_true(json_object_get(r, "tun")) ? "" : " (gossip only, no TUN)");
	printf("  public key: %s\n", str(r, "public_key"));
	printf("  identity: %s\n", str(r, "identity"));
	printf("  listening port: %lld\n",
	       (long long)json_integer_value(json_object_get(r, "listen_port")));
	printf("  mesh addresses: %s, %s\n", str(r, "mesh_ipv4"), str(r, "mesh_ipv6"));
	printf("  peers: %zu\n", json_array_size(peers));
	json_array_foreach(peers, i, p)
		print_peer(p);
}

int cmd_status(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *ifname;
	bool json = false;
	json_t *reply;
	int ret;

	(void)ctx;
	if ((ret = parse_common(argc, argv, &ifname, &json, true)))
		return ret;
	reply = ctl_call(ifname, "status");
	if (!reply)
		return CLI_FAIL;
	if (json) {
		json_dumpf(reply, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		print_status(reply);
	}
	json_decref(reply);
	return CLI_OK;
}

/* ---- down ------------------------------------------------------------------------ */

int cmd_down(struct cli_ctx *ctx, int argc, char **argv)
{
	char path[108];
	const char *ifname;
	json_t *reply;
	int ret;

	(void)ctx;
	if ((ret = parse_common(argc, argv, &ifname, NULL, false)))
		return ret;
	reply = ctl_call(ifname, "down");
	if (!reply)
		return CLI_FAIL;
	json_decref(reply);
	/* Wait (bounded) until the daemon has removed its socket: then it is down. */
	if (ctl_socket_path(path, sizeof(path), ifname) == 0) {
		for (int i = 0; i < 100 && access(path, F_OK) == 0; i++)
			usleep(50 * 1000);
	}
	printf("meshguard on %s stopped\n", ifname);
	return CLI_OK;
}
