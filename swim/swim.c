/* SPDX-License-Identifier: MIT */
/*
 * SWIM instance: lifecycle, configuration profiles, the tick, seeds and
 * cached contacts, our own signed record, leave, and the read-only getters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "crypto.h"
#include "keytext.h"
#include "swim_int.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* ---- Configuration profiles. */

void swim_config_lan(struct swim_config *c)
{
	memset(c, 0, sizeof(*c));
	c->probe_interval_ns = 1 * SEC;
	c->probe_timeout_ns = 500 * MS;
	c->indirect_checks = 3;
	c->awareness_max = 8;
	c->suspicion_mult = 1.0;
	c->suspicion_max_mult = 6.0;
	c->suspicion_k = 2;
	c->gossip_interval_ns = 200 * MS;
	c->gossip_nodes = 3;
	c->gossip_to_dead_ns = 30 * SEC;
	c->retransmit_mult = 4;
	c->max_datagram = 1400;
	c->push_pull_interval_ns = 30 * SEC;
	c->push_pull_max_datagrams = 64;
	c->reconnect_interval_ns = 10 * SEC;
	c->tombstone_s = 3600;
	c->claim_inc_slack = 1u << 20;
	c->seed_retry_min_ns = 1 * SEC;
	c->seed_retry_max_ns = 30 * SEC;
	c->trust_recheck_interval_ns = 60 * SEC;
	c->leave_linger_ns = 2 * SEC;
	c->max_members = 100000;
	c->max_org_messages = 100000;
	c->max_queue = 65536;
	c->max_relays = 4096;
	c->max_rate_sources = 4096;
	c->unknown_rate_per_s = 10;
	c->unknown_burst = 20;
	c->init_rate_per_s = 2000;
	c->answer_hello = true;
}

void swim_config_wan(struct swim_config *c)
{
	swim_config_lan(c);
	c->probe_interval_ns = 5 * SEC;
	c->probe_timeout_ns = 3 * SEC;
	c->suspicion_mult = 4.0;
	c->suspicion_k = 3;
	c->gossip_interval_ns = 500 * MS;
	c->gossip_nodes = 4;
	c->gossip_to_dead_ns = 60 * SEC;
	c->retransmit_mult = 4;
	c->max_datagram = 1232; /* fits the IPv6 minimum MTU with room for tunnels */
	c->push_pull_interval_ns = 60 * SEC;
	c->reconnect_interval_ns = 30 * SEC;
	c->leave_linger_ns = 5 * SEC;
}

static bool config_valid(const struct swim_config *c)
{
	return c->probe_interval_ns && c->probe_timeout_ns &&
	       c->probe_timeout_ns <= c->probe_interval_ns && c->gossip_interval_ns &&
	       c->push_pull_interval_ns && c->reconnect_interval_ns && c->seed_retry_min_ns &&
	       c->seed_retry_max_ns >= c->seed_retry_min_ns && c->trust_recheck_interval_ns &&
	       c->suspicion_mult > 0 && c->suspicion_max_mult >= 1.0 && c->retransmit_mult &&
	       c->max_datagram >= 576 && c->max_datagram <= W_MAX_DATAGRAM && c->max_members &&
	       c->max_org_messages && c->max_queue && c->max_relays && c->max_rate_sources &&
	       c->unknown_rate_per_s && c->unknown_burst && c->init_rate_per_s &&
	       c->push_pull_max_datagrams && c->tombstone_s > 0 && c->indirect_checks <= 8 &&
	       c->gossip_nodes >= 1 && c->gossip_nodes <= 16;
}

/* ---- Small helpers. */

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t swim_rand(struct swim *s)
{
	/* xoshiro256**: member selection only; key material comes from ops.random */
	uint64_t *r = s->rng, res = rotl(r[1] * 5, 7) * 9, t = r[1] << 17;
	r[2] ^= r[0];
	r[3] ^= r[1];
	r[1] ^= r[2];
	r[0] ^= r[3];
	r[2] ^= t;
	r[3] = rotl(r[3], 45);
	return res;
}

