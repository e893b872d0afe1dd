/* SPDX-License-Identifier: MIT */
/*
 * Internal structures of swim/, shared by its files (and readable by its
 * tests). Nothing here is part of the public interface.
 *
 * File map:
 *   swim.c    lifecycle, config profiles, tick, receive dispatch, seeds, leave
 *   session.c pairwise sessions: HELLO, INIT and DATA sealing/opening, replay
 *             window, rate limits, the outgoing datagram packer
 *   member.c  the member table and its state machine (records, claims, events)
 *   probe.c   failure detector: probes, ping-req relays, nacks, suspicion, awareness
 *   queue.c   the transmit-limited broadcast queue
 *   sync.c    push/pull anti-entropy and the org message store
 *   cache.c   the persistence format
 *   kmap.c    hash map used by all of the above
 *   wire.c    byte-exact encode/decode; crypto.c the cryptography
 */
#ifndef MG_SWIM_INT_H
#define MG_SWIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "swim.h"
#include "wire.h"

/* ---- Hash map of pointers to structs that carry their key at `keyoff`. */
struct kmap {
	void **slots;
	size_t cap, count;
	size_t keylen, keyoff;
	uint8_t hkey[16]; /* SipHash key: bucket placement is unpredictable to peers */
};
void kmap_init(struct kmap *m, size_t keylen, size_t keyoff, const uint8_t hkey[16]);
void kmap_free(struct kmap *m);
void *kmap_get(const struct kmap *m, const void *key);
int kmap_put(struct kmap *m, void *v); /* 0 or -ENOMEM; the key must not be present */
void kmap_del(struct kmap *m, const void *key);

/* ---- Broadcasts (queue.c). */
enum bcast_kind { BK_RECORD = 1, BK_CLAIM = 2, BK_ORG = 3 };

struct bcast {
	uint8_t key[33]; /* kind || subject pk / org hash: map key */
	struct bcast *prev, *next;
	uint32_t transmits;
	uint32_t stamp;
	uint64_t inc;
	uint16_t len;
	uint8_t frame[]; /* type(1) len(2) body */
};

struct bqueue {
	struct bcast **lists; /* lists[t]: entries sent t times, newest first */
	size_t nlists;
	size_t count;
	uint32_t stamp;
	struct kmap by_key;
};

/* ---- Members (member.c). */
struct suspicion {
	uint64_t inc;
	uint64_t start_ns, deadline_ns;
	uint64_t min_ns, max_ns;
	uint32_t n, k;            /* confirmations so far / wanted */
	uint8_t (*who)[32];       /* distinct claimers (the first included) */
	size_t nwho, capwho;
};

struct member {
	uint8_t pk[32]; /* kmap key: must stay first */
	uint64_t rx_id; /* pair-id map key: the id the peer puts on DATA to us */

	/* Signed record (NULL while provisional). */
	uint8_t *rec;
	struct rec_view rv;
	enum swim_state state;
	uint64_t state_since;
	uint8_t *claim;     /* the suspect/dead claim behind state SUSPECT/DEAD (W_CLAIM bytes) */
	uint64_t claim_inc;
	struct suspicion *susp;
	size_t susp_idx;

	bool provisional;   /* a contact (seed, cache) we have no record of yet */
	bool in_dense;
	size_t dense_idx;

	char name[SWIM_NAME_LEN + 1];
	char path[SWIM_PATH_LEN];

	/* Session (session.c). */
	bool x_ok, m_ok, dir_ok, rx_registered;
	uint8_t x[32];           /* X25519 public key (conversion of pk) */
	uint8_t m[32];           /* pair master key */
	uint8_t dir_salt[16];    /* peer boot salt the direction keys were derived with */
	uint8_t tx_key[32], rx_key[32];
	uint64_t tx_id;
	uint64_t tx_ctr;
	uint64_t rx_max;
	uint64_t rx_bits[4];     /* replay window: 256 counters below rx_max */
	bool rx_any;
	uint8_t init_salt[16];   /* peer salt of the newest handshake seen */
	uint64_t init_ctr;       /* its handshake counter */
	uint64_t their_view;     /* incarnation of our record the peer says it holds */
	struct swim_endpoint addr;
	bool addr_ok;
	uint64_t last_rx_ns;
	uint64_t last_nudge_ns;  /* last time we sent it the claim about itself */
};

/* ---- Org message store (sync.c). */
struct orgmsg {
	uint8_t hash[32];
	uint16_t len;
	uint8_t bytes[];
};

/* ---- Records we asked a peer for after its HEAD (sync.c), to ask only once per round trip. */
struct want {
	uint8_t pk[32];
	uint64_t inc;
	uint64_t at;
	uint8_t from[32]; /* who announced it: asked again if the answer was lost */
	uint32_t tries;
};

