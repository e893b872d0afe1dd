/* SPDX-License-Identifier: MIT */
/*
 * `meshguard up --user NAME`: once the device, addresses, routes, UDP ports
 * and sockets exist, the daemon becomes NAME (uid, primary gid, no
 * supplementary groups) keeping only CAP_NET_ADMIN, with a bounding set of
 * that one capability and no_new_privs. The steps, in the order daemon.c
 * calls them:
 *
 *   privdrop_lookup       before anything is created: NAME exists, is not
 *                         root, and we hold the capabilities to switch
 *   privdrop_prepare_dir  state/ exists (created for NAME if it was missing)
 *   privdrop_check_as     a check run in a child that already is NAME: the
 *                         files the daemon reads and writes after the drop
 *   privdrop_apply        the switch itself, verified afterwards
 *
 * All return 0 or a negative errno with a message for people in err.
 */
#ifndef MG_CLI_PRIVDROP_H
#define MG_CLI_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

struct privdrop_user {
	char name[64];
	char group[64]; /* its primary group's name (or number), for messages */
	uid_t uid;
	gid_t gid;
};

int privdrop_lookup(const char *name, struct privdrop_user *out, char *err, size_t errlen);

/* `dir` exists and NAME may write it: created 0700 for NAME if missing. */
int privdrop_prepare_dir(const struct privdrop_user *u, const char *dir, char *err, size_t errlen);

/*
 * Run check(ctx, err, errlen) in a forked child with NAME's credentials (no
 * capabilities) and return its verdict and message. The caller must be
 * single-threaded, as the daemon is before its loop starts.
 */
int privdrop_check_as(const struct privdrop_user *u,
		      int (*check)(void *ctx, char *err, size_t errlen), void *ctx, char *err,
		      size_t errlen);

/* For check functions, under the dropped credentials: `dir` can be listed / written. */
int privdrop_check_readable(const char *dir, const struct privdrop_user *u, char *err,
			    size_t errlen);
int privdrop_check_writable(const char *dir, const struct privdrop_user *u, char *err,
			    size_t errlen);

int privdrop_apply(const struct privdrop_user *u, char *err, size_t errlen);

#endif
