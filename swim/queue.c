/* SPDX-License-Identifier: MIT */
/*
 * Transmit-limited broadcast queue. Every piece of news (a record HEAD, a
 * suspect/dead claim) is sent retransmit_mult * ceil(log10(N+1)) times (org
 * messages three times that), piggybacked on probes and on the gossip tick; the least-sent (then
 * newest) news goes first. A newer item about the same subject replaces the
 * older one. Items are kept in one list per transmit count, so filling a
 * datagram never sorts.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "swim_int.h"

void bq_init(struct bqueue *q, const uint8_t hkey[16])
{
	memset(q, 0, sizeof(*q));
	kmap_init(&q->by_key, 33, offsetof(struct bcast, key), hkey);
}

static void unlink_b(struct bqueue *q, struct bcast *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		q->lists[b->transmits] = b->next;
	if (b->next)
		b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

static int link_head(struct bqueue *q, struct bcast *b)
{
	if (b->transmits >= q->nlists) {
		size_t n = b->transmits + 8;
		struct bcast **nl = realloc(q->lists, n * sizeof(*nl));
		if (!nl)
			return -1;
		memset(nl + q->nlists, 0, (n - q->nlists) * sizeof(*nl));
		q->lists = nl;
		q->nlists = n;
	}
	b->prev = NULL;
	b->next = q->lists[b->transmits];
	if (b->next)
		b->next->prev = b;
	q->lists[b->transmits] = b;
	return 0;
}

static void destroy_b(struct swim *s, struct bcast *b)
{
	unlink_b(&s->q, b);
	kmap_del(&s->q.by_key, b->key);
	s->q.count--;
	free(b);
}

void bq_free(struct bqueue *q)
{
	for (size_t t = 0; t < q->nlists; t++) {
		struct bcast *b = q->lists[t], *n;
		for (; b; b = n) {
			n = b->next;
			free(b);
		}
	}
	free(q->lists);
	kmap_free(&q->by_key);
	memset(q, 0, sizeof(*q));
}

uint32_t bq_limit(const struct swim *s)
{
	double n = (double)swim_n_live(s) + 1.0;
	uint32_t scale = (uint32_t)ceil(log10(n + 1.0));
	uint32_t l = s->cfg.retransmit_mult * (scale ? scale : 1);
	return l ? l : 1;
}

/* When full, give up the item that has already been sent the most. */
static void make_room(struct swim *s)
{
	for (size_t t = s->q.nlists; t-- > 0;) {
		struct bcast *b = s->q.lists[t];
		if (!b)
			continue;
		while (b->next)
			b = b->next; /* oldest of the most-sent */
		destroy_b(s, b);
		s->st.limit_queue++;
		swim_log_limited(s, MG_LOG_WARN,
				 "swim: broadcast queue full (max_queue %zu): dropped an item sent "
				 "%zu times; anti-entropy will repair",
				 s->cfg.max_queue, t);
		return;
	}
}

static void make_key(uint8_t key[33], enum bcast_kind kind, const uint8_t k[32])
{
	key[0] = (uint8_t)kind;
	memcpy(key + 1, k, 32);
}

void bq_drop(struct swim *s, enum bcast_kind kind, const uint8_t k[32])
{
	uint8_t key[33];
	struct bcast *b;

	make_key(key, kind, k);
	if ((b = kmap_get(&s->q.by_key, key)))
		destroy_b(s, b);
}

void bq_invalidate_claims_below(struct swim *s, const uint8_t pk[32], uint64_t inc)
{
	uint8_t key[33];
	struct bcast *b;

	make_key(key, BK_CLAIM, pk);
	if ((b = kmap_get(&s->q.by_key, key)) && b->inc < inc)
		destroy_b(s, b);
}

void bq_push(struct swim *s, enum bcast_kind kind, const uint8_t k[32], uint64_t inc,
	     uint8_t ftype, const uint8_t *body, size_t len)
{
	uint8_t key[33];
	struct bcast *b;

	if (len > UINT16_MAX - W_FRAME_HDR)
		return;
	make_key(key, kind, k);
	if ((b = kmap_get(&s->q.by_key, key)))
		destroy_b(s, b);
	if (s->q.count >= s->cfg.max_queue)
		make_room(s);
	b = calloc(1, sizeof(*b) + W_FRAME_HDR + len);
	if (!b)
		return;
	memcpy(b->key, key, 33);
	b->inc = inc;
	b->len = (uint16_t)(W_FRAME_HDR + len);
	b->frame[0] = ftype;
	mg_store_le16(b->frame + 1, (uint16_t)len);
	memcpy(b->frame + W_FRAME_HDR, body, len);
	if (link_head(&s->q, b) < 0 || kmap_put(&s->q.by_key, b) < 0) {
		unlink_b(&s->q, b);
		free(b);
		return;
	}
	s->q.count++;
}

size_t bq_fill(struct swim *s, struct out *o)
{
	uint32_t limit = bq_limit(s);
	uint32_t stamp = ++s->q.stamp;
	size_t sent = 0, skipped = 0;

	for (size_t t = 0; t < s->q.nlists; t++) {
		struct bcast *b = s->q.lists[t], *next;
		for (; b; b = next) {
			next = b->next;
			if (b->stamp == stamp)
				continue; /* moved up from a lower list during this fill */
			if (out_room(o) < b->len) {
				/* bounded scan: a full datagram should not cost a walk of the whole queue */
				if (out_room(o) < 32 || ++skipped > 64)
					return sent;
				continue;
			}
			out_frame(o, b->frame[0], b->frame + W_FRAME_HDR, b->len - W_FRAME_HDR);
			sent++;
			b->stamp = stamp;
			unlink_b(&s->q, b);
			/* org messages (revocations) are rare, small and matter: a triple budget
			 * makes a node that misses every copy of one (e^-budget) negligible */
			if (++b->transmits >= (b->key[0] == BK_ORG ? 3 * limit : limit)) {
				kmap_del(&s->q.by_key, b->key);
				s->q.count--;
				free(b);
			} else if (link_head(&s->q, b) < 0) {
				kmap_del(&s->q.by_key, b->key);
				s->q.count--;
				free(b);
			}
		}
	}
	return sent;
}
