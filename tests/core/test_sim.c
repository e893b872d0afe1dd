/* SPDX-License-Identifier: MIT */
/*
 * In-memory simulations of two and more engines: handshakes from either
 * side, data both ways, simultaneous initiation, lost messages, key
 * confirmation and slot rotation, rekeying over simulated hours, roaming,
 * a full mesh, cryptokey routing in both directions, replays, padding,
 * staging limits and peer removal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "crypto.h"
#include "engine_priv.h"
#include "sim.h"

static const uint64_t S = SIM_NS, MS = SIM_NS / 1000;

static void test_handshake_and_data(void **state)
{
	struct sim s;
	struct wg_engine_stats st;
	struct wg_peer_info info;

	(void)state;
	sim_init(&s, 2, NULL, 1);
	sim_connect(&s, 0, 1);

	sim_send_ip(&s, 0, 1, 100);
	sim_run_for(&s, 100 * MS);
	assert_int_equal(s.node[1].delivered, 1);
	assert_int_equal(s.node[1].last_ip_len, 120);
	assert_memory_equal(s.node[1].last_ip + 12, s.node[0].tun_ip, 4);

	sim_send_ip(&s, 1, 0, 1000);
	sim_run_for(&s, 100 * MS);
	assert_int_equal(s.node[0].delivered, 1);
	assert_int_equal(s.node[0].last_ip_len, 1020);

	st = sim_stats(&s, 0);
	assert_int_equal(st.tx_handshake, 1);
	assert_int_equal(st.rx_handshake, 1);
	wg_peer_get_info(sim_peer(&s, 0, 1), &info);
	assert_true(info.has_session);
	assert_true(info.last_handshake.tv_sec >= s.wall_base);
	assert_true(info.tx_bytes > 0 && info.rx_bytes > 0);
	assert_memory_equal(info.public_key, s.node[1].pub, 32);
	assert_int_equal(info.endpoint.in4.sin_port, s.node[1].addr.in4.sin_port);
	assert_int_equal(s.node[0].events[WG_EVENT_HANDSHAKE_COMPLETE], 1);
	assert_int_equal(s.node[1].events[WG_EVENT_HANDSHAKE_COMPLETE], 1);
	sim_free(&s);
}

static void test_responder_side_initiates(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s, 2, NULL, 2);
	sim_connect(&s, 0, 1);
	sim_send_ip(&s, 1, 0, 10);
	sim_run_for(&s, 100 * MS);
	assert_int_equal(s.node[0].delivered, 1);
	assert_int_equal(s.node[1].n_init, 1);
	assert_int_equal(s.node[0].n_init, 0);
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 100 * MS);
	assert_int_equal(s.node[1].delivered, 1);
	sim_free(&s);
}

static void test_simultaneous_initiation(void **state)
{
	(void)state;
	for (uint64_t seed = 100; seed < 110; ++seed) {
		struct sim s;

		sim_init(&s, 2, NULL, seed);
		sim_connect(&s, 0, 1);
		sim_send_ip(&s, 0, 1, 10);
		sim_send_ip(&s, 1, 0, 10);
		/* Both initiations cross; the jittered retransmit resolves the tie. */
		sim_run_for(&s, REKEY_TIMEOUT * S * 3);
		assert_int_equal(s.node[0].delivered, 1);
		assert_int_equal(s.node[1].delivered, 1);
		assert_non_null(sim_peer(&s, 0, 1)->keypairs.current);
		assert_non_null(sim_peer(&s, 1, 0)->keypairs.current);
		sim_send_ip(&s, 0, 1, 10);
		sim_send_ip(&s, 1, 0, 10);
		sim_run_for(&s, 10 * MS);
		assert_int_equal(s.node[0].delivered, 2);
		assert_int_equal(s.node[1].delivered, 2);
		sim_free(&s);
	}
}

