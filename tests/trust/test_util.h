/* SPDX-License-Identifier: MIT */
/* Small helpers for the trust/ cmocka tests: hex, temporary directories, files. */
#ifndef MG_TEST_TRUST_UTIL_H
#define MG_TEST_TRUST_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "bytes.h"
#include "fsutil.h"
#include "keytext.h"

/* Decode a hex literal of exactly `len` bytes (fails the test otherwise). */
static inline void hex(uint8_t *out, size_t len, const char *text)
{
	assert_int_equal(mg_hex_decode_exact(out, len, text, strlen(text)), 0);
}

static inline void b64(uint8_t *out, size_t len, const char *text)
{
	assert_int_equal(mg_b64_decode_exact(out, len, text, strlen(text)), 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A fresh directory /tmp/mgtrust-test-XXXXXX; free with tmpdir_remove(). */
static inline char *tmpdir_new(void)
{
	char *dir = strdup("/tmp/mgtrust-test-XXXXXX");
	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static inline void tmpdir_remove(char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* Write `len` bytes to dir/rel (creating parent directories), with `mode`. */
static inline void put_file(const char *dir, const char *rel, const void *data, size_t len,
			    mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *p = path + strlen(dir) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0700);
			*p = '/';
		}
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static inline void put_text(const char *dir, const char *rel, const char *text)
{
	put_file(dir, rel, text, strlen(text), 0600);
}

/* Number of entries whose name starts with '.' (leftover temporary files)
 * in dir/rel. */
static inline int hidden_files(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

#endif
