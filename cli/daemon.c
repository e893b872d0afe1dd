/* SPDX-License-Identifier: MIT */
/*
 * The meshguard daemon. The only place where the identity (trust/) meets
 * the WireGuard device (core/):
 *
 *   daemon_run
 *     load_identity      identity.key -> WireGuard key pair, mesh addresses
 *     static_peers_load  peers/<name>.conf
 *     mesh_prepare       trust store, node.cert, --open rule, seeds (mesh.c)
 *     (--user)           the user exists; state/ and the files read on reload
 *                        are usable by it (privdrop.h)
 *     start              device, addresses, routes, peers, gossip, control
 *                        socket, then (--user) the privilege drop, then
 *                        READY=1 to the service manager (sdnotify.h)
 *     uv_run             until SIGINT / SIGTERM / {"cmd":"down"}; SIGHUP and
 *                        changes in the trust and peers directories reload
 *     stop               leave the mesh, control socket, device (keys wiped)
 */
#include "daemon.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>
#include <uv.h>

#include "cli.h"
#include "ctl_server.h"
#include "keytext.h"
#include "fsutil.h"
#include "log.h"
#include "mesh.h"
#include "mg_version.h"
#include "privdrop.h"
#include "sdnotify.h"
#include "static_peers.h"
#include "trust.h"
#include "wg.h"

/* The mesh prefixes every node routes into its interface (upstream's plan). */
static const struct wg_prefix mesh_route4 = { .family = AF_INET, .addr = { 10, 99 }, .cidr = 16 };
static const struct wg_prefix mesh_route6 = {
	.family = AF_INET6, .addr = { 0xfd, 0x99, 0x6d, 0x67 }, .cidr = 64
};

/* Directories whose changes trigger a reload (the config directory itself
 * too, so that a directory created later is noticed). */
static const char *const watched_dirs[] = {
	".", "authorized_keys", "trusted_orgs", "revoked", "vouched", "aliases", "peers",
};
enum { N_WATCHED = sizeof(watched_dirs) / sizeof(watched_dirs[0]), RELOAD_DEBOUNCE_MS = 200 };
/* STATUS= for `systemctl status`: refreshed at this pace, sent only when it changed. */
enum { STATUS_REFRESH_MS = 10000, STATUS_LEN = 256 };

struct daemon {
	uv_loop_t loop;
	const struct daemon_opts *opts;
	struct wg_device *dev;
	struct ctl_server *ctl;
	struct mesh *mesh;
	uv_signal_t sig_int, sig_term, sig_hup;
	uv_timer_t stop_timer, reload_timer, status_timer, watchdog_timer;
	uv_fs_event_t watch[N_WATCHED];
	bool watching[N_WATCHED];
	struct trust_identity id; /* the secret is wiped once the device and SWIM have it */
	uint8_t identity[TRUST_KEY_LEN];
	uint8_t wg_public[WG_DEVICE_KEY_LEN];
	struct wg_prefix addr4, addr6;
	struct static_peers statics;
	struct sdnotify notify;
	struct privdrop_user user; /* --user, looked up before anything is created */
	char status[STATUS_LEN];   /* the last STATUS= sent */
	bool stopping, leaving;
};

/* ---- Helpers ------------------------------------------------------------------ */

