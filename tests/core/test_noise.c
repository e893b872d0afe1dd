/* SPDX-License-Identifier: MIT */
/*
 * The full handshake transcript with fixed static keys, ephemerals (injected
 * through ops->random), indices and timestamp (ops->wall_time), compared
 * byte for byte with the independent Python implementation (wg_oracle.py):
 * initiation, response, transport keys, the first keepalive; Python-built
 * messages are fed into our engine and must be accepted. Then the ways a
 * handshake must fail: bad mac1, tampered ciphertext, replayed initiation,
 * unknown static key, stray response.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "crypto.h"
#include "engine_priv.h"
#include "oracle.h"
#include "sim.h"

enum { MAX_SENT = 8 };

/* One engine with scripted randomness and captured output. */
struct box {
	struct wg_engine *e;
	union wg_sockaddr addr;
	uint8_t pub[WG_KEY_LEN];
	uint8_t tun_ip[4];
	uint8_t eph[4][32];
	int n_eph, i_eph;
	uint32_t idx[4];
	int n_idx, i_idx;
	uint64_t filler;
	struct timespec wall;
	uint8_t sent[MAX_SENT][256];
	size_t sent_len[MAX_SENT];
	int n_sent;
	uint8_t delivered[2048];
	size_t delivered_len;
	int n_delivered;
	int completed;
};

static void box_random(void *ctx, void *buf, size_t len)
{
	struct box *b = ctx;
	uint8_t *p = buf;

	/* 32 bytes: the next scripted ephemeral; 4 bytes: the next scripted index. */
	if (len == 32 && b->i_eph < b->n_eph) {
		memcpy(buf, b->eph[b->i_eph++], 32);
		return;
	}
	if (len == 4 && b->i_idx < b->n_idx) {
		mg_store_le32(buf, b->idx[b->i_idx++]);
		return;
	}
	for (size_t i = 0; i < len; ++i) {
		b->filler = b->filler * 6364136223846793005ull + 1442695040888963407ull;
		p[i] = (uint8_t)(b->filler >> 56);
	}
}

static void box_wall(void *ctx, struct timespec *ts)
{
	*ts = ((struct box *)ctx)->wall;
}

static void box_send(void *ctx, const union wg_sockaddr *to, const uint8_t *d, size_t len)
{
	struct box *b = ctx;

	(void)to;
	assert_true(b->n_sent < MAX_SENT && len <= sizeof(b->sent[0]));
	memcpy(b->sent[b->n_sent], d, len);
	b->sent_len[b->n_sent++] = len;
}

static void box_deliver(void *ctx, const uint8_t *pkt, size_t len)
{
	struct box *b = ctx;

	memcpy(b->delivered, pkt, len);
	b->delivered_len = len;
	++b->n_delivered;
}

static void box_event(void *ctx, struct wg_peer *peer, enum wg_peer_event ev)
{
	(void)peer;
	if (ev == WG_EVENT_HANDSHAKE_COMPLETE)
		++((struct box *)ctx)->completed;
}

static const struct wg_engine_ops box_ops = {
	.send_udp = box_send,
	.deliver_ip = box_deliver,
	.random = box_random,
	.wall_time = box_wall,
	.peer_event = box_event,
};

static void pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; ++i)
		p[i] = (uint8_t)(seed + i * 29);
}

static struct box *box_new(const uint8_t priv[32], int host, const struct wg_engine_config *cfg)
{
	struct box *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	b->filler = (uint64_t)host;
	b->e = wg_engine_new(cfg, &box_ops, b);
	assert_non_null(b->e);
	wg_engine_set_private_key(b->e, priv);
	assert_true(wg_engine_get_public_key(b->e, b->pub));
	b->addr.in4.sin_family = AF_INET;
	b->addr.in4.sin_addr.s_addr = htonl(0xc0000200u + (uint32_t)host); /* 192.0.2.x */
	b->addr.in4.sin_port = htons((uint16_t)(40000 + host));
	b->tun_ip[0] = 10;
	b->tun_ip[3] = (uint8_t)host;
	b->wall.tv_sec = 1700000000;
	b->wall.tv_nsec = 123456789;
	return b;
}

static void box_free(struct box *b)
{
	wg_engine_free(b->e);
	free(b);
}

static struct wg_peer *box_peer(struct box *b, struct box *other, const uint8_t *psk)
{
	struct wg_peer *p = wg_engine_peer_add(b->e, other->pub);

