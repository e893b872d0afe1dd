/* SPDX-License-Identifier: MIT */
/* --expires / --at parsing: every accepted form, and garbage is an error. */
#include "test_util.h"

#include <errno.h>

#include "trust.h"

static void test_accepted(void **state)
{
	static const struct {
		const char *in;
		int64_t want;
	} cases[] = {
		{ "never", 0 },
		{ "0", 0 },
		{ "1900000000", 1900000000 },
		{ "45s", 1000045 },
		{ "30m", 1000000 + 1800 },
		{ "12h", 1000000 + 43200 },
		{ "90d", 1000000 + 90 * 86400 },
		{ "2w", 1000000 + 14 * 86400 },
		{ "1y", 1000000 + 365 * 86400 },
		{ "2030-01-31", 1896048000 },
		{ "2030-01-31T12:00", 1896091200 },
		{ "2030-01-31T12:00:30Z", 1896091230 },
		{ "2030-01-31 12:00:30", 1896091230 },
		{ "2024-02-29", 1709164800 },
	};
	int64_t t;

	(void)state;
	for (size_t i = 0; i < MG_ARRAY_LEN(cases); i++) {
		if (trust_parse_time(cases[i].in, 1000000, &t) != 0)
			fail_msg("'%s' refused", cases[i].in);
		if (t != cases[i].want)
			fail_msg("'%s': got %lld, want %lld", cases[i].in, (long long)t,
				 (long long)cases[i].want);
	}
}

static void test_refused(void **state)
{
	static const char *bad[] = {
		"", "soon", "90 d", "d", "0d", "-5d", "+5d", "90days", "1.5d", "90D",
		"2030-02-30", "2030-13-01", "2030-1-31", "2030-01-31T25:00", "2030-01-31T12",
		"2030-01-31Z12:00", "2030-01-31T12:00:00+02:00", "2030-01-31x", " 2030-01-31",
		"1900000000 ", "0x10", "never!", "Never",
	};
	int64_t t = 42;

	(void)state;
	for (size_t i = 0; i < MG_ARRAY_LEN(bad); i++) {
		int ret = trust_parse_time(bad[i], 1000000, &t);
		if (ret != -EINVAL && ret != -ERANGE)
			fail_msg("'%s' accepted as %lld", bad[i], (long long)t);
	}
	assert_int_equal(trust_parse_time("99999999999999999999", 0, &t), -ERANGE);
	assert_int_equal(trust_parse_time("999999999999999999y", 0, &t), -ERANGE);
	assert_int_equal(t, 42); /* untouched on error */
	/* A bare small number is unix seconds (1970): the CLI then refuses an
	 * expiry in the past, so "--expires 90" never means "never". */
	assert_int_equal(trust_parse_time("90", 1000000, &t), 0);
	assert_int_equal(t, 90);
}

static void test_format(void **state)
{
	char out[32];

	(void)state;
	trust_format_time(0, out);
	assert_string_equal(out, "never");
	trust_format_time(1896091230, out);
	assert_string_equal(out, "2030-01-31 12:00:30 UTC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
