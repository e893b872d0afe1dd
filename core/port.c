/* SPDX-License-Identifier: MIT */
/*
 * The shared UDP port: sockets, batched receive and demultiplexing, batched
 * send. See port.h for the contract.
 *
 *   wg_port_bind      open_socket (x2, same port) -> swap in -> close old
 *   on_readable       recvmmsg -> demux each -> ops->batch_done
 *   wg_port_queue     copy (or borrow) into the family's sendmmsg batch
 *   wg_port_flush     sendmmsg, dropping what the socket buffer refuses
 */
#include "port.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "engine.h"
#include "ioutil.h"
#include "log.h"

_Static_assert(sizeof(union wg_endpoint) == sizeof(union wg_sockaddr),
	       "wg_endpoint and wg_sockaddr must be the same union");

struct wg_sock {
	uv_poll_t poll;
	int fd;
	int family;
	struct wg_port *port; /* NULL once closing */
};

/* ---- Sockets ------------------------------------------------------------ */

static void set_bufsize(int fd, int force_opt, int opt, uint32_t bytes)
{
	int v = (int)bytes;

	/* The FORCE variant ignores net.core.[rw]mem_max, but needs CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

static int open_socket(struct wg_port *p, int family, uint16_t port, int *fd_out)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	union wg_endpoint addr;
	int one = 1, ret;

	if (fd < 0)
		return -errno;
	memset(&addr, 0, sizeof(addr));
	if (family == AF_INET6) {
		/* V6ONLY, so that the IPv4 socket can own the IPv4 side of the same port. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
			goto fail;
		addr.in6.sin6_family = AF_INET6;
		addr.in6.sin6_port = htons(port);
		addr.in6.sin6_addr = in6addr_any;
	} else {
		addr.in4.sin_family = AF_INET;
		addr.in4.sin_port = htons(port);
		addr.in4.sin_addr.s_addr = htonl(INADDR_ANY);
	}
	set_bufsize(fd, SO_RCVBUFFORCE, SO_RCVBUF, p->sockbuf);
	set_bufsize(fd, SO_SNDBUFFORCE, SO_SNDBUF, p->sockbuf);
	if (p->fwmark && setsockopt(fd, SOL_SOCKET, SO_MARK, &p->fwmark, sizeof(p->fwmark)) < 0)
		goto fail;
	if (bind(fd, &addr.sa, family == AF_INET ? sizeof(addr.in4) : sizeof(addr.in6)) < 0)
		goto fail;
	*fd_out = fd;
	return 0;
fail:
	ret = -errno;
	close(fd);
	return ret;
}

static uint16_t bound_port(int fd)
{
	union wg_endpoint addr;
	socklen_t len = sizeof(addr);

	if (getsockname(fd, &addr.sa, &len) < 0)
		return 0;
	return ntohs(addr.sa.sa_family == AF_INET6 ? addr.in6.sin6_port : addr.in4.sin_port);
}

static void on_readable(uv_poll_t *h, int status, int events);

static struct wg_sock *sock_start(struct wg_port *p, int fd, int family)
{
	struct wg_sock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fd = fd;
	s->family = family;
	s->port = p;
	if (uv_poll_init_socket(p->loop, &s->poll, fd) < 0) {
		free(s);
		return NULL;
	}
	s->poll.data = s;
	uv_poll_start(&s->poll, UV_READABLE, on_readable);
	return s;
}

static void sock_free_cb(uv_handle_t *h)
{
	struct wg_sock *s = h->data;

	close(s->fd);
	free(s);
}

static void sock_close(struct wg_sock *s)
{
	if (!s)
		return;
	s->port = NULL;
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, sock_free_cb);
}

/*
 * Open both families on one port. With port 0 the kernel picks the IPv4 port
 * and the IPv6 socket must get the same number; if that number is taken on
 * IPv6, try again with another.
 */
static int open_pair(struct wg_port *p, uint16_t port, int *fd4, int *fd6, uint16_t *bound,
		     char *err, size_t errlen)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		int r4, r6;
		uint16_t want = port;

		*fd4 = *fd6 = -1;
		r4 = open_socket(p, AF_INET, want, fd4);
		if (r4 == 0 && want == 0)
			want = bound_port(*fd4);
		r6 = open_socket(p, AF_INET6, want, fd6);
		if (r6 == -EADDRINUSE && port == 0 && r4 == 0) {
			close(*fd4);
			continue;
		}
		if (r4 && r6)
			return wg__err(err, errlen, r4, "cannot bind UDP port %u: %s", port,
				       strerror(-r4));
		if (r4 == -EADDRINUSE || r6 == -EADDRINUSE) {
			if (*fd4 >= 0)
				close(*fd4);
			if (*fd6 >= 0)
				close(*fd6);
			return wg__err(err, errlen, -EADDRINUSE, "UDP port %u is already in use",
				       port);
		}
		if (r6 == 0 && want == 0)
			want = bound_port(*fd6);
		if (r4)
			mg_info("UDP port %u: no IPv4 socket (%s)", want, strerror(-r4));
		if (r6)
			mg_info("UDP port %u: no IPv6 socket (%s)", want, strerror(-r6));
		*bound = want;
		return 0;
	}
	return wg__err(err, errlen, -EADDRINUSE, "no free UDP port for both IPv4 and IPv6");
}

