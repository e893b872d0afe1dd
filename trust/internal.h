/* SPDX-License-Identifier: MIT */
/*
 * Private helpers shared by the files of trust/. Not part of the public API
 * (tests may include it).
 */
#ifndef MG_TRUST_INTERNAL_H
#define MG_TRUST_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "trust.h"

/* snprintf into an error buffer (err may be NULL); returns `ret`. */
__attribute__((format(printf, 4, 5))) int trust_err(int ret, char *err, size_t errlen,
						    const char *fmt, ...);

/* Read a whole small file; messages name the path. -ENOENT passes through
 * with a message too. `what` is "identity key", "certificate", ... */
int trust_read_small(const char *path, void *buf, size_t cap, size_t *len, const char *what,
		     char *err, size_t errlen);

/* 1 if all `len` bytes are zero. */
int trust_is_zero(const uint8_t *p, size_t len);

/* Is `subject` a well-formed alias: a valid name, NUL-padded to 32 bytes? */
int trust_alias_bytes_valid(const uint8_t subject[TRUST_KEY_LEN]);

#endif
