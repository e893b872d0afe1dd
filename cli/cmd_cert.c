/* SPDX-License-Identifier: MIT */
/*
 * cert show <file>: every field of a certificate (or of a delegation grant
 * or an org message), its mesh name, and the verdict of the local trust
 * store. cert verify <file>: exit 0 if the certificate is valid here and
 * now, else exit 1 with the reason.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "clock.h"
#include "cli.h"
#include "cli_util.h"
#include "fsutil.h"
#include "keytext.h"
#include "trust.h"

enum { FILE_CAP = 512 };

/* What a file turned out to be. */
enum file_kind { KIND_CERT, KIND_GRANT, KIND_MSG, KIND_UNKNOWN };

static enum file_kind classify(const uint8_t *buf, size_t len)
{
	if (len == TRUST_CERT_LEN || len == TRUST_CERT_V1_LEN)
		return KIND_CERT;
	if (len == TRUST_GRANT_FILE_LEN && buf[0] == 2)
		return KIND_GRANT;
	if (len == TRUST_MSG_VOUCH_FILE_LEGACY_LEN ||
	    ((len == TRUST_MSG_ALIAS_LEN || len == TRUST_MSG_REVOKE_LEN) && buf[0] >= TRUST_MSG_ALIAS &&
	     buf[0] <= TRUST_MSG_VOUCH))
		return KIND_MSG;
	return KIND_UNKNOWN;
}

static void print_sig(const char *label, const uint8_t sig[TRUST_SIG_LEN], bool valid)
{
	char hex[2 * TRUST_SIG_LEN + 1], text[64];

	mg_hex_encode(hex, sig, TRUST_SIG_LEN);
	snprintf(text, sizeof(text), "%.16s... (%s)", hex, valid ? "valid" : "INVALID");
	cli_print_field(label, text);
}

static void print_time(const char *label, int64_t t)
{
	char when[32];

	trust_format_time(t, when);
	cli_print_field(label, when);
}

static void print_org_line(const struct trust_store *s, const uint8_t org[TRUST_KEY_LEN])
{
	char dom[TRUST_DOMAIN_LEN + 1], text[160], alias[TRUST_NAME_MAX + 1];
	const char *name = trust_store_org_name(s, org);

	cli_print_key("org:", org);
	trust_org_domain(org, dom);
	if (name)
		snprintf(text, sizeof(text), "%s.mesh, trusted here as '%s'", dom, name);
	else
		snprintf(text, sizeof(text), "%s.mesh, not trusted here", dom);
	cli_print_field("", text);
	if (trust_store_org_alias(s, org, alias))
		cli_print_field("org alias:", alias);
}

/* ---- certificates ---- */

static bool grant_sig_valid(const struct trust_cert *c)
{
	struct trust_grant g;

	memcpy(g.org, c->org, TRUST_KEY_LEN);
	memcpy(g.issuer, c->issuer, TRUST_KEY_LEN);
	g.expires_at = c->expires_at;
	g.flags = c->flags;
	memcpy(g.signature, c->grant_sig, TRUST_SIG_LEN);
	return trust_grant_verify(&g);
}

static void print_node(const uint8_t node[TRUST_KEY_LEN])
{
	char v4[TRUST_ADDR_STR_LEN], v6[TRUST_ADDR_STR_LEN], text[2 * TRUST_ADDR_STR_LEN + 4];

	cli_print_key("node:", node);
	trust_mesh_ipv4_str(node, v4);
	trust_mesh_ipv6_str(node, v6);
	snprintf(text, sizeof(text), "%s, %s", v4, v6);
	cli_print_field("mesh address:", text);
}

