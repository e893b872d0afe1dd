/* SPDX-License-Identifier: MIT */
#include "sim.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: deterministic, good enough to make keys and indices for tests. */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void sim_rng(void *ctx, void *buf, size_t len)
{
	struct sim *s = ((struct sim_node *)ctx)->sim;
	uint8_t *p = buf;

	while (len) {
		uint64_t r = next_rand(&s->rng);
		size_t n = len < 8 ? len : 8;

		memcpy(p, &r, n);
		p += n;
		len -= n;
	}
}

static void wall(void *ctx, struct timespec *ts)
{
	struct sim *s = ((struct sim_node *)ctx)->sim;

	ts->tv_sec = s->wall_base + (int64_t)(s->now / SIM_NS);
	ts->tv_nsec = (long)(s->now % SIM_NS);
}

static struct sim_node *node_at(struct sim *s, const union wg_sockaddr *to)
{
	for (int i = 0; i < s->n; ++i) {
		const union wg_sockaddr *a = &s->node[i].addr;

		if (a->sa.sa_family == AF_INET && to->sa.sa_family == AF_INET &&
		    a->in4.sin_addr.s_addr == to->in4.sin_addr.s_addr &&
		    a->in4.sin_port == to->in4.sin_port)
			return &s->node[i];
	}
	return NULL;
}

static void send_udp(void *ctx, const union wg_sockaddr *to, const uint8_t *dgram, size_t len)
{
	struct sim_node *node = ctx;
	struct sim *s = node->sim;
	struct sim_dgram *d;
	uint32_t type = dgram[0];

	if (type == 1 && node->n_init < 256)
		node->init_at[node->n_init++] = s->now;
	if (type >= 1 && type <= 4) {
		++node->sent_by_type[type];
		if (node->record_sent && len <= SIM_MAX_DGRAM) {
			memcpy(node->last_sent[type], dgram, len);
			node->last_sent_len[type] = len;
		}
	}
	if (len > SIM_MAX_DGRAM)
		abort();
	if (s->qlen == s->qcap) {
		s->qcap = s->qcap ? s->qcap * 2 : 256;
		s->q = realloc(s->q, s->qcap * sizeof(*s->q));
		if (!s->q)
			abort();
	}
	d = &s->q[s->qlen++];
	d->at = s->now + SIM_LATENCY_NS;
	d->from_node = node->id;
	d->from = node->addr;
	d->to = *to;
	d->len = len;
	memcpy(d->data, dgram, len);
}

static void deliver_ip(void *ctx, const uint8_t *pkt, size_t len)
{
	struct sim_node *node = ctx;

	++node->delivered;
	node->last_ip_len = len < SIM_MAX_DGRAM ? len : SIM_MAX_DGRAM;
	memcpy(node->last_ip, pkt, node->last_ip_len);
}

static void peer_event(void *ctx, struct wg_peer *peer, enum wg_peer_event ev)
{
	(void)peer;
	++((struct sim_node *)ctx)->events[ev];
}

static const struct wg_engine_ops sim_ops = {
	.send_udp = send_udp,
	.deliver_ip = deliver_ip,
	.random = sim_rng,
	.wall_time = wall,
	.peer_event = peer_event,
};

void sim_init(struct sim *s, int n, const struct wg_engine_config *cfg, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->rng = seed;
	s->now = 1000 * (uint64_t)SIM_NS; /* a monotonic clock that does not start at 0 */
	s->wall_base = 1700000000;
	s->n = n;
	for (int i = 0; i < n; ++i) {
		struct sim_node *node = &s->node[i];

		node->sim = s;
		node->id = i;
		node->e = wg_engine_new(cfg, &sim_ops, node);
		if (!node->e)
			abort();
		sim_rng(node, node->priv, WG_KEY_LEN);
		wg_engine_set_private_key(node->e, node->priv);
		wg_engine_get_public_key(node->e, node->pub);
		node->addr.in4.sin_family = AF_INET;
		node->addr.in4.sin_addr.s_addr = htonl(0xc0a80001u + (uint32_t)i); /* 192.168.0.1+i */
		node->addr.in4.sin_port = htons((uint16_t)(51820 + i));
		node->tun_ip[0] = 10;
		node->tun_ip[1] = 10;
		node->tun_ip[2] = 0;
		node->tun_ip[3] = (uint8_t)(i + 1);
	}
}

void sim_free(struct sim *s)
{
	for (int i = 0; i < s->n; ++i)
		wg_engine_free(s->node[i].e);
	free(s->q);
	s->q = NULL;
}

