/* SPDX-License-Identifier: MIT */
/*
 * Deterministic random-mutation test (the CI companion of fuzz_swim.c):
 *   1. real datagrams captured from a running 4-node cluster are mutated
 *      (bit flips, byte overwrites, truncation, extension, splicing) and fed
 *      to the nodes from random addresses;
 *   2. random and mutated plaintext payloads are sealed in a real session and
 *      delivered, so that the frame decoders behind the AEAD are exercised.
 * Nothing may crash (the suite runs under ASan+UBSan), every rejection must
 * be counted, and the cluster must still be intact afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "log.h"
#include "sim.h"
#include "swim_int.h"

#define MS 1000000ull
#define SEC 1000000000ull

struct pool {
	uint8_t data[400][1500];
	size_t len[400];
	size_t n;
};

static bool tap(void *arg, size_t from, size_t to, const uint8_t *buf, size_t len)
{
	struct pool *p = arg;
	(void)from, (void)to;
	if (p->n < 400 && len <= 1500) {
		memcpy(p->data[p->n], buf, len);
		p->len[p->n++] = len;
	}
	return true;
}

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static size_t mutate(uint8_t *b, size_t len, size_t cap, const struct pool *p)
{
	switch (rnd() % 6) {
	case 0: /* flip bits */
		for (int k = 0, n = 1 + (int)(rnd() % 4); k < n && len; k++)
			b[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		return len;
	case 1: /* overwrite bytes */
		for (int k = 0, n = 1 + (int)(rnd() % 8); k < n && len; k++)
			b[rnd() % len] = (uint8_t)rnd();
		return len;
	case 2: /* truncate */
		return len ? rnd() % len : 0;
	case 3: { /* extend */
		size_t add = rnd() % 64;
		if (len + add > cap)
			add = cap - len;
		for (size_t k = 0; k < add; k++)
			b[len + k] = (uint8_t)rnd();
		return len + add;
	}
	case 4: { /* splice the tail of another captured datagram */
		size_t o = rnd() % p->n, cut = len ? rnd() % len : 0;
		size_t from = p->len[o] ? rnd() % p->len[o] : 0, tail = p->len[o] - from;
		if (cut + tail > cap)
			tail = cap - cut;
		memcpy(b + cut, p->data[o] + from, tail);
		return cut + tail;
	}
	default: /* keep the kind byte, randomize the rest */
		for (size_t k = 2; k < len; k++)
			b[k] = (uint8_t)rnd();
		return len;
	}
}

static struct sim *cluster(struct pool *p)
{
	struct sim_cfg cfg = { .n = 4, .seed = 11, .lat_min_ns = 1 * MS, .lat_max_ns = 3 * MS };
	swim_config_lan(&cfg.swim);
	struct sim *sim = sim_create(&cfg);
	if (p)
		sim_set_tap(sim, tap, p);
	sim_start(sim, 0, -1, false);
	for (size_t i = 1; i < 4; i++)
		sim_start(sim, i, 0, i == 3);
	sim_run_until(sim, 4 * SEC);
	return sim;
}

static uint64_t rejected(struct sim *sim)
{
	uint64_t t = 0;
	for (size_t i = 0; i < 4; i++) {
		struct swim_stats s;
		swim_get_stats(sim_swim(sim, i), &s);
		t += s.rx_malformed + s.rx_bad_mac + s.rx_unknown_pair + s.rx_replay +
		     s.rx_auth_fail + s.rx_rate_limited + s.rx_stale + s.rx_untrusted;
	}
	return t;
}

