/* SPDX-License-Identifier: MIT */
/*
 * Pairwise sessions and the envelope (docs/protocol-swim.md, "Envelope").
 *
 *   HELLO / HELLO_REPLY  an address-only joiner learns a seed's identity key.
 *   INIT                 first datagram to a peer that may not know our
 *                        current record: our identity is encrypted to the
 *                        receiver under an ephemeral key, the payload under a
 *                        key that also needs the static-static secret, and
 *                        mac1 (keyed by the receiver's public key) lets the
 *                        receiver reject garbage before any public-key work.
 *   DATA                 everything else: an 8-byte pair id (derived from the
 *                        pair secret, so it names nobody), a counter (replay
 *                        window), ChaCha20-Poly1305 under a direction key
 *                        bound to both sides' boot salts.
 *
 * Order of checks on receipt, cheapest first: envelope and length, mac1 or
 * pair-id lookup, rate limits, then X25519, then AEAD, then the replay
 * window, then the record signature and the trust verdict, then the frames.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "crypto.h"
#include "swim_int.h"

static void dispatch(struct swim *s, struct member *m, const uint8_t *pt, size_t len,
		     bool skip_first);

/* ---- Session keys. */

void session_unregister(struct swim *s, struct member *m)
{
	if (m->rx_registered) {
		kmap_del(&s->pairs, &m->rx_id);
		m->rx_registered = false;
	}
}

int session_prepare(struct swim *s, struct member *m)
{
	if (!m->x_ok) {
		if (swc_ed_to_x(m->pk, m->x) < 0)
			return -1;
		m->x_ok = true;
	}
	if (!m->m_ok) {
		if (swc_pair_master(m->m, s->xsk, s->pk, m->x, m->pk) < 0)
			return -1;
		m->m_ok = true;
	}
	if (m->rec && (!m->dir_ok || memcmp(m->dir_salt, m->rv.salt, W_SALT) != 0)) {
		/* New session: the peer (re)started with a new salt, or first use. */
		session_unregister(s, m);
		swc_direction(m->m, s->pk, s->salt, m->pk, m->rv.salt, m->tx_key, &m->tx_id);
		swc_direction(m->m, m->pk, m->rv.salt, s->pk, s->salt, m->rx_key, &m->rx_id);
		memcpy(m->dir_salt, m->rv.salt, W_SALT);
		m->dir_ok = true;
		m->tx_ctr = 0;
		m->rx_max = 0;
		m->rx_any = false;
		memset(m->rx_bits, 0, sizeof(m->rx_bits));
		m->their_view = 0;
		if (kmap_get(&s->pairs, &m->rx_id)) {
			/* 2^-64 per pair; the peer falls back to handshakes */
			swim_log_limited(s, MG_LOG_WARN, "swim: pair id collision; using handshakes");
		} else if (kmap_put(&s->pairs, m) == 0) {
			m->rx_registered = true;
		}
	}
	return 0;
}

void session_reset(struct swim *s, struct member *m)
{
	session_unregister(s, m);
	m->dir_ok = false;
	m->their_view = 0;
	sodium_memzero(m->tx_key, sizeof(m->tx_key));
	sodium_memzero(m->rx_key, sizeof(m->rx_key));
}

/* ---- Replay window (RFC 6479 style, 256 counters). */

static bool window_check(const struct member *m, uint64_t ctr)
{
	if (ctr == 0)
		return false;
	if (!m->rx_any || ctr > m->rx_max)
		return true;
	uint64_t d = m->rx_max - ctr;
	if (d >= 256)
		return false;
	return !(m->rx_bits[d / 64] >> (d % 64) & 1);
}

static void window_update(struct member *m, uint64_t ctr)
{
	if (!m->rx_any || ctr > m->rx_max) {
		uint64_t shift = m->rx_any ? ctr - m->rx_max : 256;
		if (shift >= 256) {
			memset(m->rx_bits, 0, sizeof(m->rx_bits));
		} else {
			/* shift the 256-bit window left by `shift` (bit d = counter rx_max - d) */
			while (shift--) {
				for (int w = 3; w > 0; w--)
					m->rx_bits[w] = m->rx_bits[w] << 1 | m->rx_bits[w - 1] >> 63;
				m->rx_bits[0] <<= 1;
			}
		}
		m->rx_max = ctr;
		m->rx_any = true;
		m->rx_bits[0] |= 1;
		return;
	}
	uint64_t d = m->rx_max - ctr;
	m->rx_bits[d / 64] |= 1ull << (d % 64);
}

