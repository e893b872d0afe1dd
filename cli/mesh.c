/* SPDX-License-Identifier: MIT */
/*
 * The mesh: SWIM membership + the trust store + the WireGuard device.
 *
 *   mesh_prepare        trust store, node.cert, the --open rule, seeds, endpoints
 *   mesh_start          SWIM on the shared port, member cache, org messages
 *   swim ops            send / random / admit (trust_decide) / org_message / event
 *   member -> peer      configure, remove, who initiates, IPv4 collisions
 *   timers              SWIM ticks, certificate expiry, member cache
 *   reload, leave, status, close
 *
 * Design notes: docs/mesh.md.
 */
#include "mesh.h"

#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "clock.h"
#include "fsutil.h"
#include "keytext.h"
#include "log.h"
#include "swim.h"
#include "trust.h"

enum {
	MESH_MAX_SEEDS = 64,
	MESH_CACHE_SAVE_MS = 10 * 1000,    /* member cache written at most this often */
	MESH_DENIED_LOG_NS = 60ull * 1000000000ull, /* one "denied" line per identity per minute */
	MESH_CACHE_MAX = 256u << 20,       /* a member cache larger than this is not ours */
};
/* How long the side that does not initiate waits for the other's handshake. */
#define MESH_INITIATE_FALLBACK_NS (1000ull * 1000000ull)

/* What the mesh remembers about an identity SWIM asked about. */
struct mentry {
	bool used;
	bool admitted;    /* last admit verdict */
	bool live;        /* admitted and alive or suspect */
	bool configured;  /* a WireGuard peer exists with key `wg` */
	bool v4_ok;       /* owns its mesh IPv4 address (no collision lost) */
	bool open;        /* admitted only because of --open */
	enum trust_verdict_kind kind;
	const char *deny_reason; /* static text of the last denial */
	uint8_t id[TRUST_KEY_LEN];
	uint8_t wg[TRUST_KEY_LEN];
	uint8_t v4[4];
	uint64_t denied_log_ns;
	uint64_t fallback_ns; /* initiate ourselves if still no session then (0: no) */
};

struct mesh {
	struct mesh_opts opts;
	uv_loop_t *loop;
	struct wg_device *dev;
	struct trust_store *store;
	struct swim *swim;
	struct swim_config cfg;

	uint8_t identity[TRUST_KEY_LEN];
	uint8_t wg_public[TRUST_KEY_LEN];
	struct wg_prefix addr4;
	bool self_v4_on;                 /* our IPv4 mesh address is on the interface */
	bool self_v4_collision;
	uint8_t self_v4_other[TRUST_KEY_LEN];

	uint8_t cert[TRUST_CERT_LEN];
	size_t cert_len;
	char name[TRUST_NAME_MAX + 1];

	struct swim_endpoint seeds[MESH_MAX_SEEDS];
	uint8_t seed_pk[MESH_MAX_SEEDS][TRUST_KEY_LEN];
	bool seed_has_pk[MESH_MAX_SEEDS];
	size_t n_seeds;
	struct swim_endpoint adv[SWIM_MAX_ENDPOINTS];
	size_t n_adv;

	struct mentry *tab;
	size_t tab_cap, tab_n;
	uint8_t hash_key[crypto_shorthash_KEYBYTES];

	uv_timer_t tick_timer, cache_timer, leave_timer;
	int open_handles;
	bool started, closing;
	int64_t next_expiry;             /* earliest certificate expiry among members (0: none) */
	uint64_t next_fallback_ns;       /* earliest mentry.fallback_ns (0: none) */
	bool cache_dirty;
	char cache_path[PATH_MAX];
	uint8_t msg_digest[32];
	void (*leave_done)(void *ctx);
	void *leave_ctx;
	struct mg_ratelimit denied_rl;
};

/* ---- Small helpers ------------------------------------------------------------------ */

static void short_id(char out[12], const uint8_t key[TRUST_KEY_LEN])
{
	char b64[MG_B64_LEN(32) + 1];

	mg_b64_encode(b64, key, 32);
	snprintf(out, 12, "%.8s", b64);
}

static json_t *json_b64(const uint8_t key[32])
{
	char b64[MG_B64_LEN(32) + 1];

	mg_b64_encode(b64, key, 32);
	return json_string(b64);
}

static void swim_to_wg(const struct swim_endpoint *s, union wg_endpoint *w)
{
	memset(w, 0, sizeof(*w));
	if (s->family == 4) {
		w->in4.sin_family = AF_INET;
		memcpy(&w->in4.sin_addr, s->addr, 4);
		w->in4.sin_port = htons(s->port);
	} else if (s->family == 6) {
		w->in6.sin6_family = AF_INET6;
		memcpy(&w->in6.sin6_addr, s->addr, 16);
		w->in6.sin6_port = htons(s->port);
	}
}

static void wg_to_swim(const union wg_endpoint *w, struct swim_endpoint *s)
{
	memset(s, 0, sizeof(*s));
	if (w->sa.sa_family == AF_INET) {
		s->family = 4;
		memcpy(s->addr, &w->in4.sin_addr, 4);
		s->port = ntohs(w->in4.sin_port);
	} else if (w->sa.sa_family == AF_INET6) {
		s->family = 6;
		memcpy(s->addr, &w->in6.sin6_addr, 16);
		s->port = ntohs(w->in6.sin6_port);
	}
}

static json_t *json_swim_ep(const struct swim_endpoint *ep)
{
	char buf[64];

	if (!ep || ep->family == 0)
		return json_null();
	return json_string(swim_endpoint_format(ep, buf, sizeof(buf)));
}

static int64_t min_expiry(int64_t a, int64_t b)
{
	if (a <= 0)
		return b;
	if (b <= 0)
		return a;
	return a < b ? a : b;
}

/* ---- The identity table (open addressing, keyed SipHash) ---------------------------- */

static size_t tab_slot(const struct mesh *m, const uint8_t id[TRUST_KEY_LEN])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, id, TRUST_KEY_LEN, m->hash_key);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (m->tab_cap - 1));
}

