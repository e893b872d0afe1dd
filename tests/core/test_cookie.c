/* SPDX-License-Identifier: MIT */
/*
 * Cookies under load: a handshake flood fills the responder's queue past
 * 1/8; from then on handshakes without a valid mac2 get a cookie reply
 * (checked byte for byte against the Python XChaCha20-Poly1305) instead of
 * being queued; the initiator stores the cookie and its retry carries mac2
 * (checked against Python) and is accepted; the per-source rate limiter
 * caps even valid mac2 traffic; data of an established session keeps
 * flowing throughout. Also: cookie replies are authenticated by the mac1 we
 * sent, and a cookie is bound to the source address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "bytes.h"
#include "crypto.h"
#include "engine_priv.h"
#include "oracle.h"
#include "sim.h"

static const uint64_t S = SIM_NS, MS = SIM_NS / 1000;

/* Runs the network in small steps, processing queued handshakes of every node but `held`. */
static void pump(struct sim *s, uint64_t dur, int held)
{
	uint64_t end = s->now + dur;

	while (s->now < end) {
		sim_run_for(s, MS);
		for (int i = 0; i < s->n; ++i)
			if (i != held)
				wg_engine_process_handshakes(s->node[i].e, s->now, SIZE_MAX);
	}
}

/* An initiation-sized message of garbage with a valid mac1 for `receiver_pub`. */
static void junk_initiation(uint8_t msg[WG_MSG_INITIATION_LEN], const uint8_t receiver_pub[32],
			    uint8_t seed)
{
	uint8_t key[32];

	for (int i = 0; i < WG_MSG_INITIATION_LEN; ++i)
		msg[i] = (uint8_t)(seed * 31 + i);
	mg_store_le32(msg, WG_MSG_INITIATION);
	memset(msg + WG_MSG_INITIATION_LEN - 16, 0, 16);
	wg_crypto_hash2(key, "mac1----", 8, receiver_pub, 32);
	wg_crypto_mac(msg + 116, key, 32, msg, 116);
}

static union wg_sockaddr spoofed(uint32_t i)
{
	union wg_sockaddr a = { 0 };

	a.in4.sin_family = AF_INET;
	a.in4.sin_addr.s_addr = htonl(0xcb007100u + i); /* 203.0.113.x */
	a.in4.sin_port = htons((uint16_t)(1000 + i));
	return a;
}

