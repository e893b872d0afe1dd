/* SPDX-License-Identifier: MIT */
/*
 * The device as the layers above see it (core/wg.h), without TUN so that it
 * runs unprivileged: the UAPI socket (probe connection, get, set, stale and
 * live sockets, removal on close), peers through the public API, the shared
 * port's handlers and raw datagrams.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "clock.h"
#include "log.h"
#include "wg.h"

struct fixture {
	uv_loop_t loop;
	struct wg_device *dev;
	char dir[64];
	char sock[100];
	int handled;
	uint8_t got[64];
	size_t got_len;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wg_device_config cfg = { .ifname = "mgtest0", .no_tun = true };
	char err[256];

	if (!f || uv_loop_init(&f->loop))
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/mgio-dev-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* The UAPI directory does not exist yet: the device creates it, mode 0700. */
	strcat(f->dir, "/wireguard");
	snprintf(f->sock, sizeof(f->sock), "%s/mgtest0.sock", f->dir);
	cfg.uapi_dir = f->dir;
	if (wg_device_new(&f->dev, &f->loop, &cfg, err, sizeof(err))) {
		print_error("%s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->dev)
		wg_device_close(f->dev);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	rmdir(f->dir);
	*strrchr(f->dir, '/') = '\0';
	rmdir(f->dir);
	free(f);
	return 0;
}

#define RUN_UNTIL(f, cond)                                                                         \
	do {                                                                                       \
		uint64_t deadline_ = mg_now_mono_ns() + 2000000000ull;                             \
		while (!(cond) && mg_now_mono_ns() < deadline_)                                    \
			uv_run(&(f)->loop, UV_RUN_NOWAIT);                                         \
		assert_true(cond);                                                                 \
	} while (0)

static int uapi_connect(struct fixture *f)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1;
}

