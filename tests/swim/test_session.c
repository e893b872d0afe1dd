/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the envelope and its checks, on 2-4 simulated nodes:
 * handshake then data, no amplification, replays, mac1, tampering, rate
 * limits, forged records and claims, stale records, the broadcast queue and
 * the suspicion timer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "bytes.h"
#include "crypto.h"
#include "log.h"
#include "sim.h"
#include "swim_int.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* ---- Capture of datagrams. */

struct cap {
	size_t from, to, len;
	uint8_t data[1500];
};

struct capture {
	struct cap pk[512];
	size_t n;
	bool drop_from[8]; /* drop everything sent by these nodes */
};

static bool tap(void *arg, size_t from, size_t to, const uint8_t *buf, size_t len)
{
	struct capture *c = arg;
	if (c->n < MG_ARRAY_LEN(c->pk) && len <= sizeof(c->pk[0].data)) {
		c->pk[c->n].from = from;
		c->pk[c->n].to = to;
		c->pk[c->n].len = len;
		memcpy(c->pk[c->n].data, buf, len);
		c->n++;
	}
	return from >= 8 || !c->drop_from[from];
}

static const struct cap *find(const struct capture *c, size_t from, size_t to, uint8_t kind,
			      size_t nth)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->pk[i].from == from && c->pk[i].to == to && c->pk[i].data[1] == kind &&
		    nth-- == 0)
			return &c->pk[i];
	return NULL;
}

static struct sim *mk(size_t n, struct capture *c)
{
	struct sim_cfg cfg = { .n = n, .seed = 7, .lat_min_ns = 1 * MS, .lat_max_ns = 2 * MS };
	swim_config_lan(&cfg.swim);
	struct sim *sim = sim_create(&cfg);
	if (c) {
		memset(c, 0, sizeof(*c));
		sim_set_tap(sim, tap, c);
	}
	return sim;
}

static struct swim_stats stats(struct sim *sim, size_t i)
{
	struct swim_stats st;
	swim_get_stats(sim_swim(sim, i), &st);
	return st;
}

/* Send raw frames from node `from` to node `to` through their real session. */
static void send_frames(struct sim *sim, size_t from, size_t to, uint8_t type,
			const uint8_t *body, size_t len)
{
	struct swim *w = sim_swim(sim, from);
	struct member *m = member_find(w, sim_pk(sim, to));
	assert_non_null(m);
	assert_true(out_begin(w, &w->out, m, 0));
	assert_true(out_frame(&w->out, type, body, len));
	out_flush(w, &w->out);
	sim_run_until(sim, sim_now(sim) + 3 * MS); /* links take 1-2 ms */
}

/* ---- Handshake, then data. */

static void test_handshake_then_data(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));
	struct sim *sim = mk(2, c);
	(void)state;

	assert_int_equal(sim_start(sim, 0, -1, false), 0);
	assert_int_equal(sim_start(sim, 1, 0, false), 0);
	sim_run_until(sim, 3 * SEC);
	assert_true(sim_converged(sim));
	/* the first datagram of the joiner is a handshake, padded to the datagram budget */
	assert_true(c->n > 4);
	assert_int_equal(c->pk[0].data[0], SWIM_ENVELOPE);
	assert_int_equal(c->pk[0].data[1], WK_INIT);
	assert_int_equal(c->pk[0].len, 1400);
	/* the seed answers with a handshake (the joiner lacks its record), then data flows */
	const struct cap *r = find(c, 0, 1, WK_INIT, 0);
	assert_non_null(r);
	assert_true(r->len <= c->pk[0].len);
	assert_non_null(find(c, 1, 0, WK_DATA, 0));
	assert_non_null(find(c, 0, 1, WK_DATA, 0));
	/* the joiner's identity never appears in clear on the wire */
	for (size_t i = 0; i < c->n; i++)
		for (size_t o = 0; o + 32 <= c->pk[i].len; o++)
			assert_memory_not_equal(c->pk[i].data + o, sim_pk(sim, 1), 32);
	assert_true(stats(sim, 0).handshakes_received >= 1);
	sim_destroy(sim);
	free(c);
}