static void test_cookie_under_load(void **state)
{
	struct wg_engine_config cfg = { .handshake_queue_len = 64 }; /* under load at 8 */
	struct sim s;
	struct oracle_out o;
	char args[2048] = "";
	uint8_t msg[WG_MSG_INITIATION_LEN], src[6], *reply, *retry;
	struct wg_engine *b;
	struct wg_peer *c_peer;
	uint64_t queued;

	(void)state;
	sim_init(&s, 3, &cfg, 31);
	s.manual_handshakes = true;
	b = s.node[1].e;
	s.node[1].record_sent = true;
	s.node[2].record_sent = true;
	sim_connect(&s, 0, 1);
	sim_connect(&s, 2, 1);
	c_peer = sim_peer(&s, 2, 1);

	/* An established session between nodes 0 and 1. */
	sim_send_ip(&s, 0, 1, 64);
	pump(&s, 20 * MS, -1);
	assert_int_equal(s.node[1].delivered, 1);

	/* The flood: garbage with a valid mac1 from spoofed sources; node 1 is too busy to drain it. */
	for (uint8_t i = 0; i < 8; ++i) {
		union wg_sockaddr from = spoofed(i);

		junk_initiation(msg, s.node[1].pub, i);
		wg_engine_recv_udp(b, &from, msg, sizeof(msg), s.now);
	}
	assert_int_equal(sim_stats(&s, 1).handshake_queue_len, 8);
	/* Without a valid mac1 a message never gets that far. */
	msg[3 + 40] ^= 1;
	wg_engine_recv_udp(b, &s.node[2].addr, msg, sizeof(msg), s.now);
	assert_int_equal(sim_stats(&s, 1).drop_mac, 1);

	/* Node 2 initiates: no mac2, so it gets a cookie reply and is not queued. */
	sim_send_ip(&s, 2, 1, 64);
	pump(&s, 10 * MS, 1);
	assert_true(sim_stats(&s, 1).under_load);
	assert_int_equal(sim_stats(&s, 1).tx_cookie, 1);
	assert_int_equal(sim_stats(&s, 1).handshake_queue_len, 8);
	assert_int_equal(sim_stats(&s, 2).rx_cookie, 1);
	assert_true(c_peer->latest_cookie.is_valid);

	/* Meanwhile the established session is not held up by the handshake queue. */
	sim_send_ip(&s, 0, 1, 64);
	pump(&s, 10 * MS, 1);
	assert_int_equal(s.node[1].delivered, 2);

	/* The cookie reply, byte for byte: τ = MAC(R_secret, ip || port), XAEAD with the mac1 as AD. */
	reply = s.node[1].last_sent[3];
	assert_int_equal(s.node[1].last_sent_len[3], WG_MSG_COOKIE_LEN);
	memcpy(src, &s.node[2].addr.in4.sin_addr, 4);
	memcpy(src + 4, &s.node[2].addr.in4.sin_port, 2);
	oracle_arg_hex(args, sizeof(args), "resp_priv", s.node[1].priv, 32);
	oracle_arg_hex(args, sizeof(args), "secret", b->checker.secret, 32);
	oracle_arg_hex(args, sizeof(args), "src", src, 6);
	oracle_arg_hex(args, sizeof(args), "nonce", reply + 8, 24);
	oracle_arg_hex(args, sizeof(args), "mac1", s.node[2].last_sent[1] + 116, 16);
	oracle_arg_int(args, sizeof(args), "receiver", mg_load_le32(s.node[2].last_sent[1] + 4));
	assert_true(oracle_run(&o, "cookie", args));
	assert_memory_equal(reply, oracle_get(&o, "reply", NULL), WG_MSG_COOKIE_LEN);
	assert_memory_equal(c_peer->latest_cookie.cookie, oracle_get(&o, "cookie", NULL), 16);

	/* REKEY_TIMEOUT later node 2 retries, now with mac2; node 1 (still loaded) queues it. */
	queued = sim_stats(&s, 1).handshake_queue_len;
	pump(&s, 6 * S, 1);
	assert_int_equal(s.node[2].n_init, 2);
	assert_int_equal(sim_stats(&s, 1).tx_cookie, 1);
	assert_int_equal(sim_stats(&s, 1).handshake_queue_len, queued + 1);
	retry = s.node[2].last_sent[1];
	args[0] = '\0';
	oracle_arg_hex(args, sizeof(args), "msg", retry, WG_MSG_INITIATION_LEN);
	oracle_arg_hex(args, sizeof(args), "cookie", oracle_get(&o, "cookie", NULL), 16);
	oracle_arg_hex(args, sizeof(args), "receiver_pub", s.node[1].pub, 32);
	{
		struct oracle_out m;

		assert_true(oracle_run(&m, "mac2", args));
		assert_memory_equal(retry + 116, oracle_get(&m, "mac1", NULL), 16);
		assert_memory_equal(retry + 132, oracle_get(&m, "mac2", NULL), 16);
	}

	/* The same valid message from another port: the cookie does not fit that address. */
	{
		union wg_sockaddr other = s.node[2].addr;

		other.in4.sin_port = htons(9);
		memcpy(msg, retry, sizeof(msg));
		wg_engine_recv_udp(b, &other, msg, sizeof(msg), s.now);
		assert_int_equal(sim_stats(&s, 1).tx_cookie, 2);
		assert_int_equal(sim_stats(&s, 1).handshake_queue_len, queued + 1);
	}

	/* Node 1 catches up: the garbage fails, node 2's handshake completes, data flows. */
	wg_engine_process_handshakes(b, s.now, SIZE_MAX);
	assert_int_equal(sim_stats(&s, 1).drop_decrypt, 8);
	pump(&s, 20 * MS, -1);
	assert_non_null(c_peer->keypairs.current);
	assert_int_equal(s.node[1].delivered, 3); /* node 2's staged packet */

	/* Once the queue is drained and a second has passed, mac2 is no longer required. */
	pump(&s, 1100 * MS, -1);
	junk_initiation(msg, s.node[1].pub, 99);
	wg_engine_recv_udp(b, &s.node[0].addr, msg, sizeof(msg), s.now);
	assert_false(sim_stats(&s, 1).under_load);
	assert_int_equal(sim_stats(&s, 1).handshake_queue_len, 1);
	sim_free(&s);
}

static void test_ratelimit_under_load(void **state)
{
	struct wg_engine_config cfg = { .handshake_queue_len = 64 };
	struct sim s;
	uint8_t msg[WG_MSG_INITIATION_LEN], good[WG_MSG_INITIATION_LEN];
	struct wg_engine *b;
	uint64_t before;

	(void)state;
	sim_init(&s, 3, &cfg, 32);
	s.manual_handshakes = true;
	b = s.node[1].e;
	s.node[2].record_sent = true;
	sim_connect(&s, 2, 1);
	for (uint8_t i = 0; i < 8; ++i) {
		union wg_sockaddr from = spoofed(i);

		junk_initiation(msg, s.node[1].pub, i);
		wg_engine_recv_udp(b, &from, msg, sizeof(msg), s.now);
	}
	/* Get node 2 a cookie, then capture its retry (valid mac1 and mac2 for its address). */
	sim_send_ip(&s, 2, 1, 10);
	while (s.node[2].n_init < 2 && s.now < 1010 * S)
		pump(&s, MS, 1);
	pump(&s, 2 * MS, 1); /* and delivered */
	assert_int_equal(s.node[2].n_init, 2);
	memcpy(good, s.node[2].last_sent[1], sizeof(good));

	/* Replayed twenty times at once: the bucket lets a burst through, then refuses. */
	before = sim_stats(&s, 1).handshake_queue_len;
	for (int i = 0; i < 20; ++i) {
		memcpy(msg, good, sizeof(msg));
		wg_engine_recv_udp(b, &s.node[2].addr, msg, sizeof(msg), s.now);
	}
	/* The retry itself already took one token of the five. */
	assert_int_equal(sim_stats(&s, 1).handshake_queue_len - before, 4);
	assert_int_equal(sim_stats(&s, 1).drop_ratelimit, 16);
	sim_free(&s);
}

