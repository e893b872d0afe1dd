/* SPDX-License-Identifier: MIT */
/*
 * Micro-benchmark of the engine's hot path, without any I/O: two engines in
 * one process, a session between them, then packets of a given size pushed
 * through wg_engine_send_ip() on one side and wg_engine_recv_udp() on the
 * other. Prints packets per second and Gbit/s of inner payload for the
 * encrypt path, the decrypt path and both, and the handshake rate.
 *
 * Usage: engine-bench [packet-size] [seconds-per-figure]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"

enum { MAX_PKT = 9000 };

struct side {
	struct wg_engine *e;
	union wg_sockaddr addr;
	uint8_t pub[WG_KEY_LEN];
	uint8_t last[MAX_PKT + 64];
	size_t last_len;
	uint64_t sent, delivered;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_send(void *ctx, const union wg_sockaddr *to, const uint8_t *d, size_t len)
{
	struct side *s = ctx;

	(void)to;
	memcpy(s->last, d, len);
	s->last_len = len;
	++s->sent;
}

static void on_deliver(void *ctx, const uint8_t *pkt, size_t len)
{
	(void)pkt;
	(void)len;
	++((struct side *)ctx)->delivered;
}

/* Engine time is fake (it advances past REKEY_TIMEOUT per handshake); wall time follows it. */
static uint64_t ft = 1000000000000ull;

static void fake_wall(void *ctx, struct timespec *ts)
{
	(void)ctx;
	ts->tv_sec = 1700000000 + (time_t)(ft / 1000000000ull);
	ts->tv_nsec = (long)(ft % 1000000000ull);
}

static const struct wg_engine_ops ops = {
	.send_udp = on_send,
	.deliver_ip = on_deliver,
	.wall_time = fake_wall,
};

static void setup(struct side *s, int i)
{
	uint8_t key[WG_KEY_LEN];

	for (int k = 0; k < WG_KEY_LEN; ++k)
		key[k] = (uint8_t)(k * 7 + i * 13 + 1);
	s->e = wg_engine_new(&(struct wg_engine_config){ .mtu = MAX_PKT }, &ops, s);
	if (!s->e)
		exit(1);
	wg_engine_set_private_key(s->e, key);
	wg_engine_get_public_key(s->e, s->pub);
	s->addr.in4.sin_family = AF_INET;
	s->addr.in4.sin_addr.s_addr = htonl(0x7f000001u);
	s->addr.in4.sin_port = htons((uint16_t)(50000 + i));
}

static size_t build(uint8_t *p, size_t len)
{
	memset(p, 0x5a, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	memcpy(p + 12, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	memcpy(p + 16, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	return len;
}

static void report(const char *what, uint64_t n, size_t size, uint64_t ns)
{
	double s = (double)ns / 1e9;

	printf("%-22s %10.0f packets/s  %7.2f Gbit/s\n", what, (double)n / s,
	       (double)n * (double)size * 8 / s / 1e9);
}

int main(int argc, char **argv)
{
	size_t size = argc > 1 ? (size_t)atoi(argv[1]) : 1420;
	double secs = argc > 2 ? atof(argv[2]) : 1.0;
	static uint8_t buf[WG_HEADROOM + MAX_PKT + WG_TAILROOM];
	static uint8_t dgram[MAX_PKT + 64];
	struct side a = { 0 }, b = { 0 };
	struct wg_peer *pa, *pb;
	uint64_t t0, n, sent;

	if (size < 20 || size > MAX_PKT)
		return 2;
	setup(&a, 1);
	setup(&b, 2);
	pa = wg_engine_peer_add(a.e, b.pub);
	pb = wg_engine_peer_add(b.e, a.pub);
	wg_peer_set_endpoint(pa, &b.addr);
	wg_peer_set_endpoint(pb, &a.addr);
	wg_peer_allowedip_add(pa, AF_INET, (uint8_t[]){ 10, 0, 0, 2 }, 32);
	wg_peer_allowedip_add(pb, AF_INET, (uint8_t[]){ 10, 0, 0, 1 }, 32);

	/* Handshakes: initiation -> response -> keepalive, repeatedly (fake engine time). */
	t0 = now_ns();
	for (n = 0; now_ns() - t0 < (uint64_t)(secs * 1e9); ++n) {
		ft += 6000000000ull; /* past REKEY_TIMEOUT each round */
		wg_peer_initiate(pa, ft);
		memcpy(dgram, a.last, a.last_len);
		wg_engine_recv_udp(b.e, &a.addr, dgram, a.last_len, ft);
		wg_engine_process_handshakes(b.e, ft, 1);
		memcpy(dgram, b.last, b.last_len);
		wg_engine_recv_udp(a.e, &b.addr, dgram, b.last_len, ft);
		wg_engine_process_handshakes(a.e, ft, 1);
		memcpy(dgram, a.last, a.last_len);
		wg_engine_recv_udp(b.e, &a.addr, dgram, a.last_len, ft);
	}
	printf("%-22s %10.0f handshakes/s (initiation, response, confirmation)\n", "handshake",
	       (double)n / ((double)(now_ns() - t0) / 1e9));

	/* Encrypt only. */
	sent = a.sent;
	t0 = now_ns();
	for (n = 0; (n & 1023) || now_ns() - t0 < (uint64_t)(secs * 1e9); ++n)
		wg_engine_send_ip(a.e, buf + WG_HEADROOM, build(buf + WG_HEADROOM, size), ft);
	report("send_ip (encrypt)", n, size, now_ns() - t0);
	if (a.sent - sent != n)
		fprintf(stderr, "warning: %llu of %llu sent\n", (unsigned long long)(a.sent - sent),
			(unsigned long long)n);

	/* Encrypt then decrypt. */
	b.delivered = 0;
	t0 = now_ns();
	for (n = 0; (n & 1023) || now_ns() - t0 < (uint64_t)(secs * 1e9); ++n) {
		wg_engine_send_ip(a.e, buf + WG_HEADROOM, build(buf + WG_HEADROOM, size), ft);
		wg_engine_recv_udp(b.e, &a.addr, a.last, a.last_len, ft);
	}
	report("send_ip + recv_udp", n, size, now_ns() - t0);
	if (b.delivered != n)
		fprintf(stderr, "warning: %llu of %llu delivered\n", (unsigned long long)b.delivered,
			(unsigned long long)n);
	wg_engine_free(a.e);
	wg_engine_free(b.e);
	return 0;
}
