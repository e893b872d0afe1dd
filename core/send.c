/* SPDX-License-Identifier: MIT */
/*
 * The sending direction: IP packets from the TUN to encrypted datagrams,
 * the staging queue for packets that wait for a session, and the senders of
 * the three handshake messages.
 *
 * Hot path (wg_engine_send_ip with a session): one trie lookup, one
 * ChaCha20-Poly1305 in place, one send_udp callback. No allocation, no
 * public-key operation, no logging.
 */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "crypto.h"
#include "engine_priv.h"
#include "log.h"

/* ---- Staging buffers ----------------------------------------------------- */

static struct staged_packet *pool_get(struct packet_pool *pool)
{
	struct staged_packet *sp = pool->free;

	if (sp) {
		pool->free = sp->next;
		return sp;
	}
	/* The pool grows up to its cap; buffers are then recycled, never freed. */
	if (pool->total >= pool->max)
		return NULL;
	sp = malloc(pool->buf_size);
	if (sp)
		++pool->total;
	return sp;
}

static void pool_put(struct packet_pool *pool, struct staged_packet *sp)
{
	sp->next = pool->free;
	pool->free = sp;
}

void wg_packet_pool_free(struct packet_pool *pool)
{
	while (pool->free) {
		struct staged_packet *sp = pool->free;

		pool->free = sp->next;
		free(sp);
	}
	pool->total = 0;
}

static struct staged_packet *staged_pop(struct staged_queue *q)
{
	struct staged_packet *sp = q->head;

	if (sp) {
		q->head = sp->next;
		if (!q->head)
			q->tail = NULL;
		--q->len;
	}
	return sp;
}

static void staged_push(struct staged_queue *q, struct staged_packet *sp)
{
	sp->next = NULL;
	if (q->tail)
		q->tail->next = sp;
	else
		q->head = sp;
	q->tail = sp;
	++q->len;
}

void wg_packet_purge_staged_packets(struct wg_peer *peer)
{
	struct staged_packet *sp;

	while ((sp = staged_pop(&peer->staged)))
		pool_put(&peer->engine->pool, sp);
}

/* Copies a packet into the peer's queue; the oldest goes when the queue is full. */
static void stage_packet(struct wg_peer *peer, const uint8_t *pkt, size_t len)
{
	struct wg_engine *e = peer->engine;
	struct staged_packet *sp = NULL;

	if (len > e->cfg.mtu) {
		++e->stats.drop_malformed;
		return;
	}
	if (peer->staged.len < e->cfg.max_staged_packets)
		sp = pool_get(&e->pool);
	if (!sp) {
		/* Queue full or pool exhausted: the peer's oldest packet makes room. */
		sp = staged_pop(&peer->staged);
		++e->stats.drop_queue_full;
		if (!sp)
			return;
	}
	if (len)
		memcpy(sp->buf + WG_HEADROOM, pkt, len);
	sp->len = (uint32_t)len;
	staged_push(&peer->staged, sp);
}

/* ---- Data packets -------------------------------------------------------- */

static bool send_to(struct wg_peer *peer, const union wg_sockaddr *to, const uint8_t *buf,
		    size_t len)
{
	struct wg_engine *e = peer->engine;

	if (to->sa.sa_family == AF_UNSPEC) {
		++e->stats.drop_no_endpoint;
		return false;
	}
	e->ops.send_udp(e->ctx, to, buf, len);
	peer->tx_bytes += len;
	return true;
}

static bool send_to_peer(struct wg_peer *peer, const uint8_t *buf, size_t len)
{
	return send_to(peer, &peer->endpoint, buf, len);
}

/* Zero padding to a multiple of 16, never beyond the MTU (§5.4.6). */
static size_t padding_len(size_t len, uint32_t mtu)
{
	size_t last_unit = len, padded;

	if (!mtu)
		return (MESSAGE_PADDING_MULTIPLE - len % MESSAGE_PADDING_MULTIPLE) %
		       MESSAGE_PADDING_MULTIPLE;
	/* A packet larger than the MTU pads its last MTU-sized unit. */
	if (last_unit > mtu)
		last_unit %= mtu;
	padded = (last_unit + MESSAGE_PADDING_MULTIPLE - 1) & ~(size_t)(MESSAGE_PADDING_MULTIPLE - 1);
	if (padded > mtu)
		padded = mtu;
	return padded - last_unit;
}

/*
 * msg = type 4 || receiver || counter || AEAD(T_send, counter, P || padding, ε)
 * built in place around `pkt`. Returns the datagram length; it starts at pkt - 16.
 */