static void test_cookie_reply_authentication(void **state)
{
	struct wg_engine_config cfg = { .handshake_queue_len = 8 }; /* under load at 1 */
	struct sim s;
	uint8_t msg[WG_MSG_INITIATION_LEN], reply[WG_MSG_COOKIE_LEN];
	struct wg_peer *c_peer;

	(void)state;
	sim_init(&s, 2, &cfg, 33);
	s.manual_handshakes = true;
	s.node[1].record_sent = true;
	sim_connect(&s, 0, 1);
	c_peer = sim_peer(&s, 0, 1);
	junk_initiation(msg, s.node[1].pub, 1);
	wg_engine_recv_udp(s.node[1].e, &s.node[1].addr, msg, sizeof(msg), s.now);

	/* Intercept the cookie reply on its way back. */
	{
		struct sim_dgram *d;

		sim_send_ip(&s, 0, 1, 10);
		sim_run_for(&s, 1500 * 1000); /* initiation delivered, reply queued */
		assert_int_equal(s.qlen, 1);
		d = &s.q[0];
		memcpy(reply, d->data, sizeof(reply));
		s.qlen = 0;
	}
	/* Tampered: refused, no cookie stored. */
	reply[40] ^= 1;
	wg_engine_recv_udp(s.node[0].e, &s.node[1].addr, reply, sizeof(reply), s.now);
	assert_false(c_peer->latest_cookie.is_valid);
	assert_int_equal(sim_stats(&s, 0).drop_decrypt, 1);
	/* Genuine: stored once; the same reply again is refused (it answers one mac1 only). */
	reply[40] ^= 1;
	memcpy(msg, reply, sizeof(reply));
	wg_engine_recv_udp(s.node[0].e, &s.node[1].addr, msg, sizeof(reply), s.now);
	assert_true(c_peer->latest_cookie.is_valid);
	assert_int_equal(sim_stats(&s, 0).rx_cookie, 1);
	wg_engine_recv_udp(s.node[0].e, &s.node[1].addr, reply, sizeof(reply), s.now);
	assert_int_equal(sim_stats(&s, 0).rx_cookie, 1);

	/* A retry within the cookie's life carries mac2... */
	s.node[0].record_sent = true;
	pump(&s, 6 * S, 1);
	assert_int_equal(s.node[0].n_init, 2);
	assert_false(wg_crypto_is_zero(s.node[0].last_sent[1] + 132, 16));
	/* ...which is used for COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY only. */
	c_peer->latest_cookie.birthdate = s.now - (COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY) * S;
	pump(&s, 6 * S, 1);
	assert_int_equal(s.node[0].n_init, 3);
	assert_true(wg_crypto_is_zero(s.node[0].last_sent[1] + 132, 16));
	sim_free(&s);
}

/* Cookie secret: rotated after two minutes, and wiped by the timer when unused. */
static void test_cookie_secret_rotation(void **state)
{
	struct wg_engine_config cfg = { .handshake_queue_len = 8 };
	struct sim s;
	uint8_t msg[WG_MSG_INITIATION_LEN], first[32];
	struct wg_engine *b;
	union wg_sockaddr from = spoofed(1);

	(void)state;
	sim_init(&s, 2, &cfg, 34);
	s.manual_handshakes = true;
	b = s.node[1].e;
	junk_initiation(msg, s.node[1].pub, 1);
	wg_engine_recv_udp(b, &from, msg, sizeof(msg), s.now);
	junk_initiation(msg, s.node[1].pub, 2);
	wg_engine_recv_udp(b, &from, msg, sizeof(msg), s.now);
	assert_true(b->checker.has_secret);
	memcpy(first, b->checker.secret, 32);
	assert_int_equal(wg_engine_next_deadline(b), s.now + COOKIE_SECRET_MAX_AGE * S);

	/* Still under load two minutes later: a new secret. */
	s.now += COOKIE_SECRET_MAX_AGE * S - S;
	wg_engine_recv_udp(b, &from, msg, sizeof(msg), s.now);
	assert_memory_equal(first, b->checker.secret, 32);
	s.now += S;
	wg_engine_recv_udp(b, &from, msg, sizeof(msg), s.now);
	assert_memory_not_equal(first, b->checker.secret, 32);

	/* Load gone: the timer wipes the aged secret. */
	wg_engine_process_handshakes(b, s.now, SIZE_MAX);
	wg_engine_run_timers(b, s.now + COOKIE_SECRET_MAX_AGE * S);
	assert_false(b->checker.has_secret);
	assert_true(wg_crypto_is_zero(b->checker.secret, 32));
	sim_free(&s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_under_load),
		cmocka_unit_test(test_ratelimit_under_load),
		cmocka_unit_test(test_cookie_reply_authentication),
		cmocka_unit_test(test_cookie_secret_rotation),
	};

	if (!oracle_init(argc, argv))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
