/* SPDX-License-Identifier: MIT */
/*
 * The member table and its state machine.
 *
 *   record (signed by the subject)   alive/left at incarnation i; newer i wins
 *   suspect claim (signed by claimer) suspect at i; refuted by a record > i
 *   dead claim (signed by claimer)    dead at i; refuted by a record > i
 *
 * A record is admitted only after its signature verifies and the trust
 * callback allows its subject; a claim only if its claimer is an admitted
 * member and its signature verifies. Claims about us are refuted by signing
 * a record with a higher incarnation.
 */
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "crypto.h"
#include "keytext.h"
#include "swim_int.h"

struct member *member_find(const struct swim *s, const uint8_t pk[32])
{
	return kmap_get(&s->members, pk);
}

bool member_is_live(const struct member *m)
{
	return !m->provisional && (m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT);
}

static struct member *member_new(struct swim *s, const uint8_t pk[32])
{
	struct member *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	memcpy(m->pk, pk, 32);
	if (kmap_put(&s->members, m) < 0) {
		free(m);
		return NULL;
	}
	return m;
}

struct member *member_provisional(struct swim *s, const uint8_t pk[32])
{
	struct member *m = member_find(s, pk);
	if (m)
		return m;
	if (s->members.count >= s->cfg.max_members) {
		s->st.limit_members++;
		swim_log_limited(s, MG_LOG_WARN, "swim: member table full (max_members %zu)",
				 s->cfg.max_members);
		return NULL;
	}
	if ((m = member_new(s, pk)))
		m->provisional = true;
	return m;
}

/* ---- Dense array: random choice and randomized round-robin probing. */

static void dense_swap(struct swim *s, size_t i, size_t j)
{
	struct member *a = s->dense[i], *b = s->dense[j];
	s->dense[i] = b, b->dense_idx = i;
	s->dense[j] = a, a->dense_idx = j;
}

static int dense_add(struct swim *s, struct member *m)
{
	if (s->ndense == s->capdense) {
		size_t n = s->capdense ? s->capdense * 2 : 64;
		struct member **nd = realloc(s->dense, n * sizeof(*nd));
		if (!nd)
			return -ENOMEM;
		s->dense = nd;
		s->capdense = n;
	}
	m->dense_idx = s->ndense;
	s->dense[s->ndense++] = m;
	m->in_dense = true;
	/* SWIM: a new member goes to a random place in the rest of this round */
	dense_swap(s, m->dense_idx, s->cursor + swim_rand_below(s, s->ndense - s->cursor));
	return 0;
}

static void dense_remove(struct swim *s, struct member *m)
{
	size_t i = m->dense_idx;

	if (!m->in_dense)
		return;
	if (i < s->cursor) {
		/* keep "already probed this round" contiguous below the cursor */
		dense_swap(s, i, s->cursor - 1);
		s->cursor--;
		i = s->cursor;
	}
	dense_swap(s, i, s->ndense - 1);
	s->ndense--;
	m->in_dense = false;
}

void member_dense_shuffle(struct swim *s)
{
	for (size_t i = s->ndense; i > 1; i--)
		dense_swap(s, i - 1, swim_rand_below(s, i));
	s->cursor = 0;
}

struct member *member_random(struct swim *s, bool (*ok)(const struct member *, const void *),
			     const void *arg)
{
	if (!s->ndense)
		return NULL;
	for (int t = 0; t < 32; t++) {
		struct member *m = s->dense[swim_rand_below(s, s->ndense)];
		if (ok(m, arg))
			return m;
	}
	size_t start = swim_rand_below(s, s->ndense);
	for (size_t i = 0; i < s->ndense; i++) {
		struct member *m = s->dense[(start + i) % s->ndense];
		if (ok(m, arg))
			return m;
	}
	return NULL;
}

/* ---- Events. */

void member_info(const struct member *m, struct swim_member_info *info,
		 struct swim_endpoint eps[SWIM_MAX_ENDPOINTS])
{
	memset(info, 0, sizeof(*info));
	memcpy(info->identity, m->pk, 32);
	info->state = m->state;
	info->name = m->name;
	info->trust_path = m->path;
	info->state_since_ns = m->state_since;
	if (!m->rec)
		return;
	memcpy(info->wg_key, m->rv.wg, 32);
	info->incarnation = m->rv.inc;
	for (size_t i = 0; i < m->rv.n_eps; i++)
		wire_get_endpoint(m->rv.eps + i * W_ENDPOINT, &eps[i]);
	info->endpoints = eps;
	info->n_endpoints = m->rv.n_eps;
	info->cert = m->rv.cert;
	info->cert_len = m->rv.cert_len;
	if (m->addr_ok)
		info->addr = m->addr;
	else if (m->rv.n_eps)
		info->addr = eps[0];
}