static void test_lost_messages(void **state)
{
	static const struct {
		int from, type;
	} cases[] = {
		{ 0, 1 }, /* the initiation */
		{ 1, 2 }, /* the response */
		{ 0, 4 }, /* the first data packet (the key confirmation) */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
		struct sim_drop_rule r = { .from = cases[i].from, .type = cases[i].type, .count = 1 };
		struct sim s;

		sim_init(&s, 2, NULL, 200 + i);
		sim_connect(&s, 0, 1);
		s.drop = sim_drop_by_rule;
		s.drop_arg = &r;
		sim_send_ip(&s, 0, 1, 10);
		sim_run_for(&s, REKEY_TIMEOUT * S + 500 * MS);
		assert_int_equal(r.dropped, 1);
		if (cases[i].type == 4) {
			/* Session up but unconfirmed at the responder: the next packet confirms. */
			assert_int_equal(s.node[1].delivered, 0);
			assert_non_null(sim_peer(&s, 1, 0)->keypairs.next);
			sim_send_ip(&s, 0, 1, 10);
			sim_run_for(&s, 10 * MS);
			assert_null(sim_peer(&s, 1, 0)->keypairs.next);
		}
		/* Recovered by the REKEY_TIMEOUT retransmit (or the next packet). */
		assert_int_equal(s.node[1].delivered, 1);
		sim_send_ip(&s, 1, 0, 10);
		sim_run_for(&s, 10 * MS);
		assert_int_equal(s.node[0].delivered, 1);
		sim_free(&s);
	}
}

/* Initiations and responses counted apart, each on the side that sent or consumed it. */
static void assert_handshakes(struct sim *s, int i, uint64_t tx_init, uint64_t rx_init,
			      uint64_t tx_resp, uint64_t rx_resp)
{
	struct wg_engine_stats st = sim_stats(s, i);

	assert_int_equal(st.tx_initiation, tx_init);
	assert_int_equal(st.rx_initiation, rx_init);
	assert_int_equal(st.tx_response, tx_resp);
	assert_int_equal(st.rx_response, rx_resp);
	assert_int_equal(st.tx_handshake, tx_init + tx_resp);
	assert_int_equal(st.rx_handshake, rx_init + rx_resp);
}

static void test_handshake_counters(void **state)
{
	struct sim_drop_rule lose_response = { .from = 1, .type = 2, .count = 1 };
	struct sim s;

	(void)state;
	sim_init(&s, 2, NULL, 4);
	sim_connect(&s, 0, 1);
	s.drop = sim_drop_by_rule;
	s.drop_arg = &lose_response;
	s.node[0].record_sent = true;
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 100 * MS);
	/* The first response was lost: node 1 answered, node 0 consumed nothing yet. */
	assert_handshakes(&s, 0, 1, 0, 0, 0);
	assert_handshakes(&s, 1, 0, 1, 1, 0);
	sim_run_for(&s, REKEY_TIMEOUT * S + 500 * MS);
	/* The retransmit: a second initiation, answered and consumed. */
	assert_handshakes(&s, 0, 2, 0, 0, 1);
	assert_handshakes(&s, 1, 0, 2, 2, 0);

	/* A replayed initiation is dropped (its TAI64N is old): not counted as received. */
	wg_engine_recv_udp(s.node[1].e, &s.node[0].addr, s.node[0].last_sent[1],
			   s.node[0].last_sent_len[1], s.now);
	wg_engine_process_handshakes(s.node[1].e, s.now, SIZE_MAX);
	assert_int_equal(sim_stats(&s, 1).drop_replay, 1);
	assert_handshakes(&s, 1, 0, 2, 2, 0);

	/* Later (one handshake per REKEY_TIMEOUT) the responder starts one: the counters swap sides. */
	sim_run_for(&s, REKEY_TIMEOUT * S);
	wg_peer_initiate(sim_peer(&s, 1, 0), s.now);
	sim_run_for(&s, 100 * MS);
	assert_handshakes(&s, 1, 1, 2, 2, 1);
	assert_handshakes(&s, 0, 2, 1, 1, 1);
	sim_free(&s);
}

