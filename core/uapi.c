/* SPDX-License-Identifier: MIT */
/*
 * The cross-platform userspace API, protocol half: `get=1` renders the
 * device, `set=1` parses a transaction, validates all of it, then applies it.
 *
 *   wg_uapi_handle    -> uapi_get | txn_parse -> txn_apply
 *   txn_parse         device keys until the first public_key, then peer keys
 *   txn_apply         fwmark, listen_port, private_key, replace_peers, peers
 */
#include "uapi.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "engine.h"
#include "ioutil.h"
#include "keytext.h"
#include "log.h"

/* ---- Output buffer ---------------------------------------------------------- */

void wg_uapi_buf_free(struct wg_uapi_buf *b)
{
	if (b->data)
		sodium_memzero(b->data, b->cap);
	free(b->data);
	memset(b, 0, sizeof(*b));
}

__attribute__((format(printf, 2, 3))) static void buf_printf(struct wg_uapi_buf *b,
							    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 1024;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		/* Grow by copy, wiping the old block: it may hold a private key. */
		char *d = malloc(cap);
		if (!d) {
			b->oom = true;
			return;
		}
		if (b->data) {
			memcpy(d, b->data, b->len);
			sodium_memzero(b->data, b->cap);
			free(b->data);
		}
		b->data = d;
		b->cap = cap;
	}
}

static void hex_key(char out[65], const uint8_t key[32])
{
	mg_hex_encode(out, key, 32);
}

/* ---- get=1 ---------------------------------------------------------------- */

struct get_ctx {
	struct wg_uapi_buf *out;
};

static void get_allowed_ip(void *arg, int family, const uint8_t *addr, uint8_t cidr)
{
	struct get_ctx *g = arg;
	struct wg_prefix p = { .family = family, .cidr = cidr };
	char text[WG_DEVICE_PREFIX_STRLEN];

	memcpy(p.addr, addr, family == AF_INET ? 4 : 16);
	wg_prefix_format(&p, text);
	buf_printf(g->out, "allowed_ip=%s\n", text);
}

static void get_peer(struct wg_uapi_buf *out, struct wg_peer *peer)
{
	struct wg_peer_info info;
	struct get_ctx g = { .out = out };
	char hex[65], ep[WG_DEVICE_ENDPOINT_STRLEN];

	wg_peer_get_info(peer, &info);
	hex_key(hex, info.public_key);
	buf_printf(out, "public_key=%s\n", hex);
	hex_key(hex, info.preshared_key);
	buf_printf(out, "preshared_key=%s\n", hex);
	buf_printf(out, "protocol_version=1\n");
	if (info.endpoint.sa.sa_family == AF_INET || info.endpoint.sa.sa_family == AF_INET6) {
		wg_endpoint_format((const union wg_endpoint *)&info.endpoint, ep);
		buf_printf(out, "endpoint=%s\n", ep);
	}
	buf_printf(out, "last_handshake_time_sec=%lld\n", (long long)info.last_handshake.tv_sec);
	buf_printf(out, "last_handshake_time_nsec=%ld\n", (long)info.last_handshake.tv_nsec);
	buf_printf(out, "tx_bytes=%" PRIu64 "\n", info.tx_bytes);
	buf_printf(out, "rx_bytes=%" PRIu64 "\n", info.rx_bytes);
	buf_printf(out, "persistent_keepalive_interval=%u\n", info.keepalive_interval_s);
	wg_peer_allowedips_foreach(peer, get_allowed_ip, &g);
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(&info, sizeof(info));
}

static void uapi_get(struct wg_engine *e, const struct wg_uapi_ops *ops, void *ctx,
		     struct wg_uapi_buf *out)
{
	uint8_t key[WG_KEY_LEN];
	char hex[65];
	uint32_t fwmark = ops->get_fwmark(ctx);