static struct mentry *tab_find(const struct mesh *m, const uint8_t id[TRUST_KEY_LEN])
{
	if (!m->tab_cap)
		return NULL;
	for (size_t i = tab_slot(m, id);; i = (i + 1) & (m->tab_cap - 1)) {
		struct mentry *e = &m->tab[i];
		if (!e->used)
			return NULL;
		if (!memcmp(e->id, id, TRUST_KEY_LEN))
			return e;
	}
}

static int tab_grow(struct mesh *m)
{
	size_t old_cap = m->tab_cap, cap = old_cap ? old_cap * 2 : 64;
	struct mentry *old = m->tab, *nt = calloc(cap, sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	m->tab = nt;
	m->tab_cap = cap;
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i].used)
			continue;
		size_t j = tab_slot(m, old[i].id);
		while (nt[j].used)
			j = (j + 1) & (cap - 1);
		nt[j] = old[i];
	}
	free(old);
	return 0;
}

/*
 * Entries are never deleted (SWIM keeps tombstones too), so the table is
 * bounded like SWIM's member table: twice max_members, which leaves room for
 * identities that were only ever denied.
 */
static struct mentry *tab_get(struct mesh *m, const uint8_t id[TRUST_KEY_LEN])
{
	struct mentry *e = tab_find(m, id);
	size_t i;

	if (e)
		return e;
	if (m->tab_n >= 2 * m->cfg.max_members)
		return NULL;
	if ((m->tab_n + 1) * 2 > m->tab_cap && tab_grow(m))
		return NULL;
	for (i = tab_slot(m, id); m->tab[i].used; i = (i + 1) & (m->tab_cap - 1))
		;
	e = &m->tab[i];
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->v4_ok = true;
	memcpy(e->id, id, TRUST_KEY_LEN);
	trust_mesh_ipv4(id, e->v4);
	m->tab_n++;
	return e;
}

/* ---- Member -> WireGuard peer ------------------------------------------------------- */

static void member_endpoint(const struct swim_member_info *mi, union wg_endpoint *out)
{
	if (mi->addr.family)
		swim_to_wg(&mi->addr, out);
	else if (mi->n_endpoints)
		swim_to_wg(&mi->endpoints[0], out);
	else
		memset(out, 0, sizeof(*out));
}

static size_t member_ips(const struct mentry *e, struct wg_prefix ips[2])
{
	size_t n = 0;

	if (e->v4_ok) {
		ips[n] = (struct wg_prefix){ .family = AF_INET, .cidr = 32 };
		memcpy(ips[n++].addr, e->v4, 4);
	}
	ips[n] = (struct wg_prefix){ .family = AF_INET6, .cidr = 128 };
	trust_mesh_ipv6(e->id, ips[n++].addr);
	return n;
}

static bool peer_has_session(struct mesh *m, const uint8_t wg[TRUST_KEY_LEN])
{
	struct wg_peer_status st;

	return wg_device_peer_status(m->dev, wg, &st) == 0 && st.has_session;
}

static void peer_remove(struct mesh *m, struct mentry *e)
{
	if (!e->configured)
		return;
	wg_device_peer_remove(m->dev, e->wg);
	e->configured = false;
}

/* Only the allowed IPs (after an IPv4 collision was decided). */
static void peer_update_ips(struct mesh *m, struct mentry *e)
{
	struct wg_prefix ips[2];
	struct wg_peer_config pc = { .flags = WG_PEER_REPLACE_ALLOWED_IPS | WG_PEER_UPDATE_ONLY };

	if (!e->configured)
		return;
	memcpy(pc.public_key, e->wg, TRUST_KEY_LEN);
	pc.allowed_ips = ips;
	pc.n_allowed_ips = member_ips(e, ips);
	wg_device_peer_set(m->dev, &pc);
}

/*
 * Who initiates a new tunnel. Exactly one side: the one with the smaller
 * WireGuard key, at once. Its first initiation can still be lost: gossip
 * tells both sides about each other at about the same time, and an
 * initiation that arrives before the other side has added the peer is
 * dropped as coming from an unknown key; WireGuard would only retry after
 * REKEY_TIMEOUT (5 s). So the other side waits MESH_INITIATE_FALLBACK_NS and
 * initiates itself if there is still no session; normally the handshake is
 * long complete by then and nothing happens.
 */
static void initiate_new_peer(struct mesh *m, struct mentry *e)
{
	if (memcmp(m->wg_public, e->wg, TRUST_KEY_LEN) < 0) {
		wg_device_peer_initiate(m->dev, e->wg);
		return;
	}
	e->fallback_ns = mg_now_mono_ns() + MESH_INITIATE_FALLBACK_NS;
	if (!m->next_fallback_ns || e->fallback_ns < m->next_fallback_ns)
		m->next_fallback_ns = e->fallback_ns;
}

/* The fallback initiations that are due; returns when the next one is (0: none). */
static uint64_t run_fallbacks(struct mesh *m, uint64_t now)
{
	uint64_t next = 0;
	char id[12];

	for (size_t i = 0; i < m->tab_cap; i++) {
		struct mentry *e = &m->tab[i];
		if (!e->used || !e->fallback_ns)
			continue;
		if (e->fallback_ns > now) {
			next = next && next < e->fallback_ns ? next : e->fallback_ns;
			continue;
		}
		e->fallback_ns = 0;
		if (!e->configured || !e->live || peer_has_session(m, e->wg))
			continue;
		short_id(id, e->id);
		mg_debug("member %s: no handshake from it yet; initiating ourselves", id);
		wg_device_peer_initiate(m->dev, e->wg);
	}
	return next;
}

/*
 * Make the member a peer, or refresh it: key, allowed IPs (mesh /32 and
 * /128 only), endpoint. The endpoint from gossip is applied when the peer is
 * new, when the member announced new endpoints, or while there is no session
 * (WireGuard's own roaming knows better once packets authenticate).
 */
