/* SPDX-License-Identifier: MIT */
/*
 * Runs the independent Python implementation (wg_oracle.py) from C tests:
 * arguments are name=hex pairs, results come back as name=hex lines.
 */
#ifndef MG_TESTS_CORE_ORACLE_H
#define MG_TESTS_CORE_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { ORACLE_MAX_FIELDS = 16, ORACLE_MAX_VALUE = 2048 };

struct oracle_out {
	int n;
	char name[ORACLE_MAX_FIELDS][32];
	uint8_t value[ORACLE_MAX_FIELDS][ORACLE_MAX_VALUE];
	size_t len[ORACLE_MAX_FIELDS];
};

/* argv[1] = python interpreter, argv[2] = wg_oracle.py (as meson passes them). */
bool oracle_init(int argc, char **argv);
/* Appends "name=hex" for a byte string, or "name=decimal", to an argument list. */
void oracle_arg_hex(char *args, size_t cap, const char *name, const void *v, size_t len);
void oracle_arg_int(char *args, size_t cap, const char *name, unsigned long long v);
/* Runs `wg_oracle.py cmd args`; false if it fails. */
bool oracle_run(struct oracle_out *out, const char *cmd, const char *args);
/* The value called `name` (aborts the test if missing). */
const uint8_t *oracle_get(const struct oracle_out *out, const char *name, size_t *len);

#endif
