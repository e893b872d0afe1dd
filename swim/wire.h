/* SPDX-License-Identifier: MIT */
/*
 * Byte-exact encoders and decoders for the gossip wire format (private to
 * swim/ and its tests). Pure functions: no allocation, no crypto, no state.
 * Every decoder checks every length before it reads; docs/protocol-swim.md
 * has the same tables in prose.
 */
#ifndef MG_SWIM_WIRE_H
#define MG_SWIM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swim.h"

/* ---- Envelope: byte 0 = SWIM_ENVELOPE, byte 1 = kind. */
enum wire_kind {
	WK_HELLO = 0x01,       /* address-only joiner asks for the identity key */
	WK_HELLO_REPLY = 0x02, /* the identity key, echoing the hello nonce */
	WK_INIT = 0x03,        /* handshake-carrying datagram: sender identity hidden under an ephemeral key */
	WK_DATA = 0x04,        /* datagram in an established pairwise session */
};

enum wire_sizes {
	W_HELLO_LEN = 96,
	W_HELLO_NONCE = 16,
	W_HELLO_REPLY_LEN = 2 + W_HELLO_NONCE + SWIM_KEY_LEN, /* 50 */
	W_TAG = 16,           /* Poly1305 */
	W_MAC = 16,           /* mac1 */
	W_PAIR_ID = 8,
	W_CTR = 8,
	/* INIT: C5 03 | e(32) | enc_id(32+16) | ctr(8) | ct(payload+16) | mac1(16) */
	W_INIT_E_OFF = 2,
	W_INIT_ID_OFF = 34,
	W_INIT_CTR_OFF = 82,
	W_INIT_CT_OFF = 90,
	W_INIT_OVERHEAD = W_INIT_CT_OFF + W_TAG + W_MAC, /* 122 */
	/* DATA: C5 04 | pair_id(8) | ctr(8) | ct(payload+16) */
	W_DATA_ID_OFF = 2,
	W_DATA_CTR_OFF = 10,
	W_DATA_CT_OFF = 18,
	W_DATA_OVERHEAD = W_DATA_CT_OFF + W_TAG, /* 34 */
	/* Plaintext payload: your_inc(8) then frames. */
	W_PAYLOAD_HDR = 8,
	W_FRAME_HDR = 3, /* type(1) len(2 LE) */
	W_ENDPOINT = 19, /* family(1) addr(16) port(2 LE) */
	/* Record: ver(1) pk(32) inc(8) time(8) salt(16) status(1) wg(32) n(1) eps(19n) cert_len(2) cert sig(64) */
	W_REC_FIXED = 1 + 32 + 8 + 8 + 16 + 1 + 32 + 1, /* 99, up to the endpoints */
	W_SALT = 16,
	W_SIG = 64,
	W_REC_MIN = W_REC_FIXED + 2 + W_SIG, /* 165 */
	W_REC_MAX = W_REC_FIXED + SWIM_MAX_ENDPOINTS * W_ENDPOINT + 2 + SWIM_MAX_CERT + W_SIG,
	/* Claim: subject(32) inc(8) claimer(32) time(8) sig(64) */
	W_CLAIM = 32 + 8 + 32 + 8 + W_SIG, /* 144 */
	W_CLAIM_SIGNED = W_CLAIM - W_SIG,
	/* Anti-entropy. */
	W_PP_ENTRY = 32 + 8 + 1, /* pk, inc, state */
	W_HEAD = 32 + 8,
	W_ORG_ID = 8,            /* prefix of the BLAKE2b-256 of an org message */
	W_PP_MAX_BUCKETS = 128,
	W_PP_MAX_ORG_BUCKETS = 16,
	/* Largest datagram we ever build or accept. */
	W_MAX_DATAGRAM = 9216, /* jumbo frames at most; larger datagrams are dropped */
};

_Static_assert(W_HELLO_REPLY_LEN <= W_HELLO_LEN, "a hello reply must not amplify");
_Static_assert(W_REC_MAX < 2000, "a record must fit in one datagram budget");