static void peer_configure(struct mesh *m, struct mentry *e, const struct swim_member_info *mi,
			   bool fresh, bool endpoints_changed)
{
	struct wg_prefix ips[2];
	struct wg_peer_config pc = { .flags = WG_PEER_REPLACE_ALLOWED_IPS };
	char id[12];
	int ret;

	short_id(id, mi->identity);
	if (m->opts.is_static && m->opts.is_static(m->opts.static_ctx, mi->wg_key)) {
		if (fresh)
			mg_warn("member %s: its WireGuard key is a static peer in peers/; "
				"the static configuration wins", id);
		return;
	}
	if (e->configured && memcmp(e->wg, mi->wg_key, TRUST_KEY_LEN)) {
		peer_remove(m, e);
		fresh = true;
	}
	if (!e->configured)
		fresh = true;
	memcpy(pc.public_key, mi->wg_key, TRUST_KEY_LEN);
	pc.allowed_ips = ips;
	pc.n_allowed_ips = member_ips(e, ips);
	if (fresh || endpoints_changed || !peer_has_session(m, mi->wg_key)) {
		member_endpoint(mi, &pc.endpoint);
		if (pc.endpoint.sa.sa_family != AF_UNSPEC)
			pc.flags |= WG_PEER_SET_ENDPOINT;
	}
	ret = wg_device_peer_set(m->dev, &pc);
	if (ret) {
		mg_warn("member %s: cannot configure its WireGuard peer: %s", id, strerror(-ret));
		return;
	}
	e->configured = true;
	memcpy(e->wg, mi->wg_key, TRUST_KEY_LEN);
	if (fresh)
		initiate_new_peer(m, e);
}

/* ---- IPv4 collisions -----------------------------------------------------------------
 *
 * The mesh IPv4 address has 16 bits of hash, so two identities can derive the
 * same one. Among the live, trusted members and this node that share it, the
 * smallest identity key keeps it; every node computes the same answer from
 * the same membership. The others keep only their IPv6 address: peers drop
 * their /32 and a losing node removes the address from its own interface.
 */

static void self_v4_apply(struct mesh *m, bool keep, const uint8_t *other)
{
	char a4[INET_ADDRSTRLEN], oid[12];
	int ret;

	inet_ntop(AF_INET, m->addr4.addr, a4, sizeof(a4));
	m->self_v4_collision = other != NULL;
	if (other) {
		memcpy(m->self_v4_other, other, TRUST_KEY_LEN);
		short_id(oid, other);
	}
	if (keep == m->self_v4_on)
		return;
	if (keep) {
		mg_info("ipv4 collision resolved: %s is ours again", a4);
		ret = m->opts.gossip_only ? 0 : wg_device_add_address(m->dev, &m->addr4);
	} else {
		mg_warn("ipv4 collision: member %s derives our mesh address %s and keeps it "
			"(smaller identity key); this node uses its IPv6 address only", oid, a4);
		ret = m->opts.gossip_only ? 0 : wg_device_del_address(m->dev, &m->addr4);
	}
	if (ret && ret != -EADDRNOTAVAIL && ret != -EEXIST)
		mg_warn("cannot %s the mesh address %s: %s", keep ? "add" : "remove", a4,
			strerror(-ret));
	m->self_v4_on = keep;
}

static void v4_settle(struct mesh *m, const uint8_t v4[4])
{
	const uint8_t *owner = NULL, *self_rival = NULL;
	bool self_in = !memcmp(m->addr4.addr, v4, 4);
	size_t sharing = self_in ? 1 : 0;
	char a4[INET_ADDRSTRLEN], oid[12];

	if (self_in)
		owner = m->identity;
	for (size_t i = 0; i < m->tab_cap; i++) {
		const struct mentry *e = &m->tab[i];
		if (!e->used || !e->live || memcmp(e->v4, v4, 4))
			continue;
		sharing++;
		if (!owner || memcmp(e->id, owner, TRUST_KEY_LEN) < 0)
			owner = e->id;
	}
	for (size_t i = 0; i < m->tab_cap; i++) {
		struct mentry *e = &m->tab[i];
		bool ok;
		if (!e->used || memcmp(e->v4, v4, 4))
			continue;
		ok = !e->live || sharing < 2 || e->id == owner;
		if (self_in && e->live && e->id != owner && !self_rival)
			self_rival = e->id;
		if (ok == e->v4_ok)
			continue;
		e->v4_ok = ok;
		inet_ntop(AF_INET, v4, a4, sizeof(a4));
		short_id(oid, e->id);
		if (!ok)
			mg_warn("ipv4 collision: member %s loses %s to a smaller identity key; "
				"reachable over IPv6 only", oid, a4);
		peer_update_ips(m, e);
	}
	if (self_in) {
		if (owner != m->identity)
			self_v4_apply(m, false, owner);
		else
			self_v4_apply(m, true, sharing >= 2 ? self_rival : NULL);
		if (owner == m->identity && sharing >= 2 && self_rival) {
			inet_ntop(AF_INET, v4, a4, sizeof(a4));
			short_id(oid, self_rival);
			mg_warn("ipv4 collision: member %s also derives %s; this node keeps it "
				"(smaller identity key)", oid, a4);
		}
	}
}

/* ---- SWIM callbacks ----------------------------------------------------------------- */

static void op_send(void *ctx, const struct swim_endpoint *to, const uint8_t *buf, size_t len)
{
	struct mesh *m = ctx;
	union wg_endpoint ep;
	int ret;

	swim_to_wg(to, &ep);
	ret = wg_device_send_datagram(m->dev, &ep, buf, len);
	if (ret)
		mg_debug("gossip: send of %zu bytes failed: %s", len, strerror(-ret));
}

static void op_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	randombytes_buf(buf, len);
}

static void log_denied(struct mesh *m, struct mentry *e, const uint8_t id[TRUST_KEY_LEN],
		       const char *why)
{
	uint64_t now = mg_now_mono_ns(), suppressed = 0;
	char sid[12];

	if (e && e->denied_log_ns && now - e->denied_log_ns < MESH_DENIED_LOG_NS)
		return;
	if (!mg_ratelimit_allow(&m->denied_rl, now, &suppressed))
		return;
	if (e)
		e->denied_log_ns = now;
	short_id(sid, id);
	mg_warn("member %s denied: %s%s", sid, why,
		suppressed ? " (and other denials suppressed)" : "");
}