void member_emit(struct swim *s, struct member *m, enum swim_event_type t, uint32_t changed)
{
	struct swim_member_info info;
	struct swim_endpoint eps[SWIM_MAX_ENDPOINTS];
	struct swim_event ev = { .type = t, .changed = changed, .member = &info };

	if (!s->ops.event)
		return;
	member_info(m, &info, eps);
	s->ops.event(s->ctx, &ev);
}

/* ---- Suspicion (Lifeguard): starts at max, shrinks with log(confirmations). */

uint32_t member_suspicion_k(const struct swim *s)
{
	size_t n = swim_n_live(s) + 1;
	return n < (size_t)s->cfg.suspicion_k + 2 ? 0 : s->cfg.suspicion_k;
}

void suspicion_deadline(struct suspicion *sp)
{
	double timeout = (double)sp->min_ns;
	if (sp->k > 0) {
		double frac = log((double)sp->n + 1.0) / log((double)sp->k + 1.0);
		timeout = (double)sp->max_ns - frac * (double)(sp->max_ns - sp->min_ns);
		if (timeout < (double)sp->min_ns)
			timeout = (double)sp->min_ns;
	}
	sp->deadline_ns = sp->start_ns + (uint64_t)timeout;
}

static void suspicion_drop(struct swim *s, struct member *m)
{
	if (!m->susp)
		return;
	size_t i = m->susp_idx;
	s->suspects[i] = s->suspects[--s->nsusp];
	s->suspects[i]->susp_idx = i;
	free(m->susp->who);
	free(m->susp);
	m->susp = NULL;
}

static bool suspicion_has(const struct suspicion *sp, const uint8_t pk[32])
{
	for (size_t i = 0; i < sp->nwho; i++)
		if (memcmp(sp->who[i], pk, 32) == 0)
			return true;
	return false;
}

static void suspicion_add_who(struct suspicion *sp, const uint8_t pk[32])
{
	if (sp->nwho == sp->capwho) {
		size_t n = sp->capwho ? sp->capwho * 2 : 4;
		uint8_t(*nw)[32] = realloc(sp->who, n * 32);
		if (!nw)
			return;
		sp->who = nw;
		sp->capwho = n;
	}
	memcpy(sp->who[sp->nwho++], pk, 32);
}

static int suspicion_start(struct swim *s, struct member *m, uint64_t inc, const uint8_t who[32])
{
	struct suspicion *sp = calloc(1, sizeof(*sp));
	double n = (double)swim_n_live(s) + 1.0;
	double scale = n > 1.0 ? log10(n) : 1.0;

	if (!sp)
		return -ENOMEM;
	if (scale < 1.0)
		scale = 1.0;
	if (s->nsusp == s->capsusp) {
		size_t c = s->capsusp ? s->capsusp * 2 : 16;
		struct member **ns = realloc(s->suspects, c * sizeof(*ns));
		if (!ns) {
			free(sp);
			return -ENOMEM;
		}
		s->suspects = ns;
		s->capsusp = c;
	}
	sp->inc = inc;
	sp->start_ns = s->now;
	/* memberlist's min = mult * log10(N) * interval, never under two probe periods */
	double mult = s->cfg.suspicion_mult * scale;
	sp->min_ns = (uint64_t)((mult < 2.0 ? 2.0 : mult) * (double)s->cfg.probe_interval_ns);
	sp->max_ns = (uint64_t)(s->cfg.suspicion_max_mult * (double)sp->min_ns);
	if (sp->max_ns < sp->min_ns)
		sp->max_ns = sp->min_ns;
	sp->k = member_suspicion_k(s);
	suspicion_add_who(sp, who);
	suspicion_deadline(sp);
	m->susp = sp;
	m->susp_idx = s->nsusp;
	s->suspects[s->nsusp++] = m;
	return 0;
}

/* ---- State. */