/* ---- Rate limits for handshakes (before any public-key operation). */

static bool bucket_take(uint32_t *tokens_milli, uint64_t *last, uint64_t now, uint32_t rate,
			uint32_t burst)
{
	uint64_t cap = (uint64_t)burst * 1000;
	if (now > *last) {
		uint64_t ms = (now - *last) / 1000000;
		/* `rate` tokens per second = `rate` milli-tokens per millisecond */
		uint64_t t = *tokens_milli + ms * rate;
		*tokens_milli = (uint32_t)(t > cap ? cap : t);
		*last += ms * 1000000;
	}
	if (*tokens_milli < 1000)
		return false;
	*tokens_milli -= 1000;
	return true;
}

static void rl_evict_oldest(struct swim *s)
{
	struct rl_src *old = NULL;
	for (size_t i = 0; i < s->rl.cap; i++) {
		struct rl_src *r = s->rl.slots[i];
		if (r && (!old || r->last_ns < old->last_ns))
			old = r;
	}
	if (old) {
		kmap_del(&s->rl, old->key);
		free(old);
	}
}

/* Forget sources whose bucket has refilled completely: they cost nothing to re-create. */
void rl_gc(struct swim *s)
{
	uint64_t full_ns = (uint64_t)s->cfg.unknown_burst * 1000000000ull / s->cfg.unknown_rate_per_s;
	for (size_t i = 0; s->rl.count && i < s->rl.cap;) {
		struct rl_src *r = s->rl.slots[i];
		if (r && s->now - r->last_ns > full_ns) {
			kmap_del(&s->rl, r->key); /* backward shift may refill slot i */
			free(r);
			continue;
		}
		i++;
	}
}

/* Buckets are per source address, any port. */
static void rl_key(uint8_t key[17], const struct swim_endpoint *from)
{
	key[0] = from->family;
	memcpy(key + 1, from->addr, 16);
}

bool rl_allow(struct swim *s, const struct swim_endpoint *from)
{
	uint8_t key[17];
	struct rl_src *r;

	rl_key(key, from);
	r = kmap_get(&s->rl, key);
	if (!r) {
		if (s->rl.count >= s->cfg.max_rate_sources) {
			s->st.limit_rate_table++;
			swim_log_limited(s, MG_LOG_WARN,
					 "swim: handshake rate table full (max_rate_sources %zu): "
					 "forgetting the oldest source",
					 s->cfg.max_rate_sources);
			rl_evict_oldest(s);
		}
		r = calloc(1, sizeof(*r));
		if (!r)
			return false; /* out of memory: refuse, never fail open */
		memcpy(r->key, key, sizeof(key));
		r->tokens_milli = s->cfg.unknown_burst * 1000;
		r->last_ns = s->now;
		if (kmap_put(&s->rl, r) < 0) {
			free(r);
			return false;
		}
	}
	return bucket_take(&r->tokens_milli, &r->last_ns, s->now, s->cfg.unknown_rate_per_s,
			   s->cfg.unknown_burst);
}

/* A handshake that proved to come from a trusted member gives its token back:
 * the per-source limit is for strangers, and members behind one address (a
 * NAT, or many daemons on one host) must not starve each other. */
static void rl_refund(struct swim *s, const struct swim_endpoint *from)
{
	uint8_t key[17];
	struct rl_src *r;

	rl_key(key, from);
	if ((r = kmap_get(&s->rl, key)) && r->tokens_milli + 1000 <= s->cfg.unknown_burst * 1000)
		r->tokens_milli += 1000;
}

static bool init_budget(struct swim *s)
{
	return bucket_take(&s->init_tokens_milli, &s->init_last_ns, s->now, s->cfg.init_rate_per_s,
			   s->cfg.init_rate_per_s);
}

/* ---- Outgoing datagrams. */

size_t out_room(const struct out *o)
{
	return o->cap > o->len ? o->cap - o->len : 0;
}