static size_t encrypt_packet(uint8_t *pkt, size_t len, uint32_t mtu, const struct noise_keypair *kp,
			     uint64_t counter)
{
	size_t padded = len + padding_len(len, mtu);
	uint8_t *hdr = pkt - DATA_PAYLOAD;

	memset(pkt + len, 0, padded - len);
	mg_store_le32(hdr + MSG_TYPE, MESSAGE_DATA);
	mg_store_le32(hdr + DATA_RECEIVER, kp->remote_index);
	mg_store_le64(hdr + DATA_COUNTER, counter);
	wg_crypto_aead_encrypt(pkt, pkt, padded, NULL, 0, counter, kp->sending.key);
	return DATA_PAYLOAD + noise_encrypted_len(padded);
}

/* The current keypair if it may still send, else NULL (and it is marked dead if expired). */
static struct noise_keypair *sending_keypair(struct wg_peer *peer, uint64_t now, uint64_t count)
{
	struct noise_keypair *kp = peer->keypairs.current;

	if (!kp || !kp->sending.is_valid)
		return NULL;
	if (wg_birthdate_has_expired(kp->sending.birthdate, peer->engine->t.reject_after_time, now) ||
	    REJECT_AFTER_MESSAGES - kp->sending_counter < count) {
		kp->sending.is_valid = false;
		return NULL;
	}
	return kp;
}

/* Start a new handshake before the current session gets old (§6.2). */
static void keep_key_fresh(struct wg_peer *peer, uint64_t now)
{
	struct noise_keypair *kp = peer->keypairs.current;

	if (kp && kp->sending.is_valid &&
	    (kp->sending_counter > REKEY_AFTER_MESSAGES ||
	     (kp->i_am_the_initiator &&
	      wg_birthdate_has_expired(kp->sending.birthdate, peer->engine->t.rekey_after_time, now))))
		wg_packet_send_queued_handshake_initiation(peer, false, now);
}

void wg_engine_send_ip(struct wg_engine *e, uint8_t *pkt, size_t len, uint64_t now)
{
	struct aip_owner *owner = NULL;
	struct noise_keypair *kp;
	struct wg_peer *peer;
	size_t n;

	/* Cryptokey routing: the destination address picks the peer. */
	if (len >= 20 && pkt[0] >> 4 == 4)
		owner = allowedips_lookup(&e->allowedips, AF_INET, pkt + 16);
	else if (len >= 40 && pkt[0] >> 4 == 6)
		owner = allowedips_lookup(&e->allowedips, AF_INET6, pkt + 24);
	else {
		++e->stats.drop_malformed;
		return;
	}
	if (!owner) {
		++e->stats.drop_no_peer;
		return;
	}
	peer = (struct wg_peer *)((char *)owner - offsetof(struct wg_peer, allowedips));
	if (peer->endpoint.sa.sa_family == AF_UNSPEC) {
		++e->stats.drop_no_endpoint;
		return;
	}

	/* Fast path: a session and nothing queued before this packet. */
	if (!peer->staged.len && (kp = sending_keypair(peer, now, 1))) {
		n = encrypt_packet(pkt, len, e->cfg.mtu, kp, kp->sending_counter++);
		wg_timers_any_authenticated_packet_traversal(peer, now);
		wg_timers_any_authenticated_packet_sent(peer);
		send_to_peer(peer, pkt - DATA_PAYLOAD, n);
		++e->stats.tx_data;
		wg_timers_data_sent(peer, now);
		keep_key_fresh(peer, now);
		return;
	}
	stage_packet(peer, pkt, len);
	wg_packet_send_staged_packets(peer, now);
}

void wg_packet_send_staged_packets(struct wg_peer *peer, uint64_t now)
{
	struct wg_engine *e = peer->engine;
	struct noise_keypair *kp;
	struct staged_packet *sp;
	bool data_sent = false;
	size_t n;

	if (!peer->staged.len)
		return;
	kp = sending_keypair(peer, now, peer->staged.len);
	if (!kp) {
		/* Keep them queued and get a session. */
		wg_packet_send_queued_handshake_initiation(peer, false, now);
		return;
	}

	wg_timers_any_authenticated_packet_traversal(peer, now);
	wg_timers_any_authenticated_packet_sent(peer);
	while ((sp = staged_pop(&peer->staged))) {
		n = encrypt_packet(sp->buf + WG_HEADROOM, sp->len, e->cfg.mtu, kp,
				   kp->sending_counter++);
		if (send_to_peer(peer, sp->buf + WG_HEADROOM - DATA_PAYLOAD, n)) {
			++e->stats.tx_data;
			if (sp->len)
				data_sent = true;
			else
				++e->stats.tx_keepalive;
		}
		pool_put(&e->pool, sp);
	}
	if (data_sent)
		wg_timers_data_sent(peer, now);
	keep_key_fresh(peer, now);
}

void wg_packet_send_keepalive(struct wg_peer *peer, uint64_t now)
{
	/* An empty packet, unless real ones are waiting to go anyway. */
	if (!peer->staged.len)
		stage_packet(peer, NULL, 0);
	wg_packet_send_staged_packets(peer, now);
}