bool daemon_valid_ifname(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= WG_DEVICE_IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static json_t *json_key(const uint8_t key[32])
{
	char b64[MG_B64_LEN(32) + 1];

	mg_b64_encode(b64, key, 32);
	return json_string(b64);
}

static json_t *json_prefix(const struct wg_prefix *p)
{
	char text[WG_DEVICE_PREFIX_STRLEN];

	wg_prefix_format(p, text);
	return json_string(text);
}

static json_t *json_addr(const struct wg_prefix *p)
{
	struct wg_prefix host = *p;
	char text[WG_DEVICE_PREFIX_STRLEN];

	wg_prefix_format(&host, text);
	*strchr(text, '/') = '\0';
	return json_string(text);
}

static bool prefix_covers(const struct wg_prefix *outer, const struct wg_prefix *inner)
{
	if (outer->family != inner->family || inner->cidr < outer->cidr)
		return false;
	for (unsigned bit = 0; bit < outer->cidr; bit++) {
		unsigned byte = bit / 8, mask = 0x80u >> (bit % 8);
		if ((outer->addr[byte] ^ inner->addr[byte]) & mask)
			return false;
	}
	return true;
}

static void short_key(char out[16], const uint8_t key[32])
{
	char b64[MG_B64_LEN(32) + 1];

	mg_b64_encode(b64, key, 32);
	snprintf(out, 16, "%.8s...", b64);
}

/* ---- Control commands ------------------------------------------------------------ */

struct peers_ctx {
	struct daemon *d;
	json_t *arr;
};

static void status_peer(void *arg, const struct wg_peer_status *st)
{
	struct peers_ctx *pc = arg;
	struct wg_prefix *ips = calloc(st->n_allowed_ips + 1, sizeof(*ips));
	const char *name = static_peers_name(&pc->d->statics, st->public_key);
	char ep[WG_DEVICE_ENDPOINT_STRLEN];
	json_t *p = json_object(), *arr = json_array();
	int n;

	if (!p || !arr || !ips) {
		json_decref(p);
		json_decref(arr);
		free(ips);
		return;
	}
	n = wg_device_peer_allowed_ips(pc->d->dev, st->public_key, ips, st->n_allowed_ips);
	for (int i = 0; i < n && (size_t)i < st->n_allowed_ips; i++)
		json_array_append_new(arr, json_prefix(&ips[i]));
	free(ips);
	json_object_set_new(p, "public_key", json_key(st->public_key));
	json_object_set_new(p, "name", name ? json_string(name) : json_null());
	json_object_set_new(p, "source", json_string(name ? "static" : "runtime"));
	if (st->endpoint.sa.sa_family != AF_UNSPEC) {
		wg_endpoint_format(&st->endpoint, ep);
		json_object_set_new(p, "endpoint", json_string(ep));
	} else {
		json_object_set_new(p, "endpoint", json_null());
	}
	json_object_set_new(p, "allowed_ips", arr);
	json_object_set_new(p, "last_handshake", json_integer(st->last_handshake.tv_sec));
	json_object_set_new(p, "last_handshake_nsec", json_integer(st->last_handshake.tv_nsec));
	json_object_set_new(p, "rx_bytes", json_integer((json_int_t)st->rx_bytes));
	json_object_set_new(p, "tx_bytes", json_integer((json_int_t)st->tx_bytes));
	json_object_set_new(p, "persistent_keepalive", json_integer(st->keepalive_s));
	json_object_set_new(p, "preshared_key", json_boolean(st->has_psk));
	json_object_set_new(p, "session", json_boolean(st->has_session));
	json_array_append_new(pc->arr, p);
}

static json_t *status_counters_main(const struct wg_device_stats *s)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
			 "s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}",
			 "udp_rx", (json_int_t)s->udp_rx, "udp_tx", (json_int_t)s->udp_tx,
			 "udp_rx_batches", (json_int_t)s->udp_rx_batches, "udp_tx_batches",
			 (json_int_t)s->udp_tx_batches, "udp_rx_truncated",
			 (json_int_t)s->udp_rx_truncated, "udp_tx_dropped",
			 (json_int_t)s->udp_tx_dropped, "udp_tx_errors", (json_int_t)s->udp_tx_errors,
			 "demux_handled", (json_int_t)s->demux_handled, "demux_unknown",
			 (json_int_t)s->demux_unknown, "tun_rx", (json_int_t)s->tun_rx, "tun_tx",
			 (json_int_t)s->tun_tx, "tun_tx_errors", (json_int_t)s->tun_tx_errors,
			 "tun_rx_oversize", (json_int_t)s->tun_rx_oversize, "rx_data",
			 (json_int_t)s->rx_data, "tx_data", (json_int_t)s->tx_data, "rx_handshake",
			 (json_int_t)s->rx_handshake, "tx_handshake", (json_int_t)s->tx_handshake,
			 "tx_cookie", (json_int_t)s->tx_cookie, "rx_cookie", (json_int_t)s->rx_cookie,
			 "drop_mac", (json_int_t)s->drop_mac, "drop_replay", (json_int_t)s->drop_replay,
			 "drop_allowedips", (json_int_t)s->drop_allowedips, "drop_decrypt",
			 (json_int_t)s->drop_decrypt, "drop_no_peer", (json_int_t)s->drop_no_peer,
			 "drop_ratelimit", (json_int_t)s->drop_ratelimit, "drop_queue_full",
			 (json_int_t)s->drop_queue_full, "drop_malformed", (json_int_t)s->drop_malformed,
			 "drop_no_endpoint", (json_int_t)s->drop_no_endpoint, "rx_keepalive",
			 (json_int_t)s->rx_keepalive, "tx_keepalive", (json_int_t)s->tx_keepalive,
			 "handshake_queue_len",
			 (json_int_t)s->handshake_queue_len, "under_load", s->under_load);
}

