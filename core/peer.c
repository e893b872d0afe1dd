/* SPDX-License-Identifier: MIT */
/*
 * Peer lifetime and the per-peer setters of engine.h.
 */
#include "peer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_priv.h"

struct wg_peer *wg_peer_create(struct wg_engine *e, const uint8_t pub[WG_KEY_LEN])
{
	struct wg_peer *peer = calloc(1, sizeof(*peer));

	if (!peer)
		return NULL;
	peer->engine = e;
	noise_handshake_init(&peer->handshake, peer, pub);
	noise_handshake_precompute(&peer->handshake, &e->local);
	noise_keypairs_init(&peer->keypairs, peer);
	cookie_init(&peer->latest_cookie, pub);
	peer->endpoint.sa.sa_family = AF_UNSPEC;
	wg_timers_init(peer);
	peer->pubkey_entry.key = peer->handshake.remote_static;

	if (wg_timers_heap_add(e, peer) < 0) {
		wg_crypto_wipe(peer, sizeof(*peer));
		free(peer);
		return NULL;
	}
	pubkey_table_insert(&e->pubkeys, &peer->pubkey_entry);
	peer->list_prev = e->peers_last;
	if (e->peers_last)
		e->peers_last->list_next = peer;
	else
		e->peers_first = peer;
	e->peers_last = peer;
	++e->peer_count;
	return peer;
}

void wg_peer_zero_key_material(struct wg_peer *peer)
{
	noise_handshake_clear(&peer->handshake, &peer->engine->index);
	noise_keypairs_clear(&peer->keypairs, &peer->engine->index);
}

void wg_peer_destroy(struct wg_peer *peer)
{
	struct wg_engine *e = peer->engine;

	wg_timers_stop(peer);
	wg_timers_heap_remove(e, peer);
	wg_packet_unqueue_handshake_initiation(peer);
	wg_peer_zero_key_material(peer);
	wg_packet_purge_staged_packets(peer);
	allowedips_remove_owner(&e->allowedips, &peer->allowedips);
	pubkey_table_remove(&e->pubkeys, &peer->pubkey_entry);

	if (peer->list_prev)
		peer->list_prev->list_next = peer->list_next;
	else
		e->peers_first = peer->list_next;
	if (peer->list_next)
		peer->list_next->list_prev = peer->list_prev;
	else
		e->peers_last = peer->list_prev;
	--e->peer_count;

	/* Handshake, keypairs, psk, cookies: all of it goes. */
	wg_crypto_wipe(peer, sizeof(*peer));
	free(peer);
}

void wg_peer_event(struct wg_peer *peer, enum wg_peer_event ev)
{
	struct wg_engine *e = peer->engine;

	if (e->ops.peer_event)
		e->ops.peer_event(e->ctx, peer, ev);
}

static bool endpoint_equal(const union wg_sockaddr *a, const union wg_sockaddr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port &&
		       a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
		       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(a->in6.sin6_addr));
	return true;
}

static void endpoint_copy(union wg_sockaddr *dst, const union wg_sockaddr *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src || src->sa.sa_family == AF_UNSPEC) {
		dst->sa.sa_family = AF_UNSPEC;
	} else if (src->sa.sa_family == AF_INET) {
		dst->in4 = src->in4;
	} else if (src->sa.sa_family == AF_INET6) {
		dst->in6 = src->in6;
	} else {
		dst->sa.sa_family = AF_UNSPEC;
	}
}

void wg_peer_set_endpoint_from(struct wg_peer *peer, const union wg_sockaddr *from)
{
	if (!from || from->sa.sa_family == AF_UNSPEC || endpoint_equal(&peer->endpoint, from))
		return;
	endpoint_copy(&peer->endpoint, from);
	wg_peer_event(peer, WG_EVENT_ENDPOINT_CHANGED);
}

/* ---- engine.h setters ---------------------------------------------------- */

void wg_peer_set_psk(struct wg_peer *peer, const uint8_t psk[WG_KEY_LEN])
{
	if (psk)
		memcpy(peer->handshake.preshared_key, psk, WG_KEY_LEN);
	else
		wg_crypto_wipe(peer->handshake.preshared_key, WG_KEY_LEN);
}

void wg_peer_set_endpoint(struct wg_peer *peer, const union wg_sockaddr *ep)
{
	endpoint_copy(&peer->endpoint, ep);
}

void wg_peer_set_keepalive(struct wg_peer *peer, uint16_t interval_s, uint64_t now)
{
	bool turned_on = !peer->persistent_keepalive_interval && interval_s;

	peer->persistent_keepalive_interval = interval_s;
	if (!interval_s)
		peer->timers.persistent_keepalive = WG_TIMER_OFF;
	if (turned_on)
		wg_packet_send_keepalive(peer, now);
}

int wg_peer_allowedip_add(struct wg_peer *peer, int family, const void *addr, uint8_t cidr)
{
	return allowedips_insert(&peer->engine->allowedips, family, addr, cidr, &peer->allowedips);
}

int wg_peer_allowedip_remove(struct wg_peer *peer, int family, const void *addr, uint8_t cidr)
{
	return allowedips_remove(&peer->engine->allowedips, family, addr, cidr, &peer->allowedips);
}

void wg_peer_allowedips_clear(struct wg_peer *peer)
{
	allowedips_remove_owner(&peer->engine->allowedips, &peer->allowedips);
}

void wg_peer_allowedips_foreach(const struct wg_peer *peer,
				void (*fn)(void *arg, int family, const uint8_t *addr, uint8_t cidr),
				void *arg)
{
	allowedips_foreach(&peer->allowedips, fn, arg);
}

/* A control-path request: built and sent now (still at most one per REKEY_TIMEOUT). */
void wg_peer_initiate(struct wg_peer *peer, uint64_t now)
{
	peer->timers.handshake_attempts = 0;
	wg_packet_unqueue_handshake_initiation(peer);
	wg_packet_send_handshake_initiation(peer, now);
}

void wg_peer_get_info(const struct wg_peer *peer, struct wg_peer_info *out)
{
	const struct noise_keypair *kp = peer->keypairs.current;

	memset(out, 0, sizeof(*out));
	memcpy(out->public_key, peer->handshake.remote_static, WG_KEY_LEN);
	memcpy(out->preshared_key, peer->handshake.preshared_key, WG_KEY_LEN);
	out->endpoint = peer->endpoint;
	out->last_handshake = peer->walltime_last_handshake;
	out->rx_bytes = peer->rx_bytes;
	out->tx_bytes = peer->tx_bytes;
	out->keepalive_interval_s = peer->persistent_keepalive_interval;
	out->has_session = kp && kp->sending.is_valid;
}

void wg_peer_set_userdata(struct wg_peer *peer, void *data)
{
	peer->userdata = data;
}

void *wg_peer_get_userdata(const struct wg_peer *peer)
{
	return peer->userdata;
}
