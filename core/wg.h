/* SPDX-License-Identifier: MIT */
/*
 * core/: a WireGuard device in userspace. The public header of the module.
 *
 * A `struct wg_device` is one WireGuard interface: a TUN device (optional),
 * one UDP port (a socket per address family), the protocol engine, and the
 * cross-platform configuration socket that stock wg(8) talks to. It runs on
 * the caller's libuv loop, single-threaded; every function here must be
 * called from that loop's thread.
 *
 * The UDP port is shared: datagrams that look like WireGuard (little-endian
 * type 1..4 followed by three zero bytes) go to the engine; anything else is
 * handed to the handler registered for its first byte (SWIM registers one),
 * and dropped and counted when there is none. The layer above can also send
 * its own datagrams from the same port.
 *
 * Peers are named by their WireGuard public key (32 bytes) everywhere in this
 * API, so the caller never holds a pointer into the device.
 *
 * Errors are 0 or a negative errno. Functions that can fail for reasons a
 * person must read also fill an `err` buffer (what failed and where).
 */
#ifndef MG_CORE_WG_H
#define MG_CORE_WG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <uv.h>

enum wg_device_limits {
	WG_DEVICE_KEY_LEN = 32,          /* X25519 keys and preshared keys */
	WG_DEVICE_DEFAULT_PORT = 51821,  /* the mesh's UDP port */
	WG_DEVICE_DEFAULT_MTU = 1420,
	WG_DEVICE_MAX_MTU = 1920,        /* TUN buffers are sized for this */
	WG_DEVICE_MAX_DATAGRAM = 2048,   /* largest datagram sent or received */
	WG_DEVICE_IFNAMSIZ = 16,         /* IFNAMSIZ, including the terminator */
	WG_DEVICE_ENDPOINT_STRLEN = 96,  /* "[v6%scope]:port" fits */
	WG_DEVICE_PREFIX_STRLEN = 56,    /* "v6/128" fits */
};

#define WG_DEVICE_DEFAULT_IFNAME "mg0"
#define WG_DEVICE_UAPI_DIR "/var/run/wireguard"

