/* SPDX-License-Identifier: MIT */
/*
 * Keys as people type them: strict base64 text, Ed25519 and X25519 point
 * checks, one-key files, and the names that become file names.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"
#include "fsutil.h"
#include "keytext.h"

int trust_err(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

int trust_is_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

/* Little-endian 255-bit value (bit 255 ignored) >= p = 2^255 - 19? */
static int ge_field_prime(const uint8_t k[TRUST_KEY_LEN])
{
	if ((k[31] & 0x7f) != 0x7f || k[0] < 0xed)
		return 0;
	for (int i = 1; i < 31; i++)
		if (k[i] != 0xff)
			return 0;
	return 1;
}

/* 8*P == identity? Uses only on-curve point addition, which libsodium
 * allows for any curve point (no subgroup checks). */
static int ed25519_small_order(const uint8_t p[TRUST_KEY_LEN])
{
	static const uint8_t identity[TRUST_KEY_LEN] = { 1 };
	uint8_t q[TRUST_KEY_LEN];

	memcpy(q, p, sizeof(q));
	for (int i = 0; i < 3; i++)
		if (crypto_core_ed25519_add(q, q, q) != 0)
			return 0;
	return memcmp(q, identity, sizeof(q)) == 0;
}

enum trust_key_status trust_key_check(const uint8_t key[TRUST_KEY_LEN])
{
	uint8_t tmp[TRUST_KEY_LEN];

	if (ge_field_prime(key))
		return TRUST_KEY_NONCANONICAL;
	if (crypto_core_ed25519_is_valid_point(key))
		return TRUST_KEY_OK;
	/* Refused: say why. */
	if (trust_is_zero(key, TRUST_KEY_LEN))
		return TRUST_KEY_ZERO;
	if (crypto_core_ed25519_add(tmp, key, key) != 0)
		return TRUST_KEY_NOT_ON_CURVE;
	if (ed25519_small_order(key))
		return TRUST_KEY_SMALL_ORDER;
	return TRUST_KEY_TORSION;
}

enum trust_key_status trust_wg_key_check(const uint8_t key[TRUST_KEY_LEN])
{
	/* Any clamped scalar: the product is zero exactly for small-order u. */
	static const uint8_t scalar[TRUST_KEY_LEN] = { 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21 };
	uint8_t out[TRUST_KEY_LEN];
	int ret;

	if (trust_is_zero(key, TRUST_KEY_LEN))
		return TRUST_KEY_ZERO;
	if ((key[31] & 0x80) || ge_field_prime(key))
		return TRUST_KEY_NONCANONICAL;
	ret = crypto_scalarmult_curve25519(out, scalar, key);
	sodium_memzero(out, sizeof(out));
	return ret == 0 ? TRUST_KEY_OK : TRUST_KEY_SMALL_ORDER;
}

static enum trust_key_status key_from_text(const char *text, size_t len, uint8_t out[TRUST_KEY_LEN],
					   enum trust_key_status (*check)(const uint8_t *))
{
	enum trust_key_status st;
	int ret;

	if (len != TRUST_KEY_TEXT_LEN)
		return TRUST_KEY_BAD_LENGTH;
	ret = mg_b64_decode_exact(out, TRUST_KEY_LEN, text, len);
	if (ret == MG_KEYTEXT_NONCANONICAL)
		return TRUST_KEY_NONCANONICAL_B64;
	if (ret != MG_KEYTEXT_OK)
		return TRUST_KEY_BAD_BASE64;
	st = check(out);
	if (st != TRUST_KEY_OK)
		memset(out, 0, TRUST_KEY_LEN);
	return st;
}

enum trust_key_status trust_key_from_text(const char *text, size_t len, uint8_t out[TRUST_KEY_LEN])
{
	return key_from_text(text, len, out, trust_key_check);
}

enum trust_key_status trust_wg_key_from_text(const char *text, size_t len,
					     uint8_t out[TRUST_KEY_LEN])
{
	return key_from_text(text, len, out, trust_wg_key_check);
}

const char *trust_key_strerror(enum trust_key_status st)
{
	switch (st) {
	case TRUST_KEY_OK:
		return "ok";
	case TRUST_KEY_BAD_LENGTH:
		return "wrong length (a key is exactly 44 base64 characters)";
	case TRUST_KEY_BAD_BASE64:
		return "not valid base64";
	case TRUST_KEY_NONCANONICAL_B64:
		return "non-canonical base64 (non-zero trailing bits)";
	case TRUST_KEY_NONCANONICAL:
		return "non-canonical key encoding";
	case TRUST_KEY_ZERO:
		return "all-zero key";
	case TRUST_KEY_NOT_ON_CURVE:
		return "not a point on the curve";
	case TRUST_KEY_SMALL_ORDER:
		return "small-order key";
	case TRUST_KEY_TORSION:
		return "key outside the prime-order subgroup";
	}
	return "invalid key";
}

