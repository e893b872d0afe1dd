/* SPDX-License-Identifier: MIT */
/*
 * The WireGuard device: the engine wired to a TUN, the shared UDP port, one
 * timer and the UAPI socket, all on one libuv loop.
 *
 * Event bursts and what follows each of them (device_after):
 *
 *   TUN readable   read up to WG_PORT_BATCH packets into the TUN arena,
 *                  wg_engine_send_ip each (encrypted in place; the send batch
 *                  borrows the arena, no copy), then device_after
 *   UDP readable   recvmmsg batch -> demux -> wg_engine_recv_udp (decrypted in
 *                  place, written to the TUN) -> port batch_done -> device_after
 *   timer          device_after
 *   idle           while handshakes are queued: a budget of them, device_after
 *
 * Handshake work (Diffie-Hellman, cookie replies) shares the thread with the
 * data path. Under a flood it could take all of it and the shared socket
 * would overflow with data packets in it, so it gets a CPU-time budget: at
 * most 1/HS_SHARE of wall time (a token bucket in nanoseconds). What it cannot
 * process waits in the engine's bounded queue; when that is full the engine
 * drops, and being "under load" it answers new initiations with cookies.
 *
 *   device_after   process queued handshakes (budget), run due timers,
 *                  flush the send batches, dispatch peer events, re-arm the
 *                  timer at the engine's next deadline
 */
#include "wg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "clock.h"
#include "engine.h"
#include "ioutil.h"
#include "log.h"
#include "netlink.h"
#include "port.h"
#include "tun.h"
#include "uapi.h"

enum device_limits {
	TUN_BATCH = WG_PORT_BATCH,
	TUN_SLOT = 2048,                    /* headroom + MTU + tailroom fits */
	TUN_READ_MAX = TUN_SLOT - WG_HEADROOM - WG_TAILROOM,
	/*
	 * The kernel queues packets for us on the TUN's transmit queue (500 by
	 * default). One thread reads the TUN and the socket in turns, so the
	 * queue must absorb what arrives while we serve the socket; overflow
	 * here is loss that TCP sees.
	 */
	TUN_TXQLEN = 1000,
	HANDSHAKE_BUDGET = 16,              /* per receive batch or idle turn */
	HS_SHARE = 4,                       /* handshakes get at most 1/4 of the time */
	HS_CREDIT_MAX_NS = 20 * 1000 * 1000, /* burst: 20 ms of handshake work */
	EVENT_QUEUE = 256,
};
_Static_assert((int)TUN_READ_MAX >= (int)WG_DEVICE_MAX_MTU, "TUN slot too small for the largest MTU");

struct device_event {
	uint8_t pub[WG_KEY_LEN];
	enum wg_device_event ev;
};

struct wg_device {
	uv_loop_t *loop;
	struct wg_engine *engine;
	struct wg_port port;
	uint32_t mtu;

	/* TUN */
	int tun_fd;
	uv_poll_t tun_poll;
	char ifname[WG_DEVICE_IFNAMSIZ];
	unsigned ifindex;
	uint8_t *tun_arena; /* TUN_BATCH * TUN_SLOT */
	uint64_t tun_rx, tun_tx, tun_tx_errors, tun_rx_oversize;

	/* timers and handshake queue */
	uv_timer_t timer;
	uint64_t timer_deadline;
	uv_idle_t idle;
	bool idle_active;
	uv_timer_t hs_timer;   /* resumes handshake work once the budget refilled */
	int64_t hs_credit_ns;
	uint64_t hs_refill_at;

	/* UAPI */
	struct wg_uapi_server *uapi;
	uint32_t fwmark;

	/* events for the layer above, dispatched after each burst */
	void (*event_fn)(void *ctx, const uint8_t pub[WG_KEY_LEN], enum wg_device_event ev);
	void *event_ctx;
	struct device_event events[EVENT_QUEUE];
	unsigned n_events;
	uint64_t events_dropped;

