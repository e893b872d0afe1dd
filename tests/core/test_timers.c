/* SPDX-License-Identifier: MIT */
/*
 * The timer state machine with a fake clock (two engines in the in-memory
 * network): rekey after REKEY_AFTER_TIME, reject after REJECT_AFTER_TIME,
 * keepalive after KEEPALIVE_TIMEOUT of one-way traffic, new handshake when
 * the peer stops answering, persistent keepalive, REKEY_TIMEOUT retries with
 * jitter and the give-up after REKEY_ATTEMPT_TIME, zeroing after
 * 3 x REJECT_AFTER_TIME, message-count limits, the responder's last-minute
 * rekey, and time_scale; and the constants and derived nanosecond durations
 * themselves, as literals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "crypto.h"
#include "engine_priv.h"
#include "sim.h"

static const uint64_t S = SIM_NS, MS = SIM_NS / 1000;

/* Handshake initiated by node 0, data once each way; returns the session birth time. */
static uint64_t establish(struct sim *s)
{
	uint64_t birth;

	sim_connect(s, 0, 1);
	sim_send_ip(s, 0, 1, 40);
	sim_run_for(s, 10 * MS);
	birth = sim_peer(s, 0, 1)->keypairs.current->sending.birthdate;
	sim_send_ip(s, 1, 0, 40);
	sim_run_for(s, 10 * MS);
	assert_int_equal(s->node[1].delivered, 1);
	assert_int_equal(s->node[0].delivered, 1);
	return birth;
}

static void test_rekey_after_time(void **state)
{
	struct sim s;
	struct wg_peer *pa;
	uint64_t birth;

	(void)state;
	sim_init(&s, 2, NULL, 11);
	birth = establish(&s);
	pa = sim_peer(&s, 0, 1);
	for (int i = 0; i < 130; ++i) {
		sim_send_ip(&s, 0, 1, 100);
		sim_send_ip(&s, 1, 0, 100);
		sim_run_for(&s, S);
		if (s.now < birth + REKEY_AFTER_TIME * S)
			assert_int_equal(s.node[0].n_init, 1);
	}
	/* The initiator rekeyed on the first send after 120 s; the responder never initiates. */
	assert_int_equal(s.node[0].n_init, 2);
	assert_int_equal(s.node[1].n_init, 0);
	assert_true(s.node[0].init_at[1] >= birth + REKEY_AFTER_TIME * S);
	assert_true(s.node[0].init_at[1] < birth + (REKEY_AFTER_TIME + 1) * S + 10 * MS);
	/* Without losing a packet; the old keypair stays as previous. */
	assert_int_equal(s.node[1].delivered, 131);
	assert_int_equal(s.node[0].delivered, 131);
	assert_non_null(pa->keypairs.previous);
	assert_true(pa->keypairs.current->sending.birthdate > birth);
	assert_int_equal(sim_stats(&s, 1).drop_replay + sim_stats(&s, 1).drop_decrypt, 0);
	sim_free(&s);
}

static void test_reject_after_time(void **state)
{
	struct sim_drop_rule hs = { .from = -1, .type = 0 };
	struct sim_drop_rule late = { .from = 0, .type = 4 };
	struct sim s;
	uint64_t birth, delivered_at_179 = 0;
	uint8_t copy[SIM_MAX_DGRAM];
	size_t copy_len = 0;

	(void)state;
	sim_init(&s, 2, NULL, 12);
	birth = establish(&s);

	/* From now on every handshake message is lost: no new session can form. */
	s.drop = sim_drop_by_rule;
	s.drop_arg = &hs;
	hs.count = -1;
	hs.type = 1;
	while (s.now < birth + 200 * S) {
		sim_send_ip(&s, 0, 1, 100);
		if (s.now >= birth + 179 * S && s.now < birth + 180 * S) {
			/* Keep one datagram sent before the deadline, deliver it after. */
			s.drop_arg = &late;
			late.count = -1;
			sim_run_for(&s, 10 * MS);
			late.count = 0;
			s.drop_arg = &hs;
			memcpy(copy, late.kept.data, late.kept.len);
			copy_len = late.kept.len;
			delivered_at_179 = s.node[1].delivered;
			sim_run_for(&s, S - 10 * MS);
			continue;
		}
		sim_run_for(&s, S);
	}
	/* Node 1 got everything sent before REJECT_AFTER_TIME and nothing after. */
	assert_int_not_equal(copy_len, 0);
	assert_true(delivered_at_179 >= 179);
	assert_int_equal(s.node[1].delivered, delivered_at_179);
	assert_false(sim_peer(&s, 0, 1)->keypairs.current->sending.is_valid);
	assert_true(sim_peer(&s, 0, 1)->staged.len > 0);

	/* The receiver refuses the old session too: a packet from 179 s arriving at 200 s. */
	wg_engine_recv_udp(s.node[1].e, &s.node[0].addr, copy, copy_len, s.now);
	assert_int_equal(s.node[1].delivered, delivered_at_179);
	assert_int_equal(sim_stats(&s, 1).drop_decrypt, 1);
	sim_free(&s);
}

