/* SPDX-License-Identifier: MIT */
/*
 * Privilege drop for `meshguard up --user NAME` (libcap-ng). Why keep
 * CAP_NET_ADMIN: after start-up the daemon still changes its own interface's
 * addresses (IPv4 collisions, docs/mesh.md), adds and removes routes for
 * static peers on reload, sets socket marks and forces socket buffer sizes
 * when the UAPI rebinds the port. Nothing else needs privileges.
 */
#include "privdrop.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cap-ng.h>

enum { PW_BUF = 16384, CAP_MAX_CHECKED = 64 };

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* The capabilities capng_change_id() needs to switch and to shrink the bounding set. */
static int check_switch_caps(const char *name, char *err, size_t errlen)
{
	static const struct {
		unsigned cap;
		const char *name;
	} need[] = { { CAP_SETUID, "CAP_SETUID" },
		     { CAP_SETGID, "CAP_SETGID" },
		     { CAP_SETPCAP, "CAP_SETPCAP" } };
	char missing[64] = "";

	if (capng_get_caps_process() < 0)
		return fail(err, errlen, -EIO, "--user %s: cannot read our capabilities", name);
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (capng_have_capability(CAPNG_EFFECTIVE, need[i].cap))
			continue;
		if (missing[0])
			strcat(missing, " ");
		strcat(missing, need[i].name);
	}
	if (missing[0])
		return fail(err, errlen, -EPERM,
			    "--user %s: switching users needs CAP_SETUID, CAP_SETGID and "
			    "CAP_SETPCAP, and we lack %s; start as root (under systemd: add them to "
			    "CapabilityBoundingSet=, see docs/systemd.md)",
			    name, missing);
	return 0;
}

static void group_name(struct privdrop_user *u)
{
	char buf[PW_BUF];
	struct group gr, *res = NULL;

	if (getgrgid_r(u->gid, &gr, buf, sizeof(buf), &res) == 0 && res)
		snprintf(u->group, sizeof(u->group), "%s", gr.gr_name);
	else
		snprintf(u->group, sizeof(u->group), "%u", (unsigned)u->gid);
}

int privdrop_lookup(const char *name, struct privdrop_user *out, char *err, size_t errlen)
{
	char buf[PW_BUF];
	struct passwd pw, *res = NULL;
	int ret;

	if (!*name || strlen(name) >= sizeof(out->name))
		return fail(err, errlen, -EINVAL, "--user: '%s' is not a user name", name);
	ret = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (ret)
		return fail(err, errlen, -ret, "--user %s: cannot look the user up: %s", name,
			    strerror(ret));
	if (!res)
		return fail(err, errlen, -ENOENT,
			    "--user %s: no such user on this system (getent passwd %s); create "
			    "it, e.g. useradd --system --no-create-home --shell /usr/sbin/nologin %s",
			    name, name, name);
	if (pw.pw_uid == 0)
		return fail(err, errlen, -EINVAL,
			    "--user %s: that is uid 0; name an unprivileged user, or leave --user "
			    "out to stay root",
			    name);
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->uid = pw.pw_uid;
	out->gid = pw.pw_gid;
	group_name(out);
	return check_switch_caps(name, err, errlen);
}

int privdrop_prepare_dir(const struct privdrop_user *u, const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	if (lstat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0
					   : fail(err, errlen, -ENOTDIR, "%s: not a directory", dir);
	if (errno != ENOENT)
		return fail(err, errlen, -errno, "%s: %s", dir, strerror(errno));
	if (mkdir(dir, 0700) < 0)
		return fail(err, errlen, -errno, "cannot create %s: %s", dir, strerror(errno));
	if (chown(dir, u->uid, u->gid) == 0)
		return 0;
	ret = -errno;
	rmdir(dir);
	return fail(err, errlen, ret,
		    "cannot create %s for user %s: %s; create it yourself: "
		    "install -d -o %s -g %s -m 0700 %s",
		    dir, u->name, strerror(-ret), u->name, u->group, dir);
}

int privdrop_check_readable(const char *dir, const struct privdrop_user *u, char *err,
			    size_t errlen)
{
	if (access(dir, R_OK | X_OK) == 0)
		return 0;
	return fail(err, errlen, -errno,
		    "%s is not readable by user %s (%s); the daemon reads its configuration as "
		    "%s after the drop: chgrp %s %s && chmod g+rx %s",
		    dir, u->name, strerror(errno), u->name, u->group, dir, dir);
}

int privdrop_check_writable(const char *dir, const struct privdrop_user *u, char *err,
			    size_t errlen)
{
	if (access(dir, W_OK | X_OK) == 0)
		return 0;
	return fail(err, errlen, -errno,
		    "%s is not writable by user %s (%s); the daemon keeps its state there: "
		    "chown -R %s:%s %s",
		    dir, u->name, strerror(errno), u->name, u->group, dir);
}

/* In the child: become NAME for good (no capabilities survive setresuid). */
static int become(const struct privdrop_user *u, char *err, size_t errlen)
{
	if (setgroups(0, NULL) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
	    setresuid(u->uid, u->uid, u->uid) < 0)
		return fail(err, errlen, -errno, "cannot switch to user %s: %s", u->name,
			    strerror(errno));
	return 0;
}

static void read_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < cap) {
		n = read(fd, buf + len, cap - 1 - len);
		if (n > 0)
			len += (size_t)n;
		else if (n == 0 || errno != EINTR)
			break;
	}
	buf[len] = '\0';
}