uint64_t swim_rand_below(struct swim *s, uint64_t n)
{
	return n ? swim_rand(s) % n : 0;
}

size_t swim_n_live(const struct swim *s)
{
	return s->count[SWIM_ALIVE] + s->count[SWIM_SUSPECT];
}

void swim_log_limited(struct swim *s, enum mg_log_level lvl, const char *fmt, ...)
{
	uint64_t suppressed = 0;
	char line[512];
	va_list ap;

	if (!mg_log_enabled(lvl) || !mg_ratelimit_allow(&s->log_rl, s->now, &suppressed))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (suppressed)
		mg_log(lvl, "%s (%llu similar messages suppressed)", line,
		       (unsigned long long)suppressed);
	else
		mg_log(lvl, "%s", line);
}

/* ---- Our signed record. */

int swim_resign(struct swim *s)
{
	size_t n = wire_record_build(s->rec, sizeof(s->rec), s->pk, s->inc, s->now_unix, s->salt,
				     s->status, s->wg, s->eps, s->n_eps, s->cert, s->cert_len);
	if (!n)
		return -EINVAL;
	swc_sign(s->rec + n, WIRE_CTX_RECORD, s->rec, n, s->sk);
	s->rec_len = n + W_SIG;
	return 0;
}

void swim_bump_inc(struct swim *s, uint64_t at_least)
{
	s->inc = s->inc + 1 > at_least ? s->inc + 1 : at_least;
	swim_resign(s);
	head_push(s, s->pk, s->inc);
}

/* ---- Lifecycle. */

static bool endpoints_valid(const struct swim_endpoint *eps, size_t n)
{
	if (n > SWIM_MAX_ENDPOINTS || (n && !eps))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!wire_endpoint_valid(&eps[i]))
			return false;
	return true;
}

int swim_create(struct swim **out, const struct swim_config *cfg, const struct swim_self *self,
		const struct swim_ops *ops, void *ctx, uint64_t now_ns, int64_t now_unix)
{
	uint8_t seed_pk[32], seed_sk[64], hkey[16];
	struct swim *s;

	*out = NULL;
	if (sodium_init() < 0)
		return -EINVAL;
	if (!cfg || !self || !ops || !ops->send || !ops->random || !ops->admit ||
	    !ops->org_message || !config_valid(cfg) || !self->secret ||
	    !endpoints_valid(self->endpoints, self->n_endpoints) || self->cert_len > SWIM_MAX_CERT ||
	    (self->cert_len && !self->cert))
		return -EINVAL;
	/* the secret must be seed || public key of one Ed25519 pair */
	crypto_sign_seed_keypair(seed_pk, seed_sk, self->secret);
	bool consistent = sodium_memcmp(seed_pk, self->secret + 32, 32) == 0;
	sodium_memzero(seed_sk, sizeof(seed_sk));
	if (!consistent)
		return -EINVAL;
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->cfg = *cfg;
	s->ops = *ops;
	s->ctx = ctx;
	s->now = now_ns;
	s->now_unix = now_unix;
	memcpy(s->sk, self->secret, 64);
	memcpy(s->pk, self->secret + 32, 32);
	if (crypto_sign_ed25519_sk_to_curve25519(s->xsk, s->sk) != 0) {
		swim_destroy(s);
		return -EINVAL;
	}
	swc_mac1_key(s->mac1_key, s->pk);
	ops->random(ctx, s->salt, sizeof(s->salt));
	ops->random(ctx, s->rng, sizeof(s->rng));
	if (!(s->rng[0] | s->rng[1] | s->rng[2] | s->rng[3]))
		s->rng[0] = 1;
	ops->random(ctx, &s->seq, sizeof(s->seq));
	s->seq >>= 1;
	ops->random(ctx, hkey, sizeof(hkey));
	/* Incarnations start from the wall clock so a restart is newer than the
	 * previous life even without a cache; the cache raises the floor. */
	s->inc0 = now_unix > 0 ? (uint64_t)now_unix << 20 : 1;
	s->inc = s->inc0;
	s->status = REC_ALIVE;
	memcpy(s->wg, self->wg_key, 32);
	s->n_eps = self->n_endpoints;
	if (s->n_eps)
		memcpy(s->eps, self->endpoints, s->n_eps * sizeof(*s->eps));
	s->cert_len = self->cert_len;
	if (s->cert_len)
		memcpy(s->cert, self->cert, s->cert_len);
	kmap_init(&s->members, 32, offsetof(struct member, pk), hkey);
	kmap_init(&s->pairs, 8, offsetof(struct member, rx_id), hkey);
	kmap_init(&s->orgs, W_ORG_ID, offsetof(struct orgmsg, hash), hkey);
	kmap_init(&s->org_rejected, W_ORG_ID, 0, hkey);
	kmap_init(&s->rl, 17, offsetof(struct rl_src, key), hkey);
	kmap_init(&s->wants, 32, offsetof(struct want, pk), hkey);
	bq_init(&s->q, hkey);
	s->log_rl = (struct mg_ratelimit)MG_RATELIMIT_INIT(SEC, 10);
	s->init_tokens_milli = cfg->init_rate_per_s * 1000;
	s->init_last_ns = now_ns;
	if (swim_resign(s) < 0) {
		swim_destroy(s);
		return -EINVAL;
	}
	/* spread the first probe and exchanges of nodes started together */
	s->next_probe = now_ns + swim_rand_below(s, cfg->probe_interval_ns);
	s->next_gossip = now_ns + swim_rand_below(s, cfg->gossip_interval_ns);
	s->next_pp = now_ns + cfg->push_pull_interval_ns / 2 +
		     swim_rand_below(s, cfg->push_pull_interval_ns);
	s->next_reconnect = now_ns + cfg->reconnect_interval_ns;
	s->next_reap = now_ns + 10 * SEC;
	s->next_recheck = now_ns + cfg->trust_recheck_interval_ns;
	s->next_contact = now_ns;
	*out = s;
	return 0;
}