/* --open admits identities nobody vouches for, but never a revoked or forged one. */
static bool open_admits(const struct trust_verdict *v, const uint8_t id[TRUST_KEY_LEN],
			const uint8_t wg[TRUST_KEY_LEN])
{
	uint8_t conv[TRUST_KEY_LEN];

	if (v->reason != TRUST_R_UNKNOWN && v->reason != TRUST_R_ORG_NOT_TRUSTED)
		return false;
	return trust_wg_public_from_identity(id, conv) == 0 &&
	       sodium_memcmp(conv, wg, TRUST_KEY_LEN) == 0;
}

static void op_admit(void *ctx, const uint8_t id[SWIM_KEY_LEN], const uint8_t *cert,
		     size_t cert_len, const uint8_t wg[SWIM_KEY_LEN], int64_t now_unix,
		     struct swim_verdict *out)
{
	struct mesh *m = ctx;
	struct trust_verdict v;
	struct mentry *e = tab_get(m, id);
	bool open = false;

	trust_decide(m->store, id, cert, cert_len, wg, now_unix, &v);
	if (v.kind == TRUST_DENIED && m->opts.open && open_admits(&v, id, wg))
		open = true;
	out->allowed = v.kind != TRUST_DENIED || open;
	if (open)
		snprintf(out->trust_path, sizeof(out->trust_path), "open (--open)");
	else
		trust_verdict_format(&v, out->trust_path, sizeof(out->trust_path));
	snprintf(out->name, sizeof(out->name), "%s", v.kind == TRUST_DENIED ? "" : v.name);
	if (e) {
		e->admitted = out->allowed;
		e->kind = v.kind;
		e->open = open;
		e->deny_reason = out->allowed ? NULL : trust_reason_str(v.reason);
	}
	if (out->allowed)
		m->next_expiry = min_expiry(m->next_expiry, v.expires_at);
	else
		log_denied(m, e, id, trust_reason_str(v.reason));
}

static enum swim_org_result op_org_message(void *ctx, const uint8_t *msg, size_t len,
					   int64_t now_unix)
{
	struct mesh *m = ctx;
	struct trust_msg_outcome o;
	char subj[17];

	(void)now_unix;
	trust_store_apply_msg(m->store, msg, len, &o);
	switch (o.result) {
	case TRUST_MSG_NEW:
		trust_key_hex16(o.msg.subject, subj);
		mg_info("org message from the gossip: %s %s (lamport %llu)",
			o.msg.type == TRUST_MSG_REVOKE  ? "revocation of"
			: o.msg.type == TRUST_MSG_VOUCH ? "vouch for"
							: "alias",
			subj, (unsigned long long)o.msg.lamport);
		if (o.msg.type == TRUST_MSG_REVOKE &&
		    !memcmp(o.msg.subject, m->identity, TRUST_KEY_LEN))
			mg_err("this node was revoked by org %s: other members will drop it; "
			       "ask the org admin for a new certificate",
			       trust_store_org_name(m->store, o.msg.org)
				       ? trust_store_org_name(m->store, o.msg.org)
				       : "(trusted org)");
		if (o.persist_error)
			mg_warn("org message: cannot persist it under state/: %s",
				strerror(-o.persist_error));
		trust_store_msg_digest(m->store, m->msg_digest);
		return SWIM_ORG_NEW;
	case TRUST_MSG_DUPLICATE:
		return SWIM_ORG_DUPLICATE;
	case TRUST_MSG_STALE:
		return SWIM_ORG_STALE;
	case TRUST_MSG_REJECTED:
		break;
	}
	mg_debug("org message rejected: %s", trust_reason_str(o.reason));
	return SWIM_ORG_REJECTED;
}

static void member_gone(struct mesh *m, struct mentry *e, const struct swim_event *ev)
{
	const struct swim_member_info *mi = ev->member;
	char id[12];

	short_id(id, mi->identity);
	if (ev->type == SWIM_EV_REMOVED_TRUST)
		mg_warn("member %s (%s) removed: %s", id, mi->name[0] ? mi->name : "-",
			e && e->deny_reason ? e->deny_reason : "no longer trusted");
	else
		mg_info("member %s (%s) %s", id, mi->name[0] ? mi->name : "-",
			ev->type == SWIM_EV_DEAD ? "dead" : "left");
	if (!e)
		return;
	e->live = false;
	if (ev->type == SWIM_EV_REMOVED_TRUST)
		e->admitted = false;
	peer_remove(m, e);
	v4_settle(m, e->v4);
}

static void op_event(void *ctx, const struct swim_event *ev)
{
	struct mesh *m = ctx;
	const struct swim_member_info *mi = ev->member;
	struct mentry *e = tab_get(m, mi->identity);
	char id[12];

	m->cache_dirty = true;
	short_id(id, mi->identity);
	switch (ev->type) {
	case SWIM_EV_JOINED:
		if (!e) {
			mg_warn("member %s: identity table full; not configured", id);
			return;
		}
		e->live = true;
		v4_settle(m, e->v4);
		peer_configure(m, e, mi, true, true);
		mg_info("member %s (%s) joined: %s", id, mi->name[0] ? mi->name : "-",
			mi->trust_path);
		break;
	case SWIM_EV_UPDATED:
	case SWIM_EV_ALIVE:
		if (e && e->live)
			peer_configure(m, e, mi, false,
				       ev->type == SWIM_EV_UPDATED &&
					       (ev->changed & SWIM_CHANGED_ENDPOINTS));
		break;
	case SWIM_EV_SUSPECT:
		mg_debug("member %s (%s) suspected", id, mi->name[0] ? mi->name : "-");
		break;
	case SWIM_EV_DEAD:
	case SWIM_EV_LEFT:
	case SWIM_EV_REMOVED_TRUST:
		member_gone(m, e, ev);
		break;
	}
}

/* ---- Timers and the shared port ---------------------------------------------------- */

static void on_tick(uv_timer_t *t);

static void kick(struct mesh *m)
{
	if (!m->closing)
		uv_timer_start(&m->tick_timer, on_tick, 0, 0);
}

