/* SPDX-License-Identifier: MIT */
/*
 * The receive-side nonce window (whitepaper §5.4.6), with the kernel's
 * algorithm (RFC 6479): a ring of machine words used as a bitmap, so that
 * advancing the window clears whole words instead of shifting bits.
 *
 * The window accepts any counter not seen before that is at most
 * REPLAY_WINDOW_SIZE (8192) below the highest counter seen. The ring holds
 * one word more than the window needs, so the word holding the oldest
 * acceptable counter is never the word being reused for the newest.
 *
 * Data packets use both halves: replay_counter_check() before the
 * (expensive) decryption, replay_counter_validate() after authentication, so
 * forged packets can never move the window.
 */
#ifndef MG_CORE_REPLAY_H
#define MG_CORE_REPLAY_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

enum replay_values {
	REPLAY_BITS_PER_LONG = (int)(sizeof(unsigned long) * CHAR_BIT),
	REPLAY_WINDOW_SIZE = 8192,
	REPLAY_RING_LONGS = REPLAY_WINDOW_SIZE / REPLAY_BITS_PER_LONG + 1,
};

struct replay_counter {
	uint64_t counter; /* highest accepted counter + 1; 0 before the first packet */
	unsigned long backtrack[REPLAY_RING_LONGS];
};

void replay_counter_init(struct replay_counter *c);
/* Would `counter` be accepted? Changes nothing. */
bool replay_counter_check(const struct replay_counter *c, uint64_t counter);
/* Accepts `counter` (true) and records it, or rejects a replay / too old / out of range. */
bool replay_counter_validate(struct replay_counter *c, uint64_t counter);

#endif