static void test_key_rotation_keeps_old_packets(void **state)
{
	struct sim_drop_rule r = { .from = 0, .type = 4, .count = 0 };
	struct sim s;
	struct wg_peer *pa, *pb;
	struct noise_keypair *old;

	(void)state;
	sim_init(&s, 2, NULL, 3);
	sim_connect(&s, 0, 1);
	s.drop = sim_drop_by_rule;
	s.drop_arg = &r;
	pa = sim_peer(&s, 0, 1);
	pb = sim_peer(&s, 1, 0);
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);
	old = pa->keypairs.current;
	assert_ptr_equal(pb->keypairs.current->entry.peer, pb);

	/* A packet under the old keys goes astray... */
	r.count = 1;
	sim_send_ip(&s, 0, 1, 33);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(r.dropped, 1);

	/* ...a new handshake: initiator switches at once, responder parks it in `next`. */
	sim_run_for(&s, REKEY_TIMEOUT * S);
	wg_peer_initiate(pa, s.now);
	s.drop_arg = NULL;
	s.drop = NULL;
	sim_run_for(&s, 2500 * 1000); /* response processed, keepalive still on the way */
	assert_ptr_not_equal(pa->keypairs.current, old);
	assert_ptr_equal(pa->keypairs.previous, old);
	assert_non_null(pb->keypairs.next);
	/* The initiator's keepalive on the new keys confirms them at the responder. */
	sim_run_for(&s, 10 * MS);
	assert_null(pb->keypairs.next);
	assert_non_null(pb->keypairs.previous);

	/* The late packet under the old keys is still accepted (previous slot). */
	wg_engine_recv_udp(s.node[1].e, &r.kept.from, r.kept.data, r.kept.len, s.now);
	assert_int_equal(s.node[1].delivered, 2);
	assert_int_equal(s.node[1].last_ip_len, 53);
	sim_free(&s);
}

static void test_rekey_over_hours(void **state)
{
	struct sim s;
	uint64_t sent = 0;

	(void)state;
	sim_init(&s, 2, NULL, 4);
	sim_connect(&s, 0, 1);
	for (int i = 0; i < 3 * 3600 / 3; ++i) {
		sim_send_ip(&s, i % 2, 1 - i % 2, 200);
		++sent;
		if (i % 7 == 0) {
			sim_send_ip(&s, 1 - i % 2, i % 2, 50);
			++sent;
		}
		sim_run_for(&s, 3 * S);
	}
	/*
	 * Three hours: one handshake per REKEY_AFTER_TIME plus the wait for the
	 * next packet (traffic every 3 s), never a lost packet.
	 */
	assert_int_equal(s.node[0].delivered + s.node[1].delivered, sent);
	assert_true(s.node[0].n_init + s.node[1].n_init >= 3 * 3600 / (REKEY_AFTER_TIME + 6));
	assert_true(s.node[0].n_init + s.node[1].n_init <= 3 * 3600 / REKEY_AFTER_TIME * 2);
	assert_int_equal(sim_stats(&s, 0).drop_replay + sim_stats(&s, 1).drop_replay, 0);
	assert_int_equal(sim_stats(&s, 0).drop_decrypt + sim_stats(&s, 1).drop_decrypt, 0);
	sim_free(&s);
}

static void test_roaming(void **state)
{
	struct sim s;
	struct wg_peer_info info;

	(void)state;
	sim_init(&s, 2, NULL, 5);
	sim_connect(&s, 0, 1);
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(s.node[0].events[WG_EVENT_ENDPOINT_CHANGED], 0);

	/* Node 1's NAT mapping changes: new source port. */
	s.node[1].addr.in4.sin_port = htons(60001);
	sim_send_ip(&s, 1, 0, 10);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(s.node[0].delivered, 1);
	assert_int_equal(s.node[0].events[WG_EVENT_ENDPOINT_CHANGED], 1);
	wg_peer_get_info(sim_peer(&s, 0, 1), &info);
	assert_int_equal(info.endpoint.in4.sin_port, htons(60001));
	/* Traffic follows: the old address would be unreachable now. */
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(s.node[1].delivered, 2);
	sim_free(&s);
}