void member_set_state(struct swim *s, struct member *m, enum swim_state st)
{
	if (!m->provisional) {
		s->count[m->state]--;
		s->count[st]++;
	}
	if (st != SWIM_SUSPECT)
		suspicion_drop(s, m);
	m->state = st;
	m->state_since = s->now;
}

static void claim_store(struct member *m, const uint8_t *claim, uint64_t inc)
{
	if (!m->claim)
		m->claim = malloc(W_CLAIM);
	if (m->claim)
		memcpy(m->claim, claim, W_CLAIM);
	m->claim_inc = inc;
}

static void claim_clear(struct member *m)
{
	free(m->claim);
	m->claim = NULL;
	m->claim_inc = 0;
}

static void sign_claim(struct swim *s, uint8_t out[W_CLAIM], const char *ctx,
		       const uint8_t subject[32], uint64_t inc)
{
	wire_claim_build(out, subject, inc, s->pk, s->now_unix);
	swc_sign(out + W_CLAIM_SIGNED, ctx, out, W_CLAIM_SIGNED, s->sk);
}

void member_suspect_local(struct swim *s, struct member *m)
{
	uint8_t claim[W_CLAIM];
	uint64_t inc = m->rv.inc;

	if (!member_is_live(m))
		return;
	if (m->state == SWIM_SUSPECT && m->susp) {
		/* our own failed probe is one more independent confirmation */
		inc = m->susp->inc;
		if (m->susp->n >= m->susp->k || suspicion_has(m->susp, s->pk))
			return;
		sign_claim(s, claim, WIRE_CTX_SUSPECT, m->pk, inc);
		suspicion_add_who(m->susp, s->pk);
		if (m->susp->n < m->susp->k) {
			m->susp->n++;
			suspicion_deadline(m->susp);
		}
		bq_push(s, BK_CLAIM, m->pk, inc, F_SUSPECT, claim, W_CLAIM);
		return;
	}
	sign_claim(s, claim, WIRE_CTX_SUSPECT, m->pk, inc);
	if (suspicion_start(s, m, inc, s->pk) < 0)
		return;
	claim_store(m, claim, inc);
	member_set_state(s, m, SWIM_SUSPECT);
	/* member_set_state keeps the suspicion for SUSPECT */
	s->st.suspicions++;
	bq_push(s, BK_CLAIM, m->pk, inc, F_SUSPECT, claim, W_CLAIM);
	member_emit(s, m, SWIM_EV_SUSPECT, 0);
}

void member_declare_dead(struct swim *s, struct member *m)
{
	uint8_t claim[W_CLAIM];
	uint64_t inc = m->susp ? m->susp->inc : m->rv.inc;

	sign_claim(s, claim, WIRE_CTX_DEAD, m->pk, inc);
	claim_store(m, claim, inc);
	member_set_state(s, m, SWIM_DEAD);
	m->their_view = 0; /* next contact is a handshake: it may have lost its state */
	s->st.deaths_declared++;
	bq_push(s, BK_CLAIM, m->pk, inc, F_DEAD, claim, W_CLAIM);
	member_emit(s, m, SWIM_EV_DEAD, 0);
}

/* ---- Removal. */

void member_remove(struct swim *s, struct member *m, bool trust)
{
	if (trust && !m->provisional)
		member_emit(s, m, SWIM_EV_REMOVED_TRUST, 0);
	probe_forget(s, m->pk);
	suspicion_drop(s, m);
	if (!m->provisional)
		s->count[m->state]--;
	dense_remove(s, m);
	session_unregister(s, m);
	bq_drop(s, BK_RECORD, m->pk);
	bq_drop(s, BK_CLAIM, m->pk);
	kmap_del(&s->members, m->pk);
	free(m->rec);
	free(m->claim);
	sodium_memzero(m, sizeof(*m));
	free(m);
}

void member_free_all(struct swim *s)
{
	for (size_t i = 0; i < s->members.cap; i++) {
		struct member *m = s->members.slots[i];
		if (!m)
			continue;
		if (m->susp) {
			free(m->susp->who);
			free(m->susp);
		}
		free(m->rec);
		free(m->claim);
		sodium_memzero(m, sizeof(*m));
		free(m);
	}
	kmap_free(&s->members);
	kmap_free(&s->pairs);
	free(s->dense);
	free(s->suspects);
}