bool out_frame(struct out *o, uint8_t type, const uint8_t *body, size_t len)
{
	if (out_room(o) < W_FRAME_HDR + len || len > UINT16_MAX)
		return false;
	o->pt[o->len] = type;
	mg_store_le16(o->pt + o->len + 1, (uint16_t)len);
	if (len)
		memcpy(o->pt + o->len + W_FRAME_HDR, body, len);
	o->len += W_FRAME_HDR + len;
	o->frames++;
	return true;
}

/*
 * Start a datagram to m. DATA once the peer has shown (in the header of a
 * packet from it) that it holds our record of this boot; INIT otherwise.
 * `limit` (0 = none) caps the whole datagram; while s->reply_capped, so does
 * what is left of the reply budget.
 */
bool out_begin(struct swim *s, struct out *o, struct member *m, size_t limit)
{
	size_t total = s->cfg.max_datagram;

	o->to = m;
	o->len = 0;
	o->frames = 0;
	o->min_total = 0;
	o->cap = 0;
	if (session_prepare(s, m) < 0)
		return false;
	o->init = !(m->dir_ok && m->their_view >= s->inc0);
	if (limit && limit < total)
		total = limit;
	if (s->reply_capped && s->reply_budget < total)
		total = s->reply_budget;
	size_t overhead = o->init ? W_INIT_OVERHEAD : W_DATA_OVERHEAD;
	if (total < overhead + W_PAYLOAD_HDR)
		return false;
	o->cap = total - overhead;
	mg_store_le64(o->pt, m->rec ? m->rv.inc : 0);
	o->len = W_PAYLOAD_HDR;
	if ((o->init || m->their_view < s->inc) &&
	    !out_frame(o, F_RECORD, s->rec, s->rec_len))
		return false;
	if (o->init && !m->rec && !limit && !s->reply_capped)
		o->min_total = s->cfg.max_datagram; /* room for the seed's answer, see protocol doc */
	/* A member we hold as suspect or dead gets the claim, so it can refute (rate-limited). */
	if (m->claim && (m->state == SWIM_SUSPECT || m->state == SWIM_DEAD) &&
	    (!m->last_nudge_ns || s->now - m->last_nudge_ns >= s->cfg.probe_interval_ns)) {
		if (out_frame(o, m->state == SWIM_DEAD ? F_DEAD : F_SUSPECT, m->claim, W_CLAIM))
			m->last_nudge_ns = s->now;
	}
	o->frames = 0; /* what the caller adds decides whether the datagram is worth sending */
	return true;
}

void out_piggyback(struct swim *s, struct out *o)
{
	bq_fill(s, o);
}

static const struct swim_endpoint *dest_of(const struct member *m, struct swim_endpoint *tmp)
{
	if (m->addr_ok)
		return &m->addr;
	if (m->rec && m->rv.n_eps && wire_get_endpoint(m->rv.eps, tmp) == 0)
		return tmp;
	return NULL;
}

static size_t seal_init(struct swim *s, struct member *m, const uint8_t *pt, size_t len,
			uint8_t *dg)
{
	uint8_t esk[32], es[32], k[32];
	size_t total = W_INIT_CT_OFF + len + W_TAG + W_MAC;
	uint8_t mk[32];

	s->ops.random(s->ctx, esk, sizeof(esk));
	dg[0] = SWIM_ENVELOPE;
	dg[1] = WK_INIT;
	swc_ephemeral_pub(dg + W_INIT_E_OFF, esk);
	if (swc_dh(es, esk, m->x) < 0) {
		total = 0;
		goto out;
	}
	swc_init_id_key(k, es, dg + W_INIT_E_OFF, m->pk);
	swc_seal(dg + W_INIT_ID_OFF, s->pk, 32, dg, W_INIT_ID_OFF, 0, k);
	mg_store_le64(dg + W_INIT_CTR_OFF, ++s->init_ctr);
	swc_init_payload_key(k, m->m, es, dg + W_INIT_E_OFF, s->pk, m->pk);
	swc_seal(dg + W_INIT_CT_OFF, pt, len, dg, W_INIT_CT_OFF, 0, k);
	swc_mac1_key(mk, m->pk);
	swc_mac1(dg + total - W_MAC, mk, dg, total - W_MAC);
	s->st.handshakes_sent++;
out:
	sodium_memzero(esk, sizeof(esk));
	sodium_memzero(es, sizeof(es));
	sodium_memzero(k, sizeof(k));
	return total;
}