void swim_destroy(struct swim *s)
{
	if (!s)
		return;
	member_free_all(s);
	bq_free(&s->q);
	org_free_all(s);
	for (size_t i = 0; i < s->rl.cap; i++)
		free(s->rl.slots[i]);
	kmap_free(&s->rl);
	for (size_t i = 0; i < s->wants.cap; i++)
		free(s->wants.slots[i]);
	kmap_free(&s->wants);
	free(s->contacts);
	free(s->relays);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

const uint8_t *swim_identity(const struct swim *s)
{
	return s->pk;
}

uint64_t swim_incarnation(const struct swim *s)
{
	return s->inc;
}

/* ---- Seeds and cached contacts. */

struct contact *contact_add(struct swim *s, const struct swim_endpoint *addr, const uint8_t *pk,
			    bool from_cache)
{
	if (s->ncontacts == s->capcontacts) {
		size_t n = s->capcontacts ? s->capcontacts * 2 : 8;
		struct contact *nc = realloc(s->contacts, n * sizeof(*nc));
		if (!nc)
			return NULL;
		s->contacts = nc;
		s->capcontacts = n;
	}
	struct contact *c = &s->contacts[s->ncontacts++];
	memset(c, 0, sizeof(*c));
	c->addr = *addr;
	c->from_cache = from_cache;
	if (pk) {
		c->has_pk = true;
		memcpy(c->pk, pk, 32);
	}
	return c;
}

int swim_add_seed(struct swim *s, const struct swim_endpoint *addr, const uint8_t *pk)
{
	if (!addr || !wire_endpoint_valid(addr) || (pk && memcmp(pk, s->pk, 32) == 0))
		return -EINVAL;
	if (!contact_add(s, addr, pk, false))
		return -ENOMEM;
	s->next_contact = s->now; /* try it at the next tick */
	s->joined = false;
	return 0;
}

static void contact_init(struct swim *s, struct contact *c)
{
	struct member *m = member_find(s, c->pk);
	struct out *o = &s->out;
	uint8_t seq[8];

	if (m && member_is_live(m))
		return; /* already a member: the probe rotation reaches it */
	if (!m && !(m = member_provisional(s, c->pk)))
		return;
	m->addr = c->addr; /* the operator's address wins over a stale record */
	m->addr_ok = true;
	m->their_view = 0;
	mg_store_le64(seq, ++s->seq);
	if (!out_begin(s, o, m, 0))
		return;
	out_frame(o, F_PING, seq, 8);
	out_flush(s, o);
}

static void contact_attempt(struct swim *s, struct contact *c)
{
	if (c->has_pk)
		contact_init(s, c);
	else
		session_send_hello(s, c);
}

void swim_contact_hello_reply(struct swim *s, struct contact *c, const uint8_t pk[32])
{
	c->hello_out = false;
	if (memcmp(pk, s->pk, 32) == 0)
		return; /* we are our own seed */
	c->has_pk = true;
	memcpy(c->pk, pk, 32);
	contact_init(s, c);
}

void swim_contact_answered(struct swim *s, const uint8_t pk[32])
{
	struct member *m = member_find(s, pk);
	bool contact = false;

	if (s->joined || !m || !member_is_live(m))
		return;
	for (size_t i = 0; i < s->ncontacts && !contact; i++)
		contact = s->contacts[i].has_pk && memcmp(s->contacts[i].pk, pk, 32) == 0;
	if (contact) {
		/* Joined through a seed or a cached member: stop the backoff loop. Only a
		 * contact we chose counts; a node that found us first may be as alone as
		 * we are, and joining it would make an island. */
		s->joined = true;
		for (size_t i = 0; i < s->ncontacts; i++)
			s->contacts[i].backoff_ns = 0;
	} else if (swim_n_live(s) > 1) {
		return;
	}
	/* Fetch the full state now (only once while alone for a non-contact). */
	sync_start(s, m);
}

static bool contact_is_member(struct swim *s, const struct contact *c)
{
	struct member *m = c->has_pk ? member_find(s, c->pk) : NULL;
	return m && member_is_live(m);
}

static void contacts_tick(struct swim *s)
{
	size_t ncache = 0, tried = 0;

	if (swim_n_live(s) == 0 && s->joined)
		s->joined = false; /* alone again: go back to the seeds and the cache */
	if (s->leaving || s->now < s->next_contact || !s->ncontacts)
		return;
	if (s->joined) {
		/* Joined: now and then, re-contact seeds that are not members (heals islands). */
		for (size_t i = 0; i < s->ncontacts; i++)
			if (!s->contacts[i].from_cache && !contact_is_member(s, &s->contacts[i]))
				contact_attempt(s, &s->contacts[i]);
		s->next_contact = s->now + s->cfg.seed_retry_max_ns;
		return;
	}
	for (size_t i = 0; i < s->ncontacts; i++) {
		if (!s->contacts[i].from_cache)
			contact_attempt(s, &s->contacts[i]);
		else
			ncache++;
	}
	/* A few random cached members per round (all of them would be a storm). */
	for (size_t i = 0; ncache && i < 8 && tried < ncache; i++, tried++) {
		size_t k = swim_rand_below(s, s->ncontacts);
		if (s->contacts[k].from_cache)
			contact_attempt(s, &s->contacts[k]);
	}
	uint64_t b = s->contacts[0].backoff_ns;
	b = b ? b * 2 : s->cfg.seed_retry_min_ns;
	if (b > s->cfg.seed_retry_max_ns)
		b = s->cfg.seed_retry_max_ns;
	s->contacts[0].backoff_ns = b;
	s->next_contact = s->now + b;
}

/* ---- Gossip tick and reconnects. */

struct gossip_pick {
	const struct swim *s;
	struct member **chosen;
	size_t n;
};

static bool gossip_ok(const struct member *m, const void *arg)
{
	const struct gossip_pick *g = arg;
	if (m->provisional)
		return false;
	if (m->state == SWIM_LEFT)
		return false;
	if (m->state == SWIM_DEAD && g->s->now - m->state_since >= g->s->cfg.gossip_to_dead_ns)
		return false;
	for (size_t i = 0; i < g->n; i++)
		if (g->chosen[i] == m)
			return false;
	return true;
}

static void gossip_tick(struct swim *s)
{
	struct member *chosen[16];
	struct gossip_pick g = { s, chosen, 0 };
	size_t k = s->cfg.gossip_nodes < 16 ? s->cfg.gossip_nodes : 16;

	if (s->now < s->next_gossip)
		return;
	s->next_gossip = s->now + s->cfg.gossip_interval_ns;
	if (!s->q.count)
		return;
	while (g.n < k) {
		struct member *m = member_random(s, gossip_ok, &g);
		if (!m)
			break;
		chosen[g.n++] = m;
	}
	for (size_t i = 0; i < g.n && s->q.count; i++) {
		struct out *o = &s->out;
		if (!out_begin(s, o, chosen[i], 0))
			continue;
		out_piggyback(s, o);
		if (o->frames)
			out_flush(s, o);
		else
			o->to = NULL;
	}
}

static bool dead_ok(const struct member *m, const void *arg)
{
	(void)arg;
	return !m->provisional && m->state == SWIM_DEAD;
}

static void reconnect_tick(struct swim *s)
{
	struct member *m;
	uint8_t seq[8];

	if (s->now < s->next_reconnect)
		return;
	s->next_reconnect = s->now + s->cfg.reconnect_interval_ns;
	if (s->leaving || !s->count[SWIM_DEAD] || !(m = member_random(s, dead_ok, NULL)))
		return;
	/* A dead member that answers gets its dead claim (see out_begin) and refutes. */
	struct out *o = &s->out;
	m->their_view = 0;
	mg_store_le64(seq, ++s->seq);
	if (!out_begin(s, o, m, 0))
		return;
	out_frame(o, F_PING, seq, 8);
	out_flush(s, o);
}

/* ---- Entry points. */

static void set_now(struct swim *s, uint64_t now_ns, int64_t now_unix)
{
	if (now_ns > s->now)
		s->now = now_ns;
	s->now_unix = now_unix;
}

static void run_recheck(struct swim *s)
{
	s->recheck_pending = false;
	s->last_recheck = s->now;
	member_recheck_all(s);
}

/* After new org messages: at most one full re-check per 100 ms (a node catching
 * up on thousands of org messages must not re-check every member for each). */
static uint64_t recheck_due(const struct swim *s)
{
	return s->last_recheck + 100 * MS;
}

void swim_receive(struct swim *s, const struct swim_endpoint *from, const uint8_t *buf, size_t len,
		  uint64_t now_ns, int64_t now_unix)
{
	set_now(s, now_ns, now_unix);
	session_receive(s, from, buf, len);
	if (s->recheck_pending && s->now >= recheck_due(s))
		run_recheck(s);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t swim_tick(struct swim *s, uint64_t now_ns, int64_t now_unix)
{
	uint64_t d;

	set_now(s, now_ns, now_unix);
	contacts_tick(s);
	probe_tick(s);
	probe_relays_tick(s);
	probe_suspicions_tick(s);
	gossip_tick(s);
	sync_tick(s);
	reconnect_tick(s);
	wants_tick(s);
	if (s->now >= s->next_reap) {
		s->next_reap = s->now + 10 * SEC;
		member_reap(s);
		rl_gc(s);
	}
	if ((s->recheck_pending && s->now >= recheck_due(s)) || s->now >= s->next_recheck) {
		s->next_recheck = s->now + s->cfg.trust_recheck_interval_ns;
		run_recheck(s);
	}
	d = probe_next_deadline(s);
	d = min_u64(d, s->next_gossip);
	d = min_u64(d, s->next_pp);
	if (s->pp_followup)
		d = min_u64(d, s->pp_followup);
	d = min_u64(d, s->next_reconnect);
	d = min_u64(d, wants_next_deadline(s));
	d = min_u64(d, s->next_reap);
	d = min_u64(d, s->next_recheck);
	if (s->recheck_pending)
		d = min_u64(d, recheck_due(s));
	if (s->ncontacts && !s->leaving)
		d = min_u64(d, s->next_contact);
	if (s->leaving)
		d = min_u64(d, s->leave_until);
	return d > s->now ? d : s->now + 1;
}

/* ---- Changing what we announce. */

static int announce(struct swim *s, uint64_t now_ns, int64_t now_unix)
{
	set_now(s, now_ns, now_unix);
	swim_bump_inc(s, 0);
	return 0;
}

int swim_set_endpoints(struct swim *s, const struct swim_endpoint *eps, size_t n, uint64_t now_ns,
		       int64_t now_unix)
{
	if (!endpoints_valid(eps, n))
		return -EINVAL;
	s->n_eps = n;
	if (n)
		memcpy(s->eps, eps, n * sizeof(*eps));
	return announce(s, now_ns, now_unix);
}

int swim_set_cert(struct swim *s, const uint8_t *cert, size_t len, uint64_t now_ns,
		  int64_t now_unix)
{
	if (len > SWIM_MAX_CERT || (len && !cert))
		return -EINVAL;
	s->cert_len = len;
	if (len)
		memcpy(s->cert, cert, len);
	return announce(s, now_ns, now_unix);
}

int swim_set_wg_key(struct swim *s, const uint8_t wg_key[SWIM_KEY_LEN], uint64_t now_ns,
		    int64_t now_unix)
{
	memcpy(s->wg, wg_key, 32);
	return announce(s, now_ns, now_unix);
}

int swim_publish_org_message(struct swim *s, const uint8_t *msg, size_t len, uint64_t now_ns,
			     int64_t now_unix)
{
	uint8_t h[32];
	int rc = 0;

	if (!msg || len == 0 || len > SWIM_MAX_ORG_MSG)
		return -EINVAL;
	set_now(s, now_ns, now_unix);
	swc_hash32(h, msg, len);
	if (!kmap_get(&s->orgs, h))
		rc = org_store(s, msg, len, h);
	if (rc == -ENOMEM)
		return rc;
	bq_push(s, BK_ORG, h, 0, F_ORG, msg, len); /* spread it even if it could not be stored */
	return rc;
}

void swim_recheck_trust(struct swim *s, uint64_t now_ns, int64_t now_unix)
{
	set_now(s, now_ns, now_unix);
	run_recheck(s);
}

static bool live_ok(const struct member *m, const void *arg)
{
	const struct gossip_pick *g = arg;
	if (!member_is_live(m))
		return false;
	for (size_t i = 0; i < g->n; i++)
		if (g->chosen[i] == m)
			return false;
	return true;
}

uint64_t swim_leave(struct swim *s, uint64_t now_ns, int64_t now_unix)
{
	struct member *chosen[16];
	struct gossip_pick g = { s, chosen, 0 };
	size_t k = s->cfg.gossip_nodes + s->cfg.indirect_checks;

	set_now(s, now_ns, now_unix);
	if (s->leaving)
		return s->leave_until;
	s->leaving = true;
	s->status = REC_LEFT;
	swim_bump_inc(s, 0);
	/* Tell a few members directly; the gossip tick spreads it from there. */
	if (k > 16)
		k = 16;
	while (g.n < k) {
		struct member *m = member_random(s, live_ok, &g);
		if (!m)
			break;
		chosen[g.n++] = m;
	}
	for (size_t i = 0; i < g.n; i++) {
		struct out *o = &s->out;
		if (!out_begin(s, o, chosen[i], 0))
			continue;
		if (chosen[i]->their_view >= s->inc) /* not included by out_begin */
			out_frame(o, F_RECORD, s->rec, s->rec_len);
		out_piggyback(s, o);
		out_flush(s, o);
	}
	s->leave_until = s->now + s->cfg.leave_linger_ns;
	return s->leave_until;
}

/* ---- Getters. */

size_t swim_member_count(const struct swim *s)
{
	return s->ndense;
}

size_t swim_contact_count(const struct swim *s)
{
	return s->ncontacts;
}

size_t swim_member_count_state(const struct swim *s, enum swim_state st)
{
	return (unsigned)st < 4 ? s->count[st] : 0;
}

void swim_member_foreach(const struct swim *s,
			 bool (*fn)(void *arg, const struct swim_member_info *m), void *arg)
{
	struct swim_member_info info;
	struct swim_endpoint eps[SWIM_MAX_ENDPOINTS];

	for (size_t i = 0; i < s->ndense; i++) {
		member_info(s->dense[i], &info, eps);
		if (!fn(arg, &info))
			return;
	}
}

int swim_member_get(const struct swim *s, const uint8_t identity[SWIM_KEY_LEN],
		    struct swim_member_info *out, struct swim_endpoint eps[SWIM_MAX_ENDPOINTS])
{
	struct member *m = member_find(s, identity);
	if (!m || m->provisional)
		return -ENOENT;
	member_info(m, out, eps);
	return 0;
}

void swim_get_stats(const struct swim *s, struct swim_stats *out)
{
	*out = s->st;
	out->awareness = s->awareness;
	out->queue_len = (uint32_t)s->q.count;
	out->org_stored = (uint32_t)s->norg;
}

/* ---- Names and text forms. */

const char *swim_state_name(enum swim_state st)
{
	static const char *const n[] = { "alive", "suspect", "dead", "left" };
	return (unsigned)st < 4 ? n[st] : "?";
}

const char *swim_event_name(enum swim_event_type t)
{
	static const char *const n[] = { "?",     "joined", "updated", "suspect",
					 "alive", "dead",   "left",    "removed-by-trust" };
	return (unsigned)t < MG_ARRAY_LEN(n) ? n[t] : "?";
}

bool swim_endpoint_equal(const struct swim_endpoint *a, const struct swim_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

const char *swim_endpoint_format(const struct swim_endpoint *ep, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->family == 4 && inet_ntop(AF_INET, ep->addr, a, sizeof(a)))
		snprintf(buf, cap, "%s:%u", a, ep->port);
	else if (ep->family == 6 && inet_ntop(AF_INET6, ep->addr, a, sizeof(a)))
		snprintf(buf, cap, "[%s]:%u", a, ep->port);
	else
		snprintf(buf, cap, "-");
	return buf;
}

int swim_endpoint_parse(const char *text, struct swim_endpoint *out)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port;
	size_t hl;
	char *end;
	unsigned long p;

	memset(out, 0, sizeof(*out));
	if (!text)
		return -EINVAL;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		hl = (size_t)(close - text - 1);
		port = close + 2;
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, hl);
		host[hl] = 0;
		if (inet_pton(AF_INET6, host, out->addr) != 1)
			return -EINVAL;
		out->family = 6;
	} else {
		colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon)
			return -EINVAL;
		hl = (size_t)(colon - text);
		port = colon + 1;
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, hl);
		host[hl] = 0;
		if (inet_pton(AF_INET, host, out->addr) != 1)
			return -EINVAL;
		out->family = 4;
	}
	if (!*port || *port < '0' || *port > '9')
		return -EINVAL;
	p = strtoul(port, &end, 10);
	if (*end || p == 0 || p > 65535)
		return -EINVAL;
	out->port = (uint16_t)p;
	return 0;
}

int swim_seed_parse(const char *text, struct swim_endpoint *addr, uint8_t pk[SWIM_KEY_LEN],
		    bool *has_pk, char *err, size_t errlen)
{
	const char *at = text ? strchr(text, '@') : NULL;
	const char *hostport = text;

	*has_pk = false;
	if (!text || !*text) {
		snprintf(err, errlen, "empty seed");
		return -EINVAL;
	}
	if (at) {
		int rc = mg_b64_decode_exact(pk, SWIM_KEY_LEN, text, (size_t)(at - text));
		if (rc != MG_KEYTEXT_OK) {
			snprintf(err, errlen, "seed '%s': identity key before '@': %s", text,
				 mg_keytext_strerror(rc));
			return -EINVAL;
		}
		*has_pk = true;
		hostport = at + 1;
	}
	if (swim_endpoint_parse(hostport, addr) < 0) {
		snprintf(err, errlen,
			 "seed '%s': expected IPv4:port, [IPv6]:port or <key>@address:port", text);
		return -EINVAL;
	}
	return 0;
}
