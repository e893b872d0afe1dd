/* SPDX-License-Identifier: MIT */
/*
 * Failure detector (SWIM §4 with Lifeguard):
 *
 *   every probe period T' (scaled by local health):
 *     pick the next member in a randomized round-robin order, send PING;
 *     no ACK within the probe timeout -> PING-REQ to k random members, which
 *       ping the target for us, forward its ACK, and NACK if it stays silent;
 *     no ACK by the end of the period -> suspect the target (signed claim).
 *   a suspicion becomes a death when its timer expires; the timer starts at
 *   max and shrinks towards min with independent confirmations.
 *
 * Local health (Lifeguard "awareness"): failed probes with missing nacks and
 * being suspected ourselves raise the score; successful probes lower it. The
 * probe interval and timeout are multiplied by (score + 1), so a node that is
 * itself slow gives others more time before it suspects them.
 */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "swim_int.h"

void awareness_apply(struct swim *s, int delta)
{
	int64_t a = (int64_t)s->awareness + delta;
	int64_t max = s->cfg.awareness_max ? (int64_t)s->cfg.awareness_max - 1 : 0;
	s->awareness = (uint32_t)(a < 0 ? 0 : a > max ? max : a);
}

uint64_t awareness_scale(const struct swim *s, uint64_t d)
{
	return d * (s->awareness + 1);
}

void probe_forget(struct swim *s, const uint8_t pk[32])
{
	if (s->probe.active && memcmp(s->probe.target, pk, 32) == 0)
		s->probe.active = false;
}

static bool live_not(const struct member *m, const void *arg)
{
	const struct probe *p = arg;
	if (!member_is_live(m) || memcmp(m->pk, p->target, 32) == 0)
		return false;
	for (size_t i = 0; i < p->nhelpers; i++)
		if (memcmp(m->pk, p->helpers[i], 32) == 0)
			return false;
	return true;
}

static void send_one(struct swim *s, struct member *m, uint8_t type, const uint8_t *body,
		     size_t len, bool piggyback)
{
	struct out *o = &s->out;
	if (!out_begin(s, o, m, 0))
		return;
	out_frame(o, type, body, len);
	if (piggyback)
		out_piggyback(s, o);
	out_flush(s, o);
}

static void send_indirect(struct swim *s)
{
	struct probe *p = &s->probe;
	uint8_t body[41];
	size_t k = s->cfg.indirect_checks;

	if (k > MG_ARRAY_LEN(p->helpers))
		k = MG_ARRAY_LEN(p->helpers);
	mg_store_le64(body, p->seq);
	memcpy(body + 8, p->target, 32);
	body[40] = 1; /* Lifeguard: ask for a nack if the target stays silent */
	p->nhelpers = 0;
	while (p->nhelpers < k) {
		struct member *h = member_random(s, live_not, p);
		if (!h)
			break;
		memcpy(p->helpers[p->nhelpers++], h->pk, 32);
		send_one(s, h, F_PING_REQ, body, sizeof(body), false);
	}
	p->indirect_sent = true;
	s->st.indirect_probes++;
	/* and a second direct ping (memberlist sends one over TCP here): on a lossy
	 * path, one lost datagram must not be enough to suspect a live member */
	struct member *t = member_find(s, p->target);
	if (t && member_is_live(t)) {
		uint8_t seq[8];
		mg_store_le64(seq, p->seq);
		send_one(s, t, F_PING, seq, 8, false);
	}
}

static void probe_finish(struct swim *s)
{
	struct probe *p = &s->probe;
	struct member *m = member_find(s, p->target);

	p->active = false;
	if (p->acked) {
		awareness_apply(s, -1);
		return;
	}
	s->st.probe_failures++;
	/* Lifeguard: if helpers did not nack either, the problem may be ours. */
	if (p->nhelpers)
		awareness_apply(s, (int)(p->nhelpers - (p->nacks > p->nhelpers ? p->nhelpers : p->nacks)));
	else
		awareness_apply(s, 1);
	if (m && member_is_live(m)) {
		m->their_view = 0; /* it may have lost our session: next contact is a handshake */
		member_suspect_local(s, m);
	}
}

static struct member *next_target(struct swim *s)
{
	if (s->has_urgent) {
		struct member *u = member_find(s, s->urgent);
		s->has_urgent = false;
		if (u && member_is_live(u))
			return u;
	}
	for (size_t n = 0; n <= s->ndense; n++) {
		if (s->cursor >= s->ndense) {
			member_dense_shuffle(s);
			if (!s->ndense)
				return NULL;
		}
		struct member *m = s->dense[s->cursor++];
		if (member_is_live(m))
			return m;
	}
	return NULL;
}

void probe_tick(struct swim *s)
{
	struct probe *p = &s->probe;

	if (p->active) {
		if (!p->acked && !p->indirect_sent && s->now >= p->timeout_at)
			send_indirect(s);
		if (s->now >= p->end_at)
			probe_finish(s);
	}
	if (s->leaving || p->active || s->now < s->next_probe)
		return;
	uint64_t period = awareness_scale(s, s->cfg.probe_interval_ns);
	s->next_probe = s->now + period;
	struct member *m = next_target(s);
	if (!m)
		return;
	memset(p, 0, sizeof(*p));
	p->active = true;
	memcpy(p->target, m->pk, 32);
	p->seq = ++s->seq;
	p->timeout_at = s->now + awareness_scale(s, s->cfg.probe_timeout_ns);
	p->end_at = s->now + period;
	s->st.probes++;
	uint8_t body[8];
	mg_store_le64(body, p->seq);
	send_one(s, m, F_PING, body, 8, true);
}

