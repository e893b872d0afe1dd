/* SPDX-License-Identifier: MIT */
/*
 * Multi-node scenarios in the deterministic simulator (suite "sim"): join
 * convergence, failure detection, refutation, leave, partition heal,
 * revocation reaching everyone (late joiners included), no member admitted
 * without trust, vouches, restart from the member cache, the WAN profile,
 * and determinism of the simulator itself.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"
#include "sim.h"
#include "swim_int.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define MAXN 64

struct events {
	struct sim *sim;
	/* count[viewer][subject][type] */
	unsigned count[MAXN][MAXN][8];
};

static void observe(void *arg, size_t node, const struct swim_event *ev, uint64_t now)
{
	struct events *e = arg;
	size_t subj = sim_node_of(e->sim, ev->member->identity);
	(void)now;
	if (node < MAXN && subj < MAXN && ev->type < 8)
		e->count[node][subj][ev->type]++;
}

static unsigned total(struct events *e, size_t subject, enum swim_event_type t)
{
	unsigned c = 0;
	for (size_t v = 0; v < MAXN; v++)
		c += e->count[v][subject][t];
	return c;
}

static struct sim *mk(size_t n, double loss, uint64_t seed, struct events *e)
{
	struct sim_cfg cfg = { .n = n, .seed = seed, .loss = loss, .lat_min_ns = 1 * MS,
			       .lat_max_ns = 8 * MS, .jitter_ns = 2 * MS };
	swim_config_lan(&cfg.swim);
	struct sim *sim = sim_create(&cfg);
	if (e) {
		memset(e, 0, sizeof(*e));
		e->sim = sim;
		sim_set_observer(sim, observe, e);
	}
	return sim;
}

/* Start node 0, then the others through random earlier nodes, half by address only. */
static void start_all(struct sim *sim, size_t n, size_t from)
{
	if (from == 0)
		sim_start(sim, 0, -1, false);
	for (size_t i = from ? from : 1; i < n; i++) {
		sim_run_until(sim, sim_now(sim) + 50 * MS);
		assert_int_equal(sim_start(sim, i, (long)(sim_rng(sim) % i), i % 2), 0);
	}
}

/* Run until cond holds (checked every 100 ms) or `limit` passes; returns the time it took. */
#define RUN_UNTIL(sim, cond, limit)                                                                \
	({                                                                                         \
		uint64_t _t0 = sim_now(sim);                                                       \
		while (!(cond) && sim_now(sim) - _t0 < (limit))                                    \
			sim_run_until(sim, sim_now(sim) + 100 * MS);                               \
		assert_true(cond);                                                                 \
		sim_now(sim) - _t0;                                                                \
	})

static void test_join_convergence(void **state)
{
	struct events *e = malloc(sizeof(*e));
	struct sim *sim = mk(16, 0, 1, e);
	(void)state;

	start_all(sim, 16, 0);
	uint64_t t = RUN_UNTIL(sim, sim_converged(sim), 10 * SEC);
	assert_true(t < 5 * SEC);
	for (size_t v = 0; v < 16; v++)
		for (size_t s = 0; s < 16; s++) {
			if (v == s)
				continue;
			assert_int_equal(e->count[v][s][SWIM_EV_JOINED], 1);
			assert_int_equal(e->count[v][s][SWIM_EV_SUSPECT], 0);
			assert_int_equal(e->count[v][s][SWIM_EV_DEAD], 0);
		}
	/* names and trust paths come from the admit callback */
	struct swim_member_info info;
	struct swim_endpoint eps[SWIM_MAX_ENDPOINTS];
	assert_int_equal(swim_member_get(sim_swim(sim, 3), sim_pk(sim, 9), &info, eps), 0);
	assert_string_equal(info.name, "node-9");
	assert_string_equal(info.trust_path, "org sim certificate");
	assert_true(swim_endpoint_equal(&info.addr, sim_addr(sim, 9)));
	assert_int_equal(info.n_endpoints, 1);
	sim_destroy(sim);
	free(e);
}

