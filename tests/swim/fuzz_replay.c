/* SPDX-License-Identifier: MIT */
/*
 * Runs the libFuzzer target (fuzz_swim.c) without libFuzzer, so that every
 * build and every CI run exercises it under the sanitizers:
 *
 *   fuzz-swim-replay            a deterministic stream of generated inputs:
 *                               raw datagrams of every envelope kind around
 *                               their valid sizes, and frame sequences
 *                               (valid headers, hostile bodies) sealed in a
 *                               real session so they reach the frame decoders;
 *   fuzz-swim-replay FILE...    replays inputs saved by libFuzzer (crashes).
 *
 * Afterwards the cluster must still work: node 0 answers and every node sees
 * every other alive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "sim.h"
#include "swim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
struct sim *fuzz_swim_sim(void);

#define INPUTS 40000

static uint64_t rng = 0x6d657368677561ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t below(size_t n)
{
	return (size_t)(next() % n);
}

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)next();
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* A body shaped as `type` expects (so the handler behind the check runs), random inside. */
static size_t gen_body(uint8_t type, uint8_t *p, size_t cap)
{
	size_t n, k = 1 + below(8);

	switch (type) {
	case F_PING:
	case F_ACK:
	case F_NACK:
		n = 8;
		break;
	case F_PING_REQ:
		n = 41;
		break;
	case F_HEAD:
		n = 40;
		break;
	case F_SUSPECT:
	case F_DEAD:
		n = W_CLAIM;
		break;
	case F_ORG:
		n = below(2) ? 137 + below(2) : 1 + below(300);
		break;
	case F_PP_DIGEST: {
		size_t nb = (size_t)1 << below(8), no = (size_t)1 << below(5);
		n = 4 + 8 * (nb + no);
		if (n > cap)
			return 0;
		fill(p, n);
		p[0] = (uint8_t)nb, p[1] = (uint8_t)(nb >> 8), p[2] = (uint8_t)no, p[3] = 0;
		return n;
	}
	case F_PP_MEMBERS:
	case F_PP_ORGS: {
		size_t e = type == F_PP_MEMBERS ? W_PP_ENTRY : W_ORG_ID;
		n = 16 + k * e;
		if (n > cap)
			return 0;
		fill(p, n);
		uint64_t lo = next(), hi = next();
		be64(p, lo < hi ? lo : hi);
		be64(p + 8, lo < hi ? hi : lo);
		for (size_t o = 16; type == F_PP_MEMBERS && o < n; o += e) {
			p[o + 32] |= 1; /* incarnation non-zero */
			p[o + 40] = (uint8_t)below(3);
		}
		return n;
	}
	case F_WANT_MEMBERS:
		n = 32 * k;
		break;
	case F_WANT_ORGS:
		n = 8 * k;
		break;
	default:
		n = below(400);
		break;
	}
	if (n > cap)
		return 0;
	fill(p, n);
	return n;
}

/* Mode 1: a sequence of frames (type, le16 length, body); now and then a lying length. */
static size_t gen_frames(uint8_t *in, size_t cap)
{
	size_t n = 1;
	in[0] = 1;
	for (size_t f = 0, nf = 1 + below(6); f < nf && n + 3 < cap; f++) {
		uint8_t type = below(8) ? (uint8_t)below(F_HEAD + 1) : (uint8_t)next();
		size_t bl = gen_body(type, in + n + 3, cap - n - 3);
		size_t claimed = below(32) ? bl : below(0x10000);
		in[n] = type;
		in[n + 1] = (uint8_t)claimed;
		in[n + 2] = (uint8_t)(claimed >> 8);
		n += 3 + bl;
	}
	return n;
}

/* Modes 0 and 2: a datagram of some envelope kind, near the sizes that kind accepts. */
static size_t gen_datagram(uint8_t *in, size_t cap)
{
	static const size_t lens[] = { 0, 1, 2, 49, 50, 51, 95, 96, 97, W_INIT_OVERHEAD - 1,
				       W_INIT_OVERHEAD, W_INIT_OVERHEAD + 8, W_INIT_OVERHEAD + 300,
				       W_DATA_OVERHEAD - 1, W_DATA_OVERHEAD, W_DATA_OVERHEAD + 8,
				       1400, W_MAX_DATAGRAM, W_MAX_DATAGRAM + 1 };
	size_t len = below(4) ? lens[below(MG_ARRAY_LEN(lens))] : below(W_MAX_DATAGRAM + 2);
	if (len + 1 > cap)
		len = cap - 1;
	in[0] = below(2) ? 0 : 2;
	fill(in + 1, len);
	if (len >= 2 && below(4)) {
		in[1] = SWIM_ENVELOPE;
		in[2] = (uint8_t)(1 + below(4));
	}
	if (len >= 2 && in[2] == WK_HELLO && below(2))
		memset(in + 3 + W_HELLO_NONCE, 0, len > 2 + W_HELLO_NONCE ? len - 2 - W_HELLO_NONCE : 0);
	return len + 1;
}

static int replay_file(const char *path)
{
	static uint8_t buf[W_MAX_DATAGRAM + 2];
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	printf("%s: %zu bytes replayed\n", path, n);
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t in[W_MAX_DATAGRAM + 2];
	int rc = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			rc |= replay_file(argv[i]);
		return rc;
	}
	for (int i = 0; i < INPUTS; i++) {
		size_t n = below(3) ? gen_frames(in, sizeof(in)) : gen_datagram(in, sizeof(in));
		LLVMFuzzerTestOneInput(in, n);
	}
	struct sim *sim = fuzz_swim_sim();
	struct swim_stats st;
	swim_get_stats(sim_swim(sim, 0), &st);
	printf("%d inputs: node 0 counted %llu malformed, %llu bad mac, %llu auth failures, "
	       "%llu unknown pair\n",
	       INPUTS, (unsigned long long)st.rx_malformed, (unsigned long long)st.rx_bad_mac,
	       (unsigned long long)st.rx_auth_fail, (unsigned long long)st.rx_unknown_pair);
	/* the generator must reach the checks it is meant for, or it tests nothing */
	if (!st.rx_malformed || !st.rx_bad_mac || !st.rx_unknown_pair) {
		fprintf(stderr, "FAIL: generated inputs did not reach every rejection path\n");
		return 1;
	}
	sim_run_until(sim, sim_now(sim) + 10ull * 1000000000ull);
	if (!sim_converged(sim)) {
		fprintf(stderr, "FAIL: the cluster no longer converges after the inputs\n");
		return 1;
	}
	printf("cluster still converged\n");
	return 0;
}
