/* SPDX-License-Identifier: MIT */
#include "keytext.h"

#include <sodium.h>
#include <string.h>

void mg_b64_encode(char *out, const uint8_t *in, size_t len)
{
	sodium_bin2base64(out, MG_B64_LEN(len) + 1, in, len, sodium_base64_VARIANT_ORIGINAL);
}

int mg_b64_decode_exact(uint8_t *out, size_t outlen, const char *text, size_t textlen)
{
	char again[MG_B64_LEN(128) + 1];
	size_t binlen = 0;
	const char *end = NULL;

	if (textlen != MG_B64_LEN(outlen) || outlen > 128)
		return MG_KEYTEXT_BAD_LENGTH;
	if (sodium_base642bin(out, outlen, text, textlen, NULL, &binlen, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != text + textlen || binlen != outlen) {
		sodium_memzero(out, outlen);
		return MG_KEYTEXT_BAD_CHARS;
	}
	/* libsodium ignores non-zero trailing bits; one key must have one spelling. */
	mg_b64_encode(again, out, outlen);
	if (memcmp(again, text, textlen) != 0) {
		sodium_memzero(out, outlen);
		sodium_memzero(again, sizeof(again));
		return MG_KEYTEXT_NONCANONICAL;
	}
	sodium_memzero(again, sizeof(again));
	return MG_KEYTEXT_OK;
}

void mg_hex_encode(char *out, const uint8_t *in, size_t len)
{
	sodium_bin2hex(out, 2 * len + 1, in, len);
}

int mg_hex_decode_exact(uint8_t *out, size_t outlen, const char *text, size_t textlen)
{
	size_t binlen = 0;
	const char *end = NULL;

	if (textlen != 2 * outlen)
		return MG_KEYTEXT_BAD_LENGTH;
	if (sodium_hex2bin(out, outlen, text, textlen, NULL, &binlen, &end) != 0 ||
	    end != text + textlen || binlen != outlen) {
		sodium_memzero(out, outlen);
		return MG_KEYTEXT_BAD_CHARS;
	}
	return MG_KEYTEXT_OK;
}

const char *mg_keytext_strerror(int err)
{
	switch (err) {
	case MG_KEYTEXT_OK:
		return "ok";
	case MG_KEYTEXT_BAD_LENGTH:
		return "wrong length";
	case MG_KEYTEXT_BAD_CHARS:
		return "invalid characters or padding";
	case MG_KEYTEXT_NONCANONICAL:
		return "non-canonical encoding (non-zero trailing bits)";
	}
	return "unknown error";
}

size_t mg_rtrim_len(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' ||
			   s[len - 1] == '\t'))
		len--;
	return len;
}