static void test_join_lossy(void **state)
{
	struct events *e = malloc(sizeof(*e));
	struct sim *sim = mk(20, 0.05, 2, e);
	(void)state;

	start_all(sim, 20, 0);
	RUN_UNTIL(sim, sim_converged(sim), 30 * SEC);
	/* and it stays that way: no false deaths at 5% loss over two minutes */
	sim_run_until(sim, sim_now(sim) + 120 * SEC);
	assert_true(sim_converged(sim));
	for (size_t s = 0; s < 20; s++)
		assert_int_equal(total(e, s, SWIM_EV_DEAD), 0);
	sim_destroy(sim);
	free(e);
}

/*
 * 100 nodes join within 2 s at 5% loss: everyone knows everyone a few seconds
 * after the last join. (Answers to a first handshake share a budget; when an
 * ack's piggyback could eat all of it, or none was allowed, this took 36 s.)
 */
static void test_bootstrap_lossy(void **state)
{
	struct sim_cfg cfg = { .n = 100, .seed = 1, .loss = 0.05, .lat_min_ns = 200000,
			       .lat_max_ns = 2 * MS, .jitter_ns = 500000 };
	(void)state;
	swim_config_lan(&cfg.swim);
	struct sim *sim = sim_create(&cfg);
	sim_start(sim, 0, -1, false);
	for (size_t i = 1; i < 100; i++) {
		sim_run_until(sim, sim_now(sim) + 20 * MS);
		assert_int_equal(sim_start(sim, i, (long)(sim_rng(sim) % i), i % 4 == 0), 0);
	}
	uint64_t t = RUN_UNTIL(sim, sim_converged(sim), 60 * SEC);
	print_message("100 nodes at 5%% loss: converged %.1f s after the last join\n", (double)t / 1e9);
	assert_true(t <= 10 * SEC);
	sim_destroy(sim);
}

static void test_failure_detection(void **state)
{
	struct events *e = malloc(sizeof(*e));
	struct sim *sim = mk(16, 0.01, 3, e);
	(void)state;

	start_all(sim, 16, 0);
	RUN_UNTIL(sim, sim_converged(sim), 10 * SEC);
	sim_run_until(sim, sim_now(sim) + 5 * SEC);
	sim_crash(sim, 5);
	uint64_t t = RUN_UNTIL(sim, sim_all_see(sim, 5, SWIM_DEAD, SIZE_MAX), 30 * SEC);
	assert_true(t < 15 * SEC);
	for (size_t s = 0; s < 16; s++)
		if (s != 5)
			assert_int_equal(total(e, s, SWIM_EV_DEAD), 0);
	/* tombstones are reaped after tombstone_s, by the signed time of the claim */
	for (size_t v = 0; v < 16; v++)
		if (v != 5)
			sim_swim(sim, v)->cfg.tombstone_s = 30;
	sim_run_until(sim, sim_now(sim) + 60 * SEC);
	for (size_t v = 0; v < 16; v++)
		if (v != 5)
			assert_int_equal(sim_state(sim, v, 5), -1);
	sim_destroy(sim);
	free(e);
}

static void test_refutation(void **state)
{
	struct events *e = malloc(sizeof(*e));
	struct sim *sim = mk(8, 0, 4, e);
	(void)state;

	start_all(sim, 8, 0);
	RUN_UNTIL(sim, sim_converged(sim), 10 * SEC);
	uint64_t inc = swim_incarnation(sim_swim(sim, 3));
	/* node 1 wrongly suspects node 3 (as after a lost probe) */
	struct swim *w = sim_swim(sim, 1);
	member_suspect_local(w, member_find(w, sim_pk(sim, 3)));
	sim_kick(sim, 1);
	assert_int_equal(sim_state(sim, 1, 3), SWIM_SUSPECT);
	RUN_UNTIL(sim, swim_incarnation(sim_swim(sim, 3)) > inc &&
			       sim_all_see(sim, 3, SWIM_ALIVE, SIZE_MAX),
		  5 * SEC);
	assert_true(total(e, 3, SWIM_EV_SUSPECT) >= 1);
	assert_true(total(e, 3, SWIM_EV_ALIVE) >= 1);
	sim_run_until(sim, sim_now(sim) + 60 * SEC);
	assert_int_equal(total(e, 3, SWIM_EV_DEAD), 0);
	assert_true(sim_converged(sim));
	struct swim_stats st;
	swim_get_stats(sim_swim(sim, 3), &st);
	assert_true(st.refutations >= 1);
	sim_destroy(sim);
	free(e);
}