static void test_mutated_datagrams(void **state)
{
	struct pool *p = calloc(1, sizeof(*p));
	uint8_t buf[2048];
	(void)state;

	struct sim *sim = cluster(p);
	assert_true(sim_converged(sim));
	assert_true(p->n >= 50);
	sim_set_tap(sim, NULL, NULL);
	uint64_t before = rejected(sim);
	size_t fed = 0;
	for (int i = 0; i < 20000; i++) {
		size_t k = rnd() % p->n, len = p->len[k];
		memcpy(buf, p->data[k], len);
		len = mutate(buf, len, sizeof(buf), p);
		struct swim_endpoint from = { .family = 4, .addr = { 10, 0, 0, (uint8_t)(rnd() % 6) },
					      .port = (uint16_t)(rnd() % 2 ? 51821 : 1 + rnd() % 60000) };
		sim_inject(sim, rnd() % 4, &from, buf, len);
		fed++;
		if (i % 2000 == 0)
			sim_run_until(sim, sim_now(sim) + 200 * MS);
	}
	/* almost everything must have been rejected and counted (a mutation can
	 * hit only ignored padding or produce a hello we answer) */
	assert_true(rejected(sim) - before >= fed * 9 / 10);
	sim_run_until(sim, sim_now(sim) + 10 * SEC);
	assert_true(sim_converged(sim));
	sim_destroy(sim);
	free(p);
}

/* Plaintext payloads sealed in a real session: exercises every frame decoder. */
static void random_frame(uint8_t *pt, size_t *len, size_t cap, struct sim *sim)
{
	static const uint8_t types[] = { F_PAD,      F_PING,        F_ACK,        F_PING_REQ,
					 F_NACK,     F_RECORD,      F_SUSPECT,    F_DEAD,
					 F_ORG,      F_PP_DIGEST,   F_PP_MEMBERS, F_PP_ORGS,
					 F_WANT_MEMBERS, F_WANT_ORGS, F_HEAD,     0x55 };
	uint8_t t = types[rnd() % MG_ARRAY_LEN(types)];
	size_t blen = rnd() % 300, room = cap - *len;
	if (room < W_FRAME_HDR)
		return;
	if (blen > room - W_FRAME_HDR)
		blen = room - W_FRAME_HDR;
	uint8_t *b = pt + *len + W_FRAME_HDR;
	for (size_t i = 0; i < blen; i++)
		b[i] = (uint8_t)rnd();
	/* sometimes start from something well-formed, so deeper checks are reached */
	if (rnd() % 2) {
		switch (t) {
		case F_PING_REQ:
			if (blen >= 41)
				memcpy(b + 8, sim_pk(sim, rnd() % 4), 32), blen = 41;
			break;
		case F_HEAD:
		case F_WANT_MEMBERS:
			if (blen >= 40)
				memcpy(b, sim_pk(sim, rnd() % 4), 32), blen = t == F_HEAD ? 40 : 32;
			break;
		case F_PP_DIGEST:
			if (blen >= 4 + 8 * 2) {
				mg_store_le16(b, 1);
				mg_store_le16(b + 2, 1);
				blen = 20;
			}
			break;
		case F_PING:
		case F_ACK:
		case F_NACK:
			blen = blen >= 8 ? 8 : blen;
			break;
		}
	}
	pt[*len] = t;
	mg_store_le16(pt + *len + 1, (uint16_t)blen);
	*len += W_FRAME_HDR + blen;
}

static void test_mutated_payloads(void **state)
{
	(void)state;
	struct sim *sim = cluster(NULL);
	assert_true(sim_converged(sim));
	for (int i = 0; i < 5000; i++) {
		size_t a = rnd() % 4, b = (a + 1 + rnd() % 3) % 4;
		struct swim *w = sim_swim(sim, a);
		struct member *m = member_find(w, sim_pk(sim, b));
		assert_non_null(m);
		assert_true(out_begin(w, &w->out, m, 0));
		size_t cap = w->out.cap;
		for (int f = 0, n = 1 + (int)(rnd() % 5); f < n; f++)
			random_frame(w->out.pt, &w->out.len, cap, sim);
		if (rnd() % 4 == 0) /* and break the framing itself */
			w->out.len = W_PAYLOAD_HDR + rnd() % (w->out.len - W_PAYLOAD_HDR + 1);
		out_flush(w, &w->out);
		if (i % 100 == 0)
			sim_run_until(sim, sim_now(sim) + 50 * MS);
	}
	sim_run_until(sim, sim_now(sim) + 15 * SEC);
	/* random claims and records never verify, so nobody was killed or added */
	assert_true(sim_converged(sim));
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(swim_member_count(sim_swim(sim, i)), 3);
	sim_destroy(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutated_datagrams),
		cmocka_unit_test(test_mutated_payloads),
	};
	mg_log_set_level(MG_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