/* An IPv4 or IPv6 UDP endpoint; sa.sa_family AF_UNSPEC means "none". */
union wg_endpoint {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

/* An address with a prefix length: allowed IPs, interface addresses, routes. */
struct wg_prefix {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t cidr;
};

/* ---- Text forms (shared by the UAPI, the config parser and the CLI) ---- */

/* "1.2.3.4:51820" or "[fd00::1]:51820" (IP literals only). 0 or -EINVAL. */
int wg_endpoint_parse(union wg_endpoint *out, const char *text);
/* The same format back; "(none)" for AF_UNSPEC. */
void wg_endpoint_format(const union wg_endpoint *ep, char out[WG_DEVICE_ENDPOINT_STRLEN]);
/* "10.0.0.0/8", "fd00::1/64"; a bare address means /32 or /128. Host bits are kept. */
int wg_prefix_parse(struct wg_prefix *out, const char *text);
void wg_prefix_format(const struct wg_prefix *p, char out[WG_DEVICE_PREFIX_STRLEN]);

/* ---- The device ---------------------------------------------------------- */

struct wg_device;

struct wg_device_config {
	const char *ifname;      /* TUN name (NULL: "mg0"); names the UAPI socket too */
	uint16_t listen_port;    /* UDP port for both families; 0 picks a free one */
	uint32_t mtu;            /* 0: 1420 */
	bool no_tun;             /* UDP port only (gossip-only nodes, tests): no TUN, no netlink */
	bool no_uapi;            /* do not serve the wg(8) configuration socket */
	const char *uapi_dir;    /* NULL: /var/run/wireguard */
	uint32_t socket_buffer;  /* SO_RCVBUF/SO_SNDBUF bytes per socket; 0: 4 MiB */
	uint32_t time_scale;     /* test only: divides every protocol timer; 0 or 1 = real time */
};

/*
 * Create the device: TUN `ifname` (IFF_TUN|IFF_NO_PI) with the MTU set and
 * the link up, the UDP sockets bound, the UAPI socket listening. The device
 * has no private key yet. On failure nothing is left behind in the system,
 * but libuv handles are being closed: run the loop to release the memory.
 */
int wg_device_new(struct wg_device **out, uv_loop_t *loop, const struct wg_device_config *cfg,
		  char *err, size_t errlen);

/*
 * Tear down. At once: every key is wiped, the TUN is closed (the interface
 * disappears), the UAPI socket is unlinked, the UDP sockets are closed.
 * The memory itself is released from libuv close callbacks: keep running
 * the loop until it returns.
 */
void wg_device_close(struct wg_device *dev);

/* Our static X25519 private key (NULL: none). The public key follows. */
void wg_device_set_private_key(struct wg_device *dev, const uint8_t key[WG_DEVICE_KEY_LEN]);

struct wg_device_info {
	char ifname[WG_DEVICE_IFNAMSIZ]; /* "" without TUN */
	unsigned ifindex;                /* 0 without TUN */
	uint16_t listen_port;
	uint32_t fwmark;
	uint32_t mtu;
	bool has_private_key;
	uint8_t public_key[WG_DEVICE_KEY_LEN];
	size_t n_peers;
	char uapi_path[108]; /* "" when not served */
};
void wg_device_get_info(const struct wg_device *dev, struct wg_device_info *out);

/* Interface addresses and routes over rtnetlink (-ENODEV without a TUN). Idempotent. */
int wg_device_add_address(struct wg_device *dev, const struct wg_prefix *p);
/* Remove an interface address (-EADDRNOTAVAIL if it is not there). */
int wg_device_del_address(struct wg_device *dev, const struct wg_prefix *p);
int wg_device_add_route(struct wg_device *dev, const struct wg_prefix *p);
int wg_device_del_route(struct wg_device *dev, const struct wg_prefix *p);

/* ---- Peers --------------------------------------------------------------- */

enum wg_peer_config_flags {
	WG_PEER_SET_PSK = 1 << 0,            /* apply preshared_key (all zero clears it) */
	WG_PEER_SET_ENDPOINT = 1 << 1,       /* apply endpoint (AF_UNSPEC clears it) */
	WG_PEER_SET_KEEPALIVE = 1 << 2,      /* apply keepalive_s (0 turns it off) */
	WG_PEER_REPLACE_ALLOWED_IPS = 1 << 3, /* clear the allowed IPs before adding */
	WG_PEER_UPDATE_ONLY = 1 << 4,        /* do nothing if the peer does not exist */
};

struct wg_peer_config {
	uint8_t public_key[WG_DEVICE_KEY_LEN];
	uint32_t flags; /* enum wg_peer_config_flags */
	uint8_t preshared_key[WG_DEVICE_KEY_LEN];
	union wg_endpoint endpoint;
	uint16_t keepalive_s;
	const struct wg_prefix *allowed_ips; /* added to the peer's set */
	size_t n_allowed_ips;
};

/*
 * Create or update a peer (what `wg set <if> peer ...` does). Validates
 * everything before changing anything: -EINVAL for a bad prefix or
 * endpoint family, -EEXIST if `public_key` is our own.
 */
int wg_device_peer_set(struct wg_device *dev, const struct wg_peer_config *cfg);
/* Remove a peer and wipe its keys. -ENOENT if unknown. */
int wg_device_peer_remove(struct wg_device *dev, const uint8_t pub[WG_DEVICE_KEY_LEN]);
/* Start a handshake now (unless one is in flight). -ENOENT if unknown. */
int wg_device_peer_initiate(struct wg_device *dev, const uint8_t pub[WG_DEVICE_KEY_LEN]);

struct wg_peer_status {
	uint8_t public_key[WG_DEVICE_KEY_LEN];
	bool has_psk;
	union wg_endpoint endpoint;     /* AF_UNSPEC when unknown */
	struct timespec last_handshake; /* wall clock; zero if never */
	uint64_t rx_bytes, tx_bytes;
	uint16_t keepalive_s;
	bool has_session;
	size_t n_allowed_ips;
};
int wg_device_peer_status(struct wg_device *dev, const uint8_t pub[WG_DEVICE_KEY_LEN],
			  struct wg_peer_status *out);
/* Copies up to `cap` allowed IPs of the peer; returns how many it has (or -ENOENT). */
int wg_device_peer_allowed_ips(struct wg_device *dev, const uint8_t pub[WG_DEVICE_KEY_LEN],
			       struct wg_prefix *out, size_t cap);
/* Calls fn once per peer. The callback must not add or remove peers. */
void wg_device_foreach_peer(struct wg_device *dev,
			    void (*fn)(void *arg, const struct wg_peer_status *st), void *arg);

enum wg_device_event {
	WG_DEVICE_EVENT_HANDSHAKE,        /* a new session with the peer is usable */
	WG_DEVICE_EVENT_SESSION_EXPIRED,  /* all the peer's keys were wiped (idle 9 min) */
	WG_DEVICE_EVENT_ENDPOINT_CHANGED, /* the peer roamed to a new endpoint */
};
/* One handler for peer events (NULL removes it). Called from the loop. */
void wg_device_set_event_handler(struct wg_device *dev,
				 void (*fn)(void *ctx, const uint8_t pub[WG_DEVICE_KEY_LEN],
					    enum wg_device_event ev),
				 void *ctx);

/* ---- The shared UDP port -------------------------------------------------- */

typedef void (*wg_datagram_fn)(void *ctx, const union wg_endpoint *from, const uint8_t *data,
			       size_t len);

/*
 * Receive every non-WireGuard datagram whose first byte is `first_byte`.
 * `data` is valid during the call only. -EEXIST if the byte is taken;
 * fn NULL unregisters.
 */
int wg_device_register_handler(struct wg_device *dev, uint8_t first_byte, wg_datagram_fn fn,
			       void *ctx);

/*
 * Send one datagram from the shared port. Queued into the current send
 * batch when called from a receive handler, sent at once otherwise.
 * -EINVAL if it would look like a WireGuard message (so the demultiplexer
 * on the other side stays unambiguous), -EMSGSIZE if larger than
 * WG_DEVICE_MAX_DATAGRAM, -EAFNOSUPPORT if there is no socket for the family.
 */
int wg_device_send_datagram(struct wg_device *dev, const union wg_endpoint *to,
			    const uint8_t *data, size_t len);

/* ---- Counters -------------------------------------------------------------- */

struct wg_device_stats {
	/* UDP port */
	uint64_t udp_rx, udp_tx;                 /* datagrams */
	uint64_t udp_rx_batches, udp_tx_batches; /* recvmmsg / sendmmsg calls that moved data */
	uint64_t udp_rx_truncated;               /* larger than WG_DEVICE_MAX_DATAGRAM */
	uint64_t udp_tx_dropped;                 /* socket buffer full (EAGAIN) */
	uint64_t udp_tx_errors;                  /* other send errors (unreachable...) */
	uint64_t demux_handled;                  /* non-WireGuard datagrams given to a handler */
	uint64_t demux_unknown;                  /* non-WireGuard datagrams without a handler */
	/* TUN */
	uint64_t tun_rx, tun_tx, tun_tx_errors, tun_rx_oversize;
	/* protocol engine */
	uint64_t rx_data, tx_data, rx_handshake, tx_handshake, tx_cookie, rx_cookie;
	uint64_t rx_initiation, tx_initiation, rx_response, tx_response; /* the handshakes, split */
	uint64_t rx_keepalive, tx_keepalive; /* empty data packets (also in rx/tx_data) */
	uint64_t drop_mac, drop_replay, drop_allowedips, drop_decrypt, drop_no_peer,
		drop_ratelimit, drop_queue_full, drop_malformed, drop_no_endpoint;
	uint64_t handshake_queue_len;
	bool under_load;
};
void wg_device_get_stats(const struct wg_device *dev, struct wg_device_stats *out);

/* ---- Static peer files (wg-quick [Peer] syntax) ---------------------------- */

struct wg_conf_peer {
	struct wg_peer_config cfg; /* cfg.allowed_ips points into `ips` */
	struct wg_prefix *ips;
	unsigned line;             /* line of the [Peer] header */
};

struct wg_conf {
	struct wg_conf_peer *peers;
	size_t n_peers;
};

/*
 * Parse `[Peer]` sections: PublicKey, PresharedKey, Endpoint, AllowedIPs,
 * PersistentKeepalive (keys case-insensitive, `#` comments). Strict: any
 * other section or key, a duplicate key, a missing PublicKey or a bad value
 * is an error "<filename>:<line>: ..." in `err`, and `out` is left empty.
 */
int wg_conf_parse(struct wg_conf *out, const char *text, size_t len, const char *filename,
		  char *err, size_t errlen);
/* Read and parse a file (at most 1 MiB). */
int wg_conf_load(struct wg_conf *out, const char *path, char *err, size_t errlen);
/* Wipe the preshared keys and free. */
void wg_conf_free(struct wg_conf *conf);

#endif
