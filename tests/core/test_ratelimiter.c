/* SPDX-License-Identifier: MIT */
/*
 * The per-source token bucket: bursts of 5, then 20 per second; IPv4 by
 * address, IPv6 by /64; bounded pool; garbage collection of idle sources.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "ratelimiter.h"

static const uint64_t SEC = 1000000000ull, T0 = 1000 * 1000000000ull;

static union wg_sockaddr v4(uint32_t host, uint16_t port)
{
	union wg_sockaddr a = { 0 };

	a.in4.sin_family = AF_INET;
	a.in4.sin_addr.s_addr = htonl(host);
	a.in4.sin_port = htons(port);
	return a;
}

static union wg_sockaddr v6(const char *ip)
{
	union wg_sockaddr a = { 0 };

	a.in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, ip, &a.in6.sin6_addr);
	return a;
}

static void test_burst_then_rate(void **state)
{
	struct ratelimiter rl;
	uint8_t key[16] = { 1 };
	union wg_sockaddr a = v4(0x0a000001, 1), a_other_port = v4(0x0a000001, 2),
			  b = v4(0x0a000002, 1);
	uint64_t now = T0;

	(void)state;
	assert_int_equal(ratelimiter_init(&rl, key), 0);
	for (int i = 0; i < RATELIMITER_PACKETS_BURSTABLE; ++i)
		assert_true(ratelimiter_allow(&rl, &a, now));
	assert_false(ratelimiter_allow(&rl, &a, now));
	/* The port does not matter; another address has its own bucket. */
	assert_false(ratelimiter_allow(&rl, &a_other_port, now));
	assert_true(ratelimiter_allow(&rl, &b, now));

	/* One packet's worth of time buys exactly one packet. */
	now += SEC / RATELIMITER_PACKETS_PER_SECOND - 1;
	assert_false(ratelimiter_allow(&rl, &a, now));
	now += 1;
	assert_true(ratelimiter_allow(&rl, &a, now));
	assert_false(ratelimiter_allow(&rl, &a, now));

	/* Sustained: 20 per second, no more. */
	int allowed = 0;
	for (int i = 0; i < 1000; ++i) {
		now += SEC / 100;
		allowed += ratelimiter_allow(&rl, &a, now);
	}
	assert_int_equal(allowed, 10 * RATELIMITER_PACKETS_PER_SECOND);
	ratelimiter_free(&rl);
}

static void test_ipv6_by_64(void **state)
{
	struct ratelimiter rl;
	uint8_t key[16] = { 2 };
	union wg_sockaddr a = v6("2001:db8:1:2::1"), a2 = v6("2001:db8:1:2:ffff::9"),
			  b = v6("2001:db8:1:3::1");

	(void)state;
	assert_int_equal(ratelimiter_init(&rl, key), 0);
	for (int i = 0; i < RATELIMITER_PACKETS_BURSTABLE; ++i)
		assert_true(ratelimiter_allow(&rl, i % 2 ? &a : &a2, T0));
	assert_false(ratelimiter_allow(&rl, &a2, T0));
	assert_true(ratelimiter_allow(&rl, &b, T0));
	assert_int_equal(ratelimiter_count(&rl), 2);
	ratelimiter_free(&rl);
}

static void test_gc_and_bounded_pool(void **state)
{
	struct ratelimiter rl;
	uint8_t key[16] = { 3 };
	union wg_sockaddr a;

	(void)state;
	assert_int_equal(ratelimiter_init(&rl, key), 0);
	assert_int_equal(ratelimiter_next_gc(&rl), UINT64_MAX);
	for (uint32_t i = 0; i < RATELIMITER_MAX_ENTRIES; ++i) {
		a = v4(0x0b000000 + i, 1);
		assert_true(ratelimiter_allow(&rl, &a, T0));
	}
	/* The pool is full: a new source is refused, a known one still counted. */
	a = v4(0x0c000000, 1);
	assert_false(ratelimiter_allow(&rl, &a, T0));
	a = v4(0x0b000000, 1);
	assert_true(ratelimiter_allow(&rl, &a, T0));
	assert_int_equal(ratelimiter_next_gc(&rl), T0 + SEC);

	/* Entries idle for more than a second go. */
	assert_true(ratelimiter_allow(&rl, &a, T0 + SEC / 2));
	ratelimiter_gc(&rl, T0 + SEC + 1);
	assert_int_equal(ratelimiter_count(&rl), 1);
	assert_int_equal(ratelimiter_next_gc(&rl), T0 + 2 * SEC + 1);
	ratelimiter_gc(&rl, T0 + 2 * SEC);
	assert_int_equal(ratelimiter_count(&rl), 0);
	assert_int_equal(ratelimiter_next_gc(&rl), UINT64_MAX);
	a = v4(0x0c000000, 1);
	assert_true(ratelimiter_allow(&rl, &a, T0 + 3 * SEC));
	ratelimiter_free(&rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_ipv6_by_64),
		cmocka_unit_test(test_gc_and_bounded_pool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
