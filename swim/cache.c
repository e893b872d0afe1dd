/* SPDX-License-Identifier: MIT */
/*
 * Member cache (docs/protocol-swim.md, "Member cache"):
 *
 *   magic "mgswimc1" (8) | our incarnation u64 LE | count u32 LE |
 *   count x ( record length u16 LE | signed record | last address (19, family 0 = none) ) |
 *   BLAKE2b-256 of everything before it (32)
 *
 * The records are signed by their subjects, so a cache cannot be used to
 * forge members; the checksum only catches truncation and bit rot. Loading
 * re-verifies every signature and re-runs the trust check.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "crypto.h"
#include "swim_int.h"

static const uint8_t MAGIC[8] = { 'm', 'g', 's', 'w', 'i', 'm', 'c', '1' };
enum { HDR = 8 + 8 + 4, SUM = 32 };

static bool cacheable(const struct member *m)
{
	return !m->provisional && m->rec && m->state != SWIM_LEFT;
}

int swim_cache_save(const struct swim *s, uint8_t **buf, size_t *len)
{
	size_t total = HDR + SUM, o = 0;
	uint32_t count = 0;
	uint8_t *b;

	for (size_t i = 0; i < s->ndense; i++)
		if (cacheable(s->dense[i])) {
			total += 2 + s->dense[i]->rv.len + W_ENDPOINT;
			count++;
		}
	if (!(b = malloc(total)))
		return -ENOMEM;
	memcpy(b, MAGIC, 8), o = 8;
	mg_store_le64(b + o, s->inc), o += 8;
	mg_store_le32(b + o, count), o += 4;
	for (size_t i = 0; i < s->ndense; i++) {
		const struct member *m = s->dense[i];
		struct swim_endpoint none = { 0 };
		if (!cacheable(m))
			continue;
		mg_store_le16(b + o, (uint16_t)m->rv.len), o += 2;
		memcpy(b + o, m->rec, m->rv.len), o += m->rv.len;
		wire_put_endpoint(b + o, m->addr_ok ? &m->addr : &none), o += W_ENDPOINT;
	}
	swc_hash32(b + o, b, o);
	*buf = b;
	*len = o + SUM;
	return 0;
}

static int add_cached_contact(struct swim *s, const struct rec_view *v,
			      const struct swim_endpoint *last)
{
	struct swim_endpoint ep;

	if (last->family)
		ep = *last;
	else if (v->n_eps)
		wire_get_endpoint(v->eps, &ep);
	else
		return 0; /* nowhere to reach it */
	for (size_t i = 0; i < s->ncontacts; i++)
		if (s->contacts[i].has_pk && memcmp(s->contacts[i].pk, v->pk, 32) == 0)
			return 0;
	return contact_add(s, &ep, v->pk, true) ? 0 : -ENOMEM;
}

int swim_cache_load(struct swim *s, const uint8_t *buf, size_t len, uint64_t now_ns,
		    int64_t now_unix, char *err, size_t errlen)
{
	uint8_t sum[32];
	size_t o = HDR;
	uint32_t count;
	uint64_t inc;

	s->now = now_ns;
	s->now_unix = now_unix;
	if (len < HDR + SUM || memcmp(buf, MAGIC, 8) != 0) {
		snprintf(err, errlen, "member cache: not a member cache (bad magic or %zu bytes)",
			 len);
		return -EINVAL;
	}
	swc_hash32(sum, buf, len - SUM);
	if (sodium_memcmp(sum, buf + len - SUM, SUM) != 0) {
		snprintf(err, errlen, "member cache: checksum mismatch (truncated or corrupted)");
		return -EINVAL;
	}
	inc = mg_load_le64(buf + 8);
	count = mg_load_le32(buf + 16);
	for (uint32_t i = 0; i < count; i++) {
		struct rec_view v;
		struct swim_endpoint last;
		size_t rl;
		if (len - SUM - o < 2) {
			snprintf(err, errlen, "member cache: entry %u truncated at offset %zu", i, o);
			return -EINVAL;
		}
		rl = mg_load_le16(buf + o);
		if (len - SUM - o - 2 < rl + W_ENDPOINT ||
		    wire_record_parse(buf + o + 2, rl, &v) < 0) {
			snprintf(err, errlen, "member cache: entry %u malformed at offset %zu", i, o);
			return -EINVAL;
		}
		wire_get_endpoint(buf + o + 2 + rl, &last);
		if (last.family != 0 && !wire_endpoint_valid(&last)) {
			snprintf(err, errlen, "member cache: entry %u bad address at offset %zu", i,
				 o + 2 + rl);
			return -EINVAL;
		}
		o += 2 + rl + W_ENDPOINT;
		/* signed by its subject, and still trusted now? */
		if (memcmp(v.pk, s->pk, 32) == 0 ||
		    !swc_verify(v.sig, WIRE_CTX_RECORD, buf + o - W_ENDPOINT - rl, v.signed_len,
				v.pk))
			continue;
		struct swim_verdict vd = { 0 };
		s->ops.admit(s->ctx, v.pk, v.cert, v.cert_len, v.wg, now_unix, &vd);
		if (!vd.allowed)
			continue;
		if (add_cached_contact(s, &v, &last) < 0)
			return -ENOMEM;
	}
	if (o != len - SUM) {
		snprintf(err, errlen, "member cache: %zu trailing bytes at offset %zu", len - SUM - o,
			 o);
		return -EINVAL;
	}
	/* A restart must be newer than anything the previous life signed. */
	if (inc >= s->inc)
		swim_bump_inc(s, inc + 1);
	return 0;
}
