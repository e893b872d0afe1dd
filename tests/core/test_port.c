/* SPDX-License-Identifier: MIT */
/*
 * The shared UDP port on real loopback sockets (no root needed): binding
 * both families to one port, demultiplexing (WireGuard to the engine side,
 * other datagrams by first byte, the rest counted), truncation, batched
 * sends (sendmmsg), borrowed buffers, and rebinding.
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
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "log.h"
#include "port.h"

struct seen {
	unsigned wg, batches, handled;
	uint8_t last[WG_PORT_SLOT];
	size_t last_len;
	union wg_endpoint last_from;
	uint8_t handler_byte;
};

static void recv_wg(void *ctx, const union wg_endpoint *from, uint8_t *d, size_t len, uint64_t now)
{
	struct seen *s = ctx;

	(void)now;
	s->wg++;
	s->last_len = len;
	memcpy(s->last, d, len);
	s->last_from = *from;
}

static void batch_done(void *ctx, uint64_t now)
{
	(void)now;
	((struct seen *)ctx)->batches++;
}

static void on_datagram(void *ctx, const union wg_endpoint *from, const uint8_t *d, size_t len)
{
	struct seen *s = ctx;

	s->handled++;
	s->handler_byte = d[0];
	s->last_len = len;
	memcpy(s->last, d, len);
	s->last_from = *from;
}

static const struct wg_port_ops ops = { recv_wg, batch_done };

struct fixture {
	uv_loop_t loop;
	struct wg_port port;
	struct seen seen;
	int client; /* an ordinary UDP socket on 127.0.0.1 */
	union wg_endpoint client_addr, port_addr;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	socklen_t len = sizeof(f->client_addr);

	if (!f || uv_loop_init(&f->loop) || wg_port_init(&f->port, &f->loop, &ops, &f->seen, 0))
		return -1;
	if (wg_port_bind(&f->port, 0, NULL, 0))
		return -1;
	f->client = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	f->client_addr.in4.sin_family = AF_INET;
	f->client_addr.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(f->client, &f->client_addr.sa, sizeof(f->client_addr.in4)) ||
	    getsockname(f->client, &f->client_addr.sa, &len))
		return -1;
	f->port_addr.in4.sin_family = AF_INET;
	f->port_addr.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->port_addr.in4.sin_port = htons(f->port.port);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wg_port_close(&f->port);
	uv_run(&f->loop, UV_RUN_DEFAULT); /* let the close callbacks run */
	wg_port_free(&f->port);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	close(f->client);
	free(f);
	return 0;
}

static void client_send(struct fixture *f, const void *data, size_t len)
{
	assert_int_equal(sendto(f->client, data, len, 0, &f->port_addr.sa, sizeof(f->port_addr.in4)),
			 (ssize_t)len);
}

/* Run the loop until `cond` holds, at most 2 s. */
#define RUN_UNTIL(f, cond)                                                                         \
	do {                                                                                       \
		uint64_t deadline_ = mg_now_mono_ns() + 2000000000ull;                             \
		while (!(cond) && mg_now_mono_ns() < deadline_)                                    \
			uv_run(&(f)->loop, UV_RUN_NOWAIT);                                         \
		assert_true(cond);                                                                 \
	} while (0)

static ssize_t client_recv(struct fixture *f, void *buf, size_t cap)
{
	struct pollfd p = { .fd = f->client, .events = POLLIN };

	if (poll(&p, 1, 2000) != 1)
		return -1;
	return recv(f->client, buf, cap, 0);
}

/* ---- Tests ----------------------------------------------------------------------- */

static void test_bound_both_families(void **state)
{
	struct fixture *f = *state;

	assert_int_not_equal(f->port.port, 0);
	assert_true(wg_port_has_family(&f->port, AF_INET));
	/* IPv6 may be disabled on a build machine; when present it shares the number. */
	if (wg_port_has_family(&f->port, AF_INET6)) {
		int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(f->port.port) };
		assert_int_equal(bind(s6, (struct sockaddr *)&a, sizeof(a)), -1);
		assert_int_equal(errno, EADDRINUSE);
		close(s6);
	}
}

static void test_demux(void **state)
{
	struct fixture *f = *state;
	const uint8_t wg_init[8] = { 1, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd };
	const uint8_t wg_data[4] = { 4, 0, 0, 0 };
	const uint8_t swim[5] = { 0x01, 0x10, 0x20, 0x30, 0x40 }; /* type 1 but not 3 zero bytes */
	const uint8_t unknown[3] = { 0x77, 1, 2 };
	const uint8_t not_wg[4] = { 5, 0, 0, 0 };

	assert_int_equal(wg_port_register(&f->port, 0x01, on_datagram, &f->seen), 0);
	assert_int_equal(wg_port_register(&f->port, 0x01, on_datagram, &f->seen), -EEXIST);

	client_send(f, wg_init, sizeof(wg_init));
	RUN_UNTIL(f, f->seen.wg == 1);
	assert_int_equal(f->seen.last_len, sizeof(wg_init));
	assert_memory_equal(f->seen.last, wg_init, sizeof(wg_init));
	assert_int_equal(f->seen.last_from.in4.sin_port, f->client_addr.in4.sin_port);
	assert_true(f->seen.batches >= 1);

	client_send(f, swim, sizeof(swim));
	RUN_UNTIL(f, f->seen.handled == 1);
	assert_int_equal(f->seen.handler_byte, 0x01);
	assert_int_equal(f->seen.last_len, sizeof(swim));
	assert_int_equal(f->seen.wg, 1);

	client_send(f, wg_data, sizeof(wg_data));
	RUN_UNTIL(f, f->seen.wg == 2);

	client_send(f, unknown, sizeof(unknown));
	client_send(f, not_wg, sizeof(not_wg));
	client_send(f, "", 0);
	RUN_UNTIL(f, f->port.stats.demux_unknown == 3);
	assert_int_equal(f->seen.handled, 1);
	assert_int_equal(f->port.stats.demux_handled, 1);

	/* Unregistered: the same datagram is now dropped and counted. */
	assert_int_equal(wg_port_register(&f->port, 0x01, NULL, NULL), 0);
	client_send(f, swim, sizeof(swim));
	RUN_UNTIL(f, f->port.stats.demux_unknown == 4);
	assert_int_equal(f->seen.handled, 1);
	assert_int_equal(f->port.stats.rx, 7);
}