static void test_leave(void **state)
{
	struct events *e = malloc(sizeof(*e));
	struct sim *sim = mk(8, 0.01, 5, e);
	(void)state;

	start_all(sim, 8, 0);
	RUN_UNTIL(sim, sim_converged(sim), 10 * SEC);
	uint64_t until = swim_leave(sim_swim(sim, 4), sim_now(sim), sim_unix(sim));
	sim_kick(sim, 4);
	sim_run_until(sim, until);
	sim_crash(sim, 4);
	RUN_UNTIL(sim, sim_all_see(sim, 4, SWIM_LEFT, SIZE_MAX), 3 * SEC);
	sim_run_until(sim, sim_now(sim) + 60 * SEC);
	assert_true(sim_all_see(sim, 4, SWIM_LEFT, SIZE_MAX));
	assert_int_equal(total(e, 4, SWIM_EV_LEFT), 7);
	assert_int_equal(total(e, 4, SWIM_EV_DEAD), 0);
	assert_int_equal(total(e, 4, SWIM_EV_SUSPECT), 0);
	sim_destroy(sim);
	free(e);
}

static void revoke(struct sim *sim, size_t admin, size_t victim);
static bool nobody_has(struct sim *sim, size_t subject, size_t n);
static uint32_t org_stored(struct sim *sim, size_t i);

/* Every pair of up nodes other than `but` sees each other alive. */
static bool all_alive_but(struct sim *sim, size_t but)
{
	for (size_t a = 0; a < 12; a++)
		for (size_t b = 0; b < 12; b++)
			if (a != b && a != but && b != but && sim_is_up(sim, a) && sim_is_up(sim, b) &&
			    sim_state(sim, a, b) != SWIM_ALIVE)
				return false;
	return true;
}

static bool cross_dead(struct sim *sim)
{
	for (size_t a = 0; a < 6; a++)
		for (size_t b = 6; b < 12; b++)
			if (sim_state(sim, a, b) != SWIM_DEAD || sim_state(sim, b, a) != SWIM_DEAD)
				return false;
	return true;
}

static void test_partition_heal(void **state)
{
	struct events *e = malloc(sizeof(*e));
	struct sim *sim = mk(12, 0.01, 6, e);
	(void)state;

	start_all(sim, 12, 0);
	RUN_UNTIL(sim, sim_converged(sim), 10 * SEC);
	for (size_t i = 6; i < 12; i++)
		sim_set_group(sim, i, 1);
	RUN_UNTIL(sim, cross_dead(sim), 60 * SEC);
	/* each side still sees its own half alive */
	for (size_t a = 0; a < 12; a++)
		for (size_t b = 0; b < 12; b++)
			if (a != b && (a < 6) == (b < 6))
				assert_int_equal(sim_state(sim, a, b), SWIM_ALIVE);
	/* while split, side A revokes node 9 (on side B): B has not heard of it */
	revoke(sim, 1, 9);
	sim_run_until(sim, sim_now(sim) + 5 * SEC);
	assert_int_equal(sim_state(sim, 7, 9), SWIM_ALIVE);
	sim_heal(sim);
	/* after the heal everyone catches up: the revocation crosses by gossip and
	 * anti-entropy, node 9 is dropped everywhere, the others are alive again */
	RUN_UNTIL(sim, nobody_has(sim, 9, 12) && all_alive_but(sim, 9), 120 * SEC);
	for (size_t v = 6; v < 12; v++)
		if (v != 9)
			assert_true(org_stored(sim, v) >= 1);
	sim_destroy(sim);
	free(e);
}

/* As `meshguard org-*` on the admin node: its trust store (and, for a revocation,
 * a re-check of its members), then the gossip. Returns what publishing said. */
static int publish_org(struct sim *sim, size_t admin, const uint8_t *msg, size_t len, bool recheck)
{
	assert_int_equal(sim_trust_apply(sim, admin, msg, len), SWIM_ORG_NEW);
	if (recheck)
		swim_recheck_trust(sim_swim(sim, admin), sim_now(sim), sim_unix(sim));
	int r = swim_publish_org_message(sim_swim(sim, admin), msg, len, sim_now(sim), sim_unix(sim));
	sim_kick(sim, admin);
	return r;
}

