/* SPDX-License-Identifier: MIT */
/* Gossip wire format: endpoints, signed records, signed claims, frames. */
#include "wire.h"

#include <string.h>

#include "bytes.h"

const char WIRE_CTX_RECORD[] = "meshguard swim v1 record";
const char WIRE_CTX_SUSPECT[] = "meshguard swim v1 suspect";
const char WIRE_CTX_DEAD[] = "meshguard swim v1 dead";

/* ---- Endpoint: family(1) addr(16) port(2 LE). */

bool wire_endpoint_valid(const struct swim_endpoint *ep)
{
	if (ep->port == 0)
		return false;
	if (ep->family == 4) {
		for (int i = 4; i < 16; i++)
			if (ep->addr[i])
				return false;
		return true;
	}
	return ep->family == 6;
}

void wire_put_endpoint(uint8_t *p, const struct swim_endpoint *ep)
{
	p[0] = ep->family;
	memcpy(p + 1, ep->addr, 16);
	mg_store_le16(p + 17, ep->port);
}

int wire_get_endpoint(const uint8_t *p, struct swim_endpoint *ep)
{
	ep->family = p[0];
	memcpy(ep->addr, p + 1, 16);
	ep->port = mg_load_le16(p + 17);
	return wire_endpoint_valid(ep) ? 0 : -1;
}

/* ---- Record. */

size_t wire_record_build(uint8_t *out, size_t cap, const uint8_t pk[32], uint64_t inc,
			 int64_t time, const uint8_t salt[W_SALT], uint8_t status,
			 const uint8_t wg[32], const struct swim_endpoint *eps, size_t n_eps,
			 const uint8_t *cert, size_t cert_len)
{
	size_t need = W_REC_FIXED + n_eps * W_ENDPOINT + 2 + cert_len;
	size_t o = 0;

	if (n_eps > SWIM_MAX_ENDPOINTS || cert_len > SWIM_MAX_CERT || need + W_SIG > cap)
		return 0;
	out[o++] = 1; /* version */
	memcpy(out + o, pk, 32), o += 32;
	mg_store_le64(out + o, inc), o += 8;
	mg_store_le64(out + o, (uint64_t)time), o += 8;
	memcpy(out + o, salt, W_SALT), o += W_SALT;
	out[o++] = status;
	memcpy(out + o, wg, 32), o += 32;
	out[o++] = (uint8_t)n_eps;
	for (size_t i = 0; i < n_eps; i++, o += W_ENDPOINT)
		wire_put_endpoint(out + o, &eps[i]);
	mg_store_le16(out + o, (uint16_t)cert_len), o += 2;
	if (cert_len)
		memcpy(out + o, cert, cert_len);
	o += cert_len;
	return o;
}

int wire_record_parse(const uint8_t *p, size_t len, struct rec_view *v)
{
	size_t o = 0;
	struct swim_endpoint ep;

	if (len < W_REC_MIN || len > W_REC_MAX || p[0] != 1)
		return -1;
	o = 1;
	v->pk = p + o, o += 32;
	v->inc = mg_load_le64(p + o), o += 8;
	v->time = (int64_t)mg_load_le64(p + o), o += 8;
	v->salt = p + o, o += W_SALT;
	v->status = p[o++];
	v->wg = p + o, o += 32;
	v->n_eps = p[o++];
	if (v->status != REC_ALIVE && v->status != REC_LEFT)
		return -1;
	if (v->n_eps > SWIM_MAX_ENDPOINTS || v->inc == 0)
		return -1;
	if (len - o < (size_t)v->n_eps * W_ENDPOINT + 2)
		return -1;
	v->eps = p + o;
	for (unsigned i = 0; i < v->n_eps; i++, o += W_ENDPOINT)
		if (wire_get_endpoint(p + o, &ep) < 0)
			return -1;
	v->cert_len = mg_load_le16(p + o), o += 2;
	if (v->cert_len > SWIM_MAX_CERT)
		return -1;
	/* exactly cert + signature must remain: no trailing bytes */
	if (len - o != (size_t)v->cert_len + W_SIG)
		return -1;
	v->cert = v->cert_len ? p + o : NULL;
	o += v->cert_len;
	v->signed_len = o;
	v->sig = p + o;
	v->len = len;
	return 0;
}

