/* SPDX-License-Identifier: MIT */
/*
 * Small file helpers with the durability rules of the project: nothing
 * half-written is ever left under a final name. All return 0 or -errno.
 */
#ifndef MG_FSUTIL_H
#define MG_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum mg_write_mode {
	MG_WRITE_REPLACE, /* atomically replace an existing file */
	MG_WRITE_EXCL,    /* fail with -EEXIST if the final name exists */
};

/*
 * Write `len` bytes to `path` with permission bits `mode`: a temporary file in
 * the same directory (created 0600, then fchmod), write, fsync, then rename
 * (REPLACE) or link+unlink (EXCL, which never clobbers), then fsync the
 * directory. On any failure the temporary file is removed and the final
 * name is untouched.
 */
int mg_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 enum mg_write_mode how);

/*
 * Read a whole regular file of at most `cap` bytes. -EFBIG if it is larger,
 * -EISDIR / -EINVAL if it is not a regular file. *out_len gets the size.
 */
int mg_read_file(const char *path, void *buf, size_t cap, size_t *out_len);

/* mkdir -p with `mode` for the directories it creates. */
int mg_mkdir_p(const char *path, mode_t mode);

/* True if `path` exists (any type, without following a final symlink). */
bool mg_path_exists(const char *path);

/* snprintf into a PATH_MAX buffer: "<dir>/<name>"; -ENAMETOOLONG on overflow. */
int mg_path_join(char *out, size_t cap, const char *dir, const char *name);

#endif