static void test_truncated(void **state)
{
	struct fixture *f = *state;
	uint8_t big[WG_PORT_SLOT + 100];

	memset(big, 0, sizeof(big));
	big[0] = 4; /* would be WireGuard data, but it does not fit a slot */
	client_send(f, big, sizeof(big));
	RUN_UNTIL(f, f->port.stats.rx_truncated == 1);
	assert_int_equal(f->seen.wg, 0);
}

static void test_batched_send(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[256], borrowed[100][16], copied[128];
	int got = 0;

	/* 100 datagrams queued: the 64-slot batch flushes once when full, then on flush. */
	for (int i = 0; i < 100; i++) {
		memset(borrowed[i], i, sizeof(borrowed[i]));
		if (i % 2)
			wg_port_queue(&f->port, &f->client_addr, borrowed[i], sizeof(borrowed[i]), true);
		else {
			/* Copied: reusing the buffer at once must not change what is sent. */
			memset(copied, i, sizeof(copied));
			wg_port_queue(&f->port, &f->client_addr, copied, (size_t)i + 1, false);
			memset(copied, 0xee, sizeof(copied));
		}
	}
	assert_int_equal(f->port.stats.tx, 64);
	assert_int_equal(f->port.stats.tx_batches, 1);
	wg_port_flush(&f->port);
	assert_int_equal(f->port.stats.tx, 100);
	assert_int_equal(f->port.stats.tx_batches, 2);
	for (int i = 0; i < 100; i++) {
		ssize_t n = client_recv(f, buf, sizeof(buf));
		size_t want = i % 2 ? 16 : (size_t)i + 1;
		assert_int_equal(n, (ssize_t)want);
		for (size_t j = 0; j < want; j++)
			assert_int_equal(buf[j], i);
		got++;
	}
	assert_int_equal(got, 100);
	/* Flushing an empty batch sends nothing. */
	wg_port_flush(&f->port);
	assert_int_equal(f->port.stats.tx_batches, 2);
}

static void test_send_to_missing_family(void **state)
{
	struct fixture *f = *state;
	union wg_endpoint none = { 0 };

	wg_port_queue(&f->port, &none, (const uint8_t *)"x", 1, false);
	assert_int_equal(f->port.stats.tx_errors, 1);
}

static void test_rebind(void **state)
{
	struct fixture *f = *state;
	struct wg_port other;
	uint16_t old = f->port.port;
	char err[128] = "";
	const uint8_t wg[4] = { 2, 0, 0, 0 };
	int probe;
	struct sockaddr_in a = { .sin_family = AF_INET };

	/* The same port again is a no-op (wg setconf sends it every time). */
	assert_int_equal(wg_port_bind(&f->port, old, err, sizeof(err)), 0);
	assert_int_equal(f->port.port, old);

	/* A port someone else holds: an error, and the old sockets stay in service. */
	assert_int_equal(wg_port_init(&other, &f->loop, &ops, &f->seen, 0), 0);
	assert_int_equal(wg_port_bind(&other, 0, NULL, 0), 0);
	assert_int_equal(wg_port_bind(&f->port, other.port, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "in use"));
	assert_int_equal(f->port.port, old);
	client_send(f, wg, sizeof(wg));
	RUN_UNTIL(f, f->seen.wg == 1);
	wg_port_close(&other);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	wg_port_free(&other);

	/* A new free port: traffic arrives there, and the old port is released. */
	assert_int_equal(wg_port_bind(&f->port, 0, err, sizeof(err)), 0);
	assert_int_not_equal(f->port.port, old);
	f->port_addr.in4.sin_port = htons(f->port.port);
	client_send(f, wg, sizeof(wg));
	RUN_UNTIL(f, f->seen.wg == 2);
	uv_run(&f->loop, UV_RUN_NOWAIT); /* old sockets' close callbacks */
	probe = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_port = htons(old);
	assert_int_equal(bind(probe, (struct sockaddr *)&a, sizeof(a)), 0);
	close(probe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bound_both_families, setup, teardown),
		cmocka_unit_test_setup_teardown(test_demux, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batched_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_to_missing_family, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebind, setup, teardown),
	};
	mg_log_set_level(MG_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