/*
 * A delayed initiation: node 0's first initiation reached node 1 before node
 * 1 knew node 0 (dropped, never consumed), so its TAI64N is still fresh when
 * an attacker replays it later from its own address. Node 1 answers it (to
 * the attacker, who cannot use the response), but the endpoint of a peer
 * that has one does not move: it follows only key confirmation.
 */
static void test_delayed_initiation_does_not_roam(void **state)
{
	union wg_sockaddr atk;
	struct wg_peer_info info;
	struct wg_peer *p01, *p10;
	uint8_t init[SIM_MAX_DGRAM];
	size_t init_len;
	uint64_t tx_hs;
	struct sim s;

	(void)state;
	sim_init(&s, 2, NULL, 77);
	p01 = wg_engine_peer_add(s.node[0].e, s.node[1].pub);
	assert_non_null(p01);
	wg_peer_set_endpoint(p01, &s.node[1].addr);
	wg_peer_allowedip_add(p01, AF_INET, s.node[1].tun_ip, 32);
	s.node[0].record_sent = true;
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(sim_stats(&s, 1).drop_no_peer, 1);
	init_len = s.node[0].last_sent_len[1];
	assert_int_equal(init_len, 148);
	memcpy(init, s.node[0].last_sent[1], init_len);

	/* Node 1 admits node 0 and starts the session itself. */
	p10 = wg_engine_peer_add(s.node[1].e, s.node[0].pub);
	assert_non_null(p10);
	wg_peer_set_endpoint(p10, &s.node[0].addr);
	wg_peer_allowedip_add(p10, AF_INET, s.node[0].tun_ip, 32);
	sim_send_ip(&s, 1, 0, 10);
	sim_run_for(&s, 50 * MS);
	assert_true(s.node[0].delivered >= 1);

	/* The replay, from elsewhere: answered, but the endpoint stays. */
	atk = s.node[0].addr;
	atk.in4.sin_port = htons(60666);
	tx_hs = sim_stats(&s, 1).tx_handshake;
	wg_engine_recv_udp(s.node[1].e, &atk, init, init_len, s.now);
	wg_engine_process_handshakes(s.node[1].e, s.now, SIZE_MAX);
	assert_int_equal(sim_stats(&s, 1).tx_handshake, tx_hs + 1);
	wg_peer_get_info(p10, &info);
	assert_int_equal(info.endpoint.in4.sin_port, s.node[0].addr.in4.sin_port);
	assert_int_equal(s.node[1].events[WG_EVENT_ENDPOINT_CHANGED], 0);
	/* Traffic still reaches node 0 at its real address. */
	s.node[0].delivered = 0;
	sim_send_ip(&s, 1, 0, 10);
	sim_run_for(&s, 50 * MS);
	assert_int_equal(s.node[0].delivered, 1);
	sim_free(&s);
}

static void test_mesh(void **state)
{
	enum { N = 8 };
	struct sim s;

	(void)state;
	sim_init(&s, N, NULL, 6);
	for (int a = 0; a < N; ++a)
		for (int b = a + 1; b < N; ++b)
			sim_connect(&s, a, b);
	for (int a = 0; a < N; ++a) {
		assert_int_equal(wg_engine_peer_count(s.node[a].e), N - 1);
		for (int b = 0; b < N; ++b)
			if (a != b)
				sim_send_ip(&s, a, b, 64);
	}
	sim_run_for(&s, 20 * S);
	for (int a = 0; a < N; ++a)
		assert_int_equal(s.node[a].delivered, N - 1);
	sim_free(&s);
}