enum frame_type {
	F_PAD = 0x00,          /* ignored (padding to the hello/handshake size rules) */
	F_PING = 0x01,         /* seq(8) */
	F_ACK = 0x02,          /* seq(8) */
	F_PING_REQ = 0x03,     /* seq(8) target(32) flags(1): bit0 = send nack */
	F_NACK = 0x04,         /* seq(8) */
	F_RECORD = 0x05,       /* a signed member record */
	F_SUSPECT = 0x06,      /* a signed claim */
	F_DEAD = 0x07,         /* a signed claim */
	F_ORG = 0x08,          /* an opaque org message */
	F_PP_DIGEST = 0x09,    /* nb(2) no(2) hash(8)*(nb+no) */
	F_PP_MEMBERS = 0x0A,   /* lo(8) hi(8) entries(41)* */
	F_PP_ORGS = 0x0B,      /* lo(8) hi(8) ids(8)* */
	F_WANT_MEMBERS = 0x0C, /* pk(32)* */
	F_WANT_ORGS = 0x0D,    /* id(8)* */
	F_HEAD = 0x0E,         /* pk(32) inc(8): "a record of pk at inc exists; ask me" */
};

enum rec_status { REC_ALIVE = 0, REC_LEFT = 1 };
enum pp_state { PP_ALIVE = 0, PP_DEAD = 1, PP_LEFT = 2 };

/* A decoded view into record bytes (no copies; valid while the bytes are). */
struct rec_view {
	const uint8_t *pk;
	uint64_t inc;
	int64_t time;
	const uint8_t *salt;
	uint8_t status;
	const uint8_t *wg;
	uint8_t n_eps;
	const uint8_t *eps; /* n_eps * W_ENDPOINT */
	const uint8_t *cert;
	uint16_t cert_len;
	size_t signed_len; /* bytes covered by the signature */
	const uint8_t *sig;
	size_t len;        /* whole record */
};

struct claim_view {
	const uint8_t *subject;
	uint64_t inc;
	const uint8_t *claimer;
	int64_t time;
	const uint8_t *sig;
};

/* Endpoints. */
void wire_put_endpoint(uint8_t *p, const struct swim_endpoint *ep);
int wire_get_endpoint(const uint8_t *p, struct swim_endpoint *ep); /* 0 or -1 */
bool wire_endpoint_valid(const struct swim_endpoint *ep);

/* Records: layout only (the signature is checked elsewhere). 0 or -1. */
int wire_record_parse(const uint8_t *p, size_t len, struct rec_view *v);
/* Build the signed part of a record; returns its length (0 if it does not fit). */
size_t wire_record_build(uint8_t *out, size_t cap, const uint8_t pk[32], uint64_t inc,
			 int64_t time, const uint8_t salt[W_SALT], uint8_t status,
			 const uint8_t wg[32], const struct swim_endpoint *eps, size_t n_eps,
			 const uint8_t *cert, size_t cert_len);

/* Claims. */
int wire_claim_parse(const uint8_t *p, size_t len, struct claim_view *v);
void wire_claim_build(uint8_t out[W_CLAIM_SIGNED], const uint8_t subject[32], uint64_t inc,
		      const uint8_t claimer[32], int64_t time);

/* Frame iteration over a plaintext payload (after the 8-byte header). */
struct frame_iter {
	const uint8_t *p;
	size_t len, off;
};
/* 1 = a frame, 0 = end, -1 = malformed (truncated header or body). */
int frame_next(struct frame_iter *it, uint8_t *type, const uint8_t **body, size_t *blen);
/* Structural check of one frame body by type (unknown types pass: they are skipped). */
bool frame_body_valid(uint8_t type, const uint8_t *body, size_t blen);

/* Signature domains ("context strings"), prepended to the signed bytes. */
extern const char WIRE_CTX_RECORD[];
extern const char WIRE_CTX_SUSPECT[];
extern const char WIRE_CTX_DEAD[];

#endif