static void test_hello_no_amplification(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));
	struct sim *sim = mk(2, c);
	(void)state;

	sim_start(sim, 0, -1, false);
	sim_start(sim, 1, 0, true); /* by address only */
	sim_run_until(sim, 3 * SEC);
	assert_true(sim_converged(sim));
	const struct cap *h = find(c, 1, 0, WK_HELLO, 0), *hr = find(c, 0, 1, WK_HELLO_REPLY, 0);
	assert_non_null(h);
	assert_non_null(hr);
	assert_int_equal(h->len, W_HELLO_LEN);
	assert_int_equal(hr->len, W_HELLO_REPLY_LEN);
	assert_true(hr->len <= h->len);
	/* a hello with non-zero padding is not answered */
	uint8_t bad[W_HELLO_LEN];
	memcpy(bad, h->data, sizeof(bad));
	bad[W_HELLO_LEN - 1] = 1;
	uint64_t before = stats(sim, 0).rx_malformed;
	sim_inject(sim, 0, sim_addr(sim, 1), bad, sizeof(bad));
	assert_int_equal(stats(sim, 0).rx_malformed, before + 1);
	/* a reply that does not echo our nonce is ignored */
	before = stats(sim, 1).rx_stale;
	uint8_t rep[W_HELLO_REPLY_LEN];
	memcpy(rep, hr->data, sizeof(rep));
	rep[2] ^= 1;
	sim_inject(sim, 1, sim_addr(sim, 0), rep, sizeof(rep));
	assert_int_equal(stats(sim, 1).rx_stale, before + 1);
	sim_destroy(sim);
	free(c);
}

/* A first handshake from a stranger gets an answer no larger than itself. */
static void test_init_reply_bounded(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));
	struct sim *sim = mk(3, c);
	(void)state;

	sim_start(sim, 0, -1, false);
	sim_start(sim, 1, 0, false);
	sim_run_until(sim, 3 * SEC);
	for (size_t i = 0; i < c->n; i++) {
		if (c->pk[i].data[1] != WK_INIT)
			continue;
		/* the answer to the first handshake of a pair */
		const struct cap *ans = NULL;
		for (size_t j = i + 1; j < c->n && !ans; j++)
			if (c->pk[j].from == c->pk[i].to && c->pk[j].to == c->pk[i].from)
				ans = &c->pk[j];
		assert_non_null(ans);
		assert_true(ans->len <= c->pk[i].len);
		break;
	}
	sim_destroy(sim);
	free(c);
}

/* Sum of the bytes node `from` sent to node `to` in captures [first, n). */
static size_t bytes_sent(const struct capture *c, size_t first, size_t from, size_t to)
{
	size_t sum = 0;
	for (size_t i = first; i < c->n; i++)
		if (c->pk[i].from == from && c->pk[i].to == to)
			sum += c->pk[i].len;
	return sum;
}

/*
 * A stranger's first handshake that asks for many answers (here a dozen
 * pings, each worth an ack with our record) replayed from a victim's address:
 * everything sent to the victim together stays within that handshake's size.
 */
static void test_init_many_frames_bounded(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));
	struct sim *sim = mk(3, c);
	(void)state;

	sim_start(sim, 0, -1, false);
	c->drop_from[1] = true; /* node 0 never hears from node 1 on its own */
	sim_start(sim, 1, 0, false);
	sim_run_until(sim, 50 * MS);
	struct swim *w = sim_swim(sim, 1);
	struct member *m = member_find(w, sim_pk(sim, 0));
	assert_non_null(m);
	assert_true(out_begin(w, &w->out, m, 0));
	w->out.min_total = 0; /* no padding: as small a handshake as possible */
	for (uint8_t i = 0; i < 12; i++) {
		uint8_t seq[8] = { 0xa0, i };
		assert_true(out_frame(&w->out, F_PING, seq, sizeof(seq)));
	}
	size_t first = c->n;
	out_flush(w, &w->out);
	assert_int_equal(c->n, first + 1);
	const struct cap *in = &c->pk[first];
	assert_int_equal(in->data[1], WK_INIT);

	first = c->n;
	struct swim_stats b = stats(sim, 0);
	sim_inject(sim, 0, sim_addr(sim, 2), in->data, in->len);
	size_t sent = bytes_sent(c, first, 0, 2);
	assert_int_equal(stats(sim, 0).handshakes_received, b.handshakes_received + 1);
	assert_true(sent > 0);       /* it did answer */
	assert_true(sent <= in->len); /* but never more than it got */
	sim_destroy(sim);
	free(c);
}