static json_t *status_counters(const struct wg_device_stats *s)
{
	json_t *o = status_counters_main(s);

	if (o) { /* the handshakes of rx/tx_handshake, by message type */
		json_object_set_new(o, "rx_initiation", json_integer((json_int_t)s->rx_initiation));
		json_object_set_new(o, "tx_initiation", json_integer((json_int_t)s->tx_initiation));
		json_object_set_new(o, "rx_response", json_integer((json_int_t)s->rx_response));
		json_object_set_new(o, "tx_response", json_integer((json_int_t)s->tx_response));
	}
	return o;
}

static int cmd_status_handler(void *ctx, const struct ctl_request *req, json_t *reply)
{
	struct daemon *d = ctx;
	struct wg_device_info info;
	struct wg_device_stats stats;
	struct peers_ctx pc = { .d = d, .arr = json_array() };
	json_t *counters;

	(void)req;
	if (!pc.arr)
		return -ENOMEM;
	wg_device_get_info(d->dev, &info);
	wg_device_get_stats(d->dev, &stats);
	wg_device_foreach_peer(d->dev, status_peer, &pc);
	counters = status_counters(&stats);
	json_object_set_new(reply, "version", json_string(MESHGUARD_VERSION));
	json_object_set_new(reply, "pid", json_integer(getpid()));
	json_object_set_new(reply, "interface", json_string(d->opts->ifname));
	json_object_set_new(reply, "tun", json_boolean(!d->opts->gossip_only));
	json_object_set_new(reply, "listen_port", json_integer(info.listen_port));
	json_object_set_new(reply, "mtu", json_integer(info.mtu));
	json_object_set_new(reply, "fwmark", json_integer(info.fwmark));
	json_object_set_new(reply, "public_key", info.has_private_key ? json_key(info.public_key)
								       : json_null());
	json_object_set_new(reply, "identity", json_key(d->identity));
	json_object_set_new(reply, "mesh_ipv4", json_addr(&d->addr4));
	json_object_set_new(reply, "mesh_ipv6", json_addr(&d->addr6));
	json_object_set_new(reply, "uapi_socket",
			    info.uapi_path[0] ? json_string(info.uapi_path) : json_null());
	json_object_set_new(reply, "peers", pc.arr);
	json_object_set_new(reply, "counters", counters ? counters : json_null());
	if (d->mesh)
		mesh_status(d->mesh, reply);
	return 0;
}

static void daemon_stop(struct daemon *d, const char *why);

static void on_stop_timer(uv_timer_t *t)
{
	daemon_stop(t->data, "stop requested over the control socket");
}

static int cmd_down_handler(void *ctx, const struct ctl_request *req, json_t *reply)
{
	struct daemon *d = ctx;

	mg_info("'down' from pid %d (uid %u)", (int)req->pid, (unsigned)req->uid);
	json_object_set_new(reply, "stopping", json_true());
	/* After this turn of the loop, so that the reply is written first. */
	uv_timer_start(&d->stop_timer, on_stop_timer, 0, 0);
	return 0;
}

/* ---- Service manager notifications (sdnotify.h) ------------------------------------------ */

struct peer_count {
	unsigned peers, sessions;
};

static void count_peer(void *arg, const struct wg_peer_status *st)
{
	struct peer_count *c = arg;

	c->peers++;
	c->sessions += st->has_session;
}

/* One line for `systemctl status`: members and tunnels (a table walk: never per packet). */
static void status_line(struct daemon *d, char *out, size_t cap)
{
	struct peer_count c = { 0 };
	json_t *r = d->mesh ? json_object() : NULL;
	json_int_t alive = 0;

	if (r) {
		mesh_status(d->mesh, r);
		alive = json_integer_value(json_object_get(json_object_get(r, "swim"), "alive"));
		json_decref(r);
	}
	if (d->dev)
		wg_device_foreach_peer(d->dev, count_peer, &c);
	snprintf(out, cap, "%s: %lld members alive, %u WireGuard peers, %u with a session",
		 d->opts->ifname, (long long)alive, c.peers, c.sessions);
}

