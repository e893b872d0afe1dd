/* SPDX-License-Identifier: MIT */
/*
 * Every WireGuard timer lives in timers.c. The send and receive paths never
 * arm a timer themselves: they report events through the wg_timers_* hooks
 * (named as in the kernel driver), and timers.c decides what to arm.
 * wg_timers_run() fires what is due and returns the next deadline.
 */
#ifndef MG_CORE_TIMERS_H
#define MG_CORE_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

struct wg_engine;
struct wg_peer;

/*
 * The whitepaper's durations in nanoseconds, divided by the engine's
 * time_scale (1 in production).
 */
struct wg_timing {
	uint64_t rekey_timeout;
	uint64_t rekey_timeout_jitter_max;
	uint64_t rekey_after_time;
	uint64_t reject_after_time;
	uint64_t keepalive_timeout;
	uint64_t new_handshake_timeout;  /* KEEPALIVE_TIMEOUT + REKEY_TIMEOUT */
	uint64_t lastminute_handshake;   /* REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT */
	uint64_t zero_key_material;      /* REJECT_AFTER_TIME * 3 */
	uint64_t initiation_interval;    /* 1 s / INITIATIONS_PER_SECOND */
	uint64_t cookie_secret_max_age;
	uint64_t cookie_usable;          /* COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY */
	uint64_t second;                 /* one (scaled) second, for persistent keepalive */
};

void wg_timing_init(struct wg_timing *t, uint32_t time_scale);

/* True once `duration` has passed since `birthdate`. */
static inline bool wg_birthdate_has_expired(uint64_t birthdate, uint64_t duration, uint64_t now)
{
	return birthdate + duration <= now;
}

void wg_timers_init(struct wg_peer *peer);
void wg_timers_stop(struct wg_peer *peer);
int wg_timers_heap_add(struct wg_engine *e, struct wg_peer *peer);
void wg_timers_heap_remove(struct wg_engine *e, struct wg_peer *peer);

/* Hooks: "should be called after ..." */
void wg_timers_data_sent(struct wg_peer *peer, uint64_t now);
void wg_timers_data_received(struct wg_peer *peer, uint64_t now);
void wg_timers_any_authenticated_packet_sent(struct wg_peer *peer);
void wg_timers_any_authenticated_packet_received(struct wg_peer *peer);
void wg_timers_handshake_initiated(struct wg_peer *peer, uint64_t now);
void wg_timers_handshake_complete(struct wg_peer *peer, uint64_t now);
void wg_timers_session_derived(struct wg_peer *peer, uint64_t now);
void wg_timers_any_authenticated_packet_traversal(struct wg_peer *peer, uint64_t now);

/* Fires every due timer (peers, rate limiter GC, cookie secret expiry); returns the next deadline. */
uint64_t wg_timers_run(struct wg_engine *e, uint64_t now);
/* The next deadline without running anything. */
uint64_t wg_timers_next_deadline(const struct wg_engine *e);

#endif