static void on_tick(uv_timer_t *t)
{
	struct mesh *m = t->data;
	uint64_t now = mg_now_mono_ns(), next, delay_ms;
	int64_t unix_now = mg_now_unix();

	/* A certificate expiring while we run takes effect at its expiry time. */
	if (m->next_expiry > 0 && unix_now >= m->next_expiry) {
		m->next_expiry = 0;
		swim_recheck_trust(m->swim, now, unix_now);
	}
	if (m->next_fallback_ns && now >= m->next_fallback_ns)
		m->next_fallback_ns = run_fallbacks(m, now);
	next = swim_tick(m->swim, now, unix_now);
	if (m->next_fallback_ns && m->next_fallback_ns < next)
		next = m->next_fallback_ns;
	delay_ms = next > now ? (next - now + 999999) / 1000000 : 0;
	if (m->next_expiry > 0) {
		uint64_t exp_ms = m->next_expiry > unix_now
					  ? (uint64_t)(m->next_expiry - unix_now) * 1000
					  : 0;
		if (exp_ms < delay_ms)
			delay_ms = exp_ms;
	}
	uv_timer_start(&m->tick_timer, on_tick, delay_ms, 0);
}

static void on_datagram(void *ctx, const union wg_endpoint *from, const uint8_t *data, size_t len)
{
	struct mesh *m = ctx;
	struct swim_endpoint src;

	if (m->closing)
		return;
	wg_to_swim(from, &src);
	swim_receive(m->swim, &src, data, len, mg_now_mono_ns(), mg_now_unix());
	kick(m);
}

/* ---- Member cache (state/members.cache) ---------------------------------------------- */

static void cache_save(struct mesh *m)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char dir[PATH_MAX];
	int ret;

	if (!m->swim)
		return;
	if (swim_cache_save(m->swim, &buf, &len)) {
		mg_warn("member cache: out of memory; not saved");
		return;
	}
	if (!mg_path_join(dir, sizeof(dir), m->opts.config_dir, "state"))
		mg_mkdir_p(dir, 0700);
	ret = mg_write_file_atomic(m->cache_path, buf, len, 0600, MG_WRITE_REPLACE);
	if (ret)
		mg_warn("%s: cannot write the member cache: %s", m->cache_path, strerror(-ret));
	else
		m->cache_dirty = false;
	free(buf);
}

static void on_cache_timer(uv_timer_t *t)
{
	struct mesh *m = t->data;

	if (m->cache_dirty)
		cache_save(m);
}

static void cache_load(struct mesh *m)
{
	struct stat st;
	uint8_t *buf;
	size_t len;
	char err[256];
	int ret;

	if (stat(m->cache_path, &st) != 0)
		return;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > MESH_CACHE_MAX) {
		mg_warn("%s: not a member cache (size %lld); ignored", m->cache_path,
			(long long)st.st_size);
		return;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return;
	size_t before = swim_contact_count(m->swim);
	ret = mg_read_file(m->cache_path, buf, (size_t)st.st_size, &len);
	if (ret)
		mg_warn("%s: cannot read the member cache: %s", m->cache_path, strerror(-ret));
	else if (swim_cache_load(m->swim, buf, len, mg_now_mono_ns(), mg_now_unix(), err,
				 sizeof(err)))
		mg_warn("%s: member cache ignored: %s", m->cache_path, err);
	else
		mg_info("member cache: %zu cached members to try",
			swim_contact_count(m->swim) - before);
	free(buf);
}

/* ---- Org messages of the config directory ------------------------------------------- */

static void publish_one(void *ctx, const uint8_t *msg, size_t len)
{
	struct mesh *m = ctx;
	int ret = swim_publish_org_message(m->swim, msg, len, mg_now_mono_ns(), mg_now_unix());

	if (ret)
		mg_warn("org message not stored for anti-entropy: %s", strerror(-ret));
}

static void publish_org_messages(struct mesh *m)
{
	trust_store_foreach_msg(m->store, publish_one, m);
	trust_store_msg_digest(m->store, m->msg_digest);
}

/* ---- Preparation ------------------------------------------------------------------- */

const char *mesh_trust_mode(const struct mesh *m)
{
	struct trust_store_counts c;

	if (m->opts.open)
		return "open";
	trust_store_counts(m->store, &c);
	if (c.keys && c.orgs)
		return "authorized_keys+org";
	if (!c.keys && !c.orgs)
		return "static peers only";
	return c.orgs ? "org" : "authorized_keys";
}

static bool store_is_empty(const struct trust_store *s)
{
	struct trust_store_counts c;

	trust_store_counts(s, &c);
	return c.keys == 0 && c.orgs == 0;
}

/*
 * node.cert, checked against our own identity and store. Absent is fine (no
 * certificate); a certificate for another identity is an error. On error,
 * `err` says why and nothing in `m` changes.
 */
static int read_own_cert(struct mesh *m, uint8_t cert[TRUST_CERT_LEN], size_t *cert_len,
			 struct trust_verdict *v, enum trust_reason *r, char *err, size_t errlen)
{
	char path[PATH_MAX];
	uint8_t self_pk[TRUST_KEY_LEN];

	*cert_len = 0;
	if (mg_path_join(path, sizeof(path), m->opts.config_dir, "node.cert"))
		return snprintf(err, errlen, "config directory path too long"), -ENAMETOOLONG;
	if (!mg_path_exists(path))
		return 0;
	if (trust_cert_read(path, cert, cert_len, err, errlen) ||
	    trust_identity_load_public(m->opts.config_dir, self_pk, err, errlen))
		return -EINVAL;
	*r = trust_check_cert(m->store, cert, *cert_len, mg_now_unix(), v);
	if (v->has_cert && memcmp(v->identity, self_pk, TRUST_KEY_LEN)) {
		snprintf(err, errlen, "node.cert: this certificate is for another identity (not "
			 "this node's identity.pub); copy the certificate the org signed for "
			 "this node");
		return -EINVAL;
	}
	return 0;
}

static void warn_own_cert(enum trust_reason r, const struct trust_verdict *v)
{
	char verdict[160];

	if (r == TRUST_R_OK)
		return;
	trust_verdict_format(v, verdict, sizeof(verdict));
	mg_warn("node.cert: our own trust store does not accept it (%s); other nodes may "
		"deny us too", verdict);
}