/* ---- Claim. */

void wire_claim_build(uint8_t out[W_CLAIM_SIGNED], const uint8_t subject[32], uint64_t inc,
		      const uint8_t claimer[32], int64_t time)
{
	memcpy(out, subject, 32);
	mg_store_le64(out + 32, inc);
	memcpy(out + 40, claimer, 32);
	mg_store_le64(out + 72, (uint64_t)time);
}

int wire_claim_parse(const uint8_t *p, size_t len, struct claim_view *v)
{
	if (len != W_CLAIM)
		return -1;
	v->subject = p;
	v->inc = mg_load_le64(p + 32);
	v->claimer = p + 40;
	v->time = (int64_t)mg_load_le64(p + 72);
	v->sig = p + W_CLAIM_SIGNED;
	if (v->inc == 0 || memcmp(v->subject, v->claimer, 32) == 0)
		return -1;
	return 0;
}

/* ---- Frames. */

int frame_next(struct frame_iter *it, uint8_t *type, const uint8_t **body, size_t *blen)
{
	size_t l;

	if (it->off == it->len)
		return 0;
	if (it->len - it->off < W_FRAME_HDR)
		return -1;
	*type = it->p[it->off];
	l = mg_load_le16(it->p + it->off + 1);
	if (it->len - it->off - W_FRAME_HDR < l)
		return -1;
	*body = it->p + it->off + W_FRAME_HDR;
	*blen = l;
	it->off += W_FRAME_HDR + l;
	return 1;
}

bool frame_body_valid(uint8_t type, const uint8_t *body, size_t blen)
{
	switch (type) {
	case F_PING:
	case F_ACK:
	case F_NACK:
		return blen == 8;
	case F_PING_REQ:
		return blen == 41;
	case F_RECORD: {
		struct rec_view v;
		return wire_record_parse(body, blen, &v) == 0;
	}
	case F_SUSPECT:
	case F_DEAD: {
		struct claim_view c;
		return wire_claim_parse(body, blen, &c) == 0;
	}
	case F_ORG:
		return blen >= 1 && blen <= SWIM_MAX_ORG_MSG;
	case F_PP_DIGEST: {
		if (blen < 4)
			return false;
		size_t nb = mg_load_le16(body), no = mg_load_le16(body + 2);
		if (nb == 0 || nb > W_PP_MAX_BUCKETS || (nb & (nb - 1)))
			return false;
		if (no == 0 || no > W_PP_MAX_ORG_BUCKETS || (no & (no - 1)))
			return false;
		return blen == 4 + 8 * (nb + no);
	}
	case F_PP_MEMBERS:
		if (blen < 16 || (blen - 16) % W_PP_ENTRY)
			return false;
		for (size_t o = 16; o < blen; o += W_PP_ENTRY)
			if (body[o + 40] > PP_LEFT || mg_load_le64(body + o + 32) == 0)
				return false;
		return mg_load_be64(body) <= mg_load_be64(body + 8);
	case F_PP_ORGS:
		return blen >= 16 && (blen - 16) % W_ORG_ID == 0 &&
		       mg_load_be64(body) <= mg_load_be64(body + 8);
	case F_WANT_MEMBERS:
		return blen > 0 && blen % 32 == 0;
	case F_WANT_ORGS:
		return blen > 0 && blen % W_ORG_ID == 0;
	case F_HEAD:
		return blen == W_HEAD && mg_load_le64(body + 32) != 0;
	default:
		return true; /* F_PAD and types from newer versions: skipped */
	}
}