/*
 * The per-source limit is for strangers: trusted members sharing one address
 * (NAT, many daemons on one host) are not cut by it, however many fresh
 * handshakes they send.
 */
static void test_rate_limit_spares_members(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));
	struct sim *sim = mk(2, c);
	(void)state;

	sim_start(sim, 0, -1, false);
	sim_start(sim, 1, 0, false);
	sim_run_until(sim, 3 * SEC);
	assert_true(sim_converged(sim));
	struct swim *w = sim_swim(sim, 1);
	struct member *m = member_find(w, sim_pk(sim, 0));
	assert_non_null(m);
	struct swim_stats b = stats(sim, 0);
	uint32_t n = 3 * sim_swim(sim, 0)->cfg.unknown_burst;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t seq[8] = { 0xb0, (uint8_t)i };
		m->their_view = 0; /* forces a handshake (INIT) rather than data */
		assert_true(out_begin(w, &w->out, m, 0));
		assert_true(out_frame(&w->out, F_PING, seq, sizeof(seq)));
		out_flush(w, &w->out);
	}
	sim_run_until(sim, sim_now(sim) + 3 * MS);
	struct swim_stats a = stats(sim, 0);
	assert_int_equal(a.rx_rate_limited, b.rx_rate_limited);
	assert_true(a.handshakes_received - b.handshakes_received >= n);
	sim_destroy(sim);
	free(c);
}

/* ---- Replays, mac1, tampering, rate limits. */

static void test_replays_rejected(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));
	struct sim *sim = mk(2, c);
	(void)state;

	sim_start(sim, 0, -1, false);
	sim_start(sim, 1, 0, false);
	sim_run_until(sim, 5 * SEC);
	assert_true(sim_converged(sim));
	const struct cap *d = find(c, 1, 0, WK_DATA, 1), *in = find(c, 1, 0, WK_INIT, 0);
	assert_non_null(d);
	assert_non_null(in);
	struct swim_stats before = stats(sim, 0);
	sim_inject(sim, 0, sim_addr(sim, 1), d->data, d->len);
	sim_inject(sim, 0, sim_addr(sim, 1), in->data, in->len);
	struct swim_stats after = stats(sim, 0);
	assert_int_equal(after.rx_replay, before.rx_replay + 2);
	/* a replay from another address does not move the member there */
	struct swim_endpoint evil = { .family = 4, .addr = { 198, 51, 100, 9 }, .port = 4444 };
	sim_inject(sim, 0, &evil, d->data, d->len);
	struct swim_member_info info;
	struct swim_endpoint eps[SWIM_MAX_ENDPOINTS];
	assert_int_equal(swim_member_get(sim_swim(sim, 0), sim_pk(sim, 1), &info, eps), 0);
	assert_true(swim_endpoint_equal(&info.addr, sim_addr(sim, 1)));
	sim_destroy(sim);
	free(c);
}

static void test_mac1_and_tampering(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));
	struct sim *sim = mk(2, c);
	uint8_t buf[1500];
	(void)state;

	sim_start(sim, 0, -1, false);
	sim_start(sim, 1, 0, false);
	sim_run_until(sim, 5 * SEC);
	const struct cap *in = find(c, 1, 0, WK_INIT, 0), *d = find(c, 1, 0, WK_DATA, 2);
	assert_non_null(in);
	assert_non_null(d);
	struct swim_stats b = stats(sim, 0);
	/* any flipped bit of a handshake fails mac1 before any public-key work */
	for (size_t off = 0; off < in->len; off += 97) {
		memcpy(buf, in->data, in->len);
		if (off < 2)
			continue;
		buf[off] ^= 0x40;
		sim_inject(sim, 0, sim_addr(sim, 1), buf, in->len);
	}
	struct swim_stats a = stats(sim, 0);
	assert_true(a.rx_bad_mac > b.rx_bad_mac);
	assert_int_equal(a.rx_auth_fail, b.rx_auth_fail);
	assert_int_equal(a.handshakes_received, b.handshakes_received);
	/* a handshake with a valid mac1 but a forged body fails authentication */
	uint8_t mk1[32];
	memcpy(buf, in->data, in->len);
	buf[W_INIT_CT_OFF + 5] ^= 1;
	swc_mac1_key(mk1, sim_pk(sim, 0));
	swc_mac1(buf + in->len - W_MAC, mk1, buf, in->len - W_MAC);
	sim_inject(sim, 0, sim_addr(sim, 1), buf, in->len);
	assert_int_equal(stats(sim, 0).rx_auth_fail, a.rx_auth_fail + 1);
	/* data: a flipped ciphertext bit fails the AEAD, a flipped pair id names nobody */
	memcpy(buf, d->data, d->len);
	buf[d->len - 3] ^= 1;
	b = stats(sim, 0);
	sim_inject(sim, 0, sim_addr(sim, 1), buf, d->len);
	memcpy(buf, d->data, d->len);
	buf[W_DATA_ID_OFF] ^= 1;
	sim_inject(sim, 0, sim_addr(sim, 1), buf, d->len);
	a = stats(sim, 0);
	assert_true(a.rx_auth_fail == b.rx_auth_fail + 1 || a.rx_replay == b.rx_replay + 1);
	assert_int_equal(a.rx_unknown_pair, b.rx_unknown_pair + 1);
	sim_destroy(sim);
	free(c);
}

