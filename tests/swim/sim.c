/* SPDX-License-Identifier: MIT */
/* Deterministic SWIM simulator (see sim.h). */
#include "sim.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "crypto.h"

enum { CERT_LEN = 186 };

struct pkt {
	uint32_t from, to;
	uint32_t len;
	uint8_t data[];
};

struct ev {
	uint64_t at, seq;
	uint32_t node, ver;
	struct pkt *p; /* NULL: a tick of `node` */
};

struct node {
	struct sim *sim;
	size_t idx;
	uint8_t sk[64], pk[32], wg[32];
	uint8_t cert[CERT_LEN];
	enum sim_trust trust;
	struct swim_endpoint addr;
	struct swim *sw;
	bool up;
	uint32_t tick_ver;
	int group;
	uint8_t (*revoked)[32];
	size_t nrevoked, caprevoked;
	uint8_t (*vouched)[32];
	size_t nvouched, capvouched;
	char alias[33];          /* the org's name as this node knows it (0x41) */
	uint64_t alias_lamport;
	uint64_t rng[4];
};

struct sim {
	struct sim_cfg cfg;
	uint64_t now, seq;
	struct node *nodes;
	uint8_t org_sk[64], org_pk[32];
	uint8_t other_sk[64], other_pk[32];
	struct ev *heap;
	size_t nheap, capheap;
	uint64_t rng[4];
	sim_event_fn obs;
	void *obs_arg;
	sim_tap_fn tap;
	void *tap_arg;
};

/* ---- Deterministic randomness. */

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t xo(uint64_t r[4])
{
	uint64_t res = rotl(r[1] * 5, 7) * 9, t = r[1] << 17;
	r[2] ^= r[0];
	r[3] ^= r[1];
	r[1] ^= r[2];
	r[0] ^= r[3];
	r[2] ^= t;
	r[3] = rotl(r[3], 45);
	return res;
}

static void seed_rng(uint64_t r[4], uint64_t seed, uint64_t salt)
{
	uint8_t in[16], out[32];
	mg_store_le64(in, seed);
	mg_store_le64(in + 8, salt);
	crypto_generichash(out, 32, in, 16, NULL, 0);
	for (int i = 0; i < 4; i++)
		r[i] = mg_load_le64(out + 8 * i) | 1;
}

uint64_t sim_rng(struct sim *sim)
{
	return xo(sim->rng);
}

static double unit(struct sim *sim)
{
	return (double)(xo(sim->rng) >> 11) / 9007199254740992.0;
}

/* ---- Event heap. */