	bool busy;           /* inside a burst: device_after (and its flush) will follow */
	bool tun_polled;     /* tun_poll is initialised and must be closed */
	bool closing;
	unsigned pending_closes;
};

static void device_after(struct wg_device *dev, uint64_t now, bool timers_due);

/* ---- Engine callbacks ------------------------------------------------------- */

static bool in_tun_arena(const struct wg_device *dev, const uint8_t *p, size_t len)
{
	const uint8_t *a = dev->tun_arena;

	return a && p >= a && p + len <= a + (size_t)TUN_BATCH * TUN_SLOT;
}

static void eng_send_udp(void *ctx, const union wg_sockaddr *to, const uint8_t *dgram, size_t len)
{
	struct wg_device *dev = ctx;

	/*
	 * A packet encrypted in place in the TUN arena stays there until the
	 * flush that ends this TUN burst: the batch can point at it.
	 */
	wg_port_queue(&dev->port, (const union wg_endpoint *)to, dgram, len,
		      in_tun_arena(dev, dgram, len));
}

static void eng_deliver_ip(void *ctx, const uint8_t *pkt, size_t len)
{
	struct wg_device *dev = ctx;
	ssize_t n;

	if (dev->tun_fd < 0) {
		dev->tun_tx_errors++;
		return;
	}
	do
		n = write(dev->tun_fd, pkt, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		dev->tun_tx_errors++;
	else
		dev->tun_tx++;
}

static void eng_peer_event(void *ctx, struct wg_peer *peer, enum wg_peer_event ev)
{
	struct wg_device *dev = ctx;
	struct device_event *e;
	struct wg_peer_info info;

	if (!dev->event_fn)
		return;
	if (dev->n_events == EVENT_QUEUE) {
		dev->events_dropped++;
		return;
	}
	e = &dev->events[dev->n_events++];
	wg_peer_get_info(peer, &info);
	memcpy(e->pub, info.public_key, WG_KEY_LEN);
	sodium_memzero(&info, sizeof(info));
	e->ev = ev == WG_EVENT_HANDSHAKE_COMPLETE ? WG_DEVICE_EVENT_HANDSHAKE
		: ev == WG_EVENT_SESSION_EXPIRED  ? WG_DEVICE_EVENT_SESSION_EXPIRED
						  : WG_DEVICE_EVENT_ENDPOINT_CHANGED;
}

static const struct wg_engine_ops engine_ops = {
	.send_udp = eng_send_udp,
	.deliver_ip = eng_deliver_ip,
	.peer_event = eng_peer_event,
};

/* ---- After every burst ---------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
	struct wg_device *dev = t->data;

	dev->timer_deadline = UINT64_MAX; /* a one-shot timer: it is no longer armed */
	device_after(dev, mg_now_mono_ns(), true);
}

static void on_idle(uv_idle_t *h)
{
	device_after(h->data, mg_now_mono_ns(), false);
}

static void on_hs_timer(uv_timer_t *t)
{
	device_after(t->data, mg_now_mono_ns(), false);
}

/* Process queued handshakes within the time budget; returns how many still wait. */
static size_t run_handshakes(struct wg_device *dev, uint64_t now, bool *out_of_credit)
{
	uint64_t t0, t1;
	size_t queued;

	if (now > dev->hs_refill_at) {
		dev->hs_credit_ns += (int64_t)((now - dev->hs_refill_at) / HS_SHARE);
		if (dev->hs_credit_ns > HS_CREDIT_MAX_NS)
			dev->hs_credit_ns = HS_CREDIT_MAX_NS;
		dev->hs_refill_at = now;
	}
	*out_of_credit = dev->hs_credit_ns <= 0;
	if (*out_of_credit)
		return wg_engine_process_handshakes(dev->engine, now, 0);
	t0 = mg_now_mono_ns();
	queued = wg_engine_process_handshakes(dev->engine, now, HANDSHAKE_BUDGET);
	t1 = mg_now_mono_ns();
	dev->hs_credit_ns -= (int64_t)(t1 - t0);
	return queued;
}

