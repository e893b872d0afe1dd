/* SPDX-License-Identifier: MIT */
/*
 * Push/pull anti-entropy over the gossip port, and the org message store.
 *
 *   A -> B  PP_DIGEST: for nb member buckets and no org buckets (contiguous
 *           ranges of the key space), the XOR of a 64-bit hash of every entry
 *           (member: pk, incarnation, alive/dead/left; org: message hash).
 *   B -> A  for each bucket that differs: if A's is empty, the records (and
 *           dead claims, org messages) themselves; otherwise PP_MEMBERS /
 *           PP_ORGS listing B's entries of the bucket, in chunks that each
 *           cover a contiguous key range.
 *   A -> B  records B lacks or holds older (push), WANT_* for what A lacks
 *           (pull); B answers wants with records / org messages.
 *
 * Only differences travel; a node that was partitioned or offline catches up
 * on members, revocations, vouches and aliases. While a node is catching up
 * (its last exchange taught it something) it repeats the exchange quickly.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "crypto.h"
#include "swim_int.h"

/* ---- Org store. */

static const uint8_t *org_id(const uint8_t hash[32])
{
	return hash; /* the first W_ORG_ID bytes of the hash name a message */
}

void org_free_all(struct swim *s)
{
	for (size_t i = 0; i < s->norg; i++)
		free(s->orglist[i]);
	free(s->orglist);
	kmap_free(&s->orgs);
	kmap_free(&s->org_rejected);
	free(s->org_rej_keys);
}