uint64_t probe_next_deadline(const struct swim *s)
{
	uint64_t d = s->leaving ? UINT64_MAX : s->next_probe;
	const struct probe *p = &s->probe;

	if (p->active) {
		if (!p->acked && !p->indirect_sent && p->timeout_at < d)
			d = p->timeout_at;
		if (p->end_at < d)
			d = p->end_at;
	}
	for (size_t i = 0; i < s->nrelays; i++) {
		const struct relay *r = &s->relays[i];
		if (r->want_nack && !r->nack_sent && r->nack_at < d)
			d = r->nack_at;
		if (r->expire_at < d)
			d = r->expire_at;
	}
	for (size_t i = 0; i < s->nsusp; i++)
		if (s->suspects[i]->susp->deadline_ns < d)
			d = s->suspects[i]->susp->deadline_ns;
	return d;
}

/* ---- Acks and nacks. */

static void relay_drop(struct swim *s, size_t i)
{
	s->relays[i] = s->relays[--s->nrelays];
}

void probe_on_ack(struct swim *s, struct member *from, uint64_t seq)
{
	struct probe *p = &s->probe;

	if (p->active && seq == p->seq) {
		bool ok = memcmp(from->pk, p->target, 32) == 0;
		for (size_t i = 0; !ok && i < p->nhelpers; i++)
			ok = memcmp(from->pk, p->helpers[i], 32) == 0;
		if (ok)
			p->acked = true;
		return;
	}
	for (size_t i = 0; i < s->nrelays; i++) {
		struct relay *r = &s->relays[i];
		if (r->our_seq != seq || memcmp(r->target, from->pk, 32) != 0)
			continue;
		/* Forward the target's ack to whoever asked (SWIM's indirect ack). */
		struct member *req = member_find(s, r->requester);
		uint8_t body[8];
		mg_store_le64(body, r->req_seq);
		relay_drop(s, i);
		if (req && !req->provisional)
			send_one(s, req, F_ACK, body, 8, false);
		return;
	}
}

void probe_on_nack(struct swim *s, struct member *from, uint64_t seq)
{
	struct probe *p = &s->probe;
	if (!p->active || seq != p->seq)
		return;
	for (size_t i = 0; i < p->nhelpers; i++)
		if (memcmp(from->pk, p->helpers[i], 32) == 0) {
			p->nacks++;
			s->st.nacks_received++;
			return;
		}
}

void probe_on_ping_req(struct swim *s, struct member *from, const uint8_t *body)
{
	uint64_t req_seq = mg_load_le64(body);
	const uint8_t *target = body + 8;
	struct member *t;
	uint8_t b[8];

	if (memcmp(target, s->pk, 32) == 0) {
		/* asked to probe ourselves: we are evidently up */
		mg_store_le64(b, req_seq);
		send_one(s, from, F_ACK, b, 8, false);
		return;
	}
	t = member_find(s, target);
	if (!t || t->provisional || t->state == SWIM_LEFT) {
		if (body[40] & 1) {
			mg_store_le64(b, req_seq);
			send_one(s, from, F_NACK, b, 8, false);
		}
		return;
	}
	if (s->nrelays >= s->cfg.max_relays) {
		s->st.limit_relays++;
		swim_log_limited(s, MG_LOG_WARN, "swim: too many relayed probes (max_relays %zu)",
				 s->cfg.max_relays);
		return;
	}
	if (s->nrelays == s->caprelays) {
		size_t n = s->caprelays ? s->caprelays * 2 : 16;
		struct relay *nr = realloc(s->relays, n * sizeof(*nr));
		if (!nr)
			return;
		s->relays = nr;
		s->caprelays = n;
	}
	struct relay *r = &s->relays[s->nrelays++];
	memset(r, 0, sizeof(*r));
	r->our_seq = ++s->seq;
	r->req_seq = req_seq;
	memcpy(r->requester, from->pk, 32);
	memcpy(r->target, target, 32);
	r->want_nack = body[40] & 1;
	/* Lifeguard: nack at 80% of the probe timeout so it reaches the requester in time */
	r->nack_at = s->now + s->cfg.probe_timeout_ns * 4 / 5;
	r->expire_at = s->now + s->cfg.probe_interval_ns;
	mg_store_le64(b, r->our_seq);
	send_one(s, t, F_PING, b, 8, true);
}

void probe_relays_tick(struct swim *s)
{
	for (size_t i = s->nrelays; i-- > 0;) {
		struct relay *r = &s->relays[i];
		if (r->want_nack && !r->nack_sent && s->now >= r->nack_at) {
			struct member *req = member_find(s, r->requester);
			uint8_t b[8];
			r->nack_sent = true;
			mg_store_le64(b, r->req_seq);
			if (req && !req->provisional)
				send_one(s, req, F_NACK, b, 8, false);
		}
		if (s->now >= r->expire_at)
			relay_drop(s, i);
	}
}

void probe_suspicions_tick(struct swim *s)
{
	for (size_t i = s->nsusp; i-- > 0;) {
		if (i >= s->nsusp)
			continue;
		struct member *m = s->suspects[i];
		if (s->now >= m->susp->deadline_ns)
			member_declare_dead(s, m);
	}
}
