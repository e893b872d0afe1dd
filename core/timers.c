/* SPDX-License-Identifier: MIT */
/*
 * The timers of the whitepaper (§6), one set per peer:
 *
 * - retransmit_handshake: resend the initiation if no response came after
 *   REKEY_TIMEOUT + jitter; give up after REKEY_ATTEMPT_TIME.
 * - send_keepalive: send an empty packet if we received data but sent
 *   nothing for KEEPALIVE_TIMEOUT.
 * - new_handshake: start a handshake if we sent data but heard nothing for
 *   KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter.
 * - zero_key_material: wipe every key REJECT_AFTER_TIME * 3 after the last
 *   session was derived.
 * - persistent_keepalive: an empty packet every N seconds if configured.
 *
 * Plus two engine-wide chores: the rate limiter's garbage collection and
 * wiping the cookie secret once it has aged out.
 *
 * Deadlines are plain numbers in the peer; the engine keeps peers in a
 * min-heap keyed by a lower bound of each peer's earliest deadline. Arming a
 * timer earlier than the key sifts the peer up (O(log n)); disarming or
 * pushing a timer later does nothing, and the peer is re-keyed when its stale
 * key comes up. The hot-path hooks are therefore O(1) almost always.
 */
#include "timers.h"

#include <errno.h>
#include <stdlib.h>

#include "engine_priv.h"
#include "log.h"

enum { NSEC_PER_SEC = 1000000000, NSEC_PER_MSEC = 1000000 };

static uint64_t scaled(uint64_t ns, uint32_t scale)
{
	uint64_t v = ns / scale;

	return v ? v : 1; /* a zero duration would make a timer fire forever */
}

void wg_timing_init(struct wg_timing *t, uint32_t scale)
{
	const uint64_t s = NSEC_PER_SEC;

	if (!scale)
		scale = 1;
	t->rekey_timeout = scaled(REKEY_TIMEOUT * s, scale);
	t->rekey_timeout_jitter_max = scaled(REKEY_TIMEOUT_JITTER_MAX_MS * (uint64_t)NSEC_PER_MSEC, scale);
	t->rekey_after_time = scaled(REKEY_AFTER_TIME * s, scale);
	t->reject_after_time = scaled(REJECT_AFTER_TIME * s, scale);
	t->keepalive_timeout = scaled(KEEPALIVE_TIMEOUT * s, scale);
	t->new_handshake_timeout = scaled((KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) * s, scale);
	t->lastminute_handshake =
		scaled((REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) * s, scale);
	t->zero_key_material = scaled(REJECT_AFTER_TIME * 3 * s, scale);
	t->initiation_interval = scaled(s / INITIATIONS_PER_SECOND, scale);
	t->cookie_secret_max_age = scaled(COOKIE_SECRET_MAX_AGE * s, scale);
	t->cookie_usable = scaled((COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY) * s, scale);
	t->second = scaled(s, scale);
}

/* ---- The deadline heap --------------------------------------------------- */

static void heap_set(struct wg_engine *e, size_t i, struct wg_peer *p)
{
	e->heap[i] = p;
	p->timers.heap_pos = i;
}

static void sift_up(struct wg_engine *e, size_t i)
{
	struct wg_peer *p = e->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (e->heap[parent]->timers.heap_key <= p->timers.heap_key)
			break;
		heap_set(e, i, e->heap[parent]);
		i = parent;
	}
	heap_set(e, i, p);
}

static void sift_down(struct wg_engine *e, size_t i)
{
	struct wg_peer *p = e->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t mkey = p->timers.heap_key;

		if (l < e->heap_len && e->heap[l]->timers.heap_key < mkey) {
			m = l;
			mkey = e->heap[l]->timers.heap_key;
		}
		if (r < e->heap_len && e->heap[r]->timers.heap_key < mkey)
			m = r;
		if (m == i)
			break;
		heap_set(e, i, e->heap[m]);
		i = m;
	}
	heap_set(e, i, p);
}