/* Tombstones expire by the signed time of the claim or left record. */
static int64_t tombstone_time(const struct member *m)
{
	if (m->state == SWIM_DEAD && m->claim)
		return (int64_t)mg_load_le64(m->claim + 72);
	return m->rv.time;
}

void member_reap(struct swim *s)
{
	for (size_t i = s->ndense; i-- > 0;) {
		struct member *m = s->dense[i];
		if (m->state != SWIM_DEAD && m->state != SWIM_LEFT)
			continue;
		int64_t t = tombstone_time(m);
		if (s->now_unix > t && s->now_unix - t > s->cfg.tombstone_s &&
		    s->now - m->state_since > (uint64_t)s->cfg.tombstone_s * 1000000000ull)
			member_remove(s, m, false);
	}
}

void member_recheck_all(struct swim *s)
{
	for (size_t i = s->ndense; i-- > 0;) {
		struct member *m = s->dense[i];
		struct swim_verdict vd = { 0 };
		s->ops.admit(s->ctx, m->pk, m->rv.cert, m->rv.cert_len, m->rv.wg, s->now_unix, &vd);
		if (!vd.allowed) {
			char hex[17];
			mg_hex_encode(hex, m->pk, 8);
			swim_log_limited(s, MG_LOG_DEBUG, "swim: member %s removed: %s", hex,
					 vd.trust_path[0] ? vd.trust_path : "no longer trusted");
			member_remove(s, m, true);
			continue;
		}
		vd.trust_path[sizeof(vd.trust_path) - 1] = 0;
		vd.name[sizeof(vd.name) - 1] = 0;
		memcpy(m->path, vd.trust_path, sizeof(m->path));
		memcpy(m->name, vd.name, sizeof(m->name));
	}
}

/* ---- Records. */

static uint32_t record_changes(const struct rec_view *a, const struct rec_view *b)
{
	uint32_t c = 0;
	if (memcmp(a->wg, b->wg, 32))
		c |= SWIM_CHANGED_WG_KEY;
	if (a->n_eps != b->n_eps || memcmp(a->eps, b->eps, (size_t)a->n_eps * W_ENDPOINT))
		c |= SWIM_CHANGED_ENDPOINTS;
	if (a->cert_len != b->cert_len || (a->cert_len && memcmp(a->cert, b->cert, a->cert_len)))
		c |= SWIM_CHANGED_CERT;
	return c;
}

static enum rec_result record_about_self(struct swim *s, const uint8_t *rec, size_t len,
					 const struct rec_view *v)
{
	/* Someone holds a record of ours that is newer than (or as new as, but
	 * different from) the one we sign now: a previous life of this node. */
	if (v->inc > s->inc ||
	    (v->inc == s->inc && (len != s->rec_len || memcmp(rec, s->rec, len) != 0))) {
		if (swc_verify(v->sig, WIRE_CTX_RECORD, rec, v->signed_len, s->pk)) {
			swim_bump_inc(s, v->inc + 1);
			s->st.refutations++;
		}
	}
	return REC_SELF;
}

/* Debug only: the admit callback's owner (the daemon) logs denials per identity. */
static void log_refused(struct swim *s, const uint8_t pk[32], const struct swim_verdict *vd)
{
	char hex[17];
	mg_hex_encode(hex, pk, 8);
	swim_log_limited(s, MG_LOG_DEBUG, "swim: member %s refused by trust: %s", hex,
			 vd->trust_path[0] ? vd->trust_path : "not trusted");
}

enum rec_result member_apply_record(struct swim *s, const uint8_t *rec, size_t len,
				    struct member **out)
{
	struct rec_view v, old;
	struct swim_verdict vd = { 0 };
	struct member *m;
	uint8_t *copy, *oldrec;
	bool isnew;