static void arm_timer(struct wg_device *dev, uint64_t now, uint64_t deadline)
{
	uint64_t ms;

	if (deadline == dev->timer_deadline)
		return;
	dev->timer_deadline = deadline;
	if (deadline == UINT64_MAX) {
		uv_timer_stop(&dev->timer);
		return;
	}
	/* Round up: firing early would only find nothing due and re-arm. */
	ms = deadline > now ? (deadline - now + 999999) / 1000000 : 0;
	uv_timer_start(&dev->timer, on_timer, ms, 0);
}

static void dispatch_events(struct wg_device *dev)
{
	/* Handlers may call back into the device, so work on a copy of the queue. */
	struct device_event evs[EVENT_QUEUE];
	unsigned n = dev->n_events;

	if (n == 0)
		return;
	memcpy(evs, dev->events, n * sizeof(evs[0]));
	dev->n_events = 0;
	for (unsigned i = 0; i < n && dev->event_fn && !dev->closing; i++)
		dev->event_fn(dev->event_ctx, evs[i].pub, evs[i].ev);
}

static void device_after(struct wg_device *dev, uint64_t now, bool timers_due)
{
	bool out_of_credit;
	size_t queued;
	uint64_t next;

	if (dev->closing)
		return;
	queued = run_handshakes(dev, now, &out_of_credit);
	/* Only the timer runs timers; after a packet burst the deadline is just re-read. */
	next = timers_due ? wg_engine_run_timers(dev->engine, now)
			  : wg_engine_next_deadline(dev->engine);
	wg_port_flush(&dev->port);
	/*
	 * Queued handshakes: with budget left, continue on the next loop turn
	 * (after pending I/O); without, when the budget has refilled.
	 */
	if (queued && !out_of_credit && !dev->idle_active) {
		uv_idle_start(&dev->idle, on_idle);
		dev->idle_active = true;
	} else if ((!queued || out_of_credit) && dev->idle_active) {
		uv_idle_stop(&dev->idle);
		dev->idle_active = false;
	}
	if (queued && out_of_credit && !uv_is_active((uv_handle_t *)&dev->hs_timer))
		uv_timer_start(&dev->hs_timer, on_hs_timer,
			       (uint64_t)(-dev->hs_credit_ns) * HS_SHARE / 1000000 + 1, 0);
	arm_timer(dev, now, next);
	/* Past the flush: what event handlers send goes out at once. */
	dev->busy = false;
	dispatch_events(dev);
}

/* Called by API entry points: finish their work unless a burst will do it. */
static void device_kick(struct wg_device *dev, uint64_t now)
{
	if (!dev->busy && !dev->port.in_batch)
		device_after(dev, now, false);
}

/* ---- I/O callbacks ---------------------------------------------------------------- */

static void port_recv_wg(void *ctx, const union wg_endpoint *from, uint8_t *dgram, size_t len,
			 uint64_t now)
{
	struct wg_device *dev = ctx;

	wg_engine_recv_udp(dev->engine, (const union wg_sockaddr *)from, dgram, len, now);
}

static void port_batch_done(void *ctx, uint64_t now)
{
	struct wg_device *dev = ctx;

	dev->busy = true;
	device_after(dev, now, false);
}

static const struct wg_port_ops port_ops = {
	.recv_wg = port_recv_wg,
	.batch_done = port_batch_done,
};

static void on_tun_readable(uv_poll_t *h, int status, int events)
{
	struct wg_device *dev = h->data;
	uint64_t now = mg_now_mono_ns();
	int i;

	(void)events;
	if (status < 0 || dev->closing)
		return;
	dev->busy = true;
	for (i = 0; i < TUN_BATCH; i++) {
		uint8_t *pkt = dev->tun_arena + (size_t)i * TUN_SLOT + WG_HEADROOM;
		ssize_t n = read(dev->tun_fd, pkt, TUN_READ_MAX);
		if (n < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			break; /* EAGAIN: drained */
		}
		if (n == 0)
			break;
		if ((size_t)n > dev->mtu) {
			dev->tun_rx_oversize++;
			continue;
		}
		dev->tun_rx++;
		wg_engine_send_ip(dev->engine, pkt, (size_t)n, now);
	}
	device_after(dev, now, false); /* flushes: the arena is free again */
}