static void test_rate_limit(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));
	struct sim *sim = mk(2, c);
	(void)state;

	sim_start(sim, 0, -1, false);
	sim_start(sim, 1, 0, false);
	sim_run_until(sim, 2 * SEC);
	const struct cap *in = find(c, 1, 0, WK_INIT, 0);
	assert_non_null(in);
	struct swim_endpoint src = { .family = 4, .addr = { 203, 0, 113, 5 }, .port = 9 };
	struct swim_stats b = stats(sim, 0);
	for (int i = 0; i < 100; i++)
		sim_inject(sim, 0, &src, in->data, in->len);
	struct swim_stats a = stats(sim, 0);
	/* the burst (20) passes to the X25519 stage (and is then a replay), the rest is cut */
	assert_int_equal(a.rx_rate_limited - b.rx_rate_limited, 80);
	assert_int_equal(a.rx_replay - b.rx_replay, 20);
	sim_destroy(sim);
	free(c);
}

/* ---- Forged and stale records and claims. */

static size_t signed_record(struct sim *sim, size_t who, uint64_t inc, uint8_t *out, bool good_sig)
{
	uint8_t salt[16] = { 0 }, wg[32];
	size_t cl;
	const uint8_t *cert = sim_cert(sim, who, &cl);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(wg, sim_pk(sim, who)), 0);
	size_t n = wire_record_build(out, W_REC_MAX, sim_pk(sim, who), inc, sim_unix(sim), salt,
				     REC_ALIVE, wg, sim_addr(sim, who), 1, cert, cl);
	assert_true(n > 0);
	swc_sign(out + n, WIRE_CTX_RECORD, out, n, sim_secret(sim, who));
	if (!good_sig)
		out[n + 10] ^= 1;
	return n + W_SIG;
}

static void test_forged_records(void **state)
{
	struct sim *sim = mk(4, NULL);
	uint8_t rec[W_REC_MAX];
	(void)state;

	sim_set_trust(sim, 3, SIM_TRUST_NONE);
	sim_start(sim, 0, -1, false);
	sim_start(sim, 1, 0, false);
	sim_run_until(sim, 3 * SEC);
	assert_true(sim_converged(sim));

	/* a record of node 2 with a bad signature, relayed by trusted node 1 */
	struct swim_stats b = stats(sim, 0);
	size_t n = signed_record(sim, 2, 99, rec, false);
	send_frames(sim, 1, 0, F_RECORD, rec, n);
	assert_int_equal(sim_state(sim, 0, 2), -1);
	assert_int_equal(stats(sim, 0).rx_auth_fail, b.rx_auth_fail + 1);

	/* a correctly signed record of node 3, which has no certificate: refused by trust */
	n = signed_record(sim, 3, 99, rec, true);
	send_frames(sim, 1, 0, F_RECORD, rec, n);
	assert_int_equal(sim_state(sim, 0, 3), -1);
	assert_int_equal(stats(sim, 0).rx_untrusted, b.rx_untrusted + 1);

	/* node 1's record re-signed by node 2's key: bad signature, node 1 unchanged */
	struct swim_member_info info;
	struct swim_endpoint eps[SWIM_MAX_ENDPOINTS];
	swim_member_get(sim_swim(sim, 0), sim_pk(sim, 1), &info, eps);
	uint64_t inc = info.incarnation;
	n = signed_record(sim, 1, inc + 5, rec, true);
	swc_sign(rec + n - W_SIG, WIRE_CTX_RECORD, rec, n - W_SIG, sim_secret(sim, 2));
	send_frames(sim, 1, 0, F_RECORD, rec, n);
	swim_member_get(sim_swim(sim, 0), sim_pk(sim, 1), &info, eps);
	assert_int_equal(info.incarnation, inc);

	/* a validly signed but older record of node 1 is stale */
	b = stats(sim, 0);
	n = signed_record(sim, 1, inc - 1, rec, true);
	send_frames(sim, 1, 0, F_RECORD, rec, n);
	swim_member_get(sim_swim(sim, 0), sim_pk(sim, 1), &info, eps);
	assert_int_equal(info.incarnation, inc);
	sim_destroy(sim);
}