static size_t seal_data(struct member *m, const uint8_t *pt, size_t len, uint8_t *dg)
{
	uint64_t ctr = ++m->tx_ctr;
	dg[0] = SWIM_ENVELOPE;
	dg[1] = WK_DATA;
	mg_store_le64(dg + W_DATA_ID_OFF, m->tx_id);
	mg_store_le64(dg + W_DATA_CTR_OFF, ctr);
	swc_seal(dg + W_DATA_CT_OFF, pt, len, dg, W_DATA_CT_OFF, ctr, m->tx_key);
	return W_DATA_CT_OFF + len + W_TAG;
}

void out_flush(struct swim *s, struct out *o)
{
	struct swim_endpoint tmp;
	const struct swim_endpoint *to;
	size_t n;

	if (!o->to || o->len <= W_PAYLOAD_HDR)
		goto done;
	if (o->min_total) {
		size_t want = o->min_total - W_INIT_OVERHEAD;
		if (want > o->cap)
			want = o->cap;
		if (o->len + W_FRAME_HDR <= want) {
			size_t pad = want - o->len - W_FRAME_HDR;
			memset(o->pt + o->len + W_FRAME_HDR, 0, pad);
			o->pt[o->len] = F_PAD;
			mg_store_le16(o->pt + o->len + 1, (uint16_t)pad);
			o->len += W_FRAME_HDR + pad;
		}
	}
	to = dest_of(o->to, &tmp);
	if (!to)
		goto done;
	n = (o->init ? W_INIT_OVERHEAD : W_DATA_OVERHEAD) + o->len;
	if (s->reply_capped && n > s->reply_budget) {
		s->st.tx_capped++; /* a second packer outgrew what the first one left */
		goto done;
	}
	n = o->init ? seal_init(s, o->to, o->pt, o->len, s->dgram)
		    : seal_data(o->to, o->pt, o->len, s->dgram);
	if (n) {
		s->st.tx_packets++;
		s->st.tx_bytes += n;
		if (s->reply_capped)
			s->reply_budget -= n;
		s->ops.send(s->ctx, to, s->dgram, n);
	}
done:
	o->len = 0;
	o->frames = 0;
	o->to = NULL;
}

/* ---- HELLO. */

void session_send_hello(struct swim *s, struct contact *c)
{
	uint8_t dg[W_HELLO_LEN] = { SWIM_ENVELOPE, WK_HELLO };

	s->ops.random(s->ctx, c->nonce, sizeof(c->nonce));
	memcpy(dg + 2, c->nonce, sizeof(c->nonce));
	c->hello_out = true;
	s->st.tx_packets++;
	s->st.tx_bytes += sizeof(dg);
	s->ops.send(s->ctx, &c->addr, dg, sizeof(dg));
}

static void on_hello(struct swim *s, const struct swim_endpoint *from, const uint8_t *buf,
		     size_t len)
{
	uint8_t rep[W_HELLO_REPLY_LEN];

	if (len != W_HELLO_LEN || !sodium_is_zero(buf + 2 + W_HELLO_NONCE,
						   W_HELLO_LEN - 2 - W_HELLO_NONCE)) {
		s->st.rx_malformed++;
		return;
	}
	if (!s->cfg.answer_hello)
		return;
	if (!rl_allow(s, from)) {
		s->st.rx_rate_limited++;
		return;
	}
	rep[0] = SWIM_ENVELOPE;
	rep[1] = WK_HELLO_REPLY;
	memcpy(rep + 2, buf + 2, W_HELLO_NONCE);
	memcpy(rep + 2 + W_HELLO_NONCE, s->pk, 32);
	s->st.tx_packets++;
	s->st.tx_bytes += sizeof(rep);
	s->ops.send(s->ctx, from, rep, sizeof(rep)); /* 50 bytes for 96: no amplification */
}