struct wg_peer *sim_peer(struct sim *s, int a, int b)
{
	return wg_engine_peer_get(s->node[a].e, s->node[b].pub);
}

void sim_connect(struct sim *s, int a, int b)
{
	struct wg_peer *pa = wg_engine_peer_add(s->node[a].e, s->node[b].pub);
	struct wg_peer *pb = wg_engine_peer_add(s->node[b].e, s->node[a].pub);

	if (!pa || !pb)
		abort();
	wg_peer_set_endpoint(pa, &s->node[b].addr);
	wg_peer_set_endpoint(pb, &s->node[a].addr);
	wg_peer_allowedip_add(pa, AF_INET, s->node[b].tun_ip, 32);
	wg_peer_allowedip_add(pb, AF_INET, s->node[a].tun_ip, 32);
}

size_t sim_build_ipv4(uint8_t *pkt, const uint8_t src[4], const uint8_t dst[4], size_t payload_len)
{
	size_t len = 20 + payload_len;

	memset(pkt, 0, 20);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
	pkt[8] = 64;
	pkt[9] = 17;
	memcpy(pkt + 12, src, 4);
	memcpy(pkt + 16, dst, 4);
	for (size_t i = 0; i < payload_len; ++i)
		pkt[20 + i] = (uint8_t)(i * 7 + 3);
	return len;
}

size_t sim_build_ipv6(uint8_t *pkt, const uint8_t src[16], const uint8_t dst[16], size_t payload_len)
{
	memset(pkt, 0, 40);
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)(payload_len >> 8);
	pkt[5] = (uint8_t)payload_len;
	pkt[6] = 17;
	pkt[7] = 64;
	memcpy(pkt + 8, src, 16);
	memcpy(pkt + 24, dst, 16);
	for (size_t i = 0; i < payload_len; ++i)
		pkt[40 + i] = (uint8_t)(i * 7 + 3);
	return 40 + payload_len;
}

void sim_send_ip(struct sim *s, int a, int b, size_t payload_len)
{
	uint8_t buf[WG_HEADROOM + SIM_MAX_DGRAM + WG_TAILROOM];
	size_t len = sim_build_ipv4(buf + WG_HEADROOM, s->node[a].tun_ip, s->node[b].tun_ip,
				    payload_len);

	wg_engine_send_ip(s->node[a].e, buf + WG_HEADROOM, len, s->now);
}

/* Earliest pending event: a datagram arrival or an engine deadline. */
static uint64_t next_event(struct sim *s)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < s->qlen; ++i)
		if (s->q[i].at < next)
			next = s->q[i].at;
	for (int i = 0; i < s->n; ++i) {
		uint64_t d = wg_engine_next_deadline(s->node[i].e);

		if (d < next)
			next = d;
	}
	return next;
}

static void deliver_due(struct sim *s)
{
	size_t i = 0;

	/* FIFO among equal arrival times; new datagrams queued meanwhile arrive later. */
	while (i < s->qlen) {
		struct sim_dgram d;
		struct sim_node *dst;

		if (s->q[i].at > s->now) {
			++i;
			continue;
		}
		d = s->q[i];
		memmove(&s->q[i], &s->q[i + 1], (s->qlen - i - 1) * sizeof(*s->q));
		--s->qlen;
		dst = node_at(s, &d.to);
		if (!dst || (s->drop && s->drop(s, &d, s->drop_arg))) {
			++s->dropped_dgrams;
			continue;
		}
		++s->delivered_dgrams;
		wg_engine_recv_udp(dst->e, &d.from, d.data, d.len, s->now);
		if (!s->manual_handshakes)
			wg_engine_process_handshakes(dst->e, s->now, SIZE_MAX);
	}
}

void sim_run_until(struct sim *s, uint64_t until)
{
	for (;;) {
		uint64_t next;

		deliver_due(s);
		for (int i = 0; i < s->n; ++i)
			wg_engine_run_timers(s->node[i].e, s->now);
		next = next_event(s);
		if (next > until)
			break;
		if (next > s->now)
			s->now = next;
	}
	s->now = until;
}

struct wg_engine_stats sim_stats(struct sim *s, int i)
{
	struct wg_engine_stats st;

	wg_engine_get_stats(s->node[i].e, &st);
	return st;
}

bool sim_drop_by_rule(struct sim *s, const struct sim_dgram *d, void *rule)
{
	struct sim_drop_rule *r = rule;

	(void)s;
	if (!r->count || (r->from >= 0 && d->from_node != r->from) ||
	    (r->type && d->data[0] != r->type))
		return false;
	if (r->count > 0)
		--r->count;
	r->kept = *d;
	++r->dropped;
	return true;
}