/* One request on its own connection; the reply up to its blank line. */
static char *uapi(struct fixture *f, const char *request)
{
	static char reply[8192];
	size_t len = 0;
	int fd = uapi_connect(f);

	assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	while (!strstr(reply, "\n\n") || len == 0) {
		RUN_UNTIL(f, readable(fd));
		ssize_t n = read(fd, reply + len, sizeof(reply) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		reply[len] = '\0';
	}
	reply[len] = '\0';
	close(fd);
	return reply;
}

/* ---- UAPI socket ------------------------------------------------------------------ */

static void test_uapi_socket(void **state)
{
	struct fixture *f = *state;
	struct wg_device_info info;
	struct stat st;
	char expect[64];
	int probe;

	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(lstat(f->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	wg_device_get_info(f->dev, &info);
	assert_string_equal(info.uapi_path, f->sock);
	assert_string_equal(info.ifname, ""); /* no TUN */

	/* wg's liveness probe: connect, close without writing. Nothing breaks. */
	probe = uapi_connect(f);
	close(probe);
	uv_run(&f->loop, UV_RUN_NOWAIT);

	snprintf(expect, sizeof(expect), "listen_port=%u\nerrno=0\n\n", info.listen_port);
	assert_string_equal(uapi(f, "get=1\n\n"), expect);
	/* Two requests on one connection, in one write. */
	{
		int fd = uapi_connect(f);
		const char *two = "set=1\nfwmark=5\n\nget=1\n\n";
		char buf[512] = "";
		size_t len = 0;
		assert_int_equal(write(fd, two, strlen(two)), (ssize_t)strlen(two));
		while (!strstr(buf, "fwmark=5\n") || !strstr(strstr(buf, "fwmark=5"), "\n\n")) {
			RUN_UNTIL(f, readable(fd));
			ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
			assert_true(n > 0);
			len += (size_t)n;
			buf[len] = '\0';
		}
		assert_int_equal(strncmp(buf, "errno=0\n\n", 9), 0);
		close(fd);
	}
	/* An unknown operation: the connection is closed without a reply. */
	{
		int fd = uapi_connect(f);
		char c;
		assert_int_equal(write(fd, "get=7\n\n", 7), 7);
		RUN_UNTIL(f, readable(fd));
		assert_int_equal(read(fd, &c, 1), 0);
		close(fd);
	}
}

static void test_uapi_socket_conflicts(void **state)
{
	struct fixture *f = *state;
	struct wg_device_config cfg = { .ifname = "mgtest0", .no_tun = true, .uapi_dir = f->dir };
	struct wg_device *second = NULL;
	char err[256] = "", stale[100];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	/* A live socket with this name belongs to another daemon. */
	assert_int_equal(wg_device_new(&second, &f->loop, &cfg, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "another daemon"));
	uv_run(&f->loop, UV_RUN_NOWAIT);

	/* A stale socket (nobody listening) is taken over. */
	snprintf(stale, sizeof(stale), "%s/mgstale.sock", f->dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", stale);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	cfg.ifname = "mgstale";
	assert_int_equal(wg_device_new(&second, &f->loop, &cfg, err, sizeof(err)), 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);

	/* Closing removes the socket at once. */
	wg_device_close(second);
	assert_int_equal(access(stale, F_OK), -1);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* ---- Peers through the public API ---------------------------------------------------- */

static void test_peers(void **state)
{
	struct fixture *f = *state;
	uint8_t priv[32], own[32], pub[32];
	struct wg_prefix ips[2], got[4];
	struct wg_peer_config cfg = { 0 };
	struct wg_peer_status st;
	struct wg_device_info info;
	char *r, hex[65];

	randombytes_buf(priv, 32);
	crypto_scalarmult_base(own, priv);
	wg_device_set_private_key(f->dev, priv);
	wg_device_get_info(f->dev, &info);
	assert_true(info.has_private_key);
	assert_memory_equal(info.public_key, own, 32);

	randombytes_buf(pub, 32);
	memcpy(cfg.public_key, pub, 32);
	assert_int_equal(wg_prefix_parse(&ips[0], "10.99.4.5/32"), 0);
	assert_int_equal(wg_prefix_parse(&ips[1], "fd99:6d67::4:5/128"), 0);
	cfg.allowed_ips = ips;
	cfg.n_allowed_ips = 2;
	cfg.flags = WG_PEER_SET_ENDPOINT | WG_PEER_SET_KEEPALIVE;
	assert_int_equal(wg_endpoint_parse(&cfg.endpoint, "192.0.2.44:51821"), 0);
	cfg.keepalive_s = 0;
	assert_int_equal(wg_device_peer_set(f->dev, &cfg), 0);

	assert_int_equal(wg_device_peer_status(f->dev, pub, &st), 0);
	assert_memory_equal(st.public_key, pub, 32);
	assert_int_equal(st.endpoint.sa.sa_family, AF_INET);
	assert_int_equal(ntohs(st.endpoint.in4.sin_port), 51821);
	assert_int_equal(st.n_allowed_ips, 2);
	assert_false(st.has_psk);
	assert_int_equal(st.last_handshake.tv_sec, 0);
	assert_int_equal(wg_device_peer_allowed_ips(f->dev, pub, got, 4), 2);

	/* The same peer is visible to wg(8) through the UAPI socket. */
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", pub[i]);
	r = uapi(f, "get=1\n\n");
	assert_non_null(strstr(r, hex));
	assert_non_null(strstr(r, "endpoint=192.0.2.44:51821\n"));
	assert_non_null(strstr(r, "allowed_ip=fd99:6d67::4:5/128\n"));

	/* Bad input changes nothing. */
	ips[1].cidr = 129;
	assert_int_equal(wg_device_peer_set(f->dev, &cfg), -EINVAL);
	assert_int_equal(wg_device_peer_allowed_ips(f->dev, pub, got, 4), 2);

	/* Our own key is refused. */
	memcpy(cfg.public_key, own, 32);
	cfg.n_allowed_ips = 0;
	assert_int_equal(wg_device_peer_set(f->dev, &cfg), -EEXIST);

	assert_int_equal(wg_device_peer_initiate(f->dev, pub), 0);
	assert_int_equal(wg_device_peer_remove(f->dev, pub), 0);
	assert_int_equal(wg_device_peer_remove(f->dev, pub), -ENOENT);
	assert_int_equal(wg_device_peer_status(f->dev, pub, &st), -ENOENT);
	assert_int_equal(wg_device_peer_initiate(f->dev, pub), -ENOENT);
	sodium_memzero(priv, sizeof(priv));
}

/* ---- Shared port ------------------------------------------------------------------------- */

static void on_gossip(void *ctx, const union wg_endpoint *from, const uint8_t *d, size_t len)
{
	struct fixture *f = ctx;
	const uint8_t pong[3] = { 0x51, 'o', 'k' };

	f->handled++;
	f->got_len = len < sizeof(f->got) ? len : sizeof(f->got);
	memcpy(f->got, d, f->got_len);
	/* Answer from inside the receive burst: queued, flushed at its end. */
	assert_int_equal(wg_device_send_datagram(f->dev, from, pong, sizeof(pong)), 0);
}

static void test_handlers_and_raw_send(void **state)
{
	struct fixture *f = *state;
	struct wg_device_info info;
	struct wg_device_stats stats;
	union wg_endpoint me = { 0 }, port = { 0 };
	socklen_t len = sizeof(me);
	uint8_t buf[64];
	const uint8_t wg_like[4] = { 3, 0, 0, 0 }, big[WG_DEVICE_MAX_DATAGRAM + 1] = { 0x51 };
	int c = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	wg_device_get_info(f->dev, &info);
	me.in4.sin_family = AF_INET;
	me.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(c, &me.sa, sizeof(me.in4)), 0);
	assert_int_equal(getsockname(c, &me.sa, &len), 0);
	port.in4.sin_family = AF_INET;
	port.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	port.in4.sin_port = htons(info.listen_port);

	assert_int_equal(wg_device_register_handler(f->dev, 0x50, on_gossip, f), 0);
	assert_int_equal(wg_device_register_handler(f->dev, 0x50, on_gossip, f), -EEXIST);
	assert_int_equal(sendto(c, "\x50hello", 6, 0, &port.sa, sizeof(port.in4)), 6);
	RUN_UNTIL(f, f->handled == 1);
	assert_int_equal(f->got_len, 6);
	assert_memory_equal(f->got, "\x50hello", 6);
	RUN_UNTIL(f, readable(c));
	assert_int_equal(recv(c, buf, sizeof(buf), 0), 3);
	assert_memory_equal(buf, "\x51ok", 3);

	/* Outside a burst: sent at once. */
	assert_int_equal(wg_device_send_datagram(f->dev, &me, (const uint8_t *)"\x52!", 2), 0);
	assert_true(readable(c) || (poll(&(struct pollfd){ .fd = c, .events = POLLIN }, 1, 1000) == 1));
	assert_int_equal(recv(c, buf, sizeof(buf), 0), 2);

	/* What would look like WireGuard, or not fit, is refused. */
	assert_int_equal(wg_device_send_datagram(f->dev, &me, wg_like, sizeof(wg_like)), -EINVAL);
	assert_int_equal(wg_device_send_datagram(f->dev, &me, big, sizeof(big)), -EMSGSIZE);

	/* A byte nobody registered: dropped and counted. */
	assert_int_equal(sendto(c, "\x60x", 2, 0, &port.sa, sizeof(port.in4)), 2);
	wg_device_get_stats(f->dev, &stats);
	uint64_t before = stats.demux_unknown;
	RUN_UNTIL(f, (wg_device_get_stats(f->dev, &stats), stats.demux_unknown == before + 1));
	assert_int_equal(stats.demux_handled, 1);
	close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uapi_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uapi_socket_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handlers_and_raw_send, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	mg_log_set_level(MG_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