static void claim(struct sim *sim, size_t subject, uint64_t inc, size_t claimer, const char *ctx,
		  uint8_t out[W_CLAIM])
{
	wire_claim_build(out, sim_pk(sim, subject), inc, sim_pk(sim, claimer), sim_unix(sim));
	swc_sign(out + W_CLAIM_SIGNED, ctx, out, W_CLAIM_SIGNED, sim_secret(sim, claimer));
}

static void test_forged_claims(void **state)
{
	struct sim *sim = mk(4, NULL);
	uint8_t c[W_CLAIM];
	struct swim_member_info info;
	struct swim_endpoint eps[SWIM_MAX_ENDPOINTS];
	(void)state;

	sim_set_trust(sim, 3, SIM_TRUST_NONE);
	sim_start(sim, 0, -1, false);
	sim_start(sim, 1, 0, false);
	sim_start(sim, 2, 0, false);
	sim_run_until(sim, 3 * SEC);
	assert_true(sim_converged(sim));
	swim_member_get(sim_swim(sim, 0), sim_pk(sim, 2), &info, eps);
	uint64_t inc = info.incarnation;

	/* "2 is dead", claimed by untrusted node 3 and relayed by 1: ignored */
	claim(sim, 2, inc, 3, WIRE_CTX_DEAD, c);
	send_frames(sim, 1, 0, F_DEAD, c, W_CLAIM);
	assert_int_equal(sim_state(sim, 0, 2), SWIM_ALIVE);
	/* claimed by member 1 but with a broken signature: rejected */
	claim(sim, 2, inc, 1, WIRE_CTX_DEAD, c);
	c[W_CLAIM - 1] ^= 1;
	struct swim_stats b = stats(sim, 0);
	send_frames(sim, 1, 0, F_DEAD, c, W_CLAIM);
	assert_int_equal(sim_state(sim, 0, 2), SWIM_ALIVE);
	assert_int_equal(stats(sim, 0).rx_auth_fail, b.rx_auth_fail + 1);
	/* a suspect signature presented as a dead claim: rejected (domain separation) */
	claim(sim, 2, inc, 1, WIRE_CTX_SUSPECT, c);
	send_frames(sim, 1, 0, F_DEAD, c, W_CLAIM);
	assert_int_equal(sim_state(sim, 0, 2), SWIM_ALIVE);
	/* an older incarnation: stale */
	claim(sim, 2, inc - 1, 1, WIRE_CTX_DEAD, c);
	send_frames(sim, 1, 0, F_DEAD, c, W_CLAIM);
	assert_int_equal(sim_state(sim, 0, 2), SWIM_ALIVE);
	/* a genuine dead claim from member 1: applied, then refuted by 2 itself */
	claim(sim, 2, inc, 1, WIRE_CTX_DEAD, c);
	send_frames(sim, 1, 0, F_DEAD, c, W_CLAIM);
	assert_int_equal(sim_state(sim, 0, 2), SWIM_DEAD);
	sim_run_until(sim, sim_now(sim) + 5 * SEC);
	assert_true(sim_all_see(sim, 2, SWIM_ALIVE, SIZE_MAX));
	assert_true(swim_incarnation(sim_swim(sim, 2)) > inc);
	sim_destroy(sim);
}