	if (wg_engine_get_private_key(e, key)) {
		hex_key(hex, key);
		buf_printf(out, "private_key=%s\n", hex);
		sodium_memzero(hex, sizeof(hex));
		sodium_memzero(key, sizeof(key));
	}
	buf_printf(out, "listen_port=%u\n", ops->get_listen_port(ctx));
	if (fwmark)
		buf_printf(out, "fwmark=%" PRIu32 "\n", fwmark);
	for (struct wg_peer *p = wg_engine_peer_next(e, NULL); p; p = wg_engine_peer_next(e, p))
		get_peer(out, p);
	buf_printf(out, "errno=0\n\n");
}

/* ---- set=1: parse ------------------------------------------------------------- */

struct txn_peer {
	struct wg_peer_config cfg; /* cfg.allowed_ips fixed up after parsing */
	size_t ips_off;
	bool remove;
};

struct txn {
	bool has_key, has_port, has_fwmark, replace_peers;
	uint8_t key[WG_KEY_LEN];
	uint16_t port;
	uint32_t fwmark;
	struct txn_peer *peers;
	size_t n_peers, cap_peers;
	struct wg_prefix *ips;
	size_t n_ips, cap_ips;
	unsigned line;
	const char *bad_key;
};

static void txn_free(struct txn *t)
{
	if (t->peers)
		sodium_memzero(t->peers, t->cap_peers * sizeof(*t->peers));
	free(t->peers);
	free(t->ips);
	sodium_memzero(t, sizeof(*t));
}