	*out = NULL;
	if (wire_record_parse(rec, len, &v) < 0)
		return REC_BAD;
	if (memcmp(v.pk, s->pk, 32) == 0)
		return record_about_self(s, rec, len, &v);
	m = member_find(s, v.pk);
	isnew = !m || m->provisional;
	if (!isnew) {
		*out = m;
		if (v.inc < m->rv.inc)
			return REC_STALE;
		if (v.inc == m->rv.inc)
			return len == m->rv.len && memcmp(rec, m->rec, len) == 0 ? REC_DUP : REC_STALE;
	}
	if (!swc_verify(v.sig, WIRE_CTX_RECORD, rec, v.signed_len, v.pk)) {
		s->st.rx_auth_fail++;
		return REC_BAD;
	}
	if (isnew && v.status == REC_LEFT && s->now_unix - v.time > s->cfg.tombstone_s)
		return REC_STALE; /* an expired tombstone: do not resurrect it */
	s->ops.admit(s->ctx, v.pk, v.cert, v.cert_len, v.wg, s->now_unix, &vd);
	vd.trust_path[sizeof(vd.trust_path) - 1] = 0;
	vd.name[sizeof(vd.name) - 1] = 0;
	if (!vd.allowed) {
		s->st.rx_untrusted++;
		log_refused(s, v.pk, &vd);
		if (m)
			member_remove(s, m, !isnew);
		*out = NULL;
		return REC_DENIED;
	}
	if (!m) {
		if (s->members.count >= s->cfg.max_members) {
			s->st.limit_members++;
			swim_log_limited(s, MG_LOG_WARN,
					 "swim: member table full (max_members %zu): new member "
					 "not admitted",
					 s->cfg.max_members);
			return REC_FULL;
		}
		if (!(m = member_new(s, v.pk)))
			return REC_FULL;
	}
	if (!(copy = malloc(len)))
		return REC_FULL;
	memcpy(copy, rec, len);
	old = m->rv;
	oldrec = m->rec;
	m->rec = copy;
	wire_record_parse(copy, len, &m->rv);
	memcpy(m->path, vd.trust_path, sizeof(m->path));
	memcpy(m->name, vd.name, sizeof(m->name));
	*out = m;

	if (isnew) {
		free(oldrec);
		m->provisional = false;
		m->state = v.status == REC_LEFT ? SWIM_LEFT : SWIM_ALIVE;
		m->state_since = s->now;
		s->count[m->state]++;
		if (dense_add(s, m) < 0) {
			member_remove(s, m, false);
			*out = NULL;
			return REC_FULL;
		}
		s->pp_new++;
		head_push(s, m->pk, v.inc);
		if (m->state == SWIM_ALIVE)
			member_emit(s, m, SWIM_EV_JOINED, 0);
		return REC_NEW;
	}

	uint32_t changed = record_changes(&old, &m->rv);
	free(oldrec);
	head_push(s, m->pk, v.inc);
	bq_invalidate_claims_below(s, m->pk, v.inc);
	s->pp_new++;
	if (v.status == REC_LEFT) {
		if (m->state != SWIM_LEFT) {
			claim_clear(m);
			member_set_state(s, m, SWIM_LEFT);
			member_emit(s, m, SWIM_EV_LEFT, 0);
		}
		return REC_UPDATED;
	}
	switch (m->state) {
	case SWIM_ALIVE:
		break;
	case SWIM_SUSPECT:
		if (v.inc > m->claim_inc) {
			claim_clear(m);
			member_set_state(s, m, SWIM_ALIVE);
			member_emit(s, m, SWIM_EV_ALIVE, 0);
		}
		break;
	case SWIM_DEAD:
		if (v.inc <= m->claim_inc)
			return REC_UPDATED; /* still dead: the claim is about this incarnation */
		claim_clear(m);
		member_set_state(s, m, SWIM_ALIVE);
		member_emit(s, m, SWIM_EV_JOINED, 0);
		changed = 0;
		break;
	case SWIM_LEFT:
		member_set_state(s, m, SWIM_ALIVE);
		member_emit(s, m, SWIM_EV_JOINED, 0);
		changed = 0;
		break;
	}
	if (changed && m->state == SWIM_ALIVE)
		member_emit(s, m, SWIM_EV_UPDATED, changed);
	return REC_UPDATED;
}

/* ---- Claims. */

static enum claim_result claim_about_self(struct swim *s, uint8_t type,
					  const struct claim_view *c, const uint8_t *claim)
{
	const char *ctx = type == F_DEAD ? WIRE_CTX_DEAD : WIRE_CTX_SUSPECT;
	struct member *by = member_find(s, c->claimer);

	if (c->inc < s->inc)
		return CL_IGNORED; /* already refuted */
	if (!by || by->provisional)
		return CL_IGNORED;
	if (!swc_verify(c->sig, ctx, claim, W_CLAIM_SIGNED, c->claimer))
		return CL_BAD;
	/* Refute (SWIM): a new record with a higher incarnation. */
	swim_bump_inc(s, c->inc + 1);
	s->st.refutations++;
	awareness_apply(s, 1); /* Lifeguard: being suspected hints at our own slowness */
	return CL_APPLIED;
}