	assert_non_null(p);
	wg_peer_set_endpoint(p, &other->addr);
	assert_int_equal(wg_peer_allowedip_add(p, AF_INET, other->tun_ip, 32), 0);
	wg_peer_set_psk(p, psk);
	return p;
}

static void deliver(struct box *to, struct box *from, const uint8_t *msg, size_t len, uint64_t now)
{
	uint8_t buf[2048];

	memcpy(buf, msg, len);
	wg_engine_recv_udp(to->e, &from->addr, buf, len, now);
	wg_engine_process_handshakes(to->e, now, SIZE_MAX);
}

static const uint64_t T0 = 5000ull * 1000000000ull;

struct transcript {
	uint8_t init_priv[32], resp_priv[32], init_eph[32], resp_eph[32], psk[32];
	uint32_t init_index, resp_index;
	uint8_t packet[84];
	size_t packet_len;
	char args[2048];
	struct oracle_out out;
};

static void transcript_setup(struct transcript *t, uint8_t seed, bool with_psk)
{
	memset(t, 0, sizeof(*t));
	pattern(t->init_priv, 32, seed);
	pattern(t->resp_priv, 32, (uint8_t)(seed + 1));
	pattern(t->init_eph, 32, (uint8_t)(seed + 2));
	pattern(t->resp_eph, 32, (uint8_t)(seed + 3));
	if (with_psk)
		pattern(t->psk, 32, (uint8_t)(seed + 4));
	t->init_index = 0x11223344u + seed;
	t->resp_index = 0xa0b0c0d0u - seed;
	t->packet_len = sim_build_ipv4(t->packet, (const uint8_t[]){ 10, 0, 0, 1 },
				       (const uint8_t[]){ 10, 0, 0, 2 }, 64);

	oracle_arg_hex(t->args, sizeof(t->args), "init_priv", t->init_priv, 32);
	oracle_arg_hex(t->args, sizeof(t->args), "resp_priv", t->resp_priv, 32);
	oracle_arg_hex(t->args, sizeof(t->args), "init_eph", t->init_eph, 32);
	oracle_arg_hex(t->args, sizeof(t->args), "resp_eph", t->resp_eph, 32);
	oracle_arg_hex(t->args, sizeof(t->args), "psk", t->psk, 32);
	oracle_arg_hex(t->args, sizeof(t->args), "packet", t->packet, t->packet_len);
	oracle_arg_int(t->args, sizeof(t->args), "sec", 1700000000);
	oracle_arg_int(t->args, sizeof(t->args), "nsec", 123456789);
	oracle_arg_int(t->args, sizeof(t->args), "init_index", t->init_index);
	oracle_arg_int(t->args, sizeof(t->args), "resp_index", t->resp_index);
	assert_true(oracle_run(&t->out, "handshake", t->args));
}