static int parse_u(const char *v, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;

	if (*v == '\0' || strlen(v) > 20)
		return -EINVAL;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -EINVAL;
		if (n > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	if (n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

static int parse_hex_key(const char *v, uint8_t out[WG_KEY_LEN])
{
	return mg_hex_decode_exact(out, WG_KEY_LEN, v, strlen(v)) ? -EINVAL : 0;
}

static int parse_true(const char *v)
{
	return strcmp(v, "true") == 0 ? 0 : -EINVAL;
}

static int txn_device_key(struct txn *t, const char *k, const char *v)
{
	uint64_t n;

	if (!strcmp(k, "private_key")) {
		t->has_key = true;
		return parse_hex_key(v, t->key);
	}
	if (!strcmp(k, "listen_port")) {
		if (parse_u(v, 65535, &n))
			return -EINVAL;
		t->has_port = true;
		t->port = (uint16_t)n;
		return 0;
	}
	if (!strcmp(k, "fwmark")) {
		if (parse_u(v, UINT32_MAX, &n))
			return -EINVAL;
		t->has_fwmark = true;
		t->fwmark = (uint32_t)n;
		return 0;
	}
	if (!strcmp(k, "replace_peers")) {
		t->replace_peers = true;
		return parse_true(v);
	}
	return -EINVAL;
}

static int txn_new_peer(struct txn *t, const char *v)
{
	struct txn_peer *p;

	if (t->n_peers == t->cap_peers) {
		size_t cap = t->cap_peers ? t->cap_peers * 2 : 8;
		p = calloc(cap, sizeof(*p));
		if (!p)
			return -ENOMEM;
		if (t->peers) {
			memcpy(p, t->peers, t->n_peers * sizeof(*p));
			sodium_memzero(t->peers, t->cap_peers * sizeof(*p));
			free(t->peers);
		}
		t->peers = p;
		t->cap_peers = cap;
	}
	p = &t->peers[t->n_peers++];
	memset(p, 0, sizeof(*p));
	p->ips_off = t->n_ips;
	return parse_hex_key(v, p->cfg.public_key);
}

static int txn_allowed_ip(struct txn *t, struct txn_peer *p, const char *v)
{
	struct wg_prefix pfx;

	/* wg(8) always sends a prefix length; a bare address is not valid here. */
	if (!strchr(v, '/') || wg_prefix_parse(&pfx, v))
		return -EINVAL;
	if (t->n_ips == t->cap_ips) {
		size_t cap = t->cap_ips ? t->cap_ips * 2 : 16;
		struct wg_prefix *ips = realloc(t->ips, cap * sizeof(*ips));
		if (!ips)
			return -ENOMEM;
		t->ips = ips;
		t->cap_ips = cap;
	}
	t->ips[t->n_ips++] = pfx;
	p->cfg.n_allowed_ips++;
	return 0;
}

static int txn_peer_key(struct txn *t, const char *k, const char *v)
{
	struct txn_peer *p = &t->peers[t->n_peers - 1];
	uint64_t n;

	if (!strcmp(k, "remove")) {
		p->remove = true;
		return parse_true(v);
	}
	if (!strcmp(k, "update_only")) {
		p->cfg.flags |= WG_PEER_UPDATE_ONLY;
		return parse_true(v);
	}
	if (!strcmp(k, "preshared_key")) {
		p->cfg.flags |= WG_PEER_SET_PSK;
		return parse_hex_key(v, p->cfg.preshared_key);
	}
	if (!strcmp(k, "endpoint")) {
		p->cfg.flags |= WG_PEER_SET_ENDPOINT;
		return wg_endpoint_parse(&p->cfg.endpoint, v);
	}
	if (!strcmp(k, "persistent_keepalive_interval")) {
		if (parse_u(v, 65535, &n))
			return -EINVAL;
		p->cfg.flags |= WG_PEER_SET_KEEPALIVE;
		p->cfg.keepalive_s = (uint16_t)n;
		return 0;
	}
	if (!strcmp(k, "replace_allowed_ips")) {
		p->cfg.flags |= WG_PEER_REPLACE_ALLOWED_IPS;
		return parse_true(v);
	}
	if (!strcmp(k, "allowed_ip"))
		return txn_allowed_ip(t, p, v);
	if (!strcmp(k, "protocol_version"))
		return strcmp(v, "1") == 0 ? 0 : -EPROTONOSUPPORT;
	return -EINVAL;
}

/* `body` is the text after "set=1\n", up to and including the blank line. */
static int txn_parse(struct txn *t, char *body)
{
	char *save = NULL;
	int ret;

	for (char *line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		t->line++;
		t->bad_key = line;
		if (!eq || eq == line)
			return -EINVAL;
		*eq = '\0';
		if (!strcmp(line, "public_key"))
			ret = txn_new_peer(t, eq + 1);
		else if (t->n_peers == 0)
			ret = txn_device_key(t, line, eq + 1);
		else
			ret = txn_peer_key(t, line, eq + 1);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < t->n_peers; i++)
		t->peers[i].cfg.allowed_ips = t->ips + t->peers[i].ips_off;
	for (size_t i = 0; i < t->n_peers; i++) {
		t->bad_key = "peer";
		if ((ret = wg_uapi_peer_check(&t->peers[i].cfg)))
			return ret;
	}
	t->bad_key = NULL;
	return 0;
}

/* ---- set=1: apply ------------------------------------------------------------ */

int wg_uapi_peer_check(const struct wg_peer_config *cfg)
{
	int fam = cfg->endpoint.sa.sa_family;

	if ((cfg->flags & WG_PEER_SET_ENDPOINT) && fam != AF_UNSPEC && fam != AF_INET &&
	    fam != AF_INET6)
		return -EINVAL;
	for (size_t i = 0; i < cfg->n_allowed_ips; i++) {
		if (!wg__prefix_valid(&cfg->allowed_ips[i]))
			return -EINVAL;
	}
	return 0;
}

int wg_uapi_peer_apply(struct wg_engine *e, const struct wg_peer_config *cfg, uint64_t now)
{
	struct wg_peer *peer = wg_engine_peer_get(e, cfg->public_key);
	uint8_t own[WG_KEY_LEN];

	if (!peer) {
		if (cfg->flags & WG_PEER_UPDATE_ONLY)
			return 0;
		peer = wg_engine_peer_add(e, cfg->public_key);
		if (!peer) {
			/* Our own public key is silently ignored, as the kernel does. */
			if (wg_engine_get_public_key(e, own) &&
			    sodium_memcmp(own, cfg->public_key, WG_KEY_LEN) == 0)
				return -EEXIST;
			return -ENOMEM;
		}
	}
	if (cfg->flags & WG_PEER_SET_PSK)
		wg_peer_set_psk(peer, sodium_is_zero(cfg->preshared_key, WG_KEY_LEN)
					      ? NULL
					      : cfg->preshared_key);
	if (cfg->flags & WG_PEER_SET_ENDPOINT)
		wg_peer_set_endpoint(peer, (const union wg_sockaddr *)&cfg->endpoint);
	if (cfg->flags & WG_PEER_REPLACE_ALLOWED_IPS)
		wg_peer_allowedips_clear(peer);
	for (size_t i = 0; i < cfg->n_allowed_ips; i++) {
		struct wg_prefix p = cfg->allowed_ips[i];
		int ret;
		wg__prefix_mask(&p);
		ret = wg_peer_allowedip_add(peer, p.family, p.addr, p.cidr);
		if (ret)
			return ret;
	}
	/* Last, so that the keepalive it may send at once goes to the new endpoint. */
	if (cfg->flags & WG_PEER_SET_KEEPALIVE)
		wg_peer_set_keepalive(peer, cfg->keepalive_s, now);
	return 0;
}

static int txn_apply(struct wg_engine *e, const struct wg_uapi_ops *ops, void *ctx,
		     struct txn *t, uint64_t now)
{
	uint32_t old_mark = ops->get_fwmark(ctx);
	int ret;

	/* The fallible OS steps first, undone if the next one fails. */
	if (t->has_fwmark && (ret = ops->set_fwmark(ctx, t->fwmark)))
		return ret;
	if (t->has_port && (ret = ops->set_listen_port(ctx, t->port))) {
		if (t->has_fwmark)
			ops->set_fwmark(ctx, old_mark);
		return ret;
	}
	if (t->has_key)
		wg_engine_set_private_key(e, sodium_is_zero(t->key, WG_KEY_LEN) ? NULL : t->key);
	if (t->replace_peers) {
		struct wg_peer *p;
		while ((p = wg_engine_peer_next(e, NULL)))
			wg_engine_peer_remove(e, p);
	}
	for (size_t i = 0; i < t->n_peers; i++) {
		struct txn_peer *tp = &t->peers[i];
		if (tp->remove) {
			struct wg_peer *p = wg_engine_peer_get(e, tp->cfg.public_key);
			if (p)
				wg_engine_peer_remove(e, p);
			continue;
		}
		ret = wg_uapi_peer_apply(e, &tp->cfg, now);
		if (ret == -EEXIST)
			continue;
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- Requests ---------------------------------------------------------------- */

enum wg_uapi_result wg_uapi_handle(struct wg_engine *e, const struct wg_uapi_ops *ops, void *ctx,
				   const char *req, size_t len, uint64_t now,
				   struct wg_uapi_buf *reply)
{
	struct txn t;
	char *body;
	int ret;

	if (len >= 7 && !memcmp(req, "get=1\n\n", 7) && len == 7) {
		uapi_get(e, ops, ctx, reply);
		return reply->oom ? WG_UAPI_CLOSE : WG_UAPI_REPLY;
	}
	if (len < 6 || memcmp(req, "set=1\n", 6) != 0) {
		if (len >= 6 && !memcmp(req, "get=1\n", 6)) {
			buf_printf(reply, "errno=%d\n\n", -EINVAL);
			return reply->oom ? WG_UAPI_CLOSE : WG_UAPI_REPLY;
		}
		return WG_UAPI_CLOSE;
	}
	body = malloc(len - 6 + 1);
	if (!body)
		return WG_UAPI_CLOSE;
	memcpy(body, req + 6, len - 6);
	body[len - 6] = '\0';
	memset(&t, 0, sizeof(t));
	ret = txn_parse(&t, body);
	if (ret)
		mg_warn("wg set: rejected at line %u (%.32s): %s", t.line + 1,
			t.bad_key ? t.bad_key : "?", strerror(-ret));
	else
		ret = txn_apply(e, ops, ctx, &t, now);
	txn_free(&t);
	sodium_memzero(body, len - 6);
	free(body);
	buf_printf(reply, "errno=%d\n\n", ret);
	return reply->oom ? WG_UAPI_CLOSE : WG_UAPI_REPLY;
}