static void print_cert_fields(const struct trust_store *s, const struct trust_cert *c)
{
	char name[TRUST_NAME_MAX + 1], dom[TRUST_DOMAIN_LEN + 1], text[96];
	bool delegated = c->flags & TRUST_CERT_DELEGATED;

	snprintf(text, sizeof(text), "%u%s", c->version,
		 delegated ? " (delegated)" : c->version == 2 ? " (direct, binds a WireGuard key)" : "");
	cli_print_field("version:", text);
	print_org_line(s, c->org);
	print_node(c->node);
	trust_cert_name(c, name);
	cli_print_field("name:", name);
	trust_org_domain(c->org, dom);
	snprintf(text, sizeof(text), "%s.%s.mesh", name, dom);
	cli_print_field("mesh name:", text);
	print_time("issued:", c->issued_at);
	print_time("expires:", c->expires_at);
	snprintf(text, sizeof(text), "0x%02x%s", c->flags, delegated ? " (delegated)" : "");
	cli_print_field("flags:", text);
	print_sig(delegated ? "issuer sig:" : "org sig:", c->signature,
		  trust_cert_check_signatures(c) != TRUST_R_BAD_SIGNATURE);
	if (c->version < 2)
		return;
	cli_print_key("WireGuard key:", c->wg);
	if (!delegated)
		return;
	cli_print_key("issuer:", c->issuer);
	print_sig("grant sig:", c->grant_sig, grant_sig_valid(c));
}

/* The certificate's verdict here at time `at`; the text for people. */
static enum trust_reason cert_verdict(const struct trust_store *s, const uint8_t *buf, size_t len,
				      int64_t at, char *text, size_t cap)
{
	struct trust_verdict v;
	const char *why = NULL;
	struct trust_cert c;
	enum trust_reason r = trust_check_cert(s, buf, len, at, &v);

	if (r == TRUST_R_MALFORMED || r == TRUST_R_BAD_VERSION) {
		trust_cert_decode(buf, len, &c, &why);
		snprintf(text, cap, "%s: %s", trust_reason_str(r), why ? why : "?");
	} else if (r == TRUST_R_OK) {
		trust_verdict_format(&v, text, cap);
	} else {
		/* "denied: <reason>" reads oddly for a certificate: drop "denied: ". */
		trust_verdict_format(&v, text, cap);
		if (strncmp(text, "denied: ", 8) == 0)
			memmove(text, text + 8, strlen(text + 8) + 1);
	}
	return r;
}

static int show_cert(const struct trust_store *s, const char *path, const uint8_t *buf, size_t len,
		     int64_t at)
{
	struct trust_cert c;
	const char *why = NULL;
	char text[256];
	enum trust_reason r;

	if ((r = trust_cert_decode(buf, len, &c, &why)) != TRUST_R_OK)
		return cli_fail("%s: invalid certificate: %s: %s", path, trust_reason_str(r), why);
	printf("Certificate %s (%zu bytes)\n", path, len);
	print_cert_fields(s, &c);
	if (cert_verdict(s, buf, len, at, text, sizeof(text)) == TRUST_R_OK) {
		cli_print_field("verdict:", text);
	} else {
		char line[300];

		snprintf(line, sizeof(line), "NOT VALID here: %s", text);
		cli_print_field("verdict:", line);
	}
	return CLI_OK;
}

/* ---- grants and org messages ---- */

static int show_grant(const struct trust_store *s, const char *path, const uint8_t *buf, size_t len,
		      int64_t at)
{
	struct trust_grant g;
	const char *why = NULL;

	if (trust_grant_decode(buf, len, &g, &why) != TRUST_R_OK)
		return cli_fail("%s: invalid delegation grant: %s", path, why);
	printf("Delegation grant %s\n", path);
	print_org_line(s, g.org);
	cli_print_key("issuer:", g.issuer);
	print_time("expires:", g.expires_at);
	print_sig("org sig:", g.signature, trust_grant_verify(&g));
	cli_print_field("status:", g.expires_at != 0 && at >= g.expires_at ? "expired" : "in force");
	return CLI_OK;
}

static void print_msg_status(const struct trust_store *s, const struct trust_msg *m)
{
	static const uint8_t zero[TRUST_KEY_LEN];
	struct trust_msg cur;
	char text[96];

	if (!trust_store_slot(s, m->org, m->type == TRUST_MSG_ALIAS ? zero : m->subject, &cur))
		snprintf(text, sizeof(text), "not held by this node");
	else if (cur.type == m->type && cur.lamport == m->lamport &&
		 memcmp(cur.signature, m->signature, TRUST_SIG_LEN) == 0)
		snprintf(text, sizeof(text), "current (held by this node)");
	else
		snprintf(text, sizeof(text), "superseded here by a %s with lamport %llu",
			 cur.type == TRUST_MSG_REVOKE ? "revocation" : cur.type == TRUST_MSG_VOUCH ? "vouch" : "alias",
			 (unsigned long long)cur.lamport);
	cli_print_field("status:", text);
}

