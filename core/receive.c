/* SPDX-License-Identifier: MIT */
/*
 * The receiving direction: datagrams from the UDP port.
 *
 * Data (type 4) is handled at once: index lookup, nonce window pre-check,
 * in-place decryption, window update, then the inner packet is checked
 * against the sender's allowed IPs and delivered. It never waits behind
 * handshakes.
 *
 * Handshake messages (types 1 and 2) only get the cheap checks here (exact
 * size, mac1, and under load mac2 plus the per-source rate limit) before
 * being copied into a bounded queue; wg_engine_process_handshakes() does the
 * Diffie-Hellman work later, within the budget the I/O loop gives it. Under
 * load, a message without a valid mac2 is answered with a cookie reply and
 * never queued, so a spoofed flood costs us one BLAKE2s and one XChaCha20
 * per packet. Cookie replies (type 3) are cheap and handled at once.
 */
#include <string.h>

#include "bytes.h"
#include "crypto.h"
#include "engine_priv.h"
#include "log.h"

enum { NSEC_PER_SEC = 1000000000 };

/* ---- Handshake messages -------------------------------------------------- */

/*
 * Under load once the queue is 1/8 full, and for a second after it last was,
 * so a flood that the queue absorbs in bursts still meets cookies.
 */
static bool update_under_load(struct wg_engine *e, uint64_t now)
{
	size_t threshold = e->hsq.cap / 8 ? e->hsq.cap / 8 : 1;

	if (e->hsq.len >= threshold) {
		e->under_load = true;
		e->last_under_load = now;
	} else if (e->under_load && now >= e->last_under_load + UNDER_LOAD_AFTER_S * NSEC_PER_SEC) {
		e->under_load = false;
	}
	return e->under_load;
}

static void queue_handshake(struct wg_engine *e, const union wg_sockaddr *from, const uint8_t *msg,
			    size_t len)
{
	struct handshake_item *item;

	if (e->hsq.len == e->hsq.cap) {
		++e->stats.drop_queue_full;
		return;
	}
	item = &e->hsq.items[(e->hsq.head + e->hsq.len) % e->hsq.cap];
	item->from = *from;
	item->len = (uint16_t)len;
	memcpy(item->msg, msg, len);
	++e->hsq.len;
}

static void receive_handshake(struct wg_engine *e, const union wg_sockaddr *from,
			      const uint8_t *msg, size_t len, uint64_t now)
{
	bool under_load = update_under_load(e, now);
	enum cookie_mac_state mac_state = cookie_validate_packet(
		&e->checker, msg, len, from, under_load, now, &e->rng, &e->cookie_times);

	if (mac_state == INVALID_MAC) {
		++e->stats.drop_mac;
		return;
	}
	if (under_load && mac_state == VALID_MAC_BUT_NO_COOKIE) {
		/* Prove your address first. */
		wg_packet_send_handshake_cookie(e, msg, len, from, now);
		return;
	}
	if (under_load && !ratelimiter_allow(&e->ratelimiter, from, now)) {
		++e->stats.drop_ratelimit;
		return;
	}
	queue_handshake(e, from, msg, len);
}

static void handshake_received(struct wg_peer *peer, uint64_t *counter, size_t len, uint64_t now)
{
	peer->rx_bytes += len;
	++*counter;
	wg_timers_any_authenticated_packet_received(peer);
	wg_timers_any_authenticated_packet_traversal(peer, now);
}

static void consume_initiation(struct wg_engine *e, const struct handshake_item *item, uint64_t now)
{
	struct noise_initiation_scratch st;
	enum noise_verdict verdict;
	struct wg_peer *peer;

	if (!noise_consume_initiation_static(&st, item->msg, &e->local)) {
		++e->stats.drop_decrypt;
		return;
	}
	peer = wg_engine_peer_get(e, st.s);
	if (!peer) {
		wg_crypto_wipe(&st, sizeof(st));
		++e->stats.drop_no_peer;
		return;
	}
	verdict = noise_consume_initiation_finish(&st, item->msg, &peer->handshake, now,
						  e->t.initiation_interval);
	if (verdict != NOISE_OK) {
		++*(verdict == NOISE_REPLAY ? &e->stats.drop_replay : &e->stats.drop_decrypt);
		return;
	}
	mg_debug("wg: received handshake initiation");
	/*
	 * An initiation is authentic but replayable: one that never reached us
	 * in time (dropped before this peer existed) still has a fresh TAI64N.
	 * So it roams the endpoint only of a peer that has none; otherwise the
	 * response goes to its source and the endpoint follows on key
	 * confirmation, the first data packet of the new session (§6.5), which
	 * only the real initiator can send.
	 */
	if (peer->endpoint.sa.sa_family == AF_UNSPEC)
		wg_peer_set_endpoint_from(peer, &item->from);
	wg_packet_send_handshake_response(peer, &item->from, now);
	handshake_received(peer, &e->stats.rx_initiation, item->len, now);
}

