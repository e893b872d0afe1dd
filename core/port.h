/* SPDX-License-Identifier: MIT */
/*
 * The shared UDP port (core-internal header).
 *
 * One non-blocking socket per address family, both bound to the same port
 * (the IPv6 one with IPV6_V6ONLY so the two coexist), driven by uv_poll.
 * Receives in batches with recvmmsg into preallocated slots, demultiplexes
 * each datagram (WireGuard to the engine, anything else by first byte to a
 * registered handler), and sends in batches with sendmmsg: callers queue
 * datagrams during an event burst and the owner flushes once at its end.
 * Nothing here allocates per packet.
 */
#ifndef MG_CORE_PORT_H
#define MG_CORE_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "wg.h"

enum wg_port_limits {
	WG_PORT_BATCH = 64,                       /* datagrams per recvmmsg / sendmmsg */
	WG_PORT_SLOT = WG_DEVICE_MAX_DATAGRAM,    /* bytes per receive or send slot */
	WG_PORT_DEFAULT_SOCKBUF = 4 << 20,        /* SO_RCVBUF / SO_SNDBUF */
	WG_PORT_RECV_BATCHES_PER_WAKEUP = 2,      /* then yield to the TUN and timers */
};

struct wg_port_ops {
	/* A WireGuard message; `dgram` is writable (decrypted in place) and valid during the call. */
	void (*recv_wg)(void *ctx, const union wg_endpoint *from, uint8_t *dgram, size_t len,
			uint64_t now);
	/* After each receive batch: the owner processes queued work and flushes. */
	void (*batch_done)(void *ctx, uint64_t now);
};

struct wg_port_stats {
	uint64_t rx, tx, rx_batches, tx_batches, rx_truncated, tx_dropped, tx_errors;
	uint64_t demux_handled, demux_unknown;
};

struct wg_sock;

/* One direction of a send batch for one family. */
struct wg_sendq {
	struct mmsghdr msgs[WG_PORT_BATCH];
	struct iovec iov[WG_PORT_BATCH];
	union wg_endpoint to[WG_PORT_BATCH];
	uint8_t *slots; /* WG_PORT_BATCH * WG_PORT_SLOT, for datagrams that are copied */
	unsigned n;
};

struct wg_port {
	uv_loop_t *loop;
	const struct wg_port_ops *ops;
	void *ctx;
	struct wg_sock *sock4, *sock6;
	uint16_t port;
	uint32_t fwmark;
	uint32_t sockbuf;
	struct {
		wg_datagram_fn fn;
		void *ctx;
	} handlers[256];
	/* receive batch, shared by both families (one batch is processed at a time) */
	struct mmsghdr rmsgs[WG_PORT_BATCH];
	struct iovec riov[WG_PORT_BATCH];
	union wg_endpoint rfrom[WG_PORT_BATCH];
	uint8_t *rslots;
	struct wg_sendq q4, q6;
	bool in_batch; /* demultiplexing a receive batch (batch_done not yet called) */
	struct wg_port_stats stats;
};

/* Prepare the batches (no socket yet). */
int wg_port_init(struct wg_port *p, uv_loop_t *loop, const struct wg_port_ops *ops, void *ctx,
		 uint32_t sockbuf);
/*
 * Bind (or rebind) both families to `port` (0 = any free port, the same for
 * both). New sockets are opened before the old ones close, so a failure
 * leaves the port as it was. At least one family must succeed.
 */
int wg_port_bind(struct wg_port *p, uint16_t port, char *err, size_t errlen);
/* Close the sockets; batch memory is freed by wg_port_free once the loop let go. */
void wg_port_close(struct wg_port *p);
void wg_port_free(struct wg_port *p);

int wg_port_set_fwmark(struct wg_port *p, uint32_t mark);

int wg_port_register(struct wg_port *p, uint8_t first_byte, wg_datagram_fn fn, void *ctx);

/*
 * Queue one datagram into the send batch of its family. With `borrow`, the
 * batch points at `data` instead of copying it: the caller guarantees the
 * bytes stay put until the next wg_port_flush(). A full batch is flushed.
 */
void wg_port_queue(struct wg_port *p, const union wg_endpoint *to, const uint8_t *data,
		   size_t len, bool borrow);
/* Send every queued datagram (sendmmsg). */
void wg_port_flush(struct wg_port *p);

/* Sockets present per family (for tests and status). */
bool wg_port_has_family(const struct wg_port *p, int family);

#endif
