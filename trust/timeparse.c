/* SPDX-License-Identifier: MIT */
/*
 * Times people type for --expires / --at, and dates for people. Strict:
 * anything that is not exactly one of the accepted forms is an error, never
 * "never expires" (upstream W-13).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static int parse_u63(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0 || n > 18)
		return n > 18 ? -ERANGE : -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int64_t unit_seconds(char u)
{
	switch (u) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	case 'w':
		return 7 * 86400;
	case 'y':
		return 365 * 86400;
	}
	return 0;
}

static int parse_duration(const char *s, size_t n, int64_t now, int64_t *out)
{
	int64_t count, unit = unit_seconds(s[n - 1]);
	int ret;

	if (!unit)
		return -EINVAL;
	if ((ret = parse_u63(s, n - 1, &count)))
		return ret;
	if (count == 0)
		return -EINVAL;
	if (count > (INT64_MAX - now) / unit)
		return -ERANGE;
	*out = now + count * unit;
	return 0;
}

/* `n` decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS]][Z], UTC. */
static int parse_date(const char *s, int64_t *out)
{
	struct tm tm = { 0 }, back;
	int sec = 0;
	time_t t;

	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4) < 0 ||
	    digits(s + 5, 2) < 0 || digits(s + 8, 2) < 0)
		return -EINVAL;
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 5, 2) - 1;
	tm.tm_mday = digits(s + 8, 2);
	s += 10;
	if (*s == 'T' || *s == ' ') {
		if (strlen(s) < 6 || s[3] != ':' || digits(s + 1, 2) < 0 || digits(s + 4, 2) < 0)
			return -EINVAL;
		tm.tm_hour = digits(s + 1, 2);
		tm.tm_min = digits(s + 4, 2);
		s += 6;
		if (*s == ':') {
			if ((sec = digits(s + 1, 2)) < 0)
				return -EINVAL;
			s += 3;
		}
	}
	tm.tm_sec = sec;
	if (*s == 'Z')
		s++;
	if (*s != '\0')
		return -EINVAL;
	back = tm;
	t = timegm(&tm);
	/* timegm normalises 2025-02-30 to March: refuse what did not round-trip. */
	if (!gmtime_r(&t, &tm) || back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon ||
	    back.tm_mday != tm.tm_mday || back.tm_hour != tm.tm_hour || back.tm_min != tm.tm_min ||
	    back.tm_sec != tm.tm_sec)
		return -EINVAL;
	*out = (int64_t)t;
	return 0;
}

static int all_digits(const char *s, size_t n)
{
	return n > 0 && strspn(s, "0123456789") == n;
}

int trust_parse_time(const char *s, int64_t now, int64_t *out)
{
	size_t n = strlen(s);
	int64_t v;
	int ret;

	if (strcmp(s, "never") == 0 || strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (all_digits(s, n)) {
		if ((ret = parse_u63(s, n, &v)))
			return ret;
		*out = v;
		return 0;
	}
	if (n >= 2 && all_digits(s, n - 1))
		return parse_duration(s, n, now, out);
	if (n >= 10 && all_digits(s, 4) && s[4] == '-')
		return parse_date(s, out);
	return -EINVAL;
}

void trust_format_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0) {
		snprintf(out, 32, "never");
		return;
	}
	if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, 32, "@%lld", (long long)t);
}