static void consume_response(struct wg_engine *e, const struct handshake_item *item, uint64_t now)
{
	struct index_entry *entry = index_table_lookup(
		&e->index, mg_load_le32(item->msg + RESP_RECEIVER), INDEX_HANDSHAKE);
	struct wg_peer *peer;

	if (!entry) {
		++e->stats.drop_no_peer;
		return;
	}
	peer = entry->peer;
	if (!noise_handshake_consume_response(item->msg, &peer->handshake, &e->local)) {
		++e->stats.drop_decrypt;
		return;
	}
	mg_debug("wg: received handshake response");
	wg_peer_set_endpoint_from(peer, &item->from);
	if (noise_handshake_begin_session(&peer->handshake, &peer->keypairs, &e->index, now)) {
		wg_timers_session_derived(peer, now);
		wg_timers_handshake_complete(peer, now);
		wg_peer_event(peer, WG_EVENT_HANDSHAKE_COMPLETE);
		/*
		 * Sends whatever waited for this session, or else a keepalive:
		 * the responder needs a data packet to confirm the keys.
		 */
		wg_packet_send_keepalive(peer, now);
	}
	handshake_received(peer, &e->stats.rx_response, item->len, now);
}

size_t wg_engine_process_handshakes(struct wg_engine *e, uint64_t now, size_t budget)
{
	/* Our own initiations first: at most one per peer per REKEY_TIMEOUT. */
	if (budget)
		wg_packet_flush_handshake_initiations(e, now);
	while (budget-- && e->hsq.len) {
		struct handshake_item *item = &e->hsq.items[e->hsq.head];

		e->hsq.head = (e->hsq.head + 1) % e->hsq.cap;
		--e->hsq.len;
		if (mg_load_le32(item->msg) == MESSAGE_HANDSHAKE_INITIATION)
			consume_initiation(e, item, now);
		else
			consume_response(e, item, now);
	}
	return e->hsq.len;
}

static void receive_cookie(struct wg_engine *e, const uint8_t *msg, uint64_t now)
{
	struct index_entry *entry = index_table_lookup(
		&e->index, mg_load_le32(msg + COOKIE_RECEIVER), INDEX_HANDSHAKE | INDEX_KEYPAIR);

	if (!entry) {
		++e->stats.drop_no_peer;
		return;
	}
	if (cookie_message_consume(&entry->peer->latest_cookie, msg, now))
		++e->stats.rx_cookie;
	else
		++e->stats.drop_decrypt;
}

/* ---- Data packets -------------------------------------------------------- */

/* The responder must not wait for REJECT_AFTER_TIME if the initiator forgot to rekey (§6.2). */
static void keep_key_fresh(struct wg_peer *peer, uint64_t now)
{
	struct noise_keypair *kp = peer->keypairs.current;

	if (peer->timers.sent_lastminute_handshake)
		return;
	if (kp && kp->sending.is_valid && kp->i_am_the_initiator &&
	    wg_birthdate_has_expired(kp->sending.birthdate, peer->engine->t.lastminute_handshake,
				     now)) {
		peer->timers.sent_lastminute_handshake = true;
		wg_packet_send_queued_handshake_initiation(peer, false, now);
	}
}

/* Length of the IP packet at p (padding stripped) and its source, or 0 if it is not one. */
static size_t inner_packet(const uint8_t *p, size_t len, int *family, const uint8_t **src)
{
	size_t ip_len;

	if (len >= 20 && p[0] >> 4 == 4) {
		ip_len = mg_load_be16(p + 2);
		if (ip_len < 20)
			return 0;
		*family = AF_INET;
		*src = p + 12;
	} else if (len >= 40 && p[0] >> 4 == 6) {
		ip_len = (size_t)mg_load_be16(p + 4) + 40;
		*family = AF_INET6;
		*src = p + 8;
	} else {
		return 0;
	}
	return ip_len <= len ? ip_len : 0;
}