/* ---- UAPI glue ------------------------------------------------------------------------ */

static uint16_t uapi_get_port(void *ctx)
{
	return ((struct wg_device *)ctx)->port.port;
}

static int uapi_set_port(void *ctx, uint16_t port)
{
	struct wg_device *dev = ctx;
	char err[128];
	int ret = wg_port_bind(&dev->port, port, err, sizeof(err));

	if (ret)
		mg_warn("wg set listen-port: %s", err);
	else
		mg_info("listening on UDP port %u", dev->port.port);
	return ret;
}

static uint32_t uapi_get_fwmark(void *ctx)
{
	return ((struct wg_device *)ctx)->fwmark;
}

static int uapi_set_fwmark(void *ctx, uint32_t mark)
{
	struct wg_device *dev = ctx;
	int ret = wg_port_set_fwmark(&dev->port, mark);

	if (!ret)
		dev->fwmark = mark;
	return ret;
}

static void uapi_after(void *ctx)
{
	device_after(ctx, mg_now_mono_ns(), false);
}

static const struct wg_uapi_ops uapi_ops = {
	.get_listen_port = uapi_get_port,
	.set_listen_port = uapi_set_port,
	.get_fwmark = uapi_get_fwmark,
	.set_fwmark = uapi_set_fwmark,
};

/* ---- Lifecycle ---------------------------------------------------------------------------- */

static int open_tun(struct wg_device *dev, const char *name, char *err, size_t errlen)
{
	int ret;

	dev->tun_fd = wg_tun_open(name, dev->ifname, &dev->ifindex, err, errlen);
	if (dev->tun_fd < 0)
		return dev->tun_fd;
	dev->tun_arena = malloc((size_t)TUN_BATCH * TUN_SLOT);
	if (!dev->tun_arena)
		return wg__err(err, errlen, -ENOMEM, "out of memory");
	ret = wg_nl_link_up(dev->ifindex, dev->mtu, TUN_TXQLEN);
	if (ret)
		return wg__err(err, errlen, ret, "cannot set %s up with MTU %u: %s", dev->ifname,
			       dev->mtu, strerror(-ret));
	if ((ret = uv_poll_init(dev->loop, &dev->tun_poll, dev->tun_fd)) < 0)
		return wg__err(err, errlen, ret, "cannot poll the TUN: %s", uv_strerror(ret));
	dev->tun_poll.data = dev;
	dev->tun_polled = true;
	dev->pending_closes++;
	uv_poll_start(&dev->tun_poll, UV_READABLE, on_tun_readable);
	return 0;
}

static void device_free(struct wg_device *dev)
{
	wg_port_free(&dev->port);
	free(dev->tun_arena);
	sodium_memzero(dev, sizeof(*dev));
	free(dev);
}

static void handle_closed(uv_handle_t *h)
{
	struct wg_device *dev = h->data;

	if (--dev->pending_closes == 0)
		device_free(dev);
}