/* ---- Broadcast queue and suspicion timer. */

static void test_queue(void **state)
{
	struct sim *sim = mk(1, NULL);
	(void)state;
	sim_start(sim, 0, -1, false);
	struct swim *w = sim_swim(sim, 0);
	uint8_t key[32] = { 1 }, body[40] = { 0 };

	/* N = 1: mult * ceil(log10(2)) = 4 */
	assert_int_equal(bq_limit(w), 4);
	size_t base = w->q.count;
	bq_push(w, BK_RECORD, key, 1, F_HEAD, body, sizeof(body));
	bq_push(w, BK_RECORD, key, 2, F_HEAD, body, sizeof(body)); /* replaces */
	assert_int_equal(w->q.count, base + 1);
	key[0] = 2;
	bq_push(w, BK_CLAIM, key, 5, F_SUSPECT, body, sizeof(body));
	bq_invalidate_claims_below(w, key, 5);
	assert_int_equal(w->q.count, base + 2);
	bq_invalidate_claims_below(w, key, 6);
	assert_int_equal(w->q.count, base + 1);
	/* newest first; every item leaves after `limit` datagrams */
	struct out *o = malloc(sizeof(*o));
	for (int round = 0; round < 4; round++) {
		o->cap = 1000;
		o->len = 0;
		o->frames = 0;
		assert_true(bq_fill(w, o) >= 1);
	}
	assert_int_equal(w->q.count, 0);
	/* the limit is enforced, logged and counted */
	w->cfg.max_queue = 3;
	for (int i = 0; i < 5; i++) {
		key[0] = (uint8_t)(10 + i);
		bq_push(w, BK_RECORD, key, 1, F_HEAD, body, sizeof(body));
	}
	assert_int_equal(w->q.count, 3);
	struct swim_stats st;
	swim_get_stats(w, &st);
	assert_int_equal(st.limit_queue, 2);
	free(o);
	sim_destroy(sim);
}

/* Newest first: with room for one item, the last pushed goes out; the other next time. */
static void test_queue_newest_first(void **state)
{
	struct sim *sim = mk(1, NULL);
	(void)state;
	sim_start(sim, 0, -1, false);
	struct swim *w = sim_swim(sim, 0);
	struct out *o = calloc(1, sizeof(*o));
	uint8_t key[32] = { 0 }, body[40];

	while (w->q.count) { /* whatever the start queued */
		o->cap = sizeof(o->pt);
		o->len = o->frames = 0;
		bq_fill(w, o);
	}
	for (uint8_t i = 1; i <= 3; i++) {
		key[0] = i;
		memset(body, i, sizeof(body));
		bq_push(w, BK_RECORD, key, 1, F_HEAD, body, sizeof(body));
	}
	for (uint8_t want = 3; want >= 1; want--) {
		o->cap = W_FRAME_HDR + sizeof(body); /* room for exactly one */
		o->len = o->frames = 0;
		assert_int_equal(bq_fill(w, o), 1);
		assert_int_equal(o->pt[0], F_HEAD);
		assert_int_equal(o->pt[W_FRAME_HDR], want);
	}
	free(o);
	sim_destroy(sim);
}

static void test_suspicion_timer(void **state)
{
	struct suspicion sp = { .start_ns = 0, .min_ns = 6 * SEC, .max_ns = 36 * SEC, .k = 3 };
	(void)state;
	uint64_t prev = UINT64_MAX;
	for (uint32_t n = 0; n <= 3; n++) {
		sp.n = n;
		suspicion_deadline(&sp);
		assert_true(sp.deadline_ns < prev);
		prev = sp.deadline_ns;
	}
	sp.n = 0;
	suspicion_deadline(&sp);
	assert_int_equal(sp.deadline_ns, 36 * SEC); /* starts long */
	sp.n = 3;
	suspicion_deadline(&sp);
	assert_int_equal(sp.deadline_ns, 6 * SEC); /* k confirmations: min */
	sp.k = 0;
	sp.n = 0;
	suspicion_deadline(&sp);
	assert_int_equal(sp.deadline_ns, 6 * SEC); /* tiny cluster: min */
}

