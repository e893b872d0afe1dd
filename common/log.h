/* SPDX-License-Identifier: MIT */
/*
 * Leveled logging to stderr. When stderr is journald's stream (JOURNAL_STREAM
 * names it) each line carries a <N> syslog priority prefix so journald keeps
 * the level: <3> error, <4> warning, <6> info, <7> debug.
 * Never pass secret material to these functions.
 */
#ifndef MG_LOG_H
#define MG_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum mg_log_level {
	MG_LOG_ERROR = 0,
	MG_LOG_WARN = 1,
	MG_LOG_INFO = 2,
	MG_LOG_DEBUG = 3,
};

void mg_log_set_level(enum mg_log_level level);
enum mg_log_level mg_log_get_level(void);
bool mg_log_enabled(enum mg_log_level level);

__attribute__((format(printf, 2, 3))) void mg_log(enum mg_log_level level, const char *fmt, ...);

#define mg_err(...) mg_log(MG_LOG_ERROR, __VA_ARGS__)
#define mg_warn(...) mg_log(MG_LOG_WARN, __VA_ARGS__)
#define mg_info(...) mg_log(MG_LOG_INFO, __VA_ARGS__)
#define mg_debug(...)                                                                              \
	do {                                                                                       \
		if (mg_log_enabled(MG_LOG_DEBUG))                                                  \
			mg_log(MG_LOG_DEBUG, __VA_ARGS__);                                         \
	} while (0)

/*
 * Token bucket for log lines about remote input (bad packets, denied peers):
 * a flood must not turn into a disk-filling log. `burst` lines at once, then
 * one per `interval_ns`. Returns true if this line may be printed; the number
 * of suppressed lines is reported in *suppressed (then reset).
 */
struct mg_ratelimit {
	uint64_t interval_ns;
	uint32_t burst;
	uint32_t tokens;
	uint64_t last_ns;
	uint64_t suppressed;
};

#define MG_RATELIMIT_INIT(interval, burst_) { .interval_ns = (interval), .burst = (burst_), .tokens = (burst_) }

bool mg_ratelimit_allow(struct mg_ratelimit *rl, uint64_t now_ns, uint64_t *suppressed);

#endif