static void test_keepalive_after_one_way_traffic(void **state)
{
	struct sim s;
	uint64_t t1;

	(void)state;
	sim_init(&s, 2, NULL, 13);
	establish(&s);
	sim_run_for(&s, 30 * S); /* let the handshake's own keepalives settle */
	t1 = s.now;
	assert_int_equal(sim_stats(&s, 1).tx_keepalive, 0);
	sim_send_ip(&s, 0, 1, 100);
	sim_run_until(&s, t1 + KEEPALIVE_TIMEOUT * S - 10 * MS);
	assert_int_equal(sim_stats(&s, 1).tx_keepalive, 0);
	sim_run_until(&s, t1 + KEEPALIVE_TIMEOUT * S + 10 * MS);
	assert_int_equal(sim_stats(&s, 1).tx_keepalive, 1);
	assert_int_equal(sim_stats(&s, 0).rx_keepalive, 1);
	/* One keepalive answers one burst; then silence, and no new handshake. */
	sim_run_for(&s, 60 * S);
	assert_int_equal(sim_stats(&s, 1).tx_keepalive, 1);
	assert_int_equal(s.node[0].n_init, 1);
	sim_free(&s);
}

static void test_new_handshake_when_peer_is_silent(void **state)
{
	struct sim_drop_rule silent = { .from = 1, .type = 0 };
	struct sim s;
	uint64_t t1, waited;

	(void)state;
	sim_init(&s, 2, NULL, 14);
	establish(&s);
	sim_run_for(&s, 30 * S);
	s.drop = sim_drop_by_rule;
	s.drop_arg = &silent;
	silent.count = -1;
	t1 = s.now;
	sim_send_ip(&s, 0, 1, 100);
	sim_run_for(&s, 20 * S);
	/* KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter after the unanswered data. */
	assert_int_equal(s.node[0].n_init, 2);
	waited = s.node[0].init_at[1] - t1;
	assert_true(waited >= (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) * S);
	assert_true(waited < (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) * S + 334 * MS);
	sim_free(&s);
}

static void test_persistent_keepalive(void **state)
{
	struct sim s;
	uint64_t before;

	(void)state;
	sim_init(&s, 2, NULL, 15);

	/* Turned on without a session: the keepalive waits and a handshake starts. */
	sim_connect(&s, 0, 1);
	wg_peer_set_keepalive(sim_peer(&s, 0, 1), 25, s.now);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(s.node[0].n_init, 1);
	assert_int_equal(sim_stats(&s, 1).rx_keepalive, 1);
	assert_non_null(sim_peer(&s, 1, 0)->keypairs.current); /* confirmed by that keepalive */

	/* Then one every 25 s on an idle tunnel. */
	before = sim_stats(&s, 0).tx_keepalive;
	sim_run_for(&s, 100 * S);
	assert_int_equal(sim_stats(&s, 0).tx_keepalive - before, 4);
	assert_int_equal(sim_stats(&s, 1).tx_keepalive, 0);

	/* Turning it off stops them. */
	wg_peer_set_keepalive(sim_peer(&s, 0, 1), 0, s.now);
	before = sim_stats(&s, 0).tx_keepalive;
	sim_run_for(&s, 100 * S);
	assert_int_equal(sim_stats(&s, 0).tx_keepalive, before);
	sim_free(&s);
}