/* ---- Handshake messages -------------------------------------------------- */

void wg_packet_send_handshake_initiation(struct wg_peer *peer, uint64_t now)
{
	struct wg_engine *e = peer->engine;
	uint8_t packet[INIT_LEN];
	uint8_t timestamp[NOISE_TIMESTAMP_LEN];
	struct timespec wall;

	/* At most one initiation per REKEY_TIMEOUT (§6.1). */
	if (peer->has_sent_handshake &&
	    !wg_birthdate_has_expired(peer->last_sent_handshake, e->t.rekey_timeout, now))
		return;
	peer->has_sent_handshake = true;
	peer->last_sent_handshake = now;

	wg_engine_wall_time(e, &wall);
	noise_tai64n(timestamp, (int64_t)wall.tv_sec, wall.tv_nsec);
	if (noise_handshake_create_initiation(packet, &peer->handshake, &e->local, &e->index, &e->rng,
					      timestamp)) {
		cookie_add_mac_to_packet(&peer->latest_cookie, packet, sizeof(packet), now,
					 &e->cookie_times);
		wg_timers_any_authenticated_packet_traversal(peer, now);
		wg_timers_any_authenticated_packet_sent(peer);
		if (send_to_peer(peer, packet, sizeof(packet)))
			++e->stats.tx_initiation;
		mg_debug("wg: sent handshake initiation");
		wg_timers_handshake_initiated(peer, now);
	}
}

/*
 * The packet paths only ask for an initiation: building one costs two
 * X25519 operations, which do not belong on the per-packet path. The
 * request waits on the engine's list until wg_engine_process_handshakes()
 * or wg_engine_run_timers() runs (the next deadline is "now" meanwhile),
 * like the kernel's handshake work queue.
 */
void wg_packet_send_queued_handshake_initiation(struct wg_peer *peer, bool is_retry, uint64_t now)
{
	struct wg_engine *e = peer->engine;

	if (!is_retry)
		peer->timers.handshake_attempts = 0;
	/* Checked here too, so that nothing is queued when not strictly needed. */
	if (peer->init_queued || (peer->has_sent_handshake &&
				  !wg_birthdate_has_expired(peer->last_sent_handshake,
							    e->t.rekey_timeout, now)))
		return;
	peer->init_queued = true;
	peer->init_next = NULL;
	peer->init_prev = e->init_last;
	if (e->init_last)
		e->init_last->init_next = peer;
	else
		e->init_first = peer;
	e->init_last = peer;
}

void wg_packet_unqueue_handshake_initiation(struct wg_peer *peer)
{
	struct wg_engine *e = peer->engine;

	if (!peer->init_queued)
		return;
	if (peer->init_prev)
		peer->init_prev->init_next = peer->init_next;
	else
		e->init_first = peer->init_next;
	if (peer->init_next)
		peer->init_next->init_prev = peer->init_prev;
	else
		e->init_last = peer->init_prev;
	peer->init_prev = peer->init_next = NULL;
	peer->init_queued = false;
}

bool wg_packet_flush_handshake_initiations(struct wg_engine *e, uint64_t now)
{
	bool any = e->init_first != NULL;

	while (e->init_first) {
		struct wg_peer *peer = e->init_first;

		wg_packet_unqueue_handshake_initiation(peer);
		wg_packet_send_handshake_initiation(peer, now);
	}
	return any;
}

void wg_packet_send_handshake_response(struct wg_peer *peer, const union wg_sockaddr *to,
				       uint64_t now)
{
	struct wg_engine *e = peer->engine;
	uint8_t packet[RESP_LEN];

	peer->has_sent_handshake = true;
	peer->last_sent_handshake = now;
	if (!noise_handshake_create_response(packet, &peer->handshake, &e->index, &e->rng))
		return;
	cookie_add_mac_to_packet(&peer->latest_cookie, packet, sizeof(packet), now, &e->cookie_times);
	if (!noise_handshake_begin_session(&peer->handshake, &peer->keypairs, &e->index, now))
		return;
	wg_timers_session_derived(peer, now);
	wg_timers_any_authenticated_packet_traversal(peer, now);
	wg_timers_any_authenticated_packet_sent(peer);
	if (send_to(peer, to, packet, sizeof(packet)))
		++e->stats.tx_response;
	mg_debug("wg: sent handshake response");
}

void wg_packet_send_handshake_cookie(struct wg_engine *e, const uint8_t *msg, size_t len,
				     const union wg_sockaddr *to, uint64_t now)
{
	uint8_t packet[COOKIE_MSG_LEN];

	cookie_message_create(packet, msg, len, to, &e->checker, now, &e->rng, &e->cookie_times);
	e->ops.send_udp(e->ctx, to, packet, sizeof(packet));
	++e->stats.tx_cookie;
}