/* ---- Seeds and cached contacts (swim.c). */
struct contact {
	struct swim_endpoint addr;
	bool has_pk;
	uint8_t pk[32];
	uint8_t nonce[W_HELLO_NONCE];
	bool hello_out;
	bool from_cache;
	uint64_t backoff_ns;
};

/* ---- Failure detector (probe.c). */
struct probe {
	bool active;
	uint8_t target[32];
	uint64_t seq;
	uint64_t timeout_at, end_at;
	bool indirect_sent, acked;
	uint8_t helpers[8][32];
	size_t nhelpers;
	uint32_t nacks;
};

struct relay {
	uint64_t our_seq, req_seq;
	uint8_t requester[32], target[32];
	uint64_t nack_at, expire_at;
	bool want_nack, nack_sent;
};

/* ---- Rate limit for handshakes from unknown sources (session.c). */
struct rl_src {
	uint8_t key[17]; /* family || address */
	uint32_t tokens_milli;
	uint64_t last_ns;
};

/* ---- Outgoing datagram being packed (session.c). */
struct out {
	struct member *to;
	bool init;            /* handshake form (sender hidden, record included) */
	size_t cap;           /* plaintext budget */
	size_t len;           /* plaintext so far */
	size_t min_total;     /* pad the datagram up to this size */
	int frames;           /* frames added by the caller (not by out_begin) */
	uint8_t pt[W_MAX_DATAGRAM];
};

struct swim {
	struct swim_config cfg;
	struct swim_ops ops;
	void *ctx;
	uint64_t now;
	int64_t now_unix;

	/* Identity and our signed record. */
	uint8_t sk[64], pk[32], xsk[32];
	uint8_t mac1_key[32]; /* mac1 key of handshakes sent to us */
	uint8_t salt[16];
	uint64_t inc0, inc;
	uint8_t status;
	uint8_t wg[32];
	struct swim_endpoint eps[SWIM_MAX_ENDPOINTS];
	size_t n_eps;
	uint8_t cert[SWIM_MAX_CERT];
	size_t cert_len;
	uint8_t rec[W_REC_MAX];
	size_t rec_len;
	uint64_t init_ctr;

	/* Members. */
	struct kmap members; /* by pk, provisional contacts included */
	struct kmap pairs;   /* by rx pair id */
	struct member **dense;
	size_t ndense, capdense, cursor;
	size_t count[4];     /* by swim_state, non-provisional */
	struct member **suspects;
	size_t nsusp, capsusp;

	struct bqueue q;

	struct kmap orgs;    /* by hash */
	struct orgmsg **orglist;
	size_t norg, caporg;
	struct kmap org_rejected;
	uint8_t (*org_rej_keys)[32];
	size_t nrej;

	struct kmap wants;

	struct contact *contacts;
	size_t ncontacts, capcontacts;
	bool joined;         /* some contact answered since we were last alone */

	struct probe probe;
	struct relay *relays;
	size_t nrelays, caprelays;
	uint64_t seq;
	uint32_t awareness;
	uint8_t urgent[32];   /* probed next, out of turn: a fresh suspicion to confirm */
	bool has_urgent;

	struct kmap rl;
	struct rl_src *rl_pool;
	uint32_t init_tokens_milli;
	uint64_t init_last_ns;

	uint64_t next_probe, next_gossip, next_pp, next_reconnect, next_reap, next_recheck,
		next_contact;
	uint64_t pp_followup;  /* time of a follow-up push/pull while catching up */
	uint8_t pp_peer[32];
	uint64_t pp_new;       /* records learned since the last push/pull started */
	bool pp_answered;      /* the push/pull peer answered since */
	uint32_t pp_retries;
	bool started, leaving, recheck_pending;
	uint64_t last_recheck;
	/* While handling a first handshake from a sender we had no state for,
	 * everything sent in answer shares a budget of that handshake's size: the
	 * packet may be a replay from a spoofed address (no amplification). */
	bool reply_capped;
	size_t reply_budget;
	uint64_t leave_until;

	uint64_t rng[4];
	struct swim_stats st;
	struct mg_ratelimit log_rl;
	struct out out;       /* scratch for the packer */
	struct out out2;      /* a second packer for replies while one is open */
	uint8_t dgram[W_MAX_DATAGRAM];
	uint8_t rxbuf[W_MAX_DATAGRAM];
};