static void test_retransmit_jitter_and_give_up(void **state)
{
	struct sim_drop_rule to_b = { .from = 0, .type = 0 };
	struct sim s;
	struct wg_peer *pa;
	bool all_equal = true;
	uint64_t last;

	(void)state;
	sim_init(&s, 2, NULL, 16);
	sim_connect(&s, 0, 1);
	s.drop = sim_drop_by_rule;
	s.drop_arg = &to_b;
	to_b.count = -1;
	pa = sim_peer(&s, 0, 1);

	sim_send_ip(&s, 0, 1, 100);
	sim_run_for(&s, 200 * S);
	/* The first initiation, then MAX_TIMER_HANDSHAKES + 1 retries, then it gives up. */
	assert_int_equal(s.node[0].n_init, MAX_TIMER_HANDSHAKES + 2);
	for (int i = 1; i < s.node[0].n_init; ++i) {
		uint64_t gap = s.node[0].init_at[i] - s.node[0].init_at[i - 1];

		assert_true(gap >= REKEY_TIMEOUT * S);
		assert_true(gap < REKEY_TIMEOUT * S + 334 * MS);
		if (i > 1 && gap != s.node[0].init_at[1] - s.node[0].init_at[0])
			all_equal = false;
	}
	assert_false(all_equal); /* jittered */
	last = s.node[0].init_at[s.node[0].n_init - 1];
	assert_true(last - s.node[0].init_at[0] >= REKEY_ATTEMPT_TIME * S);
	/* Gave up: staged packets dropped, remains zeroed 3 x REJECT_AFTER_TIME later. */
	assert_int_equal(pa->staged.len, 0);
	assert_true(pa->timers.zero_key_material > last);
	assert_true(pa->timers.zero_key_material <= last + REKEY_TIMEOUT * S + 334 * MS +
							  3 * REJECT_AFTER_TIME * S);
	/* A new packet starts a new round of attempts. */
	sim_send_ip(&s, 0, 1, 100);
	sim_run_for(&s, S);
	assert_int_equal(s.node[0].n_init, MAX_TIMER_HANDSHAKES + 3);
	sim_free(&s);
}

static bool keys_gone(struct wg_peer *p)
{
	for (int i = 0; i < 3; ++i)
		if (!wg_crypto_is_zero(p->keypairs.slot[i].sending.key, 32) ||
		    !wg_crypto_is_zero(p->keypairs.slot[i].receiving.key, 32))
			return false;
	return !p->keypairs.current && !p->keypairs.previous && !p->keypairs.next &&
	       wg_crypto_is_zero(p->handshake.chaining_key, 32) &&
	       wg_crypto_is_zero(p->handshake.hash, 32) &&
	       wg_crypto_is_zero(p->handshake.ephemeral_private, 32) &&
	       p->handshake.state == HANDSHAKE_ZEROED;
}

static void test_zero_key_material(void **state)
{
	struct sim s;
	uint64_t birth;

	(void)state;
	sim_init(&s, 2, NULL, 17);
	birth = establish(&s);
	sim_run_until(&s, birth + 3 * REJECT_AFTER_TIME * S - S);
	assert_false(keys_gone(sim_peer(&s, 0, 1)));
	assert_false(keys_gone(sim_peer(&s, 1, 0)));
	assert_int_equal(s.node[0].events[WG_EVENT_SESSION_EXPIRED], 0);
	sim_run_until(&s, birth + 3 * REJECT_AFTER_TIME * S + S);
	assert_true(keys_gone(sim_peer(&s, 0, 1)));
	assert_true(keys_gone(sim_peer(&s, 1, 0)));
	assert_int_equal(s.node[0].events[WG_EVENT_SESSION_EXPIRED], 1);
	assert_int_equal(s.node[1].events[WG_EVENT_SESSION_EXPIRED], 1);

	/* And traffic simply starts a new session. */
	sim_send_ip(&s, 1, 0, 10);
	sim_run_for(&s, S);
	assert_int_equal(s.node[0].delivered, 2);
	sim_free(&s);
}