static bool ev_less(const struct ev *a, const struct ev *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_push(struct sim *sim, struct ev e)
{
	if (sim->nheap == sim->capheap) {
		sim->capheap = sim->capheap ? sim->capheap * 2 : 1024;
		sim->heap = realloc(sim->heap, sim->capheap * sizeof(*sim->heap));
		if (!sim->heap)
			abort();
	}
	e.seq = sim->seq++;
	size_t i = sim->nheap++;
	while (i && ev_less(&e, &sim->heap[(i - 1) / 2])) {
		sim->heap[i] = sim->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	sim->heap[i] = e;
}

static struct ev heap_pop(struct sim *sim)
{
	struct ev top = sim->heap[0], last = sim->heap[--sim->nheap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= sim->nheap)
			break;
		if (c + 1 < sim->nheap && ev_less(&sim->heap[c + 1], &sim->heap[c]))
			c++;
		if (!ev_less(&sim->heap[c], &last))
			break;
		sim->heap[i] = sim->heap[c];
		i = c;
	}
	if (sim->nheap)
		sim->heap[i] = last;
	return top;
}

static void schedule_tick(struct sim *sim, struct node *n, uint64_t at)
{
	struct ev e = { .at = at, .node = (uint32_t)n->idx, .ver = ++n->tick_ver };
	heap_push(sim, e);
}

/* ---- Addresses: node i is 10.(i>>16).(i>>8).(i&255):51821. */

static void addr_of(size_t i, struct swim_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = 4;
	ep->addr[0] = 10;
	ep->addr[1] = (uint8_t)(i >> 16);
	ep->addr[2] = (uint8_t)(i >> 8);
	ep->addr[3] = (uint8_t)i;
	ep->port = 51821;
}

static size_t node_at(const struct sim *sim, const struct swim_endpoint *ep)
{
	if (ep->family != 4 || ep->addr[0] != 10 || ep->port != 51821)
		return SIZE_MAX;
	size_t i = (size_t)ep->addr[1] << 16 | (size_t)ep->addr[2] << 8 | ep->addr[3];
	return i < sim->cfg.n ? i : SIZE_MAX;
}

/* ---- Trust model (stands in for trust/): v1 org certificates, revocations, vouches, aliases. */

static void make_cert(const uint8_t org_sk[64], const uint8_t org_pk[32], const uint8_t node_pk[32],
		      size_t idx, uint8_t cert[CERT_LEN])
{
	memset(cert, 0, CERT_LEN);
	cert[0] = 1;
	memcpy(cert + 1, org_pk, 32);
	memcpy(cert + 33, node_pk, 32);
	snprintf((char *)cert + 65, 32, "node-%zu", idx);
	mg_store_le64(cert + 97, 1700000000);
	mg_store_le64(cert + 105, 0);
	cert[113] = 0;
	crypto_sign_detached(cert + 114, NULL, cert, 114, org_sk);
}

static bool pk_in(uint8_t (*set)[32], size_t n, const uint8_t pk[32])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(set[i], pk, 32) == 0)
			return true;
	return false;
}

static void pk_add(uint8_t (**set)[32], size_t *n, size_t *cap, const uint8_t pk[32])
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*set = realloc(*set, *cap * 32);
		if (!*set)
			abort();
	}
	memcpy((*set)[(*n)++], pk, 32);
}

static void sim_admit(void *ctx, const uint8_t id[32], const uint8_t *cert, size_t cert_len,
		      const uint8_t wg[32], int64_t now_unix, struct swim_verdict *out)
{
	struct node *n = ctx;
	struct sim *sim = n->sim;
	uint8_t x[32];

	(void)now_unix;
	out->allowed = false;
	if (pk_in(n->revoked, n->nrevoked, id)) {
		snprintf(out->trust_path, sizeof(out->trust_path), "revoked by org sim");
		return;
	}
	if (swc_ed_to_x(id, x) < 0 || memcmp(x, wg, 32) != 0) {
		snprintf(out->trust_path, sizeof(out->trust_path), "wireguard key not bound");
		return;
	}
	if (pk_in(n->vouched, n->nvouched, id)) {
		out->allowed = true;
		snprintf(out->trust_path, sizeof(out->trust_path), "vouched by org sim");
		return;
	}
	if (cert_len != CERT_LEN || cert[0] != 1 || memcmp(cert + 1, sim->org_pk, 32) != 0 ||
	    memcmp(cert + 33, id, 32) != 0 || !swc_verify(cert + 114, "", cert, 114, sim->org_pk)) {
		snprintf(out->trust_path, sizeof(out->trust_path), "no valid certificate");
		return;
	}
	out->allowed = true;
	snprintf(out->trust_path, sizeof(out->trust_path), "org sim certificate");
	memcpy(out->name, cert + 65, 32);
	out->name[32] = 0;
}

/* One org, so one name: the claim with the highest Lamport value is current;
 * the same name again is a duplicate, anything older is stale. */
static enum swim_org_result alias_apply(struct sim *sim, struct node *n, const uint8_t *msg)
{
	uint64_t lamport = mg_load_le64(msg + 65);
	char name[33];