static void run_transcript(uint8_t seed, bool with_psk)
{
	struct transcript t;
	struct box *a, *b;
	struct wg_peer *pa, *pb;
	struct noise_keypair *kp;
	size_t len;
	const uint8_t *v;

	transcript_setup(&t, seed, with_psk);
	a = box_new(t.init_priv, 1, NULL);
	b = box_new(t.resp_priv, 2, NULL);
	assert_memory_equal(a->pub, oracle_get(&t.out, "init_pub", NULL), 32);
	assert_memory_equal(b->pub, oracle_get(&t.out, "resp_pub", NULL), 32);
	pa = box_peer(a, b, with_psk ? t.psk : NULL);
	pb = box_peer(b, a, with_psk ? t.psk : NULL);

	/* -> e, es, s, ss, {t}: our initiation equals Python's, byte for byte. */
	memcpy(a->eph[a->n_eph++], t.init_eph, 32);
	a->idx[a->n_idx++] = t.init_index;
	wg_peer_initiate(pa, T0);
	assert_int_equal(a->n_sent, 1);
	v = oracle_get(&t.out, "initiation", &len);
	assert_int_equal(a->sent_len[0], WG_MSG_INITIATION_LEN);
	assert_int_equal(len, WG_MSG_INITIATION_LEN);
	assert_memory_equal(a->sent[0], v, len);

	/* <- e, ee, se, psk, {}: Python's initiation into our responder; its response equals Python's. */
	memcpy(b->eph[b->n_eph++], t.resp_eph, 32);
	b->idx[b->n_idx++] = t.resp_index;
	deliver(b, a, v, len, T0 + 1000);
	assert_int_equal(b->n_sent, 1);
	v = oracle_get(&t.out, "response", &len);
	assert_int_equal(b->sent_len[0], WG_MSG_RESPONSE_LEN);
	assert_memory_equal(b->sent[0], v, len);

	/* Responder's transport keys: parked in `next` until confirmed. */
	kp = pb->keypairs.next;
	assert_non_null(kp);
	assert_null(pb->keypairs.current);
	assert_memory_equal(kp->receiving.key, oracle_get(&t.out, "t_send", NULL), 32);
	assert_memory_equal(kp->sending.key, oracle_get(&t.out, "t_recv", NULL), 32);

	/* Python's first data message confirms the session and is delivered. */
	v = oracle_get(&t.out, "data", &len);
	deliver(b, a, v, len, T0 + 2000);
	assert_int_equal(b->n_delivered, 1);
	assert_int_equal(b->delivered_len, t.packet_len);
	assert_memory_equal(b->delivered, t.packet, t.packet_len);
	assert_ptr_equal(pb->keypairs.current, kp);
	assert_null(pb->keypairs.next);
	assert_int_equal(b->completed, 1);

	/* Python's response into our initiator: keys match, and its keepalive equals Python's. */
	deliver(a, b, oracle_get(&t.out, "response", NULL), WG_MSG_RESPONSE_LEN, T0 + 3000);
	kp = pa->keypairs.current;
	assert_non_null(kp);
	assert_memory_equal(kp->sending.key, oracle_get(&t.out, "t_send", NULL), 32);
	assert_memory_equal(kp->receiving.key, oracle_get(&t.out, "t_recv", NULL), 32);
	assert_int_equal(a->completed, 1);
	assert_int_equal(a->n_sent, 2);
	v = oracle_get(&t.out, "keepalive", &len);
	assert_int_equal(a->sent_len[1], 32);
	assert_memory_equal(a->sent[1], v, len);

	/* The handshake state is gone once the session exists. */
	assert_int_equal(pa->handshake.state, HANDSHAKE_ZEROED);
	assert_true(wg_crypto_is_zero(pa->handshake.chaining_key, 32));
	assert_true(wg_crypto_is_zero(pa->handshake.ephemeral_private, 32));

	box_free(a);
	box_free(b);
}

static void test_transcript_no_psk(void **state)
{
	(void)state;
	run_transcript(1, false);
}

static void test_transcript_psk(void **state)
{
	(void)state;
	run_transcript(77, true);
}

/* Different seeds exercise other keys (all clamping paths). */
static void test_transcript_more_keys(void **state)
{
	(void)state;
	for (uint8_t seed = 100; seed < 106; ++seed)
		run_transcript(seed, seed & 1);
}

static void test_tai64n(void **state)
{
	const uint8_t want[12] = { 0x40, 0, 0, 0, 0x65, 0x53, 0xf1, 0x0a, 0x07, 0, 0, 0 };
	uint8_t out[12];

	(void)state;
	/* 1700000000 s; 123456789 ns rounded down to a multiple of 2^24 = 7 * 2^24 */
	noise_tai64n(out, 1700000000, 123456789);
	assert_memory_equal(out, want, 12);
}

/* Recomputes mac1 after tampering, so the AEAD (not the MAC) must catch it. */
static void fix_mac1(uint8_t *msg, size_t len, const uint8_t receiver_pub[32])
{
	uint8_t key[32];

	wg_crypto_hash2(key, "mac1----", 8, receiver_pub, 32);
	wg_crypto_mac(msg + len - 32, key, 32, msg, len - 32);
}