int org_store(struct swim *s, const uint8_t *msg, size_t len, const uint8_t hash[32])
{
	struct orgmsg *o;

	if (s->norg >= s->cfg.max_org_messages) {
		s->st.limit_org++;
		swim_log_limited(s, MG_LOG_WARN,
				 "swim: org message store full (max_org_messages %zu): message "
				 "applied but not stored for anti-entropy",
				 s->cfg.max_org_messages);
		return -ENOSPC;
	}
	if (s->norg == s->caporg) {
		size_t n = s->caporg ? s->caporg * 2 : 16;
		struct orgmsg **nl = realloc(s->orglist, n * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		s->orglist = nl;
		s->caporg = n;
	}
	if (!(o = malloc(sizeof(*o) + len)))
		return -ENOMEM;
	memcpy(o->hash, hash, 32);
	o->len = (uint16_t)len;
	memcpy(o->bytes, msg, len);
	if (kmap_put(&s->orgs, o) < 0) {
		free(o);
		return -ENOMEM;
	}
	s->orglist[s->norg++] = o;
	return 0;
}

static void org_reject(struct swim *s, const uint8_t hash[32])
{
	/* Remember rejects so that gossip repeats cost no callback; bounded, then reset. */
	if (s->nrej >= s->cfg.max_org_messages) {
		kmap_free(&s->org_rejected);
		kmap_init(&s->org_rejected, W_ORG_ID, 0, s->orgs.hkey);
		s->nrej = 0;
	}
	if (!s->org_rej_keys) {
		s->org_rej_keys = malloc(s->cfg.max_org_messages * 32);
		if (!s->org_rej_keys)
			return;
	}
	memcpy(s->org_rej_keys[s->nrej], hash, 32);
	if (kmap_put(&s->org_rejected, s->org_rej_keys[s->nrej]) == 0)
		s->nrej++;
}

void org_apply(struct swim *s, const uint8_t *msg, size_t len)
{
	uint8_t h[32];

	if (len == 0 || len > SWIM_MAX_ORG_MSG) {
		s->st.rx_malformed++;
		return;
	}
	swc_hash32(h, msg, len);
	if (kmap_get(&s->orgs, org_id(h)) || kmap_get(&s->org_rejected, org_id(h)))
		return;
	switch (s->ops.org_message(s->ctx, msg, len, s->now_unix)) {
	case SWIM_ORG_NEW:
		s->st.org_new++;
		org_store(s, msg, len, h);
		bq_push(s, BK_ORG, h, 0, F_ORG, msg, len);
		s->recheck_pending = true; /* a revocation may change verdicts */
		s->pp_new++;
		break;
	case SWIM_ORG_DUPLICATE:
	case SWIM_ORG_STALE:
		/* valid: keep it so that every node's set converges, but do not spread it */
		org_store(s, msg, len, h);
		break;
	default:
		s->st.org_rejected++;
		org_reject(s, h);
		break;
	}
}

/* ---- Buckets. */

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

static size_t member_buckets(const struct swim *s)
{
	size_t nb = pow2_at_least((s->ndense + 1 + 15) / 16);
	return nb > W_PP_MAX_BUCKETS ? W_PP_MAX_BUCKETS : nb;
}

static size_t org_buckets(const struct swim *s)
{
	size_t no = pow2_at_least((s->norg + 15) / 16);
	return no > W_PP_MAX_ORG_BUCKETS ? W_PP_MAX_ORG_BUCKETS : no;
}

static size_t bucket_of(const uint8_t key[32], size_t nb)
{
	return (size_t)(((uint64_t)mg_load_be16(key) * nb) >> 16);
}

/* Key range [lo, hi] of a bucket, as big-endian 64-bit prefixes. */
static void bucket_range(size_t b, size_t nb, uint64_t *lo, uint64_t *hi)
{
	uint64_t width = UINT64_MAX / nb + 1; /* nb is a power of two */
	*lo = (uint64_t)b * width;
	*hi = *lo + (width - 1);
}

static uint8_t pp_state_of(const struct member *m)
{
	return m->state == SWIM_DEAD ? PP_DEAD : m->state == SWIM_LEFT ? PP_LEFT : PP_ALIVE;
}

static uint64_t entry_hash(const uint8_t pk[32], uint64_t inc, uint8_t st)
{
	uint8_t b[9];
	mg_store_le64(b, inc);
	b[8] = st;
	return swc_hash64(pk, 32, b, 9);
}

static void digest(const struct swim *s, size_t nb, size_t no, uint64_t *mh, uint64_t *oh)
{
	memset(mh, 0, nb * 8);
	memset(oh, 0, no * 8);
	mh[bucket_of(s->pk, nb)] ^= entry_hash(s->pk, s->inc, s->status == REC_LEFT ? PP_LEFT : PP_ALIVE);
	for (size_t i = 0; i < s->ndense; i++) {
		const struct member *m = s->dense[i];
		if (m->state != SWIM_DEAD)
			mh[bucket_of(m->pk, nb)] ^= entry_hash(m->pk, m->rv.inc, pp_state_of(m));
	}
	for (size_t i = 0; i < s->norg; i++)
		oh[bucket_of(s->orglist[i]->hash, no)] ^= mg_load_le64(s->orglist[i]->hash);
}

uint64_t pp_interval(const struct swim *s)
{
	/* memberlist's scaling: beyond 32 members, slower by ceil(log2(N) - log2(32)) + 1 */
	double n = (double)swim_n_live(s) + 1.0;
	double mult = n <= 32.0 ? 1.0 : ceil(log2(n) - 5.0) + 1.0;
	return (uint64_t)(mult * (double)s->cfg.push_pull_interval_ns);
}

/* ---- A bounded multi-datagram answer to one peer. */

struct reply {
	struct swim *s;
	struct member *to;
	uint32_t left; /* datagrams still allowed */
	bool open, full;
};

static bool reply_frame(struct reply *r, uint8_t type, const uint8_t *body, size_t len)
{
	struct out *o = &r->s->out;

	if (r->full)
		return false;
	if (r->open && out_frame(o, type, body, len))
		return true;
	if (r->open) {
		out_flush(r->s, o);
		r->open = false;
	}
	if (!r->left || !out_begin(r->s, o, r->to, 0)) {
		r->full = true;
		return false;
	}
	r->left--;
	r->open = true;
	if (!out_frame(o, type, body, len)) {
		r->full = true;
		return false;
	}
	return true;
}

static void reply_end(struct reply *r)
{
	if (r->open)
		out_flush(r->s, &r->s->out);
	r->open = false;
}

static void reply_init(struct reply *r, struct swim *s, struct member *to)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->to = to;
	r->left = s->reply_capped ? 1 : s->cfg.push_pull_max_datagrams;
}

/* Send a member's signed record. Deaths are not replicated by anti-entropy:
 * dead members are left out of digests, so a healed partition or a late
 * joiner never learns "dead" over a record it could verify is alive; SWIM's
 * own probing (and the broadcast of fresh dead claims) decides. */
static void push_member(struct reply *r, const struct member *m)
{
	reply_frame(r, F_RECORD, m->rec, m->rv.len);
}

static void push_self(struct reply *r)
{
	reply_frame(r, F_RECORD, r->s->rec, r->s->rec_len);
}

/* ---- Starting an exchange. */

