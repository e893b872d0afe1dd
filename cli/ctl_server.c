/* SPDX-License-Identifier: MIT */
/*
 * Control socket server: accept, read a line, parse JSON, check the caller's
 * credentials for privileged commands, dispatch by "cmd", write one line.
 */
#include "ctl_server.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

enum {
	CTL_MAX_LINE = 64 * 1024,
	CTL_MAX_CONNS = 32,
	CTL_MAX_CMDS = 32,
	CTL_IDLE_MS = 10000, /* a client that sends nothing is dropped */
};

struct ctl_cmd {
	char name[32];
	unsigned flags;
	ctl_handler_fn fn;
	void *ctx;
};

struct ctl_server {
	uv_pipe_t listener;
	uv_loop_t *loop;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_cmd cmds[CTL_MAX_CMDS];
	unsigned n_cmds;
	struct ctl_conn *conns;
	unsigned n_conns;
	bool closing;
};

struct ctl_conn {
	uv_pipe_t pipe;
	uv_timer_t idle;
	struct ctl_server *srv;
	struct ctl_conn *next;
	uid_t uid;
	pid_t pid;
	char buf[CTL_MAX_LINE];
	size_t len;
	int pending_closes;
	bool closing;
};

struct ctl_write {
	uv_write_t req;
	char *text;
};

int ctl_socket_path(char *out, size_t cap, const char *ifname)
{
	const char *dir = getenv("MESHGUARD_RUNTIME_DIR");
	int n;

	if (!dir || !*dir)
		dir = CTL_DEFAULT_DIR;
	n = snprintf(out, cap, "%s/%s.sock", dir, ifname);
	if (n < 0 || (size_t)n >= cap || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

/* ---- Connections ------------------------------------------------------------- */

static void conn_closed(uv_handle_t *h)
{
	struct ctl_conn *c = h->data;

	if (--c->pending_closes == 0)
		free(c);
}

static void conn_close(struct ctl_conn *c)
{
	struct ctl_conn **pp;

	if (c->closing)
		return;
	c->closing = true;
	for (pp = &c->srv->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			c->srv->n_conns--;
			break;
		}
	}
	c->pending_closes = 2;
	uv_close((uv_handle_t *)&c->pipe, conn_closed);
	uv_close((uv_handle_t *)&c->idle, conn_closed);
}

static void on_written(uv_write_t *req, int status)
{
	struct ctl_write *w = (struct ctl_write *)req;

	(void)status;
	free(w->text);
	free(w);
}

static void conn_send(struct ctl_conn *c, json_t *reply)
{
	struct ctl_write *w = calloc(1, sizeof(*w));
	/* One line per reply: JSON_COMPACT never emits a newline. */
	size_t n = json_dumpb(reply, NULL, 0, JSON_COMPACT);
	uv_buf_t b;

	if (w && n > 0)
		w->text = malloc(n + 1);
	if (!w || !w->text || json_dumpb(reply, w->text, n, JSON_COMPACT) != n) {
		if (w)
			free(w->text);
		free(w);
		conn_close(c);
		return;
	}
	w->text[n] = '\n';
	b = uv_buf_init(w->text, (unsigned)(n + 1));
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_written) < 0) {
		free(w->text);
		free(w);
		conn_close(c);
	}
}

