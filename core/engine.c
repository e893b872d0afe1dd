/* SPDX-License-Identifier: MIT */
/*
 * Engine lifetime, our static identity, the peer table and statistics. The
 * packet paths are in send.c and receive.c, the timers in timers.c.
 */
#include "engine_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "crypto.h"
#include "messages.h"

static void default_wall_time(void *ctx, struct timespec *ts)
{
	(void)ctx;
	clock_gettime(CLOCK_REALTIME, ts);
}

void wg_engine_wall_time(const struct wg_engine *e, struct timespec *ts)
{
	e->ops.wall_time(e->ctx, ts);
}

static void fill_defaults(struct wg_engine_config *cfg)
{
	if (!cfg->mtu)
		cfg->mtu = WG_DEFAULT_MTU;
	if (!cfg->handshake_queue_len)
		cfg->handshake_queue_len = MAX_QUEUED_INCOMING_HANDSHAKES;
	if (!cfg->max_staged_packets)
		cfg->max_staged_packets = MAX_STAGED_PACKETS;
	if (!cfg->time_scale)
		cfg->time_scale = 1;
	if (!cfg->staged_pool_len)
		cfg->staged_pool_len = DEFAULT_STAGED_POOL;
}

struct wg_engine *wg_engine_new(const struct wg_engine_config *cfg, const struct wg_engine_ops *ops,
				void *ctx)
{
	uint8_t keys[2 * WG_SHORTHASH_KEY_LEN];
	struct wg_engine *e;

	if (!ops || !ops->send_udp || !ops->deliver_ip || !wg_crypto_init())
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->ops = *ops;
	if (!e->ops.random)
		e->ops.random = wg_crypto_random;
	if (!e->ops.wall_time)
		e->ops.wall_time = default_wall_time;
	e->ctx = ctx;
	e->rng.fn = e->ops.random;
	e->rng.ctx = ctx;
	if (cfg)
		e->cfg = *cfg;
	fill_defaults(&e->cfg);
	wg_timing_init(&e->t, e->cfg.time_scale);
	e->cookie_times.secret_max_age = e->t.cookie_secret_max_age;
	e->cookie_times.cookie_usable = e->t.cookie_usable;

	cookie_checker_init(&e->checker);
	allowedips_init(&e->allowedips);
	e->pool.max = e->cfg.staged_pool_len;
	e->pool.buf_size = sizeof(struct staged_packet) + WG_HEADROOM + e->cfg.mtu + WG_TAILROOM;

	/* Hash-table keys come from the same RNG as everything else (tests inject one). */
	e->rng.fn(e->rng.ctx, keys, sizeof(keys));
	e->rng.fn(e->rng.ctx, &e->jitter_state, sizeof(e->jitter_state));
	e->jitter_state |= 1; /* xorshift must not start at zero */
	e->hsq.cap = e->cfg.handshake_queue_len;
	e->hsq.items = calloc(e->hsq.cap, sizeof(*e->hsq.items));
	if (!e->hsq.items || index_table_init(&e->index) < 0 ||
	    pubkey_table_init(&e->pubkeys, keys) < 0 ||
	    ratelimiter_init(&e->ratelimiter, keys + WG_SHORTHASH_KEY_LEN) < 0) {
		wg_crypto_wipe(keys, sizeof(keys));
		wg_engine_free(e);
		return NULL;
	}
	wg_crypto_wipe(keys, sizeof(keys));
	return e;
}

void wg_engine_free(struct wg_engine *e)
{
	if (!e)
		return;
	while (e->peers_first)
		wg_peer_destroy(e->peers_first);
	allowedips_free(&e->allowedips);
	if (e->index.buckets)
		index_table_free(&e->index);
	if (e->pubkeys.buckets)
		pubkey_table_free(&e->pubkeys);
	if (e->ratelimiter.entries)
		ratelimiter_free(&e->ratelimiter);
	if (e->hsq.items) {
		/* Queued handshakes are not secret, but their sources are nobody's business. */
		wg_crypto_wipe(e->hsq.items, e->hsq.cap * sizeof(*e->hsq.items));
		free(e->hsq.items);
	}
	wg_packet_pool_free(&e->pool);
	free(e->heap);
	noise_local_clear(&e->local);
	cookie_checker_clear(&e->checker);
	wg_crypto_wipe(e, sizeof(*e));
	free(e);
}

