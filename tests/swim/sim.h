/* SPDX-License-Identifier: MIT */
/*
 * Deterministic SWIM simulator: N in-process swim instances, a fake clock, a
 * network with per-link latency, loss, partitions and crashes, and a small
 * org trust model (v1 node certificates, revocations, vouches, aliases) standing in
 * for the trust module. Every packet goes through the real encoder, the real
 * crypto and the real decoder. Used by tests/swim (suite "sim") and by
 * bench/swim-sim.
 */
#ifndef MG_SWIM_SIM_H
#define MG_SWIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swim.h"

struct sim;

struct sim_cfg {
	size_t n;                 /* nodes (identities, certificates, addresses) */
	uint64_t seed;            /* everything random derives from it */
	double loss;              /* independent loss per datagram */
	uint64_t lat_min_ns;      /* per-link base latency, uniform in [min, max] */
	uint64_t lat_max_ns;
	uint64_t jitter_ns;       /* per-datagram extra delay, uniform in [0, jitter] */
	struct swim_config swim;  /* profile for every node */
	bool memo;                /* bench only: memoize public-key work (crypto.h) */
	int64_t unix_base;        /* wall clock at simulated time 0 */
};

enum sim_trust {
	SIM_TRUST_CERT = 0,  /* node carries a valid org certificate (default) */
	SIM_TRUST_NONE = 1,  /* no certificate: nobody admits it */
	SIM_TRUST_OTHER = 2, /* certificate from an org nobody trusts */
};

/* Called for every membership event of every node. */
typedef void (*sim_event_fn)(void *arg, size_t node, const struct swim_event *ev, uint64_t now);
/* Called for every datagram sent; return false to drop it (tests: capture, tamper). */
typedef bool (*sim_tap_fn)(void *arg, size_t from, size_t to, const uint8_t *buf, size_t len);

struct sim *sim_create(const struct sim_cfg *cfg);
void sim_destroy(struct sim *sim);

void sim_set_observer(struct sim *sim, sim_event_fn fn, void *arg);
void sim_set_tap(struct sim *sim, sim_tap_fn fn, void *arg);
void sim_set_trust(struct sim *sim, size_t i, enum sim_trust t); /* before sim_start */

/* Start node i. seed_node < 0: no seed. by_address: seed given without its key (hello). */
int sim_start(struct sim *sim, size_t i, long seed_node, bool by_address);
/* Start node i from a member cache (no seeds). */
int sim_start_from_cache(struct sim *sim, size_t i, const uint8_t *cache, size_t len);
void sim_crash(struct sim *sim, size_t i);
bool sim_is_up(const struct sim *sim, size_t i);
struct swim *sim_swim(struct sim *sim, size_t i);
const uint8_t *sim_pk(const struct sim *sim, size_t i);
const uint8_t *sim_secret(const struct sim *sim, size_t i); /* adversarial tests */
const uint8_t *sim_cert(const struct sim *sim, size_t i, size_t *len);
const struct swim_endpoint *sim_addr(const struct sim *sim, size_t i);
size_t sim_node_of(const struct sim *sim, const uint8_t pk[32]); /* SIZE_MAX if none */

/* Partitions: nodes in different groups cannot talk. All start in group 0. */
void sim_set_group(struct sim *sim, size_t i, int group);
void sim_heal(struct sim *sim);
void sim_set_loss(struct sim *sim, double loss);

/* Run the event loop until simulated time t (ns). */
void sim_run_until(struct sim *sim, uint64_t t);
uint64_t sim_now(const struct sim *sim);
int64_t sim_unix(const struct sim *sim);

/* Run node i's timers now (after calling into its swim instance directly). */
void sim_kick(struct sim *sim, size_t i);

/* Deliver raw bytes to node `to` as if sent from `from_addr` (adversarial tests). */
void sim_inject(struct sim *sim, size_t to, const struct swim_endpoint *from_addr,
		const uint8_t *buf, size_t len);

/* Org operations: a signed revocation / vouch for node i (upstream layout, 138 / 137 bytes). */
size_t sim_make_revoke(struct sim *sim, size_t i, uint8_t out[138]);
size_t sim_make_vouch(struct sim *sim, size_t i, uint8_t out[137]);
/* An org alias announcement (0x41, 137 bytes): the org calls itself `name`. */
size_t sim_make_alias(struct sim *sim, const char *name, uint64_t lamport, uint8_t out[137]);
/* The org's name as node j's trust store has it ("" if none) and its Lamport value. */
const char *sim_alias(const struct sim *sim, size_t j, uint64_t *lamport);
/* Apply an org message to node j's own trust store (as `meshguard org-revoke` on an admin node). */
enum swim_org_result sim_trust_apply(struct sim *sim, size_t j, const uint8_t *msg, size_t len);

/* State of `subject` as node `viewer` sees it; -1 if unknown. */
int sim_state(struct sim *sim, size_t viewer, size_t subject);
/* True if every up node (except `except`, SIZE_MAX for none) sees `subject` in `state`. */
bool sim_all_see(struct sim *sim, size_t subject, enum swim_state state, size_t except);
/* True if every pair of up nodes sees each other alive. */
bool sim_converged(struct sim *sim);
/* Sum of tx bytes over all up nodes. */
uint64_t sim_tx_bytes(struct sim *sim);
uint64_t sim_rng(struct sim *sim);

#endif