static json_t *error_reply(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static const struct ctl_cmd *find_cmd(const struct ctl_server *s, const char *name)
{
	for (unsigned i = 0; i < s->n_cmds; i++) {
		if (strcmp(s->cmds[i].name, name) == 0)
			return &s->cmds[i];
	}
	return NULL;
}

static json_t *dispatch(struct ctl_conn *c, const char *line)
{
	struct ctl_request req = { .uid = c->uid, .pid = c->pid };
	const struct ctl_cmd *cmd;
	json_error_t jerr;
	json_t *msg = json_loads(line, JSON_REJECT_DUPLICATES, &jerr), *reply;
	int ret;

	if (!msg || !json_is_object(msg)) {
		json_decref(msg);
		return error_reply("request is not a JSON object");
	}
	req.msg = msg;
	req.cmd = json_string_value(json_object_get(msg, "cmd"));
	if (!req.cmd) {
		json_decref(msg);
		return error_reply("request has no \"cmd\" string");
	}
	cmd = find_cmd(c->srv, req.cmd);
	if (!cmd) {
		json_decref(msg);
		return error_reply("unknown command");
	}
	if ((cmd->flags & CTL_PRIVILEGED) && c->uid != 0 && c->uid != geteuid()) {
		json_decref(msg);
		return error_reply("permission denied: only root or the daemon's user may do this");
	}
	reply = json_pack("{s:b}", "ok", 1);
	if (!reply) {
		json_decref(msg);
		return NULL;
	}
	ret = cmd->fn(cmd->ctx, &req, reply);
	if (ret < 0) {
		json_object_set_new(reply, "ok", json_false());
		if (!json_object_get(reply, "error"))
			json_object_set_new(reply, "error", json_string(strerror(-ret)));
	}
	json_decref(msg);
	return reply;
}

static void conn_process(struct ctl_conn *c)
{
	char *nl;

	while (!c->closing && (nl = memchr(c->buf, '\n', c->len))) {
		size_t n = (size_t)(nl - c->buf) + 1;
		json_t *reply;

		*nl = '\0';
		reply = dispatch(c, c->buf);
		memmove(c->buf, c->buf + n, c->len - n);
		c->len -= n;
		if (!reply) {
			conn_close(c);
			return;
		}
		conn_send(c, reply);
		json_decref(reply);
		uv_timer_again(&c->idle);
	}
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct ctl_conn *c = h->data;

	(void)suggested;
	*b = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

static void conn_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct ctl_conn *c = st->data;

	(void)b;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	conn_process(c);
	if (!c->closing && c->len == sizeof(c->buf)) {
		json_t *r = error_reply("request line too long");
		if (r) {
			conn_send(c, r);
			json_decref(r);
		}
		conn_close(c);
	}
}

static void on_idle(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct ctl_server *s = server->data;
	struct ctl_conn *c;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;

	if (status < 0 || s->closing)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = s;
	uv_pipe_init(s->loop, &c->pipe, 0);
	uv_timer_init(s->loop, &c->idle);
	c->pipe.data = c->idle.data = c;
	c->next = s->conns;
	s->conns = c;
	s->n_conns++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 || s->n_conns > CTL_MAX_CONNS ||
	    uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		conn_close(c);
		return;
	}
	c->uid = cred.uid;
	c->pid = cred.pid;
	uv_timer_start(&c->idle, on_idle, CTL_IDLE_MS, CTL_IDLE_MS);
	if (uv_read_start((uv_stream_t *)&c->pipe, conn_alloc, conn_read) < 0)
		conn_close(c);
}

/* ---- Listener -------------------------------------------------------------------- */

static int claim_path(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	ret = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	close(fd);
	if (ret == 0)
		return -EADDRINUSE;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

/* The directory must not let others plant or swap sockets: no group/other write. */
static int ensure_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat st;
	bool created;
	int ret;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	created = !mg_path_exists(dir);
	if ((ret = mg_mkdir_p(dir, 0755)))
		return ret;
	if (stat(dir, &st) < 0)
		return -errno;
	/* Our umask (077) made it 0700; members of the socket's group must get through. */
	if (created && chmod(dir, 0755) < 0)
		return -errno;
	if (!created && (st.st_mode & 022) && chmod(dir, st.st_mode & 0755) < 0)
		return -errno;
	return 0;
}

static void listener_closed(uv_handle_t *h)
{
	free(h->data);
}

int ctl_server_start(struct ctl_server **out, uv_loop_t *loop, const char *path, char *err,
		     size_t errlen)
{
	struct ctl_server *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	if (strlen(path) >= sizeof(s->path)) {
		free(s);
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	memcpy(s->path, path, strlen(path) + 1);
	s->loop = loop;
	if ((ret = ensure_dir(path)) || (ret = claim_path(path))) {
		snprintf(err, errlen, "control socket %s: %s", path,
			 ret == -EADDRINUSE ? "a daemon is already running for this interface"
					    : strerror(-ret));
		free(s);
		return ret;
	}
	uv_pipe_init(loop, &s->listener, 0);
	s->listener.data = s;
	if ((ret = uv_pipe_bind(&s->listener, path)) < 0 ||
	    (ret = chmod(path, 0660) < 0 ? -errno : 0) < 0 ||
	    (ret = uv_listen((uv_stream_t *)&s->listener, 16, on_connection)) < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(-ret));
		unlink(path);
		uv_close((uv_handle_t *)&s->listener, listener_closed);
		return ret;
	}
	*out = s;
	return 0;
}

int ctl_server_register(struct ctl_server *s, const char *cmd, unsigned flags, ctl_handler_fn fn,
			void *ctx)
{
	struct ctl_cmd *c;

	if (find_cmd(s, cmd))
		return -EEXIST;
	if (s->n_cmds == CTL_MAX_CMDS || strlen(cmd) >= sizeof(c->name))
		return -ENOSPC;
	c = &s->cmds[s->n_cmds++];
	memcpy(c->name, cmd, strlen(cmd) + 1);
	c->flags = flags;
	c->fn = fn;
	c->ctx = ctx;
	return 0;
}

void ctl_server_close(struct ctl_server *s)
{
	if (!s || s->closing)
		return;
	s->closing = true;
	unlink(s->path);
	while (s->conns)
		conn_close(s->conns);
	uv_close((uv_handle_t *)&s->listener, listener_closed);
}