static int show_msg(const struct trust_store *s, const char *path, const uint8_t *buf, size_t len)
{
	static const char *const types[] = { "alias (0x41)", "revocation (0x42)", "vouch (0x43)" };
	char text[64], alias[TRUST_NAME_MAX + 1];
	const char *why = NULL;
	struct trust_msg m;
	enum trust_reason r;

	if (trust_msg_decode_file(buf, len, &m, &why) != TRUST_R_OK)
		return cli_fail("%s: invalid org message: %s", path, why);
	printf("Org message %s (%zu bytes)\n", path, len);
	cli_print_field("type:", types[m.type - TRUST_MSG_ALIAS]);
	print_org_line(s, m.org);
	if (m.type == TRUST_MSG_ALIAS) {
		trust_msg_alias(&m, alias);
		cli_print_field("alias:", alias);
	} else {
		print_node(m.subject);
	}
	if (m.type == TRUST_MSG_REVOKE) {
		snprintf(text, sizeof(text), "%s (%u)", trust_revoke_reason_str(m.reason), m.reason);
		cli_print_field("reason:", text);
	}
	snprintf(text, sizeof(text), "%llu", (unsigned long long)m.lamport);
	cli_print_field("lamport:", text);
	r = trust_msg_verify(&m, &why);
	print_sig("org sig:", m.signature, r == TRUST_R_OK);
	if (r == TRUST_R_MALFORMED)
		cli_print_field("content:", why);
	print_msg_status(s, &m);
	return CLI_OK;
}

/* ---- the command ---- */

static int read_any(const char *path, uint8_t buf[FILE_CAP], size_t *len)
{
	int ret = mg_read_file(path, buf, FILE_CAP, len);

	if (ret == -EFBIG)
		return cli_fail("%s: not a certificate (larger than %d bytes)", path, TRUST_CERT_LEN);
	if (ret)
		return cli_fail("cannot read %s: %s", path, strerror(-ret));
	return 0;
}

static int cert_show(const struct trust_store *s, const char *path, const uint8_t *buf, size_t len,
		     int64_t at)
{
	switch (classify(buf, len)) {
	case KIND_CERT:
		return show_cert(s, path, buf, len, at);
	case KIND_GRANT:
		return show_grant(s, path, buf, len, at);
	case KIND_MSG:
		return show_msg(s, path, buf, len);
	case KIND_UNKNOWN:
		break;
	}
	return cli_fail("%s: not a certificate, delegation grant or org message (%zu bytes; a "
			"certificate is 186 or 314 bytes)", path, len);
}

static int cert_verify(const struct trust_store *s, const char *path, const uint8_t *buf,
		       size_t len, int64_t at)
{
	char text[256];

	if (cert_verdict(s, buf, len, at, text, sizeof(text)) != TRUST_R_OK)
		return cli_fail("%s is not valid here: %s", path, text);
	printf("%s: valid: %s\n", path, text);
	return CLI_OK;
}

int cmd_cert(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[2], *at_opt = NULL;
	const struct cli_opt opts[] = { { "--at", &at_opt, NULL } };
	struct trust_store *s;
	uint8_t buf[FILE_CAP];
	int64_t now = mg_now_unix(), at = now;
	bool show;
	size_t len;
	int ret;

	if ((ret = cli_parse(argc, argv, opts, MG_ARRAY_LEN(opts), pos, 2, 2, NULL)))
		return ret;
	show = strcmp(pos[0], "show") == 0;
	if (!show && strcmp(pos[0], "verify") != 0)
		return cli_usage_error("usage: meshguard cert show|verify <file> [--at TIME]");
	if (at_opt && (ret = cli_parse_time("--at", at_opt, now, &at)))
		return ret;
	if (at == 0)
		return cli_usage_error("--at needs a time, not 'never'");
	if ((ret = read_any(pos[1], buf, &len)) || (ret = cli_load_store(ctx, &s)))
		return ret;
	ret = show ? cert_show(s, pos[1], buf, len, at) : cert_verify(s, pos[1], buf, len, at);
	trust_store_free(s);
	return ret;
}
