/* SPDX-License-Identifier: MIT */
/*
 * The cross-platform userspace API, socket half: a unix stream socket at
 * <dir>/<ifname>.sock. Each connection may carry several requests; each
 * request ends with a blank line. wg(8) first connects and closes without
 * writing (a liveness probe): that is simply a connection that sees EOF.
 */
#include "uapi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "clock.h"
#include "fsutil.h"
#include "ioutil.h"
#include "log.h"

enum { UAPI_MAX_REQUEST = 4 << 20 };

struct wg_uapi_server {
	uv_pipe_t listener;
	uv_loop_t *loop;
	struct wg_engine *engine;
	const struct wg_uapi_ops *ops;
	void *ctx;
	void (*after)(void *ctx);
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct uapi_conn *conns;
	bool closing;
};

struct uapi_conn {
	uv_pipe_t pipe;
	struct wg_uapi_server *srv;
	struct uapi_conn *next;
	char *buf;
	size_t len, cap;
	bool closing;
};

struct uapi_write {
	uv_write_t req;
	struct wg_uapi_buf out;
};

/* ---- Connections ---------------------------------------------------------- */

static void conn_free_cb(uv_handle_t *h)
{
	struct uapi_conn *c = h->data;

	if (c->buf)
		sodium_memzero(c->buf, c->cap);
	free(c->buf);
	free(c);
}

static void conn_close(struct uapi_conn *c)
{
	struct uapi_conn **pp;

	if (c->closing)
		return;
	c->closing = true;
	for (pp = &c->srv->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	uv_close((uv_handle_t *)&c->pipe, conn_free_cb);
}

static void on_written(uv_write_t *req, int status)
{
	struct uapi_write *w = (struct uapi_write *)req;

	(void)status;
	wg_uapi_buf_free(&w->out);
	free(w);
}

static void conn_reply(struct uapi_conn *c, struct wg_uapi_buf *out)
{
	struct uapi_write *w = calloc(1, sizeof(*w));
	uv_buf_t b;

	if (!w) {
		wg_uapi_buf_free(out);
		conn_close(c);
		return;
	}
	w->out = *out;
	memset(out, 0, sizeof(*out));
	b = uv_buf_init(w->out.data, (unsigned)w->out.len);
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_written) < 0) {
		wg_uapi_buf_free(&w->out);
		free(w);
		conn_close(c);
	}
}

/* Handle every complete request in the buffer. */
static void conn_process(struct uapi_conn *c)
{
	struct wg_uapi_server *s = c->srv;

	while (!c->closing && c->len > 0) {
		struct wg_uapi_buf out = { 0 };
		size_t n;
		char *end;

		if (c->buf[0] == '\n') { /* an empty request names no operation */
			conn_close(c);
			return;
		}
		end = memmem(c->buf, c->len, "\n\n", 2);
		if (!end)
			return;
		n = (size_t)(end - c->buf) + 2;
		if (wg_uapi_handle(s->engine, s->ops, s->ctx, c->buf, n, mg_now_mono_ns(), &out) ==
		    WG_UAPI_CLOSE) {
			size_t line = strcspn(c->buf, "\n");
			mg_warn("%s: invalid UAPI operation '%.*s'; closing", s->path,
				(int)(line > 32 ? 32 : line), c->buf);
			wg_uapi_buf_free(&out);
			conn_close(c);
			return;
		}
		sodium_memzero(c->buf, n);
		memmove(c->buf, c->buf + n, c->len - n);
		c->len -= n;
		conn_reply(c, &out);
		if (s->after)
			s->after(s->ctx);
	}
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct uapi_conn *c = h->data;

	(void)suggested;
	if (c->cap - c->len < 4096 && c->cap < UAPI_MAX_REQUEST) {
		size_t cap = c->cap ? c->cap * 2 : 8192;
		char *nb = malloc(cap);
		if (nb) {
			if (c->buf) {
				memcpy(nb, c->buf, c->len);
				sodium_memzero(c->buf, c->cap);
				free(c->buf);
			}
			c->buf = nb;
			c->cap = cap;
		}
	}
	*b = uv_buf_init(c->buf ? c->buf + c->len : NULL, (unsigned)(c->cap - c->len));
}