int wg_port_bind(struct wg_port *p, uint16_t port, char *err, size_t errlen)
{
	struct wg_sock *s4 = NULL, *s6 = NULL;
	int fd4, fd6, ret;
	uint16_t bound = 0;

	/* wg setconf sends listen_port every time: the same port is a no-op. */
	if ((p->sock4 || p->sock6) && port == p->port && port != 0)
		return 0;
	ret = open_pair(p, port, &fd4, &fd6, &bound, err, errlen);
	if (ret)
		return ret;
	if ((fd4 >= 0 && !(s4 = sock_start(p, fd4, AF_INET))) ||
	    (fd6 >= 0 && !(s6 = sock_start(p, fd6, AF_INET6)))) {
		if (s4)
			sock_close(s4);
		else if (fd4 >= 0)
			close(fd4);
		if (fd6 >= 0)
			close(fd6);
		return wg__err(err, errlen, -ENOMEM, "out of memory");
	}
	wg_port_flush(p); /* nothing queued may leave from the old sockets later */
	sock_close(p->sock4);
	sock_close(p->sock6);
	p->sock4 = s4;
	p->sock6 = s6;
	p->port = bound;
	return 0;
}

int wg_port_set_fwmark(struct wg_port *p, uint32_t mark)
{
	struct wg_sock *socks[2] = { p->sock4, p->sock6 };

	for (int i = 0; i < 2; i++) {
		if (socks[i] &&
		    setsockopt(socks[i]->fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
			return -errno;
	}
	p->fwmark = mark;
	return 0;
}

bool wg_port_has_family(const struct wg_port *p, int family)
{
	return family == AF_INET ? p->sock4 != NULL : family == AF_INET6 ? p->sock6 != NULL : false;
}

/* ---- Setup -------------------------------------------------------------- */

static void sendq_init(struct wg_sendq *q)
{
	for (unsigned i = 0; i < WG_PORT_BATCH; i++) {
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
		q->msgs[i].msg_hdr.msg_name = &q->to[i];
	}
	q->n = 0;
}

int wg_port_init(struct wg_port *p, uv_loop_t *loop, const struct wg_port_ops *ops, void *ctx,
		 uint32_t sockbuf)
{
	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->ops = ops;
	p->ctx = ctx;
	p->sockbuf = sockbuf ? sockbuf : WG_PORT_DEFAULT_SOCKBUF;
	p->rslots = malloc((size_t)WG_PORT_BATCH * WG_PORT_SLOT);
	p->q4.slots = malloc((size_t)WG_PORT_BATCH * WG_PORT_SLOT);
	p->q6.slots = malloc((size_t)WG_PORT_BATCH * WG_PORT_SLOT);
	if (!p->rslots || !p->q4.slots || !p->q6.slots) {
		wg_port_free(p);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < WG_PORT_BATCH; i++) {
		p->riov[i].iov_base = p->rslots + (size_t)i * WG_PORT_SLOT;
		p->riov[i].iov_len = WG_PORT_SLOT;
		p->rmsgs[i].msg_hdr.msg_iov = &p->riov[i];
		p->rmsgs[i].msg_hdr.msg_iovlen = 1;
		p->rmsgs[i].msg_hdr.msg_name = &p->rfrom[i];
	}
	sendq_init(&p->q4);
	sendq_init(&p->q6);
	return 0;
}

void wg_port_close(struct wg_port *p)
{
	sock_close(p->sock4);
	sock_close(p->sock6);
	p->sock4 = p->sock6 = NULL;
	p->q4.n = p->q6.n = 0;
}

void wg_port_free(struct wg_port *p)
{
	free(p->rslots);
	free(p->q4.slots);
	free(p->q6.slots);
	p->rslots = p->q4.slots = p->q6.slots = NULL;
}

int wg_port_register(struct wg_port *p, uint8_t first_byte, wg_datagram_fn fn, void *ctx)
{
	if (fn && p->handlers[first_byte].fn)
		return -EEXIST;
	p->handlers[first_byte].fn = fn;
	p->handlers[first_byte].ctx = fn ? ctx : NULL;
	return 0;
}

/* ---- Receive -------------------------------------------------------------- */

static void demux(struct wg_port *p, const union wg_endpoint *from, uint8_t *buf, size_t len,
		  uint64_t now)
{
	if (wg_is_wireguard_message(buf, len)) {
		p->ops->recv_wg(p->ctx, from, buf, len, now);
		return;
	}
	if (len > 0 && p->handlers[buf[0]].fn) {
		p->stats.demux_handled++;
		p->handlers[buf[0]].fn(p->handlers[buf[0]].ctx, from, buf, len);
		return;
	}
	p->stats.demux_unknown++;
}

/* One recvmmsg and its datagrams. Returns how many were received (0: drained). */
static int recv_batch(struct wg_port *p, struct wg_sock *s)
{
	uint64_t now;
	int n;

	for (unsigned i = 0; i < WG_PORT_BATCH; i++)
		p->rmsgs[i].msg_hdr.msg_namelen = sizeof(union wg_endpoint);
	do
		n = recvmmsg(s->fd, p->rmsgs, WG_PORT_BATCH, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return 0;
	now = mg_now_mono_ns();
	p->stats.rx += (uint64_t)n;
	p->stats.rx_batches++;
	p->in_batch = true;
	for (int i = 0; i < n && s->port; i++) {
		struct msghdr *h = &p->rmsgs[i].msg_hdr;
		if (h->msg_flags & MSG_TRUNC) {
			p->stats.rx_truncated++;
			continue;
		}
		demux(p, &p->rfrom[i], p->rslots + (size_t)i * WG_PORT_SLOT, p->rmsgs[i].msg_len,
		      now);
	}
	p->in_batch = false;
	p->ops->batch_done(p->ctx, now);
	return n;
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct wg_sock *s = h->data;

	(void)events;
	if (status < 0 || !s->port)
		return;
	/* A bounded number of batches per wakeup: the TUN and timers get their turn. */
	for (int i = 0; i < WG_PORT_RECV_BATCHES_PER_WAKEUP && s->port; i++) {
		if (recv_batch(s->port, s) < WG_PORT_BATCH)
			break;
	}
}

/* ---- Send ----------------------------------------------------------------- */

static void flush_queue(struct wg_port *p, struct wg_sendq *q, struct wg_sock *s)
{
	unsigned i = 0;

	if (q->n == 0)
		return;
	if (!s) {
		p->stats.tx_errors += q->n;
		q->n = 0;
		return;
	}
	while (i < q->n) {
		int r = sendmmsg(s->fd, &q->msgs[i], q->n - i, MSG_DONTWAIT);
		if (r > 0) {
			p->stats.tx += (uint64_t)r;
			p->stats.tx_batches++;
			i += (unsigned)r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			/* The socket buffer is full: drop, as WireGuard does. */
			p->stats.tx_dropped += q->n - i;
			break;
		} else {
			/* This one datagram failed (unreachable, too big...): skip it. */
			p->stats.tx_errors++;
			i++;
		}
	}
	q->n = 0;
}

void wg_port_flush(struct wg_port *p)
{
	flush_queue(p, &p->q4, p->sock4);
	flush_queue(p, &p->q6, p->sock6);
}

void wg_port_queue(struct wg_port *p, const union wg_endpoint *to, const uint8_t *data,
		   size_t len, bool borrow)
{
	struct wg_sendq *q;
	unsigned i;

	if (to->sa.sa_family == AF_INET)
		q = &p->q4;
	else if (to->sa.sa_family == AF_INET6)
		q = &p->q6;
	else {
		p->stats.tx_errors++;
		return;
	}
	if (len > WG_PORT_SLOT) {
		p->stats.tx_errors++;
		return;
	}
	if (q->n == WG_PORT_BATCH)
		flush_queue(p, q, q == &p->q4 ? p->sock4 : p->sock6);
	i = q->n++;
	q->to[i] = *to;
	q->msgs[i].msg_hdr.msg_namelen =
		to->sa.sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (borrow) {
		q->iov[i].iov_base = (void *)data;
	} else {
		q->iov[i].iov_base = q->slots + (size_t)i * WG_PORT_SLOT;
		memcpy(q->iov[i].iov_base, data, len);
	}
	q->iov[i].iov_len = len;
}