static void d_send(void *c, const struct swim_endpoint *to, const uint8_t *b, size_t l)
{
	(void)c, (void)to, (void)b, (void)l;
}
static void d_random(void *c, void *b, size_t l)
{
	(void)c;
	randombytes_buf(b, l);
}
static void d_admit(void *c, const uint8_t id[32], const uint8_t *cert, size_t cl,
		    const uint8_t wg[32], int64_t now, struct swim_verdict *out)
{
	(void)c, (void)id, (void)cert, (void)cl, (void)wg, (void)now;
	out->allowed = false;
}
static enum swim_org_result d_org(void *c, const uint8_t *m, size_t l, int64_t now)
{
	(void)c, (void)m, (void)l, (void)now;
	return SWIM_ORG_REJECTED;
}

static void test_config_and_create(void **state)
{
	struct swim_config lan, wan, bad;
	struct swim_ops none = { 0 }, ops = { d_send, d_random, d_admit, d_org, NULL };
	struct swim *s;
	uint8_t sk[64], pk[32];
	(void)state;

	swim_config_lan(&lan);
	swim_config_wan(&wan);
	/* the profiles as docs/protocol-swim.md section 11 and the issue state them */
	assert_int_equal(lan.probe_interval_ns, 1 * SEC);
	assert_int_equal(lan.probe_timeout_ns, 500 * MS);
	assert_int_equal(lan.indirect_checks, 3);
	assert_int_equal(lan.awareness_max, 8);
	assert_true(lan.suspicion_mult == 1.0 && lan.suspicion_max_mult == 6.0);
	assert_int_equal(lan.suspicion_k, 2);
	assert_int_equal(lan.gossip_interval_ns, 200 * MS);
	assert_int_equal(lan.gossip_nodes, 3);
	assert_int_equal(lan.retransmit_mult, 4);
	assert_int_equal(lan.max_datagram, 1400);
	assert_int_equal(lan.push_pull_interval_ns, 30 * SEC);
	assert_int_equal(wan.probe_interval_ns, 5 * SEC);
	assert_int_equal(wan.probe_timeout_ns, 3 * SEC);
	assert_true(wan.suspicion_mult == 4.0);
	assert_int_equal(wan.suspicion_k, 3);
	assert_int_equal(wan.gossip_interval_ns, 500 * MS);
	assert_int_equal(wan.max_datagram, 1232);
	assert_int_equal(wan.push_pull_interval_ns, 60 * SEC);
	crypto_sign_keypair(pk, sk);
	struct swim_self self = { .secret = sk };
	assert_int_equal(swim_create(&s, &lan, &self, &none, NULL, 0, 0), -EINVAL);
	assert_int_equal(swim_create(&s, &lan, &self, &ops, NULL, 0, 1800000000), 0);
	assert_memory_equal(swim_identity(s), pk, 32);
	assert_int_equal(swim_incarnation(s), 1800000000ull << 20);
	swim_destroy(s);
	bad = lan;
	bad.max_datagram = 100;
	assert_int_equal(swim_create(&s, &bad, &self, &ops, NULL, 0, 0), -EINVAL);
	bad = lan;
	bad.probe_timeout_ns = 2 * bad.probe_interval_ns;
	assert_int_equal(swim_create(&s, &bad, &self, &ops, NULL, 0, 0), -EINVAL);
	struct swim_endpoint ep0 = { .family = 4, .port = 0 };
	struct swim_self bad_self = { .secret = sk, .endpoints = &ep0, .n_endpoints = 1 };
	assert_int_equal(swim_create(&s, &lan, &bad_self, &ops, NULL, 0, 0), -EINVAL);
	sk[40] ^= 1; /* public half does not match the seed */
	assert_int_equal(swim_create(&s, &lan, &self, &ops, NULL, 0, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_then_data),
		cmocka_unit_test(test_hello_no_amplification),
		cmocka_unit_test(test_init_reply_bounded),
		cmocka_unit_test(test_init_many_frames_bounded),
		cmocka_unit_test(test_rate_limit_spares_members),
		cmocka_unit_test(test_replays_rejected),
		cmocka_unit_test(test_mac1_and_tampering),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_forged_records),
		cmocka_unit_test(test_forged_claims),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_queue_newest_first),
		cmocka_unit_test(test_suspicion_timer),
		cmocka_unit_test(test_config_and_create),
	};
	mg_log_set_level(MG_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