static void notify_ready(struct daemon *d)
{
	if (d->notify.fd < 0)
		return;
	status_line(d, d->status, sizeof(d->status));
	sdnotify_send(&d->notify, "READY=1\nMAINPID=%ld\nSTATUS=%s", (long)getpid(), d->status);
}

static void on_status_timer(uv_timer_t *t)
{
	struct daemon *d = t->data;
	char line[STATUS_LEN];

	status_line(d, line, sizeof(line));
	if (strcmp(line, d->status)) {
		memcpy(d->status, line, sizeof(line));
		sdnotify_send(&d->notify, "STATUS=%s", line);
	}
}

static void on_watchdog_timer(uv_timer_t *t)
{
	struct daemon *d = t->data;

	sdnotify_send(&d->notify, "WATCHDOG=1");
}

/* After READY=1: STATUS= refreshes, and WATCHDOG=1 at half the interval systemd asked for. */
static void start_notify_timers(struct daemon *d)
{
	uint64_t half_ms = d->notify.watchdog_usec / 2000;

	if (d->notify.fd < 0)
		return;
	uv_timer_start(&d->status_timer, on_status_timer, STATUS_REFRESH_MS, STATUS_REFRESH_MS);
	if (d->notify.watchdog_usec)
		uv_timer_start(&d->watchdog_timer, on_watchdog_timer, 0, half_ms ? half_ms : 1);
}

/* ---- Lifecycle ----------------------------------------------------------------------- */

static void on_peer_event(void *ctx, const uint8_t pub[WG_DEVICE_KEY_LEN], enum wg_device_event ev)
{
	struct daemon *d = ctx;
	const char *name = static_peers_name(&d->statics, pub);
	char key[16];

	short_key(key, pub);
	if (ev == WG_DEVICE_EVENT_HANDSHAKE)
		mg_debug("peer %s (%s): handshake complete", key, name ? name : "-");
	else if (ev == WG_DEVICE_EVENT_ENDPOINT_CHANGED)
		mg_debug("peer %s (%s): endpoint changed", key, name ? name : "-");
	else
		mg_debug("peer %s (%s): session expired, keys wiped", key, name ? name : "-");
}

static bool is_static_peer(void *ctx, const uint8_t pub[WG_DEVICE_KEY_LEN])
{
	struct daemon *d = ctx;

	return static_peers_name(&d->statics, pub) != NULL;
}

/* ---- Stopping: leave the mesh, then tear down ------------------------------------------- */

static void stop_now(struct daemon *d)
{
	ctl_server_close(d->ctl);
	d->ctl = NULL;
	mesh_close(d->mesh);
	if (d->dev)
		wg_device_close(d->dev);
	d->dev = NULL;
	for (size_t i = 0; i < N_WATCHED; i++)
		if (d->watching[i])
			uv_close((uv_handle_t *)&d->watch[i], NULL);
	uv_close((uv_handle_t *)&d->sig_int, NULL);
	uv_close((uv_handle_t *)&d->sig_term, NULL);
	uv_close((uv_handle_t *)&d->sig_hup, NULL);
	uv_close((uv_handle_t *)&d->stop_timer, NULL);
	uv_close((uv_handle_t *)&d->reload_timer, NULL);
	uv_close((uv_handle_t *)&d->status_timer, NULL);
	uv_close((uv_handle_t *)&d->watchdog_timer, NULL);
}

static void on_left(void *ctx)
{
	stop_now(ctx);
}

/* A graceful stop first tells the members (SWIM "left"); a second signal stops at once. */
static void daemon_stop(struct daemon *d, const char *why)
{
	if (d->stopping) {
		if (d->leaving) {
			mg_info("stopping now (%s)", why);
			d->leaving = false;
			stop_now(d);
		}
		return;
	}
	d->stopping = true;
	mg_info("stopping (%s)", why);
	sdnotify_send(&d->notify, "STOPPING=1\nSTATUS=stopping (%s)", why);
	uv_timer_stop(&d->reload_timer);
	if (d->mesh && d->dev) {
		d->leaving = true;
		mesh_leave(d->mesh, on_left, d);
		return;
	}
	stop_now(d);
}