static void conn_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct uapi_conn *c = st->data;

	(void)b;
	if (n < 0) { /* EOF (wg's liveness probe ends here) or an error */
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	conn_process(c);
	if (!c->closing && c->len == c->cap && c->cap >= UAPI_MAX_REQUEST) {
		mg_warn("%s: request larger than %d bytes; closing", c->srv->path, UAPI_MAX_REQUEST);
		conn_close(c);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct wg_uapi_server *s = server->data;
	struct uapi_conn *c;

	if (status < 0 || s->closing)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = s;
	uv_pipe_init(s->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->next = s->conns;
	s->conns = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, conn_alloc, conn_read) < 0)
		conn_close(c);
}

/* ---- Listener ----------------------------------------------------------------- */

/*
 * A socket file already there: if something answers, another daemon owns
 * this interface name; if nothing does, it is left over from a crash.
 */
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
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int ensure_dir(const char *dir)
{
	struct stat st;
	int ret = mg_mkdir_p(dir, 0700);

	if (ret)
		return ret;
	if (stat(dir, &st) < 0)
		return -errno;
	/* Only root (or the owner) may configure WireGuard: keep the directory private. */
	if ((st.st_mode & 0077) && chmod(dir, 0700) < 0)
		return -errno;
	return 0;
}

static void listener_free_cb(uv_handle_t *h)
{
	free(h->data);
}

int wg_uapi_server_start(struct wg_uapi_server **out, uv_loop_t *loop, const char *dir,
			 const char *ifname, struct wg_engine *e, const struct wg_uapi_ops *ops,
			 void *ctx, void (*after)(void *ctx), char *err, size_t errlen)
{
	struct wg_uapi_server *s = calloc(1, sizeof(*s));
	int ret, n;

	if (!s)
		return wg__err(err, errlen, -ENOMEM, "out of memory");
	n = snprintf(s->path, sizeof(s->path), "%s/%s.sock", dir, ifname);
	if (n < 0 || (size_t)n >= sizeof(s->path)) {
		free(s);
		return wg__err(err, errlen, -ENAMETOOLONG, "UAPI socket path too long");
	}
	if ((ret = ensure_dir(dir))) {
		free(s);
		return wg__err(err, errlen, ret, "cannot create %s: %s", dir, strerror(-ret));
	}
	if ((ret = claim_path(s->path))) {
		wg__err(err, errlen, ret, "%s: %s", s->path,
			ret == -EADDRINUSE ? "another daemon serves this interface name"
					   : strerror(-ret));
		free(s);
		return ret;
	}
	s->loop = loop;
	s->engine = e;
	s->ops = ops;
	s->ctx = ctx;
	s->after = after;
	uv_pipe_init(loop, &s->listener, 0);
	s->listener.data = s;
	if ((ret = uv_pipe_bind(&s->listener, s->path)) < 0 ||
	    (ret = uv_listen((uv_stream_t *)&s->listener, 16, on_connection)) < 0) {
		wg__err(err, errlen, ret, "cannot listen on %s: %s", s->path, uv_strerror(ret));
		unlink(s->path);
		uv_close((uv_handle_t *)&s->listener, listener_free_cb);
		return ret;
	}
	*out = s;
	return 0;
}

void wg_uapi_server_close(struct wg_uapi_server *s)
{
	if (!s || s->closing)
		return;
	s->closing = true;
	unlink(s->path);
	while (s->conns)
		conn_close(s->conns);
	uv_close((uv_handle_t *)&s->listener, listener_free_cb);
}

const char *wg_uapi_server_path(const struct wg_uapi_server *s)
{
	return s->path;
}