static void on_hello_reply(struct swim *s, const struct swim_endpoint *from, const uint8_t *buf,
			   size_t len)
{
	if (len != W_HELLO_REPLY_LEN) {
		s->st.rx_malformed++;
		return;
	}
	for (size_t i = 0; i < s->ncontacts; i++) {
		struct contact *c = &s->contacts[i];
		if (c->hello_out && swim_endpoint_equal(&c->addr, from) &&
		    sodium_memcmp(c->nonce, buf + 2, W_HELLO_NONCE) == 0) {
			swim_contact_hello_reply(s, c, buf + 2 + W_HELLO_NONCE);
			return;
		}
	}
	s->st.rx_stale++; /* unsolicited or late */
}

/* ---- INIT. */

static void repair_stale_self(struct swim *s, struct member *m)
{
	/* The peer announced a record of itself older than the one we hold (it
	 * restarted with a lower incarnation): hand it the newer one so that it
	 * can move past it. Rate-limited per member. */
	struct out *o = &s->out2;
	if (m->last_nudge_ns && s->now - m->last_nudge_ns < s->cfg.probe_interval_ns)
		return;
	m->last_nudge_ns = s->now;
	m->their_view = 0;
	if (!out_begin(s, o, m, 0))
		return;
	out_frame(o, F_RECORD, m->rec, m->rv.len);
	out_flush(s, o);
}

/* Steps 1-4 of an INIT: mac1, rate limits, the sender's identity, the payload.
 * On success the plaintext is in s->rxbuf and the pair master key in `master`. */
static bool init_open(struct swim *s, const struct swim_endpoint *from, const uint8_t *buf,
		      size_t len, uint8_t pk[32], uint8_t master[32], uint8_t x[32])
{
	uint8_t mac[W_MAC], es[32], k[32];
	struct member tmp, *m;
	bool ok = false;

	/* 1. mac1: only someone who knows our public key gets past this. */
	swc_mac1(mac, s->mac1_key, buf, len - W_MAC);
	if (sodium_memcmp(mac, buf + len - W_MAC, W_MAC) != 0) {
		s->st.rx_bad_mac++;
		return false;
	}
	/* 2. Rate limits before the first X25519. */
	if (!rl_allow(s, from) || !init_budget(s)) {
		s->st.rx_rate_limited++;
		return false;
	}
	/* 3. Who is it? es = X25519(our static, e). */
	memset(&tmp, 0, sizeof(tmp));
	if (swc_dh(es, s->xsk, buf + W_INIT_E_OFF) < 0)
		goto out;
	swc_init_id_key(k, es, buf + W_INIT_E_OFF, s->pk);
	if (swc_open(pk, buf + W_INIT_ID_OFF, 32 + W_TAG, buf, W_INIT_ID_OFF, 0, k) < 0 ||
	    memcmp(pk, s->pk, 32) == 0)
		goto out;
	/* 4. The payload key needs the static-static secret: proves the sender holds pk's key. */
	if (!(m = member_find(s, pk))) {
		memcpy(tmp.pk, pk, 32);
		m = &tmp;
	}
	if (session_prepare(s, m) < 0)
		goto out;
	memcpy(master, m->m, 32);
	memcpy(x, m->x, 32);
	swc_init_payload_key(k, master, es, buf + W_INIT_E_OFF, pk, s->pk);
	ok = swc_open(s->rxbuf, buf + W_INIT_CT_OFF, len - W_INIT_OVERHEAD + W_TAG, buf,
		      W_INIT_CT_OFF, 0, k) == 0;
out:
	if (!ok)
		s->st.rx_auth_fail++;
	sodium_memzero(es, sizeof(es));
	sodium_memzero(k, sizeof(k));
	sodium_memzero(&tmp, sizeof(tmp));
	return ok;
}