/* ---- Identity ------------------------------------------------------------ */

void wg_engine_set_private_key(struct wg_engine *e, const uint8_t key[WG_KEY_LEN])
{
	struct noise_local next = { 0 };
	struct wg_peer *peer, *self;

	if (key) {
		noise_local_set_private(&next, key);
		/* Setting the same key again (wg syncconf) must not drop sessions. */
		if (e->local.has_identity && next.has_identity &&
		    wg_crypto_equal(next.private_key, e->local.private_key, WG_KEY_LEN))
			goto out;
		/* A peer with our own public key makes no sense: it goes, as in the kernel. */
		self = next.has_identity ? wg_engine_peer_get(e, next.public_key) : NULL;
		if (self)
			wg_peer_destroy(self);
	}
	e->local = next;
	cookie_checker_precompute_keys(&e->checker, &e->local);
	for (peer = e->peers_first; peer; peer = peer->list_next) {
		noise_handshake_precompute(&peer->handshake, &e->local);
		/* Sessions made under the old identity must not be extended. */
		noise_handshake_clear(&peer->handshake, &e->index);
		noise_expire_current_keypairs(&peer->keypairs);
		peer->has_sent_handshake = false;
	}
out:
	noise_local_clear(&next);
}

bool wg_engine_get_private_key(const struct wg_engine *e, uint8_t key[WG_KEY_LEN])
{
	if (!e->local.has_identity)
		return false;
	memcpy(key, e->local.private_key, WG_KEY_LEN);
	return true;
}

bool wg_engine_get_public_key(const struct wg_engine *e, uint8_t key[WG_KEY_LEN])
{
	if (!e->local.has_identity)
		return false;
	memcpy(key, e->local.public_key, WG_KEY_LEN);
	return true;
}

/* ---- Peers --------------------------------------------------------------- */

struct wg_peer *wg_engine_peer_get(struct wg_engine *e, const uint8_t pub[WG_KEY_LEN])
{
	struct pubkey_entry *entry = pubkey_table_lookup(&e->pubkeys, pub);

	return entry ? (struct wg_peer *)((char *)entry - offsetof(struct wg_peer, pubkey_entry))
		     : NULL;
}

struct wg_peer *wg_engine_peer_add(struct wg_engine *e, const uint8_t pub[WG_KEY_LEN])
{
	struct wg_peer *peer = wg_engine_peer_get(e, pub);

	if (peer)
		return peer;
	if (e->local.has_identity && wg_crypto_equal(pub, e->local.public_key, WG_KEY_LEN))
		return NULL;
	return wg_peer_create(e, pub);
}

void wg_engine_peer_remove(struct wg_engine *e, struct wg_peer *peer)
{
	(void)e;
	wg_peer_destroy(peer);
}

size_t wg_engine_peer_count(const struct wg_engine *e)
{
	return e->peer_count;
}

struct wg_peer *wg_engine_peer_next(struct wg_engine *e, struct wg_peer *prev)
{
	return prev ? prev->list_next : e->peers_first;
}

/* ---- Misc ---------------------------------------------------------------- */

bool wg_is_wireguard_message(const uint8_t *buf, size_t len)
{
	uint32_t type;

	if (len < 4)
		return false;
	type = mg_load_le32(buf);
	return type >= MESSAGE_HANDSHAKE_INITIATION && type <= MESSAGE_DATA;
}

uint64_t wg_engine_run_timers(struct wg_engine *e, uint64_t now)
{
	return wg_timers_run(e, now);
}

uint64_t wg_engine_next_deadline(const struct wg_engine *e)
{
	return wg_timers_next_deadline(e);
}

void wg_engine_get_stats(const struct wg_engine *e, struct wg_engine_stats *out)
{
	*out = e->stats;
	/* Only the split is counted, so the sums cannot disagree with it. */
	out->rx_handshake = e->stats.rx_initiation + e->stats.rx_response;
	out->tx_handshake = e->stats.tx_initiation + e->stats.tx_response;
	out->handshake_queue_len = e->hsq.len;
	out->under_load = e->under_load;
}