enum claim_result member_apply_claim(struct swim *s, uint8_t type, const uint8_t *claim)
{
	const char *ctx = type == F_DEAD ? WIRE_CTX_DEAD : WIRE_CTX_SUSPECT;
	struct claim_view c;
	struct member *m, *by;

	if (wire_claim_parse(claim, W_CLAIM, &c) < 0)
		return CL_BAD;
	if (memcmp(c.subject, s->pk, 32) == 0)
		return claim_about_self(s, type, &c, claim);
	if (memcmp(c.claimer, s->pk, 32) == 0)
		return CL_DUP; /* our own claim coming back */
	by = member_find(s, c.claimer);
	m = member_find(s, c.subject);
	if (!by || by->provisional || !m || m->provisional)
		return CL_IGNORED; /* unknown claimer (not trusted by us) or subject */
	if (c.inc < m->rv.inc) {
		s->st.rx_stale++;
		return CL_IGNORED;
	}
	if (c.inc > m->rv.inc + s->cfg.claim_inc_slack)
		return CL_IGNORED;
	if (m->state == SWIM_LEFT)
		return CL_IGNORED;
	if (type == F_DEAD) {
		if (m->state == SWIM_DEAD && m->claim_inc >= c.inc)
			return CL_DUP;
		if (!swc_verify(c.sig, ctx, claim, W_CLAIM_SIGNED, c.claimer)) {
			s->st.rx_auth_fail++;
			return CL_BAD;
		}
		claim_store(m, claim, c.inc);
		member_set_state(s, m, SWIM_DEAD);
		m->their_view = 0;
		bq_push(s, BK_CLAIM, m->pk, c.inc, F_DEAD, claim, W_CLAIM);
		member_emit(s, m, SWIM_EV_DEAD, 0);
		return CL_APPLIED;
	}
	if (m->state == SWIM_DEAD)
		return CL_IGNORED;
	if (m->state == SWIM_SUSPECT && m->susp && m->susp->inc == c.inc) {
		/* Lifeguard: once k confirmations drove the timer to min, more add nothing
		 * (and are not re-broadcast: each would cost every node a retransmit budget) */
		if (m->susp->n >= m->susp->k || suspicion_has(m->susp, c.claimer))
			return CL_DUP;
		if (!swc_verify(c.sig, ctx, claim, W_CLAIM_SIGNED, c.claimer)) {
			s->st.rx_auth_fail++;
			return CL_BAD;
		}
		/* Lifeguard: an independent confirmation shortens the timeout. */
		suspicion_add_who(m->susp, c.claimer);
		if (m->susp->n < m->susp->k) {
			m->susp->n++;
			suspicion_deadline(m->susp);
		}
		bq_push(s, BK_CLAIM, m->pk, c.inc, F_SUSPECT, claim, W_CLAIM);
		return CL_APPLIED;
	}
	if (!swc_verify(c.sig, ctx, claim, W_CLAIM_SIGNED, c.claimer)) {
		s->st.rx_auth_fail++;
		return CL_BAD;
	}
	suspicion_drop(s, m);
	if (suspicion_start(s, m, c.inc, c.claimer) < 0)
		return CL_IGNORED;
	claim_store(m, claim, c.inc);
	bool was_alive = m->state == SWIM_ALIVE;
	if (was_alive) {
		s->count[SWIM_ALIVE]--;
		s->count[SWIM_SUSPECT]++;
		m->state = SWIM_SUSPECT;
		m->state_since = s->now;
	}
	bq_push(s, BK_CLAIM, m->pk, c.inc, F_SUSPECT, claim, W_CLAIM);
	if (was_alive)
		member_emit(s, m, SWIM_EV_SUSPECT, 0);
	/* About k+1 of the N members that hear of a new suspicion probe the suspect
	 * next, out of turn: independent confirmations (or a refutation) come within
	 * a probe period or two instead of whenever the round-robin gets there. */
	if (swim_rand_below(s, swim_n_live(s) + 1) < (uint64_t)member_suspicion_k(s) + 1) {
		memcpy(s->urgent, m->pk, 32);
		s->has_urgent = true;
	}
	return CL_APPLIED;
}
