/* SPDX-License-Identifier: MIT */
/*
 * WireGuard wire layouts and protocol constants (whitepaper §5 and §6).
 *
 * Packets are never cast to structs: every field is read and written at the
 * offsets below with the common/bytes.h helpers. The _Static_asserts tie the
 * offsets to the sizes the protocol fixes, so a typo cannot move a field.
 */
#ifndef MG_CORE_MESSAGES_H
#define MG_CORE_MESSAGES_H

#include <stdint.h>

#include "engine.h"

enum noise_lengths {
	NOISE_PUBLIC_KEY_LEN = 32,
	NOISE_SYMMETRIC_KEY_LEN = 32,
	NOISE_TIMESTAMP_LEN = 12, /* TAI64N: 8 bytes seconds, 4 bytes nanoseconds */
	NOISE_AUTHTAG_LEN = 16,
	NOISE_HASH_LEN = 32,
};

#define noise_encrypted_len(plain_len) ((plain_len) + NOISE_AUTHTAG_LEN)

enum cookie_values {
	COOKIE_SECRET_MAX_AGE = 120, /* seconds: the responder's cookie secret lifetime */
	COOKIE_SECRET_LATENCY = 5,   /* seconds: a received cookie is used this much less */
	COOKIE_NONCE_LEN = 24,       /* XChaCha20-Poly1305 */
	COOKIE_LEN = 16,
};

/* Timer constants of the whitepaper (§6.1), in seconds unless noted. */
enum limits {
	REKEY_TIMEOUT = 5,
	REKEY_TIMEOUT_JITTER_MAX_MS = 333,
	REKEY_AFTER_TIME = 120,
	REJECT_AFTER_TIME = 180,
	REKEY_ATTEMPT_TIME = 90,
	KEEPALIVE_TIMEOUT = 10,
	INITIATIONS_PER_SECOND = 50,
	MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME / REKEY_TIMEOUT,
	MAX_QUEUED_INCOMING_HANDSHAKES = 4096,
	MAX_STAGED_PACKETS = 128,
	UNDER_LOAD_AFTER_S = 1, /* stay under load this long after the queue drained */
};

/* 64-bit limits cannot be enumerators in C11. */
#define REKEY_AFTER_MESSAGES (UINT64_C(1) << 60)
#define REJECT_AFTER_MESSAGES (UINT64_MAX - (UINT64_C(1) << 13)) /* 2^64 - 2^13 - 1 */

enum message_type {
	MESSAGE_INVALID = 0,
	MESSAGE_HANDSHAKE_INITIATION = WG_MSG_INITIATION,
	MESSAGE_HANDSHAKE_RESPONSE = WG_MSG_RESPONSE,
	MESSAGE_HANDSHAKE_COOKIE = WG_MSG_COOKIE,
	MESSAGE_DATA = WG_MSG_DATA,
};

/*
 * Field offsets. Every message starts with a little-endian u32 type, which is
 * the one-byte type followed by three reserved zero bytes.
 */
enum message_layout {
	MSG_TYPE = 0,

	/* Handshake initiation: msg = type, sender, ephemeral, static, timestamp, mac1, mac2 */
	INIT_SENDER = 4,
	INIT_EPHEMERAL = 8,
	INIT_STATIC = INIT_EPHEMERAL + NOISE_PUBLIC_KEY_LEN,
	INIT_TIMESTAMP = INIT_STATIC + noise_encrypted_len(NOISE_PUBLIC_KEY_LEN),
	INIT_MAC1 = INIT_TIMESTAMP + noise_encrypted_len(NOISE_TIMESTAMP_LEN),
	INIT_MAC2 = INIT_MAC1 + COOKIE_LEN,
	INIT_LEN = INIT_MAC2 + COOKIE_LEN,

	/* Handshake response: type, sender, receiver, ephemeral, empty, mac1, mac2 */
	RESP_SENDER = 4,
	RESP_RECEIVER = 8,
	RESP_EPHEMERAL = 12,
	RESP_EMPTY = RESP_EPHEMERAL + NOISE_PUBLIC_KEY_LEN,
	RESP_MAC1 = RESP_EMPTY + noise_encrypted_len(0),
	RESP_MAC2 = RESP_MAC1 + COOKIE_LEN,
	RESP_LEN = RESP_MAC2 + COOKIE_LEN,

	/* Cookie reply: type, receiver, nonce, encrypted cookie */
	COOKIE_RECEIVER = 4,
	COOKIE_NONCE = 8,
	COOKIE_ENCRYPTED = COOKIE_NONCE + COOKIE_NONCE_LEN,
	COOKIE_MSG_LEN = COOKIE_ENCRYPTED + noise_encrypted_len(COOKIE_LEN),

	/* Transport data: type, receiver, counter, encrypted packet */
	DATA_RECEIVER = 4,
	DATA_COUNTER = 8,
	DATA_PAYLOAD = 16,
	DATA_MIN_LEN = DATA_PAYLOAD + noise_encrypted_len(0), /* a keepalive */

	MESSAGE_PADDING_MULTIPLE = 16,
	/* Both MACs sit at the end: mac1 covers everything before it, mac2 everything before mac2. */
	MACS_LEN = 2 * COOKIE_LEN,
};

_Static_assert((int)INIT_LEN == (int)WG_MSG_INITIATION_LEN, "initiation is 148 bytes");
_Static_assert((int)RESP_LEN == (int)WG_MSG_RESPONSE_LEN, "response is 92 bytes");
_Static_assert((int)COOKIE_MSG_LEN == (int)WG_MSG_COOKIE_LEN, "cookie reply is 64 bytes");
_Static_assert((int)DATA_PAYLOAD == (int)WG_DATA_HEADER_LEN, "data header is 16 bytes");
_Static_assert((int)NOISE_AUTHTAG_LEN == (int)WG_AUTHTAG_LEN, "Poly1305 tag");
_Static_assert((int)NOISE_PUBLIC_KEY_LEN == (int)WG_KEY_LEN, "key length");
_Static_assert((int)WG_TAILROOM >= (int)MESSAGE_PADDING_MULTIPLE - 1 + NOISE_AUTHTAG_LEN, "tailroom");

#endif