static void test_routing_and_replay(void **state)
{
	struct sim_drop_rule r = { .from = 0, .type = 4, .count = 0 };
	uint8_t buf[WG_HEADROOM + 200 + WG_TAILROOM], dgram[SIM_MAX_DGRAM];
	const uint8_t stranger[4] = { 10, 99, 0, 1 };
	struct sim s;
	size_t len;

	(void)state;
	sim_init(&s, 2, NULL, 7);
	sim_connect(&s, 0, 1);
	s.drop = sim_drop_by_rule;
	s.drop_arg = &r;
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);

	/* Outbound: no peer for the destination. */
	len = sim_build_ipv4(buf + WG_HEADROOM, s.node[0].tun_ip, stranger, 10);
	wg_engine_send_ip(s.node[0].e, buf + WG_HEADROOM, len, s.now);
	assert_int_equal(sim_stats(&s, 0).drop_no_peer, 1);

	/* Inbound: node 0 may send to node 1, but an inner source it does not own is refused. */
	wg_peer_allowedip_add(sim_peer(&s, 0, 1), AF_INET, stranger, 32);
	len = sim_build_ipv4(buf + WG_HEADROOM, stranger, s.node[1].tun_ip, 10);
	wg_engine_send_ip(s.node[0].e, buf + WG_HEADROOM, len, s.now);
	/* (routes by destination: node 1's address) */
	sim_run_for(&s, 10 * MS);
	assert_int_equal(sim_stats(&s, 1).drop_allowedips, 1);
	assert_int_equal(s.node[1].delivered, 1);

	/* A captured, delivered datagram replayed later is dropped. */
	r.count = 1;
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);
	memcpy(dgram, r.kept.data, r.kept.len);
	wg_engine_recv_udp(s.node[1].e, &r.kept.from, dgram, r.kept.len, s.now);
	assert_int_equal(s.node[1].delivered, 2);
	memcpy(dgram, r.kept.data, r.kept.len);
	wg_engine_recv_udp(s.node[1].e, &r.kept.from, dgram, r.kept.len, s.now);
	assert_int_equal(s.node[1].delivered, 2);
	assert_int_equal(sim_stats(&s, 1).drop_replay, 1);

	/* A flipped bit: authentication fails, the window is untouched. */
	memcpy(dgram, r.kept.data, r.kept.len);
	dgram[8] += 1; /* counter + 1: not seen yet, so it reaches the AEAD */
	wg_engine_recv_udp(s.node[1].e, &r.kept.from, dgram, r.kept.len, s.now);
	assert_int_equal(sim_stats(&s, 1).drop_decrypt, 1);
	/* Unknown receiver index. */
	memcpy(dgram, r.kept.data, r.kept.len);
	dgram[4] ^= 0xff;
	wg_engine_recv_udp(s.node[1].e, &r.kept.from, dgram, r.kept.len, s.now);
	assert_int_equal(sim_stats(&s, 1).drop_no_peer, 1);
	/* Not WireGuard at all. */
	dgram[1] = 1;
	wg_engine_recv_udp(s.node[1].e, &r.kept.from, dgram, r.kept.len, s.now);
	assert_int_equal(sim_stats(&s, 1).drop_malformed, 1);
	sim_free(&s);
}

static void test_ipv6_inner(void **state)
{
	uint8_t buf[WG_HEADROOM + 200 + WG_TAILROOM], *p = buf + WG_HEADROOM;
	uint8_t a6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t b6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
	struct sim s;

	(void)state;
	sim_init(&s, 2, NULL, 8);
	sim_connect(&s, 0, 1);
	wg_peer_allowedip_add(sim_peer(&s, 0, 1), AF_INET6, b6, 128);
	wg_peer_allowedip_add(sim_peer(&s, 1, 0), AF_INET6, a6, 128);
	assert_int_equal(sim_build_ipv6(p, a6, b6, 60), 100);
	wg_engine_send_ip(s.node[0].e, p, 100, s.now);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(s.node[1].delivered, 1);
	assert_int_equal(s.node[1].last_ip_len, 100);
	assert_memory_equal(s.node[1].last_ip + 8, a6, 16);
	sim_free(&s);
}