int wg_device_new(struct wg_device **out, uv_loop_t *loop, const struct wg_device_config *cfg,
		  char *err, size_t errlen)
{
	struct wg_engine_config ecfg = { 0 };
	struct wg_device *dev = calloc(1, sizeof(*dev));
	int ret;

	if (!dev)
		return wg__err(err, errlen, -ENOMEM, "out of memory");
	dev->loop = loop;
	dev->tun_fd = -1;
	dev->timer_deadline = UINT64_MAX;
	dev->mtu = cfg->mtu ? cfg->mtu : WG_DEVICE_DEFAULT_MTU;
	if (dev->mtu < 1280 || dev->mtu > WG_DEVICE_MAX_MTU) {
		free(dev);
		return wg__err(err, errlen, -EINVAL, "MTU %u out of range 1280..%d", cfg->mtu,
			       WG_DEVICE_MAX_MTU);
	}
	ecfg.mtu = dev->mtu;
	ecfg.time_scale = cfg->time_scale;
	dev->engine = wg_engine_new(&ecfg, &engine_ops, dev);
	if (!dev->engine || wg_port_init(&dev->port, loop, &port_ops, dev, cfg->socket_buffer)) {
		if (dev->engine)
			wg_engine_free(dev->engine);
		free(dev);
		return wg__err(err, errlen, -ENOMEM, "out of memory");
	}
	uv_timer_init(loop, &dev->timer);
	uv_idle_init(loop, &dev->idle);
	uv_timer_init(loop, &dev->hs_timer);
	dev->timer.data = dev->idle.data = dev->hs_timer.data = dev;
	dev->pending_closes = 3;
	dev->hs_credit_ns = HS_CREDIT_MAX_NS;
	dev->hs_refill_at = mg_now_mono_ns();

	ret = wg_port_bind(&dev->port, cfg->listen_port, err, errlen);
	if (!ret && !cfg->no_tun)
		ret = open_tun(dev, cfg->ifname ? cfg->ifname : WG_DEVICE_DEFAULT_IFNAME, err,
			       errlen);
	if (!ret && !cfg->no_uapi) {
		const char *name = dev->ifname[0] ? dev->ifname
				   : cfg->ifname  ? cfg->ifname
						  : WG_DEVICE_DEFAULT_IFNAME;
		ret = wg_uapi_server_start(&dev->uapi, loop,
					   cfg->uapi_dir ? cfg->uapi_dir : WG_DEVICE_UAPI_DIR, name,
					   dev->engine, &uapi_ops, dev, uapi_after, err, errlen);
	}
	if (ret) {
		wg_device_close(dev);
		return ret;
	}
	*out = dev;
	return 0;
}

void wg_device_close(struct wg_device *dev)
{
	if (!dev || dev->closing)
		return;
	dev->closing = true;
	wg_uapi_server_close(dev->uapi);
	dev->uapi = NULL;
	wg_engine_free(dev->engine); /* wipes every key */
	dev->engine = NULL;
	wg_port_close(&dev->port);
	if (dev->tun_fd >= 0) {
		if (dev->tun_polled) {
			uv_poll_stop(&dev->tun_poll);
			uv_close((uv_handle_t *)&dev->tun_poll, handle_closed);
		}
		close(dev->tun_fd); /* the interface disappears with its last fd */
		dev->tun_fd = -1;
	}
	uv_close((uv_handle_t *)&dev->timer, handle_closed);
	uv_close((uv_handle_t *)&dev->idle, handle_closed);
	uv_close((uv_handle_t *)&dev->hs_timer, handle_closed);
}

/* ---- Configuration ------------------------------------------------------------------------- */

void wg_device_set_private_key(struct wg_device *dev, const uint8_t key[WG_DEVICE_KEY_LEN])
{
	wg_engine_set_private_key(dev->engine, key);
}

void wg_device_get_info(const struct wg_device *dev, struct wg_device_info *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->ifname, dev->ifname, sizeof(out->ifname));
	out->ifindex = dev->ifindex;
	out->listen_port = dev->port.port;
	out->fwmark = dev->fwmark;
	out->mtu = dev->mtu;
	out->has_private_key = wg_engine_get_public_key(dev->engine, out->public_key);
	out->n_peers = wg_engine_peer_count(dev->engine);
	if (dev->uapi)
		snprintf(out->uapi_path, sizeof(out->uapi_path), "%s",
			 wg_uapi_server_path(dev->uapi));
}

int wg_device_add_address(struct wg_device *dev, const struct wg_prefix *p)
{
	if (dev->tun_fd < 0)
		return -ENODEV;
	return wg_nl_addr(dev->ifindex, p, true);
}

