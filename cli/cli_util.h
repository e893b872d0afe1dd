/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the trust-related subcommands: option parsing, reading
 * a key given as text or as a file, printing keys.
 */
#ifndef MG_CLI_UTIL_H
#define MG_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* One option of a subcommand. Exactly one of `value` / `flag` is set. */
struct cli_opt {
	const char *name;     /* "--name" */
	const char **value;   /* option takes a value: stored here */
	bool *flag;           /* option is a switch: set to true */
};

/*
 * Parse argv[1..argc) of a subcommand: options from `opts` (as "--x v" or
 * "--x=v"), "--" ends options, everything else is positional (at most
 * `maxpos`, at least `minpos`). Unknown options, missing values and a wrong
 * number of positionals are usage errors. Returns 0 or CLI_USAGE.
 */
int cli_parse(int argc, char **argv, const struct cli_opt *opts, size_t nopts, const char **pos,
	      size_t minpos, size_t maxpos, size_t *npos);

/*
 * A key argument: 44 base64 characters, or the path of a key file (.pub,
 * .org, anything readable). `wg` selects X25519 checks. On success *from_file
 * (may be NULL) says which. Prints the error and returns CLI_FAIL otherwise.
 */
int cli_read_key_arg(const char *arg, bool wg, uint8_t key[32], bool *from_file);

/* The file name without directories and without its last extension. */
void cli_file_stem(const char *path, char *out, size_t cap);

/* Create the config directory (0700) if needed; prints the error. */
int cli_ensure_config_dir(const struct cli_ctx *ctx);

/* Join dir and name into a PATH_MAX buffer; prints the error. */
int cli_path(char *out, const char *dir, const char *name);
/* dir/sub/name, creating dir/sub (0700); prints the error. */
int cli_path_in(char *out, const char *dir, const char *sub, const char *name);

struct trust_store;
/* Load the trust store of the config directory; prints the error. */
int cli_load_store(const struct cli_ctx *ctx, struct trust_store **out);

/* Atomic write (temporary file, fsync, rename/link); prints the error. */
int cli_write_file(const char *path, const void *data, size_t len, unsigned mode, bool replace);

/* "  label        value" lines. */
void cli_print_key(const char *label, const uint8_t key[32]);
void cli_print_field(const char *label, const char *value);

/* --expires / --at: parse a time (see trust_parse_time); prints the error. */
int cli_parse_time(const char *opt, const char *text, int64_t now, int64_t *out);

#endif
