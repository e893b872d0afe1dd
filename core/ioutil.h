/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the I/O files of core/ (core-internal header).
 */
#ifndef MG_CORE_IOUTIL_H
#define MG_CORE_IOUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "wg.h"

/* Clear the host bits of a prefix (10.99.3.4/16 -> 10.99.0.0/16). */
void wg__prefix_mask(struct wg_prefix *p);

/* Family AF_INET with cidr <= 32, or AF_INET6 with cidr <= 128. */
static inline bool wg__prefix_valid(const struct wg_prefix *p)
{
	return (p->family == AF_INET && p->cidr <= 32) || (p->family == AF_INET6 && p->cidr <= 128);
}

/* snprintf into an optional error buffer; returns `ret` for `return wg__err(...)`. */
__attribute__((format(printf, 4, 5))) static inline int wg__err(char *err, size_t errlen, int ret,
								 const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

#endif
