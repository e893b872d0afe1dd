/* SPDX-License-Identifier: MIT */
/*
 * Clocks for the edges. Protocol engines never call these: they are handed
 * `now` by their caller, so tests can drive them with a fake clock.
 */
#ifndef MG_CLOCK_H
#define MG_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic nanoseconds: for timers and durations. */
static inline uint64_t mg_now_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Wall-clock unix seconds: for certificate validity and Lamport persistence. */
static inline int64_t mg_now_unix(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

#endif