static void test_padding(void **state)
{
	static const struct {
		size_t ip_len, dgram_len;
	} cases[] = {
		{ 100, 16 + 112 + 16 },   /* padded to 16 */
		{ 112, 16 + 112 + 16 },   /* already aligned */
		{ 1419, 16 + 1420 + 16 }, /* capped at the MTU */
		{ 1420, 16 + 1420 + 16 },
	};
	struct sim s;

	(void)state;
	sim_init(&s, 2, NULL, 9);
	sim_connect(&s, 0, 1);
	s.node[0].record_sent = true;
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
		sim_send_ip(&s, 0, 1, cases[i].ip_len - 20);
		sim_run_for(&s, 10 * MS);
		assert_int_equal(s.node[0].last_sent_len[4], cases[i].dgram_len);
		assert_int_equal(s.node[1].last_ip_len, cases[i].ip_len); /* padding stripped */
	}
	sim_free(&s);
}

static void test_staging_bounds(void **state)
{
	struct sim_drop_rule r = { .from = -1, .type = 0, .count = -1 };
	struct sim s;
	struct wg_peer *pa;

	(void)state;
	sim_init(&s, 2, NULL, 10);
	sim_connect(&s, 0, 1);
	pa = sim_peer(&s, 0, 1);
	s.drop = sim_drop_by_rule;
	s.drop_arg = &r;
	for (int i = 0; i < 200; ++i)
		sim_send_ip(&s, 0, 1, (size_t)i);
	/* Bounded: the oldest 72 gave way. */
	assert_int_equal(pa->staged.len, MAX_STAGED_PACKETS);
	assert_int_equal(sim_stats(&s, 0).drop_queue_full, 200 - MAX_STAGED_PACKETS);
	/* The network heals before the attempts run out: everything staged arrives, in order. */
	sim_run_for(&s, 2 * S);
	r.count = 0;
	sim_run_for(&s, REKEY_TIMEOUT * S);
	assert_int_equal(s.node[1].delivered, MAX_STAGED_PACKETS);
	assert_int_equal(s.node[1].last_ip_len, 20 + 199);
	assert_int_equal(pa->staged.len, 0);
	sim_free(&s);
}

static void test_peer_removal_and_key_change(void **state)
{
	struct sim_drop_rule r = { .from = 0, .type = 4, .count = 0 };
	struct sim s;
	uint8_t dgram[SIM_MAX_DGRAM], newkey[32];
	struct wg_peer *pb;

	(void)state;
	sim_init(&s, 2, NULL, 11);
	sim_connect(&s, 0, 1);
	s.drop = sim_drop_by_rule;
	s.drop_arg = &r;
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);
	r.count = 1;
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);

	/* Node 1 forgets node 0: its session indices vanish with it. */
	wg_engine_peer_remove(s.node[1].e, sim_peer(&s, 1, 0));
	assert_int_equal(wg_engine_peer_count(s.node[1].e), 0);
	assert_int_equal(s.node[1].e->index.count, 0);
	memcpy(dgram, r.kept.data, r.kept.len);
	wg_engine_recv_udp(s.node[1].e, &r.kept.from, dgram, r.kept.len, s.now);
	assert_int_equal(sim_stats(&s, 1).drop_no_peer, 1);

	/* Re-added, with a new identity on node 0: old sessions are not extended, a new one forms. */
	pb = wg_engine_peer_add(s.node[1].e, s.node[0].pub);
	sim_rng(&s.node[0], newkey, 32);
	wg_engine_set_private_key(s.node[0].e, newkey);
	assert_false(sim_peer(&s, 0, 1)->keypairs.current->sending.is_valid);
	wg_engine_peer_remove(s.node[1].e, pb);
	wg_engine_get_public_key(s.node[0].e, s.node[0].pub);
	sim_connect(&s, 0, 1);
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(s.node[1].delivered, 2);
	/* Our own public key cannot be a peer. */
	assert_null(wg_engine_peer_add(s.node[0].e, s.node[0].pub));
	/* Setting the same key again keeps the session. */
	wg_engine_set_private_key(s.node[0].e, newkey);
	assert_true(sim_peer(&s, 0, 1)->keypairs.current->sending.is_valid);
	sim_free(&s);
}