/* ---- Reload: SIGHUP, or a change in the watched directories ------------------------------ */

static void route_static(struct daemon *d, const char *file, const struct wg_prefix *p);

static bool statics_have_prefix(const struct static_peers *sp, const struct wg_prefix *p)
{
	for (size_t f = 0; f < sp->n_files; f++)
		for (size_t i = 0; i < sp->files[f].conf.n_peers; i++) {
			const struct wg_peer_config *c = &sp->files[f].conf.peers[i].cfg;
			for (size_t j = 0; j < c->n_allowed_ips; j++)
				if (!memcmp(&c->allowed_ips[j], p, sizeof(*p)))
					return true;
		}
	return false;
}

/* Peers (and their routes) that disappeared from peers/ go; the rest is set again. */
static void reload_static_peers(struct daemon *d)
{
	struct static_peers np = { 0 }, old;
	char err[512];

	if (static_peers_load(d->opts->config_dir, &np, err, sizeof(err))) {
		mg_err("reload failed: %s; keeping the previous static peers", err);
		return;
	}
	old = d->statics;
	d->statics = np;
	for (size_t f = 0; f < old.n_files; f++)
		for (size_t i = 0; i < old.files[f].conf.n_peers; i++) {
			const struct wg_peer_config *c = &old.files[f].conf.peers[i].cfg;
			if (!static_peers_name(&np, c->public_key)) {
				wg_device_peer_remove(d->dev, c->public_key);
				mg_info("static peer from peers/%s.conf removed", old.files[f].name);
			}
			for (size_t j = 0; !d->opts->gossip_only && j < c->n_allowed_ips; j++)
				if (!statics_have_prefix(&np, &c->allowed_ips[j]) &&
				    !prefix_covers(&mesh_route4, &c->allowed_ips[j]) &&
				    !prefix_covers(&mesh_route6, &c->allowed_ips[j]) &&
				    c->allowed_ips[j].cidr > 0)
					wg_device_del_route(d->dev, &c->allowed_ips[j]);
		}
	static_peers_free(&old);
	for (size_t f = 0; f < np.n_files; f++)
		for (size_t i = 0; i < np.files[f].conf.n_peers; i++) {
			struct wg_peer_config c = np.files[f].conf.peers[i].cfg;
			c.flags |= WG_PEER_REPLACE_ALLOWED_IPS;
			if (wg_device_peer_set(d->dev, &c))
				mg_warn("peers/%s.conf:%u: cannot set the peer", np.files[f].name,
					np.files[f].conf.peers[i].line);
			for (size_t j = 0; !d->opts->gossip_only && j < c.n_allowed_ips; j++)
				route_static(d, np.files[f].name, &c.allowed_ips[j]);
		}
}

static void on_fs_event(uv_fs_event_t *h, const char *name, int events, int status);

/* Watch the directories that exist now; called again after each reload. */
static void watch_dirs(struct daemon *d)
{
	char path[4096];

	for (size_t i = 0; i < N_WATCHED; i++) {
		if (d->watching[i] ||
		    mg_path_join(path, sizeof(path), d->opts->config_dir, watched_dirs[i]) ||
		    !mg_path_exists(path))
			continue;
		uv_fs_event_init(&d->loop, &d->watch[i]);
		d->watch[i].data = d;
		if (uv_fs_event_start(&d->watch[i], on_fs_event, path, 0) == 0) {
			d->watching[i] = true;
		} else {
			uv_close((uv_handle_t *)&d->watch[i], NULL);
			mg_warn("%s: cannot watch for changes; use SIGHUP to reload", path);
		}
	}
}

static void daemon_reload(struct daemon *d, const char *why)
{
	if (d->stopping)
		return;
	mg_info("reload (%s)", why);
	sdnotify_send(&d->notify, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading (%s)",
		      (unsigned long long)sdnotify_monotonic_usec(), why);
	reload_static_peers(d);
	mesh_reload(d->mesh);
	watch_dirs(d);
	/* Ready again even if a file was refused: the previous state is in force. */
	notify_ready(d);
}

static void on_reload_timer(uv_timer_t *t)
{
	daemon_reload(t->data, "configuration files changed");
}