static void test_message_limits(void **state)
{
	struct sim s;
	struct wg_peer *pa;

	(void)state;
	sim_init(&s, 2, NULL, 18);
	establish(&s);
	pa = sim_peer(&s, 0, 1);

	/* Past REKEY_AFTER_MESSAGES a send starts a handshake... */
	pa->keypairs.current->sending_counter = REKEY_AFTER_MESSAGES + 1;
	sim_peer(&s, 1, 0)->keypairs.current->receiving_counter.counter = REKEY_AFTER_MESSAGES;
	sim_run_for(&s, 10 * S); /* past REKEY_TIMEOUT of the first handshake */
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(s.node[0].n_init, 2);
	assert_int_equal(s.node[1].delivered, 2);

	/* ...and REJECT_AFTER_MESSAGES is a hard stop. */
	pa->keypairs.current->sending_counter = REJECT_AFTER_MESSAGES - 1;
	sim_peer(&s, 1, 0)->keypairs.current->receiving_counter.counter = REJECT_AFTER_MESSAGES - 100;
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(s.node[1].delivered, 3);
	sim_send_ip(&s, 0, 1, 10);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(pa->staged.len, 1);
	assert_false(pa->keypairs.current->sending.is_valid);
	sim_free(&s);
}

static void test_lastminute_rekey_on_receive(void **state)
{
	struct sim s;
	struct wg_peer *pa;
	uint64_t t;

	(void)state;
	sim_init(&s, 2, NULL, 19);
	establish(&s);
	sim_run_for(&s, 20 * S);
	pa = sim_peer(&s, 0, 1);
	/* The initiator's session is REJECT - KEEPALIVE - REKEY_TIMEOUT old and it sent nothing since. */
	pa->keypairs.current->sending.birthdate =
		s.now - (REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) * S;
	t = s.now;
	sim_send_ip(&s, 1, 0, 10);
	sim_run_for(&s, 2 * MS);
	/* Receiving alone made it initiate, once. */
	assert_int_equal(s.node[0].n_init, 2);
	assert_true(s.node[0].init_at[1] <= t + 2 * MS);
	assert_true(pa->timers.sent_lastminute_handshake);
	/* More data does not start another one; the new session resets the flag. */
	sim_send_ip(&s, 1, 0, 10);
	sim_run_for(&s, 10 * MS);
	assert_int_equal(s.node[0].n_init, 2);
	assert_false(pa->timers.sent_lastminute_handshake);
	assert_true(pa->keypairs.current->sending.birthdate > t);
	sim_free(&s);
}

static void test_time_scale(void **state)
{
	struct wg_engine_config cfg = { .time_scale = 60 };
	struct sim s;
	uint64_t birth;

	(void)state;
	sim_init(&s, 2, &cfg, 20);
	birth = establish(&s);
	for (int i = 0; i < 30; ++i) {
		sim_send_ip(&s, 0, 1, 10);
		sim_send_ip(&s, 1, 0, 10);
		sim_run_for(&s, 100 * MS);
	}
	/* REKEY_AFTER_TIME / 60 = 2 s. */
	assert_true(s.node[0].n_init >= 2);
	assert_true(s.node[0].init_at[1] >= birth + 2 * S);
	assert_true(s.node[0].init_at[1] < birth + 2 * S + 110 * MS);
	assert_int_equal(s.node[1].delivered, 31);
	sim_free(&s);
}

/* ---- The constants themselves ------------------------------------------- */

/*
 * Every other test here is written in terms of the named constants, so it
 * would still pass if a constant drifted from the whitepaper. This one spells
 * out the literal values (whitepaper §6.1, the Linux driver's messages.h).
 */