	if (memcmp(msg + 1, sim->org_pk, 32) != 0 ||
	    !swc_verify(msg + 73, "", msg + 33, 40, sim->org_pk))
		return SWIM_ORG_REJECTED;
	memcpy(name, msg + 33, 32);
	name[32] = 0;
	if (lamport < n->alias_lamport)
		return SWIM_ORG_STALE;
	if (lamport == n->alias_lamport && strcmp(name, n->alias) == 0)
		return SWIM_ORG_DUPLICATE;
	if (lamport == n->alias_lamport && strcmp(name, n->alias) > 0)
		return SWIM_ORG_STALE; /* same Lamport value: the smaller name wins, everywhere */
	memcpy(n->alias, name, sizeof(name));
	n->alias_lamport = lamport;
	return SWIM_ORG_NEW;
}

enum swim_org_result sim_trust_apply(struct sim *sim, size_t j, const uint8_t *msg, size_t len)
{
	struct node *n = &sim->nodes[j];

	if (len == 138 && msg[0] == 0x42) {
		if (memcmp(msg + 1, sim->org_pk, 32) != 0 ||
		    !swc_verify(msg + 74, "", msg + 33, 41, sim->org_pk))
			return SWIM_ORG_REJECTED;
		if (pk_in(n->revoked, n->nrevoked, msg + 33))
			return SWIM_ORG_DUPLICATE;
		pk_add(&n->revoked, &n->nrevoked, &n->caprevoked, msg + 33);
		return SWIM_ORG_NEW;
	}
	if (len == 137 && msg[0] == 0x43) {
		if (memcmp(msg + 1, sim->org_pk, 32) != 0 ||
		    !swc_verify(msg + 73, "", msg + 33, 40, sim->org_pk))
			return SWIM_ORG_REJECTED;
		if (pk_in(n->vouched, n->nvouched, msg + 33))
			return SWIM_ORG_DUPLICATE;
		pk_add(&n->vouched, &n->nvouched, &n->capvouched, msg + 33);
		return SWIM_ORG_NEW;
	}
	if (len == 137 && msg[0] == 0x41)
		return alias_apply(sim, n, msg);
	return SWIM_ORG_REJECTED;
}

static enum swim_org_result sim_org(void *ctx, const uint8_t *msg, size_t len, int64_t now_unix)
{
	struct node *n = ctx;
	(void)now_unix;
	return sim_trust_apply(n->sim, n->idx, msg, len);
}

size_t sim_make_revoke(struct sim *sim, size_t i, uint8_t out[138])
{
	out[0] = 0x42;
	memcpy(out + 1, sim->org_pk, 32);
	memcpy(out + 33, sim->nodes[i].pk, 32);
	out[65] = 2; /* admin-removed */
	mg_store_le64(out + 66, (uint64_t)sim_unix(sim));
	crypto_sign_detached(out + 74, NULL, out + 33, 41, sim->org_sk);
	return 138;
}

size_t sim_make_vouch(struct sim *sim, size_t i, uint8_t out[137])
{
	out[0] = 0x43;
	memcpy(out + 1, sim->org_pk, 32);
	memcpy(out + 33, sim->nodes[i].pk, 32);
	mg_store_le64(out + 65, (uint64_t)sim_unix(sim));
	crypto_sign_detached(out + 73, NULL, out + 33, 40, sim->org_sk);
	return 137;
}

size_t sim_make_alias(struct sim *sim, const char *name, uint64_t lamport, uint8_t out[137])
{
	memset(out, 0, 137);
	out[0] = 0x41;
	memcpy(out + 1, sim->org_pk, 32);
	memcpy(out + 33, name, strnlen(name, 32));
	mg_store_le64(out + 65, lamport);
	crypto_sign_detached(out + 73, NULL, out + 33, 40, sim->org_sk);
	return 137;
}

const char *sim_alias(const struct sim *sim, size_t j, uint64_t *lamport)
{
	if (lamport)
		*lamport = sim->nodes[j].alias_lamport;
	return sim->nodes[j].alias;
}

/* ---- swim ops. */