static void revoke(struct sim *sim, size_t admin, size_t victim)
{
	uint8_t msg[138];
	size_t len = sim_make_revoke(sim, victim, msg);
	assert_int_equal(publish_org(sim, admin, msg, len, true), 0);
}

static bool nobody_has(struct sim *sim, size_t subject, size_t n)
{
	for (size_t v = 0; v < n; v++)
		if (v != subject && sim_is_up(sim, v) && sim_state(sim, v, subject) >= 0)
			return false;
	return true;
}

static uint32_t org_stored(struct sim *sim, size_t i)
{
	struct swim_stats st;
	swim_get_stats(sim_swim(sim, i), &st);
	return st.org_stored;
}

static void test_revocation(void **state)
{
	struct events *e = malloc(sizeof(*e));
	struct sim *sim = mk(12, 0.01, 7, e);
	(void)state;

	start_all(sim, 11, 0); /* node 11 joins later */
	RUN_UNTIL(sim, sim_converged(sim), 10 * SEC);
	revoke(sim, 2, 7);
	uint64_t t = RUN_UNTIL(sim, nobody_has(sim, 7, 11), 10 * SEC);
	assert_true(t < 3 * SEC);
	for (size_t v = 0; v < 11; v++)
		if (v != 7)
			assert_int_equal(e->count[v][7][SWIM_EV_REMOVED_TRUST], 1);
	/* the revoked node keeps running and keeps trying: it never gets back in */
	sim_run_until(sim, sim_now(sim) + 30 * SEC);
	assert_true(nobody_has(sim, 7, 11));
	struct swim_stats st;
	swim_get_stats(sim_swim(sim, 0), &st);
	assert_true(st.org_new >= 1);
	/* a node that joins later learns the revocation by anti-entropy and drops 7 */
	sim_start(sim, 11, 0, false);
	RUN_UNTIL(sim, sim_state(sim, 11, 0) == SWIM_ALIVE, 5 * SEC);
	uint8_t msg[138];
	size_t len = sim_make_revoke(sim, 7, msg);
	RUN_UNTIL(sim, org_stored(sim, 11) >= 1, 10 * SEC);
	assert_int_equal(sim_trust_apply(sim, 11, msg, len), SWIM_ORG_DUPLICATE);
	sim_run_until(sim, sim_now(sim) + 30 * SEC);
	assert_true(nobody_has(sim, 7, 12));
	sim_destroy(sim);
	free(e);
}

static void test_untrusted_never_admitted(void **state)
{
	struct events *e = malloc(sizeof(*e));
	struct sim *sim = mk(6, 0, 8, e);
	(void)state;

	sim_set_trust(sim, 4, SIM_TRUST_OTHER); /* a certificate from an org nobody trusts */
	sim_set_trust(sim, 5, SIM_TRUST_NONE);  /* no certificate at all */
	sim_start(sim, 0, -1, false);
	for (size_t i = 1; i < 6; i++)
		sim_start(sim, i, 0, i == 5);
	sim_run_until(sim, 30 * SEC);
	for (size_t v = 0; v < 4; v++) {
		assert_int_equal(sim_state(sim, v, 4), -1);
		assert_int_equal(sim_state(sim, v, 5), -1);
		for (size_t s = 0; s < 4; s++)
			if (s != v)
				assert_int_equal(sim_state(sim, v, s), SWIM_ALIVE);
	}
	assert_int_equal(total(e, 4, SWIM_EV_JOINED), 0);
	assert_int_equal(total(e, 5, SWIM_EV_JOINED), 0);
	struct swim_stats st;
	swim_get_stats(sim_swim(sim, 0), &st);
	assert_true(st.rx_untrusted >= 2);
	/* the outsiders learn nothing about the members either */
	assert_int_equal(swim_member_count_state(sim_swim(sim, 4), SWIM_ALIVE), 0);
	assert_int_equal(swim_member_count_state(sim_swim(sim, 5), SWIM_ALIVE), 0);

	/* once the org vouches for node 5, it gets in (its seed retries) */
	uint8_t v[137];
	size_t len = sim_make_vouch(sim, 5, v);
	assert_int_equal(sim_trust_apply(sim, 0, v, len), SWIM_ORG_NEW);
	swim_publish_org_message(sim_swim(sim, 0), v, len, sim_now(sim), sim_unix(sim));
	sim_kick(sim, 0);
	RUN_UNTIL(sim, sim_all_see(sim, 5, SWIM_ALIVE, 4), 60 * SEC);
	assert_int_equal(sim_state(sim, 0, 4), -1);
	sim_destroy(sim);
	free(e);
}