void sync_start(struct swim *s, struct member *m)
{
	size_t nb = member_buckets(s), no = org_buckets(s);
	uint8_t body[4 + 8 * (W_PP_MAX_BUCKETS + W_PP_MAX_ORG_BUCKETS)];
	uint64_t mh[W_PP_MAX_BUCKETS], oh[W_PP_MAX_ORG_BUCKETS];
	struct out *o = &s->out;

	digest(s, nb, no, mh, oh);
	mg_store_le16(body, (uint16_t)nb);
	mg_store_le16(body + 2, (uint16_t)no);
	for (size_t i = 0; i < nb; i++)
		mg_store_le64(body + 4 + 8 * i, mh[i]);
	for (size_t i = 0; i < no; i++)
		mg_store_le64(body + 4 + 8 * (nb + i), oh[i]);
	if (!out_begin(s, o, m, 0))
		return;
	if (!out_frame(o, F_PP_DIGEST, body, 4 + 8 * (nb + no))) {
		o->to = NULL;
		return;
	}
	out_flush(s, o);
	s->st.push_pulls++;
	if (memcmp(s->pp_peer, m->pk, 32) != 0)
		s->pp_retries = 0;
	memcpy(s->pp_peer, m->pk, 32);
	s->pp_new = 0;
	s->pp_answered = false;
	s->pp_followup = s->now + s->cfg.probe_timeout_ns;
}

static bool pp_partner(const struct member *m, const void *arg)
{
	(void)arg;
	return member_is_live(m);
}

void sync_tick(struct swim *s)
{
	struct member *m;

	if (s->pp_followup && s->now >= s->pp_followup) {
		/* still catching up (the last exchange taught us something), or the
		 * exchange got no answer at all (lost): repeat it */
		bool again = s->pp_new > 0 || (!s->pp_answered && s->pp_retries++ < 3);
		s->pp_followup = 0;
		if (again && (m = member_find(s, s->pp_peer)) && member_is_live(m))
			sync_start(s, m);
	}
	if (s->now < s->next_pp)
		return;
	s->next_pp = s->now + pp_interval(s);
	if ((m = member_random(s, pp_partner, NULL)))
		sync_start(s, m);
}

/* ---- Answering a digest. */

static int cmp_member_pk(const void *a, const void *b)
{
	return memcmp((*(const struct member *const *)a)->pk, (*(const struct member *const *)b)->pk,
		      32);
}

static int cmp_org(const void *a, const void *b)
{
	return memcmp((*(const struct orgmsg *const *)a)->hash, (*(const struct orgmsg *const *)b)->hash,
		      32);
}

/* Members (and ourselves, as NULL) in bucket b, sorted by key. */
static size_t gather_bucket(const struct swim *s, size_t b, size_t nb, struct member **out,
			    bool *self)
{
	size_t n = 0;
	*self = bucket_of(s->pk, nb) == b;
	for (size_t i = 0; i < s->ndense; i++)
		if (s->dense[i]->state != SWIM_DEAD && bucket_of(s->dense[i]->pk, nb) == b)
			out[n++] = s->dense[i];
	qsort(out, n, sizeof(*out), cmp_member_pk);
	return n;
}

static void put_entry(uint8_t *p, const uint8_t pk[32], uint64_t inc, uint8_t st)
{
	memcpy(p, pk, 32);
	mg_store_le64(p + 32, inc);
	p[40] = st;
}

static void answer_member_bucket(struct reply *r, size_t b, size_t nb, uint64_t theirs,
				 struct member **tmp)
{
	struct swim *s = r->s;
	bool self;
	size_t n = gather_bucket(s, b, nb, tmp, &self);
	uint64_t lo, hi;

	if (theirs == 0) { /* they have nothing here: push it all */
		if (self)
			push_self(r);
		for (size_t i = 0; i < n; i++)
			push_member(r, tmp[i]);
		return;
	}
	/* List our entries in chunks; each chunk covers a contiguous key range. */
	uint8_t body[16 + 30 * W_PP_ENTRY];
	size_t per = (s->cfg.max_datagram - W_INIT_OVERHEAD - W_PAYLOAD_HDR - W_FRAME_HDR - 16) /
		     W_PP_ENTRY;
	size_t total = n + (self ? 1 : 0), done = 0;
	bool self_done = !self;