static void test_constants_are_the_whitepapers(void **state)
{
	(void)state;
	assert_true(REKEY_AFTER_MESSAGES == 1152921504606846976ull);   /* 2^60 */
	assert_true(REJECT_AFTER_MESSAGES == 18446744073709543423ull); /* 2^64 - 2^13 - 1 */
	assert_true(REJECT_AFTER_MESSAGES == UINT64_MAX - 8192);
	assert_int_equal(REKEY_AFTER_TIME, 120);
	assert_int_equal(REJECT_AFTER_TIME, 180);
	assert_int_equal(REKEY_ATTEMPT_TIME, 90);
	assert_int_equal(REKEY_TIMEOUT, 5);
	assert_int_equal(REKEY_TIMEOUT_JITTER_MAX_MS, 333); /* the kernel's HZ / 3 */
	assert_int_equal(KEEPALIVE_TIMEOUT, 10);
	assert_int_equal(MAX_TIMER_HANDSHAKES, 18); /* 90 s / 5 s */
	assert_int_equal(INITIATIONS_PER_SECOND, 50);
	assert_int_equal(COOKIE_SECRET_MAX_AGE, 120);
	assert_int_equal(COOKIE_SECRET_LATENCY, 5);
}

/* The durations the timers actually use, in nanoseconds, at time scale 1. */
static void assert_unscaled_timing(const struct wg_timing *t)
{
	assert_int_equal(t->rekey_timeout, 5000000000ull);
	assert_int_equal(t->rekey_timeout_jitter_max, 333000000ull);
	assert_int_equal(t->rekey_after_time, 120000000000ull);
	assert_int_equal(t->reject_after_time, 180000000000ull);
	assert_int_equal(t->keepalive_timeout, 10000000000ull);
	assert_int_equal(t->new_handshake_timeout, 15000000000ull);  /* 10 s + 5 s */
	assert_int_equal(t->lastminute_handshake, 165000000000ull);  /* 180 - 10 - 5 s */
	assert_int_equal(t->zero_key_material, 540000000000ull);     /* 3 x 180 s */
	assert_int_equal(t->initiation_interval, 20000000ull);       /* 1 s / 50 */
	assert_int_equal(t->cookie_secret_max_age, 120000000000ull);
	assert_int_equal(t->cookie_usable, 115000000000ull);         /* 120 - 5 s */
	assert_int_equal(t->second, 1000000000ull);
}

static void test_timing_at_scale_one(void **state)
{
	struct wg_engine_config cfg = { .time_scale = 0 };
	struct wg_timing t;
	struct sim s;

	(void)state;
	wg_timing_init(&t, 1);
	assert_unscaled_timing(&t);
	wg_timing_init(&t, 0); /* "unset" means production, not a division by zero */
	assert_unscaled_timing(&t);
	/* What an engine made with the defaults (and with time_scale 0) really holds. */
	sim_init(&s, 2, NULL, 21);
	assert_unscaled_timing(&s.node[0].e->t);
	sim_free(&s);
	sim_init(&s, 1, &cfg, 22);
	assert_unscaled_timing(&s.node[0].e->t);
	sim_free(&s);
}

static void test_timing_scaled(void **state)
{
	struct wg_timing t;

	(void)state;
	wg_timing_init(&t, 60);
	assert_int_equal(t.rekey_after_time, 2000000000ull);
	assert_int_equal(t.zero_key_material, 9000000000ull);
	assert_int_equal(t.rekey_timeout_jitter_max, 5550000ull);
	assert_int_equal(t.second, 16666666ull);
	/* A huge scale clamps every duration at 1 ns instead of 0 (a timer firing forever). */
	wg_timing_init(&t, UINT32_MAX);
	assert_int_equal(t.initiation_interval, 1);
	assert_int_equal(t.rekey_timeout_jitter_max, 1);
}

/* ---- The deadline heap with thousands of peers --------------------------- */

enum { HEAP_PEERS = 3000 };
static uint64_t heap_deadline[HEAP_PEERS];
static uint64_t heap_now, heap_last_fired;
static int heap_fired;