static void on_fs_event(uv_fs_event_t *h, const char *name, int events, int status)
{
	struct daemon *d = h->data;

	(void)events;
	/* Our own atomic writes leave dot-files for an instant; state/ is ours. */
	if (status < 0 || (name && (name[0] == '.' || !strcmp(name, "state"))))
		return;
	uv_timer_start(&d->reload_timer, on_reload_timer, RELOAD_DEBOUNCE_MS, 0);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (signum == SIGHUP)
		daemon_reload(d, "SIGHUP");
	else
		daemon_stop(d, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

static int load_identity(struct daemon *d, uint8_t wg_private[WG_DEVICE_KEY_LEN])
{
	char err[TRUST_ERR_LEN];
	uint8_t a4[4], a6[16];
	int ret = trust_identity_load(d->opts->config_dir, &d->id, err, sizeof(err));

	if (ret)
		return cli_fail("%s", err);
	trust_identity_wg_keypair(&d->id, wg_private, d->wg_public);
	memcpy(d->identity, d->id.public_key, TRUST_KEY_LEN);
	trust_mesh_ipv4(d->identity, a4);
	trust_mesh_ipv6(d->identity, a6);
	d->addr4 = (struct wg_prefix){ .family = AF_INET, .cidr = 16 };
	memcpy(d->addr4.addr, a4, 4);
	d->addr6 = (struct wg_prefix){ .family = AF_INET6, .cidr = 64 };
	memcpy(d->addr6.addr, a6, 16);
	return 0;
}
/* Mesh addresses and routes. IPv6 may be disabled in this namespace: warn, go on. */
static int configure_interface(struct daemon *d)
{
	int ret;

	if ((ret = wg_device_add_address(d->dev, &d->addr4)) ||
	    (ret = wg_device_add_route(d->dev, &mesh_route4)))
		return cli_fail("%s: cannot add the mesh IPv4 address or route: %s",
				d->opts->ifname, strerror(-ret));
	if ((ret = wg_device_add_address(d->dev, &d->addr6)) ||
	    (ret = wg_device_add_route(d->dev, &mesh_route6)))
		mg_warn("%s: no mesh IPv6 address or route (%s); IPv4 only", d->opts->ifname,
			strerror(-ret));
	return 0;
}

/* A route for each static allowed IP outside the mesh prefixes (what wg-quick does). */
static void route_static(struct daemon *d, const char *file, const struct wg_prefix *p)
{
	char text[WG_DEVICE_PREFIX_STRLEN];
	int ret;

	if (prefix_covers(&mesh_route4, p) || prefix_covers(&mesh_route6, p))
		return;
	wg_prefix_format(p, text);
	if (p->cidr == 0) {
		mg_warn("peers/%s.conf: not installing a default route for %s", file, text);
		return;
	}
	if ((ret = wg_device_add_route(d->dev, p)))
		mg_warn("peers/%s.conf: cannot add a route to %s: %s", file, text, strerror(-ret));
}

static int add_static_peers(struct daemon *d)
{
	char key[16];
	int ret;

	for (size_t f = 0; f < d->statics.n_files; f++) {
		const struct static_peer_file *spf = &d->statics.files[f];
		for (size_t i = 0; i < spf->conf.n_peers; i++) {
			const struct wg_peer_config *cfg = &spf->conf.peers[i].cfg;
			ret = wg_device_peer_set(d->dev, cfg);
			if (ret == -EEXIST) {
				mg_warn("peers/%s.conf:%u: this is our own key; ignored", spf->name,
					spf->conf.peers[i].line);
				continue;
			}
			if (ret)
				return cli_fail("peers/%s.conf:%u: cannot add the peer: %s",
						spf->name, spf->conf.peers[i].line, strerror(-ret));
			for (size_t j = 0; !d->opts->gossip_only && j < cfg->n_allowed_ips; j++)
				route_static(d, spf->name, &cfg->allowed_ips[j]);
			short_key(key, cfg->public_key);
			mg_info("static peer %s (%s)", key, spf->name);
		}
	}
	return 0;
}

static int start_control(struct daemon *d)
{
	char path[108], err[256];
	int ret;

	if (ctl_socket_path(path, sizeof(path), d->opts->ifname))
		return cli_fail("control socket path too long");
	ret = ctl_server_start(&d->ctl, &d->loop, path, err, sizeof(err));
	if (ret)
		return cli_fail("%s", err);
	if (ctl_server_register(d->ctl, "status", 0, cmd_status_handler, d) ||
	    ctl_server_register(d->ctl, "down", CTL_PRIVILEGED, cmd_down_handler, d))
		return cli_fail("cannot register control commands");
	return 0;
}

static void log_startup(struct daemon *d)
{
	struct wg_device_info info;
	char key[MG_B64_LEN(32) + 1], id[MG_B64_LEN(32) + 1], a4[WG_DEVICE_PREFIX_STRLEN],
		a6[WG_DEVICE_PREFIX_STRLEN];

	wg_device_get_info(d->dev, &info);
	mg_b64_encode(key, d->wg_public, 32);
	mg_b64_encode(id, d->identity, 32);
	wg_prefix_format(&d->addr4, a4);
	wg_prefix_format(&d->addr6, a6);
	mg_info("meshguard %s up: identity %s, WireGuard key %s", MESHGUARD_VERSION, id, key);
	mg_info("interface %s, UDP port %u, mesh %s %s%s",
		d->opts->gossip_only ? "(none: gossip only)" : info.ifname, info.listen_port, a4,
		a6, d->opts->time_scale > 1 ? " [TEST TIME SCALE]" : "");
}

/* ---- --user: checked before anything is created, applied once everything exists ---- */

/*
 * Run as the user, in a child (privdrop_check_as): what the daemon writes
 * (state/) and what every reload reads (trust store, peers/) after the drop.
 */
static int check_as_user(void *ctx, char *err, size_t errlen)
{
	struct daemon *d = ctx;
	const char *dir = d->opts->config_dir, *user = d->user.name;
	char path[PATH_MAX], why[TRUST_ERR_LEN + PATH_MAX];
	struct trust_store *ts = NULL;
	struct static_peers sp = { 0 };
	int ret;

	if ((ret = privdrop_check_readable(dir, &d->user, err, errlen)))
		return ret;
	/* state/ (member cache, Lamport clock) and state/orgmsg/ (learned org messages). */
	for (size_t i = 0; i < 2; i++) {
		if (mg_path_join(path, sizeof(path), dir, i ? "state/orgmsg" : "state")) {
			snprintf(err, errlen, "%s/state: path too long", dir);
			return -ENAMETOOLONG;
		}
		if ((i == 0 || mg_path_exists(path)) &&
		    (ret = privdrop_check_writable(path, &d->user, err, errlen)))
			return ret;
	}
	if (trust_store_load(dir, &ts, why, sizeof(why)) == 0) {
		trust_store_free(ts);
		if (static_peers_load(dir, &sp, why, sizeof(why)) == 0) {
			static_peers_free(&sp);
			return 0;
		}
	}
	snprintf(err, errlen,
		 "as user %s: %s; after the privilege drop the daemon re-reads the trust store and "
		 "peers/ as %s on every reload: give it read access (docs/systemd.md)",
		 user, why, user);
	return -EACCES;
}

static int check_user(struct daemon *d)
{
	char err[1024], state[PATH_MAX];

	if (mg_path_join(state, sizeof(state), d->opts->config_dir, "state"))
		return cli_fail("%s/state: path too long", d->opts->config_dir);
	if (privdrop_prepare_dir(&d->user, state, err, sizeof(err)) ||
	    privdrop_check_as(&d->user, check_as_user, d, err, sizeof(err)))
		return cli_fail("%s", err);
	return 0;
}

static int drop_privileges(struct daemon *d)
{
	char err[512];

	if (d->opts->user) {
		if (privdrop_apply(&d->user, err, sizeof(err)))
			return cli_fail("%s", err);
		mg_info("running as user %s (uid %u, gid %u) with CAP_NET_ADMIN only", d->user.name,
			(unsigned)d->user.uid, (unsigned)d->user.gid);
	}
	/* Every session key lives in this process: no core dump may write them to disk,
	 * and no other process of our uid may attach to us or read our memory. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return 0;
}

static int start(struct daemon *d, uint8_t wg_private[WG_DEVICE_KEY_LEN])
{
	struct wg_device_config cfg = {
		.ifname = d->opts->ifname,
		.listen_port = d->opts->listen_port,
		.no_tun = d->opts->gossip_only,
		.time_scale = d->opts->time_scale,
	};
	char err[256];
	int ret;

	ret = wg_device_new(&d->dev, &d->loop, &cfg, err, sizeof(err));
	if (ret) {
		d->dev = NULL;
		return cli_fail("%s", err);
	}
	wg_device_set_private_key(d->dev, wg_private);
	wg_device_set_event_handler(d->dev, on_peer_event, d);
	if (!d->opts->gossip_only && (ret = configure_interface(d)))
		return ret;
	if ((ret = add_static_peers(d)))
		return ret;
	log_startup(d);
	ret = mesh_start(d->mesh, &d->loop, d->dev, d->id.secret, &d->addr4);
	trust_identity_wipe(&d->id);
	if (ret || (ret = start_control(d)))
		return ret;
	watch_dirs(d);
	if ((ret = drop_privileges(d)))
		return ret;
	notify_ready(d);
	start_notify_timers(d);
	return 0;
}

static int prepare(struct daemon *d, uint8_t wg_private[WG_DEVICE_KEY_LEN])
{
	const struct daemon_opts *o = d->opts;
	struct mesh_opts mo = {
		.config_dir = o->config_dir,
		.gossip_only = o->gossip_only,
		.open = o->open,
		.wan = o->wan,
		.seeds = o->seeds,
		.n_seeds = o->n_seeds,
		.advertise = o->advertise,
		.n_advertise = o->n_advertise,
		.is_static = is_static_peer,
		.static_ctx = d,
	};
	char err[512];
	int ret;

	/* An unknown --user is refused first: nothing read, nothing created. */
	if (o->user && privdrop_lookup(o->user, &d->user, err, sizeof(err)))
		return cli_fail("%s", err);
	if ((ret = load_identity(d, wg_private)))
		return ret;
	if (static_peers_load(o->config_dir, &d->statics, err, sizeof(err)))
		return cli_fail("%s", err);
	for (size_t f = 0; f < d->statics.n_files; f++)
		mo.n_static += d->statics.files[f].conf.n_peers;
	if ((ret = mesh_prepare(&d->mesh, &mo)))
		return ret;
	return o->user ? check_user(d) : 0;
}

static void init_handles(struct daemon *d)
{
	uv_loop_init(&d->loop);
	uv_signal_init(&d->loop, &d->sig_int);
	uv_signal_init(&d->loop, &d->sig_term);
	uv_signal_init(&d->loop, &d->sig_hup);
	uv_timer_init(&d->loop, &d->stop_timer);
	uv_timer_init(&d->loop, &d->reload_timer);
	uv_timer_init(&d->loop, &d->status_timer);
	uv_timer_init(&d->loop, &d->watchdog_timer);
	d->sig_int.data = d->sig_term.data = d->sig_hup.data = d;
	d->stop_timer.data = d->reload_timer.data = d;
	d->status_timer.data = d->watchdog_timer.data = d;
	uv_signal_start(&d->sig_int, on_signal, SIGINT);
	uv_signal_start(&d->sig_term, on_signal, SIGTERM);
	uv_signal_start(&d->sig_hup, on_signal, SIGHUP);
}

int daemon_run(const struct daemon_opts *opts)
{
	struct daemon *d = calloc(1, sizeof(*d));
	uint8_t wg_private[WG_DEVICE_KEY_LEN];
	int ret;

	if (!d)
		return cli_fail("out of memory");
	d->opts = opts;
	/* First: $NOTIFY_SOCKET leaves the environment before anything else runs. */
	sdnotify_open(&d->notify);
	ret = prepare(d, wg_private);
	if (ret) {
		sodium_memzero(wg_private, sizeof(wg_private));
		trust_identity_wipe(&d->id);
		static_peers_free(&d->statics);
		mesh_free(d->mesh);
		sdnotify_close(&d->notify);
		free(d);
		return ret;
	}
	/* Writes to a control client that went away must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	init_handles(d);
	ret = start(d, wg_private);
	sodium_memzero(wg_private, sizeof(wg_private));
	trust_identity_wipe(&d->id);
	if (ret) {
		mg_err("startup failed");
		d->stopping = true;
		stop_now(d);
	}
	uv_run(&d->loop, UV_RUN_DEFAULT);
	uv_loop_close(&d->loop);
	if (!ret)
		mg_info("stopped");
	mesh_free(d->mesh);
	static_peers_free(&d->statics);
	sdnotify_close(&d->notify);
	sodium_memzero(d, sizeof(*d));
	free(d);
	return ret ? ret : CLI_OK;
}