static int load_own_cert(struct mesh *m)
{
	char err[TRUST_ERR_LEN];
	struct trust_verdict v = { 0 };
	enum trust_reason r = TRUST_R_OK;

	if (read_own_cert(m, m->cert, &m->cert_len, &v, &r, err, sizeof(err)))
		return cli_fail("%s", err);
	if (!m->cert_len)
		return 0;
	snprintf(m->name, sizeof(m->name), "%s", v.name);
	warn_own_cert(r, &v);
	return 0;
}

/* A renewed (or new, or removed) node.cert is presented from now on. */
static void reload_own_cert(struct mesh *m)
{
	uint8_t cert[TRUST_CERT_LEN];
	size_t len;
	char err[TRUST_ERR_LEN];
	struct trust_verdict v = { 0 };
	enum trust_reason r = TRUST_R_OK;
	int ret;

	if (read_own_cert(m, cert, &len, &v, &r, err, sizeof(err))) {
		mg_err("reload failed: %s; still presenting the previous certificate", err);
		return;
	}
	if (len == m->cert_len && !memcmp(cert, m->cert, len))
		return;
	ret = swim_set_cert(m->swim, len ? cert : NULL, len, mg_now_mono_ns(), mg_now_unix());
	if (ret) {
		mg_err("reload: cannot present the new node.cert: %s", strerror(-ret));
		return;
	}
	memcpy(m->cert, cert, len);
	m->cert_len = len;
	snprintf(m->name, sizeof(m->name), "%s", len ? v.name : "");
	if (len)
		mg_info("reload: presenting the new node.cert ('%s')", v.name);
	else
		mg_info("reload: node.cert removed; presenting no certificate");
	if (len)
		warn_own_cert(r, &v);
}

static int parse_endpoints(struct mesh *m)
{
	char err[128];

	if (m->opts.n_seeds > MESH_MAX_SEEDS)
		return cli_usage_error("at most %d --seed options", MESH_MAX_SEEDS);
	for (size_t i = 0; i < m->opts.n_seeds; i++) {
		if (swim_seed_parse(m->opts.seeds[i], &m->seeds[i], m->seed_pk[i],
				    &m->seed_has_pk[i], err, sizeof(err)))
			return cli_usage_error("--seed '%s': %s", m->opts.seeds[i], err);
	}
	m->n_seeds = m->opts.n_seeds;
	if (m->opts.n_advertise > SWIM_MAX_ENDPOINTS)
		return cli_usage_error("at most %d --advertise options", SWIM_MAX_ENDPOINTS);
	for (size_t i = 0; i < m->opts.n_advertise; i++) {
		if (swim_endpoint_parse(m->opts.advertise[i], &m->adv[i]) ||
		    m->adv[i].port == 0)
			return cli_usage_error("--advertise '%s': expected ip:port or [ipv6]:port",
					       m->opts.advertise[i]);
	}
	m->n_adv = m->opts.n_advertise;
	return 0;
}

int mesh_prepare(struct mesh **out, const struct mesh_opts *opts)
{
	struct mesh *m = calloc(1, sizeof(*m));
	char err[TRUST_ERR_LEN];
	int ret;

	*out = NULL;
	if (!m)
		return cli_fail("out of memory");
	m->opts = *opts;
	m->denied_rl = (struct mg_ratelimit)MG_RATELIMIT_INIT(1000000000ull, 20);
	randombytes_buf(m->hash_key, sizeof(m->hash_key));
	if (opts->wan)
		swim_config_wan(&m->cfg);
	else
		swim_config_lan(&m->cfg);
	if (trust_store_load(opts->config_dir, &m->store, err, sizeof(err))) {
		free(m);
		return cli_fail("%s", err);
	}
	if (!opts->open && store_is_empty(m->store) && !opts->n_static) {
		ret = cli_fail("no trusted peers and no trusted orgs in %s: every node would be "
			       "denied. Add one with `meshguard trust <key>` or "
			       "`meshguard trust --org <key>`, or start with --open to admit "
			       "anyone (not recommended)",
			       opts->config_dir);
		mesh_free(m);
		return ret;
	}
	if ((ret = load_own_cert(m)) || (ret = parse_endpoints(m))) {
		mesh_free(m);
		return ret;
	}
	if (mg_path_join(m->cache_path, sizeof(m->cache_path), opts->config_dir,
			 "state/members.cache")) {
		mesh_free(m);
		return cli_fail("config directory path too long");
	}
	*out = m;
	return 0;
}

/* ---- Start --------------------------------------------------------------------------- */