static void sim_send(void *ctx, const struct swim_endpoint *to, const uint8_t *buf, size_t len)
{
	struct node *n = ctx;
	struct sim *sim = n->sim;
	size_t dst = node_at(sim, to);
	struct pkt *p;

	if (dst == SIZE_MAX || dst == n->idx)
		return;
	if (sim->tap && !sim->tap(sim->tap_arg, n->idx, dst, buf, len))
		return;
	if (sim->nodes[dst].group != n->group)
		return;
	if (sim->cfg.loss > 0 && unit(sim) < sim->cfg.loss)
		return;
	/* per-link base latency: a fixed hash of the (unordered) pair */
	size_t a = n->idx < dst ? n->idx : dst, b = n->idx < dst ? dst : n->idx;
	uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull ^ (uint64_t)b * 0xC2B2AE3D27D4EB4Full;
	h ^= h >> 29;
	uint64_t span = sim->cfg.lat_max_ns - sim->cfg.lat_min_ns;
	uint64_t lat = sim->cfg.lat_min_ns + (span ? h % (span + 1) : 0);
	if (sim->cfg.jitter_ns)
		lat += xo(sim->rng) % (sim->cfg.jitter_ns + 1);
	if (!(p = malloc(sizeof(*p) + len)))
		abort();
	p->from = (uint32_t)n->idx;
	p->to = (uint32_t)dst;
	p->len = (uint32_t)len;
	memcpy(p->data, buf, len);
	struct ev e = { .at = sim->now + lat, .node = (uint32_t)dst, .p = p };
	heap_push(sim, e);
}

static void sim_random(void *ctx, void *buf, size_t len)
{
	struct node *n = ctx;
	uint8_t *b = buf;
	while (len) {
		uint64_t r = xo(n->rng);
		size_t k = len < 8 ? len : 8;
		memcpy(b, &r, k);
		b += k;
		len -= k;
	}
}

static void sim_event(void *ctx, const struct swim_event *ev)
{
	struct node *n = ctx;
	if (n->sim->obs)
		n->sim->obs(n->sim->obs_arg, n->idx, ev, n->sim->now);
}

static const struct swim_ops sim_ops = {
	.send = sim_send,
	.random = sim_random,
	.admit = sim_admit,
	.org_message = sim_org,
	.event = sim_event,
};

/* ---- Lifecycle. */

struct sim *sim_create(const struct sim_cfg *cfg)
{
	struct sim *sim = calloc(1, sizeof(*sim));
	uint8_t seed[32];

	if (!sim || sodium_init() < 0)
		abort();
	sim->cfg = *cfg;
	if (!sim->cfg.unix_base)
		sim->cfg.unix_base = 1800000000;
	swc_memo_enable(cfg->memo);
	seed_rng(sim->rng, cfg->seed, UINT64_MAX);
	mg_store_le64(seed, cfg->seed);
	memset(seed + 8, 0xA5, 24);
	crypto_sign_seed_keypair(sim->org_pk, sim->org_sk, seed);
	memset(seed + 8, 0x5A, 24);
	crypto_sign_seed_keypair(sim->other_pk, sim->other_sk, seed);
	if (!(sim->nodes = calloc(cfg->n, sizeof(*sim->nodes))))
		abort();
	for (size_t i = 0; i < cfg->n; i++) {
		struct node *n = &sim->nodes[i];
		n->sim = sim;
		n->idx = i;
		mg_store_le64(seed, cfg->seed);
		mg_store_le64(seed + 8, i);
		memset(seed + 16, 0x33, 16);
		crypto_sign_seed_keypair(n->pk, n->sk, seed);
		if (crypto_sign_ed25519_pk_to_curve25519(n->wg, n->pk) != 0)
			abort();
		make_cert(sim->org_sk, sim->org_pk, n->pk, i, n->cert);
		addr_of(i, &n->addr);
		seed_rng(n->rng, cfg->seed, i);
	}
	return sim;
}