/* swim.c */
uint64_t swim_rand(struct swim *s);
uint64_t swim_rand_below(struct swim *s, uint64_t n);
size_t swim_n_live(const struct swim *s); /* alive + suspect members, self excluded */
void swim_log_limited(struct swim *s, enum mg_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int swim_resign(struct swim *s);  /* rebuild and sign our record (inc already set) */
void swim_bump_inc(struct swim *s, uint64_t at_least);
void swim_contact_answered(struct swim *s, const uint8_t pk[32]);
struct contact *contact_add(struct swim *s, const struct swim_endpoint *addr, const uint8_t *pk,
			    bool from_cache);
void swim_contact_hello_reply(struct swim *s, struct contact *c, const uint8_t pk[32]);

/* kmap.c helpers for the rate table */

/* member.c */
struct member *member_find(const struct swim *s, const uint8_t pk[32]);
struct member *member_provisional(struct swim *s, const uint8_t pk[32]);
enum rec_result { REC_NEW, REC_UPDATED, REC_DUP, REC_STALE, REC_BAD, REC_DENIED, REC_SELF, REC_FULL };
enum rec_result member_apply_record(struct swim *s, const uint8_t *rec, size_t len,
				    struct member **out);
enum claim_result { CL_APPLIED, CL_DUP, CL_IGNORED, CL_BAD };
enum claim_result member_apply_claim(struct swim *s, uint8_t type, const uint8_t *claim);
void member_set_state(struct swim *s, struct member *m, enum swim_state st);
void member_declare_dead(struct swim *s, struct member *m);
void member_suspect_local(struct swim *s, struct member *m);
void member_remove(struct swim *s, struct member *m, bool trust);
void member_reap(struct swim *s);
void member_recheck_all(struct swim *s);
void member_emit(struct swim *s, struct member *m, enum swim_event_type t, uint32_t changed);
void member_info(const struct member *m, struct swim_member_info *info,
		 struct swim_endpoint eps[SWIM_MAX_ENDPOINTS]);
struct member *member_random(struct swim *s, bool (*ok)(const struct member *, const void *),
			     const void *arg);
bool member_is_live(const struct member *m);
void member_dense_shuffle(struct swim *s);
void member_free_all(struct swim *s);
uint32_t member_suspicion_k(const struct swim *s);
void suspicion_deadline(struct suspicion *sp);

/* session.c */
int session_prepare(struct swim *s, struct member *m);   /* X, M, direction keys */
void session_reset(struct swim *s, struct member *m);    /* peer restarted or removed */
void session_unregister(struct swim *s, struct member *m);
void session_receive(struct swim *s, const struct swim_endpoint *from, const uint8_t *buf,
		     size_t len);
void session_send_hello(struct swim *s, struct contact *c);
bool out_begin(struct swim *s, struct out *o, struct member *m, size_t limit);
bool out_frame(struct out *o, uint8_t type, const uint8_t *body, size_t len);
size_t out_room(const struct out *o);
void out_flush(struct swim *s, struct out *o);
void out_piggyback(struct swim *s, struct out *o);
bool rl_allow(struct swim *s, const struct swim_endpoint *from);
void rl_gc(struct swim *s);

/* probe.c */
void probe_tick(struct swim *s);
void probe_on_ack(struct swim *s, struct member *from, uint64_t seq);
void probe_on_nack(struct swim *s, struct member *from, uint64_t seq);
void probe_on_ping_req(struct swim *s, struct member *from, const uint8_t *body);
void probe_relays_tick(struct swim *s);
void probe_suspicions_tick(struct swim *s);
uint64_t probe_next_deadline(const struct swim *s);
void awareness_apply(struct swim *s, int delta);
uint64_t awareness_scale(const struct swim *s, uint64_t d);
void probe_forget(struct swim *s, const uint8_t pk[32]);

/* queue.c */
void bq_init(struct bqueue *q, const uint8_t hkey[16]);
void bq_free(struct bqueue *q);
void bq_push(struct swim *s, enum bcast_kind kind, const uint8_t key[32], uint64_t inc,
	     uint8_t ftype, const uint8_t *body, size_t len);
void bq_drop(struct swim *s, enum bcast_kind kind, const uint8_t key[32]);
void bq_invalidate_claims_below(struct swim *s, const uint8_t pk[32], uint64_t inc);
size_t bq_fill(struct swim *s, struct out *o);
uint32_t bq_limit(const struct swim *s);

/* sync.c */
void sync_tick(struct swim *s);
void sync_start(struct swim *s, struct member *m);
void sync_on_frame(struct swim *s, struct member *from, uint8_t type, const uint8_t *body,
		   size_t len);
void org_apply(struct swim *s, const uint8_t *msg, size_t len);
int org_store(struct swim *s, const uint8_t *msg, size_t len, const uint8_t hash[32]);
void org_free_all(struct swim *s);
uint64_t pp_interval(const struct swim *s);
void head_push(struct swim *s, const uint8_t pk[32], uint64_t inc);
void head_on(struct swim *s, const struct member *from, const uint8_t *body, uint8_t *want,
	     size_t *nwant, size_t cap);
void wants_tick(struct swim *s);
uint64_t wants_next_deadline(const struct swim *s);

#endif