int wg_device_del_address(struct wg_device *dev, const struct wg_prefix *p)
{
	if (dev->tun_fd < 0)
		return -ENODEV;
	return wg_nl_addr(dev->ifindex, p, false);
}

int wg_device_add_route(struct wg_device *dev, const struct wg_prefix *p)
{
	if (dev->tun_fd < 0)
		return -ENODEV;
	return wg_nl_route(dev->ifindex, p, true);
}

int wg_device_del_route(struct wg_device *dev, const struct wg_prefix *p)
{
	if (dev->tun_fd < 0)
		return -ENODEV;
	return wg_nl_route(dev->ifindex, p, false);
}

/* ---- Peers ---------------------------------------------------------------------------------- */

int wg_device_peer_set(struct wg_device *dev, const struct wg_peer_config *cfg)
{
	uint64_t now = mg_now_mono_ns();
	int ret = wg_uapi_peer_check(cfg);

	if (!ret)
		ret = wg_uapi_peer_apply(dev->engine, cfg, now);
	device_kick(dev, now);
	return ret;
}

int wg_device_peer_remove(struct wg_device *dev, const uint8_t pub[WG_DEVICE_KEY_LEN])
{
	struct wg_peer *peer = wg_engine_peer_get(dev->engine, pub);

	if (!peer)
		return -ENOENT;
	wg_engine_peer_remove(dev->engine, peer);
	return 0;
}

int wg_device_peer_initiate(struct wg_device *dev, const uint8_t pub[WG_DEVICE_KEY_LEN])
{
	struct wg_peer *peer = wg_engine_peer_get(dev->engine, pub);
	uint64_t now = mg_now_mono_ns();

	if (!peer)
		return -ENOENT;
	wg_peer_initiate(peer, now);
	device_kick(dev, now);
	return 0;
}

struct count_ctx {
	size_t n;
	struct wg_prefix *out;
	size_t cap;
};

static void collect_ip(void *arg, int family, const uint8_t *addr, uint8_t cidr)
{
	struct count_ctx *c = arg;

	if (c->n < c->cap) {
		struct wg_prefix *p = &c->out[c->n];
		memset(p, 0, sizeof(*p));
		p->family = family;
		p->cidr = cidr;
		memcpy(p->addr, addr, family == AF_INET ? 4 : 16);
	}
	c->n++;
}

static void fill_status(struct wg_peer *peer, struct wg_peer_status *out)
{
	struct wg_peer_info info;
	struct count_ctx c = { 0 };

	wg_peer_get_info(peer, &info);
	memset(out, 0, sizeof(*out));
	memcpy(out->public_key, info.public_key, WG_KEY_LEN);
	out->has_psk = !sodium_is_zero(info.preshared_key, WG_KEY_LEN);
	memcpy(&out->endpoint, &info.endpoint, sizeof(out->endpoint));
	out->last_handshake = info.last_handshake;
	out->rx_bytes = info.rx_bytes;
	out->tx_bytes = info.tx_bytes;
	out->keepalive_s = info.keepalive_interval_s;
	out->has_session = info.has_session;
	wg_peer_allowedips_foreach(peer, collect_ip, &c);
	out->n_allowed_ips = c.n;
	sodium_memzero(&info, sizeof(info));
}

int wg_device_peer_status(struct wg_device *dev, const uint8_t pub[WG_DEVICE_KEY_LEN],
			  struct wg_peer_status *out)
{
	struct wg_peer *peer = wg_engine_peer_get(dev->engine, pub);

	if (!peer)
		return -ENOENT;
	fill_status(peer, out);
	return 0;
}

int wg_device_peer_allowed_ips(struct wg_device *dev, const uint8_t pub[WG_DEVICE_KEY_LEN],
			       struct wg_prefix *out, size_t cap)
{
	struct wg_peer *peer = wg_engine_peer_get(dev->engine, pub);
	struct count_ctx c = { .out = out, .cap = cap };

