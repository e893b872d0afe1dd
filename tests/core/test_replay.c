/* SPDX-License-Identifier: MIT */
/*
 * The nonce window: the kernel's counter self-test table (selftest/counter.c),
 * ported case for case, with T_LIM following our window of 8192. Every case
 * also checks that the read-only pre-check agrees with the verdict.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "messages.h"
#include "replay.h"

static struct replay_counter counter;
static unsigned test_num;

static void T(uint64_t n, bool expected)
{
	struct replay_counter before = counter;
	bool pre = replay_counter_check(&counter, n);

	++test_num;
	/* The pre-check changes nothing and predicts the verdict. */
	assert_memory_equal(&before, &counter, sizeof(counter));
	if (replay_counter_validate(&counter, n) != expected || pre != expected)
		fail_msg("nonce counter case %u (counter %llu): expected %d", test_num,
			 (unsigned long long)n, expected);
}

#define T_INIT replay_counter_init(&counter)
#define T_LIM (REPLAY_WINDOW_SIZE + 1)

static void test_kernel_table(void **state)
{
	(void)state;
	test_num = 0;
	T_INIT;
	/*  1 */ T(0, true);
	/*  2 */ T(1, true);
	/*  3 */ T(1, false);
	/*  4 */ T(9, true);
	/*  5 */ T(8, true);
	/*  6 */ T(7, true);
	/*  7 */ T(7, false);
	/*  8 */ T(T_LIM, true);
	/*  9 */ T(T_LIM - 1, true);
	/* 10 */ T(T_LIM - 1, false);
	/* 11 */ T(T_LIM - 2, true);
	/* 12 */ T(2, true);
	/* 13 */ T(2, false);
	/* 14 */ T(T_LIM + 16, true);
	/* 15 */ T(3, false);
	/* 16 */ T(T_LIM + 16, false);
	/* 17 */ T(T_LIM * 4, true);
	/* 18 */ T(T_LIM * 4 - (T_LIM - 1), true);
	/* 19 */ T(10, false);
	/* 20 */ T(T_LIM * 4 - T_LIM, false);
	/* 21 */ T(T_LIM * 4 - (T_LIM + 1), false);
	/* 22 */ T(T_LIM * 4 - (T_LIM - 2), true);
	/* 23 */ T(T_LIM * 4 + 1 - T_LIM, false);
	/* 24 */ T(0, false);
	/* 25 */ T(REJECT_AFTER_MESSAGES, false);
	/* 26 */ T(REJECT_AFTER_MESSAGES - 1, true);
	/* 27 */ T(REJECT_AFTER_MESSAGES, false);
	/* 28 */ T(REJECT_AFTER_MESSAGES - 1, false);
	/* 29 */ T(REJECT_AFTER_MESSAGES - 2, true);
	/* 30 */ T(REJECT_AFTER_MESSAGES + 1, false);
	/* 31 */ T(REJECT_AFTER_MESSAGES + 2, false);
	/* 32 */ T(REJECT_AFTER_MESSAGES - 2, false);
	/* 33 */ T(REJECT_AFTER_MESSAGES - 3, true);
	/* 34 */ T(0, false);
}

static void test_kernel_window_sweeps(void **state)
{
	unsigned i;

	(void)state;
	T_INIT;
	for (i = 1; i <= REPLAY_WINDOW_SIZE; ++i)
		T(i, true);
	T(0, true);
	T(0, false);

	T_INIT;
	for (i = 2; i <= REPLAY_WINDOW_SIZE + 1; ++i)
		T(i, true);
	T(1, true);
	T(0, false);

	T_INIT;
	for (i = REPLAY_WINDOW_SIZE + 1; i-- > 0;)
		T(i, true);

	T_INIT;
	for (i = REPLAY_WINDOW_SIZE + 2; i-- > 1;)
		T(i, true);
	T(0, false);

	T_INIT;
	for (i = REPLAY_WINDOW_SIZE + 1; i-- > 1;)
		T(i, true);
	T(REPLAY_WINDOW_SIZE + 1, true);
	T(0, false);

	T_INIT;
	for (i = REPLAY_WINDOW_SIZE + 1; i-- > 1;)
		T(i, true);
	T(0, true);
	T(REPLAY_WINDOW_SIZE + 1, true);
}

/* The window is at least 8192 packets: exactly that much reordering is tolerated. */
static void test_window_is_8192(void **state)
{
	(void)state;
	assert_true(REPLAY_WINDOW_SIZE >= 8192);
	T_INIT;
	T(100000, true);
	T(100000 - 8192, true);  /* the oldest counter still inside */
	T(100000 - 8193, false); /* one older: outside */
	/* A jump larger than the whole ring clears it. */
	T(100000 + 3 * REPLAY_WINDOW_SIZE, true);
	T(100000 + 3 * REPLAY_WINDOW_SIZE - 1, true);
	T(100000 + 2 * REPLAY_WINDOW_SIZE + 64, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_table),
		cmocka_unit_test(test_kernel_window_sweeps),
		cmocka_unit_test(test_window_is_8192),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