static void consume_data_done(struct wg_peer *peer, struct noise_keypair *kp,
			      const union wg_sockaddr *from, const uint8_t *plain, size_t plain_len,
			      size_t msg_len, uint64_t now)
{
	struct wg_engine *e = peer->engine;
	const uint8_t *src;
	size_t ip_len;
	int family;

	/* Roaming: any authenticated packet tells us where the peer is now. */
	wg_peer_set_endpoint_from(peer, from);

	/* Key confirmation for the responder: the initiator uses the new keys. */
	if (noise_received_with_keypair(&peer->keypairs, kp, &e->index)) {
		wg_timers_handshake_complete(peer, now);
		wg_peer_event(peer, WG_EVENT_HANDSHAKE_COMPLETE);
		wg_packet_send_staged_packets(peer, now);
	}
	keep_key_fresh(peer, now);
	wg_timers_any_authenticated_packet_received(peer);
	wg_timers_any_authenticated_packet_traversal(peer, now);

	if (!plain_len) {
		/* A keepalive. */
		peer->rx_bytes += msg_len;
		++e->stats.rx_data;
		++e->stats.rx_keepalive;
		return;
	}
	wg_timers_data_received(peer, now);

	ip_len = inner_packet(plain, plain_len, &family, &src);
	if (!ip_len) {
		++e->stats.drop_malformed;
		return;
	}
	/* Cryptokey routing, inbound: the inner source must belong to this peer. */
	if (allowedips_lookup(&e->allowedips, family, src) != &peer->allowedips) {
		++e->stats.drop_allowedips;
		return;
	}
	e->ops.deliver_ip(e->ctx, plain, ip_len);
	peer->rx_bytes += msg_len;
	++e->stats.rx_data;
}

static void receive_data(struct wg_engine *e, const union wg_sockaddr *from, uint8_t *dgram,
			 size_t len, uint64_t now)
{
	struct index_entry *entry =
		index_table_lookup(&e->index, mg_load_le32(dgram + DATA_RECEIVER), INDEX_KEYPAIR);
	struct noise_keypair *kp;
	uint8_t *payload = dgram + DATA_PAYLOAD;
	uint64_t counter;

	if (!entry) {
		++e->stats.drop_no_peer;
		return;
	}
	kp = (struct noise_keypair *)((char *)entry - offsetof(struct noise_keypair, entry));
	if (!kp->receiving.is_valid ||
	    wg_birthdate_has_expired(kp->receiving.birthdate, e->t.reject_after_time, now) ||
	    kp->receiving_counter.counter >= REJECT_AFTER_MESSAGES) {
		kp->receiving.is_valid = false;
		++e->stats.drop_decrypt;
		return;
	}
	/* Validate the counter before paying for decryption; record it only once authentic. */
	counter = mg_load_le64(dgram + DATA_COUNTER);
	if (!replay_counter_check(&kp->receiving_counter, counter)) {
		++e->stats.drop_replay;
		return;
	}
	if (!wg_crypto_aead_decrypt(payload, payload, len - DATA_PAYLOAD, NULL, 0, counter,
				    kp->receiving.key)) {
		++e->stats.drop_decrypt;
		return;
	}
	if (!replay_counter_validate(&kp->receiving_counter, counter)) {
		++e->stats.drop_replay;
		return;
	}
	consume_data_done(entry->peer, kp, from, payload, len - DATA_MIN_LEN, len, now);
}

/* ---- Dispatch ------------------------------------------------------------ */

void wg_engine_recv_udp(struct wg_engine *e, const union wg_sockaddr *from, uint8_t *dgram,
			size_t len, uint64_t now)
{
	if (!wg_is_wireguard_message(dgram, len)) {
		++e->stats.drop_malformed;
		return;
	}
	switch (mg_load_le32(dgram)) {
	case MESSAGE_DATA:
		if (len >= DATA_MIN_LEN) {
			receive_data(e, from, dgram, len, now);
			return;
		}
		break;
	case MESSAGE_HANDSHAKE_INITIATION:
		if (len == INIT_LEN) {
			receive_handshake(e, from, dgram, len, now);
			return;
		}
		break;
	case MESSAGE_HANDSHAKE_RESPONSE:
		if (len == RESP_LEN) {
			receive_handshake(e, from, dgram, len, now);
			return;
		}
		break;
	case MESSAGE_HANDSHAKE_COOKIE:
		if (len == COOKIE_MSG_LEN) {
			receive_cookie(e, dgram, now);
			return;
		}
		break;
	}
	++e->stats.drop_malformed;
}