static bool in_mesh_prefix(const struct ifaddrs *ifa)
{
	const uint8_t *a;

	if (ifa->ifa_addr->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
		return a[0] == 10 && a[1] == 99;
	}
	a = (const uint8_t *)&((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
	return (a[0] == 0xfd && a[1] == 0x99 && a[2] == 0x6d && a[3] == 0x67) ||
	       (a[0] == 0xfe && (a[1] & 0xc0) == 0x80); /* mesh or link-local */
}

/* Without --advertise: the addresses of our other interfaces, else loopback. */
static void autodetect_endpoints(struct mesh *m, uint16_t port, const char *own_ifname)
{
	struct ifaddrs *list, *ifa;
	struct swim_endpoint lo[2];
	size_t n_lo = 0;

	if (getifaddrs(&list) != 0)
		return;
	for (ifa = list; ifa && m->n_adv < SWIM_MAX_ENDPOINTS; ifa = ifa->ifa_next) {
		struct swim_endpoint ep = { .port = port };
		if (!ifa->ifa_addr || !(ifa->ifa_flags & IFF_UP) ||
		    (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6))
			continue;
		if ((own_ifname && !strcmp(ifa->ifa_name, own_ifname)) || in_mesh_prefix(ifa))
			continue;
		wg_to_swim((const union wg_endpoint *)ifa->ifa_addr, &ep);
		ep.port = port;
		if (ifa->ifa_flags & IFF_LOOPBACK) {
			if (n_lo < 2)
				lo[n_lo++] = ep;
			continue;
		}
		m->adv[m->n_adv++] = ep;
	}
	freeifaddrs(list);
	for (size_t i = 0; m->n_adv == 0 && i < n_lo; i++)
		m->adv[m->n_adv++] = lo[i];
}

static void log_summary(struct mesh *m, uint16_t port)
{
	struct trust_store_counts c;
	char buf[1024], ep[64];
	size_t off = 0;

	trust_store_counts(m->store, &c);
	mg_info("trust: %s (%zu authorized keys, %zu trusted orgs, %zu revocations, %zu vouches)%s",
		mesh_trust_mode(m), c.keys, c.orgs, c.revocations, c.vouches,
		m->cert_len ? "; presenting node.cert" : "");
	buf[0] = '\0';
	for (size_t i = 0; i < m->n_adv && off < sizeof(buf) - 64; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? ", " : "",
					swim_endpoint_format(&m->adv[i], ep, sizeof(ep)));
	mg_info("gossip: UDP port %u, announcing %s", port, m->n_adv ? buf : "(no endpoint)");
	off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < m->n_seeds && off < sizeof(buf) - 64; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? ", " : "",
					swim_endpoint_format(&m->seeds[i], ep, sizeof(ep)));
	mg_info("seeds: %s", m->n_seeds ? buf : "(none: waiting for others to join us)");
}

static void init_timer(struct mesh *m, uv_timer_t *t)
{
	uv_timer_init(m->loop, t);
	t->data = m;
	m->open_handles++;
}

int mesh_start(struct mesh *m, uv_loop_t *loop, struct wg_device *dev,
	       const uint8_t identity_secret[64], const struct wg_prefix *addr4)
{
	struct wg_device_info info;
	struct swim_self self = { .secret = identity_secret };
	struct swim_ops ops = { .send = op_send, .random = op_random, .admit = op_admit,
				.org_message = op_org_message, .event = op_event };
	uint64_t now = mg_now_mono_ns();
	int ret;

	m->loop = loop;
	m->dev = dev;
	m->addr4 = *addr4;
	m->self_v4_on = true;
	memcpy(m->identity, identity_secret + 32, TRUST_KEY_LEN);
	wg_device_get_info(dev, &info);
	memcpy(m->wg_public, info.public_key, TRUST_KEY_LEN);
	if (!m->n_adv)
		autodetect_endpoints(m, info.listen_port, info.ifname[0] ? info.ifname : NULL);
	memcpy(self.wg_key, info.public_key, TRUST_KEY_LEN);
	self.cert = m->cert_len ? m->cert : NULL;
	self.cert_len = m->cert_len;
	self.endpoints = m->adv;
	self.n_endpoints = m->n_adv;
	ret = swim_create(&m->swim, &m->cfg, &self, &ops, m, now, mg_now_unix());
	if (ret)
		return cli_fail("cannot start the membership protocol: %s", strerror(-ret));
	init_timer(m, &m->tick_timer);
	init_timer(m, &m->cache_timer);
	init_timer(m, &m->leave_timer);
	m->started = true;
	cache_load(m);
	for (size_t i = 0; i < m->n_seeds; i++)
		swim_add_seed(m->swim, &m->seeds[i], m->seed_has_pk[i] ? m->seed_pk[i] : NULL);
	publish_org_messages(m);
	ret = wg_device_register_handler(dev, SWIM_ENVELOPE, on_datagram, m);
	if (ret)
		return cli_fail("cannot receive gossip on the UDP port: %s", strerror(-ret));
	log_summary(m, info.listen_port);
	uv_timer_start(&m->cache_timer, on_cache_timer, MESH_CACHE_SAVE_MS, MESH_CACHE_SAVE_MS);
	kick(m);
	return 0;
}

/* ---- Reload ------------------------------------------------------------------------- */

void mesh_reload(struct mesh *m)
{
	struct trust_store_counts c;
	char err[TRUST_ERR_LEN];
	uint8_t before[32];

	memcpy(before, m->msg_digest, sizeof(before));
	if (trust_store_reload(m->store, err, sizeof(err))) {
		mg_err("reload failed: %s; keeping the previous trust state", err);
		return;
	}
	trust_store_counts(m->store, &c);
	mg_info("reload: %zu authorized keys, %zu trusted orgs, %zu revocations, %zu vouches",
		c.keys, c.orgs, c.revocations, c.vouches);
	if (!m->opts.open && c.keys == 0 && c.orgs == 0)
		mg_warn("reload: no authorized keys and no trusted orgs: every member is denied");
	if (!m->swim)
		return;
	trust_store_msg_digest(m->store, m->msg_digest);
	if (memcmp(before, m->msg_digest, sizeof(before)))
		publish_org_messages(m);
	reload_own_cert(m);
	swim_recheck_trust(m->swim, mg_now_mono_ns(), mg_now_unix());
	kick(m);
}

/* ---- Leave, close ---------------------------------------------------------------------- */

static void on_leave_timer(uv_timer_t *t)
{
	struct mesh *m = t->data;

	if (m->leave_done)
		m->leave_done(m->leave_ctx);
}

void mesh_leave(struct mesh *m, void (*done)(void *ctx), void *ctx)
{
	uint64_t now = mg_now_mono_ns(), until;

	m->leave_done = done;
	m->leave_ctx = ctx;
	if (!m->started || m->closing) {
		done(ctx);
		return;
	}
	until = swim_leave(m->swim, now, mg_now_unix());
	mg_info("leaving the mesh (telling the members)");
	kick(m);
	uv_timer_start(&m->leave_timer, on_leave_timer, until > now ? (until - now) / 1000000 : 0,
		       0);
}

static void on_closed(uv_handle_t *h)
{
	struct mesh *m = h->data;

	m->open_handles--;
}

void mesh_close(struct mesh *m)
{
	if (!m || m->closing)
		return;
	m->closing = true;
	if (!m->started)
		return;
	if (m->dev)
		wg_device_register_handler(m->dev, SWIM_ENVELOPE, NULL, NULL);
	cache_save(m);
	uv_close((uv_handle_t *)&m->tick_timer, on_closed);
	uv_close((uv_handle_t *)&m->cache_timer, on_closed);
	uv_close((uv_handle_t *)&m->leave_timer, on_closed);
	swim_destroy(m->swim);
	m->swim = NULL;
}

void mesh_free(struct mesh *m)
{
	if (!m)
		return;
	if (m->swim)
		swim_destroy(m->swim);
	trust_store_free(m->store);
	free(m->tab);
	sodium_memzero(m, sizeof(*m));
	free(m);
}

/* ---- Status -------------------------------------------------------------------------- */

struct status_ctx {
	struct mesh *m;
	json_t *arr;
};

static const char *kind_name(const struct mentry *e)
{
	if (!e || !e->admitted)
		return "denied";
	if (e->open)
		return "open";
	switch (e->kind) {
	case TRUST_AUTHORIZED_KEY:
		return "key";
	case TRUST_ORG_CERT:
		return "org";
	case TRUST_VOUCH:
		return "vouch";
	case TRUST_DENIED:
		break;
	}
	return "denied";
}

static void status_peer_fields(struct mesh *m, const struct mentry *e, json_t *o)
{
	struct wg_peer_status st;
	char ep[WG_DEVICE_ENDPOINT_STRLEN];
	bool have = e && e->configured && wg_device_peer_status(m->dev, e->wg, &st) == 0;

	json_object_set_new(o, "peer", json_boolean(have));
	json_object_set_new(o, "session", json_boolean(have && st.has_session));
	json_object_set_new(o, "last_handshake", json_integer(have ? st.last_handshake.tv_sec : 0));
	json_object_set_new(o, "rx_bytes", json_integer(have ? (json_int_t)st.rx_bytes : 0));
	json_object_set_new(o, "tx_bytes", json_integer(have ? (json_int_t)st.tx_bytes : 0));
	if (have && st.endpoint.sa.sa_family != AF_UNSPEC) {
		wg_endpoint_format(&st.endpoint, ep);
		json_object_set_new(o, "endpoint", json_string(ep));
	}
}

static bool status_member(void *arg, const struct swim_member_info *mi)
{
	struct status_ctx *sc = arg;
	const struct mentry *e = tab_find(sc->m, mi->identity);
	json_t *o = json_object(), *ann = json_array();
	char a4[TRUST_ADDR_STR_LEN], a6[TRUST_ADDR_STR_LEN];

	if (!o || !ann) {
		json_decref(o);
		json_decref(ann);
		return false;
	}
	trust_mesh_ipv4_str(mi->identity, a4);
	trust_mesh_ipv6_str(mi->identity, a6);
	for (size_t i = 0; i < mi->n_endpoints; i++)
		json_array_append_new(ann, json_swim_ep(&mi->endpoints[i]));
	json_object_set_new(o, "identity", json_b64(mi->identity));
	json_object_set_new(o, "name", json_string(mi->name ? mi->name : ""));
	json_object_set_new(o, "mesh_ipv4", e && !e->v4_ok ? json_null() : json_string(a4));
	json_object_set_new(o, "mesh_ipv6", json_string(a6));
	json_object_set_new(o, "state", json_string(swim_state_name(mi->state)));
	json_object_set_new(o, "incarnation", json_integer((json_int_t)mi->incarnation));
	json_object_set_new(o, "endpoint", json_swim_ep(&mi->addr));
	json_object_set_new(o, "swim_addr", json_swim_ep(&mi->addr));
	json_object_set_new(o, "announced", ann);
	json_object_set_new(o, "trust", json_string(kind_name(e)));
	json_object_set_new(o, "trust_path", json_string(mi->trust_path ? mi->trust_path : ""));
	json_object_set_new(o, "wg_public_key", json_b64(mi->wg_key));
	status_peer_fields(sc->m, e, o); /* overrides "endpoint" with WireGuard's */
	json_array_append_new(sc->arr, o);
	return true;
}

void mesh_status(struct mesh *m, json_t *reply)
{
	struct status_ctx sc = { .m = m, .arr = json_array() };
	struct swim_stats st;
	json_t *coll = json_null();

	json_object_set_new(reply, "name", json_string(m->name));
	json_object_set_new(reply, "trust_mode", json_string(mesh_trust_mode(m)));
	if (m->self_v4_collision)
		coll = json_pack("{s:b,s:o}", "kept", m->self_v4_on, "with",
				 json_b64(m->self_v4_other));
	json_object_set_new(reply, "ipv4_collision", coll ? coll : json_null());
	if (!m->swim || !sc.arr) {
		json_decref(sc.arr);
		return;
	}
	if (!m->self_v4_on && !m->opts.gossip_only)
		json_object_set_new(reply, "mesh_ipv4", json_null());
	json_object_set_new(reply, "incarnation", json_integer((json_int_t)swim_incarnation(m->swim)));
	swim_member_foreach(m->swim, status_member, &sc);
	json_object_set_new(reply, "members", sc.arr);
	swim_get_stats(m->swim, &st);
	json_object_set_new(
		reply, "swim",
		json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			  "members", (json_int_t)swim_member_count(m->swim), "alive",
			  (json_int_t)swim_member_count_state(m->swim, SWIM_ALIVE), "suspect",
			  (json_int_t)swim_member_count_state(m->swim, SWIM_SUSPECT), "dead",
			  (json_int_t)swim_member_count_state(m->swim, SWIM_DEAD), "left",
			  (json_int_t)swim_member_count_state(m->swim, SWIM_LEFT), "tx_packets",
			  (json_int_t)st.tx_packets, "rx_packets", (json_int_t)st.rx_packets,
			  "tx_bytes", (json_int_t)st.tx_bytes, "rx_bytes", (json_int_t)st.rx_bytes,
			  "rx_malformed", (json_int_t)st.rx_malformed, "rx_bad_mac",
			  (json_int_t)st.rx_bad_mac, "rx_auth_fail", (json_int_t)st.rx_auth_fail,
			  "rx_untrusted", (json_int_t)st.rx_untrusted, "rx_replay",
			  (json_int_t)st.rx_replay, "rx_rate_limited", (json_int_t)st.rx_rate_limited,
			  "org_new", (json_int_t)st.org_new, "org_stored",
			  (json_int_t)st.org_stored));
}