int wg_timers_heap_add(struct wg_engine *e, struct wg_peer *peer)
{
	if (e->heap_len == e->heap_cap) {
		size_t cap = e->heap_cap ? e->heap_cap * 2 : 16;
		struct wg_peer **h = realloc(e->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		e->heap = h;
		e->heap_cap = cap;
	}
	peer->timers.heap_key = WG_TIMER_OFF;
	heap_set(e, e->heap_len++, peer);
	sift_up(e, peer->timers.heap_pos);
	return 0;
}

void wg_timers_heap_remove(struct wg_engine *e, struct wg_peer *peer)
{
	size_t i = peer->timers.heap_pos;
	struct wg_peer *last = e->heap[--e->heap_len];

	if (last == peer)
		return;
	heap_set(e, i, last);
	sift_down(e, i);
	sift_up(e, last->timers.heap_pos);
}

static uint64_t earliest_deadline(const struct wg_timers *t)
{
	uint64_t m = t->retransmit_handshake;

	if (t->send_keepalive < m)
		m = t->send_keepalive;
	if (t->new_handshake < m)
		m = t->new_handshake;
	if (t->zero_key_material < m)
		m = t->zero_key_material;
	if (t->persistent_keepalive < m)
		m = t->persistent_keepalive;
	return m;
}

/* mod_timer(): (re)arm a timer of the peer for `when`. */
static void mod_peer_timer(struct wg_peer *peer, uint64_t *timer, uint64_t when)
{
	*timer = when;
	if (when < peer->timers.heap_key) {
		peer->timers.heap_key = when;
		sift_up(peer->engine, peer->timers.heap_pos);
	}
}

/*
 * Up to REKEY_TIMEOUT_JITTER_MAX of random delay, so that peers which
 * started together drift apart. It hides nothing, so a seeded xorshift64*
 * does: data_sent() arms a timer after nearly every reply, and the RNG
 * callback may be a system call.
 */
static uint64_t jitter(struct wg_peer *peer)
{
	struct wg_engine *e = peer->engine;
	uint64_t x = e->jitter_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	e->jitter_state = x;
	return ((x * 0x2545f4914f6cdd1dull) >> 32) % e->t.rekey_timeout_jitter_max;
}

/* ---- Expiry -------------------------------------------------------------- */

static void wg_expired_retransmit_handshake(struct wg_peer *peer, uint64_t now)
{
	if (peer->timers.handshake_attempts > MAX_TIMER_HANDSHAKES) {
		mg_debug("wg: handshake with a peer did not complete after %d attempts, giving up",
			 MAX_TIMER_HANDSHAKES + 2);
		peer->timers.send_keepalive = WG_TIMER_OFF;
		/* Drop the packets without a keypair; we are not trying again. */
		wg_packet_purge_staged_packets(peer);
		/* And destroy whatever a partial exchange left behind, later. */
		if (peer->timers.zero_key_material == WG_TIMER_OFF)
			mod_peer_timer(peer, &peer->timers.zero_key_material,
				       now + peer->engine->t.zero_key_material);
	} else {
		++peer->timers.handshake_attempts;
		wg_packet_send_queued_handshake_initiation(peer, true, now);
	}
}

static void wg_expired_send_keepalive(struct wg_peer *peer, uint64_t now)
{
	wg_packet_send_keepalive(peer, now);
	if (peer->timers.need_another_keepalive) {
		peer->timers.need_another_keepalive = false;
		mod_peer_timer(peer, &peer->timers.send_keepalive,
			       now + peer->engine->t.keepalive_timeout);
	}
}

static void wg_expired_new_handshake(struct wg_peer *peer, uint64_t now)
{
	mg_debug("wg: no reply from a peer after sending data, starting a new handshake");
	wg_packet_send_queued_handshake_initiation(peer, false, now);
}

static void wg_expired_zero_key_material(struct wg_peer *peer, uint64_t now)
{
	(void)now;
	mg_debug("wg: zeroing all keys of a peer after %d s without a new session",
		 REJECT_AFTER_TIME * 3);
	wg_peer_zero_key_material(peer);
	wg_peer_event(peer, WG_EVENT_SESSION_EXPIRED);
}

static void wg_expired_send_persistent_keepalive(struct wg_peer *peer, uint64_t now)
{
	if (peer->persistent_keepalive_interval)
		wg_packet_send_keepalive(peer, now);
}

/* Runs each due timer of the peer, clearing it first so its handler may re-arm it. */
static void expire_peer(struct wg_peer *peer, uint64_t now)
{
	struct wg_timers *t = &peer->timers;

#define FIRE(field, handler)                            \
	do {                                            \
		if (t->field <= now) {                  \
			t->field = WG_TIMER_OFF;        \
			handler(peer, now);             \
		}                                       \
	} while (0)
	FIRE(retransmit_handshake, wg_expired_retransmit_handshake);
	FIRE(send_keepalive, wg_expired_send_keepalive);
	FIRE(new_handshake, wg_expired_new_handshake);
	FIRE(zero_key_material, wg_expired_zero_key_material);
	FIRE(persistent_keepalive, wg_expired_send_persistent_keepalive);
#undef FIRE
}

uint64_t wg_timers_next_deadline(const struct wg_engine *e)
{
	uint64_t next = e->heap_len ? e->heap[0]->timers.heap_key : WG_TIMER_OFF;

	/* Initiations asked for by the packet paths are due at once. */
	if (e->init_first)
		return 0;
	uint64_t gc = ratelimiter_next_gc(&e->ratelimiter);

	if (gc < next)
		next = gc;
	if (e->checker.has_secret &&
	    e->checker.secret_birthdate + e->t.cookie_secret_max_age < next)
		next = e->checker.secret_birthdate + e->t.cookie_secret_max_age;
	return next;
}

uint64_t wg_timers_run(struct wg_engine *e, uint64_t now)
{
	while (e->heap_len && e->heap[0]->timers.heap_key <= now) {
		struct wg_peer *peer = e->heap[0];

		expire_peer(peer, now);
		/* The key may have been stale (a disarmed or postponed timer): recompute. */
		peer->timers.heap_key = earliest_deadline(&peer->timers);
		sift_down(e, peer->timers.heap_pos);
	}
	wg_packet_flush_handshake_initiations(e, now);
	if (ratelimiter_next_gc(&e->ratelimiter) <= now)
		ratelimiter_gc(&e->ratelimiter, now);
	cookie_checker_expire_secret(&e->checker, now, &e->cookie_times);
	return wg_timers_next_deadline(e);
}

/* ---- Hooks --------------------------------------------------------------- */

void wg_timers_init(struct wg_peer *peer)
{
	wg_timers_stop(peer);
	peer->timers.handshake_attempts = 0;
	peer->timers.need_another_keepalive = false;
	peer->timers.sent_lastminute_handshake = false;
}

void wg_timers_stop(struct wg_peer *peer)
{
	peer->timers.retransmit_handshake = WG_TIMER_OFF;
	peer->timers.send_keepalive = WG_TIMER_OFF;
	peer->timers.new_handshake = WG_TIMER_OFF;
	peer->timers.zero_key_material = WG_TIMER_OFF;
	peer->timers.persistent_keepalive = WG_TIMER_OFF;
}

/* Should be called after an authenticated data packet is sent. */
void wg_timers_data_sent(struct wg_peer *peer, uint64_t now)
{
	if (peer->timers.new_handshake == WG_TIMER_OFF)
		mod_peer_timer(peer, &peer->timers.new_handshake,
			       now + peer->engine->t.new_handshake_timeout + jitter(peer));
}

/* Should be called after an authenticated data packet is received. */
void wg_timers_data_received(struct wg_peer *peer, uint64_t now)
{
	if (peer->timers.send_keepalive == WG_TIMER_OFF)
		mod_peer_timer(peer, &peer->timers.send_keepalive,
			       now + peer->engine->t.keepalive_timeout);
	else
		peer->timers.need_another_keepalive = true;
}

/* Should be called after any authenticated packet is sent: keepalive, data or handshake. */
void wg_timers_any_authenticated_packet_sent(struct wg_peer *peer)
{
	peer->timers.send_keepalive = WG_TIMER_OFF;
}

/* Should be called after any authenticated packet is received: keepalive, data or handshake. */
void wg_timers_any_authenticated_packet_received(struct wg_peer *peer)
{
	peer->timers.new_handshake = WG_TIMER_OFF;
}

/* Should be called after a handshake initiation message is sent. */
void wg_timers_handshake_initiated(struct wg_peer *peer, uint64_t now)
{
	mod_peer_timer(peer, &peer->timers.retransmit_handshake,
		       now + peer->engine->t.rekey_timeout + jitter(peer));
}

/*
 * Should be called after a handshake response is received and processed, or
 * when the first data packet confirms the keys of a response we sent.
 */
void wg_timers_handshake_complete(struct wg_peer *peer, uint64_t now)
{
	(void)now;
	peer->timers.retransmit_handshake = WG_TIMER_OFF;
	peer->timers.handshake_attempts = 0;
	peer->timers.sent_lastminute_handshake = false;
	wg_engine_wall_time(peer->engine, &peer->walltime_last_handshake);
}

/* Should be called after new keys are derived: before sending a response, after receiving one. */
void wg_timers_session_derived(struct wg_peer *peer, uint64_t now)
{
	mod_peer_timer(peer, &peer->timers.zero_key_material,
		       now + peer->engine->t.zero_key_material);
}

/* Should be called before an authenticated packet is sent, or after one is received. */
void wg_timers_any_authenticated_packet_traversal(struct wg_peer *peer, uint64_t now)
{
	if (peer->persistent_keepalive_interval)
		mod_peer_timer(peer, &peer->timers.persistent_keepalive,
			       now + peer->persistent_keepalive_interval * peer->engine->t.second);
}