	if (per > 30)
		per = 30;
	if (per == 0)
		per = 1;
	bucket_range(b, nb, &lo, &hi);
	uint64_t cur_lo = lo;
	size_t i = 0;
	do {
		size_t k = 0;
		uint64_t chunk_hi = hi;
		while (k < per && done < total) {
			const uint8_t *pk;
			uint64_t inc;
			uint8_t st;
			/* merge self into the sorted member list */
			if (!self_done && (i >= n || memcmp(s->pk, tmp[i]->pk, 32) < 0)) {
				pk = s->pk, inc = s->inc;
				st = s->status == REC_LEFT ? PP_LEFT : PP_ALIVE;
				self_done = true;
			} else {
				pk = tmp[i]->pk, inc = tmp[i]->rv.inc, st = pp_state_of(tmp[i]);
				i++;
			}
			put_entry(body + 16 + k * W_PP_ENTRY, pk, inc, st);
			k++, done++;
		}
		if (done < total) {
			/* next chunk starts at the next entry's prefix */
			const uint8_t *npk = (!self_done && (i >= n || memcmp(s->pk, tmp[i]->pk, 32) < 0))
						     ? s->pk
						     : tmp[i]->pk;
			chunk_hi = mg_load_be64(npk) - 1;
		}
		mg_store_be64(body, cur_lo);
		mg_store_be64(body + 8, chunk_hi);
		if (!reply_frame(r, F_PP_MEMBERS, body, 16 + k * W_PP_ENTRY))
			return;
		cur_lo = chunk_hi + 1;
	} while (done < total);
}

static void answer_org_bucket(struct reply *r, size_t b, size_t no, uint64_t theirs,
			      struct orgmsg **tmp)
{
	struct swim *s = r->s;
	size_t n = 0;
	uint64_t lo, hi;

	for (size_t i = 0; i < s->norg; i++)
		if (bucket_of(s->orglist[i]->hash, no) == b)
			tmp[n++] = s->orglist[i];
	qsort(tmp, n, sizeof(*tmp), cmp_org);
	if (theirs == 0) {
		for (size_t i = 0; i < n; i++)
			if (!reply_frame(r, F_ORG, tmp[i]->bytes, tmp[i]->len))
				return;
		return;
	}
	uint8_t body[16 + 120 * W_ORG_ID];
	size_t per = 120, i = 0;
	bucket_range(b, no, &lo, &hi);
	uint64_t cur_lo = lo;
	do {
		size_t k = 0;
		uint64_t chunk_hi = hi;
		while (k < per && i < n) {
			memcpy(body + 16 + k * W_ORG_ID, tmp[i]->hash, W_ORG_ID);
			k++, i++;
		}
		if (i < n)
			chunk_hi = mg_load_be64(tmp[i]->hash) - 1;
		mg_store_be64(body, cur_lo);
		mg_store_be64(body + 8, chunk_hi);
		if (!reply_frame(r, F_PP_ORGS, body, 16 + k * W_ORG_ID))
			return;
		cur_lo = chunk_hi + 1;
	} while (i < n);
}

static void on_digest(struct swim *s, struct member *from, const uint8_t *body)
{
	size_t nb = mg_load_le16(body), no = mg_load_le16(body + 2);
	uint64_t mh[W_PP_MAX_BUCKETS], oh[W_PP_MAX_ORG_BUCKETS];
	struct reply r;
	void **tmp;
	size_t tmpn = (s->ndense > s->norg ? s->ndense : s->norg) + 1;

	if (!(tmp = malloc(tmpn * sizeof(*tmp))))
		return;
	digest(s, nb, no, mh, oh);
	reply_init(&r, s, from);
	for (size_t b = 0; b < nb && !r.full; b++) {
		uint64_t theirs = mg_load_le64(body + 4 + 8 * b);
		if (theirs != mh[b])
			answer_member_bucket(&r, b, nb, theirs, (struct member **)tmp);
	}
	for (size_t b = 0; b < no && !r.full; b++) {
		uint64_t theirs = mg_load_le64(body + 4 + 8 * (nb + b));
		if (theirs != oh[b])
			answer_org_bucket(&r, b, no, theirs, (struct orgmsg **)tmp);
	}
	reply_end(&r);
	free(tmp);
}

/* ---- Comparing their entries with ours. */

static bool in_entries(const uint8_t *ents, size_t n, const uint8_t pk[32])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(ents + i * W_PP_ENTRY, pk, 32) == 0)
			return true;
	return false;
}

