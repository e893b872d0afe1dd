/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static enum mg_log_level current_level = MG_LOG_INFO;
static int journal = -1; /* -1 unknown, 0 plain stderr, 1 journald stream */

void mg_log_set_level(enum mg_log_level level)
{
	current_level = level;
}

enum mg_log_level mg_log_get_level(void)
{
	return current_level;
}

/*
 * systemd sets JOURNAL_STREAM=<device>:<inode> of the stream it connected to
 * stderr. A process whose stderr was redirected elsewhere (a shell started
 * from a service, `up 2>file`) inherits the variable, so only a match means
 * that journald reads our lines (systemd.exec(5), "JOURNAL_STREAM").
 */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

bool mg_log_enabled(enum mg_log_level level)
{
	return level <= current_level;
}

void mg_log(enum mg_log_level level, const char *fmt, ...)
{
	/* syslog priorities: err 3, warning 4, info 6, debug 7 */
	static const int prio[] = { 3, 4, 6, 7 };
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	char line[1024];
	va_list ap;

	if (!mg_log_enabled(level))
		return;
	if (journal < 0)
		journal = stderr_is_journal();
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (journal)
		fprintf(stderr, "<%d>%s%s\n", prio[level], tag[level], line);
	else
		fprintf(stderr, "%s%s\n", tag[level], line);
}

bool mg_ratelimit_allow(struct mg_ratelimit *rl, uint64_t now_ns, uint64_t *suppressed)
{
	if (rl->interval_ns && now_ns > rl->last_ns) {
		uint64_t refill = (now_ns - rl->last_ns) / rl->interval_ns;
		if (refill > 0) {
			uint64_t t = rl->tokens + refill;
			rl->tokens = t > rl->burst ? rl->burst : (uint32_t)t;
			rl->last_ns += refill * rl->interval_ns;
			if (rl->tokens == rl->burst)
				rl->last_ns = now_ns;
		}
	}
	if (rl->tokens == 0) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	if (suppressed) {
		*suppressed = rl->suppressed;
		rl->suppressed = 0;
	}
	return true;
}