void trust_key_to_text(const uint8_t key[TRUST_KEY_LEN], char out[TRUST_KEY_TEXT_LEN + 1])
{
	mg_b64_encode(out, key, TRUST_KEY_LEN);
}

void trust_key_hex16(const uint8_t key[TRUST_KEY_LEN], char out[17])
{
	mg_hex_encode(out, key, 8);
}

/* ---- key files ---------------------------------------------------------- */

static size_t line_end(const char *s, size_t pos, size_t len)
{
	while (pos < len && s[pos] != '\n')
		pos++;
	return pos;
}

int trust_keyfile_parse(const char *text, size_t len, bool wg, uint8_t out[TRUST_KEY_LEN],
			unsigned *line, const char **why)
{
	unsigned lineno = 0, key_line = 0;
	size_t pos = 0;

	*line = 0;
	while (pos < len) {
		size_t end = line_end(text, pos, len);
		size_t n = mg_rtrim_len(text + pos, end - pos);
		const char *l = text + pos;

		lineno++;
		pos = end + 1;
		if (n == 0 || l[0] == '#')
			continue;
		*line = lineno;
		if (key_line) {
			*why = "more than one key in the file";
			return -EINVAL;
		}
		if (memchr(l, '\0', n)) {
			*why = "binary data (not a key file)";
			return -EINVAL;
		}
		enum trust_key_status st = wg ? trust_wg_key_from_text(l, n, out)
					      : trust_key_from_text(l, n, out);
		if (st != TRUST_KEY_OK) {
			*why = trust_key_strerror(st);
			return -EINVAL;
		}
		key_line = lineno;
	}
	if (!key_line) {
		*line = 0;
		*why = "no key in the file";
		return -EINVAL;
	}
	*line = key_line;
	return 0;
}

int trust_read_small(const char *path, void *buf, size_t cap, size_t *len, const char *what,
		     char *err, size_t errlen)
{
	int ret = mg_read_file(path, buf, cap, len);

	switch (ret) {
	case 0:
		return 0;
	case -EFBIG:
		return trust_err(ret, err, errlen, "%s: too large for a %s (more than %zu bytes)",
				 path, what, cap);
	case -EISDIR:
	case -EINVAL:
		return trust_err(ret, err, errlen, "%s: not a regular file", path);
	default:
		return trust_err(ret, err, errlen, "%s: cannot read %s: %s", path, what,
				 strerror(-ret));
	}
}

int trust_keyfile_read(const char *path, bool wg, uint8_t out[TRUST_KEY_LEN], char *err,
		       size_t errlen)
{
	char buf[4096];
	const char *why = NULL;
	unsigned line;
	size_t len;
	int ret;

	ret = trust_read_small(path, buf, sizeof(buf), &len, "key file", err, errlen);
	if (ret)
		return ret;
	ret = trust_keyfile_parse(buf, len, wg, out, &line, &why);
	if (ret == 0)
		return 0;
	if (line)
		return trust_err(ret, err, errlen, "%s:%u: %s", path, line, why);
	return trust_err(ret, err, errlen, "%s: %s", path, why);
}

/* ---- names -------------------------------------------------------------- */

static int is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

const char *trust_name_check(const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return "empty name";
	if (n > TRUST_NAME_MAX)
		return "name longer than 32 characters";
	if (!is_alnum((unsigned char)name[0]))
		return "name must start with a letter or digit";
	for (size_t i = 1; i < n; i++) {
		int c = (unsigned char)name[i];
		if (!is_alnum(c) && c != '.' && c != '_' && c != '-' && c != '+')
			return "name may only contain letters, digits and . _ + -";
	}
	if (strstr(name, ".."))
		return "name must not contain '..'";
	return NULL;
}

int trust_alias_bytes_valid(const uint8_t subject[TRUST_KEY_LEN])
{
	char text[TRUST_NAME_MAX + 1];
	size_t n = 0;

	while (n < TRUST_KEY_LEN && subject[n])
		n++;
	if (!trust_is_zero(subject + n, TRUST_KEY_LEN - n))
		return 0;
	memcpy(text, subject, n);
	text[n] = '\0';
	return trust_name_check(text) == NULL;
}
