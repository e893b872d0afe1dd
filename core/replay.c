/* SPDX-License-Identifier: MIT */
/*
 * RFC 6479 sliding window, as the WireGuard kernel driver implements it.
 * Counters are stored off by one (`c->counter` is the highest accepted
 * counter plus one) so that a fresh, all-zero window accepts counter 0.
 */
#include "replay.h"

#include <string.h>

#include "messages.h"

void replay_counter_init(struct replay_counter *c)
{
	memset(c, 0, sizeof(*c));
}

static bool out_of_range(const struct replay_counter *c, uint64_t counter)
{
	/* Past REJECT_AFTER_MESSAGES the keypair is dead (§5.4.6). */
	return c->counter >= REJECT_AFTER_MESSAGES + 1 || counter >= REJECT_AFTER_MESSAGES;
}

static bool too_old(const struct replay_counter *c, uint64_t shifted)
{
	return shifted + REPLAY_WINDOW_SIZE < c->counter;
}

static unsigned long bit_of(uint64_t shifted)
{
	return 1UL << (shifted & (REPLAY_BITS_PER_LONG - 1));
}

static uint64_t word_of(uint64_t shifted)
{
	return shifted / REPLAY_BITS_PER_LONG;
}

bool replay_counter_check(const struct replay_counter *c, uint64_t counter)
{
	uint64_t shifted = counter + 1;

	if (out_of_range(c, counter) || too_old(c, shifted))
		return false;
	if (shifted > c->counter)
		return true;
	return !(c->backtrack[word_of(shifted) % REPLAY_RING_LONGS] & bit_of(shifted));
}

bool replay_counter_validate(struct replay_counter *c, uint64_t counter)
{
	uint64_t shifted = counter + 1, index, current, top, i;
	unsigned long *word, bit;

	if (out_of_range(c, counter) || too_old(c, shifted))
		return false;

	index = word_of(shifted);
	if (shifted > c->counter) {
		/* Advance: clear every word between the old top and the new one. */
		current = word_of(c->counter);
		top = index - current;
		if (top > REPLAY_RING_LONGS)
			top = REPLAY_RING_LONGS;
		for (i = 1; i <= top; ++i)
			c->backtrack[(current + i) % REPLAY_RING_LONGS] = 0;
		c->counter = shifted;
	}

	word = &c->backtrack[index % REPLAY_RING_LONGS];
	bit = bit_of(shifted);
	if (*word & bit)
		return false;
	*word |= bit;
	return true;
}