static void nudge_dead(struct swim *s, struct member *m)
{
	/* We hold it dead, they alive at the same incarnation: anti-entropy does
	 * not spread deaths over a live record (a healed partition would kill
	 * live members). Ask the member itself; if it is up it will refute. */
	struct out *o = &s->out2;
	uint8_t seq[8];
	if (m->last_nudge_ns && s->now - m->last_nudge_ns < s->cfg.probe_interval_ns)
		return;
	mg_store_le64(seq, ++s->seq);
	if (!out_begin(s, o, m, 0))
		return;
	out_frame(o, F_PING, seq, 8);
	out_flush(s, o);
}

static void on_members(struct swim *s, struct member *from, const uint8_t *body, size_t len)
{
	uint64_t lo = mg_load_be64(body), hi = mg_load_be64(body + 8);
	const uint8_t *ents = body + 16;
	size_t n = (len - 16) / W_PP_ENTRY;
	uint8_t want[30 * 32];
	size_t nwant = 0;
	struct reply r;

	reply_init(&r, s, from);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *pk = ents + i * W_PP_ENTRY;
		uint64_t inc = mg_load_le64(pk + 32);
		uint8_t st = pk[40];
		if (memcmp(pk, s->pk, 32) == 0) {
			if (inc > s->inc)
				memcpy(want + 32 * nwant++, pk, 32); /* a newer record of ours exists */
			else if (inc < s->inc)
				push_self(&r);
			continue;
		}
		struct member *m = member_find(s, pk);
		if (!m || m->provisional || inc > m->rv.inc) {
			if (nwant < 30)
				memcpy(want + 32 * nwant++, pk, 32);
			continue;
		}
		uint8_t mine = pp_state_of(m);
		if (inc < m->rv.inc && mine != PP_DEAD)
			push_member(&r, m);
		else if (mine == PP_DEAD && inc == m->rv.inc && st == PP_ALIVE)
			nudge_dead(s, m);
		else if (mine == PP_LEFT && st != PP_LEFT)
			push_member(&r, m);
	}
	/* What we hold in the covered range and they do not list: push. */
	uint64_t sp = mg_load_be64(s->pk);
	if (sp >= lo && sp <= hi && !in_entries(ents, n, s->pk))
		push_self(&r);
	for (size_t i = 0; i < s->ndense && !r.full; i++) {
		struct member *m = s->dense[i];
		uint64_t p = mg_load_be64(m->pk);
		if (m->state != SWIM_DEAD && p >= lo && p <= hi && !in_entries(ents, n, m->pk))
			push_member(&r, m);
	}
	if (nwant)
		reply_frame(&r, F_WANT_MEMBERS, want, nwant * 32);
	reply_end(&r);
}

static bool in_ids(const uint8_t *ids, size_t n, const uint8_t *id)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(ids + i * W_ORG_ID, id, W_ORG_ID) == 0)
			return true;
	return false;
}

static void on_orgs(struct swim *s, struct member *from, const uint8_t *body, size_t len)
{
	uint64_t lo = mg_load_be64(body), hi = mg_load_be64(body + 8);
	const uint8_t *ids = body + 16;
	size_t n = (len - 16) / W_ORG_ID;
	uint8_t want[120 * W_ORG_ID];
	size_t nwant = 0;
	struct reply r;

	reply_init(&r, s, from);
	for (size_t i = 0; i < n && nwant < 120; i++) {
		const uint8_t *id = ids + i * W_ORG_ID;
		if (!kmap_get(&s->orgs, id) && !kmap_get(&s->org_rejected, id))
			memcpy(want + W_ORG_ID * nwant++, id, W_ORG_ID);
	}
	for (size_t i = 0; i < s->norg && !r.full; i++) {
		struct orgmsg *o = s->orglist[i];
		uint64_t p = mg_load_be64(o->hash);
		if (p >= lo && p <= hi && !in_ids(ids, n, o->hash))
			reply_frame(&r, F_ORG, o->bytes, o->len);
	}
	if (nwant)
		reply_frame(&r, F_WANT_ORGS, want, nwant * W_ORG_ID);
	reply_end(&r);
}

static void on_want_members(struct swim *s, struct member *from, const uint8_t *body, size_t len)
{
	struct reply r;
	reply_init(&r, s, from);
	for (size_t o = 0; o < len && !r.full; o += 32) {
		struct member *m;
		if (memcmp(body + o, s->pk, 32) == 0)
			push_self(&r);
		else if ((m = member_find(s, body + o)) && !m->provisional)
			push_member(&r, m);
	}
	reply_end(&r);
}