static void test_cache_restart(void **state)
{
	struct sim *sim = mk(6, 0, 9, NULL);
	uint8_t *cache;
	size_t len;
	char err[256];
	(void)state;

	start_all(sim, 6, 0);
	RUN_UNTIL(sim, sim_converged(sim), 10 * SEC);
	uint64_t inc = swim_incarnation(sim_swim(sim, 3));
	assert_int_equal(swim_cache_save(sim_swim(sim, 3), &cache, &len), 0);
	/* a damaged cache is refused with a message that says where */
	uint8_t *bad = malloc(len);
	memcpy(bad, cache, len);
	bad[len / 2] ^= 1;
	struct swim *tmp = sim_swim(sim, 2);
	assert_int_equal(swim_cache_load(tmp, bad, len, sim_now(sim), sim_unix(sim), err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "checksum"));
	assert_int_equal(swim_cache_load(tmp, bad, 10, sim_now(sim), sim_unix(sim), err, sizeof(err)),
			 -EINVAL);
	free(bad);
	/* node 3 restarts; its seed (node 0) is gone; it only has the cache */
	sim_crash(sim, 3);
	sim_crash(sim, 0);
	sim_run_until(sim, sim_now(sim) + 2 * SEC);
	assert_int_equal(sim_start_from_cache(sim, 3, cache, len), 0);
	assert_true(swim_incarnation(sim_swim(sim, 3)) > inc);
	RUN_UNTIL(sim, sim_state(sim, 3, 1) == SWIM_ALIVE && sim_state(sim, 3, 5) == SWIM_ALIVE &&
			       sim_all_see(sim, 3, SWIM_ALIVE, 0),
		  20 * SEC);
	free(cache);
	sim_destroy(sim);
}

static void test_wan_profile(void **state)
{
	struct sim_cfg cfg = { .n = 10, .seed = 10, .loss = 0.01, .lat_min_ns = 40 * MS,
			       .lat_max_ns = 150 * MS, .jitter_ns = 20 * MS };
	(void)state;
	swim_config_wan(&cfg.swim);
	struct sim *sim = sim_create(&cfg);
	start_all(sim, 10, 0);
	RUN_UNTIL(sim, sim_converged(sim), 30 * SEC);
	sim_crash(sim, 4);
	RUN_UNTIL(sim, sim_all_see(sim, 4, SWIM_DEAD, SIZE_MAX), 90 * SEC);
	sim_destroy(sim);
}

/* A medium cluster at 5% loss: everything at once, and no false death in three minutes. */
static void test_medium_lossy(void **state)
{
	struct events *e = malloc(sizeof(*e));
	struct sim *sim = mk(64, 0.05, 13, e);
	(void)state;

	start_all(sim, 64, 0);
	RUN_UNTIL(sim, sim_converged(sim), 60 * SEC);
	sim_run_until(sim, sim_now(sim) + 180 * SEC);
	assert_true(sim_converged(sim));
	for (size_t s = 0; s < 64; s++)
		assert_int_equal(total(e, s, SWIM_EV_DEAD), 0);
	sim_crash(sim, 10);
	uint64_t t = RUN_UNTIL(sim, sim_all_see(sim, 10, SWIM_DEAD, SIZE_MAX), 30 * SEC);
	assert_true(t < 10 * SEC);
	revoke(sim, 20, 30);
	t = RUN_UNTIL(sim, nobody_has(sim, 30, 64), 10 * SEC);
	assert_true(t < 3 * SEC);
	uint64_t until = swim_leave(sim_swim(sim, 40), sim_now(sim), sim_unix(sim));
	sim_kick(sim, 40);
	RUN_UNTIL(sim, sim_all_see(sim, 40, SWIM_LEFT, 30), 5 * SEC);
	sim_run_until(sim, until);
	for (size_t s = 0; s < 64; s++)
		if (s != 10)
			assert_int_equal(total(e, s, SWIM_EV_DEAD), 0);
	sim_destroy(sim);
	free(e);
}

/* ---- Probing details, limits and aliases. */