void sim_destroy(struct sim *sim)
{
	for (size_t i = 0; i < sim->cfg.n; i++) {
		swim_destroy(sim->nodes[i].sw);
		free(sim->nodes[i].revoked);
		free(sim->nodes[i].vouched);
	}
	for (size_t i = 0; i < sim->nheap; i++)
		free(sim->heap[i].p);
	free(sim->heap);
	free(sim->nodes);
	free(sim);
}

void sim_set_observer(struct sim *sim, sim_event_fn fn, void *arg)
{
	sim->obs = fn;
	sim->obs_arg = arg;
}

void sim_set_tap(struct sim *sim, sim_tap_fn fn, void *arg)
{
	sim->tap = fn;
	sim->tap_arg = arg;
}

void sim_set_trust(struct sim *sim, size_t i, enum sim_trust t)
{
	struct node *n = &sim->nodes[i];
	n->trust = t;
	if (t == SIM_TRUST_OTHER)
		make_cert(sim->other_sk, sim->other_pk, n->pk, i, n->cert);
}

static int boot(struct sim *sim, size_t i)
{
	struct node *n = &sim->nodes[i];
	struct swim_self self = {
		.secret = n->sk,
		.cert = n->trust == SIM_TRUST_NONE ? NULL : n->cert,
		.cert_len = n->trust == SIM_TRUST_NONE ? 0 : CERT_LEN,
		.endpoints = &n->addr,
		.n_endpoints = 1,
	};
	memcpy(self.wg_key, n->wg, 32);
	if (n->sw)
		return -1;
	int rc = swim_create(&n->sw, &sim->cfg.swim, &self, &sim_ops, n, sim->now, sim_unix(sim));
	if (rc < 0)
		return rc;
	n->up = true;
	n->group = 0;
	schedule_tick(sim, n, sim->now);
	return 0;
}

int sim_start(struct sim *sim, size_t i, long seed_node, bool by_address)
{
	int rc = boot(sim, i);
	if (rc < 0 || seed_node < 0)
		return rc;
	struct node *sn = &sim->nodes[seed_node];
	return swim_add_seed(sim->nodes[i].sw, &sn->addr, by_address ? NULL : sn->pk);
}

int sim_start_from_cache(struct sim *sim, size_t i, const uint8_t *cache, size_t len)
{
	char err[256];
	int rc = boot(sim, i);
	if (rc < 0)
		return rc;
	rc = swim_cache_load(sim->nodes[i].sw, cache, len, sim->now, sim_unix(sim), err,
			     sizeof(err));
	if (rc < 0)
		fprintf(stderr, "sim: %s\n", err);
	return rc;
}

void sim_crash(struct sim *sim, size_t i)
{
	struct node *n = &sim->nodes[i];
	swim_destroy(n->sw);
	n->sw = NULL;
	n->up = false;
	n->tick_ver++;
}

bool sim_is_up(const struct sim *sim, size_t i)
{
	return sim->nodes[i].up;
}

struct swim *sim_swim(struct sim *sim, size_t i)
{
	return sim->nodes[i].sw;
}

const uint8_t *sim_pk(const struct sim *sim, size_t i)
{
	return sim->nodes[i].pk;
}

const uint8_t *sim_secret(const struct sim *sim, size_t i)
{
	return sim->nodes[i].sk;
}

const uint8_t *sim_cert(const struct sim *sim, size_t i, size_t *len)
{
	*len = sim->nodes[i].trust == SIM_TRUST_NONE ? 0 : CERT_LEN;
	return sim->nodes[i].cert;
}

const struct swim_endpoint *sim_addr(const struct sim *sim, size_t i)
{
	return &sim->nodes[i].addr;
}

size_t sim_node_of(const struct sim *sim, const uint8_t pk[32])
{
	for (size_t i = 0; i < sim->cfg.n; i++)
		if (memcmp(sim->nodes[i].pk, pk, 32) == 0)
			return i;
	return SIZE_MAX;
}