/* Steps 5-7: the sender's record first, replay, trust; then the frames. */
static void on_init(struct swim *s, const struct swim_endpoint *from, const uint8_t *buf,
		    size_t len)
{
	uint8_t pk[32], master[32], x[32], ft;
	const uint8_t *pt = s->rxbuf, *body;
	size_t ptlen, blen;
	struct member *m, *mm = NULL;
	struct rec_view rv;
	uint64_t ctr;

	if (len < W_INIT_OVERHEAD + W_PAYLOAD_HDR) {
		s->st.rx_malformed++;
		return;
	}
	ptlen = len - W_INIT_OVERHEAD;
	ctr = mg_load_le64(buf + W_INIT_CTR_OFF);
	if (!init_open(s, from, buf, len, pk, master, x))
		return;
	s->st.handshakes_received++;
	m = member_find(s, pk);
	bool known = m && !m->provisional;

	/* 5. The first frame is the sender's own signed record. */
	struct frame_iter it = { pt + W_PAYLOAD_HDR, ptlen - W_PAYLOAD_HDR, 0 };
	if (frame_next(&it, &ft, &body, &blen) != 1 || ft != F_RECORD ||
	    wire_record_parse(body, blen, &rv) < 0 || memcmp(rv.pk, pk, 32) != 0) {
		s->st.rx_malformed++;
		goto out;
	}
	/* 6. Replay: a handshake must be newer than the last one of the same boot. */
	if (known && memcmp(m->init_salt, rv.salt, W_SALT) == 0 && ctr <= m->init_ctr) {
		s->st.rx_replay++;
		goto out;
	}
	/* 7. Signature and trust. */
	switch (member_apply_record(s, body, blen, &mm)) {
	case REC_NEW:
	case REC_UPDATED:
	case REC_DUP:
		break;
	case REC_STALE:
		s->st.rx_stale++;
		if ((mm = member_find(s, pk)) && !mm->provisional && mm->rv.inc > rv.inc)
			repair_stale_self(s, mm);
		goto out;
	case REC_DENIED:
		goto out; /* counted and logged by member_apply_record */
	default:
		s->st.rx_malformed++;
		goto out;
	}
	if (!(m = member_find(s, pk)) || m->provisional)
		goto out;
	rl_refund(s, from);
	if (!m->m_ok) { /* a member created by this handshake: keep what we derived */
		memcpy(m->m, master, 32);
		memcpy(m->x, x, 32);
		m->m_ok = m->x_ok = true;
	}
	if (session_prepare(s, m) < 0)
		goto out;
	memcpy(m->init_salt, rv.salt, W_SALT);
	m->init_ctr = ctr;
	m->addr = *from;
	m->addr_ok = true;
	m->last_rx_ns = s->now;
	if (mg_load_le64(pt) > m->their_view)
		m->their_view = mg_load_le64(pt);
	/* All replies to a sender we had no state for fit in the size of its datagram. */
	s->reply_capped = !known;
	s->reply_budget = len;
	dispatch(s, m, pt, ptlen, true);
	s->reply_capped = false;
out:
	sodium_memzero(master, sizeof(master));
}

/* ---- DATA. */

static void on_data(struct swim *s, const struct swim_endpoint *from, const uint8_t *buf,
		    size_t len)
{
	uint64_t id, ctr;
	struct member *m;
	size_t ptlen;

	if (len < W_DATA_OVERHEAD + W_PAYLOAD_HDR) {
		s->st.rx_malformed++;
		return;
	}
	id = mg_load_le64(buf + W_DATA_ID_OFF);
	m = kmap_get(&s->pairs, &id);
	if (!m) {
		s->st.rx_unknown_pair++;
		return;
	}
	ctr = mg_load_le64(buf + W_DATA_CTR_OFF);
	if (!window_check(m, ctr)) {
		s->st.rx_replay++;
		return;
	}
	ptlen = len - W_DATA_OVERHEAD;
	if (swc_open(s->rxbuf, buf + W_DATA_CT_OFF, ptlen + W_TAG, buf, W_DATA_CT_OFF, ctr,
		     m->rx_key) < 0) {
		s->st.rx_auth_fail++;
		return;
	}
	bool fresh = !m->rx_any || ctr > m->rx_max;
	window_update(m, ctr);
	if (fresh && (!m->addr_ok || !swim_endpoint_equal(&m->addr, from))) {
		m->addr = *from; /* roaming: follow the newest authenticated packet */
		m->addr_ok = true;
	}
	m->last_rx_ns = s->now;
	uint64_t view = mg_load_le64(s->rxbuf);
	if (view > m->their_view)
		m->their_view = view;
	dispatch(s, m, s->rxbuf, ptlen, false);
}

/* ---- Frames of an authenticated datagram. */