/* A tap that cuts chosen links, deafens chosen nodes and records datagram sizes. */
struct links {
	bool cut[MAXN][MAXN]; /* drop from -> to */
	bool deaf[MAXN];      /* drop everything sent to this node */
	size_t max_len;
};

static bool link_tap(void *arg, size_t from, size_t to, const uint8_t *buf, size_t len)
{
	struct links *l = arg;
	(void)buf;
	if (len > l->max_len)
		l->max_len = len;
	return from >= MAXN || to >= MAXN || !(l->cut[from][to] || l->deaf[to]);
}

static struct swim_stats st_of(struct sim *sim, size_t i)
{
	struct swim_stats st;
	swim_get_stats(sim_swim(sim, i), &st);
	return st;
}

/* 0 and 4 cannot reach each other directly: ping-req through the others keeps
 * them alive in each other's view, and nobody suspects anyone. */
static void test_indirect_probe(void **state)
{
	struct events *e = malloc(sizeof(*e));
	struct links *l = calloc(1, sizeof(*l));
	struct sim *sim = mk(5, 0, 21, e);
	(void)state;

	sim_set_tap(sim, link_tap, l);
	start_all(sim, 5, 0);
	RUN_UNTIL(sim, sim_converged(sim), 10 * SEC);
	struct swim_stats b0 = st_of(sim, 0), b4 = st_of(sim, 4);
	l->cut[0][4] = l->cut[4][0] = true;
	sim_run_until(sim, sim_now(sim) + 40 * SEC);
	struct swim_stats a0 = st_of(sim, 0), a4 = st_of(sim, 4);
	/* each probes the other about every 4 s: ~10 indirect probes each */
	assert_true(a0.indirect_probes - b0.indirect_probes >= 5);
	assert_true(a4.indirect_probes - b4.indirect_probes >= 5);
	assert_int_equal(a0.probe_failures, b0.probe_failures);
	for (size_t v = 0; v < 5; v++)
		for (size_t x = 0; x < 5; x++)
			assert_int_equal(e->count[v][x][SWIM_EV_SUSPECT], 0);
	assert_true(sim_converged(sim));
	sim_destroy(sim);
	free(l);
	free(e);
}

static uint32_t max_awareness(struct sim *sim, size_t n)
{
	uint32_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (sim_is_up(sim, i) && st_of(sim, i).awareness > m)
			m = st_of(sim, i).awareness;
	return m;
}

/*
 * Lifeguard. A crashed member: the helpers of a failed probe nack, so the
 * prober knows the fault is not its own and its health stays perfect. A deaf
 * node (it hears nothing): its probes fail without nacks, its health score
 * climbs, and it probes more slowly; once it hears again it recovers.
 */
static void test_lifeguard(void **state)
{
	struct links *l = calloc(1, sizeof(*l));
	struct sim *sim = mk(6, 0, 22, NULL);
	(void)state;

	sim_set_tap(sim, link_tap, l);
	start_all(sim, 6, 0);
	RUN_UNTIL(sim, sim_converged(sim), 10 * SEC);
	sim_run_until(sim, sim_now(sim) + 5 * SEC);
	uint64_t nacks = 0;
	for (size_t i = 0; i < 5; i++)
		nacks += st_of(sim, i).nacks_received;
	sim_crash(sim, 5);
	uint32_t worst = 0;
	while (!sim_all_see(sim, 5, SWIM_DEAD, SIZE_MAX)) {
		sim_run_until(sim, sim_now(sim) + 100 * MS);
		uint32_t a = max_awareness(sim, 5);
		worst = a > worst ? a : worst;
		assert_true(sim_now(sim) < 60 * SEC);
	}
	uint64_t nacks2 = 0;
	for (size_t i = 0; i < 5; i++)
		nacks2 += st_of(sim, i).nacks_received;
	assert_true(nacks2 > nacks);
	assert_int_equal(worst, 0);

	/* node 0 goes deaf */
	l->deaf[0] = true;
	sim_run_until(sim, sim_now(sim) + 30 * SEC);
	struct swim_stats b = st_of(sim, 0);
	assert_true(b.awareness >= 4);
	assert_true(b.awareness <= sim_swim(sim, 0)->cfg.awareness_max - 1);
	/* it hears again: successful probes bring its score back to 0 */
	l->deaf[0] = false;
	RUN_UNTIL(sim, st_of(sim, 0).awareness == 0 && sim_converged(sim), 120 * SEC);
	b = st_of(sim, 0);
	sim_run_until(sim, sim_now(sim) + 10 * SEC);
	assert_true(st_of(sim, 0).probes - b.probes >= 9); /* one per second */
	/* with a score of 3 the period grows to 3 s, then 2, then 1 as probes succeed:
	 * six probes in these 10 s instead of ten */
	sim_swim(sim, 0)->awareness = 3;
	b = st_of(sim, 0);
	sim_run_until(sim, sim_now(sim) + 10 * SEC);
	assert_true(st_of(sim, 0).probes - b.probes <= 7);
	assert_int_equal(st_of(sim, 0).awareness, 0);
	sim_destroy(sim);
	free(l);
}