void sim_set_group(struct sim *sim, size_t i, int group)
{
	sim->nodes[i].group = group;
}

void sim_heal(struct sim *sim)
{
	for (size_t i = 0; i < sim->cfg.n; i++)
		sim->nodes[i].group = 0;
}

void sim_set_loss(struct sim *sim, double loss)
{
	sim->cfg.loss = loss;
}

uint64_t sim_now(const struct sim *sim)
{
	return sim->now;
}

int64_t sim_unix(const struct sim *sim)
{
	return sim->cfg.unix_base + (int64_t)(sim->now / 1000000000ull);
}

/* ---- Event loop. */

static void run_tick(struct sim *sim, struct node *n)
{
	uint64_t d = swim_tick(n->sw, sim->now, sim_unix(sim));
	schedule_tick(sim, n, d);
}

void sim_run_until(struct sim *sim, uint64_t t)
{
	while (sim->nheap && sim->heap[0].at <= t) {
		struct ev e = heap_pop(sim);
		struct node *n = &sim->nodes[e.node];
		sim->now = e.at;
		if (e.p) {
			if (n->up) {
				swim_receive(n->sw, &sim->nodes[e.p->from].addr, e.p->data, e.p->len,
					     sim->now, sim_unix(sim));
				if (n->up)
					run_tick(sim, n); /* a packet may have armed an earlier timer */
			}
			free(e.p);
			continue;
		}
		if (n->up && e.ver == n->tick_ver)
			run_tick(sim, n);
	}
	if (t > sim->now)
		sim->now = t;
}

void sim_kick(struct sim *sim, size_t i)
{
	if (sim->nodes[i].up)
		run_tick(sim, &sim->nodes[i]);
}

void sim_inject(struct sim *sim, size_t to, const struct swim_endpoint *from_addr,
		const uint8_t *buf, size_t len)
{
	struct node *n = &sim->nodes[to];
	if (!n->up)
		return;
	swim_receive(n->sw, from_addr, buf, len, sim->now, sim_unix(sim));
	run_tick(sim, n);
}

/* ---- Observations. */

int sim_state(struct sim *sim, size_t viewer, size_t subject)
{
	struct swim_member_info info;
	struct swim_endpoint eps[SWIM_MAX_ENDPOINTS];
	if (!sim->nodes[viewer].up)
		return -1;
	if (swim_member_get(sim->nodes[viewer].sw, sim->nodes[subject].pk, &info, eps) < 0)
		return -1;
	return (int)info.state;
}

bool sim_all_see(struct sim *sim, size_t subject, enum swim_state state, size_t except)
{
	for (size_t i = 0; i < sim->cfg.n; i++) {
		if (i == subject || i == except || !sim->nodes[i].up)
			continue;
		if (sim_state(sim, i, subject) != (int)state)
			return false;
	}
	return true;
}

bool sim_converged(struct sim *sim)
{
	size_t up = 0;
	for (size_t i = 0; i < sim->cfg.n; i++)
		up += sim->nodes[i].up;
	/* cheap necessary condition first: every node counts up-1 alive members */
	for (size_t i = 0; i < sim->cfg.n; i++)
		if (sim->nodes[i].up &&
		    swim_member_count_state(sim->nodes[i].sw, SWIM_ALIVE) != up - 1)
			return false;
	for (size_t i = 0; i < sim->cfg.n; i++) {
		if (!sim->nodes[i].up)
			continue;
		for (size_t j = 0; j < sim->cfg.n; j++)
			if (i != j && sim->nodes[j].up && sim_state(sim, i, j) != SWIM_ALIVE)
				return false;
	}
	return true;
}

uint64_t sim_tx_bytes(struct sim *sim)
{
	uint64_t t = 0;
	struct swim_stats st;
	for (size_t i = 0; i < sim->cfg.n; i++) {
		if (!sim->nodes[i].up)
			continue;
		swim_get_stats(sim->nodes[i].sw, &st);
		t += st.tx_bytes;
	}
	return t;
}
