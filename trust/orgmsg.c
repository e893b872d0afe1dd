/* SPDX-License-Identifier: MIT */
/*
 * Org messages, byte-exact with upstream (upstream-trust-cli.md §6):
 *
 *   0x41 alias  | org(32) | alias(32, NUL-padded) | lamport(8 LE) | sig(64)   137 B
 *   0x42 revoke | org(32) | node(32) | reason(1)  | lamport(8 LE) | sig(64)   138 B
 *   0x43 vouch  | org(32) | node(32) |             lamport(8 LE) | sig(64)   137 B
 *
 * The org signs subject || [reason] || lamport, with no type byte and no
 * domain tag, so an alias payload and a vouch payload have the same shape.
 * We keep them disjoint by content (docs/trust.md, "signature reuse"): an
 * alias must read as a name, a vouched key must be a valid key that does not.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "bytes.h"
#include "internal.h"

enum {
	OFF_TYPE = 0,
	OFF_ORG = 1,
	OFF_SUBJECT = 33,
	OFF_AFTER_SUBJECT = 65,
	/* Larger Lamport values are refused: a trusted but careless (or hostile)
	 * org must not be able to exhaust everyone's 64-bit clock. */
	LAMPORT_LIMIT_SHIFT = 62,
};

_Static_assert(OFF_AFTER_SUBJECT + 8 + TRUST_SIG_LEN == TRUST_MSG_ALIAS_LEN, "alias layout");
_Static_assert(OFF_AFTER_SUBJECT + 1 + 8 + TRUST_SIG_LEN == TRUST_MSG_REVOKE_LEN, "revoke layout");
_Static_assert(TRUST_MSG_VOUCH_LEN == TRUST_MSG_ALIAS_LEN, "vouch layout");

static size_t wire_len(uint8_t type)
{
	switch (type) {
	case TRUST_MSG_ALIAS:
		return TRUST_MSG_ALIAS_LEN;
	case TRUST_MSG_REVOKE:
		return TRUST_MSG_REVOKE_LEN;
	case TRUST_MSG_VOUCH:
		return TRUST_MSG_VOUCH_LEN;
	}
	return 0;
}

enum trust_reason trust_msg_decode(const uint8_t *buf, size_t len, struct trust_msg *m,
				   const char **why)
{
	size_t off;

	memset(m, 0, sizeof(*m));
	if (why)
		*why = NULL;
	if (len == 0 || wire_len(buf[OFF_TYPE]) == 0) {
		if (why)
			*why = "not an org message (type is not 0x41, 0x42 or 0x43)";
		return TRUST_R_MALFORMED;
	}
	if (len != wire_len(buf[OFF_TYPE])) {
		if (why)
			*why = "wrong size for its message type";
		return TRUST_R_MALFORMED;
	}
	m->type = buf[OFF_TYPE];
	memcpy(m->org, buf + OFF_ORG, TRUST_KEY_LEN);
	memcpy(m->subject, buf + OFF_SUBJECT, TRUST_KEY_LEN);
	off = OFF_AFTER_SUBJECT;
	if (m->type == TRUST_MSG_REVOKE)
		m->reason = buf[off++];
	m->lamport = mg_load_le64(buf + off);
	memcpy(m->signature, buf + off + 8, TRUST_SIG_LEN);
	return TRUST_R_OK;
}

enum trust_reason trust_msg_decode_file(const uint8_t *buf, size_t len, struct trust_msg *m,
					const char **why)
{
	uint8_t wire[TRUST_MSG_VOUCH_LEN];

	/* Upstream's vouched/<hex16>.vouch file is the message without its type. */
	if (len != TRUST_MSG_VOUCH_FILE_LEGACY_LEN)
		return trust_msg_decode(buf, len, m, why);
	wire[0] = TRUST_MSG_VOUCH;
	memcpy(wire + 1, buf, len);
	return trust_msg_decode(wire, sizeof(wire), m, why);
}