static void heap_event(void *ctx, struct wg_peer *peer, enum wg_peer_event ev)
{
	size_t i = (size_t)(uintptr_t)wg_peer_get_userdata(peer);

	(void)ctx;
	assert_int_equal(ev, WG_EVENT_SESSION_EXPIRED);
	/* Fired when due, not before, and in deadline order. */
	assert_true(heap_deadline[i] <= heap_now);
	assert_true(heap_deadline[i] >= heap_last_fired);
	heap_last_fired = heap_deadline[i];
	heap_deadline[i] = UINT64_MAX;
	++heap_fired;
}

static void heap_send(void *ctx, const union wg_sockaddr *to, const uint8_t *d, size_t len)
{
	(void)ctx, (void)to, (void)d, (void)len;
}

static void heap_deliver(void *ctx, const uint8_t *p, size_t len)
{
	(void)ctx, (void)p, (void)len;
}

static void test_deadline_heap_many_peers(void **state)
{
	const struct wg_engine_ops ops = {
		.send_udp = heap_send, .deliver_ip = heap_deliver, .random = sim_rng,
		.peer_event = heap_event,
	};
	struct sim rng_holder;
	struct wg_engine *e;
	struct wg_peer *peers[HEAP_PEERS];
	uint64_t t0 = 5000 * S, x = 12345;

	(void)state;
	memset(&rng_holder, 0, sizeof(rng_holder));
	rng_holder.node[0].sim = &rng_holder;
	e = wg_engine_new(NULL, &ops, &rng_holder.node[0]);
	assert_non_null(e);
	for (size_t i = 0; i < HEAP_PEERS; ++i) {
		uint8_t pub[32];

		sim_rng(&rng_holder.node[0], pub, 32);
		peers[i] = wg_engine_peer_add(e, pub);
		assert_non_null(peers[i]);
		wg_peer_set_userdata(peers[i], (void *)(uintptr_t)i);
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		/* Armed, then for a third of them re-armed later (a stale heap key). */
		wg_timers_session_derived(peers[i], t0 + (x >> 40) % (100 * S));
		if (i % 3 == 0)
			wg_timers_session_derived(peers[i], t0 + (x >> 20) % (200 * S));
		heap_deadline[i] = peers[i]->timers.zero_key_material;
	}
	/* Remove some peers: the heap must stay consistent. */
	for (size_t i = 0; i < HEAP_PEERS; i += 7) {
		wg_engine_peer_remove(e, peers[i]);
		heap_deadline[i] = UINT64_MAX;
	}
	heap_now = 0;
	heap_last_fired = 0;
	heap_fired = 0;
	for (;;) {
		uint64_t next = wg_engine_next_deadline(e);

		if (next == UINT64_MAX)
			break;
		assert_true(next >= heap_now);
		heap_now = next;
		wg_engine_run_timers(e, heap_now);
		/* Everything due has fired. */
		for (size_t i = 0; i < HEAP_PEERS; i += 11)
			assert_true(heap_deadline[i] > heap_now);
	}
	for (size_t i = 0; i < HEAP_PEERS; ++i)
		assert_int_equal(heap_deadline[i], UINT64_MAX);
	assert_int_equal(heap_fired, HEAP_PEERS - (HEAP_PEERS + 6) / 7);
	wg_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rekey_after_time),
		cmocka_unit_test(test_reject_after_time),
		cmocka_unit_test(test_keepalive_after_one_way_traffic),
		cmocka_unit_test(test_new_handshake_when_peer_is_silent),
		cmocka_unit_test(test_persistent_keepalive),
		cmocka_unit_test(test_retransmit_jitter_and_give_up),
		cmocka_unit_test(test_zero_key_material),
		cmocka_unit_test(test_message_limits),
		cmocka_unit_test(test_lastminute_rekey_on_receive),
		cmocka_unit_test(test_time_scale),
		cmocka_unit_test(test_deadline_heap_many_peers),
		cmocka_unit_test(test_constants_are_the_whitepapers),
		cmocka_unit_test(test_timing_at_scale_one),
		cmocka_unit_test(test_timing_scaled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