/* Every datagram fits max_datagram, also a small one; the cluster still works. */
static void test_datagram_budget(void **state)
{
	struct links *l = calloc(1, sizeof(*l));
	(void)state;

	for (int small = 0; small < 2; small++) {
		struct sim_cfg cfg = { .n = 16, .seed = 23, .loss = 0.01, .lat_min_ns = 1 * MS,
				       .lat_max_ns = 8 * MS };
		swim_config_lan(&cfg.swim);
		if (small)
			cfg.swim.max_datagram = 576;
		struct sim *sim = sim_create(&cfg);
		memset(l, 0, sizeof(*l));
		sim_set_tap(sim, link_tap, l);
		start_all(sim, 16, 0);
		RUN_UNTIL(sim, sim_converged(sim), 20 * SEC);
		sim_crash(sim, 3);
		RUN_UNTIL(sim, sim_all_see(sim, 3, SWIM_DEAD, SIZE_MAX), 30 * SEC);
		revoke(sim, 0, 9);
		RUN_UNTIL(sim, nobody_has(sim, 9, 16), 10 * SEC);
		assert_true(l->max_len <= cfg.swim.max_datagram);
		assert_true(l->max_len >= cfg.swim.max_datagram - 64); /* and packs up to it */
		sim_destroy(sim);
	}
	free(l);
}

/* The retransmit budget of a broadcast grows with log10 N. */
static void test_retransmit_budget(void **state)
{
	struct sim *sim = mk(12, 0, 24, NULL);
	(void)state;

	sim_start(sim, 0, -1, false);
	uint32_t mult = sim_swim(sim, 0)->cfg.retransmit_mult;
	assert_int_equal(bq_limit(sim_swim(sim, 0)), mult * 1); /* alone: ceil(log10(2)) */
	start_all(sim, 12, 1);
	RUN_UNTIL(sim, sim_converged(sim), 10 * SEC);
	assert_int_equal(bq_limit(sim_swim(sim, 0)), mult * 2); /* 12: ceil(log10(13)) */
	sim_destroy(sim);
}

/* max_members is enforced and counted: nobody holds more, the rest are refused. */
static void test_member_limit(void **state)
{
	struct sim_cfg cfg = { .n = 8, .seed = 25, .lat_min_ns = 1 * MS, .lat_max_ns = 4 * MS };
	(void)state;
	swim_config_lan(&cfg.swim);
	cfg.swim.max_members = 4;
	struct sim *sim = sim_create(&cfg);
	start_all(sim, 8, 0);
	sim_run_until(sim, 30 * SEC);
	uint64_t refused = 0;
	size_t full = 0;
	for (size_t i = 0; i < 8; i++) {
		assert_true(swim_member_count(sim_swim(sim, i)) <= 4);
		full += swim_member_count_state(sim_swim(sim, i), SWIM_ALIVE) == 4;
		refused += st_of(sim, i).limit_members;
	}
	/* the first five fill each other's tables; later joiners are refused, counted
	 * and logged where they knock (fail closed: nobody is admitted past the limit) */
	assert_true(full >= 5);
	assert_true(refused >= 3);
	sim_destroy(sim);
}

