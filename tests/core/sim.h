/* SPDX-License-Identifier: MIT */
/*
 * A deterministic in-memory network of WireGuard engines for tests: a fake
 * monotonic clock, a fake wall clock, a seeded RNG and a discrete-event
 * queue of datagrams with a fixed latency and a programmable loss filter.
 * Nothing here touches a socket or the real clock.
 */
#ifndef MG_TESTS_CORE_SIM_H
#define MG_TESTS_CORE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

enum {
	SIM_MAX_NODES = 16,
	SIM_MAX_DGRAM = 2048,
	SIM_LATENCY_NS = 1000000, /* 1 ms one way */
	SIM_NS = 1000000000,
};

struct sim;

struct sim_node {
	struct sim *sim;
	int id;
	struct wg_engine *e;
	union wg_sockaddr addr; /* where this node sends from and is reached at */
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	uint8_t tun_ip[4];      /* 10.10.0.<id+1> */
	uint64_t delivered;     /* IP packets handed to the "TUN" */
	uint8_t last_ip[SIM_MAX_DGRAM];
	size_t last_ip_len;
	uint64_t events[3];     /* by enum wg_peer_event */
	uint64_t sent_by_type[5];
	bool record_sent;       /* keep a copy of the last datagram of each type */
	uint8_t last_sent[5][SIM_MAX_DGRAM];
	size_t last_sent_len[5];
	uint64_t init_at[256]; /* when each handshake initiation was sent */
	int n_init;
};

struct sim_dgram {
	uint64_t at;
	int from_node;
	union wg_sockaddr from, to;
	size_t len;
	uint8_t data[SIM_MAX_DGRAM];
};

struct sim {
	uint64_t now;
	int64_t wall_base;
	uint64_t rng;
	struct sim_node node[SIM_MAX_NODES];
	int n;
	struct sim_dgram *q;
	size_t qlen, qcap;
	uint64_t delivered_dgrams, dropped_dgrams;
	/* Return true to drop this datagram. */
	bool (*drop)(struct sim *s, const struct sim_dgram *d, void *arg);
	void *drop_arg;
	/* If set, queued handshakes wait for an explicit wg_engine_process_handshakes(). */
	bool manual_handshakes;
};

/* n nodes, each with a random key; cfg may be NULL. */
void sim_init(struct sim *s, int n, const struct wg_engine_config *cfg, uint64_t seed);
void sim_free(struct sim *s);
/* Makes a and b peers of each other (endpoints and /32 allowed IPs of the TUN addresses). */
void sim_connect(struct sim *s, int a, int b);
/* Runs the network and the timers until `until`. */
void sim_run_until(struct sim *s, uint64_t until);
static inline void sim_run_for(struct sim *s, uint64_t dur)
{
	sim_run_until(s, s->now + dur);
}
/* An IPv4 packet from node a to node b's TUN address, handed to a's engine. */
void sim_send_ip(struct sim *s, int a, int b, size_t payload_len);
struct wg_peer *sim_peer(struct sim *s, int a, int b);
void sim_rng(void *ctx, void *buf, size_t len);

/* The engine's counters of node i. */
struct wg_engine_stats sim_stats(struct sim *s, int i);

/*
 * A loss filter for sim.drop: drops datagrams from node `from` (-1: any) of
 * message type `type` (0: any), `count` more times (-1: all, 0: none), and
 * keeps a copy of the last one it dropped.
 */
struct sim_drop_rule {
	int from;
	int type;
	int count;
	int dropped;
	struct sim_dgram kept;
};
bool sim_drop_by_rule(struct sim *s, const struct sim_dgram *d, void *rule);

/* Builds an IPv4 packet (header + payload pattern) at pkt; returns its length. */
size_t sim_build_ipv4(uint8_t *pkt, const uint8_t src[4], const uint8_t dst[4], size_t payload_len);
/* The same for IPv6 (UDP next header). */
size_t sim_build_ipv6(uint8_t *pkt, const uint8_t src[16], const uint8_t dst[16], size_t payload_len);

#endif