/* Random datagrams of every type and length: dropped and counted, never a crash. */
static void test_garbage_input(void **state)
{
	struct sim s;
	uint8_t d[SIM_MAX_DGRAM];
	uint64_t x = 99, drops;
	struct wg_engine_stats st;

	(void)state;
	sim_init(&s, 2, NULL, 14);
	sim_connect(&s, 0, 1);
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);
	for (int i = 0; i < 20000; ++i) {
		size_t len;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		len = (x >> 33) % 200;
		if (i % 4 == 0)
			len = (size_t[]){ 148, 92, 64, 32, 0, 3, 4 }[(x >> 20) % 7];
		for (size_t k = 0; k < len; ++k) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			d[k] = (uint8_t)(x >> 56);
		}
		if (len >= 4) {
			d[0] = (uint8_t)(1 + i % 4);
			d[1] = d[2] = d[3] = 0;
		}
		if (len >= 8 && i % 3 == 0) /* a live receiver index, so decryption is attempted */
			memcpy(d + 4, &sim_peer(&s, 1, 0)->keypairs.current->entry.index, 4);
		wg_engine_recv_udp(s.node[1].e, &s.node[0].addr, d, len, s.now);
		wg_engine_process_handshakes(s.node[1].e, s.now, SIZE_MAX);
	}
	st = sim_stats(&s, 1);
	drops = st.drop_mac + st.drop_replay + st.drop_allowedips + st.drop_decrypt + st.drop_no_peer +
		st.drop_ratelimit + st.drop_queue_full + st.drop_malformed;
	assert_int_equal(drops, 20000);
	assert_int_equal(s.node[1].delivered, 1);
	/* The session is unharmed. */
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(s.node[1].delivered, 2);
	sim_free(&s);
}

/* The packet path only asks for an initiation; the X25519 work happens later. */
static void test_no_public_key_work_on_packet_path(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s, 2, NULL, 13);
	sim_connect(&s, 0, 1);
	sim_send_ip(&s, 0, 1, 10);
	sim_send_ip(&s, 0, 1, 10);
	assert_int_equal(s.node[0].n_init, 0);
	assert_int_equal(sim_peer(&s, 0, 1)->handshake.state, HANDSHAKE_ZEROED);
	assert_int_equal(wg_engine_next_deadline(s.node[0].e), 0);
	/* Budget 0 only reports; the timer run (or a real budget) builds it, once. */
	wg_engine_process_handshakes(s.node[0].e, s.now, 0);
	assert_int_equal(s.node[0].n_init, 0);
	wg_engine_run_timers(s.node[0].e, s.now);
	assert_int_equal(s.node[0].n_init, 1);
	assert_true(wg_engine_next_deadline(s.node[0].e) > s.now);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(s.node[1].delivered, 2);
	sim_free(&s);
}

static void test_no_endpoint(void **state)
{
	struct sim s;
	struct wg_peer *p;

	(void)state;
	sim_init(&s, 2, NULL, 12);
	p = wg_engine_peer_add(s.node[0].e, s.node[1].pub);
	wg_peer_allowedip_add(p, AF_INET, s.node[1].tun_ip, 32);
	sim_send_ip(&s, 0, 1, 10);
	assert_int_equal(sim_stats(&s, 0).drop_no_endpoint, 1);
	assert_int_equal(sim_stats(&s, 0).tx_handshake, 0);
	sim_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_and_data),
		cmocka_unit_test(test_responder_side_initiates),
		cmocka_unit_test(test_simultaneous_initiation),
		cmocka_unit_test(test_lost_messages),
		cmocka_unit_test(test_handshake_counters),
		cmocka_unit_test(test_key_rotation_keeps_old_packets),
		cmocka_unit_test(test_rekey_over_hours),
		cmocka_unit_test(test_roaming),
		cmocka_unit_test(test_delayed_initiation_does_not_roam),
		cmocka_unit_test(test_mesh),
		cmocka_unit_test(test_routing_and_replay),
		cmocka_unit_test(test_ipv6_inner),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_staging_bounds),
		cmocka_unit_test(test_peer_removal_and_key_change),
		cmocka_unit_test(test_garbage_input),
		cmocka_unit_test(test_no_public_key_work_on_packet_path),
		cmocka_unit_test(test_no_endpoint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