static void reply_ack(struct swim *s, struct member *m, const uint8_t *seq)
{
	struct out *o = &s->out2;
	/* Within a stranger's budget the ack (and its piggyback) takes at most half,
	 * so that what the other frames ask for (records it announced, a push/pull
	 * answer) still fits. */
	if (!out_begin(s, o, m, s->reply_capped ? s->reply_budget / 2 : 0))
		return;
	out_frame(o, F_ACK, seq, 8);
	out_piggyback(s, o);
	out_flush(s, o);
}

static void dispatch(struct swim *s, struct member *m, const uint8_t *pt, size_t len,
		     bool skip_first)
{
	struct frame_iter it = { pt + W_PAYLOAD_HDR, len - W_PAYLOAD_HDR, 0 };
	uint8_t type;
	const uint8_t *body;
	size_t blen;
	int r;
	uint8_t pk[32];

	/* Validate every frame before acting on any: a malformed datagram is dropped whole. */
	while ((r = frame_next(&it, &type, &body, &blen)) == 1)
		if (!frame_body_valid(type, body, blen))
			break;
	if (r != 0) {
		s->st.rx_malformed++;
		return;
	}
	memcpy(pk, m->pk, 32);
	uint8_t want[30 * 32];
	size_t nwant = 0;
	it.off = 0;
	if (skip_first)
		frame_next(&it, &type, &body, &blen);
	while (frame_next(&it, &type, &body, &blen) == 1) {
		/* the sender may have been removed by a frame (e.g. its own new record failed trust) */
		if (!(m = member_find(s, pk)) || m->provisional)
			return;
		switch (type) {
		case F_PING:
			reply_ack(s, m, body);
			break;
		case F_ACK:
			probe_on_ack(s, m, mg_load_le64(body));
			break;
		case F_NACK:
			probe_on_nack(s, m, mg_load_le64(body));
			break;
		case F_PING_REQ:
			probe_on_ping_req(s, m, body);
			break;
		case F_RECORD: {
			struct member *x = NULL;
			if (memcmp(pk, s->pp_peer, 32) == 0)
				s->pp_answered = true;
			member_apply_record(s, body, blen, &x);
			break;
		}
		case F_SUSPECT:
		case F_DEAD:
			member_apply_claim(s, type, body);
			break;
		case F_ORG:
			org_apply(s, body, blen);
			break;
		case F_HEAD:
			head_on(s, m, body, want, &nwant, MG_ARRAY_LEN(want) / 32);
			break;
		case F_PP_DIGEST:
		case F_PP_MEMBERS:
		case F_PP_ORGS:
		case F_WANT_MEMBERS:
		case F_WANT_ORGS:
			sync_on_frame(s, m, type, body, blen);
			break;
		default:
			break; /* padding, or a frame type from a newer version */
		}
	}
	if (!(m = member_find(s, pk)) || m->provisional)
		return;
	if (nwant) {
		/* fetch the records its HEADs announced, from the member that has them */
		struct out *o = &s->out;
		if (out_begin(s, o, m, 0)) {
			out_frame(o, F_WANT_MEMBERS, want, nwant * 32);
			out_flush(s, o);
		}
	}
	swim_contact_answered(s, m->pk);
	/* It talks to us, so it is up: if we hold it suspect or dead, tell it so it refutes. */
	if ((m->state == SWIM_SUSPECT || m->state == SWIM_DEAD) && m->claim &&
	    (!m->last_nudge_ns || s->now - m->last_nudge_ns >= s->cfg.probe_interval_ns)) {
		struct out *o = &s->out2;
		if (out_begin(s, o, m, 0))
			out_flush(s, o);
	}
}

void session_receive(struct swim *s, const struct swim_endpoint *from, const uint8_t *buf,
		     size_t len)
{
	s->st.rx_packets++;
	s->st.rx_bytes += len;
	if (len < 2 || len > W_MAX_DATAGRAM || buf[0] != SWIM_ENVELOPE || !from ||
	    (from->family != 4 && from->family != 6)) {
		s->st.rx_malformed++;
		return;
	}
	switch (buf[1]) {
	case WK_HELLO:
		on_hello(s, from, buf, len);
		break;
	case WK_HELLO_REPLY:
		on_hello_reply(s, from, buf, len);
		break;
	case WK_INIT:
		on_init(s, from, buf, len);
		break;
	case WK_DATA:
		on_data(s, from, buf, len);
		break;
	default:
		s->st.rx_malformed++;
		break;
	}
}