	if (!peer)
		return -ENOENT;
	wg_peer_allowedips_foreach(peer, collect_ip, &c);
	return (int)c.n;
}

void wg_device_foreach_peer(struct wg_device *dev,
			    void (*fn)(void *arg, const struct wg_peer_status *st), void *arg)
{
	struct wg_peer_status st;

	for (struct wg_peer *p = wg_engine_peer_next(dev->engine, NULL); p;
	     p = wg_engine_peer_next(dev->engine, p)) {
		fill_status(p, &st);
		fn(arg, &st);
	}
}

void wg_device_set_event_handler(struct wg_device *dev,
				 void (*fn)(void *ctx, const uint8_t pub[WG_DEVICE_KEY_LEN],
					    enum wg_device_event ev),
				 void *ctx)
{
	dev->event_fn = fn;
	dev->event_ctx = ctx;
	dev->n_events = 0;
}

/* ---- Shared port --------------------------------------------------------------------------- */

int wg_device_register_handler(struct wg_device *dev, uint8_t first_byte, wg_datagram_fn fn,
			       void *ctx)
{
	return wg_port_register(&dev->port, first_byte, fn, ctx);
}

int wg_device_send_datagram(struct wg_device *dev, const union wg_endpoint *to,
			    const uint8_t *data, size_t len)
{
	if (wg_is_wireguard_message(data, len))
		return -EINVAL;
	if (len > WG_DEVICE_MAX_DATAGRAM)
		return -EMSGSIZE;
	if (!wg_port_has_family(&dev->port, to->sa.sa_family))
		return -EAFNOSUPPORT;
	wg_port_queue(&dev->port, to, data, len, false);
	if (!dev->busy && !dev->port.in_batch)
		wg_port_flush(&dev->port);
	return 0;
}

/* ---- Counters --------------------------------------------------------------------------------- */

void wg_device_get_stats(const struct wg_device *dev, struct wg_device_stats *out)
{
	const struct wg_port_stats *ps = &dev->port.stats;
	struct wg_engine_stats es;

	memset(out, 0, sizeof(*out));
	out->udp_rx = ps->rx;
	out->udp_tx = ps->tx;
	out->udp_rx_batches = ps->rx_batches;
	out->udp_tx_batches = ps->tx_batches;
	out->udp_rx_truncated = ps->rx_truncated;
	out->udp_tx_dropped = ps->tx_dropped;
	out->udp_tx_errors = ps->tx_errors;
	out->demux_handled = ps->demux_handled;
	out->demux_unknown = ps->demux_unknown;
	out->tun_rx = dev->tun_rx;
	out->tun_tx = dev->tun_tx;
	out->tun_tx_errors = dev->tun_tx_errors;
	out->tun_rx_oversize = dev->tun_rx_oversize;

	wg_engine_get_stats(dev->engine, &es);
	out->rx_data = es.rx_data;
	out->tx_data = es.tx_data;
	out->rx_handshake = es.rx_handshake;
	out->tx_handshake = es.tx_handshake;
	out->rx_initiation = es.rx_initiation;
	out->tx_initiation = es.tx_initiation;
	out->rx_response = es.rx_response;
	out->tx_response = es.tx_response;
	out->tx_cookie = es.tx_cookie;
	out->rx_cookie = es.rx_cookie;
	out->drop_mac = es.drop_mac;
	out->drop_replay = es.drop_replay;
	out->drop_allowedips = es.drop_allowedips;
	out->drop_decrypt = es.drop_decrypt;
	out->drop_no_peer = es.drop_no_peer;
	out->drop_ratelimit = es.drop_ratelimit;
	out->drop_queue_full = es.drop_queue_full;
	out->drop_malformed = es.drop_malformed;
	out->drop_no_endpoint = es.drop_no_endpoint;
	out->rx_keepalive = es.rx_keepalive;
	out->tx_keepalive = es.tx_keepalive;
	out->handshake_queue_len = es.handshake_queue_len;
	out->under_load = es.under_load;
}