/* Past max_org_messages a revocation is still applied and spread, only not stored. */
static void test_org_store_limit(void **state)
{
	struct sim_cfg cfg = { .n = 10, .seed = 26, .lat_min_ns = 1 * MS, .lat_max_ns = 4 * MS };
	(void)state;
	swim_config_lan(&cfg.swim);
	cfg.swim.max_org_messages = 2;
	struct sim *sim = sim_create(&cfg);
	start_all(sim, 10, 0);
	RUN_UNTIL(sim, sim_converged(sim), 10 * SEC);
	for (size_t v = 6; v < 10; v++) {
		uint8_t msg[138];
		size_t len = sim_make_revoke(sim, v, msg);
		assert_int_equal(publish_org(sim, 0, msg, len, true), v < 8 ? 0 : -ENOSPC);
	}
	for (size_t v = 6; v < 10; v++)
		RUN_UNTIL(sim, nobody_has(sim, v, 6), 10 * SEC);
	assert_true(st_of(sim, 0).limit_org >= 2);
	assert_true(st_of(sim, 0).org_stored <= 2);
	sim_destroy(sim);
}

/*
 * Aliases (0x41) ride the gossip like the other org messages: a rename reaches
 * everyone, a late joiner learns the current name by anti-entropy whatever
 * order the two announcements arrive in, and the stale one is not re-spread.
 */
static void test_aliases(void **state)
{
	struct sim *sim = mk(10, 0.01, 27, NULL);
	uint8_t a1[137], a2[137];
	(void)state;

	start_all(sim, 9, 0); /* node 9 joins later */
	RUN_UNTIL(sim, sim_converged(sim), 10 * SEC);
	size_t l1 = sim_make_alias(sim, "acme", 5, a1), l2 = sim_make_alias(sim, "acme-labs", 9, a2);
	assert_int_equal(publish_org(sim, 0, a1, l1, false), 0);
#define ALL_NAMED(n, name)                                                                         \
	({                                                                                         \
		bool _ok = true;                                                                   \
		for (size_t _i = 0; _i < (n); _i++)                                                \
			_ok = _ok && strcmp(sim_alias(sim, _i, NULL), (name)) == 0;                \
		_ok;                                                                               \
	})
	RUN_UNTIL(sim, ALL_NAMED(9, "acme"), 5 * SEC);
	assert_int_equal(publish_org(sim, 4, a2, l2, false), 0);
	RUN_UNTIL(sim, ALL_NAMED(9, "acme-labs"), 5 * SEC);
	uint64_t lamport;
	sim_alias(sim, 7, &lamport);
	assert_int_equal(lamport, 9);
	/* the older announcement, seen again, is stale everywhere */
	assert_int_equal(sim_trust_apply(sim, 7, a1, l1), SWIM_ORG_STALE);
	sim_run_until(sim, sim_now(sim) + 5 * SEC);
	sim_start(sim, 9, 3, false);
	RUN_UNTIL(sim, org_stored(sim, 9) >= 2, 40 * SEC);
	sim_alias(sim, 9, &lamport);
	assert_string_equal(sim_alias(sim, 9, NULL), "acme-labs");
	assert_int_equal(lamport, 9);
#undef ALL_NAMED
	sim_destroy(sim);
}

static void test_deterministic(void **state)
{
	uint64_t bytes[2];
	(void)state;
	for (int r = 0; r < 2; r++) {
		struct sim *sim = mk(8, 0.05, 12, NULL);
		start_all(sim, 8, 0);
		sim_run_until(sim, 20 * SEC);
		bytes[r] = sim_tx_bytes(sim);
		sim_destroy(sim);
	}
	assert_int_equal(bytes[0], bytes[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_indirect_probe),
		cmocka_unit_test(test_lifeguard),
		cmocka_unit_test(test_datagram_budget),
		cmocka_unit_test(test_retransmit_budget),
		cmocka_unit_test(test_member_limit),
		cmocka_unit_test(test_org_store_limit),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_join_convergence),
		cmocka_unit_test(test_join_lossy),
		cmocka_unit_test(test_bootstrap_lossy),
		cmocka_unit_test(test_failure_detection),
		cmocka_unit_test(test_refutation),
		cmocka_unit_test(test_leave),
		cmocka_unit_test(test_partition_heal),
		cmocka_unit_test(test_revocation),
		cmocka_unit_test(test_untrusted_never_admitted),
		cmocka_unit_test(test_cache_restart),
		cmocka_unit_test(test_wan_profile),
		cmocka_unit_test(test_medium_lossy),
		cmocka_unit_test(test_deterministic),
	};
	mg_log_set_level(MG_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