static void test_rejections(void **state)
{
	struct transcript t;
	struct wg_engine_stats st;
	struct box *a, *b, *stranger;
	uint8_t msg[WG_MSG_INITIATION_LEN], priv[32];

	(void)state;
	transcript_setup(&t, 9, true);
	a = box_new(t.init_priv, 1, NULL);
	b = box_new(t.resp_priv, 2, NULL);
	box_peer(a, b, t.psk);
	box_peer(b, a, t.psk);
	memcpy(msg, oracle_get(&t.out, "initiation", NULL), sizeof(msg));

	/* Bad mac1: dropped before any public-key work. */
	msg[20] ^= 1;
	deliver(b, a, msg, sizeof(msg), T0);
	wg_engine_get_stats(b->e, &st);
	assert_int_equal(st.drop_mac, 1);
	assert_int_equal(b->n_sent, 0);

	/* Tampered encrypted static with a valid mac1: AEAD failure. */
	fix_mac1(msg, sizeof(msg), b->pub);
	deliver(b, a, msg, sizeof(msg), T0);
	wg_engine_get_stats(b->e, &st);
	assert_int_equal(st.drop_decrypt, 1);
	assert_int_equal(b->n_sent, 0);

	/* Wrong size: malformed. */
	memcpy(msg, oracle_get(&t.out, "initiation", NULL), sizeof(msg));
	deliver(b, a, msg, sizeof(msg) - 1, T0);
	wg_engine_get_stats(b->e, &st);
	assert_int_equal(st.drop_malformed, 1);

	/* The genuine one is answered; the same bytes again are a replay. */
	deliver(b, a, msg, sizeof(msg), T0);
	assert_int_equal(b->n_sent, 1);
	deliver(b, a, msg, sizeof(msg), T0 + 1000000000ull);
	wg_engine_get_stats(b->e, &st);
	assert_int_equal(st.drop_replay, 1);
	assert_int_equal(b->n_sent, 1);

	/* A valid initiation from a key b does not know: no response. */
	pattern(priv, 32, 200);
	stranger = box_new(priv, 3, NULL);
	box_peer(stranger, b, NULL);
	wg_peer_initiate(wg_engine_peer_get(stranger->e, b->pub), T0);
	deliver(b, stranger, stranger->sent[0], stranger->sent_len[0], T0 + 2000000000ull);
	wg_engine_get_stats(b->e, &st);
	assert_int_equal(st.drop_no_peer, 1);
	assert_int_equal(b->n_sent, 1);

	/* A response nobody asked for (unknown receiver index), and one with a bad mac1. */
	memcpy(msg, oracle_get(&t.out, "response", NULL), WG_MSG_RESPONSE_LEN);
	deliver(a, b, msg, WG_MSG_RESPONSE_LEN, T0);
	wg_engine_get_stats(a->e, &st);
	assert_int_equal(st.drop_no_peer, 1);
	msg[WG_MSG_RESPONSE_LEN - 20] ^= 0x80;
	deliver(a, b, msg, WG_MSG_RESPONSE_LEN, T0);
	wg_engine_get_stats(a->e, &st);
	assert_int_equal(st.drop_mac, 1);

	box_free(stranger);
	box_free(a);
	box_free(b);
}

/* An older timestamp than the last accepted one is refused even with a fresh ephemeral. */
static void test_timestamp_must_increase(void **state)
{
	uint8_t pa_priv[32], pb_priv[32];
	struct wg_engine_stats st;
	struct box *a, *b;
	struct wg_peer *pa;

	(void)state;
	pattern(pa_priv, 32, 31);
	pattern(pb_priv, 32, 32);
	a = box_new(pa_priv, 1, NULL);
	b = box_new(pb_priv, 2, NULL);
	pa = box_peer(a, b, NULL);
	box_peer(b, a, NULL);

	wg_peer_initiate(pa, T0);
	deliver(b, a, a->sent[0], a->sent_len[0], T0);
	assert_int_equal(b->n_sent, 1);

	/* Clock stepped back one second: a new initiation carries an older timestamp. */
	a->wall.tv_sec -= 1;
	wg_peer_initiate(pa, T0 + 10000000000ull);
	assert_int_equal(a->n_sent, 2);
	deliver(b, a, a->sent[1], a->sent_len[1], T0 + 10000000000ull);
	wg_engine_get_stats(b->e, &st);
	assert_int_equal(st.drop_replay, 1);
	assert_int_equal(b->n_sent, 1);

	/* Same second but a later (whitened) nanosecond slot: accepted. */
	a->wall.tv_sec += 1;
	a->wall.tv_nsec += 1 << 24;
	wg_peer_initiate(pa, T0 + 20000000000ull);
	deliver(b, a, a->sent[2], a->sent_len[2], T0 + 20000000000ull);
	assert_int_equal(b->n_sent, 2);

	box_free(a);
	box_free(b);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tai64n),
		cmocka_unit_test(test_transcript_no_psk),
		cmocka_unit_test(test_transcript_psk),
		cmocka_unit_test(test_transcript_more_keys),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_timestamp_must_increase),
	};

	if (!oracle_init(argc, argv))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