static void on_want_orgs(struct swim *s, struct member *from, const uint8_t *body, size_t len)
{
	struct reply r;
	reply_init(&r, s, from);
	for (size_t o = 0; o < len && !r.full; o += W_ORG_ID) {
		struct orgmsg *m = kmap_get(&s->orgs, body + o);
		if (m)
			reply_frame(&r, F_ORG, m->bytes, m->len);
	}
	reply_end(&r);
}

void sync_on_frame(struct swim *s, struct member *from, uint8_t type, const uint8_t *body,
		   size_t len)
{
	if (type != F_PP_DIGEST && memcmp(from->pk, s->pp_peer, 32) == 0)
		s->pp_answered = true;
	switch (type) {
	case F_PP_DIGEST:
		on_digest(s, from, body);
		break;
	case F_PP_MEMBERS:
		on_members(s, from, body, len);
		break;
	case F_PP_ORGS:
		on_orgs(s, from, body, len);
		break;
	case F_WANT_MEMBERS:
		on_want_members(s, from, body, len);
		break;
	case F_WANT_ORGS:
		on_want_orgs(s, from, body, len);
		break;
	}
}

/* ---- HEADs: records spread as (pk, incarnation); receivers fetch what they lack. */

void head_push(struct swim *s, const uint8_t pk[32], uint64_t inc)
{
	uint8_t body[W_HEAD];
	memcpy(body, pk, 32);
	mg_store_le64(body + 32, inc);
	bq_push(s, BK_RECORD, pk, inc, F_HEAD, body, sizeof(body));
}

void head_on(struct swim *s, const struct member *from, const uint8_t *body, uint8_t *want,
	     size_t *nwant, size_t cap)
{
	uint64_t inc = mg_load_le64(body + 32);
	struct member *m;
	struct want *w;

	if (memcmp(body, s->pk, 32) == 0) {
		if (inc <= s->inc)
			return; /* a newer record of ours would make us move past it */
	} else if ((m = member_find(s, body)) && !m->provisional && m->rv.inc >= inc) {
		return;
	}
	if ((w = kmap_get(&s->wants, body))) {
		if (w->inc >= inc) {
			/* already asked; if the answer is lost, wants_tick asks the latest announcer */
			memcpy(w->from, from->pk, 32);
			return;
		}
	} else {
		if (s->wants.count >= s->cfg.max_members)
			return; /* bounded; the next HEAD or push/pull asks again */
		if (!(w = calloc(1, sizeof(*w))))
			return;
		memcpy(w->pk, body, 32);
		if (kmap_put(&s->wants, w) < 0) {
			free(w);
			return;
		}
	}
	w->inc = inc;
	w->at = s->now;
	w->tries = 0;
	memcpy(w->from, from->pk, 32);
	if (*nwant < cap)
		memcpy(want + 32 * (*nwant)++, body, 32);
}

static bool want_satisfied(const struct swim *s, const struct want *w)
{
	const struct member *m;
	if (memcmp(w->pk, s->pk, 32) == 0)
		return s->inc > w->inc;
	m = member_find(s, w->pk);
	return m && !m->provisional && m->rv.inc >= w->inc;
}

void wants_tick(struct swim *s)
{
	for (size_t i = 0; s->wants.count && i < s->wants.cap;) {
		struct want *w = s->wants.slots[i];
		struct member *from;
		if (!w || (!want_satisfied(s, w) && s->now - w->at < s->cfg.probe_timeout_ns)) {
			i++;
			continue;
		}
		if (!want_satisfied(s, w) && w->tries < 8 && (from = member_find(s, w->from)) &&
		    member_is_live(from)) {
			/* the answer was lost: ask the same member again */
			struct out *o = &s->out;
			w->tries++;
			w->at = s->now;
			if (out_begin(s, o, from, 0)) {
				out_frame(o, F_WANT_MEMBERS, w->pk, 32);
				out_flush(s, o);
			}
			i++;
			continue;
		}
		kmap_del(&s->wants, w->pk); /* backward shift may refill slot i */
		free(w);
	}
}

uint64_t wants_next_deadline(const struct swim *s)
{
	uint64_t d = UINT64_MAX;
	for (size_t i = 0; s->wants.count && i < s->wants.cap; i++) {
		const struct want *w = s->wants.slots[i];
		if (w && w->at + s->cfg.probe_timeout_ns < d)
			d = w->at + s->cfg.probe_timeout_ns;
	}
	return d;
}