/*
 * A child rather than a temporary seteuid(): the check then sees exactly the
 * credentials of the daemon after the drop (no groups, no capabilities), and
 * nothing in this process has to be switched back. It also holds a copy of
 * the identity secret until it exits a moment later: never longer.
 */
int privdrop_check_as(const struct privdrop_user *u,
		      int (*check)(void *ctx, char *err, size_t errlen), void *ctx, char *err,
		      size_t errlen)
{
	int fds[2], status = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return fail(err, errlen, -errno, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return fail(err, errlen, -errno, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		char msg[1024] = "";
		int ret = become(u, msg, sizeof(msg));
		close(fds[0]);
		if (!ret)
			ret = check(ctx, msg, sizeof(msg));
		if (ret && write(fds[1], msg, strlen(msg)) < 0)
			ret = -errno;
		_exit(ret ? 1 : 0);
	}
	close(fds[1]);
	err[0] = '\0';
	read_all(fds[0], err, errlen);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!err[0])
		fail(err, errlen, 0, "the start-up check as user %s failed (status %d)", u->name,
		     status);
	return -EACCES;
}

/*
 * Exactly CAP_NET_ADMIN in the effective, permitted and bounding sets;
 * nothing inheritable or ambient. The bounding and ambient sets are asked of
 * the kernel directly, for every bit: libcap-ng only looks up to the last
 * capability it knows of, and a newer kernel may know more.
 */
static bool caps_exact(void)
{
	if (capng_get_caps_process() < 0)
		return false;
	for (unsigned cap = 0; cap < CAP_MAX_CHECKED; cap++) {
		bool want = cap == CAP_NET_ADMIN;
		if ((capng_have_capability(CAPNG_EFFECTIVE, cap) == 1) != want ||
		    (capng_have_capability(CAPNG_PERMITTED, cap) == 1) != want ||
		    capng_have_capability(CAPNG_INHERITABLE, cap) != 0 ||
		    (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) != want ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1)
			return false;
	}
	return true;
}

/* Fail closed: the drop is checked from the kernel's view, not assumed. */
static int verify(const struct privdrop_user *u, char *err, size_t errlen)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	if (getresuid(&r, &e, &s) < 0 || r != u->uid || e != u->uid || s != u->uid ||
	    getresgid(&rg, &eg, &sg) < 0 || rg != u->gid || eg != u->gid || sg != u->gid)
		return fail(err, errlen, -EPERM, "after switching to %s: the uid or gid did not change",
			    u->name);
	if (getgroups(0, NULL) != 0)
		return fail(err, errlen, -EPERM, "after switching to %s: supplementary groups remain",
			    u->name);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return fail(err, errlen, -EPERM, "after switching to %s: no_new_privs is not set",
			    u->name);
	if (!caps_exact())
		return fail(err, errlen, -EPERM,
			    "after switching to %s: capabilities other than CAP_NET_ADMIN remain",
			    u->name);
	return 0;
}

int privdrop_apply(const struct privdrop_user *u, char *err, size_t errlen)
{
	int ret;

	/*
	 * The bounding set first, while CAP_SETPCAP is still ours. It keeps
	 * CAP_NET_ADMIN, as the unit's CapabilityBoundingSet= does, so that the
	 * three sets read the same; emptying it would add nothing, since with
	 * no_new_privs no execve can raise the permitted set anyway.
	 */
	capng_clear(CAPNG_SELECT_ALL);
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
		     CAP_NET_ADMIN);
	if (capng_apply(CAPNG_SELECT_BOUNDS) < 0)
		return fail(err, errlen, -EPERM, "cannot shrink the capability bounding set: %s",
			    strerror(errno));
	/* setresgid, setgroups(0), setresuid, keeping CAP_NET_ADMIN across the switch. */
	ret = capng_change_id((int)u->uid, (int)u->gid,
			      CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_AMBIENT);
	if (ret < 0)
		return fail(err, errlen, -EPERM, "cannot switch to user %s (libcap-ng step %d): %s",
			    u->name, ret, strerror(errno));
	/* No execve can ever give privileges back (setuid files, file capabilities). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(err, errlen, -errno, "cannot set no_new_privs: %s", strerror(errno));
	return verify(u, err, errlen);
}
