/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the gossip receive path. Built with -Dfuzz=true and
 * clang (see docs/protocol-swim.md, "Testing"):
 *
 *   CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
 *        -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link
 *   ninja -C build-fuzz tests/swim/fuzz-swim && ./build-fuzz/tests/swim/fuzz-swim
 *
 * (scripts/fuzz.sh does exactly that.) Every ordinary build also links it
 * with fuzz_replay.c into fuzz-swim-replay, a unit test that feeds it a
 * deterministic stream of generated inputs.
 *
 * A 3-node simulated cluster is built once. The first input byte picks what
 * the rest is:
 *   0  a raw datagram delivered to node 0 (envelope, hello, handshake, data);
 *   1  a plaintext payload sealed by node 1 in its real session with node 0,
 *      so that the frame decoders behind the AEAD are reached;
 *   2  the same as 0 with the envelope byte forced.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "sim.h"
#include "swim_int.h"

#define MS 1000000ull
#define SEC 1000000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
struct sim *fuzz_swim_sim(void);

static struct sim *sim;

static void setup(void)
{
	struct sim_cfg cfg = { .n = 3, .seed = 5, .lat_min_ns = 1 * MS, .lat_max_ns = 2 * MS };
	swim_config_lan(&cfg.swim);
	mg_log_set_level(MG_LOG_ERROR);
	sim = sim_create(&cfg);
	sim_start(sim, 0, -1, false);
	sim_start(sim, 1, 0, false);
	sim_start(sim, 2, 0, true);
	sim_run_until(sim, 3 * SEC);
}

/* The cluster the inputs went to (fuzz_replay.c checks it still works). */
struct sim *fuzz_swim_sim(void)
{
	if (!sim)
		setup();
	return sim;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[W_MAX_DATAGRAM];

	if (!sim)
		setup();
	if (size < 1 || size > sizeof(buf))
		return 0;
	switch (data[0] % 3) {
	case 0:
		sim_inject(sim, 0, sim_addr(sim, 1), data + 1, size - 1);
		break;
	case 1: {
		struct swim *w = sim_swim(sim, 1);
		struct member *m = member_find(w, sim_pk(sim, 0));
		if (!m || !out_begin(w, &w->out, m, 0))
			break;
		size_t n = size - 1;
		if (n > w->out.cap - W_PAYLOAD_HDR)
			n = w->out.cap - W_PAYLOAD_HDR;
		memcpy(w->out.pt + W_PAYLOAD_HDR, data + 1, n);
		w->out.len = W_PAYLOAD_HDR + n;
		out_flush(w, &w->out);
		break;
	}
	default:
		memcpy(buf, data, size);
		buf[0] = SWIM_ENVELOPE;
		sim_inject(sim, 0, sim_addr(sim, 2), buf, size);
		break;
	}
	sim_run_until(sim, sim_now(sim) + 10 * MS);
	return 0;
}