size_t trust_msg_encode(const struct trust_msg *m, uint8_t out[TRUST_MSG_MAX_LEN])
{
	size_t off = OFF_AFTER_SUBJECT;

	out[OFF_TYPE] = m->type;
	memcpy(out + OFF_ORG, m->org, TRUST_KEY_LEN);
	memcpy(out + OFF_SUBJECT, m->subject, TRUST_KEY_LEN);
	if (m->type == TRUST_MSG_REVOKE)
		out[off++] = m->reason;
	mg_store_le64(out + off, m->lamport);
	memcpy(out + off + 8, m->signature, TRUST_SIG_LEN);
	return off + 8 + TRUST_SIG_LEN;
}

size_t trust_msg_signed_bytes(const struct trust_msg *m, uint8_t out[41])
{
	size_t off = TRUST_KEY_LEN;

	memcpy(out, m->subject, TRUST_KEY_LEN);
	if (m->type == TRUST_MSG_REVOKE)
		out[off++] = m->reason;
	mg_store_le64(out + off, m->lamport);
	return off + 8;
}

/* Content rules that make alias and vouch payloads disjoint, and bounds. */
static const char *check_content(const struct trust_msg *m)
{
	if (!wire_len(m->type))
		return "unknown message type";
	if (m->lamport >> LAMPORT_LIMIT_SHIFT)
		return "Lamport value out of range";
	if (m->type == TRUST_MSG_ALIAS)
		return trust_alias_bytes_valid(m->subject) ? NULL : "alias is not a valid name";
	if (trust_key_check(m->subject) != TRUST_KEY_OK)
		return "subject is not a valid public key";
	if (m->type == TRUST_MSG_VOUCH && trust_alias_bytes_valid(m->subject))
		return "vouched key reads as an alias name";
	return NULL;
}

int trust_msg_sign(struct trust_msg *m, const struct trust_identity *org)
{
	uint8_t msg[41];
	size_t len;

	memcpy(m->org, org->public_key, TRUST_KEY_LEN);
	if (check_content(m))
		return -EINVAL;
	len = trust_msg_signed_bytes(m, msg);
	crypto_sign_detached(m->signature, NULL, msg, len, org->secret);
	return 0;
}

enum trust_reason trust_msg_verify(const struct trust_msg *m, const char **why)
{
	uint8_t msg[41];
	const char *bad = check_content(m);
	size_t len;

	if (why)
		*why = bad;
	if (bad)
		return TRUST_R_MALFORMED;
	len = trust_msg_signed_bytes(m, msg);
	if (crypto_sign_verify_detached(m->signature, msg, len, m->org) != 0) {
		if (why)
			*why = "bad signature";
		return TRUST_R_BAD_SIGNATURE;
	}
	return TRUST_R_OK;
}

void trust_msg_alias(const struct trust_msg *m, char out[TRUST_NAME_MAX + 1])
{
	memcpy(out, m->subject, TRUST_NAME_MAX);
	out[TRUST_NAME_MAX] = '\0';
}

const char *trust_revoke_reason_str(uint8_t reason)
{
	switch (reason) {
	case TRUST_REVOKE_UNSPECIFIED:
		return "unspecified";
	case TRUST_REVOKE_KEY_COMPROMISED:
		return "key-compromised";
	case TRUST_REVOKE_ADMIN_REMOVED:
		return "admin-removed";
	}
	return "unknown";
}

int trust_revoke_reason_parse(const char *s, uint8_t *out)
{
	static const struct {
		const char *name;
		uint8_t reason;
	} names[] = {
		{ "0", 0 }, { "unspecified", 0 },
		{ "1", 1 }, { "key-compromised", 1 }, { "key_compromised", 1 }, { "compromised", 1 },
		{ "2", 2 }, { "admin-removed", 2 }, { "admin_removed", 2 }, { "removed", 2 },
	};

	for (size_t i = 0; i < MG_ARRAY_LEN(names); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].reason;
			return 0;
		}
	}
	return -EINVAL;
}
